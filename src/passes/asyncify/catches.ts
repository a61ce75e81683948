/**
 * Legacy `catch` bodies cannot be re-entered when rewinding (only a throw gets there), so
 * before the asyncify rewrite, a `try` whose handlers contain a call that may unwind has
 * those handlers (the hot ones) moved out of their catch clauses:
 *
 *     try (bt) B catch $t1 H1 … catch_all Hn end
 *  →
 *     block $done (bt)  block $hn … block $h1 (result payload(t1))
 *       try (bt) B catch $t1 br $h1 … catch_all br $hn end  br $done
 *     end $h1  H1  br $done  …  end $hn  Hn
 *     end $done
 *
 * Each moved handler then runs as ordinary code with its payload on the stack, so the
 * rewrite can jump into it; a handler without such calls stays in its clause. The try's
 * parameters pass through the handler blocks, whose types (several payload values, or
 * parameters) come from `typeIndex`.
 *
 * A moved handler that `rethrow`s its exception no longer has the catch frame. Capturing
 * the exception as an exnref would mix legacy and new exception handling in one module,
 * which V8 rejects, so it is thrown again from what is known of it: a `catch $t` clause
 * keeps its payload in locals, and `rethrow` becomes `throw $t` of them. A `catch_all`
 * handler (C++ cleanups: destructors, then rethrow) is reached through added clauses
 * `catch $t` for every tag of the module that the try does not catch before it, each
 * keeping the payload and which tag it was; an exception of no tag of the module (from
 * JS, say) still goes to `catch_all`, where a copy of the handler runs in place, with a
 * real rethrow, but cannot suspend: its calls that may unwind trap if they start to
 * (`guarded`; its tail calls become calls delegated to the caller, then `return`). Within wasm the thrown-again exception is the same; JS sees a new
 * exception object (same tag and payload) where the original came from JS.
 */
import { structureOf } from '../../analysis/structure.js';
import { Body, blockTypeAt, copyInstructions } from '../../ir/body.js';
import { OP_BY_NAME, OPS, Op } from '../../ir/opcodes.js';
import { copyRelabeled } from './relabel.js';
import { I32, I64, nullableOf, refNullable, refType, type ValType } from '../../ir/types.js';
import type { ModuleContext } from '../../validate/context.js';

export interface Hoisted {
  body: Body;
  /** Calls (indices in `body`) in catch bodies kept in place: not sites, each followed by a trap if it starts an unwind. */
  guarded: Uint8Array | null;
}

/** How a try with hot handlers is rewritten. */
interface Plan {
  clauses: number[];
  /** Per clause: its handler block's rank (innermost 0) if moved out, else -1. */
  rank: number[];
  /** Per clause: the locals its payload is kept in (for a rethrow), or null. */
  capture: (number[] | null)[];
  /** The tags added before a moved catch_all that rethrows, with their payload locals and the local telling which. */
  extras: number[];
  extraLocals: number[][];
  kind: number;
  /** Whether the try's catch_all is moved out and rethrows (it then gets the extra clauses). */
  catchAllRethrows: boolean;
}

/**
 * Rewrites the tries whose handlers contain calls that `mayUnwind` (instruction indices
 * of `src`); null if there are none. `state` is the asyncify state global.
 */
