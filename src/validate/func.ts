/**
 * The per-function validator: the spec appendix's operand-stack algorithm over weft's
 * flat body IR. One body at a time, against a ModuleContext, so bodies can be validated
 * independently (and on worker threads). Simple instructions are typed from the opcode
 * table's signatures; the rest by the switch below.
 *
 * The operand stack holds value types; UNKNOWN (0) is the bottom type that pops from a
 * stack-polymorphic frame (after unreachable, br, throw, return...) produce. Locals that
 * are not defaultable are tracked as initialized per block, with an undo log.
 */
import { decodeFast, decodeOne, LEB_SIGNED, LEB_UNSIGNED, leb14, memarg14, startBody } from '../binary/decode-body.js';
import { WasmDecodeError, type Cursor } from '../binary/cursor.js';
import { CatchKind, type Body } from '../ir/body.js';
import { Imm, OP_BY_NAME, OP_IMM, OP_LANES, OPS, Op, PREFIX_ATOMIC } from '../ir/opcodes.js';
import {
  exactHeap, F32, F64, HeapCode, heapFromCode, heapIndex, heapTypeName, I32, I64, isExactHeap, PACKED_I16, PACKED_I8,
  refHeap, refNullable, refType, V128, valTypeName, isRefType, type FieldType, type FuncType, type HeapType, type ValType,
} from '../ir/types.js';
import type { ModuleContext } from './context.js';
import type { TypeContext } from './types.js';

const UNKNOWN = 0;
const ADDR = -1; // placeholder in simple signatures: the memory's address type

const LETTER: Record<string, number> = { i: I32, I: I64, f: F32, F: F64, V: V128, a: ADDR };

/** Operand and result types of the simple ops, from the opcode table. */
const SIMPLE_PARAMS: (Int32Array | null)[] = [];
const SIMPLE_RESULTS: (Int32Array | null)[] = [];
for (const op of OPS) {
  SIMPLE_PARAMS[op.id] = op.params === null ? null : Int32Array.from(op.params, (c) => LETTER[c]);
  SIMPLE_RESULTS[op.id] = op.results === null ? null : Int32Array.from(op.results, (c) => LETTER[c]);
}

/**
 * Fast-path shapes (FAST_ARITY): UNARY and BINARY numeric ops without immediates
 * (operand types FAST_P0/FAST_P1, result FAST_R), PUSH_CONST for constants, LOCAL_GET/
 * LOCAL_SET/LOCAL_TEE, LOAD/STORE for plain loads and stores (memarg; address then at
 * most one value: typed inline when the memory is 0 and 32-bit, the alignment at most
 * natural and the offset below 2^32), 0 for everything else.
 */
const UNARY = 1, BINARY = 2, PUSH_CONST = 3, LOCAL_GET = 4, LOCAL_SET = 5, LOCAL_TEE = 6, LOAD = 7, STORE = 8;
const FAST_ARITY = new Uint8Array(OPS.length);
const FAST_P0 = new Int32Array(OPS.length);
const FAST_P1 = new Int32Array(OPS.length);
const FAST_R = new Int32Array(OPS.length);
for (const op of OPS) {
  const p = SIMPLE_PARAMS[op.id];
  const r = SIMPLE_RESULTS[op.id];
  if (!p || !r || op.imm !== Imm.None || r.length !== 1 || p.length < 1 || p.length > 2 || p.includes(ADDR)) continue;
  FAST_ARITY[op.id] = p.length === 1 ? UNARY : BINARY;
  FAST_P0[op.id] = p[0];
  FAST_P1[op.id] = p[1] ?? 0;
  FAST_R[op.id] = r[0];
}
for (const name of ['i32.const', 'i64.const', 'f32.const', 'f64.const', 'v128.const']) {
  const op = OP_BY_NAME.get(name)!;
  FAST_ARITY[op.id] = PUSH_CONST;
  FAST_R[op.id] = SIMPLE_RESULTS[op.id]![0];
}
FAST_ARITY[Op.local_get] = LOCAL_GET;
FAST_ARITY[Op.local_set] = LOCAL_SET;
FAST_ARITY[Op.local_tee] = LOCAL_TEE;
// Not the atomics: their alignment must be exactly natural.
for (const op of OPS) {
  if (op.imm !== Imm.Memarg || op.prefix === PREFIX_ATOMIC) continue;
  const p = SIMPLE_PARAMS[op.id]!;
  const r = SIMPLE_RESULTS[op.id]!;
  if (p.length === 1 && p[0] === ADDR && r.length === 1 && r[0] !== ADDR) {
    FAST_ARITY[op.id] = LOAD;
    FAST_R[op.id] = r[0];
  } else if (p.length === 2 && p[0] === ADDR && p[1] !== ADDR && r.length === 0) {
    FAST_ARITY[op.id] = STORE;
    FAST_P1[op.id] = p[1];
  }
}
const NATURAL = Int8Array.from(OPS, (op) => op.align);

const ATOMIC = Uint8Array.from(OPS, (op) => (op.prefix === 0xfe ? 1 : 0));

const EXNREF = refType(true, heapFromCode(HeapCode.exn));
const FUNCREF = refType(true, heapFromCode(HeapCode.func));
const EQREF = refType(true, heapFromCode(HeapCode.eq));
const ARRAYREF = refType(true, heapFromCode(HeapCode.array));
const I31REF = refType(true, heapFromCode(HeapCode.i31));
const EMPTY: ValType[] = [];
const NO_BYTES = new Uint8Array(0);

/** A type `select` without immediates accepts: a number or vector (or the bottom type). */
const isNumeric = (t: ValType): boolean => t === UNKNOWN || (t >= V128 && t <= I32);

class Invalid extends Error {
  constructor(message: string, readonly index: number) {
    super(message);
  }
}

/** Instructions allowed in constant expressions (extended-const and GC included). */
const CONSTANT = new Uint8Array(OPS.length);
for (const name of [
  'i32.const', 'i64.const', 'f32.const', 'f64.const', 'v128.const', 'ref.null', 'ref.func', 'global.get',
  'i32.add', 'i32.sub', 'i32.mul', 'i64.add', 'i64.sub', 'i64.mul', 'struct.new', 'struct.new_default',
  'array.new', 'array.new_default', 'array.new_fixed', 'struct.new_desc', 'struct.new_default_desc', 'ref.i31',
  'any.convert_extern', 'extern.convert_any', 'end',
]) CONSTANT[OP_BY_NAME.get(name)!.id] = 1;

