// A seeded generator of random valid modules for the Asyncify differential fuzzer.
//
// Each module has a few functions of random signatures (params and results of
// i32/i64/f32/f64, multi-value results), random extra locals, and bodies built from:
// nested block/loop/if-else (with results and with params), br/br_if/br_table,
// operand-stack values carried across calls and across whole constructs, direct calls,
// recursion (any function may call any other or itself; a global fuel bounds it),
// call_indirect through a table grouped by type (the async import sits in it too),
// multi-value calls consumed straight from the stack, memory loads/stores and globals.
// The async imports are `env.sleep(i32)` and `env.sleep_v(i32) -> i32`, called at random
// points; `env.log_*` record values. Every export runs to completion: no traps by
// construction (masked addresses, divisors or'ed with 1, saturating truncations, fuel).
// Floats are never reinterpreted to integers (NaN bits may legitimately differ between
// two compilations), only compared, truncated with saturation, or logged.

// FUZZ_OFF=s19,e15,...: turn generator cases off (statement / expression case numbers),
// to find which construct a failing seed needs.
const OFF = new Set((globalThis.process?.env.FUZZ_OFF ?? '').split(',').filter(Boolean));

export const TYPES = ['i32', 'i64', 'f32', 'f64'];
/**
 * v3: a result type that is a non-nullable struct reference (only results: its values come
 * from struct.new or calls; asyncify returns one it built while unwinding), logged by
 * $log_box through its field.
 */
const BOX = '(ref $box)';
const logOf = (t) => (t === BOX ? '$log_box' : `$log_${t}`);

