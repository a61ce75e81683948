/**
 * The slice of the JS WebAssembly API the runtime uses, typed here because weft compiles
 * without the DOM lib (and @types/node does not declare WebAssembly). Structural, so a
 * real `WebAssembly.Instance` or `Module` fits these types.
 */

/** An opaque `WebAssembly.Module`. */
export type WasmModule = object;

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

export interface ModuleImportDescriptor {
  module: string;
  name: string;
  kind: string;
}

/** The import object passed to instantiation: module name → field name → value. */
export type Imports = Record<string, Record<string, unknown>>;

// Functions cross this boundary with any signature; the runtime only forwards them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFunction = (...args: any[]) => any;

interface WasmApi {
  Module: { new (bytes: Uint8Array): WasmModule; imports(m: WasmModule): ModuleImportDescriptor[]; exports(m: WasmModule): { name: string; kind: string }[] };
  Memory: abstract new (...args: never[]) => WasmMemory;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(m: WasmModule, imports: Imports): Promise<WasmInstance>;
  /** JSPI (Node >= 25, Chrome >= 137). */
  Suspending?: new (fn: AnyFunction) => object;
  promising?: (fn: AnyFunction) => (...args: unknown[]) => Promise<unknown>;
}

export const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The engine has JSPI (`WebAssembly.Suspending` and `WebAssembly.promising`). */
export const hasJspi = (): boolean => typeof WA.Suspending === 'function' && typeof WA.promising === 'function';

export const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
