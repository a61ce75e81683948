/**
 * The branch-hint section (`metadata.code.branch_hint`, branch hinting proposal): per
 * function, ascending, a vector of (byte offset from the start of the body's locals, hint
 * payload) with payload 0 (unlikely) or 1 (likely). Function vectors are kept encoded, so
 * a pass can keep untouched functions' hints as they were.
 */
import { Cursor, WasmDecodeError } from './cursor.js';
import { Sink } from './sink.js';

export const BRANCH_HINTS = 'metadata.code.branch_hint';

/** One function's hint vector. */
export function encodeFuncHints(hints: readonly { offset: number; value: number }[]): Uint8Array {
  const out = new Sink(8 + hints.length * 5);
  out.u32(hints.length);
  for (const h of hints) {
    out.u32(h.offset);
    out.u32(1);
    out.u8(h.value);
  }
  return out.result().slice();
}

/** The section's bytes, from each function's encoded vector. */
export function encodeBranchHintSection(funcs: Map<number, Uint8Array>): Uint8Array {
  const order = [...funcs.keys()].sort((a, b) => a - b);
  const out = new Sink(64);
  out.u32(order.length);
  for (const f of order) {
    out.u32(f);
    out.bytes(funcs.get(f)!);
  }
  return out.result().slice();
}

/** Each function's encoded vector, or null if the section does not parse. */
export function splitBranchHintSection(bytes: Uint8Array): Map<number, Uint8Array> | null {
  const funcs = new Map<number, Uint8Array>();
  try {
    const c = new Cursor(bytes);
    for (let n = c.u32(); n > 0; n--) {
      const func = c.u32();
      const start = c.pos;
      for (let k = c.u32(); k > 0; k--) {
        c.u32();
        c.bytes(c.u32());
      }
      funcs.set(func, bytes.slice(start, c.pos));
    }
    return c.eof() ? funcs : null;
  } catch (e) {
    if (e instanceof WasmDecodeError) return null;
    throw e;
  }
}