/**
 * The ops special() types, numbered densely at compile time (a const enum) so that its
 * switch is one jump: `case Op.end:` would test each case's Op property in turn, thirty
 * of them for the last, and special() runs for every block, branch and call.
 */
const enum S {
  other, unreachable, block, loop, try, if, else, end, catch, catch_all, delegate, rethrow, throw, throw_ref,
  try_table, br, br_if, br_table, return, call, return_call, call_indirect, return_call_indirect, call_ref,
  return_call_ref, drop, select, select_t, local_get, local_set, local_tee, global_get, global_set, ref_null,
  ref_func,
}
const SPECIAL = new Uint8Array(OPS.length);
([
  [Op.unreachable, S.unreachable], [Op.block, S.block], [Op.loop, S.loop], [Op.try, S.try], [Op.if, S.if],
  [Op.else, S.else], [Op.end, S.end], [Op.catch, S.catch], [Op.catch_all, S.catch_all],
  [Op.delegate, S.delegate], [Op.rethrow, S.rethrow], [Op.throw, S.throw], [Op.throw_ref, S.throw_ref],
  [Op.try_table, S.try_table], [Op.br, S.br], [Op.br_if, S.br_if], [Op.br_table, S.br_table],
  [Op.return, S.return], [Op.call, S.call], [Op.return_call, S.return_call],
  [Op.call_indirect, S.call_indirect], [Op.return_call_indirect, S.return_call_indirect],
  [Op.call_ref, S.call_ref], [Op.return_call_ref, S.return_call_ref], [Op.drop, S.drop],
  [Op.select, S.select], [Op.select_t, S.select_t], [Op.local_get, S.local_get], [Op.local_set, S.local_set],
  [Op.local_tee, S.local_tee], [Op.global_get, S.global_get], [Op.global_set, S.global_set],
  [Op.ref_null, S.ref_null], [Op.ref_func, S.ref_func]
] as const).forEach(([op, s]) => (SPECIAL[op] = s));

export interface BodyError {
  message: string;
  /** Index of the offending instruction. */
  instr: number;
}

/**
 * Validates bodies against one module context. Reusable: its stacks and buffers are
 * kept from body to body, so validating many bodies allocates little.
 */
export class BodyValidator {
  private readonly v: FuncValidator;

  constructor(private readonly ctx: ModuleContext) {
    this.v = new FuncValidator(ctx);
  }

  /** Validates the body of function `funcIndex`; null, or the first error. */
  body(funcIndex: number, body: Body): BodyError | null {
    const fn = this.ctx.types.func(this.ctx.funcs[funcIndex]);
    if (!fn) return { message: `unknown type ${this.ctx.funcs[funcIndex]}: not a function type`, instr: 0 };
    return this.v.check(fn, body, false);
  }

  /**
   * Validates function `funcIndex` straight from its code entry `buf[start, end)` (no
   * size prefix), decoding each instruction into `scratch` just before checking it: one
   * pass over the bytes, as V8 and wasmparser validate, instead of a decode and then a
   * walk. The same decoder and rules as decodeFunc + `body`; true when both would accept
   * the body. On any error it only returns false: the two-pass path then locates it,
   * with the error it reports (decode errors before type errors).
   */
  bytes(funcIndex: number, buf: Uint8Array, start: number, end: number, scratch: Body, hasDataCount: boolean): boolean {
    const fn = this.ctx.types.func(this.ctx.funcs[funcIndex]);
    if (!fn) return false;
    const v = this.v;
    try {
      v.src = startBody(buf, start, end, scratch);
      v.hasDataCount = hasDataCount;
      return v.check(fn, scratch, false) === null;
    } catch (e) {
      if (e instanceof WasmDecodeError) return false;
      throw e;
    } finally {
      v.src = null;
    }
  }

  /**
   * Validates a constant expression producing `type`. `ctx.globals` must hold only the
   * globals the expression may read (imported ones and those defined before it).
   */
  constExpr(body: Body, type: ValType): BodyError | null {
    let fn = this.constTypes.get(type);
    if (!fn) this.constTypes.set(type, (fn = { kind: 'func', params: [], results: [type] }));
    return this.v.check(fn, body, true);
  }

  /** `[] -> [type]` per type: constant expressions are checked against these (one per data segment). */
  private readonly constTypes = new Map<ValType, FuncType>();

  /**
   * Validates like `body`, and before each instruction of a marked op (`marks[op] !== 0`;
   * only ops the validator types by hand: calls, control, references, GC...) hands
   * `observe` the operand stack (types, bottom first, `UNKNOWN` = 0 for values popped
   * from a polymorphic stack), the innermost frame's height, and whether that frame is
   * unreachable. Passes use it to learn the stack at the points they rewrite.
   */
  probe(funcIndex: number, body: Body, marks: Uint8Array, observe: StackObserver): BodyError | null {
    this.v.marks = marks;
    this.v.observe = observe;
    try {
      return this.body(funcIndex, body);
    } finally {
      this.v.marks = null;
      this.v.observe = null;
    }
  }
}

export type StackObserver = (instr: number, stack: Int32Array, sp: number, frameHeight: number, unreachable: boolean) => void;

class FuncValidator {
  private readonly types: TypeContext;
  private stack: Int32Array = new Int32Array(64);
  private sp = 0;
  // Control frames, as parallel arrays holding `frames` entries (typed where they can be:
  // frames are pushed and popped on every block, so they are never reallocated on the way).
  private frames = 0;
  private kinds = new Int32Array(16);
  private params: ValType[][] = new Array<ValType[]>(16).fill(EMPTY);
  private results: ValType[][] = new Array<ValType[]>(16).fill(EMPTY);
  private heights = new Int32Array(16);
  private unreachable = new Uint8Array(16);
  private initMarks = new Int32Array(16);
  // The function's locals (parameters first): `nlocals` types, and whether each is initialized.
  private locals = new Int32Array(16);
  private nlocals = 0;
  private inited = new Uint8Array(16);
  private initLog: number[] = [];
  private at = 0;
  // blockType's results, and its shared one-value result lists.
  private btParams: ValType[] = EMPTY;
  private btResults: ValType[] = EMPTY;
  private readonly singles = new Map<ValType, ValType[]>();
  // The body being validated.
  private fn: FuncType = { kind: 'func', params: [], results: [] };
  private body!: Body;
  private constant = false;
  marks: Uint8Array | null = null;
  observe: StackObserver | null = null;
  /** Set by BodyValidator.bytes: the code entry to decode while validating (after its locals). */
  src: Cursor | null = null;
  hasDataCount = true;

