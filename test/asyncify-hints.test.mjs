// Branch hints and asyncify: the input's hints of untouched functions are kept as they
// were, those of rewritten functions (whose offsets moved) are dropped, and with
// branchHints the rewind paths are hinted unlikely at offsets that point at if/br_if.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asyncify, Body, decodeFunc, OP_BY_NAME, parseModule, printModule, readModule, writeModule, validate } from '../dist/src/index.js';

const WAT = `(module
  (import "env" "sleep" (func $sleep (param i32)))
  (memory 1)
  (func $plain (export "plain") (param i32) (result i32)
    (local.get 0)
    (@metadata.code.branch_hint "\\01")
    (if (result i32) (then (i32.const 1)) (else (i32.const 2))))
  (func $sleepy (export "sleepy") (param i32) (result i32)
    (local.get 0)
    (@metadata.code.branch_hint "\\00")
    (if (then (call $sleep (i32.const 1)) (call $sleep (i32.const 2))))
    (loop $l (call $sleep (local.get 0)) (br_if $l (i32.eqz (local.get 0))))
    (local.get 0)))`;

/** Per function index: [offset, value] of each hint. */
function hintsOf(m) {
  const c = m.customs.find((x) => x.name === 'metadata.code.branch_hint');
  if (!c) return new Map();
  const b = c.bytes;
  let p = 0;
  const u32 = () => {
    let v = 0, s = 0, x;
    do { x = b[p++]; v |= (x & 0x7f) << s; s += 7; } while (x & 0x80);
    return v >>> 0;
  };
  const out = new Map();
  for (let n = u32(); n > 0; n--) {
    const f = u32();
    const list = [];
    for (let k = u32(); k > 0; k--) {
      const off = u32();
      assert.equal(u32(), 1);
      list.push([off, b[p++]]);
    }
    out.set(f, list);
  }
  assert.equal(p, b.length);
  return out;
}

for (const [branchHints, peelSites] of [[false, undefined], [true, undefined], [true, 1]]) {
  test(`asyncify keeps untouched functions' branch hints, drops rewritten ones'${branchHints ? ', hints its rewind paths' : ''}${peelSites ? ', in a split function and its twin' : ''}`, () => {
    const input = writeModule(parseModule(WAT));
    const before = hintsOf(readModule(input));
    assert.deepEqual([...before.keys()], [1, 2]);
    const m = readModule(input);
    asyncify(m, { branchHints, peelSites });
    const bytes = writeModule(m);
    assert.deepEqual(validate(readModule(bytes)), []);
    assert.ok(WebAssembly.validate(bytes));
    const after = hintsOf(readModule(bytes));
    assert.deepEqual(after.get(1), before.get(1), 'the untouched function keeps its hint');
    if (!branchHints) {
      assert.equal(after.has(2), false);
      return;
    }
    // The rewritten function, and with peeling the twin it was split from (see flow.ts, SPLIT).
    const out = readModule(bytes);
    const twin = [...out.names.functions].find(([, name]) => name === 'sleepy$rewind')?.[0];
    assert.equal(twin !== undefined, peelSites === 1, 'a twin exactly when the loop is peeled');
    const rewritten = twin === undefined ? [2] : [2, twin];
    assert.deepEqual([...after.keys()].sort(), [1, ...rewritten]);
    const IF = OP_BY_NAME.get('if').id, BR_IF = OP_BY_NAME.get('br_if').id;
    let total = 1;
    for (const fi of rewritten) {
      const hints = after.get(fi);
      assert.ok(hints.length >= 2, `func ${fi}: prologue and dispatch hints`);
      assert.ok(hints.every(([, v]) => v === 0));
      total += hints.length;
      // Every offset must be where an if or br_if starts (offsets count from the locals).
      const f = out.funcs[fi - 1];
      const body = decodeFunc(out, f, new Body().trackOffsets());
      const base = f.raw.byteOffset - out.source.byteOffset;
      for (const [offset] of hints) {
        const j = Array.prototype.indexOf.call(body.offsets.subarray(0, body.length), base + offset);
        assert.ok(j >= 0 && (body.ops[j] === IF || body.ops[j] === BR_IF), `func ${fi}: hint at ${offset} is not on an if/br_if`);
      }
    }
    // And the printer shows them as annotations on their instructions, which parse back.
    const text = printModule(out);
    assert.equal(text.split('(@metadata.code.branch_hint "\\0').length - 1, total);
    const parsed = hintsOf(parseModule(text));
    for (const fi of rewritten) assert.deepEqual(parsed.get(fi), after.get(fi));
  });
}
