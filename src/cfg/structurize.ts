/**
 * Structured WebAssembly from a control-flow graph.
 *
 * ## Pipeline
 *
 *   Cfg ──graph.ts──▶ FlowGraph ──(irreducible? irreducible.ts)──▶ reducible FlowGraph
 *       ──analyze: reverse postorder, dominator tree, loop headers, merge nodes──▶
 *       ──Emitter: dominator-tree walk──▶ control stream ──writeStream──▶ Body
 *
 * ## The walk (Ramsey, "Beyond Relooper", ICFP 2022; LLVM's CFGStackify)
 *
 * Number the nodes in reverse postorder (RPO). An edge u→v is *backward* when v ≤ u; in
 * a reducible graph its target dominates its source and is a *loop header*. A *merge
 * node* has two or more forward in-edges. Then, for each node x, from the root:
 *
 *   tree(x)  = loop { within(x) } if x is a header, else within(x)
 *   within(x) nests x's code in one `block` per merge child y of x in the dominator
 *            tree, the child with the highest RPO outermost, and places tree(y) right
 *            after the `end` of y's block: `block { block { x } tree(y1) } tree(y2)`.
 *
 * A branch x→t is then: nothing when t's code comes next anyway (the fallthrough,
 * tracked per frame); `br` to t's `loop` when backward; `br` to t's `block` when t is a
 * merge node; and otherwise t has x as its only forward predecessor, so it is x's child
 * and its whole tree is emitted in place. Two-way and multi-way branches become `br_if`
 * for label targets and `if`/`else` for inlined ones; conditions are reordered so that
 * all `br_if`s come first and the rest nests least. A switch becomes a `br_table` whose
 * inlined targets get a `block` each, innermost; one case is an `i32.eq` (or `i32.eqz`);
 * values spread too thin for a table are compared one by one against a scratch local.
 *
 * Every forward branch to a merge node y comes from inside y's block: its source is
 * dominated by idom(y), and every node of idom(y)'s subtree that precedes y in RPO is
 * emitted inside that block. No loop is wider than the nodes its header dominates, no
 * block is opened that a branch does not target (the walk first writes a control stream
 * that names frames; writeStream drops the untargeted ones), and no helper variable is
 * used: for a reducible graph the output needs no local at all.
 *
 * Everything is iterative: an explicit task stack stands in for the recursion, so a
 * 100,000-deep dominator tree costs what a flat one does.
 */
import { Body } from '../ir/body.js';
import { Op, OP_BY_NAME } from '../ir/opcodes.js';
import { I32 } from '../ir/types.js';
import type { Cfg } from './cfg.js';
import { DomTree, immediateDominators } from './dominators.js';
import { copyInstructions } from './fragment.js';
import { FlowGraph, LABEL_SELECTOR, Term } from './graph.js';
import { makeReducible } from './irreducible.js';
import { numberReachable } from './loops.js';

export interface RenderOptions {
  /**
   * How a block without branches leaves: 'return' (the default, for a function body:
   * the blocks may leave the function's results on the stack) or 'br' (a branch to the
   * label that encloses the output, e.g. a block the caller wraps it in).
   */
  exit?: 'return' | 'br';
  /**
   * The most code node splitting may add, as a share of the input's size (default 1:
   * the code may at most double). Irreducible loops that do not fit get a dispatch
   * label instead; 0 splits nothing. See irreducible.ts.
   */
  splitBudget?: number;
  /** Body to append the output to (default: a new one). A function body still needs its final `end`. */
  into?: Body;
  /** Returns the index of a fresh i32 local; by default one is declared in the output body. */
  allocLocal?: () => number;
  /**
   * Values a block without branches leaves on the stack for the 'return' exit (the
   * function's results; default 0). With some, such a block is left by `return` unless
   * it ends the output at the outermost level.
   */
  results?: number;
  /** Parameters of the function, so that the default allocation numbers locals after them. */
  params?: number;
}

export interface RenderStats {
  /** Input blocks reachable from the entry. */
  blocks: number;
  /** Nodes emitted, including copies, edge code, dispatch and setter nodes. */
  nodes: number;
  /** Nodes created by node splitting. */
  splitNodes: number;
  /** Irreducible loops given a dispatch header. */
  dispatchLoops: number;
  /** Label setter nodes. */
  setters: number;
  /** Deepest nesting of block, loop and if in the output. */
  maxDepth: number;
}

