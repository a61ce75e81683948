// `npm run bench -- asyncify [--runs N] [--transform-runs N] [--only PART[,PART]] [--ffmpeg-O] [--json FILE]`
//
// Asyncify with default options (every import and every indirect call may unwind), weft
// against Debian's native Binaryen (/usr/bin/wasm-opt), in the same run:
//
// 1. Output quality (part `quickjs`). @jitl/quickjs-wasmfile-release-sync's
//    emscripten-module.wasm is transformed once by each build:
//      original                 the module as shipped
//      weft                     node $WEFT_BIN asyncify IN -o OUT
//      wasm-opt -O              /usr/bin/wasm-opt --all-features -O  (no asyncify: what -O alone does)
//      wasm-opt --asyncify      /usr/bin/wasm-opt --all-features --asyncify
//      wasm-opt -O --asyncify   /usr/bin/wasm-opt --all-features -O --asyncify
//    Each output must compile (new WebAssembly.Module). Then a CPU-bound JS workload (WORKLOAD
//    below) runs in QuickJS through the package's own JS glue (quickjs-emscripten-core's
//    newQuickJSWASMModuleFromVariant on the package's variant, with the build's module passed
//    as `wasmModule`; the glue ignores the asyncify exports), one child process per build and
//    run, builds interleaved run by run. Each child calls work() twice on one context:
//      cold  the first call: includes V8's lazy compilation and tier-up of what it runs
//      warm  the second call
//    and prints both and the result, which must equal the original module's (a benchmark of a
//    broken module is meaningless; a different result is reported as a failure).
//    Times are medians over --runs (default 5) processes; sizes and ratios are against the
//    original.
//
// 2. Transform speed (parts `sql-wasm`, `ffmpeg-core`): the CLI run as a whole process:
//      weft                     node $WEFT_BIN asyncify IN -o OUT
//      wasm-opt --asyncify      /usr/bin/wasm-opt --all-features --asyncify IN -o OUT
//      wasm-opt -O --asyncify   /usr/bin/wasm-opt --all-features -O --asyncify IN -o OUT
//    --transform-runs (default 3) runs each; wasm-opt --asyncify gets one run on inputs over
//    10 MB, and wasm-opt -O --asyncify one run on sql-wasm and none on ffmpeg-core (it takes
//    minutes) unless --ffmpeg-O. weft's last output is checked with WebAssembly.validate.
//
// A tool that fails (weft's AsyncifyError, a crash, invalid output, a wrong workload result)
// is shown as failed in its row, with the message in a numbered note.
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { readFileSync, writeFileSync, existsSync, statSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  benchOptions,
  MB, Notes, TIME, WASM_OPT, childMain, firstLine, fmt, lastLine, measure, measureCorpus, median, now, parseOptions, printTable, progress,
  ratio, secs, wasmOptVersion, weftBin, withTempDir,
} from './lib.mjs';
import { tryNode26 } from '../scripts/node26.mjs';

const SELF = fileURLToPath(import.meta.url);
const BIG_INPUT = 10 * MB;
const QUICKJS = 'quickjs';
const TRANSFORM_INPUTS = ['sql-wasm', 'ffmpeg-core'];
const PARTS = [QUICKJS, ...TRANSFORM_INPUTS];
const TARGET = { size: 1.3, time: 1.5, speedup: 20 }; // issue 5
const WEFT_TIMEOUT_S = 300; // a weft transform that takes longer is reported as a failure (it is > 100x off target)

