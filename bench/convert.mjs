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
// The measuring, table and corpus plumbing is shared with the other benchmarks in lib.mjs.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  benchOptions,
  MB, Notes, ROOT, TIME, WASM_OPT, childMain, corpusNames, fmt, lastLine, measureCorpus, now, parseOptions, printTable, ratio, secs,
  v8Tool, wasmOptVersion, weftBin, withTempDir,
} from './lib.mjs';

const SELF = fileURLToPath(import.meta.url);
const BIG_INPUT = 10 * MB; // binaryen.js gets a single run above this by default

// ---------------------------------------------------------------------------
// Child mode: `node bench/convert.mjs --child binaryen IN OUT` prints one JSON line on stdout.
// (V8 validate's child is in lib.mjs.)

await childMain(import.meta.url, {
  async binaryen([input, output]) {
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
  },
});

// ---------------------------------------------------------------------------
// Tools

function weftTool() {
  const { bin, shown, unavailable } = weftBin();
  return {
    key: 'weft',
    label: 'weft',
    about: `node ${shown} convert IN -o OUT`,
    unavailable,
    command: (input, output) => [process.execPath, [bin, 'convert', input, '-o', output]],
    writes: true,
  };
}

function wasmOptTool() {
  const { version, unavailable } = wasmOptVersion();
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

// ---------------------------------------------------------------------------
// Options, main loop, report

const OPTIONS = { '--runs': ['runs', 'count'], '--binaryen-runs': ['binaryenRuns', 'count'], '--only': ['only', 'list'], '--json': ['json', 'string'] };
const parseArgs = (args) => parseOptions(args, OPTIONS, { runs: 3, binaryenRuns: null, only: [], json: null });

const HELP = `usage: npm run bench -- convert [options]
  --runs N            runs per tool and input (default 3; the median wall time is reported)
  --only NAME[,NAME]  inputs to measure (repeatable): sql-wasm, esbuild, swc, ffmpeg-core
  --binaryen-runs N   runs for binaryen.js (default: --runs, but 1 on inputs > 10 MB)
  --json FILE         also write the raw measurements as JSON
env: WEFT_BIN (weft CLI script, default dist/src/cli/main.js), WEFT_CACHE (corpus cache)`;

export async function main(args) {
  const opts = benchOptions(args, parseArgs, HELP);
  if (typeof opts === 'number') return opts;
  const corpus = await corpusNames(opts.only);
  if (corpus.error) {
    console.error(corpus.error);
    return 2;
  }
  const tools = [weftTool(), wasmOptTool(), binaryenJsTool(), v8Tool()];
  const runsFor = (tool, size) => (tool.key === 'binaryen.js' ? (opts.binaryenRuns ?? (size > BIG_INPUT ? 1 : opts.runs)) : opts.runs);
  const results = await withTempDir((tmp) => measureCorpus({ names: corpus.names, tools, runsFor, tmp }));

  report(results, tools, opts);
  if (opts.json) {
    writeFileSync(opts.json, JSON.stringify({ date: new Date().toISOString(), node: process.version, opts, tools: tools.map(({ key, about, unavailable }) => ({ key, about, unavailable })), results }, null, 2));
    console.log(`\nraw measurements written to ${opts.json}`);
  }
  return 0;
}

function report(results, tools, opts) {
  const notes = new Notes();
  const rows = [];
  for (const r of results) {
    if (r.error) {
      rows.push([r.name, notes.ref(r.error), ...tools.flatMap(() => ['', '', '']), '', '', '']);
      continue;
    }
    const row = [r.name, fmt(r.size / MB, 2)];
    for (const t of tools) {
      const res = r.tools[t.key];
      if (res.error) row.push(`${res.error.startsWith('n/a') ? 'n/a' : 'failed'} ${notes.ref(res.error)}`, '', '');
      else row.push(secs(res.seconds) + (res.runs < opts.runs ? '*' : ''), fmt(r.size / MB / res.seconds, 1), fmt(res.rssMB, 0));
    }
    const w = r.tools.weft;
    row.push(ratio(r.tools['wasm-opt'].seconds, w.seconds), ratio(r.tools['binaryen.js'].seconds, w.seconds), ratio(w.seconds, r.tools.v8.seconds));
    rows.push(row);
  }
  printTable(
    ['input', 'MB'],
    [...tools.map((t) => ({ label: t.label, heads: ['s', 'MB/s', 'RSS MB'] })), { label: 'ratios', heads: ['wasm-opt/weft', 'binaryen.js/weft', 'weft/V8'] }],
    rows,
  );

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
  notes.print();
}