export interface RenderResult {
  body: Body;
  /** The dispatch label local, or -1 if none was needed. */
  labelLocal: number;
  /** The sparse-switch scratch local, or -1 if none was needed. */
  scratchLocal: number;
  stats: RenderStats;
}

export const DEFAULT_SPLIT_BUDGET = 1;

export function structurize(cfg: Cfg, entry: number, options: RenderOptions): RenderResult {
  const g = new FlowGraph(cfg, entry);
  let shape = analyze(g);
  const stats: RenderStats = { blocks: g.blocks, nodes: 0, splitNodes: 0, dispatchLoops: 0, setters: 0, maxDepth: 0 };
  if (shape.irreducible) {
    Object.assign(stats, makeReducible(g, shape, options.splitBudget ?? DEFAULT_SPLIT_BUDGET));
    shape = analyze(g);
    if (shape.irreducible) throw new Error('internal error: the graph is still irreducible after makeReducible');
  }
  stats.nodes = shape.order.length;
  const body = options.into ?? new Body();
  const emitter = new Emitter(g, shape, options.allocLocal ?? declareLocal(body, options.params ?? 0), (options.results ?? 0) > 0 && options.exit !== 'br');
  emitter.run();
  stats.maxDepth = writeStream(emitter, cfg, body, options.exit === 'br');
  return { body, labelLocal: emitter.labelLocal, scratchLocal: emitter.scratchLocal, stats };
}

/** A fresh i32 declared at the end of `body.locals`. */
function declareLocal(body: Body, params: number): () => number {
  return () => {
    const locals = body.locals;
    let index = params;
    for (let i = 0; i < locals.length; i += 2) index += locals[i];
    if (locals.length && locals[locals.length - 1] === I32) locals[locals.length - 2]++;
    else locals.push(1, I32);
    return index;
  };
}

/** What the walk needs to know about the graph, indexed by RPO number. */
export interface Shape {
  /** Some retreating edge's target does not dominate its source. */
  irreducible: boolean;
  /** node → RPO number. */
  index: Int32Array;
  /** RPO number → node. */
  order: Int32Array;
  predStart: Int32Array;
  preds: Int32Array;
  succStart: Int32Array;
  succs: Int32Array;
  dom: DomTree;
  /** Forward in-edges per node. */
  fwdPreds: Int32Array;
  /** 1 for loop headers. */
  header: Uint8Array;
  /** 1 for nodes whose dominator subtree has no forward edge leaving it: its code never falls out (it returns, traps or branches back). */
  closed: Uint8Array;
}

/** Numbers and measures `g`. */
function analyze(g: FlowGraph): Shape {
  const index = new Int32Array(g.size).fill(-1);
  const { count: n, order, predStart, preds } = numberReachable(g, g.root, index);
  const dom = new DomTree(immediateDominators(n, predStart, preds));
  const succStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) succStart[i + 1] = succStart[i] + g.outDegree(order[i]);
  const succs = new Int32Array(succStart[n]);
  const fwdPreds = new Int32Array(n);
  const header = new Uint8Array(n);
  let irreducible = false;
  for (let i = 0; i < n; i++) {
    let k = succStart[i];
    for (let e = g.firstOut[order[i]]; e >= 0; e = g.nextOut[e]) {
      const j = index[g.edgeTo[e]];
      succs[k++] = j;
      if (j > i) fwdPreds[j]++;
      else if (dom.dominates(j, i)) header[j] = 1;
      else irreducible = true;
    }
  }
  // Bottom-up (a dominator precedes what it dominates): the preorder span of the targets of each subtree's forward edges.
  const lo = new Int32Array(n), hi = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    lo[i] = hi[i] = dom.preorder(i);
    for (let k = succStart[i]; k < succStart[i + 1]; k++) {
      if (succs[k] <= i) continue;
      const p = dom.preorder(succs[k]);
      if (p < lo[i]) lo[i] = p;
      if (p > hi[i]) hi[i] = p;
    }
  }
  const closed = new Uint8Array(n);
  for (let i = n - 1; i >= 0; i--) {
    const p = dom.preorder(i);
    closed[i] = lo[i] >= p && hi[i] < p + dom.subtreeSize(i) ? 1 : 0;
    if (i > 0) {
      const d = dom.idom[i];
      if (lo[i] < lo[d]) lo[d] = lo[i];
      if (hi[i] > hi[d]) hi[d] = hi[i];
    }
  }
  return { irreducible, index, order, predStart, preds, succStart, succs, dom, fwdPreds, header, closed };
}

