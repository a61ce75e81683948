/**
 * Asyncify's per-function rewrite, on weft's structured stack IR (no flattening).
 *
 * A call that may unwind is a *site*; sites are numbered in body order. A construct that
 * contains a site is *hot*, and so is each arm (level) of it that does. In a hot level
 * with elements E_1..E_n (its sites and hot child constructs, in order) the rewrite is
 *
 *     [spill the level's parameters]
 *     block $L_n ... block $L_2
 *       global.get $state  if  local.get $idx  br_table (site → $L_j)      ;; rewinding?
 *       else  [reload the parameters]  run_0  spill S_1
 *     end $L_1  reload S_1  E_1  run_1  spill S_2
 *     end $L_2  reload S_2  E_2 ...
 *
 * (the if is $L_1; when E_1 starts the level, there is no $L_1 and the if has no else),
 * so a normal run only pays for `global.get` + `if` per level entry, while a rewind jumps
 * straight to the element holding the saved site, skipping all other code: only the
 * values that element consumes (S_j, the level's operand stack at it) come back, from
 * spill locals restored with the frame (or computed there again, where pure code over
 * locals not written since, or a tee, made them: see rematerialize). A site becomes
 *
 *     call f   i32.const k  global.get $state  br_if $unwind  drop
 *
 * and the whole body is wrapped as
 *
 *     if (state == 2) { pos -= SIZE; restore idx and the saved locals }
 *     block $unwind (result i32)  BODY  return  end
 *     save idx and the saved locals at pos (trapping first if pos + SIZE > end); pos += SIZE
 *     zeros of R
 *
 * (when the body's first dispatch runs before any other code, the restore is at the start
 * of its then arm instead, saving a state check).
 *
 * The frame: the saved values grouped by type, in chunks saved by shared helpers (see
 * FrameHoles), the i32 site index last (frame bytes are private to a binary; only the
 * header is ABI). What is saved is the union, over the sites, of the
 * locals live after the site (weft's liveness, per instruction) and the spill locals read
 * on the site's rewind path, minus argument spills the callee ignores when rewinding.
 *
 * With --asserts, site indices are unique module-wide as well and a rewound function traps
 * unless the frame's index is among its own: a rewind that dispatches into another function
 * (a call_indirect whose slot the host rewrote while unwound) stops there instead of
 * restoring that frame as its own.
 *
 * RETARGET (retarget.ts). A callee may rewrite its own table slot before it unwinds: a
 * rewind through the table would then enter the new occupant. So where some body rewrites
 * a table, a call_indirect through it that may unwind calls a wrapper instead when
 * rewinding, which calls the function whose frame is on top (site indices are then unique
 * module-wide); emitSite puts the state check and the call in (env.retarget).
 *
 * A `return_call*` that may only reach instrumented functions stays a tail call: its
 * frame is gone when the callee unwinds, so the callee's frame is on top when this
 * function is rewound, and the prologue (seeing a site index that is not its own; site
 * indices are then unique module-wide) tail-calls that function again at once. Deep
 * tail recursion keeps constant stack. Other `return_call*` sites (into imports, say,
 * which leave no frame) become a call, the check and `return`. The site index is the
 * frame's last word for this reason (inside a try, wrapped so that what the callee throws
 * still escapes this function's handlers, as it did from the tail call). Boundary spill locals are shared where no site needs
 * two of them at once (colorSlots). Non-defaultable locals become nullable with `ref.as_non_null` at each read,
 * since the synthetic blocks would break their initialization rule.
 *
 * Where the run time goes (QuickJS, Node 20, warm; measured 2026-12-02 by making parts of
 * the output constant-false, which V8 folds away): the original runs 0.15 s, this output
 * 0.30 s. Without the unwind edges (site checks) 0.25 s; without the rewind dispatch (level
 * checks and their edges into the landings) 0.17 s, in loops or outside them alike; without
 * both, 0.15 s. Testing a local instead of the state global at the levels does not help
 * while the rewind stays reachable: a local set from the state after each call, set in
 * the prologue and cleared (looping back to the level) once a rewind has ended, a range test
 * of the site index, or a diamond yielding the state all ran 0.29-0.35 s. Nearly all of the
 * dispatch cost is in one function, QuickJS's interpreter loop (func 221: 486 sites, about
 * 130 levels, entered per bytecode): without its dispatch alone, 0.19 s; without everyone
 * else's, 0.28 s. Node 26 runs this output at about 1.4x.
 *
 * So a loop with many sites (FlowEnv.peelSites) is peeled: its first copy has the dispatch
 * and is entered only when rewinding (one state check per entry of the loop); its continue
 * branches fall into the loop proper, whose levels have no dispatch and no landing blocks
 * but the same sites, spills and slots; code that no rewind reaches is left out of the first
 * copy (rewindDead: sql-wasm 7.6 KB smaller). Measured 2026-12-02 (a slower day: the original
 * 0.15 s, the unpeeled output 0.43 s warm): peeling QuickJS's interpreter loop, 0.27 s, for
 * 33 KB; its site checks are most of what remains there (0.05 s). Part of that was the
 * unwind edges keeping every saved local alive at every site: a function with a peeled
 * loop gets unwind pads (pads.ts), which zero what each site's rewind does not read.
 * What else remains (same day, warm, original 0.32 s): the first copy's mere presence. With
 * its entry constant-false, 0.467 -> 0.393 s; with it reachable but a few bytes long, or
 * looping back with every local changed, 0.44-0.45 s; with the loop proper laid out first,
 * no change. QuickJS's interpreter is two nested dispatch loops, so the first copy of the
 * outer one holds the whole inner one, all of it live; peeling the inner one instead made
 * the output 11 KB smaller but the workload 10% slower.
 *
 * SPLIT. So a function with a peeled loop is split (FlowEnv.split): the rewrite as above
 * becomes a new function, its twin, and the function's own index gets that rewrite without
 * the first copies and without the restore, whose prologue, when rewinding, calls the twin
 * with its params and returns. Both have the same sites, locals and frame layout, so either
 * restores what the other saved; a rewound call finishes in the twin, later calls run in
 * the copy that never rewinds, which V8 compiles without the rewind paths. Measured
 * 2026-12-02 (medians of 7 processes; original, whole, split): QuickJS on Node 20 warm
 * 0.254 / 0.456 / 0.321 s, cold 0.498 / 0.796 / 0.713 s; on Node 26 warm 0.228 / 0.305 /
 * 0.284 s; sql.js's recursive CTE on Node 20 warm 0.122 / 0.235 / 0.166 s. For the size of
 * the copy again: QuickJS +36 KB, sql-wasm +75 KB (two functions), before HAND-BACK.
 *
 * HAND-BACK. The twin has no copy of a peeled loop that never rewinds: where its rewound
 * iteration would continue into that copy, the twin sets the state to HANDING_BACK and
 * unwinds its own frame as a site of the loop would (the locals live at the loop's header
 * are saved for this). Its caller, the function's own index, sees that state after the
 * call: it restores that frame and rewinds into its own body (whose dispatch is the
 * twin's), down to the loop, where the state goes back to 0. The loop then runs on in the
 * copy without rewind paths. The split then costs QuickJS 3 KB, sql-wasm 6 KB (from 36
 * and 75); a loop with parameters keeps the whole twin.
 *
 * A cold run also waits for TurboFan (measured 2026-12-03, Node 20, TurboFan alone): the
 * whole output compiles in 1.75-2.05 s, the original in 0.70-0.90 s. In QuickJS's func 652
 * (16 KB in, 22 KB out) it is 91-127 ms, the original's 40 ms. With the unwind edges made
 * drops it is 58-83 ms; with the dispatches' state checks made constant, 40-51 ms; with
 * both, 24-40 ms. A landing merges the normal path with the locals restored in the prologue:
 * in V8's SSA graph, likely a phi for nearly every local at every landing. That is the cost
 * of this shape, and it was left as it is.
 */
import { liveAfter } from '../../analysis/liveness.js';
import { isOpener, OPENER, structureOf } from '../../analysis/structure.js';
import { Body, blockTypeAt, copyInstructions } from '../../ir/body.js';
import { Imm, OP_BY_NAME, OP_IMM, OPS, Op } from '../../ir/opcodes.js';
import {
  EXACT, F32, F64, I32, I64, V128, isRefType, nullableOf, refHeap, refNullable, valTypeName, type FuncType, type HeapType, type ValType,
} from '../../ir/types.js';
import type { ModuleContext } from '../../validate/context.js';
import type { FastCore } from '../../validate/core.js';
import { BodyValidator } from '../../validate/func.js';
import { AsyncifyError, classKey, type Analysis } from './analysis.js';
import { hoistCatches, type Hoisted } from './catches.js';
import { choosePads, type Pads } from './pads.js';
import { copyRelabeled } from './relabel.js';

const id = (name: string): number => OP_BY_NAME.get(name)!.id;
const REF_AS_NON_NULL = id('ref.as_non_null');
const SELECT_T = OPS.find((o) => o.imm === Imm.SelectT)!.id;
const I32_LOAD = id('i32.load'), I64_LOAD = id('i64.load'), F32_LOAD = id('f32.load'), F64_LOAD = id('f64.load');
const I32_STORE = id('i32.store'), I64_STORE = id('i64.store'), F32_STORE = id('f32.store'), F64_STORE = id('f64.store');
const V128_LOAD = id('v128.load'), V128_STORE = id('v128.store');
const I32_ADD = id('i32.add'), I32_SUB = id('i32.sub'), I32_OR = id('i32.or'), I32_EQ = id('i32.eq'), I64_SUB = id('i64.sub');
const TABLE_GET = id('table.get'), TABLE_SET = id('table.set'), TABLE_SIZE = id('table.size'), TABLE_GROW = id('table.grow');
const REF_CAST = id('ref.cast'), REF_CAST_NULL = id('ref.cast_null');
const I32_NE = id('i32.ne'), I32_LT_U = id('i32.lt_u'), I32_LE_S = id('i32.le_s'), I32_EQZ = id('i32.eqz'), I64_EQZ = id('i64.eqz');
/** Integer comparisons and their negations. */
const INVERSE = new Int32Array(OPS.length);
for (const w of ['i32', 'i64']) {
  for (const [a, b] of [['eq', 'ne'], ['lt_s', 'ge_s'], ['lt_u', 'ge_u'], ['gt_s', 'le_s'], ['gt_u', 'le_u']]) {
    INVERSE[id(`${w}.${a}`)] = id(`${w}.${b}`);
    INVERSE[id(`${w}.${b}`)] = id(`${w}.${a}`);
  }
}
const EMPTY_BLOCK = -64;
const EXNREF = 0x69;
const CATCH_ALL_REF = 3;
const TAIL_CALL = new Uint8Array(OPS.length);
for (const o of [Op.return_call, Op.return_call_indirect, Op.return_call_ref]) TAIL_CALL[o] = 1;
/** A value type's bit for an exact heap type (EXACT, shifted past the type code). */
const EXACT_REF = EXACT << 8;

/**
 * Instructions that neither trap nor have effects, with their operand and result counts
 * (-1: not pure). A call's argument computation made only of these can run again when
 * rewinding, with whatever the locals hold then, instead of being spilled and saved.
 */
const PURE_POPS = new Int8Array(OPS.length).fill(-1);
const PURE_PUSHES = new Int8Array(OPS.length);
for (const op of OPS) {
  if (op.imm !== Imm.None || op.params === null || op.results === null || op.params.includes('a')) continue;
  if (/\.(div|rem)_|\.trunc_f/.test(op.name)) continue;
  PURE_POPS[op.id] = op.params.length;
  PURE_PUSHES[op.id] = op.results.length;
}
for (const name of ['local.get', 'global.get', 'i32.const', 'i64.const', 'f32.const', 'f64.const', 'v128.const', 'ref.null', 'ref.func']) {
  PURE_POPS[id(name)] = 0;
  PURE_PUSHES[id(name)] = 1;
}
for (const op of OPS.filter((o) => o.name === 'select')) {
  PURE_POPS[op.id] = 3;
  PURE_PUSHES[op.id] = 1;
}
/**
 * Operand and result counts of the instructions a backward walk over a level can step
 * over (-1: it cannot; calls and constructs are walked with their probed stack heights).
 */
