/** Shared CLI plumbing: argument parsing, located errors, atomic output, progress. */
import { closeSync, ftruncateSync, openSync, readdirSync, readFileSync, renameSync, rmSync, write, writeSync } from 'node:fs';
import { setPriority } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { WasmDecodeError } from '../binary/cursor.js';
import type { Sink } from '../binary/sink.js';
import { TextParseError } from '../text/error.js';

export type Command = (args: string[]) => Promise<number> | number;

export function fail(message: string): number {
  process.stderr.write(`error: ${message}\n`);
  return 1;
}

export interface Parsed {
  positional: string[];
  options: Map<string, string | true>;
}

/** Parses `args` given the options that take a value (`-o`, `--threads`...). */
export function parseArgs(args: string[], valued: readonly string[]): Parsed {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('-') && a !== '-') {
      const eq = a.indexOf('=');
      if (eq > 0) options.set(a.slice(0, eq), a.slice(eq + 1));
      else if (valued.includes(a)) {
        if (i + 1 >= args.length) throw new UsageError(`option ${a} needs a value`);
        options.set(a, args[++i]);
      } else options.set(a, true);
    } else positional.push(a);
  }
  return { positional, options };
}

export class UsageError extends Error {}

const FS_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory', EISDIR: 'is a directory', EACCES: 'permission denied',
  ENOSPC: 'no space left on device', EROFS: 'read-only file system', ENOTDIR: 'not a directory',
};
const fsMessage = (e: unknown): string => {
  const code = (e as NodeJS.ErrnoException).code;
  return (code && FS_ERRORS[code]) ?? code ?? (e as Error).message;
};

export function readInput(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${fsMessage(e)}`);
  }
}

/** Writes `bytes` to `file` through a temporary file and a rename, so no half-written output is left. */
export function writeOutput(file: string, bytes: Uint8Array): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    const fd = openSync(tmp, 'w');
    try {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UsageError(`cannot write ${file}: ${fsMessage(e)}`);
  }
}

/**
 * Streams output into `file` through a temporary file and a rename, as writeOutput does:
 * `fill` writes to the descriptor it is given; if it throws (a decode error half-way, a
 * full disk), nothing is left behind.
 */
export function writeOutputStreamed(file: string, fill: (fd: number) => void): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  let fd = -1;
  try {
    fd = openSync(tmp, 'w');
    fill(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, file);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    rmSync(tmp, { force: true });
    if ((e as NodeJS.ErrnoException).syscall) throw new UsageError(`cannot write ${file}: ${fsMessage(e)}`);
    throw e;
  }
}

/**
 * An output file written while it is still being produced: `out` drains into a temporary
 * file, each new part written by libuv's thread pool while this thread goes on encoding;
 * `commit` writes what is left and renames the file into place (as writeOutput, nothing
 * half-written is left behind), `abort` removes it.
 */
export class DrainedOutput {
  private readonly tmp: string;
  private fd: number;
  private pending = 0;
  private failure: NodeJS.ErrnoException | null = null;
  private settled: (() => void) | null = null;
  /** Bytes from here on were never handed to a write: new drained parts start at or past it. */
  private end = 0;
  /**
   * [from, to) ranges to write last, from the final bytes: drained parts that overlap
   * earlier ones (after a size patch moved code; concurrent writes to the same bytes could
   * land in any order) and the rest of short writes.
   */
  private readonly later: number[] = [];

  constructor(private readonly file: string, private readonly out: Sink) {
    this.tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
    try {
      this.fd = openSync(this.tmp, 'w');
    } catch (e) {
      throw new UsageError(`cannot write ${file}: ${fsMessage(e)}`);
    }
    out.drainTo((bytes, at) => this.write(bytes, at));
  }

  private write(bytes: Uint8Array, at: number): void {
    if (at < this.end) {
      this.later.push(at, at + bytes.length);
    } else {
      this.pending++;
      write(this.fd, bytes, 0, bytes.length, at, (e, n) => {
        if (e) this.failure ??= e;
        else if (n < bytes.length) this.later.push(at + n, at + bytes.length);
        if (--this.pending === 0) this.settled?.();
      });
    }
    this.end = Math.max(this.end, at + bytes.length);
  }

  /** Completes the file with `result` (the sink's final bytes) and moves it into place. */
  async commit(result: Uint8Array): Promise<void> {
    this.out.flush();
    if (this.pending) await new Promise<void>((resolve) => (this.settled = resolve));
    try {
      if (this.failure) throw this.failure;
      const rewrite = (ranges: readonly number[]): void => {
        for (let i = 0; i < ranges.length; i += 2) {
          const to = Math.min(ranges[i + 1], result.length);
          for (let at = ranges[i]; at < to; ) at += writeSync(this.fd, result, at, to - at, at);
        }
      };
      rewrite(this.later);
      rewrite(this.out.patches);
      // Moved contents may have left the file longer than the result.
      if (this.end > result.length) ftruncateSync(this.fd, result.length);
      closeSync(this.fd);
      this.fd = -1;
      renameSync(this.tmp, this.file);
    } catch (e) {
      this.abort();
      throw new UsageError(`cannot write ${this.file}: ${fsMessage(e)}`);
    }
  }

  /** Removes the temporary file (writes still under way finish on the unlinked file). */
  abort(): void {
    if (this.fd >= 0) {
      const fd = this.fd;
      this.fd = -1;
      const close = (): void => closeSync(fd);
      if (this.pending) this.settled = close;
      else close();
    }
    rmSync(this.tmp, { force: true });
  }
}

/** Writes all of `bytes` to `fd`, waiting out a full non-blocking pipe. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) {
    try {
      off += writeSync(fd, bytes, off, bytes.length - off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
    }
  }
}

/** `--threads N`, or undefined for the default. */
export function threadsOption(options: Map<string, string | true>): number | undefined {
  const v = options.get('--threads');
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--threads expects a positive integer, got ${String(v)}`);
  return n;
}