// Control stream: what the walk writes, with frames named by id (0: the exit label).
const S_BLOCK = 0, S_LOOP = 1, S_IF = 2, S_ELSE = 3, S_END = 4, S_BR = 5, S_BR_IF = 6,
  S_BR_TABLE = 7, S_CODE = 8, S_OP = 9;
const EXIT_FRAME = 0;
/** The fallthrough of the outermost code: leaving it. */
const EXIT = -1;

const enum Frame { Block, Loop, If }
const enum Task { Tree, End, Else, Chain, Open }
/** How a switch is lowered. */
const enum Plan { None, Drop, Eq, Table, Sparse }

const opId = (name: string): number => OP_BY_NAME.get(name)!.id;
const I32_EQZ = opId('i32.eqz'), I32_EQ = opId('i32.eq'), I32_NE = opId('i32.ne'),
  I32_SUB = opId('i32.sub'), I32_OR = opId('i32.or');

/** Largest br_table the switch lowering writes, and how sparse its values may be. */
const MAX_TABLE = 1 << 16;
// A table entry costs about a byte; comparing one value against the scratch local about six.
const tableFits = (span: number, values: number): boolean => span <= MAX_TABLE && span <= 6 * values + 16;

/** Shared empty list (most nodes have no merge children): nothing is allocated for them. */
const NONE: number[] = [];

class Emitter {
  readonly stream: number[] = [];
  /** Per frame id: targeted by a branch. */
  readonly used: number[] = [1];
  labelLocal = -1;
  scratchLocal = -1;

  private readonly activeBlock: Int32Array;
  private readonly activeLoop: Int32Array;
  /** Scratch for blockStarts: 1 + index among its parent's merge children, else -1. */
  private readonly segment: Int32Array;
  private readonly frameKind: number[] = [];
  private readonly frameNode: number[] = [];
  private readonly frameId: number[] = [];
  /** Node whose code follows when the frame's body falls off its end, or EXIT. */
  private readonly frameFt: number[] = [];
  private readonly tasks: number[] = [];

  constructor(private readonly g: FlowGraph, private readonly s: Shape, private readonly alloc: () => number,
    /** Exits leave values: they may fall off only the outermost level. */
    private readonly exitValues: boolean) {
    const n = s.order.length;
    this.activeBlock = new Int32Array(n).fill(-1);
    this.activeLoop = new Int32Array(n).fill(-1);
    this.segment = new Int32Array(n).fill(-1);
  }

  run(): void {
    const tasks = this.tasks;
    this.push(Task.Tree, 0);
    while (tasks.length) {
      const b = tasks.pop()!;
      const a = tasks.pop()!;
      switch (tasks.pop()! as Task) {
        case Task.Tree: this.tree(a); break;
        case Task.End: this.end(); break;
        case Task.Else: this.stream.push(S_ELSE); break;
        case Task.Chain: this.chain(a, b); break;
        case Task.Open: this.open(Frame.Block, a); break;
      }
    }
  }

  private push(task: Task, a = 0, b = 0): void {
    this.tasks.push(task, a, b);
  }

