/**
 * The host side of the validator's fast core (core.wat): it fills the core's tables from
 * the opcode table and the module context, then copies each untouched body into the
 * core's memory and asks the core about it. The core answers "valid" or
 * "not sure"; `validate` checks the not-sure ones with the complete validator, so the
 * core only ever makes validation faster, never different.
 */
import { Imm, OP_LANES, OPS, PREFIX_ATOMIC, PREFIX_TABLE_SIZE, type OpInfo } from '../ir/opcodes.js';
import { F32, F64, I32, I64, V128, heapFromCode, HeapCode, refType, type ValType } from '../ir/types.js';
import type { ModuleContext } from './context.js';
import { growCore, instantiateCore, type CoreMemory } from '../binary/wasm-core.js';
import CORE_WASM from './core-wasm.js';

// Descriptor kinds: the order of core.wat's br_table.
const enum K {
  Bail, Simple, LocalGet, LocalSet, LocalTee, I32Const, Memarg, End, BrIf, Call,
  Block, Loop, If, Else, Br, BrTable, Return, CallIndirect, Unreachable, Nop, Drop,
  Select, SelectT, GlobalGet, GlobalSet, I64Const, F32Const, F64Const, V128Const,
  MemargLane, Lane, Shuffle, MemIdx, MemIdx2, Prefix,
}

// core.wat's fixed addresses.
const SINGLE = 0x2c00;
const DYN = 0x2e000;
const DESC_ENTRIES = 256 + 4 * PREFIX_TABLE_SIZE;
/** Readable bytes after a body, where reads past its end (and the core's `$bad`) land. */
const PADDING = 256;

const LETTER: Record<string, number> = { i: I32, I: I64, f: F32, F: F64, V: V128, a: I32 };
const BY_NAME: Record<string, K> = {
  'local.get': K.LocalGet, 'local.set': K.LocalSet, 'local.tee': K.LocalTee, 'global.get': K.GlobalGet,
  'global.set': K.GlobalSet, end: K.End, br_if: K.BrIf, call: K.Call, call_indirect: K.CallIndirect,
  block: K.Block, loop: K.Loop, if: K.If, else: K.Else, br: K.Br, br_table: K.BrTable, return: K.Return,
  unreachable: K.Unreachable, nop: K.Nop, drop: K.Drop, 'memory.copy': K.MemIdx2, 'memory.fill': K.MemIdx,
};
const BY_IMM: Partial<Record<Imm, K>> = {
  [Imm.None]: K.Simple, [Imm.I32]: K.I32Const, [Imm.I64]: K.I64Const, [Imm.F32]: K.F32Const, [Imm.F64]: K.F64Const,
  [Imm.V128]: K.V128Const, [Imm.Memarg]: K.Memarg, [Imm.MemargLane]: K.MemargLane, [Imm.Lane]: K.Lane,
  [Imm.Shuffle]: K.Shuffle, [Imm.Mem]: K.MemIdx,
};
const MEMORY_KINDS = new Set([K.Memarg, K.MemargLane, K.MemIdx, K.MemIdx2]);

/** The descriptor table, with or without the ops that need a 32-bit memory 0. */
function descriptors(mem32: boolean): Uint8Array {
  const desc = new Uint8Array(DESC_ENTRIES * 8);
  const put = (slot: number, op: OpInfo): void => {
    let kind = BY_NAME[op.name] ?? (op.params !== null ? BY_IMM[op.imm] ?? K.Bail : K.Bail);
    if (op.name === 'select') kind = op.imm === Imm.SelectT ? K.SelectT : K.Select;
    if (op.prefix === PREFIX_ATOMIC || (!mem32 && MEMORY_KINDS.has(kind))) kind = K.Bail;
    let params = op.params ?? '';
    let results = op.results ?? '';
    if (op.name === 'memory.copy' || op.name === 'memory.fill') [params, results] = ['iii', ''];
    // The core pops at most three operands and pushes at most one result, all numeric or
    // vector (an address only for memory ops: memory 0 is then 32-bit).
    const letters = params + results;
    if (params.length > 3 || results.length > 1 || [...letters].some((c) => !(c in LETTER))) kind = K.Bail;
    if (letters.includes('a') && !MEMORY_KINDS.has(kind)) kind = K.Bail;
    const at = slot * 8;
    desc[at] = kind;
    desc[at + 1] = params.length;
    for (let j = 0; j < params.length; j++) desc[at + 2 + j] = LETTER[params[j]];
    desc[at + 5] = results.length ? LETTER[results] : 0;
    desc[at + 6] = op.align < 0 ? 0 : op.align;
    desc[at + 7] = OP_LANES[op.id];
  };
  for (const op of OPS) {
    if (op.prefix === 0 && op.imm === Imm.Prefix) desc[op.code * 8] = K.Prefix;
    else if (op.prefix === 0 && op.imm !== Imm.Invalid) put(op.code, op);
    else if (op.prefix !== 0 && op.code < PREFIX_TABLE_SIZE) put(256 + (op.prefix - 0xfb) * PREFIX_TABLE_SIZE + op.code, op);
  }
  return desc;
}

