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

/** Proposals that change the verdict on modules that do not use them, so they are opt-in. */
export interface Features {
  /**
   * Custom descriptors: br_on_cast(_fail)'s target type need only share a top type with
   * its source type, not be a subtype of it.
   */
  customDescriptors?: boolean;
}

export interface ModuleContext {
  types: TypeContext;
  /** Type index of every function (imported, then defined). */
  funcs: number[];
  /**
   * 1 per function imported without `exact` (custom descriptors): a reference to it has
   * the inexact type, since the import may be of a subtype.
   */
  inexactFuncs: Uint8Array;
  features: Features;
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
