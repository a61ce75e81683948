/**
 * The module model. Everything but function bodies and data segments is decoded
 * eagerly (it is small); bodies stay byte ranges of the input until someone decodes one
 * (see decodeFunc), data segments until `datas` is first read. What nobody touched is
 * written back from its original bytes.
 */
import type { Body } from './body.js';
import type { Limits, SubType, ValType } from './types.js';

export enum ExternKind { Func = 0, Table = 1, Memory = 2, Global = 3, Tag = 4 }
/** The import kind byte of an exact function import (custom descriptors); not valid in exports. */
export const EXACT_FUNC_IMPORT = 0x20;

/** A constant expression, kept as its encoded bytes (including the final `end`). */
export interface Expr {
  bytes: Uint8Array;
  /** Absolute offset of `bytes` in the input, for error messages (0 if built). */
  offset: number;
  /** Known to be canonically encoded, so re-encoding it would give the same bytes. */
  canonical?: boolean;
}

export interface TableType {
  type: ValType;
  limits: Limits;
}
export interface GlobalType {
  type: ValType;
  mutable: boolean;
}

export type Import =
  | { module: string; name: string; kind: ExternKind.Func; type: number; exact?: boolean }
  | { module: string; name: string; kind: ExternKind.Table; table: TableType }
  | { module: string; name: string; kind: ExternKind.Memory; memory: Limits }
  | { module: string; name: string; kind: ExternKind.Global; global: GlobalType }
  | { module: string; name: string; kind: ExternKind.Tag; type: number };

export interface Func {
  /** Type index. */
  type: number;
  /** A decoded or built body that replaces `raw` when written. */
  body: Body | null;
  /** The original code entry (locals + instructions), or null for a built function. */
  raw: Uint8Array | null;
  /** Absolute offset of `raw` in the input. */
  offset: number;
}

export interface Table extends TableType {
  /** Explicit initializer (the 0x40 0x00 table form), or null. */
  init: Expr | null;
}

export interface Global extends GlobalType {
  init: Expr;
}

export interface Export {
  name: string;
  kind: ExternKind;
  index: number;
}

/**
 * An element segment. `flags` is the binary form (0-7): bit 0 passive/declarative,
 * bit 1 explicit table index (active) or declarative, bit 2 items are expressions.
 */
export interface Elem {
  flags: number;
  table: number;
  offset: Expr | null;
  /** Reference type of the items: (ref func) for the function-index forms. */
  type: ValType;
  funcs: number[] | null;
  exprs: Expr[] | null;
}

/** A data segment; `flags` 0 = active memory 0, 1 = passive, 2 = active with a memory index. */
export interface Data {
  flags: number;
  memory: number;
  offset: Expr | null;
  bytes: Uint8Array;
}

/** A custom section, kept byte-for-byte. `after` is the id of the known section it follows (0: none). */
export interface Custom {
  name: string;
  bytes: Uint8Array;
  after: number;
}

export type NameMap = Map<number, string>;
export type IndirectNameMap = Map<number, NameMap>;

/** The decoded `name` section (with the extended-name-section subsections). */
export interface Names {
  module: string | null;
  functions: NameMap;
  locals: IndirectNameMap;
  labels: IndirectNameMap;
  types: NameMap;
  tables: NameMap;
  memories: NameMap;
  globals: NameMap;
  elems: NameMap;
  datas: NameMap;
  fields: IndirectNameMap;
  tags: NameMap;
  /** Subsection ids in input order, so re-encoding keeps their order. */
  order: number[];
  /** Subsections weft does not know, by id, byte-for-byte. */
  unknown: Map<number, Uint8Array>;
}

export interface RecGroupSpan {
  /** Index of the group's first type in `Module.types`. */
  start: number;
  count: number;
  /** Written with the `rec` prefix even for a single type. */
  explicit: boolean;
}

export interface Module {
  /** All types, flat, by type index. */
  types: SubType[];
  /** How `types` splits into recursion groups. */
  recGroups: RecGroupSpan[];
  imports: Import[];
  /** Defined functions (after imported ones in the index space). */
  funcs: Func[];
  tables: Table[];
  memories: Limits[];
  tags: { type: number }[];
  globals: Global[];
  exports: Export[];
  start: number | null;
  elems: Elem[];
  datas: Data[];
  /** Whether a data count section is written. */
  hasDataCount: boolean;
  customs: Custom[];
  /** The decoded name section; written in place of the custom section named "name". */
  names: Names | null;
  /** Bit per known section id present in the input, so empty sections survive a round trip. */
  sectionMask: number;
  /** The input the lazy bodies point into. */
  source: Uint8Array | null;
  /** The input used a non-canonical encoding outside function bodies (e.g. a padded LEB128). */
  nonCanonical: boolean;
  /**
   * The data section as read, not yet decoded: `datas` decodes it on first access.
   * Until then the writer copies these bytes (re-encoding would give the same bytes
   * when `canonical`).
   */
  lazyData: LazySection | null;
}

/** A section kept as its bytes (count prefix included) until first use. */
export interface LazySection {
  bytes: Uint8Array;
  /** Absolute offset of `bytes` in the input, for error messages. */
  offset: number;
  count: number;
  canonical: boolean;
  /**
   * Data section only: the number of active segments when each is in memory 0 at an
   * `i32.const N end` offset (what the validator then need not look at), else -1.
   */
  plainActive?: number;
}

export function emptyNames(): Names {
  return {
    module: null, functions: new Map(), locals: new Map(), labels: new Map(), types: new Map(),
    tables: new Map(), memories: new Map(), globals: new Map(), elems: new Map(), datas: new Map(),
    fields: new Map(), tags: new Map(), order: [], unknown: new Map(),
  };
}

export function emptyModule(): Module {
  return {
    types: [], recGroups: [], imports: [], funcs: [], tables: [], memories: [], tags: [], globals: [],
    exports: [], start: null, elems: [], datas: [], hasDataCount: false, customs: [], names: null,
    sectionMask: 0, source: null, nonCanonical: false, lazyData: null,
  };
}

/** Number of imports of a kind (imported entities come first in each index space). */
export function importCount(m: Module, kind: ExternKind): number {
  let n = 0;
  for (const imp of m.imports) if (imp.kind === kind) n++;
  return n;
}
