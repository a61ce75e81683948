/**
 * Module decoding: bytes → Module. Sections are decoded eagerly except function
 * bodies, which stay byte ranges (`Func.raw`) until decodeFunc is called, and data
 * segments, which are checked at once but built on first access to `Module.datas`.
 * The mirror image of encode.ts.
 */
import { Body } from '../ir/body.js';
import {
  emptyModule, emptyNames, EXACT_FUNC_IMPORT, ExternKind,
  type Data, type Elem, type Expr, type Func, type Import, type IndirectNameMap, type LazySection, type Module,
  type NameMap, type Names, type TableType,
} from '../ir/module.js';
import { HeapCode, heapFromCode, refType, type CompType, type FieldType, type Limits, type SubType, type ValType } from '../ir/types.js';
import { Cursor, WasmDecodeError } from './cursor.js';
import { decodeBodyInto, decodeInstructions, readRefType, readStorageType, readValType } from './decode-body.js';

const FUNCREF = 0x70;
const NON_NULL_FUNCREF = refType(false, heapFromCode(HeapCode.func));

export const SectionId = {
  custom: 0, type: 1, import: 2, function: 3, table: 4, memory: 5, global: 6, export: 7,
  start: 8, element: 9, code: 10, data: 11, dataCount: 12, tag: 13,
} as const;

/** The order known sections must appear in (by id), so the writer can reproduce it. */
export const SECTION_ORDER: readonly number[] = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];
const RANK = new Int8Array(14).fill(-1);
SECTION_ORDER.forEach((id, i) => (RANK[id] = i));

export interface ReadOptions {
  /** Decode the name section into `Module.names` (default true). */
  names?: boolean;
}

export function readModule(input: Uint8Array, options: ReadOptions = {}): Module {
  // A plain view: subarrays of a Node Buffer are Buffers, several times costlier to make.
  const bytes = input.constructor === Uint8Array ? input : new Uint8Array(input.buffer, input.byteOffset, input.length);
  const c = new Cursor(bytes);
  const m = emptyModule();
  m.source = bytes;
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    c.fail('magic header not detected', 0);
  }
  if (bytes.length < 8) c.fail('unexpected end: missing version', bytes.length);
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) c.fail('unknown binary version', 4);
  c.pos = 8;
  const scratch = new Body();
  let lastRank = -1;
  let lastId = 0;
  let funcTypes: number[] | null = null;
  let dataCount: number | null = null;
  let sawCode = false;
  let sawData = false;
  while (c.pos < c.end) {
    const idAt = c.pos;
    const id = c.u8();
    const size = c.u32();
    const start = c.pos;
    if (size > c.end - start) c.fail(`section size mismatch: section of ${size} bytes runs past the end of the module`, idAt);
    const end = start + size;
    const s = new Cursor(bytes, start, end);
    if (id === SectionId.custom) {
      const name = s.name();
      m.customs.push({ name, bytes: bytes.subarray(s.pos, end), after: lastId });
      if (s.nonCanonical) m.nonCanonical = true;
      c.pos = end;
      continue;
    }
    if (id > 13) c.fail(`malformed section id ${id}`, idAt);
    const rank = RANK[id];
    if (rank <= lastRank) c.fail(`unexpected content after last section: section ${id} out of order or duplicated`, idAt);
    lastRank = rank;
    lastId = id;
    m.sectionMask |= 1 << id;
    switch (id) {
      case SectionId.type: readTypes(s, m); break;
      case SectionId.import: readImports(s, m); break;
      case SectionId.function: funcTypes = readFuncTypes(s); break;
      case SectionId.table: {
        const n = s.count(2);
        for (let i = 0; i < n; i++) {
          if (s.buf[s.pos] === 0x40) {
            const at = s.pos;
            s.pos++;
            if (s.u8() !== 0) s.fail('malformed table: 0x40 must be followed by 0x00', at);
            const t = readTableType(s);
            m.tables.push({ ...t, init: readExpr(s, scratch) });
          } else {
            m.tables.push({ ...readTableType(s), init: null });
          }
        }
        break;
      }
      case SectionId.memory: {
        const n = s.count(2);
        for (let i = 0; i < n; i++) m.memories.push(readLimits(s));
        break;
      }
      case SectionId.tag: {
        const n = s.count(2);
        for (let i = 0; i < n; i++) m.tags.push({ type: readTag(s) });
        break;
      }
      case SectionId.global: {
        const n = s.count(3);
        for (let i = 0; i < n; i++) {
          const type = readValType(s);
          const mutable = readMutability(s);
          m.globals.push({ type, mutable, init: readExpr(s, scratch) });
        }
        break;
      }
      case SectionId.export: {
        const n = s.count(3);
        for (let i = 0; i < n; i++) {
          const name = s.name();
          const kindAt = s.pos;
          const kind = s.u8();
          if (kind > ExternKind.Tag) s.fail(`malformed export kind ${kind}`, kindAt);
          m.exports.push({ name, kind, index: s.u32() });
        }
        break;
      }
      case SectionId.start: m.start = s.u32(); break;
      case SectionId.element: {
        const n = s.count();
        for (let i = 0; i < n; i++) m.elems.push(readElem(s, scratch));
        break;
      }
      case SectionId.dataCount: dataCount = s.u32(); m.hasDataCount = true; break;
      case SectionId.code: {
        sawCode = true;
        const n = s.count();
        if (n !== (funcTypes?.length ?? 0)) s.fail('function and code section have inconsistent lengths', start);
        readCodeEntries(s, m, n, funcTypes!);
        break;
      }
      case SectionId.data: {
        sawData = true;
        const n = s.count();
        if (dataCount !== null && n !== dataCount) s.fail('data count and data section have inconsistent lengths', start);
        // Checked now, decoded on first use: real modules carry up to ~100,000 segments.
        const before = s.nonCanonical;
        s.nonCanonical = false;
        const plainActive = skipDatas(s, n, scratch);
        deferDatas(m, { bytes: bytes.subarray(start, end), offset: start, count: n, canonical: !s.nonCanonical, plainActive });
        s.nonCanonical ||= before;
        break;
      }
    }
    if (s.nonCanonical) m.nonCanonical = true;
    if (s.pos !== end) c.fail(`section size mismatch: section ${id} declares ${size} bytes, its contents end at ${s.pos - start}`, s.pos);
    c.pos = end;
  }
  if (!sawCode && funcTypes && funcTypes.length > 0) c.fail('function and code section have inconsistent lengths', c.pos);
  if (!sawData && dataCount) c.fail('data count and data section have inconsistent lengths', c.pos);
  if (c.nonCanonical) m.nonCanonical = true;
  if (options.names !== false) {
    const custom = m.customs.find((x) => x.name === 'name');
    if (custom) m.names = readNamesLenient(custom.bytes, m);
  }
  return m;
}

