/**
 * Dominators, by Cooper, Harvey and Kennedy's iterative algorithm ("A Simple, Fast
 * Dominance Algorithm", 2001): in reverse postorder, each node's immediate dominator is
 * the nearest common ancestor of its processed predecessors, found by walking two
 * fingers up the partial tree. It repeats until nothing changes: two passes for a
 * reducible graph (each pass is linear), a few more for an irreducible one.
 *
 * Nodes are numbered 0..n-1 in reverse postorder (loops.ts), 0 being the root, so a
 * dominator always has a smaller number than the nodes it dominates.
 */

/** Immediate dominator of each node (the root's is itself); `preds` in CSR form. */
export function immediateDominators(n: number, predStart: Int32Array, preds: Int32Array): Int32Array {
  const idom = new Int32Array(n).fill(-1);
  if (n === 0) return idom;
  idom[0] = 0;
  for (let changed = true; changed;) {
    changed = false;
    for (let b = 1; b < n; b++) {
      let best = -1;
      for (let k = predStart[b]; k < predStart[b + 1]; k++) {
        let p = preds[k];
        if (idom[p] < 0) continue;
        if (best < 0) {
          best = p;
          continue;
        }
        let q = best;
        while (p !== q) {
          while (p > q) p = idom[p];
          while (q > p) q = idom[q];
        }
        best = p;
      }
      if (idom[b] !== best) {
        idom[b] = best;
        changed = true;
      }
    }
  }
  return idom;
}

/**
 * The dominator tree: children in increasing number (so in reverse postorder), and an
 * interval numbering that answers "does a dominate b" in O(1).
 */
export class DomTree {
  readonly childStart: Int32Array;
  readonly children: Int32Array;
  private readonly pre: Int32Array;
  private readonly size: Int32Array;

  constructor(readonly idom: Int32Array) {
    const n = idom.length;
    const childStart = new Int32Array(n + 1);
    for (let b = 1; b < n; b++) childStart[idom[b] + 1]++;
    for (let b = 0; b < n; b++) childStart[b + 1] += childStart[b];
    const children = new Int32Array(Math.max(0, n - 1));
    const fill = childStart.slice(0, n);
    for (let b = 1; b < n; b++) children[fill[idom[b]]++] = b;
    // Subtree sizes bottom-up, then preorder intervals top-down: a parent is numbered before its children.
    const size = new Int32Array(n).fill(1);
    for (let b = n - 1; b > 0; b--) size[idom[b]] += size[b];
    const pre = new Int32Array(n);
    const next = new Int32Array(n);
    next[0] = 1;
    for (let b = 1; b < n; b++) {
      const p = idom[b];
      pre[b] = next[p];
      next[p] += size[b];
      next[b] = pre[b] + 1;
    }
    this.childStart = childStart;
    this.children = children;
    this.pre = pre;
    this.size = size;
  }

  /** The child of `a` whose subtree holds `b`, which `a` strictly dominates. */
  childToward(a: number, b: number): number {
    const { children, pre } = this;
    let lo = this.childStart[a];
    let hi = this.childStart[a + 1] - 1;
    // Children's subtrees are numbered left to right in child order.
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (pre[children[mid]] <= pre[b]) lo = mid;
      else hi = mid - 1;
    }
    return children[lo];
  }

  /** a's preorder number; its subtree holds the numbers [preorder(a), preorder(a) + subtreeSize(a)). */
  preorder(a: number): number {
    return this.pre[a];
  }

  subtreeSize(a: number): number {
    return this.size[a];
  }

  /** Whether a dominates b (every node dominates itself). */
  dominates(a: number, b: number): boolean {
    const d = this.pre[b] - this.pre[a];
    return d >= 0 && d < this.size[a];
  }
}
