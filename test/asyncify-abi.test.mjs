// The Asyncify ABI at its edges: coroutines with their own buffers, interleaved; a buffer
// too small (trap, nothing written past `end`); the CLI's options, errors and warnings.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseModule, readModule, writeModule } from '../dist/src/index.js';
import { asyncify } from '../dist/src/passes/asyncify/index.js';
import { assemble, weftAsyncify } from './asyncify/run-cases.mjs';

const CLI = new URL('../dist/src/cli/main.js', import.meta.url).pathname;

// A generator: each `next` call yields the next value of its own counter, suspending
// between values; three of them run interleaved, each on its own buffer.
const COROUTINE = `(module
  (import "env" "yield" (func $yield (param i32)))
  (memory (export "memory") 1)
  (func (export "gen") (param $start i32) (param $step i32)
    (local $i i32) (local $x i32)
    (local.set $x (local.get $start))
    (loop $l
      (call $yield (local.get $x))
      (local.set $x (i32.add (local.get $x) (local.get $step)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 5))))))`;

/**
 * Instantiates an asyncified module whose `env.sleep(i)` suspends when `suspends(i)` says
 * so (buffer at 16..1024); `drive(call)` runs an export call through every suspension.
 */
async function sleeper(out, suspends = () => true, imports = {}) {
  let e;
  let sleeps = 0;
  const { instance } = await WebAssembly.instantiate(out, {
    env: {
      sleep: (i) => {
        if (e.asyncify_get_state() === 2) {
          e.asyncify_stop_rewind();
          return;
        }
        if (!suspends(i)) return;
        sleeps++;
        e.asyncify_start_unwind(16);
      },
      ...imports,
    },
  });
  e = instance.exports;
  const drive = (call) => {
    new Int32Array(e.memory.buffer, 16, 2).set([24, 1024]);
    let result = call();
    while (e.asyncify_get_state() === 1) {
      e.asyncify_stop_unwind();
      e.asyncify_start_rewind(16);
      result = call();
    }
    return result;
  };
  return { e, drive, sleeps: () => sleeps };
}

test('coroutines with their own buffers, interleaved', async () => {
  const { out } = weftAsyncify(assemble(COROUTINE), { imports: ['env.yield'] });
  let e;
  let current = null;
  const yielded = [];
  const { instance } = await WebAssembly.instantiate(out, {
    env: {
      yield: (v) => {
        if (e.asyncify_get_state() === 2) {
          e.asyncify_stop_rewind();
          return;
        }
        yielded.push([current.id, v]);
        e.asyncify_start_unwind(current.data);
      },
    },
  });
  e = instance.exports;
  const view = new DataView(e.memory.buffer);
  const coros = [[0, 1], [100, 10], [1000, -7]].map(([start, step], id) => {
    const data = 1000 * (id + 1);
    view.setUint32(data, data + 8, true);
    view.setUint32(data + 4, data + 1000, true);
    return { id, start, step, data, started: false, done: false };
  });
  // Round-robin: resume each in turn until all are done.
  for (let round = 0; coros.some((c) => !c.done); round++) {
    for (const c of coros) {
      if (c.done) continue;
      current = c;
      if (c.started) e.asyncify_start_rewind(c.data);
      c.started = true;
      e.gen(c.start, c.step);
      if (e.asyncify_get_state() === 1) e.asyncify_stop_unwind();
      else c.done = true;
    }
    assert.ok(round < 10);
  }
  const expected = [];
  for (let i = 0; i < 5; i++) for (const c of coros) expected.push([c.id, c.start + i * c.step]);
  assert.deepEqual(yielded, expected);
  for (const c of coros) assert.equal(view.getUint32(c.data, true), c.data + 8, 'each buffer is back at its start');
});

test('a buffer too small traps before writing past its end', async () => {
  const wat = `(module
    (import "env" "sleep" (func $sleep))
    (memory (export "memory") 1)
    (func $deep (param $n i32) (param $a i64) (param $b i64) (result i64)
      (if (result i64) (i32.eqz (local.get $n))
        (then (call $sleep) (i64.add (local.get $a) (local.get $b)))
        (else (i64.add (local.get $a)
          (call $deep (i32.sub (local.get $n) (i32.const 1)) (local.get $b) (local.get $a))))))
    (func (export "run") (param $n i32) (result i64) (call $deep (local.get $n) (i64.const 1) (i64.const 2))))`;
  const { out, report } = weftAsyncify(assemble(wat));
  assert.ok(report.maxFrame > 8);
  let e;
  const { instance } = await WebAssembly.instantiate(out, { env: { sleep: () => e.asyncify_start_unwind(64) } });
  e = instance.exports;
  const bytes = new Uint8Array(e.memory.buffer);
  bytes.fill(0xaa, 72, 4096);
  const view = new DataView(e.memory.buffer);
  const end = 72 + 50; // room for a few frames, not twenty
  view.setUint32(64, 72, true);
  view.setUint32(68, end, true);
  assert.throws(() => e.run(20), (err) => err instanceof WebAssembly.RuntimeError && /unreachable/.test(err.message));
  for (let i = end; i < 4096; i++) assert.equal(bytes[i], 0xaa, `byte ${i} past the end was written`);
  assert.ok(view.getUint32(64, true) <= end, 'current never passes end');
});

