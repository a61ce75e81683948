/**
 * weft/runtime: one JS API for async imports.
 *
 * ```ts
 * const { exports } = await instantiate(bytes, { env: { sleep: (ms) => new Promise((r) => setTimeout(r, ms)) } },
 *   { async: ['env.sleep'] });
 * await exports.main();
 * ```
 *
 * Imports named by `async` may return Promises (or plain values, which do not suspend).
 * Exports that may reach one return Promises; the others stay synchronous. Two backends:
 * - `jspi`: WebAssembly.Suspending/promising, where the engine has them (Node >= 25,
 *   Chrome >= 137); works on any module, transformed or not.
 * - `asyncify`: for modules carrying Binaryen's Asyncify exports (`weft asyncify` or
 *   `wasm-opt --asyncify`), on any engine.
 * `backend: 'auto'` (the default) takes JSPI when present, else Asyncify when the module
 * has its exports, else throws naming the `weft asyncify` command that fixes it.
 *
 * Concurrency: a call made while another call of the same instance is suspended starts at
 * once, and the earlier call resumes only after the later one has finished (stack order;
 * see order.ts). That is what nesting (an import awaiting a call back into the instance)
 * needs and what a shadow stack in linear memory needs. A later call that waits for an
 * earlier one's progress therefore waits forever, and a steady stream of new calls keeps
 * an earlier one waiting.
 *
 * Which exports may suspend is read from the module's bytes (analysis.ts). Given a
 * WebAssembly.Module, whose bytes JS cannot read, every function export returns a Promise
 * unless `asyncExports` says otherwise.
 */
import { ASYNCIFY_EXPORTS, analyze, asyncifyCommand, globMatcher, importMatcher, type ModuleFacts } from './analysis.js';
import { asyncifyBackend } from './asyncify.js';
import type { Backend, BackendName } from './backend.js';
import { jspiBackend } from './jspi.js';
import { CallOrder } from './order.js';
import { WA, hasJspi, isThenable, type AnyFunction, type Imports, type WasmInstance, type WasmModule } from './wasm.js';

export { AsyncifyOverflowError } from './asyncify.js';
export { hasJspi } from './wasm.js';
export type { BackendName } from './backend.js';
export type { Imports, WasmInstance, WasmModule } from './wasm.js';

/** What `fetch()` gives: anything with `arrayBuffer()`. */
export interface ResponseLike {
  arrayBuffer(): Promise<ArrayBuffer>;
}

export type Source = Uint8Array | ArrayBuffer | WasmModule | ResponseLike | PromiseLike<ResponseLike>;

export interface InstantiateOptions {
  /** Imports that may return Promises, as `module.name` patterns; `*` matches any run of characters. */
  async?: readonly string[];
  /** Default 'auto': JSPI if the engine has it, else Asyncify if the module is asyncified. */
  backend?: BackendName | 'auto';
  /** Export name patterns that return Promises, overriding the analysis of the module. */
  asyncExports?: readonly string[];
  /** Asyncify: initial bytes of each suspended call's buffer (default 4096; grows as needed). */
  stackSize?: number;
}

/** A function type as a suspending export has it: the same parameters, a Promise of the result. */
export type Suspending<F> = F extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : F;

export interface Instantiated<E> {
  instance: WasmInstance;
  module: WasmModule;
  /** The exports, suspending ones wrapped to return Promises. */
  exports: E;
  /** The backend used; 'none' when no export may suspend. */
  backend: BackendName | 'none';
}

/** Thrown when no backend can run the module: no JSPI, and no Asyncify exports. */
export class NoBackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoBackendError';
  }
}