  constructor(private readonly ctx: ModuleContext) {
    this.types = ctx.types;
  }

  check(fn: FuncType, body: Body, constant: boolean): BodyError | null {
    this.fn = fn;
    this.body = body;
    this.constant = constant;
    this.sp = 0;
    // After a valid body every frame is popped; after an error, drop what is left.
    this.frames = 0;
    if (this.initLog.length) this.initLog.length = 0;
    this.at = 0;
    try {
      this.setUpLocals();
      this.run();
      return null;
    } catch (e) {
      if (e instanceof Invalid) return { message: e.message, instr: e.index };
      throw e;
    }
  }

  private setUpLocals(): void {
    const { fn, body } = this;
    const np = fn.params.length;
    let n = np;
    for (let i = 0; i < body.locals.length; i += 2) {
      if (!this.types.validVal(body.locals[i + 1])) this.fail('unknown type: a local has an invalid type');
      n += body.locals[i];
      // Far above any engine's limit (V8: 50,000), and keeps the expansion bounded.
      if (n > 1_000_000) this.fail('too many locals');
    }
    if (this.locals.length < n) {
      this.locals = new Int32Array(n * 2);
      this.inited = new Uint8Array(n * 2);
    }
    const locals = this.locals;
    const inited = this.inited;
    for (let i = 0; i < np; i++) {
      locals[i] = fn.params[i];
      inited[i] = 1;
    }
    let at = np;
    for (let i = 0; i < body.locals.length; i += 2) {
      const t = body.locals[i + 1];
      const init = this.types.defaultable(t) ? 1 : 0;
      locals.fill(t, at, at + body.locals[i]);
      inited.fill(init, at, at + body.locals[i]);
      at += body.locals[i];
    }
    this.nlocals = n;
  }

  private fail(message: string): never {
    throw new Invalid(message, this.at);
  }

  // ---- operand stack

  private push(t: ValType): void {
    if (this.sp === this.stack.length) this.growStack();
    this.stack[this.sp++] = t;
  }

  private growStack(): Int32Array {
    const s = new Int32Array(this.stack.length * 2);
    s.set(this.stack);
    return (this.stack = s);
  }

  /** Pops any value (UNKNOWN from a polymorphic stack). */
  private popAny(): ValType {
    const f = this.frames - 1;
    if (this.sp === this.heights[f]) {
      if (this.unreachable[f] !== 0) return UNKNOWN;
      this.fail('type mismatch: operand stack is empty');
    }
    return this.stack[--this.sp];
  }

  private pop(expect: ValType): ValType {
    const f = this.frames - 1;
    if (this.sp > this.heights[f]) {
      const actual = this.stack[this.sp - 1];
      if (actual === expect) {
        this.sp--;
        return actual;
      }
    }
    const actual = this.popAny();
    if (actual !== UNKNOWN && expect !== UNKNOWN && !this.types.valSub(actual, expect)) {
      this.fail(`type mismatch: expected ${valTypeName(expect)}, found ${valTypeName(actual)}`);
    }
    return actual;
  }

  private popVals(ts: readonly ValType[]): void {
    for (let i = ts.length - 1; i >= 0; i--) this.pop(ts[i]);
  }

  /** Pops values matching `ts` and returns what was actually there (UNKNOWN included). */
  private popValsKeep(ts: readonly ValType[]): ValType[] {
    const out = new Array<ValType>(ts.length);
    for (let i = ts.length - 1; i >= 0; i--) out[i] = this.pop(ts[i]);
    return out;
  }

  private pushVals(ts: readonly ValType[]): void {
    for (const t of ts) this.push(t);
  }

  /** Pops a reference; returns its type, or UNKNOWN. */
  private popRef(): ValType {
    const t = this.popAny();
    if (t !== UNKNOWN && !isRefType(t)) this.fail(`type mismatch: expected a reference, found ${valTypeName(t)}`);
    return t;
  }

  // ---- control frames

  private pushFrame(kind: number, params: ValType[], results: ValType[]): void {
    const f = this.frames;
    if (f === this.kinds.length) this.growFrames();
    this.kinds[f] = kind;
    this.params[f] = params;
    this.results[f] = results;
    this.heights[f] = this.sp;
    this.unreachable[f] = 0;
    this.initMarks[f] = this.initLog.length;
    this.frames = f + 1;
    this.pushVals(params);
  }

  private growFrames(): void {
    const n = this.kinds.length * 2;
    const grow = <T extends Int32Array | Uint8Array>(a: T, b: T): T => (b.set(a), b);
    this.kinds = grow(this.kinds, new Int32Array(n));
    this.heights = grow(this.heights, new Int32Array(n));
    this.unreachable = grow(this.unreachable, new Uint8Array(n));
    this.initMarks = grow(this.initMarks, new Int32Array(n));
    for (let f = this.params.length; f < n; f++) {
      this.params.push(EMPTY);
      this.results.push(EMPTY);
    }
  }

  private popFrame(): number {
    const f = this.frames - 1;
    if (f < 0) this.fail('unexpected end: no block to close');
    this.popVals(this.results[f]);
    if (this.sp !== this.heights[f]) this.fail('type mismatch: values remain on the stack at the end of the block');
    // Locals initialized inside the block are not initialized after it.
    const mark = this.initMarks[f];
    if (this.initLog.length > mark) {
      for (let i = this.initLog.length - 1; i >= mark; i--) this.inited[this.initLog[i]] = 0;
      this.initLog.length = mark;
    }
    this.frames = f;
    return this.kinds[f];
  }

  private setUnreachable(): void {
    const f = this.frames - 1;
    this.sp = this.heights[f];
    this.unreachable[f] = 1;
  }

  private label(depth: number): ValType[] {
    const f = this.frames - 1 - depth;
    if (depth < 0 || f < 0) this.fail(`unknown label ${depth}`);
    return this.kinds[f] === Op.loop ? this.params[f] : this.results[f];
  }

  // ---- index spaces

  private funcType(typeIndex: number): FuncType {
    const t = this.types.func(typeIndex);
    if (!t) this.fail(`unknown type ${typeIndex}: not a function type`);
    return t;
  }

