/**
 * Instruction encoding: Body → bytes. The mirror image of decode-body.ts, driven by
 * the same opcode table.
 */
import type { Body } from '../ir/body.js';
import { Imm, OP_IMM, OPS } from '../ir/opcodes.js';
import { REF, REF_NULL, type ValType } from '../ir/types.js';
import type { Sink } from './sink.js';

const OP_PREFIX = Uint8Array.from(OPS, (o) => o.prefix);
const OP_CODE = Uint16Array.from(OPS, (o) => o.code);

export function writeValType(out: Sink, t: ValType): void {
  const code = t & 0xff;
  out.u8(code);
  if (code === REF || code === REF_NULL) out.s32(t >> 8);
}

function writeBlockType(out: Sink, imm: Int32Array, k: number): void {
  const raw = imm[k];
  const code = raw + 0x80;
  if (raw < 0 && (code === REF || code === REF_NULL)) {
    out.u8(code);
    out.s32(imm[k + 1]);
  } else {
    out.s32(raw);
  }
}

function writeMemarg(out: Sink, imm: Int32Array, k: number): void {
  const flags = imm[k] & 0xff;
  out.u8(flags);
  if (flags & 0x40) out.u32(imm[k + 1]);
  out.i64(imm[k + 2], imm[k + 3], true);
}

/** Encodes instructions [from, to) of `body`. */
export function encodeInstructions(body: Body, out: Sink, from = 0, to = body.length): void {
  const ops = body.ops;
  const imm = body.imm;
  const extra = body.extra;
  for (let i = from; i < to; i++) {
    const op = ops[i];
    const prefix = OP_PREFIX[op];
    if (prefix === 0) {
      out.u8(OP_CODE[op]);
    } else {
      out.u8(prefix);
      out.u32(OP_CODE[op]);
    }
    const k = i * 4;
    switch (OP_IMM[op]) {
      case Imm.None:
        break;
      case Imm.Block:
        writeBlockType(out, imm, k);
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
      case Imm.Tag:
        out.u32(imm[k]);
        break;
      case Imm.I32:
        out.s32(imm[k]);
        break;
      case Imm.Memarg:
        writeMemarg(out, imm, k);
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
        out.u32(imm[k]);
        out.u32(imm[k + 1]);
        break;
      case Imm.I64:
        out.i64(imm[k], imm[k + 1]);
        break;
      case Imm.F32:
        out.fixed32(imm[k]);
        break;
      case Imm.F64:
        out.fixed32(imm[k]);
        out.fixed32(imm[k + 1]);
        break;
      case Imm.BrTable: {
        const start = imm[k];
        const count = imm[k + 1];
        out.u32(count);
        for (let j = 0; j <= count; j++) out.u32(extra[start + j]);
        break;
      }
      case Imm.V128:
      case Imm.Shuffle:
        out.fixed32(imm[k]);
        out.fixed32(imm[k + 1]);
        out.fixed32(imm[k + 2]);
        out.fixed32(imm[k + 3]);
        break;
      case Imm.Lane:
        out.u8(imm[k]);
        break;
      case Imm.MemargLane:
        writeMemarg(out, imm, k);
        out.u8(imm[k] >>> 8);
        break;
      case Imm.HeapType:
        out.s32(imm[k]);
        break;
      case Imm.SelectT: {
        const start = imm[k];
        const count = imm[k + 1];
        out.u32(count);
        for (let j = 0; j < count; j++) writeValType(out, extra[start + j]);
        break;
      }
      case Imm.TryTable: {
        writeBlockType(out, imm, k);
        const start = imm[k + 2];
        const count = imm[k + 3];
        out.u32(count);
        for (let j = 0; j < count; j++) {
          const kind = extra[start + j * 3];
          out.u8(kind);
          if (kind <= 1) out.u32(extra[start + j * 3 + 1]);
          out.u32(extra[start + j * 3 + 2]);
        }
        break;
      }
      case Imm.BrOnCast:
        out.u8(imm[k]);
        out.u32(imm[k + 1]);
        out.s32(imm[k + 2]);
        out.s32(imm[k + 3]);
        break;
      case Imm.Zero:
        out.u8(0);
        break;
    }
  }
}

/** Encodes a code entry (locals + instructions), without the size prefix. */
export function encodeBody(body: Body, out: Sink): void {
  const locals = body.locals;
  out.u32(locals.length >> 1);
  for (let i = 0; i < locals.length; i += 2) {
    out.u32(locals[i]);
    writeValType(out, locals[i + 1]);
  }
  encodeInstructions(body, out);
}
