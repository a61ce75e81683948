/**
 * Unwind pads. Every site's check branches out to the save code, which reads every saved
 * local: each of those edges keeps all of them alive, so before each call V8 keeps values
 * the site does not need (its dead temporaries). A pad is a block that the checks of the
 * sites with one dead set branch to; it zeroes those locals, then goes on to the save code,
 * through the largest later pad whose set is a subset of its own (zeroing only the rest).
 *
 * Measured on QuickJS's interpreter (func 221: 486 sites, 50 saved locals, 152 distinct dead
 * sets; Node 20, 2026-12-02): the workload ran 0.525 s instead of 0.575 s (original about 0.37 s),
 * for 2.2 KB; with four pads for the commonest sets, 0.570 s. SQLite's VDBE loop in sql.js:
 * a recursive-CTE query 0.35 -> 0.235 s (original 0.16 s), for 4.9 KB. Padding every
 * function of QuickJS costs 43 KB and gains nothing more, so only functions with a peeled
 * loop get pads: there the sites are hot (FlowEnv.peelSites).
 */
import { hasLocal, type LocalSet } from '../../analysis/liveness.js';

export interface Pads {
  /** Each site's pad, or -1: it branches to the save code directly. */
  padOf: Int32Array;
  /** The locals each pad zeroes, before it goes on to pad `next[p]`. */
  zero: number[][];
  /** Where each pad goes on to: a later pad, or `zero.length`, the save code. */
  next: number[];
}

/** Pads beyond this many (the weightiest first) are not made: their sites use a subset's. */
const MAX_PADS = 255;

/**
 * `need` holds, for each of `nSites` sites, a W-word set of the locals its rewind reads;
 * `candidates` are the locals a pad may zero (saved, numeric). Null if no site has any.
 */
export function choosePads(need: Uint32Array, W: number, nSites: number, candidates: number[]): Pads | null {
  const mask = new Uint32Array(W);
  for (const x of candidates) mask[x >>> 5] |= 1 << (x & 31);
  // Distinct dead sets, with how many sites have each.
  const sets: LocalSet[] = [];
  const sizes: number[] = [];
  const uses: number[] = [];
  const byKey = new Map<string, number>();
  const setOf = new Int32Array(nSites).fill(-1);
  const dead = new Uint32Array(W);
  for (let k = 0; k < nSites; k++) {
    let size = 0;
    for (let w = 0; w < W; w++) size += popcount((dead[w] = mask[w] & ~need[k * W + w]));
    if (size === 0) continue;
    const key = dead.join(',');
    let s = byKey.get(key);
    if (s === undefined) {
      byKey.set(key, (s = sets.length));
      sets.push(dead.slice());
      sizes.push(size);
      uses.push(0);
    }
    uses[s]++;
    setOf[k] = s;
  }
  if (!sets.length) return null;
  // Largest first, so that a pad's subsets are later pads (outer blocks), and its best
  // subset is the first one found.
  let order = sets.map((_, s) => s).sort((a, b) => sizes[b] - sizes[a] || uses[b] - uses[a] || a - b);
  if (order.length > MAX_PADS) {
    const keep = new Set(order.slice().sort((a, b) => sizes[b] * uses[b] - sizes[a] * uses[a] || a - b).slice(0, MAX_PADS));
    order = order.filter((s) => keep.has(s));
  }
  const padOfSet = new Int32Array(sets.length).fill(-1);
  order.forEach((s, p) => (padOfSet[s] = p));
  const padOf = new Int32Array(nSites).fill(-1);
  for (let k = 0; k < nSites; k++) {
    const s = setOf[k];
    if (s < 0) continue;
    let p = padOfSet[s];
    if (p < 0) p = firstSubset(order, sets, 0, sets[s], W);
    padOf[k] = p < order.length ? p : -1;
  }
  const zero: number[][] = [];
  const next: number[] = [];
  for (let p = 0; p < order.length; p++) {
    const set = sets[order[p]];
    const q = firstSubset(order, sets, p + 1, set, W);
    const rest = q < order.length ? set.map((w, i) => w & ~sets[order[q]][i]) : set;
    zero.push(candidates.filter((x) => hasLocal(rest, x)));
    next.push(q);
  }
  return { padOf, zero, next };
}

/** The first pad from `from` on whose set is a subset of `set`, or order.length. */
function firstSubset(order: number[], sets: LocalSet[], from: number, set: LocalSet, W: number): number {
  let q = from;
  while (q < order.length && !subset(sets[order[q]], set, W)) q++;
  return q;
}

function subset(a: LocalSet, b: LocalSet, W: number): boolean {
  for (let w = 0; w < W; w++) if ((a[w] & ~b[w]) !== 0) return false;
  return true;
}

function popcount(v: number): number {
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
