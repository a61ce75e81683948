// `npm run bench -- convert [--runs N] [--only NAME[,NAME]] [--binaryen-runs N] [--json FILE]`
//
// Reads, fully decodes, re-encodes and writes the real-world corpus modules with
// weft and with its peers, each run as its own child process so that peak RSS
// is per tool:
//   weft         node $WEFT_BIN convert IN -o OUT   (default dist/src/cli/main.js)
//   wasm-opt     /usr/bin/wasm-opt --all-features IN -o OUT   (Debian binaryen; no passes:
//                read + validate + write; explicit path because npm scripts put
//                node_modules/.bin/wasm-opt from npm's binaryen first on PATH)
//   binaryen.js  npm binaryen: readBinary(bytes, Features.All) + emitBinary() + write
//   V8 validate  WebAssembly.validate(bytes) in a child node; only that call is timed
// Wall times are the median over --runs (default 3); RSS is the maximum over runs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const TIME = '/usr/bin/time';
const WASM_OPT = '/usr/bin/wasm-opt';
const MB = 1e6;
const BIG_INPUT = 10 * MB; // binaryen.js gets a single run above this by default
const CHILD_TIMEOUT_MS = 15 * 60_000;
const now = () => Number(process.hrtime.bigint()) / 1e9;

// ---------------------------------------------------------------------------
// Child modes: `node bench/convert.mjs --child binaryen IN OUT` / `--child validate IN`.
// They print one JSON line on stdout.