// The workload: a few hundred ms of interpreter work in QuickJS, mixing its common paths.
// Recursion stays shallow: V8's native stack is the limit there, not QuickJS's.
const WORKLOAD = `function work() {
  let h = 0;
  const mix = (x) => { h = (Math.imul(h ^ x, 2654435761) + 0x9e3779b9) | 0; };
  const fib = (n) => (n < 2 ? n : fib(n - 1) + fib(n - 2));
  mix(fib(8));
  const sq = (x) => x * x;
  let acc = 0;
  for (let i = 0; i < 120000; i++) acc = (acc + sq(i & 1023)) | 0;
  mix(acc);
  const sieve = new Uint8Array(200000);
  let primes = 0;
  for (let i = 2; i < sieve.length; i++) if (!sieve[i]) { primes++; for (let j = i * i; j < sieve.length; j += i) sieve[j] = 1; }
  mix(primes);
  const pts = [];
  for (let i = 0; i < 16000; i++) pts.push({ x: (i * 7919) % 1000, y: (i * 104729) % 997, tag: 'p' + (i % 37) });
  pts.sort((a, b) => a.x - b.x || a.y - b.y);
  for (let i = 0; i < pts.length; i += 97) mix(pts[i].x * 1000 + pts[i].y);
  const counts = new Map();
  for (const p of pts) counts.set(p.tag, (counts.get(p.tag) ?? 0) + p.y);
  for (const [k, v] of counts) mix(k.length * 131 + v);
  let s = '';
  for (let i = 0; i < 4000; i++) s += String.fromCharCode(97 + (i * 31) % 26) + (i % 10);
  const words = s.match(/[a-m][0-9]/g);
  mix(words.length);
  mix(s.split('a').length);
  const back = JSON.parse(JSON.stringify(pts.slice(0, 4000)));
  mix(back.reduce((a, p) => a + p.x - p.y, 0));
  class V { constructor(x, y) { this.x = x; this.y = y; } add(o) { return new V(this.x + o.x, this.y + o.y); } }
  let v = new V(0, 0);
  for (let i = 0; i < 80000; i++) v = v.add(new V(i & 7, i % 5));
  mix(v.x); mix(v.y);
  let f = 0.5;
  for (let i = 0; i < 200000; i++) f = 3.7 * f * (1 - f);
  mix(Math.floor(f * 1e6));
  return JSON.stringify({ h, primes, words: words.length, v: [v.x, v.y] });
}`;

// ---------------------------------------------------------------------------
// Child mode: `node bench/asyncify.mjs --child quickjs WASM` prints one JSON line:
// { compile, load, cold, warm, result, result2, asyncifyExports } (seconds) or { error }.

await childMain(import.meta.url, {
  async quickjs([wasm]) {
    const t0 = now();
    const bytes = readFileSync(wasm);
    const module = new WebAssembly.Module(bytes);
    const t1 = now();
    const asyncifyExports = WebAssembly.Module.exports(module).filter((e) => e.name.startsWith('asyncify_')).length;
    const { newQuickJSWASMModuleFromVariant, newVariant } = await import('quickjs-emscripten-core');
    const { default: baseVariant } = await import('@jitl/quickjs-wasmfile-release-sync');
    const QuickJS = await newQuickJSWASMModuleFromVariant(newVariant(baseVariant, { wasmModule: module }));
    const vm = QuickJS.newContext();
    const run = (code) => {
      const handle = vm.unwrapResult(vm.evalCode(code));
      const value = vm.dump(handle);
      handle.dispose();
      return value;
    };
    run(WORKLOAD);
    const t2 = now();
    let result, result2, cold, warm;
    try {
      result = run('work()');
      const t3 = now();
      cold = t3 - t2;
      result2 = run('work()');
      warm = now() - t3;
    } catch (err) {
      console.log(JSON.stringify({ error: `the workload threw ${err?.name ?? 'error'}: ${firstLine(err?.message ?? err)}` }));
      return;
    }
    vm.dispose();
    console.log(JSON.stringify({ compile: t1 - t0, load: t2 - t1, cold, warm, result, result2, asyncifyExports }));
  },
});

// ---------------------------------------------------------------------------
// Tools

/** weft's CLI under the node running the bench, or (`node26`) under Node 26 from the npm registry. */
function weftAsyncifyTool(flags = [], node26 = false) {
  const { bin, shown, unavailable } = weftBin();
  const n26 = node26 ? tryNode26() : null;
  const node = n26 ? n26.node : process.execPath;
  const engine = n26 ? ' (Node 26)' : '';
  return {
    key: (flags.length ? `weft ${flags.join(' ')}` : 'weft') + engine,
    label: (flags.length ? `weft ${flags.join(' ')}` : 'weft') + engine,
    about: `${n26 ? node ?? 'Node 26' : `node ${process.version}`} ${shown} asyncify IN -o OUT ${flags.length ? flags.join(' ') : '(default options)'}`,
    unavailable: unavailable ?? n26?.why ?? null,
    command: (input, output) => [node, [bin, 'asyncify', input, '-o', output, ...flags]],
    writes: true,
    keep: true,
    timeoutMs: WEFT_TIMEOUT_S * 1000,
  };
}

function wasmOptTool(key, passes) {
  const { version, unavailable } = wasmOptVersion();
  return {
    key,
    label: `wasm-opt ${passes.join(' ')}`,
    about: `${WASM_OPT} --all-features ${passes.join(' ')} IN -o OUT${version ? ` (${version})` : ''}`,
    unavailable,
    command: (input, output) => [WASM_OPT, ['--all-features', ...passes, input, '-o', output]],
    writes: true,
    keep: true,
  };
}

