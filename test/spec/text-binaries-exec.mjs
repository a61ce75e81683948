// Differential check of weft's round trip on the binaries test/text-binaries.test.mjs
// assembles from the spec suite's text modules, in this process's V8 (meant for Node 26:
// GC, exnref, memory64, typed function references).
//
// Reads JSON on stdin: [{ where, orig: base64, rt: base64 | null }] (rt is null when weft
// rejected the original). For each module:
//   - WebAssembly.validate must agree on the original and the round-tripped binary
//     (and a module weft rejects must be one V8 rejects too);
//   - where the original validates, both are instantiated with equal, fresh dummy imports
//     (built from the original's import types, spectest-like where the names match) and
//     must succeed or fail alike, with the same error;
//   - every exported function without parameters is called on both, in export order,
//     and must return the same value or throw the same error class and message.
// Calls and instantiations run in a worker under a watchdog, so an endless loop costs
// one timeout (an outcome like any other) instead of the run.
// Prints one JSON line: counts and the differences.
import { setFlagsFromString } from 'node:v8';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import {
  ExternKind, F32, F64, HeapCode, heapFromCode, I32, I64, isRefType, readModule, refHeap, refNullable, V128,
} from '../../dist/src/index.js';
import { validate } from '../../dist/src/validate/module.js';

/**
 * Modules the spec holds valid that this V8 rejects: proposals it lacks (custom page
 * sizes, wide arithmetic) and its implementation limits on memory and table sizes.
 */
const V8_GAPS = [/custom-page-sizes/, /wide-arithmetic/, /^memory64\.wast:[89]$/, /^table(64)?\.wast:9$/];

// The custom-descriptors proposal's modules need V8's flag for it (process-wide, so the
// worker has it too); it only adds to what V8 accepts, so the other modules are judged
// as before. weft checks those modules by that proposal's rules (`weft wast` does too).
setFlagsFromString('--experimental-wasm-custom-descriptors');
const featuresFor = (where) => (where.startsWith('proposals/custom-descriptors/') ? { customDescriptors: true } : {});

function weftValid(bytes, where) {
  try {
    return validate(readModule(bytes), { firstOnly: true, features: featuresFor(where) }).length === 0;
  } catch (e) {
    if (e.name === 'WasmDecodeError') return false;
    throw e;
  }
}

/** How long one instantiation or call may run before it counts as a timeout. */
const STEP_LIMIT_MS = 1500;

async function main() {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const modules = JSON.parse(input);
  const report = {
    modules: modules.length, weftRejected: 0, validatorAgrees: 0, validatorV8Gaps: [], validated: 0, invalid: 0, instantiated: 0,
    instantiationFailed: 0, calls: 0, timeouts: 0, stepLimitMs: STEP_LIMIT_MS, differences: [],
    /** Where: the modules V8 rejects, the steps that timed out, the instantiations that failed. */
    invalidModules: [], timedOut: [], failedInstantiations: [],
  };
  /** Execution jobs: modules whose original validates. */
  const jobs = [];
  for (const [index, mod] of modules.entries()) {
    const orig = Buffer.from(mod.orig, 'base64');
    const a = WebAssembly.validate(orig);
    if (mod.rt === null) {
      report.weftRejected++;
      if (a) report.differences.push(`${mod.where}: weft rejects it (${mod.weftError}), V8 validates it`);
      continue;
    }
    // weft's validator must give V8's verdict.
    const w = weftValid(orig, mod.where);
    if (w === a) report.validatorAgrees++;
    else if (w && V8_GAPS.some((re) => re.test(mod.where))) report.validatorV8Gaps.push(mod.where);
    else report.differences.push(`${mod.where}: weft's validator says ${w ? 'valid' : 'invalid'}, V8 ${a ? 'valid' : 'invalid'}`);
    const rt = Buffer.from(mod.rt, 'base64');
    const b = WebAssembly.validate(rt);
    if (a !== b) report.differences.push(`${mod.where}: WebAssembly.validate gives ${a} on the original, ${b} round-tripped`);
    if (!a) {
      report.invalid++;
      report.invalidModules.push(mod.where);
      continue;
    }
    report.validated++;
    if (b) jobs.push({ index, where: mod.where, orig, rt });
  }
  const results = await runJobs(jobs);
  for (const job of jobs) {
    const r = results.get(job.index);
    for (const step of r.steps) {
      if (step.a === 'timeout') report.timeouts++;
      if (step.b === 'timeout') report.timeouts++;
      if (step.a === 'timeout' || step.b === 'timeout') report.timedOut.push(`${job.where}: ${step.what}`);
      if (step.a !== step.b) report.differences.push(`${job.where}: ${step.what}: original ${step.a}, round-tripped ${step.b}`);
    }
    if (r.steps[0].a === 'ok') report.instantiated++;
    else {
      report.instantiationFailed++;
      report.failedInstantiations.push(`${job.where}: ${r.steps[0].a}`);
    }
    report.calls += r.steps.length - 1;
  }
  console.log(JSON.stringify(report));
}

