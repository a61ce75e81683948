/**
 * The function-body IR: a flat instruction list in struct-of-arrays form.
 *
 * Instruction i has op id `ops[i]` (an index into OPS) and four int32 immediates
 * `imm[4i .. 4i+3]`; variable-length immediates live in `extra`. Structure is kept
 * the way the binary keeps it, with block/loop/if/try/try_table ... end markers,
 * so every valid body (stack-polymorphic code, multi-value blocks) is representable,
 * no walker needs recursion, and a 1,000,000-deep nest costs what a flat run does.
 *
 * Immediate layout per kind (see Imm):
 *   Block        imm0 = block type as its s33 value (-64 empty, negative: a value-type
 *                code - 0x80, >= 0: type index); imm1 = heap type when the code is ref/ref null
 *   Label, Func, Type, Local, Global, Table, Mem, Data, Elem, Tag, HeapType, Lane
 *                imm0 = the index or value
 *   CallIndirect imm0 = type index, imm1 = table index
 *   BrTable      imm0 = offset in extra, imm1 = number of targets n; extra holds n targets then the default
 *   Memarg       imm0 = the flags field (alignment exponent, 0x40 = memory index present),
 *                imm1 = memory index, imm2/imm3 = offset low/high 32 bits
 *   MemargLane   as Memarg, with the lane in bits 8.. of imm0
 *   MemMem, DataMem, ElemTable, TableTable, StructField, TypeN, TypeData, TypeElem, TypeType
 *                imm0, imm1 = the two indices in binary order
 *   I32, F32     imm0 = the value / bit pattern;  I64, F64: imm0/imm1 = low/high halves
 *   V128, Shuffle imm0..imm3 = the 16 bytes, little-endian
 *   SelectT      imm0 = offset in extra, imm1 = count; extra holds the value types
 *   TryTable     imm0/imm1 = block type as for Block, imm2 = offset in extra, imm3 = count;
 *                extra holds (kind, tag, label) per catch clause
 *   BrOnCast     imm0 = flags, imm1 = label, imm2 = source heap type, imm3 = target heap type
 */
import { Imm, OP_IMM } from './opcodes.js';
import type { ValType } from './types.js';

export class Body {
  /** Local declarations as written in the binary: [count, type] pairs. */
  locals: number[] = [];
  ops: Uint16Array;
  imm: Int32Array;
  extra: Int32Array;
  /**
   * Absolute byte offset of each instruction in the input it was decoded from, when
   * asked for with `trackOffsets` (error reporting re-decodes with it; the hot path skips it).
   */
  offsets: Uint32Array | null = null;
  length = 0;
  extraLength = 0;
  /** The bytes it was decoded from used a non-canonical encoding (e.g. a padded LEB128). */
  nonCanonical = false;

  constructor(capacity = 64) {
    this.ops = new Uint16Array(capacity);
    this.imm = new Int32Array(capacity * 4);
    this.extra = new Int32Array(16);
  }

  /** Empties the body, keeping its buffers for reuse. */
  reset(): void {
    // A new array: shrinking one (`length = 0`) is a runtime call, and bodies are reset by the thousand.
    this.locals = [];
    this.length = 0;
    this.extraLength = 0;
    this.nonCanonical = false;
  }

  grow(min: number): void {
    const cap = Math.max(min, this.ops.length * 2);
    const ops = new Uint16Array(cap);
    ops.set(this.ops.subarray(0, this.length));
    const imm = new Int32Array(cap * 4);
    imm.set(this.imm.subarray(0, this.length * 4));
    this.ops = ops;
    this.imm = imm;
    if (this.offsets) {
      const offsets = new Uint32Array(cap);
      offsets.set(this.offsets.subarray(0, this.length));
      this.offsets = offsets;
    }
  }

  /** Makes decoding into this body record each instruction's byte offset. */
  trackOffsets(): this {
    if (!this.offsets) this.offsets = new Uint32Array(this.ops.length);
    return this;
  }

  growExtra(min: number): void {
    const extra = new Int32Array(Math.max(min, this.extra.length * 2));
    extra.set(this.extra.subarray(0, this.extraLength));
    this.extra = extra;
  }

