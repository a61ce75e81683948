// Binary coverage for what the converted spec binaries lack. testsuite-json holds only the
// scripts WABT 1.0.32 could convert, so GC, typed function references, try_table/exnref,
// table64, table initializers, rec groups, expression element segments, extended-const
// ... have no binaries there. Here every text module of the .wast scripts that the script
// expects to be valid is assembled with binaryen.js, and each binary must
//   - round-trip through weft (read, decode every body, re-encode all, re-read): equal
//     models, and identical bytes unless weft's decoder saw a non-canonical encoding;
//   - under Node 26 (test/spec/text-binaries-exec.mjs): validate, instantiate and run its
//     parameterless exports exactly as the round-tripped binary does;
// and the round-tripped bodies must use the GC / function-reference / exception opcodes
// this file exists for (REQUIRED_OPS).
//
// On failure the offending modules are written to $WEFT_FAILURES (default
// <tmpdir>/weft-gc-failures) with a README listing each failure.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Body, decodeBodyInto, decodeFunc, OPS, readModule, writeModule } from '../dist/src/index.js';
import { moduleDiff } from '../dist/src/ir/equal.js';
import { tryNode26 } from '../scripts/node26.mjs';
import { SUITE_WAST } from './suite.mjs';
import { assembleText, textModules, wastFiles } from './wast-modules.mjs';

/** Op families the round-tripped bodies must contain (by OPS name). */
const REQUIRED_OPS = [
  'struct.new', 'array.new_fixed', 'ref.i31', 'ref.test', 'ref.cast', 'br_on_cast', 'br_on_cast_fail',
  'call_ref', 'return_call_ref', 'br_on_null', 'br_on_non_null', 'try_table', 'throw_ref',
  'any.convert_extern', 'array.copy', 'array.init_data',
];

const FAILURES_DIR = process.env.WEFT_FAILURES ?? join(tmpdir(), 'weft-gc-failures');

// ---- preconditions ----------------------------------------------------------------------

const haveWast = existsSync(SUITE_WAST);
let binaryen = null;
let why = `spec test suite texts not found at ${SUITE_WAST} (set WEFT_SHARED)`;
if (haveWast) {
  try {
    binaryen = (await import('binaryen')).default;
    // Emit the name section too (function, local, type, field, ... names from the $ids).
    binaryen.setDebugInfo(true);
  } catch (e) {
    why = `npm binaryen (devDependency) unavailable: ${e.message}`;
  }
}
const { node, why: whyNoNode } = binaryen ? tryNode26() : { node: null, why };

// ---- assembling with binaryen -----------------------------------------------------------

/** The binary for a text module, or the reason binaryen gives for not producing one. */
function assemble(text) {
  return assembleText(binaryen, text);
}

// ---- the weft round trip ----------------------------------------------------------------

const scratch = new Body();
/** Reads a module and decodes all its bodies; also collects the op names they use. */
function readFully(bytes, ops) {
  const m = readModule(bytes);
  let nonCanonical = m.nonCanonical;
  for (const f of m.funcs) {
    const body = decodeFunc(m, f, scratch);
    if (body.nonCanonical) nonCanonical = true;
    if (ops) for (let i = 0; i < body.length; i++) ops.add(OPS[body.ops[i]].name);
  }
  return { m, nonCanonical };
}

/** Op names of a constant expression. */
function exprOps(expr) {
  const body = decodeBodyInto(Uint8Array.of(0, ...expr.bytes), 0, expr.bytes.length + 1, scratch);
  return Array.from(body.ops.subarray(0, body.length), (op) => OPS[op].name);
}

/** Module-level features the binaries exercise, counted over the round-tripped models. */
function countFeatures(m, counts) {
  const add = (key, yes) => {
    if (yes) counts[key] = (counts[key] ?? 0) + 1;
  };
  add('rec groups', m.recGroups.some((g) => g.count > 1 || g.explicit));
  add('subtypes', m.types.some((t) => t.supers.length > 0 || !t.final));
  add('struct/array types', m.types.some((t) => t.comp.kind !== 'func'));
  add('table initializers', m.tables.some((t) => t.init !== null));
  add('table64', m.tables.some((t) => t.limits.addr64) || m.imports.some((i) => i.table?.limits.addr64));
  add('memory64', m.memories.some((l) => l.addr64));
  add('expression elements', m.elems.some((e) => e.exprs !== null));
  add('tags', m.tags.length > 0);
  add('globals', m.globals.length > 0);
  const exprs = [
    ...m.globals.map((g) => g.init), ...m.tables.map((t) => t.init), ...m.elems.flatMap((e) => [e.offset, ...(e.exprs ?? [])]),
    ...m.datas.map((d) => d.offset),
  ].filter(Boolean);
  add('extended constant expressions', exprs.some((e) => exprOps(e).some((op) => /^i(32|64)\.(add|sub|mul)$/.test(op))));
  add('name section', m.names !== null);
}

