/**
 * Irreducible control flow: rewriting the graph until every loop has a single entry,
 * so that structurize.ts can place one `loop` per header.
 *
 * ## Where the loops are
 *
 * Loops are strongly connected components (SCCs), found top-down as in LLVM's
 * WebAssemblyFixIrreducibleControlFlow: first the SCCs of the whole graph, then, for
 * each single-entry SCC (a natural loop with header h), the SCCs of its body with the
 * edges back into h ignored, and so on. An SCC's *entries* are its nodes with a
 * predecessor outside it. One entry: a natural loop, recurse into its body. Several:
 * irreducible, and this pass rewrites it in one of two ways before recursing.
 *
 * ## Node splitting, while the budget allows (no run-time cost)
 *
 * Pick one entry h to stay the header. Every other entry e is reached from outside
 * through copies instead: copy U, the nodes reachable from the other entries without
 * passing through h, once (one copy serves all of them: cheaper than a copy per entry,
 * as in Duff's device where the entries are the successive cases of one chain), give each
 * copy the original's successors mapped into the copy (edges to h and out of the SCC
 * keep their targets), and move the edges from outside the SCC into e over to e's copy.
 * The SCC is left with the single entry h; the copy has no path back to the nodes that
 * enter it (else they would have been in the SCC), so its own cycles are strictly
 * smaller SCCs, queued like any other. Up to eight entries are tried as h, and the
 * cheapest is kept, counted in `FlowGraph.weight` (instructions).
 *
 * Splitting goes ahead only if its cost fits in what is left of the budget, a fixed
 * share of the input's total weight (`RenderOptions.splitBudget`, default 1: the code may
 * at most double). The budget is global and only ever decreases, so the copies of all
 * splits together weigh at most splitBudget × the input, whatever the graph: a complete
 * graph K_n, which needs 2^(n-1) nodes to be made reducible by splitting alone
 * (Carter, Ferrante and Thomborson, 2003), gets what fits and dispatch for the rest.
 *
 * ## Dispatch, beyond it (a label set and a br_table per entering edge)
 *
 * A new node D becomes the SCC's header: `br_table` on the label local, arm i going to
 * entry i. Edges from outside into entry i go through a setter node, `label = i` then
 * jump to D (one setter per entry, shared by all such edges). Edges from inside the SCC
 * into entries are rerouted the same way (through a second setter per entry) only when
 * they must be: when, in a depth-first walk from D, the edge is retreating and its
 * target does not dominate its source. Forward edges into entries stay direct (free),
 * and so do the back edges of natural loops headed by an entry. On a complete graph
 * this halves the dispatches compared with rerouting every edge into an entry (LLVM)
 * and quarters them compared with Binaryen's Relooper, which also resets the label.
 * Rerouting only adds edges into D, the root of the SCC's dominator tree, so it can
 * only make dominance stronger: one walk settles it.
 *
 * The first entry the walk visits, e1, reaches every node of the SCC, and any path from
 * another entry to e1 arrives by an edge that is retreating and not dominated by e1, so
 * it is rerouted: e1 leaves the other entries' SCC, every SCC found below is strictly
 * smaller, and the recursion ends.
 *
 * ## The bound
 *
 * Copies: at most splitBudget × W instructions (W: the input's weight). Dispatch: each
 * dispatch adds one node with one br_table entry per entry and at most two 3-instruction
 * setters per entry; every entry has an edge from outside that is rerouted to a setter,
 * a setter's edge is never rerouted again, and a node is an entry again only of a
 * strictly smaller SCC nested below. The output is therefore
 *   O((1 + splitBudget)·W + (N + E)·d)
 * for N nodes, E edges and d the nesting depth of irreducible loops in the output
 * (usually 1): polynomial always, linear in the common case, never exponential.
 * The time is O((N + E)·L) for L levels of loop nesting, plus the candidate searches,
 * each cut off when it exceeds the remaining budget.
 */
import { grown } from './arrays.js';
import { DomTree, immediateDominators } from './dominators.js';
import { LABEL_SELECTOR, Term, type FlowGraph } from './graph.js';
import { numberReachable, SccFinder } from './loops.js';
import type { Shape } from './structurize.js';

