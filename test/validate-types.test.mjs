// TypeContext: type-section validation, isorecursive equivalence and subtyping. Hand-built
// type sections check the rules one by one; a seeded differential run checks the verdicts
// against V8 (Node 26) on hand-written and random small modules.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { emptyModule, HeapCode, heapFromCode, readModule, refType, writeModule } from '../dist/src/index.js';
import { exactHeap } from '../dist/src/ir/types.js';
import { TypeContext } from '../dist/src/validate/types.js';
import { node26 } from '../scripts/node26.mjs';
import { DECODES, haveSuite, NO_SUITE, scripts } from './suite.mjs';

// ---- A small DSL for type sections ----

const i32 = 0x7f, i64 = 0x7e, f32 = 0x7d, f64 = 0x7c, v128 = 0x7b, i8 = 0x78, i16 = 0x77;
const H = Object.fromEntries(Object.entries(HeapCode).map(([k, c]) => [k, heapFromCode(c)]));
const SHORT = {
  funcref: 0x70, externref: 0x6f, anyref: 0x6e, eqref: 0x6d, i31ref: 0x6c, structref: 0x6b, arrayref: 0x6a,
  exnref: 0x69, nullexnref: 0x74, nullfuncref: 0x73, nullexternref: 0x72, nullref: 0x71,
};
const ref = (h) => refType(false, h);
const refn = (h) => refType(true, h);
const fn = (params = [], results = []) => ({ kind: 'func', params, results });
const fld = (type, mutable = false) => ({ type, mutable });
const st = (...fields) => ({ kind: 'struct', fields: fields.map((f) => (typeof f === 'number' ? fld(f) : f)) });
const arr = (type, mutable = false) => ({ kind: 'array', field: fld(type, mutable) });
/** `(sub $supers comp)`: open unless `final`. */
const sub = (comp, supers = [], final = false) => ({ final, supers, comp, explicit: true });
/** The short form `comp`: final, no supertypes. */
const fin = (comp) => ({ final: true, supers: [], comp, explicit: false });

/** A type section from groups: a SubType is a singleton group, an array an explicit `rec`. */
function section(...groups) {
  const types = [], recGroups = [];
  for (const g of groups) {
    const list = Array.isArray(g) ? g : [g];
    recGroups.push({ start: types.length, count: list.length, explicit: Array.isArray(g) });
    types.push(...list);
  }
  return { types, recGroups };
}
const ctx = (...groups) => {
  const s = section(...groups);
  return new TypeContext(s.types, s.recGroups);
};

// ---- Equivalence ----

test('canonical: identical rec groups defined twice are equivalent', () => {
  const c = ctx(
    fin(fn()), fin(fn()),
    fin(st(i32)), fin(st(i32)),
    [sub(st(refn(5))), fin(st(refn(4)))], // 4, 5: a mutually recursive pair
    [sub(st(refn(7))), fin(st(refn(6)))], // 6, 7: the same pair again
  );
  assert.equal(c.check(), null);
  assert.equal(c.canonical(0), c.canonical(1));
  assert.equal(c.canonical(2), c.canonical(3));
  assert.notEqual(c.canonical(0), c.canonical(2));
  assert.equal(c.canonical(4), c.canonical(6));
  assert.equal(c.canonical(5), c.canonical(7));
  assert.notEqual(c.canonical(4), c.canonical(5));
  assert.equal(c.canonical(99), -1);
});

test('canonical: finality, supertypes, positions and group shape count', () => {
  const c = ctx(
    fin(fn()), // 0
    sub(fn()), // 1: not final
    sub(fn(), [], true), // 2: explicit `sub final`, same as 0
    sub(fn(), [1]), // 3: with a supertype
    sub(fn(), [1], true), // 4: final with a supertype
    [fin(fn()), fin(st())], // 5, 6
    [fin(st()), fin(fn())], // 7, 8: positions swapped
    [fin(fn())], // 9: explicit singleton rec = plain type
    [fin(fn()), fin(st()), fin(fn())], // 10-12: a larger group
  );
  assert.equal(c.check(), null);
  const ids = (xs) => xs.map((x) => c.canonical(x));
  assert.equal(c.canonical(0), c.canonical(2));
  assert.equal(c.canonical(0), c.canonical(9));
  assert.equal(new Set(ids([0, 1, 3, 4, 5, 6, 7, 8, 10, 11, 12])).size, 11);
});

test('canonical: outer references compare by canonical id, inner ones by position', () => {
  const c = ctx(
    fin(st()), fin(st()), // 0 ≡ 1
    fin(fn([ref(0)])), fin(fn([ref(1)])), // 2 ≡ 3: params refer to equivalent types
    fin(fn([refn(H.func)])), fin(fn([SHORT.funcref])), // 4 ≡ 5: funcref is (ref null func)
    fin(fn([ref(H.func)])), // 6: non-null differs
    [fin(fn([i32, ref(7)]))], // 7: self-recursive
    [fin(fn([i32, ref(8)]))], // 8 ≡ 7
    fin(fn([i32, ref(7)])), // 9: refers to 7 from outside: not ≡ 7
    [fin(fn([i32, ref(10)])), fin(fn([i32, ref(12)])), fin(fn([i32, ref(11)]))], // 10-12
    [fin(fn([i32, ref(13)])), fin(fn([i32, ref(15)])), fin(fn([i32, ref(14)]))], // 13-15
    [fin(fn([i32, ref(17)])), fin(fn([i32, ref(16)]))], // 16, 17 isomorphic to each other…
    [fin(fn([i32, ref(19)])), fin(fn([i32, ref(18)]))], // 18, 19
  );
  assert.equal(c.check(), null);
  assert.equal(c.canonical(1), 0);
  assert.equal(c.canonical(3), 2);
  assert.equal(c.canonical(5), 4);
  assert.notEqual(c.canonical(6), 4);
  assert.equal(c.canonical(8), 7);
  assert.notEqual(c.canonical(9), 7);
  assert.deepEqual([13, 14, 15].map((x) => c.canonical(x)), [10, 11, 12]);
  assert.notEqual(c.canonical(11), c.canonical(12));
  assert.notEqual(c.canonical(16), c.canonical(17)); // …but at different positions
  assert.deepEqual([c.canonical(18), c.canonical(19)], [16, 17]);
  assert.ok(c.equivalent(13, 10) && !c.equivalent(16, 17));
});

