/**
 * Instruction decoding: bytes → Body. One table-driven loop serves function bodies and
 * constant expressions. It is iterative (nesting is a counter), writes into the
 * body's typed arrays without allocating per instruction, and checks every byte it
 * reads against the body's end.
 */
import { Body, CatchKind } from '../ir/body.js';
import { Imm, NO_OP, OP_IMM, PREFIX_TABLE_SIZE, PREFIX_TABLES } from '../ir/opcodes.js';
import {
  EXACT, EXACT_PREFIX, exactHeap, isAbstractHeapCode, isRefType, REF, REF_NULL, SHORTHAND_REF_NAMES, type HeapType, type ValType,
} from '../ir/types.js';
import { Cursor } from './cursor.js';

/** Largest type index the int32 value-type encoding holds, exactness bit aside (far above any engine limit). */
const MAX_TYPE_INDEX = EXACT - 1;

export function readHeapType(c: Cursor): HeapType {
  const at = c.pos;
  const v = c.s33();
  if (v === EXACT_PREFIX) {
    // A u32, not an s33: an exact abstract heap type cannot even be written.
    const x = c.u32();
    if (x > MAX_TYPE_INDEX) c.fail('type index too large', at);
    return exactHeap(x);
  }
  if (v < 0) {
    if (v < -0x40 || !isAbstractHeapCode(v + 0x80)) c.fail('malformed heap type', at);
    return v;
  }
  if (v > MAX_TYPE_INDEX) c.fail('type index too large', at);
  return v;
}

/** Whether `code` is a one-byte value type (number, vector or shorthand reference). */
function isValTypeCode(code: number): boolean {
  return (code >= 0x7b && code <= 0x7f) || SHORTHAND_REF_NAMES.has(code);
}

export function readValType(c: Cursor): ValType {
  const at = c.pos;
  const code = c.u8();
  if (code === REF || code === REF_NULL) return (readHeapType(c) << 8) | code;
  if (!isValTypeCode(code)) c.fail(`malformed value type 0x${code.toString(16)}`, at);
  return code;
}

export function readRefType(c: Cursor): ValType {
  const at = c.pos;
  const t = readValType(c);
  if (!isRefType(t)) c.fail('malformed reference type', at);
  return t;
}

/** A storage type: a value type or a packed i8/i16. */
export function readStorageType(c: Cursor): ValType {
  const code = c.buf[c.pos];
  if (code === 0x78 || code === 0x77) {
    c.pos++;
    return code;
  }
  return readValType(c);
}

function readBlockType(c: Cursor, imm: Int32Array, k: number): void {
  const at = c.pos;
  const v = c.s33();
  if (v >= 0) {
    if (v > MAX_TYPE_INDEX) c.fail('type index too large', at);
    imm[k] = v;
    return;
  }
  if (v === -64) {
    imm[k] = v;
    return;
  }
  const code = v + 0x80;
  if (v < -0x40) c.fail('malformed block type', at);
  if (code === REF || code === REF_NULL) {
    imm[k] = v;
    imm[k + 1] = readHeapType(c);
    return;
  }
  if (!isValTypeCode(code)) c.fail('malformed block type', at);
  imm[k] = v;
}

function readMemarg(c: Cursor, imm: Int32Array, k: number, lane: boolean): void {
  const at = c.pos;
  const flags = c.u32();
  if (flags >= 0x80) c.fail('malformed memop flags', at);
  imm[k + 1] = flags & 0x40 ? c.u32() : 0;
  imm[k + 2] = c.i64(true);
  imm[k + 3] = c.hi;
  imm[k] = lane ? flags | (c.u8() << 8) : flags;
}

/**
 * How decodeFast treats an instruction's first byte: OTHER, PLAIN (no immediates), MEMARG,
 * PREFIX (a prefix byte: fast when the op has no immediates, see PREFIXED_PLAIN), or a
 * LEB128 immediate of at most 32 bits as LEB_UNSIGNED (an index) or LEB_SIGNED
 * (i32.const). The LEB values are the shift that sign-extends (or not) a one-byte payload.
 */
