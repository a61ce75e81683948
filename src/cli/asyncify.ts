import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { readModule } from '../binary/decode.js';
import { writeModule } from '../binary/encode.js';
import { Sink } from '../binary/sink.js';
import { asyncify, AsyncifyError, type AsyncifyOptions } from '../passes/asyncify/index.js';
import { outputError } from './validate.js';
import { DrainedOutput, fail, note, peelOption, progress, readInput, reportErrors, threadsOption, UsageError, yieldBackgroundThreads, type Command } from './common.js';

const HELP = `usage: weft asyncify IN.wasm -o OUT.wasm [options]

Lets IN suspend at async imports and resume later, with Binaryen's Asyncify ABI
(asyncify_start_unwind / stop_unwind / start_rewind / stop_rewind / get_state).

  --imports LIST        imports that may unwind (module.base, * wildcards, comma-separated,
                        or @FILE with one per line; list options add up when repeated);
                        default: every import
  --ignore-imports      no import may unwind
  --ignore-indirect     indirect calls (call_indirect, call_ref) never unwind
  --add-list LIST       also instrument these functions (name-section names, wildcards)
  --propagate-addlist   ... and their callers
  --remove-list LIST    never instrument these functions
  --only-list LIST      instrument exactly these functions
  --memory NAME         the exported memory the buffer lives in (when there are several)
  --export-globals      export __asyncify_state and __asyncify_data
  --import-globals      import them instead, from env (alias --relocatable)
  --in-secondary-memory[=PAGES]
                        keep the buffer in a memory of its own (default 1 page),
                        exported as asyncify_memory
  --asserts             trap when a call the analysis deems safe changes the state anyway,
                        or when a rewound function finds another's frame on top
  -O                    optimize what the transform emitted (shortest indices for the
                        most used locals of each instrumented function)
  --peel N              emit loops with at least N sites that may unwind (an interpreter's
                        dispatch loop) twice, so that their iterations skip the rewind
                        dispatch, costing their size again; their functions also get
                        unwind pads, which free each site's dead locals (default 400;
                        0: neither). Such a function is split: a copy without the
                        rewound loop runs, and calls its twin only to rewind
  --no-split            keep functions with peeled loops whole (smaller, slower)
  --branch-hints        hint the rewind paths unlikely (a branch-hint section, ~4% larger)
  --verbose             say why each function is instrumented
  --validate            validate the output; on an error, report it and write nothing
  --threads N           threads to rewrite on (default 1; the output is the same for any
                        N). Each worker reads the module and runs the analysis again, and
                        on 2 cores --threads 2 was slower (ffmpeg-core 3.1 -> 5.0 s)

wasm-opt spellings are accepted too: --pass-arg=asyncify-imports@env.sleep,
--pass-arg=asyncify-ignore-indirect, asyncify-addlist@..., asyncify-removelist@...,
asyncify-onlylist@..., asyncify-propagate-addlist, asyncify-memory@NAME,
asyncify-export-globals, asyncify-import-globals, asyncify-relocatable,
asyncify-in-secondary-memory, asyncify-secondary-memory-size@N, asyncify-verbose.`;

const FLAGS = new Set([
  '--ignore-imports', '--ignore-indirect', '--propagate-addlist', '--export-globals', '--import-globals', '--relocatable',
  '--verbose', '--validate', '--help', '--asserts', '-O', '--branch-hints', '--no-split',
]);
/** Flags that may carry a value (`--in-secondary-memory=PAGES`). */
const OPTIONAL = new Set(['--in-secondary-memory', '--secondary-memory-size']);
const VALUED = new Set(['-o', '--threads', '--peel', '--imports', '--add-list', '--remove-list', '--only-list', '--memory']);
/** Valued options whose repeats add to the list instead of replacing it. */
const LISTS = new Set(['--imports', '--add-list', '--remove-list', '--only-list']);
/** wasm-opt's pass-arg keys → our flags. */
const PASS_ARGS: Record<string, string> = {
  'asyncify-imports': '--imports', 'asyncify-ignore-imports': '--ignore-imports',
  'asyncify-ignore-indirect': '--ignore-indirect', 'asyncify-addlist': '--add-list',
  'asyncify-removelist': '--remove-list', 'asyncify-blacklist': '--remove-list',
  'asyncify-onlylist': '--only-list', 'asyncify-whitelist': '--only-list',
  'asyncify-propagate-addlist': '--propagate-addlist', 'asyncify-memory': '--memory',
  'asyncify-export-globals': '--export-globals', 'asyncify-verbose': '--verbose', 'asyncify-asserts': '--asserts',
  'asyncify-import-globals': '--import-globals', 'asyncify-relocatable': '--import-globals',
  'asyncify-in-secondary-memory': '--in-secondary-memory', 'asyncify-secondary-memory-size': '--secondary-memory-size',
};