test('canonical: a chain of equivalent supertypes keeps types equivalent', () => {
  // From type-subtyping.wast, "Transitive equivalent subtyping".
  const c = ctx(
    sub(st()), sub(st()), sub(st(), [0]), sub(st(), [1]), sub(st(), [2]), sub(st(), [3]),
    sub(st(ref(4))), sub(st(ref(5)), [6]),
  );
  assert.equal(c.check(), null);
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((x) => c.canonical(x)), [0, 0, 2, 2, 4, 4]);
  assert.ok(c.heapSub(5, 0) && c.heapSub(4, 1) && !c.heapSub(0, 5));
});

// ---- Subtyping ----

test('heapSub: declared supertype chains', () => {
  const c = ctx(
    sub(st()), // 0
    sub(st(i32), [0]), // 1
    sub(st(i32, i64), [1]), // 2
    sub(st(f32), [0]), // 3: sibling of 1
    sub(st(i32)), // 4: like 1 but without the supertype
    sub(arr(i8)), // 5
    sub(fn([], [SHORT.anyref])), // 6
    sub(fn([], [SHORT.eqref]), [6]), // 7
  );
  assert.equal(c.check(), null);
  for (const [a, b, ok] of [
    [2, 0, true], [2, 1, true], [1, 0, true], [3, 0, true], [0, 0, true],
    [0, 2, false], [3, 1, false], [2, 3, false], [4, 0, false], [2, 4, false], [4, 1, false],
    [7, 6, true], [6, 7, false], [5, 0, false], [0, 5, false],
  ]) assert.equal(c.heapSub(a, b), ok, `${a} <: ${b}`);
  assert.equal(c.heapSub(0, 100), false);
  assert.equal(c.heapSub(100, 0), false);
});

test('heapSub: the abstract hierarchy and its bottoms', () => {
  const c = ctx(sub(st()), sub(arr(i32)), sub(fn()));
  const S = 0, A = 1, F = 2;
  const names = [...Object.keys(H), 'S', 'A', 'F'];
  const heap = (n) => (n === 'S' ? S : n === 'A' ? A : n === 'F' ? F : H[n]);
  const up = {
    none: ['i31', 'S', 'A', 'struct', 'array', 'eq', 'any'], i31: ['eq', 'any'], S: ['struct', 'eq', 'any'],
    A: ['array', 'eq', 'any'], struct: ['eq', 'any'], array: ['eq', 'any'], eq: ['any'], any: [],
    nofunc: ['F', 'func'], F: ['func'], func: [], noextern: ['extern'], extern: [], noexn: ['exn'], exn: [],
  };
  for (const a of names) {
    for (const b of names) {
      const expected = a === b || up[a].includes(b);
      assert.equal(c.heapSub(heap(a), heap(b)), expected, `${a} <: ${b}`);
    }
  }
  assert.equal(c.heapSub(-1, H.any), false);
  assert.equal(c.heapSub(H.any, -40), false);
  // top and bottom
  const tops = { any: 'any', eq: 'any', i31: 'any', struct: 'any', array: 'any', none: 'any', S: 'any', A: 'any',
    func: 'func', nofunc: 'func', F: 'func', extern: 'extern', noextern: 'extern', exn: 'exn', noexn: 'exn' };
  const bottoms = { any: 'none', func: 'nofunc', extern: 'noextern', exn: 'noexn' };
  for (const n of names) {
    assert.equal(c.top(heap(n)), H[tops[n]], `top ${n}`);
    assert.equal(c.bottom(heap(n)), H[bottoms[tops[n]]], `bottom ${n}`);
  }
});