  /**
   * Reads the block type of instruction `i` into `btParams`/`btResults` (no allocation:
   * blocks are frequent; a one-value result list is shared per type, never mutated).
   */
  private blockType(i: number): void {
    const imm = this.body.imm;
    const raw = imm[i * 4];
    if (raw === -64) {
      this.btParams = EMPTY;
      this.btResults = EMPTY;
      return;
    }
    if (raw < 0) {
      const code = raw + 0x80;
      const t = code === 0x64 || code === 0x63 ? (imm[i * 4 + 1] << 8) | code : code;
      let single = this.singles.get(t);
      if (!single) {
        if (!this.types.validVal(t)) this.fail('unknown type in block type');
        single = [t];
        this.singles.set(t, single);
      }
      this.btParams = EMPTY;
      this.btResults = single;
      return;
    }
    const f = this.funcType(raw);
    this.btParams = f.params;
    this.btResults = f.results;
  }

  private memory(index: number): ValType {
    if (index >= this.ctx.memories.length) this.fail(`unknown memory ${index}`);
    return this.ctx.memories[index] ? I64 : I32;
  }

  private table(index: number): { type: ValType; addr: ValType } {
    const t = this.ctx.tables[index];
    if (!t) this.fail(`unknown table ${index}`);
    return { type: t.type, addr: t.addr64 ? I64 : I32 };
  }

  private tagType(index: number): FuncType {
    if (index >= this.ctx.tags.length) this.fail(`unknown tag ${index}`);
    return this.funcType(this.ctx.tags[index]);
  }

  private elemType(index: number): ValType {
    if (index >= this.ctx.elems.length) this.fail(`unknown elem segment ${index}`);
    return this.ctx.elems[index];
  }

  private data(index: number): void {
    if (this.ctx.dataCount === null) this.fail('data count section required');
    if (index >= this.ctx.dataCount) this.fail(`unknown data segment ${index}`);
  }

  private struct(index: number) {
    const s = this.types.struct(index);
    if (!s) this.fail(`type mismatch: type ${index} is not a struct type`);
    return s;
  }

  private array(index: number) {
    const a = this.types.array(index);
    if (!a) this.fail(`type mismatch: type ${index} is not an array type`);
    return a;
  }

  private heap(h: HeapType): HeapType {
    if (!this.types.validHeap(h)) this.fail(`unknown type ${h >= 0 ? heapIndex(h) : h}`);
    return h;
  }

  /** The descriptor type of type `index` (custom descriptors), which must have one. */
  private descriptor(index: number): number {
    if (index >= this.types.count) this.fail(`unknown type ${index}`);
    const desc = this.types.descriptorOf(index);
    if (desc < 0) this.fail(`type without descriptor ${index}`);
    return desc;
  }

  /** The descriptor operand of a cast to heap type `h`: (ref null y), exact iff `h` is. */
  private castDescriptor(h: HeapType): ValType {
    if (h < 0) this.fail(`type mismatch: ${heapTypeName(h)} does not have a descriptor`);
    const desc = this.descriptor(heapIndex(h));
    return refType(true, isExactHeap(h) ? exactHeap(desc) : desc);
  }

  private checkMemarg(op: number, k: number): ValType {
    const imm = this.body.imm;
    const addr = this.memory(imm[k + 1]);
    const align = imm[k] & 0x3f;
    const natural = NATURAL[op];
    if (ATOMIC[op] ? align !== natural : align > natural) {
      this.fail(ATOMIC[op] ? 'alignment must be exactly natural for atomics' : 'alignment must not be larger than natural');
    }
    if (addr === I32 && imm[k + 3] !== 0) this.fail('offset out of range: memory offset must be below 2^32');
    return addr;
  }

  /** Whether `a` and `b` have the same length and each type in `a` matches the one in `b`. */
  private allSub(a: readonly ValType[], b: readonly ValType[]): boolean {
    if (a.length !== b.length) return false;
    for (let j = 0; j < a.length; j++) if (!this.types.valSub(a[j], b[j])) return false;
    return true;
  }

  private defaultableFields(fields: readonly FieldType[]): boolean {
    for (const f of fields) if (!this.types.defaultable(this.types.storageUnpacked(f.type))) return false;
    return true;
  }

  private returnTypesMatch(callee: FuncType): void {
    const res = this.fn.results;
    if (!this.allSub(callee.results, res)) {
      this.fail('type mismatch: tail call results do not match the caller\'s');
    }
  }

  // ---- the instruction loop