const FIXED_POPS = new Int8Array(OPS.length).fill(-1);
const FIXED_PUSHES = new Int8Array(OPS.length);
for (const op of OPS) {
  if (op.params === null || op.results === null || op.imm === Imm.Block) continue;
  FIXED_POPS[op.id] = op.params.length;
  FIXED_PUSHES[op.id] = op.results.length;
}
for (const [names, pops, pushes] of [
  ['local.get global.get ref.null ref.func table.size', 0, 1], ['local.set global.set drop', 1, 0],
  ['local.tee ref.is_null ref.as_non_null table.get struct.get struct.get_s struct.get_u array.len ref.i31 i31.get_s i31.get_u', 1, 1],
  ['ref.test ref.test_null ref.cast ref.cast_null any.convert_extern extern.convert_any array.new_default', 1, 1],
  ['ref.eq array.get array.get_s array.get_u table.grow array.new', 2, 1], ['table.set struct.set', 2, 0],
  ['memory.init memory.copy memory.fill table.init table.copy table.fill array.set', 3, 0],
] as const) {
  for (const name of names.split(' ')) {
    FIXED_POPS[id(name)] = pops;
    FIXED_PUSHES[id(name)] = pushes;
  }
}
for (const op of OPS.filter((o) => o.name === 'select')) {
  FIXED_POPS[op.id] = 3;
  FIXED_PUSHES[op.id] = 1;
}
// Plain loads: they cannot trap where they did not before when their address is recomputed
// from exactly restored locals (memory never shrinks), so they may be in a direct call's
// landing, whose arguments are not used when rewinding.
const PLAIN_LOAD = new Uint8Array(OPS.length);
for (const op of OPS) {
  if (op.imm === Imm.Memarg && op.prefix === 0 && op.params?.length === 1 && op.params[0] === 'a' && op.results?.length === 1) PLAIN_LOAD[op.id] = 1;
}

/**
 * Instructions the rewrite never copies as they are: 1 for structure and branches (their
 * labels move), 2 for local accesses (special when the local was made nullable).
 */
const SPECIAL = new Uint8Array(OPS.length);
for (const op of OPS) {
  const kind = op.imm;
  if (kind === Imm.Block || kind === Imm.TryTable || kind === Imm.Label || kind === Imm.BrOnCast || kind === Imm.BrTable
    || op.id === Op.else || op.id === Op.catch || op.id === Op.catch_all || op.id === Op.end) SPECIAL[op.id] = 1;
  else if (kind === Imm.Local) SPECIAL[op.id] = 2;
}

/** The calls (isCall), and what the operand stack is probed at: calls and openers. */
const CALL = new Uint8Array(OPS.length);
for (const o of [Op.call, Op.call_indirect, Op.call_ref, Op.return_call, Op.return_call_indirect, Op.return_call_ref]) CALL[o] = 1;
const PROBED = CALL.map((c, op) => c | OPENER[op]);

/** The ABI's rewinding state; and the state while a twin hands a loop back to its function (see HAND-BACK), never seen outside. */
const REWINDING = 2, HANDING_BACK = 3;

/** Instructions after which the stack is polymorphic: a `return` after them is dead. */
const DIVERGES = new Uint8Array(OPS.length);
for (const o of [Op.unreachable, Op.br, Op.br_table, Op.return, Op.return_call, Op.return_call_indirect, Op.return_call_ref, Op.throw, Op.throw_ref, Op.rethrow]) DIVERGES[o] = 1;

/** Where the asyncify state lives, and how block types are made. */
export interface FlowEnv {
  ctx: ModuleContext;
  analysis: Analysis;
  stateGlobal: number;
  dataGlobal: number;
  memory: number;
  mem64: boolean;
  /** A type index for a multi-value block type (params → results), added if needed. */
  funcTypeIndex(params: ValType[], results: ValType[]): number;
  /** The table that holds saved references of a hierarchy (by its top heap type), added if needed. */
  refTable(top: HeapType): { table: number; heap: HeapType };
  /** An immutable global holding a value of a non-nullable reference type (dummies.ts); -1 if there is none. */
  dummy(t: ValType): number;
  /** Globals of the reference slot stack: next free slot, slots in use. */
  refGlobals(): { top: number; live: number };
  /**
   * Site indices are unique module-wide (each function's from its siteBase): when tail calls
   * need it, and with --asserts, so a prologue can tell its own frame from another's.
   */
  uniqueSites: boolean;
  /** --asserts: a rewound function traps unless the frame on top is its own. */
  checkRewind: boolean;
  /** The first site index of a function, when uniqueSites. */
  siteBase(func: number): number;
  /** Whether the function is exported. */
  exported(func: number): boolean;
  /** How many site indices a function has reserved from its base. */
  siteReserve(func: number): number;
  /** The wrapper that a `call_indirect` (type, table) calls when rewinding, and its type (see RETARGET); null: none. */
  retarget(type: number, table: number): { func: number; type: number } | null;
  /** Loops with at least this many sites are peeled, and their functions get unwind pads (see pads.ts); Infinity: neither. */
  peelSites: number;
  /**
   * A function with a peeled loop is split (see FlowResult.forward): not with tail calls
   * kept, whose prologues tell frames apart by the function that runs them.
   */
  split: boolean;
  /** Bodies to build into, reused from function to function (the results are among them). */
  scratch: [Body, Body, Body, Body];
  /** The validator's fast core for this module, which types the stack of the bodies it takes; null: none. */
  core: FastCore | null;
}

export interface FlowResult {
  body: Body;
  sites: number;
  savedLocals: number;
  frameBytes: number;
  /** The branches (`if`, `br_if`) into the rewind paths, ascending: hinted unlikely. */
  unlikely: number[];
  /** Where the frame's helpers are called, if it is not empty (see FrameHoles). */
  frame: FrameHoles | null;
  /**
   * For a function with a peeled loop (see SPLIT), the body that keeps its index: `body`
   * without the loops' rewound copies, whose prologue, when rewinding, passes its params
   * to `body` (a function of its own, the twin) and returns what it returns. The call to
   * the twin goes in before instruction `twinAt`; `frame` has no restore (restoreAt -1).
   */
  forward: { body: Body; unlikely: number[]; frame: FrameHoles; twinAt: number } | null;
}

/**
 * A frame's values are on the stack in order at `saveAt` and wanted there at `restoreAt`
 * (instruction indices of the body): the calls that save or restore them go there. Each
 * group (FRAME_GROUPS) of `groups[g]` values is saved in chunks, each by a helper
 * `(t × size) → ()` that pushes its part of the frame: the calls run from the last chunk
 * to the first, so the first chunk, whose first value is the site index, ends the frame;
 * the restorers `() → (t × size)` run first chunk first.
 */
export interface FrameHoles {
  groups: number[];
  restoreAt: number;
  saveAt: number;
}

const sizeOf = (t: ValType): number => (t === I64 || t === F64 ? 8 : t === V128 ? 16 : 4);
const zeroOp = (t: ValType): number =>
  t === I32 ? Op.i32_const : t === I64 ? Op.i64_const : t === F32 ? Op.f32_const : t === F64 ? Op.f64_const : t === V128 ? Op.v128_const : Op.ref_null;

interface Element {
  instr: number;
  first: number;
  last: number;
  /** Where a rewind lands: the element itself, or the start of its call's pure argument code. */
  landing: number;
  /** Level stack height at the landing. */
  height: number;
  /** Starts its level, so it has no block of its own (set when the level is emitted). */
  inline: boolean;
  /** An if whose condition, known when rewinding (see hotArm), is the dispatch if's result. */
  carried: boolean;
  /** Per value of the level's stack at the landing: the first and last instruction of the code that computes it, if that moves past the landing (see rematerialize), else -1. */
  remat: Int32Array | null;
}

/** A level of the body being emitted. */
interface Level {
  /** Elements (in order) if the level is hot, else null. */
  elements: Element[] | null;
  next: number;
  depth: number;
  /** Dispatch targets handed down to the level of the first element. */
  inherit: Target[] | null;
}

interface Target {
  first: number;
  last: number;
  frame: number;
}

/**
 * Per-instruction arrays, reused from function to function (the rewrite never re-enters):
 * allocating and zeroing fresh ones for each of thousands of bodies was a tenth of the
 * rewrite's time. Each comes back zeroed up to `n`, possibly longer.
 */
const reusedU8: Uint8Array[] = [];
const reusedI32: Int32Array[] = [];
function zeroed<T extends Uint8Array | Int32Array>(pool: T[], slot: number, n: number, make: (n: number) => T): T {
  let a = pool[slot];
  if (!a || a.length < n) pool[slot] = a = make(Math.max(n, 2 * (a?.length ?? 0)));
  else a.fill(0, 0, n);
  return a;
}
const zeroedU8 = (slot: number, n: number): Uint8Array => zeroed(reusedU8, slot, n, (k) => new Uint8Array(k));
const zeroedI32 = (slot: number, n: number): Int32Array => zeroed(reusedI32, slot, n, (k) => new Int32Array(k));
let stackPool = new Int32Array(256);
let reusedMatch = new Int32Array(256);
let reusedProducers = new Int32Array(64);

/**
 * Rewrites one instrumented function. `entry`, if given, is the code entry `input` was
 * decoded from, unchanged: the fast core then types its stack (FastCore.stacks).
 */
