// Asyncify behaviour: modules that sleep inside every construct, asyncified by weft and
// driven through Binaryen's protocol, must log and return exactly what the untransformed
// module does, really suspending. Node 20 runs what it can; Node 26 (GC, exnref,
// memory64) runs every case.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tryNode26 } from '../scripts/node26.mjs';

const script = fileURLToPath(new URL('./asyncify/run-cases.mjs', import.meta.url));
const { node: n26, why } = tryNode26();

function check(node, args) {
  const { assembler, cases: report } = JSON.parse(execFileSync(node, [script, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 }));
  if (assembler !== 'wat2wasm') console.log('wat2wasm (Debian wabt) is missing: binaryen.js assembled the cases, which moves stack values into locals');
  const failed = report.filter((r) => !r.ok);
  for (const r of report) console.log(`${r.ok ? 'ok' : 'FAILED'}: ${r.name} (${r.instrumented} function(s), ${r.sites} site(s), ${r.sleeps} suspension(s))`);
  assert.deepEqual(failed.map((r) => `${r.name}: ${r.error}`), []);
  assert.ok(report.length >= 7);
}

test('asyncified modules behave as the originals, suspending in every construct (Node 20)', () => check(process.execPath, []));
test('asyncified modules behave as the originals, GC/exnref/memory64 cases included (Node 26)', { skip: !n26 && why }, () => check(n26, ['--all']));
