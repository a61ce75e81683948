// `npm run bench -- validate [--runs N] [--only NAME[,NAME]] [--json FILE]`
//
// Validates the real-world corpus modules with weft and with its peers, each run as its
// own child process (so that peak RSS is per tool), all in the same run, interleaved:
//   weft CLI     node $WEFT_BIN validate IN   (default dist/src/cli/main.js; exit 0 = valid);
//                the whole process: node start-up, module loading, file read, decode, validation
//   weft cold    readModule(bytes) + validate(m) in a child node, from the dist/src that holds
//   weft warm    $WEFT_BIN; only those calls are timed. Cold is the first call; warm is the best
//                of the next WARM_ITERATIONS calls in the same process
//   V8           WebAssembly.validate(bytes) in a child node, first call, no flags; only the call
//                is timed. V8 validates function bodies on its worker threads too, so this is
//                not a one-thread figure: see its CPU time, and:
//   V8 1-thread  the same under node --single-threaded, where V8 validates on the calling thread
//   wasm-opt 1c  BINARYEN_CORES=1 /usr/bin/wasm-opt --all-features IN   (Debian binaryen; no passes,
//                no output: parse + validate; the whole process)
//   wasm-opt Nc  the same with binaryen's default, one thread per core
// weft is single-threaded here (readModule and validate don't use workers). Times are the median
// over --runs (default 3); RSS is the maximum over runs.
import { availableParallelism } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  benchOptions,
  MB, Notes, TIME, WASM_OPT, childMain, corpusNames, fmt, measureCorpus, lastLine, median, now, parseOptions, printTable, ratio, secs,
  v8Tool, wasmOptVersion, weftBin, withTempDir,
} from './lib.mjs';

const SELF = fileURLToPath(import.meta.url);
const WARM_ITERATIONS = 5;
const TARGET = { input: 'ffmpeg-core', ratio: 3 }; // the issue: "weft within 3x of V8's WebAssembly.validate on ffmpeg-core.wasm"
const CORES = availableParallelism();

// ---------------------------------------------------------------------------
// Child mode: `node bench/validate.mjs --child weft DIST_SRC IN` prints one JSON line:
// { cold, warm, iterations: [s...], cpu: [s...], valid, message }.

await childMain(import.meta.url, {
  async weft([distSrc, input]) {
    const { readModule } = await import(pathToFileURL(join(distSrc, 'index.js')).href);
    const { validate } = await import(pathToFileURL(join(distSrc, 'validate', 'module.js')).href);
    const bytes = readFileSync(input);
    const iterations = [];
    const cpu = [];
    let message = null;
    for (let i = 0; i <= WARM_ITERATIONS && message === null; i++) {
      const c0 = process.cpuUsage();
      const t0 = now();
      try {
        const errors = validate(readModule(bytes), { firstOnly: true }); // as `weft validate` does
        if (errors.length) message = `func ${errors[0].func} at 0x${errors[0].offset.toString(16)}: ${errors[0].message}`;
      } catch (e) {
        message = `threw ${e?.name ?? 'error'}: ${e?.message ?? e}`;
      }
      iterations.push(now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1e6);
    }
    const warm = iterations.length > 1 ? Math.min(...iterations.slice(1)) : null;
    console.log(JSON.stringify({ cold: iterations[0], warm, iterations, cpu, valid: message === null, message }));
  },
});

// ---------------------------------------------------------------------------
// Tools

function weftCliTool() {
  const { bin, shown, unavailable } = weftBin();
  return {
    key: 'weft',
    label: 'weft CLI',
    about: `node ${shown} validate IN; exit 0 = valid; the whole process`,
    unavailable,
    command: (input) => [process.execPath, [bin, 'validate', input]],
    writes: false,
  };
}

function weftLibTool() {
  const { bin, unavailable } = weftBin();
  const distSrc = resolve(dirname(bin), '..');
  const missing = ['index.js', 'validate/module.js'].map((f) => join(distSrc, f)).filter((f) => !existsSync(f));
  return {
    key: 'weft-lib',
    label: 'weft in-process',
    about:
      `readModule(bytes) + validate(m, { firstOnly: true }) from ${distSrc}/{index.js,validate/module.js}, in a child node; ` +
      `only the calls are timed: cold = first call, warm = best of the next ${WARM_ITERATIONS}`,
    unavailable: unavailable ?? (missing.length ? `${missing.join(', ')} missing; run npm run build` : null),
    command: (input) => [process.execPath, [SELF, '--child', 'weft', distSrc, input]],
    writes: false,
    detail: (stdout) => JSON.parse(lastLine(stdout)),
    seconds: (detail) => detail.cold,
  };
}

function wasmOptTool(cores) {
  const { version, unavailable } = wasmOptVersion();
  const env = { ...process.env };
  delete env.BINARYEN_CORES;
  if (cores === 1) env.BINARYEN_CORES = '1';
  return {
    key: cores === 1 ? 'wasm-opt-1' : 'wasm-opt',
    label: `wasm-opt ${cores === 1 ? 1 : CORES}c`,
    about:
      `${cores === 1 ? 'BINARYEN_CORES=1 ' : ''}${WASM_OPT} --all-features IN${version ? ` (${version})` : ''}; no passes, no output: ` +
      `parse + validate; the whole process; ${cores === 1 ? 'one thread' : `default threads (one per core: ${CORES})`}`,
    unavailable,
    command: (input) => [WASM_OPT, ['--all-features', input], env],
    writes: false,
  };
}