export function asyncifyBody(env: FlowEnv, funcIndex: number, fn: FuncType, input: Body, entry: Uint8Array | null = null): FlowResult {
  const { ctx, analysis } = env;
  const hoisted = hoistHotCatches(env, funcIndex, fn, input);
  const src = hoisted?.body ?? input;
  const guarded = hoisted?.guarded ?? null;
  const n = src.length;
  const ops = src.ops;
  const imm = src.imm;
  const structure = structureOf(src, reusedMatch.length >= n ? reusedMatch : (reusedMatch = new Int32Array(2 * n)));
  const { match, last } = structure;
  const nParams = fn.params.length;
  const localTypes: ValType[] = [...fn.params, ...src.localTypes()];
  const nOrig = localTypes.length;

  // Non-defaultable locals become nullable (reads get ref.as_non_null).
  const nonNull = new Uint8Array(nOrig);
  for (let x = nParams; x < nOrig; x++) if (isRefType(localTypes[x]) && !refNullable(localTypes[x])) nonNull[x] = 1;

  // 1. The operand stack at every call and opener.
  // Level-relative stacks, packed: instruction i's is pool[stackOff[i] .. + stackLen[i]].
  let pool = stackPool;
  let used = 0;
  const stackOff = zeroedI32(0, n);
  const stackLen = zeroedI32(1, n);
  const unreachable = zeroedU8(1, n);
  const inexact = !ctx.features.customDescriptors;
  // At the PROBED ops (the core records at exactly those the bodies it takes can hold).
  const record = (i: number, stack: ArrayLike<number>, from: number, len: number, unr: boolean): void => {
    if (used + len > pool.length) {
      const grown = new Int32Array(Math.max(pool.length * 2, used + len));
      grown.set(pool.subarray(0, used));
      stackPool = pool = grown;
    }
    for (let q = 0; q < len; q++) pool[used + q] = stack[from + q];
    // The validator types ref.func and struct.new exactly (custom descriptors); spill slots
    // and block types made from these must not be, where the module cannot use exact types.
    if (inexact) for (let q = used; q < used + len; q++) if (pool[q] >= EXACT_REF) pool[q] &= ~EXACT_REF;
    stackOff[i] = used;
    stackLen[i] = len;
    used += len;
    if (unr) unreachable[i] = 1;
  };
  // The fast core, where it takes the body (numeric code: most of a C program's), validates
  // it and records the same stacks at a fraction of the complete validator's cost.
  const fast = entry !== null && hoisted === null && env.core !== null && env.core.stacks(funcIndex, entry, record);
  const error = fast ? null : validator(ctx).probe(funcIndex, src, PROBED, (i, stack, sp, floor, unr) => record(i, stack, floor, sp - floor, unr));
  const stackAt = (i: number): Int32Array => pool.subarray(stackOff[i], stackOff[i] + stackLen[i]);
  if (error) throw new AsyncifyError(`func ${funcIndex}: invalid body: ${error.message}`);

  // 2. Sites, hot levels and their elements. A level is keyed by the instruction that
  // starts it: an opener, else/catch/catch_all, or -1 for the function body.
  const isSite = (i: number): boolean => siteCall(analysis, funcIndex, src, i) && !guarded?.[i];
  const sites: number[] = [];
  const levels = new Map<number, Element[]>();
  findSites();
  /**
   * Finds the sites and registers them in their levels. (This and the other long phases are
   * functions of their own: V8 compiles small functions sooner and in less time, which on
   * a module of a few thousand functions is most of the run.)
   */
  function findSites(): void {
    const open: number[] = []; // level keys of the open levels
    const dead: boolean[] = [];
    let curDead = false;
    let cur = -1;
    const registered = zeroedU8(2, n);
    for (let i = 0; i < last; i++) {
      const op = ops[i];
      if (OPENER[op] === 1) {
        open.push(cur);
        dead.push(curDead);
        curDead = curDead || unreachable[i] === 1;
        cur = i;
      } else if (op === Op.else || op === Op.catch || op === Op.catch_all) {
        cur = i;
      } else if (op === Op.end || op === Op.delegate) {
        cur = open.pop()!;
        curDead = dead.pop()!;
      } else if (CALL[op] === 1 && !curDead && !unreachable[i] && isSite(i)) {
        const k = sites.length;
        sites.push(i);
        // Register the site in its level, and each enclosing construct not yet registered
        // in its parent's (once one is, all its ancestors are).
        // Every field set from the start: one object shape for V8 (fields added later
        // deoptimized the emitting code, measured).
        let elem: Element = { instr: i, first: k, last: k, landing: i, height: stackLen[i], inline: false, carried: false, remat: null };
        let level = cur;
        for (let d = open.length; ; d--) {
          let list = levels.get(level);
          if (!list) levels.set(level, (list = []));
          list.push(elem);
          if (level < 0) break;
          if (ops[level] === Op.catch || ops[level] === Op.catch_all) {
            throw new AsyncifyError(`func ${funcIndex}: internal error: a call that may unwind left inside a legacy catch body`);
          }
          const opener = isOpener(ops[level]) ? level : match[level];
          if (registered[opener]) break;
          registered[opener] = 1;
          elem = { instr: opener, first: k, last: -1, landing: opener, height: stackLen[opener], inline: false, carried: false, remat: null };
          level = open[d - 1];
        }
      }
    }
  }
  // Site indices start at the function's base; when they need not be unique, a function of
  // more than 64 sites numbers them from -64, so that 128 of them are one-byte constants.
  const base = env.uniqueSites ? env.siteBase(funcIndex) : sites.length > 64 ? -64 : 0;
  // A construct's sites run up to the last one before its end.
  for (const list of levels.values()) {
    for (let li = 0; li < list.length; li++) {
      const e = list[li];
      if (e.last >= 0) continue;
      let lo = e.first;
      let hi = sites.length;
      const end = match[e.instr];
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (sites[mid] < end) lo = mid + 1;
        else hi = mid;
      }
      e.last = lo - 1;
    }
  }

  // Landings: a call's arguments computed by pure code are recomputed when rewinding. The
  // callee ignores them then (it restores its own locals; an import's runtime returns the
  // saved result), except where the value must be exact: an indirect call's callee, a
  // load's address (so it cannot trap where it did not), a local.tee's value (it writes a
  // local back). Exact code reads restored locals only, and tees only locals it has not
  // read before (else it would see its own write).
  const suffixReads = new Set<number>();
  const candidates: number[] = [];
  let writes: Map<number, number[]> | null = null; // write positions of each local, when first needed
  let elseOf: Map<number, number> | null = null; // each if's else, when first needed
  findLandings();
  /** Where each site's landing starts: its arguments computed again when rewinding. */
  function findLandings(): void {
    for (const list of levels.values()) {
      for (let li = 0; li < list.length; li++) {
        const e = list[li];
        if (ops[e.instr] === Op.if) {
          ifLanding(e);
          continue;
        }
        if (!isCall(ops[e.instr])) continue;
        const { count, keep } = siteArgs(e.instr);
        const indirect = keep === 1;
        const bound = e.height - count;
        landingStarts(e.instr, e.height, count, !indirect, true, !indirect, nullable);
        // The earliest start whose code can be recomputed.
        for (let c = candidates.length - 1; c >= 0; c--) {
          if (!recomputable(candidates[c], e.instr)) continue;
          e.landing = candidates[c];
          e.height = bound;
          let exact = indirect;
          for (let q = e.landing; q < e.instr && !exact; q++) exact = PLAIN_LOAD[ops[q]] === 1 || ops[q] === Op.local_tee;
          if (exact) for (let q = e.landing; q < e.instr; q++) if (ops[q] === Op.local_get) suffixReads.add(imm[q * 4]);
          break;
        }
      }
    }
  }
  /**
   * An `if` whose condition is computed by pure code from locals that its arms do not write
   * computes it again when rewinding (from restored locals: the same value), instead of
   * keeping it in a local that is saved.
   */
  function ifLanding(e: Element): void {
    if (blockParams(e.instr)) return;
    landingStarts(e.instr, e.height, 1, false, false, false, (x) => nullable(x) && !writtenIn(x, e.instr, match[e.instr]));
    if (!candidates.length) return;
    const landing = candidates[candidates.length - 1];
    e.landing = landing;
    e.height -= 1;
    for (let q = landing; q < e.instr; q++) if (ops[q] === Op.local_get) suffixReads.add(imm[q * 4]);
  }
  /**
   * Into `candidates`, nearest first: where the code that computes the `count` values on top
   * of the stack before instruction `at` (of height `height`) may start, as pure code that
   * consumes nothing below them and starts with nothing of its own on the stack. Loads,
   * tees and global reads only where allowed; local reads only of `readable` locals.
   */
  function landingStarts(at: number, height: number, count: number, loads: boolean, tees: boolean, globals: boolean, readable: (x: number) => boolean): void {
    candidates.length = 0;
    const bound = height - count;
    let h = height;
    for (let q = at - 1; q >= 0; q--) {
      const op = ops[q];
      const one = (loads && PLAIN_LOAD[op] === 1) || (tees && op === Op.local_tee && nullable(imm[q * 4]));
      const pops = one ? 1 : PURE_POPS[op];
      if (pops < 0 || (!globals && op === Op.global_get)) break;
      if (op === Op.local_get && !readable(imm[q * 4])) break;
      const pushes = one ? 1 : PURE_PUSHES[op];
      if (h - pushes < bound) break;
      h = h - pushes + pops;
      if (h === bound) candidates.push(q);
    }
  }
  /** Whether local x is not one of the non-nullable locals (those are read through ref.as_non_null). */
  function nullable(x: number): boolean {
    return !nonNull[x];
  }
  /** Whether local x is written in instructions [from, to]. */
  function writtenIn(x: number, from: number, to: number): boolean {
    if (!writes) {
      writes = new Map();
      for (let i = 0; i < n; i++) {
        if (ops[i] !== Op.local_set && ops[i] !== Op.local_tee) continue;
        const list = writes.get(imm[i * 4]);
        if (list) list.push(i);
        else writes.set(imm[i * 4], [i]);
      }
    }
    const list = writes.get(x);
    if (!list) return false;
    let lo = 0, hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid] < from) lo = mid + 1;
      else hi = mid;
    }
    return lo < list.length && list[lo] <= to;
  }
  /** Whether the loads in pure code [from, to) have addresses computed from `exact` locals only (no loads or globals). */
  function exactAddresses(from: number, to: number, exact: (x: number) => boolean): boolean {
    const starts: number[] = [];
    for (let q = from; q < to; q++) {
      const op = ops[q];
      const load = PLAIN_LOAD[op] === 1;
      const pops = load ? 1 : PURE_POPS[op];
      const start = pops ? starts[starts.length - pops] : q;
      starts.length -= pops;
      if (load) {
        for (let r = start; r < q; r++) {
          const o = ops[r];
          if (o === Op.global_get || PLAIN_LOAD[o] || (o === Op.local_get && !exact(imm[r * 4]))) return false;
        }
      }
      for (let k = load ? 1 : PURE_PUSHES[op]; k > 0; k--) starts.push(start);
    }
    return true;
  }
  /** Whether the landing code [from, to) computes its exact values (see above) exactly. */
  function recomputable(from: number, to: number): boolean {
    const starts: number[] = []; // where the code of each value on the stack starts
    for (let q = from; q < to; q++) {
      const op = ops[q];
      const load = PLAIN_LOAD[op] === 1;
      const tee = op === Op.local_tee;
      const pops = load || tee ? 1 : PURE_POPS[op];
      const start = pops ? starts[starts.length - pops] : q;
      starts.length -= pops;
      if (load || tee) {
        for (let r = start; r < q; r++) {
          const o = ops[r];
          // A loaded value may differ when rewinding (memory may have changed): a load's
          // address computed from one could then be out of bounds.
          if (o === Op.global_get || PLAIN_LOAD[o]) return false;
          if (tee && o === Op.local_get && imm[r * 4] === imm[q * 4]) return false;
        }
        if (tee) for (let r = from; r < start; r++) if (ops[r] === Op.local_get && imm[r * 4] === imm[q * 4]) return false;
      }
      for (let k = load || tee ? 1 : PURE_PUSHES[op]; k > 0; k--) starts.push(start);
    }
    return true;
  }

  // 3. Liveness after each site.
  const siteMarks = zeroedU8(3, n);
  for (let k = 0; k < sites.length; k++) siteMarks[sites[k]] = 1;
  // A split function's twin hands a peeled loop back at its header (see HAND-BACK): what
  // is live there is saved too.
  const headers = env.split && sites.length >= env.peelSites
    ? [...levels.keys()].filter((key) => key >= 0 && ops[key] === Op.loop && peelLoop(key)) : [];
  for (const i of headers) siteMarks[i] = 1;
  const live = liveAfter(src, nOrig, siteMarks, structure);
  // The locals each site needs back when rewinding.
  const saved = new Set<number>();
  {
    // The union of the sets, then its members (not every local against every set).
    const W = (nOrig + 31) >>> 5;
    const union = new Uint32Array(W);
    for (let k = 0; k < sites.length + headers.length; k++) {
      const s = live.get(k < sites.length ? sites[k] : headers[k - sites.length])!;
      for (let j = 0; j < W; j++) union[j] |= s[j];
    }
    for (let j = 0; j < W; j++) {
      for (let w = union[j]; w !== 0; w &= w - 1) saved.add(j * 32 + 31 - Math.clz32(w & -w));
    }
  }

  // Values below a call's arguments computed by pure code from locals (recomputed, or no
  // arguments) are computed again too, from the restored locals, instead of being spilled
  // and saved: where those locals are not written on the way to the call, and saving them
  // takes no more frame words than the spills would.
  // An if whose sites are in its then arm only, whose condition is computed by pure code
  // and loads (not computed again: memory may have changed), computes it again anyway, or'ed
  // with the state: nonzero when rewinding. Its loads must read where they did the first
  // time, so that they cannot trap: their addresses are computed from saved locals that
  // the arms do not write.
  const orState = zeroedU8(5, n);
  recomputeBelow();
  /** Landings moved earlier: hot ifs computing their condition again, and values below calls. */
  function recomputeBelow(): void {
    for (const list of levels.values()) {
      for (let li = 0; li < list.length; li++) {
        const e = list[li];
        if (ops[e.instr] !== Op.if || e.landing !== e.instr || list.length === 1 || blockParams(e.instr) || hotArm(e.instr) !== 1) continue;
        landingStarts(e.instr, e.height, 1, true, false, true, nullable);
        const exact = (x: number): boolean => saved.has(x) && !writtenIn(x, e.instr, match[e.instr]);
        for (let c = candidates.length - 1; c >= 0; c--) {
          if (!exactAddresses(candidates[c], e.instr, exact)) continue;
          e.landing = candidates[c];
          e.height -= 1;
          orState[e.instr] = 1;
          break;
        }
      }
    }
    for (const list of levels.values()) {
      for (let li = 0; li < list.length; li++) {
        const e = list[li];
        if (!isCall(ops[e.instr]) || e.height === 0) continue;
        const from = e.landing;
        if (from === e.instr && siteArgs(e.instr).count > 0) continue;
        landingStarts(from, e.height, e.height, false, false, false, nullable);
        if (!candidates.length) continue;
        const start = candidates[candidates.length - 1];
        const reads = new Set<number>();
        let news = 0;
        for (let q = start; q < from; q++) {
          if (ops[q] !== Op.local_get) continue;
          const x = imm[q * 4];
          if (writtenIn(x, q, e.instr)) {
            news = Infinity;
            break;
          }
          if (!saved.has(x) && !reads.has(x)) news++;
          reads.add(x);
        }
        if (news > e.height) continue;
        e.landing = start;
        e.height = 0;
        for (const x of reads) {
          suffixReads.add(x);
          saved.add(x);
        }
      }
    }
  }

  // Values on a level's stack at a landing computed by a tee, or by pure code from constants,
  // immutable globals and locals not written from there to the element's end, are not
  // spilled: that code moves past the landing, where both paths run it, the rewind path
  // from the restored locals (a tee's value is its local's). It runs once, at the last
  // landing that moves it (rematAt: that landing + 1, at each of its instructions); a tee
  // left behind becomes a set.
  const rematAt = zeroedI32(3, n);
  rematerialize();
  function rematerialize(): void {
    let into = reusedProducers;
    for (const [key, list] of levels) {
      const from = key < 0 ? 0 : key + 1;
      for (let li = 0; li < list.length; li++) {
        const e = list[li];
        if (e.height === 0 || unreachable[e.instr]) continue;
        if (into.length < 2 * e.height) reusedProducers = into = new Int32Array(4 * e.height);
        if (!producers(from, e.landing, e.height, into)) continue;
        const call = isCall(ops[e.instr]);
        const all = stackAt(e.instr);
        // A construct's operands (an if's condition, block parameters) are not the level's to keep.
        const below = call ? e.height : Math.min(e.height, all.length - (ops[e.instr] === Op.if ? 1 : 0) - blockParams(e.instr));
        const { count, keep } = call ? siteArgs(e.instr) : { count: 0, keep: 0 };
        const end = call ? e.instr : match[e.instr];
        let remat: Int32Array | null = null;
        for (let p = 0; p < below; p++) {
          const s = into[2 * p];
          const root = into[2 * p + 1];
          if (s < 0) continue;
          let ok = true;
          for (let q = s; q <= root && ok; q++) {
            if (ops[q] !== Op.local_get && ops[q] !== Op.local_tee) continue;
            const x = imm[q * 4];
            ok = !nonNull[x] && !writtenIn(x, q + 1, end);
          }
          if (!ok) continue;
          remat ??= new Int32Array(2 * e.height).fill(-1);
          remat[2 * p] = s;
          remat[2 * p + 1] = root;
          for (let q = s; q <= root; q++) rematAt[q] = e.landing + 1;
          const isArg = p >= all.length - count && p < all.length - keep;
          if (isArg && defaultable(all[p])) continue;
          for (let q = s; q <= root; q++) {
            if (ops[q] !== Op.local_get && ops[q] !== Op.local_tee) continue;
            saved.add(imm[q * 4]);
            suffixReads.add(imm[q * 4]);
          }
        }
        e.remat = remat;
      }
    }
  }
  /**
   * Into `into`, for each of the `height` values on a level's stack before instruction `at`
   * (the level's code starts at `from`): the first and last instruction of the code that
   * computed it, if that code can run again (see treeStart), else -1. False if none can.
   */
  function producers(from: number, at: number, height: number, into: Int32Array): boolean {
    into.fill(-1, 0, 2 * height);
    let found = false;
    let h = height;
    let need = height; // the values below are still to be found
    for (let q = at - 1; q >= from && need > 0; q--) {
      const op = ops[q];
      let lowest: number; // how low the stack gets while q runs
      let before: number;
      if (op === Op.end || op === Op.delegate) {
        const o = match[q];
        if (unreachable[o]) return found;
        before = stackLen[o];
        lowest = before - (ops[o] === Op.if ? 1 : 0) - blockParams(o);
        q = o;
      } else if (CALL[op] === 1) {
        if (TAIL_CALL[op]) return found;
        before = stackLen[q];
        lowest = before - siteArgs(q).count;
      } else {
        const pops = FIXED_POPS[op];
        if (pops < 0) return found;
        lowest = h - FIXED_PUSHES[op];
        before = lowest + pops;
        const s = lowest === need - 1 && FIXED_PUSHES[op] === 1 ? treeStart(q) : -1;
        if (s >= 0) {
          into[2 * lowest] = s;
          into[2 * lowest + 1] = q;
          found = true;
          need = lowest;
          // Before a tee, its operand is still there.
          h = s === q ? before : lowest;
          q = s;
          continue;
        }
      }
      if (lowest < need) need = lowest;
      h = before;
    }
    return found;
  }
  /** Where the code computing the value instruction q pushes starts, if it is a tee or pure code over constants, locals and immutable globals; else -1. */
  function treeStart(q: number): number {
    if (ops[q] === Op.local_tee) return q;
    let r = q + 1;
    for (let d = 1; d > 0; ) {
      const o = ops[--r];
      if (r < 0 || (o === Op.global_get && ctx.globals[imm[r * 4]].mutable) || PURE_POPS[o] < 0 || PURE_PUSHES[o] !== 1) return -1;
      d += PURE_POPS[o] - 1;
    }
    return r;
  }

  // The unwind pads (see pads.ts): what each site's rewind reads is what is live after it
  // and what the landings on its way read.
  const pads = withPads() ? sitePads() : null;
  function withPads(): boolean {
    if (sites.length < env.peelSites) return false;
    for (const key of levels.keys()) if (key >= 0 && ops[key] === Op.loop && peelLoop(key)) return true;
    return false;
  }
  function sitePads(): Pads | null {
    const W = (nOrig + 31) >>> 5;
    const need = new Uint32Array(W * sites.length);
    for (let k = 0; k < sites.length; k++) need.set(live.get(sites[k])!, k * W);
    for (const list of levels.values()) {
      for (let li = 0; li < list.length; li++) {
        const e = list[li];
        const read = (x: number): void => {
          for (let k = e.first; k <= e.last; k++) need[k * W + (x >>> 5)] |= 1 << (x & 31);
        };
        for (let q = e.landing; q < e.instr; q++) if (ops[q] === Op.local_get) read(imm[q * 4]);
        if (e.remat) {
          for (let p = 0; p < e.remat.length; p += 2) {
            for (let q = e.remat[p]; q >= 0 && q <= e.remat[p + 1]; q++) if (ops[q] === Op.local_get || ops[q] === Op.local_tee) read(imm[q * 4]);
          }
        }
      }
    }
    const candidates = [...saved].filter((x) => !isRefType(localTypes[x])).sort((a, b) => a - b);
    return choosePads(need, W, sites.length, candidates);
  }

  // A tail call that becomes a call, the check and `return` must still throw past this
  // function's handlers, as the tail call did: inside a try it is wrapped so that its
  // exceptions escape to the caller (`try ... delegate` to the function's label in a module
  // of legacy exceptions, else a try_table catching them all into a block at the function's
  // level that throws them again).
  const escapes = tailsInTries();
  const legacyEscape = escapes !== null && src.ops.subarray(0, n).includes(Op.try);
  function tailsInTries(): Uint8Array | null {
    if (!sites.some((i) => TAIL_CALL[ops[i]] === 1)) return null;
    let found: Uint8Array | null = null;
    let open = 0;
    const opens: number[] = [];
    for (let i = 0; i < last; i++) {
      const op = ops[i];
      if (OPENER[op] === 1) {
        const t = op === Op.try || op === Op.try_table ? 1 : 0;
        opens.push(t);
        open += t;
      } else if (op === Op.end || op === Op.delegate) open -= opens.pop()!;
      else if (open > 0 && TAIL_CALL[op] && siteMarks[i]) (found ??= zeroedU8(11, n))[i] = 1;
    }
    return found;
  }

  // 4. Emit.
  const out = env.scratch[0];
  out.reset();
  // In `out`: the rewind dispatches. (Hints on the unwind checks cost 5 bytes each and,
  // measured, gain nothing: V8 already treats a br_if out of the function as the colder.)
  const unlikely: number[] = [];
  const newLocals: ValType[] = [];
  const addLocal = (t: ValType): number => {
    newLocals.push(t);
    return nOrig + newLocals.length - 1;
  };
  // One site needs no index: its level dispatches on the state alone. With tail calls kept,
  // every frame has one, so a prologue can tell whose frame is on top; and an exported
  // function always saves one, so that a runtime sees from the data pointer that an unwind
  // reached wasm frames.
  const withIdx = sites.length > 1 || env.uniqueSites || env.exported(funcIndex);
  const idxLocal = withIdx ? addLocal(I32) : -1;
  /** Where `out` reads or writes a new local (renumbered by colorSlots). */
  const newRefs: number[] = [];
  const slots = new Map<string, number>();
  const slot = (depth: number, pos: number, t: ValType, param: boolean, saved = true): number => {
    const key = `${depth}:${pos}:${t}:${param ? 1 : 0}:${saved ? 1 : 0}`;
    let x = slots.get(key);
    if (x === undefined) {
      slots.set(key, (x = addLocal(isRefType(t) ? nullableOf(t) : t)));
      slotType.set(x, t);
    }
    return x;
  };
  const slotType = new Map<number, ValType>();
  let eDepth = 0;
  const frames: number[] = []; // emitted index of each original frame
  const tr = (d: number): number => eDepth - 1 - frames[frames.length - 1 - d];
  const UNWIND = 0;

  const blockImm = (params: ValType[], results: ValType[]): [number, number] => {
    if (params.length === 0 && results.length === 0) return [EMPTY_BLOCK, 0];
    if (params.length === 0 && results.length === 1) return [(results[0] & 0xff) - 0x80, results[0] >> 8];
    return [env.funcTypeIndex(params, results), 0];
  };

  // Spill/reload of a level's operand stack; at a landing, not the values it rematerializes
  // (their slot is -1; `remat` as Element.remat), which are pushed again at the last such landing.
  const spill = (types: ArrayLike<ValType>, depth: number, param: boolean, needed: ((p: number) => boolean) | null = null,
    remat: Int32Array | null = null): number[] => {
    const xs: number[] = [];
    for (let p = 0; p < types.length; p++) xs.push(remat && remat[2 * p] >= 0 ? -1 : slot(depth, p, types[p], param, needed ? needed(p) : true));
    for (let p = types.length - 1; p >= 0; p--) if (xs[p] >= 0) newRefs.push(out.push(Op.local_set, xs[p]));
    return xs;
  };
  const reload = (types: ArrayLike<ValType>, xs: number[], remat: Int32Array | null = null, landing = -1): void => {
    for (let p = 0; p < types.length; p++) {
      if (xs[p] < 0) {
        const q = remat![2 * p];
        if (rematAt[q] !== landing + 1) continue;
        if (ops[q] === Op.local_tee) out.push(Op.local_get, imm[q * 4]);
        else copyInstructions(src, q, remat![2 * p + 1] + 1, out);
        continue;
      }
      newRefs.push(out.push(Op.local_get, xs[p]));
      if (isRefType(types[p]) && !refNullable(types[p])) out.push(REF_AS_NON_NULL);
    }
  };

  /**
   * Jumps, when rewinding, to the target holding the saved site: each target is a range
   * of site indices and the emitted frame whose end it lands after (-1: fall through).
   */
  // Where the first dispatch's then arm starts, if nothing runs before it (only blocks and
  // loops are open): the prologue's restore goes there, saving its own state check.
  let restoreAt = -1;
  let dispatched = false;
  // Where the last dispatch if without a result put its else.
  let bareElse = -1;
  const firstDispatch = (): void => {
    if (dispatched) return;
    dispatched = true;
    for (let j = 0; j < out.length; j++) if (out.ops[j] !== Op.block && out.ops[j] !== Op.loop) return;
    restoreAt = out.length + 2;
  };
  const dispatch = (targets: Target[], asIf: boolean, carry = 0): void => {
    if (asIf || targets.length > 1) firstDispatch();
    if (asIf) {
      // The first target's block is this if: its then arm dispatches, its else arm (up to
      // the first element) is the normal run. Two bytes fewer than a block and an if.
      out.push(Op.global_get, env.stateGlobal);
      unlikely.push(out.length);
      out.push(Op.if, carry ? (I32 & 0xff) - 0x80 : EMPTY_BLOCK);
      eDepth++;
      if (targets.length > 1) branches(targets);
      // The first element's if condition, when rewinding: the state (nonzero) or zero.
      if (carry === 1) out.push(Op.global_get, env.stateGlobal);
      else if (carry === 2) out.push(Op.i32_const, 0);
      out.push(Op.else);
      if (!carry) bareElse = out.length - 1;
      return;
    }
    if (targets.length === 1) {
      if (targets[0].frame >= 0) {
        out.push(Op.global_get, env.stateGlobal);
        unlikely.push(out.length);
        out.push(Op.br_if, eDepth - 1 - targets[0].frame);
      }
      return;
    }
    out.push(Op.global_get, env.stateGlobal);
    unlikely.push(out.length);
    out.push(Op.if, EMPTY_BLOCK);
    eDepth++;
    branches(targets);
    out.push(Op.end);
    eDepth--;
  };
  /** Inside the dispatch's if: the jumps to the targets, on the site index. */
  const branches = (targets: Target[]): void => {
    const depth = (t: Target): number => (t.frame < 0 ? 0 : eDepth - 1 - t.frame);
    // Compares for the first `split` targets, then a jump table over the site indices from
    // there to the last target's first (the table's default): whichever split is smallest.
    const m = targets.length;
    // The table is indexed from its first site, less a small offset taken as unused entries.
    const offsetCost = (o: number): number => (o >= 0 && o <= 3 ? o : o >= -64 && o < 64 ? 3 : 4);
    const tableCost = (j: number): number =>
      (j === m - 1 ? 2 : 5 + targets[m - 1].first - targets[j].first + offsetCost(base + targets[j].first));
    // Depth 0 is where the dispatch's if ends. Two targets, the first of them there and
    // holding only site 0: a nonzero index goes to the second, and 0 falls out of the if.
    if (m === 2 && depth(targets[0]) === 0 && base + targets[0].last === 0) {
      newRefs.push(out.push(Op.local_get, idxLocal));
      out.push(Op.br_if, depth(targets[1]));
      return;
    }
    let split = m - 1;
    for (let j = 0; j < m - 1; j++) if (8 * j + tableCost(j) < 8 * split + tableCost(split)) split = j;
    for (let j = 0; j < split; j++) {
      newRefs.push(out.push(Op.local_get, idxLocal));
      out.push(Op.i32_const, base + targets[j].last);
      out.push(I32_LE_S);
      out.push(Op.br_if, depth(targets[j]));
    }
    if (split === m - 1) {
      if (depth(targets[m - 1]) !== 0) out.push(Op.br, depth(targets[m - 1]));
    } else {
      const a = targets[split].first;
      newRefs.push(out.push(Op.local_get, idxLocal));
      const table: number[] = [];
      if (base + a > 3 || base + a < 0) {
        out.push(Op.i32_const, base + a);
        out.push(I32_SUB);
      } else {
        for (let c = 0; c < base + a; c++) table.push(depth(targets[m - 1]));
      }
      for (let j = split; j < m - 1; j++) for (let c = targets[j].first; c <= targets[j].last; c++) table.push(depth(targets[j]));
      table.push(depth(targets[m - 1]));
      out.push(Op.br_table, out.pushExtra(table), table.length - 1);
    }
  };

  const levelStack: Level[] = [];
  // The peeled loops' rewound copies in `out`, as [from, to) pairs (see FlowResult.forward).
  const cuts: number[] = [];
  // The peeled loops' copies that never rewind, [start, end) in `out`, with the frame depth
  // at their loop and a site of theirs (see HAND-BACK).
  const proper: { start: number; end: number; depth: number; site: number; params: number }[] = [];
  // A peeled loop (see peelLoop) being emitted, and whether its copy that never rewinds is.
  let peeled: { loop: number; params: ValType[]; exit: boolean } | null = null;
  let clean = false;
  // While a peeled loop's rewound copy is emitted: the code no rewind reaches (see rewindDead).
  let dead: Uint8Array | null = null;
  const startLevel = (key: number, params: ValType[]): void => {
    const elements = levels.get(key) ?? null;
    const parent = levelStack[levelStack.length - 1];
    let inherited: Target[] | null = null;
    if (parent && parent.inherit && parent.elements![0].instr === key) {
      inherited = parent.inherit;
      parent.inherit = null;
    }
    const depth = levelStack.length;
    const level: Level = { elements, next: 0, depth, inherit: null };
    levelStack.push(level);
    if (!elements) return;
    if (clean) {
      // A peeled loop's copy that never rewinds: no blocks, no dispatch (see peelLoop). A
      // lone if that only has its condition on the stack then needs no spill either.
      const e = elements[0];
      e.inline = false;
      e.carried = elements.length === 1 && ops[e.instr] === Op.if && e.landing === e.instr && e.height === 1
        && stackLen[e.instr] === 1 && hotArm(e.instr) !== 0;
      return;
    }
    // Typed, as every other stack spill() sees (one array kind keeps V8's code for it monomorphic).
    const typedParams = params.length ? Int32Array.from(params) : null;
    const px = typedParams ? spill(typedParams, depth, true) : null;
    // An element the level starts with needs no block: the dispatch falls through to it.
    const start = key < 0 ? 0 : key + 1;
    const skip = !px && elements[0].landing === start && elements[0].height === 0 ? 1 : 0;
    elements[0].inline = skip === 1;
    const n = elements.length;
    const outer = eDepth;
    // Without an inline first element, the dispatch's if is the first element's block.
    const asIf = skip === 0;
    for (let j = skip; j < n - (asIf ? 1 : 0); j++) {
      out.push(Op.block, EMPTY_BLOCK);
      eDepth++;
    }
    const targets: Target[] = elements.map((e, j) => ({ first: e.first, last: e.last, frame: j < skip ? -1 : outer + n - 1 - j }));
    if (inherited) targets.push(...inherited);
    // A level that starts with a block (or loop, try) hands its dispatch down to it:
    // from inside, the same branches reach this level's elements, so a chain of nested
    // blocks (a switch) dispatches once.
    const e0 = ops[elements[0].instr];
    if (skip && (e0 === Op.block || e0 === Op.loop || e0 === Op.try || e0 === Op.try_table) && !blockParams(elements[0].instr)) {
      level.inherit = targets.slice(1);
      if (level.inherit.length === 0) level.inherit = null;
    } else {
      // A first element that is an if with only its condition on the level's stack, which
      // is known when rewinding: the dispatch if yields it, instead of a spill.
      const e = elements[0];
      const carry = asIf && targets.length === 1 && ops[e.instr] === Op.if && e.landing === e.instr && e.height === 1
        && stackLen[e.instr] === 1 ? hotArm(e.instr) : 0;
      e.carried = carry !== 0;
      dispatch(targets, asIf, carry);
    }
    if (px) reload(typedParams!, px);
  };

  function blockParams(i: number): number {
    const bt = blockTypeAt(src, i);
    return bt.kind === 'func' ? ctx.types.func(bt.typeIndex)!.params.length : 0;
  }

  // Prologue placeholder: emitted into `body` separately and joined at the end. The body's
  // own label is the function's (frame -1): its branches stay returns.
  const nPads = pads ? pads.zero.length : 0;
  for (let p = 0; p <= nPads; p++) out.push(Op.block, withIdx ? (I32 & 0xff) - 0x80 : EMPTY_BLOCK);
  eDepth = 1 + nPads;
  const escapeFrame = escapes && !legacyEscape ? eDepth++ : -1;
  if (escapeFrame >= 0) out.push(Op.block, (EXNREF & 0xff) - 0x80);
  frames.push(-1);
  startLevel(-1, []);

  const rewindReads = new Set<number>(suffixReads);
  /** Per boundary slot: (first site, last site, saved?) of each element it spills for. */
  const slotUses = new Map<number, number[]>();
  const pending = zeroedI32(2, n); // site index + 1 at a site whose landing was before it
  emitInstructions();
  // Close the pads and $unwind: the site index (if any) is on the stack.
  for (let p = 0; p < nPads; p++) {
    out.push(Op.end);
    for (const x of pads!.zero[p]) {
      pushZero(out, localTypes[x]);
      out.push(Op.local_set, x);
    }
    if (pads!.next[p] !== p + 1) out.push(Op.br, pads!.next[p] - p - 1);
  }
  out.push(Op.end);

  /** The body's instructions, rewritten. */
  function emitInstructions(): void {
    // Instructions copied as they are, in runs; the others are marked here.
    // (Structure and branches, SPECIAL, are told by their op in the loop below.)
    const special = zeroedU8(4, n);
    const anyNonNull = nonNull.includes(1);
    const copied = (i: number): boolean => {
      const s = SPECIAL[ops[i]];
      return special[i] === 0 && (s === 0 || (s === 2 && !(anyNonNull && nonNull[imm[i * 4]])));
    };
    for (const list of levels.values()) {
      for (let li = 0; li < list.length; li++) {
        const e = list[li];
        special[e.landing] = special[e.instr] = 1;
        if (e.remat) for (let p = 0; p < e.remat.length; p += 2) for (let q = e.remat[p]; q >= 0 && q <= e.remat[p + 1]; q++) special[q] = 1;
      }
    }
    // Where the run of copied instructions from i ends (a small loop of its own, which V8
    // compiles well; inline in this long function it cost twice as much, measured).
    // Of the instructions that point into `extra`, runs can only hold a typed select.
    const runExtras = src.extraLength > 0 && src.ops.subarray(0, n).includes(SELECT_T);
    const runEnd = (i: number): number => {
      while (special[i] === 0 && (SPECIAL[ops[i]] === 0 || copied(i))) i++;
      return i;
    };
    for (let i = 0; i <= last; i++) {
      if (special[i] === 0 && (SPECIAL[ops[i]] === 0 || copied(i))) {
        // The body's last instruction, its end, is never copied: a run ends before it.
        const end = runEnd(i + 1);
        if (dead && dead[i]) out.push(Op.unreachable);
        else copyInstructions(src, i, end, out, runExtras);
        i = end - 1;
        continue;
      }
      const op = ops[i];
      const k = i * 4;
      const level = levelStack[levelStack.length - 1];
      const elems = level.elements;
      if (elems && level.next < elems.length && elems[level.next].landing === i) {
        const e = elems[level.next++];
        const all = stackAt(e.instr);
        let types: ArrayLike<ValType> = all.subarray(0, e.height);
        if (e.carried) {
          if (!clean) {
            out.push(Op.end);
            eDepth--;
          }
        } else {
          // An if with sites in one arm only needs no saved condition: its spill is zero when
          // rewinding, whether the frame restored it (it held the value spilled on the way to
          // the site: a write in between would be for an element inside the if, whose sites
          // overlap, so colorSlots keeps their slots apart) or not (locals start at zero, and
          // no rewind path writes a boundary slot). So the else arm takes the condition as it
          // is, the then arm its eqz, folded into a comparison or eqz that computes it.
          const arm = op === Op.if && e.height === all.length ? hotArm(i) : 0;
          let condOp = -1;
          if (arm === 1) {
            const prev = copied(i - 1) ? out.ops[out.length - 1] : -1;
            condOp = I32_EQZ;
            if (prev === I32_EQZ || prev === I64_EQZ) {
              // Spill the eqz's operand instead.
              out.length--;
              condOp = prev;
              if (prev === I64_EQZ) {
                const t = all.slice(0, e.height);
                t[e.height - 1] = I64;
                types = t;
              }
            } else if (prev >= 0 && INVERSE[prev]) {
              out.ops[out.length - 1] = INVERSE[prev];
            } else {
              out.push(I32_EQZ);
            }
          }
          // The spills this element's sites read when rewinding. Those they do not read are in
          // slots of their own, never saved.
          const { count, keep } = isCall(ops[e.instr]) ? siteArgs(e.instr) : { count: 0, keep: 0 };
          const spilled = types;
          const neededAt = (p: number): boolean => {
            const isArg = p >= all.length - count && p < all.length - keep;
            return (!isArg || !defaultable(spilled[p])) && !(arm && p === spilled.length - 1);
          };
          const xs = spill(types, level.depth, false, neededAt, e.remat);
          if (!e.inline && !clean) {
            // An else arm left empty (its code rematerialized after this landing) goes.
            if (bareElse === out.length - 1) out.length--;
            out.push(Op.end);
            eDepth--;
          }
          reload(types, xs, e.remat, e.landing);
          if (condOp >= 0) out.push(condOp);
          for (let p = 0; p < xs.length; p++) {
            if (xs[p] < 0) continue;
            const needed = neededAt(p);
            if (needed) rewindReads.add(xs[p]);
            let list = slotUses.get(xs[p]);
            if (!list) slotUses.set(xs[p], (list = []));
            list.push(e.first, e.last, needed ? 1 : 0);
          }
        }
        if (isCall(op)) {
          emitSite(i, e.first);
          continue;
        }
        if (e.landing !== e.instr && isCall(ops[e.instr])) pending[e.instr] = e.first + 1;
      }
      if (rematAt[i] !== 0) {
        // Pushed again at a landing (see rematerialize), after this one's if it starts one.
        if (op === Op.local_tee) out.push(Op.local_set, imm[k]);
        continue;
      }
      if (pending[i] !== 0) {
        emitSite(i, pending[i] - 1);
        pending[i] = 0;
        continue;
      }
      if (op === Op.loop && !clean && !peeled && peelLoop(i)) {
        openPeel(i);
        continue;
      }
      switch (op) {
        case Op.block:
        case Op.loop:
        case Op.if:
        case Op.try:
        case Op.try_table: {
          if (orState[i] && !clean) {
            out.push(Op.global_get, env.stateGlobal);
            out.push(I32_OR);
          }
          copyRelabeled(src, i, out, tr);
          frames.push(eDepth++);
          const bt = blockTypeAt(src, i);
          startLevel(i, bt.kind === 'func' ? ctx.types.func(bt.typeIndex)!.params : []);
          continue;
        }
        case Op.else:
        case Op.catch:
        case Op.catch_all: {
          levelStack.pop();
          out.push(op, imm[k]);
          const opener = match[i];
          const bt = blockTypeAt(src, opener);
          const params = op === Op.else && bt.kind === 'func' ? ctx.types.func(bt.typeIndex)!.params
            : op === Op.catch ? ctx.types.func(ctx.tags[imm[k]])!.params : [];
          startLevel(i, params);
          continue;
        }
        case Op.end:
          levelStack.pop();
          if (i === last) {
            if (!DIVERGES[out.ops[out.length - 1]]) out.push(Op.return);
            if (escapeFrame >= 0) {
              out.push(Op.end);
              eDepth--;
              out.push(Op.throw_ref);
            }
            continue;
          }
          if (peeled && peeled.loop === match[i]) {
            if (!clean) {
              i = rewoundEnd();
              continue;
            }
            out.push(Op.end);
            proper[proper.length - 1].end = out.length;
            frames.pop();
            eDepth--;
            if (peeled.exit) {
              out.push(Op.end);
              eDepth--;
            }
            clean = false;
            peeled = null;
            continue;
          }
          out.push(Op.end);
          frames.pop();
          eDepth--;
          continue;
        case Op.delegate:
          levelStack.pop();
          frames.pop();
          eDepth--;
          out.push(Op.delegate, tr(imm[k]));
          continue;
        default:
          break;
      }
      switch (OP_IMM[op]) {
        case Imm.Label:
        case Imm.BrOnCast:
        case Imm.BrTable:
          copyRelabeled(src, i, out, tr);
          continue;
        case Imm.Local:
          out.push(op, imm[k]);
          if (op !== Op.local_set && nonNull[imm[k]]) out.push(REF_AS_NON_NULL);
          continue;
        default:
          copyInstructions(src, i, i + 1, out);
      }
    }
  }


  /**
   * Whether a hot loop is peeled: emitted once with its dispatch, entered only when
   * rewinding, whose continue branches fall into a second copy without dispatch or
   * landing blocks, so that the loop's iterations pay nothing for the rewind paths.
   */
  function peelLoop(i: number): boolean {
    const body = levels.get(i);
    if (!body) return false;
    return body[body.length - 1].last - body[0].first + 1 >= env.peelSites;
  }
  /**
   * Opens a peeled loop's rewound iteration:
   *     block $exit (P → R)   global.get $state  if (P → P)  [the body with dispatch]  br $exit  end
   *     loop (P → R)  [the body]  end  end
   * ($exit is left out when the body ends in a branch.)
   */
  function openPeel(i: number): void {
    const bt = blockTypeAt(src, i);
    const params = bt.kind === 'func' ? ctx.types.func(bt.typeIndex)!.params : [];
    const exit = !DIVERGES[ops[match[i] - 1]];
    if (exit) {
      copyRelabeled(src, i, out, tr);
      out.ops[out.length - 1] = Op.block;
      eDepth++;
    }
    cuts.push(out.length);
    out.push(Op.global_get, env.stateGlobal);
    unlikely.push(out.length);
    const [a, b] = blockImm(params, params);
    out.push(Op.if, a, b);
    frames.push(eDepth++);
    peeled = { loop: i, params, exit };
    dead = rewindDead(i);
    startLevel(i, params);
  }
  /**
   * The instructions of a peeled loop that its rewound copy never runs: that copy is entered
   * only when rewinding, where each level's dispatch jumps to an element, and left by its
   * continue branches. So its code runs from a landing or a site on, up to a branch; what
   * only the loop's start or a level's start leads to is dead there, and emitted as
   * `unreachable` (an interpreter's cases that have no site). Inner loops and exception
   * handlers are taken as live throughout.
   */
  function rewindDead(loop: number): Uint8Array | null {
    const end = match[loop];
    const isDead = zeroedU8(6, n);
    const landing = zeroedU8(7, n); // 1: a site's landing; 2: a construct's; 3: where a construct's landing code ends
    const endReached = zeroedU8(8, n); // per block or if: a live branch goes to its end; per loop: to its start
    const entered = zeroedU8(9, n); // per if: 1 if live at its start; 2 once its else is seen
    const restarted = zeroedU8(10, n); // per inner loop: walked again from a live start
    for (const list of levels.values()) {
      for (let li = 0; li < list.length; li++) {
        const e = list[li];
        if (e.instr <= loop || e.instr >= end) continue;
        if (isCall(ops[e.instr])) landing[e.landing] = 1;
        else if (e.landing !== e.instr) {
          landing[e.landing] = 2;
          landing[e.instr] = 3;
        }
      }
    }
    const open: number[] = [];
    let live = false;
    let beforeLanding = false;
    let handlers = 0; // open try and try_table: taken as live throughout
    const reach = (d: number, always = false): void => {
      if ((live || always) && d < open.length) endReached[open[open.length - 1 - d]] = 1;
    };
    for (let i = loop + 1; i < end; i++) {
      const op = ops[i];
      const k = i * 4;
      if (landing[i] === 1) live = true;
      else if (landing[i] === 2) {
        beforeLanding = live;
        live = true;
      } else if (landing[i] === 3) live = beforeLanding;
      if (handlers > 0) live = true;
      isDead[i] = live ? 0 : 1;
      if (OPENER[op] === 1) {
        if (op === Op.try_table) {
          const start = imm[k + 2];
          for (let j = 0; j < imm[k + 3]; j++) reach(src.extra[start + j * 3 + 2], true);
        }
        open.push(i);
        if (op === Op.try || op === Op.try_table) handlers++;
        if (op === Op.if) entered[i] = live ? 1 : 0;
        if (op === Op.loop && restarted[i]) live = true;
        continue;
      }
      switch (op) {
        case Op.else: {
          const o = open[open.length - 1];
          if (live) endReached[o] = 1;
          live = entered[o] === 1;
          entered[o] = 2;
          continue;
        }
        case Op.end:
        case Op.delegate: {
          const o = open[open.length - 1];
          const oo = ops[o];
          if (oo === Op.loop && endReached[o] && !restarted[o]) {
            // A live branch back to its start: walk the loop again, live from there.
            restarted[o] = 1;
            live = true;
            i = o;
            continue;
          }
          open.pop();
          if (oo === Op.try || oo === Op.try_table) handlers--;
          live = live || (oo !== Op.loop && endReached[o] === 1) || (oo === Op.if && entered[o] === 1);
          continue;
        }
        case Op.catch:
        case Op.catch_all:
          live = true;
          continue;
        default:
      }
      switch (OP_IMM[op]) {
        case Imm.Label:
          reach(imm[k]);
          if (op === Op.br) live = false;
          continue;
        case Imm.BrOnCast:
          reach(imm[k + 1]);
          continue;
        case Imm.BrTable:
          for (let j = 0; j <= imm[k + 1]; j++) reach(src.extra[imm[k] + j]);
          live = false;
          continue;
        default:
          if (DIVERGES[op]) live = false;
      }
    }
    let any = false;
    for (let i = loop + 1; i < end && !any; i++) any = isDead[i] === 1;
    return any ? isDead : null;
  }
  /** Closes a peeled loop's rewound iteration and opens its loop; returns where it starts. */
  function rewoundEnd(): number {
    const p = peeled!;
    if (p.exit && !DIVERGES[out.ops[out.length - 1]]) out.push(Op.br, 1);
    out.push(Op.end);
    cuts.push(out.length);
    eDepth--;
    frames.pop();
    clean = true;
    dead = null;
    proper.push({ start: out.length, end: -1, depth: eDepth, site: base + levels.get(p.loop)![0].first, params: p.params.length });
    copyRelabeled(src, p.loop, out, tr);
    frames.push(eDepth++);
    startLevel(p.loop, p.params);
    return p.loop;
  }

  function emitSite(i: number, k: number): void {
    const op = ops[i];
    const tail = op === Op.return_call || op === Op.return_call_indirect || op === Op.return_call_ref;
    const callOp = op === Op.return_call ? Op.call : op === Op.return_call_indirect ? Op.call_indirect : op === Op.return_call_ref ? Op.call_ref : op;
    const escape = tail && escapes !== null && escapes[i] === 1;
    if (escape) {
      const operands = stackAt(i).subarray(stackLen[i] - siteArgs(i).count);
      const fnType = ctx.types.func(op === Op.return_call ? ctx.funcs[imm[i * 4]] : imm[i * 4])!;
      const [a, b] = blockImm([...operands], fnType.results);
      if (legacyEscape) out.push(Op.try, a, b);
      else out.push(Op.try_table, a, b, out.pushExtra([CATCH_ALL_REF, 0, eDepth - 1 - escapeFrame]), 1);
    }
    const wrapper = callOp === Op.call_indirect ? env.retarget(imm[i * 4], imm[i * 4 + 1]) : null;
    if (wrapper) {
      // RETARGET: when rewinding, the wrapper instead; its type, (params, index) → results, is the if's.
      out.push(Op.global_get, env.stateGlobal);
      unlikely.push(out.length);
      out.push(Op.if, wrapper.type, 0);
      out.push(Op.call, wrapper.func, 0);
      out.push(Op.else);
      out.push(callOp, imm[i * 4], imm[i * 4 + 1]);
      out.push(Op.end);
    } else out.push(callOp, imm[i * 4], imm[i * 4 + 1]);
    if (escape) out.push(legacyEscape ? Op.delegate : Op.end, legacyEscape ? eDepth : 0);
    if (withIdx) out.push(Op.i32_const, base + k);
    out.push(Op.global_get, env.stateGlobal);
    const pad = pads ? pads.padOf[k] : -1;
    out.push(Op.br_if, eDepth - 1 - (pad < 0 ? UNWIND : nPads - pad));
    if (withIdx) out.push(Op.drop);
    if (tail) out.push(Op.return);
  }

  /** For a hot if: 1 if only its then arm holds sites, 2 if only its else arm does, else 0. */
  function hotArm(i: number): number {
    if (!elseOf) {
      elseOf = new Map();
      for (let j = 0; j < n; j++) if (ops[j] === Op.else) elseOf.set(match[j], j);
    }
    const thenHot = levels.has(i);
    const j = elseOf.get(i);
    const elseHot = j !== undefined && levels.has(j);
    return thenHot === elseHot ? 0 : thenHot ? 1 : 2;
  }
  function siteArgs(i: number): { count: number; keep: number } {
    const op = ops[i];
    const k = i * 4;
    if (op === Op.call || op === Op.return_call) return { count: ctx.types.func(ctx.funcs[imm[k]])!.params.length, keep: 0 };
    // The table index or function reference picks the callee again when rewinding.
    return { count: ctx.types.func(imm[k])!.params.length + 1, keep: 1 };
  }

  function defaultable(t: ValType): boolean {
    return !isRefType(t) || refNullable(t);
  }

  // Boundary slots share locals where no site needs both (coloring over site ranges).
  {
    const map = colorSlots(slotUses, sites.length, nOrig, newLocals);
    if (map) {
      for (let k = 0; k < newRefs.length; k++) out.imm[newRefs[k] * 4] = map[out.imm[newRefs[k] * 4] - nOrig];
      const reads = [...rewindReads];
      rewindReads.clear();
      for (const x of reads) rewindReads.add(x >= nOrig ? map[x - nOrig] : x);
      const types = [...slotType];
      slotType.clear();
      for (const [x, t] of types) slotType.set(map[x - nOrig], t);
    }
  }

  // 5. The frame is a list of values grouped by type: the i32s (the site index if any, the
  // base of the reference slots if references are saved, then the saved i32 locals), then
  // the other numeric locals. The module's pass saves each group in chunks, by helpers of a
  // few sizes chosen for the whole module once every function is rewritten (FrameHoles).
  for (const x of rewindReads) saved.add(x);
  const typeOf = (x: number): ValType => (x < nOrig ? localTypes[x] : slotType.get(x)!);
  const order = [...saved].sort((a, b) => a - b);
  const numeric = order.filter((x) => !isRefType(typeOf(x))).sort((a, b) => GROUP_OF[typeOf(a) & 0xff] - GROUP_OF[typeOf(b) & 0xff] || a - b);
  const refs = order.filter((x) => isRefType(typeOf(x)));
  const groups = new Array<number>(FRAME_GROUPS.length).fill(0);
  groups[0] = (withIdx ? 1 : 0) + (refs.length ? 1 : 0);
  for (const x of numeric) groups[GROUP_OF[typeOf(x) & 0xff]]++;
  let size = 0;
  for (let g = 0; g < groups.length; g++) size += groups[g] * sizeOf(FRAME_GROUPS[g]);
  const refTables = refs.map((x) => env.refTable(ctx.types.top(refHeap(typeOf(x)))));
  const rg = refs.length ? env.refGlobals() : null;
  const baseLocal = refs.length ? addLocal(I32) : -1;
  const mem = env.memory;
  const memop = (b: Body, o: number, offset: number, align = 2): void => {
    b.push(o, align | (mem !== 0 ? 0x40 : 0), mem, offset, 0);
  };
  const ptrConst = (b: Body, v: number): void => pushPtrConst(b, env.mem64, v);
  const slotAddr = (b: Body, j: number): void => {
    b.push(Op.local_get, baseLocal);
    if (j) {
      b.push(Op.i32_const, j);
      b.push(I32_ADD);
    }
  };

  // Save: the site index (if any) is on the stack; then the other values, and at `saveAt`
  // the savers' calls (they push the frame, trapping before writing past `end`, and store
  // it). An empty frame is not pushed.
  if (rg) {
    // References go to slots [base, base + n) of per-hierarchy tables, grown on demand.
    out.push(Op.global_get, rg.top);
    out.push(Op.local_tee, baseLocal);
  }
  for (const x of numeric) out.push(Op.local_get, x);
  const saveAt = out.length;
  if (rg) {
    out.push(Op.local_get, baseLocal);
    out.push(Op.i32_const, refs.length);
    out.push(I32_ADD);
    out.push(Op.global_set, rg.top);
    out.push(Op.global_get, rg.live);
    out.push(Op.i32_const, refs.length);
    out.push(I32_ADD);
    out.push(Op.global_set, rg.live);
    for (const t of new Set(refTables)) {
      out.push(TABLE_SIZE, t.table);
      out.push(Op.global_get, rg.top);
      out.push(I32_LT_U);
      out.push(Op.if, EMPTY_BLOCK);
      out.push(Op.ref_null, t.heap);
      out.push(Op.global_get, rg.top);
      out.push(TABLE_SIZE, t.table);
      out.push(I32_SUB);
      out.push(TABLE_GROW, t.table);
      out.push(Op.drop);
      out.push(Op.end);
    }
    for (let j = 0; j < refs.length; j++) {
      slotAddr(out, j);
      out.push(Op.local_get, refs[j]);
      out.push(TABLE_SET, refTables[j].table);
    }
  }
  for (const t of fn.results) pushAny(env, out, t, () => `func ${funcIndex}: no value of its result type ${valTypeName(t)} to return while unwinding`);
  out.push(Op.end); // the function

  // Prologue: restore when rewinding.
  const pro = env.scratch[1];
  pro.reset();
  const proHints: number[] = [];
  // A function is entered normally or rewinding (never while unwinding): any nonzero
  // state means rewinding.
  const closure = env.analysis.tailClosure(funcIndex);
  let frameRestore = -1;
  const merged = restoreAt >= 0;
  if (merged) copyInstructions(out, 0, restoreAt, pro);
  const restoreStart = pro.length;
  /** Whether the site index in $idx is among func's own (base `from`, `count` of them). */
  const inRange = (from: number, count: number, b: Body = pro): void => pushSiteInRange(b, idxLocal, from, count);
  if (size || closure.length) frameRestore = emitRestore(pro, !merged, proHints);
  /**
   * The prologue's restore into b, inside a state check if `wrapped` (else merged into the
   * first dispatch, or where the state is known); returns where the restorers' calls go.
   */
  function emitRestore(b: Body, wrapped: boolean, hints: number[] | null): number {
    if (wrapped) {
      b.push(Op.global_get, env.stateGlobal);
      hints?.push(b.length);
      b.push(Op.if, EMPTY_BLOCK);
    }
    if (closure.length) {
      // This function may have tail-called into one of these when it unwound: then the top
      // frame is that function's, and rewinding calls it again at once, in tail position.
      pushTopSite(b, env);
      b.push(Op.local_set, idxLocal);
      inRange(base, env.siteReserve(funcIndex), b);
      b.push(I32_EQZ);
      b.push(Op.if, EMPTY_BLOCK);
      for (const x of closure) {
        inRange(env.siteBase(x), env.siteReserve(x), b);
        b.push(Op.if, EMPTY_BLOCK);
        for (const t of ctx.types.func(ctx.funcs[x])!.params) {
          pushAny(env, b, t, () => `func ${funcIndex}: no value of type ${valTypeName(t)} for func ${x}'s parameter, to tail-call it again when rewinding`);
        }
        b.push(Op.return_call, x);
        b.push(Op.end);
      }
      b.push(Op.unreachable);
      b.push(Op.end);
    }
    // The loads too: at `restoreAt`, the restorers' calls return the frame's values.
    const hole = b.length;
    for (let j = numeric.length - 1; j >= 0; j--) b.push(Op.local_set, numeric[j]);
    if (rg) b.push(Op.local_set, baseLocal);
    if (withIdx) b.push(Op.local_set, idxLocal);
    if (rg) {
      for (let j = 0; j < refs.length; j++) {
        const x = refs[j];
        const t = typeOf(x);
        const { table, heap } = refTables[j];
        slotAddr(b, j);
        b.push(TABLE_GET, table);
        // Back to the local's own type: params keep theirs; other locals are nullable here.
        const nonNullable = x < nParams && !refNullable(t);
        const h = refHeap(t);
        if (h !== heap) b.push(nonNullable ? REF_CAST : REF_CAST_NULL, h);
        else if (nonNullable) b.push(REF_AS_NON_NULL);
        b.push(Op.local_set, x);
        // Release the slot.
        slotAddr(b, j);
        b.push(Op.ref_null, heap);
        b.push(TABLE_SET, table);
      }
      // Slots are freed in stack order; when none is in use the stack restarts at 0.
      b.push(Op.global_get, rg.live);
      b.push(Op.i32_const, refs.length);
      b.push(I32_SUB);
      b.push(Op.global_set, rg.live);
      b.push(Op.global_get, rg.live);
      b.push(I32_EQZ);
      b.push(Op.if, EMPTY_BLOCK);
      b.push(Op.i32_const, 0);
      b.push(Op.global_set, rg.top);
      b.push(Op.else);
      slotAddr(b, refs.length);
      b.push(Op.global_get, rg.top);
      b.push(I32_EQ);
      b.push(Op.if, EMPTY_BLOCK);
      b.push(Op.local_get, baseLocal);
      b.push(Op.global_set, rg.top);
      b.push(Op.end);
      b.push(Op.end);
    }
    if (env.checkRewind && withIdx && !closure.length) {
      // The frame on top is another function's (a table slot rewritten while unwound, say):
      // trap rather than restore it.
      inRange(base, env.siteReserve(funcIndex), b);
      b.push(I32_EQZ);
      b.push(Op.if, EMPTY_BLOCK);
      b.push(Op.unreachable);
      b.push(Op.end);
    }
    if (wrapped) b.push(Op.end);
    return hole;
  }
  let shift = pro.length - restoreStart;
  if (merged) {
    // The restore's last `local.set $idx` and the dispatch's first `local.get $idx`: a tee.
    let from = restoreAt;
    const lastSet = pro.length - 1;
    if (withIdx && shift > 0 && pro.ops[lastSet] === Op.local_set && pro.imm[lastSet * 4] === idxLocal
      && out.ops[from] === Op.local_get && out.imm[from * 4] === idxLocal) {
      from++;
      shift--;
      // Nothing else reads it (peeled loops' copies may): the index stays on the stack.
      if (!cuts.length && readsOf(out, idxLocal) === 1) {
        pro.length--;
        shift--;
      } else pro.ops[lastSet] = Op.local_tee;
    }
    copyInstructions(out, from, out.length, pro);
    const before = unlikely.filter((i) => i < restoreAt);
    proHints.unshift(...before);
    for (const i of unlikely) if (i >= restoreAt) proHints.push(i + shift);
  } else {
    copyInstructions(out, 0, out.length, pro);
    for (const i of unlikely) proHints.push(i + shift);
  }

  // Locals: the originals (non-defaultable ones made nullable), then the new ones.
  const decl: ValType[] = [];
  for (let x = nParams; x < nOrig; x++) decl.push(nonNull[x] ? nullableOf(localTypes[x]) : localTypes[x]);
  decl.push(...newLocals);
  pro.locals = runs(decl);
  const frame = size ? { groups, restoreAt: frameRestore, saveAt: saveAt + shift } : null;
  const handsBack = cuts.length > 0 && env.split && frame !== null && proper.every((p) => p.params === 0 && p.end > p.start)
    && frameRestore < proper[0].start + shift;
  const forward = cuts.length && env.split ? splitOff() : null;
  if (handsBack) {
    const twin = handBackTwin(frame);
    return { body: twin.body, sites: sites.length, savedLocals: order.length, frameBytes: size, unlikely: twin.unlikely, frame: twin.frame, forward };
  }
  return { body: pro, sites: sites.length, savedLocals: order.length, frameBytes: size, unlikely: proHints, frame, forward };

  /** The twin of HAND-BACK: `pro` with each peeled loop's copy that never rewinds replaced by the hand-back. */
  function handBackTwin(f: FrameHoles): { body: Body; unlikely: number[]; frame: FrameHoles } {
    const tw = env.scratch[3];
    tw.reset();
    const hints: number[] = [];
    const gaps = proper.flatMap((p) => [p.start + shift, p.end + shift]);
    const saveAt = copyOmitting(pro, proHints, gaps, tw, hints, f.saveAt, (g) => {
      const p = proper[g];
      tw.push(Op.i32_const, HANDING_BACK);
      tw.push(Op.global_set, env.stateGlobal);
      tw.push(Op.i32_const, p.site);
      tw.push(Op.br, p.depth - 1 - UNWIND);
    });
    tw.locals = pro.locals;
    return { body: tw, unlikely: hints, frame: { groups: f.groups, restoreAt: f.restoreAt, saveAt } };
  }

  /** The forwarding body (see FlowResult.forward): `out` without the cuts, after its own prologue. */
  function splitOff(): NonNullable<FlowResult['forward']> {
    const fw = env.scratch[2];
    fw.reset();
    const hints: number[] = [];
    fw.push(Op.global_get, env.stateGlobal);
    hints.push(fw.length);
    fw.push(Op.if, EMPTY_BLOCK);
    for (let p = 0; p < nParams; p++) fw.push(Op.local_get, p);
    const twinAt = fw.length;
    let restoreAt = -1;
    if (handsBack) {
      // Unless the twin handed a loop back, return what it returned; else restore the frame
      // it saved and rewind to the loop (see HAND-BACK).
      fw.push(Op.global_get, env.stateGlobal);
      fw.push(Op.i32_const, HANDING_BACK);
      fw.push(I32_NE);
      fw.push(Op.br_if, 1);
      for (let r = 0; r < fn.results.length; r++) fw.push(Op.drop);
      fw.push(Op.i32_const, REWINDING);
      fw.push(Op.global_set, env.stateGlobal);
      restoreAt = emitRestore(fw, false, null);
    } else fw.push(Op.return);
    fw.push(Op.end);
    const movedSaveAt = copyOmitting(out, unlikely, cuts, fw, hints, saveAt, () => {
      if (!handsBack) return;
      // The loop is entered rewinding only when handed back: the rewind ends here.
      fw.push(Op.i32_const, 0);
      fw.push(Op.global_set, env.stateGlobal);
    });
    fw.locals = pro.locals;
    return { body: fw, unlikely: hints, frame: { groups, restoreAt, saveAt: movedSaveAt }, twinAt };
  }
}

