// The Asyncify differential fuzzer's engine (used by test/asyncify-fuzz.test.mjs), and a
// command line to reproduce or explore one seed:
//
//   node test/asyncify/fuzz-run.mjs SEED [COUNT] [--keep DIR] [--binaryen]
//
// For each seed: generate a module (fuzz-gen.mjs), assemble it with wabt's wat2wasm,
// run a seeded list of export calls on it with every import synchronous (the oracle),
// asyncify it with weft (options vary with the seed), validate the output with weft's
// validator and V8, and run the same calls with `env.sleep`/`env.sleep_v` suspending at
// seeded random times. The logs (every import call with its arguments, every export's
// result) must be equal. --keep writes SEED.wat / .wasm / .async.wasm into DIR;
// --binaryen also runs binaryen.js's (npm binaryen) asyncify output through the same host.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseModule, readModule, writeModule, validate } from '../../dist/src/index.js';
import { asyncify } from '../../dist/src/passes/asyncify/index.js';
import { generate, rng } from './fuzz-gen.mjs';

const DATA = 4096; // the asyncify buffer header; frames from DATA + 8 to the end of page 0
const END = 65536;
const MAX_SLEEPS = 20000; // per export call: a runaway guard (the same in both runs)

export function assemble(wat, dir, name, { names = false } = {}) {
  const watPath = join(dir, `${name}.wat`);
  const wasmPath = join(dir, `${name}.wasm`);
  writeFileSync(watPath, wat);
  const flags = ['--enable-tail-call', '--enable-exceptions', ...(names ? ['--debug-names'] : [])];
  const r = spawnSync('wat2wasm', [...flags, watPath, '-o', wasmPath], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wat2wasm rejects the generated module: ${r.stderr}`);
  return readFileSync(wasmPath);
}

export function assembleWeft(wat, dir, name) {
  writeFileSync(join(dir, `${name}.wat`), wat);
  const bytes = writeModule(parseModule(wat));
  writeFileSync(join(dir, `${name}.wasm`), bytes);
  return bytes;
}

/** The export calls of a seed: [{ name, args, fuel }]. */
export function plan(seed, funcs) {
  const R = rng(seed ^ 0x5bd1e995);
  const calls = [];
  const n = R.range(3, 6);
  for (let i = 0; i < n; i++) {
    const f = R.pick(funcs);
    const args = f.params.map((t) => {
      switch (t) {
        case 'i32': return R.pick([0, 1, -1, 5, 0x7fffffff, R.int(2000) - 1000]);
        case 'i64': return R.pick([0n, 1n, -1n, 123456789012345n, BigInt(R.int(2000) - 1000)]);
        case 'f32': return Math.fround(R.pick([0, -0, 1.5, -3, 1e30, NaN, R.int(1000) / 8]));
        default: return R.pick([0, -0, 2.5, -1e-300, Infinity, R.int(100000) / 64]);
      }
    });
    calls.push({ name: f.name, args, fuel: R.range(3, 40) });
  }
  return calls;
}

const show = (v) => {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (Array.isArray(v)) return `[${v.map(show).join(',')}]`;
  if (typeof v === 'object' && v !== null) return 'ref'; // a GC struct: opaque to JS (its field is logged in wasm)
  return String(v);
};

/**
 * Runs the calls on `bytes`. When the module is asyncified, sleep/sleep_v suspend with
 * probability `p` (from the seeded `suspendSeed`). Returns { log, suspensions }.
 */
export async function run(bytes, calls, { suspendSeed = 1, p = 0.5, mem64: mainMem64 = false, nested = [], end = END } = {}) {
  let mem64 = mainMem64; // of the buffer's memory: a secondary one is 32-bit (as Binaryen's)
  let P = DATA;
  const module = await WebAssembly.compile(bytes);
  const log = [];
  let e = null;
  let asyncified = false;
  let rewinding = false;
  const pending = []; // results of suspended imports, innermost last (nested calls stack)
  let suspensions = 0;
  let sleeps = 0;
  let firstEntries = 0;
  let sleepV = 0;
  let depth = 0; // nested export calls in progress
  let nests = 0;
  let nestNext = null; // a nested call to run while this suspension is paused
  const R = rng(suspendSeed);
  const guard = () => {
    if (++sleeps > MAX_SLEEPS) throw new Error('too many sleeps');
  };
  // Every so often (the same sleeps in both runs) a sleep runs another export to
  // completion while it is pending: re-entrantly inside the import when it does not
  // suspend, or from the host while this stack is unwound (LIFO in the same buffer).
  const nestFor = () => {
    const n = firstEntries++;
    if (!nested.length || depth > 0 || nests >= 3 || ((Math.imul(n + 1, 0x9e3779b1) >>> 27) !== 5)) return null;
    nests++;
    return nested[n % nested.length];
  };
  const suspendOr = (value, nest) => {
    if (asyncified && R.chance(p)) {
      suspensions++;
      pending.push(value);
      nestNext = nest;
      e.asyncify_start_unwind(P);
      return 0;
    }
    if (nest) drive(nest, true);
    return value;
  };
  const resume = () => {
    rewinding = false;
    e.asyncify_stop_rewind();
    return pending.pop();
  };
  const env = {
    sleep: (x) => {
      if (rewinding) return void resume();
      guard();
      log.push(`sleep ${x}`);
      suspendOr(undefined, nestFor());
    },
    sleep_v: (x) => {
      if (rewinding) return resume();
      guard();
      log.push(`sleep_v ${x}`);
      return suspendOr((Math.imul(x, 7) + sleepV++) | 0, nestFor());
    },
  };
  for (const t of ['i32', 'i64', 'f32', 'f64']) env[`log_${t}`] = (v) => void log.push(`log_${t} ${show(v)}`);
  const objs = new Map(); // stable identities: obj(n) is always the same object
  env.obj = (n) => {
    if (!objs.has(n)) objs.set(n, { id: n });
    return objs.get(n);
  };
  env.log_ref = (x) => void log.push(`log_ref ${x === null ? 'null' : typeof x === 'object' && 'id' in x ? `obj${x.id}` : `?${String(x)}`}`);
  env.gimp = 5;
  // --import-globals: the state and data pointer come from the host.
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.name === '__asyncify_state') env[imp.name] = new WebAssembly.Global({ value: 'i32', mutable: true }, 0);
    if (imp.name === '__asyncify_data') env[imp.name] = new WebAssembly.Global({ value: mem64 ? 'i64' : 'i32', mutable: true }, mem64 ? 0n : 0);
  }
  const instance = await WebAssembly.instantiate(module, { env });
  e = instance.exports;
  asyncified = typeof e.asyncify_get_state === 'function';
  // --in-secondary-memory: the buffer lives in asyncify_memory.
  const bufMemory = () => e.asyncify_memory ?? e.memory;
  if (e.asyncify_memory) mem64 = false;
  if (mem64) P = BigInt(DATA);
  const mem = () => new DataView(bufMemory().buffer);
  const FRAMES = mem64 ? DATA + 16 : DATA + 8;
  const pos = () => (mem64 ? Number(mem().getBigUint64(DATA, true)) : mem().getUint32(DATA, true));
  if (asyncified && mem64) {
    mem().setBigUint64(DATA, BigInt(FRAMES), true);
    mem().setBigUint64(DATA + 8, BigInt(end), true);
  } else if (asyncified) {
    mem().setUint32(DATA, FRAMES, true);
    mem().setUint32(DATA + 4, end, true);
  }
  // With a small buffer: a guard zone after `end` that no frame may touch.
  const GUARD = end < END ? Math.min(256, END - end) : 0;
  if (asyncified) new Uint8Array(bufMemory().buffer, end, GUARD).fill(0xa5);
  const guardIntact = () => new Uint8Array(bufMemory().buffer, end, GUARD).every((b) => b === 0xa5);
  // Runs one export call to completion, driving its suspensions.
  function drive(c, isNested) {
    if (isNested) {
      // A nested call's exception or trap ends it alone: it must not reach the paused
      // caller (which it would, through the import, only in the synchronous case).
      try {
        return drive1(c, true);
      } catch (err) {
        log.push(`nested ${c.name} trap: ${err instanceof WebAssembly.Exception ? 'wasm exception' : err.message}`);
        return;
      }
    }
    return drive1(c, false);
  }
  function drive1(c, isNested) {
    depth += isNested ? 1 : 0;
    e.init(c.fuel);
    let result;
    const start = asyncified ? pos() : 0;
    try {
      for (;;) {
        result = e[c.name](...c.args);
        if (!asyncified || e.asyncify_get_state() === 0) break;
        if (e.asyncify_get_state() !== 1) throw new Error(`the export returned in asyncify state ${e.asyncify_get_state()}`);
        e.asyncify_stop_unwind();
        if (nestNext) {
          const n = nestNext;
          nestNext = null;
          drive(n, true);
        }
        e.asyncify_start_rewind(P);
        rewinding = true;
      }
    } finally {
      depth -= isNested ? 1 : 0;
    }
    if (asyncified && pos() !== start) throw new Error(`buffer position not restored: ${pos()} (was ${start})`);
    log.push(`${isNested ? 'nested ' : ''}${c.name}(${c.args.map(show).join(',')}) = ${show(result)}`);
  }
  for (const c of calls) {
    sleeps = 0;
    nests = 0;
    try {
      drive(c, false);
    } catch (err) {
      log.push(`${c.name} trap: ${err instanceof WebAssembly.Exception ? 'wasm exception' : err.message}`);
      if (GUARD && !guardIntact()) log.push('memory past the buffer end was written');
      return { log, suspensions };
    }
  }
  if (GUARD && !guardIntact()) log.push('memory past the buffer end was written');
  return { log, suspensions };
}

/** The weft options a seed uses. */
export function optionsFor(seed, v3 = false) {
  // -O (optimize) on every other group of six seeds,
  // --asserts (a call deemed safe that changes the state traps) on every other twelve
  const o = optionsFor1(seed, v3);
  if (Math.floor(seed / 12) % 2) o.asserts = true;
  // and every loop with a site peeled on every other three
  if (Math.floor(seed / 3) % 2) o.peelSites = 1;
  return Math.floor(seed / 6) % 2 ? { ...o, optimize: true } : o;
}
function optionsFor1(seed, v3) {
  switch (seed % 6) {
    case 0: return { imports: ['env.sleep', 'env.sleep_v'] };
    case 1: return {}; // every import may unwind (the log imports too)
    case 2: return { imports: ['env.sleep*'] };
    case 3: return { imports: ['env.sleep*'], exportGlobals: true };
    case 4: return { imports: ['env.sleep', 'env.sleep_v'], importGlobals: true };
    // (a second memory needs Node 26)
    default: return v3 ? { imports: ['env.sleep*'], secondaryMemoryPages: 1 } : { importGlobals: true };
  }
}

export function cliFlags(options) {
  return [...(options.imports ? ['--imports', options.imports.join(',')] : []), ...(options.exportGlobals ? ['--export-globals'] : []),
    ...(options.importGlobals ? ['--import-globals'] : []), ...(options.secondaryMemoryPages ? [`--in-secondary-memory=${options.secondaryMemoryPages}`] : []), ...(options.optimize ? ['-O'] : []), ...(options.asserts ? ['--asserts'] : []),
    ...(options.peelSites ? ['--peel', String(options.peelSites)] : [])];
}

/**
 * Checks one seed. Returns { ok, seed, message?, suspensions, ... }; with `keep`, writes
 * the module files there.
 */
export async function checkSeed(seed, { keep = null, binaryen = false, genOptions = {} } = {}) {
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'weft-fuzz-'));
  if (keep) mkdirSync(keep, { recursive: true });
  const name = `seed${seed}`;
  try {
    const g = generate(seed, { ...(seed % 4 === 0 ? { stmtBudget: 90, maxFuncs: 8 } : {}), ...genOptions });
    const v3 = !!genOptions.v3;
    // wabt cannot assemble the 3.0 constructs; weft's text parser can.
    const bytes = v3 ? assembleWeft(g.wat, dir, name) : assemble(g.wat, dir, name, { names: seed % 5 === 0 });
    if (!WebAssembly.validate(bytes)) return { ok: false, seed, message: 'the generated module is invalid (V8)' };
    const calls = plan(seed, g.funcs);
    const nested = plan(seed + 1_000_003, g.funcs).map((c) => ({ ...c, fuel: Math.min(c.fuel, 12) }));
    const oracle = await run(bytes, calls, { mem64: v3, nested });
    const options = optionsFor(seed, v3);
    let out;
    let report;
    try {
      const m = readModule(bytes);
      report = asyncify(m, options);
      out = writeModule(m);
    } catch (err) {
      return { ok: false, seed, message: `weft asyncify throws: ${err.message}` };
    }
    if (keep) writeFileSync(join(dir, `${name}.async.wasm`), out);
    const errors = validate(readModule(out));
    if (errors.length) return { ok: false, seed, message: `weft's validator rejects the output: func ${errors[0].func} at ${errors[0].offset}: ${errors[0].message}` };
    if (!WebAssembly.validate(out)) {
      let why = '';
      try {
        new WebAssembly.Module(out);
      } catch (err) {
        why = err.message;
      }
      return { ok: false, seed, message: `V8 rejects the output: ${why}` };
    }
    const R = rng(seed * 31 + 7);
    const p = R.pick([0.2, 0.5, 1]);
    async function binaryenCheck() {
      // npm binaryen (binaryen.js, v132) as a second asyncifier through the same host.
      const { default: B } = await import('binaryen');
      let bout;
      try {
        const bm = B.readBinary(bytes);
        bm.setFeatures(B.Features.MVP | B.Features.Multivalue | B.Features.SignExt | B.Features.NontrappingFPToInt | B.Features.BulkMemory | B.Features.ReferenceTypes | B.Features.MutableGlobals);
        B.setPassArgument('asyncify-imports', options.imports ? options.imports.join(',') : null);
        bm.runPasses(['asyncify']);
        bout = bm.emitBinary().slice();
        bm.dispose();
      } catch (err) {
        return `binaryen fails: ${err.message}`;
      }
      if (bout) {
        const b = await run(bout, calls, { suspendSeed: seed, p, nested });
        const d = firstDiff(oracle.log, b.log);
        return d ? `binaryen's output differs:\n${d}` : 'same';
      }
    }
    const got = await run(out, calls, { suspendSeed: seed, p, mem64: v3, nested });
    const diff = firstDiff(oracle.log, got.log);
    if (diff) return { ok: false, seed, message: `output differs from the untransformed run (suspend p=${p}):\n${diff}`, binaryen: binaryen ? await binaryenCheck() : undefined };
    // A buffer too small (every seventh seed): the run must equal the untransformed one
    // until a trap ("unreachable") at an unwind that would overflow, and nothing may be
    // written past `end`.
    if (seed % 7 === 3 && got.suspensions > 0) {
      const small = 4104 + 16 + R.int(200);
      // (no nested calls here: a nested call's overflow would not end the run)
      const plain = (await run(bytes, calls, { mem64: v3 })).log;
      const o = await run(out, calls, { suspendSeed: seed, p, mem64: v3, end: small + (v3 ? 8 : 0) });
      const i = o.log.findIndex((x, j) => x !== plain[j]);
      if (i >= 0 && !(i === o.log.length - 1 && /trap: .*unreachable/.test(o.log[i]))) {
        return { ok: false, seed, message: `with a ${small - 4104} B buffer:\n${firstDiff(plain, o.log)}` };
      }
    }
    const res = { ok: true, seed, suspensions: got.suspensions, events: oracle.log.length, sites: report.sites, instrumented: report.instrumented };
    if (binaryen) res.binaryen = await binaryenCheck();
    return res;
  } catch (err) {
    return { ok: false, seed, message: `harness error: ${err.stack}` };
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

function firstDiff(a, b) {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) {
      const from = Math.max(0, i - 3);
      const ctx = (xs) => xs.slice(from, i + 2).map((x, j) => `    ${from + j === i ? '>' : ' '} ${x ?? '(end)'}`).join('\n');
      return `  at event ${i}:\n  expected (untransformed):\n${ctx(a)}\n  got (asyncified):\n${ctx(b)}`;
    }
  }
  return null;
}