export interface IrreducibleStats {
  /** Nodes created by splitting. */
  splitNodes: number;
  /** Irreducible loops given a dispatch header. */
  dispatchLoops: number;
  /** Label setter nodes (each stands for one or more rerouted edges). */
  setters: number;
}

/** Entries tried as the header that stays when splitting. */
const HEADER_CANDIDATES = 8;
/** Rounds of dominance-checked rerouting before a dispatch reroutes every retreating edge. */
const DISPATCH_ROUNDS = 8;

/** Rewrites `g`, whose analysis is `shape`, until reducible; `splitBudget` as in RenderOptions. */
export function makeReducible(g: FlowGraph, shape: Shape, splitBudget: number): IrreducibleStats {
  const pass = new Reducer(g, splitBudget);
  pass.run(shape);
  return pass.stats;
}

class Reducer {
  readonly stats: IrreducibleStats = { splitNodes: 0, dispatchLoops: 0, setters: 0 };
  private budget: number;
  /** Set membership: nodes of the set being examined have mark[v] === stamp. */
  private mark = new Int32Array(0);
  private stamp = 0;
  /** Visited marks of searches, and the copy of each node being split. */
  private seen = new Int32Array(0);
  private seenStamp = 0;
  private copyOf = new Int32Array(0);
  /** Scratch for numberReachable, kept at -1 between uses. */
  private index = new Int32Array(0);
  private readonly sccs = new SccFinder();
  /** SCCs still to examine; `trusted`: an SCC of the input, untouched (see run). */
  private readonly queue: number[][] = [];
  private readonly trusted: boolean[] = [];
  /** The input's depth-first numbering and dominator tree, and the nodes with an irreducible out-edge. */
  private walkIndex: Int32Array = new Int32Array(0);
  private walkTree: DomTree | null = null;
  private irreducibleEdge = new Uint8Array(0);

  constructor(private readonly g: FlowGraph, private readonly share: number) {
    let total = 0;
    for (let v = 0; v < g.size; v++) total += g.weight[v];
    this.budget = Math.floor(Math.max(0, share) * total);
  }

  run(shape: Shape): void {
    const { g } = this;
    // The input's walk tells, for every natural loop of the input, whether its body hides
    // irreducible flow: the walk restricted to a single-entry SCC is a walk of it from its
    // header, and dominance inside it is global dominance, so its body is reducible
    // exactly when it holds no retreating edge its target does not dominate.
    const { index, order, dom } = shape;
    this.walkIndex = index;
    this.walkTree = dom;
    this.irreducibleEdge = new Uint8Array(g.size);
    for (let i = 0; i < order.length; i++) {
      const u = order[i];
      for (let e = g.firstOut[u]; e >= 0; e = g.nextOut[e]) {
        const j = index[g.edgeTo[e]];
        if (j <= i && !dom.dominates(j, i)) this.irreducibleEdge[u] = 1;
      }
    }
    this.enqueueCycles(Array.from(order), -1, true);
    for (let q = 0; q < this.queue.length; q++) {
      const scc = this.queue[q];
      this.queue[q] = [];
      this.process(scc, this.trusted[q]);
    }
  }

  /**
   * `trusted`: the SCC is one of the input's, untouched, so the input's walk describes it.
   * Regions that splitting created or reshaped are checked with walks of their own.
   */
  private process(scc: number[], trusted: boolean): void {
    const stamp = this.markAll(scc);
    const outside = (p: number): boolean => this.mark[p] !== stamp;
    const entries = scc.filter((v) => this.g.hasPred(v, outside));
    if (entries.length === 1) {
      const h = entries[0];
      if (trusted ? this.holdsIrreducibleEdge(scc, stamp) : !this.reducibleFrom(h, stamp)) this.enqueueCycles(scc, h, trusted);
      return;
    }
    // Program order (node numbers follow the input's breadth-first order) makes the
    // choices deterministic and keeps the dispatch walk close to the source layout.
    entries.sort((a, b) => a - b);
    if (!this.split(scc, entries, stamp)) this.dispatch(scc, entries, stamp);
  }