/**
 * Appends `src` to `dst` without its gaps (`gaps`: ascending [start, end) pairs of
 * instruction indices), calling `fill(g)` where gap g was; the hints of the copied runs go
 * to `hints`, moved along. Returns where instruction `at` (outside the gaps) lands.
 */
function copyOmitting(src: Body, srcHints: number[], gaps: number[], dst: Body, hints: number[], at: number, fill: (g: number) => void): number {
  let moved = -1;
  let u = 0;
  let from = 0;
  for (let g = 0; ; g++) {
    const to = 2 * g < gaps.length ? gaps[2 * g] : src.length;
    const by = dst.length - from;
    copyInstructions(src, from, to, dst);
    for (; u < srcHints.length && srcHints[u] < to; u++) if (srcHints[u] >= from) hints.push(srcHints[u] + by);
    if (at >= from && at <= to) moved = at + by;
    if (2 * g >= gaps.length) return moved;
    fill(g);
    from = gaps[2 * g + 1];
  }
}

/** The frame's value groups, in order: the i32s first, so the site index is the first value. */
export const FRAME_GROUPS: readonly ValType[] = [I32, I64, F32, F64, V128];
/** Each numeric type's group (by the type code's low byte). */
const GROUP_OF = new Uint8Array(256);
FRAME_GROUPS.forEach((t, g) => (GROUP_OF[t & 0xff] = g));

