// weft/runtime (src/runtime): the cases of test/runtime/cases.mjs on both backends and
// every asyncifier. Node 20 (no JSPI) runs the Asyncify backend; Node 26 (JSPI on by
// default, from the npm registry) runs JSPI, on untransformed and asyncified modules, and
// Asyncify again. Each runs as a child with --expose-gc (the leak case measures the heap).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { node26 } from '../scripts/node26.mjs';

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

let n26 = null;
let why26 = null;
try {
  n26 = node26();
} catch (e) {
  why26 = `Node 26 unavailable: ${e.message}`;
}

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