async function child([mode, input, output]) {
  if (mode === 'binaryen') {
    const t0 = now();
    const { default: binaryen } = await import('binaryen');
    const t1 = now();
    const bytes = readFileSync(input);
    const t2 = now();
    const module = binaryen.readBinary(bytes, binaryen.Features.All);
    const t3 = now();
    const out = module.emitBinary();
    const t4 = now();
    writeFileSync(output, out);
    const t5 = now();
    module.dispose();
    console.log(JSON.stringify({ load: t1 - t0, read: t2 - t1, decode: t3 - t2, encode: t4 - t3, write: t5 - t4 }));
  } else if (mode === 'validate') {
    const bytes = readFileSync(input);
    const t0 = now();
    const valid = WebAssembly.validate(bytes);
    const seconds = now() - t0;
    console.log(JSON.stringify({ seconds, valid }));
  } else {
    throw new Error(`unknown child mode ${mode}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === '--child') {
  await child(process.argv.slice(3));
  process.exit(0);
}

// ---------------------------------------------------------------------------
// Tools

function weftTool() {
  const bin = resolve(ROOT, process.env.WEFT_BIN || 'dist/src/cli/main.js');
  const shown = process.env.WEFT_BIN ? `${bin} (from WEFT_BIN)` : relative(ROOT, bin);
  return {
    key: 'weft',
    label: 'weft',
    about: `node ${shown} convert IN -o OUT`,
    unavailable: existsSync(bin) ? null : `${shown} missing; run npm run build`,
    command: (input, output) => [process.execPath, [bin, 'convert', input, '-o', output]],
    writes: true,
  };
}

function wasmOptTool() {
  let version = null;
  let unavailable = null;
  if (!existsSync(WASM_OPT)) unavailable = `${WASM_OPT} not installed (apt-get install binaryen)`;
  else {
    const r = spawnSync(WASM_OPT, ['--version'], { encoding: 'utf8' });
    if (r.status !== 0) unavailable = `${WASM_OPT} --version failed: ${firstLine(r.stderr || r.error?.message)}`;
    else version = r.stdout.trim();
  }
  return {
    key: 'wasm-opt',
    label: 'wasm-opt',
    about: `${WASM_OPT} --all-features IN -o OUT${version ? ` (${version})` : ''}; no passes: parse + validate + write, multi-threaded`,
    unavailable,
    command: (input, output) => [WASM_OPT, ['--all-features', input, '-o', output]],
    writes: true,
  };
}

function binaryenJsTool() {
  const pkg = join(ROOT, 'node_modules', 'binaryen', 'package.json');
  let version = null;
  try {
    version = JSON.parse(readFileSync(pkg, 'utf8')).version;
  } catch {}
  return {
    key: 'binaryen.js',
    label: 'binaryen.js',
    about: `npm binaryen${version ? `@${version}` : ''}: readBinary(Features.All) + emitBinary() + write, in node`,
    unavailable: version ? null : 'npm package binaryen not installed (npm install)',
    command: (input, output) => [process.execPath, [SELF, '--child', 'binaryen', input, output]],
    writes: true,
    detail: (stdout) => JSON.parse(lastLine(stdout)),
  };
}

function v8Tool() {
  return {
    key: 'v8',
    label: 'V8 validate',
    about: `WebAssembly.validate() in node ${process.version} (V8 ${process.versions.v8}); only the call is timed`,
    unavailable: null,
    command: (input) => [process.execPath, [SELF, '--child', 'validate', input]],
    writes: false,
    detail: (stdout) => JSON.parse(lastLine(stdout)),
    seconds: (detail) => detail.seconds,
  };
}

// ---------------------------------------------------------------------------
// Measuring

const firstLine = (s) => String(s ?? '').trim().split('\n')[0].slice(0, 160);
const lastLine = (s) => String(s ?? '').trim().split('\n').pop();

/** Runs one tool once; returns { wall, rss, cpu, detail, outSize } or { error }. */
function measure(tool, input, output, tmp) {
  const [cmd, args] = tool.command(input, output);
  rmSync(output, { force: true });
  const timeFile = join(tmp, 'time.txt');
  rmSync(timeFile, { force: true });
  const useTime = existsSync(TIME);
  const argv = useTime ? [TIME, '-f', '%e %M %U %S', '-o', timeFile, cmd, ...args] : [cmd, ...args];
  const t0 = now();
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20, timeout: CHILD_TIMEOUT_MS, cwd: ROOT });
  let wall = now() - t0;
  if (r.error) return { error: r.error.code === 'ETIMEDOUT' ? `timed out after ${CHILD_TIMEOUT_MS / 1000} s` : r.error.message };
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
    return { error: `failed (${why}): ${firstLine(r.stderr) || firstLine(r.stdout) || 'no output'}` };
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
    rmSync(output, { force: true });
  }
  return { wall, rss, cpu, detail, outSize };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// ---------------------------------------------------------------------------
// Options, main loop, report

function parseArgs(args) {
  const opts = { runs: 3, binaryenRuns: null, only: [], json: null };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, null];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const count = () => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a positive integer`);
      return n;
    };
    if (flag === '--runs') opts.runs = count();
    else if (flag === '--binaryen-runs') opts.binaryenRuns = count();
    else if (flag === '--only') opts.only.push(...value().split(',').filter(Boolean));
    else if (flag === '--json') opts.json = value();
    else if (flag === '--help' || flag === '-h') opts.help = true;
    else throw new Error(`unknown option ${a}`);
  }
  return opts;
}

const HELP = `usage: npm run bench -- convert [options]
  --runs N            runs per tool and input (default 3; the median wall time is reported)
  --only NAME[,NAME]  inputs to measure (repeatable): sql-wasm, esbuild, swc, ffmpeg-core
  --binaryen-runs N   runs for binaryen.js (default: --runs, but 1 on inputs > 10 MB)
  --json FILE         also write the raw measurements as JSON
env: WEFT_BIN (weft CLI script, default dist/src/cli/main.js), WEFT_CACHE (corpus cache)`;