// ---------------------------------------------------------------------------
// Options, main loop

const OPTIONS = { '--runs': ['runs', 'count'], '--only': ['only', 'list'], '--json': ['json', 'string'] };

const HELP = `usage: npm run bench -- validate [options]
  --runs N            runs per tool and input (default 3; the median is reported)
  --only NAME[,NAME]  inputs to measure (repeatable): sql-wasm, esbuild, swc, ffmpeg-core
  --json FILE         also write the raw measurements as JSON
env: WEFT_BIN (weft CLI script, default dist/src/cli/main.js; the in-process figures use the
     dist/src it belongs to), WEFT_CACHE (corpus cache)`;

export async function main(args) {
  const opts = benchOptions(args, (a) => parseOptions(a, OPTIONS, { runs: 3, only: [], json: null }), HELP);
  if (typeof opts === 'number') return opts;
  const corpus = await corpusNames(opts.only);
  if (corpus.error) {
    console.error(corpus.error);
    return 2;
  }
  const tools = [
    weftCliTool(),
    weftLibTool(),
    v8Tool({ label: 'V8' }),
    v8Tool({ key: 'v8-1', label: 'V8 1-thread', nodeFlags: ['--single-threaded'] }),
    wasmOptTool(1),
    wasmOptTool(CORES),
  ];
  const results = await withTempDir((tmp) => measureCorpus({ names: corpus.names, tools, runsFor: () => opts.runs, tmp }));
  for (const r of results) {
    const lib = r.tools?.['weft-lib'];
    if (lib && !lib.error) lib.warm = median(lib.samples.map((s) => s.detail.warm ?? NaN));
  }

  report(results, tools, opts);
  if (opts.json) {
    writeFileSync(opts.json, JSON.stringify({ date: new Date().toISOString(), node: process.version, cores: CORES, opts, tools: tools.map(({ key, about, unavailable }) => ({ key, about, unavailable })), results }, null, 2));
    console.log(`\nraw measurements written to ${opts.json}`);
  }
  return 0;
}

// ---------------------------------------------------------------------------
// Report

/** Each tool's verdict on an input: { valid: true } or { valid: false, why } (rejected, or failed to run). */
function verdict(tool, res) {
  if (res.error) return { valid: false, why: res.error };
  if (res.detail && res.detail.valid === false) return { valid: false, why: res.detail.message ?? 'WebAssembly.validate() returned false' };
  return { valid: true };
}

