/**
 * Asyncify: lets synchronous wasm suspend at an import the host implements
 * asynchronously, unwinding its call stack into linear memory, and later rewinding it
 * and continuing as if the import had returned.
 *
 * ## The ABI (Binaryen's, exactly, so existing runtimes drive our output unchanged)
 *
 * Exports added:
 *   asyncify_start_unwind(ptr)  state = 1, data = ptr   (then the import returns)
 *   asyncify_stop_unwind()      state = 0
 *   asyncify_start_rewind(ptr)  state = 2, data = ptr   (then the host calls the same export again)
 *   asyncify_stop_rewind()      state = 0               (the import, re-entered, returns its result)
 *   asyncify_get_state()        0 normal, 1 unwinding, 2 rewinding
 * each checking the buffer header at `data`, `{current, end}` (i32 at 0/4, or i64 at 0/8
 * with memory64), and trapping if current > end. Frames grow up from `current`. While
 * unwinding, functions return zeros; a frame holds the saved locals and, last, the i32
 * site index (frame bytes are private to one binary, as in Binaryen). The state lives in globals `__asyncify_state` / `__asyncify_data`
 * (`--export-globals` exports them).
 *
 * ## How it works
 *
 * 1. The analysis (analysis.ts) finds the functions that may unwind: the listed imports
 *    and, transitively, their callers, through direct calls and through indirect calls
 *    narrowed by type and by what tables and references can actually hold.
 * 2. Each of them is rewritten (flow.ts) on the structured IR: no flattening, the
 *    operand stack is spilled only where a site needs it, and a rewind jumps straight
 *    to the saved site with one `br_table` per level. Only what is live is saved.
 *    A function with a hot loop (an interpreter's) is split: its index keeps a body
 *    without the rewind paths, which calls a twin, appended, to rewind (flow.ts, SPLIT);
 *    the twin hands the loop back once its rewound iteration is over (HAND-BACK).
 *    A call_indirect through a table that bodies rewrite calls a wrapper when rewinding,
 *    which rewinds the function whose frame is on top (retarget.ts).
 * 3. Every other function body is left untouched, so it is written back byte-for-byte
 *    (but for a ref.func of an import that retarget.ts gives a thunk).
 *
 * Unlike Binaryen, overflow is caught before a frame is written (not at the next control
 * call), `try_table`, `return_call*` and `call_indirect`/`call_ref` narrowing are handled,
 * and multi-value, v128 and memory64 work.
 */
import { BodyCore } from '../../binary/body-core.js';
import { decodeFunc } from '../../binary/decode.js';
import { rewriteConstExprs } from '../../binary/encode.js';
import { BRANCH_HINTS, encodeBranchHintSection, encodeFuncHints, splitBranchHintSection } from '../../binary/branch-hints.js';
import { encodeBody, encodeBodyAt } from '../../binary/encode-body.js';
import { lebLength, Sink } from '../../binary/sink.js';
import { Body } from '../../ir/body.js';
import { ExternKind, importCount, type Module } from '../../ir/module.js';
import { Imm, OP_BY_NAME, OP_IMM, Op } from '../../ir/opcodes.js';
import { I32, I64, valTypeName, type HeapType, type ValType } from '../../ir/types.js';
import type { Features, ValidationError } from '../../validate/context.js';
import { FastCore } from '../../validate/core.js';
import { BodyValidator } from '../../validate/func.js';
import { checkModule, validateFunc } from '../../validate/module.js';
import { analyze, AsyncifyError, RUNTIME_CALLS, type AnalysisOptions } from './analysis.js';
import { dummyInit } from './dummies.js';
import { addRetargets, thunkedImports } from './retarget.js';
import { assertCalls, asyncifyBody, FRAME_GROUPS, frameLayout, isCall, loadOp, pushPtrConst, siteCall, storeOp, type FlowEnv, type FrameHoles } from './flow.js';

export { AsyncifyError } from './analysis.js';

export interface AsyncifyOptions {
  /** Opt-in proposals whose rules the input follows (custom descriptors). */
  features?: Features;
  /** Imports that may unwind (`module.base`, `*` wildcards); default: every import. */
  imports?: string[];
  ignoreImports?: boolean;
  ignoreIndirect?: boolean;
  addList?: string[];
  removeList?: string[];
  onlyList?: string[];
  propagateAddList?: boolean;
  /** Name of the exported memory to keep the buffer in, when there are several. */
  memory?: string;
  /** Export `__asyncify_state` and `__asyncify_data`. */
  exportGlobals?: boolean;
  /**
   * Import them instead, as `env.__asyncify_state` / `env.__asyncify_data` (Binaryen's
   * `asyncify-import-globals`, alias `asyncify-relocatable`). Every defined global moves
   * up by two, so every body that uses globals is rewritten.
   */
  importGlobals?: boolean;
  /**
   * Keep the buffer in a memory of its own, of this many 64 KiB pages (Binaryen's
   * `asyncify-in-secondary-memory`); weft also exports it as `asyncify_memory`, so a JS
   * host can set up the buffer's header there.
   */
  secondaryMemoryPages?: number;
  /** Trap when a call that cannot unwind (per the analysis) leaves the state changed, or a rewound function finds another function's frame on top. */
  asserts?: boolean;
  /** Optimize what the transform emitted (-O): the most used locals get the shortest indices. */
  optimize?: boolean;
  /**
   * Hint the rewind paths (prologue restores, dispatches) unlikely in a branch-hint section,
   * for engines that lay code out by hints (V8 with branch hinting). About 4% larger output.
   */
  branchHints?: boolean;
  /**
   * Loops with at least this many call sites that may unwind (an interpreter's dispatch
   * loop, say) are emitted twice: once with the rewind dispatch, entered only when
   * rewinding, and once without, so that their iterations do not pay for it. It costs the
   * loop's size again. Functions with such a loop get unwind pads (see pads.ts): each
   * site's check keeps only the locals its rewind needs alive. Default 400; 0: neither.
   */
  peelSites?: number;
  /**
   * A function with a peeled loop becomes two: one that never rewinds, keeping its index,
   * and a twin that does, called from its prologue when rewinding (see flow.ts, SPLIT).
   * Default true; no effect when a tail call that may unwind stays one.
   */
  splitRewind?: boolean;
  /** Receives why each function is instrumented. */
  verbose?: (line: string) => void;
  /** Receives warnings (list entries that match nothing). */
  warn?: (line: string) => void;
  /** Called before each defined function is rewritten or passed over (for a progress display). */
  progress?: (done: number, total: number) => void;
}

