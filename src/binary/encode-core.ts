/**
 * The host side of the encoder's fast core (encode-core.wat), for re-encoding untouched
 * bodies (`writeModule`'s `reencode`, i.e. `weft convert`): a body is decoded straight
 * into the core's memory (the IR arrays of `scratch()` are views of it), and the core
 * encodes it there, byte for byte as encodeBody would. A body with an op the core leaves
 * to JS is encoded by encodeBody instead.
 */
import { Body } from '../ir/body.js';
import { Imm, OPS } from '../ir/opcodes.js';
import CORE_WASM from './encode-core-wasm.js';

// Kinds: the order of encode-core.wat's br_table.
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

/** Where the IR arrays start; below is the descriptor table. */
const IR_AT = 0x1000;

interface Instance {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  encode(n: number, ops: number, imm: number, extra: number, out: number): number;
}

let core: EncodeCore | null | undefined;

export class EncodeCore {
  private readonly body = new Body(0);
  /** Instructions the IR arrays have room for. */
  private capacity = 0;
  private opsAt = 0;
  private immAt = 0;
  private extraAt = 0;
  private outAt = 0;
  private views: [Uint16Array, Int32Array, Int32Array] | null = null;

  private constructor(private readonly core: Instance) {
    const desc = new Uint8Array(core.memory.buffer, 0, IR_AT);
    for (const op of OPS) {
      if (op.imm === Imm.Prefix || op.imm === Imm.Invalid) continue;
      desc[op.id * 4] = KIND[op.imm] ?? K.Bail;
      desc[op.id * 4 + 1] = op.prefix;
      desc[op.id * 4 + 2] = op.code & 0xff;
      desc[op.id * 4 + 3] = op.code >> 8;
    }
  }

  /** The process's core; null when there is no WebAssembly (the JS encoder does all). */
  static get(): EncodeCore | null {
    if (core !== undefined) return core;
    try {
      const WA = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object; Instance: new (m: object) => { exports: object } } }).WebAssembly;
      core = new EncodeCore(new WA.Instance(new WA.Module(CORE_WASM)).exports as Instance);
    } catch {
      core = null;
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
    // The output: at most 32 bytes an instruction, and 5 a br_table label.
    const need = this.outAt + capacity * (32 + 5) + 64;
    const memory = this.core.memory;
    if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
    const buf = memory.buffer;
    this.views = [new Uint16Array(buf, this.opsAt, capacity), new Int32Array(buf, this.immAt, capacity * 4), new Int32Array(buf, this.extraAt, capacity)];
  }

  /**
   * The instructions of `b` (decoded into `scratch`) encoded, as a view valid until the
   * next call; null when the JS encoder must do it.
   */
  encode(b: Body): Uint8Array | null {
    const [ops, imm, extra] = this.views!;
    if (b !== this.body || b.ops !== ops || b.imm !== imm || b.extra !== extra) return null;
    const end = this.core.encode(b.length, this.opsAt, this.immAt, this.extraAt, this.outAt);
    return end === 0 ? null : new Uint8Array(this.core.memory.buffer, this.outAt, end - this.outAt);
  }
}

const align8 = (n: number): number => (n + 7) & ~7;