export async function instantiate<E = Record<string, unknown>>(
  source: Source,
  imports: Imports = {},
  options: InstantiateOptions = {},
): Promise<Instantiated<E>> {
  const patterns = options.async ?? [];
  const isAsync = importMatcher(patterns);
  let src: unknown = source;
  if (isThenable(src)) src = await src;
  let bytes: Uint8Array | null = null;
  let module = src as WasmModule;
  if (!(src instanceof WA.Module)) {
    if (src instanceof Uint8Array) bytes = src;
    else if (src instanceof ArrayBuffer) bytes = new Uint8Array(src);
    else if (ArrayBuffer.isView(src)) bytes = new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
    else if (src && typeof (src as ResponseLike).arrayBuffer === 'function') bytes = new Uint8Array(await (src as ResponseLike).arrayBuffer());
    else throw new TypeError('weft/runtime: instantiate() takes bytes, a WebAssembly.Module or a Response');
  }
  let facts: ModuleFacts | null = null;
  if (bytes) {
    // V8 compiles off the main thread meanwhile; reading the module is weft's part.
    const compiling = WA.compile(bytes);
    try {
      facts = analyze(bytes, isAsync, !options.asyncExports);
    } catch (e) {
      await compiling; // an invalid module: report the engine's CompileError first
      throw new Error(`weft/runtime: weft cannot read this module, which the engine accepts: ${(e as Error).message}`, { cause: e });
    }
    module = await compiling;
  }
  const exportsList = WA.Module.exports(module);
  const asyncified = facts ? facts.asyncified : exportsList.some((e) => e.name === 'asyncify_start_unwind');

  // The asyncify_* controls are never wrapped; the rest by the options, the analysis, or
  // (no bytes to analyze) all.
  const chosen = options.asyncExports ? globMatcher(options.asyncExports) : facts ? (n: string) => facts!.suspending.has(n) : () => true;
  const suspending = (name: string) => !ASYNCIFY_EXPORTS.includes(name as (typeof ASYNCIFY_EXPORTS)[number]) && chosen(name);

  const asyncImports = WA.Module.imports(module).filter((i) => i.kind === 'function' && isAsync(i.module, i.name));
  const anySuspending = exportsList.some((e) => e.kind === 'function' && suspending(e.name));
  const name = chooseBackend(options.backend ?? 'auto', asyncified, patterns, anySuspending);
  const order = new CallOrder();
  const backend: Backend | null =
    name === 'none' ? null : name === 'jspi' ? jspiBackend(order) : asyncifyBackend(order, { stackSize: options.stackSize, async: patterns });

  let given = imports;
  if (backend && asyncImports.length) {
    given = { ...imports };
    for (const imp of asyncImports) {
      const fn = imports[imp.module]?.[imp.name];
      if (typeof fn !== 'function') continue; // let instantiation report it
      if (given[imp.module] === imports[imp.module]) given[imp.module] = { ...imports[imp.module] };
      given[imp.module][imp.name] = backend.wrapImport(`${imp.module}.${imp.name}`, fn as AnyFunction);
    }
  }
  const instance = await WA.instantiate(module, given);
  const exports: Record<string, unknown> = {};
  if (backend) backend.bind(instance, given, facts);
  for (const [key, value] of Object.entries(instance.exports)) {
    exports[key] = backend && typeof value === 'function' && suspending(key) ? backend.wrapExport(key, value as AnyFunction) : value;
  }
  return { instance, module, exports: exports as E, backend: name };
}

function chooseBackend(wanted: BackendName | 'auto', asyncified: boolean, patterns: readonly string[], needed: boolean): BackendName | 'none' {
  const fix = `asyncify it with \`${asyncifyCommand(patterns)}\``;
  if (wanted === 'jspi') {
    if (!hasJspi()) throw new NoBackendError(`weft/runtime: backend 'jspi' asked for, but this engine has no JSPI (WebAssembly.Suspending); ${asyncified ? '' : `${fix} and `}use backend 'asyncify' or 'auto'`);
    return 'jspi';
  }
  if (wanted === 'asyncify') {
    if (!asyncified) throw new NoBackendError(`weft/runtime: backend 'asyncify' asked for, but the module has no asyncify_* exports; ${fix}`);
    return 'asyncify';
  }
  if (!needed) return 'none';
  if (hasJspi()) return 'jspi';
  if (asyncified) return 'asyncify';
  throw new NoBackendError(`weft/runtime: this engine has no JSPI (WebAssembly.Suspending) and the module is not asyncified; ${fix}`);
}
