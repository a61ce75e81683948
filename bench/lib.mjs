// What the benchmarks in this directory share: running each tool as its own child
// process under /usr/bin/time (wall time, peak RSS, CPU time), medians, the corpus
// inputs, a temporary directory, TTY-only progress, option parsing and the table.
//
// It also holds the V8 tool, whose child runs as `node bench/lib.mjs --child v8 IN`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
export const TIME = '/usr/bin/time';
// Explicit path: npm scripts put node_modules/.bin/wasm-opt (npm binaryen) first on PATH.
export const WASM_OPT = '/usr/bin/wasm-opt';
export const MB = 1e6;
export const CHILD_TIMEOUT_MS = 15 * 60_000;
export const now = () => Number(process.hrtime.bigint()) / 1e9;

export const firstLine = (s) => String(s ?? '').trim().split('\n')[0].slice(0, 160);
export const lastLine = (s) => String(s ?? '').trim().split('\n').pop();
/** The first line of a failing tool's output that isn't a warning (wasm-opt warns before its error). */
const errorLine = (s) => firstLine(String(s ?? '').trim().split('\n').find((l) => l.trim() && !/^warning:/i.test(l)) ?? s);

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// ---------------------------------------------------------------------------
// Child processes: a benchmark module runs itself as `node FILE --child MODE ARGS...`;
// the mode prints one JSON line on stdout.

/** When `url` is the script node was started with and it was given `--child MODE`, runs that mode and exits. */
export async function childMain(url, modes) {
  if (!process.argv[1] || url !== pathToFileURL(process.argv[1]).href || process.argv[2] !== '--child') return;
  const [mode, ...args] = process.argv.slice(3);
  if (!modes[mode]) throw new Error(`unknown child mode ${mode}`);
  await modes[mode](args);
  process.exit(0);
}

await childMain(import.meta.url, {
  // Only the call is timed: no warm-up, no flags beyond those the tool was given.
  v8(input) {
    const bytes = readFileSync(input[0]);
    const c0 = process.cpuUsage();
    const t0 = now();
    const valid = WebAssembly.validate(bytes);
    const seconds = now() - t0;
    const c = process.cpuUsage(c0);
    console.log(JSON.stringify({ seconds, valid, cpu: (c.user + c.system) / 1e6 }));
  },
});

// ---------------------------------------------------------------------------
// Tools. A tool is { key, label, about, unavailable, command(input, output) => [cmd, args, env?],
// writes, keep?, timeoutMs?, detail?(stdout), seconds?(detail) }: `keep` leaves the output file in
// place (the caller checks it afterwards), `timeoutMs` replaces CHILD_TIMEOUT_MS, `detail` parses the child's stdout, `seconds`
// replaces the process's wall time with a time the child measured itself.

/** The weft CLI script: $WEFT_BIN or dist/src/cli/main.js. */
export function weftBin() {
  const bin = resolve(ROOT, process.env.WEFT_BIN || 'dist/src/cli/main.js');
  const shown = process.env.WEFT_BIN ? `${bin} (from WEFT_BIN)` : relative(ROOT, bin);
  return { bin, shown, unavailable: existsSync(bin) ? null : `${shown} missing; run npm run build` };
}

/** Debian's wasm-opt: { version, unavailable }. */
export function wasmOptVersion() {
  if (!existsSync(WASM_OPT)) return { version: null, unavailable: `${WASM_OPT} not installed (apt-get install binaryen)` };
  const r = spawnSync(WASM_OPT, ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) return { version: null, unavailable: `${WASM_OPT} --version failed: ${firstLine(r.stderr || r.error?.message)}` };
  return { version: r.stdout.trim(), unavailable: null };
}

/** WebAssembly.validate(bytes) in a child node; only the call is timed. `nodeFlags` are passed to that node. */
export function v8Tool({ key = 'v8', label = 'V8 validate', nodeFlags = [] } = {}) {
  const flags = nodeFlags.length ? ` with node ${nodeFlags.join(' ')}` : '';
  return {
    key,
    label,
    about: `WebAssembly.validate() in node ${process.version} (V8 ${process.versions.v8})${flags}; only the call is timed`,
    unavailable: null,
    command: (input) => [process.execPath, [...nodeFlags, SELF, '--child', 'v8', input]],
    writes: false,
    detail: (stdout) => JSON.parse(lastLine(stdout)),
    seconds: (detail) => detail.seconds,
  };
}

// ---------------------------------------------------------------------------
// Measuring

