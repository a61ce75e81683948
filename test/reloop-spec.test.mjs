// weft reloop on the spec suite, under Node 26 (V8 with GC, exnref, memory64):
//  - every script of the JSON suite runs on the original binaries and on relooped ones
//    (test/spec/reloop-exec.mjs): every command must give the same outcome, and every
//    relooped module must pass weft's validator;
//  - every text module of the suite that binaryen.js assembles and weft validates is
//    relooped, then validated, instantiated and its parameterless exports called next to
//    the original (test/spec/text-binaries-exec.mjs, the round-trip harness).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readModule, reloopModule, validate, writeModule } from '../dist/src/index.js';
import { SUITE_WAST, suiteNode26 } from './suite.mjs';
import { assembleText, textModules, wastFiles } from './wast-modules.mjs';

const { node, why } = await suiteNode26();

test('relooped spec modules run exactly as the originals (Node 26)', { skip: !node && why }, () => {
  const script = fileURLToPath(new URL('./spec/reloop-exec.mjs', import.meta.url));
  const r = JSON.parse(execFileSync(node, [script], { encoding: 'utf8', maxBuffer: 64 << 20 }));
  console.log(`# ${r.scripts} scripts, ${r.commands} commands: original ${r.originalPassed} passed, relooped ${r.relooped} passed; ` +
    `${r.functions} functions rebuilt, left as they were: ${JSON.stringify(r.skipped)}`);
  assert.deepEqual(r.invalid, []);
  assert.deepEqual(r.differences, []);
  assert.equal(r.relooped, r.originalPassed);
  assert.ok(r.commands > 50000, 'the suite ran');
  assert.ok(r.functions > 5000, `only ${r.functions} functions rebuilt`);
});

test('relooped binaryen-assembled text modules behave alike (Node 26)', { skip: (!node || !existsSync(SUITE_WAST)) && why }, async () => {
  const binaryen = (await import('binaryen')).default;
  const modules = [];
  const stats = { rebuilt: 0, skipped: {} };
  for (const file of wastFiles(SUITE_WAST)) {
    for (const { line, text } of textModules(readFileSync(file, 'utf8'))) {
      const { bytes } = assembleText(binaryen, text);
      if (!bytes) continue;
      let m;
      try {
        m = readModule(bytes);
        if (validate(m, { firstOnly: true }).length) continue;
      } catch {
        continue;
      }
      const where = `${relative(SUITE_WAST, file)}:${line}`;
      const s = reloopModule(m);
      stats.rebuilt += s.relooped;
      for (const [reason, n] of s.skipped) stats.skipped[reason] = (stats.skipped[reason] ?? 0) + n;
      const out = writeModule(m);
      const errors = validate(readModule(out), { firstOnly: true });
      assert.deepEqual(errors, [], `${where}: relooped module invalid: func ${errors[0]?.func}: ${errors[0]?.message}`);
      modules.push({ where, orig: Buffer.from(bytes).toString('base64'), rt: Buffer.from(out).toString('base64') });
    }
  }
  const script = fileURLToPath(new URL('./spec/text-binaries-exec.mjs', import.meta.url));
  const r = JSON.parse(execFileSync(node, [script], { input: JSON.stringify(modules), encoding: 'utf8', maxBuffer: 64 << 20 }));
  console.log(`# ${modules.length} modules, ${stats.rebuilt} functions rebuilt, left as they were: ${JSON.stringify(stats.skipped)}; ` +
    `V8: ${r.validated} validated, ${r.instantiated} instantiated, ${r.calls} calls, ${r.timeouts} timeouts`);
  assert.deepEqual(r.differences, []);
  assert.ok(r.calls > 1000, `only ${r.calls} calls`);
  assert.ok(stats.rebuilt > 5000, `only ${stats.rebuilt} functions rebuilt`);
});