// The long per-entry loops live in functions of their own: a hot loop inside
// readModule would get the whole of readModule compiled on-stack (costly, for a
// function that runs once).

function readFuncTypes(s: Cursor): number[] {
  const n = s.count();
  const funcTypes = new Array<number>(n);
  for (let i = 0; i < n; i++) funcTypes[i] = s.u32();
  return funcTypes;
}

/** The code section's entries: each body stays a byte range of the input. */
function readCodeEntries(s: Cursor, m: Module, n: number, funcTypes: number[]): void {
  const bytes = s.buf;
  const end = s.end;
  for (let i = 0; i < n; i++) {
    const sizeAt = s.pos;
    const bodySize = s.u32();
    if (bodySize > end - s.pos) s.fail('unexpected end: function body runs past its section', sizeAt);
    const f: Func = { type: funcTypes[i], body: null, raw: bytes.subarray(s.pos, s.pos + bodySize), offset: s.pos };
    m.funcs.push(f);
    s.pos += bodySize;
  }
}

/** Checks the data segments' structure; returns LazySection.plainActive. */
function skipDatas(s: Cursor, n: number, scratch: Body): number {
  let plain = 0;
  for (let i = 0; i < n; i++) {
    const kind = skipData(s, scratch);
    if (plain >= 0 && kind !== PASSIVE) plain = kind === PLAIN ? plain + 1 : -1;
  }
  return plain;
}

/**
 * Decodes a function body. Lazy by design: the result is not cached in the module;
 * assign it to `func.body` to have it written instead of the original bytes.
 */
export function decodeFunc(m: Module, func: Func, into = new Body()): Body {
  if (func.body) return func.body;
  if (!func.raw) throw new Error('function has neither a body nor raw bytes');
  const src = func.raw;
  const base = bodySource(m, src);
  const start = src.byteOffset - base.byteOffset;
  return decodeBodyInto(base, start, start + src.length, into, m.hasDataCount);
}

/**
 * The buffer to decode a body's `raw` bytes in: the module source when `raw` is a view
 * into it, so that offsets are absolute; else `raw` itself.
 */
export function bodySource(m: Module, raw: Uint8Array): Uint8Array {
  return m.source && raw.buffer === m.source.buffer ? m.source : raw;
}