  run(): void {
    const { body, ctx } = this;
    const ops = body.ops;
    const imm = body.imm;
    const locals = this.locals;
    const inited = this.inited;
    const nlocals = this.nlocals;
    const constant = this.constant;
    // Memory 0 exists and is 32-bit: the loads/stores fast path applies (flags < 0x40: memory 0).
    const mem32 = ctx.memories.length > 0 && !ctx.memories[0];
    // Fused mode (`src` set): the bytes are read as they are checked. The fast paths read
    // their immediates themselves; any other instruction is decoded into slot i by the
    // decoder's steps (decodeFast, else decodeOne). startBody made room for every
    // instruction, so `ops` and `imm` stay the same arrays; `extra` may grow.
    const src = this.src;
    const buf = src !== null ? src.buf : NO_BYTES;
    const fastEnd = src !== null ? src.end - 4 : -1;
    let pos = src !== null ? src.pos : 0;
    let depth = 0;
    const length = src !== null ? ops.length : body.length;
    this.pushFrame(-1, EMPTY, this.fn.results);
    // The fast paths below work on a local copy of the stack pointer and of the current
    // frame's height; everything else goes through the methods, with `sp` synced around.
    let stack = this.stack;
    let sp = 0;
    let floor = 0;
    // Module-scope tables and constants in locals: the loop reads them on every instruction.
    const arity = FAST_ARITY, p0 = FAST_P0, p1 = FAST_P1, r0 = FAST_R, natural = NATURAL, simpleParams = SIMPLE_PARAMS;
    const localSet = Op.local_set, i32Const = Op.i32_const, i32 = I32;
    instructions: for (let i = 0; i < length; i++) {
      const k = i * 4;
      // Fused mode: the op is first the byte at `pos` (`raw`); a fast path that takes it
      // moves `pos` past its immediates, read by the decoder's own leb14/memarg14. Anything
      // else is decoded into slot i and goes round the fast paths once more, from the slot.
      // Op 0 (unreachable) has no fast path: it stands for "too close to the end for the
      // fast paths' unchecked reads".
      let op: number;
      let raw = src !== null;
      if (raw) {
        // The decoder saw the final end but the frames did not close: the two-pass path rejects it.
        if (depth < 0) this.fail('operators remaining after end of function');
        op = pos <= fastEnd ? buf[pos] : 0;
      } else {
        op = ops[i];
        if (constant) {
          this.at = i;
          this.checkConstant(op, imm[k]);
        }
      }
      for (;;) {
        // The common shapes, on operands of exactly the expected types (see FAST_ARITY).
        switch (arity[op]) {
          case LOCAL_GET:
          case LOCAL_SET:
          case LOCAL_TEE: {
            // of an initialized local
            let x: number;
            let next = pos;
            if (raw) {
              const v = leb14(buf, pos + 1, LEB_UNSIGNED);
              if (v === -1) break;
              x = v >> 2;
              next = pos + 1 + (v & 3);
            } else x = imm[k];
            if (x >= nlocals || !inited[x]) break;
            if (arity[op] === LOCAL_GET) {
              if (sp === stack.length) break;
              stack[sp++] = locals[x];
            } else {
              if (sp === floor || stack[sp - 1] !== locals[x]) break;
              if (op === localSet) sp--;
            }
            pos = next;
            continue instructions;
          }
          case PUSH_CONST: {
            let next = pos;
            if (raw) {
              const v = op === i32Const ? leb14(buf, pos + 1, LEB_SIGNED) : -1;
              if (v === -1) break;
              next = pos + 1 + (v & 3);
            }
            if (sp === stack.length) stack = this.growStack();
            stack[sp++] = r0[op];
            pos = next;
            continue instructions;
          }
          case BINARY:
            if (sp - 1 > floor && stack[sp - 1] === p1[op] && stack[sp - 2] === p0[op]) {
              stack[sp - 2] = r0[op];
              sp--;
              if (raw) pos++;
              continue instructions;
            }
            break;
          case LOAD:
          case STORE: {
            let flags: number;
            let hi = 0;
            let next = pos;
            if (raw) {
              const v = memarg14(buf, pos + 1);
              if (v === -1) break;
              flags = (v >> 2) & 0x3f;
              next = pos + 1 + (v & 3);
            } else {
              flags = imm[k];
              hi = imm[k + 3];
            }
            if (!mem32 || flags > natural[op] || hi !== 0) break;
            if (arity[op] === LOAD) {
              if (sp > floor && stack[sp - 1] === i32) {
                stack[sp - 1] = r0[op];
                pos = next;
                continue instructions;
              }
            } else if (sp - 1 > floor && stack[sp - 1] === p1[op] && stack[sp - 2] === i32) {
              sp -= 2;
              pos = next;
              continue instructions;
            }
            break;
          }
          case UNARY:
            if (sp > floor && stack[sp - 1] === p0[op]) {
              stack[sp - 1] = r0[op];
              if (raw) pos++;
              continue instructions;
            }
            break;
        }
        if (!raw) break;
        // Not taken by a fast path: decoded into slot i, by the decoder's own steps.
        const next = pos <= fastEnd ? decodeFast(buf, pos, ops, imm, i) : -1;
        if (next !== -1) pos = next;
        else {
          src!.pos = pos;
          depth = decodeOne(src!, body, i, depth, this.hasDataCount);
          pos = src!.pos;
        }
        op = ops[i];
        raw = false;
      }
      this.at = i;
      this.sp = sp;
      const params = simpleParams[op];
      if (params !== null) {
        this.simple(op, k, imm, params);
      } else {
        this.special(op, i, k, imm, body.extra, ctx);
        if (this.frames === 0) {
          if (src !== null) {
            // Where the decoder stops too, at the last byte: else the two-pass path finds the error.
            if (depth >= 0 || pos !== src.end) this.fail('operators remaining after end of function');
            body.length = i + 1;
          } else if (i !== body.length - 1) this.fail('operators remaining after end of function');
          return;
        }
      }
      sp = this.sp;
      stack = this.stack;
      floor = this.heights[this.frames - 1];
    }
    this.fail('unexpected end of function: missing end');
  }

  /** An op typed by the opcode table's signature, after checking its immediates. */
  private simple(op: number, k: number, imm: Int32Array, params: Int32Array): void {
    const results = SIMPLE_RESULTS[op]!;
    let addr = I32;
    const kind = OP_IMM[op];
    if (kind === Imm.Memarg || kind === Imm.MemargLane) addr = this.checkMemarg(op, k);
    else if (kind === Imm.Mem) addr = this.memory(imm[k]);
    if (kind === Imm.Lane || kind === Imm.MemargLane) {
      const lane = kind === Imm.Lane ? imm[k] : imm[k] >>> 8;
      if (lane >= OP_LANES[op]) this.fail('invalid lane index');
    } else if (kind === Imm.Shuffle) {
      for (let j = 0; j < 4; j++) if ((imm[k + j] & 0xe0e0e0e0) !== 0) this.fail('invalid lane index');
    } else if (kind === Imm.Data) {
      this.data(imm[k]);
    } else if (kind === Imm.Elem) {
      this.elemType(imm[k]);
    }
    for (let j = params.length - 1; j >= 0; j--) this.pop(params[j] === ADDR ? addr : params[j]);
    for (let j = 0; j < results.length; j++) this.push(results[j] === ADDR ? addr : results[j]);
  }

