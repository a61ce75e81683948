// Child entry of runtime.test.mjs: runs the cases of cases.mjs on the given backends,
// with every asyncifier, and prints one JSON line per result:
// { backend, asyncifier, name, ok, skip?, error?, ms, detail? }.
// Usage: node --expose-gc test/runtime/run-cases.mjs asyncify[,jspi]
import { asyncifiers, assemble } from './asyncifiers.mjs';
import { CASES, MODULES } from './cases.mjs';

const runtime = await import('../../dist/src/runtime/index.js');
const backends = (process.argv[2] ?? 'asyncify').split(',');
const emit = (r) => console.log(JSON.stringify(r));

const plainBytes = {};
for (const [key, m] of Object.entries(MODULES)) plainBytes[key] = await assemble(m.wat);

// What each backend runs: JSPI the untransformed modules and an asyncified build;
// Asyncify each asyncifier's build.
const all = await asyncifiers();
const variants = [];
for (const backend of backends) {
  if (backend === 'jspi') variants.push({ backend, asyncifier: 'none' });
  for (const a of all) {
    if (a.unavailable) {
      emit({ backend, asyncifier: a.name, name: '(all cases)', ok: true, skip: a.unavailable });
      continue;
    }
    if (backend === 'jspi' && a !== all[0]) continue;
    variants.push({ backend, asyncifier: a.name, transform: a });
  }
}

for (const v of variants) {
  const built = {};
  const bytes = (key) => {
    if (built[key] instanceof Error) throw built[key];
    return built[key];
  };
  for (const [key, m] of Object.entries(MODULES)) {
    try {
      built[key] = v.transform ? await v.transform.asyncify(plainBytes[key], m.async) : plainBytes[key];
    } catch (e) {
      built[key] = new Error(`${v.asyncifier} failed on module ${key}: ${e.message}`);
    }
  }
  const ctx = {
    backend: v.backend,
    runtime,
    bytes,
    plain: (key) => plainBytes[key],
    load: (what, imports, options = {}) => {
      const key = typeof what === 'string' ? what : (options.module ?? 'basic');
      const source = typeof what === 'string' ? bytes(what) : what;
      return runtime.instantiate(source, imports, { async: MODULES[key].async, backend: v.backend, ...options });
    },
  };
  for (const c of CASES) {
    if (c.only && c.only !== v.backend) continue;
    if (c.once && variants.find((w) => w.backend === v.backend) !== v) continue;
    const t0 = performance.now();
    let skip = null;
    const base = { backend: v.backend, asyncifier: v.asyncifier, name: c.name };
    try {
      const detail = await c.run({ ...ctx, skip: (why) => void (skip = why) });
      emit({ ...base, ok: true, ...(skip ? { skip } : {}), ms: performance.now() - t0, ...(detail ? { detail } : {}) });
    } catch (e) {
      emit({ ...base, ok: false, error: String(e?.stack ?? e), ms: performance.now() - t0 });
    }
  }
}
