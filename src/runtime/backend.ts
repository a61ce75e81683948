import type { ModuleFacts } from './analysis.js';
import type { AnyFunction, Imports, WasmInstance } from './wasm.js';

export type BackendName = 'jspi' | 'asyncify';

/** How a backend turns async imports and suspending exports into Promise-friendly ones. */
export interface Backend {
  readonly name: BackendName;
  /** The value to pass for async import `key` (`module.name`) in place of `fn`. */
  wrapImport(key: string, fn: AnyFunction): unknown;
  /** Called once the instance exists, before any export runs. */
  bind(instance: WasmInstance, imports: Imports, facts: ModuleFacts | null): void;
  /** A Promise-returning stand-in for the suspending export `name`. */
  wrapExport(name: string, fn: AnyFunction): AnyFunction;
}
