// weft reloop on real-world modules: every function's control-flow graph recovered and
// structurized again, then the programs behind the modules must behave exactly as the
// originals (sql.js answering SQL, esbuild transforming and bundling), the output must
// validate (weft and V8), and the code section may grow by at most 2%.
//
//   node --test test/reloop.test.mjs
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkEsbuild, checkSqlJs, corpusOrSkip } from './realworld-lib.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WEFT_BIN = join(ROOT, 'dist/src/cli/main.js');
const tmp = mkdtempSync(join(tmpdir(), 'weft-reloop-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Size of the code section (id 10), read from the section headers. */
function codeSectionSize(bytes) {
  let p = 8;
  const leb = () => {
    let v = 0, shift = 0, b;
    do {
      b = bytes[p++];
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return v;
  };
  while (p < bytes.length) {
    const id = bytes[p++];
    const size = leb();
    if (id === 10) return size;
    p += size;
  }
  throw new Error('no code section');
}

/** Runs weft reloop with --validate --stats; returns the output bytes, its path and the code section's growth. */
function reloop(t, name, input) {
  const output = join(tmp, `${name}.reloop.wasm`);
  const start = performance.now();
  const r = spawnSync(process.execPath, [WEFT_BIN, 'reloop', input, '-o', output, '--validate', '--stats'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `weft reloop ${name} exited with ${r.status ?? r.signal}:\n${r.stderr}`);
  const bytes = readFileSync(output);
  assert.ok(WebAssembly.validate(bytes), `${name}: relooped module does not validate in V8`);
  const original = readFileSync(input);
  const before = codeSectionSize(original), afterSize = codeSectionSize(bytes);
  const growth = (afterSize - before) / before;
  const stats = r.stderr.trim().split('\n').find((l) => l.startsWith('weft reloop:'));
  assert.ok(stats, `no stats line from weft reloop:\n${r.stderr}`);
  t.diagnostic(`${name}: ${stats}; code section ${before} → ${afterSize} B (${(100 * growth).toFixed(2)}%) in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  const rebuilt = Number(/(\d+) of (\d+) functions rebuilt/.exec(stats)[1]);
  assert.ok(rebuilt > 0, 'no function was rebuilt');
  return { original, bytes, path: output, growth };
}

function assertGrowth(name, growth) {
  assert.ok(growth <= 0.02, `${name}: code section grew by ${(100 * growth).toFixed(2)}% (> 2%)`);
}

test('sql.js: relooped sql-wasm.wasm runs SQLite identically', async (t) => {
  const input = corpusOrSkip(t, 'sql-wasm');
  if (!input) return;
  const { original, bytes, growth } = reloop(t, 'sql-wasm', input);
  await checkSqlJs(t, original, bytes);
  assertGrowth('sql-wasm', growth);
});

test('esbuild-wasm: relooped esbuild.wasm transforms and builds identically', async (t) => {
  const input = corpusOrSkip(t, 'esbuild');
  if (!input) return;
  const { path, growth } = reloop(t, 'esbuild', input);
  await checkEsbuild(t, path, tmp);
  assertGrowth('esbuild', growth);
});
