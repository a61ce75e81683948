/**
 * Value, heap and composite types.
 *
 * A value type is one int32: the low byte is its binary type code, and for the
 * two-part reference types (`ref ht` = 0x64, `ref null ht` = 0x63) the upper bits
 * hold the heap type. A heap type is its s33 binary value: a type index (>= 0) or an
 * abstract heap type (negative: the code byte - 0x80). So the encoding is lossless:
 * `funcref` (0x70) and `(ref null func)` (0x63 0x70) stay distinct, as in the binary.
 * An exact heap type (custom descriptors: `(exact x)`, binary 0x62 x) is the type index
 * with the EXACT bit set, so type indices stay below it.
 */

export type ValType = number;
export type HeapType = number;
/** A field's storage type: a value type or a packed type (i8, i16). */
export type StorageType = number;

export const I32 = 0x7f, I64 = 0x7e, F32 = 0x7d, F64 = 0x7c, V128 = 0x7b;
export const PACKED_I8 = 0x78, PACKED_I16 = 0x77;
export const REF = 0x64, REF_NULL = 0x63;

/** Abstract heap types, by their binary code byte. */
export const HeapCode = {
  nofunc: 0x73, noextern: 0x72, none: 0x71, func: 0x70, extern: 0x6f, any: 0x6e, eq: 0x6d,
  i31: 0x6c, struct: 0x6b, array: 0x6a, exn: 0x69, noexn: 0x74,
} as const;

/** Shorthand reference types (`funcref` is `(ref null func)`): code byte → name. */
export const SHORTHAND_REF_NAMES: ReadonlyMap<number, string> = new Map([
  [0x70, 'funcref'], [0x6f, 'externref'], [0x6e, 'anyref'], [0x6d, 'eqref'], [0x6c, 'i31ref'],
  [0x6b, 'structref'], [0x6a, 'arrayref'], [0x69, 'exnref'], [0x74, 'nullexnref'],
  [0x73, 'nullfuncref'], [0x72, 'nullexternref'], [0x71, 'nullref'],
]);

/** The bit that marks an exact heap type `(exact x)`; type indices are below it. */
export const EXACT = 1 << 22;
/** The s33 value of the exact heap type prefix byte 0x62. */
export const EXACT_PREFIX = 0x62 - 0x80;
export const exactHeap = (index: number): HeapType => index | EXACT;
/** Whether `h` is an exact heap type. */
export const isExactHeap = (h: HeapType): boolean => h >= EXACT;
/** The type index of a concrete heap type, exact or not (h >= 0). */
export const heapIndex = (h: HeapType): number => h & (EXACT - 1);

export const isAbstractHeapCode = (byte: number): boolean => byte >= 0x69 && byte <= 0x74;

export const heapFromCode = (byte: number): HeapType => byte - 0x80;
export const refType = (nullable: boolean, heap: HeapType): ValType => (heap << 8) | (nullable ? REF_NULL : REF);
export const typeCode = (t: ValType): number => t & 0xff;
export const typeHeap = (t: ValType): HeapType => t >> 8;

export const isRefType = (t: ValType): boolean => {
  const c = t & 0xff;
  return c === REF || c === REF_NULL || SHORTHAND_REF_NAMES.has(c);
};

/** The heap type of a reference type, expanding shorthands. */
export const refHeap = (t: ValType): HeapType => {
  const c = t & 0xff;
  return c === REF || c === REF_NULL ? t >> 8 : heapFromCode(c);
};

export const refNullable = (t: ValType): boolean => (t & 0xff) !== REF;

/** The nullable form of a reference type; shorthands (externref...) where they exist, for older engines. */
export function nullableOf(t: ValType): ValType {
  if (refNullable(t)) return t;
  const h = refHeap(t);
  return h < 0 ? h + 0x80 : refType(true, h);
}

export interface FuncType {
  kind: 'func';
  params: ValType[];
  results: ValType[];
}
export interface FieldType {
  type: StorageType;
  mutable: boolean;
}
export interface StructType {
  kind: 'struct';
  fields: FieldType[];
}
export interface ArrayType {
  kind: 'array';
  field: FieldType;
}
export type CompType = FuncType | StructType | ArrayType;

export interface SubType {
  final: boolean;
  supers: number[];
  comp: CompType;
  /** Custom descriptors: the type this one is the descriptor of (`describes x`), if any. */
  describes?: number;
  /** Custom descriptors: the type of this one's descriptors (`descriptor x`), if any. */
  descriptor?: number;
  /**
   * Written with an explicit `sub`/`sub final` prefix. A final type without supertypes
   * may use the short form; this keeps which one the input used.
   */
  explicit: boolean;
}

export interface Limits {
  min: bigint;
  max: bigint | null;
  /** 64-bit address type (memory64 / table64). */
  addr64: boolean;
  shared: boolean;
  /** log2 of a custom page size, or null for the default 64 KiB. */
  pageSizeLog2: number | null;
}

const NUM_NAMES: Record<number, string> = {
  [I32]: 'i32', [I64]: 'i64', [F32]: 'f32', [F64]: 'f64', [V128]: 'v128', [PACKED_I8]: 'i8', [PACKED_I16]: 'i16',
};
const HEAP_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(HeapCode).map(([name, code]) => [heapFromCode(code), name]),
);

export function heapTypeName(h: HeapType): string {
  if (isExactHeap(h)) return `(exact ${heapIndex(h)})`;
  return h >= 0 ? String(h) : (HEAP_NAMES[h] ?? `heap(${h})`);
}

/** The text-format name of a value or storage type. */
export function valTypeName(t: ValType): string {
  const c = t & 0xff;
  if (c === REF || c === REF_NULL) return `(ref ${c === REF_NULL ? 'null ' : ''}${heapTypeName(t >> 8)})`;
  return NUM_NAMES[c] ?? SHORTHAND_REF_NAMES.get(c) ?? `type(0x${c.toString(16)})`;
}