const OTHER = 0, PLAIN = 1, MEMARG = 2, PREFIX = 3;
export const LEB_UNSIGNED = 24, LEB_SIGNED = 25;
const FAST = new Uint8Array(256);
for (let byte = 0; byte < 256; byte++) {
  const kind = OP_IMM[byte];
  FAST[byte] =
    kind === Imm.None ? (byte === 0x0b ? OTHER : PLAIN)
    : kind === Imm.I32 ? LEB_SIGNED
    : kind === Imm.Memarg ? MEMARG
    : kind === Imm.Prefix ? PREFIX
    : (kind === Imm.Local || kind === Imm.Global || kind === Imm.Func || kind === Imm.Type || kind === Imm.Table ||
        kind === Imm.Mem || kind === Imm.Elem || kind === Imm.Tag || kind === Imm.Label) && byte !== 0x18 ? LEB_UNSIGNED
    : OTHER;
}
/** Op id by (prefix byte - 0xfb) * PREFIX_TABLE_SIZE + sub-opcode of the prefixed ops without immediates (most of SIMD), else NO_OP. */
const PREFIXED_PLAIN = new Uint16Array(4 * PREFIX_TABLE_SIZE).fill(NO_OP);
PREFIX_TABLES.forEach((table, p) => table.forEach((op, sub) => {
  if (op !== NO_OP && OP_IMM[op] === Imm.None) PREFIXED_PLAIN[p * PREFIX_TABLE_SIZE + sub] = op;
}));

/**
 * A one- or two-byte LEB128 immediate at `buf[p]` (two bytes readable), `sign` being
 * LEB_UNSIGNED or LEB_SIGNED: returns `(value << 2) | length`, or -1 when it is longer
 * or padded (a second byte that only repeats the sign, or is zero: non-canonical, which
 * decodeOne notes). The fast paths' immediate reader, shared with the validator's.
 */
export function leb14(buf: Uint8Array, p: number, sign: number): number {
  const b = buf[p];
  if (b < 0x80) return (((b << sign) >> sign) << 2) | 1;
  const b2 = buf[p + 1];
  if (b2 < 0x80 && b2 !== ((((b & 0x7f) << sign) >> 31) & 0x7f)) {
    return (((((b & 0x7f) | (b2 << 7)) << (sign - 7)) >> (sign - 7)) << 2) | 2;
  }
  return -1;
}

/**
 * A memarg at `buf[p]` (three bytes readable) for memory 0 with a one- or two-byte
 * offset: returns `(offset << 8) | (flags << 2) | length`, or -1 for any other. Shared
 * with the validator's fast paths, as leb14 is.
 */
export function memarg14(buf: Uint8Array, p: number): number {
  const flags = buf[p];
  if (flags >= 0x40) return -1;
  const off = buf[p + 1];
  if (off < 0x80) return (off << 8) | (flags << 2) | 2;
  const off2 = buf[p + 2];
  if (off2 < 0x80 && off2 !== 0) return (((off & 0x7f) | (off2 << 7)) << 8) | (flags << 2) | 3;
  return -1;
}

/**
 * Decodes the instruction at `buf[pos]` into slot `n` of `ops`/`imm` when it has one of
 * the shapes that make up most real code (an opcode alone, prefixed or not, or with a one-
 * or two-byte index, i32.const or memarg offset); returns the position after it, or -1 for any
 * other instruction (decodeOne's, with every check). The caller guarantees 4 readable
 * bytes from `pos`. Small, so that the loops calling it inline it.
 */