test('valSub: numbers, vectors, packed types, nullability and shorthands', () => {
  const c = ctx(sub(st()), sub(st(i32), [0]), sub(fn()));
  const yes = [
    [i32, i32], [v128, v128], [i8, i8], [i16, i16],
    [ref(1), ref(0)], [ref(1), refn(0)], [refn(1), refn(0)], [ref(0), SHORT.structref], [ref(0), SHORT.anyref],
    [SHORT.funcref, refn(H.func)], [refn(H.func), SHORT.funcref], [ref(H.func), SHORT.funcref],
    [SHORT.nullfuncref, refn(2)], [ref(H.nofunc), ref(2)], [SHORT.nullref, refn(1)], [ref(H.none), ref(0)],
    [SHORT.i31ref, SHORT.eqref], [SHORT.nullexternref, SHORT.externref], [SHORT.nullexnref, SHORT.exnref],
    [ref(2), SHORT.funcref],
  ];
  const no = [
    [i32, i64], [i64, i32], [f32, f64], [i8, i16], [i8, i32], [i32, i8], [v128, i32], [i32, SHORT.anyref],
    [SHORT.anyref, i32], [refn(0), ref(0)], [SHORT.funcref, ref(H.func)], [refn(0), refn(1)],
    [SHORT.nullfuncref, ref(2)], [SHORT.nullref, refn(2)], [SHORT.externref, SHORT.anyref],
    [SHORT.exnref, SHORT.anyref], [ref(2), SHORT.anyref], [ref(0), SHORT.arrayref], [SHORT.anyref, SHORT.eqref],
  ];
  for (const [a, b] of yes) assert.ok(c.valSub(a, b), `${a.toString(16)} <: ${b.toString(16)}`);
  for (const [a, b] of no) assert.ok(!c.valSub(a, b), `not ${a.toString(16)} <: ${b.toString(16)}`);
  assert.equal(c.storageUnpacked(i8), i32);
  assert.equal(c.storageUnpacked(i16), i32);
  assert.equal(c.storageUnpacked(f64), f64);
  for (const t of [i32, i64, f32, f64, v128, i8, SHORT.funcref, SHORT.nullref, refn(0), refn(H.any)]) {
    assert.ok(c.defaultable(t));
  }
  for (const t of [ref(0), ref(H.any), ref(H.none)]) assert.ok(!c.defaultable(t));
  assert.ok(c.validVal(ref(2)) && c.validVal(SHORT.exnref) && c.validVal(v128) && c.validVal(refn(H.noexn)));
  assert.ok(!c.validVal(ref(3)) && !c.validVal(i8) && !c.validVal(0x40) && !c.validVal(refn(-40)));
  assert.ok(c.validHeap(2) && c.validHeap(H.exn) && !c.validHeap(3) && !c.validHeap(-11));
});

test('funcSub: contravariant parameters, covariant results', () => {
  const c = ctx(sub(st()), sub(st(i32), [0]));
  const f1 = fn([refn(0)], [ref(1)]);
  const f2 = fn([refn(1)], [refn(0)]);
  assert.ok(c.funcSub(f1, f2));
  assert.ok(!c.funcSub(f2, f1));
  assert.ok(c.funcSub(fn([SHORT.anyref], [SHORT.i31ref]), fn([SHORT.eqref], [SHORT.eqref])));
  assert.ok(!c.funcSub(fn([SHORT.eqref], []), fn([SHORT.anyref], [])));
  assert.ok(!c.funcSub(fn([i32], []), fn([i32, i32], [])));
  assert.ok(!c.funcSub(fn([], [i32]), fn([], [])));
  assert.ok(c.funcSub(fn([i32], [i64]), fn([i32], [i64])));
  assert.equal(c.func(0), undefined);
  assert.deepEqual(c.struct(1), st(i32));
  assert.equal(c.array(1), undefined);
  assert.equal(c.struct(5), undefined);
});

// ---- check() ----

test('check: accepts valid sections', () => {
  const valid = [
    section(),
    section([], fin(fn())), // an empty rec group
    section(fin(fn([refn(0)], [refn(0)])), [fin(fn([ref(2)])), fin(fn([], [ref(1)]))]),
    section([sub(st()), sub(st(ref(1)), [0])]), // supertype earlier in the same group
    section(sub(st(fld(i32, true), i64)), sub(st(fld(i32, true), i64, f32), [0])),
    section(sub(arr(SHORT.anyref)), sub(arr(SHORT.eqref), [0]), sub(arr(ref(H.none)), [1])),
    section(sub(arr(SHORT.anyref, true)), sub(arr(SHORT.anyref, true), [0])),
    section(sub(arr(i8, true)), sub(arr(i8, true), [0], true)),
    section(sub(fn([SHORT.eqref], [SHORT.anyref])), sub(fn([SHORT.anyref], [SHORT.eqref]), [0])),
    section(sub(st()), sub(st(i32), [0]), sub(st(i32, i32), [1]), sub(st(i32, i32, i32), [2])),
  ];
  for (const [k, s] of valid.entries()) assert.equal(new TypeContext(s.types, s.recGroups).check(), null, `case ${k}`);
});