/**
 * Where a frame of these values puts them: the second and later from offset 0 at their
 * natural sizes, the first last (so a site index, when first, is at the frame's end).
 */
export function frameLayout(types: ValType[]): { offsets: number[]; size: number } {
  const offsets: number[] = new Array(types.length);
  let size = 0;
  for (let j = 1; j < types.length; j++) {
    offsets[j] = size;
    size += sizeOf(types[j]);
  }
  if (types.length) {
    offsets[0] = size;
    size += sizeOf(types[0]);
  }
  return { offsets, size };
}

export { storeOp, loadOp };

/** One validator per module context, reused from body to body. */
const validators = new WeakMap<ModuleContext, BodyValidator>();
function validator(ctx: ModuleContext): BodyValidator {
  let v = validators.get(ctx);
  if (!v) validators.set(ctx, (v = new BodyValidator(ctx)));
  return v;
}

/**
 * `--asserts`: after every call that the analysis says cannot unwind, trap if the state
 * is not normal (an import missing from --imports, say, started an unwind anyway).
 * Returns `into` with the checks, or `b` itself when it has no such call.
 */
export function assertCalls(env: FlowEnv, funcIndex: number, b: Body, into: Body, instrumented: boolean): Body {
  let any = false;
  for (let i = 0; i < b.length && !any; i++) any = isPlainCall(b.ops[i]) && !(instrumented && siteCall(env.analysis, funcIndex, b, i));
  if (!any) return b;
  into.reset();
  into.locals = b.locals.slice();
  let from = 0;
  for (let i = 0; i < b.length; i++) {
    if (!isPlainCall(b.ops[i]) || (instrumented && siteCall(env.analysis, funcIndex, b, i))) continue;
    copyInstructions(b, from, i + 1, into);
    from = i + 1;
    into.push(Op.global_get, env.stateGlobal);
    into.push(Op.if, EMPTY_BLOCK);
    into.push(Op.unreachable);
    into.push(Op.end);
  }
  copyInstructions(b, from, b.length, into);
  return into;
}

