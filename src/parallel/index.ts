/** weft's parallel pipeline (Node only): `import { convertParallel } from 'weft/parallel'`. */
import { readModule } from '../binary/decode.js';
import { writeModule } from '../binary/encode.js';
import { sharedPool } from './pool.js';
import { PARALLEL_MIN_BYTES, reencodeBodies } from './reencode.js';

export { WorkerPool, sharedPool, defaultThreads } from './pool.js';
export { reencodeBodies } from './reencode.js';

export interface ConvertOptions {
  /** Threads to use, the calling one included (default: WEFT_THREADS, else all cores). */
  threads?: number;
}

/** `convert` (decode every body into the IR and encode the module again) on a worker pool. */
export async function convertParallel(bytes: Uint8Array, options: ConvertOptions = {}): Promise<Uint8Array> {
  const pool = bytes.length >= PARALLEL_MIN_BYTES ? sharedPool(options.threads) : null;
  pool?.warm();
  const m = readModule(bytes);
  if (!pool) return writeModule(m, { reencode: true });
  const code = await reencodeBodies(m, pool);
  return writeModule(m, { reencode: true, code });
}
