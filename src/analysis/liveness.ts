/**
 * Local liveness over the structured body IR: which locals may be read after a given
 * instruction before being written. A backward walk with an explicit frame stack (no
 * recursion); a loop whose entry set grows has its body walked again, so each loop
 * settles locally (inner ones within each walk of the outer). Exceptions are conservative: an
 * instruction that may throw inside a `try`/`try_table` can continue at any enclosing
 * handler.
 *
 * Sets are bitsets (Uint32Array, one bit per local).
 */
import type { Body } from '../ir/body.js';
import { Imm, OP_BY_NAME, OP_IMM, OPS, Op } from '../ir/opcodes.js';
import { structureOf, type Structure } from './structure.js';

export type LocalSet = Uint32Array<ArrayBuffer>;

const BR_ON_NULL = OP_BY_NAME.get('br_on_null')!.id;
const BR_ON_NON_NULL = OP_BY_NAME.get('br_on_non_null')!.id;

/** What the walk does at each op; most are Plain (nothing). */
const enum K { Plain, Get, Set, Br, BrIf, BrOnCast, BrTable, Throws, End, Else, Catch, Opener, Kill, Call }
const KIND = new Uint8Array(OPS.length);
for (const op of OPS) if (OP_IMM[op.id] === Imm.BrOnCast) KIND[op.id] = K.BrOnCast;
for (const [kind, ops] of [
  [K.Get, [Op.local_get]], [K.Set, [Op.local_set, Op.local_tee]], [K.Br, [Op.br]], [K.BrIf, [Op.br_if, BR_ON_NULL, BR_ON_NON_NULL]],
  [K.BrTable, [Op.br_table]], [K.End, [Op.end, Op.delegate]], [K.Else, [Op.else]],
  [K.Catch, [Op.catch, Op.catch_all]], [K.Opener, [Op.block, Op.loop, Op.if, Op.try, Op.try_table]], [K.Kill, [Op.return, Op.unreachable]],
  [K.Throws, [Op.rethrow, Op.return_call, Op.return_call_indirect, Op.return_call_ref, Op.throw, Op.throw_ref]], [K.Call, [Op.call, Op.call_indirect, Op.call_ref]],
] as const) for (const op of ops) KIND[op] = kind;

export const hasLocal = (s: LocalSet, x: number): boolean => (s[x >>> 5] & (1 << (x & 31))) !== 0;

/**
 * The sets of one walk live in an arena reused from call to call (a set is the offset of
 * its W words; -1 is none), and the frames in parallel arrays: a walk makes a set at
 * every `end` and branch, and allocating each as its own array was most of its time.
 */
let arena = new Uint32Array(1 << 16);
let top = 0;
// Deep enough for nearly every real body from the start: growing them is a path first
// taken mid-run, which deoptimized the walk (measured on sql-wasm).
let fLabel = new Int32Array(1024);
let fExit = new Int32Array(1024);
let fElse = new Int32Array(1024);
let fHandlers = new Int32Array(1024);
let fOwn = new Int32Array(1024);

function growArena(min: number): void {
  const a = new Uint32Array(Math.max(min, arena.length * 2));
  a.set(arena.subarray(0, top));
  arena = a;
}

function growFrames(): void {
  const grow = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
    const b = new Int32Array(a.length * 2);
    b.set(a);
    return b;
  };
  fLabel = grow(fLabel);
  fExit = grow(fExit);
  fElse = grow(fElse);
  fHandlers = grow(fHandlers);
  fOwn = grow(fOwn);
}

/** A new empty set of W words. */
function fresh(W: number): number {
  if (top + W > arena.length) growArena(top + W);
  const o = top;
  arena.fill(0, o, o + W);
  top += W;
  return o;
}

/** A copy of set `from` (-1: an empty set). */
function copy(from: number, W: number): number {
  if (from < 0) return fresh(W);
  if (top + W > arena.length) growArena(top + W);
  const o = top;
  const a = arena;
  for (let j = 0; j < W; j++) a[o + j] = a[from + j];
  top += W;
  return o;
}

/** a |= b; whether a grew. */
function orInto(a: number, b: number, W: number): boolean {
  const s = arena;
  let changed = false;
  for (let j = 0; j < W; j++) {
    const v = (s[a + j] | s[b + j]) >>> 0;
    if (v !== s[a + j]) {
      s[a + j] = v;
      changed = true;
    }
  }
  return changed;
}