  private special(op: number, i: number, k: number, imm: Int32Array, extra: Int32Array, ctx: ModuleContext): void {
    const types = this.types;
    // Probes are taken here, in the ops typed by hand (calls, control, references...), so
    // the main loop and its fast paths pay nothing for them.
    if (this.marks !== null && this.marks[op] !== 0) {
      const f = this.frames - 1;
      this.observe!(i, this.stack, this.sp, this.heights[f], this.unreachable[f] !== 0);
    }
    switch (SPECIAL[op]) {
      case S.unreachable:
        this.setUnreachable();
        return;
      case S.block:
      case S.loop:
      case S.try: {
        this.blockType(i);
        const p = this.btParams;
        const r = this.btResults;
        this.popVals(p);
        this.pushFrame(op, p, r);
        return;
      }
      case S.if: {
        this.blockType(i);
        const p = this.btParams;
        const r = this.btResults;
        this.pop(I32);
        this.popVals(p);
        this.pushFrame(op, p, r);
        return;
      }
      case S.else: {
        const f = this.frames - 1;
        if (this.kinds[f] !== Op.if) this.fail('else without a matching if');
        const p = this.params[f];
        const r = this.results[f];
        this.popFrame();
        this.pushFrame(Op.else, p, r);
        return;
      }
      case S.end: {
        const f = this.frames - 1;
        const kind = this.kinds[f];
        const p = this.params[f];
        const r = this.results[f];
        // An if without else must have matching parameter and result types.
        if (kind === Op.if && !this.allSub(p, r)) {
          this.fail('type mismatch: if without else must leave its parameters as its results');
        }
        this.popFrame();
        if (this.frames > 0) this.pushVals(r);
        return;
      }
      case S.catch:
      case S.catch_all: {
        const f = this.frames - 1;
        const kind = this.kinds[f];
        if (kind !== Op.try && kind !== Op.catch) this.fail(`${OPS[op].name} without a matching try`);
        const r = this.results[f];
        this.popFrame();
        this.pushFrame(op, EMPTY, r);
        if (op === Op.catch) this.pushVals(this.tagType(imm[k]).params);
        return;
      }
      case S.delegate: {
        const f = this.frames - 1;
        if (this.kinds[f] !== Op.try) this.fail('delegate without a matching try');
        const r = this.results[f];
        this.popFrame();
        if (imm[k] >= this.frames) this.fail(`unknown label ${imm[k]}`);
        this.pushVals(r);
        return;
      }
      case S.rethrow: {
        const f = this.frames - 1 - imm[k];
        if (f < 0) this.fail(`unknown label ${imm[k]}`);
        if (this.kinds[f] !== Op.catch && this.kinds[f] !== Op.catch_all) this.fail('invalid rethrow label: not a catch block');
        this.setUnreachable();
        return;
      }
      case S.throw:
        this.popVals(this.tagType(imm[k]).params);
        this.setUnreachable();
        return;
      case S.throw_ref:
        this.pop(EXNREF);
        this.setUnreachable();
        return;
      case S.try_table: {
        this.blockType(i);
        const p = this.btParams;
        const r = this.btResults;
        const start = imm[k + 2];
        for (let j = 0; j < imm[k + 3]; j++) {
          const kind = extra[start + j * 3];
          const lbl = this.label(extra[start + j * 3 + 2]);
          const sent: ValType[] = kind <= CatchKind.CatchRef ? [...this.tagType(extra[start + j * 3 + 1]).params] : [];
          if (kind === CatchKind.CatchRef || kind === CatchKind.CatchAllRef) sent.push(refType(false, heapFromCode(HeapCode.exn)));
          if (!this.allSub(sent, lbl)) {
            this.fail('type mismatch: catch clause does not match its label');
          }
        }
        this.popVals(p);
        this.pushFrame(op, p, r);
        return;
      }
      case S.br:
        this.popVals(this.label(imm[k]));
        this.setUnreachable();
        return;
      case S.br_if: {
        this.pop(I32);
        const l = this.label(imm[k]);
        this.popVals(l);
        this.pushVals(l);
        return;
      }
      case S.br_table: {
        this.pop(I32);
        const start = imm[k];
        const n = imm[k + 1];
        const def = this.label(extra[start + n]);
        for (let j = 0; j < n; j++) {
          const l = this.label(extra[start + j]);
          if (l.length !== def.length) this.fail('type mismatch: br_table targets have different arities');
          this.pushVals(this.popValsKeep(l));
        }
        this.popVals(def);
        this.setUnreachable();
        return;
      }
      case S.return:
        this.popVals(this.fn.results);
        this.setUnreachable();
        return;
      case S.call: {
        const t = this.callee(imm[k]);
        this.popVals(t.params);
        this.pushVals(t.results);
        return;
      }
      case S.return_call: {
        const t = this.callee(imm[k]);
        this.returnTypesMatch(t);
        this.popVals(t.params);
        this.setUnreachable();
        return;
      }
      case S.call_indirect:
      case S.return_call_indirect: {
        const t = this.funcType(imm[k]);
        const table = this.table(imm[k + 1]);
        if (!types.valSub(table.type, FUNCREF)) this.fail('type mismatch: call_indirect needs a table of function references');
        this.pop(table.addr);
        if (op === Op.return_call_indirect) this.returnTypesMatch(t);
        this.popVals(t.params);
        if (op === Op.return_call_indirect) this.setUnreachable();
        else this.pushVals(t.results);
        return;
      }
      case S.call_ref:
      case S.return_call_ref: {
        const t = this.funcType(imm[k]);
        this.pop(refType(true, imm[k]));
        if (op === Op.return_call_ref) this.returnTypesMatch(t);
        this.popVals(t.params);
        if (op === Op.return_call_ref) this.setUnreachable();
        else this.pushVals(t.results);
        return;
      }
      case S.drop:
        this.popAny();
        return;
      case S.select: {
        this.pop(I32);
        const a = this.popAny();
        const b = this.popAny();
        if (!isNumeric(a) || !isNumeric(b)) this.fail('type mismatch: select without a type needs numeric or vector operands');
        if (a !== b && a !== UNKNOWN && b !== UNKNOWN) this.fail('type mismatch: select operands differ');
        this.push(a === UNKNOWN ? b : a);
        return;
      }
      case S.select_t: {
        if (imm[k + 1] !== 1) this.fail('invalid result arity: select takes one type');
        const t = extra[imm[k]];
        if (!types.validVal(t)) this.fail('unknown type in select');
        this.pop(I32);
        this.pop(t);
        this.pop(t);
        this.push(t);
        return;
      }
      case S.local_get: {
        const x = imm[k];
        if (x >= this.nlocals) this.fail(`unknown local ${x}`);
        if (!this.inited[x]) this.fail(`uninitialized local ${x}`);
        this.push(this.locals[x]);
        return;
      }
      case S.local_set:
      case S.local_tee: {
        const x = imm[k];
        if (x >= this.nlocals) this.fail(`unknown local ${x}`);
        this.pop(this.locals[x]);
        if (!this.inited[x]) {
          this.inited[x] = 1;
          this.initLog.push(x);
        }
        if (op === Op.local_tee) this.push(this.locals[x]);
        return;
      }
      case S.global_get:
      case S.global_set: {
        const g = ctx.globals[imm[k]];
        if (!g) this.fail(`unknown global ${imm[k]}`);
        if (op === Op.global_get) this.push(g.type);
        else {
          if (!g.mutable) this.fail('global is immutable');
          this.pop(g.type);
        }
        return;
      }
      case S.ref_null:
        this.push(refType(true, this.heap(imm[k])));
        return;
      case S.ref_func: {
        const f = imm[k];
        if (f >= ctx.funcs.length) this.fail(`unknown function ${f}`);
        // Outside bodies, a ref.func is what declares the reference.
        if (!this.constant && !ctx.refs[f]) this.fail('undeclared function reference');
        // Exact unless imported inexactly (the import may be of a subtype).
        this.push(refType(false, ctx.inexactFuncs[f] ? ctx.funcs[f] : exactHeap(ctx.funcs[f])));
        return;
      }
    }
    this.specialByName(OPS[op].name, op, i, k, imm);
  }