  /** Whether an input SCC holds an edge of the input walk that retreats to a non-dominator. */
  private holdsIrreducibleEdge(scc: number[], stamp: number): boolean {
    const { g, mark, walkIndex: index } = this;
    const tree = this.walkTree!;
    for (const u of scc) {
      if (!this.irreducibleEdge[u]) continue;
      const i = index[u];
      for (let e = g.firstOut[u]; e >= 0; e = g.nextOut[e]) {
        const t = g.edgeTo[e];
        const j = t < index.length ? index[t] : -1;
        if (mark[t] === stamp && j >= 0 && j <= i && !tree.dominates(j, i)) return true;
      }
    }
    return false;
  }

  /**
   * Whether the SCC, a natural loop with header h, is reducible inside: every edge that
   * retreats in a walk from h is dominated by its target.
   */
  private reducibleFrom(h: number, stamp: number): boolean {
    const { g, mark, index } = this;
    const walk = numberReachable(g, h, index, mark, stamp);
    const tree = new DomTree(immediateDominators(walk.count, walk.predStart, walk.preds));
    let reducible = true;
    for (let i = 0; i < walk.count && reducible; i++) {
      for (let e = g.firstOut[walk.order[i]]; e >= 0; e = g.nextOut[e]) {
        const t = g.edgeTo[e];
        const j = mark[t] === stamp ? index[t] : -1;
        if (j >= 0 && j <= i && !tree.dominates(j, i)) {
          reducible = false;
          break;
        }
      }
    }
    for (let i = 0; i < walk.count; i++) index[walk.order[i]] = -1;
    return reducible;
  }

  private split(scc: number[], entries: number[], stamp: number): boolean {
    let weight = 0;
    for (const v of scc) weight += this.g.weight[v];
    const limit = Math.min(this.budget, Math.floor(this.share * weight));
    if (entries.length - 1 > limit) return false;
    let best = Infinity;
    let header = -1;
    const nodes: number[] = [];
    for (let i = 0; i < entries.length && i < HEADER_CANDIDATES; i++) {
      nodes.length = 0;
      const cost = this.reach(entries, entries[i], stamp, Math.min(best - 1, limit), nodes);
      if (cost >= 0 && this.copyIsReducible(nodes, entries, entries[i])) {
        best = cost;
        header = entries[i];
      }
    }
    if (header < 0) return false;
    const { g } = this;
    nodes.length = 0;
    this.reach(entries, header, stamp, Infinity, nodes);
    const inCopy = this.seenStamp;
    const copies = nodes.map((u) => (this.copyOf[u] = g.clone(u)));
    for (const u of nodes) {
      for (let e = g.firstOut[u]; e >= 0; e = g.nextOut[e]) {
        const t = g.edgeTo[e];
        g.addEdge(this.copyOf[u], this.seen[t] === inCopy ? this.copyOf[t] : t);
      }
    }
    for (const e of entries) {
      if (e !== header) g.retarget(e, this.copyOf[e], (p) => this.mark[p] !== stamp);
    }
    this.budget -= best;
    this.stats.splitNodes += nodes.length;
    this.queue.push(scc);
    this.trusted.push(false);
    this.enqueueCycles(copies, -1, false);
    return true;
  }

  /**
   * Whether every loop of the copy `nodes` (just collected by reach, so seen[v] is the
   * current stamp for them) would have one entry: else splitting only moves the
   * irreducible loop into the copy, where it costs a dispatch all the same.
   */
  private copyIsReducible(nodes: number[], entries: number[], header: number): boolean {
    const { g, seen, index } = this;
    const run = this.seenStamp;
    const loops = this.sccs.cycles(g, nodes, seen, run, -1);
    // The copy is entered at the other entries' copies, and along its own edges.
    loops.forEach((loop, i) => loop.forEach((v) => (index[v] = i)));
    const ok = loops.every((loop, i) => {
      let count = 0;
      for (const v of loop) {
        if ((v !== header && entries.includes(v)) || g.hasPred(v, (p) => seen[p] === run && index[p] !== i)) count++;
      }
      return count <= 1;
    });
    for (const loop of loops) for (const v of loop) index[v] = -1;
    return ok;
  }

