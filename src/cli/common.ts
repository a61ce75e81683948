/** Shared CLI plumbing: argument parsing, located errors, atomic output, progress. */
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { WasmDecodeError } from '../binary/cursor.js';
import { TextParseError } from '../text/lexer.js';

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

/** A status line on stderr when it is a terminal; pipes and CI logs stay quiet. */
export function note(message: string): void {
  if (process.stderr.isTTY) process.stderr.write(`${message}\n`);
}
