// `weft wast` over the whole spec test suite (../shared/testsuite: the core scripts,
// proposals/, legacy/ and custom/): every module parsed or decoded and encoded by weft,
// checked by weft's validator, run in V8 (Node 26, for GC, exnref, memory64...), against
// the scripts' own expectations. test/wast-baseline.json holds each script's counts and
// failing commands; any change fails the test (WEFT_UPDATE_BASELINE=1 rewrites it, for a
// reviewed improvement). Skips must name a feature this V8 lacks or a rule 3.0 dropped.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tryNode26 } from '../scripts/node26.mjs';
import { NO_SUITE, SUITE_WAST } from './suite.mjs';
import { wastFiles } from './wast-modules.mjs';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const BASELINE = fileURLToPath(new URL('./wast-baseline.json', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'weft-wast-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const { node, why } = existsSync(SUITE_WAST) ? tryNode26() : { node: null, why: NO_SUITE };

/**
 * Features V8 (Node 26) does not execute, and rules WebAssembly 3.0 has dropped that the
 * threads proposal's scripts still state; a skip must name one of them.
 */
const SKIPPABLE = new Set([
  'custom-page-sizes', 'wide-arithmetic', 'memories or tables beyond its implementation limits',
  'obsolete: multiple memories are valid since WebAssembly 3.0 (multi-memory)',
  'obsolete: multiple tables are valid since WebAssembly 2.0 (reference types)',
  'obsolete: limits are u64 in the WebAssembly 3.0 text format, so a size beyond 2^32 is invalid, not malformed',
]);

/** `weft wast --json` on `files` (with `extra` options), split over two processes (the suite takes a few seconds). */
async function runAll(files, extra = []) {
  const halves = [files.filter((_, i) => i % 2 === 0), files.filter((_, i) => i % 2 === 1)];
  const reports = await Promise.all(halves.map(async (part) => {
    // Exit status 1 just means some command failed; the baseline decides.
    const r = await run(node, [CLI, 'wast', '--json', ...extra, ...part], { maxBuffer: 256 << 20 }).catch((e) => e);
    if (typeof r.stdout !== 'string' || !r.stdout.startsWith('{')) throw new Error(`weft wast failed: ${r.stderr ?? r.message}`);
    return JSON.parse(r.stdout);
  }));
  const scripts = reports.flatMap((r) => r.scripts);
  const asyncified = { modules: 0, instrumented: 0, sites: 0, split: 0 };
  for (const r of reports) for (const k of Object.keys(asyncified)) asyncified[k] += r.asyncified?.[k] ?? 0;
  return Object.assign(scripts, { asyncified });
}

/** Per script: counts, failing commands and skips; with the totals and the skips no rule explains. */
function summarize(scripts) {
  const current = {};
  const total = { passed: 0, failed: 0, skipped: 0 };
  const badSkips = [];
  for (const s of scripts.sort((a, b) => (a.file < b.file ? -1 : 1))) {
    const name = relative(SUITE_WAST, s.file);
    const skips = {};
    const failures = [];
    for (const o of s.outcomes) {
      if (o.status === 'fail') failures.push(`${o.line} ${o.type}: ${o.detail.slice(0, 200)}`);
      else {
        skips[o.detail] = (skips[o.detail] ?? 0) + 1;
        if (!SKIPPABLE.has(o.detail)) badSkips.push(`${name}:${o.line}: ${o.detail}`);
      }
    }
    current[name] = { passed: s.passed, failed: s.failed, skipped: s.skipped, failures, skips };
    for (const k of Object.keys(total)) total[k] += s[k];
  }
  return { current, total, badSkips };
}

/** How `current` differs from the baseline, script by script. */
function changesFrom(baseline, current) {
  const changes = [];
  const key = (f) => f.replace(/:.*$/, ''); // line and command; the baseline keeps no details
  for (const name of new Set([...Object.keys(baseline), ...Object.keys(current)])) {
    const [was, now] = [baseline[name], current[name]];
    if (!was || !now) {
      changes.push(`${name}: ${was ? 'no longer in the suite' : 'not in the baseline'}`);
      continue;
    }
    const nowKeys = now.failures.map(key);
    if (JSON.stringify({ ...was }) === JSON.stringify({ ...now, failures: nowKeys })) continue;
    const newly = now.failures.filter((f) => !was.failures.includes(key(f)));
    const fixed = was.failures.filter((f) => !nowKeys.includes(f));
    changes.push(`${name}: ${was.passed}/${was.failed}/${was.skipped} → ${now.passed}/${now.failed}/${now.skipped} passed/failed/skipped`
      + `${newly.length ? `; now failing: ${newly.join(', ')}` : ''}${fixed.length ? `; now passing: ${fixed.join(', ')}` : ''}`);
  }
  return changes;
}

test('every spec script runs through weft wast as the baseline says', { skip: why ?? false }, async () => {
  const files = wastFiles(SUITE_WAST);
  const scripts = await runAll(files);
  assert.equal(scripts.length, files.length, 'every script ran');
  const { current, total, badSkips } = summarize(scripts);
  console.log(`# ${files.length} scripts: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  assert.deepEqual(badSkips, []);
  if (process.env.WEFT_UPDATE_BASELINE) {
    const lines = Object.entries(current).map(([name, r]) => `  ${JSON.stringify(name)}: ${JSON.stringify({ ...r, failures: r.failures.map((f) => f.replace(/:.*$/, '')) })}`);
    writeFileSync(BASELINE, `{\n${lines.join(',\n')}\n}\n`);
  }
  const baseline = JSON.parse(readFileSync(BASELINE, 'utf8'));
  assert.deepEqual(changesFrom(baseline, current), [], 'results differ from test/wast-baseline.json (WEFT_UPDATE_BASELINE=1 rewrites it)');
  assert.ok(total.passed > 60000, `only ${total.passed} commands passed`);
});

// weft wast --asyncify: each valid module goes through the asyncify pass with every
// function instrumented (--add-list '*') before it runs, so each script's assertions test
// the rewritten functions (they never suspend here) and the output's validity (weft's
// validator and V8), on every construct of the suite. (It found tail calls through
// classes that cannot unwind turned into calls, which broke deep tail recursion and let
// a try catch what a tail-called function threw.) With --peel 1 every loop with a site is
// peeled and its function split, its twin handing the loop back (flow.ts, SPLIT, HAND-BACK).
for (const [label, extra] of [['', []], [', every loop with a site peeled (--peel 1)', ['--peel', '1']]]) {
  test(`every spec script gives the same results with its modules asyncified${label}`, { skip: why ?? false }, async () => {
    const files = wastFiles(SUITE_WAST);
    const scripts = await runAll(files, ['--asyncify', ...extra]);
    assert.equal(scripts.length, files.length, 'every script ran');
    const { current, total } = summarize(scripts);
    const { modules, instrumented, sites, split } = scripts.asyncified;
    console.log(`# asyncified${label}: ${files.length} scripts: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped; `
      + `${modules} modules, ${instrumented} functions instrumented, ${sites} sites, ${split} split`);
    assert.ok(instrumented > 5000 && sites > 1000, 'the pass rewrote next to nothing');
    if (extra.length) assert.ok(split > 20, `only ${split} functions split`);
    const baseline = JSON.parse(readFileSync(BASELINE, 'utf8'));
    assert.deepEqual(changesFrom(baseline, current), [], 'asyncified results differ from the plain ones (test/wast-baseline.json)');
  });
}

// ---- the runner's own checks can fail ------------------------------------------------------

const WRONG = String.raw`
(module
  (memory 1)
  (global (export "g") f32 (f32.const nan:0x200000))
  (global (export "big") i64 (i64.const -1))
  (func (export "id") (param i32) (result i32) (local.get 0))
  (func (export "f") (param f32) (result f32) (local.get 0))
  (func (export "v") (result v128) (v128.const i32x4 1 2 3 0xffffffff))
  (func (export "ext") (param externref) (result externref) (local.get 0))
  (func (export "trap") (unreachable))
  (func (export "div") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
  (func $loop (export "loop") (call $loop))
  (tag $e)
  (func (export "throw") (throw $e))
)
(assert_return (invoke "id" (i32.const 7)) (i32.const 7))
(assert_return (invoke "id" (i32.const 7)) (i32.const 8))
(assert_return (invoke "f" (f32.const nan:0x600000)) (f32.const nan:arithmetic))
(assert_return (invoke "f" (f32.const nan:0x600000)) (f32.const nan:canonical))
(assert_return (get "g") (f32.const nan:0x200000))
(assert_return (get "g") (f32.const nan:0x200001))
(assert_return (get "big") (i64.const 0xffff_ffff_ffff_ffff))
(assert_return (invoke "v") (v128.const i32x4 1 2 3 -1))
(assert_return (invoke "v") (v128.const i8x16 1 0 0 0 2 0 0 0 3 0 0 0 0xff 0xff 0xff 0xff))
(assert_return (invoke "v") (v128.const i32x4 1 2 4 -1))
(assert_return (invoke "ext" (ref.extern 1)) (ref.extern 1))
(assert_return (invoke "ext" (ref.extern 1)) (ref.extern 2))
(assert_return (invoke "ext" (ref.null extern)) (ref.null extern))
(assert_return (invoke "ext" (ref.null extern)) (ref.extern))
(assert_trap (invoke "trap") "unreachable")
(assert_trap (invoke "div" (i32.const 0)) "integer divide by zero")
(assert_trap (invoke "div" (i32.const 0)) "unreachable")
(assert_trap (invoke "div" (i32.const 1)) "integer divide by zero")
(assert_exhaustion (invoke "loop") "call stack exhausted")
(assert_exhaustion (invoke "id" (i32.const 0)) "call stack exhausted")
(assert_exception (invoke "throw"))
(assert_exception (invoke "trap"))
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_invalid (module (func (result i32) (i32.const 0))) "type mismatch")
(assert_malformed (module quote "(func i32.const)") "unexpected token")
(assert_malformed (module quote "(func)") "unexpected token")
(assert_malformed (module binary "\00asm\01\00\00\00\01") "unexpected end")
(assert_malformed (module binary "\00asm\01\00\00\00") "unexpected end")
(assert_unlinkable (module (import "spectest" "nothing" (func))) "unknown import")
(assert_unlinkable (module (import "spectest" "print_i32" (func (param i32)))) "unknown import")
(assert_uninstantiable (module (memory 0) (data (i32.const 1) "x")) "out of bounds memory access")
(assert_uninstantiable (module (memory 1) (data (i32.const 1) "x")) "out of bounds memory access")
(module $M (func (export "one") (result i32) (i32.const 1)))
(register "M" $M)
(module (import "M" "one" (func $one (result i32))) (func (export "two") (result i32) (i32.add (call $one) (call $one))))
(assert_return (invoke "two") (i32.const 2))
(assert_return (invoke $M "one") (i32.const 2))
`;
/** The lines of WRONG whose command must fail (each right assertion has a wrong twin). */
const MUST_FAIL = [17, 19, 21, 25, 27, 29, 32, 33, 35, 37, 39, 41, 43, 45, 47, 52];

test('weft wast: failures are found and reported, the total line ends the output', { skip: why ?? false }, () => {
  const file = join(tmp, 'wrong.wast');
  writeFileSync(file, WRONG);
  const r = spawnSync(node, [CLI, 'wast', file], { encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const failed = lines.filter((l) => l.startsWith(`  ${file}:`)).map((l) => Number(l.slice(file.length + 3).split(':')[0]));
  assert.deepEqual(failed, MUST_FAIL, r.stdout);
  const commands = WRONG.split('\n').filter((l) => /^\((assert|register|module)/.test(l)).length;
  assert.equal(lines[0], `${file}: ${commands - MUST_FAIL.length} passed, ${MUST_FAIL.length} failed, 0 skipped`);
  assert.equal(lines.at(-1), `${commands - MUST_FAIL.length} passed, ${MUST_FAIL.length} failed, 0 skipped`);
  // A correct script passes with exit status 0; a missing one is a located usage error.
  const good = join(tmp, 'good.wast');
  writeFileSync(good, '(module (func (export "f") (result i64) (i64.const -1)))\n(assert_return (invoke "f") (i64.const -1))\n');
  const ok = spawnSync(process.execPath, [CLI, 'wast', good], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.equal(ok.stdout, `${good}: 2 passed, 0 failed, 0 skipped\n2 passed, 0 failed, 0 skipped\n`);
  const missing = spawnSync(process.execPath, [CLI, 'wast', join(tmp, 'nope.wast')], { encoding: 'utf8' });
  assert.equal(missing.status, 1);
  assert.equal(missing.stderr, `error: cannot read ${join(tmp, 'nope.wast')}: no such file or directory\n`);
});