export interface AsyncifyReport {
  instrumented: number;
  sites: number;
  /** Largest frame, in bytes. */
  maxFrame: number;
  /** Functions split in two (flow.ts, SPLIT): each got a twin. */
  split: number;
}

const id = (name: string): number => OP_BY_NAME.get(name)!.id;
/**
 * The default of `peelSites`. QuickJS's interpreter loop has 482 sites: peeling it took the
 * bench's workload from 2.8x to 1.8x the original's warm time on Node 20 (no change on
 * Node 26) for 6% more size, and peeling its next loops too (132 and 271 sites) gained
 * nothing measurable. A loop of hundreds of sites is an interpreter's or Go's dispatch loop.
 */
const PEEL_SITES = 400;
const I32_LOAD = id('i32.load'), I64_LOAD = id('i64.load');
const I32_GT_U = id('i32.gt_u'), I64_GT_U = id('i64.gt_u');

/**
 * Renumbers global indices >= `from` by `by` everywhere: bodies, constant expressions,
 * exports and names. Bodies that use no such global keep their bytes.
 */
function shiftGlobals(m: Module, from: number, by: number): void {
  const scratch = new Body();
  const sink = new Sink(1 << 12);
  const shift = (b: Body): boolean => {
    let changed = false;
    for (let i = 0; i < b.length; i++) {
      const op = b.ops[i];
      if ((op === Op.global_get || op === Op.global_set) && b.imm[i * 4] >= from) {
        b.imm[i * 4] += by;
        changed = true;
      }
    }
    return changed;
  };
  for (const f of m.funcs) {
    const b = decodeFunc(m, f, scratch);
    if (!shift(b)) continue;
    sink.pos = 0;
    encodeBody(b, sink);
    f.raw = sink.buf.slice(0, sink.pos);
    f.body = null;
    f.offset = 0;
  }
  rewriteConstExprs(m, shift);
  for (const e of m.exports) if (e.kind === ExternKind.Global && e.index >= from) e.index += by;
  if (m.names && m.names.globals.size) {
    const moved = new Map<number, string>();
    for (const [i, name] of m.names.globals) moved.set(i >= from ? i + by : i, name);
    m.names.globals = moved;
  }
}

/**
 * Renumbers the declared locals of `b` so the most used ones get one-byte indices (below
 * 128); the rest keep their order, grouped by type so the declaration stays short. Local
 * names move with them.
 */
function reorderLocals(b: Body, nParams: number, names: Map<number, string> | undefined): void {
  const types = b.localTypes();
  const n = types.length;
  if (nParams + n <= 128) return;
  const uses = new Int32Array(n);
  for (let i = 0; i < b.length; i++) {
    if (OP_IMM[b.ops[i]] !== Imm.Local) continue;
    const x = b.imm[i * 4] - nParams;
    if (x >= 0) uses[x]++;
  }
  const byUse = Array.from({ length: n }, (_, x) => x).sort((a, c) => uses[c] - uses[a] || a - c);
  const room = Math.max(0, 128 - nParams);
  const head = byUse.slice(0, room);
  const inHead = new Uint8Array(n);
  for (const x of head) inHead[x] = 1;
  // Within the head, group by type too: the order there does not change any index's size.
  head.sort((a, c) => types[a] - types[c] || a - c);
  const rest = byUse.slice(room).sort((a, c) => types[a] - types[c] || a - c);
  const order = [...head, ...rest];
  const map = new Int32Array(n);
  order.forEach((x, j) => (map[x] = j));
  for (let i = 0; i < b.length; i++) {
    if (OP_IMM[b.ops[i]] !== Imm.Local) continue;
    const x = b.imm[i * 4] - nParams;
    if (x >= 0) b.imm[i * 4] = nParams + map[x];
  }
  const runs: number[] = [];
  for (const x of order) {
    const t = types[x];
    if (runs.length && runs[runs.length - 1] === t) runs[runs.length - 2]++;
    else runs.push(1, t);
  }
  b.locals = runs;
  if (names) {
    const moved = [...names].map(([x, name]) => [x >= nParams && x - nParams < n ? nParams + map[x - nParams] : x, name] as const);
    names.clear();
    for (const [x, name] of moved) names.set(x, name);
  }
}

/** One function's rewrite as stored: what a worker thread hands back (parallel/asyncify.ts). */
export interface StoredFunc {
  d: number;
  /** The code entry. */
  raw: Uint8Array;
  /** Byte offsets of its unlikely branches. */
  hints: number[];
  /** The frame's helper holes, and the twin's call (-1: none), as byte offsets. */
  frame: ByteHoles | null;
  /** Instrumented (else only its calls were redirected or asserted). */
  instrumented: boolean;
  sites: number;
  frameBytes: number;
  /** Its local names after -O renumbered them (worker threads only). */
  localNames: [number, string][] | null;
  /**
   * The twin that rewinds it (see flow.ts, SPLIT), added to the module at commit; `frame`
   * then also says where the call to the twin goes.
   */
  twin: StoredFunc | null;
}

