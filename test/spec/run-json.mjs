// Differential execution harness for WABT `wast2json` spec test scripts.
//
// Every invocation goes through a tiny generated "thunk" module that imports the target
// function, loads its arguments from a scratch memory and stores its results back there.
// Calling through wasm instead of the JS API keeps i64, v128 and NaN payloads bit-exact:
// JS cannot pass v128 at all and does not promise to preserve NaN bits of f32/f64.

import { readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * @typedef {{ type: string, value?: string | string[] | null, lane_type?: string }} Value
 * @typedef {{ type: 'invoke' | 'get', module?: string, field: string, args?: Value[] }} Action
 * @typedef {{ line: number, type: string, ok: boolean, detail: string, kind?: 'load-error', message?: string }} Outcome
 * @typedef {{ exports: WebAssembly.Exports } | { error: string }} Entry
 * @typedef {{ line: number, type: string, filename?: string, name?: string, as?: string,
 *   action?: Action, expected?: Value[], either?: Value[], text?: string, module_type?: string }} Command
 */

const NUM_TYPES = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };
const REF_TYPES = {
  funcref: 0x70, externref: 0x6f, anyref: 0x6e, eqref: 0x6d, i31ref: 0x6c, structref: 0x6b,
  arrayref: 0x6a, exnref: 0x69, nullref: 0x71, nullexternref: 0x72, nullfuncref: 0x73,
};
// [load opcode bytes, store opcode bytes]
const MEM_OPS = {
  i32: [[0x28], [0x36]], i64: [[0x29], [0x37]], f32: [[0x2a], [0x38]], f64: [[0x2b], [0x39]],
  v128: [[0xfd, 0x00], [0xfd, 0x0b]],
};
const SLOT = 16; // bytes per argument/result slot in the scratch memory

// Spec trap texts -> V8 messages that mean the same trap. Instantiation-time segment
// failures surface under the same spec texts (assert_uninstantiable).
const TRAP_MESSAGES = [
  ['unreachable', /unreachable/],
  ['integer divide by zero', /divide by zero|remainder by zero/],
  ['integer overflow', /divide result unrepresentable|float unrepresentable in integer range/],
  ['invalid conversion to integer', /float unrepresentable in integer range/],
  ['out of bounds memory access', /memory access out of bounds|data segment .*out of bounds/],
  ['out of bounds table access', /table index is out of bounds|(table|element segment) .*out of bounds/],
  ['undefined element', /table index is out of bounds|invalid index into function table/],
  // V8 reports a null table entry like a signature mismatch.
  ['uninitialized element', /null function|signature mismatch/],
  ['indirect call type mismatch', /signature mismatch/],
  ['unaligned atomic', /unaligned/],
];

/** One scratch memory shared by all thunks; every call writes and reads it synchronously. */
const scratch = new WebAssembly.Memory({ initial: 1 });
const view = new DataView(scratch.buffer);
/** @type {Map<string, WebAssembly.Module>} thunk module per signature */
const thunkModules = new Map();
/** @type {WeakMap<Function, Map<string, Function>>} thunk entry point per target and signature */
const thunkInstances = new WeakMap();

/** @param {number} n */
function uleb(n) {
  const out = [];
  do {
    const b = n & 0x7f;
    n >>>= 7;
    out.push(n ? b | 0x80 : b);
  } while (n);
  return out;
}
/** @param {number[][]} items */
const vec = (items) => [...uleb(items.length), ...items.flat()];
/** @param {string} s */
const name = (s) => vec([...new TextEncoder().encode(s)].map((b) => [b]));
/** @param {number} id @param {number[]} body */
const section = (id, body) => [id, ...uleb(body.length), ...body];
const isRef = (/** @type {string} */ t) => t in REF_TYPES;
function typeCode(/** @type {string} */ t) {
  const code = NUM_TYPES[t] ?? REF_TYPES[t];
  if (code === undefined) throw new Error(`unsupported value type ${t}`);
  return code;
}
const funcType = (/** @type {string[]} */ ps, /** @type {string[]} */ rs) =>
  [0x60, ...vec(ps.map((t) => [typeCode(t)])), ...vec(rs.map((t) => [typeCode(t)]))];

