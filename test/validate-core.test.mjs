// The validator's fast core (src/validate/core.wat) against the complete validator
// (validateFunc, which never uses the core): the core may answer "valid" only where the
// complete validator does, on the suite's modules, the corpus, and random mutations of
// their bodies. It must also take nearly all of a real module's bodies, or it is no faster.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeFunc, OPS, parseModule, readModule, writeModule } from '../dist/src/index.js';
import { ExternKind, importCount } from '../dist/src/ir/module.js';
import { FastCore } from '../dist/src/validate/core.js';
import { BodyValidator } from '../dist/src/validate/func.js';
import { checkModule, validateFunc } from '../dist/src/validate/module.js';
import { corpusFile } from '../scripts/corpus.mjs';
import { random, withMutant } from './mutants.mjs';
import { haveSuite, NO_SUITE, suiteBinaries } from './suite.mjs';

// The ops before which the core records the operand stack (for asyncify), and a probe of the
// complete validator at every op: it reports the stack above the frame's height before each.
const STACK_OPS = new Set(['call', 'call_indirect', 'block', 'loop', 'if']);
const EVERY_OP = new Uint8Array(OPS.length).fill(1);
const probes = new WeakMap();

const CALLS_OR_TABLE_WRITES = new Set(['return_call', 'return_call_indirect', 'call_ref', 'return_call_ref',
  'table.set', 'table.fill', 'table.grow', 'table.copy', 'table.init']);

class Tally {
  bodies = 0;
  valid = 0; // by the complete validator
  fast = 0; // taken by the core
  unsound = [];
  wrongCalls = [];
  wrongStacks = [];
  stackRecords = 0;

  /** Compares the two on function `i` (defined-function index) of `m`. */
  compare(m, ctx, core, i, what) {
    const f = m.funcs[i];
    if (!f.raw) return;
    const index = importCount(m, ExternKind.Func) + i;
    const fast = core.check(index, f.raw);
    const error = validateFunc(m, ctx, index);
    this.bodies++;
    if (!error) this.valid++;
    if (fast) this.fast++;
    if (fast && error) this.unsound.push(`${what}, func ${index}: the core accepts it, the validator says ${error.message}`);
    if (fast && !error) {
      // The calls it records (for asyncify's call graph) are the body's, in order.
      const recorded = [...core.calls(index, f.raw)].join(',');
      const b = decodeFunc(m, f);
      const calls = [];
      for (let j = 0; j < b.length; j++) {
        if (b.ops[j] === 0x10) calls.push(0x10, b.imm[j * 4], 0);
        else if (b.ops[j] === 0x11) calls.push(0x11, b.imm[j * 4], b.imm[j * 4 + 1]);
        // Recorded: calls and call_indirects only; the core takes no other calls or table writes.
        else if (CALLS_OR_TABLE_WRITES.has(OPS[b.ops[j]].name)) calls.push(-1);
      }
      if (recorded !== calls.join(',')) this.wrongCalls.push(`${what}, func ${index}: recorded ${recorded.slice(0, 80)}, decoded ${calls.join(',').slice(0, 80)}`);
      // The stacks it records are the complete validator's at those ops.
      const got = [];
      assert.equal(core.stacks(index, f.raw, (j, types, from, n, unr) => got.push(`${j}${unr ? 'u' : ''}:${types.subarray(from, from + n).join(' ')}`)), true);
      const want = [];
      let v = probes.get(ctx);
      if (!v) probes.set(ctx, (v = new BodyValidator(ctx)));
      v.probe(index, b, EVERY_OP, (j, stack, sp, floor, unr) => {
        if (STACK_OPS.has(OPS[b.ops[j]].name)) want.push(`${j}${unr ? 'u' : ''}:${stack.subarray(floor, sp).join(' ')}`);
      });
      this.stackRecords += got.length;
      const k = got.findIndex((r, j) => r !== want[j]);
      if (k >= 0 || got.length !== want.length) this.wrongStacks.push(`${what}, func ${index}: record ${k}: ${got[k]} vs the validator's ${want[k]}`);
    }
  }

  toString() {
    return `${this.bodies} bodies: ${this.valid} valid, of which the core takes ${this.fast}; unsound answers: ${this.unsound.length}; wrong call lists: ${this.wrongCalls.length}; ${this.stackRecords} stack records, wrong: ${this.wrongStacks.length}`;
  }
}

/** The suite's modules that pass the module-level checks, with their context. */
function* suiteModules() {
  for (const { m, name } of suiteBinaries(readModule)) {
    const checked = checkModule(m);
    if ('ctx' in checked && m.funcs.length) yield { m, ctx: checked.ctx, name };
  }
}

test('the fast core only accepts bodies the validator accepts: the suite', { skip: !haveSuite && NO_SUITE }, () => {
  const t = new Tally();
  for (const { m, ctx, name } of suiteModules()) {
    const core = FastCore.for(ctx);
    for (let i = 0; i < m.funcs.length; i++) t.compare(m, ctx, core, i, name);
  }
  console.log(`# suite: ${t}`);
  assert.deepEqual(t.unsound, []);
  assert.deepEqual(t.wrongCalls, []);
  assert.deepEqual(t.wrongStacks, []);
  assert.ok(t.fast > 1000, 'the core takes many of the suite\'s bodies');
});

