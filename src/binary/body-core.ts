/**
 * The host side of the body core (body-core.wat), for re-encoding untouched bodies
 * (`writeModule`'s `reencode`, i.e. `weft convert`): the core decodes a body into the IR
 * in its own memory (the arrays of `scratch()` are views of it) and encodes it there,
 * byte for byte as decodeFunc and encodeBody would; the JS decoder and encoder take what
 * it leaves to them.
 */
import { Body } from '../ir/body.js';
import { Imm, OPS, PREFIX_TABLE_SIZE, PREFIX_TABLES } from '../ir/opcodes.js';
import type { Func, Module } from '../ir/module.js';
import { bodySource, decodeFunc } from './decode.js';
import { startBody } from './decode-body.js';
import { encodeBodyAt, writeLocals } from './encode-body.js';
import type { Sink } from './sink.js';
import CORE_WASM from './body-core-wasm.js';
import { growCore, instantiateCore, type CoreMemory } from './wasm-core.js';

// Kinds: the order of body-core.wat's br_table.
const enum K { Bail, Plain, Index, I32, Memarg, Block, Two, I64, Bytes4, Bytes8, Bytes16, Lane, MemargLane, Zero, BrTable }

const KIND: Partial<Record<Imm, K>> = {
  [Imm.None]: K.Plain, [Imm.Label]: K.Index, [Imm.Func]: K.Index, [Imm.Type]: K.Index, [Imm.Local]: K.Index,
  [Imm.Global]: K.Index, [Imm.Table]: K.Index, [Imm.Mem]: K.Index, [Imm.Data]: K.Index, [Imm.Elem]: K.Index,
  [Imm.Tag]: K.Index, [Imm.I32]: K.I32, [Imm.Memarg]: K.Memarg, [Imm.Block]: K.Block, [Imm.CallIndirect]: K.Two,
  [Imm.MemMem]: K.Two, [Imm.DataMem]: K.Two, [Imm.ElemTable]: K.Two, [Imm.TableTable]: K.Two,
  [Imm.StructField]: K.Two, [Imm.TypeN]: K.Two, [Imm.TypeData]: K.Two, [Imm.TypeElem]: K.Two,
  [Imm.TypeType]: K.Two, [Imm.I64]: K.I64, [Imm.F32]: K.Bytes4, [Imm.F64]: K.Bytes8, [Imm.V128]: K.Bytes16,
  [Imm.Shuffle]: K.Bytes16, [Imm.Lane]: K.Lane, [Imm.MemargLane]: K.MemargLane, [Imm.Zero]: K.Zero,
  [Imm.BrTable]: K.BrTable,
};

// The kinds the core decodes: the same, but data indices (which need the data count
// section) are left to JS.
const DECODE_KIND: Partial<Record<Imm, K>> = { ...KIND, [Imm.Data]: K.Bail, [Imm.DataMem]: K.Bail, [Imm.TypeData]: K.Bail };

/** Where the tables are (see body-core.wat), and the IR arrays start. */
const KIND_AT = 0x1000, PREFIX_AT = 0x1400, IR_AT = 0x2000;
/** Readable bytes after the input, where reads past its end land. */
const PADDING = 64;

interface Instance {
  memory: CoreMemory;
  encode(n: number, ops: number, imm: number, extra: number, out: number): number;
  decode(pos: number, end: number, ops: number, imm: number, extra: number, extraCap: number): number;
  extraLength(): number;
}

let core: BodyCore | null | undefined;

export class BodyCore {
  private readonly body = new Body(0);
  /** Instructions the IR arrays have room for. */
  private capacity = 0;
  private opsAt = 0;
  private immAt = 0;
  private extraAt = 0;
  private outAt = 0;
  private inAt = 0;
  private views: [Uint16Array, Int32Array, Int32Array] | null = null;
  /** All of the core's memory (replaced when it grows). */
  private mem8: Uint8Array;

  private constructor(private readonly core: Instance) {
    this.mem8 = new Uint8Array(core.memory.buffer);
    const mem = new Uint8Array(core.memory.buffer, 0, IR_AT);
    for (const op of OPS) {
      if (op.imm === Imm.Prefix || op.imm === Imm.Invalid) continue;
      mem[op.id * 4] = KIND[op.imm] ?? K.Bail;
      mem[op.id * 4 + 1] = op.prefix;
      mem[op.id * 4 + 2] = op.code & 0xff;
      mem[op.id * 4 + 3] = op.code >> 8;
      mem[KIND_AT + op.id] = DECODE_KIND[op.imm] ?? K.Bail;
    }
    const prefixed = new Uint16Array(core.memory.buffer, PREFIX_AT, 4 * PREFIX_TABLE_SIZE);
    PREFIX_TABLES.forEach((table, p) => prefixed.set(table, p * PREFIX_TABLE_SIZE));
  }

