/**
 * Legacy `catch` bodies cannot be re-entered when rewinding (only a throw gets there), so
 * before the asyncify rewrite, a `try` whose handlers contain a call that may unwind has
 * its handlers moved out of the catch clauses:
 *
 *     try (bt) B catch $t1 H1 … catch_all Hn end
 *  →
 *     block $done (bt)  block $hn … block $h1 (result payload(t1))
 *       try (bt) B catch $t1 br $h1 … catch_all br $hn end  br $done
 *     end $h1  H1  br $done  …  end $hn  Hn
 *     end $done
 *
 * Each handler then runs as ordinary code with its payload on the stack, so the rewrite
 * can jump into it. The try's parameters pass through the handler blocks, whose types
 * (several payload values, or parameters) come from `typeIndex`. A handler that `rethrow`s
 * its exception needs the catch frame, so such a try is left alone (and the rewrite reports
 * it): capturing the exception as an exnref would mix legacy and new exception handling in
 * one module, which V8 rejects.
 */
import { structureOf } from '../../analysis/structure.js';
import { Body, blockTypeAt, copyInstructions } from '../../ir/body.js';
import { Op } from '../../ir/opcodes.js';
import { copyRelabeled } from './relabel.js';
import type { ValType } from '../../ir/types.js';
import type { ModuleContext } from '../../validate/context.js';

/** Rewrites the tries selected by `hot` (given a try's index and its first catch); null if none qualifies. */
export function hoistCatches(
  src: Body, ctx: ModuleContext, hot: (tryIndex: number, firstCatch: number) => boolean,
  typeIndex: (params: ValType[], results: ValType[]) => number,
): Body | null {
  const { match, last } = structureOf(src);
  const ops = src.ops;
  const imm = src.imm;
  // The catch clauses of each try, and whether it can be rewritten.
  const clauses = new Map<number, number[]>();
  for (let i = 0; i < last; i++) if (ops[i] === Op.catch || ops[i] === Op.catch_all) {
    const t = match[i];
    let list = clauses.get(t);
    if (!list) clauses.set(t, (list = []));
    list.push(i);
  }
  const chosen = new Set<number>();
  for (const [t, list] of clauses) {
    if (!hot(t, list[0])) continue;
    if (rethrowsInHandlers(src, t, list[0], match[t])) continue;
    chosen.add(t);
  }
  if (!chosen.size) return null;

  const out = new Body(src.length + chosen.size * 16);
  out.locals = src.locals.slice();
  let eDepth = 0;
  const frames: number[] = [];
  const tr = (d: number): number => eDepth - 1 - frames[frames.length - 1 - d];
  // For a chosen try being emitted: its $done frame index.
  const done = new Map<number, number>();
  frames.push(eDepth++); // the function
  for (let i = 0; i <= last; i++) {
    const op = ops[i];
    const k = i * 4;
    if (op === Op.try && chosen.has(i)) {
      const list = clauses.get(i)!;
      copyInstructions(src, i, i + 1, out);
      out.ops[out.length - 1] = Op.block;
      done.set(i, eDepth++);
      const bt = blockTypeAt(src, i);
      const params = bt.kind === 'func' ? ctx.types.func(bt.typeIndex)!.params : [];
      for (let j = list.length - 1; j >= 0; j--) {
        const c = list[j];
        const payload = ops[c] === Op.catch ? ctx.types.func(ctx.tags[imm[c * 4]])!.params : [];
        if (params.length || payload.length > 1) out.push(Op.block, typeIndex(params, payload));
        else if (payload.length) out.push(Op.block, (payload[0] & 0xff) - 0x80, payload[0] >> 8);
        else out.push(Op.block, -64);
        eDepth++;
      }
      copyInstructions(src, i, i + 1, out);
      frames.push(eDepth++);
      continue;
    }
    if ((op === Op.catch || op === Op.catch_all) && chosen.has(match[i])) {
      const t = match[i];
      const list = clauses.get(t)!;
      const at = list.indexOf(i);
      if (at === 0) {
        // End of the body: every clause branches to its handler block, h1 innermost.
        for (let j = 0; j < list.length; j++) {
          const c = list[j];
          out.push(ops[c], imm[c * 4]);
          out.push(Op.br, j + 1);
        }
        out.push(Op.end);
        eDepth--;
        out.push(Op.br, eDepth - 1 - done.get(t)!);
      } else {
        out.push(Op.br, eDepth - 1 - done.get(t)!);
      }
      out.push(Op.end); // $h(at+1)
      eDepth--;
      // The handler's label 0 (the try) is now $done.
      frames[frames.length - 1] = done.get(t)!;
      continue;
    }
    if (op === Op.end && i < last && chosen.has(match[i])) {
      out.push(Op.end); // $done
      eDepth--;
      frames.pop();
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
      default:
        break;
    }
    copyRelabeled(src, i, out, tr);
  }
  return out;
}

/** Does a handler of the try at `t` rethrow its own exception (a rethrow whose label is this try)? */
function rethrowsInHandlers(src: Body, t: number, from: number, to: number): boolean {
  let depth = 0;
  for (let i = from; i < to; i++) {
    const op = src.ops[i];
    if (op === Op.block || op === Op.loop || op === Op.if || op === Op.try || op === Op.try_table) depth++;
    else if (op === Op.end || op === Op.delegate) depth--;
    else if (op === Op.rethrow && src.imm[i * 4] === depth) return true;
  }
  void t;
  return false;
}
