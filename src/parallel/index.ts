/** weft's parallel pipeline (Node only): `import { convertParallel } from 'weft/parallel'`. */
import { readModule } from '../binary/decode.js';
import { writeModule } from '../binary/encode.js';
import type { Sink } from '../binary/sink.js';
import { sharedPool } from './pool.js';
import { PARALLEL_MIN_BYTES, planFromBytes, ReencodeJob, toShared } from './reencode.js';

export { WorkerPool, sharedPool, defaultThreads } from './pool.js';
export { reencodeBodies } from './reencode.js';
export { asyncifyParallel } from './asyncify.js';

export interface ConvertOptions {
  /** Threads to use, the calling one included (default: WEFT_THREADS, else all cores). */
  threads?: number;
  /** The sink to write the output into (see WriteOptions.out). */
  out?: Sink;
}

/**
 * `convert` (decode every body into the IR and encode the module again) on a worker
 * pool: the workers start on the code section while this thread reads the module.
 */
export async function convertParallel(bytes: Uint8Array, options: ConvertOptions = {}): Promise<Uint8Array> {
  const pool = bytes.length >= PARALLEL_MIN_BYTES ? sharedPool(options.threads) : null;
  const out = options.out;
  if (!pool) return writeModule(readModule(bytes), { reencode: true, out });
  const shared = toShared(bytes);
  const plan = planFromBytes(shared, pool.size);
  const job = plan && new ReencodeJob(pool, shared, plan);
  let m;
  try {
    m = readModule(shared);
  } catch (e) {
    job?.cancel();
    throw e;
  }
  if (!job) return writeModule(m, { reencode: true, out });
  return writeModule(m, { reencode: true, code: await job.join(m), out });
}