test('a runtime written in wasm: calls to asyncify.* imports become direct calls', async () => {
  const wat = `(module
    (import "asyncify" "start_unwind" (func $start_unwind (param i32)))
    (import "asyncify" "stop_unwind" (func $stop_unwind))
    (import "asyncify" "start_rewind" (func $start_rewind (param i32)))
    (import "asyncify" "stop_rewind" (func $stop_rewind))
    (import "asyncify" "get_state" (func $get_state (result i32)))
    (import "env" "log" (func $log (param i32)))
    (memory (export "memory") 1)
    ;; Top-most runtime: suspends, and on the rewind stops it.
    (func $yield
      (if (i32.eq (call $get_state) (i32.const 2))
        (then (call $stop_rewind))
        (else (call $start_unwind (i32.const 16)))))
    (func $work (param $n i32) (result i32)
      (local $i i32) (local $acc i32)
      (loop $l
        (call $log (local.get $i))
        (call $yield)
        (local.set $acc (i32.add (local.get $acc) (i32.mul (local.get $i) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
      (local.get $acc))
    ;; Bottom-most runtime: runs work to completion, resuming it after every yield.
    (func (export "main") (param $n i32) (result i32)
      (local $r i32)
      (i32.store (i32.const 16) (i32.const 24))
      (i32.store (i32.const 20) (i32.const 1024))
      (loop $again
        (local.set $r (call $work (local.get $n)))
        (if (i32.eq (call $get_state) (i32.const 1))
          (then
            (call $stop_unwind)
            (call $log (i32.const 1000))
            (call $start_rewind (i32.const 16))
            (br $again))))
      (local.get $r)))`;
  const { out, report } = weftAsyncify(assemble(wat));
  assert.equal(report.instrumented, 1, 'only $work: the runtime functions run as they are');
  const log = [];
  const never = () => { throw new Error('an asyncify.* import was called'); };
  const { instance } = await WebAssembly.instantiate(out, {
    asyncify: { start_unwind: never, stop_unwind: never, start_rewind: never, stop_rewind: never, get_state: never },
    env: { log: (x) => log.push(x) },
  });
  assert.equal(instance.exports.main(4), 0 + 1 + 4 + 9);
  assert.deepEqual(log, [0, 1000, 1, 1000, 2, 1000, 3, 1000]);
});

test('legacy catch_all of an exception from JS: the handler runs in place, rethrows it, and traps if it suspends', async () => {
  // The cleanup's handler is moved out of its clause for exceptions of the module's tag
  // (they suspend there and are thrown again); a JS exception has no tag to throw it again
  // with, so it runs the handler's copy in place, whose sleeps trap if they suspend.
  const wat = `(module
    (import "env" "sleep" (func $sleep (param i32)))
    (import "env" "boom" (func $boom (param i32)))
    (memory (export "memory") 1)
    (tag $e (param i32))
    (global $cleanups (mut i32) (i32.const 0))
    (func (export "cleanups") (result i32) (global.get $cleanups))
    (func (export "run") (param $x i32) (param $s i32) (result i32)
      (try (result i32)
        (do (call $boom (local.get $x)) (i32.const 1))
        (catch_all
          (call $sleep (local.get $s))
          (global.set $cleanups (i32.add (global.get $cleanups) (i32.const 1)))
          (rethrow 0)))))`;
  const { out } = weftAsyncify(assemble(wat));
  const thrown = new Error('from JS');
  const boom = (x) => {
    if (x === 1) throw thrown;
  };
  const { e, drive, sleeps } = await sleeper(out, (s) => s === 1, { boom });
  assert.equal(drive(() => e.run(0, 1)), 1);
  // The JS error passes through the cleanup (which does not suspend) as the same object.
  assert.throws(() => drive(() => e.run(1, 0)), (err) => err === thrown);
  assert.equal(e.cleanups(), 1);
  assert.equal(sleeps(), 0);
  // Suspending in that copy traps instead of unwinding a frame that cannot be rewound.
  assert.throws(() => drive(() => e.run(1, 1)), (err) => err instanceof WebAssembly.RuntimeError && /unreachable/.test(err.message));
  assert.equal(e.cleanups(), 1);
});

