// Real modules asyncified with default options (every import and indirect call may
// unwind) must still work exactly as before when nothing suspends: sql.js answers its
// SQL suite, esbuild transforms and bundles, swc transforms, FFmpeg transcodes,
// identically. This checks the normal path of every instrumented function on large
// compiler-generated code. sql.js, swc, FFmpeg, QuickJS and esbuild's Go CLI also run
// suspending at every import call (unwinding the whole stack and rewinding it at once,
// through their own JS glue; see suspendingInstance), which checks the save and restore
// paths on real stacks.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readModule, validate, writeModule } from '../dist/src/index.js';
import { AsyncifyError, asyncify } from '../dist/src/passes/asyncify/index.js';
import { tryNode26 } from '../scripts/node26.mjs';
import { checkEsbuild, checkEsbuildGo, checkFfmpeg, checkQuickJS, checkSqlJs, checkSwc, corpusOrSkip } from './realworld-lib.mjs';

/** The module at `path` (its bytes `input`, if already read) asyncified, its output validated. */
function asyncified(path, t, options = {}, input = readFileSync(path)) {
  const start = performance.now();
  const m = readModule(input);
  const report = asyncify(m, options);
  const out = writeModule(m);
  const ms = performance.now() - start;
  const errors = validate(readModule(out), { firstOnly: true });
  assert.deepEqual(errors, [], 'weft validates its output');
  // Node 20's V8 has no multi-memory (the Node 26 child compiles that output instead).
  if (options.secondaryMemoryPages === undefined) assert.ok(WebAssembly.validate(out), 'V8 validates the output');
  t.diagnostic(`${report.instrumented} functions instrumented, ${report.sites} sites; ${input.length} → ${out.length} B (${(out.length / input.length).toFixed(2)}×) in ${(ms / 1000).toFixed(2)} s`);
  return out;
}

test('sql.js: asyncified sql-wasm.wasm runs SQLite identically, also suspending at every import call', async (t) => {
  const path = corpusOrSkip(t, 'sql-wasm');
  if (!path) return;
  const original = readFileSync(path);
  await checkSqlJs(t, original, asyncified(path, t, {}, original), { alsoSuspending: true });
});

test('@swc/wasm: asyncified swc runs identically, also suspending at every import call', (t) => {
  const path = corpusOrSkip(t, 'swc');
  if (!path) return;
  const out = asyncified(path, t);
  const tmp = mkdtempSync(join(tmpdir(), 'weft-asyncify-swc-'));
  try {
    checkSwc(t, out, tmp, { alsoSuspending: true });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('@ffmpeg/core: asyncified FFmpeg transcodes identically, also suspending at every import call', async (t) => {
  const path = corpusOrSkip(t, 'ffmpeg-core');
  if (!path) return;
  const original = readFileSync(path);
  await checkFfmpeg(t, original, asyncified(path, t, {}, original), { alsoSuspending: true });
});

test('QuickJS: asyncified (default, -O with branch hints, --asserts) runs a host-calling program as Node does, also suspending at every import call', async (t) => {
  const path = corpusOrSkip(t, 'quickjs');
  if (!path) return;
  const original = readFileSync(path);
  for (const options of [{}, { optimize: true, branchHints: true }, { asserts: true }]) {
    await checkQuickJS(t, original, asyncified(path, t, options, original), { alsoSuspending: true });
  }
});

test('esbuild-wasm: asyncified esbuild.wasm transforms and builds identically', async (t) => {
  const path = corpusOrSkip(t, 'esbuild');
  if (!path) return;
  const tmp = mkdtempSync(join(tmpdir(), 'weft-asyncify-esbuild-'));
  try {
    const out = join(tmp, 'esbuild.wasm');
    writeFileSync(out, asyncified(path, t));
    await checkEsbuild(t, out, tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

const { node: node26, why: noNode26 } = tryNode26();

test('esbuild-wasm: asyncified with its buffer in a secondary memory, esbuild\'s Go CLI bundles identically suspending at every import call (Node 26)', { skip: noNode26 ?? false }, (t) => {
  const path = corpusOrSkip(t, 'esbuild');
  if (!path) return;
  const tmp = mkdtempSync(join(tmpdir(), 'weft-asyncify-esbuild-go-'));
  try {
    checkEsbuildGo(t, asyncified(path, t, { secondaryMemoryPages: 16 }), tmp, node26);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('ruby.wasm, asyncified by Binaryen already: a clear error, and the CLI writes nothing', async (t) => {
  const path = corpusOrSkip(t, 'ruby');
  if (!path) return;
  assert.throws(() => asyncify(readModule(readFileSync(path))), (e) => e instanceof AsyncifyError
    && e.message === 'the module already exports asyncify_start_unwind: is it asyncified already?');
  const tmp = mkdtempSync(join(tmpdir(), 'weft-asyncify-ruby-'));
  try {
    const out = join(tmp, 'ruby.wasm');
    const cli = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
    const r = spawnSync(process.execPath, [cli, 'asyncify', path, '-o', out], { encoding: 'utf8' });
    assert.equal(r.status, 1, 'the CLI fails');
    assert.match(r.stderr, /ruby\.wasm: the module already exports asyncify_start_unwind: is it asyncified already\?/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(existsSync(out), false, 'no output file');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
