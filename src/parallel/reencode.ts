/**
 * The parallel body pipeline (map/reduce). Map: function bodies are decoded into the IR
 * and encoded again in chunks, on the pool's workers and on the calling thread, which
 * claim chunks from one atomic counter. Reduce: the chunks are already size-prefixed
 * code entries, so the code section is their concatenation in chunk order.
 *
 * Workers get the input once, as a SharedArrayBuffer, plus a table of body ranges;
 * each chunk comes back as a transferred buffer.
 */
import { WasmDecodeError } from '../binary/cursor.js';
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

/** Splits functions into chunks of about `target` code bytes: [from0, to0, from1, to1, ...]. */
function planChunks(m: Module, target: number): Int32Array {
  const bounds: number[] = [];
  let from = 0;
  let bytes = 0;
  for (let i = 0; i < m.funcs.length; i++) {
    bytes += m.funcs[i].raw?.length ?? 0;
    if (bytes >= target) {
      bounds.push(from, i + 1);
      from = i + 1;
      bytes = 0;
    }
  }
  if (from < m.funcs.length) bounds.push(from, m.funcs.length);
  return Int32Array.from(bounds);
}

/** Encodes chunk `c` (functions [chunks[2c], chunks[2c+1])) of `m`. */
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
 * Re-encodes every function body of `m` (as writeModule's `reencode`) using `pool`,
 * and returns the code section's entries as chunks in order.
 */
export async function reencodeBodies(m: Module, pool: WorkerPool): Promise<Uint8Array[]> {
  const src = m.source!;
  let codeBytes = 0;
  for (const f of m.funcs) codeBytes += f.raw?.length ?? 0;
  const chunks = planChunks(m, Math.max(64 << 10, Math.ceil(codeBytes / ((pool.size + 1) * 24))));
  const count = chunks.length / 2;
  const results: (Uint8Array | null)[] = new Array(count).fill(null);
  const errors: (ChunkError | null)[] = new Array(count).fill(null);

  // Chunks holding a replaced body must be encoded here, where that body lives.
  const local = new Uint8Array(count);
  for (let c = 0; c < count; c++) {
    for (let i = chunks[2 * c]; i < chunks[2 * c + 1]; i++) if (m.funcs[i].body || !m.funcs[i].raw) local[c] = 1;
  }

  // The input, shared: body ranges are offsets into it.
  const shared = new Uint8Array(new SharedArrayBuffer(src.length));
  shared.set(src);
  const ranges = new Int32Array(new SharedArrayBuffer(m.funcs.length * 8));
  for (let i = 0; i < m.funcs.length; i++) {
    const raw = m.funcs[i].raw;
    if (!raw) continue;
    ranges[2 * i] = raw.byteOffset - src.byteOffset;
    ranges[2 * i + 1] = raw.byteOffset - src.byteOffset + raw.length;
  }
  const counter = new Int32Array(new SharedArrayBuffer(4));
  let remoteDone = 0;
  let wake: (() => void) | null = null;
  const job = pool.start(
    { type: 'reencode', src: shared, ranges, chunks, local, counter, hasDataCount: m.hasDataCount },
    (reply: WorkerReply) => {
      if (reply.chunk !== undefined) {
        const c = reply.chunk as number;
        if (reply.error) errors[c] = reply.error as ChunkError;
        else results[c] = reply.bytes as Uint8Array;
      } else if (reply.done) {
        remoteDone++;
      } else if (reply.error) {
        // A worker died: stop waiting; whatever it claimed is redone below.
        remoteDone = pool.size;
      }
      wake?.();
    },
  );
  try {
    const scratch = new Body(1024);
    for (let c = 0; c < count; c++) if (local[c]) results[c] = encodeChunk(m, chunks, c, scratch);
    for (;;) {
      const c = Atomics.add(counter, 0, 1);
      if (c >= count) break;
      if (local[c]) continue;
      try {
        results[c] = encodeChunk(m, chunks, c, scratch);
      } catch (e) {
        if (!(e instanceof WasmDecodeError)) throw e;
        errors[c] = { message: e.message, offset: e.offset };
      }
    }
    // Wait for the chunks the workers claimed (a worker posts them all before `done`).
    while (results.some((r, c) => !r && !errors[c]) && remoteDone < pool.size) {
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    job.end();
  }
  for (let c = 0; c < count; c++) {
    const e = errors[c];
    if (e) throw new WasmDecodeError(e.message, e.offset ?? 0);
    if (!results[c]) results[c] = encodeChunk(m, chunks, c, new Body());
  }
  return results as Uint8Array[];
}