/**
 * Below this input size the transform is over before TurboFan's code pays for its compile
 * time, and its compiles compete with the job for the cores: the rewrite's big closures are
 * compiled several times over (on-stack replacement beside the regular compile, again after
 * each deopt) on up to four of V8's worker threads. Where Maglev is on (V8 11.7 and later)
 * the CLI does without TurboFan (sql-wasm, QuickJS: 10-20% faster; on esbuild, swc and
 * ffmpeg-core, 14-32 MB, 2-10% slower). Before, with no Maglev to fall back to, it turns off
 * TurboFan's costliest parts instead (sql-wasm on Node 20 and 2 cores: 1.50 -> 1.09 s;
 * QuickJS 0.97 -> 0.85 s; esbuild 3.47 -> 3.70 s with them, so large inputs keep the defaults).
 */
const SHORT_JOB_BYTES = 4 << 20;

const OLD_V8_SHORT_JOB_FLAGS = '--no-turbo-inlining --no-use-osr --no-turbo-loop-peeling --no-turbo-load-elimination --no-turbo-escape';

function tuneJit(inputBytes: number): void {
  if (inputBytes >= SHORT_JOB_BYTES) return;
  const [major, minor] = process.versions.v8.split('.').map(Number);
  setFlagsFromString(major * 100 + minor >= 1107 ? '--no-turbofan' : OLD_V8_SHORT_JOB_FLAGS);
}

/** Splits a list option: `@file` (one per line), else commas outside ()<>[]{}. */
export function splitList(value: string): string[] {
  let text = value;
  if (text.startsWith('@')) {
    try {
      text = readFileSync(text.slice(1), 'utf8');
    } catch {
      throw new UsageError(`cannot read list file ${text.slice(1)}`);
    }
  }
  if (text.includes('\n')) return text.split('\n').map((s) => s.trim()).filter(Boolean);
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if ('([{<'.includes(ch)) depth++;
    else if (')]}>'.includes(ch)) depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out.filter(Boolean);
}

/** --in-secondary-memory[=PAGES] (or wasm-opt's separate size argument), or undefined. */
function secondaryPages(options: Map<string, string | true>): number | undefined {
  const on = options.get('--in-secondary-memory');
  const size = options.get('--secondary-memory-size');
  if (on === undefined) {
    if (size !== undefined) throw new UsageError('asyncify-secondary-memory-size needs asyncify-in-secondary-memory');
    return undefined;
  }
  const v = typeof on === 'string' ? on : typeof size === 'string' ? size : '1';
  const pages = Number(v);
  if (!/^\d+$/.test(v) || pages < 1) throw new UsageError(`--in-secondary-memory expects a page count, got ${v}`);
  return pages;
}