test('--asserts: an unwind the analysis did not expect traps at once', async () => {
  const wat = `(module
    (import "env" "sleep" (func $sleep))
    (import "env" "other" (func $other))
    (memory (export "memory") 1)
    (func $a (result i32) (call $other) (i32.const 5))
    (func (export "run") (result i32)
      (call $sleep)
      (i32.add (call $a) (i32.const 1))))`;
  const bytes = assemble(wat);
  for (const asserts of [false, true]) {
    const { out } = weftAsyncify(bytes, { imports: ['env.sleep'], asserts });
    let e;
    let misbehave = false;
    let rewinding = false;
    const { instance } = await WebAssembly.instantiate(out, {
      env: {
        sleep: () => {
          if (rewinding) {
            e.asyncify_stop_rewind();
            rewinding = false;
          } else e.asyncify_start_unwind(16);
        },
        // Not listed in --imports, yet it unwinds when told to misbehave.
        other: () => misbehave && e.asyncify_start_unwind(16),
      },
    });
    e = instance.exports;
    new Int32Array(e.memory.buffer).set([24, 1024], 4);
    const run = () => {
      let r = e.run();
      while (e.asyncify_get_state() === 1) {
        e.asyncify_stop_unwind();
        e.asyncify_start_rewind(16);
        rewinding = true;
        r = e.run();
      }
      return r;
    };
    assert.equal(run(), 6, 'a well-behaved run works with and without asserts');
    if (!asserts) continue; // without asserts a bad unwind corrupts the run in some later, unknown way
    misbehave = true;
    assert.throws(run, (err) => err instanceof WebAssembly.RuntimeError && /unreachable/.test(err.message));
    assert.equal(e.asyncify_get_state(), 1, 'it trapped right after the call that unwound');
  }
});

test('a callee that points its own table slot elsewhere before it sleeps is the one rewound', async () => {
  // main calls slot 1 ($f4), which points the slot at $g and sleeps. A rewind through the
  // table (Binaryen's output; weft's before RETARGET) enters $g, which also sleeps but never
  // saved a frame; weft's wrapper calls the function whose frame is on top, $f4.
  const wat = `(module
    (type $t (func (param i32) (result i32)))
    (import "env" "sleep" (func $sleep (param i32)))
    (memory (export "memory") 1)
    (table $tab 2 funcref)
    (elem (i32.const 0) func $g $f4)
    (func $g (param i32) (result i32) (local i32)
      (local.set 1 (i32.mul (local.get 0) (i32.const 3)))
      (call $sleep (i32.const 2))
      (call $sleep (i32.const 3))
      (i32.add (local.get 1) (i32.const 100)))
    (func $f4 (param i32) (result i32)
      (table.set $tab (i32.const 1) (ref.func $g))
      (call $sleep (i32.const 1))
      (i32.add (local.get 0) (i32.const 10)))
    (func (export "main") (param i32) (result i32)
      (table.set $tab (i32.const 1) (ref.func $f4))
      (i32.add (call_indirect (type $t) (local.get 0) (i32.const 1)) (i32.const 1000))))`;
  const bytes = assemble(wat, 'weft'); // wabt 1.0.32 mistypes table.set of a ref.func
  const plain = (await WebAssembly.instantiate(bytes, { env: { sleep: () => {} } })).instance.exports;
  assert.equal(plain.main(5), 1015);
  for (const asserts of [false, true]) {
    const said = [];
    const { out } = weftAsyncify(bytes, { imports: ['env.sleep'], asserts, verbose: (line) => said.push(line) });
    assert.ok(said.some((l) => /call_indirect of type \d+ through table 0 calls func \d+ when rewinding: a body rewrites the table/.test(l)), said.join('\n'));
    const { e, drive, sleeps } = await sleeper(out, (i) => i === 1);
    assert.equal(drive(() => e.main(5)), 1015, `asserts ${asserts}`);
    assert.equal(sleeps(), 1);
    assert.equal(e.asyncify_get_state(), 0);
  }
});

