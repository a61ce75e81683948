/**
 * Instruction encoding: Body → bytes. The mirror image of decode-body.ts, driven by
 * the same opcode table.
 */
import { CatchKind, type Body } from '../ir/body.js';
import { Imm, OP_IMM, OPS } from '../ir/opcodes.js';
import { heapIndex, isExactHeap, REF, REF_NULL, type HeapType, type ValType } from '../ir/types.js';
import { putFixed32, putI64, putS32, putU32, type Sink } from './sink.js';

const OP_PREFIX = Uint8Array.from(OPS, (o) => o.prefix);
const OP_CODE = Uint16Array.from(OPS, (o) => o.code);

/** A heap type: its s33 value, or the exact prefix 0x62 and the u32 type index. */
function putHeapType(buf: Uint8Array, p: number, h: HeapType): number {
  if (!isExactHeap(h)) return putS32(buf, p, h);
  buf[p++] = 0x62;
  return putU32(buf, p, heapIndex(h));
}

export function writeValType(out: Sink, t: ValType): void {
  const code = t & 0xff;
  out.u8(code);
  if (code === REF || code === REF_NULL) {
    out.ensure(6);
    out.pos = putHeapType(out.buf, out.pos, t >> 8);
  }
}

/** A block type: its s33 value, and the heap type after a ref / ref null code. */
function putBlockType(buf: Uint8Array, p: number, imm: Int32Array, k: number): number {
  const raw = imm[k];
  const code = raw + 0x80;
  if (raw < 0 && (code === REF || code === REF_NULL)) {
    buf[p++] = code;
    return putHeapType(buf, p, imm[k + 1]);
  }
  return putS32(buf, p, raw);
}

function putMemarg(buf: Uint8Array, p: number, imm: Int32Array, k: number): number {
  const flags = imm[k] & 0xff;
  buf[p++] = flags;
  if (flags & 0x40) p = putU32(buf, p, imm[k + 1]);
  return putI64(buf, p, imm[k + 2], imm[k + 3], true);
}

/** How encodeInstructions' fast paths treat an op (by id). */
const enum Fast { Other, Plain, Index, I32, Memarg, Block, PrefixedPlain }
const FAST = Uint8Array.from(OPS, (o) => {
  if (o.prefix !== 0) return o.imm === Imm.None ? Fast.PrefixedPlain : Fast.Other;
  switch (o.imm) {
    case Imm.Block: return Fast.Block;
    case Imm.None: return Fast.Plain;
    case Imm.I32: return Fast.I32;
    case Imm.Memarg: return Fast.Memarg;
    case Imm.Label: case Imm.Func: case Imm.Type: case Imm.Local: case Imm.Global: case Imm.Table:
    case Imm.Mem: case Imm.Data: case Imm.Elem: case Imm.Tag:
      return Fast.Index;
    default: return Fast.Other;
  }
});

/** Room every fixed-size instruction fits in: prefix + sub-opcode + the largest fixed immediates. */
const MAX_FIXED = 32;

/**
 * Encodes instructions [from, to) of `body`. Room is reserved once per instruction
 * and the position kept in a local. The loop holds only the fast paths (an opcode
 * alone, prefixed or not, or with a small index, i32.const, memarg or one-byte block
 * type); everything else goes through
 * encodeOne, so the loop stays small to optimize and rare paths deoptimize only encodeOne.
 */