const isPlainCall = (op: number): boolean => op === Op.call || op === Op.call_indirect || op === Op.call_ref;

/** Is the call at i one that may unwind? */
export function siteCall(analysis: Analysis, funcIndex: number, b: Body, i: number): boolean {
  const op = b.ops[i];
  const k = i * 4;
  const unwinding = op === Op.call || op === Op.return_call ? analysis.unwinds[b.imm[k]] === 1
    : analysis.listed[funcIndex] === 1 || analysis.hotClass(classKey(op, b.imm[k], b.imm[k + 1]));
  // A tail call into instrumented functions only stays one: the prologue handles its rewind.
  const tail = op === Op.return_call || op === Op.return_call_indirect || op === Op.return_call_ref;
  return unwinding && !(tail && analysis.realTail(op, b.imm[k], b.imm[k + 1]));
}

/** Moves legacy catch bodies that contain sites out of their catch clauses (catches.ts). */
function hoistHotCatches(env: FlowEnv, funcIndex: number, fn: FuncType, b: Body): Hoisted | null {
  const ops = b.ops.subarray(0, b.length);
  if (!ops.includes(Op.catch) && !ops.includes(Op.catch_all)) return null;
  const mayUnwind = (i: number): boolean => isCall(b.ops[i]) && siteCall(env.analysis, funcIndex, b, i);
  return hoistCatches(b, env.ctx, fn.params.length, mayUnwind, env.stateGlobal, env.funcTypeIndex);
}