  private tree(x: number): void {
    const { s, g } = this;
    const v = s.order[x];
    if (s.header[x]) {
      this.open(Frame.Loop, x);
      this.push(Task.End);
    }
    let merges = NONE;
    for (let k = s.dom.childStart[x]; k < s.dom.childStart[x + 1]; k++) {
      const c = s.dom.children[k];
      if (s.fwdPreds[c] >= 2) (merges === NONE ? (merges = []) : merges).push(c);
    }
    // Segment 0 is x's code with its inlined children, segment i+1 the tree of merges[i];
    // merges[i]'s block ends right before its tree and opens before segment starts[i].
    const starts = merges.length ? this.blockStarts(x, merges) : NONE;
    for (let i = merges.length - 1; i >= 0; i--) {
      this.push(Task.Tree, merges[i]);
      for (let j = i + 1; j < merges.length; j++) if (starts[j] === i + 1) this.push(Task.Open, merges[j]);
      this.push(Task.End);
    }
    for (let j = merges.length - 1; j >= 0; j--) if (starts[j] === 0) this.open(Frame.Block, merges[j]);

    if (g.code[v] >= 0) this.stream.push(S_CODE, g.code[v]);
    else if (g.setLabel[v] >= 0) this.op(Op.i32_const, g.setLabel[v]), this.op(Op.local_set, this.label());

    const plan = this.plan(x);
    if (plan === Plan.Table) {
      // A br_table needs a label for every target: inlined ones get a block each,
      // innermost, their trees following in turn.
      const arms: number[] = [];
      for (let k = s.succStart[x]; k < s.succStart[x + 1]; k++) {
        if (this.inline(x, s.succs[k])) arms.push(s.succs[k]);
      }
      arms.sort((p, q) => p - q);
      // The outermost arm is the one followed by what follows x: one that may fall
      // through goes there, else an exit at the very end (it then needs no return).
      const ft = this.ft();
      let last = arms.findIndex((t) => !this.leaf(t) && g.term[s.order[t]] !== Term.Exit);
      if (last < 0 && ft === EXIT) last = arms.findIndex((t) => g.term[s.order[t]] === Term.Exit);
      if (last >= 0) arms.push(arms.splice(last, 1)[0]);
      for (let i = arms.length - 1; i >= 0; i--) this.push(Task.Tree, arms[i]), this.push(Task.End);
      for (let i = arms.length - 1; i >= 0; i--) this.open(Frame.Block, arms[i]);
    }
    const first = s.succStart[x];
    const last = s.succStart[x + 1] - 1;
    switch (g.term[v]) {
      case Term.Exit:
        if (this.ft() !== EXIT || (this.exitValues && this.frameKind.length > 0)) this.br(EXIT_FRAME);
        return;
      case Term.Trap:
        this.op(Op.unreachable);
        return;
      case Term.Stop:
        return;
      case Term.Jump:
        this.branch(x, s.succs[first]);
        return;
      case Term.Cond:
        if (last === first + 1) {
          this.twoWay(x);
          return;
        }
        break;
      case Term.Switch:
        this.selector(v);
        if (plan === Plan.Eq) {
          this.twoWay(x);
          return;
        }
        if (plan === Plan.Drop) {
          this.op(Op.drop);
          this.branch(x, s.succs[last]);
          return;
        }
        if (plan === Plan.Table) {
          this.table(x);
          return;
        }
        if (plan === Plan.Sparse) this.op(Op.local_set, this.scratch());
        break;
    }
    // Condition-like arms (a Cond, or a switch lowered Eq or Sparse): br_if for label targets, then an if/else chain for inlined ones.
    for (let k = first; k < last; k++) {
      const t = s.succs[k];
      if (this.inline(x, t)) continue;
      this.condition(x, k - first, false);
      this.brIf(this.target(x, t));
    }
    this.chain(x, 0);
  }

  /**
   * For each merge child of x (in RPO), the segment its block opens before: the first
   * one holding a forward branch to it, moved earlier where needed so that blocks nest
   * (as LLVM's CFGStackify places BLOCK: as late as possible, which keeps nesting shallow).
   */
  private blockStarts(x: number, merges: number[]): number[] {
    const { s, segment } = this;
    const starts: number[] = [];
    merges.forEach((m, i) => (segment[m] = i + 1));
    const stackStart: number[] = [];
    const stackEnd: number[] = [];
    merges.forEach((m, j) => {
      let start = j;
      for (let k = s.predStart[m]; k < s.predStart[m + 1]; k++) {
        const p = s.preds[k];
        if (p >= m) continue;
        const seg = p === x ? 0 : Math.max(0, segment[s.dom.childToward(x, p)]);
        if (seg < start) start = seg;
      }
      // Block i spans segments [starts[i], i]: one that a new start falls strictly inside must be enclosed.
      while (stackEnd.length && stackEnd[stackEnd.length - 1] >= start) {
        start = Math.min(start, stackStart.pop()!);
        stackEnd.pop();
      }
      stackStart.push(start);
      stackEnd.push(j);
      starts.push(start);
    });
    for (const m of merges) segment[m] = -1;
    return starts;
  }

