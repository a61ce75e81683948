/**
 * Code fragments: ranges of a Body's instructions that are moved between bodies.
 *
 * A fragment is straight-line structured code: every block, loop, if, try and try_table
 * it opens it also closes, and its branches target only labels it opens itself. That is
 * what lets the structurizer wrap fragments in any nest of blocks and copy them
 * (node splitting) without renumbering anything inside.
 */
import type { Body } from '../ir/body.js';
import { Op } from '../ir/opcodes.js';

export { copyInstructions } from '../ir/body.js';

/** Why [from, to) of `body` is not a fragment (unbalanced structure), or null if it is one. */
export function fragmentError(body: Body, from: number, to: number): string | null {
  let depth = 0;
  for (let i = from; i < to; i++) {
    const op = body.ops[i];
    if (op === Op.block || op === Op.loop || op === Op.if || op === Op.try || op === Op.try_table) depth++;
    else if (op === Op.end || op === Op.delegate) {
      if (--depth < 0) return `instruction ${i - from} closes a construct the fragment did not open`;
    } else if ((op === Op.else || op === Op.catch || op === Op.catch_all) && depth === 0) {
      return `instruction ${i - from} continues a construct the fragment did not open`;
    }
  }
  return depth === 0 ? null : `${depth} construct(s) left open`;
}