/**
 * Live-after sets for the instructions marked in `marks` (a copy each), by instruction
 * index: what may be read once the instruction is over, so for a call inside a try also
 * what its handlers read (it may throw instead of returning). `nlocals` counts parameters
 * and declared locals.
 */
export function liveAfter(body: Body, nlocals: number, marks: Uint8Array, structure: Structure = structureOf(body)): Map<number, LocalSet> {
  const W = (nlocals + 31) >>> 5;
  const { match, last } = structure;
  const ops = body.ops;
  const imm = body.imm;
  const extra = body.extra;
  const loopLive = new Map<number, number>();
  const out = new Map<number, LocalSet>();
  top = 0;
  let fp = 0; // frames in use
  let live = fresh(W);
  const label = (d: number): number => fLabel[fp - 1 - d];
  const throwTo = (): number => (fp ? fHandlers[fp - 1] : -1);
  for (let i = last; i >= 0; i--) {
    const kind = KIND[ops[i]];
    if (kind === K.Plain) continue;
    const k = i * 4;
    if (kind === K.Get) {
      const x = imm[k];
      arena[live + (x >>> 5)] |= 1 << (x & 31);
      continue;
    }
    if (kind === K.Set) {
      const x = imm[k];
      arena[live + (x >>> 5)] &= ~(1 << (x & 31));
      continue;
    }
    if (marks[i] !== 0 && kind !== K.Call) out.set(i, arena.slice(live, live + W));
    switch (kind) {
      case K.Br:
        live = copy(label(imm[k]), W);
        continue;
      case K.BrIf:
        orInto(live, label(imm[k]), W);
        continue;
      case K.BrOnCast:
        orInto(live, label(imm[k + 1]), W);
        continue;
      case K.BrTable: {
        const start = imm[k];
        const n = imm[k + 1];
        const next = fresh(W);
        for (let j = 0; j <= n; j++) orInto(next, label(extra[start + j]), W);
        live = next;
        continue;
      }
      case K.Throws:
        live = copy(throwTo(), W);
        continue;
      case K.End: {
        const exit = copy(live, W);
        const opener = i === last ? -1 : match[i];
        const opOf = opener < 0 ? -1 : ops[opener];
        let handlers = fp ? fHandlers[fp - 1] : -1;
        if (opOf === Op.try_table) {
          // Catch clauses branch to labels outside the try_table.
          const t = copy(handlers, W);
          const ok = opener * 4;
          for (let j = 0; j < imm[ok + 3]; j++) orInto(t, label(extra[imm[ok + 2] + j * 3 + 2]), W);
          handlers = t;
        }
        let lbl = exit;
        if (opOf === Op.loop) {
          let l = loopLive.get(opener);
          if (l === undefined) loopLive.set(opener, (l = fresh(W)));
          lbl = l;
        }
        const own = opOf === Op.try ? fresh(W) : -1;
        if (fp === fLabel.length) growFrames();
        fLabel[fp] = lbl;
        fExit[fp] = exit;
        fElse[fp] = -1;
        fHandlers[fp] = handlers;
        fOwn[fp] = own;
        fp++;
        continue;
      }
      case K.Else:
        fElse[fp - 1] = live;
        live = copy(fExit[fp - 1], W);
        continue;
      case K.Catch: {
        const f = fp - 1;
        orInto(fOwn[f], live, W);
        const h = copy(f > 0 ? fHandlers[f - 1] : -1, W);
        orInto(h, fOwn[f], W);
        fHandlers[f] = h;
        live = copy(fExit[f], W);
        continue;
      }
      case K.Opener: {
        const f = --fp;
        const op = ops[i];
        if (op === Op.if) orInto(live, fElse[f] >= 0 ? fElse[f] : fExit[f], W);
        else if (op === Op.loop && orInto(loopLive.get(i)!, live, W)) {
          // The loop's entry set grew: walk its body again from its end (the frame's
          // label is that same set), until it is stable.
          fp++;
          live = copy(fExit[f], W);
          i = match[i];
        }
        continue;
      }
      case K.Kill:
        live = fresh(W);
        continue;
      case K.Call: {
        const h = throwTo();
        if (h >= 0) orInto(live, h, W);
        if (marks[i] !== 0) out.set(i, arena.slice(live, live + W));
        continue;
      }
      default:
        continue;
    }
  }
  return out;
}