  /** Appends an instruction and returns its index. */
  push(op: number, a = 0, b = 0, c = 0, d = 0, offset = 0): number {
    const i = this.length;
    if (i === this.ops.length) this.grow(i + 1);
    this.ops[i] = op;
    const k = i * 4;
    const imm = this.imm;
    imm[k] = a;
    imm[k + 1] = b;
    imm[k + 2] = c;
    imm[k + 3] = d;
    if (this.offsets) this.offsets[i] = offset;
    this.length = i + 1;
    return i;
  }

  /** Appends values to `extra` and returns where they start. */
  pushExtra(values: ArrayLike<number>): number {
    const at = this.extraLength;
    if (at + values.length > this.extra.length) this.growExtra(at + values.length);
    for (let i = 0; i < values.length; i++) this.extra[at + i] = values[i];
    this.extraLength = at + values.length;
    return at;
  }

  /** The declared (non-parameter) locals, expanded. */
  localTypes(): ValType[] {
    const out: ValType[] = [];
    for (let i = 0; i < this.locals.length; i += 2) {
      for (let n = 0; n < this.locals[i]; n++) out.push(this.locals[i + 1]);
    }
    return out;
  }
}

/** Block type of a Block/TryTable instruction. */
export type BlockType =
  | { kind: 'empty' }
  | { kind: 'value'; type: ValType }
  | { kind: 'func'; typeIndex: number };

export function blockTypeAt(body: Body, i: number): BlockType {
  const raw = body.imm[i * 4];
  if (raw === -64) return { kind: 'empty' };
  if (raw >= 0) return { kind: 'func', typeIndex: raw };
  const code = raw + 0x80;
  return { kind: 'value', type: code === 0x64 || code === 0x63 ? (body.imm[i * 4 + 1] << 8) | code : code };
}

/** Catch clause kinds of try_table, by their binary codes. */
export const enum CatchKind { Catch = 0, CatchRef = 1, CatchAll = 2, CatchAllRef = 3 }

/**
 * Appends instructions [from, to) of `src` to `dst`. Immediates that point into the
 * `extra` table (br_table targets, typed select, try_table clauses) are copied along,
 * unless the caller knows there are none among them (`extras` false).
 */
export function copyInstructions(src: Body, from: number, to: number, dst: Body, extras = src.extraLength > 0): void {
  const n = to - from;
  if (n <= 0) return;
  const at = dst.length;
  if (at + n > dst.ops.length) dst.grow(at + n);
  const ops = dst.ops;
  const imm = dst.imm;
  if (n < 16) {
    // Passes copy many short runs: a loop beats two subarrays and two runtime copies.
    const sops = src.ops;
    const simm = src.imm;
    for (let i = 0; i < n; i++) {
      ops[at + i] = sops[from + i];
      const k = (at + i) * 4;
      const q = (from + i) * 4;
      imm[k] = simm[q];
      imm[k + 1] = simm[q + 1];
      imm[k + 2] = simm[q + 2];
      imm[k + 3] = simm[q + 3];
    }
  } else {
    ops.set(src.ops.subarray(from, to), at);
    imm.set(src.imm.subarray(from * 4, to * 4), at * 4);
  }
  if (dst.offsets) dst.offsets.fill(0, at, at + n);
  dst.length = at + n;
  if (!extras) return;
  for (let i = at; i < at + n; i++) {
    const kind = OP_IMM[ops[i]];
    if (kind === Imm.BrTable) {
      const k = i * 4;
      imm[k] = dst.pushExtra(src.extra.subarray(imm[k], imm[k] + imm[k + 1] + 1));
    } else if (kind === Imm.SelectT) {
      const k = i * 4;
      imm[k] = dst.pushExtra(src.extra.subarray(imm[k], imm[k] + imm[k + 1]));
    } else if (kind === Imm.TryTable) {
      const k = i * 4;
      imm[k + 2] = dst.pushExtra(src.extra.subarray(imm[k + 2], imm[k + 2] + imm[k + 3] * 3));
    }
  }
}
