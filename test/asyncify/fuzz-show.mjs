// Shows both runs of a (reduced) .wat with the export calls, options and suspension
// schedule of a fuzz seed:  node test/asyncify/fuzz-show.mjs SEED FILE.wat
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readModule, writeModule } from '../../dist/src/index.js';
import { asyncify } from '../../dist/src/passes/asyncify/index.js';
import { generate, rng } from './fuzz-gen.mjs';
import { assemble, optionsFor, plan, run } from './fuzz-run.mjs';

const seed = Number(process.argv[2]);
const dir = mkdtempSync(join(tmpdir(), 'weft-show-'));
const bytes = assemble(readFileSync(process.argv[3], 'utf8'), dir, 'x', { names: seed % 5 === 0 });
const calls = plan(seed, generate(seed, { ...(seed % 4 === 0 ? { stmtBudget: 90, maxFuncs: 8 } : {}), ...JSON.parse(process.env.FUZZ_GEN ?? '{}') }).funcs);
const m = readModule(bytes);
const options = optionsFor(seed);
asyncify(m, options);
const out = writeModule(m);
writeFileSync(join(dir, 'x.async.wasm'), out);
const p = rng(seed * 31 + 7).pick([0.2, 0.5, 1]);
const a = await run(bytes, calls);
const b = await run(out, calls, { suspendSeed: seed, p });
console.log(`options ${JSON.stringify(options)}, p=${p}, calls ${JSON.stringify(calls, (k, v) => (typeof v === 'bigint' ? `${v}n` : v))}`);
console.log(`files: ${dir}/x.wasm, ${dir}/x.async.wasm`);
const n = Math.max(a.log.length, b.log.length);
for (let i = 0; i < n; i++) console.log(`${a.log[i] === b.log[i] ? ' ' : '!'} ${String(a.log[i]).padEnd(40)} ${b.log[i]}`);