const isCoreType = (t: ValType): boolean => t >= V128 && t <= I32;
const FUNCREF = refType(true, heapFromCode(HeapCode.func));

interface Instance {
  memory: CoreMemory;
  init(...args: number[]): void;
  validate(pos: number, end: number, type: number, records: number, stacks: number, stacksLimit: number): number;
  recorded(): number;
  stacksEnd(): number;
}

let instance: Instance | null | undefined;
/** The FastCore whose tables are in the core's memory. */
let installed: FastCore | null = null;
const descCache: (Uint8Array | undefined)[] = [];

function load(): Instance | null {
  if (instance === undefined) instance = instantiateCore<Instance>(CORE_WASM);
  return instance;
}

/** The core, set up for one module's bodies; `check` answers for one function at a time. */
export class FastCore {
  private bytes: Uint8Array;

  private constructor(
    private readonly core: Instance,
    private readonly ctx: ModuleContext,
    /** The tables at DYN (type infos and lists, function types, globals, tables), and init's arguments. */
    private readonly image: Uint8Array,
    private readonly args: number[],
    private readonly mem32: boolean,
    /** Where each body is copied to be checked (after the tables). */
    private readonly codeAt: number,
  ) {
    this.bytes = new Uint8Array(core.memory.buffer);
  }

  /** Sets the core up for bodies of a module with context `ctx`; null when there is no core. */
  static for(ctx: ModuleContext): FastCore | null {
    const core = load();
    if (!core) return null;
    const { types, funcs, globals, tables } = ctx;
    // Type infos and their lists (params, then results), function types, globals, tables.
    const lists: number[] = [];
    const infos = new Uint32Array(types.count * 2);
    for (let t = 0; t < types.count; t++) {
      const f = types.func(t);
      const usable = f && f.params.length < 0xffff && f.results.length < 0xffff &&
        f.params.every(isCoreType) && f.results.every(isCoreType);
      infos[t * 2] = lists.length; // relative to the lists until they are placed
      infos[t * 2 + 1] = usable ? f.params.length | (f.results.length << 16) : 0xffff;
      if (usable) lists.push(...f.params, ...f.results);
    }
    const infoAt = DYN;
    const listAt = infoAt + infos.byteLength;
    const funcsAt = align4(listAt + lists.length);
    const globalsAt = funcsAt + funcs.length * 4;
    const tablesAt = globalsAt + globals.length * 2;
    const codeAt = align4(tablesAt + tables.length);

    const image = new Uint8Array(codeAt - DYN);
    for (let t = 0; t < types.count; t++) infos[t * 2] += listAt;
    image.set(new Uint8Array(infos.buffer), infoAt - DYN);
    image.set(lists, listAt - DYN);
    new Int32Array(image.buffer, funcsAt - DYN, funcs.length).set(funcs);
    for (let g = 0; g < globals.length; g++) {
      const { type, mutable } = globals[g];
      image[globalsAt - DYN + g * 2] = isCoreType(type) ? type : 0;
      image[globalsAt - DYN + g * 2 + 1] = mutable ? 1 : 0;
    }
    for (let t = 0; t < tables.length; t++) {
      image[tablesAt - DYN + t] = !tables[t].addr64 && types.valSub(tables[t].type, FUNCREF) ? 1 : 0;
    }
    const args = [infoAt, types.count, funcsAt, funcs.length, globalsAt, globals.length, tablesAt, tables.length];
    const mem32 = ctx.memories.length > 0 && !ctx.memories[0];
    return new FastCore(core, ctx, image, args, mem32, codeAt);
  }

