/**
 * A persistent pool of worker threads, created lazily and shared by every parallel job
 * of the process (one pool, as Binaryen keeps one ThreadPool, so nested jobs can't
 * oversubscribe the cores). Workers are unref'd between jobs so they never keep the
 * process alive. Node-only: the browser build does not import this folder.
 */
import { availableParallelism } from 'node:os';
import { Worker, type TransferListItem } from 'node:worker_threads';

/** A message from a worker; `job` routes it to the job that is waiting for it. */
export interface WorkerReply {
  job: number;
  [key: string]: unknown;
}

type Listener = (reply: WorkerReply) => void;

export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly listeners = new Map<number, Listener>();
  private active = 0;
  private nextJob = 1;

  constructor(readonly size: number) {}

  /** Starts the workers now, so their startup overlaps the caller's own work. */
  warm(): void {
    while (this.workers.length < this.size) {
      const w = new Worker(new URL('./worker.js', import.meta.url));
      w.on('message', (reply: WorkerReply) => this.listeners.get(reply.job)?.(reply));
      w.on('error', (e) => {
        for (const l of this.listeners.values()) l({ job: -1, error: { message: `worker failed: ${e.message}` } });
      });
      if (this.active === 0) w.unref();
      this.workers.push(w);
    }
  }

  /**
   * Sends `message` to every worker under a fresh job id and routes replies to
   * `onReply` until `end` is called. Workers stay referenced while a job runs.
   */
  start(message: Record<string, unknown>, onReply: Listener): { job: number; end: () => void } {
    this.warm();
    return this.startEach(this.workers.map(() => ({ message, transfer: [] })), onReply);
  }

  /** As `start`, with a message of its own for each worker (some may get none), and what to transfer with it. */
  startEach(messages: { message: Record<string, unknown>; transfer: TransferListItem[] }[], onReply: Listener): { job: number; end: () => void } {
    this.warm();
    const job = this.nextJob++;
    this.listeners.set(job, onReply);
    if (this.active++ === 0) for (const w of this.workers) w.ref();
    messages.forEach((x, i) => this.workers[i].postMessage({ ...x.message, job }, x.transfer));
    return {
      job,
      end: () => {
        this.listeners.delete(job);
        if (--this.active === 0) for (const w of this.workers) w.unref();
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.splice(0).map((w) => w.terminate()));
  }
}

let shared: WorkerPool | null = null;

/** Worker threads to use by default: WEFT_THREADS, else all cores; the caller's thread counts as one. */
export function defaultThreads(): number {
  const env = Number(process.env.WEFT_THREADS);
  return Number.isInteger(env) && env > 0 ? env : availableParallelism();
}

/** The process-wide pool with `threads - 1` workers (the calling thread works too). */
export function sharedPool(threads = defaultThreads()): WorkerPool | null {
  const workers = Math.max(0, threads - 1);
  if (workers === 0) return null;
  if (!shared || shared.size !== workers) {
    void shared?.close();
    shared = new WorkerPool(workers);
  }
  return shared;
}