export function isCall(op: number): boolean {
  return CALL[op] === 1;
}

function storeOp(t: ValType): number {
  return t === I32 ? I32_STORE : t === I64 ? I64_STORE : t === F32 ? F32_STORE : t === F64 ? F64_STORE : V128_STORE;
}
function loadOp(t: ValType): number {
  return t === I32 ? I32_LOAD : t === I64 ? I64_LOAD : t === F32 ? F32_LOAD : t === F64 ? F64_LOAD : V128_LOAD;
}

/** Pushes a constant of the buffer's pointer type. */
/** Pushes the site index of the frame on top of the buffer: the frame's last word (see the frame layout above). */
export function pushTopSite(b: Body, env: Pick<FlowEnv, 'dataGlobal' | 'memory' | 'mem64'>): void {
  const multi = env.memory !== 0 ? 0x40 : 0;
  b.push(Op.global_get, env.dataGlobal);
  b.push(env.mem64 ? I64_LOAD : I32_LOAD, (env.mem64 ? 3 : 2) | multi, env.memory, 0, 0);
  pushPtrConst(b, env.mem64, 4);
  b.push(env.mem64 ? I64_SUB : I32_SUB);
  b.push(I32_LOAD, 2 | multi, env.memory, 0, 0);
}

/** Pushes whether local x holds a site index from `from` on, `count` of them. */
export function pushSiteInRange(b: Body, x: number, from: number, count: number): void {
  b.push(Op.local_get, x);
  if (from) {
    b.push(Op.i32_const, from);
    b.push(I32_SUB);
  }
  b.push(Op.i32_const, count);
  b.push(I32_LT_U);
}