  /**
   * The if/else chain over x's inlined arms from arm `from` on, then the default: the
   * final action of x's code.
   */
  private chain(x: number, from: number): void {
    const s = this.s;
    const first = s.succStart[x];
    const last = s.succStart[x + 1] - 1;
    const def = s.succs[last];
    let arm = first + from;
    while (arm < last && !this.inline(x, s.succs[arm])) arm++;
    if (arm === last) {
      this.branch(x, def);
      return;
    }
    let next = arm + 1;
    while (next < last && !this.inline(x, s.succs[next])) next++;
    const t = s.succs[arm];
    if (next === last && !this.inline(x, def)) {
      if (def === this.ft()) {
        // `if t end` falls through to the default without needing its label.
        this.condition(x, arm - first, false);
        this.open(Frame.If, -1);
        this.push(Task.End);
      } else {
        this.condition(x, arm - first, true);
        this.brIf(this.target(x, def));
      }
      this.push(Task.Tree, t);
      return;
    }
    if (next === last && this.inline(x, def)) {
      // Two inlined arms. One that never falls through (a leaf: it returns or traps) goes
      // alone in an `if`, the other after it, one level out: no `else`, and an exit there
      // may fall off the end. Otherwise if/else, in the order that needs no i32.eqz.
      const flip = this.negationFree(x, arm - first);
      const tLeaf = this.leaf(t), dLeaf = this.leaf(def);
      if (tLeaf || dLeaf) {
        const defFirst = dLeaf && (!tLeaf || flip);
        this.condition(x, arm - first, defFirst);
        this.open(Frame.If, -1, defFirst ? t : def);
        this.push(Task.Tree, defFirst ? t : def);
        this.push(Task.End);
        this.push(Task.Tree, defFirst ? def : t);
        return;
      }
      if (flip) {
        this.condition(x, arm - first, true);
        this.open(Frame.If, -1);
        this.push(Task.End);
        this.push(Task.Tree, t);
        this.push(Task.Else);
        this.push(Task.Tree, def);
        return;
      }
    }
    this.condition(x, arm - first, false);
    this.open(Frame.If, -1);
    this.push(Task.End);
    this.push(Task.Chain, x, next - first);
    this.push(Task.Else);
    this.push(Task.Tree, t);
  }

  /** Control never falls out of t's tree: it returns, traps or loops. */
  private leaf(t: number): boolean {
    return this.s.closed[t] === 1;
  }

  /** Whether arm `arm` of x costs an i32.eqz and its negation none (a switch case for the value 0 alone). */
  private negationFree(x: number, arm: number): boolean {
    const v = this.s.order[x];
    if (this.g.term[v] !== Term.Switch) return false;
    const values = this.g.values[this.g.data[v]];
    return values.length === 1 && values[0].length === 1 && values[0][0] === 0 && arm === 0;
  }

  /**
   * A node with one arm A and a default D. Of the two branches, the one that is a
   * fallthrough costs nothing and the other is a `br_if`; the test is written in the sense
   * that needs no i32.eqz where there is a choice.
   */
  private twoWay(x: number): void {
    const s = this.s;
    const a = s.succs[s.succStart[x]];
    const d = s.succs[s.succStart[x] + 1];
    const aIn = this.inline(x, a), dIn = this.inline(x, d);
    const negFree = this.negationFree(x, 0);
    const ft = this.ft();
    if (aIn && dIn) {
      this.chain(x, 0);
    } else if (aIn || dIn) {
      // One arm inline, the other a label. If the label is where control goes anyway, an
      // `if` around the inline arm needs no block for it; else a br_if to it.
      const inl = aIn ? a : d, label = aIn ? d : a;
      if (label === ft) {
        this.condition(x, 0, !aIn);
        this.open(Frame.If, -1);
        this.push(Task.End);
      } else {
        this.condition(x, 0, aIn);
        this.brIf(this.target(x, label));
      }
      this.push(Task.Tree, inl);
    } else if (a === ft || (negFree && d !== ft)) {
      this.condition(x, 0, true);
      this.brIf(this.target(x, d));
      if (a !== ft) this.br(this.target(x, a));
    } else {
      this.condition(x, 0, false);
      this.brIf(this.target(x, a));
      if (d !== ft) this.br(this.target(x, d));
    }
  }