const asyncifyTools = () => [weftAsyncifyTool(), weftAsyncifyTool([], true), wasmOptTool('wasm-opt', ['--asyncify']), wasmOptTool('wasm-opt -O', ['-O', '--asyncify'])];

function quickjsRunner(node) {
  let unavailable = null;
  for (const pkg of ['quickjs-emscripten-core', '@jitl/quickjs-wasmfile-release-sync']) {
    if (!existsSync(join(fileURLToPath(new URL('..', import.meta.url)), 'node_modules', pkg, 'package.json'))) unavailable = `npm package ${pkg} not installed (npm install)`;
  }
  return {
    key: 'quickjs',
    label: 'QuickJS workload',
    unavailable,
    command: (input) => [node, [SELF, '--child', 'quickjs', input]],
    writes: false,
    detail: (stdout) => JSON.parse(lastLine(stdout)),
  };
}

/** Why `file` isn't a usable module, or null; for an invalid module, `weft validate`'s located error too. */
function compileError(file) {
  try {
    new WebAssembly.Module(readFileSync(file));
    return null;
  } catch (err) {
    let why = `INVALID output: V8: ${firstLine(err.message).replace(/^WebAssembly\.Module\(\): /, '')}`;
    const { bin, unavailable } = weftBin();
    if (!unavailable) {
      const r = spawnSync(process.execPath, [bin, 'validate', file], { encoding: 'utf8', timeout: WEFT_TIMEOUT_S * 1000 });
      const line = firstLine(r.stderr);
      if (r.status !== 0 && line.startsWith('error: ')) why += `; weft validate: ${line.replace(/^error: .*?: (?=func )/, '')}`;
    }
    return why;
  }
}

// ---------------------------------------------------------------------------
// Options

const OPTIONS = {
  '--runs': ['runs', 'count'],
  '--transform-runs': ['transformRuns', 'count'],
  '--only': ['only', 'list'],
  '--ffmpeg-O': ['ffmpegO', 'flag'],
  '--json': ['json', 'string'],
  '--node': ['node', 'string'],
};
const HELP = `usage: npm run bench -- asyncify [options]
  --runs N              QuickJS workload processes per build (default 5; medians reported)
  --transform-runs N    runs per tool on sql-wasm and ffmpeg-core (default 3; wasm-opt --asyncify
                        gets 1 on inputs > 10 MB, wasm-opt -O --asyncify 1 on sql-wasm)
  --only PART[,PART]    parts to run (repeatable): quickjs, sql-wasm, ffmpeg-core (default all)
  --ffmpeg-O            also run wasm-opt -O --asyncify on ffmpeg-core (once; takes minutes)
  --json FILE           also write the raw measurements as JSON
  --node PATH           run the QuickJS workload under this node (e.g. Node 26, whose V8 uses
                        branch hints; default: the node running the bench)
env: WEFT_BIN (weft CLI script, default dist/src/cli/main.js), WEFT_CACHE (corpus cache)`;

function parseArgs(args) {
  // parseOptions has no boolean kind: take the flag out first.
  const flags = { ffmpegO: false };
  const rest = args.filter((a) => (a === '--ffmpeg-O' ? ((flags.ffmpegO = true), false) : true));
  const spec = Object.fromEntries(Object.entries(OPTIONS).filter(([, [, kind]]) => kind !== 'flag'));
  const opts = { ...parseOptions(rest, spec, { runs: 5, transformRuns: 3, only: [], json: null }), ...flags };
  const unknown = opts.only.filter((p) => !PARTS.includes(p));
  if (unknown.length) throw new Error(`unknown part ${unknown.join(', ')}; known: ${PARTS.join(', ')}`);
  return opts;
}

// ---------------------------------------------------------------------------
// Main

export async function main(args) {
  const opts = benchOptions(args, parseArgs, HELP);
  if (typeof opts === 'number') return opts;
  const parts = opts.only.length ? PARTS.filter((p) => opts.only.includes(p)) : PARTS;
  const out = { date: new Date().toISOString(), node: process.version, opts };
  await withTempDir(async (tmp) => {
    if (parts.includes(QUICKJS)) {
      out.quality = await quality(tmp, opts);
      reportQuality(out.quality, opts);
    }
    const names = TRANSFORM_INPUTS.filter((n) => parts.includes(n));
    if (names.length) {
      if (parts.includes(QUICKJS)) console.log('');
      out.speed = await speed(tmp, names, opts);
      reportSpeed(out.speed, opts);
    }
  });
  if (opts.json) {
    writeFileSync(opts.json, JSON.stringify(out, null, 2));
    console.log(`\nraw measurements written to ${opts.json}`);
  }
  return 0;
}