/**
 * How the defined functions are shared with worker threads (parallel/asyncify.ts): every
 * thread runs the same deterministic analysis, so a function's rewrite is the same
 * wherever it is made, unless it adds to the module (a type, a reference table); a worker
 * then stops and leaves the rest of its range to the main thread, which works in order.
 */
export interface AsyncifySplit {
  /** Worker side: rewrite only [from, to), hand each changed function to `emit`, and stop there. */
  range?: { from: number; to: number; emit: (r: StoredFunc) => void; stop: (at: number) => void };
  /** Main side: a function rewritten elsewhere ('unchanged' if it needed nothing), or null to do it here. */
  external?: (d: number) => StoredFunc | 'unchanged' | null;
}

/** A worker's rewrite would add to the module: the main thread makes it instead. */
class AddsToModule extends Error {}

/** Transforms `m` in place. */
export function asyncify(m: Module, options: AsyncifyOptions = {}, split: AsyncifySplit = {}): AsyncifyReport {
  // The rewrite relies on valid input (it types the operand stack with the validator):
  // module-level checks here, each body during the analysis's scan.
  const invalid = (e: ValidationError): AsyncifyError => {
    const where = e.func < 0 ? '' : `func ${e.func}${m.names?.functions.has(e.func) ? ` ${m.names.functions.get(e.func)}` : ''} `;
    return new AsyncifyError(`the input is invalid: ${where}at 0x${e.offset.toString(16)}: ${e.message}`);
  };
  const checked = checkModule(m, options.features);
  if ('error' in checked) throw invalid(checked.error);
  let ctx = checked.ctx;
  const bodyValidator = new BodyValidator(ctx);
  // The fast core takes nearly every body straight from its bytes, validating it and
  // listing its calls for the analysis; the others are decoded and validated in full.
  const core = FastCore.for(ctx);
  const nFuncImports = importCount(m, ExternKind.Func);
  const fastCalls = (f: number): Int32Array | null => {
    const fn = m.funcs[f - nFuncImports];
    return core !== null && fn.raw !== null && !fn.body ? core.calls(f, fn.raw) : null;
  };
  const check = (f: number, body: Body): void => {
    if (bodyValidator.body(f, body)) throw invalid(validateFunc(m, ctx, f)!);
  };
  const o: AnalysisOptions = {
    imports: options.imports ?? null,
    ignoreImports: options.ignoreImports ?? false,
    ignoreIndirect: options.ignoreIndirect ?? false,
    addList: options.addList ?? [],
    removeList: options.removeList ?? [],
    onlyList: options.onlyList ?? null,
    propagateAddList: options.propagateAddList ?? false,
  };
  for (const e of m.exports) {
    if (e.name.startsWith('asyncify_')) throw new AsyncifyError(`the module already exports ${e.name}: is it asyncified already?`);
  }
  const analysis = analyze(m, ctx, o, check, fastCalls);
  for (const w of analysis.warnings) options.warn?.(w);

  // The memory the buffer lives in.
  const nMemImports = importCount(m, ExternKind.Memory);
  const nMemories = nMemImports + m.memories.length;
  let memory = 0;
  if (options.importGlobals && options.exportGlobals) throw new AsyncifyError('--import-globals and --export-globals exclude each other');
  if (options.secondaryMemoryPages !== undefined) {
    if (options.memory !== undefined) throw new AsyncifyError('--memory and --in-secondary-memory exclude each other');
    const pages = options.secondaryMemoryPages;
    if (!Number.isInteger(pages) || pages < 1 || pages > 65536) throw new AsyncifyError(`--in-secondary-memory: ${pages} is not a page count from 1 to 65536`);
    memory = nMemories;
    m.memories.push({ min: BigInt(pages), max: BigInt(pages), addr64: false, shared: false, pageSizeLog2: null });
    if (m.exports.some((e) => e.name === 'asyncify_memory')) throw new AsyncifyError('the module already exports asyncify_memory');
    m.exports.push({ name: 'asyncify_memory', kind: ExternKind.Memory, index: memory });
  } else if (options.memory !== undefined) {
    const e = m.exports.find((x) => x.kind === ExternKind.Memory && x.name === options.memory);
    if (!e) throw new AsyncifyError(`--memory ${options.memory}: the module exports no memory of that name`);
    memory = e.index;
  } else if (nMemories > 1) {
    const e = m.exports.find((x) => x.kind === ExternKind.Memory && x.name === 'memory');
    if (!e) throw new AsyncifyError('the module has several memories: name the one for the asyncify buffer with --memory NAME');
    memory = e.index;
  } else if (nMemories === 0) {
    m.memories.push({ min: 1n, max: 1n, addr64: false, shared: false, pageSizeLog2: null });
  }
  const memLimits = memory < nMemImports
    ? (m.imports.filter((i) => i.kind === ExternKind.Memory)[memory] as { memory: { addr64: boolean } }).memory
    : m.memories[memory - nMemImports];
  const mem64 = memLimits.addr64;
  const ptr: ValType = mem64 ? I64 : I32;

  // State globals: appended, so no index moves; or imported, which moves the defined ones.
  let nGlobalImports = importCount(m, ExternKind.Global);
  let stateGlobal: number;
  if (options.importGlobals) {
    stateGlobal = nGlobalImports;
    shiftGlobals(m, nGlobalImports, 2);
    m.imports.push({ module: 'env', name: '__asyncify_state', kind: ExternKind.Global, global: { type: I32, mutable: true } });
    m.imports.push({ module: 'env', name: '__asyncify_data', kind: ExternKind.Global, global: { type: ptr, mutable: true } });
    nGlobalImports += 2;
  } else {
    stateGlobal = nGlobalImports + m.globals.length;
    m.globals.push({ type: I32, mutable: true, init: { bytes: Uint8Array.of(0x41, 0, 0x0b), offset: 0 } });
    m.globals.push({ type: ptr, mutable: true, init: { bytes: Uint8Array.of(mem64 ? 0x42 : 0x41, 0, 0x0b), offset: 0 } });
  }
  const dataGlobal = stateGlobal + 1;
  {
    // The bodies are typed against the module as it now is: moved globals (--import-globals),
    // the state global (--asserts checks read it), a new memory.
    const again = checkModule(m, options.features);
    if ('error' in again) throw new Error(`asyncify: renumbering globals broke the module: ${again.error.message}`);
    ctx = again.ctx;
  }

  let rewriting = false; // in the per-function loop (a worker must not add types there)
  const funcTypeIndex = (params: ValType[], results: ValType[]): number => {
    const same = (a: ValType[], b: ValType[]) => a.length === b.length && a.every((t, i) => t === b[i]);
    for (const g of m.recGroups) {
      if (g.count !== 1) continue;
      const t = m.types[g.start];
      if (t.comp.kind === 'func' && t.final && t.supers.length === 0 && same(t.comp.params, params) && same(t.comp.results, results)) return g.start;
    }
    if (rewriting && split.range) throw new AddsToModule();
    const index = m.types.length;
    m.types.push({ final: true, supers: [], comp: { kind: 'func', params, results }, explicit: false });
    m.recGroups.push({ start: index, count: 1, explicit: false });
    return index;
  };

  // Saved references live in tables (one per hierarchy), slots handed out as a stack.
  const nTableImports = importCount(m, ExternKind.Table);
  const refTables = new Map<HeapType, number>();
  const refTable = (heap: HeapType): { table: number; heap: HeapType } => {
    let table = refTables.get(heap);
    if (table === undefined) {
      if (split.range) throw new AddsToModule();
      table = nTableImports + m.tables.length;
      // The shorthand (funcref, externref, ...) so engines without typed references read it.
      m.tables.push({ type: heap + 0x80, limits: { min: 0n, max: null, addr64: false, shared: false, pageSizeLog2: null }, init: null });
      refTables.set(heap, table);
    }
    return { table, heap };
  };
  let refGlobalIndices: { top: number; live: number } | null = null;
  const refGlobals = (): { top: number; live: number } => {
    if (!refGlobalIndices) {
      if (split.range) throw new AddsToModule();
      const top = nGlobalImports + m.globals.length;
      m.globals.push({ type: I32, mutable: true, init: { bytes: Uint8Array.of(0x41, 0, 0x0b), offset: 0 } });
      m.globals.push({ type: I32, mutable: true, init: { bytes: Uint8Array.of(0x41, 0, 0x0b), offset: 0 } });
      refGlobalIndices = { top, live: top + 1 };
      m.names?.globals.set(top, '__asyncify_ref_top');
      m.names?.globals.set(top + 1, '__asyncify_ref_live');
    }
    return refGlobalIndices;
  };

  // Values of non-nullable reference types (dummies.ts), one global per type.
  const dummies = new Map<ValType, number>();
  // A defined function (an import may be of a subtype, where the dummy's type is exact).
  const funcOf = (type: number): number => {
    if (type < 0) return 0;
    const index = importCount(m, ExternKind.Func);
    for (let i = 0; i < m.funcs.length; i++) if (m.funcs[i].type === type) return index + i;
    const b = new Body();
    b.push(Op.unreachable);
    b.push(Op.end);
    m.funcs.push({ type, body: b, raw: null, offset: 0 });
    return index + m.funcs.length - 1;
  };
  const dummy = (t: ValType): number => {
    let g = dummies.get(t);
    if (g === undefined) {
      if (split.range) throw new AddsToModule();
      const init = dummyInit(m, t, funcOf);
      if (!init) return -1;
      g = nGlobalImports + m.globals.length;
      m.globals.push({ type: t, mutable: false, init: { bytes: init, offset: 0 } });
      dummies.set(t, g);
    }
    return g;
  };

  // Frame helpers shared by every instrumented function, so each carries only its own
  // loads and stores. Added after the instrumented ones (nothing is renumbered).
  const nFuncs = (): number => importCount(m, ExternKind.Func) + m.funcs.length;
  /** A memarg on the buffer's memory; alignment defaults to the pointer's. */
  const memarg = (b: Body, op: number, offset: number, align = mem64 ? 3 : 2): void => {
    b.push(op, align | (memory !== 0 ? 0x40 : 0), memory, offset, 0);
  };
  const ptrOp = (i32: string): number => OP_BY_NAME.get(mem64 ? i32.replace('i32', 'i64') : i32)!.id;
  let pushIndex = -1;
  let popIndex = -1;
  const helper = (name: string, params: ValType[], results: ValType[], b: Body): number => {
    const index = nFuncs();
    b.push(Op.end);
    m.funcs.push({ type: funcTypeIndex(params, results), body: b, raw: null, offset: 0 });
    m.names?.functions.set(index, name);
    return index;
  };
  const framePush = (): number => {
    if (pushIndex >= 0) return pushIndex;
    // (size) → p: p = current; trap if p + size > end; current = p + size.
    const b = new Body();
    b.locals = [1, ptr];
    b.push(Op.global_get, dataGlobal);
    memarg(b, ptrOp('i32.load'), 0);
    b.push(Op.local_tee, 1);
    b.push(Op.local_get, 0);
    b.push(ptrOp('i32.add'));
    b.push(Op.local_tee, 0);
    b.push(Op.global_get, dataGlobal);
    memarg(b, ptrOp('i32.load'), mem64 ? 8 : 4);
    b.push(ptrOp('i32.gt_u'));
    b.push(Op.if, -64);
    b.push(Op.unreachable);
    b.push(Op.end);
    b.push(Op.global_get, dataGlobal);
    b.push(Op.local_get, 0);
    memarg(b, ptrOp('i32.store'), 0);
    b.push(Op.local_get, 1);
    return (pushIndex = helper('__asyncify_frame_push', [ptr], [ptr], b));
  };
  const framePop = (): number => {
    if (popIndex >= 0) return popIndex;
    // (size) → p: current -= size; p = current.
    const b = new Body();
    b.locals = [1, ptr];
    b.push(Op.global_get, dataGlobal);
    b.push(Op.global_get, dataGlobal);
    memarg(b, ptrOp('i32.load'), 0);
    b.push(Op.local_get, 0);
    b.push(ptrOp('i32.sub'));
    b.push(Op.local_tee, 1);
    memarg(b, ptrOp('i32.store'), 0);
    b.push(Op.local_get, 1);
    return (popIndex = helper('__asyncify_frame_pop', [ptr], [ptr], b));
  };
  // Frame savers and restorers, one pair per chunk layout (t × n), shared (fillFrameHoles).
  const helpers = new Map<string, { save: number; restore: number }>();
  const ptrConst = (b: Body, v: number): void => pushPtrConst(b, mem64, v);
  const frameHelpers = (types: ValType[]): { save: number; restore: number } => {
    const key = types.join(',');
    let pair = helpers.get(key);
    if (pair) return pair;
    const { offsets, size } = frameLayout(types);
    const n = helpers.size;
    // Save (v0..vn) → (): p = push(size); store each v at p + its offset.
    const save = new Body();
    save.locals = [1, ptr];
    ptrConst(save, size);
    save.push(Op.call, framePush());
    save.push(Op.local_set, types.length);
    types.forEach((t, j) => {
      save.push(Op.local_get, types.length);
      save.push(Op.local_get, j);
      memarg(save, storeOp(t), offsets[j], 2);
    });
    const saveIndex = helper(`__asyncify_save_${n}`, types, [], save);
    // Restore () → (v0..vn): p = pop(size); load them.
    const restore = new Body();
    restore.locals = [1, ptr];
    ptrConst(restore, size);
    restore.push(Op.call, framePop());
    restore.push(Op.local_set, 0);
    types.forEach((t, j) => {
      restore.push(Op.local_get, 0);
      memarg(restore, loadOp(t), offsets[j], 2);
    });
    pair = { save: saveIndex, restore: helper(`__asyncify_restore_${n}`, [], types, restore) };
    helpers.set(key, pair);
    return pair;
  };
  const nDefined = m.funcs.length;

  // Site indices: per function from 0, or (when tail calls stay tail calls, or with
  // --asserts, so a prologue can tell whose frame is on top) unique module-wide, each
  // function reserving as many as it has candidate sites.
  const siteBases = new Map<number, number>();
  const siteReserves = new Map<number, number>();
  const uniqueSites = analysis.anyTail || options.asserts === true || analysis.retargeted.length > 0;
  // RETARGET's imports (retarget.ts) reserve a site index each, after the functions'.
  const thunked = thunkedImports(analysis, nFuncImports);
  const thunkSites = new Map<number, number>();
  if (uniqueSites) {
    const scan = new Body();
    let next = 0;
    const nFI = importCount(m, ExternKind.Func);
    for (let d = 0; d < m.funcs.length; d++) {
      const f = nFI + d;
      if (!analysis.instrument[f]) continue;
      const b = decodeFunc(m, m.funcs[d], scan);
      let count = 0;
      for (let i = 0; i < b.length; i++) if (isCall(b.ops[i]) && siteCall(analysis, f, b, i)) count++;
      siteBases.set(f, next);
      siteReserves.set(f, count);
      next += count;
    }
    for (const x of thunked) thunkSites.set(x, next++);
  }
  // RETARGET: made here, before the rewrite, so that every thread numbers them alike.
  const retarget = addRetargets(m, {
    ctx, analysis, stateGlobal, dataGlobal, memory, mem64, siteBases, siteReserves, thunkSites, memarg, ptrConst, framePush, framePop, helper, nFuncs,
    verbose: options.verbose,
  });
  const exported = new Set<number>();
  for (const e of m.exports) if (e.kind === ExternKind.Func) exported.add(e.index);
  const env: FlowEnv = {
    exported: (f) => exported.has(f),
    uniqueSites,
    checkRewind: options.asserts === true,
    siteBase: (f) => siteBases.get(f) ?? 0,
    siteReserve: (f) => siteReserves.get(f) ?? 0,
    retarget: retarget.wrapper,
    ctx, analysis, stateGlobal, dataGlobal, memory, mem64, funcTypeIndex, refTable, refGlobals, dummy,
    peelSites: options.peelSites === 0 ? Infinity : options.peelSites ?? PEEL_SITES,
    split: !analysis.anyTail && options.splitRewind !== false,
    scratch: [new Body(1024), new Body(1024), new Body(1024), new Body(1024)],
    core,
  };
  let instrumented = 0;
  let sites = 0;
  let maxFrame = 0;
  let splits = 0;
  const report = (): AsyncifyReport => ({ instrumented, sites, maxFrame, split: splits });
  const scratch = new Body();
  const sink = new Sink(1 << 16);
  // The control exports come first, so their indices (which calls to the in-wasm runtime's
  // imports are redirected to) are fixed before any helper is added.
  const controlBase = nFuncImports + m.funcs.length;
  const voidType = funcTypeIndex([], []);
  const ptrType = funcTypeIndex([ptr], []);
  const stateType = funcTypeIndex([], [I32]);
  const control = (name: string, state: number | null, setData: boolean): void => {
    const b = new Body();
    if (state !== null) {
      b.push(Op.i32_const, state);
      b.push(Op.global_set, stateGlobal);
      if (setData) {
        b.push(Op.local_get, 0);
        b.push(Op.global_set, dataGlobal);
      }
      // current > end: the buffer overflowed (or was set up wrong).
      b.push(Op.global_get, dataGlobal);
      memarg(b, mem64 ? I64_LOAD : I32_LOAD, 0);
      b.push(Op.global_get, dataGlobal);
      memarg(b, mem64 ? I64_LOAD : I32_LOAD, mem64 ? 8 : 4);
      b.push(mem64 ? I64_GT_U : I32_GT_U);
      b.push(Op.if, -64);
      b.push(Op.unreachable);
      b.push(Op.end);
    } else {
      b.push(Op.global_get, stateGlobal);
    }
    b.push(Op.end);
    const index = nFuncImports + m.funcs.length;
    m.funcs.push({ type: state === null ? stateType : setData ? ptrType : voidType, body: b, raw: null, offset: 0 });
    m.exports.push({ name, kind: ExternKind.Func, index });
    m.names?.functions.set(index, name);
  };
  control('asyncify_start_unwind', 1, true);
  control('asyncify_stop_unwind', 0, false);
  control('asyncify_start_rewind', 2, true);
  control('asyncify_stop_rewind', 0, false);
  control('asyncify_get_state', null, false);
  const redirect = new Map<number, number>();
  for (const [imp, name] of analysis.runtime) {
    const t = ctx.types.func(ctx.funcs[imp])!;
    const want = name === 'get_state' ? '[] -> [i32]' : name.startsWith('start') ? `[${mem64 ? 'i64' : 'i32'}] -> []` : '[] -> []';
    const got = `[${t.params.map(valTypeName).join(' ')}] -> [${t.results.map(valTypeName).join(' ')}]`;
    if (got !== want) throw new AsyncifyError(`import asyncify.${name} has type ${got}; expected ${want}`);
    redirect.set(imp, controlBase + RUNTIME_CALLS.indexOf(name));
  }
  const redirectCalls = (b: Body): boolean => {
    let changed = false;
    for (let i = 0; i < b.length; i++) {
      if (b.ops[i] !== Op.call && b.ops[i] !== Op.return_call) continue;
      const to = redirect.get(b.imm[i * 4]);
      if (to !== undefined) {
        b.imm[i * 4] = to;
        changed = true;
      }
    }
    return changed;
  };
  // Branch hints (byte offsets, per rewritten function; see branchHints). The input's hints
  // for rewritten functions no longer point at their instructions: they are dropped.
  const hints = new Map<number, number[]>();
  /** b's code entry into the sink, with the byte offset of each instruction in `at`. */
  const encode = (b: Body, at: number[]): number[] => (bodyCore ? bodyCore.encodeBodyAt(b, sink, at) : encodeBodyAt(b, sink, at));
  /** Encodes a rewritten body at once, so the scratch bodies are reused and no IR piles up. */
  const stored = (d: number, b: Body, unlikely: number[] | null, frame: FrameHoles | null, stats: { sites: number; frameBytes: number } | null, twinAt = -1): StoredFunc => {
    sink.pos = 0;
    let offsets: number[] = [];
    let holes: StoredFunc['frame'] = null;
    if (frame) {
      // The frame's holes are byte offsets from here on (the hint offsets stay ascending).
      const at = [...(unlikely ?? []), frame.restoreAt, frame.saveAt, twinAt].filter((i) => i >= 0).sort((x, y) => x - y);
      const byteAt = encode(b, at);
      const byteOf = new Map(at.map((i, j) => [i, byteAt[j]]));
      const off = (i: number): number => (i < 0 ? -1 : byteOf.get(i)!);
      holes = { groups: frame.groups, restoreAt: off(frame.restoreAt), saveAt: off(frame.saveAt), twinAt: off(twinAt) };
      if (unlikely) offsets = unlikely.map(off);
    } else offsets = encode(b, unlikely ?? []);
    return { d, raw: sink.buf.slice(0, sink.pos), hints: offsets, frame: holes, instrumented: stats !== null, sites: stats?.sites ?? 0, frameBytes: stats?.frameBytes ?? 0, localNames: null, twin: null };
  };
  const commit = (r: StoredFunc): void => {
    const fn = m.funcs[r.d];
    fn.raw = r.raw;
    fn.body = null;
    fn.offset = 0;
    let twin = -1;
    if (r.twin) {
      // Appended: nothing is renumbered (the frame helpers come after).
      twin = nFuncs();
      splits++;
      const t = r.twin;
      m.funcs.push({ type: fn.type, body: null, raw: t.raw, offset: 0 });
      if (m.names) {
        const name = m.names.functions.get(nFuncImports + r.d);
        m.names.functions.set(twin, `${name ?? nFuncImports + r.d}$rewind`);
        const locals = t.localNames ?? [...(m.names.locals.get(nFuncImports + r.d) ?? [])];
        if (locals.length) m.names.locals.set(twin, new Map(locals));
      }
      if (t.frame) frames.push({ d: twin - nFuncImports, ...t.frame, twin: -1 });
      hints.set(twin, t.hints);
    }
    if (r.frame) frames.push({ d: r.d, ...r.frame, twin });
    hints.set(nFuncImports + r.d, r.hints);
    if (r.localNames && m.names) m.names.locals.set(nFuncImports + r.d, new Map(r.localNames));
    if (!r.instrumented) return;
    instrumented++;
    sites += r.sites;
    maxFrame = Math.max(maxFrame, r.frameBytes);
    if (options.verbose) {
      const f = nFuncImports + r.d;
      const name = m.names?.functions.get(f) ?? `${f}`;
      options.verbose(`[asyncify] ${name} is instrumented: ${analysis.reasons.get(f) ?? 'it may unwind'} (${r.sites} site(s), frame ${r.frameBytes} B${twin >= 0 ? `; split: func ${twin} rewinds it` : ''})`);
    }
  };
  const frames: FilledFrame[] = [];
  const asserted = new Body();
  const bodyCore = BodyCore.get();
  /** Function d rewritten, or null if nothing in it changes. */
  const rewrite = (d: number): StoredFunc | null => {
    const f = nFuncImports + d;
    if (!analysis.instrument[f]) {
      // The runtime's own functions change the state on purpose: no asserts there.
      const runtimeFn = analysis.unwinds[f] === 1;
      if (!redirect.size && !retarget.thunks && !(options.asserts && !runtimeFn)) return null;
      let b = decodeFunc(m, m.funcs[d], scratch);
      let changed = redirect.size ? redirectCalls(b) : false;
      if (retarget.thunks) changed = retarget.thunkRefs(b) || changed;
      if (options.asserts && !runtimeFn) {
        const checked = assertCalls(env, f, b, asserted, false);
        changed ||= checked !== b;
        b = checked;
      }
      return changed ? stored(d, b, null, null, null) : null;
    }
    const fn = ctx.types.func(ctx.funcs[f])!;
    // Decoded by the body core where it can (into its memory; the rewrite only reads it).
    let src = bodyCore !== null && m.funcs[d].raw && !m.funcs[d].body ? bodyCore.decode(m, m.funcs[d]) : decodeFunc(m, m.funcs[d], scratch);
    // The code entry, while the body is still what it holds (for the fast core's stack types).
    let entry = m.funcs[d].body ? null : m.funcs[d].raw;
    if (redirect.size && redirectCalls(src)) entry = null;
    if (options.asserts) {
      src = assertCalls(env, f, src, asserted, true);
      entry = null;
    }
    const r = asyncifyBody(env, f, fn, src, entry);
    if (retarget.thunks) {
      retarget.thunkRefs(r.body);
      if (r.forward) retarget.thunkRefs(r.forward.body);
    }
    const names = options.optimize ? m.names?.locals.get(f) : undefined;
    let twin: StoredFunc | null = null;
    if (r.forward) {
      // The twin first (its own copy of the names, which -O renumbers): the whole rewrite.
      const twinNames = names && new Map(names);
      if (options.optimize) reorderLocals(r.body, fn.params.length, twinNames);
      twin = stored(d, r.body, options.branchHints ? r.unlikely : null, r.frame, null);
      twin.localNames = twinNames ? [...twinNames] : null;
    }
    const own = r.forward ?? r;
    if (options.optimize) reorderLocals(own.body, fn.params.length, names);
    const out = stored(d, own.body, options.branchHints ? own.unlikely : null, own.frame, r, r.forward?.twinAt);
    if (names && split.range) out.localNames = [...names];
    out.twin = twin;
    return out;
  };
  rewriting = true;
  const range = split.range;
  for (let d = range ? range.from : 0; d < (range ? range.to : nDefined); d++) {
    options.progress?.(d, nDefined);
    const done = split.external?.(d) ?? null;
    if (done === 'unchanged') continue;
    if (done) {
      commit(done);
      continue;
    }
    let r: StoredFunc | null;
    try {
      r = rewrite(d);
    } catch (e) {
      if (!(range && e instanceof AddsToModule)) throw e;
      range.stop(d);
      return report();
    }
    if (!r) continue;
    if (range) range.emit(r);
    else commit(r);
  }
  rewriting = false;
  if (range) return report();

  fillFrameHoles(m, frames, hints, nFuncImports, frameHelpers);

  // The control exports.
  if (options.exportGlobals) {
    m.exports.push({ name: '__asyncify_state', kind: ExternKind.Global, index: stateGlobal });
    m.exports.push({ name: '__asyncify_data', kind: ExternKind.Global, index: dataGlobal });
  }
  m.names?.globals.set(stateGlobal, '__asyncify_state');
  m.names?.globals.set(dataGlobal, '__asyncify_data');
  writeBranchHints(m, hints);
  return report();
}