/** Decodes a constant expression's instructions. */
export function decodeExpr(e: Expr, into = new Body()): Body {
  into.reset();
  decodeInstructions(new Cursor(e.bytes), into);
  return into;
}

function readMutability(s: Cursor): boolean {
  const at = s.pos;
  const b = s.u8();
  if (b > 1) s.fail('malformed mutability', at);
  return b === 1;
}

function readTag(s: Cursor): number {
  const at = s.pos;
  if (s.u8() !== 0) s.fail('malformed tag attribute', at);
  return s.u32();
}

function readTypes(s: Cursor, m: Module): void {
  const n = s.count();
  for (let i = 0; i < n; i++) {
    if (s.buf[s.pos] === 0x4e && s.pos < s.end) {
      s.pos++;
      const count = s.count();
      m.recGroups.push({ start: m.types.length, count, explicit: true });
      for (let j = 0; j < count; j++) m.types.push(readSubType(s));
    } else {
      m.recGroups.push({ start: m.types.length, count: 1, explicit: false });
      m.types.push(readSubType(s));
    }
  }
}

function readSubType(s: Cursor): SubType {
  const b = s.buf[s.pos];
  const explicit = (b === 0x50 || b === 0x4f) && s.pos < s.end;
  const supers: number[] = [];
  if (explicit) {
    s.pos++;
    const k = s.count();
    for (let i = 0; i < k; i++) supers.push(s.u32());
  }
  // Custom descriptors: `describes x` (0x4c), then `descriptor y` (0x4d), before the composite type.
  const describes = readClause(s, 0x4c);
  const descriptor = readClause(s, 0x4d);
  const t: SubType = { final: !explicit || b === 0x4f, supers, comp: readCompType(s), explicit };
  if (describes !== undefined) t.describes = describes;
  if (descriptor !== undefined) t.descriptor = descriptor;
  return t;
}

/** The type index of a `describes`/`descriptor` clause that starts with `byte`, if one does. */
function readClause(s: Cursor, byte: number): number | undefined {
  if (s.buf[s.pos] !== byte || s.pos >= s.end) return undefined;
  s.pos++;
  return s.u32();
}

function readField(s: Cursor): FieldType {
  const type = readStorageType(s);
  return { type, mutable: readMutability(s) };
}

function readCompType(s: Cursor): CompType {
  const at = s.pos;
  const form = s.u8();
  switch (form) {
    case 0x60: {
      // Packed arrays (push, not new Array(n), which makes holey ones): the validator's
      // loops over type lists then see one array kind, not two.
      const np = s.count();
      const params: ValType[] = [];
      for (let i = 0; i < np; i++) params.push(readValType(s));
      const nr = s.count();
      const results: ValType[] = [];
      for (let i = 0; i < nr; i++) results.push(readValType(s));
      return { kind: 'func', params, results };
    }
    case 0x5f: {
      const nf = s.count(2);
      const fields: FieldType[] = [];
      for (let i = 0; i < nf; i++) fields.push(readField(s));
      return { kind: 'struct', fields };
    }
    case 0x5e:
      return { kind: 'array', field: readField(s) };
    default:
      return s.fail(`malformed type form 0x${form.toString(16)}: expected func (0x60), struct (0x5f) or array (0x5e)`, at);
  }
}

function readLimits(s: Cursor): Limits {
  const at = s.pos;
  const flags = s.u8();
  if (flags > 0x0f) s.fail(`malformed limits flags 0x${flags.toString(16)}`, at);
  // Limits are u64 for 32-bit memories and tables too (3.0): their bound is the validator's.
  const min = s.u64();
  const max = flags & 1 ? s.u64() : null;
  let pageSizeLog2: number | null = null;
  if (flags & 8) {
    const pageAt = s.pos;
    pageSizeLog2 = s.u32();
    // custom-page-sizes: the page size 2^p must fit a u64 (p <= 64); others are invalid, not malformed.
    if (pageSizeLog2 > 64) s.fail(`malformed custom page size 2^${pageSizeLog2}: the exponent must be at most 64`, pageAt);
  }
  return { min, max, addr64: (flags & 4) !== 0, shared: (flags & 2) !== 0, pageSizeLog2 };
}

function readTableType(s: Cursor): TableType {
  const type = readRefType(s);
  return { type, limits: readLimits(s) };
}