test('check: reports the first problem with the spec message', () => {
  const cases = [
    // [section, index, message]
    [section(fin(fn())), null, null],
    [section(fin(fn()), sub(fn(), [0])), 1, 'sub type 1 has final super type 0'],
    [section(sub(fn(), [], true), sub(fn(), [0])), 1, 'sub type 1 has final super type 0'],
    [section(sub(fn()), sub(fn(), [0], true), sub(fn(), [1])), 2, 'sub type 2 has final super type 1'],
    [section([sub(fn(), [1]), sub(fn())]), 0, 'forward use of type 1 in sub type definition'],
    [section(sub(fn(), [0])), 0, 'forward use of type 0 in sub type definition'],
    [section(sub(fn(), [1]), sub(fn())), 0, 'unknown type 1'],
    [section(sub(st()), sub(st(), [5])), 1, 'unknown type 5'],
    [section(sub(arr(i32)), sub(st(), [0])), 1, 'sub type 1 does not match super type 0'],
    [section(sub(fn([i32], [i32])), sub(st(), [0])), 1, 'sub type 1 does not match super type 0'],
    [section(sub(st()), sub(arr(i32), [0])), 1, 'sub type 1 does not match super type 0'],
    [section(sub(arr(i32)), sub(arr(i64), [0])), 1, 'sub type 1 does not match super type 0'],
    [section(sub(st(i32)), sub(st(i64), [0])), 1, 'sub type 1 does not match super type 0'],
    [section(sub(st(i32, i32)), sub(st(i32), [0])), 1, 'sub type 1 does not match super type 0'],
    [section(sub(arr(ref(H.none))), sub(arr(ref(H.any)), [0])), 1, 'sub type 1 does not match super type 0'],
    [section(sub(arr(ref(H.any), true)), sub(arr(ref(H.none), true), [0])), 1, 'sub type 1 does not match super type 0'],
    [section(sub(arr(ref(H.any), true)), sub(arr(ref(H.any)), [0])), 1, 'sub type 1 does not match super type 0'],
    [section(sub(st(fld(ref(H.any)))), sub(st(fld(ref(H.any), true)), [0])), 1, 'sub type 1 does not match super type 0'],
    [section(sub(arr(i8)), sub(arr(i16), [0])), 1, 'sub type 1 does not match super type 0'],
    [section(sub(arr(i8)), sub(arr(i32), [0])), 1, 'sub type 1 does not match super type 0'],
    [section(sub(fn()), sub(fn([i32]), [0])), 1, 'sub type 1 does not match super type 0'],
    [section(sub(fn([SHORT.anyref])), sub(fn([SHORT.eqref]), [0])), 1, 'sub type 1 does not match super type 0'],
    [section(sub(fn([], [SHORT.eqref])), sub(fn([], [SHORT.anyref]), [0])), 1, 'sub type 1 does not match super type 0'],
    [section(sub(st()), sub(st()), sub(st(), [0, 1])), 2, 'sub type 2 has more than one super type'],
    [section(fin(fn([ref(1)])), fin(fn())), 0, 'unknown type 1'],
    [section([fin(fn([ref(1)]))], [fin(fn())]), 0, 'unknown type 1'],
    [section(fin(st(refn(3)))), 0, 'unknown type 3'],
    [section(fin(arr(ref(1)))), 0, 'unknown type 1'],
    [section(fin(fn([], [ref(1)]))), 0, 'unknown type 1'],
    [section(fin(fn([i8]))), 0, 'malformed value type 0x78'],
    // The first problem in type order wins.
    [section(fin(fn()), sub(fn(), [0]), fin(fn([ref(9)]))), 1, 'sub type 1 has final super type 0'],
    [section([sub(fn(), [1]), fin(fn([ref(5)]))]), 0, 'forward use of type 1 in sub type definition'],
    [section([fin(fn()), sub(fn(), [0]), fin(fn([ref(5)]))]), 1, 'sub type 1 has final super type 0'],
    [section([fin(fn([ref(2)])), sub(fn(), [0]), fin(fn([ref(5)]))]), 1, 'sub type 1 has final super type 0'],
    // The supertype's own references resolve inside the group.
    [section([sub(st(ref(1))), sub(st(ref(1)), [0])]), null, null],
    [section([sub(st(ref(0))), sub(st(ref(1)), [0])]), null, null], // (ref 1) <: (ref 0) as 1 <: 0
    [section([sub(st(ref(1))), sub(st(ref(0)), [0])]), 1, 'sub type 1 does not match super type 0'],
    [section([sub(st(fld(ref(1), true))), sub(st(fld(ref(0), true)), [0])]), 1, 'sub type 1 does not match super type 0'],
    [section([sub(st(ref(H.any))), sub(st(ref(0)), [0])]), null, null],
  ];
  for (const [k, [s, index, message]] of cases.entries()) {
    const got = new TypeContext(s.types, s.recGroups).check();
    assert.deepEqual(got, index === null ? null : { index, message }, `case ${k}`);
    if (message) assert.match(message, /sub type|unknown type|malformed/);
  }
});

test('rec group spans: empty groups, uncovered types, malformed spans', () => {
  const types = [sub(st(ref(1))), sub(st(ref(0))), fin(fn())];
  // No spans at all: singletons, so 0 refers forward out of its group.
  assert.deepEqual(new TypeContext(types, []).check(), { index: 0, message: 'unknown type 1' });
  const c = new TypeContext(types, [{ start: 0, count: 0, explicit: true }, { start: 0, count: 2, explicit: true }]);
  assert.equal(c.check(), null);
  assert.deepEqual(c.recGroupOf(1), [0, 2]);
  assert.deepEqual(c.recGroupOf(2), [2, 3]);
  assert.deepEqual(new TypeContext(types, [{ start: 0, count: 9, explicit: true }]).check(), { index: 0, message: 'unknown type 1' });
});

// ---- Custom descriptors: exact heap types, describes/descriptor clauses ----

/** `t` with custom-descriptors clauses. */
const desc = (t, clauses) => ({ ...t, ...clauses });

test('heapSub: exact types are below their type, above only the bottom type', () => {
  const c = ctx(
    sub(st()), // 0
    sub(st(), [0]), // 1
    fin(st()), // 2: equivalent to no other (0 is open)
    fin(st()), // 3: equivalent to 2
    sub(fn()), // 4
  );
  assert.equal(c.check(), null);
  const x = exactHeap;
  for (const [a, b, ok] of [
    [x(0), 0, true], [x(1), 0, true], [x(1), 1, true], [0, x(0), false], [1, x(0), false],
    [x(1), x(0), false], [x(0), x(1), false], [x(2), x(3), true], [x(3), 2, true],
    [H.none, x(0), true], [H.nofunc, x(4), true], [H.none, x(4), false], [x(4), H.func, true], [x(0), H.struct, true],
    [x(0), H.any, true], [x(4), H.any, false], [H.struct, x(0), false],
  ]) assert.equal(c.heapSub(a, b), ok, `${a} <: ${b}`);
  assert.ok(c.valSub(ref(x(0)), refn(x(0))) && !c.valSub(refn(x(0)), ref(x(0))));
  assert.equal(c.top(x(4)), H.func);
  assert.equal(c.bottom(x(0)), H.none);
  assert.ok(c.validHeap(x(4)) && !c.validHeap(x(5)));
});

