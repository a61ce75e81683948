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
import { checkModule, validateFunc } from '../dist/src/validate/module.js';
import { corpusFile } from '../scripts/corpus.mjs';
import { DECODES, haveSuite, NO_SUITE, scripts } from './suite.mjs';

function random(seed) {
  return () => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
}

const CALLS_OR_TABLE_WRITES = new Set(['return_call', 'return_call_indirect', 'call_ref', 'return_call_ref',
  'table.set', 'table.fill', 'table.grow', 'table.copy', 'table.init']);

class Tally {
  bodies = 0;
  valid = 0; // by the complete validator
  fast = 0; // taken by the core
  unsound = [];
  wrongCalls = [];

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
    }
  }

  toString() {
    return `${this.bodies} bodies: ${this.valid} valid, of which the core takes ${this.fast}; unsound answers: ${this.unsound.length}; wrong call lists: ${this.wrongCalls.length}`;
  }
}

/** The suite's modules that pass the module-level checks, with their context. */
function* suiteModules() {
  for (const s of scripts()) {
    for (const cmd of s.commands) {
      if (!DECODES.has(cmd.type) || !cmd.filename?.endsWith('.wasm')) continue;
      let m;
      try {
        m = readModule(readFileSync(join(s.dir, cmd.filename)));
      } catch {
        continue;
      }
      const checked = checkModule(m);
      if ('ctx' in checked && m.funcs.length) yield { m, ctx: checked.ctx, name: `${s.name}/${cmd.filename}` };
    }
  }
}

/** Replaces 1-3 bytes of `entry` (a body's code entry) in place: random ones, or opcodes. */
function mutate(entry, rand) {
  const OPCODES = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x1a, 0x1b, 0x1c,
    0x20, 0x21, 0x22, 0x23, 0x24, 0x28, 0x36, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x50, 0x6a, 0x7c, 0x7f, 0xa7, 0xfc, 0xfd, 0x7b, 0x7e];
  const n = 1 + Math.floor(rand() * 3);
  for (let j = 0; j < n; j++) {
    const at = Math.floor(rand() * entry.length);
    entry[at] = rand() < 0.5 ? Math.floor(rand() * 256) : OPCODES[Math.floor(rand() * OPCODES.length)];
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
    const f = m.funcs[i];
    if (!f.raw || f.raw.length === 0) continue;
    const saved = Uint8Array.from(f.raw);
    mutate(f.raw, rand);
    const before = t.valid;
    t.compare(m, ctx, FastCore.for(ctx), i, `${name} mutant ${k}`);
    if (t.valid === before) rejected++;
    f.raw.set(saved);
  }
  console.log(`# suite mutants: ${t} (${rejected} invalid)`);
  assert.deepEqual(t.unsound, []);
  assert.deepEqual(t.wrongCalls, []);
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
  assert.ok(whole.fast >= whole.bodies * 0.99, `the core takes ${whole.fast} of ${whole.bodies} bodies`);

  const rand = random(11);
  const mutants = new Tally();
  for (let k = 0; k < 20000; k++) {
    const i = Math.floor(rand() * m.funcs.length);
    const raw = m.funcs[i].raw;
    const saved = Uint8Array.from(raw);
    mutate(raw, rand);
    mutants.compare(m, ctx, core, i, `sql-wasm mutant ${k}`);
    raw.set(saved);
  }
  console.log(`# sql-wasm mutants: ${mutants}`);
  assert.deepEqual(mutants.unsound, []);
  assert.deepEqual(mutants.wrongCalls, []);
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
