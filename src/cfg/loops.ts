/**
 * Loop structure: depth-first numbering (reverse postorder), and strongly connected
 * components, the loops of a graph whether reducible or not. Both walk an explicit stack:
 * a 100,000-block chain must not overflow the JS stack.
 *
 * In reverse postorder an edge u→v goes backward (v ≤ u) exactly when it closes a cycle
 * of the depth-first walk: a *retreating* edge. A graph is reducible when every
 * retreating edge's target dominates its source; then the targets are the loop headers.
 */
import { grown } from './arrays.js';
import type { FlowGraph } from './graph.js';

/** A depth-first numbering of the nodes reachable from a root. */
export interface Numbering {
  count: number;
  /** Nodes in reverse postorder: order[0] is the root. */
  order: Int32Array;
  /** Predecessors of each numbered node, by number (CSR: preds[predStart[i] .. predStart[i+1])). */
  predStart: Int32Array;
  preds: Int32Array;
}

/** Walk stacks shared by the calls below (none of them nests). */
let stackNodes = new Int32Array(1024);
let stackEdges = new Int32Array(1024);
/** Postorder scratch: walks of a small region of a large graph must not allocate the graph's size. */
let postBuffer = new Int32Array(1024);

/**
 * Numbers the nodes reachable from `root`, visiting successors in edge order. With
 * `mark`, only nodes v with mark[v] === stamp are walked (the root always is). `index`
 * maps node → number: the caller passes it holding -1 for every node the walk may
 * reach, and finds the numbers there afterwards (resetting them is its business).
 */
export function numberReachable(g: FlowGraph, root: number, index: Int32Array, mark: Int32Array | null = null, stamp = 0): Numbering {
  const { firstOut, nextOut, edgeTo } = g;
  stackNodes = grown(stackNodes, g.size + 1);
  stackEdges = grown(stackEdges, g.size + 1);
  const nodes = stackNodes;
  const edges = stackEdges;
  // Postorder fills `order` from the back: reversed, it is reverse postorder.
  postBuffer = grown(postBuffer, g.size + 1);
  const post = postBuffer;
  let count = 0;
  let top = 0;
  nodes[0] = root;
  edges[0] = firstOut[root];
  index[root] = 0;
  while (top >= 0) {
    const e = edges[top];
    if (e >= 0) {
      edges[top] = nextOut[e];
      const w = edgeTo[e];
      if (index[w] < 0 && (mark === null || mark[w] === stamp)) {
        index[w] = 0;
        top++;
        nodes[top] = w;
        edges[top] = firstOut[w];
      }
    } else {
      post[count++] = nodes[top--];
    }
  }
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const v = post[count - 1 - i];
    order[i] = v;
    index[v] = i;
  }
  // Targets the walk numbered: those it may enter (index is -1 for the others it may reach).
  const numberOf = (w: number): number => (mark === null || w === root || mark[w] === stamp ? index[w] : -1);
  const predStart = new Int32Array(count + 1);
  for (let i = 0; i < count; i++) {
    for (let e = firstOut[order[i]]; e >= 0; e = nextOut[e]) {
      const j = numberOf(edgeTo[e]);
      if (j >= 0) predStart[j + 1]++;
    }
  }
  for (let i = 0; i < count; i++) predStart[i + 1] += predStart[i];
  const preds = new Int32Array(predStart[count]);
  const fill = predStart.slice(0, count);
  for (let i = 0; i < count; i++) {
    for (let e = firstOut[order[i]]; e >= 0; e = nextOut[e]) {
      const j = numberOf(edgeTo[e]);
      if (j >= 0) preds[fill[j]++] = i;
    }
  }
  return { count, order, predStart, preds };
}

/**
 * Tarjan's strongly connected components, iteratively, over subsets of a growing graph.
 * Scratch arrays are kept between runs and grown on demand.
 */
export class SccFinder {
  private index = new Int32Array(0);
  private low = new Int32Array(0);
  private seen = new Int32Array(0);
  private onStack = new Int32Array(0);
  private stack = new Int32Array(0);
  private run = 0;

  /**
   * The cyclic components (more than one node, or a node with an edge to itself) of the
   * subgraph induced by `nodes`, whose members v have mark[v] === stamp. Edges into
   * `exclude` are ignored (pass -1 for none).
   */
  cycles(g: FlowGraph, nodes: readonly number[], mark: Int32Array, stamp: number, exclude: number): number[][] {
    const n = g.size + 1;
    if (n > this.index.length) {
      this.index = grown(this.index, n);
      this.low = grown(this.low, n);
      this.seen = grown(this.seen, n);
      this.onStack = grown(this.onStack, n);
      this.stack = grown(this.stack, n);
    }
    stackNodes = grown(stackNodes, n);
    stackEdges = grown(stackEdges, n);
    const { index, low, seen, onStack, stack } = this;
    const calls = stackNodes;
    const at = stackEdges;
    const { firstOut, nextOut, edgeTo } = g;
    const run = ++this.run;
    const result: number[][] = [];
    let sp = 0;
    let counter = 0;
    for (const start of nodes) {
      if (seen[start] === run || mark[start] !== stamp || start === exclude) continue;
      seen[start] = run;
      index[start] = low[start] = counter++;
      stack[sp++] = start;
      onStack[start] = run;
      let top = 0;
      calls[0] = start;
      at[0] = firstOut[start];
      while (top >= 0) {
        const v = calls[top];
        const e = at[top];
        if (e >= 0) {
          at[top] = nextOut[e];
          const w = edgeTo[e];
          if (mark[w] !== stamp || w === exclude) continue;
          if (seen[w] !== run) {
            seen[w] = run;
            index[w] = low[w] = counter++;
            stack[sp++] = w;
            onStack[w] = run;
            top++;
            calls[top] = w;
            at[top] = firstOut[w];
          } else if (onStack[w] === run && index[w] < low[v]) {
            low[v] = index[w];
          }
          continue;
        }
        top--;
        if (top >= 0 && low[v] < low[calls[top]]) low[calls[top]] = low[v];
        if (low[v] !== index[v]) continue;
        let from = sp - 1;
        while (stack[from] !== v) from--;
        const component = Array.from(stack.subarray(from, sp));
        sp = from;
        for (const w of component) onStack[w] = 0;
        if (component.length > 1 || selfLoop(g, v)) result.push(component);
      }
    }
    return result;
  }
}

function selfLoop(g: FlowGraph, v: number): boolean {
  for (let e = g.firstOut[v]; e >= 0; e = g.nextOut[e]) if (g.edgeTo[e] === v) return true;
  return false;
}
