// The text parser (`weft parse`): every text module of the spec scripts that WABT 1.0.32
// converted (testsuite-json) must parse to the module WABT's `wast2json` made of the same
// text, up to encoding choices the text leaves open (text-normalize.mjs) and names (WABT
// wrote none). The execution, malformed-text and round-trip checks are in wast.test.mjs
// and text-roundtrip.test.mjs. Then: literal forms against `wat2wasm`, deep nesting,
// mutation fuzzing, and the CLI's error format.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeFunc, readModule, writeModule } from '../dist/src/index.js';
import { moduleDiff } from '../dist/src/ir/equal.js';
import { TextParseError } from '../dist/src/text/lexer.js';
import { parseModule } from '../dist/src/text/parser.js';
import { parseScript } from '../dist/src/text/script.js';
import { haveSuite, NO_SUITE, scripts, SUITE_WAST } from './suite.mjs';
import { normalize } from './text-normalize.mjs';
import { textModules, wastFiles } from './wast-modules.mjs';

const CLI = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'weft-parse-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const haveWabt = spawnSync('wat2wasm', ['--version']).status === 0;
const NO_WABT = 'wat2wasm (Debian package wabt) not installed';

/** Modules WABT 1.0.32 encodes wrongly (it predates typed function references). */
const WABT_WRONG = {
  'func:659': '(local $x (ref $t)) written as a structref local',
};

const MODULE_COMMANDS = new Set(['module', 'assert_invalid', 'assert_unlinkable', 'assert_uninstantiable']);

/** A module as the text determines it, without names (WABT's wast2json writes none). */
function plain(bytes) {
  const m = normalize(readModule(bytes));
  m.names = null;
  m.customs = m.customs.filter((c) => c.name !== 'name');
  return m;
}

test('spec text modules parse to the modules WABT made of them', { skip: !haveSuite && NO_SUITE }, () => {
  const byName = new Map(wastFiles(SUITE_WAST).map((f) => [f.slice(SUITE_WAST.length + 1, -5).replaceAll('/', '_'), f]));
  let compared = 0;
  let binary = 0;
  let noWabt = 0;
  let wabtWrong = 0;
  const unmatched = [];
  const failures = [];
  for (const s of scripts()) {
    const file = byName.get(s.name);
    if (!file) {
      unmatched.push(s.name);
      continue;
    }
    const wabt = s.commands.filter((c) => MODULE_COMMANDS.has(c.type));
    const ours = parseScript(readFileSync(file), file).filter((c) => MODULE_COMMANDS.has(c.type) && c.module.kind !== 'instance');
    if (wabt.length !== ours.length) {
      unmatched.push(`${s.name} (${wabt.length} vs ${ours.length} modules)`);
      continue;
    }
    ours.forEach((cmd, i) => {
      const where = `${s.name}:${cmd.line}`;
      if (cmd.module.kind === 'binary') {
        binary++;
        return;
      }
      // WABT wrote text where it could not encode; 4 of its binaries use data.drop without
      // a data count section, which weft rightly rejects (binary-roundtrip test).
      let theirs;
      try {
        theirs = plain(readFileSync(join(s.dir, wabt[i].filename)));
      } catch {
        noWabt++;
        return;
      }
      try {
        const m = cmd.module.kind === 'text' ? cmd.module.parse() : parseModule(cmd.module.source, where);
        const diff = moduleDiff(theirs, plain(writeModule(m)));
        if (WABT_WRONG[where]) {
          if (!diff) failures.push(`${where}: equal to WABT's, though listed in WABT_WRONG`);
          wabtWrong++;
        } else if (diff) failures.push(`${where}: differs from WABT's at ${diff}`);
        else compared++;
      } catch (e) {
        failures.push(`${where}: ${e.name}: ${e.message}`);
      }
    });
  }
  console.log(`# ${compared} text modules equal to WABT's (not compared: ${binary} binary ones, ${noWabt} WABT did not encode, ${wabtWrong} WABT got wrong); scripts not matched: ${unmatched.join(', ') || 'none'}`);
  assert.deepEqual(failures, []);
  assert.deepEqual(unmatched, []);
  assert.ok(compared > 3000, `only ${compared} modules compared`);
  assert.ok(noWabt <= 8, `${noWabt} modules without a WABT binary`);
});

// ---- literal forms, against wat2wasm ---------------------------------------------------

