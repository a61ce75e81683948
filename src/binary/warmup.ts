/**
 * JIT warm-up for the instruction loops, for worker threads that would otherwise sit
 * idle while the main thread reads the module. V8 optimizes decodeInstructions and
 * encodeInstructions with the type feedback gathered so far; a branch first taken after
 * that deoptimizes them and costs a recompile (~25 ms each on a small machine). Running
 * both over a body that holds every instruction kind first fills in that feedback.
 * (On the main thread it did not pay for itself: measured, the total stayed the same.)
 */
import { Body } from '../ir/body.js';
import { Imm, OPS, Op } from '../ir/opcodes.js';
import { emptyModule } from '../ir/module.js';
import { encodeBody } from './encode-body.js';
import { encodeCodeEntries } from './encode.js';
import { Sink } from './sink.js';

let done = false;

/** A body holding every instruction, twice: with one-byte immediates (the fast paths) and larger ones. */
function everyInstruction(): Body {
  const body = new Body();
  body.locals.push(1, 0x7f, 1, (0x10 << 8) | 0x63);
  let depth = 0;
  for (const small of [true, false]) {
    for (const op of OPS) {
      if (!op.name || op.id === Op.end || op.id === Op.delegate) continue;
      switch (op.imm) {
        case Imm.Block: body.push(op.id, small ? -64 : -1); depth++; break;
        case Imm.TryTable: body.push(op.id, -1, 0, body.pushExtra([0, 0, 0, 2, 0, 1]), 2); depth++; break;
        case Imm.BrTable: body.push(op.id, body.pushExtra([0, 1, 300]), 2); break;
        case Imm.SelectT: body.push(op.id, body.pushExtra([0x7f]), 1); break;
        case Imm.HeapType: body.push(op.id, -16); break;
        case Imm.BrOnCast: body.push(op.id, 1, 0, -16, 5); break;
        case Imm.I64: case Imm.F64: body.push(op.id, -1, small ? 0 : 0x12345); break;
        // alignment 2^2, offset 8; or with an explicit memory index and offset > 127 (the slow path)
        case Imm.Memarg: body.push(op.id, small ? 2 : 0x42, small ? 0 : 1, small ? 8 : 70000); break;
        case Imm.MemargLane: body.push(op.id, (small ? 2 : 0x42) | (3 << 8), small ? 0 : 1, small ? 8 : 70000); break;
        default: body.push(op.id, small ? 3 : 200, 1, small ? 5 : 70000, 1); break;
      }
    }
  }
  body.push(Op.try, -64);
  body.push(Op.delegate, 0);
  for (let i = 0; i <= depth; i++) body.push(Op.end);
  return body;
}

/**
 * Runs the decode/encode paths over a synthetic code section, through the same calls a
 * re-encode makes, for about `ms` milliseconds (at least a few rounds: V8 allocates a
 * function's feedback vector only after several calls). `shared` puts the input in a
 * SharedArrayBuffer, as the worker pool does, so the optimized code fits that input too.
 */
export function warmUp(shared = false, ms = 0): void {
  if (done) return;
  done = true;
  const entry = new Sink();
  encodeBody(everyInstruction(), entry);
  const code = entry.result();
  const copies = 8;
  const src = new Uint8Array(shared ? new SharedArrayBuffer(code.length * copies) : new ArrayBuffer(code.length * copies));
  const m = emptyModule();
  m.source = src;
  m.hasDataCount = true;
  for (let i = 0; i < copies; i++) {
    src.set(code, i * code.length);
    m.funcs.push({ type: 0, body: null, raw: src.subarray(i * code.length, (i + 1) * code.length), offset: i * code.length });
  }
  const scratch = new Body();
  const until = performance.now() + ms;
  for (let round = 0; round < 12 || performance.now() < until; round++) {
    encodeCodeEntries(m, 0, copies, new Sink(code.length * copies + 64), scratch);
  }
}