/** Runs one tool once; returns { wall, rss, cpu, detail, outSize } or { error }. */
export function measure(tool, input, output, tmp) {
  const [cmd, args, env] = tool.command(input, output);
  rmSync(output, { force: true });
  const timeFile = join(tmp, 'time.txt');
  rmSync(timeFile, { force: true });
  const useTime = existsSync(TIME);
  const argv = useTime ? [TIME, '-f', '%e %M %U %S', '-o', timeFile, cmd, ...args] : [cmd, ...args];
  const t0 = now();
  const timeout = tool.timeoutMs ?? CHILD_TIMEOUT_MS;
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20, timeout, cwd: ROOT, env: env ?? process.env });
  let wall = now() - t0;
  if (r.error) return { error: r.error.code === 'ETIMEDOUT' ? `timed out after ${timeout / 1000} s` : r.error.message };
  let rss = null;
  let cpu = null;
  if (useTime && existsSync(timeFile)) {
    // On failure time(1) writes "Command exited with non-zero status N" before the numbers.
    const fields = lastLine(readFileSync(timeFile, 'utf8')).split(' ').map(Number);
    if (fields.length === 4 && fields.every(Number.isFinite)) {
      rss = (fields[1] * 1024) / MB; // %M is in KiB
      cpu = fields[2] + fields[3];
    }
  }
  if (r.status !== 0 || r.signal) {
    const why = r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
    return { error: `failed (${why}): ${errorLine(r.stderr) || firstLine(r.stdout) || 'no output'}` };
  }
  let detail = null;
  if (tool.detail) {
    try {
      detail = tool.detail(r.stdout);
    } catch {
      return { error: `unexpected output: ${firstLine(r.stdout) || firstLine(r.stderr)}` };
    }
  }
  if (tool.seconds) wall = tool.seconds(detail);
  let outSize = null;
  if (tool.writes) {
    if (!existsSync(output)) return { error: 'exited 0 but wrote no output' };
    outSize = statSync(output).size;
    if (outSize < 8) return { error: `wrote only ${outSize} bytes` };
    if (!tool.keep) rmSync(output, { force: true });
  }
  return { wall, rss, cpu, detail, outSize };
}

/** A status line on stderr, only when it is a terminal; `progress()` clears it. */
export function progress(text) {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text ?? ''}`);
}

/** Runs `fn(dir)` with a fresh temporary directory, removed afterwards and on SIGINT/SIGTERM. */
export async function withTempDir(fn) {
  const tmp = mkdtempSync(join(tmpdir(), 'weft-bench-'));
  const cleanup = () => rmSync(tmp, { recursive: true, force: true });
  const onSignal = (sig) => {
    cleanup();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await fn(tmp);
  } finally {
    cleanup();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

/** The corpus inputs `only` names (all when empty), or { error } naming the unknown ones. */
export async function corpusNames(only) {
  const { CORPUS } = await import('../scripts/corpus.mjs');
  const unknown = only.filter((n) => !(n in CORPUS));
  if (unknown.length) return { error: `unknown input ${unknown.join(', ')}; known: ${Object.keys(CORPUS).join(', ')}` };
  return { names: only.length ? [...new Set(only)] : Object.keys(CORPUS) };
}

/**
 * Measures every tool on every corpus input, interleaving the tools run by run so that drift
 * (thermal, other load) hits all of them alike. `runsFor(tool, size)` is a tool's number of
 * runs on an input of `size` bytes. Returns one entry per input:
 * { name, error } or { name, input, size, tools: { [key]: { runs, samples, seconds, rssMB, cpu, outSize, detail } | { error } } }
 * where seconds and cpu are medians over the runs, rssMB the maximum and outSize, detail those of the first run.
 */
export async function measureCorpus({ names, tools, runsFor, tmp }) {
  const { corpusFile } = await import('../scripts/corpus.mjs');
  const results = [];
  for (const name of names) {
    let input;
    try {
      input = corpusFile(name);
    } catch (err) {
      results.push({ name, error: `corpus unavailable: ${firstLine(err.message)}` });
      continue;
    }
    const size = statSync(input).size;
    readFileSync(input); // warm the page cache so the first run isn't penalised
    const entry = { name, input, size, tools: {} };
    results.push(entry);
    for (const tool of tools) entry.tools[tool.key] = tool.unavailable ? { error: `n/a (${tool.unavailable})` } : { runs: runsFor(tool, size), samples: [] };
    const maxRuns = Math.max(0, ...Object.values(entry.tools).map((res) => res.runs ?? 0));
    for (let run = 0; run < maxRuns; run++) {
      for (const tool of tools) {
        const res = entry.tools[tool.key];
        if (res.error || run >= res.runs) continue;
        progress(`${name}: ${tool.label} run ${run + 1}/${res.runs}`);
        const sample = measure(tool, input, join(tmp, `${name}.${tool.key}.wasm`), tmp);
        if (sample.error) {
          res.error = sample.error;
          continue;
        }
        res.samples.push(sample);
      }
    }
    progress();
    for (const res of Object.values(entry.tools)) {
      if (res.error) continue;
      if (!res.samples.length) {
        res.error = 'not run'; // runsFor gave 0 runs
        continue;
      }
      res.seconds = median(res.samples.map((s) => s.wall));
      const rss = res.samples.map((s) => s.rss).filter((x) => x != null);
      res.rssMB = rss.length ? Math.max(...rss) : null;
      res.cpu = median(res.samples.map((s) => s.cpu ?? NaN));
      res.outSize = res.samples[0].outSize;
      res.detail = res.samples[0].detail;
    }
  }
  return results;
}

// ---------------------------------------------------------------------------
// Options

/**
 * A bench's options from `parse(args)`, or the exit status when there is nothing to run:
 * 0 after printing `help` for --help, 2 after printing a bad option's error and `help`.
 */
export function benchOptions(args, parse, help) {
  let opts;
  try {
    opts = parse(args);
  } catch (err) {
    console.error(`${err.message}\n\n${help}`);
    return 2;
  }
  if (opts.help) {
    console.log(help);
    return 0;
  }
  return opts;
}

/**
 * Parses `args` (`--flag value`, `--flag=value`, `--help`/`-h`) by `spec`: { '--flag': [key, kind] },
 * kind 'count' (a positive integer), 'list' (comma-separated, repeatable) or 'string'.
 * Throws on an unknown option or a bad value.
 */
export function parseOptions(args, spec, defaults) {
  const opts = { ...defaults };
  for (const [key, kind] of Object.values(spec)) if (kind === 'list') opts[key] = [...(opts[key] ?? [])];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, null];
    if (flag === '--help' || flag === '-h') {
      opts.help = true;
      continue;
    }
    if (!Object.hasOwn(spec, flag)) throw new Error(`unknown option ${a}`);
    const [key, kind] = spec[flag];
    const v = inline ?? args[++i];
    if (v === undefined) throw new Error(`${flag} needs a value`);
    if (kind === 'count') {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a positive integer`);
      opts[key] = n;
    } else if (kind === 'list') opts[key].push(...v.split(',').filter(Boolean));
    else opts[key] = v;
  }
  return opts;
}