// ---------------------------------------------------------------------------
// 1. Output quality

const BUILDS = [
  { key: 'original', label: 'original', tool: null },
  { key: 'weft', label: 'weft asyncify', tool: () => weftAsyncifyTool() },
  { key: 'weft --branch-hints', label: 'weft --branch-hints', tool: () => weftAsyncifyTool(['--branch-hints']) },
  { key: 'wasm-opt -O only', label: 'wasm-opt -O (no asyncify)', tool: () => wasmOptTool('wasm-opt -O only', ['-O']) },
  { key: 'wasm-opt', label: 'wasm-opt --asyncify', tool: () => wasmOptTool('wasm-opt', ['--asyncify']) },
  { key: 'wasm-opt -O', label: 'wasm-opt -O --asyncify', tool: () => wasmOptTool('wasm-opt -O', ['-O', '--asyncify']) },
];

async function quality(tmp, opts) {
  const { corpusFile } = await import('../scripts/corpus.mjs');
  let input;
  try {
    input = corpusFile(QUICKJS);
  } catch (err) {
    return { error: `corpus unavailable: ${firstLine(err.message)}` };
  }
  const runner = quickjsRunner(opts.node ?? process.execPath);
  const builds = [];
  for (const b of BUILDS) {
    const build = { key: b.key, label: b.label, file: input };
    builds.push(build);
    if (b.tool) {
      const tool = b.tool();
      build.about = tool.about;
      if (tool.unavailable) {
        build.error = `n/a (${tool.unavailable})`;
        continue;
      }
      build.file = join(tmp, `quickjs.${b.key.replace(/[^a-z0-9]+/gi, '_')}.wasm`);
      progress(`quickjs: ${b.label}`);
      const r = measure(tool, input, build.file, tmp);
      if (r.error) {
        build.error = r.error;
        continue;
      }
      build.transform = { seconds: r.wall, rssMB: r.rss };
    }
    build.size = statSync(build.file).size;
    build.gzip = gzipSync(readFileSync(build.file), { level: 9 }).length;
    const bad = compileError(build.file);
    if (bad) build.error = bad;
    else if (runner.unavailable) build.error = `n/a (${runner.unavailable})`;
    build.samples = [];
  }
  for (let run = 0; run < opts.runs; run++) {
    for (const build of builds) {
      if (build.error) continue;
      progress(`quickjs workload: ${build.label} run ${run + 1}/${opts.runs}`);
      const r = measure(runner, build.file, join(tmp, 'unused'), tmp);
      if (r.error || r.detail?.error) build.error = r.error ?? r.detail.error;
      else build.samples.push({ ...r.detail, rss: r.rss });
    }
  }
  progress();
  const reference = builds[0].samples?.[0]?.result;
  for (const build of builds) {
    if (build.error || !build.samples.length) continue;
    const wrong = build.samples.find((s) => s.result !== reference || s.result2 !== reference);
    if (reference !== undefined && wrong) build.error = `WRONG RESULT: work() gave ${wrong.result !== reference ? wrong.result : wrong.result2}, the original ${reference}`;
    build.cold = median(build.samples.map((s) => s.cold));
    build.warm = median(build.samples.map((s) => s.warm));
    build.compile = median(build.samples.map((s) => s.compile));
    build.rssMB = Math.max(...build.samples.map((s) => s.rss ?? 0)) || null;
    build.asyncifyExports = build.samples[0].asyncifyExports;
  }
  // Each run times every build one after the other, so a build's times over the original's
  // in the same run cancel the machine's drift between runs, which medians taken apart do
  // not (on this 2-core VM the cold ratio of medians moved from 1.41x to 1.94x within an hour).
  const orig = builds[0];
  for (const build of builds) {
    if (build.error || !build.samples.length || orig.error) continue;
    build.coldX = pairedRatios(build, orig, 'cold');
    build.warmX = pairedRatios(build, orig, 'warm');
  }
  return { input, builds, reference };
}