  /** x's switch as a br_table over [base, max]; values below base are out of range. */
  private table(x: number): void {
    const { s, g } = this;
    const values = g.values[g.data[s.order[x]]];
    let min = Infinity;
    let max = -Infinity;
    for (const vs of values) for (const c of vs) min = Math.min(min, c), max = Math.max(max, c);
    // A table from 0 costs an entry per skipped value; a subtraction costs 2-6 bytes.
    const base = min >= 0 && min <= 2 ? 0 : min;
    if (base !== 0) this.op(Op.i32_const, base), this.op(I32_SUB);
    const first = s.succStart[x];
    const last = s.succStart[x + 1] - 1;
    const def = this.target(x, s.succs[last]);
    const entries = new Array<number>(max - base + 1).fill(def);
    values.forEach((vs, i) => {
      const f = this.target(x, s.succs[first + i]);
      for (const c of vs) entries[c - base] = f;
    });
    this.stream.push(S_BR_TABLE, entries.length, ...entries, def);
    for (const f of entries) this.used[f] = 1;
    this.used[def] = 1;
  }

  /** How x's switch is lowered (Plan.None if x is not a switch). */
  private plan(x: number): Plan {
    const v = this.s.order[x];
    if (this.g.term[v] !== Term.Switch) return Plan.None;
    const values = this.g.values[this.g.data[v]];
    if (values.length === 0) return Plan.Drop;
    if (values.length === 1 && values[0].length === 1) return Plan.Eq;
    let min = Infinity;
    let max = -Infinity;
    let count = 0;
    for (const vs of values) {
      for (const c of vs) min = Math.min(min, c), max = Math.max(max, c);
      count += vs.length;
    }
    return tableFits(max - min + 1, count) ? Plan.Table : Plan.Sparse;
  }

  /** The i32 condition of arm `arm` of x (a Cond, or a switch lowered Eq or Sparse), or its negation. */
  private condition(x: number, arm: number, negate: boolean): void {
    const { s, g } = this;
    const v = s.order[x];
    if (g.term[v] === Term.Cond) {
      this.stream.push(S_CODE, g.conds[g.data[v]][arm]);
      if (negate) this.op(I32_EQZ);
      return;
    }
    const values = g.values[g.data[v]];
    const vs = values[arm];
    if (values.length === 1 && vs.length === 1) {
      // The selector is already on the stack.
      const c = vs[0];
      if (c === 0) {
        if (!negate) this.op(I32_EQZ);
      } else {
        this.op(Op.i32_const, c);
        this.op(negate ? I32_NE : I32_EQ);
      }
      return;
    }
    vs.forEach((c, i) => {
      this.op(Op.local_get, this.scratchLocal);
      if (c === 0) this.op(I32_EQZ);
      else this.op(Op.i32_const, c), this.op(I32_EQ);
      if (i > 0) this.op(I32_OR);
    });
    if (negate) this.op(I32_EQZ);
  }

  private selector(v: number): void {
    const sel = this.g.selector[v];
    if (sel === LABEL_SELECTOR) this.op(Op.local_get, this.label());
    else this.stream.push(S_CODE, sel);
  }

  /** x's final transfer to t: fallthrough, a branch, or t's tree in place. */
  private branch(x: number, t: number): void {
    if (this.inline(x, t)) this.push(Task.Tree, t);
    else if (t !== this.ft()) this.br(this.target(x, t));
  }

  /** t's only forward predecessor is x: t's tree goes where x branches to it. */
  private inline(x: number, t: number): boolean {
    return t > x && this.s.fwdPreds[t] === 1;
  }

