// Every binary module of the spec suite that should decode is read, fully re-encoded and
// re-read: the models must be equal, and the bytes identical unless the input used a
// non-canonical encoding. Every assert_malformed binary must raise WasmDecodeError.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Body, WasmDecodeError, decodeFunc, readModule, writeModule } from '../dist/src/index.js';
import { moduleDiff } from '../dist/src/ir/equal.js';
import { validate } from '../dist/src/validate/module.js';
import { DECODES, haveSuite, NO_SUITE, scripts } from './suite.mjs';

/** Reads a module and decodes all its bodies, as `weft convert` does. */
function readFully(bytes) {
  const m = readModule(bytes);
  const scratch = new Body();
  let nonCanonical = m.nonCanonical;
  for (const f of m.funcs) if (decodeFunc(m, f, scratch).nonCanonical) nonCanonical = true;
  return { m, nonCanonical };
}

test('spec suite binaries round-trip', { skip: !haveSuite && NO_SUITE }, () => {
  let modules = 0, identical = 0, nonCanonical = 0, dataCountRejects = 0;
  const failures = [];
  for (const s of scripts()) {
    for (const cmd of s.commands) {
      if (!DECODES.has(cmd.type) || !cmd.filename.endsWith('.wasm')) continue;
      const where = `${s.name}/${cmd.filename} (line ${cmd.line})`;
      const bytes = readFileSync(join(s.dir, cmd.filename));
      try {
        const { m, nonCanonical: nc } = readFully(bytes);
        const out = writeModule(m, { reencode: true });
        const again = readFully(out);
        const diff = moduleDiff(m, again.m);
        if (diff) failures.push(`${where}: model differs at ${diff}`);
        if (again.nonCanonical) failures.push(`${where}: output is not canonical`);
        // The output of every valid module must validate too.
        if (cmd.type === 'module') {
          const errors = validate(again.m, { firstOnly: true });
          if (errors.length) failures.push(`${where}: output does not validate: ${errors[0].message}`);
        }
        const same = Buffer.compare(Buffer.from(out), bytes) === 0;
        if (same) identical++;
        else if (nc) nonCanonical++;
        else failures.push(`${where}: canonical input, but the output bytes differ`);
        modules++;
      } catch (e) {
        // wast2json wrote some text-format assert_invalid modules that use data.drop without
        // a data count section, which the binary grammar itself rejects: still a rejection.
        if (cmd.type === 'assert_invalid' && e.message === 'data count section required') dataCountRejects++;
        else failures.push(`${where}: ${e.message}`);
      }
    }
  }
  console.log(`# ${modules} modules: ${identical} byte-identical, ${nonCanonical} re-encoded canonically, ${dataCountRejects} invalid ones rejected as malformed`);
  assert.ok(dataCountRejects <= 4);
  assert.deepEqual(failures, []);
  assert.ok(modules > 3000, `only ${modules} modules found`);
});

test('every assert_malformed binary is rejected with WasmDecodeError', { skip: !haveSuite && NO_SUITE }, () => {
  let rejected = 0;
  const accepted = [];
  for (const s of scripts()) {
    for (const cmd of s.commands) {
      if (cmd.type !== 'assert_malformed' || !cmd.filename.endsWith('.wasm')) continue;
      const bytes = readFileSync(join(s.dir, cmd.filename));
      try {
        readFully(bytes);
        accepted.push(`${s.name}/${cmd.filename} (line ${cmd.line}): expected "${cmd.text}"`);
      } catch (e) {
        if (!(e instanceof WasmDecodeError)) throw new Error(`${s.name}/${cmd.filename}: ${e.stack}`);
        assert.ok(Number.isInteger(e.offset) && e.offset >= 0 && e.offset <= bytes.length);
        rejected++;
      }
    }
  }
  console.log(`# ${rejected} malformed binaries rejected`);
  assert.deepEqual(accepted, []);
});