/** Per-run ratios of a build's `key` times to another's in the same runs: { median, min, max }. */
function pairedRatios(build, base, key) {
  const xs = [];
  for (let r = 0; r < Math.min(build.samples.length, base.samples.length); r++) xs.push(build.samples[r][key] / base.samples[r][key]);
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

const times = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}x` : '—');
const ms = (s) => (s == null || !Number.isFinite(s) ? '—' : (s * 1000).toFixed(0));
const check = (ok) => (ok ? 'met' : 'NOT met');

function reportQuality(q, opts) {
  console.log(`1. Output quality: ${QUICKJS} (@jitl/quickjs-wasmfile-release-sync emscripten-module.wasm), a JS workload in QuickJS`);
  console.log('');
  if (q.error) {
    console.log(`  ${q.error}`);
    return;
  }
  const notes = new Notes();
  const orig = q.builds[0];
  const rows = q.builds.map((b) => {
    const failed = b.error ? `${b.error.startsWith('n/a') ? 'n/a' : 'FAILED'} ${notes.ref(b.error)}` : null;
    const sized = b.size != null;
    const timed = !b.error && b.cold != null;
    return [
      b.label,
      sized ? String(b.size) : failed ?? '—',
      sized ? ratio(b.size, orig.size) : '',
      sized ? ratio(b.gzip, orig.gzip) : '',
      b.transform ? secs(b.transform.seconds) : '',
      timed ? ms(b.cold) : sized ? failed ?? '' : '',
      timed ? times(b.coldX.median) : '',
      timed ? `${b.coldX.min.toFixed(2)}-${b.coldX.max.toFixed(2)}` : '',
      timed ? ms(b.warm) : '',
      timed ? times(b.warmX.median) : '',
      timed ? ms(b.compile) : '',
    ];
  });
  printTable(
    ['build'],
    [
      { label: 'size', heads: ['bytes', 'x', 'gzip x'] },
      { label: 'transform', heads: ['s'] },
      { label: 'workload', heads: ['cold ms', 'x', 'x range', 'warm ms', 'x', 'compile ms'] },
    ],
    rows,
  );
  console.log('');
  const engine = opts.node ?? process.execPath;
  console.log(`workload engine: ${engine} (${spawnSync(engine, ['--version'], { encoding: 'utf8' }).stdout.trim()})`);
  console.log(`x = relative to the original. Workload: median over ${opts.runs} processes per build, builds interleaved; the`);
  console.log(`workload's x is the median of the per-run ratios to the original's time in the same run (x range: their spread); cold is the`);
  console.log(`first work() call in the process (includes V8's lazy compilation and tier-up), warm the second; compile is`);
  console.log(`new WebAssembly.Module(bytes). Both calls must return the original's result: ${q.reference ?? '(original failed)'}.`);
  console.log(`transform: one run of the whole process. gzip: level 9.`);
  for (const b of q.builds) if (b.about) console.log(`  ${b.label.padEnd(26)} ${b.about}`);
  const w = q.builds.find((b) => b.key === 'weft');
  const wo = q.builds.find((b) => b.key === 'wasm-opt -O');
  console.log('');
  if (w.error || w.cold == null) console.log(`targets: weft has no measurement (${w.error ?? 'no runs'})`);
  else {
    const size = w.size / orig.size;
    console.log(`targets: weft size ${size.toFixed(2)}x <= ${TARGET.size}x: ${check(size <= TARGET.size)}; ` +
      `time cold ${times(w.coldX.median)} / warm ${times(w.warmX.median)} <= ${TARGET.time}x: ` +
      `${check(w.coldX.median <= TARGET.time)} / ${check(w.warmX.median <= TARGET.time)}`);
    if (wo && !wo.error && wo.cold != null) {
      console.log(`weft vs wasm-opt -O --asyncify: size ${ratio(w.size, wo.size)}, cold ${times(pairedRatios(w, wo, 'cold').median)}, ` +
        `warm ${times(pairedRatios(w, wo, 'warm').median)} (< 1 means weft is better)`);
    }
  }
  notes.print();
}

// ---------------------------------------------------------------------------
// 2. Transform speed

async function speed(tmp, names, opts) {
  const tools = asyncifyTools();
  const runsFor = (tool, size, name) => {
    if (tool.key === 'wasm-opt') return size > BIG_INPUT ? 1 : opts.transformRuns;
    if (tool.key === 'wasm-opt -O') return size > BIG_INPUT ? (opts.ffmpegO ? 1 : 0) : 1;
    return opts.transformRuns;
  };
  const results = await measureCorpus({ names, tools, runsFor, tmp });
  for (const r of results) {
    if (r.error) continue;
    const w = r.tools.weft;
    const o = r.tools['wasm-opt -O'];
    if (o.error === 'not run') o.error = 'n/a (not run on inputs > 10 MB: it takes minutes; --ffmpeg-O to run it)';
    if (!w.error) {
      const bad = compileError(join(tmp, `${r.name}.weft.wasm`));
      if (bad) w.error = bad;
    }
    for (const t of tools) rmSync(join(tmp, `${r.name}.${t.key}.wasm`), { force: true });
  }
  return { tools: tools.map(({ key, label, about }) => ({ key, label, about })), results };
}

