// weft reloop on real-world modules: every function's control-flow graph recovered and
// structurized again, then the programs behind the modules must behave exactly as the
// originals (sql.js answering SQL, esbuild transforming and bundling), the output must
// validate (weft and V8), and the code section may grow by at most 2%.
//
//   node --test test/reloop.test.mjs
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { emptyModule, ExternKind, OP_BY_NAME, Body, writeModule } from '../dist/src/index.js';
import { checkEsbuild, checkSqlJs, corpusOrSkip } from './realworld-lib.mjs';
import { tryNode26 } from '../scripts/node26.mjs';

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

test('--keep-smaller keeps every function at most as large as it was', (t) => {
  const input = corpusOrSkip(t, 'sql-wasm');
  if (!input) return;
  const output = join(tmp, 'sql-wasm.smaller.wasm');
  const r = spawnSync(process.execPath, [WEFT_BIN, 'reloop', input, '-o', output, '--keep-smaller', '--validate', '--stats'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const original = codeSectionSize(readFileSync(input));
  const smaller = codeSectionSize(readFileSync(output));
  t.diagnostic(`sql-wasm --keep-smaller: ${r.stderr.trim()}; code section ${original} → ${smaller} B`);
  assert.ok(smaller <= original, `code section grew: ${original} → ${smaller}`);
  assert.match(r.stderr, /left as they were: \d+ rendering larger/);
});

test('CLI: invalid or malformed input is an error, and nothing is written', () => {
  const op = (name) => OP_BY_NAME.get(name).id;
  const m = emptyModule();
  m.types.push({ final: true, supers: [], comp: { kind: 'func', params: [], results: [] }, explicit: false });
  m.recGroups.push({ start: 0, count: 1, explicit: false });
  const body = new Body();
  body.push(op('i32.const'), 1);
  body.push(op('end'));
  m.funcs.push({ type: 0, body, raw: null, offset: 0 });
  m.exports.push({ name: 'f', kind: ExternKind.Func, index: 0 });
  const cases = [
    ['invalid.wasm', writeModule(m), /input is not valid: .*func 0/],
    ['malformed.wasm', new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 10, 5, 1]), /malformed\.wasm:0x[0-9a-f]+: /],
  ];
  for (const [name, bytes, message] of cases) {
    const input = join(tmp, name);
    const output = join(tmp, `${name}.out`);
    writeFileSync(input, bytes);
    const r = spawnSync(process.execPath, [WEFT_BIN, 'reloop', input, '-o', output], { encoding: 'utf8' });
    assert.equal(r.status, 1, `${name}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
    assert.ok(!existsSync(output), `${name}: output written`);
  }
});

test('values on the stack across control flow, every way: relooped functions give the same results (Node 26)', (t) => {
  const { node, why } = tryNode26();
  if (!node) {
    t.skip(why);
    return;
  }
  const script = fileURLToPath(new URL('./spec/reloop-stack.mjs', import.meta.url));
  const r = JSON.parse(spawnSync(node, [script], { encoding: 'utf8' }).stdout);
  assert.deepEqual(r.invalid, []);
  assert.deepEqual(r.differences, []);
  assert.equal(r.relooped, r.functions, 'every function rebuilt');
  assert.ok(r.calls >= 50);
});
