/**
 * Code fragments: ranges of a Body's instructions that are moved between bodies.
 *
 * A fragment is straight-line structured code: every block, loop, if, try and try_table
 * it opens it also closes, and its branches target only labels it opens itself. That is
 * what lets the structurizer wrap fragments in any nest of blocks and copy them
 * (node splitting) without renumbering anything inside.
 */
import type { Body } from '../ir/body.js';
import { Imm, OP_IMM, Op } from '../ir/opcodes.js';

/**
 * Appends instructions [from, to) of `src` to `dst`. Immediates that point into the
 * `extra` table (br_table targets, typed select, try_table clauses) are copied along.
 */
export function copyInstructions(src: Body, from: number, to: number, dst: Body): void {
  const n = to - from;
  if (n <= 0) return;
  const at = dst.length;
  if (at + n > dst.ops.length) dst.grow(at + n);
  dst.ops.set(src.ops.subarray(from, to), at);
  dst.imm.set(src.imm.subarray(from * 4, to * 4), at * 4);
  if (dst.offsets) dst.offsets.fill(0, at, at + n);
  dst.length = at + n;
  const ops = dst.ops;
  const imm = dst.imm;
  for (let i = at; i < at + n; i++) {
    const kind = OP_IMM[ops[i]];
    if (kind === Imm.BrTable) {
      const k = i * 4;
      imm[k] = dst.pushExtra(src.extra.subarray(imm[k], imm[k] + imm[k + 1] + 1));
    } else if (kind === Imm.SelectT) {
      const k = i * 4;
      imm[k] = dst.pushExtra(src.extra.subarray(imm[k], imm[k] + imm[k + 1]));
    } else if (kind === Imm.TryTable) {
      const k = i * 4;
      imm[k + 2] = dst.pushExtra(src.extra.subarray(imm[k + 2], imm[k + 2] + imm[k + 3] * 3));
    }
  }
}

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
