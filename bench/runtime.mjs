// `npm run bench -- runtime [--runs N] [--repeat N] [--cycles N]`
//
// Suspend/resume round trips through weft/runtime, per backend, against npm
// `asyncify-wasm` (GoogleChromeLabs' Asyncify wrapper) on the same module, all in one run.
// The module is a loop calling an async import `env.tick` that returns an already
// resolved Promise, so a round trip is: suspend (unwind or stack switch), await, resume.
// Two shapes, each of --cycles round trips (default 100,000):
//   loop   one export call whose loop suspends --cycles times
//   calls  --cycles export calls that suspend once each (adds the per-call cost)
// Tools, each in its own child process, on Node 20 and on Node 26 (tools/node26):
//   weft asyncify   weft/runtime, Asyncify backend, on the module asyncified by binaryen.js
//                   (and by weft's pass, once it is built)
//   weft jspi       weft/runtime, JSPI backend, on the untransformed module (Node 26 only)
//   asyncify-wasm   Asyncify.instantiate() on the same asyncified modules
// Each child warms up with one round of each shape, then times --runs rounds (default 5);
// each tool's child runs --repeat times (default 3), interleaved with the other tools' so
// that load from elsewhere on the machine hits all alike. The table gives the best and the
// median round over all of a tool's rounds, in CPU time (user + system of the child: the
// work is all on the CPU, resolved Promises and no I/O, and CPU time holds up where wall
// time does not on a shared machine), per round trip, and the ratio of the best to
// asyncify-wasm's on the same node.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Notes, ROOT, benchOptions, childMain, fmt, measure, median, parseOptions, printTable, progress, ratio, withTempDir } from './lib.mjs';

const SELF = fileURLToPath(import.meta.url);
const SPIN = `(module
  (import "env" "tick" (func $tick (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "spin") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (call $tick (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc)))`;

const HELP = `usage: npm run bench -- runtime [--runs N] [--repeat N] [--cycles N]

  --runs N     timed rounds per shape in each child process (default 5)
  --repeat N   child processes per tool, interleaved with the other tools (default 3)
  --cycles N   suspend/resume round trips per round (default 100000)`;

// ---------------------------------------------------------------------------
// Child: `node bench/runtime.mjs --child TOOL WASM CYCLES RUNS` prints
// { loop: [s...], calls: [s...] } (CPU seconds per round).

await childMain(import.meta.url, {
  async run([tool, file, cyclesText, runsText]) {
    const cycles = Number(cyclesText);
    const runs = Number(runsText);
    const bytes = readFileSync(file);
    const imports = { env: { tick: (i) => Promise.resolve(i & 1) } };
    let spin;
    if (tool === 'asyncify-wasm') {
      const Asyncify = await import('asyncify-wasm');
      const r = await Asyncify.instantiate(bytes, imports); // like WebAssembly.instantiate: { module, instance }
      spin = r.instance.exports.spin;
    } else {
      const { instantiate } = await import(pathToFileURL(join(ROOT, 'dist/src/runtime/index.js')).href);
      const r = await instantiate(bytes, imports, { async: ['env.tick'], backend: tool.replace('weft ', '') });
      spin = r.exports.spin;
    }
    const shapes = {
      loop: async () => {
        if ((await spin(cycles)) !== cycles >> 1) throw new Error('wrong result');
      },
      calls: async () => {
        for (let i = 0; i < cycles; i++) if ((await spin(1)) !== 0) throw new Error('wrong result');
      },
    };
    const out = {};
    for (const [shape, fn] of Object.entries(shapes)) {
      await fn(); // warm-up
      out[shape] = [];
      for (let r = 0; r < runs; r++) {
        const c0 = process.cpuUsage();
        await fn();
        const c = process.cpuUsage(c0);
        out[shape].push((c.user + c.system) / 1e6);
      }
    }
    console.log(JSON.stringify(out));
  },
});

// ---------------------------------------------------------------------------