test('--asserts: a rewind that enters a function whose frame is not on top traps', async () => {
  // The host points slot 1 at $g while main's call through it is unwound. No body rewrites
  // the table, so the call_indirect stays (as in Binaryen) and the rewind enters $g.
  const wat = `(module
    (type $t (func (param i32) (result i32)))
    (import "env" "sleep" (func $sleep (param i32)))
    (memory (export "memory") 1)
    (table $tab (export "tab") 2 funcref)
    (elem (i32.const 0) func $g $f4)
    (func $g (export "g") (param i32) (result i32) (local i32)
      (local.set 1 (i32.mul (local.get 0) (i32.const 3)))
      (call $sleep (i32.const 2))
      (call $sleep (i32.const 3))
      (i32.add (local.get 1) (i32.const 100)))
    (func $f4 (param i32) (result i32)
      (call $sleep (i32.const 1))
      (i32.add (local.get 0) (i32.const 10)))
    (func (export "main") (param i32) (result i32)
      (i32.add (call_indirect (type $t) (local.get 0) (i32.const 1)) (i32.const 1000))))`;
  const bytes = assemble(wat);
  const plain = (await WebAssembly.instantiate(bytes, { env: { sleep: () => {} } })).instance.exports;
  assert.equal(plain.main(5), 1015);
  const results = {};
  for (const asserts of [false, true]) {
    const { out } = weftAsyncify(bytes, { imports: ['env.sleep'], asserts });
    let e;
    const s = await sleeper(out, (i) => {
      if (i === 1) e.tab.set(1, e.g);
      return i === 1;
    });
    e = s.e;
    try {
      results[asserts] = s.drive(() => e.main(5));
    } catch (err) {
      results[asserts] = err;
    }
  }
  // Without asserts $g restores $f4's frame as its own and the run goes wrong quietly.
  assert.notEqual(results.false, 1015, 'without --asserts the rewind enters the wrong function');
  assert.ok(results.true instanceof WebAssembly.RuntimeError && /unreachable/.test(results.true.message),
    `with --asserts the rewind traps at once (got ${results.true})`);
});

function cli(args) {
  return spawnSync(process.execPath, [CLI, 'asyncify', ...args], { encoding: 'utf8' });
}