  /**
   * Puts this module's tables into the core's memory, which all FastCores share: when
   * another one was used since, its tables are there.
   */
  private install(): void {
    growCore(this.core.memory, this.codeAt + PADDING);
    const bytes = (this.bytes = new Uint8Array(this.core.memory.buffer));
    bytes.set((descCache[this.mem32 ? 1 : 0] ??= descriptors(this.mem32)), 0);
    for (let t = 0x7b; t <= 0x7f; t++) bytes[SINGLE + t] = t;
    bytes.set(this.image, DYN);
    this.core.init(...this.args);
    installed = this;
  }

  /**
   * Whether the core finds the code entry `entry` (locals, then instructions) of function
   * `funcIndex` valid; false means only that the complete validator must decide.
   */
  check(funcIndex: number, entry: Uint8Array): boolean {
    return this.run(funcIndex, entry, false) !== null;
  }

  /**
   * As `check`, and when valid also the body's calls, in order: (op, function or type
   * index, table) for each `call` and `call_indirect` (a view, valid until the next call;
   * a body the core takes holds no other kind of call and no table writes). Null: not sure.
   */
  calls(funcIndex: number, entry: Uint8Array): Int32Array | null {
    return this.run(funcIndex, entry, true);
  }

  /**
   * As `check`, and when valid also calls `visit` with the operand stack before each call,
   * call_indirect, block, loop and if, in order: the instruction's index in the body, the
   * types above the frame's height (`types[from .. from + length)`, 0 for an unknown value,
   * valid during the call only), and whether the frame is unreachable. What the complete
   * validator's probe (func.ts) observes at these ops, for the bodies the core takes.
   * False: not sure, and nothing was visited.
   */
  stacks(funcIndex: number, entry: Uint8Array, visit: (instr: number, types: Uint8Array, from: number, length: number, unreachable: boolean) => void): boolean {
    if (this.run(funcIndex, entry, false, true) === null) return false;
    const bytes = this.bytes;
    const words = new Int32Array(bytes.buffer);
    for (let p = this.recordsAt(entry), end = this.core.stacksEnd(); p < end; ) {
      const instr = words[p >> 2];
      const head = words[(p >> 2) + 1];
      const length = head & 0x7fffffff;
      visit(instr, bytes, p + 8, length, head < 0);
      p += (length + 11) & ~3;
    }
    return true;
  }

  /** Where a run on `entry` puts its records: after the body's padding. */
  private recordsAt(entry: Uint8Array): number {
    return align4(this.codeAt + entry.length + PADDING);
  }

  private run(funcIndex: number, entry: Uint8Array, record: boolean, stacks = false): Int32Array | null {
    if (installed !== this) this.install();
    const at = this.codeAt;
    const end = at + entry.length;
    // Call records after the body's padding: a call takes two bytes at least, a record 12.
    // Stack records likewise: 8 bytes and the stack each, for ops of two bytes at least; past
    // a few times the body's size (deep stacks at many calls), the complete validator does it.
    const recAt = record || stacks ? this.recordsAt(entry) : 0;
    const stacksLimit = stacks ? recAt + Math.max(entry.length * 8, 1 << 16) : 0;
    const need = stacks ? stacksLimit : record ? recAt + entry.length * 6 + 16 : end + PADDING;
    if (this.bytes.length < need) {
      growCore(this.core.memory, need);
      this.bytes = new Uint8Array(this.core.memory.buffer);
    }
    this.bytes.set(entry, at);
    try {
      if (this.core.validate(at, end, this.ctx.funcs[funcIndex], record ? recAt : 0, stacks ? recAt : 0, stacksLimit) !== 1) return null;
    } catch {
      // A trap would be a core bug; the complete validator still gives the right answer.
      return null;
    }
    return record ? new Int32Array(this.core.memory.buffer, recAt, (this.core.recorded() - recAt) >> 2) : NONE;
  }
}

const NONE = new Int32Array(0);

const align4 = (n: number): number => (n + 3) & ~3;