/**
 * Runs the jobs in a worker. The worker publishes [job index, step, busy] in shared memory;
 * a step that stays busy longer than STEP_LIMIT_MS is a timeout: the worker is terminated
 * and a new one resumes at that job, with the step's outcome forced to 'timeout'.
 */
function runJobs(jobs) {
  const results = new Map();
  const state = new Int32Array(new SharedArrayBuffer(12));
  /** Forced outcomes per job index: step number → outcome. */
  const forced = new Map();
  if (jobs.length === 0) return Promise.resolve(results);
  return new Promise((resolve, reject) => {
    let worker = null;
    let seen = '';
    let since = 0;
    const start = (from) => {
      Atomics.store(state, 2, 0);
      seen = '';
      worker = new Worker(new URL(import.meta.url), {
        workerData: { jobs: jobs.slice(from), forced: Object.fromEntries(forced), state: state.buffer },
      });
      worker.on('message', (r) => {
        results.set(r.index, r);
        if (results.size < jobs.length) return;
        clearInterval(watch);
        worker.terminate().then(() => resolve(results));
      });
      worker.on('error', (e) => {
        clearInterval(watch);
        reject(e);
      });
    };
    const restart = (job, step) => {
      const old = worker;
      worker = null;
      old.removeAllListeners('message');
      old.removeAllListeners('error');
      old.terminate().then(() => {
        const f = forced.get(job) ?? {};
        f[step] = 'timeout';
        forced.set(job, f);
        const from = jobs.findIndex((j) => j.index === job);
        for (const j of jobs.slice(from)) results.delete(j.index);
        start(from);
      });
    };
    const watch = setInterval(() => {
      if (!worker || !Atomics.load(state, 2)) {
        seen = '';
        return;
      }
      const job = Atomics.load(state, 0);
      const step = Atomics.load(state, 1);
      const key = `${job}:${step}`;
      if (key !== seen) {
        seen = key;
        since = performance.now();
      } else if (performance.now() - since > STEP_LIMIT_MS) {
        restart(job, step);
      }
    }, 50);
    start(0);
  });
}

function worker() {
  const { jobs, forced, state: buffer } = workerData;
  const state = new Int32Array(buffer);
  for (const job of jobs) parentPort.postMessage(runJob(job, forced[job.index] ?? {}, state));
}

/** Runs one job: instantiate both (step 0/1), then each parameterless export (steps 2k/2k+1). */
function runJob(job, forced, state) {
  let stepNo = 0;
  const guarded = (fn, exports = null) => {
    const s = stepNo++;
    if (forced[s]) return forced[s];
    Atomics.store(state, 0, job.index);
    Atomics.store(state, 1, s);
    Atomics.store(state, 2, 1);
    try {
      return describe(fn());
    } catch (e) {
      return describeError(e, exports);
    } finally {
      Atomics.store(state, 2, 0);
    }
  };
  const origModule = new WebAssembly.Module(job.orig);
  const rtModule = new WebAssembly.Module(job.rt);
  const imports = importRecipe(origModule, job.orig);
  let origInstance = null;
  let rtInstance = null;
  const steps = [];
  const a = guarded(() => { origInstance = new WebAssembly.Instance(origModule, imports()); });
  const b = guarded(() => { rtInstance = new WebAssembly.Instance(rtModule, imports()); });
  steps.push({ what: 'instantiation', a: a === 'undefined' ? 'ok' : a, b: b === 'undefined' ? 'ok' : b });
  if (origInstance && rtInstance) {
    for (const { name, kind } of WebAssembly.Module.exports(origModule)) {
      if (kind !== 'function') continue;
      const f = origInstance.exports[name];
      const g = rtInstance.exports[name];
      if (f.length !== 0) continue;
      const a = guarded(() => f(), origInstance.exports);
      const b = guarded(() => {
        if (typeof g !== 'function') throw new Error('no such export');
        return g();
      }, rtInstance.exports);
      steps.push({ what: `call "${name}"`, a, b });
    }
  }
  return { index: job.index, steps };
}

function describe(v) {
  if (Array.isArray(v)) return `[${v.map(describe).join(', ')}]`;
  switch (typeof v) {
    case 'undefined': return 'undefined';
    case 'number': return Object.is(v, -0) ? '-0' : String(v);
    case 'bigint': return `${v}n`;
    case 'function': return `function/${v.length}`;
    case 'object': return v === null ? 'null' : 'object';
    default: return `${typeof v} ${String(v)}`;
  }
}