test('weft asyncify: wasm-opt spellings, lists, warnings and clear errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-asyncify-'));
  const input = join(dir, 'in.wasm');
  writeFileSync(input, assemble(`(module
    (import "env" "sleep" (func $sleep))
    (import "env" "other" (func $other))
    (memory (export "memory") 1)
    (func $a (export "a") (call $sleep))
    (func $b (export "b") (call $other))
    (func $c (export "c") (call $a)))`));
  const output = join(dir, 'out.wasm');
  // Only env.sleep unwinds: a and c are instrumented, b is not.
  let r = cli([input, '-o', output, '--pass-arg=asyncify-imports@env.sleep', '--verbose']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /\[asyncify\] a is instrumented: it calls import env\.sleep/);
  assert.match(r.stderr, /\[asyncify\] c is instrumented: it calls a/);
  assert.doesNotMatch(r.stderr, /\] b is instrumented/);
  assert.ok(WebAssembly.validate(readFileSync(output)));
  // A list entry that matches nothing is a warning.
  r = cli([input, '-o', output, '--imports', 'env.sleep,env.nothing*', '--remove-list', 'zzz']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /warning: --imports: env\.nothing\* matches no import/);
  assert.match(r.stderr, /warning: --remove-list: zzz matches no function/);
  // @file lists.
  const list = join(dir, 'list.txt');
  writeFileSync(list, 'env.other\n');
  r = cli([input, '-o', output, '--imports', `@${list}`, '--verbose']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /\] b is instrumented/);
  // Repeated lists add up, in either spelling: both imports unwind.
  r = cli([input, '-o', output, '--imports', 'env.sleep', '--pass-arg=asyncify-imports@env.other', '--verbose']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /\] a is instrumented/);
  assert.match(r.stderr, /\] b is instrumented/);
  // Errors: exit 1, one line, no stack, no output file.
  const bad = join(dir, 'bad.wasm');
  for (const [args, message] of [
    [['--add-list', 'a', '--remove-list', 'a'], /function a is in both --add-list and --remove-list/],
    [['--only-list', 'a', '--add-list', 'c'], /--only-list cannot be combined with --add-list or --remove-list/],
    [['--memory', 'nope'], /--memory nope: the module exports no memory of that name/],
    [['--pass-arg=asyncify-bogus'], /unknown pass argument asyncify-bogus/],
  ]) {
    r = cli([input, '-o', bad, ...args]);
    assert.equal(r.status, 1, `${args}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.ok(!existsSync(bad));
  }
  // An invalid module is refused with the validator's message.
  const invalid = join(dir, 'invalid.wasm');
  // (func (result i32)) with an empty body
  writeFileSync(invalid, Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7f, 3, 2, 1, 0, 10, 4, 1, 2, 0, 0x0b));
  r = cli([invalid, '-o', bad]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^error: .*invalid\.wasm: the input is invalid: func 0 at 0x18: type mismatch/);
  assert.ok(!existsSync(bad));
  // Asyncifying twice is refused.
  r = cli([output, '-o', bad]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /already exports asyncify_/);
  execFileSync('rm', ['-rf', dir]);
});

// A loop around 20,000 nested blocks, sleeping at the innermost and after them: the rewrite's
// walkers (sites, levels, peeling, the rewound copy's dead code, pads) must be iterative.
// weft's own parser assembles it (WABT's recurses per nesting level).
test('deep nesting: 20,000 blocks in a loop, with and without peeling', async () => {
  const N = 20000;
  const bytes = writeModule(parseModule(`(module
    (import "env" "sleep" (func $sleep))
    (memory (export "memory") 1)
    (func (export "run") (result i32) (local $i i32)
      loop $l
        ${'block '.repeat(N)}
          call $sleep
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
        ${'end '.repeat(N)}
        call $sleep
        (br_if $l (i32.lt_u (local.get $i) (i32.const 3)))
      end
      local.get $i))`));
  assert.ok(WebAssembly.validate(bytes), 'the assembled module is valid');
  for (const peelSites of [undefined, 1]) {
    const { out } = weftAsyncify(bytes, { imports: ['env.sleep'], peelSites });
    const { e, drive, sleeps } = await sleeper(out);
    assert.equal(drive(() => e.run()), 3, `peelSites ${peelSites}: the loop ran three times`);
    assert.equal(sleeps(), 6, `peelSites ${peelSites}: every call suspended`);
  }
});

// A function with a peeled loop is split: the twin, called only to rewind, runs the rewound
// iteration and hands the loop back at its header (see flow.ts, SPLIT and HAND-BACK); the
// function's own index keeps a body without the rewound copy. Suspensions in later
// iterations unwind from the function itself, after a hand-back.
test('a function with a peeled loop is split into a copy that never rewinds and its twin', async () => {
  const bytes = assemble(`(module
    (import "env" "sleep" (func $sleep (param i32)))
    (memory (export "memory") 1)
    (func $run (export "run") (param $n i32) (result i32) (local $i i32) (local $s i32)
      loop $l
        (call $sleep (local.get $i))
        (local.set $s (i32.add (local.get $s) (i32.mul (local.get $i) (local.get $n))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (i32.const 5)))
      end
      local.get $s))`);
  const whole = weftAsyncify(bytes, { imports: ['env.sleep'], peelSites: 1, splitRewind: false }).out;
  const split = weftAsyncify(bytes, { imports: ['env.sleep'], peelSites: 1 }).out;
  const mw = readModule(whole);
  const ms = readModule(split);
  assert.equal(ms.funcs.length, mw.funcs.length + 1, 'one function more');
  const run = 1; // after the import
  const twin = [...ms.names.functions].find(([, name]) => name === 'run$rewind')?.[0];
  assert.ok(twin !== undefined, 'the twin is named run$rewind');
  // The twin stops at the loop's header (it hands the loop back), so it is smaller too.
  assert.ok(ms.funcs[twin - 1].raw.length < mw.funcs[run - 1].raw.length, 'the twin has no copy of the loop that never rewinds');
  assert.ok(ms.funcs[run - 1].raw.length < mw.funcs[run - 1].raw.length, 'the copy that keeps the index is smaller');
  for (const [label, out] of [['whole', whole], ['split', split]]) {
    // Every other call suspends, the others return at once.
    const { e, drive, sleeps } = await sleeper(out, (i) => i % 2 === 0);
    for (const n of [3, 7]) assert.equal(drive(() => e.run(n)), 10 * n, `${label}: run(${n})`);
    assert.equal(sleeps(), 6, `${label}: three suspensions per call`);
  }
});

test('lists: a defined function without a name answers to its index; wildcards pass over imports', () => {
  // Only the import has a name. An exact import name in a list is an error, a pattern that
  // also matches imports is not.
  const wat = `(module
    (import "env" "sleep" (func $sleep))
    (func (result i32) (i32.const 1))
    (func (result i32) (i32.const 2)))`;
  const load = () => readModule(writeModule(parseModule(wat)));
  assert.equal(asyncify(load(), { ignoreImports: true, addList: ['2'] }).instrumented, 1);
  assert.equal(asyncify(load(), { ignoreImports: true, addList: ['*'] }).instrumented, 2);
  assert.throws(() => asyncify(load(), { addList: ['sleep'] }), /--add-list: sleep is an import; list imports with --imports/);
});
