/**
 * The parallel body pipeline (map/reduce). Map: function bodies are decoded into the IR
 * and encoded again in chunks, by the pool's workers and by the calling thread. Reduce:
 * the chunks are already size-prefixed code entries, so the code section is their
 * concatenation in chunk order.
 *
 * Workers get the input once, as a SharedArrayBuffer, plus a plan: the body ranges and
 * their chunks. A plan can be made from the bytes alone (a scan of the code section),
 * so the workers start while the calling thread is still reading the module; they take
 * chunks from the back, the caller from the front, from one two-ended atomic counter.
 * Each chunk comes back as a transferred buffer.
 */
import { Cursor, WasmDecodeError } from '../binary/cursor.js';
import { SectionId } from '../binary/decode.js';
import { encodeCodeEntries } from '../binary/encode.js';
import { Sink } from '../binary/sink.js';
import { Body } from '../ir/body.js';
import type { Module } from '../ir/module.js';
import type { WorkerPool, WorkerReply } from './pool.js';

/** Below this much code, starting a job costs more than it saves. */
export const PARALLEL_MIN_BYTES = 1 << 20;

export interface ChunkError {
  message: string;
  offset?: number;
}

/** What to re-encode: body ranges in the shared input and how they split into chunks. */
export interface Plan {
  /** [start, end) of each function's code entry, as offsets into the input. */
  ranges: Int32Array;
  /** [from0, to0, from1, to1, ...]: function index ranges of the chunks. */
  chunks: Int32Array;
  hasDataCount: boolean;
}

/** Chunk counts stay below 2^15 so both ends of the counter fit one int32. */
const MAX_CHUNKS = 0x7fff;

function chunksOf(sizes: (i: number) => number, n: number, workers: number): Int32Array {
  let total = 0;
  for (let i = 0; i < n; i++) total += sizes(i);
  // About 24 chunks per thread balances the load; 64 KiB keeps per-chunk costs small.
  const target = Math.max(64 << 10, Math.ceil(total / ((workers + 1) * 24)), Math.ceil(total / MAX_CHUNKS));
  const bounds: number[] = [];
  let from = 0;
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    bytes += sizes(i);
    if (bytes >= target) {
      bounds.push(from, i + 1);
      from = i + 1;
      bytes = 0;
    }
  }
  if (from < n) bounds.push(from, n);
  return Int32Array.from(bounds);
}

function sharedInts(n: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(n * 4));
}

/** The plan for a decoded module whose source is `src`. */
export function planFromModule(m: Module, src: Uint8Array, workers: number): Plan {
  const ranges = sharedInts(m.funcs.length * 2);
  m.funcs.forEach((f, i) => {
    if (!f.raw) return;
    ranges[2 * i] = f.raw.byteOffset - src.byteOffset;
    ranges[2 * i + 1] = ranges[2 * i] + f.raw.length;
  });
  return { ranges, chunks: chunksOf((i) => m.funcs[i].raw?.length ?? 0, m.funcs.length, workers), hasDataCount: m.hasDataCount };
}

/**
 * The plan from the bytes alone: a scan of the section headers and of the code
 * section's entry sizes. Null if the module looks malformed; reading it properly will
 * then report the error.
 */
export function planFromBytes(src: Uint8Array, workers: number): Plan | null {
  try {
    const c = new Cursor(src, 8);
    let hasDataCount = false;
    while (!c.eof()) {
      const id = c.u8();
      const size = c.u32();
      const end = c.pos + size;
      if (end > src.length) return null;
      if (id === SectionId.dataCount) hasDataCount = true;
      if (id === SectionId.code) {
        const n = c.count();
        const ranges = sharedInts(n * 2);
        for (let i = 0; i < n; i++) {
          const size = c.u32();
          ranges[2 * i] = c.pos;
          c.pos += size;
          ranges[2 * i + 1] = c.pos;
          if (c.pos > end) return null;
        }
        return { ranges, chunks: chunksOf((i) => ranges[2 * i + 1] - ranges[2 * i], n, workers), hasDataCount };
      }
      c.pos = end;
    }
    return null;
  } catch (e) {
    if (e instanceof WasmDecodeError) return null;
    throw e;
  }
}

/** Encodes chunk `c` of `m`. */
export function encodeChunk(m: Module, chunks: Int32Array, c: number, scratch: Body): Uint8Array {
  const from = chunks[2 * c];
  const to = chunks[2 * c + 1];
  let size = 0;
  for (let i = from; i < to; i++) size += (m.funcs[i].raw?.length ?? 0) + 8;
  const out = new Sink(size + 64);
  encodeCodeEntries(m, from, to, out, scratch);
  return out.result();
}

/**
 * Takes the next chunk from the front (or, `fromBack`, the back) of the counter word:
 * low 16 bits the next front chunk, high 16 bits one past the last back chunk.
 * Returns -1 when the ends have met.
 */