test('canonical: exactness and describes/descriptor clauses are part of a type', () => {
  const c = ctx(
    fin(st()), // 0
    fin(st(ref(0))), // 1
    fin(st(ref(exactHeap(0)))), // 2: differs from 1
    fin(st(ref(exactHeap(0)))), // 3: same as 2
    [desc(fin(st()), { descriptor: 5 }), desc(fin(st()), { describes: 4 })], // 4, 5
    [desc(fin(st()), { descriptor: 7 }), desc(fin(st()), { describes: 6 })], // 6, 7: the same pair
    [fin(st()), fin(st())], // 8, 9: the pair without clauses
  );
  assert.equal(c.check(), null);
  assert.notEqual(c.canonical(1), c.canonical(2));
  assert.equal(c.canonical(2), c.canonical(3));
  assert.equal(c.canonical(4), c.canonical(6));
  assert.equal(c.canonical(5), c.canonical(7));
  assert.notEqual(c.canonical(4), c.canonical(8));
  assert.equal(c.descriptorOf(6), 7);
  assert.equal(c.descriptorOf(7), -1);
});

test('check: describes/descriptor clauses name each other within the group, described first', () => {
  const pair = (a, b) => [desc(sub(st()), a), desc(sub(st()), b)];
  const problem = (...groups) => ctx(...groups).check()?.message ?? null;
  assert.equal(problem(pair({ descriptor: 1 }, { describes: 0 })), null);
  // A chain: 0 described by 1, described by 2.
  assert.equal(problem([desc(fin(st()), { descriptor: 1 }), desc(fin(st()), { describes: 0, descriptor: 2 }), desc(fin(st()), { describes: 1 })]), null);
  assert.equal(problem(pair({ describes: 1 }, { descriptor: 0 })), 'forward use of described type');
  assert.equal(problem(pair({ descriptor: 1 }, {})), 'type is not described by its descriptor');
  assert.equal(problem(pair({}, { describes: 0 })), 'described type is not described by descriptor');
  assert.equal(problem(desc(fin(st()), { describes: 0, descriptor: 0 })), 'forward use of described type');
  assert.equal(problem(fin(st()), desc(fin(st()), { describes: 0 })), 'described type is outside rec group');
  assert.equal(problem([desc(fin(arr(i32)), { descriptor: 1 }), desc(fin(st()), { describes: 0 })]), 'descriptor type must be a struct');
  assert.equal(problem([desc(fin(st()), { descriptor: 1 }), desc(fin(fn()), { describes: 0 })]), 'described type must be a struct');
});

test('check: subtypes keep their supertypes\' describes/descriptor clauses, by subtypes', () => {
  // 0, 1: $super and $super.desc; the group after it declares subtypes of both.
  const base = [desc(sub(st()), { descriptor: 1 }), desc(sub(st()), { describes: 0 })];
  const problem = (...rest) => ctx(base, rest).check()?.message ?? null;
  assert.equal(problem(desc(sub(st(), [0]), { descriptor: 3 }), desc(sub(st(), [1]), { describes: 2 })), null);
  // No descriptor where the supertype has one.
  assert.match(problem(sub(st(), [0])), /does not match super type 0: no descriptor/);
  // A descriptor that is not a subtype of the supertype's descriptor.
  assert.match(problem(desc(sub(st(), [0]), { descriptor: 3 }), desc(sub(st()), { describes: 2 })), /descriptor type 3 does not match 1/);
  // A descriptor type that describes no subtype of what its supertype describes.
  assert.match(problem(desc(sub(st()), { descriptor: 3 }), desc(sub(st(), [1]), { describes: 2 })), /described type 2 does not match 0/);
  // A supertype without a descriptor allows one; a describes clause needs one above.
  assert.equal(ctx(sub(st()), [desc(sub(st(), [0]), { descriptor: 2 }), desc(fin(st()), { describes: 1 })]).check(), null);
  assert.match(ctx(sub(st()), [desc(fin(st()), { descriptor: 2 }), desc(sub(st(), [0]), { describes: 1 })]).check().message, /describes clauses differ/);
});

test('scales: a million types and a deep chain, without recursion', () => {
  const n = 1_000_000;
  const types = new Array(n);
  const recGroups = new Array(n);
  for (let i = 0; i < n; i++) {
    // A chain: (sub $i-1 (struct (field (ref null $i-1)))), each a valid subtype of its parent.
    types[i] = i === 0 ? sub(st()) : sub(st(fld(refn(i - 1))), [i - 1]);
    recGroups[i] = { start: i, count: 1, explicit: false };
  }
  let t = performance.now();
  const c = new TypeContext(types, recGroups);
  assert.equal(c.check(), null);
  const ms = performance.now() - t;
  assert.ok(c.heapSub(n - 1, 4) && c.heapSub(n - 1, n - 2) && !c.heapSub(n - 2, n - 1) && c.heapSub(n - 1, 0) && !c.heapSub(4, n - 1));
  assert.equal(c.canonical(n - 1), n - 1);
  assert.ok(ms < 20000, `took ${ms} ms`);
  // A million identical types intern to one.
  const same = Array.from({ length: n }, () => fin(fn([i32], [SHORT.anyref])));
  t = performance.now();
  const d = new TypeContext(same, Array.from({ length: n }, (_, i) => ({ start: i, count: 1, explicit: false })));
  assert.equal(d.canonical(n - 1), 0);
  assert.ok(d.valSub(ref(n - 1), ref(0)));
  // One rec group of a million types referring to each other.
  const big = Array.from({ length: n }, (_, i) => fin(st(refn((i + 1) % n))));
  const e = new TypeContext(big, [{ start: 0, count: n, explicit: true }]);
  assert.equal(e.check(), null);
  assert.equal(e.canonical(n - 1), n - 1);
});

