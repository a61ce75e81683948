/**
 * Worker-thread entry of the pool. A job names its kind; for `reencode` the worker
 * claims chunks from the back of the shared counter, re-encodes their bodies from the
 * shared input and posts each chunk back as a transferred buffer, then posts `done`.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import { WasmDecodeError } from '../binary/cursor.js';
import { warmUp } from '../binary/warmup.js';
import { Body } from '../ir/body.js';
import { emptyModule, type Func } from '../ir/module.js';
import type { AsyncifyOptions } from '../passes/asyncify/index.js';
import type { AsyncifyReply } from './asyncify.js';
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

interface AsyncifyJob {
  job: number;
  type: 'asyncify';
  src: Uint8Array;
  options: AsyncifyOptions;
  from: number;
  to: number;
  port: MessagePort;
  signal: Int32Array;
  slot: number;
}

/** Rewrites functions [from, to) and posts each changed one (see parallel/asyncify.ts). */
async function asyncifyRange(msg: AsyncifyJob): Promise<void> {
  // Loaded on the first such job: a worker that only re-encodes never needs it.
  const [{ readModule }, { asyncify }] = await Promise.all([import('../binary/decode.js'), import('../passes/asyncify/index.js')]);
  const post = (reply: AsyncifyReply, transfer: ArrayBuffer[] = []): void => {
    msg.port.postMessage(reply, transfer);
    Atomics.add(msg.signal, msg.slot, 1);
    Atomics.notify(msg.signal, msg.slot);
  };
  let at = msg.from;
  try {
    const m = readModule(msg.src);
    asyncify(m, { ...msg.options, progress: (d) => (at = d) }, {
      range: { from: msg.from, to: msg.to, emit: (r) => post(r, [r.raw, ...(r.twin ? [r.twin.raw] : [])].map((raw) => raw.buffer as ArrayBuffer)), stop: (d) => post({ stop: d }) },
    });
    post({ done: true });
  } catch {
    // The calling thread does the rest, and meets the same error there if it is one.
    post({ stop: at });
  }
  msg.port.close();
}

parentPort!.on('message', (msg: ReencodeJob | AsyncifyJob) => {
  if (msg.type === 'reencode') reencode(msg);
  else if (msg.type === 'asyncify') void asyncifyRange(msg);
});
