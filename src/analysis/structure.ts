/**
 * The block structure of a body, computed once: which instruction closes each opener,
 * and which opener each `else`/`catch`/`catch_all`/`end`/`delegate` belongs to. Passes
 * walk the flat IR with these instead of recursing.
 */
import type { Body } from '../ir/body.js';
import { OPS, Op } from '../ir/opcodes.js';

export interface Structure {
  /** For an opener (block, loop, if, try, try_table): its `end` or `delegate`. For the others: their opener. -1 elsewhere. */
  match: Int32Array;
  /** Index of the function body's final `end`. */
  last: number;
}

export const isOpener = (op: number): boolean =>
  op === Op.block || op === Op.loop || op === Op.if || op === Op.try || op === Op.try_table;
/** isOpener as a table by opcode, for per-instruction loops (a load instead of a call). */
export const OPENER = new Uint8Array(OPS.length);
for (const op of [Op.block, Op.loop, Op.if, Op.try, Op.try_table]) OPENER[op] = 1;

/**
 * Matches the structure of a valid body. `into`, if long enough, is filled instead of a
 * new array (a pass over thousands of bodies reuses one; `match` may then be longer).
 */
export function structureOf(body: Body, into: Int32Array | null = null): Structure {
  const n = body.length;
  const match = into !== null && into.length >= n ? into : new Int32Array(n);
  match.fill(-1, 0, n);
  const open: number[] = [];
  const ops = body.ops;
  for (let i = 0; i < n; i++) {
    const op = ops[i];
    if (OPENER[op] === 1) open.push(i);
    else if (op === Op.else || op === Op.catch || op === Op.catch_all) match[i] = open[open.length - 1];
    else if (op === Op.end || op === Op.delegate) {
      if (open.length === 0) return { match, last: i };
      const o = open.pop()!;
      match[o] = i;
      match[i] = o;
    }
  }
  return { match, last: n - 1 };
}