const LITERALS = String.raw`(module
  (memory 1)
  (global i32 (i32.const 0x7fff_ffff)) (global i32 (i32.const -0x8000_0000)) (global i32 (i32.const 4_294_967_295))
  (global i64 (i64.const -9_223_372_036_854_775_808)) (global i64 (i64.const 0xffff_ffff_ffff_ffff)) (global i64 (i64.const +1))
  (global f32 (f32.const 0x1.fffffep127)) (global f32 (f32.const -0x1p-149)) (global f32 (f32.const 1e38)) (global f32 (f32.const 1_000.000_1))
  (global f32 (f32.const nan)) (global f32 (f32.const -nan:0x7f_ffff)) (global f32 (f32.const nan:0x1)) (global f32 (f32.const -inf))
  (global f32 (f32.const 0x1.000001p0)) (global f32 (f32.const 3.4028235677973366e38)) (global f32 (f32.const 0x1.p-1)) (global f32 (f32.const 1.e5))
  (global f64 (f64.const 0x1.fffffffffffffp1023)) (global f64 (f64.const 0x0.0000000000001p-1022)) (global f64 (f64.const 2.2250738585072011e-308))
  (global f64 (f64.const nan:0xf_ffff_ffff_ffff)) (global f64 (f64.const -nan)) (global f64 (f64.const inf)) (global f64 (f64.const 1_2.3_4e-5_6))
  (global f64 (f64.const 0x1_0p+1_0)) (global f64 (f64.const 123456789012345678901234567890))
  (global v128 (v128.const i8x16 -128 255 0x7f 1 2 3 4 5 6 7 8 9 10 11 12 -1))
  (global v128 (v128.const i16x8 -32768 65535 0x7fff 1 2 3 4 -1))
  (global v128 (v128.const i32x4 -1 0xffff_ffff 0x8000_0000 1_000))
  (global v128 (v128.const i64x2 -1 0x7fff_ffff_ffff_ffff))
  (global v128 (v128.const f32x4 nan:0x200000 -inf 0x1p-149 1.5))
  (global v128 (v128.const f64x2 -nan 0x1.8p1))
  (data (i32.const 0) "plain" "\t\n\r\"\'\\" "\00\ff\7F" "\u{0}\u{7f}\u{80}\u{10FFFF}\u{ffff}" "λ€😀")
  (func (export "\u{1F600}\"q\"") (param $a i32) (result i32)
    (i32.add (local.get $a) (i32.const 0x10))
    (i32.load offset=0x10 align=4 (i32.const 0))
    drop
    i64.const 1_0
    drop
  )
)`;