  /**
   * Total weight of the SCC's nodes reachable from the entries other than `header`
   * without passing through it, or -1 once it exceeds `limit`. Collects them into `out`.
   */
  private reach(entries: number[], header: number, stamp: number, limit: number, out: number[] | null): number {
    const { g, mark, seen } = this;
    const run = ++this.seenStamp;
    const work: number[] = [];
    let cost = 0;
    for (const e of entries) {
      if (e === header) continue;
      seen[e] = run;
      work.push(e);
    }
    seen[header] = run;
    while (work.length) {
      const v = work.pop()!;
      out?.push(v);
      cost += g.weight[v];
      if (cost > limit) return -1;
      for (let e = g.firstOut[v]; e >= 0; e = g.nextOut[e]) {
        const w = g.edgeTo[e];
        if (seen[w] !== run && mark[w] === stamp) {
          seen[w] = run;
          work.push(w);
        }
      }
    }
    seen[header] = 0;
    return cost;
  }

  private dispatch(scc: number[], entries: number[], stamp: number): void {
    const { g } = this;
    const d = g.addNode(Term.Switch, -1, 0);
    g.selector[d] = LABEL_SELECTOR;
    const arms = entries.slice();
    entries.forEach((e, i) => g.retarget(e, this.setter(i, d), (p) => this.mark[p] !== stamp));
    for (const e of entries) g.addEdge(d, e);
    this.reserve();
    this.mark[d] = stamp;
    const armOf = new Map<number, number>(entries.map((e, i) => [e, i]));
    const inside = new Map<number, number>();
    for (let round = 1; ; round++) {
      this.reserve();
      const { mark, index, seen } = this;
      // Retreating edges not dominated by their target, grouped by target. The walk's tree
      // is the same every round: rerouting removes non-tree edges and adds edges from D.
      const walk = numberReachable(g, d, index, mark, stamp);
      const tree = new DomTree(immediateDominators(walk.count, walk.predStart, walk.preds));
      const bad = new Map<number, number[]>();
      for (let i = 1; i < walk.count; i++) {
        const u = walk.order[i];
        for (let e = g.firstOut[u]; e >= 0; e = g.nextOut[e]) {
          const t = g.edgeTo[e];
          if (mark[t] !== stamp || t === d) continue;
          const j = index[t];
          if (j > i || (round < DISPATCH_ROUNDS && tree.dominates(j, i))) continue;
          const sources = bad.get(t);
          if (sources) sources.push(u);
          else bad.set(t, [u]);
        }
      }
      for (let i = 0; i < walk.count; i++) index[walk.order[i]] = -1;
      if (bad.size === 0) break;
      for (const [t, sources] of bad) {
        let arm = armOf.get(t);
        if (arm === undefined) {
          armOf.set(t, (arm = arms.length));
          arms.push(t);
          g.addEdge(d, t);
        }
        let s = inside.get(t);
        if (s === undefined) inside.set(t, (s = this.setter(arm, d)));
        const run = ++this.seenStamp;
        for (const u of sources) seen[u] = run;
        g.retarget(t, s, (p) => seen[p] === run);
      }
    }
    this.mark[d] = 0;
    g.data[d] = g.values.push(arms.slice(0, -1).map((_, i) => [i])) - 1;
    g.weight[d] = 2 + arms.length;
    this.stats.dispatchLoops++;
  }

  /** A node that sets the label to `value` and jumps to the dispatch node `d`. */
  private setter(value: number, d: number): number {
    const s = this.g.addNode(Term.Jump, -1, 3);
    this.g.setLabel[s] = value;
    this.g.addEdge(s, d);
    this.stats.setters++;
    return s;
  }

  private enqueueCycles(nodes: number[], exclude: number, trusted: boolean): void {
    const stamp = this.markAll(nodes);
    for (const c of this.sccs.cycles(this.g, nodes, this.mark, stamp, exclude)) {
      this.queue.push(c);
      this.trusted.push(trusted);
    }
  }

  private markAll(nodes: number[]): number {
    this.reserve();
    const stamp = ++this.stamp;
    for (const v of nodes) this.mark[v] = stamp;
    return stamp;
  }

  /** Grows the per-node scratch arrays to the graph's size. */
  private reserve(): void {
    const n = this.g.size;
    this.mark = grown(this.mark, n);
    this.seen = grown(this.seen, n);
    this.copyOf = grown(this.copyOf, n);
    this.index = grown(this.index, n, -1);
  }
}