export async function main(args) {
  let opts;
  try {
    opts = parseArgs(args);
  } catch (err) {
    console.error(`${err.message}\n\n${HELP}`);
    return 2;
  }
  if (opts.help) {
    console.log(HELP);
    return 0;
  }
  const { CORPUS, corpusFile } = await import('../scripts/corpus.mjs');
  const unknown = opts.only.filter((n) => !(n in CORPUS));
  if (unknown.length) {
    console.error(`unknown input ${unknown.join(', ')}; known: ${Object.keys(CORPUS).join(', ')}`);
    return 2;
  }
  const names = opts.only.length ? [...new Set(opts.only)] : Object.keys(CORPUS);
  const tools = [weftTool(), wasmOptTool(), binaryenJsTool(), v8Tool()];
  const tmp = mkdtempSync(join(tmpdir(), 'weft-bench-'));
  const cleanup = () => rmSync(tmp, { recursive: true, force: true });
  const onSignal = (sig) => {
    cleanup();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const results = [];
  try {
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
      for (const tool of tools) {
        const runs = tool.key === 'binaryen.js' ? (opts.binaryenRuns ?? (size > BIG_INPUT ? 1 : opts.runs)) : opts.runs;
        entry.tools[tool.key] = tool.unavailable ? { error: `n/a (${tool.unavailable})` } : { runs, samples: [] };
      }
      // Interleave the tools run by run so that drift (thermal, other load) hits all of them alike.
      for (let run = 0; run < opts.runs || tools.some((t) => entry.tools[t.key].runs > run); run++) {
        for (const tool of tools) {
          const res = entry.tools[tool.key];
          if (res.error || run >= res.runs) continue;
          if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${name}: ${tool.label} run ${run + 1}/${res.runs}`);
          const sample = measure(tool, input, join(tmp, `${name}.${tool.key}.wasm`), tmp);
          if (sample.error) {
            res.error = sample.error;
            continue;
          }
          res.samples.push(sample);
        }
      }
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
      for (const res of Object.values(entry.tools)) {
        if (res.error) continue;
        res.seconds = median(res.samples.map((s) => s.wall));
        const rss = res.samples.map((s) => s.rss).filter((x) => x != null);
        res.rssMB = rss.length ? Math.max(...rss) : null;
        res.cpu = median(res.samples.map((s) => s.cpu ?? NaN));
        res.outSize = res.samples[0].outSize;
        res.detail = res.samples[0].detail;
      }
    }
  } finally {
    cleanup();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }

  report(results, tools, opts);
  if (opts.json) {
    writeFileSync(opts.json, JSON.stringify({ date: new Date().toISOString(), node: process.version, opts, tools: tools.map(({ key, about, unavailable }) => ({ key, about, unavailable })), results }, null, 2));
    console.log(`\nraw measurements written to ${opts.json}`);
  }
  return 0;
}

function report(results, tools, opts) {
  const fmt = (x, digits) => (x == null || !Number.isFinite(x) ? '—' : x.toFixed(digits));
  const secs = (x) => (x == null ? '—' : x < 0.1 ? x.toFixed(4) : x < 10 ? x.toFixed(3) : x.toFixed(2));
  const notes = [];
  const noteFor = (text) => {
    let i = notes.indexOf(text);
    if (i < 0) i = notes.push(text) - 1;
    return `[${i + 1}]`;
  };
  const ratio = (a, b) => (a?.seconds && b?.seconds ? `${(a.seconds / b.seconds).toFixed(2)}x` : '—');

  const head1 = ['', ''];
  const head2 = ['input', 'MB'];
  for (const t of tools) {
    head1.push(t.label, '', '');
    head2.push('s', 'MB/s', 'RSS MB');
  }
  head1.push('ratios', '', '');
  head2.push('wasm-opt/weft', 'binaryen.js/weft', 'weft/V8');

  const rows = [];
  for (const r of results) {
    if (r.error) {
      rows.push([r.name, noteFor(r.error), ...tools.flatMap(() => ['', '', '']), '', '', '']);
      continue;
    }
    const row = [r.name, fmt(r.size / MB, 2)];
    for (const t of tools) {
      const res = r.tools[t.key];
      if (res.error) row.push(`${res.error.startsWith('n/a') ? 'n/a' : 'failed'} ${noteFor(res.error)}`, '', '');
      else row.push(secs(res.seconds) + (res.runs < opts.runs ? '*' : ''), fmt(r.size / MB / res.seconds, 1), fmt(res.rssMB, 0));
    }
    const w = r.tools.weft;
    row.push(ratio(r.tools['wasm-opt'], w), ratio(r.tools['binaryen.js'], w), ratio(w, r.tools.v8));
    rows.push(row);
  }

  const table = [head1, head2, ...rows];
  const widths = head2.map((_, c) => Math.max(...table.map((row) => String(row[c] ?? '').length)));
  // Group labels span their three columns.
  const groupStarts = [2, 5, 8, 11, 14];
  const line = (row, isGroup) => {
    if (isGroup) {
      let s = ''.padEnd(widths[0]) + '  ' + ''.padEnd(widths[1]);
      for (const g of groupStarts) {
        const span = widths[g] + widths[g + 1] + widths[g + 2] + 4;
        s += ' | ' + row[g].padEnd(span);
      }
      return s.trimEnd();
    }
    let s = String(row[0]).padEnd(widths[0]) + '  ' + String(row[1]).padStart(widths[1]);
    for (const g of groupStarts) s += ' | ' + [0, 1, 2].map((k) => String(row[g + k]).padStart(widths[g + k])).join('  ');
    return s.trimEnd();
  };
  console.log(line(head1, true));
  console.log(line(head2));
  console.log('-'.repeat(line(head2).length));
  for (const row of rows) console.log(line(row));

  console.log('');
  console.log(`MB = 10^6 bytes. Times: median wall time over ${opts.runs} run(s) of the whole child process (node start-up included),`);
  console.log(`except V8 validate, where only the WebAssembly.validate() call is timed. RSS: peak resident set size of the child`);
  console.log(`process (max over runs)${existsSync(TIME) ? ', from /usr/bin/time' : `; n/a because ${TIME} is missing`}.`);
  console.log(`Ratios: wasm-opt/weft and binaryen.js/weft > 1 mean weft is faster; weft/V8 is weft's time in units of V8's validation.`);
  if (results.some((r) => Object.values(r.tools ?? {}).some((res) => res.runs < opts.runs)))
    console.log(
      `* binaryen.js ran ${opts.binaryenRuns ?? 1} time(s) instead of ${opts.runs} on ${results.filter((r) => r.tools?.['binaryen.js']?.runs < opts.runs).map((r) => r.name).join(', ')}` +
        (opts.binaryenRuns ? ' (--binaryen-runs)' : ` (inputs > ${BIG_INPUT / MB} MB; --binaryen-runs N to change)`),
    );
  for (const t of tools) console.log(`${t.label.padEnd(12)} ${t.about}`);

  console.log('\nper input: CPU time (user+sys, median) and output size');
  for (const r of results) {
    if (r.error) continue;
    const parts = tools.map((t) => {
      const res = r.tools[t.key];
      if (res.error) return `${t.label} n/a`;
      let s = `${t.label} cpu ${fmt(res.cpu, 2)} s`;
      if (res.outSize != null) s += `, out ${res.outSize} B (${res.outSize >= r.size ? '+' : ''}${(((res.outSize - r.size) / r.size) * 100).toFixed(2)}%)`;
      if (t.key === 'binaryen.js' && res.detail)
        s += `; load ${fmt(res.detail.load, 2)} + decode ${fmt(res.detail.decode, 2)} + encode ${fmt(res.detail.encode, 2)} s`;
      if (t.key === 'v8' && res.detail && !res.detail.valid) s += ' — INVALID according to V8';
      return s;
    });
    console.log(`  ${r.name}: ${parts.join('; ')}`);
  }
  if (notes.length) {
    console.log('');
    notes.forEach((n, i) => console.log(`[${i + 1}] ${n}`));
  }
}