export function encodeInstructions(body: Body, out: Sink, from = 0, to = body.length): void {
  const ops = body.ops;
  const imm = body.imm;
  const fast = FAST;
  let buf = out.buf;
  let p = out.pos;
  for (let i = from; i < to; i++) {
    if (p + MAX_FIXED > buf.length) {
      out.pos = p;
      out.ensure(MAX_FIXED);
      buf = out.buf;
    }
    const op = ops[i];
    const f = fast[op];
    if (f === Fast.Index) {
      const v = imm[i << 2];
      if (v >>> 0 < 0x80) {
        buf[p] = op;
        buf[p + 1] = v;
        p += 2;
        continue;
      }
      if (v >>> 0 < 0x4000) {
        buf[p] = op;
        buf[p + 1] = v | 0x80;
        buf[p + 2] = v >>> 7;
        p += 3;
        continue;
      }
    } else if (f === Fast.Plain) {
      buf[p++] = op;
      continue;
    } else if (f === Fast.I32) {
      const v = imm[i << 2];
      if (v >= -64 && v < 64) {
        buf[p] = op;
        buf[p + 1] = v & 0x7f;
        p += 2;
        continue;
      }
      if (v >= -8192 && v < 8192) {
        buf[p] = op;
        buf[p + 1] = v | 0x80;
        buf[p + 2] = (v >> 7) & 0x7f;
        p += 3;
        continue;
      }
    } else if (f === Fast.Memarg) {
      const k = i << 2;
      const flags = imm[k];
      const off = imm[k + 2];
      if (flags < 0x40 && imm[k + 3] === 0) {
        if (off >>> 0 < 0x80) {
          buf[p] = op;
          buf[p + 1] = flags;
          buf[p + 2] = off;
          p += 3;
          continue;
        }
        if (off >>> 0 < 0x4000) {
          buf[p] = op;
          buf[p + 1] = flags;
          buf[p + 2] = off | 0x80;
          buf[p + 3] = off >>> 7;
          p += 4;
          continue;
        }
      }
    } else if (f === Fast.Block) {
      // A one-byte block type: empty, or a value type other than (ref ...) / (ref null ...)
      const t = imm[i << 2];
      if (t >= -64 && t < 0 && t !== REF - 0x80 && t !== REF_NULL - 0x80) {
        buf[p] = op;
        buf[p + 1] = t & 0x7f;
        p += 2;
        continue;
      }
    } else if (f === Fast.PrefixedPlain) {
      const code = OP_CODE[op];
      buf[p] = OP_PREFIX[op];
      if (code < 0x80) {
        buf[p + 1] = code;
        p += 2;
      } else {
        buf[p + 1] = code | 0x80;
        buf[p + 2] = code >>> 7;
        p += 3;
      }
      continue;
    }
    out.pos = p;
    p = encodeOne(body, i, out);
    buf = out.buf;
  }
  out.pos = p;
}

/**
 * Encodes instruction `i` of `body` at `out.pos` (with MAX_FIXED bytes of room) and
 * returns the position after it; `out.buf` may have been replaced.
 */
