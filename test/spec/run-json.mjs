// Differential execution harness for WABT `wast2json` spec test scripts.
//
// Every invocation goes through a tiny generated "thunk" module that imports the target
// function, loads its arguments from a scratch memory and stores its results back there.
// Calling through wasm instead of the JS API keeps i64, v128 and NaN payloads bit-exact:
// JS cannot pass v128 at all and does not promise to preserve NaN bits of f32/f64.
// The thunks and the engine plumbing live in src/text/host.ts, shared with `weft wast`.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  describeError, isRefName, makeSpectest, nan32Matches, nan64Matches, passesJS, scratchBytes, scratchView, SLOT, thunkFor, trapMatches,
} from '../../dist/src/text/host.js';

/**
 * @typedef {{ type: string, value?: string | string[] | null, lane_type?: string }} Value
 * @typedef {{ type: 'invoke' | 'get', module?: string, field: string, args?: Value[] }} Action
 * @typedef {{ line: number, type: string, ok: boolean, detail: string, kind?: 'load-error', message?: string }} Outcome
 * @typedef {{ exports: WebAssembly.Exports } | { error: string }} Entry
 * @typedef {{ line: number, type: string, filename?: string, name?: string, as?: string,
 *   action?: Action, expected?: Value[], either?: Value[], text?: string, module_type?: string }} Command
 */

const view = scratchView;
const isRef = isRefName;

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
  return t === 'f32' ? nan32Matches(Number(bits), pattern) : nan64Matches(BigInt(bits), pattern);
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
      return run(...args.filter((a) => passesJS(a.type)).map((a) => refs.toJS(a)));
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
    const refResults = resultTypes.filter((r) => passesJS(r.type)).length > 1 ? [...returned] : [returned];
    return {
      results: resultTypes.map(({ type }, j) => {
        if (isRef(type)) return { type, ref: passesJS(type) ? refResults.shift() : scratchView.getInt32(j * SLOT, true) ? null : 'exnref' };
        if (type === 'v128') return { type, lanes: scratchBytes(j * SLOT, 16) };
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