/** An error as class and message; a wasm exception by the exported tag it matches, if any. */
function describeError(e, exports) {
  if (e instanceof WebAssembly.Exception) {
    const tag = Object.entries(exports ?? {}).find(([, v]) => v instanceof WebAssembly.Tag && e.is(v));
    return `WebAssembly.Exception${tag ? ` of tag "${tag[0]}"` : ''}`;
  }
  if (e instanceof Error) return `${e.constructor.name}: ${e.message}`;
  return `thrown ${describe(e)}`;
}

// ---- dummy imports -------------------------------------------------------------------

const NUM = { [I32]: 'i32', [I64]: 'i64', [F32]: 'f32', [F64]: 'f64', [V128]: 'v128' };
const ABSTRACT = {
  [heapFromCode(HeapCode.func)]: 'anyfunc', [heapFromCode(HeapCode.extern)]: 'externref',
  [heapFromCode(HeapCode.any)]: 'anyref', [heapFromCode(HeapCode.eq)]: 'eqref',
  [heapFromCode(HeapCode.i31)]: 'i31ref', [heapFromCode(HeapCode.struct)]: 'structref',
  [heapFromCode(HeapCode.array)]: 'arrayref',
};
/** The JS API name of a value type, or null when JS cannot make one. */
function jsType(t) {
  if (isRefType(t)) return refNullable(t) ? (ABSTRACT[refHeap(t)] ?? null) : null;
  return NUM[t] ?? null;
}
function zero(t) {
  if (isRefType(t)) return null;
  return t === I64 ? 0n : t === V128 ? undefined : 0;
}
const SPECTEST_GLOBALS = { global_i32: 666, global_i64: 666n, global_f32: 666.6, global_f64: 666.6 };

/**
 * A function that builds a fresh import object for a module, from the import types weft
 * reads off the original (the JS API does not expose them). Imports JS cannot make are
 * left out, so instantiation fails with a LinkError, alike on both sides.
 */
function importRecipe(module, bytes) {
  const names = WebAssembly.Module.imports(module);
  if (names.length === 0) return () => ({});
  const m = readModule(bytes);
  const makers = m.imports.map((imp) => {
    const spectest = imp.module === 'spectest';
    switch (imp.kind) {
      case ExternKind.Func: {
        const comp = m.types[imp.type].comp;
        const results = comp.kind === 'func' ? comp.results : [];
        return () => (results.length === 0 ? () => {} : results.length === 1 ? () => zero(results[0]) : () => results.map(zero));
      }
      case ExternKind.Global: {
        const value = jsType(imp.global.type);
        if (value === null || value === 'v128') return null;
        const init = spectest && imp.name in SPECTEST_GLOBALS ? SPECTEST_GLOBALS[imp.name] : zero(imp.global.type);
        return () => new WebAssembly.Global({ value, mutable: imp.global.mutable }, init);
      }
      case ExternKind.Memory: {
        const l = imp.memory;
        const n = (v) => (l.addr64 ? v : Number(v));
        const desc = { initial: n(l.min), shared: l.shared };
        if (l.max !== null) desc.maximum = n(l.max);
        if (l.addr64) desc.address = 'i64';
        if (l.pageSizeLog2 !== null) desc.pageSize = 2 ** l.pageSizeLog2;
        return () => new WebAssembly.Memory(desc);
      }
      case ExternKind.Table: {
        const element = jsType(imp.table.type);
        if (element === null) return null;
        const l = imp.table.limits;
        const n = (v) => (l.addr64 ? v : Number(v));
        const desc = { element, initial: n(l.min) };
        if (l.max !== null) desc.maximum = n(l.max);
        if (l.addr64) desc.address = 'i64';
        return () => new WebAssembly.Table(desc);
      }
      case ExternKind.Tag: {
        const comp = m.types[imp.type].comp;
        const parameters = comp.kind === 'func' ? comp.params.map(jsType) : [null];
        if (parameters.includes(null)) return null;
        return () => new WebAssembly.Tag({ parameters });
      }
      default:
        return null;
    }
  });
  return () => {
    const object = {};
    m.imports.forEach((imp, i) => {
      const ns = (object[imp.module] ??= {});
      if (imp.name in ns || !makers[i]) return;
      try {
        ns[imp.name] = makers[i]();
      } catch {
        // JS cannot make this one (e.g. a memory V8 refuses to allocate): leave it out.
      }
    });
    return object;
  };
}

// Last, so the constants above are initialized.
if (isMainThread) await main();
else worker();