function readImports(s: Cursor, m: Module): void {
  const n = s.count(3);
  for (let i = 0; i < n; i++) {
    const module = s.name();
    const name = s.name();
    const kindAt = s.pos;
    const kind = s.u8();
    let imp: Import;
    switch (kind) {
      case ExternKind.Func: imp = { module, name, kind, type: s.u32() }; break;
      // Custom descriptors: a function import of exactly the given type.
      case EXACT_FUNC_IMPORT: imp = { module, name, kind: ExternKind.Func, type: s.u32(), exact: true }; break;
      case ExternKind.Table: imp = { module, name, kind, table: readTableType(s) }; break;
      case ExternKind.Memory: imp = { module, name, kind, memory: readLimits(s) }; break;
      case ExternKind.Global: {
        const type = readValType(s);
        imp = { module, name, kind, global: { type, mutable: readMutability(s) } };
        break;
      }
      case ExternKind.Tag: imp = { module, name, kind, type: readTag(s) }; break;
      default: s.fail(`malformed import kind ${kind}`, kindAt);
    }
    m.imports.push(imp);
  }
}

/** A constant expression: decoded once to find (and check) its extent, kept as bytes. */
function readExpr(s: Cursor, scratch: Body): Expr {
  const start = s.pos;
  const before = s.nonCanonical;
  s.nonCanonical = false;
  skipExpr(s, scratch);
  const canonical = !s.nonCanonical;
  s.nonCanonical ||= before;
  return { bytes: s.buf.subarray(start, s.pos), offset: start, canonical };
}

/** Checks a constant expression's structure; true when it is the common `i32.const N end`. */
function skipExpr(s: Cursor, scratch: Body): boolean {
  const start = s.pos;
  // Fast path for the common `i32.const n end` (data and element offsets).
  if (s.buf[start] === 0x41 && start < s.end) {
    s.pos++;
    s.s32();
    if (s.pos < s.end && s.buf[s.pos] === 0x0b) {
      s.pos++;
      return true;
    }
    s.pos = start;
  }
  scratch.reset();
  decodeInstructions(s, scratch);
  return false;
}

function readElem(s: Cursor, scratch: Body): Elem {
  const at = s.pos;
  const flags = s.u32();
  if (flags > 7) s.fail(`malformed elements segment kind ${flags}`, at);
  const passiveOrDeclarative = (flags & 1) !== 0;
  const explicitTable = (flags & 3) === 2;
  const usesExprs = (flags & 4) !== 0;
  const table = explicitTable ? s.u32() : 0;
  const offset = passiveOrDeclarative ? null : readExpr(s, scratch);
  // Function-index segments hold (ref func); expression segments without a type, funcref.
  let type = usesExprs ? FUNCREF : NON_NULL_FUNCREF;
  if (flags & 3) {
    if (usesExprs) {
      type = readRefType(s);
    } else {
      const kindAt = s.pos;
      if (s.u8() !== 0) s.fail('malformed element kind', kindAt);
    }
  }
  const n = s.count();
  if (usesExprs) {
    const exprs: Expr[] = [];
    for (let i = 0; i < n; i++) exprs.push(readExpr(s, scratch));
    return { flags, table, offset, type, funcs: null, exprs };
  }
  const funcs: number[] = new Array(n);
  for (let i = 0; i < n; i++) funcs[i] = s.u32();
  return { flags, table, offset, type, funcs, exprs: null };
}

const PASSIVE = 0, PLAIN = 1, OTHER = 2;

/**
 * Checks one data segment's structure without building it: PASSIVE, PLAIN (active in
 * memory 0 at `i32.const N`) or OTHER.
 */
function skipData(s: Cursor, scratch: Body): number {
  const at = s.pos;
  const flags = s.u32();
  if (flags > 2) s.fail(`malformed data segment kind ${flags}`, at);
  if (flags === 2) s.u32();
  const plain = flags !== 1 && skipExpr(s, scratch);
  s.skip(s.u32());
  return flags === 1 ? PASSIVE : flags === 0 && plain ? PLAIN : OTHER;
}

/**
 * Makes `m.datas` decode the kept section on first access (or be replaced by an
 * assignment); until then `m.lazyData` holds the section and the writer copies it.
 */
function deferDatas(m: Module, lazy: LazySection): void {
  m.lazyData = lazy;
  const settle = (datas: Data[]): Data[] => {
    Object.defineProperty(m, 'datas', { value: datas, writable: true, enumerable: true, configurable: true });
    m.lazyData = null;
    return datas;
  };
  Object.defineProperty(m, 'datas', {
    configurable: true,
    enumerable: true,
    get: () => {
      const c = new Cursor(lazy.bytes);
      const datas = new Array<Data>(c.count());
      const scratch = new Body();
      for (let i = 0; i < datas.length; i++) datas[i] = readData(c, scratch, lazy.offset);
      return settle(datas);
    },
    set: settle,
  });
}