function encodeOne(body: Body, i: number, out: Sink): number {
  const op = body.ops[i];
  const imm = body.imm;
  const extra = body.extra;
  const buf = out.buf;
  let p = out.pos;
  if (op < 256) {
    buf[p++] = op;
  } else {
    buf[p++] = OP_PREFIX[op];
    p = putU32(buf, p, OP_CODE[op]);
  }
  const k = i * 4;
  switch (OP_IMM[op]) {
    case Imm.None:
      break;
    case Imm.Label:
    case Imm.Func:
    case Imm.Type:
    case Imm.Local:
    case Imm.Global:
    case Imm.Table:
    case Imm.Mem:
    case Imm.Data:
    case Imm.Elem:
    case Imm.Tag: {
      const v = imm[k];
      if (v >>> 0 < 0x80) buf[p++] = v;
      else p = putU32(buf, p, v);
      break;
    }
    case Imm.I32: {
      const v = imm[k];
      if (v >= -64 && v < 64) buf[p++] = v & 0x7f;
      else p = putS32(buf, p, v);
      break;
    }
    case Imm.Memarg:
      p = putMemarg(buf, p, imm, k);
      break;
    case Imm.Block:
      p = putBlockType(buf, p, imm, k);
      break;
    case Imm.HeapType:
      p = putHeapType(buf, p, imm[k]);
      break;
    case Imm.CallIndirect:
    case Imm.MemMem:
    case Imm.DataMem:
    case Imm.ElemTable:
    case Imm.TableTable:
    case Imm.StructField:
    case Imm.TypeN:
    case Imm.TypeData:
    case Imm.TypeElem:
    case Imm.TypeType:
      p = putU32(buf, p, imm[k]);
      p = putU32(buf, p, imm[k + 1]);
      break;
    case Imm.I64:
      p = putI64(buf, p, imm[k], imm[k + 1], false);
      break;
    case Imm.F32:
      p = putFixed32(buf, p, imm[k]);
      break;
    case Imm.F64:
      p = putFixed32(buf, p, imm[k]);
      p = putFixed32(buf, p, imm[k + 1]);
      break;
    case Imm.V128:
    case Imm.Shuffle:
      p = putFixed32(buf, p, imm[k]);
      p = putFixed32(buf, p, imm[k + 1]);
      p = putFixed32(buf, p, imm[k + 2]);
      p = putFixed32(buf, p, imm[k + 3]);
      break;
    case Imm.Lane:
      buf[p++] = imm[k];
      break;
    case Imm.MemargLane:
      p = putMemarg(buf, p, imm, k);
      buf[p++] = imm[k] >>> 8;
      break;
    case Imm.BrOnCast:
      buf[p++] = imm[k];
      p = putU32(buf, p, imm[k + 1]);
      p = putHeapType(buf, p, imm[k + 2]);
      p = putHeapType(buf, p, imm[k + 3]);
      break;
    case Imm.Zero:
      buf[p++] = 0;
      break;
    default:
      // Variable-length immediates: through the sink, which grows as needed.
      out.pos = p;
      writeVariable(out, OP_IMM[op], imm, k, extra);
      return out.pos;
  }
  return p;
}

function writeVariable(out: Sink, kind: Imm, imm: Int32Array, k: number, extra: Int32Array): void {
  switch (kind) {
    case Imm.BrTable: {
      const start = imm[k];
      const count = imm[k + 1];
      out.u32(count);
      for (let j = 0; j <= count; j++) out.u32(extra[start + j]);
      return;
    }
    case Imm.SelectT: {
      const start = imm[k];
      const count = imm[k + 1];
      out.u32(count);
      for (let j = 0; j < count; j++) writeValType(out, extra[start + j]);
      return;
    }
    case Imm.TryTable: {
      out.ensure(MAX_FIXED);
      out.pos = putBlockType(out.buf, out.pos, imm, k);
      const start = imm[k + 2];
      const count = imm[k + 3];
      out.u32(count);
      for (let j = 0; j < count; j++) {
        const kind = extra[start + j * 3];
        out.u8(kind);
        if (kind <= CatchKind.CatchRef) out.u32(extra[start + j * 3 + 1]);
        out.u32(extra[start + j * 3 + 2]);
      }
      return;
    }
  }
}

/** Encodes a code entry (locals + instructions), without the size prefix. */
export function encodeBody(body: Body, out: Sink): void {
  writeLocals(body, out);
  encodeInstructions(body, out);
}

/**
 * encodeBody, also returning, for each instruction index in `at` (ascending), its byte
 * offset from the start of the locals: the offsets branch hints and similar metadata use.
 */
export function encodeBodyAt(body: Body, out: Sink, at: ArrayLike<number>): number[] {
  const start = out.pos;
  writeLocals(body, out);
  const offsets: number[] = [];
  let from = 0;
  for (let j = 0; j < at.length; j++) {
    encodeInstructions(body, out, from, at[j]);
    from = at[j];
    offsets.push(out.pos - start);
  }
  encodeInstructions(body, out, from, body.length);
  return offsets;
}

/** A body's local declarations. */
export function writeLocals(body: Body, out: Sink): void {
  const locals = body.locals;
  out.u32(locals.length >> 1);
  for (let i = 0; i < locals.length; i += 2) {
    out.u32(locals[i]);
    writeValType(out, locals[i + 1]);
  }
}
