/**
 * The working graph the structurizer transforms. It starts as the blocks reachable from
 * the entry, normalized so that later stages see only five terminators, and grows as
 * irreducible.ts splits nodes and adds dispatch nodes:
 *
 *  - a root node (no code, jumps to the entry), so that the entry can take part in
 *    loops and be split like any other node;
 *  - edge code becomes a node of its own on the edge, so that every branch is a plain
 *    edge and switch arms are distinct targets;
 *  - blocks with no code that only jump are skipped (a cycle of them stays, as an
 *    empty infinite loop);
 *  - a missing default goes to one shared trap node;
 *  - a switch's cases are grouped by target, and a case with the default's target is
 *    dropped (its values reach the default anyway).
 *
 * Storage is flat: per-node typed arrays, and edges in doubly linked in-lists and singly
 * linked out-lists, so that moving an edge to another target is O(1) and nothing is
 * allocated per node. A node's out-edges are in arm order; the last one of a Cond or
 * Switch node is its default. Copies share their original's fragments and terminator data.
 */
import { grown } from './arrays.js';
import { CfgError, type Cfg } from './cfg.js';
import { Op } from '../ir/opcodes.js';

/** Ops after which control never continues with the next instruction. */
const TRANSFER = new Uint8Array(1024);
for (const op of [Op.unreachable, Op.return, Op.throw, Op.throw_ref, Op.return_call, Op.return_call_indirect, Op.return_call_ref]) TRANSFER[op] = 1;

export const enum Term {
  /** Leaves the rendered code. */
  Exit,
  /** `unreachable`. */
  Trap,
  /** The node's own code ends in an unconditional transfer (return, unreachable, throw, a tail call): nothing follows it. */
  Stop,
  Jump,
  /** Conditional arms (`conds[data[v]][i]` → i-th successor), then the default. */
  Cond,
  /** Switch on `selector[v]`: arm i for `values[data[v]][i]`, then the default. */
  Switch,
}

/** `selector[v]` of a dispatch node: the dispatch label local. */
export const LABEL_SELECTOR = -2;

export class FlowGraph {
  size = 0;
  term = new Int32Array(0);
  /** Fragment id of the node's code, or -1. */
  code = new Int32Array(0);
  /** >= 0: the node's code is `label = setLabel[v]` (a dispatch setter). */
  setLabel = new Int32Array(0);
  /** Switch selector fragment, or LABEL_SELECTOR. */
  selector = new Int32Array(0);
  /** Index into `conds` or `values`, or -1. */
  data = new Int32Array(0);
  /** Size estimate, in instructions, that the node-splitting budget is counted in. */
  weight = new Int32Array(0);
  firstOut = new Int32Array(0);
  lastOut = new Int32Array(0);
  firstIn = new Int32Array(0);

  edgeCount = 0;
  edgeFrom = new Int32Array(0);
  edgeTo = new Int32Array(0);
  nextOut = new Int32Array(0);
  nextIn = new Int32Array(0);
  prevIn = new Int32Array(0);

  /** Condition fragments of Cond nodes, per data index. */
  readonly conds: (readonly number[])[] = [];
  /** Arm values of Switch nodes, per data index. */
  readonly values: (readonly (readonly number[])[])[] = [];
  readonly root: number;
  /** Input blocks that became nodes. */
  readonly blocks: number;