export function decodeFast(buf: Uint8Array, pos: number, ops: Uint16Array, imm: Int32Array, n: number): number {
  const byte = buf[pos];
  const f = FAST[byte];
  if (f >= LEB_UNSIGNED) {
    const v = leb14(buf, pos + 1, f);
    if (v !== -1) {
      ops[n] = byte;
      imm[n << 2] = v >> 2;
      return pos + 1 + (v & 3);
    }
  } else if (f === PLAIN) {
    ops[n] = byte;
    return pos + 1;
  } else if (f === MEMARG) {
    const v = memarg14(buf, pos + 1);
    if (v !== -1) {
      ops[n] = byte;
      const k = n << 2;
      imm[k] = (v >> 2) & 0x3f;
      imm[k + 1] = 0;
      imm[k + 2] = v >> 8;
      imm[k + 3] = 0;
      return pos + 1 + (v & 3);
    }
  } else if (f === PREFIX) {
    const v = leb14(buf, pos + 1, LEB_UNSIGNED);
    const op = v !== -1 && v >> 2 < PREFIX_TABLE_SIZE ? PREFIXED_PLAIN[(byte - 0xfb) * PREFIX_TABLE_SIZE + (v >> 2)] : NO_OP;
    if (op !== NO_OP) {
      ops[n] = op;
      return pos + 1 + (v & 3);
    }
  }
  return -1;
}

const END = 0x0b;

/**
 * Decodes, like decodeFast, the structure instructions among the common shapes: `end`
 * (one in thirty instructions), and block/loop/if/try with an empty or numeric block type.
 * Kept out of decodeFast because they change the nesting depth: the caller adds one for
 * a block, or subtracts one for an `end`, when this returns a position (else -1).
 */
export function decodeStructure(buf: Uint8Array, pos: number, ops: Uint16Array, imm: Int32Array, n: number): number {
  const byte = buf[pos];
  if (byte === END) {
    ops[n] = END;
    return pos + 1;
  }
  if (byte <= 0x06 && byte >= 0x02 && byte !== 0x05) {
    const t = buf[pos + 1];
    if (t === 0x40 || (t >= 0x7b && t <= 0x7f)) {
      ops[n] = byte;
      imm[n << 2] = t - 0x80;
      return pos + 2;
    }
  }
  return -1;
}

/**
 * Decodes instructions from `c` into `body` up to and including the `end` that closes
 * depth 0. For function bodies the caller checks that this `end` is the last byte.
 * Data indices may only be used when the module has a data count section.
 *
 * The loop itself holds only the fast paths (decodeFast); everything else goes through
 * decodeOne. Keeping the loop small makes it quick to optimize, and a rare path first
 * taken late deoptimizes decodeOne, not the loop.
 */
export function decodeInstructions(c: Cursor, body: Body, hasDataCount = true): void {
  // The position lives in a local; `c.pos` is synced around decodeOne.
  const buf = c.buf;
  let pos = c.pos;
  let depth = 0;
  let n = body.length;
  let ops = body.ops;
  let imm = body.imm;
  // The fast paths read at most 4 bytes without checks; off when offsets are tracked.
  const fastEnd = body.offsets ? -1 : c.end - 4;
  for (;;) {
    if (n === ops.length) {
      body.length = n;
      body.grow(n + 1);
      ops = body.ops;
      imm = body.imm;
    }
    if (pos <= fastEnd) {
      const next = decodeFast(buf, pos, ops, imm, n);
      if (next !== -1) {
        pos = next;
        n++;
        continue;
      }
      const after = decodeStructure(buf, pos, ops, imm, n);
      if (after !== -1) {
        pos = after;
        if (ops[n++] !== END) {
          depth++;
          continue;
        }
        if (depth === 0) {
          c.pos = pos;
          body.length = n;
          return;
        }
        depth--;
        continue;
      }
    }
    c.pos = pos;
    depth = decodeOne(c, body, n, depth, hasDataCount);
    pos = c.pos;
    n++;
    if (depth < 0) {
      body.length = n;
      return;
    }
  }
}

/**
 * Decodes the instruction at `c.pos` into slot `n` of `body` (which has room for it),
 * with every check. Returns the nesting depth after it: `depth` adjusted for block
 * starts and ends, or -1 for the `end` that closes depth 0.
 */