// ---------------------------------------------------------------------------
// Report

export const fmt = (x, digits) => (x == null || !Number.isFinite(x) ? '—' : x.toFixed(digits));
export const secs = (x) => (x == null || !Number.isFinite(x) ? '—' : x < 0.1 ? x.toFixed(4) : x < 10 ? x.toFixed(3) : x.toFixed(2));
/** `a / b` as `1.23x`, or — when either is missing. */
export const ratio = (a, b) => (a && b && Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : '—');

/** Numbered footnotes: `ref(text)` gives `[n]`, the same n for the same text. */
export class Notes {
  list = [];
  ref(text) {
    let i = this.list.indexOf(text);
    if (i < 0) i = this.list.push(text) - 1;
    return `[${i + 1}]`;
  }
  print() {
    if (!this.list.length) return;
    console.log('');
    this.list.forEach((n, i) => console.log(`[${i + 1}] ${n}`));
  }
}

/**
 * Prints a table: `lead` names the leading columns (the first left-aligned, the others right-aligned),
 * then column groups { label, heads } separated by `|`, their label on a line above their heads.
 * `rows` hold the cells, leading columns first.
 */
export function printTable(lead, groups, rows) {
  const head1 = [...lead.map(() => ''), ...groups.flatMap((g) => g.heads.map((_, k) => (k ? '' : g.label)))];
  const head2 = [...lead, ...groups.flatMap((g) => g.heads)];
  const table = [head1, head2, ...rows];
  const widths = head2.map((_, c) => Math.max(...table.map((row) => String(row[c] ?? '').length)));
  const starts = [];
  for (let c = lead.length, g = 0; g < groups.length; c += groups[g++].heads.length) starts.push(c);
  const cell = (row, c) => String(row[c] ?? '');
  const line = (row, isGroup) => {
    let s = lead.map((_, c) => (isGroup ? ''.padEnd(widths[c]) : c ? cell(row, c).padStart(widths[c]) : cell(row, c).padEnd(widths[c]))).join('  ');
    groups.forEach((g, i) => {
      const cols = g.heads.map((_, k) => starts[i] + k);
      if (isGroup) s += ' | ' + g.label.padEnd(cols.reduce((n, c) => n + widths[c], 0) + 2 * (cols.length - 1));
      else s += ' | ' + cols.map((c) => cell(row, c).padStart(widths[c])).join('  ');
    });
    return s.trimEnd();
  };
  console.log(line(head1, true));
  console.log(line(head2));
  console.log('-'.repeat(line(head2).length));
  for (const row of rows) console.log(line(row));
}