/**
 * Modules for ops no spec script uses (so the round-tripped bodies cover weft's whole
 * opcode table). The suite itself covers REQUIRED_OPS.
 */
const HANDWRITTEN = [
  '(module (memory 1 1 shared) (func (export "fence") (atomic.fence)))',
];

/** Every text module: the scripts' ones, then HANDWRITTEN. */
function* sources() {
  for (const file of wastFiles(SUITE_WAST)) {
    const name = relative(SUITE_WAST, file);
    for (const { line, text } of textModules(readFileSync(file, 'utf8'))) yield { where: `${name}:${line}`, text };
  }
  for (const [i, text] of HANDWRITTEN.entries()) yield { where: `handwritten:${i + 1}`, text };
}

let corpus = null;
/** Extracts, assembles and round-trips everything once; both tests use the result. */
function buildCorpus() {
  if (corpus) return corpus;
  const c = {
    extracted: 0, assembled: 0, roundTripped: 0, identical: 0, nonCanonical: 0,
    skipped: new Map(), weftRejected: [], failures: [], ops: new Set(), features: {}, modules: [],
  };
  for (const { where, text } of sources()) {
    c.extracted++;
    const { bytes, reason } = assemble(text);
    if (!bytes) {
      c.skipped.set(reason, (c.skipped.get(reason) ?? 0) + 1);
      continue;
    }
    c.assembled++;
    let first;
    try {
      first = readFully(bytes, null);
    } catch (e) {
      // Not necessarily wrong (binaryen knows proposals beyond 3.0); the Node 26 test
      // checks that V8 rejects these too.
      c.weftRejected.push({ where, text, orig: bytes, rt: null, weftError: e.message });
      continue;
    }
    const entry = { where, text, orig: bytes, rt: null };
    c.modules.push(entry);
    let out;
    try {
      out = writeModule(first.m, { reencode: true });
      entry.rt = out;
      const again = readFully(out, c.ops);
      countFeatures(again.m, c.features);
      const diff = moduleDiff(first.m, again.m);
      if (diff) c.failures.push({ ...entry, problem: `model differs at ${diff}` });
      if (again.nonCanonical) c.failures.push({ ...entry, problem: 'output is not canonical' });
    } catch (e) {
      c.failures.push({ ...entry, problem: `round trip throws: ${e.message}` });
      continue;
    }
    c.roundTripped++;
    if (Buffer.compare(Buffer.from(out), Buffer.from(bytes)) === 0) c.identical++;
    else if (first.nonCanonical) c.nonCanonical++;
    else c.failures.push({ ...entry, problem: `canonical input, but the output bytes differ${firstDifference(bytes, out)}` });
  }
  return (corpus = c);
}

function firstDifference(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return ` (first at byte 0x${i.toString(16)}; ${a.length} bytes in, ${b.length} out)`;
}

/** Failing modules by where, across both tests: { text, orig, rt, problems }. */
const dumped = new Map();
/**
 * Writes each failing module (text, original, round-tripped) to FAILURES_DIR, with a
 * README listing every failure; the directory is emptied on the first call of a run.
 */
function dumpFailures(failures) {
  if (dumped.size === 0) rmSync(FAILURES_DIR, { recursive: true, force: true });
  mkdirSync(FAILURES_DIR, { recursive: true });
  for (const f of failures) {
    if (!dumped.has(f.where)) dumped.set(f.where, { ...f, base: `${String(dumped.size + 1).padStart(3, '0')}-${f.where.replace(/[/:]/g, '_')}`, problems: [] });
    const d = dumped.get(f.where);
    d.problems.push(f.problem);
    writeFileSync(join(FAILURES_DIR, `${d.base}.wat`), d.text);
    writeFileSync(join(FAILURES_DIR, `${d.base}.orig.wasm`), d.orig);
    if (d.rt) writeFileSync(join(FAILURES_DIR, `${d.base}.rt.wasm`), d.rt);
  }
  const readme = ['# weft failures on binaryen-assembled spec text modules', ''];
  for (const [where, d] of dumped) readme.push(`## ${where} (${d.base}.*)`, '', ...d.problems.map((p) => `- ${p}`), '');
  writeFileSync(join(FAILURES_DIR, 'README.md'), readme.join('\n'));
  return `${new Set(failures.map((f) => f.where)).size} failing modules written to ${FAILURES_DIR}`;
}