export function hoistCatches(
  src: Body, ctx: ModuleContext, nParams: number, mayUnwind: (i: number) => boolean, state: number,
  typeIndex: (params: ValType[], results: ValType[]) => number,
): Hoisted | null {
  const { match, last } = structureOf(src);
  const ops = src.ops;
  const imm = src.imm;
  const clauses = new Map<number, number[]>();
  for (let i = 0; i < last; i++) if (ops[i] === Op.catch || ops[i] === Op.catch_all) {
    const t = match[i];
    let list = clauses.get(t);
    if (!list) clauses.set(t, (list = []));
    list.push(i);
  }
  let nLocals = nParams;
  for (let j = 0; j < src.locals.length; j += 2) nLocals += src.locals[j];
  const newLocals: number[] = [];
  const addLocal = (t: ValType): number => {
    newLocals.push(1, nullableOf(t));
    return nLocals++;
  };
  const payloadOf = (tag: number): ValType[] => ctx.types.func(ctx.tags[tag])!.params;
  const clauseEnd = (list: number[], j: number, t: number): number => (j + 1 < list.length ? list[j + 1] : match[t]);

  const plans = new Map<number, Plan>();
  for (const [t, list] of clauses) {
    const rank: number[] = [];
    const capture: (number[] | null)[] = [];
    let moved = 0;
    const plan: Plan = { clauses: list, rank, capture, extras: [], extraLocals: [], kind: -1, catchAllRethrows: false };
    for (let j = 0; j < list.length; j++) {
      const c = list[j];
      const end = clauseEnd(list, j, t);
      let hot = false;
      for (let i = c + 1; i < end && !hot; i++) hot = mayUnwind(i);
      rank.push(hot ? moved++ : -1);
      const keep = hot && rethrows(src, c, end);
      if (!keep) capture.push(null);
      else if (ops[c] === Op.catch) capture.push(payloadOf(imm[c * 4]).map(addLocal));
      else {
        capture.push(null);
        plan.catchAllRethrows = true;
        const caught = new Set(list.slice(0, j).map((x) => imm[x * 4]));
        for (let tag = 0; tag < ctx.tags.length; tag++) {
          if (caught.has(tag)) continue;
          plan.extras.push(tag);
          plan.extraLocals.push(payloadOf(tag).map(addLocal));
        }
        if (plan.extras.length > 1) plan.kind = addLocal(I32);
      }
    }
    if (moved) plans.set(t, plan);
  }
  if (!plans.size) return null;
  const out = new Body(src.length + clauses.size * 16);
  out.locals = [...src.locals, ...newLocals];

  let eDepth = 0;
  const frames: number[] = [];
  const tr = (d: number): number => eDepth - 1 - frames[frames.length - 1 - d];
  // For a rewritten try being emitted: its $done frame index; for a moved handler being
  // emitted, which (try, clause) its label 0 (now $done) stands for.
  const done = new Map<number, number>();
  const handlerOf = new Map<number, { t: number; j: number }>();
  const guarded: number[] = [];
  // Per rewritten try: how many of its moved handlers have started.
  const started = new Map<number, number>();

  const pushLocals = (xs: number[], types: ValType[]): void => {
    for (let p = 0; p < xs.length; p++) {
      out.push(Op.local_get, xs[p]);
      if (!refNullable(types[p])) out.push(REF_AS_NON_NULL);
    }
  };
  const keepPayload = (xs: number[], types: ValType[]): void => {
    for (let p = xs.length - 1; p >= 0; p--) out.push(Op.local_set, xs[p]);
    pushLocals(xs, types);
  };
  /** A rethrow of label d: of a moved handler, thrown again from what was kept; else as it is. */
  const rethrow = (i: number): void => {
    const target = handlerOf.get(frames[frames.length - 1 - imm[i * 4]]);
    if (!target) {
      copyRelabeled(src, i, out, tr);
      return;
    }
    const plan = plans.get(target.t)!;
    const c = plan.clauses[target.j];
    if (ops[c] === Op.catch) {
      pushLocals(plan.capture[target.j]!, payloadOf(imm[c * 4]));
      out.push(Op.throw, imm[c * 4]);
      return;
    }
    const { extras, extraLocals, kind } = plan;
    if (!extras.length) out.push(Op.unreachable); // only exceptions of no tag of the module get here, and they stay in place
    for (let e = 0; e < extras.length; e++) {
      const lastOne = e === extras.length - 1;
      if (!lastOne) {
        out.push(Op.local_get, kind);
        out.push(Op.i32_const, e);
        out.push(I32_EQ);
        out.push(Op.if, EMPTY_BLOCK);
      }
      pushLocals(extraLocals[e], payloadOf(extras[e]));
      out.push(Op.throw, extras[e]);
      if (!lastOne) out.push(Op.end);
    }
  };
  /** Copies instructions [from, to) as they are (relabeled); with `guard`, its calls that may unwind trap if they do. */
  const copyInPlace = (from: number, to: number, guard: boolean): void => {
    for (let i = from; i < to; i++) {
      const op = ops[i];
      if (op === Op.rethrow) rethrow(i);
      else if (op === Op.end) {
        out.push(Op.end);
        frames.pop();
        eDepth--;
      } else if (op === Op.delegate) {
        frames.pop();
        eDepth--;
        out.push(Op.delegate, tr(imm[i * 4]));
      } else if (guard && mayUnwind(i)) {
        const tail = TAIL_TO_CALL[op];
        // A tail call made a call: what its callee throws must still pass every handler of
        // this function, so it is delegated to the caller (as flow.ts does for sites).
        if (tail) {
          const k = i * 4;
          const fn = ctx.types.func(op === Op.return_call ? ctx.funcs[imm[k]] : imm[k])!;
          const callee = op === Op.return_call ? [] : op === Op.return_call_indirect ? [ctx.tables[imm[k + 1]].addr64 ? I64 : I32] : [refType(true, imm[k])];
          out.push(Op.try, typeIndex([...fn.params, ...callee], fn.results));
        }
        copyInstructions(src, i, i + 1, out);
        if (tail) out.ops[out.length - 1] = tail;
        guarded.push(out.length - 1);
        if (tail) out.push(Op.delegate, eDepth - 1); // the function's label
        out.push(Op.global_get, state);
        out.push(Op.if, EMPTY_BLOCK);
        out.push(Op.unreachable);
        out.push(Op.end);
        if (tail) out.push(Op.return);
      } else {
        copyRelabeled(src, i, out, tr);
        if (op === Op.block || op === Op.loop || op === Op.if || op === Op.try || op === Op.try_table) frames.push(eDepth++);
      }
    }
  };
  /** The clauses of a rewritten try, at the end of its body, and the end of the try. */
  const emitClauses = (t: number): void => {
    const plan = plans.get(t)!;
    const list = plan.clauses;
    for (let j = 0; j < list.length; j++) {
      const c = list[j];
      const rank = plan.rank[j];
      const end = clauseEnd(list, j, t);
      if (rank < 0) {
        out.push(ops[c], imm[c * 4]);
        copyInPlace(c + 1, end, false);
        continue;
      }
      if (ops[c] === Op.catch) {
        out.push(Op.catch, imm[c * 4]);
        const keep = plan.capture[j];
        if (keep) keepPayload(keep, payloadOf(imm[c * 4]));
        out.push(Op.br, rank + 1);
        continue;
      }
      if (!plan.catchAllRethrows) {
        out.push(Op.catch_all);
        out.push(Op.br, rank + 1);
        continue;
      }
      plan.extras.forEach((tag, e) => {
        out.push(Op.catch, tag);
        for (let p = plan.extraLocals[e].length - 1; p >= 0; p--) out.push(Op.local_set, plan.extraLocals[e][p]);
        if (plan.kind >= 0) {
          out.push(Op.i32_const, e);
          out.push(Op.local_set, plan.kind);
        }
        out.push(Op.br, rank + 1);
      });
      out.push(Op.catch_all);
      copyInPlace(c + 1, end, true);
    }
    out.push(Op.end);
    eDepth--;
    out.push(Op.br, eDepth - 1 - done.get(t)!);
  };

  frames.push(eDepth++); // the function
  for (let i = 0; i <= last; i++) {
    const op = ops[i];
    const k = i * 4;
    if (op === Op.try && plans.has(i)) {
      const plan = plans.get(i)!;
      copyInstructions(src, i, i + 1, out);
      out.ops[out.length - 1] = Op.block;
      done.set(i, eDepth++);
      started.set(i, 0);
      const bt = blockTypeAt(src, i);
      const params = bt.kind === 'func' ? ctx.types.func(bt.typeIndex)!.params : [];
      for (let j = plan.clauses.length - 1; j >= 0; j--) {
        if (plan.rank[j] < 0) continue;
        const c = plan.clauses[j];
        const payload = ops[c] === Op.catch ? payloadOf(imm[c * 4]) : [];
        if (params.length || payload.length > 1) out.push(Op.block, typeIndex(params, payload));
        else if (payload.length) out.push(Op.block, (payload[0] & 0xff) - 0x80, payload[0] >> 8);
        else out.push(Op.block, EMPTY_BLOCK);
        eDepth++;
      }
      copyInstructions(src, i, i + 1, out);
      frames.push(eDepth++);
      continue;
    }
    if ((op === Op.catch || op === Op.catch_all) && plans.has(match[i])) {
      const t = match[i];
      const plan = plans.get(t)!;
      const j = plan.clauses.indexOf(i);
      if (j === 0) emitClauses(t);
      if (plan.rank[j] < 0) {
        // Emitted in place: skip it.
        i = clauseEnd(plan.clauses, j, t) - 1;
        continue;
      }
      const n = started.get(t)!;
      started.set(t, n + 1);
      if (n > 0) out.push(Op.br, eDepth - 1 - done.get(t)!);
      out.push(Op.end); // this handler's block
      eDepth--;
      // The handler's label 0 (the try) is now $done.
      frames[frames.length - 1] = done.get(t)!;
      handlerOf.set(done.get(t)!, { t, j });
      continue;
    }
    if (op === Op.end && i < last && plans.has(match[i])) {
      out.push(Op.end); // $done
      eDepth--;
      frames.pop();
      handlerOf.delete(done.get(match[i])!);
      continue;
    }
    switch (op) {
      case Op.block:
      case Op.loop:
      case Op.if:
      case Op.try:
      case Op.try_table:
        copyRelabeled(src, i, out, tr);
        frames.push(eDepth++);
        continue;
      case Op.end:
        out.push(Op.end);
        frames.pop();
        eDepth--;
        continue;
      case Op.delegate:
        frames.pop();
        eDepth--;
        out.push(Op.delegate, tr(imm[k]));
        continue;
      case Op.rethrow:
        rethrow(i);
        continue;
      default:
        break;
    }
    copyRelabeled(src, i, out, tr);
  }
  let mask: Uint8Array | null = null;
  if (guarded.length) {
    mask = new Uint8Array(out.length);
    for (const g of guarded) mask[g] = 1;
  }
  return { body: out, guarded: mask };
}

const EMPTY_BLOCK = -64;
const REF_AS_NON_NULL = OP_BY_NAME.get('ref.as_non_null')!.id;
const I32_EQ = OP_BY_NAME.get('i32.eq')!.id;
/** A tail call's plain form (0: not a tail call). */
const TAIL_TO_CALL = new Int32Array(OPS.length);
TAIL_TO_CALL[Op.return_call] = Op.call;
TAIL_TO_CALL[Op.return_call_indirect] = Op.call_indirect;
TAIL_TO_CALL[Op.return_call_ref] = Op.call_ref;

/** Does the handler [from, to) of a try rethrow its exception (a rethrow whose label is the try)? */
function rethrows(src: Body, from: number, to: number): boolean {
  let depth = 0;
  for (let i = from + 1; i < to; i++) {
    const op = src.ops[i];
    if (op === Op.block || op === Op.loop || op === Op.if || op === Op.try || op === Op.try_table) depth++;
    else if (op === Op.end || op === Op.delegate) depth--;
    else if (op === Op.rethrow && src.imm[i * 4] === depth) return true;
  }
  return false;
}
