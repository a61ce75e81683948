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
import { Imm, OP_BY_NAME, OP_IMM, Op } from '../ir/opcodes.js';
import { structureOf, type Structure } from './structure.js';

export type LocalSet = Uint32Array<ArrayBuffer>;

const BR_ON_NULL = OP_BY_NAME.get('br_on_null')!.id;
const BR_ON_NON_NULL = OP_BY_NAME.get('br_on_non_null')!.id;

export const hasLocal = (s: LocalSet, x: number): boolean => (s[x >>> 5] & (1 << (x & 31))) !== 0;

interface Frame {
  /** Live at the frame's label: after its end, or at a loop's start. */
  label: LocalSet;
  /** Live after the end (for `else`/`catch` to restart from). */
  exit: LocalSet;
  /** Live at the start of the else arm, once walked. */
  elseStart: LocalSet | null;
  /** Union of live sets where an exception thrown inside may continue (this and outer handlers). */
  handlers: LocalSet | null;
  /** A legacy try's own handlers, collected from its catch bodies. */
  own: LocalSet | null;
}

const orInto = (a: LocalSet, b: LocalSet): boolean => {
  let changed = false;
  for (let i = 0; i < a.length; i++) {
    const v = (a[i] | b[i]) >>> 0;
    if (v !== a[i]) {
      a[i] = v;
      changed = true;
    }
  }
  return changed;
};

/**
 * Live-after sets for the instructions marked in `marks` (a copy each), by instruction
 * index. `nlocals` counts parameters and declared locals.
 */
export function liveAfter(body: Body, nlocals: number, marks: Uint8Array, structure: Structure = structureOf(body)): Map<number, LocalSet> {
  const W = (nlocals + 31) >>> 5;
  const { match, last } = structure;
  const ops = body.ops;
  const imm = body.imm;
  const extra = body.extra;
  const loopLive = new Map<number, LocalSet>();
  const out = new Map<number, LocalSet>();
  const empty = new Uint32Array(W);
  {
    const frames: Frame[] = [];
    let live = new Uint32Array(W);
    const label = (d: number): LocalSet => frames[frames.length - 1 - d].label;
    const throwTo = (): LocalSet | null => frames[frames.length - 1].handlers;
    for (let i = last; i >= 0; i--) {
      const op = ops[i];
      if (marks[i] !== 0) out.set(i, live.slice());
      const k = i * 4;
      switch (OP_IMM[op]) {
        case Imm.Local: {
          const x = imm[k];
          if (op === Op.local_get) live[x >>> 5] |= 1 << (x & 31);
          else live[x >>> 5] &= ~(1 << (x & 31));
          continue;
        }
        case Imm.Label:
          if (op === Op.br) {
            live = label(imm[k]).slice();
            continue;
          }
          if (op === Op.br_if || op === BR_ON_NULL || op === BR_ON_NON_NULL) {
            orInto(live, label(imm[k]));
            continue;
          }
          if (op === Op.rethrow) {
            live = (throwTo() ?? empty).slice();
            continue;
          }
          break; // delegate: closes a frame, below
        case Imm.BrOnCast:
          orInto(live, label(imm[k + 1]));
          continue;
        case Imm.BrTable: {
          const start = imm[k];
          const n = imm[k + 1];
          const next = new Uint32Array(W);
          for (let j = 0; j <= n; j++) orInto(next, label(extra[start + j]));
          live = next;
          continue;
        }
        default:
          break;
      }
      switch (op) {
        case Op.end:
        case Op.delegate: {
          const parent = frames.length ? frames[frames.length - 1] : null;
          const exit = live.slice();
          const opener = i === last ? -1 : match[i];
          const kind = opener < 0 ? -1 : ops[opener];
          let handlers = parent ? parent.handlers : null;
          if (kind === Op.try_table) {
            // Catch clauses branch to labels outside the try_table.
            const t = handlers ? handlers.slice() : new Uint32Array(W);
            const ok = opener * 4;
            for (let j = 0; j < imm[ok + 3]; j++) orInto(t, label(extra[imm[ok + 2] + j * 3 + 2]));
            handlers = t;
          }
          let lbl = exit;
          if (kind === Op.loop) {
            let l = loopLive.get(opener);
            if (!l) loopLive.set(opener, (l = new Uint32Array(W)));
            lbl = l;
          }
          frames.push({ label: lbl, exit, elseStart: null, handlers, own: kind === Op.try ? new Uint32Array(W) : null });
          continue;
        }
        case Op.else: {
          const f = frames[frames.length - 1];
          f.elseStart = live;
          live = f.exit.slice();
          continue;
        }
        case Op.catch:
        case Op.catch_all: {
          const f = frames[frames.length - 1];
          orInto(f.own!, live);
          const parent = frames[frames.length - 2];
          const h = parent && parent.handlers ? parent.handlers.slice() : new Uint32Array(W);
          orInto(h, f.own!);
          f.handlers = h;
          live = f.exit.slice();
          continue;
        }
        case Op.block:
        case Op.loop:
        case Op.if:
        case Op.try:
        case Op.try_table: {
          const f = frames.pop()!;
          if (op === Op.if) orInto(live, f.elseStart ?? f.exit);
          else if (op === Op.loop && orInto(loopLive.get(i)!, live)) {
            // The loop's entry set grew: walk its body again from its end (the frame's
            // label is that same set), until it is stable.
            frames.push(f);
            live = f.exit.slice();
            i = match[i];
          }
          continue;
        }
        case Op.return:
        case Op.unreachable:
          live = new Uint32Array(W);
          continue;
        case Op.return_call:
        case Op.return_call_indirect:
        case Op.return_call_ref:
        case Op.throw:
        case Op.throw_ref:
          live = (throwTo() ?? empty).slice();
          continue;
        case Op.call:
        case Op.call_indirect:
        case Op.call_ref: {
          const h = throwTo();
          if (h) orInto(live, h);
          continue;
        }
        default:
          continue;
      }
    }
  }
  return out;
}