/**
 * Visits every data segment without building them (the first access to `m.datas` does,
 * all ~100,000 of them in some modules): `visit(flags, memory, offset, at)` gets an active
 * segment's offset expression decoded into `scratch` and where it starts (as Expr.offset),
 * a passive one's as null. Reads the kept section, or `m.datas` once it was built.
 */
export function visitDatas(
  m: Module, scratch: Body, visit: (flags: number, memory: number, offset: Body | null, at: number) => void,
): void {
  const lazy = m.lazyData;
  if (!lazy) {
    for (const d of m.datas) visit(d.flags, d.memory, d.offset && decodeExpr(d.offset, scratch), d.offset?.offset ?? 0);
    return;
  }
  // The section's structure was checked when it was read (skipData).
  const c = new Cursor(lazy.bytes);
  const n = c.count();
  for (let i = 0; i < n; i++) {
    const flags = c.u32();
    const memory = flags === 2 ? c.u32() : 0;
    const at = c.pos;
    if (flags !== 1) {
      scratch.reset();
      decodeInstructions(c, scratch);
    }
    const size = c.u32();
    c.pos += size;
    visit(flags, memory, flags !== 1 ? scratch : null, lazy.offset + at);
  }
}

/** A data segment; `base` is the absolute offset of `s`'s buffer (a kept section's bytes). */
function readData(s: Cursor, scratch: Body, base = 0): Data {
  const at = s.pos;
  const flags = s.u32();
  if (flags > 2) s.fail(`malformed data segment kind ${flags}`, at);
  const memory = flags === 2 ? s.u32() : 0;
  const offset = flags === 1 ? null : readExpr(s, scratch);
  if (offset) offset.offset += base;
  const len = s.u32();
  return { flags, memory, offset, bytes: s.bytes(len) };
}

/**
 * The name section. Custom sections may not make a module malformed, so a name
 * section that fails to decode is kept raw (names = null) rather than rejected.
 */
function readNamesLenient(bytes: Uint8Array, m: Module): Names | null {
  try {
    const s = new Cursor(bytes, 0, bytes.length);
    const names = readNames(s);
    if (s.nonCanonical) m.nonCanonical = true;
    return names;
  } catch (e) {
    if (e instanceof WasmDecodeError) return null;
    throw e;
  }
}

function readNameMap(s: Cursor): NameMap {
  const map: NameMap = new Map();
  const n = s.count(2);
  for (let i = 0; i < n; i++) {
    const idx = s.u32();
    // A repeated index would be lost in the map: keep such a section raw instead.
    if (map.has(idx)) s.fail('duplicate index in name map');
    map.set(idx, s.name());
  }
  return map;
}

function readIndirectNameMap(s: Cursor): IndirectNameMap {
  const map: IndirectNameMap = new Map();
  const n = s.count(2);
  for (let i = 0; i < n; i++) {
    const idx = s.u32();
    if (map.has(idx)) s.fail('duplicate index in name map');
    map.set(idx, readNameMap(s));
  }
  return map;
}

/** Name-section subsection ids and the Names field each fills. */
export const NAME_SUBSECTIONS = [
  [1, 'functions'], [2, 'locals'], [3, 'labels'], [4, 'types'], [5, 'tables'], [6, 'memories'],
  [7, 'globals'], [8, 'elems'], [9, 'datas'], [10, 'fields'], [11, 'tags'],
] as const;
const INDIRECT = new Set([2, 3, 10]);

function readNames(s: Cursor): Names {
  const names = emptyNames();
  while (s.pos < s.end) {
    const id = s.u8();
    const size = s.u32();
    const sub = new Cursor(s.buf, s.pos, s.pos + size);
    if (size > s.end - s.pos) s.fail('name subsection runs past the end');
    if (names.order.includes(id)) s.fail('duplicate name subsection');
    names.order.push(id);
    if (id === 0) {
      names.module = sub.name();
    } else if (id <= 11) {
      const field = NAME_SUBSECTIONS[id - 1][1];
      (names as unknown as Record<string, unknown>)[field] = INDIRECT.has(id) ? readIndirectNameMap(sub) : readNameMap(sub);
    } else {
      names.unknown.set(id, sub.bytes(size));
    }
    if (sub.pos !== sub.end) s.fail('name subsection size mismatch');
    if (sub.nonCanonical) s.nonCanonical = true;
    s.pos += size;
  }
  return names;
}