  constructor(readonly cfg: Cfg, entry: number) {
    const skip = skipEmptyJumps(cfg);
    const nodeOf = new Int32Array(cfg.size).fill(-1);
    const queue: number[] = [];
    const nodeFor = (block: number): number => {
      const b = skip[block];
      if (nodeOf[b] < 0) {
        nodeOf[b] = this.addNode(Term.Exit, cfg.code(b), 0);
        queue.push(b);
      }
      return nodeOf[b];
    };
    let trap = -1;
    const trapNode = (): number => (trap >= 0 ? trap : (trap = this.addNode(Term.Trap, -1, 1)));
    const target = (e: number): number => {
      const code = cfg.edgeCode(e);
      if (code < 0) return nodeFor(cfg.edgeTarget(e));
      const n = this.addNode(Term.Jump, code, this.fragmentSize(code) + 1);
      this.addEdge(n, nodeFor(cfg.edgeTarget(e)));
      return n;
    };
    const seen = new Set<number>();

    this.root = this.addNode(Term.Jump, -1, 0);
    this.addEdge(this.root, nodeFor(entry));
    for (let q = 0; q < queue.length; q++) {
      const b = queue[q];
      const v = nodeOf[b];
      const first = cfg.firstEdge(b);
      let weight = this.fragmentSize(cfg.code(b));
      if (cfg.selector(b) >= 0) {
        let def = -1;
        for (let e = first; e >= 0; e = cfg.nextEdge(e)) if (cfg.edgeIsDefault(e)) def = e;
        const defTarget = def >= 0 ? target(def) : trapNode();
        seen.clear();
        const arms: number[] = [];
        const armValues: number[][] = [];
        for (let e = first; e >= 0; e = cfg.nextEdge(e)) {
          const values = cfg.edgeValues(e);
          if (values === null) continue;
          for (const x of values) {
            if (seen.has(x)) throw new CfgError(`block ${b}: switch value ${x} in two cases`, b);
            seen.add(x);
          }
          const t = target(e);
          if (t === defTarget) continue;
          const at = cfg.edgeCode(e) < 0 ? arms.indexOf(t) : -1;
          if (at >= 0) armValues[at].push(...values);
          else {
            arms.push(t);
            armValues.push(values);
          }
        }
        for (const t of arms) this.addEdge(v, t);
        this.addEdge(v, defTarget);
        this.term[v] = Term.Switch;
        this.selector[v] = cfg.selector(b);
        this.data[v] = this.values.push(armValues) - 1;
        weight += this.fragmentSize(cfg.selector(b)) + 2 + seen.size;
      } else if (first < 0) {
        if (this.endsInTransfer(cfg.code(b))) this.term[v] = Term.Stop;
        else weight += 1;
      } else if (cfg.nextEdge(first) < 0 && cfg.edgeCondition(first) < 0) {
        this.term[v] = Term.Jump;
        this.addEdge(v, target(first));
        weight += 1;
      } else {
        const conds: number[] = [];
        let def = -1;
        for (let e = first; e >= 0; e = cfg.nextEdge(e)) {
          const c = cfg.edgeCondition(e);
          if (c < 0) def = e;
          else {
            conds.push(c);
            this.addEdge(v, target(e));
            weight += this.fragmentSize(c) + 2;
          }
        }
        this.addEdge(v, def >= 0 ? target(def) : trapNode());
        this.term[v] = Term.Cond;
        this.data[v] = this.conds.push(conds) - 1;
        weight += 1;
      }
      this.weight[v] = weight;
    }
    this.blocks = queue.length;
  }

  /** A node with the given code and terminator kind, and no edges yet. */
  addNode(term: Term, code: number, weight: number): number {
    const v = this.size++;
    if (v === this.term.length) {
      const n = v + 1;
      this.term = grown(this.term, n);
      this.code = grown(this.code, n);
      this.setLabel = grown(this.setLabel, n);
      this.selector = grown(this.selector, n);
      this.data = grown(this.data, n);
      this.weight = grown(this.weight, n);
      this.firstOut = grown(this.firstOut, n);
      this.lastOut = grown(this.lastOut, n);
      this.firstIn = grown(this.firstIn, n);
    }
    this.term[v] = term;
    this.code[v] = code;
    this.setLabel[v] = -1;
    this.selector[v] = -1;
    this.data[v] = -1;
    this.weight[v] = weight;
    this.firstOut[v] = -1;
    this.lastOut[v] = -1;
    this.firstIn[v] = -1;
    return v;
  }