// ---- Against the spec suite's binaries (no false positives on valid modules) ----

test('spec suite: modules that must validate pass check()', { skip: !haveSuite && NO_SUITE }, () => {
  let checked = 0;
  for (const s of scripts()) {
    for (const cmd of s.commands) {
      if (!DECODES.has(cmd.type) || cmd.type === 'assert_invalid' || !cmd.filename?.endsWith('.wasm')) continue;
      let m;
      try { m = readModule(readFileSync(join(s.dir, cmd.filename))); } catch { continue; }
      const issue = new TypeContext(m.types, m.recGroups).check();
      assert.equal(issue, null, `${s.name}/${cmd.filename}: ${issue?.message}`);
      checked++;
    }
  }
  assert.ok(checked > 100);
});

// ---- Differential: V8 (Node 26) ----

let v8 = null;
try { v8 = node26(); } catch (e) { v8 = null; }

/** WebAssembly.validate of each module under Node 26. */
function v8Validate(mods) {
  const script = `
    const mods = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
    console.log(JSON.stringify(mods.map((b) => WebAssembly.validate(Buffer.from(b, 'base64')))));`;
  const input = JSON.stringify(mods.map((b) => Buffer.from(b).toString('base64')));
  const out = execFileSync(v8, ['-e', script], { input, maxBuffer: 1 << 28 });
  return JSON.parse(out.toString());
}

/**
 * Encodes a type section, plus per pair [a, b] a function `(param a) (result b)` with body
 * `local.get 0`, valid iff a <: b. Returns the bytes and weft's verdict.
 */
function build({ types, recGroups }, pairs = []) {
  const m = emptyModule();
  m.types = types.slice();
  m.recGroups = recGroups.slice();
  for (const [a, b] of pairs) {
    m.recGroups.push({ start: m.types.length, count: 1, explicit: false });
    m.funcs.push({ type: m.types.length, body: null, raw: Uint8Array.of(0, 0x20, 0, 0x0b), offset: 0 });
    m.types.push(fin(fn([a], [b])));
  }
  const c = new TypeContext(m.types, m.recGroups);
  const ok = c.check() === null && pairs.every(([a, b]) => c.valSub(a, b));
  return { bytes: writeModule(m), ok };
}

