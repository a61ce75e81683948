/**
 * `asyncify` on the worker pool. The defined functions are cut into contiguous ranges of
 * about equal code size; the calling thread rewrites the first, and each worker, which
 * reads the module and runs the same (deterministic) analysis itself, rewrites one of the
 * others and posts each changed function back on a port of its own. The calling thread
 * takes them in function order, waiting on a shared counter when one has not come yet, so
 * the output is the serial one byte for byte. A worker whose rewrite would add to the
 * module (a type, a reference table) stops there; the calling thread does the rest itself.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { readModule } from '../binary/decode.js';
import type { Module } from '../ir/module.js';
import { asyncify, type AsyncifyOptions, type AsyncifyReport, type StoredFunc } from '../passes/asyncify/index.js';
import { sharedPool } from './pool.js';
import { toShared } from './reencode.js';

/** What a worker posts: a rewritten function, where it stopped (the rest is the caller's), or that it is done. */
export type AsyncifyReply = StoredFunc | { stop: number } | { done: true };

/** Below this many bytes of code, a worker's start-up costs more than it takes over. */
export const ASYNCIFY_PARALLEL_MIN_BYTES = 256 << 10;
/** A worker silent this long is given up (the calling thread does its range). */
const STALL_MS = 30_000;

/** The options a worker gets: the callbacks stay with the caller. */
function workerOptions(o: AsyncifyOptions): AsyncifyOptions {
  const { verbose: _v, warn: _w, progress: _p, ...rest } = o;
  return rest;
}

/** Range starts: `parts` contiguous ranges of the defined functions with about equal code bytes. */
export function cutRanges(m: Module, parts: number): number[] {
  let total = 0;
  for (const f of m.funcs) total += f.raw?.length ?? 0;
  const starts = [0];
  let acc = 0;
  for (let d = 0; d < m.funcs.length && starts.length < parts; d++) {
    acc += m.funcs[d].raw?.length ?? 0;
    if (acc >= (total * starts.length) / parts) starts.push(d + 1);
  }
  return starts;
}

export interface ParallelResult {
  m: Module;
  report: AsyncifyReport;
  /** How many rewritten functions came from worker threads. */
  fromWorkers: number;
}

export interface ParallelOptions {
  /** Threads to use, the calling one included (default: WEFT_THREADS, else all cores). */
  threads?: number;
  /** Smaller inputs are done on this thread alone (default ASYNCIFY_PARALLEL_MIN_BYTES). */
  minBytes?: number;
}

/** Reads `bytes` and asyncifies it on the worker pool as well as this thread. */
export function asyncifyParallel(bytes: Uint8Array, options: AsyncifyOptions = {}, parallel: ParallelOptions = {}): ParallelResult {
  const pool = bytes.length >= (parallel.minBytes ?? ASYNCIFY_PARALLEL_MIN_BYTES) ? sharedPool(parallel.threads) : null;
  if (!pool) {
    const m = readModule(bytes);
    return { m, report: asyncify(m, options), fromWorkers: 0 };
  }
  const src = toShared(bytes);
  const m = readModule(src);
  const starts = cutRanges(m, pool.size + 1);
  const workers = starts.length - 1;
  if (workers === 0) return { m, report: asyncify(m, options), fromWorkers: 0 };
  const signal = new Int32Array(new SharedArrayBuffer(4 * workers));
  const ports: MessagePort[] = [];
  const messages = [];
  for (let w = 0; w < workers; w++) {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1);
    const message = {
      type: 'asyncify', src, options: workerOptions(options), from: starts[w + 1], to: starts[w + 2] ?? m.funcs.length,
      port: port2, signal, slot: w,
    };
    messages.push({ message, transfer: [port2] });
  }
  let fromWorkers = 0;
  const received = new Int32Array(workers);
  const pending: (AsyncifyReply | null)[] = new Array(workers).fill(null);
  const stopAt = new Array<number>(workers).fill(Infinity);
  const take = (w: number, d: number): AsyncifyReply => {
    for (;;) {
      const got = receiveMessageOnPort(ports[w]);
      if (got) {
        received[w]++;
        return got.message as AsyncifyReply;
      }
      const seen = Atomics.load(signal, w);
      if (seen !== received[w]) continue; // posted, on its way
      if (Atomics.wait(signal, w, seen, STALL_MS) === 'timed-out') return { stop: d };
    }
  };
  /** The worker whose range holds d, or -1 for this thread's. */
  const owner = (d: number): number => {
    let w = workers - 1;
    while (w >= 0 && d < starts[w + 1]) w--;
    return w;
  };
  const external = (d: number): StoredFunc | 'unchanged' | null => {
    const w = owner(d);
    if (w < 0 || d >= stopAt[w]) return null;
    const reply = pending[w] ?? take(w, d);
    pending[w] = reply;
    if ('stop' in reply) {
      stopAt[w] = reply.stop;
      return d >= reply.stop ? null : 'unchanged';
    }
    if ('done' in reply || reply.d > d) return 'unchanged';
    pending[w] = null;
    fromWorkers++;
    return reply;
  };
  const job = pool.startEach(messages, () => {});
  try {
    const report = asyncify(m, options, { external });
    return { m, report, fromWorkers };
  } finally {
    job.end();
    for (const p of ports) p.close();
  }
}