/**
 * Thunk: (import "t" "f" (func params -> results)) (import "t" "mem" (memory 1))
 * (func (export "run") (param <ref params>) (result <ref results>)) which loads numeric
 * arguments from slot i, calls f, stores numeric results to slot j and returns the references.
 * @param {string[]} params @param {string[]} results
 */
function buildThunk(params, results) {
  const refParams = params.filter(isRef);
  const memarg = (/** @type {number} */ slot) => [0x00, ...uleb(slot * SLOT)];
  const code = [];
  let refIndex = 0;
  params.forEach((t, i) => {
    if (isRef(t)) code.push(0x20, ...uleb(refIndex++));
    else code.push(0x41, 0x00, ...MEM_OPS[t][0], ...memarg(i));
  });
  code.push(0x10, 0x00);
  const local = (/** @type {number} */ j) => uleb(refParams.length + j);
  for (let j = results.length - 1; j >= 0; j--) code.push(0x21, ...local(j));
  results.forEach((t, j) => {
    if (!isRef(t)) code.push(0x41, 0x00, 0x20, ...local(j), ...MEM_OPS[t][1], ...memarg(j));
  });
  results.forEach((t, j) => {
    if (isRef(t)) code.push(0x20, ...local(j));
  });
  code.push(0x0b);
  const body = [...vec(results.map((t) => [1, typeCode(t)])), ...code];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([funcType(params, results), funcType(refParams, results.filter(isRef))])),
    ...section(2, vec([[...name('t'), ...name('f'), 0x00, 0x00], [...name('t'), ...name('mem'), 0x02, 0x00, 0x01]])),
    ...section(3, vec([[0x01]])),
    ...section(7, vec([[...name('run'), 0x00, 0x01]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

/** @param {Function} fn @param {string[]} params @param {string[]} results */
function thunkFor(fn, params, results) {
  const key = `${params}->${results}`;
  let byKey = thunkInstances.get(fn);
  if (!byKey) thunkInstances.set(fn, (byKey = new Map()));
  let run = byKey.get(key);
  if (!run) {
    let mod = thunkModules.get(key);
    if (!mod) thunkModules.set(key, (mod = new WebAssembly.Module(buildThunk(params, results))));
    run = /** @type {Function} */ (new WebAssembly.Instance(mod, { t: { f: fn, mem: scratch } }).exports.run);
    byKey.set(key, run);
  }
  return run;
}

const LANES = {
  i8: [1, 'getUint8', 'setUint8'], i16: [2, 'getUint16', 'setUint16'], i32: [4, 'getUint32', 'setUint32'],
  i64: [8, 'getBigUint64', 'setBigUint64'], f32: [4, 'getUint32', 'setUint32'], f64: [8, 'getBigUint64', 'setBigUint64'],
};

/** Bit pattern of a scalar (or lane) as the unsigned decimal string the JSON uses. */
function readBits(/** @type {string} */ t, /** @type {number} */ at) {
  const [, get] = LANES[t];
  return String(view[get](at, true));
}
function writeBits(/** @type {string} */ t, /** @type {number} */ at, /** @type {string} */ bits) {
  const [size, , set] = LANES[t];
  view[set](at, size === 8 ? BigInt(bits) : Number(bits), true);
}

/** @param {string} t @param {string} bits @param {string} pattern */
function matchesBits(t, bits, pattern) {
  if (!pattern.startsWith('nan:')) return bits === pattern;
  const canonical = pattern === 'nan:canonical';
  if (t === 'f32') {
    const b = Number(bits);
    return canonical ? (b & 0x7fffffff) === 0x7fc00000 : (b & 0x7fc00000) === 0x7fc00000;
  }
  const b = BigInt(bits);
  return canonical
    ? (b & 0x7fffffffffffffffn) === 0x7ff8000000000000n
    : (b & 0x7ff8000000000000n) === 0x7ff8000000000000n;
}

/**
 * Per-script interpretation of reference values: `externref N` is a host object that
 * stays the same for the same N within one script.
 */
class Refs {
  /** @type {Map<string, object>} */ #byNumber = new Map();
  /** @type {Map<unknown, string>} */ #numbers = new Map();
  /** @param {Value} v */
  toJS(v) {
    if (v.value === 'null' || v.value == null) return null;
    const n = String(v.value);
    if (v.type !== 'externref') throw new Error(`cannot create a ${v.type} ${n}`);
    let obj = this.#byNumber.get(n);
    if (!obj) {
      this.#byNumber.set(n, (obj = { externref: n }));
      this.#numbers.set(obj, n);
    }
    return obj;
  }
  /** @param {string} t @param {unknown} x */
  describe(t, x) {
    if (x === null) return `${t}:null`;
    const n = this.#numbers.get(x);
    return n === undefined ? `${t}:${typeof x}` : `${t}:${n}`;
  }
  /** @param {Value} exp @param {unknown} x */
  matches(exp, x) {
    if (exp.value === 'null' || exp.value === null) return x === null;
    // Only extern numbers name a host value; other non-null expectations accept any non-null ref.
    return exp.type === 'externref' && exp.value !== undefined ? x === this.toJS(exp) : x !== null;
  }
}

/**
 * An actual result: numeric values keep their bit pattern(s), references their JS value.
 * @typedef {{ type: string, bits?: string, lanes?: Uint8Array, ref?: unknown }} Result
 */

/** @param {Result} r @param {Value | undefined} exp @param {Refs} refs */
function describe(r, exp, refs) {
  if (r.type === 'v128') {
    const laneType = exp?.lane_type ?? 'i32';
    const [size, get] = LANES[laneType];
    const v = new DataView(r.lanes.buffer);
    const lanes = Array.from({ length: 16 / size }, (_, i) => String(v[get](i * size, true)));
    return `v128:${laneType}[${lanes.join(' ')}]`;
  }
  return isRef(r.type) ? refs.describe(r.type, r.ref) : `${r.type}:${r.bits}`;
}

/** @param {Result} r @param {Value} exp @param {Refs} refs */
function matches(r, exp, refs) {
  if (r.type !== exp.type) return false;
  if (isRef(r.type)) return refs.matches(exp, r.ref);
  if (r.type !== 'v128') return matchesBits(r.type, r.bits, /** @type {string} */ (exp.value));
  const [size, get] = LANES[exp.lane_type];
  const v = new DataView(r.lanes.buffer);
  return /** @type {string[]} */ (exp.value).every((p, i) =>
    matchesBits(exp.lane_type, String(v[get](i * size, true)), p));
}

/** @param {Value} v */
function describeExpected(v) {
  if (v.type === 'v128') return `v128:${v.lane_type}[${/** @type {string[]} */ (v.value).join(' ')}]`;
  return `${v.type}:${v.value}`;
}

/** Short deterministic description of an error; byte offsets are dropped so re-encoded binaries compare equal. */
function describeError(/** @type {unknown} */ e) {
  if (e instanceof WebAssembly.Exception) return 'exception';
  if (!(e instanceof Error)) return `thrown ${typeof e}`;
  if (e instanceof RangeError && /call stack/i.test(e.message)) return 'exhaustion';
  const kind = e instanceof WebAssembly.RuntimeError ? 'trap'
    : e instanceof WebAssembly.CompileError ? 'compile-error'
    : e instanceof WebAssembly.LinkError ? 'link-error'
    : e.name;
  return `${kind}: ${e.message.replace(/ ?@\+\d+/g, '')}`;
}

/** @param {string} detail @param {string | undefined} text */
function trapMatches(detail, text) {
  if (!detail.startsWith('trap: ')) return false;
  const entry = TRAP_MESSAGES.find(([prefix]) => text?.startsWith(prefix));
  return !entry || entry[1].test(detail);
}

function makeSpectest() {
  const print = () => {};
  const global = (/** @type {string} */ value, /** @type {number | bigint} */ init) =>
    new WebAssembly.Global({ value: /** @type {WebAssembly.ValueType} */ (value), mutable: false }, init);
  return {
    print, print_i32: print, print_i64: print, print_f32: print, print_f64: print,
    print_i32_f32: print, print_f64_f64: print,
    global_i32: global('i32', 666), global_i64: global('i64', 666n),
    global_f32: global('f32', 666.6), global_f64: global('f64', 666.6),
    table: new WebAssembly.Table({ element: 'anyfunc', initial: 10, maximum: 20 }),
    memory: new WebAssembly.Memory({ initial: 1, maximum: 2 }),
    shared_memory: new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true }),
  };
}

/** Commands that only check the front end; a differential run has nothing to execute for them. */
const SKIPPED = new Set(['assert_invalid', 'assert_malformed']);

/**
 * Run one wast2json script in this process.
 * @param {string} jsonPath
 * @param {{ loadBinary: (filename: string, bytes: Uint8Array) => Uint8Array | Promise<Uint8Array> }} options
 * @returns {Promise<{ commands: Outcome[], counts: { total: number, passed: number, failed: number, skipped: number } }>}
 */
export async function runScript(jsonPath, { loadBinary }) {
  const dir = path.dirname(jsonPath);
  /** @type {{ commands: Command[] }} */
  const script = JSON.parse(await readFile(jsonPath, 'utf8'));
  /** @type {Record<string, object>} */
  const registry = { spectest: makeSpectest() };
  // An unknown import module must fail linking with a LinkError (spec "unknown import"), not a TypeError.
  const imports = new Proxy(registry, { get: (target, key) => target[/** @type {string} */ (key)] ?? {} });
  /** @type {Map<string, Entry>} */
  const named = new Map();
  /** @type {Entry | undefined} */
  let current;
  const refs = new Refs();

  /** @returns {Promise<Entry & { kind?: 'load-error', message?: string }>} */
  async function instantiate(/** @type {string} */ filename) {
    const original = new Uint8Array(await readFile(path.join(dir, filename)));
    let bytes;
    try {
      bytes = await loadBinary(filename, original);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      return { error: `load-error: ${message}`, kind: 'load-error', message };
    }
    try {
      return { exports: new WebAssembly.Instance(new WebAssembly.Module(bytes), imports).exports };
    } catch (e) {
      return { error: describeError(e) };
    }
  }

  /**
   * @param {Action} action @param {Value[]} resultTypes
   * @returns {{ results: Result[] } | { error: string }}
   */
  function perform(action, resultTypes) {
    const entry = action.module ? named.get(action.module) : current;
    if (!entry) return { error: `no module ${action.module ?? ''}`.trim() };
    if ('error' in entry) return { error: `module unavailable (${entry.error})` };
    const target = entry.exports[action.field];
    if (action.type === 'get') {
      if (!(target instanceof WebAssembly.Global)) return { error: `no global ${action.field}` };
      return read(resultTypes, () => {
        const { type } = resultTypes[0];
        if (isRef(type)) return target.value;
        // JS only exposes the global as a number; its bits are recovered through the scratch memory.
        const [size] = LANES[type];
        if (type[0] === 'f') view[size === 4 ? 'setFloat32' : 'setFloat64'](0, target.value, true);
        else writeBits(type, 0, String(BigInt.asUintN(size * 8, BigInt(target.value))));
      });
    }
    if (typeof target !== 'function') return { error: `no function ${action.field}` };
    const args = action.args ?? [];
    let run;
    try {
      run = thunkFor(target, args.map((a) => a.type), resultTypes.map((r) => r.type));
    } catch (e) {
      return { error: `signature: ${describeError(e)}` };
    }
    return read(resultTypes, () => {
      args.forEach((a, i) => {
        if (a.type === 'v128') {
          const [size] = LANES[a.lane_type];
          /** @type {string[]} */ (a.value).forEach((lane, k) => writeBits(a.lane_type, i * SLOT + k * size, lane));
        } else if (!isRef(a.type)) writeBits(a.type, i * SLOT, /** @type {string} */ (a.value));
      });
      return run(...args.filter((a) => isRef(a.type)).map((a) => refs.toJS(a)));
    });
  }

  /**
   * Call `go` and collect results: numeric ones from the scratch slots, references from its return value.
   * @param {Value[]} resultTypes @param {() => unknown} go
   */
  function read(resultTypes, go) {
    let returned;
    try {
      returned = go();
    } catch (e) {
      return { error: describeError(e) };
    }
    const refResults = resultTypes.filter((r) => isRef(r.type)).length > 1 ? [...returned] : [returned];
    return {
      results: resultTypes.map(({ type }, j) => {
        if (isRef(type)) return { type, ref: refResults.shift() };
        if (type === 'v128') return { type, lanes: new Uint8Array(scratch.buffer.slice(j * SLOT, j * SLOT + 16)) };
        return { type, bits: readBits(type, j * SLOT) };
      }),
    };
  }

  /** @param {Command} cmd @returns {Promise<Omit<Outcome, 'line' | 'type'> | undefined>} */
  async function execute(cmd) {
    switch (cmd.type) {
      case 'module': {
        const entry = await instantiate(/** @type {string} */ (cmd.filename));
        current = entry;
        if (cmd.name) named.set(cmd.name, entry);
        if ('exports' in entry) return { ok: true, detail: 'instantiated' };
        return { ok: false, detail: entry.error, ...(entry.kind && { kind: entry.kind, message: entry.message }) };
      }
      case 'register': {
        const entry = cmd.name ? named.get(cmd.name) : current;
        if (!entry) return { ok: false, detail: `no module ${cmd.name ?? ''}`.trim() };
        if ('error' in entry) return { ok: false, detail: `module unavailable (${entry.error})` };
        registry[/** @type {string} */ (cmd.as)] = entry.exports;
        return { ok: true, detail: 'registered' };
      }
      case 'assert_unlinkable':
      case 'assert_uninstantiable': {
        const entry = await instantiate(/** @type {string} */ (cmd.filename));
        if ('exports' in entry) return { ok: false, detail: 'instantiated' };
        const ok = cmd.type === 'assert_unlinkable'
          ? entry.error.startsWith('link-error: ')
          : trapMatches(entry.error, cmd.text);
        return { ok, detail: entry.error };
      }
      case 'action':
      case 'assert_return':
      case 'assert_trap':
      case 'assert_exhaustion':
      case 'assert_exception': {
        const expected = cmd.expected ?? (cmd.either ? [cmd.either[0]] : []);
        const outcome = perform(/** @type {Action} */ (cmd.action), expected);
        if ('error' in outcome) {
          const ok = cmd.type === 'assert_trap' ? trapMatches(outcome.error, cmd.text)
            : cmd.type === 'assert_exhaustion' ? outcome.error === 'exhaustion'
            : cmd.type === 'assert_exception' && outcome.error === 'exception';
          return { ok, detail: outcome.error };
        }
        const { results } = outcome;
        const detail = results.map((r, j) => describe(r, expected[j], refs)).join(' ') || 'void';
        if (cmd.type === 'action') return { ok: true, detail };
        if (cmd.type !== 'assert_return') return { ok: false, detail: `returned ${detail}` };
        const ok = cmd.either
          ? cmd.either.some((alt) => matches(results[0], alt, refs))
          : results.every((r, j) => matches(r, expected[j], refs));
        const want = (cmd.either ?? expected).map(describeExpected).join(cmd.either ? ' | ' : ' ');
        return { ok, detail: ok ? detail : `${detail}; expected ${want || 'void'}` };
      }
      default:
        return undefined;
    }
  }

  /** @type {Outcome[]} */
  const outcomes = [];
  const counts = { total: script.commands.length, passed: 0, failed: 0, skipped: 0 };
  for (const cmd of script.commands) {
    const result = SKIPPED.has(cmd.type) ? undefined : await execute(cmd);
    if (!result) {
      counts.skipped++;
      continue;
    }
    outcomes.push({ line: cmd.line, type: cmd.type, ...result });
    counts[result.ok ? 'passed' : 'failed']++;
  }
  return { commands: outcomes, counts };
}
