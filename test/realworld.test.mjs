// Real-world round trips: convert npm-published modules with the weft CLI
// (decode every function body into the IR, encode again) and check that the
// programs behind them still behave exactly like the originals.
//
//   node --test test/realworld.test.mjs
//
// Needs the corpus (`npm run corpus`; cache in $WEFT_CACHE or ~/.cache/weft) —
// without it each test is skipped with the reason — and the built CLI
// (`npm run build`), or WEFT_BIN pointing at a stand-in (resolved against the
// repository root). A missing CLI is a failure, not a skip.
//
// The programs' suites and their checks live in realworld-lib.mjs (shared with reloop.test.mjs).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkEsbuild, checkFfmpeg, checkRuby, checkSqlJs, checkSwc, corpusOrSkip } from './realworld-lib.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WEFT_BIN = resolve(ROOT, process.env.WEFT_BIN || 'dist/src/cli/main.js');
const CONVERT_TIMEOUT_MS = 10 * 60_000;

const tmp = mkdtempSync(join(tmpdir(), 'weft-realworld-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs `weft convert input -o output [extra...]`; returns the output bytes and the wall time. */
function weftConvert(input, output, ...extra) {
  assert.ok(
    existsSync(WEFT_BIN),
    `weft CLI not found at ${WEFT_BIN}: run \`npm run build\` first (or set WEFT_BIN to the CLI script)`,
  );
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [WEFT_BIN, 'convert', input, '-o', output, '--validate', ...extra], {
    encoding: 'utf8',
    timeout: CONVERT_TIMEOUT_MS,
    maxBuffer: 64 << 20,
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.error) throw new Error(`weft convert ${input}: ${r.error.message}`);
  assert.equal(
    r.status,
    0,
    `weft convert ${input} exited with ${r.status ?? r.signal}:\n${r.stderr || r.stdout || '(no output)'}`,
  );
  assert.ok(existsSync(output), `weft convert ${input} exited 0 but wrote no ${output}`);
  return { bytes: readFileSync(output), seconds };
}

/**
 * Converts the corpus module, checks the result validates and is a fixpoint
 * (converting it again changes nothing), and reports sizes. Returns the bytes.
 */
function convertChecked(t, name, input) {
  const original = readFileSync(input);
  const out1 = join(tmp, `${name}.1.wasm`);
  const out2 = join(tmp, `${name}.2.wasm`);
  const first = weftConvert(input, out1);
  assert.ok(WebAssembly.validate(first.bytes), `${name}: converted module does not validate in V8`);
  const second = weftConvert(out1, out2);
  const diff = firstDifference(first.bytes, second.bytes);
  assert.ok(
    diff < 0,
    `${name}: not a fixpoint: converting the converted module changed it ` +
      `(${first.bytes.length} -> ${second.bytes.length} bytes, first difference at 0x${diff.toString(16)})`,
  );
  // The parallel pipeline must give exactly the serial result.
  const parallel = weftConvert(input, join(tmp, `${name}.p.wasm`), '--threads', '2');
  assert.ok(parallel.bytes.equals(first.bytes), `${name}: --threads 2 output differs from --threads 1`);
  const delta = first.bytes.length - original.length;
  t.diagnostic(
    `${name}: original ${original.length} B, converted ${first.bytes.length} B ` +
      `(${delta >= 0 ? '+' : ''}${delta} B, ${((100 * delta) / original.length).toFixed(2)}%), ` +
      `${original.equals(first.bytes) ? 'byte-identical to original, ' : ''}` +
      `fixpoint ok; convert ${first.seconds.toFixed(2)} s, reconvert ${second.seconds.toFixed(2)} s, ` +
      `--threads 2 identical in ${parallel.seconds.toFixed(2)} s`,
  );
  return { original, converted: first.bytes, convertedPath: out1 };
}

function firstDifference(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

// ---------------------------------------------------------------------------
// sql.js

test('sql.js: converted sql-wasm.wasm runs SQLite identically', async (t) => {
  const input = corpusOrSkip(t, 'sql-wasm');
  if (!input) return;
  const { original, converted } = convertChecked(t, 'sql-wasm', input);
  await checkSqlJs(t, original, converted);
});

// ---------------------------------------------------------------------------
// esbuild-wasm

test('esbuild-wasm: converted esbuild.wasm transforms and builds identically', async (t) => {
  const input = corpusOrSkip(t, 'esbuild');
  if (!input) return;
  const { convertedPath } = convertChecked(t, 'esbuild', input);
  await checkEsbuild(t, convertedPath, tmp);
});

// ---------------------------------------------------------------------------
// ruby.wasm

test('ruby.wasm: converted CRuby (Binaryen-asyncified, 16 MB) runs a Ruby program identically', async (t) => {
  const input = corpusOrSkip(t, 'ruby');
  if (!input) return;
  const { original, converted } = convertChecked(t, 'ruby', input);
  await checkRuby(t, original, converted, tmp);
});

// ---------------------------------------------------------------------------
// @swc/wasm, @ffmpeg/core

test('@swc/wasm: converted swc (Rust, 18 MB) transforms, minifies and parses identically', (t) => {
  const input = corpusOrSkip(t, 'swc');
  if (!input) return;
  const { converted } = convertChecked(t, 'swc', input);
  checkSwc(t, converted, tmp);
});

test('@ffmpeg/core: converted FFmpeg (Emscripten, 32 MB) transcodes identically', async (t) => {
  const input = corpusOrSkip(t, 'ffmpeg-core');
  if (!input) return;
  const { original, converted } = convertChecked(t, 'ffmpeg-core', input);
  await checkFfmpeg(t, original, converted);
});
