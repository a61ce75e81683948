// The structurizer (src/cfg) against independent oracles:
//  - differential trace fuzzing in the manner of Binaryen's scripts/fuzz_relooper.py:
//    seeded random graphs (2-250 blocks, random density, switches, self-loops,
//    irreducible cycles, unreachable blocks) and decision tapes for check(); the rendered
//    module, run in V8, must print exactly the trace a direct interpreter of the graph
//    prints and end the same way;
//  - every output validates, by weft's validator and by WebAssembly.validate;
//  - a reducibility oracle of its own (T1/T2 reduction): reducible graphs get no helper
//    local and no copies; irreducible ones get splitting or dispatch;
//  - the adversarial families (K_n, Duff's device, a 200-way interpreter loop, a lexer)
//    at several splitting budgets, with the output size bounded;
//  - the typed API with conditions and code on edges, against its own interpreter;
//  - the JSON front end's and the CLI's errors.
//
// WEFT_FUZZ_SEEDS=N sets the number of random seeds (default 3000). A failure names its seed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  Body, Cfg, CfgError, CfgJsonError, ExternKind, I32, OP_BY_NAME, OPS, emptyModule, moduleFromJson, parseCfgJson, readModule, validate, writeModule,
} from '../dist/src/index.js';
import { clique, duff, interpret, interpreterLoop, lexer, programCfg, randomCfg, rng, runModule, tapeFor } from './cfg-corpus.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WEFT_BIN = join(ROOT, 'dist/src/cli/main.js');
const SEEDS = Number(process.env.WEFT_FUZZ_SEEDS ?? 3000);
const tmp = mkdtempSync(join(tmpdir(), 'weft-structurize-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Renders `json`, validates the module both ways, and compares traces on `tapes` tapes. */
function check(json, label, { budget, tapes = 3, tapeLength, tapeSeed = 0 } = {}) {
  const { module, result } = moduleFromJson(json, budget === undefined ? {} : { splitBudget: budget });
  const bytes = writeModule(module);
  const errors = validate(readModule(bytes));
  assert.deepEqual(errors, [], `${label}: weft's validator rejects the output: ${errors[0]?.message}`);
  assert.ok(WebAssembly.validate(bytes), `${label}: V8 rejects the output`);
  const mod = new WebAssembly.Module(bytes);
  for (let t = 0; t < tapes; t++) {
    const tape = tapeFor(json, tapeSeed * 31 + t, tapeLength);
    const steps = 10 * tape.length + 10;
    const want = interpret(json, tape, steps);
    const got = runModule(mod, tape, steps);
    if (got.end !== want.end || got.trace.join() !== want.trace.join()) {
      let at = 0;
      while (at < want.trace.length && got.trace[at] === want.trace[at]) at++;
      assert.fail(`${label}, tape ${t}: trace differs at step ${at} (want ${want.trace.slice(at, at + 5)} … ${want.end}, got ${got.trace.slice(at, at + 5)} … ${got.end})`);
    }
  }
  return { result, bytes };
}

/**
 * Reducibility by T1/T2 reduction (Hecht and Ullman), independent of src/cfg: remove
 * self-loops (T1) and merge a node into its unique predecessor (T2) until nothing
 * changes; reducible iff one node is left. Only blocks reachable from the entry count.
 */
function reducible(json) {
  const succ = new Map(json.blocks.map((b) => [b.id, new Set(takenBranches(b).map((n) => n.to))]));
  const seen = new Set([json.entry]);
  const work = [json.entry];
  while (work.length) for (const t of succ.get(work.pop())) if (!seen.has(t)) seen.add(t), work.push(t);
  const preds = new Map([...seen].map((v) => [v, new Set()]));
  for (const v of seen) for (const t of succ.get(v)) preds.get(t).add(v);
  for (const v of seen) succ.get(v).delete(v), preds.get(v).delete(v);
  const queue = [...seen];
  let alive = seen.size;
  const dead = new Set();
  while (queue.length) {
    const v = queue.pop();
    if (dead.has(v) || v === json.entry || preds.get(v).size !== 1) continue;
    const [p] = preds.get(v);
    // Merge v into p: p takes v's successors.
    dead.add(v);
    alive--;
    succ.get(p).delete(v);
    for (const t of succ.get(v)) {
      preds.get(t).delete(v);
      if (t === p) continue;
      succ.get(p).add(t);
      preds.get(t).add(p);
      queue.push(t);
    }
    preds.get(p).delete(p);
    succ.get(p).delete(p);
    queue.push(p);
  }
  return alive === 1;
}

/** The branches control can take: the default, and those with a value no earlier branch lists. */
function takenBranches(b) {
  const taken = new Set();
  return (b.next ?? []).filter((n) => n.on === undefined || n.on.filter((v) => !taken.has(v) && taken.add(v)).length > 0);
}

test(`random graphs: ${SEEDS} seeds, traces equal the interpreter's; helper local only when irreducible`, (t) => {
  const seen = { irreducible: 0, split: 0, dispatch: 0, selfLoop: 0, unreachable: 0, switches: 0, sparse: 0 };
  for (let seed = 0; seed < SEEDS; seed++) {
    const json = randomCfg(seed);
    // Every third seed also without splitting, to exercise dispatch on every kind of graph.
    for (const budget of seed % 3 === 0 ? [undefined, 0] : [undefined]) {
      const label = `seed ${seed}${budget === undefined ? '' : ` (split budget ${budget})`}`;
      const { result } = check(json, label, { budget, tapeSeed: seed });
      const s = result.stats;
      if (budget === undefined) {
        const isReducible = reducible(json);
        if (isReducible) {
          assert.equal(result.labelLocal, -1, `${label}: reducible, yet a dispatch label was allocated`);
          assert.equal(s.splitNodes + s.dispatchLoops, 0, `${label}: reducible, yet nodes were split or dispatched`);
        } else {
          seen.irreducible++;
          assert.ok(s.splitNodes + s.dispatchLoops > 0, `${label}: irreducible, yet neither split nor dispatched`);
          if (s.splitNodes) seen.split++;
          if (s.dispatchLoops) seen.dispatch++;
        }
        const ids = new Set([json.entry]);
        const work = [json.entry];
        while (work.length) for (const n of takenBranches(json.blocks[work.pop()])) if (!ids.has(n.to)) ids.add(n.to), work.push(n.to);
        if (ids.size < json.blocks.length) seen.unreachable++;
        if (json.blocks.some((b) => b.next.some((n) => n.to === b.id))) seen.selfLoop++;
        if (json.blocks.some((b) => b.next.length > 2)) seen.switches++;
        if (json.blocks.some((b) => b.next.some((n) => n.on?.some((v) => v < 0)))) seen.sparse++;
      }
    }
  }
  // The generator must actually produce what the fuzzer claims to cover.
  for (const [what, n] of Object.entries(seen)) assert.ok(n >= SEEDS / 100, `only ${n} of ${SEEDS} graphs with ${what}`);
  t.diagnostic(`${SEEDS} seeds (${Math.ceil(SEEDS / 3)} also with split budget 0), 3 tapes each; graphs with: ${Object.entries(seen).map(([k, n]) => `${k} ${n}`).join(', ')}`);
});

test(`program-shaped graphs (${Math.ceil(SEEDS / 4)} seeds, 10-400 blocks): traces equal the interpreter's; reducible ones get no helper local`, (t) => {
  let reducibleCount = 0;
  for (let seed = 0; seed < SEEDS; seed += 4) {
    const json = programCfg(10 + (seed % 391), seed + 1);
    const { result } = check(json, `program seed ${seed}`, { tapeSeed: seed, tapes: 2 });
    if (reducible(json)) {
      reducibleCount++;
      assert.equal(result.labelLocal, -1, `program seed ${seed}: reducible, yet a dispatch label was allocated`);
      assert.equal(result.stats.splitNodes + result.stats.dispatchLoops, 0, `program seed ${seed}: reducible, yet split or dispatched`);
    }
  }
  assert.ok(reducibleCount >= SEEDS / 8, `only ${reducibleCount} reducible program graphs`);
  t.diagnostic(`${reducibleCount} of ${Math.ceil(SEEDS / 4)} program graphs reducible`);
});

test('K_n (n = 2..12), Duff, a 200-way interpreter loop and a lexer, at several split budgets', () => {
  const families = [];
  for (let n = 2; n <= 12; n++) families.push([`K_${n}`, clique(n)]);
  families.push(["Duff's device", duff()], ['interpreter loop', interpreterLoop(200)], ['lexer', lexer()]);
  for (const [name, json] of families) {
    const edges = json.blocks.reduce((n, b) => n + b.next.length, 0);
    for (const budget of [undefined, 0, 0.25, 4]) {
      const label = `${name}${budget === undefined ? '' : ` (split budget ${budget})`}`;
      const { result } = check(json, label, { budget, tapes: 4, tapeLength: 300 });
      // Bounded growth: copies weigh at most budget × the input (each block: print + check
      // + its table, ~4 + values instructions), plus O(1) per node and edge for dispatch.
      const weight = json.blocks.reduce((n, b) => n + 4 + b.next.reduce((m, x) => m + (x.on?.length ?? 0), 0), 0);
      const limit = (2 + (budget ?? 1)) * weight + 12 * (json.blocks.length + edges) + 16;
      assert.ok(result.body.length <= limit, `${label}: ${result.body.length} instructions, over the bound ${limit}`);
    }
  }
  // No dispatch at all where a reducible equivalent is cheap: Duff's device splits.
  assert.equal(check(duff(), 'duff').result.labelLocal, -1);
  assert.equal(check(interpreterLoop(200), 'interpreter').result.labelLocal, -1);
});

/** How many times each structured op occurs in the rendered function, and its deepest nesting. */
function shape(json) {
  const { result } = check(json, 'shape', { tapes: 2, tapeLength: 50 });
  const count = {};
  const body = result.body;
  for (let i = 0; i < body.length; i++) {
    const name = OPS[body.ops[i]].name;
    count[name] = (count[name] ?? 0) + 1;
  }
  return { count: (name) => count[name] ?? 0, depth: result.stats.maxDepth, label: result.labelLocal };
}

test('reducible shapes: if/else for diamonds, loops at headers, br_table for switches, shallow chains', () => {
  // A diamond: if/else, no block, no branch.
  const diamond = shape({ entry: 0, blocks: [
    { id: 0, next: [{ to: 1, on: [0] }, { to: 2 }] }, { id: 1, next: [{ to: 3 }] }, { id: 2, next: [{ to: 3 }] }, { id: 3, next: [] }] });
  assert.deepEqual([diamond.count('if'), diamond.count('else'), diamond.count('block'), diamond.count('loop'), diamond.count('br')], [1, 1, 0, 0, 0]);
  // A while loop with a nested if: one loop, no helper local.
  const loop = shape({ entry: 0, blocks: [
    { id: 0, next: [{ to: 1 }] }, { id: 1, next: [{ to: 2, on: [1] }, { to: 5 }] },
    { id: 2, next: [{ to: 3, on: [1] }, { to: 4 }] }, { id: 3, next: [{ to: 4 }] }, { id: 4, next: [{ to: 1 }] }, { id: 5, next: [] }] });
  assert.equal(loop.count('loop'), 1);
  assert.equal(loop.label, -1);
  // A switch to five exits: one br_table.
  const sw = shape({ entry: 0, blocks: [
    { id: 0, next: [1, 2, 3, 4].map((to, i) => ({ to, on: [i] })).concat([{ to: 5 }]) }, ...[1, 2, 3, 4, 5].map((id) => ({ id, next: [] }))] });
  assert.equal(sw.count('br_table'), 1);
  // 1,000 diamonds in a row nest no deeper than one.
  const blocks = [];
  for (let k = 0; k < 1000; k++) {
    const a = 3 * k;
    blocks.push({ id: a, next: [{ to: a + 1, on: [0] }, { to: a + 2 }] }, { id: a + 1, next: [{ to: a + 3 }] }, { id: a + 2, next: [{ to: a + 3 }] });
  }
  blocks.push({ id: 3000, next: [] });
  const chain = shape({ entry: 0, blocks });
  assert.equal(chain.depth, 1);
  assert.equal(chain.count('block') + chain.count('br'), 0);
});

test('a 100,000-block program-shaped graph renders, validates and runs', () => {
  const json = programCfg(100000);
  const t0 = performance.now();
  const { result } = check(json, 'program 100000', { tapes: 1, tapeLength: 20000 });
  const ms = performance.now() - t0;
  assert.ok(result.stats.blocks > 90000);
  assert.ok(ms < 20000, `took ${ms.toFixed(0)} ms`);
});

// ---------------------------------------------------------------------------
// The typed API: conditional branches, switches, code on edges.

const op = (name) => OP_BY_NAME.get(name).id;
const CALL = op('call'), CONST = op('i32.const'), GET = op('local.get'), SET = op('local.set'), EQ = op('i32.eq'), END = op('end');

/**
 * A random graph built with the API: each block prints its id and reads v = check() into
 * local 0; it then ends in conditional branches (`v == k`, side-effect free, mutually
 * exclusive) plus maybe a default, or in a switch on v, or in nothing. Some edges print
 * 1000 + their index. Returns the Cfg and an interpreter of the same graph.
 */
function apiGraph(seed) {
  const r = rng(seed);
  const n = 2 + r.int(60);
  const cfg = new Cfg();
  const blocks = [];
  for (let id = 0; id < n; id++) {
    const kind = r() < 0.1 ? 'exit' : r() < 0.5 ? 'switch' : 'cond';
    const code = (out) => {
      out.push(CONST, id);
      out.push(CALL, 0);
      if (kind !== 'exit') out.push(CALL, 1), out.push(SET, 0);
    };
    blocks.push({ id, kind, edges: [], b: kind === 'switch' ? cfg.addSwitchBlock((out) => out.push(GET, 0), code) : cfg.addBlock(code) });
  }
  let edgeId = 0;
  for (const blk of blocks) {
    if (blk.kind === 'exit') continue;
    const k = 1 + r.int(4);
    const values = new Set();
    for (let i = 0; i < k; i++) {
      const to = blocks[r.int(n)];
      const v = r.int(6);
      if (values.has(v)) continue;
      values.add(v);
      const print = r() < 0.3 ? 1000 + edgeId++ : -1;
      const code = print < 0 ? undefined : (out) => { out.push(CONST, print); out.push(CALL, 0); };
      blk.edges.push({ to: to.id, values: [v], print });
      if (blk.kind === 'switch') cfg.addCase(blk.b, to.b, { values: [v], code });
      else cfg.addBranch(blk.b, to.b, { condition: (out) => { out.push(GET, 0); out.push(CONST, v); out.push(EQ); }, code });
    }
    if (r() < 0.8) {
      const to = blocks[r.int(n)];
      const print = r() < 0.3 ? 1000 + edgeId++ : -1;
      const code = print < 0 ? undefined : (out) => { out.push(CONST, print); out.push(CALL, 0); };
      blk.edges.push({ to: to.id, values: null, print });
      if (blk.kind === 'switch') cfg.addCase(blk.b, to.b, { code });
      else cfg.addBranch(blk.b, to.b, { code });
    }
  }
  const run = (tape, budget) => {
    const trace = [];
    let pos = 0;
    let blk = blocks[0];
    for (;;) {
      if (trace.length >= budget) return { trace, end: 'halt' };
      trace.push(blk.id);
      if (blk.kind === 'exit') return { trace, end: 'return' };
      if (pos >= tape.length) return { trace, end: 'halt' };
      const v = tape[pos++];
      const e = blk.edges.find((x) => x.values?.includes(v)) ?? blk.edges.find((x) => x.values === null);
      if (!e) return { trace, end: 'trap' };
      if (e.print >= 0) {
        if (trace.length >= budget) return { trace, end: 'halt' };
        trace.push(e.print);
      }
      blk = blocks[e.to];
    }
  };
  return { cfg, entry: blocks[0].b, run };
}

function apiModule(body) {
  const m = emptyModule();
  const fn = (params, results) => ({ final: true, supers: [], comp: { kind: 'func', params, results }, explicit: false });
  m.types.push(fn([I32], []), fn([], [I32]), fn([], []));
  m.recGroups.push({ start: 0, count: 1, explicit: false }, { start: 1, count: 1, explicit: false }, { start: 2, count: 1, explicit: false });
  m.imports.push({ module: 'env', name: 'print', kind: ExternKind.Func, type: 0 }, { module: 'env', name: 'check', kind: ExternKind.Func, type: 1 });
  m.funcs.push({ type: 2, body, raw: null, offset: 0 });
  m.exports.push({ name: 'run', kind: ExternKind.Func, index: 2 });
  return writeModule(m);
}

test('API: conditional branches, switches and edge code match their interpreter (500 seeds)', () => {
  const BLOCK = op('block');
  for (let seed = 0; seed < 500; seed++) {
    const { cfg, entry, run } = apiGraph(seed);
    for (const splitBudget of [1, 0]) {
      const body = new Body();
      body.locals.push(1, I32); // local 0: v
      // Odd seeds leave by `br` out of a block the output is wrapped in; then print(9999).
      const byBr = seed % 2 === 1;
      if (byBr) body.push(BLOCK, -64);
      const result = cfg.render(entry, { into: body, params: 0, splitBudget, exit: byBr ? 'br' : 'return' });
      if (byBr) body.push(END), body.push(CONST, 9999), body.push(CALL, 0);
      body.push(END);
      const bytes = apiModule(body);
      const errors = validate(readModule(bytes));
      assert.deepEqual(errors, [], `api seed ${seed}: invalid output: ${errors[0]?.message}`);
      const mod = new WebAssembly.Module(bytes);
      for (let t = 0; t < 3; t++) {
        const r = rng(seed * 7 + t);
        const tape = Array.from({ length: 100 }, () => r.int(7));
        const want = run(tape, 400);
        if (byBr && want.end === 'return') {
          if (want.trace.length < 400) want.trace.push(9999);
          else want.end = 'halt';
        }
        const got = runModule(mod, tape, 400);
        assert.equal(`${got.end}:${got.trace}`, `${want.end}:${want.trace}`, `api seed ${seed} budget ${splitBudget} tape ${t}`);
      }
      if (result.labelLocal >= 0) assert.ok(result.labelLocal >= 1, 'the helper local must not reuse local 0');
    }
  }
});

test('API: misuse raises CfgError with the block', () => {
  const cfg = new Cfg();
  const a = cfg.addBlock();
  const s = cfg.addSwitchBlock((out) => out.push(CONST, 0));
  cfg.addBranch(a, s);
  assert.throws(() => cfg.addBranch(a, s), (e) => e instanceof CfgError && e.block === a && /two defaults/.test(e.message));
  assert.throws(() => cfg.addBranch(a, 99), (e) => e instanceof CfgError && /no block 99/.test(e.message));
  assert.throws(() => cfg.addBranch(s, a), (e) => e instanceof CfgError && e.block === s && /switch/.test(e.message));
  assert.throws(() => cfg.addCase(a, s, { values: [1] }), (e) => e instanceof CfgError && e.block === a);
  assert.throws(() => cfg.addCase(s, a, { values: [1.5] }), (e) => e instanceof CfgError && /not an i32/.test(e.message));
  assert.throws(() => cfg.addBlock((out) => out.push(END)), (e) => e instanceof CfgError && /fragment/.test(e.message));
  cfg.addCase(s, a, { values: [1] });
  cfg.addCase(s, s, { values: [1] });
  assert.throws(() => cfg.render(a), (e) => e instanceof CfgError && e.block === s && /switch value 1 in two cases/.test(e.message));
});

// ---------------------------------------------------------------------------
// JSON front end and CLI.

test('JSON: malformed descriptions raise CfgJsonError naming the block', () => {
  const bad = [
    ['{"entry": 0, "blocks": [{"next": []}]}', /blocks\[0\]: missing id/],
    ['{"entry": 0, "blocks": [{"id": 0}, {"id": 0}]}', /block 0: duplicate id/],
    ['{"entry": 0, "blocks": [{"id": 0, "next": [{"to": 7}]}]}', /block 0: .*unknown target 7/],
    ['{"entry": 0, "blocks": [{"id": 3, "next": [{"to": 3}, {"to": 3}]}]}', /block 3: two defaults/],
    ['{"entry": 5, "blocks": [{"id": 0}]}', /entry: unknown block 5/],
    ['{"entry": 0, "blocks": [{"id": 0, "next": [{"to": 0, "on": ["x"]}]}]}', /block 0: .*"on"/],
    ['{"entry": 0, "blocks": 3}', /"blocks" must be an array/],
    ['[1, 2', /invalid JSON/],
  ];
  for (const [text, message] of bad) assert.throws(() => parseCfgJson(text), (e) => e instanceof CfgJsonError && message.test(e.message), text);
  // Random corruption of a valid description: a CfgJsonError or a valid graph, nothing else.
  const good = JSON.stringify(randomCfg(7, 30));
  const r = rng(99);
  for (let i = 0; i < 2000; i++) {
    const chars = [...good];
    for (let k = 0; k < 1 + r.int(4); k++) chars[r.int(chars.length)] = '{}[]":,0-1ax'[r.int(12)];
    let json;
    try {
      json = parseCfgJson(chars.join(''));
    } catch (e) {
      assert.ok(e instanceof CfgJsonError, `mutation ${i}: ${e}`);
      continue;
    }
    moduleFromJson(json);
  }
});

test('CLI: weft structurize writes a module that runs; errors name the block and write nothing', () => {
  const cli = (...args) => spawnSync(process.execPath, [WEFT_BIN, ...args], { encoding: 'utf8' });
  const json = lexer();
  const input = join(tmp, 'lexer.json');
  const output = join(tmp, 'lexer.wasm');
  writeFileSync(input, JSON.stringify(json));
  const ok = cli('structurize', input, '-o', output);
  assert.equal(ok.status, 0, ok.stderr);
  const mod = new WebAssembly.Module(readFileSync(output));
  const tape = tapeFor(json, 5, 500);
  assert.deepEqual(runModule(mod, tape, 5000), interpret(json, tape, 5000));
  const cases = [
    ['{"entry": 0, "blocks": [{"id": 0, "next": [{"to": 1}]}]}', /block 0: .*unknown target 1/],
    ['{"entry": 0, "blocks": [{"id": 0}, {"id": 2}, {"id": 2}]}', /block 2: duplicate id/],
    ['{"entry": 0, "blocks": [{"id": 0, "next": [{"to": 0}, {"to": 0}]}]}', /block 0: two defaults/],
    ['{"entry": 0, "blocks": [{"next": []}]}', /missing id/],
  ];
  for (const [text, message] of cases) {
    const file = join(tmp, 'bad.json');
    const out = join(tmp, 'bad.wasm');
    writeFileSync(file, text);
    const r = cli('structurize', file, '-o', out);
    assert.equal(r.status, 1, text);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /^error: /);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
    assert.ok(!existsSync(out), 'no output written on error');
  }
});