/** Reads our flags and wasm-opt's `--pass-arg=asyncify-…` spellings. */
function parseOptions(args: string[], positional: string[], options: Map<string, string | true>, lists: Map<string, string[]>): void {
  for (let i = 0; i < args.length; i++) {
    let a = args[i];
    let value: string | undefined;
    if (a.startsWith('--pass-arg=') || a === '--pass-arg') {
      const pa = a === '--pass-arg' ? args[++i] ?? '' : a.slice('--pass-arg='.length);
      const at = pa.indexOf('@');
      const key = at < 0 ? pa : pa.slice(0, at);
      const flag = PASS_ARGS[key];
      if (!flag) throw new UsageError(`unknown pass argument ${key}`);
      a = flag;
      value = at < 0 ? undefined : pa.slice(at + 1);
      if (VALUED.has(a) && value === undefined) throw new UsageError(`pass argument ${key} needs a value (${key}@...)`);
    } else if (a.startsWith('--') && a.includes('=')) {
      value = a.slice(a.indexOf('=') + 1);
      a = a.slice(0, a.indexOf('='));
    }
    if (a === '--asyncify') continue; // wasm-opt's pass name, harmless here
    if (VALUED.has(a)) {
      if (value === undefined) {
        if (i + 1 >= args.length) throw new UsageError(`option ${a} needs a value`);
        value = args[++i];
      }
      if (LISTS.has(a)) lists.set(a, [...(lists.get(a) ?? []), ...splitList(value)]);
      else options.set(a, value);
    } else if (FLAGS.has(a)) options.set(a === '--relocatable' ? '--import-globals' : a, true);
    else if (OPTIONAL.has(a)) options.set(a, value ?? true);
    else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option ${a}\n${HELP}`);
    else positional.push(a);
  }
}

export const asyncifyCommand: Command = (args) => {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  const lists = new Map<string, string[]>();
  try {
    parseOptions(args, positional, options, lists);
  } catch (e) {
    if (e instanceof UsageError) return fail(e.message);
    throw e;
  }
  if (options.has('--help')) {
    console.log(HELP);
    return 0;
  }
  return reportErrors(positional[0] ?? '', async () => {
    const input = positional[0] ?? '';
    const out = options.get('-o');
    if (positional.length !== 1 || typeof out !== 'string') throw new UsageError(`expected one input and -o OUT\n${HELP}`);
    const start = performance.now();
    const threads = threadsOption(options) ?? 1;
    // Before any worker thread starts: those do the job.
    yieldBackgroundThreads();
    // The workers start while this thread reads the input (loaded only when used).
    const parallel = threads > 1 ? await import('../parallel/index.js') : null;
    parallel?.sharedPool(threads)?.warm();
    const source = readInput(input);
    tuneJit(source.length);
    const opts: AsyncifyOptions = {
      imports: lists.get('--imports'),
      ignoreImports: options.has('--ignore-imports'),
      ignoreIndirect: options.has('--ignore-indirect'),
      addList: lists.get('--add-list'),
      removeList: lists.get('--remove-list'),
      onlyList: lists.get('--only-list'),
      propagateAddList: options.has('--propagate-addlist'),
      memory: options.get('--memory') as string | undefined,
      exportGlobals: options.has('--export-globals'),
      importGlobals: options.has('--import-globals'),
      asserts: options.has('--asserts'),
      optimize: options.has('-O'),
      branchHints: options.has('--branch-hints'),
      peelSites: peelOption(options),
      splitRewind: !options.has('--no-split'),
      secondaryMemoryPages: secondaryPages(options),
      verbose: options.has('--verbose') ? (line) => process.stderr.write(`${line}\n`) : undefined,
      warn: (line) => process.stderr.write(`warning: ${line}\n`),
    };
    // Verbose lines would break into the progress line.
    const shown = opts.verbose ? null : progress('asyncify: functions');
    if (shown) opts.progress = shown.step;
    let report;
    let m;
    try {
      if (parallel) ({ m, report } = parallel.asyncifyParallel(source, opts, { threads }));
      else report = asyncify((m = readModule(source)), opts);
    } catch (e) {
      if (e instanceof AsyncifyError) return fail(`${input}: ${e.message}`);
      throw e;
    } finally {
      shown?.end();
    }
    // The output goes to its file as it is written, on libuv's threads (as convert's).
    const sink = new Sink(Math.ceil((m.source?.length ?? 0) * 1.5) + 1024);
    const file = new DrainedOutput(out, sink);
    let bytes: Uint8Array;
    try {
      bytes = writeModule(m, { out: sink });
      const error = options.has('--validate') ? outputError(input, bytes) : null;
      if (error) {
        file.abort();
        return fail(error);
      }
      await file.commit(bytes);
    } catch (e) {
      file.abort();
      throw e;
    }
    note(`weft: ${input} → ${out}: ${report.instrumented} function(s) instrumented, ${report.sites} call site(s); ` +
      `${m.source?.length ?? 0} → ${bytes.length} bytes in ${Math.round(performance.now() - start)} ms`);
    return 0;
  });
};
