// weft/runtime (src/runtime): the cases of test/runtime/cases.mjs on both backends and
// every asyncifier. Node 20 (no JSPI) runs the Asyncify backend; Node 26 (JSPI on by
// default, from the npm registry) runs JSPI, on untransformed and asyncified modules, and
// Asyncify again. Each runs as a child with --expose-gc (the leak case measures the heap).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tryNode26 } from '../scripts/node26.mjs';
import { asyncifiers } from './runtime/asyncifiers.mjs';

const script = fileURLToPath(new URL('./runtime/run-cases.mjs', import.meta.url));

function runCases(node, backends) {
  return new Promise((resolve) => {
    const child = spawn(node, ['--expose-gc', script, backends.join(',')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill(), 120_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const results = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
      resolve({ results, code, signal, err });
    });
  });
}

const { node: n26, why: why26 } = tryNode26();

const runs = [
  { label: `Node ${process.versions.node}`, promise: runCases(process.execPath, ['asyncify']) },
  ...(n26 ? [{ label: 'Node 26', promise: runCases(n26, ['jspi', 'asyncify']) }] : []),
];
const done = await Promise.all(runs.map((r) => r.promise));

runs.forEach((run, i) => {
  const { results, code, signal, err } = done[i];
  test(`${run.label}: the case runner completed`, () => {
    assert.equal(signal, null, `killed by ${signal}`);
    assert.equal(code, 0, err.slice(-2000));
    assert.ok(results.some((r) => r.ok && !r.skip), 'ran cases');
  });
  for (const r of results) {
    test(`${run.label} ${r.backend} [${r.asyncifier}]: ${r.name}`, { skip: r.skip ?? false }, () => {
      if (r.detail) console.log(`# ${JSON.stringify(r.detail)}`);
      assert.ok(r.ok, r.error);
    });
  }
});
if (!n26) test('JSPI backend (Node 26)', { skip: why26 }, () => {});

// The example: examples/async-io.wasm read lines and slept through examples/async-run.mjs,
// asyncified by the weft CLI (the README's command) and by binaryen.js for Node 20, and
// untransformed under Node 26's JSPI.
const EXAMPLE = fileURLToPath(new URL('../examples/async-io.wasm', import.meta.url));
const RUNNER = fileURLToPath(new URL('../examples/async-run.mjs', import.meta.url));
const WEFT = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const EXAMPLE_IMPORTS = ['env.sleep', 'wasi_snapshot_preview1.fd_read'];
const GREETING = 'Who is there? Hello, Ada\nWho is there? Hello, Grace Hopper\nWho is there? \n';

function runExample(node, wasm) {
  const r = spawnSync(node, [RUNNER, wasm], { input: 'Ada\nGrace Hopper\n', encoding: 'utf8', timeout: 30_000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

test('example: weft asyncify, then examples/async-run.mjs sleeps and reads stdin (Node 20, Asyncify)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-example-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'async-io.asyncified.wasm');
  const cli = spawnSync(process.execPath, [WEFT, 'asyncify', EXAMPLE, '-o', out, '--imports', EXAMPLE_IMPORTS.join(',')], { encoding: 'utf8' });
  if (cli.status !== 0) return t.skip(`weft asyncify is not usable yet: ${cli.stderr.trim().split('\n')[0]}`);
  const r = runExample(process.execPath, out);
  assert.equal(r.stdout, GREETING, r.stderr);
  assert.match(r.stderr, /asyncify backend[\s\S]*main returned 2/);
});

test('example: a binaryen.js-asyncified build under Node 20, and the plain one tells what to run', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-example-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'async-io.asyncified.wasm');
  writeFileSync(out, await (await asyncifiers())[0].asyncify(readFileSync(EXAMPLE), EXAMPLE_IMPORTS));
  const r = runExample(process.execPath, out);
  assert.equal(r.stdout, GREETING, r.stderr);
  const plain = runExample(process.execPath, EXAMPLE);
  assert.equal(plain.status, 1);
  assert.match(plain.stderr, /no JSPI.*weft asyncify .*async-io\.wasm -o OUT\.wasm --imports env\.sleep,wasi_snapshot_preview1\.fd_read/);
});

test('example: the untransformed module under Node 26 (JSPI)', { skip: !n26 && why26 }, () => {
  const r = runExample(n26, EXAMPLE);
  assert.equal(r.stdout, GREETING, r.stderr);
  assert.match(r.stderr, /jspi backend[\s\S]*main returned 2/);
});

// Which exports may suspend (src/runtime/analysis.ts), read from the bytes.
test('analysis: suspending exports through calls, tail calls, tables, ref.func and re-exports', async () => {
  const { analyze, importMatcher } = await import('../dist/src/runtime/analysis.js');
  const { assemble } = await import('./runtime/asyncifiers.mjs');
  // $a calls sleep, $b tail-calls $a, $c calls $b; $pure calls log; $ind calls through the table.
  const wat = (extra) => `(module
    (import "env" "sleep" (func $sleep (param i32) (result i32)))
    (import "env" "log" (func $log (param i32)))
    (type $t (func (param i32) (result i32)))
    (table 2 funcref)
    (func $a (type $t) (call $sleep (local.get 0)))
    (func $b (type $t) (return_call $a (local.get 0)))
    (func $c (type $t) (i32.add (call $b (local.get 0)) (i32.const 1)))
    (func $pure (type $t) (call $log (local.get 0)) (local.get 0))
    (func $ind (type $t) (call_indirect (type $t) (local.get 0) (i32.const 0)))
    (export "pure" (func $pure)) (export "ind" (func $ind))
    ${extra})`;
  const suspending = async (extra, patterns = ['env.sleep']) => [...analyze(await assemble(wat(extra)), importMatcher(patterns)).suspending].sort();
  // Nothing that suspends is address-taken: the indirect call stays synchronous.
  assert.deepEqual(await suspending('(elem (i32.const 0) $pure)'), []);
  assert.deepEqual(await suspending('(elem (i32.const 0) $pure) (export "c" (func $c))'), ['c', 'ind']); // $c exported: taken
  assert.deepEqual(await suspending('(elem (i32.const 0) $b)'), ['ind']);
  assert.deepEqual(await suspending('(elem func $a) (func (drop (ref.func $a)))'), ['ind']);
  assert.deepEqual(await suspending('(global funcref (ref.func $c))'), ['ind']);
  assert.deepEqual(await suspending('(export "sleep2" (func $sleep))'), ['ind', 'sleep2']);
  assert.deepEqual(await suspending('(export "c" (func $c))', ['env.log']), ['ind', 'pure']);
  assert.deepEqual(await suspending('(export "c" (func $c))', ['env.s*']), ['c', 'ind']);
  assert.deepEqual(await suspending('(export "c" (func $c))', []), []);
  const facts = analyze(await assemble(wat('')), importMatcher(['env.sleep']));
  assert.deepEqual(facts.asyncResults, new Map([['env.sleep', [0x7f]]]));
  assert.equal(facts.asyncified, false);
  assert.equal(facts.memory64, false);
});