function report(results, tools, opts) {
  const notes = new Notes();
  const byKey = Object.fromEntries(tools.map((t) => [t.key, t]));
  // Column groups: [label, tool key, field of the tool's result holding the time, with RSS?]
  const figures = [
    ['weft CLI', 'weft', 'seconds', true],
    ['weft cold', 'weft-lib', 'seconds', true],
    ['weft warm', 'weft-lib', 'warm', false],
    ['V8', 'v8', 'seconds', true],
    ['V8 1-thread', 'v8-1', 'seconds', false],
    [byKey['wasm-opt-1'].label, 'wasm-opt-1', 'seconds', true],
    [byKey['wasm-opt'].label, 'wasm-opt', 'seconds', true],
  ];
  const ratios = [
    ['CLI/V8', 'weft', 'seconds', 'v8', 'seconds'],
    ['cold/V8', 'weft-lib', 'seconds', 'v8', 'seconds'],
    ['warm/V8', 'weft-lib', 'warm', 'v8', 'seconds'],
    [`wasm-opt 1c/CLI`, 'wasm-opt-1', 'seconds', 'weft', 'seconds'],
    [`wasm-opt ${CORES}c/CLI`, 'wasm-opt', 'seconds', 'weft', 'seconds'],
  ];
  const time = (r, key, field) => (r.tools[key].error ? null : r.tools[key][field]);

  const rows = [];
  for (const r of results) {
    if (r.error) {
      rows.push([r.name, notes.ref(r.error), ...figures.flatMap(([, , , rss]) => (rss ? ['', '', ''] : ['', ''])), ...ratios.map(() => '')]);
      continue;
    }
    const row = [r.name, fmt(r.size / MB, 2)];
    for (const [label, key, field, rss] of figures) {
      const res = r.tools[key];
      const v = verdict(byKey[key], res);
      if (res.error) row.push(`${res.error.startsWith('n/a') ? 'n/a' : 'failed'} ${notes.ref(`${byKey[key].label}: ${res.error}`)}`, '');
      else {
        const t = res[field];
        const flag = v.valid ? '' : ` ${notes.ref(`${byKey[key].label} says ${r.name} is INVALID: ${v.why}`)}`;
        row.push(secs(t) + flag, fmt(r.size / MB / t, 1));
      }
      if (rss) row.push(res.error ? '' : fmt(res.rssMB, 0));
    }
    for (const [, a, af, b, bf] of ratios) row.push(ratio(time(r, a, af), time(r, b, bf)));
    rows.push(row);
  }
  printTable(
    ['input', 'MB'],
    [
      ...figures.map(([label, , , rss]) => ({ label, heads: rss ? ['s', 'MB/s', 'RSS MB'] : ['s', 'MB/s'] })),
      { label: 'ratios', heads: ratios.map(([head]) => head) },
    ],
    rows,
  );

  console.log('');
  console.log(`MB = 10^6 bytes. Times: median over ${opts.runs} run(s), each tool in its own child process, interleaved run by run.`);
  console.log('weft CLI, wasm-opt: wall time of the whole process (start-up and file read included). weft cold/warm, V8: only');
  console.log('the calls, timed inside the child (no start-up, no file read). RSS: peak resident set size of the child process');
  console.log(`(max over runs${existsSync(TIME) ? ', from /usr/bin/time' : `; n/a because ${TIME} is missing`}); weft cold's is that of the process making all ${WARM_ITERATIONS + 1} calls.`);
  console.log(`Ratios: X/V8 is that weft figure in units of V8's (unperturbed) time; wasm-opt Nc/CLI > 1 means the weft CLI is`);
  console.log('faster than wasm-opt on N threads (both whole processes).');
  for (const t of tools) console.log(`${t.label.padEnd(15)} ${t.about}`);

  // The issue's target.
  console.log('');
  const target = results.find((r) => r.name === TARGET.input && !r.error);
  const v8 = target && time(target, 'v8', 'seconds');
  const cold = target && time(target, 'weft-lib', 'seconds');
  if (!target) console.log(`target (weft within ${TARGET.ratio}x of V8's WebAssembly.validate on ${TARGET.input}.wasm): not measured — ${TARGET.input} not among the inputs`);
  else if (!v8 || !cold) console.log(`target (weft within ${TARGET.ratio}x of V8's WebAssembly.validate on ${TARGET.input}.wasm): not measured — a measurement failed`);
  else {
    const met = cold / v8 <= TARGET.ratio;
    const others = [['CLI', time(target, 'weft', 'seconds')], ['warm', time(target, 'weft-lib', 'warm')]]
      .map(([k, t]) => `${k} ${ratio(t, v8)}${t && t / v8 <= TARGET.ratio ? ' (within)' : ''}`)
      .join(', ');
    console.log(
      `target: weft within ${TARGET.ratio}x of V8's WebAssembly.validate on ${TARGET.input}.wasm — ${met ? 'MET' : 'NOT MET'}: ` +
        `weft cold in-process ${secs(cold)} s / V8 ${secs(v8)} s = ${ratio(cold, v8)}` +
        (met ? '' : ` (needs <= ${secs(v8 * TARGET.ratio)} s, ${(cold / (v8 * TARGET.ratio)).toFixed(2)}x faster than now)`),
    );
    console.log(`  (cold in-process is the like-for-like figure: one first call in a fresh node, as V8's. Other weft figures / V8: ${others}.`);
    const v81 = time(target, 'v8-1', 'seconds');
    if (v81) console.log(`  Against V8 on one thread (--single-threaded, ${secs(v81)} s): cold ${ratio(cold, v81)}, warm ${ratio(time(target, 'weft-lib', 'warm'), v81)}.)`);
    else console.log('  V8 on one thread: not measured.)');
  }

  // Did every tool agree each module is valid?
  console.log('\nverdicts:');
  for (const r of results) {
    if (r.error) continue;
    const bad = tools.map((t) => [t, verdict(t, r.tools[t.key])]).filter(([, v]) => !v.valid);
    if (!bad.length) console.log(`  ${r.name}: valid according to all ${tools.length} tools/settings`);
    else console.log(`  ${r.name}: NOT confirmed valid by ${bad.map(([t, v]) => `${t.label} (${v.why})`).join('; ')}`);
  }

  console.log(`\nper input: CPU time (user+sys, median; for V8 and weft cold that of the timed call alone: above its wall time,`);
  console.log('V8 helper threads did part of the work — its parallel validation, or JIT compilation and GC for weft)');
  for (const r of results) {
    if (r.error) continue;
    const parts = tools.map((t) => {
      const res = r.tools[t.key];
      if (res.error) return `${t.label} n/a`;
      if (t.key === 'v8' || t.key === 'v8-1') return `${t.label} call cpu ${fmt(median(res.samples.map((s) => s.detail.cpu ?? NaN)), 3)} s`;
      if (t.key === 'weft-lib') {
        const d = res.detail;
        return `${t.label} cold call cpu ${fmt(median(res.samples.map((s) => s.detail.cpu[0])), 3)} s, process cpu ${fmt(res.cpu, 2)} s (run 1 calls: ${d.iterations.map((x) => secs(x)).join(' ')} s)`;
      }
      return `${t.label} cpu ${fmt(res.cpu, 2)} s`;
    });
    console.log(`  ${r.name}: ${parts.join('; ')}`);
  }
  notes.print();
}