export function pushPtrConst(b: Body, mem64: boolean, v: number): void {
  if (mem64) b.push(Op.i64_const, v, 0);
  else b.push(Op.i32_const, v);
}

/** Pushes some value of a type: its zero, or for a non-nullable reference, a global's (dummies.ts). */
function pushAny(env: FlowEnv, b: Body, t: ValType, none: () => string): void {
  if (!isRefType(t) || refNullable(t)) return pushZero(b, t);
  const g = env.dummy(t);
  if (g < 0) throw new AsyncifyError(none());
  b.push(Op.global_get, g);
}

/** Pushes the zero (or null) of a type. */
export function pushZero(b: Body, t: ValType): void {
  const op = zeroOp(t);
  if (op === Op.ref_null) b.push(op, refHeap(t));
  else b.push(op, 0, 0, 0, 0);
}

/** How many times a body reads local x. */
function readsOf(b: Body, x: number): number {
  let count = 0;
  for (let i = 0; i < b.length; i++) if ((b.ops[i] === Op.local_get || b.ops[i] === Op.local_tee) && b.imm[i * 4] === x) count++;
  return count;
}

/**
 * Colors the boundary spill slots: two share a local unless their elements' site ranges
 * overlap (then some site needs one saved while the other is written on the way to it,
 * or both hold values spilled together). Slots of disjoint subtrees share. Rewrites `newLocals` (the locals from `nOrig`
 * on) and returns old → new index for them, or null if nothing merges.
 */
function colorSlots(uses: Map<number, number[]>, nSites: number, nOrig: number, newLocals: ValType[]): Int32Array | null {
  if (uses.size < 2) return null;
  // Colors (new locals) in use at each site.
  const anyAt: number[][] = Array.from({ length: nSites }, () => []);
  const colorType: ValType[] = [];
  const colorRead: number[] = [];
  const colorOf = new Map<number, number>();
  const forbidden = new Set<number>();
  for (const [x, list] of uses) {
    forbidden.clear();
    for (let u = 0; u < list.length; u += 3) {
      // Overlapping uses always conflict: values spilled at one boundary are live together.
      for (let k = list[u]; k <= list[u + 1]; k++) for (const c of anyAt[k]) forbidden.add(c);
    }
    const t = newLocals[x - nOrig];
    // A slot no rewind reads shares only with such slots, so that it is never saved.
    let read = 0;
    for (let u = 2; u < list.length; u += 3) read |= list[u];
    let c = 0;
    while (c < colorType.length && (colorType[c] !== t || colorRead[c] !== read || forbidden.has(c))) c++;
    if (c === colorType.length) colorType.push(t), colorRead.push(read);
    colorOf.set(x, c);
    for (let u = 0; u < list.length; u += 3) {
      for (let k = list[u]; k <= list[u + 1]; k++) anyAt[k].push(c);
    }
  }
  if (colorType.length === uses.size) return null;
  // Keep the other new locals in order; the colors come after them.
  const map = new Int32Array(newLocals.length);
  const kept: ValType[] = [];
  for (let j = 0; j < newLocals.length; j++) {
    if (colorOf.has(nOrig + j)) continue;
    map[j] = nOrig + kept.length;
    kept.push(newLocals[j]);
  }
  for (const [x, c] of colorOf) map[x - nOrig] = nOrig + kept.length + c;
  newLocals.length = 0;
  newLocals.push(...kept, ...colorType);
  return map;
}

/** [count, type] runs of a local list. */
function runs(types: ValType[]): number[] {
  const out: number[] = [];
  for (const t of types) {
    if (out.length && out[out.length - 1] === t) out[out.length - 2]++;
    else out.push(1, t);
  }
  return out;
}

