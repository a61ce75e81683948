/**
 * Worker-thread entry of the pool. A job names its kind; for `reencode` the worker
 * claims chunks from the back of the shared counter, re-encodes their bodies from the
 * shared input and posts each chunk back as a transferred buffer, then posts `done`.
 */
import { parentPort } from 'node:worker_threads';
import { WasmDecodeError } from '../binary/cursor.js';
import { warmUp } from '../binary/warmup.js';
import { Body } from '../ir/body.js';
import { emptyModule, type Func } from '../ir/module.js';
import { claim, encodeChunk } from './reencode.js';

interface ReencodeJob {
  job: number;
  type: 'reencode';
  src: Uint8Array;
  ranges: Int32Array;
  chunks: Int32Array;
  local: Uint8Array;
  counter: Int32Array;
  hasDataCount: boolean;
}

const scratch = new Body(1024);
// Warm up the instruction loops while the main thread is still reading the module.
warmUp(true, 40);

function reencode(msg: ReencodeJob): void {
  // A module with just what encodeCodeEntries reads: bodies as ranges of the shared input.
  const m = emptyModule();
  m.source = msg.src;
  m.hasDataCount = msg.hasDataCount;
  const n = msg.ranges.length / 2;
  m.funcs = new Array<Func>(n);
  for (let i = 0; i < n; i++) {
    const start = msg.ranges[2 * i];
    m.funcs[i] = { type: 0, body: null, raw: msg.src.subarray(start, msg.ranges[2 * i + 1]), offset: start };
  }
  for (let c = claim(msg.counter, true); c >= 0; c = claim(msg.counter, true)) {
    if (msg.local[c]) continue;
    try {
      const bytes = encodeChunk(m, msg.chunks, c, scratch);
      // The view's whole buffer moves with it (no copy); its slack is freed with it.
      parentPort!.postMessage({ job: msg.job, chunk: c, bytes }, [bytes.buffer as ArrayBuffer]);
    } catch (e) {
      if (!(e instanceof WasmDecodeError)) throw e;
      parentPort!.postMessage({ job: msg.job, chunk: c, error: { message: e.message, offset: e.offset } });
    }
  }
  parentPort!.postMessage({ job: msg.job, done: true });
}

parentPort!.on('message', (msg: ReencodeJob) => {
  if (msg.type === 'reencode') reencode(msg);
});