export function decodeOne(c: Cursor, body: Body, n: number, depth: number, hasDataCount: boolean): number {
  const buf = c.buf;
  const end = c.end;
  let pos = c.pos;
  const at = pos;
  if (pos >= end) c.fail('unexpected end of section or function: missing end', at);
  const byte = buf[pos++];
  let op = byte;
  let kind = OP_IMM[byte];
  if (kind >= Imm.Prefix) {
    if (kind === Imm.Invalid) c.fail(`illegal opcode 0x${byte.toString(16)}`, at);
    c.pos = pos;
    const sub = c.u32();
    pos = c.pos;
    op = sub < PREFIX_TABLE_SIZE ? PREFIX_TABLES[byte - 0xfb][sub] : NO_OP;
    if (op === NO_OP) c.fail(`illegal opcode 0x${byte.toString(16)} 0x${sub.toString(16)}`, at);
    kind = OP_IMM[op];
  }
  body.ops[n] = op;
  if (body.offsets) body.offsets[n] = at;
  const imm = body.imm;
  const k = n * 4;
  switch (kind) {
    case Imm.None:
      c.pos = pos;
      if (byte === 0x0b) return depth - 1;
      return depth;
    case Imm.Local:
    case Imm.Global:
    case Imm.Func:
    case Imm.Label:
    case Imm.Type:
    case Imm.Table:
    case Imm.Mem:
    case Imm.Elem:
    case Imm.Tag:
      c.pos = pos;
      imm[k] = c.u32();
      if (byte === 0x18) {
        // delegate closes its try
        if (depth === 0) c.fail('delegate outside of a try block', at);
        return depth - 1;
      }
      return depth;
    case Imm.I32:
      c.pos = pos;
      imm[k] = c.s32();
      return depth;
    case Imm.Memarg:
      c.pos = pos;
      readMemarg(c, imm, k, false);
      return depth;
    case Imm.Block: {
      const b = buf[pos];
      // 0x40 (empty) and one-byte value types: a negative one-byte s33 that is not ref/ref null
      if (b >= 0x40 && b < 0x80 && b !== 0x64 && b !== 0x63 && pos < end && (b === 0x40 || isValTypeCode(b))) {
        imm[k] = b - 0x80;
        c.pos = pos + 1;
      } else {
        c.pos = pos;
        readBlockType(c, imm, k);
      }
      return depth + 1;
    }
  }
  c.pos = pos;
  decodeRareImmediates(c, body, kind, k, at, hasDataCount);
  return kind === Imm.TryTable ? depth + 1 : depth;
}

