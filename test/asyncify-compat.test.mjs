// Existing Asyncify runtimes drive weft's output as they drive Binaryen's: GoogleChromeLabs'
// asyncify-wasm (npm) wraps the module, its imports return Promises and its exports
// become async. The same module, asyncified by binaryen.js, runs beside it as the reference.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import binaryen from 'binaryen';
import { assemble, weftAsyncify } from './asyncify/run-cases.mjs';

const require = createRequire(import.meta.url);

const WAT = `(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (import "env" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  (func $step (param $i i32) (result i32)
    (i32.add (call $sleep (local.get $i)) (i32.mul (local.get $i) (i32.const 10))))
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (local.get $acc) (call $step (local.get $i))))
      (call $log (local.get $acc))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc))
  (func (export "sync") (param $x i32) (result i32) (i32.mul (local.get $x) (local.get $x))))`;

function binaryenAsyncify(bytes) {
  const mod = binaryen.readBinary(bytes);
  binaryen.setPassArgument('asyncify-imports', 'env.sleep');
  mod.runPasses(['asyncify']);
  binaryen.setPassArgument('asyncify-imports', null);
  const out = mod.emitBinary().slice();
  mod.dispose();
  return out;
}

async function drive(bytes) {
  let Asyncify;
  try {
    Asyncify = require('asyncify-wasm');
  } catch {
    return null;
  }
  const log = [];
  const { instance } = await Asyncify.instantiate(bytes, {
    env: {
      // Each sleep really waits a timer turn, and answers with a value of its own.
      sleep: (i) => new Promise((resolve) => setTimeout(() => resolve(i + 1000), 1)),
      log: (x) => log.push(x),
    },
  });
  const result = await instance.exports.run(5);
  const again = await instance.exports.run(2);
  return { result, again, log, sync: await instance.exports.sync(7) };
}

test('asyncify-wasm drives weft\'s output exactly as it drives Binaryen\'s', async (t) => {
  const bytes = assemble(WAT);
  const weft = await drive(weftAsyncify(bytes, { imports: ['env.sleep'] }).out);
  if (!weft) return t.skip('npm asyncify-wasm is not installed');
  const reference = await drive(binaryenAsyncify(bytes));
  const expected = [0, 1, 2, 3, 4].reduce((a, i) => a + i + 1000 + i * 10, 0);
  assert.equal(reference.result, expected, 'Binaryen\'s output under asyncify-wasm gives the known answer');
  assert.deepEqual(weft, reference);
});
