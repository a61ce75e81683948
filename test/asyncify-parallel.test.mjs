// asyncify on worker threads (weft/parallel asyncifyParallel, `weft asyncify --threads N`)
// must write the serial output byte for byte: on every behaviour case (tiny ranges; the
// reference-typed one makes a worker stop and hand its range back), and on real modules,
// where most functions come from the worker.
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readModule, writeModule } from '../dist/src/index.js';
import { asyncify, AsyncifyError } from '../dist/src/passes/asyncify/index.js';
import { asyncifyParallel } from '../dist/src/parallel/index.js';
import { cutRanges } from '../dist/src/parallel/asyncify.js';
import { CASES } from './asyncify/cases.mjs';
import { assemble, haveWat2wasm } from './asyncify/run-cases.mjs';
import { corpusOrSkip } from './realworld-lib.mjs';

function serial(bytes, options) {
  const m = readModule(bytes);
  const report = asyncify(m, options);
  return { bytes: writeModule(m), report };
}

function same(bytes, options, threads = 2) {
  const s = serial(bytes, options);
  const p = asyncifyParallel(bytes, options, { threads, minBytes: 0 });
  const out = writeModule(p.m);
  assert.deepEqual(p.report, s.report, 'the reports agree');
  assert.ok(Buffer.from(out).equals(Buffer.from(s.bytes)), `the outputs differ (${out.length} vs ${s.bytes.length} B)`);
  return p;
}

test('behaviour cases: --threads 2 and 3 write the serial output', { skip: haveWat2wasm ? false : 'wat2wasm is not installed' }, () => {
  let taken = 0;
  let n = 0;
  for (const c of CASES) {
    if (c.node === 26) continue;
    const bytes = assemble(c.wat, c.assembler);
    for (const threads of [2, 3]) {
      try {
        taken += same(bytes, c.options ?? {}, threads).fromWorkers;
      } catch (e) {
        if (e instanceof assert.AssertionError) throw new assert.AssertionError({ message: `${c.name} (${threads} threads): ${e.message}` });
        throw e;
      }
    }
    n++;
  }
  assert.ok(n > 10, `only ${n} cases ran`);
  assert.ok(taken > 0, 'no function ever came from a worker');
});

test('an error in a worker\'s range is the serial one', () => {
  // The second function (the worker's) returns (ref none): no value to return while unwinding.
  const wat = `(module
    (import "env" "sleep" (func $sleep))
    (func $a (export "a") (call $sleep) (call $sleep) (call $sleep) (call $sleep))
    (func (export "b") (result (ref none)) (call $sleep) (unreachable)))`;
  const bytes = assemble(wat, 'weft');
  assert.deepEqual(cutRanges(readModule(bytes), 2), [0, 1], 'the second function is the worker\'s');
  let serialError = null;
  try {
    serial(bytes, {});
  } catch (e) {
    serialError = e;
  }
  assert.ok(serialError instanceof AsyncifyError, `serial: ${serialError}`);
  assert.match(serialError.message, /^func 2: no value of its result type \(ref none\) to return while unwinding$/);
  assert.throws(() => asyncifyParallel(bytes, {}, { threads: 2, minBytes: 0 }), (e) => e instanceof AsyncifyError && e.message === serialError.message);
});

for (const [name, options] of [['sql-wasm', {}], ['quickjs', { optimize: true, branchHints: true, asserts: true }]]) {
  test(`${name}: --threads 2 writes the serial output, most functions from the worker`, (t) => {
    const path = corpusOrSkip(t, name);
    if (!path) return;
    const p = same(readFileSync(path), options);
    t.diagnostic(`${p.fromWorkers} of ${p.report.instrumented} rewritten functions came from the worker`);
    assert.ok(p.fromWorkers > p.report.instrumented / 4, `only ${p.fromWorkers} functions came from the worker`);
  });
}