test('literal forms parse as wat2wasm reads them', { skip: !haveWabt && NO_WABT }, () => {
  const file = join(tmp, 'literals.wat');
  writeFileSync(file, LITERALS);
  const r = spawnSync('wat2wasm', ['--enable-all', file, '-o', `${file}.wasm`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const ours = writeModule(parseModule(LITERALS, file));
  assert.equal(moduleDiff(plain(readFileSync(`${file}.wasm`)), plain(ours)), null);
  // The checks are not vacuous: one changed literal is a difference.
  const changed = writeModule(parseModule(LITERALS.replace('nan:0x1)', 'nan:0x2)'), file));
  assert.match(moduleDiff(plain(readFileSync(`${file}.wasm`)), plain(changed)) ?? '', /globals/);
});

test('examples/hello.wat parses to examples/hello.wasm', () => {
  const root = fileURLToPath(new URL('../examples/', import.meta.url));
  const m = parseModule(readFileSync(join(root, 'hello.wat')), 'hello.wat');
  assert.deepEqual([...m.names.labels.get(2)], [[0, 'done'], [1, 'next']]);
  // hello.wasm was assembled by WABT, which writes no label names.
  m.names.labels.clear();
  assert.equal(moduleDiff(normalize(readModule(readFileSync(join(root, 'hello.wasm')))), normalize(readModule(writeModule(m)))), null);
});

// ---- depth and bad input -------------------------------------------------------------------

test('1,000,000 nested blocks parse, flat and folded', () => {
  const depth = 1_000_000;
  for (const text of [
    `(module (func ${'block '.repeat(depth)}${'end '.repeat(depth)}))`,
    `(module (func ${'(block '.repeat(depth)}${')'.repeat(depth)}))`,
    `(module (func (result i32) ${'(i32.eqz '.repeat(depth)}(i32.const 0)${')'.repeat(depth)}))`,
  ]) {
    const m = readModule(writeModule(parseModule(text)));
    const body = decodeFunc(m, m.funcs[0]);
    assert.equal(body.length, text.includes('eqz') ? depth + 2 : 2 * depth + 1);
  }
  // Unbalanced: a located error, not a stack overflow.
  assert.throws(() => parseModule(`(module (func ${'(block '.repeat(depth)}))`), (e) => e instanceof TextParseError && e.line === 1);
});

test('mutated spec text modules: only located TextParseErrors', { skip: !haveSuite && NO_SUITE }, () => {
  const texts = [];
  for (const f of wastFiles(SUITE_WAST)) for (const { text } of textModules(readFileSync(f, 'utf8'))) if (text.length < 4000) texts.push(text);
  let seed = 4;
  const rnd = (n) => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed % n;
  };
  const pieces = ['(', ')', ' ', '"', '$', '0x', '-', 'nan:0x1', '1_0', '_', 'i32', 'ref', 'null', '(;', ';;', '\\', '(@', '(@name', 'func', 'end', 'v128.const i8x16 ', 'inf', 'p', '\u{10000}', '\xff'];
  let parsed = 0;
  const crashes = [];
  for (let n = 0; n < 20000; n++) {
    let t = texts[rnd(texts.length)];
    for (let k = 1 + rnd(3); k > 0; k--) {
      const at = rnd(t.length + 1);
      const kind = rnd(3);
      if (kind === 0) t = t.slice(0, at) + t.slice(at + 1 + rnd(5));
      else if (kind === 1) t = t.slice(0, at) + pieces[rnd(pieces.length)] + t.slice(at);
      else t = t.slice(0, at) + String.fromCharCode(rnd(128)) + t.slice(at + 1);
    }
    try {
      readModule(writeModule(parseModule(t)));
      parsed++;
    } catch (e) {
      if (!(e instanceof TextParseError) || !(e.line >= 1 && e.column >= 1)) crashes.push(`${e.name}: ${e.message} in ${JSON.stringify(t.slice(0, 200))}`);
    }
  }
  console.log(`# 20000 mutants: ${parsed} parsed, the others rejected with a located error`);
  assert.deepEqual(crashes, []);
});

// ---- the CLI -------------------------------------------------------------------------------

test('weft parse writes the binary; errors are FILE:LINE:COL, exit 1, no stack, no output', () => {
  const wat = join(tmp, 'ok.wat');
  writeFileSync(wat, LITERALS);
  const out = join(tmp, 'ok.wasm');
  const r = spawnSync(process.execPath, [CLI, 'parse', wat, '-o', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readFileSync(out), Buffer.from(writeModule(parseModule(LITERALS))));
  const cases = [
    ['(module\n  (func (result i32)\n    i32.const 0x1_0000_0000))', '3:15: constant out of range'],
    ['(module (func $f) (func $f))', '1:24: duplicate function $f'],
    ['(module\n\t(func (call $nope)))', '2:14: unknown function $nope'],
    ['(module (memory 1) (data (i32.const 0) "\\q"))', '1:41: illegal escape'],
    ['(module (func', '1:14: unexpected end of input'],
  ];
  for (const [text, where] of cases) {
    const bad = join(tmp, 'bad.wat');
    const badOut = join(tmp, 'bad.wasm');
    writeFileSync(bad, text);
    const e = spawnSync(process.execPath, [CLI, 'parse', bad, '-o', badOut], { encoding: 'utf8' });
    assert.equal(e.status, 1, text);
    assert.equal(e.stderr, `error: ${bad}:${where}\n`, text);
    assert.ok(!existsSync(badOut));
    assert.ok(!readdirSync(tmp).some((f) => f.includes('.tmp')), 'no temporary file left');
  }
  // --validate: a module that parses but is invalid is reported, and nothing is written.
  const invalid = join(tmp, 'invalid.wat');
  writeFileSync(invalid, '(module (func (result i32)))');
  const v = spawnSync(process.execPath, [CLI, 'parse', invalid, '-o', join(tmp, 'invalid.wasm'), '--validate'], { encoding: 'utf8' });
  assert.equal(v.status, 1);
  assert.match(v.stderr, /^error: .*invalid\.wat: func 0.*type mismatch/);
  assert.ok(!existsSync(join(tmp, 'invalid.wasm')));
});