  /** The process's core; null when there is no WebAssembly (the JS decoder and encoder do all). */
  static get(): BodyCore | null {
    if (core === undefined) {
      const exports = instantiateCore<Instance>(CORE_WASM);
      core = exports && new BodyCore(exports);
    }
    return core;
  }

  /**
   * A body to decode a code entry of `bytes` bytes into: its IR arrays live in the core's
   * memory, with room for as many instructions and extra words as it has bytes (each
   * takes one at least), so the decoder never replaces them.
   */
  scratch(bytes: number): Body {
    if (bytes + 1 > this.capacity) this.place(Math.max(bytes + 1, this.capacity * 2, 4096));
    // Put back any array the decoder replaced (a try_table can hold more extra words than bytes).
    [this.body.ops, this.body.imm, this.body.extra] = this.views!;
    return this.body;
  }

  private place(capacity: number): void {
    this.capacity = capacity;
    this.opsAt = IR_AT;
    this.immAt = align8(this.opsAt + capacity * 2);
    this.extraAt = this.immAt + capacity * 16;
    this.outAt = this.extraAt + capacity * 4;
    // The output: at most 32 bytes an instruction, and 5 a br_table label. Then the input.
    this.inAt = this.outAt + capacity * (32 + 5) + 64;
    const need = this.inAt + capacity + PADDING;
    growCore(this.core.memory, need);
    const buf = this.core.memory.buffer;
    this.mem8 = new Uint8Array(buf);
    this.views = [new Uint16Array(buf, this.opsAt, capacity), new Int32Array(buf, this.immAt, capacity * 4), new Int32Array(buf, this.extraAt, capacity)];
  }

  /**
   * Decodes function `f` of `m` into the core's memory (its instructions by the core, the
   * JS decoder for the shapes it leaves) and returns the body, valid until the next call.
   */
  decode(m: Module, f: Func): Body {
    const raw = f.raw!;
    const body = this.scratch(raw.length);
    const buf = bodySource(m, raw);
    const start = raw.byteOffset - buf.byteOffset;
    const c = startBody(buf, start, start + raw.length, body);
    const len = start + raw.length - c.pos;
    this.mem8.set(buf.subarray(c.pos, c.pos + len), this.inAt);
    this.mem8.fill(0, this.inAt + len, this.inAt + len + PADDING);
    const n = this.core.decode(this.inAt, this.inAt + len, this.opsAt, this.immAt, this.extraAt, this.capacity);
    if (n === 0) return decodeFunc(m, f, body);
    body.length = n;
    body.extraLength = this.core.extraLength();
    body.nonCanonical = c.nonCanonical;
    return body;
  }

  /**
   * The instructions of `b` (decoded into `scratch`) encoded, as a view valid until the
   * next call; null when the JS encoder must do it.
   */
  encode(b: Body): Uint8Array | null {
    const [ops, imm, extra] = this.views!;
    if (b !== this.body || b.ops !== ops || b.imm !== imm || b.extra !== extra) return null;
    const end = this.core.encode(b.length, this.opsAt, this.immAt, this.extraAt, this.outAt);
    return end === 0 ? null : this.mem8.subarray(this.outAt, end);
  }

  /**
   * Appends the instructions of any body `b` to `out`, by the core (after copying them into
   * its memory, which replaces what `scratch` and `decode` left there): for each index in
   * `at` (ascending), its byte offset in `out` from `base`. Null, and `out` as it was, when
   * the JS encoder must do it.
   */
  encodeOnto(b: Body, out: Sink, at: ArrayLike<number>, base: number): number[] | null {
    const n = b.length;
    const need = Math.max(n, b.extraLength) + 1;
    if (need > this.capacity) this.place(Math.max(need, this.capacity * 2, 4096));
    const [ops, imm, extra] = this.views!;
    ops.set(b.ops.subarray(0, n));
    imm.set(b.imm.subarray(0, n * 4));
    extra.set(b.extra.subarray(0, b.extraLength));
    const start = out.pos;
    const offsets: number[] = [];
    let from = 0;
    for (let j = 0; j <= at.length; j++) {
      const to = j < at.length ? at[j] : n;
      if (to > from) {
        const end = this.core.encode(to - from, this.opsAt + from * 2, this.immAt + from * 16, this.extraAt, this.outAt);
        if (end === 0) {
          out.pos = start;
          return null;
        }
        out.bytes(this.mem8.subarray(this.outAt, end));
        from = to;
      }
      if (j < at.length) offsets.push(out.pos - base);
    }
    return offsets;
  }

  /** encodeBodyAt (encode-body.ts), its instructions by the core where it takes them. */
  encodeBodyAt(b: Body, out: Sink, at: ArrayLike<number>): number[] {
    const start = out.pos;
    writeLocals(b, out);
    const offsets = this.encodeOnto(b, out, at, start);
    if (offsets) return offsets;
    out.pos = start;
    return encodeBodyAt(b, out, at);
  }
}

const align8 = (n: number): number => (n + 7) & ~7;