function reportSpeed(s, opts) {
  console.log('2. Transform speed: default options (every import and indirect call may unwind)');
  console.log('');
  const notes = new Notes();
  const rows = [];
  for (const r of s.results) {
    if (r.error) {
      rows.push([r.name, notes.ref(r.error)]);
      continue;
    }
    const row = [r.name, fmt(r.size / MB, 2)];
    for (const t of s.tools) {
      const res = r.tools[t.key];
      if (res.error) row.push(`${res.error.startsWith('n/a') ? 'n/a' : 'FAILED'} ${notes.ref(res.error)}`, '', '', '');
      else row.push(secs(res.seconds) + (res.runs < opts.transformRuns ? '*' : ''), fmt(res.rssMB, 0), fmt(res.outSize / MB, 2), ratio(res.outSize, r.size));
    }
    const w = r.tools.weft;
    const w26 = r.tools['weft (Node 26)'];
    const ok = (res) => !res.error && res.seconds != null;
    const wa = r.tools['wasm-opt'];
    const wo = r.tools['wasm-opt -O'];
    row.push(ok(w) && ok(wa) ? ratio(wa.seconds, w.seconds) : '—', ok(w26) && ok(wa) ? ratio(wa.seconds, w26.seconds) : '—', ok(w) && ok(wo) ? ratio(w.outSize, wo.outSize) : '—', ok(w) && ok(wa) ? ratio(w.outSize, wa.outSize) : '—');
    rows.push(row);
  }
  printTable(
    ['input', 'MB'],
    [...s.tools.map((t) => ({ label: t.label, heads: ['s', 'RSS MB', 'out MB', 'out x'] })), { label: 'ratios', heads: ['time wasm-opt/weft', 'on Node 26', 'out weft/-O', 'out weft/wasm-opt'] }],
    rows,
  );
  console.log('');
  console.log(`MB = 10^6 bytes. s: median wall time of the whole child process over ${opts.transformRuns} run(s); * = fewer runs`);
  console.log(`(wasm-opt --asyncify: 1 on inputs > ${BIG_INPUT / MB} MB; wasm-opt -O --asyncify: 1 on sql-wasm${opts.ffmpegO ? ' and ffmpeg-core' : ', none on ffmpeg-core without --ffmpeg-O'}).`);
  console.log(`RSS: peak resident set size (max over runs)${existsSync(TIME) ? ', from /usr/bin/time' : `; n/a because ${TIME} is missing`}. out x: output / input size.`);
  console.log(`weft's output is checked with new WebAssembly.Module (V8).`);
  for (const t of s.tools) console.log(`  ${t.label.padEnd(24)} ${t.about}`);
  console.log('');
  for (const r of s.results) {
    if (r.error) continue;
    const w = r.tools.weft;
    const wa = r.tools['wasm-opt'];
    const wo = r.tools['wasm-opt -O'];
    if (w.error) {
      console.log(`targets on ${r.name}: weft has no measurement`);
      continue;
    }
    const parts = [];
    if (!wa.error) parts.push(`${(wa.seconds / w.seconds).toFixed(1)}x faster than wasm-opt --asyncify (>= ${TARGET.speedup}x): ${check(wa.seconds / w.seconds >= TARGET.speedup)}`);
    if (!wo.error) parts.push(`output ${ratio(w.outSize, wo.outSize)} of wasm-opt -O --asyncify's (<= 1): ${check(w.outSize <= wo.outSize)}`);
    else if (!wa.error) parts.push(`output ${ratio(w.outSize, wa.outSize)} of wasm-opt --asyncify's (no -O run)`);
    const w26 = r.tools['weft (Node 26)'];
    if (!wa.error && !w26.error) parts.push(`on Node 26 ${(wa.seconds / w26.seconds).toFixed(1)}x: ${check(wa.seconds / w26.seconds >= TARGET.speedup)}`);
    console.log(`targets on ${r.name}: weft ${parts.join('; ')}`);
  }
  notes.print();
}
