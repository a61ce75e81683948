// Runs the behaviour cases (cases.mjs) in this Node: assembles each module with
// binaryen.js, asyncifies it with weft, validates the output with weft and V8, runs both
// and compares. Prints a JSON report. Usage: node run-cases.mjs [--all]
// (without --all, only the cases Node 20 can execute).
import binaryen from 'binaryen';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const haveWat2wasm = (() => {
  try {
    execFileSync('wat2wasm', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
import { parseModule, readModule, writeModule, validate } from '../../dist/src/index.js';
import { asyncify } from '../../dist/src/passes/asyncify/index.js';
import { CASES } from './cases.mjs';
import { host } from './driver.mjs';

const all = process.argv.includes('--all');
const show = (v) => (typeof v === 'bigint' ? `${v}n` : Array.isArray(v) ? v.map(show) : v);

/**
 * Assembles a test module. WABT's wat2wasm keeps the code exactly as written (operand-stack
 * values live across calls stay on the stack); binaryen.js, the fallback, turns such
 * values into locals. 'weft' uses weft's own parser.
 */
export function assemble(wat, assembler = 'wat2wasm') {
  // weft's own parser, for code the others cannot take (multi-value GC references on the stack).
  if (assembler === 'weft') return writeModule(parseModule(wat));
  if (haveWat2wasm && assembler === 'wat2wasm') {
    const dir = mkdtempSync(join(tmpdir(), 'weft-wat-'));
    try {
      writeFileSync(join(dir, 'm.wat'), wat);
      execFileSync('wat2wasm', ['--enable-all', '--debug-names', join(dir, 'm.wat'), '-o', join(dir, 'm.wasm')], { stdio: ['ignore', 'ignore', 'pipe'] });
      return new Uint8Array(readFileSync(join(dir, 'm.wasm')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return assembleWithBinaryen(wat);
}

function assembleWithBinaryen(wat) {
  const mod = binaryen.parseText(wat);
  // WebAssembly 3.0's features (Features.All would add later proposals' encodings).
  const F = binaryen.Features;
  mod.setFeatures(F.Atomics | F.MutableGlobals | F.NontrappingFPToInt | F.SIMD128 | F.BulkMemory | F.SignExt | F.ExceptionHandling
    | F.TailCall | F.ReferenceTypes | F.Multivalue | F.GC | F.Memory64 | F.RelaxedSIMD | F.ExtendedConst | F.MultiMemory);
  if (!mod.validate()) throw new Error('binaryen: invalid test module');
  binaryen.setDebugInfo(true); // keep the name section
  const bytes = mod.emitBinary().slice();
  mod.dispose();
  return bytes;
}

export function weftAsyncify(bytes, options = {}) {
  const m = readModule(bytes);
  const report = asyncify(m, options);
  const out = writeModule(m);
  const errors = validate(readModule(out));
  if (errors.length) throw new Error(`weft rejects its own output: func ${errors[0].func}: ${errors[0].message}`);
  return { out, report };
}

async function runAll(bytes, c) {
  const h = await host(bytes, { mem64: !!c.mem64, extraImports: c.imports ?? {} });
  const results = [];
  for (const [name, ...args] of c.calls) {
    try {
      results.push(show(h.call(name, ...args)));
    } catch (e) {
      results.push(`trap: ${e.message}`);
    }
  }
  return { results, log: h.log, sleeps: h.sleeps };
}

async function main() {
const report = [];
// Every case runs as transformed plainly, with -O, and with every loop that has a site
// peeled: its function split in two (with -O and branch hints too, and with --asserts,
// whose checks must not fire), or not.
const VARIANTS = [['', {}], [' (-O)', { optimize: true }], [' (--peel 1)', { peelSites: 1 }],
  [' (-O --peel 1 --branch-hints)', { optimize: true, peelSites: 1, branchHints: true }],
  [' (--asserts --peel 1)', { asserts: true, peelSites: 1 }],
  [' (--peel 1, not split)', { peelSites: 1, splitRewind: false }]];
for (const c of CASES) for (const [suffix, variant] of VARIANTS) {
  if (c.node === 26 && !all) continue;
  const entry = { name: `${c.name}${suffix}`, ok: false };
  report.push(entry);
  try {
    const bytes = assemble(c.wat, c.assembler);
    const { out, report: r } = weftAsyncify(bytes, { ...c.options, ...variant });
    entry.instrumented = r.instrumented;
    entry.sites = r.sites;
    if (!WebAssembly.validate(out)) throw new Error('V8 rejects the output');
    const plain = await runAll(bytes, c);
    const asy = await runAll(out, c);
    entry.plain = plain.results;
    entry.async = asy.results;
    entry.sleeps = asy.sleeps;
    const same = JSON.stringify(plain) === JSON.stringify(asy);
    const expected = !c.expect || JSON.stringify(plain.results) === JSON.stringify(c.expect.map(show));
    if (!same) entry.error = `differs: plain ${JSON.stringify(plain)} vs asyncified ${JSON.stringify(asy)}`;
    else if (!expected) entry.error = `unexpected results ${JSON.stringify(plain.results)}, expected ${JSON.stringify(c.expect.map(show))}`;
    else if (asy.sleeps === 0) entry.error = 'never suspended';
    else entry.ok = true;
  } catch (e) {
    entry.error = e.stack;
  }
}
console.log(JSON.stringify({ assembler: haveWat2wasm ? 'wat2wasm' : 'binaryen.js', cases: report }, null, 1));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