export function claim(counter: Int32Array, fromBack: boolean): number {
  for (;;) {
    const word = Atomics.load(counter, 0);
    const front = word & 0xffff;
    const back = word >>> 16;
    if (front >= back) return -1;
    const next = fromBack ? front | ((back - 1) << 16) : front + 1 + (back << 16);
    if (Atomics.compareExchange(counter, 0, word, next) === word) return fromBack ? back - 1 : front;
  }
}

/**
 * A running re-encode: started on the shared input, joined by the calling thread with
 * the decoded module, which then takes its share of the chunks.
 */
export class ReencodeJob {
  private readonly results: (Uint8Array | null)[];
  private readonly errors: (ChunkError | null)[];
  private readonly counter = sharedInts(1);
  private readonly local: Uint8Array;
  private readonly end: () => void;
  private remoteDone = 0;
  private wake: (() => void) | null = null;

  /**
   * Starts the workers on `plan` over `src` (SharedArrayBuffer-backed). `local` marks
   * chunks only the calling thread may encode (they hold replaced bodies).
   */
  constructor(
    private readonly pool: WorkerPool,
    src: Uint8Array,
    private readonly plan: Plan,
    local?: Uint8Array,
  ) {
    const count = plan.chunks.length / 2;
    this.results = new Array(count).fill(null);
    this.errors = new Array(count).fill(null);
    this.local = local ?? new Uint8Array(count);
    this.counter[0] = count << 16;
    const { ranges, chunks, hasDataCount } = plan;
    this.end = pool.start(
      { type: 'reencode', src, ranges, chunks, local: this.local, counter: this.counter, hasDataCount },
      (reply) => this.onReply(reply),
    ).end;
  }

  private onReply(reply: WorkerReply): void {
    if (reply.chunk !== undefined) {
      const c = reply.chunk as number;
      if (reply.error) this.errors[c] = reply.error as ChunkError;
      else this.results[c] = reply.bytes as Uint8Array;
    } else if (reply.done) {
      this.remoteDone++;
    } else if (reply.error) {
      // A worker died: stop waiting; whatever it claimed is redone below.
      this.remoteDone = this.pool.size;
    }
    this.wake?.();
  }

  /** Stops waiting for the workers (the input turned out malformed); they finish unreferenced. */
  cancel(): void {
    this.end();
  }

  /** Encodes the caller's share with `m` (read from the same input) and returns all chunks in order. */
  async join(m: Module): Promise<Uint8Array[]> {
    const { results, errors, local } = this;
    const chunks = this.plan.chunks;
    const count = results.length;
    if (m.funcs.length * 2 !== this.plan.ranges.length) throw new Error('re-encode plan does not match the module');
    try {
      const scratch = new Body(1024);
      for (let c = 0; c < count; c++) if (local[c]) results[c] = encodeChunk(m, chunks, c, scratch);
      for (let c = claim(this.counter, false); c >= 0; c = claim(this.counter, false)) {
        if (local[c]) continue;
        try {
          results[c] = encodeChunk(m, chunks, c, scratch);
        } catch (e) {
          if (!(e instanceof WasmDecodeError)) throw e;
          errors[c] = { message: e.message, offset: e.offset };
        }
      }
      // Wait for the chunks the workers claimed (a worker posts them all before `done`).
      while (results.some((r, c) => !r && !errors[c]) && this.remoteDone < this.pool.size) {
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      this.end();
    }
    // Deterministic: the first error in function order.
    for (let c = 0; c < count; c++) {
      const e = errors[c];
      if (e) throw new WasmDecodeError(e.message, e.offset ?? 0);
      if (!results[c]) results[c] = encodeChunk(m, chunks, c, new Body());
    }
    return results as Uint8Array[];
  }
}

/** Copies `bytes` into shared memory, unless they already are. */
export function toShared(bytes: Uint8Array): Uint8Array {
  if (bytes.buffer instanceof SharedArrayBuffer) return bytes;
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
  shared.set(bytes);
  return shared;
}

/**
 * Re-encodes every function body of `m` (as writeModule's `reencode`) using `pool`,
 * and returns the code section's entries as chunks in order.
 */
export async function reencodeBodies(m: Module, pool: WorkerPool): Promise<Uint8Array[]> {
  const src = toShared(m.source!);
  const plan = planFromModule(m, m.source!, pool.size);
  const count = plan.chunks.length / 2;
  const local = new Uint8Array(count);
  for (let c = 0; c < count; c++) {
    for (let i = plan.chunks[2 * c]; i < plan.chunks[2 * c + 1]; i++) if (m.funcs[i].body || !m.funcs[i].raw) local[c] = 1;
  }
  return new ReencodeJob(pool, src, plan, local).join(m);
}
