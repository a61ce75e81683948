// Runs a reduced reproducer (test/asyncify/repro/*.wat): its `;; RUN: {json}` line gives
// the weft options, the export calls ({ name, args, fuel }; "5n" is a BigInt) and the
// probability that a sleep suspends; "node26": true for a module that needs Node 26. Returns the untransformed and asyncified logs.
//
//   node test/asyncify/repro-run.mjs FILE.wat
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readModule, writeModule, validate } from '../../dist/src/index.js';
import { asyncify } from '../../dist/src/passes/asyncify/index.js';
import { assemble, assembleWeft, run } from './fuzz-run.mjs';

export async function runRepro(file) {
  const text = readFileSync(file, 'utf8');
  const spec = JSON.parse(/^;; RUN: (.*)$/m.exec(text)[1]);
  const calls = spec.calls.map((c) => ({ fuel: 100, ...c, args: c.args.map((a) => (typeof a === 'string' && a.endsWith('n') ? BigInt(a.slice(0, -1)) : a)) }));
  const dir = mkdtempSync(join(tmpdir(), 'weft-repro-'));
  try {
    // Modules with 3.0 constructs wabt lacks ("node26": true) go through weft's parser.
    const bytes = spec.node26 ? assembleWeft(text, dir, 'repro') : assemble(text, dir, 'repro');
    const expected = (await run(bytes, calls)).log;
    let got;
    try {
      const m = readModule(bytes);
      asyncify(m, spec.options ?? {});
      const out = writeModule(m);
      const errors = validate(readModule(out));
      if (errors.length) got = [`weft's validator rejects the output: ${errors[0].message}`];
      else if (!WebAssembly.validate(out)) got = ['V8 rejects the output'];
      else got = (await run(out, calls, { p: spec.p ?? 1, suspendSeed: spec.seed ?? 1 })).log;
    } catch (err) {
      got = [`weft asyncify throws: ${err.message}`];
    }
    return { expected, got };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { expected, got } = await runRepro(process.argv[2]);
  const n = Math.max(expected.length, got.length);
  for (let i = 0; i < n; i++) console.log(`${expected[i] === got[i] ? ' ' : '!'} ${String(expected[i]).padEnd(40)} ${got[i]}`);
  process.exit(JSON.stringify(expected) === JSON.stringify(got) ? 0 : 1);
}