  /** The frame a branch from x to t targets. */
  private target(x: number, t: number): number {
    const f = t <= x ? this.activeLoop[t] : this.activeBlock[t];
    if (f < 0) throw new Error(`internal error: no label for the branch from node ${x} to node ${t}`);
    return f;
  }

  private ft(): number {
    const n = this.frameFt.length;
    return n ? this.frameFt[n - 1] : EXIT;
  }

  /** Opens a frame; `ft`: the node that follows an If's end, if not the enclosing frame's. */
  private open(kind: Frame, x: number, ft = -2): void {
    const id = this.used.length;
    this.used.push(0);
    this.stream.push(kind === Frame.Block ? S_BLOCK : kind === Frame.Loop ? S_LOOP : S_IF, id);
    this.frameFt.push(kind === Frame.Block ? x : ft !== -2 ? ft : this.ft());
    this.frameKind.push(kind);
    this.frameNode.push(x);
    this.frameId.push(id);
    if (kind === Frame.Block) this.activeBlock[x] = id;
    else if (kind === Frame.Loop) this.activeLoop[x] = id;
  }

  private end(): void {
    const kind = this.frameKind.pop()!;
    const x = this.frameNode.pop()!;
    this.frameFt.pop();
    this.stream.push(S_END, this.frameId.pop()!);
    if (kind === Frame.Block) this.activeBlock[x] = -1;
    else if (kind === Frame.Loop) this.activeLoop[x] = -1;
  }

  private br(frame: number): void {
    this.stream.push(S_BR, frame);
    this.used[frame] = 1;
  }

  private brIf(frame: number): void {
    this.stream.push(S_BR_IF, frame);
    this.used[frame] = 1;
  }

  private op(op: number, imm = 0): void {
    this.stream.push(S_OP, op, imm);
  }

  private label(): number {
    if (this.labelLocal < 0) this.labelLocal = this.alloc();
    return this.labelLocal;
  }

  private scratch(): number {
    if (this.scratchLocal < 0) this.scratchLocal = this.alloc();
    return this.scratchLocal;
  }
}

/**
 * Writes the control stream into `out`, leaving out blocks no branch targets and turning
 * frame ids into relative depths. Returns the deepest nesting.
 */
function writeStream(e: Emitter, cfg: Cfg, out: Body, exitByBr: boolean): number {
  const { stream, used } = e;
  const arena = cfg.arena;
  const pos = new Int32Array(used.length).fill(-1);
  let height = 0;
  let maxDepth = 0;
  const depth = (f: number): number => (f === EXIT_FRAME ? height : height - 1 - pos[f]);
  for (let i = 0; i < stream.length;) {
    switch (stream[i++]) {
      case S_BLOCK: case S_LOOP: case S_IF: {
        const kind = stream[i - 1];
        const f = stream[i++];
        if (kind === S_BLOCK && !used[f]) break;
        out.push(kind === S_BLOCK ? Op.block : kind === S_LOOP ? Op.loop : Op.if, -64);
        pos[f] = height++;
        if (height > maxDepth) maxDepth = height;
        break;
      }
      case S_ELSE:
        out.push(Op.else);
        break;
      case S_END: {
        const f = stream[i++];
        if (pos[f] >= 0) {
          out.push(Op.end);
          height--;
        }
        break;
      }
      case S_BR: {
        const f = stream[i++];
        if (f === EXIT_FRAME && !exitByBr) out.push(Op.return);
        else out.push(Op.br, depth(f));
        break;
      }
      case S_BR_IF:
        out.push(Op.br_if, depth(stream[i++]));
        break;
      case S_BR_TABLE: {
        const n = stream[i++];
        const depths = new Int32Array(n + 1);
        for (let k = 0; k <= n; k++) depths[k] = depth(stream[i++]);
        out.push(Op.br_table, out.pushExtra(depths), n);
        break;
      }
      case S_CODE: {
        const id = stream[i++];
        copyInstructions(arena, cfg.fragmentStart(id), cfg.fragmentEnd(id), out);
        break;
      }
      case S_OP:
        out.push(stream[i], stream[i + 1]);
        i += 2;
        break;
    }
  }
  return maxDepth;
}