export async function main(args) {
  const opts = benchOptions(args, (a) => parseOptions(a, { '--runs': ['runs', 'count'], '--repeat': ['repeat', 'count'], '--cycles': ['cycles', 'count'] }, { runs: 5, repeat: 3, cycles: 100_000 }), HELP);
  if (typeof opts === 'number') return opts;
  const { node26 } = await import('../scripts/node26.mjs');
  const nodes = [{ label: `Node ${process.versions.node}`, bin: process.execPath, jspi: false }];
  try {
    nodes.push({ label: 'Node 26', bin: node26(), jspi: true });
  } catch (e) {
    nodes.push({ label: 'Node 26', unavailable: e.message });
  }
  const { assemble, asyncifiers } = await import('../test/runtime/asyncifiers.mjs');
  const rows = await withTempDir(async (tmp) => {
    const plain = await assemble(SPIN);
    // The module as each asyncifier leaves it: binaryen.js always, weft's pass once built.
    const all = await asyncifiers();
    const files = { plain: { name: 'untransformed', file: join(tmp, 'spin.wasm') } };
    writeFileSync(files.plain.file, plain);
    const builds = [];
    for (const a of [all[0], all.find((x) => x.name === 'weft asyncify')]) {
      if (!a || a.unavailable) continue;
      const file = join(tmp, `spin.${builds.length}.wasm`);
      writeFileSync(file, await a.asyncify(plain, ['env.tick']));
      builds.push({ name: a.name, file });
    }
    const pairs = [...builds.map((b) => ['weft asyncify', b]), ['weft jspi', files.plain], ...builds.map((b) => ['asyncify-wasm', b])];
    const out = [];
    for (const node of nodes) {
      for (const [tool, { name, file }] of pairs) {
        const row = { node: node.label, tool, module: name, file, bin: node.bin, loop: [], calls: [], rss: 0 };
        out.push(row);
        if (node.unavailable) row.error = `n/a (${node.unavailable})`;
        else if (tool === 'weft jspi' && !node.jspi) row.error = 'n/a (no JSPI in this node)';
      }
    }
    for (let rep = 0; rep < opts.repeat; rep++) {
      for (const row of out) {
        if (row.error) continue;
        progress(`${row.node}: ${row.tool} ${rep + 1}/${opts.repeat}`);
        const r = measure({
          command: () => [row.bin, [SELF, '--child', 'run', row.tool, row.file, String(opts.cycles), String(opts.runs)]],
          writes: false,
          detail: (stdout) => JSON.parse(stdout.trim().split('\n').pop()),
        }, row.file, join(tmp, 'unused'), tmp);
        if (r.error) {
          row.error = r.error;
          continue;
        }
        row.loop.push(...r.detail.loop.map((x) => x / opts.cycles));
        row.calls.push(...r.detail.calls.map((x) => x / opts.cycles));
        row.rss = Math.max(row.rss, r.rss ?? 0);
      }
    }
    progress();
    return out;
  });
  report(rows, opts);
  return 0;
}

function report(rows, opts) {
  const notes = new Notes();
  const us = (s) => fmt(s == null ? null : s * 1e6, 3);
  const best = (xs) => Math.min(...xs);
  // The peer: asyncify-wasm on the same node and module (binaryen.js's for JSPI's row).
  const peer = (row) => rows.find((r) => r.node === row.node && r.tool === 'asyncify-wasm' && !r.error && (r.module === row.module || (row.tool === 'weft jspi' && r.module === 'binaryen.js')));
  const n = opts.runs * opts.repeat;
  console.log(`${opts.cycles.toLocaleString('en-US')} suspend/resume round trips a round, ${n} rounds per tool and shape; CPU µs per round trip\n`);
  const shape = (r, key) => [us(best(r[key])), us(median(r[key])), ratio(best(r[key]), peer(r) && best(peer(r)[key]))];
  printTable(
    ['node', 'tool', 'module'],
    [
      { label: 'loop (one call)', heads: ['best', 'median', 'best vs asyncify-wasm'] },
      { label: 'calls (one suspension each)', heads: ['best', 'median', 'best vs asyncify-wasm'] },
      { label: 'peak', heads: ['RSS MB'] },
    ],
    rows.map((r) => (r.error ? [r.node, r.tool, r.module, notes.ref(r.error)] : [r.node, r.tool, r.module, ...shape(r, 'loop'), ...shape(r, 'calls'), fmt(r.rss, 0)])),
  );
  notes.print();
  console.log('\nRatios below 1.00x: weft is faster. The module: a loop calling env.tick, which returns Promise.resolve(i & 1).');
}