function hand() {
  const cases = [];
  const add = (name, s, pairs = []) => cases.push({ name, ...build(s, pairs) });
  // type-rec.wast
  add('rec syntax', section(fin(fn([ref(0)], [ref(0)])), [fin(fn([ref(2)])), fin(fn([], [ref(1)]))], [], [fin(fn())]));
  add('forward ref out of group', section(fin(fn([ref(1)])), fin(fn())));
  add('forward ref out of rec', section([fin(fn([ref(1)]))], [fin(fn())]));
  add('static rec match', section([fin(fn()), fin(st(ref(0)))], [fin(fn()), fin(st(ref(2)))]), [[ref(2), ref(0)]]);
  add('static rec mismatch', section([fin(fn()), fin(st(ref(0)))], [fin(fn()), fin(st(ref(0)))]), [[ref(2), ref(0)]]);
  add('swapped positions', section([fin(fn()), fin(st())], [fin(st()), fin(fn())]), [[ref(3), ref(0)]]);
  add('bigger group', section([fin(fn()), fin(st())], [fin(fn()), fin(st()), fin(fn())]), [[ref(2), ref(0)]]);
  add('implicit singleton', section([fin(st())], [fin(fn([ref(0)]))]), [[ref(1), ref(1)]]);
  // type-equivalence.wast
  add('iso rec', section([fin(fn([i32, ref(1)])), fin(fn([i32, ref(0)]))], [fin(fn([i32, ref(3)])), fin(fn([i32, ref(2)]))]),
    [[ref(0), ref(2)], [ref(1), ref(3)], [ref(3), ref(1)]]);
  add('iso rec, crossed', section([fin(fn([i32, ref(1)])), fin(fn([i32, ref(0)]))], [fin(fn([i32, ref(3)])), fin(fn([i32, ref(2)]))]),
    [[ref(0), ref(3)]]);
  add('self vs outer', section([fin(fn([i32, ref(0)]))], fin(fn([i32, ref(0)]))), [[ref(1), ref(0)]]);
  add('indirect equivalence', section(fin(fn([i32], [f32])), fin(fn([i32, ref(0)], [ref(0)])), fin(fn([i32, ref(0)], [ref(0)])),
    fin(fn([ref(1)], [ref(2)])), fin(fn([ref(2)], [ref(1)]))), [[ref(3), ref(4)], [ref(4), ref(3)]]);
  // type-subtyping.wast
  add('final super', section(fin(fn()), sub(fn(), [0])));
  add('final super (struct)', section(fin(st()), sub(st(), [0])));
  add('sub final super', section(sub(fn(), [], true), sub(fn(), [0])));
  add('final middle', section(sub(fn()), sub(fn(), [0], true), sub(fn(), [1])));
  add('final leaf ok', section(sub(fn()), sub(fn(), [0], true)), [[ref(1), ref(0)]]);
  add('array vs struct', section(sub(arr(i32)), sub(st(), [0])));
  add('func vs struct', section(sub(fn([i32], [i32])), sub(st(), [0])));
  add('struct vs array', section(sub(st()), sub(arr(i32), [0])));
  add('array elem', section(sub(arr(i32)), sub(arr(i64), [0])));
  add('struct field', section(sub(st(i32)), sub(st(i64), [0])));
  add('array covariant immut', section(sub(arr(ref(H.any))), sub(arr(ref(H.none)), [0])));
  add('array contravariant immut', section(sub(arr(ref(H.none))), sub(arr(ref(H.any)), [0])));
  add('array mut invariant', section(sub(arr(ref(H.any), true)), sub(arr(ref(H.none), true), [0])));
  add('array mut equal', section(sub(arr(SHORT.anyref, true)), sub(arr(refn(H.any), true), [0])));
  add('mutability change', section(sub(arr(ref(H.any), true)), sub(arr(ref(H.any)), [0])));
  add('mutability change 2', section(sub(st(fld(ref(H.any)))), sub(st(fld(ref(H.any), true)), [0])));
  add('struct width', section(sub(st(i32)), sub(st(i32, fld(i64, true)), [0]), sub(st(i32, fld(i64, true), i8), [1])),
    [[ref(2), ref(0)], [ref(0), ref(2)], [ref(2), SHORT.structref], [ref(2), SHORT.arrayref]]);
  add('struct narrower', section(sub(st(i32, i32)), sub(st(i32), [0])));
  add('func params', section(sub(fn()), sub(fn([i32]), [0])));
  add('func variance', section(sub(fn([SHORT.eqref], [SHORT.anyref])), sub(fn([SHORT.anyref], [SHORT.eqref]), [0])),
    [[ref(1), ref(0)], [ref(0), ref(1)], [ref(1), SHORT.funcref], [ref(H.nofunc), ref(1)], [SHORT.nullfuncref, ref(1)]]);
  add('func variance wrong', section(sub(fn([SHORT.anyref])), sub(fn([SHORT.eqref]), [0])));
  add('packed', section(sub(arr(i8)), sub(arr(i16), [0])));
  add('packed same', section(sub(arr(i16, true)), sub(arr(i16, true), [0])));
  add('self super', section(sub(fn(), [0])));
  add('forward super in rec', section([sub(fn(), [1]), sub(fn())]));
  add('super in later group', section(sub(fn(), [1]), sub(fn())));
  add('super earlier in rec', section([sub(st()), sub(st(ref(1)), [0])]), [[ref(1), ref(0)], [ref(0), ref(1)]]);
  add('transitive equivalent', section(sub(st()), sub(st()), sub(st(), [0]), sub(st(), [1]), sub(st(), [2]), sub(st(), [3]),
    sub(st(ref(4))), sub(st(ref(5)), [6])), [[ref(5), ref(0)], [ref(4), ref(1)], [ref(0), ref(5)]]);
  add('covariant self ref', section([sub(st(ref(0))), sub(st(ref(1)), [0])]));
  add('contravariant self ref', section([sub(st(ref(1))), sub(st(ref(0)), [0])]));
  add('mutable self ref', section([sub(st(fld(ref(1), true))), sub(st(fld(ref(0), true)), [0])]));
  add('multiple supers', section(sub(st()), sub(st()), sub(st(), [0, 1])));
  add('canon chain', section(sub(st()), sub(st(i32), [0]), sub(st()), sub(st(i32), [2]), sub(st(i32))),
    [[ref(3), ref(0)], [ref(1), ref(2)], [ref(4), ref(0)], [ref(4), ref(1)]]);
  // Abstract hierarchy, nullability, bottoms.
  const abs = [
    SHORT.anyref, SHORT.eqref, SHORT.i31ref, SHORT.structref, SHORT.arrayref, SHORT.nullref, SHORT.funcref,
    SHORT.nullfuncref, SHORT.externref, SHORT.nullexternref, SHORT.exnref, SHORT.nullexnref,
    ref(H.any), ref(H.none), ref(H.i31), ref(H.func), ref(H.nofunc), ref(H.noextern), ref(H.noexn),
    ref(0), refn(0), ref(1), refn(1), ref(2), refn(2), i32, f64,
  ];
  const base = section(sub(st(i32)), sub(arr(i8)), sub(fn()));
  for (let k = 0; k < abs.length; k++) {
    const pairs = [];
    for (let j = 0; j < abs.length; j++) pairs.push([abs[k], abs[j]]);
    // One module per pair, so a verdict tells about that pair alone.
    for (const p of pairs) add(`abs ${k}`, base, [p]);
  }
  return cases;
}

/** mulberry32 */
function prng(seed) {
  return (n) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n);
  };
}

