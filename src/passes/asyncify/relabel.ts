/**
 * Copying an instruction into a body whose block nesting differs from its source's:
 * every branch label is passed through `tr` (source depth → new depth). The rewrites
 * (flow.ts, catches.ts) insert blocks around code and use this for everything they
 * copy one by one.
 */
import { copyInstructions, type Body } from '../../ir/body.js';
import { Imm, OP_IMM, Op } from '../../ir/opcodes.js';

/** Appends instruction i of `src` to `out` with its labels retargeted. */
export function copyRelabeled(src: Body, i: number, out: Body, tr: (depth: number) => number): void {
  const op = src.ops[i];
  const imm = src.imm;
  const k = i * 4;
  switch (OP_IMM[op]) {
    case Imm.Label:
      out.push(op, tr(imm[k]));
      return;
    case Imm.BrOnCast:
      out.push(op, imm[k], tr(imm[k + 1]), imm[k + 2], imm[k + 3]);
      return;
    case Imm.BrTable: {
      const targets: number[] = [];
      for (let j = 0; j <= imm[k + 1]; j++) targets.push(tr(src.extra[imm[k] + j]));
      out.push(op, out.pushExtra(targets), imm[k + 1]);
      return;
    }
    default:
      copyInstructions(src, i, i + 1, out);
      // try_table's catch labels are resolved outside it: call before pushing its frame.
      if (op === Op.try_table) {
        const at = (out.length - 1) * 4;
        const start = out.imm[at + 2];
        for (let j = 0; j < out.imm[at + 3]; j++) out.extra[start + j * 3 + 2] = tr(out.extra[start + j * 3 + 2]);
      }
  }
}