/** Runs a command body, turning expected failures into `error: …` lines and exit code 1. */
export async function reportErrors(file: string, body: () => number | Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof WasmDecodeError) return fail(`${file}:0x${e.offset.toString(16)}: ${e.message}`);
    if (e instanceof TextParseError) return fail(`${file}:${e.line}:${e.column}: ${e.message}`);
    if (e instanceof UsageError) return fail(e.message);
    throw e;
  }
}

/**
 * Progress of long work on stderr when it is a terminal: `step(done, total)` redraws one
 * line, at most ten times a second; `end()` clears it. Null when stderr is not a terminal
 * (pipes and CI logs stay quiet), so that callers pass nothing and pay nothing.
 */
export function progress(label: string): { step: (done: number, total: number) => void; end: () => void } | null {
  if (!process.stderr.isTTY) return null;
  let last = -Infinity;
  let shown = false;
  return {
    step(done, total) {
      const now = performance.now();
      if (now - last < 100) return;
      last = now;
      shown = true;
      process.stderr.write(`\r\x1b[K${label}: ${done}/${total} (${Math.floor((100 * done) / Math.max(1, total))}%)`);
    },
    end() {
      if (shown) process.stderr.write('\r\x1b[K');
    },
  };
}

/**
 * Gives the process's other threads the lowest priority (Linux): V8's platform workers,
 * which compile with TurboFan and mark concurrently. Node starts four of them whatever the
 * core count, and on 2 cores their compiles took CPU from the main thread, which does the
 * job: asyncify on sql-wasm (Node 20) 0.92 -> 0.83 s, medians of 10 interleaved runs
 * (2026-12-03; `node --v8-pool-size=1`, a start-up option, did about as well). Where a
 * core is free it changes nothing; convert on esbuild.wasm did not move. Threads started later (libuv's, worker threads) keep theirs.
 */
export function yieldBackgroundThreads(): void {
  if (process.platform !== 'linux') return;
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return;
  }
  for (const t of tasks) {
    const tid = Number(t);
    if (tid === process.pid) continue;
    try {
      setPriority(tid, 19);
    } catch {
      // Not permitted, or gone: it keeps its priority.
    }
  }
}

/** A status line on stderr when it is a terminal; pipes and CI logs stay quiet. */
export function note(message: string): void {
  if (process.stderr.isTTY) process.stderr.write(`${message}\n`);
}

/** `--peel N` (asyncify's peelSites), or undefined. */
export function peelOption(options: Map<string, string | true>): number | undefined {
  const v = options.get('--peel');
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new UsageError(`--peel expects a site count, got ${String(v)}`);
  return Number(v);
}