/** A random small type section; supertypes usually declared earlier with a derived body, so many are valid. */
function randomSection(r) {
  const n = 1 + r(6);
  const ends = [];
  const recGroups = [];
  for (let i = 0; i < n;) {
    const count = Math.min(n - i, 1 + r(3));
    recGroups.push({ start: i, count, explicit: count > 1 || r(2) === 0 });
    for (let k = 0; k < count; k++) ends.push(i + count);
    i += count;
  }
  const absCodes = Object.values(SHORT);
  const absHeaps = Object.values(H);
  const val = (limit, storage) => {
    switch (r(storage ? 9 : 8)) {
      case 0: return [i32, i64, f32, f64, v128][r(5)];
      case 1: case 2: return absCodes[r(absCodes.length)];
      case 3: case 4: return refType(r(2) === 0, absHeaps[r(absHeaps.length)]);
      case 8: return r(2) ? i8 : i16;
      default: return refType(r(2) === 0, r(limit));
    }
  };
  const vals = (limit, max, storage) => Array.from({ length: r(max + 1) }, () => val(limit, storage));
  const comp = (limit) => {
    switch (r(3)) {
      case 0: return fn(vals(limit, 2), vals(limit, 2));
      case 1: return st(...vals(limit, 3, true).map((t) => fld(t, r(2) === 0)));
      default: return arr(val(limit, true), r(2) === 0);
    }
  };
  /** A variation of a supertype's body: often a valid subtype, sometimes not. */
  const derive = (c, limit) => {
    const tweak = (t, storage) => (r(3) === 0 ? val(limit, storage) : t);
    if (c.kind === 'func') return fn(c.params.map((t) => tweak(t)), c.results.map((t) => tweak(t)));
    if (c.kind === 'array') return arr(tweak(c.field.type, true), r(6) === 0 ? !c.field.mutable : c.field.mutable);
    const fields = c.fields.map((f) => fld(tweak(f.type, true), r(6) === 0 ? !f.mutable : f.mutable));
    if (r(4) === 0 && fields.length) fields.pop();
    while (r(2) === 0) fields.push(fld(val(limit, true), r(2) === 0));
    return st(...fields);
  };
  const types = [];
  for (let i = 0; i < n; i++) {
    // Mostly in scope; sometimes one past the group (invalid).
    const limit = r(12) === 0 ? Math.min(n, ends[i] + 1) : ends[i];
    let supers = [];
    let c;
    if (r(5) < 3 && i > 0) {
      const x = r(8) === 0 ? r(ends[i]) : r(i);
      supers = r(20) === 0 ? [x, r(i)] : [x];
      c = x < i && r(5) > 0 ? derive(types[x].comp, limit) : comp(limit);
    } else if (r(15) === 0) {
      supers = [r(ends[i])];
      c = comp(limit);
    } else {
      c = comp(limit);
    }
    types.push({ final: r(4) === 0, supers, comp: c, explicit: true });
  }
  const twins = [];
  // Often repeat a group, shifting its inner references, sometimes with a small change:
  // equivalence of the copies is then what the subtyping questions depend on.
  if (r(2) === 0) {
    const g = recGroups[r(recGroups.length)];
    const shift = n - g.start;
    const move = (t) => {
      const c = t & 0xff, h = t >> 8;
      return (c === 0x63 || c === 0x64) && h >= g.start && h < g.start + g.count ? refType(c === 0x63, h + shift) : t;
    };
    const moveComp = (c) => (c.kind === 'func' ? fn(c.params.map(move), c.results.map(move))
      : c.kind === 'struct' ? st(...c.fields.map((f) => fld(move(f.type), f.mutable))) : arr(move(c.field.type), c.field.mutable));
    const copy = types.slice(g.start, g.start + g.count).map((t) => ({
      final: t.final, explicit: t.explicit, comp: moveComp(t.comp),
      supers: t.supers.map((x) => (x >= g.start && x < g.start + g.count ? x + shift : x)),
    }));
    if (r(3) === 0) {
      const t = copy[r(copy.length)];
      if (r(2) === 0) t.final = !t.final;
      else t.comp = derive(t.comp, n + copy.length);
    }
    recGroups.push({ start: n, count: copy.length, explicit: g.explicit });
    types.push(...copy);
    for (let k = 0; k < copy.length; k++) twins.push([g.start + k, n + k]);
  }
  return { types, recGroups, twins };
}

test('differential: check() and valSub agree with V8', { skip: !v8 && 'Node 26 not available' }, () => {
  const cases = hand();
  // WEFT_TYPES_FUZZ=count[:seed] runs a longer differential.
  const [fuzzCount, fuzzSeed] = (process.env.WEFT_TYPES_FUZZ ?? '').split(':');
  const r = prng(Number(fuzzSeed || 0x5eed));
  const randomCount = Number(fuzzCount || 3000);
  let randomValid = 0;
  for (let k = 0; k < randomCount; k++) {
    const s = randomSection(r);
    const n = s.types.length;
    const pairs = [];
    if (s.twins.length && r(2) === 0) {
      // Is a type interchangeable with its copy (or a type of the copy with another)?
      const [a, b] = s.twins[r(s.twins.length)];
      const other = r(4) === 0 ? r(n) : b;
      pairs.push(r(2) === 0 ? [refType(r(2) === 0, a), refType(r(3) > 0, other)] : [ref(other), refn(a)]);
    } else if (r(2) === 0) {
      // A subtyping question over this section's types.
      const pick = () => (r(3) === 0 ? [i32, SHORT.anyref, SHORT.funcref, SHORT.nullref, SHORT.nullfuncref, SHORT.structref][r(6)]
        : refType(r(2) === 0, r(n)));
      pairs.push([pick(), pick()]);
    }
    const c = build(s, pairs);
    if (c.ok) randomValid++;
    cases.push({ name: `random ${k}: ${JSON.stringify(s)} pairs ${JSON.stringify(pairs)}`, ...c });
  }
  const verdicts = v8Validate(cases.map((c) => c.bytes));
  const wrong = cases.filter((c, k) => c.ok !== verdicts[k]).map((c) => `${c.name}: weft ${c.ok}, V8 ${!c.ok}`);
  assert.deepEqual(wrong.slice(0, 10), []);
  const handValid = cases.slice(0, cases.length - randomCount).filter((c) => c.ok).length;
  // Both verdicts must be well represented, or the comparison says little.
  assert.ok(handValid > 50 && cases.length - randomCount - handValid > 50, `hand: ${handValid} valid`);
  assert.ok(randomValid > randomCount / 6 && randomCount - randomValid > randomCount / 6, `random: ${randomValid} valid of ${randomCount}`);
  console.log(`# differential: ${cases.length - randomCount} hand-written, ${randomCount} random (${randomValid} valid)`);
});