export function reproCommand(seed, v3 = false) {
  if (v3) return `$(node scripts/node26.mjs) test/asyncify/fuzz-run.mjs ${seed} --v3 --keep /tmp/weft-fuzz-v3-${seed}`;
  return `node test/asyncify/fuzz-run.mjs ${seed} --keep /tmp/weft-fuzz-${seed}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const keepAt = argv.indexOf('--keep');
  const keep = keepAt >= 0 ? argv[keepAt + 1] : null;
  const binaryen = argv.includes('--binaryen');
  const v3 = argv.includes('--v3');
  const nums = argv.filter((a, i) => /^\d+$/.test(a) && (keepAt < 0 || i !== keepAt + 1)).map(Number);
  const first = nums[0] ?? 1;
  const count = nums[1] ?? 1;
  let failed = 0;
  for (let s = first; s < first + count; s++) {
    const r = await checkSeed(s, { keep, binaryen, genOptions: v3 ? { v3 } : {} });
    if (!r.ok) {
      failed++;
      console.log(`seed ${s}: FAIL ${r.message}`);
    } else if (count === 1 || binaryen) console.log(`seed ${s}: ok (${r.events} events, ${r.suspensions} suspensions, ${r.sites} sites)${r.binaryen ? `; binaryen: ${r.binaryen}` : ''}`);
  }
  if (keep) console.log(`files in ${keep}; weft: node dist/src/cli/main.js asyncify ${keep}/seed${first}.wasm -o ${keep}/seed${first}.async.wasm ${cliFlags(optionsFor(first, v3)).join(' ')}`);
  if (count > 1) console.log(`${count - failed}/${count} seeds ok`);
  process.exit(failed ? 1 : 0);
}