/** FrameHoles as byte offsets (-1: none), and where the call to a split function's twin goes. */
type ByteHoles = FrameHoles & { twinAt: number };
/** A committed function's holes, and the index of its twin (-1: none). */
type FilledFrame = ByteHoles & { d: number; twin: number };

/**
 * Calls the frame helpers from the holes left for them (FrameHoles, byte offsets now). Each
 * group's chunk sizes are chosen for the module: a few helper pairs, few calls per frame.
 */
function fillFrameHoles(
  m: Module, frames: FilledFrame[], hints: Map<number, number[]>, nFuncImports: number,
  frameHelpers: (types: ValType[]) => { save: number; restore: number },
): void {
  // Roughly what a call costs (both sides) and what a helper pair of n values does.
  const callBytes = 2 * (1 + lebLength(nFuncImports + m.funcs.length + 64));
  const parts = FRAME_GROUPS.map((_, g) => {
    const counts = new Map<number, number>();
    for (const f of frames) if (f.groups[g]) counts.set(f.groups[g], (counts.get(f.groups[g]) ?? 0) + 1);
    return chunkSizes(counts, (n) => 26 + 14 * n, callBytes);
  });
  const calls = (indices: number[]): Uint8Array => {
    const out = new Sink(indices.length * 6);
    for (const index of indices) {
      out.u8(Op.call);
      out.u32(index);
    }
    return out.result();
  };
  // The helper pair of each (group, chunk size), by g * 2^16 + size: chunks are short.
  const pairs = new Map<number, { save: number; restore: number }>();
  const pairOf = (g: number, size: number): { save: number; restore: number } => {
    let pair = pairs.get(g * 65536 + size);
    if (!pair) pairs.set(g * 65536 + size, (pair = frameHelpers(new Array<ValType>(size).fill(FRAME_GROUPS[g]))));
    return pair;
  };
  // What goes in at each hole of each frame, in byte order; then all the new bodies in one
  // buffer (one allocation, not one per function: most of this step's time was those).
  const filled: [number, Uint8Array][][] = [];
  let total = 0;
  for (const f of frames) {
    const chunks: { save: number; restore: number }[] = [];
    for (let g = 0; g < f.groups.length; g++) {
      const n = f.groups[g];
      if (n) for (const size of parts[g](n)) chunks.push(pairOf(g, size));
    }
    const inserts: [number, Uint8Array][] = [];
    if (f.twin >= 0) inserts.push([f.twinAt, calls([f.twin])]);
    if (f.restoreAt >= 0) inserts.push([f.restoreAt, calls(chunks.map((c) => c.restore))]);
    inserts.push([f.saveAt, calls(chunks.map((c) => c.save).reverse())]);
    inserts.sort((a, b) => a[0] - b[0]);
    filled.push(inserts);
    total += m.funcs[f.d].raw!.length;
    for (const [, bytes] of inserts) total += bytes.length;
  }
  const all = new Uint8Array(total);
  let to = 0;
  frames.forEach((f, k) => {
    const inserts = filled[k];
    const raw = m.funcs[f.d].raw!;
    const start = to;
    let from = 0;
    for (const [at, bytes] of inserts) {
      all.set(raw.subarray(from, at), to);
      to += at - from;
      all.set(bytes, to);
      to += bytes.length;
      from = at;
    }
    all.set(raw.subarray(from), to);
    to += raw.length - from;
    m.funcs[f.d].raw = all.subarray(start, to);
    const offsets = hints.get(nFuncImports + f.d);
    if (offsets) {
      for (let j = 0; j < offsets.length; j++) {
        const o = offsets[j];
        for (const [at, bytes] of inserts) if (o >= at) offsets[j] += bytes.length;
      }
    }
  });
}

