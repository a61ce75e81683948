// The writer's body core (src/binary/body-core.wat) against the JS decoder and encoder:
// on every function of the suite's modules and of sql-wasm, and on mutants of sql-wasm's,
// its decoded IR equals decodeFunc's (bodyDiff), its encoding equals encodeBody's byte
// for byte, and where it declines or the body is malformed, the JS decoder decides.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decodeFunc, readModule, WasmDecodeError } from '../dist/src/index.js';
import { BodyCore } from '../dist/src/binary/body-core.js';
import { encodeBody, encodeBodyAt, writeLocals } from '../dist/src/binary/encode-body.js';
import { Sink } from '../dist/src/binary/sink.js';
import { bodyDiff } from '../dist/src/ir/equal.js';
import { corpusFile } from '../scripts/corpus.mjs';
import { random, withMutant } from './mutants.mjs';
import { haveSuite, NO_SUITE, suiteBinaries } from './suite.mjs';

const core = BodyCore.get();

class Tally {
  bodies = 0;
  decodedByCore = 0;
  encodedByCore = 0;
  encodedOnto = 0;
  malformed = 0;
  wrong = [];

  /** Decodes and encodes function i of m both ways and compares. */
  compare(m, i, what) {
    const f = m.funcs[i];
    if (!f.raw) return;
    this.bodies++;
    let js;
    try {
      js = decodeFunc(m, { ...f, body: null });
    } catch (e) {
      if (!(e instanceof WasmDecodeError)) throw e;
      this.malformed++;
      // Malformed: the core's path must raise the same error.
      let thrown = null;
      try {
        core.decode(m, f);
      } catch (e2) {
        thrown = e2;
      }
      if (!(thrown instanceof WasmDecodeError) || thrown.message !== e.message || thrown.offset !== e.offset) {
        this.wrong.push(`${what} func ${i}: JS says ${e.message} at ${e.offset}, the core's path ${thrown?.message ?? 'accepts it'}`);
      }
      return;
    }
    // Slots an instruction does not use keep what was there: start both from zeros.
    const scratch = core.scratch(f.raw.length);
    scratch.imm.fill(0);
    scratch.extra.fill(0);
    const b = core.decode(m, f);
    const diff = bodyDiff(js, b);
    if (diff) this.wrong.push(`${what} func ${i}: decoded IR differs: ${diff}`);
    const expected = new Sink();
    encodeBody(js, expected);
    const got = new Sink();
    writeLocals(b, got);
    const code = core.encode(b);
    if (code) {
      this.encodedByCore++;
      got.bytes(code);
    } else encodeBody(b, (got.pos = 0, got));
    if (Buffer.compare(Buffer.from(expected.result()), Buffer.from(got.result())) !== 0) this.wrong.push(`${what} func ${i}: encoded bytes differ`);
    // Any body (here the JS decoder's, outside the core's memory), cut at a few instructions:
    // encodeOnto's bytes and offsets are encodeBodyAt's.
    const at = [...new Set([0, js.length >> 2, js.length >> 1, js.length - 1].filter((x) => x >= 0))].sort((x, y) => x - y);
    const want = new Sink();
    const wantAt = encodeBodyAt(js, want, at);
    const onto = new Sink();
    writeLocals(js, onto);
    const localsEnd = onto.pos;
    const ontoAt = core.encodeOnto(js, onto, at, 0);
    if (ontoAt) {
      this.encodedOnto++;
      if (Buffer.compare(Buffer.from(want.result()), Buffer.from(onto.result())) !== 0 || ontoAt.join() !== wantAt.join()) {
        this.wrong.push(`${what} func ${i}: encodeOnto differs (offsets ${ontoAt} vs ${wantAt})`);
      }
    } else if (onto.pos !== localsEnd || code) {
      // Declining leaves the sink as it was, and only for what encode declines too.
      this.wrong.push(`${what} func ${i}: encodeOnto declines ${code ? 'a body encode takes' : 'but leaves bytes behind'}`);
    }
  }

  toString() {
    return `${this.bodies} bodies (${this.malformed} malformed), ${this.encodedByCore} encoded by the core, ${this.encodedOnto} by encodeOnto; wrong: ${this.wrong.length}`;
  }
}

test('the body core decodes and encodes as the JS decoder and encoder: the suite', { skip: !core ? 'no WebAssembly' : !haveSuite && NO_SUITE }, () => {
  const t = new Tally();
  for (const { m, name } of suiteBinaries(readModule)) for (let i = 0; i < m.funcs.length; i++) t.compare(m, i, name);
  console.log(`# suite: ${t}`);
  assert.deepEqual(t.wrong, []);
  assert.ok(t.encodedByCore > 1000);
});

test('the body core decodes and encodes as the JS decoder and encoder: sql-wasm and its mutants', { skip: !core && 'no WebAssembly' }, async (t) => {
  const file = await corpusFile('sql-wasm');
  if (!file) return t.skip('corpus not available (npm pack sql.js failed; see scripts/corpus.mjs)');
  const m = readModule(readFileSync(file));
  const whole = new Tally();
  for (let i = 0; i < m.funcs.length; i++) whole.compare(m, i, 'sql-wasm');
  console.log(`# sql-wasm: ${whole}`);
  assert.deepEqual(whole.wrong, []);
  assert.equal(whole.encodedByCore, whole.bodies);
  assert.equal(whole.encodedOnto, whole.bodies);

  const rand = random(5);
  const mutants = new Tally();
  for (let k = 0; k < 20000; k++) {
    const i = Math.floor(rand() * m.funcs.length);
    withMutant(m, i, rand, () => mutants.compare(m, i, `sql-wasm mutant ${k}`));
  }
  console.log(`# sql-wasm mutants: ${mutants}`);
  assert.deepEqual(mutants.wrong, []);
  assert.ok(mutants.malformed > 1000 && mutants.encodedByCore > 1000);
});