  private checkConstant(op: number, index: number): void {
    if (!CONSTANT[op]) this.fail('constant expression required');
    if (op === Op.global_get) {
      const g = this.ctx.globals[index];
      if (!g) this.fail(`unknown global ${index}`);
      if (g.mutable) this.fail('constant expression required: global.get of a mutable global');
    }
  }

  private callee(f: number): FuncType {
    if (f >= this.ctx.funcs.length) this.fail(`unknown function ${f}`);
    return this.funcType(this.ctx.funcs[f]);
  }

  /** Reference, table, bulk-memory and GC instructions. */
  private specialByName(name: string, op: number, i: number, k: number, imm: Int32Array): void {
    const types = this.types;
    const ctx = this.ctx;
    switch (name) {
      case 'ref.is_null':
        this.popRef();
        this.push(I32);
        return;
      case 'ref.as_non_null': {
        const t = this.popRef();
        this.push(t === UNKNOWN ? UNKNOWN : refType(false, refHeap(t)));
        return;
      }
      case 'ref.eq':
        this.pop(EQREF);
        this.pop(EQREF);
        this.push(I32);
        return;
      case 'br_on_null': {
        const t = this.popRef();
        const l = this.label(imm[k]);
        this.popVals(l);
        this.pushVals(l);
        this.push(t === UNKNOWN ? UNKNOWN : refType(false, refHeap(t)));
        return;
      }
      case 'br_on_non_null': {
        const l = this.label(imm[k]);
        if (l.length === 0 || !isRefType(l[l.length - 1])) this.fail('type mismatch: br_on_non_null needs a label ending in a reference');
        const t = this.popRef();
        const last = l[l.length - 1];
        if (t !== UNKNOWN && !types.valSub(refType(false, refHeap(t)), last)) this.fail('type mismatch: br_on_non_null operand');
        const rest = l.slice(0, -1);
        this.popVals(rest);
        this.pushVals(rest);
        return;
      }
      case 'table.get': {
        const t = this.table(imm[k]);
        this.pop(t.addr);
        this.push(t.type);
        return;
      }
      case 'table.set': {
        const t = this.table(imm[k]);
        this.pop(t.type);
        this.pop(t.addr);
        return;
      }
      case 'table.size':
        this.push(this.table(imm[k]).addr);
        return;
      case 'table.grow': {
        const t = this.table(imm[k]);
        this.pop(t.addr);
        this.pop(t.type);
        this.push(t.addr);
        return;
      }
      case 'table.fill': {
        const t = this.table(imm[k]);
        this.pop(t.addr);
        this.pop(t.type);
        this.pop(t.addr);
        return;
      }
      case 'table.copy': {
        const dst = this.table(imm[k]);
        const src = this.table(imm[k + 1]);
        if (!types.valSub(src.type, dst.type)) this.fail('type mismatch: table.copy between incompatible tables');
        this.pop(dst.addr === I64 && src.addr === I64 ? I64 : I32);
        this.pop(src.addr);
        this.pop(dst.addr);
        return;
      }
      case 'table.init': {
        const elem = this.elemType(imm[k]);
        const t = this.table(imm[k + 1]);
        if (!types.valSub(elem, t.type)) this.fail('type mismatch: element segment does not fit the table');
        this.pop(I32);
        this.pop(I32);
        this.pop(t.addr);
        return;
      }
      case 'memory.fill': {
        const a = this.memory(imm[k]);
        this.pop(a);
        this.pop(I32);
        this.pop(a);
        return;
      }
      case 'memory.copy': {
        const dst = this.memory(imm[k]);
        const src = this.memory(imm[k + 1]);
        this.pop(dst === I64 && src === I64 ? I64 : I32);
        this.pop(src);
        this.pop(dst);
        return;
      }
      case 'memory.init': {
        this.data(imm[k]);
        const a = this.memory(imm[k + 1]);
        this.pop(I32);
        this.pop(I32);
        this.pop(a);
        return;
      }
      case 'struct.new':
      case 'struct.new_default':
      case 'struct.new_desc':
      case 'struct.new_default_desc': {
        const s = this.struct(imm[k]);
        // Custom descriptors: a type with a descriptor is allocated with one (the last
        // operand, exact, so the value's RTT is the allocated type's), others without.
        const desc = types.descriptorOf(imm[k]);
        const withDesc = name.endsWith('_desc');
        if (withDesc !== desc >= 0) {
          this.fail(withDesc ? `type ${imm[k]} has no descriptor for ${name}` : `type ${imm[k]} has a descriptor: ${name} cannot allocate it`);
        }
        if (withDesc) this.pop(refType(true, exactHeap(desc)));
        if (name.startsWith('struct.new_default')) {
          if (!this.defaultableFields(s.fields)) this.fail(`type mismatch: ${name} needs defaultable fields`);
        } else {
          for (let j = s.fields.length - 1; j >= 0; j--) this.pop(types.storageUnpacked(s.fields[j].type));
        }
        this.push(refType(false, exactHeap(imm[k])));
        return;
      }
      case 'ref.get_desc': {
        const desc = this.descriptor(imm[k]);
        const t = this.pop(refType(true, imm[k]));
        // The descriptor is exact when the value's type is.
        const exact = t === UNKNOWN || types.heapSub(refHeap(t), exactHeap(imm[k]));
        this.push(refType(false, exact ? exactHeap(desc) : desc));
        return;
      }
      case 'struct.get':
      case 'struct.get_s':
      case 'struct.get_u':
      case 'struct.set': {
        const s = this.struct(imm[k]);
        const field = s.fields[imm[k + 1]];
        if (!field) this.fail(`unknown field ${imm[k + 1]}`);
        const packed = field.type === PACKED_I8 || field.type === PACKED_I16;
        if (name === 'struct.set') {
          if (!field.mutable) this.fail('field is immutable');
          this.pop(types.storageUnpacked(field.type));
          this.pop(refType(true, imm[k]));
          return;
        }
        if (packed !== (name !== 'struct.get')) this.fail(packed ? 'type mismatch: packed field needs get_s or get_u' : 'type mismatch: get_s/get_u need a packed field');
        this.pop(refType(true, imm[k]));
        this.push(types.storageUnpacked(field.type));
        return;
      }
      case 'array.new':
      case 'array.new_default':
      case 'array.new_fixed': {
        const a = this.array(imm[k]);
        const elem = types.storageUnpacked(a.field.type);
        if (name === 'array.new_fixed') {
          for (let j = 0; j < imm[k + 1]; j++) this.pop(elem);
        } else {
          this.pop(I32);
          if (name === 'array.new') this.pop(elem);
          else if (!types.defaultable(elem)) this.fail('type mismatch: array.new_default needs a defaultable element');
        }
        this.push(refType(false, exactHeap(imm[k])));
        return;
      }
      case 'array.new_data':
      case 'array.new_elem': {
        const a = this.array(imm[k]);
        this.arraySource(name === 'array.new_data', a.field.type, imm[k + 1]);
        this.pop(I32);
        this.pop(I32);
        this.push(refType(false, exactHeap(imm[k])));
        return;
      }
      case 'array.get':
      case 'array.get_s':
      case 'array.get_u': {
        const a = this.array(imm[k]);
        const packed = a.field.type === PACKED_I8 || a.field.type === PACKED_I16;
        if (packed !== (name !== 'array.get')) this.fail(packed ? 'type mismatch: packed array needs get_s or get_u' : 'type mismatch: get_s/get_u need a packed array');
        this.pop(I32);
        this.pop(refType(true, imm[k]));
        this.push(types.storageUnpacked(a.field.type));
        return;
      }
      case 'array.set': {
        const a = this.array(imm[k]);
        if (!a.field.mutable) this.fail('array is immutable');
        this.pop(types.storageUnpacked(a.field.type));
        this.pop(I32);
        this.pop(refType(true, imm[k]));
        return;
      }
      case 'array.len':
        this.pop(ARRAYREF);
        this.push(I32);
        return;
      case 'array.fill': {
        const a = this.array(imm[k]);
        if (!a.field.mutable) this.fail('array is immutable');
        this.pop(I32);
        this.pop(types.storageUnpacked(a.field.type));
        this.pop(I32);
        this.pop(refType(true, imm[k]));
        return;
      }
      case 'array.copy': {
        const dst = this.array(imm[k]);
        const src = this.array(imm[k + 1]);
        if (!dst.field.mutable) this.fail('array is immutable');
        const sub = src.field.type === dst.field.type || types.valSub(src.field.type, dst.field.type);
        if (!sub) this.fail('type mismatch: array.copy between incompatible arrays');
        this.pop(I32);
        this.pop(I32);
        this.pop(refType(true, imm[k + 1]));
        this.pop(I32);
        this.pop(refType(true, imm[k]));
        return;
      }
      case 'array.init_data':
      case 'array.init_elem': {
        const a = this.array(imm[k]);
        if (!a.field.mutable) this.fail('array is immutable');
        this.arraySource(name === 'array.init_data', a.field.type, imm[k + 1]);
        this.pop(I32);
        this.pop(I32);
        this.pop(I32);
        this.pop(refType(true, imm[k]));
        return;
      }
      case 'ref.test':
      case 'ref.test_null':
      case 'ref.cast':
      case 'ref.cast_null':
      case 'ref.cast_desc_eq':
      case 'ref.cast_desc_eq_null': {
        const h = this.heap(imm[k]);
        // Custom descriptors: the expected descriptor, on top, exact iff the target is.
        if (name.startsWith('ref.cast_desc_eq')) this.pop(this.castDescriptor(h));
        this.pop(refType(true, types.top(h)));
        this.push(name.startsWith('ref.test') ? I32 : refType(name.endsWith('_null'), h));
        return;
      }
      case 'br_on_cast':
      case 'br_on_cast_fail':
      case 'br_on_cast_desc_eq':
      case 'br_on_cast_desc_eq_fail': {
        const flags = imm[k];
        const rt1 = refType((flags & 1) !== 0, this.heap(imm[k + 2]));
        const rt2 = refType((flags & 2) !== 0, this.heap(imm[k + 3]));
        // Custom descriptors relaxes rt2 <: rt1 to: both in one hierarchy.
        if (ctx.features.customDescriptors || name.startsWith('br_on_cast_desc')) {
          if (types.top(refHeap(rt1)) !== types.top(refHeap(rt2))) this.fail('type mismatch on cast: the types have different top types');
        } else if (!types.valSub(rt2, rt1)) {
          this.fail('type mismatch: br_on_cast target type is not a subtype of the source type');
        }
        const l = this.label(imm[k + 1]);
        if (l.length === 0) this.fail('type mismatch: br_on_cast needs a label ending in a reference');
        // The difference rt1 \ rt2: nullable only if rt1 is and rt2 is not.
        const diff = refType(refNullable(rt1) && !refNullable(rt2), refHeap(rt1));
        const onCast = name === 'br_on_cast' || name === 'br_on_cast_desc_eq';
        const sent = onCast ? rt2 : diff;
        if (!types.valSub(sent, l[l.length - 1])) this.fail('type mismatch: br_on_cast label type');
        if (name.startsWith('br_on_cast_desc')) this.pop(this.castDescriptor(refHeap(rt2)));
        this.pop(rt1);
        const rest = l.slice(0, -1);
        this.popVals(rest);
        this.pushVals(rest);
        this.push(onCast ? diff : rt2);
        return;
      }
      case 'any.convert_extern':
      case 'extern.convert_any': {
        const toAny = name === 'any.convert_extern';
        const from = heapFromCode(toAny ? HeapCode.extern : HeapCode.any);
        const t = this.pop(refType(true, from));
        const nullable = t === UNKNOWN || refNullable(t);
        this.push(refType(nullable, heapFromCode(toAny ? HeapCode.any : HeapCode.extern)));
        return;
      }
      case 'ref.i31':
        this.pop(I32);
        this.push(refType(false, heapFromCode(HeapCode.i31)));
        return;
      case 'i31.get_s':
      case 'i31.get_u':
        this.pop(I31REF);
        this.push(I32);
        return;
    }
    void op;
    void i;
    this.fail(`unsupported instruction ${name}`);
  }

  /** The data or element segment an array is filled from must fit its element type. */
  private arraySource(isData: boolean, fieldType: number, index: number): void {
    const types = this.types;
    if (isData) {
      this.data(index);
      const t = types.storageUnpacked(fieldType);
      if (isRefType(t)) this.fail('type mismatch: array.*_data needs a numeric or vector element type');
    } else {
      const e = this.elemType(index);
      if (!types.valSub(e, fieldType)) this.fail('type mismatch: element segment does not fit the array');
    }
  }
}