/** The immediates not on decodeInstructions' fast paths, through the cursor. */
function decodeRareImmediates(c: Cursor, body: Body, kind: Imm, k: number, at: number, hasDataCount: boolean): void {
  const imm = body.imm;
  switch (kind) {
    case Imm.DataMem:
    case Imm.TypeData:
      if (!hasDataCount) c.fail('data count section required', at);
      imm[k] = c.u32();
      imm[k + 1] = c.u32();
      return;
    case Imm.Data:
      if (!hasDataCount) c.fail('data count section required', at);
      imm[k] = c.u32();
      return;
    case Imm.CallIndirect:
    case Imm.MemMem:
    case Imm.ElemTable:
    case Imm.TableTable:
    case Imm.StructField:
    case Imm.TypeN:
    case Imm.TypeElem:
    case Imm.TypeType:
      imm[k] = c.u32();
      imm[k + 1] = c.u32();
      return;
    case Imm.I64:
      imm[k] = c.i64();
      imm[k + 1] = c.hi;
      return;
    case Imm.F32:
      imm[k] = c.fixed32();
      return;
    case Imm.F64:
      imm[k] = c.fixed32();
      imm[k + 1] = c.fixed32();
      return;
    case Imm.BrTable: {
      const count = c.count();
      if (body.extraLength + count + 1 > body.extra.length) body.growExtra(body.extraLength + count + 1);
      const extra = body.extra;
      const start = body.extraLength;
      for (let i = 0; i <= count; i++) extra[start + i] = c.u32();
      imm[k] = start;
      imm[k + 1] = count;
      body.extraLength = start + count + 1;
      return;
    }
    case Imm.V128:
    case Imm.Shuffle:
      imm[k] = c.fixed32();
      imm[k + 1] = c.fixed32();
      imm[k + 2] = c.fixed32();
      imm[k + 3] = c.fixed32();
      return;
    case Imm.Lane:
      imm[k] = c.u8();
      return;
    case Imm.MemargLane:
      readMemarg(c, imm, k, true);
      return;
    case Imm.HeapType:
      imm[k] = readHeapType(c);
      return;
    case Imm.SelectT: {
      const count = c.count();
      if (body.extraLength + count > body.extra.length) body.growExtra(body.extraLength + count);
      const start = body.extraLength;
      for (let i = 0; i < count; i++) body.extra[start + i] = readValType(c);
      imm[k] = start;
      imm[k + 1] = count;
      body.extraLength = start + count;
      return;
    }
    case Imm.TryTable: {
      readBlockType(c, imm, k);
      const count = c.count(2);
      if (body.extraLength + count * 3 > body.extra.length) body.growExtra(body.extraLength + count * 3);
      const start = body.extraLength;
      const extra = body.extra;
      for (let i = 0; i < count; i++) {
        const kindAt = c.pos;
        const catchKind = c.u8();
        if (catchKind > CatchKind.CatchAllRef) c.fail('malformed catch clause', kindAt);
        extra[start + i * 3] = catchKind;
        extra[start + i * 3 + 1] = catchKind <= CatchKind.CatchRef ? c.u32() : 0;
        extra[start + i * 3 + 2] = c.u32();
      }
      imm[k + 2] = start;
      imm[k + 3] = count;
      body.extraLength = start + count * 3;
      return;
    }
    case Imm.BrOnCast: {
      const flagsAt = c.pos;
      const flags = c.u8();
      if (flags > 3) c.fail('malformed br_on_cast flags', flagsAt);
      imm[k] = flags;
      imm[k + 1] = c.u32();
      imm[k + 2] = readHeapType(c);
      imm[k + 3] = readHeapType(c);
      return;
    }
    case Imm.Zero: {
      const zeroAt = c.pos;
      if (c.u8() !== 0) c.fail('zero byte expected', zeroAt);
      return;
    }
  }
}

/** Upper bound of locals per function (the spec's implementation limit is far lower; this guards memory). */
const MAX_LOCALS = 0xffffffff;

/**
 * Decodes a function's code entry (locals and instructions, without the size prefix)
 * from `buf[start, end)` into `body` (reset first).
 */
export function decodeBodyInto(buf: Uint8Array, start: number, end: number, body: Body, hasDataCount = true): Body {
  const c = startBody(buf, start, end, body);
  decodeInstructions(c, body, hasDataCount);
  if (c.pos !== end) c.fail('section size mismatch: function body continues after its final end', c.pos);
  body.nonCanonical = c.nonCanonical;
  return body;
}

/**
 * Resets `body` for the code entry `buf[start, end)`, decodes its local declarations
 * and returns a cursor at its first instruction. Shared with the validator's fused decode.
 */
export function startBody(buf: Uint8Array, start: number, end: number, body: Body): Cursor {
  body.reset();
  // Room for every instruction up front (each takes at least a byte), so the loop's
  // growth path stays cold: an optimized loop that meets it later deoptimizes.
  if (body.ops.length < end - start) body.grow(end - start);
  const c = new Cursor(buf, start, end);
  const groups = c.count(2);
  let total = 0;
  for (let i = 0; i < groups; i++) {
    const at = c.pos;
    const count = c.u32();
    total += count;
    if (total > MAX_LOCALS) c.fail('too many locals', at);
    body.locals.push(count, readValType(c));
  }
  return c;
}