test('the fast core only accepts bodies the validator accepts: mutated suite bodies', { skip: !haveSuite && NO_SUITE }, () => {
  const modules = [...suiteModules()];
  const rand = random(7);
  const t = new Tally();
  let rejected = 0;
  for (let k = 0; k < 20000; k++) {
    const { m, ctx, name } = modules[Math.floor(rand() * modules.length)];
    const i = Math.floor(rand() * m.funcs.length);
    if (!m.funcs[i].raw?.length) continue;
    withMutant(m, i, rand, () => {
      const before = t.valid;
      t.compare(m, ctx, FastCore.for(ctx), i, `${name} mutant ${k}`);
      if (t.valid === before) rejected++;
    });
  }
  console.log(`# suite mutants: ${t} (${rejected} invalid)`);
  assert.deepEqual(t.unsound, []);
  assert.deepEqual(t.wrongCalls, []);
  assert.deepEqual(t.wrongStacks, []);
  assert.ok(rejected > 5000 && t.fast > 1000, 'the mutants include many invalid and many core-valid bodies');
});

test('the fast core only accepts bodies the validator accepts: sql-wasm, whole and mutated', async (t) => {
  const file = await corpusFile('sql-wasm');
  if (!file) return t.skip('corpus not available (npm pack sql.js failed; see scripts/corpus.mjs)');
  const m = readModule(readFileSync(file));
  const { ctx } = checkModule(m);
  const core = FastCore.for(ctx);
  const whole = new Tally();
  for (let i = 0; i < m.funcs.length; i++) whole.compare(m, ctx, core, i, 'sql-wasm');
  console.log(`# sql-wasm: ${whole}`);
  assert.equal(whole.valid, whole.bodies);
  assert.deepEqual(whole.wrongCalls, []);
  assert.deepEqual(whole.wrongStacks, []);
  assert.ok(whole.stackRecords > 10000, 'records at sql-wasm\'s calls and blocks');
  assert.ok(whole.fast >= whole.bodies * 0.99, `the core takes ${whole.fast} of ${whole.bodies} bodies`);

  const rand = random(11);
  const mutants = new Tally();
  for (let k = 0; k < 20000; k++) {
    const i = Math.floor(rand() * m.funcs.length);
    withMutant(m, i, rand, () => mutants.compare(m, ctx, core, i, `sql-wasm mutant ${k}`));
  }
  console.log(`# sql-wasm mutants: ${mutants}`);
  assert.deepEqual(mutants.unsound, []);
  assert.deepEqual(mutants.wrongCalls, []);
  assert.deepEqual(mutants.wrongStacks, []);
  assert.ok(mutants.bodies - mutants.valid > 5000 && mutants.fast > 1000, 'many invalid and many core-valid mutants');
});

test('fast cores of two modules, used in turn, each check against their own module', () => {
  // The same body bytes: valid with an f32 parameter and result, invalid with i32 ones.
  const f32 = readModule(writeModule(parseModule('(module (func (param f32) (result f32) (f32.neg (local.get 0))))')));
  const i32 = readModule(writeModule(parseModule('(module (func (param i32) (result i32) (f32.neg (local.get 0))))')));
  const a = FastCore.for(checkModule(i32).ctx);
  const b = FastCore.for(checkModule(f32).ctx);
  for (let round = 0; round < 2; round++) {
    assert.equal(b.check(0, f32.funcs[0].raw), true);
    assert.equal(a.check(0, i32.funcs[0].raw), false, 'checked against the other module\'s types');
  }
  assert.notEqual(validateFunc(i32, checkModule(i32).ctx, 0), null);
});

test('stack records past their room: the core gives up (the complete validator types the body)', () => {
  // Each call's record holds the whole stack below it: about N^2/2 bytes in all.
  const N = 3000;
  const body = 'i32.const 1\n'.repeat(N) + 'call $f\n'.repeat(N - 1) + 'drop\n';
  const m = readModule(writeModule(parseModule(`(module (import "env" "f" (func $f (param i32 i32) (result i32))) (func ${body}))`)));
  const core = FastCore.for(checkModule(m).ctx);
  let visited = 0;
  assert.equal(core.check(1, m.funcs[0].raw), true);
  assert.equal(core.stacks(1, m.funcs[0].raw, () => visited++), false);
  assert.equal(visited, 0);
  // A short one still records, and the same core goes on working after giving up.
  const small = readModule(writeModule(parseModule('(module (import "env" "f" (func $f (param i32 i32) (result i32))) (func i32.const 1 i32.const 2 call $f drop))')));
  const records = [];
  assert.equal(FastCore.for(checkModule(small).ctx).stacks(1, small.funcs[0].raw, (i, types, from, n, unr) => records.push([i, [...types.subarray(from, from + n)], unr])), true);
  assert.deepEqual(records, [[2, [0x7f, 0x7f], false]]);
});