export function rng(seed) {
  let s = (seed >>> 0) ^ 0x9e3779b9;
  const next = () => {
    // mulberry32
    s = (s + 0x6d2b79f5) | 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r = {
    next,
    int: (n) => Math.floor(next() * n),
    range: (a, b) => a + Math.floor(next() * (b - a + 1)),
    chance: (p) => next() < p,
    pick: (xs) => xs[Math.floor(next() * xs.length)],
  };
  return r;
}

const MEM_BASE = { i32: 0, i64: 256, f32: 512, f64: 768 }; // one region per type
const SIZE = { i32: 4, i64: 8, f32: 4, f64: 8 };

/**
 * Returns { wat, funcs: [{ name, params, results }], tableExported }.
 * Options: { maxFuncs, stmtBudget } for size.
 */
/**
 * `v3`: WebAssembly 3.0 constructs Node 20 cannot run (Node 26 can) and wabt cannot
 * assemble (weft's text parser does): a memory64 main memory plus a second memory,
 * typed function references with call_ref / return_call_ref, try_table with catch and
 * catch_ref, exnref locals and throw_ref, GC struct references as results (non-nullable)
 * and in locals.
 */
export function generate(seed, { maxFuncs = 6, stmtBudget = 40, sleepInCatch = true, v3 = false } = {}) {
  const R = rng(seed);
  // Signatures: the sleep import's (i32)->() is one of them, so it can sit in the table.
  const sigs = [{ params: ['i32'], results: [] }];
  const nSigs = R.range(2, 4);
  while (sigs.length < nSigs + 1) {
    const params = Array.from({ length: R.range(0, 3) }, () => R.pick(TYPES));
    const nr = R.pick([0, 1, 1, 1, 2, 2, 3]);
    const results = Array.from({ length: nr }, () => (v3 && R.chance(0.15) ? BOX : R.pick(TYPES)));
    const key = JSON.stringify([params, results]);
    if (!sigs.some((s) => JSON.stringify([s.params, s.results]) === key)) sigs.push({ params, results });
  }
  const nFuncs = R.range(2, maxFuncs);
  const funcs = [];
  for (let i = 0; i < nFuncs; i++) {
    const sig = i < sigs.length - 1 ? i + 1 : R.int(sigs.length);
    funcs.push({ name: `f${i}`, sig, params: sigs[sig].params, results: sigs[sig].results });
  }
  // The table, grouped by signature: [sleep, funcs of sig 0] [funcs of sig 1] ...
  const table = [];
  const groups = new Map(); // sig → { base, count }
  for (let s = 0; s < sigs.length; s++) {
    const members = [];
    if (s === 0) members.push('$sleep');
    for (const f of funcs) if (f.sig === s && R.chance(0.85)) members.push(`$${f.name}`);
    if (!members.length) continue;
    groups.set(s, { base: table.length, count: members.length });
    table.push(...members);
  }
  // Spare slots, null at first, called only once non-null, and written (table.set) with
  // any function of their type (sig 0's: the sleep import too), also by the callee of a
  // call through the slot before it sleeps: weft rewinds the function whose frame is on
  // top (flow.ts, RETARGET), where Binaryen dispatches through the table again.
  const spares = [];
  for (const [s, g] of groups) {
    const cands = funcs.filter((h) => h.sig === s).map((h) => h.name);
    if (s === 0) cands.push('sleep');
    if (cands.length > (s === 0 ? 1 : 0)) spares.push({ sig: s, slot: 0, cands });
  }
  const elemCount = table.length;
  spares.forEach((sp, i) => (sp.slot = elemCount + i));
  const tableExported = R.chance(0.25); // defeats weft's table narrowing
  const globals = [
    ['i32', '(i32.const 7)'], ['i64', '(i64.const -3)'], ['f32', '(f32.const 1.5)'], ['f64', '(f64.const -0.25)'],
    ['i32', '(i32.const 0)'],
  ];

  const lines = [];
  lines.push('(module');
  if (v3) lines.push('  (type $box (struct (field i32)))');
  sigs.forEach((s, i) => lines.push(`  (type $t${i} (func${s.params.length ? ` (param ${s.params.join(' ')})` : ''}${s.results.length ? ` (result ${s.results.join(' ')})` : ''}))`));
  lines.push('  (import "env" "sleep" (func $sleep (type $t0)))');
  lines.push('  (import "env" "sleep_v" (func $sleep_v (param i32) (result i32)))');
  for (const t of TYPES) lines.push(`  (import "env" "log_${t}" (func $log_${t} (param ${t})))`);
  lines.push('  (import "env" "obj" (func $obj (param i32) (result externref)))');
  lines.push('  (import "env" "log_ref" (func $log_ref (param externref)))');
  // An imported global, read by a constant expression (--import-globals renumbers around it).
  lines.push('  (import "env" "gimp" (global $gimp i32))');
  if (v3) {
    lines.push('  (memory (export "memory") i64 1)');
    lines.push('  (memory $m1 1)');
  } else lines.push('  (memory (export "memory") 1)');
  lines.push('  (global $fuel (mut i32) (i32.const 0))');
  globals.forEach(([t, init], i) => lines.push(`  (global $g${i} (mut ${t}) ${init})`));
  lines.push('  (global $g5 i32 (global.get $gimp))');
  lines.push('  (tag $e (param i32))');
  lines.push(`  (table $tab${tableExported ? ' (export "table")' : ''} ${table.length + spares.length} funcref)`);
  lines.push(`  (elem (i32.const 0) func ${table.join(' ')})`);
  if (v3) lines.push('  (func $log_box (param (ref $box)) (call $log_i32 (struct.get $box 0 (local.get 0))))');
  lines.push('  (func (export "init") (param i32) (global.set $fuel (local.get 0)) (global.set $g4 (i32.add (global.get $g4) (global.get $g5))))');

  for (const f of funcs) lines.push(...genFunc(f));
  lines.push(')');
  return { wat: lines.join('\n'), funcs: funcs.map(({ name, params, results }) => ({ name, params, results })), tableExported };

  function genFunc(f) {
    const locals = [...f.params];
    const nExtra = R.range(0, 5);
    for (let i = 0; i < nExtra; i++) locals.push(R.pick(TYPES));
    const userLocals = locals.length;
    // externref and v128 locals, used by their own statements only.
    const refs = [];
    const vecs = [];
    for (let i = R.pick([0, 0, 1, 2]); i > 0; i--) refs.push(locals.push('externref') - 1);
    for (let i = R.pick([0, 0, 1]); i > 0; i--) vecs.push(locals.push('v128') - 1);
    // v3: typed function reference locals (of one signature each) and an exnref local.
    const frefs = [];
    let exn = -1;
    if (v3) {
      for (let i = R.range(0, 2); i > 0; i--) {
        const s = R.int(sigs.length);
        if (funcs.some((g) => g.sig === s)) frefs.push({ x: locals.push(`(ref null $t${s})`) - 1, sig: s });
      }
      exn = locals.push('exnref') - 1;
    }
    // v3: struct reference locals, live across sleeps (saved through a table of their hierarchy).
    const boxes = [];
    if (v3) for (let i = R.pick([0, 1, 2]); i > 0; i--) boxes.push(locals.push('(ref null $box)') - 1);
    const decl = []; // extra locals beyond the params (including loop counters)
    for (let i = f.params.length; i < locals.length; i++) decl.push(locals[i]);
    let budget = stmtBudget;
    let quiet = 0; // > 0: no calls at all (inside a catch body)
    let tryDepth = 0;
    const labels = []; // { name, types, loop }
    let labelId = 0;
    const out = [];

    const localsOf = (t) => {
      const xs = [];
      for (let i = 0; i < userLocals; i++) if (locals[i] === t) xs.push(i);
      return xs;
    };
    const counter = () => {
      locals.push('i32');
      decl.push('i32');
      return locals.length - 1;
    };
    const zeros = (ts) => ts.map(constZero).join(' ');

    function boxExpr(d) {
      const cands = funcs.filter((g) => g.results.length === 1 && g.results[0] === BOX);
      if (d > 0 && !quiet && cands.length && R.chance(0.4)) {
        const g = R.pick(cands);
        return `(call $${g.name} ${args(g.params, d - 1)})`;
      }
      return `(struct.new $box ${expr('i32', d - 1)})`;
    }

    // An expression producing one value of type t.
    function expr(t, d) {
      if (t === BOX) return boxExpr(d);
      if (d <= 0 || R.chance(0.25)) return leaf(t);
      let k = R.int(17);
      if (quiet && [3, 4, 5, 11].includes(k)) k = 0;
      if (OFF.has(`e${k}`)) k = 0;
      switch (k) {
        case 0: case 1: return binary(t, d);
        case 2: return unary(t, d);
        case 3: {
          // A call of a function whose first result is t (extra results dropped via a block).
          const cands = funcs.filter((g) => g.results.length === 1 && g.results[0] === t);
          if (!cands.length) return binary(t, d);
          const g = R.pick(cands);
          return `(call $${g.name} ${args(g.params, d - 1)})`;
        }
        case 4: {
          if (t !== 'i32') return convert(t, d);
          return `(call $sleep_v ${expr('i32', d - 1)})`; // async, with a result
        }
        case 5: {
          const cands = [...groups.entries()].filter(([s]) => sigs[s].results.length === 1 && sigs[s].results[0] === t);
          if (!cands.length) return convert(t, d);
          const [s, g] = R.pick(cands);
          return `(call_indirect (type $t${s}) ${args(sigs[s].params, d - 1)} ${tableIndex(g, d - 1)})`;
        }
        case 6: return `(select ${expr(t, d - 1)} ${expr(t, d - 1)} ${cond(d - 1)})`;
        case 7: {
          const xs = localsOf(t);
          if (!xs.length) return binary(t, d);
          return `(local.tee ${R.pick(xs)} ${expr(t, d - 1)})`;
        }
        case 8:
          if (v3 && R.chance(0.4)) return `(${t}.load $m1 (i32.and ${expr('i32', d - 1)} (i32.const ${1024 - SIZE[t]})))`;
          return `(${t}.load ${addr(t, d - 1)})`;
        case 9: {
          // A block with a result, with statements and possibly branches out with a value.
          const name = `$b${labelId++}`;
          labels.push({ name, types: [t], loop: false });
          const body = stmts(R.range(0, 3), d - 1);
          labels.pop();
          return `(block ${name} (result ${t}) ${body} ${expr(t, d - 1)})`;
        }
        case 10: {
          const name = `$b${labelId++}`;
          labels.push({ name, types: [t], loop: false });
          const a = stmts(R.range(0, 2), d - 1) + ' ' + expr(t, d - 1);
          const b = stmts(R.range(0, 2), d - 1) + ' ' + expr(t, d - 1);
          labels.pop();
          return `(if ${name} (result ${t}) ${cond(d - 1)} (then ${a}) (else ${b}))`;
        }
        case 11: {
          // A multi-value call consumed straight from the stack by a binary operator.
          const cands = funcs.filter((g) => g.results.length === 2 && g.results[0] === t && g.results[1] === t);
          if (!cands.length) return convert(t, d);
          const g = R.pick(cands);
          return `(${t}.${R.pick(BIN[t])} (call $${g.name} ${args(g.params, d - 1)}))`;
        }
        case 12: {
          // A value carried across a statement (often a call that may suspend).
          return `(${t}.${R.pick(BIN[t])} ${expr(t, d - 1)} (block (result ${t}) ${stmt(d - 1)} ${expr(t, d - 1)}))`;
        }
        case 13: {
          // A loop with a parameter (the value flows around it) and a result.
          const c = counter();
          const name = `$L${labelId++}`;
          labels.push({ name, types: [t], loop: true });
          const body = stmts(R.range(1, 2), d - 1);
          labels.pop();
          return `(block (result ${t}) (local.set ${c} (i32.const ${R.range(1, 3)})) ${expr(t, d - 1)} (loop ${name} (param ${t}) (result ${t}) ${body} `
            + `(br_if ${name} (i32.gt_s (local.tee ${c} (i32.sub (local.get ${c}) (i32.const 1))) (i32.const 0)))))`;
        }
        case 14: {
          // A block with a parameter.
          const name = `$b${labelId++}`;
          labels.push({ name, types: [t], loop: false });
          const body = stmts(R.range(0, 2), d - 1);
          labels.pop();
          return `(block (result ${t}) ${expr(t, d - 1)} (block ${name} (param ${t}) (result ${t}) ${body}))`;
        }
        case 15: {
          // Dead code after a branch, with calls (sites) and a polymorphic stack.
          const name = `$b${labelId++}`;
          return `(block ${name} (result ${t}) (br ${name} ${expr(t, d - 1)}) ${quiet ? '' : `(call $sleep_v) (call $sleep)`} (${t}.add))`;
        }
        default: return convert(t, d);
      }
    }
    function leaf(t) {
      const k = R.int(3);
      if (k === 0) {
        const xs = localsOf(t);
        if (xs.length) return `(local.get ${R.pick(xs)})`;
      }
      if (k === 1) {
        const gs = globals.map((g, i) => [g[0], i]).filter(([gt]) => gt === t);
        if (gs.length) return `(global.get $g${R.pick(gs)[1]})`;
      }
      return constOf(t);
    }
    function constOf(t) {
      switch (t) {
        case 'i32': return `(i32.const ${R.pick([0, 1, -1, 2, 7, 100, 0x7fffffff, -0x80000000, R.int(1000) - 500, (R.next() * 2 ** 32) | 0])})`;
        case 'i64': return `(i64.const ${R.pick(['0', '1', '-1', '5', '-9223372036854775808', '9223372036854775807', String(R.int(100000) - 50000), `${R.int(2 ** 31)}${R.int(1e9)}`])})`;
        case 'f32': return `(f32.const ${R.pick(['0', '-0', '1', '-1.5', '3.25', 'inf', '-inf', 'nan', String(R.int(10000) / 16 - 300)])})`;
        default: return `(f64.const ${R.pick(['0', '-0', '1', '-2.5', '1e300', '-1e-300', 'inf', 'nan', String(R.int(100000) / 64 - 700)])})`;
      }
    }
    function binary(t, d) {
      const op = R.pick(BIN[t]);
      if (op === 'div_u' || op === 'rem_u') return `(${t}.${op} ${expr(t, d - 1)} (${t}.or ${expr(t, d - 1)} (${t}.const 1)))`;
      return `(${t}.${op} ${expr(t, d - 1)} ${expr(t, d - 1)})`;
    }
    function unary(t, d) {
      return `(${t}.${R.pick(UN[t])} ${expr(t, d - 1)})`;
    }
    function convert(t, d) {
      const from = R.pick(TYPES.filter((x) => x !== t));
      const op = CONV[`${t}<${from}`];
      return `(${t}.${op} ${expr(from, d - 1)})`;
    }
    function cond(d) {
      if (R.chance(0.5)) {
        const t = R.pick(TYPES);
        return `(${t}.${R.pick(CMP[t])} ${expr(t, d - 1)} ${expr(t, d - 1)})`;
      }
      return expr('i32', d);
    }
    function args(ts, d) {
      return ts.map((t) => expr(t, d)).join(' ');
    }
    function tableIndex(g, d) {
      if (g.count === 1 || R.chance(0.3)) return `(i32.const ${g.base + R.int(g.count)})`;
      return `(i32.add (i32.const ${g.base}) (i32.rem_u ${expr('i32', d)} (i32.const ${g.count})))`;
    }
    function addr(t, d) {
      const mask = 255 & ~(SIZE[t] - 1);
      const a = `(i32.add (i32.const ${MEM_BASE[t]}) (i32.and ${expr('i32', d)} (i32.const ${mask})))`;
      return v3 ? `(i64.extend_i32_u ${a})` : a;
    }

    function stmts(n, d) {
      const xs = [];
      for (let i = 0; i < n && budget > 0; i++) xs.push(stmt(d));
      return xs.join(' ');
    }
    // A statement: leaves the operand stack as it found it.
    function stmt(d) {
      budget--;
      let k = d <= 0 ? R.int(6) : R.int(v3 ? 36 : 29);
      if (quiet && [3, 4, 7, 8, 9, 16, 17, 19, 20].includes(k)) k = 2;
      if (OFF.has(`s${k}`)) k = 2;
      if (v3 && k === 19) k = 33; // V8 rejects legacy try mixed with try_table
      if (d > 0 && R.chance(0.05)) k = 35;
      switch (k) {
        case 0: case 1: {
          const t = R.pick(TYPES);
          const xs = localsOf(t);
          if (!xs.length) return `(call $log_${t} ${expr(t, d)})`;
          return `(local.set ${R.pick(xs)} ${expr(t, d)})`;
        }
        case 2: {
          const t = R.pick(TYPES);
          return `(call $log_${t} ${expr(t, d)})`;
        }
        case 3: case 4: return sleepStmt(d); // async
        case 5: {
          const gi = R.int(globals.length);
          return `(global.set $g${gi} ${expr(globals[gi][0], d)})`;
        }
        case 6: {
          const t = R.pick(TYPES);
          return `(${t}.store ${addr(t, d - 1)} ${expr(t, d - 1)})`;
        }
        case 7: case 8: {
          // A call whose results go to locals or are logged (multi-value from the stack).
          const g = R.pick(funcs);
          let s = `(call $${g.name} ${args(g.params, d - 1)})`;
          for (let i = g.results.length - 1; i >= 0; i--) {
            const xs = localsOf(g.results[i]);
            s += xs.length && R.chance(0.6) ? ` (local.set ${R.pick(xs)})` : R.chance(0.5) ? ` (call ${logOf(g.results[i])})` : ' (drop)';
          }
          return s;
        }
        case 9: {
          // call_indirect as a statement (sleep itself may be the callee).
          const [s, g] = R.pick([...groups.entries()]);
          let c = `(call_indirect (type $t${s}) ${args(sigs[s].params, d - 1)} ${tableIndex(g, d - 1)})`;
          for (let i = sigs[s].results.length - 1; i >= 0; i--) c += ` (call ${logOf(sigs[s].results[i])})`;
          return c;
        }
        case 10: {
          const name = `$b${labelId++}`;
          const ts = R.chance(0.7) ? [] : resultTypes();
          labels.push({ name, types: ts, loop: false });
          const body = stmts(R.range(1, 4), d - 1);
          const tail = ts.map((t) => expr(t, d - 1)).join(' ');
          labels.pop();
          return `(block ${name}${ts.length ? ` (result ${ts.join(' ')})` : ''} ${body} ${tail})${consume(ts)}`;
        }
        case 11: {
          const c = counter();
          const name = `$L${labelId++}`;
          labels.push({ name, types: [], loop: true });
          const body = stmts(R.range(1, 4), d - 1);
          labels.pop();
          return `(local.set ${c} (i32.const ${R.range(1, 4)})) (loop ${name} ${body} `
            + `(br_if ${name} (i32.gt_s (local.tee ${c} (i32.sub (local.get ${c}) (i32.const 1))) (i32.const 0))))`;
        }
        case 12: {
          const name = `$b${labelId++}`;
          const ts = R.chance(0.6) ? [] : resultTypes();
          labels.push({ name, types: ts, loop: false });
          const a = stmts(R.range(0, 3), d - 1) + ' ' + ts.map((t) => expr(t, d - 1)).join(' ');
          const b = stmts(R.range(0, 3), d - 1) + ' ' + ts.map((t) => expr(t, d - 1)).join(' ');
          labels.pop();
          const res = ts.length ? ` (result ${ts.join(' ')})` : '';
          return `(if ${name}${res} ${cond(d - 1)} (then ${a})${ts.length || R.chance(0.7) ? ` (else ${b})` : ''})${consume(ts)}`;
        }
        case 13: {
          // A branch out to an enclosing (non-loop) label, carrying its values.
          const targets = labels.filter((l) => !l.loop);
          if (!targets.length) return sleepStmt(d);
          const l = R.pick(targets);
          const vals = l.types.map((t) => expr(t, d - 1)).join(' ');
          if (l.types.length === 0) return `(br_if ${l.name} ${cond(d - 1)})`;
          if (l.types.length === 1 && R.chance(0.5)) return `(drop (br_if ${l.name} ${vals} ${cond(d - 1)}))`;
          return `(if ${cond(d - 1)} (then (br ${l.name} ${vals})))`;
        }
        case 14: {
          // br_table over enclosing labels of one type list.
          const targets = labels.filter((l) => !l.loop);
          if (!targets.length) return sleepStmt(d);
          const l0 = R.pick(targets);
          const same = targets.filter((l) => JSON.stringify(l.types) === JSON.stringify(l0.types));
          const list = Array.from({ length: R.range(1, 4) }, () => R.pick(same).name);
          const vals = l0.types.map((t) => expr(t, d - 1)).join(' ');
          // Guarded, so the code after it stays reachable.
          return `(if ${cond(d - 1)} (then (br_table ${list.join(' ')} ${vals} ${expr('i32', d - 1)})))`;
        }
        case 15: {
          // A value live on the operand stack across a construct that may suspend.
          const t = R.pick(TYPES);
          const inner = R.chance(0.5) ? stmt(d - 1) : sleepStmt(d - 1);
          return `${expr(t, d - 1)} ${inner} ${expr(t, d - 1)} (${t}.${R.pick(BIN[t])}) (call $log_${t})`;
        }
        case 16: {
          if (!R.chance(0.3)) return sleepStmt(d);
          return `(if ${cond(d - 1)} (then (return ${f.results.map((t) => expr(t, d - 1)).join(' ')})))`;
        }
        case 17: {
          // Values of a multi-value block kept on the stack across a sleep.
          const t1 = R.pick(TYPES), t2 = R.pick(TYPES);
          return `(block (result ${t1} ${t2}) ${expr(t1, d - 1)} ${expr(t2, d - 1)}) ${sleepStmt(d - 1)} (call $log_${t2}) (call $log_${t1})`;
        }
        case 19: {
          // Legacy try/catch; a throw may come from here or from a callee.
          const name = `$y${labelId++}`;
          labels.push({ name, types: [], loop: false });
          tryDepth++;
          const body = stmts(R.range(1, 4), d - 1);
          tryDepth--;
          if (!sleepInCatch) quiet++;
          // Inside another try, a handler may rethrow (C++ cleanups: catch_all, then rethrow).
          const again = () => (tryDepth > 0 && R.chance(0.4) ? ` (rethrow ${name})` : '');
          const handler = `${R.chance(0.5) ? '(call $log_i32)' : '(global.set $g4)'} ${stmts(R.range(0, 2), d - 1)}${again()}`;
          const all = R.chance(0.3) ? ` (catch_all ${stmts(R.range(0, 1), d - 1)}${again()})` : '';
          if (!sleepInCatch) quiet--;
          labels.pop();
          return `(try ${name} (do ${body}) (catch $e ${handler})${all})`;
        }
        case 20: {
          // Mostly inside a try of this function; rarely escaping to the callers.
          if (!tryDepth && !R.chance(0.05)) return sleepStmt(d);
          return `(if ${cond(d - 1)} (then (throw $e ${expr('i32', d - 1)})))`;
        }
        case 21: {
          // A tail call to a function (or through the table) with the same results.
          const same = (rs) => JSON.stringify(rs) === JSON.stringify(f.results);
          const gs = funcs.filter((g) => same(g.results));
          const ind = [...groups.entries()].filter(([s2]) => same(sigs[s2].results));
          if (quiet || (!gs.length && !ind.length)) return `(call $log_i32 ${expr('i32', d)})`;
          if (ind.length && (R.chance(0.4) || !gs.length)) {
            const [s2, g] = R.pick(ind);
            return `(if ${cond(d - 1)} (then (return_call_indirect (type $t${s2}) ${args(sigs[s2].params, d - 1)} ${tableIndex(g, d - 1)})))`;
          }
          const g = R.pick(gs);
          return `(if ${cond(d - 1)} (then (return_call $${g.name} ${args(g.params, d - 1)})))`;
        }
        case 22: {
          // Dead code after a branch: sites that are never reached.
          const name = `$b${labelId++}`;
          labels.push({ name, types: [], loop: false });
          const body = stmts(R.range(1, 2), d - 1);
          labels.pop();
          return `(block ${name} (br ${name}) ${body} (call $sleep (i32.const 99)))`;
        }
        case 23: {
          // Fill a spare table slot (narrowing must see the write), or call through one.
          if (!spares.length) return `(call $log_i32 ${expr('i32', d)})`;
          // Half the time its own type's slot, which it may have been called through, then a
          // sleep: a callee that rewrites its own slot before it suspends.
          const own = !quiet && R.chance(0.5) ? spares.find((x) => x.sig === f.sig) : undefined;
          if (own) return `(table.set $tab (i32.const ${own.slot}) (ref.func $${R.pick(own.cands)})) ${sleepStmt(d - 1)}`;
          const sp = R.pick(spares);
          if (quiet || R.chance(0.5)) return `(table.set $tab (i32.const ${sp.slot}) (ref.func $${R.pick(sp.cands)}))`;
          let c = `(call_indirect (type $t${sp.sig}) ${args(sigs[sp.sig].params, d - 1)} (i32.const ${sp.slot}))`;
          for (let i = sigs[sp.sig].results.length - 1; i >= 0; i--) c += ` (call ${logOf(sigs[sp.sig].results[i])})`;
          return `(if (i32.eqz (ref.is_null (table.get $tab (i32.const ${sp.slot})))) (then ${c}))`;
        }
        case 24: case 25: {
          if (!refs.length) return sleepStmt(d);
          const x = R.pick(refs);
          if (k === 25) return `(call $log_ref (local.get ${x}))`;
          const v = R.pick([`(call $obj ${expr('i32', d - 1)})`, '(ref.null extern)', `(local.get ${R.pick(refs)})`, `(call $obj (i32.const ${R.int(5)}))`]);
          return `(local.set ${x} ${v})`;
        }
        case 26: {
          // An externref on the operand stack across a statement that may suspend.
          const v = refs.length && R.chance(0.5) ? `(local.get ${R.pick(refs)})` : `(call $obj ${expr('i32', d - 1)})`;
          return `${v} ${R.chance(0.5) ? sleepStmt(d - 1) : stmt(d - 1)} (call $log_ref)`;
        }
        case 27: {
          if (!vecs.length) return sleepStmt(d);
          const v = R.pick(vecs);
          const op = R.pick([
            `(i32x4.add (local.get ${v}) (i32x4.splat ${expr('i32', d - 1)}))`,
            `(i64x2.mul (local.get ${v}) (i64x2.splat ${expr('i64', d - 1)}))`,
            `(i32x4.replace_lane ${R.int(4)} (local.get ${v}) ${expr('i32', d - 1)})`,
          ]);
          return R.chance(0.6) ? `(local.set ${v} ${op})` : `(call $log_i32 (i32x4.extract_lane ${R.int(4)} (local.get ${v})))`;
        }
        case 28: {
          // A v128 on the operand stack across a statement that may suspend.
          const a = vecs.length ? `(local.get ${R.pick(vecs)})` : `(i64x2.splat ${expr('i64', d - 1)})`;
          return `(call $log_i64 (i64x2.extract_lane ${R.int(2)} (i64x2.add ${a} (block (result v128) ${sleepStmt(d - 1)} (i64x2.splat ${expr('i64', d - 1)})))))`;
        }
        case 29: {
          const t = R.pick(TYPES);
          return `(${t}.store $m1 (i32.and ${expr('i32', d - 1)} (i32.const ${1024 - SIZE[t]})) ${expr(t, d - 1)})`;
        }
        case 30: case 31: {
          // call_ref through a local, or on a ref.func that sits on the stack across the args.
          if (quiet || !frefs.length) return sleepStmt(d);
          const r = R.pick(frefs);
          const cands = funcs.filter((g) => g.sig === r.sig);
          let c;
          if (k === 30 && R.chance(0.5)) return `(local.set ${r.x} ${R.chance(0.8) ? `(ref.func $${R.pick(cands).name})` : `(ref.null $t${r.sig})`})`;
          const callee = k === 30 ? `(local.get ${r.x})` : `(ref.func $${R.pick(cands).name})`;
          if (k === 31) {
            // the reference is pushed first, the arguments (which may suspend) after it
            c = `${callee} (local.set ${r.x}) (call_ref $t${r.sig} ${args(sigs[r.sig].params, d - 1)} (local.get ${r.x}))`;
          } else c = `(call_ref $t${r.sig} ${args(sigs[r.sig].params, d - 1)} ${callee})`;
          for (let i = sigs[r.sig].results.length - 1; i >= 0; i--) c += ` (call ${logOf(sigs[r.sig].results[i])})`;
          return `(if (ref.is_null (local.get ${r.x})) (then (call $log_i32 (i32.const -7))) (else ${c}))`;
        }
        case 32: {
          // return_call_ref
          const same = (rs) => JSON.stringify(rs) === JSON.stringify(f.results);
          const r = frefs.find((x) => same(sigs[x.sig].results));
          if (quiet || !r) return sleepStmt(d);
          return `(if (i32.eqz (ref.is_null (local.get ${r.x}))) (then (if ${cond(d - 1)} (then (return_call_ref $t${r.sig} ${args(sigs[r.sig].params, d - 1)} (local.get ${r.x}))))))`;
        }
        case 35: {
          // A struct reference local: set, or logged through its field.
          if (!boxes.length) return sleepStmt(d);
          const x = R.pick(boxes);
          if (R.chance(0.5)) return `(local.set ${x} ${boxExpr(d - 1)})`;
          return `(if (ref.is_null (local.get ${x})) (then (call $log_i32 (i32.const -9))) (else (call $log_box (ref.as_non_null (local.get ${x})))))`;
        }
        case 33: case 34: {
          // try_table with catch (33) or catch_ref, the exnref kept in a local across
          // statements that may suspend, and maybe rethrown with throw_ref (34).
          const out = `$o${labelId++}`, h = `$h${labelId++}`;
          labels.push({ name: out, types: [], loop: false });
          labels.push({ name: h, types: [], loop: true }); // not a random branch target
          tryDepth++;
          const body = stmts(R.range(1, 4), d - 1);
          tryDepth--;
          labels.pop();
          let s2;
          if (k === 33) {
            const handler = stmts(R.range(0, 2), d - 1);
            s2 = `(block ${out} (block ${h} (result i32) (try_table (catch $e ${h}) ${body}) (br ${out})) (call $log_i32) ${handler})`;
          } else {
            const handler = stmts(R.range(0, 2), d - 1);
            const rethrow = tryDepth > 0 && R.chance(0.5) ? `(throw_ref (local.get ${exn}))` : '';
            s2 = `(block ${out} (block ${h} (result i32 exnref) (try_table (catch_ref $e ${h}) ${body}) (br ${out})) (local.set ${exn}) (call $log_i32) ${handler} `
              + `(call $log_i32 (ref.is_null (local.get ${exn}))) ${rethrow})`;
          }
          labels.pop();
          return s2;
        }
        case 35: {
          // A switch: nested blocks opened at once, a br_table in the innermost, cases
          // that fall through or break (levels that start with a block).
          const n = R.range(2, 4);
          const exit = `$x${labelId++}`;
          const names = Array.from({ length: n }, () => `$c${labelId++}`);
          labels.push({ name: exit, types: [], loop: false });
          const targets = Array.from({ length: R.range(1, 5) }, () => R.pick([...names, exit]));
          let code = `(br_table ${targets.join(' ')} ${expr('i32', d - 1)})`;
          for (let i = 0; i < n; i++) {
            labels.push({ name: names[i], types: [], loop: false });
            code = `(block ${names[i]} ${code})`;
            labels.pop();
            code += ` ${stmts(R.range(0, 3), d - 1)}${R.chance(0.5) ? ` (br ${exit})` : ''}`;
          }
          labels.pop();
          return `(block ${exit} ${code})`;
        }
        default: {
          const t = R.pick(TYPES);
          return `(call $log_${t} ${expr(t, d)})`;
        }
      }
    }
    function sleepStmt(d) {
      return quiet ? `(call $log_i32 ${expr('i32', d)})` : `(call $sleep ${expr('i32', d)})`;
    }
    function resultTypes() {
      return Array.from({ length: R.range(1, 2) }, () => R.pick(TYPES));
    }
    function consume(ts) {
      let s = '';
      for (let i = ts.length - 1; i >= 0; i--) s += R.chance(0.5) ? ` (call $log_${ts[i]})` : ' (drop)';
      return s;
    }

    // Body: fuel check, statements, results.
    labels.push({ name: '$fn', types: f.results, loop: false });
    const body = stmts(R.range(2, 8), 4);
    const tail = f.results.map((t) => expr(t, 3)).join(' ');
    // Often, first point its own type's spare slot elsewhere and sleep: when it was called
    // through that slot, the rewind must re-enter this function, not the new occupant (which
    // may be of another type: a later call through the slot then traps, in both runs).
    const own = R.chance(0.3) ? spares.find((x) => x.sig === f.sig) : undefined;
    const occupant = own && (R.chance(0.5) ? R.pick(own.cands) : R.pick([...funcs.map((g) => g.name), 'sleep']));
    const pre = own ? `(table.set $tab (i32.const ${own.slot}) (ref.func $${occupant})) (call $sleep ${expr('i32', 2)}) ` : '';
    labels.pop();
    out.push(`  (func $${f.name} (export "${f.name}") (type $t${f.sig})${f.params.length ? ` (param ${f.params.join(' ')})` : ''}${f.results.length ? ` (result ${f.results.join(' ')})` : ''}`
      + `${decl.length ? ` (local ${decl.join(' ')})` : ''}`);
    out.push(`    (if (i32.eqz (global.get $fuel)) (then (return ${zeros(f.results)})))`);
    out.push('    (global.set $fuel (i32.sub (global.get $fuel) (i32.const 1)))');
    out.push(`    (block $fn${f.results.length ? ` (result ${f.results.join(' ')})` : ''} ${pre}${body} ${tail}))`);
    return out;
  }
}

function constZero(t) {
  if (t === BOX) return '(struct.new $box (i32.const 0))';
  return `(${t}.const 0)`;
}

const BIN = {
  i32: ['add', 'sub', 'mul', 'and', 'or', 'xor', 'shl', 'shr_s', 'shr_u', 'rotl', 'div_u', 'rem_u'],
  i64: ['add', 'sub', 'mul', 'and', 'or', 'xor', 'shl', 'shr_s', 'rotr', 'div_u', 'rem_u'],
  f32: ['add', 'sub', 'mul', 'div', 'min', 'max'],
  f64: ['add', 'sub', 'mul', 'div', 'min', 'max'],
};
const UN = {
  i32: ['eqz', 'clz', 'ctz', 'popcnt', 'extend8_s'],
  i64: ['clz', 'ctz', 'popcnt', 'extend16_s'],
  f32: ['neg', 'abs', 'sqrt', 'ceil', 'floor', 'nearest'],
  f64: ['neg', 'abs', 'sqrt', 'trunc', 'floor'],
};
const CMP = {
  i32: ['eq', 'ne', 'lt_s', 'lt_u', 'gt_s', 'le_u', 'ge_s'],
  i64: ['eq', 'ne', 'lt_s', 'gt_u', 'le_s', 'ge_u'],
  f32: ['eq', 'ne', 'lt', 'gt', 'le', 'ge'],
  f64: ['eq', 'ne', 'lt', 'gt', 'le', 'ge'],
};
// `${to}<${from}`: never a reinterpretation of a float.
const CONV = {
  'i32<i64': 'wrap_i64', 'i32<f32': 'trunc_sat_f32_s', 'i32<f64': 'trunc_sat_f64_u',
  'i64<i32': 'extend_i32_s', 'i64<f32': 'trunc_sat_f32_u', 'i64<f64': 'trunc_sat_f64_s',
  'f32<i32': 'convert_i32_s', 'f32<i64': 'convert_i64_u', 'f32<f64': 'demote_f64',
  'f64<i32': 'convert_i32_u', 'f64<i64': 'convert_i64_s', 'f64<f32': 'promote_f32',
};
