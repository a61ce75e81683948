// The Asyncify transforms the runtime tests run against: each is
// { name, asyncify(bytes, imports) => Uint8Array } or { name, unavailable }. binaryen.js
// (npm `binaryen`) always; weft's own pass (dist/src/passes/asyncify/index.js) when it
// is built and exports a usable API. WEFT_ASYNCIFIERS=name,name picks some.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ASYNCIFY_EXPORT = 'asyncify_start_unwind';

/** The features the test modules may use (not All: that would emit binaryen's compact imports). */
const features = (binaryen) => binaryen.Features.MVP | binaryen.Features.MutableGlobals | binaryen.Features.SignExt |
  binaryen.Features.BulkMemory | binaryen.Features.NontrappingFPToInt | binaryen.Features.Multivalue |
  binaryen.Features.ReferenceTypes | binaryen.Features.Memory64 | binaryen.Features.TailCall;

/** Wat text → bytes (binaryen.js's parser). */
export async function assemble(wat) {
  const binaryen = (await import('binaryen')).default;
  const mod = binaryen.parseText(wat);
  try {
    mod.setFeatures(features(binaryen));
    if (!mod.validate()) throw new Error('binaryen: the test module does not validate');
    return mod.emitBinary();
  } finally {
    mod.dispose();
  }
}

function binaryenAsyncifier(name, optimize) {
  return {
    name,
    async asyncify(bytes, imports) {
      const binaryen = (await import('binaryen')).default;
      const mod = binaryen.readBinary(bytes);
      try {
        mod.setFeatures(features(binaryen));
        binaryen.setPassArgument('asyncify-imports', imports.join(','));
        binaryen.setOptimizeLevel(optimize ? 2 : 0);
        mod.runPasses(['asyncify']);
        if (optimize) mod.optimize();
        return mod.emitBinary();
      } finally {
        binaryen.setPassArgument('asyncify-imports', null);
        binaryen.setOptimizeLevel(2);
        mod.dispose();
      }
    },
  };
}

/**
 * weft's pass, through whatever it exports: a function taking (bytes, { imports }) that
 * returns bytes, or taking (module, { imports }) that returns or edits a weft Module.
 */
async function weftAsyncifier() {
  const name = 'weft asyncify';
  const file = [`${ROOT}dist/src/passes/asyncify/index.js`, `${ROOT}dist/src/passes/asyncify.js`].find((f) => existsSync(f));
  if (!file) return { name, unavailable: 'dist/src/passes/asyncify/index.js not built yet' };
  let mod;
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (e) {
    return { name, unavailable: `${file} fails to load: ${e.message}` };
  }
  const fn = [mod.asyncifyBytes, mod.asyncify, mod.asyncifyModule, mod.default].find((f) => typeof f === 'function');
  if (!fn) return { name, unavailable: `${file} exports no asyncify function (has ${Object.keys(mod).join(', ')})` };
  const { readModule, writeModule } = await import(pathToFileURL(`${ROOT}dist/src/index.js`).href);
  const attempt = (bytes, imports) => {
    const errors = [];
    for (const input of [() => readModule(bytes), () => bytes]) {
      try {
        const m = input();
        const out = fn(m, { imports });
        const result = out instanceof Uint8Array ? out : writeModule(out && typeof out === 'object' && 'funcs' in out ? out : m);
        if (readModule(result).exports.some((e) => e.name === ASYNCIFY_EXPORT)) return result; // (not compiled: the engine may lack a feature)
        errors.push('output has no asyncify exports');
      } catch (e) {
        errors.push(e.message);
      }
    }
    throw new Error(`weft asyncify: no usable call form (${errors.join('; ')})`);
  };
  try {
    attempt(await assemble('(module (import "env" "f" (func $f)) (memory 1) (func (export "g") (call $f)))'), ['env.f']);
  } catch (e) {
    return { name, unavailable: e.message };
  }
  return { name, asyncify: async (bytes, imports) => attempt(bytes, imports) };
}

export async function asyncifiers() {
  const all = [binaryenAsyncifier('binaryen.js', false), binaryenAsyncifier('binaryen.js -O2', true), await weftAsyncifier()];
  const only = process.env.WEFT_ASYNCIFIERS?.split(',').filter(Boolean);
  return only ? all.filter((a) => only.includes(a.name)) : all;
}
