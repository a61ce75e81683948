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
import { tryNode26 } from '../scripts/node26.mjs';
import { haveSuite, NO_SUITE, scripts } from './suite.mjs';
import { oneFunctionModule } from './wasm-bytes.mjs';

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
  const { node, why } = tryNode26();
  if (!node) {
    t.skip(why);
    return;
  }
  const script = fileURLToPath(new URL('./spec/validate-agree.mjs', import.meta.url));
  const report = JSON.parse(execFileSync(node, [script], { encoding: 'utf8', maxBuffer: 64 << 20 }));
  console.log(`# ${report.modules} modules: ${report.agree} agree (${report.validByBoth} valid, ${report.invalidByBoth} invalid by both)`);
  assert.ok(report.modules >= 300);
  assert.deepEqual(report.disagreements.filter((d) => !d.known), []);
});

test('weft validate: the first error, with function index, name and byte offset', async () => {
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { Body, OP_BY_NAME, writeModule } = await import('../dist/src/index.js');
  const cli = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
  const hello = readFileSync(new URL('../examples/hello.wasm', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'weft-validate-'));
  try {
    const ok = spawnSync(process.execPath, [cli, 'validate', fileURLToPath(new URL('../examples/hello.wasm', import.meta.url))], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);

    // fib (function 1) gets the body `i64.const 1; i32.const 2; i32.add; drop; local.get 0; end`.
    const m = readModule(hello);
    const op = (name) => OP_BY_NAME.get(name).id;
    const body = new Body();
    body.push(op('i64.const'), 1, 0);
    body.push(op('i32.const'), 2);
    body.push(op('i32.add'));
    body.push(op('drop'));
    body.push(op('local.get'), 0);
    body.push(op('end'));
    m.funcs[0].body = body;
    const bad = writeModule(m);
    const file = join(dir, 'bad.wasm');
    writeFileSync(file, bad);
    const r = spawnSync(process.execPath, [cli, 'validate', file], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    const match = /^error: (.+): func 1 fib at 0x([0-9a-f]+): type mismatch: expected i32, found i64\n$/.exec(r.stderr);
    assert.ok(match, r.stderr);
    assert.equal(match[1], file);
    assert.equal(bad[parseInt(match[2], 16)], 0x6a, 'the offset points at the i32.add opcode');

    const out = join(dir, 'out.wasm');
    const c = spawnSync(process.execPath, [cli, 'convert', file, '-o', out, '--validate'], { encoding: 'utf8' });
    assert.equal(c.status, 1);
    assert.match(c.stderr, /^error: output of .*: func 1 fib at 0x[0-9a-f]+: type mismatch/);
    assert.equal(spawnSync('test', ['-e', out]).status, 1, 'no output written');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('1,000,000 nested blocks validate', () => {
  const depth = 1_000_000;
  const code = new Uint8Array(depth * 3 + 2);
  code[0] = 0; // no locals
  for (let i = 0; i < depth; i++) code.set([0x02, 0x40], 1 + 2 * i);
  code.fill(0x0b, 1 + depth * 2);
  assert.deepEqual(validate(readModule(oneFunctionModule(code))), []);
});

test('errors in constant expressions point at the instruction: global, element and data offsets', async () => {
  const { parseModule, writeModule } = await import('../dist/src/index.js');
  const globalGet = (bytes, x) => {
    // The first `global.get x` (0x23 x) of the module.
    for (let i = 8; i < bytes.length - 1; i++) if (bytes[i] === 0x23 && bytes[i + 1] === x) return i;
    throw new Error(`no global.get ${x}`);
  };
  const cases = {
    'global 1': '(global i32 (i32.const 7)) (global i32 (global.get 9))',
    'element segment offset': '(table 2 funcref) (func $f) (elem (offset (global.get 9)) $f)',
    // The data section is kept undecoded until used: its offsets are still absolute.
    'data segment offset': '(memory 1) (data (i32.const 0) "abc") (data (offset (global.get 9)) "xyz")',
  };
  for (const [what, fields] of Object.entries(cases)) {
    const bytes = writeModule(parseModule(`(module ${fields})`));
    const m = readModule(bytes);
    const [e] = validate(m, { firstOnly: true });
    assert.ok(e, `${what}: no error`);
    assert.match(e.message, new RegExp(`^${what}: unknown global 9`), what);
    assert.equal(e.offset, globalGet(bytes, 9), `${what}: offset 0x${e.offset.toString(16)}`);
    if (what.startsWith('data')) {
      // And once the segments are built.
      void m.datas.length;
      assert.equal(validate(m, { firstOnly: true })[0].offset, globalGet(bytes, 9));
    }
  }
});