  /** Appends an edge to `from`'s out-edges. */
  addEdge(from: number, to: number): void {
    const e = this.edgeCount++;
    if (e === this.edgeTo.length) {
      const n = e + 1;
      this.edgeFrom = grown(this.edgeFrom, n);
      this.edgeTo = grown(this.edgeTo, n);
      this.nextOut = grown(this.nextOut, n);
      this.nextIn = grown(this.nextIn, n);
      this.prevIn = grown(this.prevIn, n);
    }
    this.edgeFrom[e] = from;
    this.nextOut[e] = -1;
    if (this.lastOut[from] < 0) this.firstOut[from] = e;
    else this.nextOut[this.lastOut[from]] = e;
    this.lastOut[from] = e;
    this.linkIn(e, to);
  }

  /** A copy of v's code and terminator, without edges. */
  clone(v: number): number {
    const c = this.addNode(this.term[v], this.code[v], this.weight[v]);
    this.setLabel[c] = this.setLabel[v];
    this.selector[c] = this.selector[v];
    this.data[c] = this.data[v];
    return c;
  }

  /** Moves the edges into `node` from the sources `move` picks over to `to`. */
  retarget(node: number, to: number, move: (source: number) => boolean): void {
    for (let e = this.firstIn[node]; e >= 0;) {
      const next = this.nextIn[e];
      if (move(this.edgeFrom[e])) {
        const prev = this.prevIn[e];
        if (prev < 0) this.firstIn[node] = next;
        else this.nextIn[prev] = next;
        if (next >= 0) this.prevIn[next] = prev;
        this.linkIn(e, to);
      }
      e = next;
    }
  }

  /** Whether some edge into `node` comes from a source `test` picks. */
  hasPred(node: number, test: (source: number) => boolean): boolean {
    for (let e = this.firstIn[node]; e >= 0; e = this.nextIn[e]) if (test(this.edgeFrom[e])) return true;
    return false;
  }

  /** Number of out-edges. */
  outDegree(v: number): number {
    let n = 0;
    for (let e = this.firstOut[v]; e >= 0; e = this.nextOut[e]) n++;
    return n;
  }

  /** Whether the fragment's last instruction leaves control for good (it is at depth 0 unless it is an `end`). */
  private endsInTransfer(id: number): boolean {
    if (id < 0) return false;
    const end = this.cfg.fragmentEnd(id);
    return end > this.cfg.fragmentStart(id) && TRANSFER[this.cfg.arena.ops[end - 1]] === 1;
  }

  fragmentSize(id: number): number {
    return id < 0 ? 0 : this.cfg.fragmentEnd(id) - this.cfg.fragmentStart(id);
  }

  private linkIn(e: number, to: number): void {
    this.edgeTo[e] = to;
    const head = this.firstIn[to];
    this.nextIn[e] = head;
    this.prevIn[e] = -1;
    if (head >= 0) this.prevIn[head] = e;
    this.firstIn[to] = e;
  }
}

/**
 * For each block, the block control really reaches there: past blocks that have no code
 * and one unconditional, code-less branch. A cycle of such blocks resolves to one of its
 * members, which stays (an infinite loop).
 */
function skipEmptyJumps(cfg: Cfg): Int32Array {
  const n = cfg.size;
  const skip = new Int32Array(n).fill(-1);
  const onPath = new Uint8Array(n);
  const path: number[] = [];
  const emptyJump = (b: number): boolean => {
    const e = cfg.firstEdge(b);
    return cfg.code(b) < 0 && cfg.selector(b) < 0 && e >= 0 && cfg.nextEdge(e) < 0 && cfg.edgeCondition(e) < 0 && cfg.edgeCode(e) < 0;
  };
  for (let b = 0; b < n; b++) {
    if (skip[b] >= 0) continue;
    let v = b;
    while (skip[v] < 0 && !onPath[v] && emptyJump(v)) {
      onPath[v] = 1;
      path.push(v);
      v = cfg.edgeTarget(cfg.firstEdge(v));
    }
    const to = skip[v] >= 0 ? skip[v] : v;
    skip[v] = to;
    for (const u of path) {
      skip[u] = to;
      onPath[u] = 0;
    }
    path.length = 0;
  }
  return skip;
}
