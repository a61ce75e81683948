/**
 * What a function body is validated against: the module's index spaces, flattened
 * (imports first), built once by the module-level checks. Plain data, so a worker can
 * rebuild it from the module and validate bodies in parallel.
 */
import type { ValType } from '../ir/types.js';
import type { TypeContext } from './types.js';

export interface TableInfo {
  type: ValType;
  addr64: boolean;
}

export interface GlobalInfo {
  type: ValType;
  mutable: boolean;
}

export interface ModuleContext {
  types: TypeContext;
  /** Type index of every function (imported, then defined). */
  funcs: number[];
  tables: TableInfo[];
  /** Whether each memory is 64-bit. */
  memories: boolean[];
  globals: GlobalInfo[];
  /** Type index of every tag. */
  tags: number[];
  /** Reference type of every element segment. */
  elems: ValType[];
  /** Number of data segments declared by the data count section, or null without one. */
  dataCount: number | null;
  /** Functions that may be referenced by ref.func in bodies (C.refs): 1 per declared index. */
  refs: Uint8Array;
}

/** A validation failure: where (function index, absolute byte offset) and why. */
export interface ValidationError {
  /** Function index (in the function index space), or -1 for module-level problems. */
  func: number;
  offset: number;
  message: string;
}