/**
 * Chunk sizes for frames of these sizes (size → how many frames): from one per size, drops
 * each size, largest first, whose loss saves bytes (a helper pair, against the extra calls
 * of the frames that then take more chunks), until none does. Returns each size's chunks, largest first.
 */
function chunkSizes(counts: Map<number, number>, pairBytes: (n: number) => number, callBytes: number): (n: number) => number[] {
  let sizes = [...counts.keys()].sort((a, b) => a - b);
  if (!sizes.length) return () => [];
  const max = sizes[sizes.length - 1];
  const coins = new Int32Array(max + 1);
  const pick = new Int32Array(max + 1);
  // Fewest chunks for each total (0x3fffffff: none), the largest last chunk on ties.
  const solve = (set: number[]): void => {
    for (let t = 1; t <= max; t++) {
      let best = 0x3fffffff, by = 0;
      for (let q = 0; q < set.length && set[q] <= t; q++) {
        const c = coins[t - set[q]] + 1;
        if (c <= best) best = c, by = set[q];
      }
      coins[t] = best;
      pick[t] = by;
    }
  };
  const cost = (set: number[]): number => {
    solve(set);
    let c = 0;
    for (const s of set) c += pairBytes(s);
    for (const [n, k] of counts) c += k * (coins[n] - 1) * callBytes;
    return c;
  };
  let best = cost(sizes);
  for (let again = true; again; ) {
    again = false;
    for (let j = sizes.length - 1; j >= 0; j--) {
      const without = sizes.filter((_, i) => i !== j);
      const c = cost(without);
      if (c < best) best = c, sizes = without, again = true;
    }
  }
  solve(sizes);
  const memo = new Map<number, number[]>();
  return (n) => {
    let r = memo.get(n);
    if (!r) {
      r = [];
      for (let t = n; t > 0; t -= pick[t]) r.push(pick[t]);
      r.sort((a, b) => b - a);
      memo.set(n, r);
    }
    return r;
  };
}

/**
 * The branch-hint section with `unlikely` hints at the given offsets of the rewritten
 * functions (whose old hints no longer point at their instructions) and the input's hints
 * for the others. An input section that does not parse is left as it is, with no hints added.
 */
function writeBranchHints(m: Module, rewritten: Map<number, number[]>): void {
  const at = m.customs.findIndex((c) => c.name === BRANCH_HINTS);
  const funcs = at >= 0 ? splitBranchHintSection(m.customs[at].bytes) : new Map<number, Uint8Array>();
  if (!funcs) return;
  for (const [func, offsets] of rewritten) {
    if (offsets.length) funcs.set(func, encodeFuncHints(offsets.map((offset) => ({ offset, value: 0 }))));
    else funcs.delete(func);
  }
  if (!funcs.size) {
    if (at >= 0) m.customs.splice(at, 1);
    return;
  }
  const bytes = encodeBranchHintSection(funcs);
  // Before the code section, as the branch hinting proposal requires (after data count).
  if (at >= 0) m.customs[at] = { ...m.customs[at], bytes };
  else m.customs.push({ name: BRANCH_HINTS, bytes, after: 12 });
}
