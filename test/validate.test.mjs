// The validator against the spec suite (valid modules accepted, assert_invalid rejected),
// the real-world corpus, and V8's verdict on suite modules and random mutations of them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readModule } from '../dist/src/index.js';
import { validate } from '../dist/src/validate/module.js';
import { corpusFile } from '../scripts/corpus.mjs';
import { node26 } from '../scripts/node26.mjs';
import { haveSuite, NO_SUITE, scripts } from './suite.mjs';

function verdict(bytes) {
  try {
    const errors = validate(readModule(bytes), { firstOnly: true });
    return errors.length ? errors[0].message : null;
  } catch (e) {
    if (e.name === 'WasmDecodeError') return `malformed: ${e.message}`;
    throw e;
  }
}

test('every module the suite expects to be valid validates', { skip: !haveSuite && NO_SUITE }, () => {
  const failures = [];
  let n = 0;
  for (const s of scripts()) {
    for (const cmd of s.commands) {
      if (!['module', 'assert_unlinkable', 'assert_uninstantiable'].includes(cmd.type) || !cmd.filename.endsWith('.wasm')) continue;
      n++;
      const v = verdict(readFileSync(join(s.dir, cmd.filename)));
      if (v) failures.push(`${s.name}/${cmd.filename} (line ${cmd.line}): ${v}`);
    }
  }
  console.log(`# ${n} valid modules, ${n - failures.length} accepted`);
  assert.deepEqual(failures, []);
});

/**
 * The threads proposal's repository predates multi-memory and reference types: its
 * "multiple memories/tables" assert_invalid modules are valid WebAssembly 3.0 (and V8
 * accepts them too, see the agreement test).
 */
const OBSOLETE = (script, text) => script.startsWith('proposals_threads_') && /^multiple (memories|tables)$/.test(text);

test('every assert_invalid module is rejected', { skip: !haveSuite && NO_SUITE }, () => {
  const accepted = [];
  let n = 0, obsolete = 0;
  for (const s of scripts()) {
    for (const cmd of s.commands) {
      if (cmd.type !== 'assert_invalid' || !cmd.filename.endsWith('.wasm')) continue;
      if (OBSOLETE(s.name, cmd.text)) {
        obsolete++;
        assert.equal(verdict(readFileSync(join(s.dir, cmd.filename))), null, 'valid in 3.0');
        continue;
      }
      n++;
      if (verdict(readFileSync(join(s.dir, cmd.filename))) === null) accepted.push(`${s.name}/${cmd.filename} (line ${cmd.line}): expected "${cmd.text}"`);
    }
  }
  console.log(`# ${n} assert_invalid modules, ${n - accepted.length} rejected (+${obsolete} obsolete ones valid in 3.0)`);
  assert.deepEqual(accepted, []);
});

test('the real-world corpus validates', async (t) => {
  for (const name of ['sql-wasm', 'esbuild']) {
    let file;
    try {
      file = corpusFile(name);
    } catch (e) {
      t.skip(`corpus ${name} unavailable: ${e.message}`);
      continue;
    }
    const errors = validate(readModule(readFileSync(file)));
    assert.deepEqual(errors, [], name);
  }
});

test('weft agrees with V8 (Node 26) on suite modules and mutants', { skip: !haveSuite && NO_SUITE }, (t) => {
  let node;
  try {
    node = node26();
  } catch (e) {
    t.skip(`Node 26 unavailable: ${e.message}`);
    return;
  }
  const script = fileURLToPath(new URL('./spec/validate-agree.mjs', import.meta.url));
  const report = JSON.parse(execFileSync(node, [script], { encoding: 'utf8', maxBuffer: 64 << 20 }));
  console.log(`# ${report.modules} modules: ${report.agree} agree (${report.validByBoth} valid, ${report.invalidByBoth} invalid by both)`);
  assert.ok(report.modules >= 300);
  assert.deepEqual(report.disagreements.filter((d) => !d.known), []);
});
