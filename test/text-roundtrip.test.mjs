// Round trip through text: every module of the spec suite, as a binary, printed by weft
// (flat and folded) and parsed back by weft, must give an equal module (moduleDiff), up to
// what the text format cannot say (text-normalize.mjs). The modules are the suite's
// binaries (testsuite-json) and every module of the .wast scripts (text ones encoded by
// weft), GC, exceptions and all.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { Body, decodeFunc, readModule, writeModule } from '../dist/src/index.js';
import { moduleDiff } from '../dist/src/ir/equal.js';
import { parseModule } from '../dist/src/text/parser.js';
import { printModule } from '../dist/src/text/printer.js';
import { parseScript } from '../dist/src/text/script.js';
import { DECODES, haveSuite, NO_SUITE, scripts, SUITE_WAST } from './suite.mjs';
import { normalize } from './text-normalize.mjs';
import { wastFiles } from './wast-modules.mjs';

const scratch = new Body();

/** The binary a script module denotes, or null when weft cannot read it (counted by the wast test). */
function binaryOf(sm) {
  try {
    if (sm.kind === 'binary') return sm.bytes;
    const m = sm.kind === 'text' ? sm.parse() : parseModule(sm.source);
    return writeModule(m);
  } catch {
    return null;
  }
}

/** Modules the scripts expect to decode: { where, bytes }. */
function suiteModules() {
  const out = [];
  for (const s of scripts()) {
    for (const cmd of s.commands) {
      if (DECODES.has(cmd.type) && cmd.filename.endsWith('.wasm')) out.push({ where: `${s.name}/${cmd.filename}`, bytes: readFileSync(join(s.dir, cmd.filename)) });
    }
  }
  for (const file of wastFiles(SUITE_WAST)) {
    let commands;
    try {
      commands = parseScript(readFileSync(file), file);
    } catch {
      continue; // a script weft cannot read is a failure of the wast test
    }
    for (const cmd of commands) {
      const sm = cmd.type === 'module' || cmd.type === 'assert_invalid' ? cmd.module
        : (cmd.type === 'assert_unlinkable' || cmd.type === 'assert_uninstantiable') && cmd.module.kind !== 'instance' ? cmd.module : null;
      const bytes = sm && binaryOf(sm);
      if (bytes) out.push({ where: `${relative(SUITE_WAST, file)}:${cmd.line}`, bytes });
    }
  }
  return out;
}

test('spec suite modules: binary → print → parse → binary gives an equal module', { skip: !haveSuite && NO_SUITE }, () => {
  let modules = 0;
  let texts = 0;
  const failures = [];
  for (const { where, bytes } of suiteModules()) {
    let m;
    try {
      m = readModule(bytes);
      for (const f of m.funcs) decodeFunc(m, f, scratch);
    } catch {
      continue; // the few invalid binaries weft rejects as malformed (binary-roundtrip test)
    }
    modules++;
    const want = normalize(readModule(bytes), { wabt: false });
    for (const folded of [false, true]) {
      texts++;
      try {
        const back = readModule(writeModule(parseModule(printModule(m, { folded }), where)));
        const diff = moduleDiff(want, normalize(back, { wabt: false }));
        if (diff) failures.push(`${where} (${folded ? 'folded' : 'flat'}): differs at ${diff}`);
      } catch (e) {
        failures.push(`${where} (${folded ? 'folded' : 'flat'}): ${e.name}: ${e.message}`);
      }
    }
  }
  console.log(`# ${modules} modules, ${texts} texts parsed back to an equal module`);
  assert.deepEqual(failures, []);
  assert.ok(modules > 9000, `only ${modules} modules`);
});
