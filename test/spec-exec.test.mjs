// The round-tripped spec modules must behave exactly as the originals: every
// assert_return/assert_trap/assert_exhaustion/... command of every script gives the same
// outcome. Runs under Node 26 (V8 with GC, exnref, memory64), from the npm registry.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tryNode26 } from '../scripts/node26.mjs';
import { haveSuite, NO_SUITE } from './suite.mjs';

const { node, why } = haveSuite ? tryNode26() : { node: null, why: NO_SUITE };

test('round-tripped spec modules run exactly as the originals (Node 26)', { skip: !node && why }, () => {
  const script = fileURLToPath(new URL('./spec/roundtrip-exec.mjs', import.meta.url));
  const report = JSON.parse(execFileSync(node, [script], { encoding: 'utf8', maxBuffer: 64 << 20 }));
  console.log(`# ${report.scripts} scripts, ${report.commands} commands: original ${report.originalPassed} passed, round-tripped ${report.roundTripPassed} passed`);
  assert.deepEqual(report.differences, []);
  assert.equal(report.roundTripPassed, report.originalPassed);
  assert.ok(report.commands > 50000, 'the suite ran');
});