// ---- tests ------------------------------------------------------------------------------

test('text modules of the spec suite, assembled by binaryen, round-trip through weft', { skip: !binaryen && why }, () => {
  const c = buildCorpus();
  const skipped = [...c.skipped].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${n} × ${r}`).join('; ');
  console.log(`# ${c.extracted} text modules extracted, ${c.assembled} assembled by binaryen (skipped: ${skipped})`);
  console.log(`# ${c.roundTripped} round-tripped: ${c.identical} byte-identical, ${c.nonCanonical} re-encoded canonically; ${c.weftRejected.length} rejected by weft (proposals beyond 3.0, checked against V8 below)`);
  console.log(`# module features: ${Object.entries(c.features).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  const named = new Set(OPS.filter((o) => o.name).map((o) => o.name));
  const uncovered = [...named].filter((name) => !c.ops.has(name));
  console.log(`# ops in the round-tripped bodies: ${named.size - uncovered.length} of weft's ${named.size}${uncovered.length ? ` (not: ${uncovered.join(' ')})` : ''}`);
  const missing = REQUIRED_OPS.filter((op) => !c.ops.has(op));
  if (c.failures.length) console.log(`# ${dumpFailures(c.failures)}`);
  assert.deepEqual(c.failures.map((f) => `${f.where}: ${f.problem}`), []);
  assert.deepEqual(missing, [], 'op families missing from the round-tripped bodies');
  for (const feature of ['rec groups', 'subtypes', 'table initializers', 'table64', 'expression elements', 'tags', 'extended constant expressions']) {
    assert.ok(c.features[feature] > 0, `no module with ${feature}`);
  }
  assert.ok(c.roundTripped > 2000, `only ${c.roundTripped} modules round-tripped`);
  // Everything weft rejects must be a proposal beyond WebAssembly 3.0 (here: custom descriptors).
  for (const r of c.weftRejected) assert.match(r.where, /^proposals\/custom-descriptors\//, `${r.where}: ${r.weftError}`);
});

test('binaryen-assembled text modules behave alike before and after the round trip (Node 26)', { skip: !node && whyNoNode }, () => {
  const c = buildCorpus();
  const input = JSON.stringify([...c.modules.filter((e) => e.rt), ...c.weftRejected].map((e) => ({
    where: e.where, orig: Buffer.from(e.orig).toString('base64'),
    rt: e.rt && Buffer.from(e.rt).toString('base64'), weftError: e.weftError,
  })));
  const script = fileURLToPath(new URL('./spec/text-binaries-exec.mjs', import.meta.url));
  const report = JSON.parse(execFileSync(node, [script], { input, encoding: 'utf8', maxBuffer: 64 << 20 }));
  console.log(`# V8: ${report.validated} of ${report.modules - report.weftRejected} validated (${report.invalid} invalid alike, ${report.weftRejected} rejected by weft and V8); ${report.instantiated} instantiated, ${report.instantiationFailed} failed alike (dummy imports, traps the scripts expect); ${report.calls} parameterless exports called, ${report.timeouts} timeouts`);
  console.log(`# V8 rejects (original and round-tripped alike): ${report.invalidModules.join(', ') || 'none'}`);
  console.log(`# weft's validator agrees with V8 on ${report.validatorAgrees} modules; valid for weft, beyond V8: ${report.validatorV8Gaps.join(', ') || 'none'}`);
  console.log(`# timed out (after ${report.stepLimitMs} ms, alike): ${report.timedOut.join(', ') || 'none'}`);
  if (report.differences.length) {
    const byWhere = new Map(c.modules.concat(c.weftRejected).map((e) => [e.where, e]));
    const failures = report.differences.map((d) => {
      const at = d.indexOf(': ');
      return { ...byWhere.get(d.slice(0, at)), problem: `V8: ${d.slice(at + 2)}` };
    });
    console.log(`# ${dumpFailures(failures)}`);
  }
  assert.deepEqual(report.differences, []);
  assert.ok(report.validated > 2000, `only ${report.validated} modules validated`);
  assert.ok(report.calls > 1000, `only ${report.calls} calls`);
});
