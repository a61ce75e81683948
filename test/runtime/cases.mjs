// The runtime's behaviour, as cases that run alike on every backend (JSPI, Asyncify) and
// every asyncifier: run-cases.mjs runs them in a child node and runtime.test.mjs reports
// them. A case is { name, only?: backend, once?: true (one asyncifier per backend), run(ctx) }
// with ctx = { backend, load(key, imports, options) → instantiate()'s result, bytes(key) }.
import assert from 'node:assert/strict';

export const delay = (ms, v) => new Promise((resolve) => setTimeout(() => resolve(v), ms));

/** The test modules; `async` lists the imports they are asyncified for. */
export const MODULES = {
  basic: {
    async: ['env.sleep'],
    wat: `(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (import "env" "now" (func $now (result i32)))
  (memory (export "memory") 1)
  (func (export "run") (param $x i32) (result i32)
    (local $a i32)
    (local.set $a (i32.mul (local.get $x) (i32.const 3)))
    (i32.add (local.get $a) (call $sleep (local.get $x))))
  (func (export "twice") (param $x i32) (result i32)
    (i32.sub (call $sleep (local.get $x)) (call $sleep (i32.add (local.get $x) (i32.const 1)))))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "clock") (result i32) (call $now)))`,
  },
  importedMemory: {
    async: ['env.sleep'],
    wat: `(module
  (import "env" "memory" (memory 1))
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (func (export "run") (param $x i32) (result i32)
    (i32.store (i32.const 64) (local.get $x))
    (drop (call $sleep (local.get $x)))
    (i32.load (i32.const 64))))`,
  },
  big: {
    async: ['env.big'],
    wat: `(module
  (import "env" "big" (func $big (param i64) (result i64)))
  (memory (export "memory") 1)
  (func (export "mix") (param $a i64) (param $b i64) (result i64)
    (local $t i64)
    (local.set $t (call $big (local.get $a)))
    (i64.add (i64.mul (local.get $t) (local.get $b)) (call $big (local.get $b)))))`,
  },
  fail: {
    async: ['env.sleep', 'env.fail'],
    wat: `(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (import "env" "fail" (func $fail (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run") (param $x i32) (result i32) (i32.add (i32.const 1) (call $sleep (local.get $x))))
  (func (export "callFail") (param $m i32) (result i32) (i32.add (i32.const 1) (call $fail (local.get $m))))
  (func (export "trapAfter") (param $x i32) (result i32) (drop (call $sleep (local.get $x))) (unreachable)))`,
  },
  // A shadow stack in linear memory, as C keeps one: each call pushes its argument,
  // suspends, then returns what it finds on top and pops. Only stack-order resumption
  // gives every call its own value back.
  stack: {
    async: ['env.sleep'],
    wat: `(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (memory (export "memory") 1)
  (global $sp (mut i32) (i32.const 1024))
  (func (export "work") (param $x i32) (param $ms i32) (result i32)
    (global.set $sp (i32.add (global.get $sp) (i32.const 4)))
    (i32.store (global.get $sp) (local.get $x))
    (drop (call $sleep (local.get $ms)))
    (local.set $x (i32.load (global.get $sp)))
    (global.set $sp (i32.sub (global.get $sp) (i32.const 4)))
    (local.get $x)))`,
  },
  nested: {
    async: ['env.sleep', 'env.callback'],
    wat: `(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (import "env" "callback" (func $cb (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "outer") (param $x i32) (result i32)
    (local $k i32)
    (local.set $k (i32.mul (local.get $x) (i32.const 100)))
    (i32.add (local.get $k) (call $cb (local.get $x))))
  (func (export "inner") (param $x i32) (result i32)
    (i32.add (i32.const 1) (call $sleep (local.get $x)))))`,
  },
  // Recursion that keeps 8 i64 locals live across the call, loaded from memory so that no
  // optimizer can recompute them after it: an unwind saves ~70 bytes a frame.
  deep: {
    async: ['env.sleep'],
    wat: `(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\\01\\00\\00\\00\\00\\00\\00\\00\\02\\00\\00\\00\\00\\00\\00\\00\\03\\00\\00\\00\\00\\00\\00\\00\\05\\00\\00\\00\\00\\00\\00\\00"
                      "\\07\\00\\00\\00\\00\\00\\00\\00\\0b\\00\\00\\00\\00\\00\\00\\00\\0d\\00\\00\\00\\00\\00\\00\\00\\11\\00\\00\\00\\00\\00\\00\\00")
  (func $deep (export "deep") (param $n i32) (result i64)
    (local $k i64) (local $a i64) (local $b i64) (local $c i64) (local $d i64) (local $e i64) (local $f i64) (local $g i64) (local $h i64)
    (if (result i64) (i32.eqz (local.get $n))
      (then (i64.extend_i32_u (call $sleep (i32.const 0))))
      (else
        (local.set $k (i64.extend_i32_u (local.get $n)))
        (local.set $a (i64.add (local.get $k) (i64.load (i32.const 0))))
        (local.set $b (i64.add (local.get $k) (i64.load (i32.const 8))))
        (local.set $c (i64.add (local.get $k) (i64.load (i32.const 16))))
        (local.set $d (i64.add (local.get $k) (i64.load (i32.const 24))))
        (local.set $e (i64.add (local.get $k) (i64.load (i32.const 32))))
        (local.set $f (i64.add (local.get $k) (i64.load (i32.const 40))))
        (local.set $g (i64.add (local.get $k) (i64.load (i32.const 48))))
        (local.set $h (i64.add (local.get $k) (i64.load (i32.const 56))))
        (i64.add (call $deep (i32.sub (local.get $n) (i32.const 1)))
          (i64.add (i64.add (i64.add (local.get $a) (local.get $b)) (i64.add (local.get $c) (local.get $d)))
                   (i64.add (i64.add (local.get $e) (local.get $f)) (i64.add (local.get $g) (local.get $h)))))))))`,
  },
  // Exports malloc and free (a counting bump allocator), so Asyncify buffers come from it.
  malloc: {
    async: ['env.sleep'],
    wat: `(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (memory (export "memory") 4)
  (global $brk (mut i32) (i32.const 4096))
  (global $count (mut i32) (i32.const 0))
  (func (export "malloc") (param $n i32) (result i32)
    (local $p i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (local.set $p (global.get $brk))
    (global.set $brk (i32.add (global.get $brk) (local.get $n)))
    (local.get $p))
  (func (export "free") (param i32))
  (func (export "mallocs") (result i32) (global.get $count))
  (func (export "run") (param $x i32) (result i32) (i32.add (i32.const 1) (call $sleep (local.get $x)))))`,
  },
  spin: {
    async: ['env.tick'],
    wat: `(module
  (import "env" "tick" (func $tick (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "spin") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (call $tick (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc)))`,
  },
  // Indirect calls: a table holding a function that suspends makes call_indirect suspend.
  indirect: {
    async: ['env.sleep'],
    wat: `(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (type $t (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (table 2 funcref)
  (elem (i32.const 0) $slow $fast)
  (func $slow (type $t) (i32.add (i32.const 1000) (call $sleep (local.get 0))))
  (func $fast (type $t) (i32.add (i32.const 2000) (local.get 0)))
  (func (export "viaTable") (param $i i32) (param $x i32) (result i32)
    (call_indirect (type $t) (local.get $x) (local.get $i)))
  (func (export "direct") (param $x i32) (result i32) (call $fast (local.get $x))))`,
  },
  memory64: {
    async: ['env.sleep'],
    wat: `(module
  (import "env" "sleep" (func $sleep (param i32) (result i32)))
  (memory (export "memory") i64 1)
  (func (export "run") (param $x i32) (result i32)
    (i64.store (i64.const 64) (i64.extend_i32_u (local.get $x)))
    (drop (call $sleep (local.get $x)))
    (i32.wrap_i64 (i64.load (i64.const 64)))))`,
  },
};

const sleepImports = (extra = {}) => ({ env: { sleep: (x) => delay(1, x * 10), now: () => 7, ...extra } });
/** What deep(n) returns when sleep gives 0: each level adds 8n + (1+2+3+5+7+11+13+17). */
const deepSum = (n) => BigInt(4 * n * (n + 1) + 59 * n);
const isPromise = (v) => v instanceof Promise;

export const CASES = [
  {
    name: 'suspending exports return Promises, the others stay synchronous',
    async run({ load, backend }) {
      const { exports, backend: used } = await load('basic', sleepImports());
      assert.equal(used, backend);
      assert.equal(exports.add(2, 3), 5);
      assert.equal(exports.clock(), 7);
      const p = exports.run(4);
      assert.ok(isPromise(p));
      assert.equal(await p, 4 * 3 + 40);
      assert.equal(await exports.twice(5), 50 - 60);
      assert.ok(exports.memory instanceof WebAssembly.Memory);
    },
  },
  {
    name: 'an async import that returns a plain value does not suspend',
    async run({ load }) {
      const { exports } = await load('basic', { env: { sleep: (x) => x + 1, now: () => 0 } });
      assert.equal(await exports.run(2), 6 + 3);
    },
  },
  {
    name: 'sources: bytes, ArrayBuffer, Response, Promise<Response>, WebAssembly.Module',
    async run({ load, bytes }) {
      const b = bytes('basic');
      for (const source of [b, b.slice().buffer, new Response(b), Promise.resolve(new Response(b))]) {
        const { exports } = await load(source, sleepImports());
        assert.equal(exports.add(1, 1), 2);
        assert.equal(await exports.run(1), 13);
      }
      // JS cannot read a Module's bytes: every function export then returns a Promise,
      // unless asyncExports names the ones that do.
      const mod = new WebAssembly.Module(b);
      const all = (await load(mod, sleepImports())).exports;
      assert.ok(isPromise(all.add(1, 2)));
      assert.equal(await all.add(1, 2), 3);
      assert.equal(await all.run(1), 13);
      for (const source of [mod, b]) {
        const named = (await load(source, sleepImports(), { asyncExports: ['run', 'tw*'] })).exports;
        assert.equal(named.add(1, 2), 3);
        assert.equal(await named.twice(1), 10 - 20);
      }
      // '*' wraps every function export but the asyncify_* controls.
      const every = await load(b, sleepImports(), { asyncExports: ['*'] });
      assert.ok(isPromise(every.exports.add(1, 2)));
      if (every.instance.exports.asyncify_get_state) assert.equal(every.exports.asyncify_get_state(), 0);
    },
  },
  {
    name: 'indirect calls: call_indirect through a table holding a suspending function suspends',
    async run({ load }) {
      const { exports } = await load('indirect', sleepImports());
      assert.equal(exports.direct(5), 2005); // only reaches $fast: synchronous
      const p = exports.viaTable(0, 3);
      assert.ok(isPromise(p));
      assert.equal(await p, 1030);
      assert.equal(await exports.viaTable(1, 3), 2003);
    },
  },
  {
    name: 'imported memory',
    async run({ load }) {
      const memory = new WebAssembly.Memory({ initial: 1 });
      const { exports } = await load('importedMemory', { env: { memory, sleep: (x) => delay(1, x) } });
      assert.equal(await exports.run(1234), 1234);
      assert.equal(new Int32Array(memory.buffer)[16], 1234);
    },
  },
  {
    name: 'BigInt parameters and results, through a suspension',
    async run({ load }) {
      const K = 2n ** 40n;
      const { exports } = await load('big', { env: { big: async (x) => (await delay(1), BigInt.asIntN(64, x + K)) } });
      for (const [a, b] of [[5n, 7n], [-(2n ** 62n), 3n], [2n ** 63n - 1n, -1n]]) {
        const want = BigInt.asIntN(64, BigInt.asIntN(64, a + K) * b + BigInt.asIntN(64, b + K));
        assert.equal(await exports.mix(a, b), want);
      }
    },
  },
  {
    name: 'a throwing or rejecting async import rejects the export, and the instance stays usable',
    async run({ load, backend }) {
      const boom = new Error('boom');
      const fail = (m) => {
        if (m === 0) throw boom;
        if (m === 1) return delay(1).then(() => Promise.reject(boom));
        return delay(1, 41);
      };
      const { instance, exports } = await load('fail', sleepImports({ fail }));
      for (let round = 0; round < 3; round++) {
        await assert.rejects(exports.callFail(0), (e) => e === boom);
        assert.equal(await exports.run(2), 21);
        await assert.rejects(exports.callFail(1), (e) => e === boom);
        assert.equal(await exports.callFail(2), 42);
        await assert.rejects(exports.trapAfter(1), (e) => e instanceof WebAssembly.RuntimeError);
        assert.equal(await exports.run(3), 31);
      }
      if (backend === 'asyncify') assert.equal(instance.exports.asyncify_get_state(), 0);
    },
  },
  {
    name: 'a call made while another is suspended runs at once; the earlier resumes after it (stack order)',
    async run({ load }) {
      const { exports } = await load('stack', sleepImports({ sleep: (ms) => delay(ms, 0) }));
      for (const [msA, msB] of [[40, 1], [1, 40]]) {
        const done = [];
        const a = exports.work(111, msA).then((v) => (done.push('A'), v));
        const b = exports.work(222, msB).then((v) => (done.push('B'), v));
        assert.deepEqual(await Promise.all([a, b]), [111, 222]);
        assert.deepEqual(done, ['B', 'A']);
      }
      // Three deep, resolved in start order: they still finish last-first.
      const done = [];
      const calls = [1, 2, 3].map((x) => exports.work(x, 5 * x).then((v) => (done.push(x), v)));
      assert.deepEqual(await Promise.all(calls), [1, 2, 3]);
      assert.deepEqual(done, [3, 2, 1]);
    },
  },
  {
    name: 'nested suspensions: wasm → JS → wasm → suspend, awaited or started synchronously, 3 deep',
    async run({ load }) {
      let exports;
      const modes = {
        awaited: async (x) => (await delay(1), (await exports.inner(x)) * 2),
        sync: (x) => exports.inner(x).then((v) => v * 2), // inner suspends while outer is on the stack
        recursive: (x) => (x > 0 ? exports.outer(x - 1).then((v) => v + 1) : exports.inner(7)),
      };
      let mode = 'awaited';
      ({ exports } = await load('nested', { env: { sleep: (x) => delay(1, x * 10), callback: (x) => modes[mode](x) } }));
      assert.equal(await exports.outer(3), 300 + (31 * 2));
      mode = 'sync';
      assert.equal(await exports.outer(4), 400 + (41 * 2));
      mode = 'recursive';
      // outer(2) = 200 + (outer(1) + 1); outer(1) = 100 + (outer(0) + 1); outer(0) = 0 + inner(7) = 71
      assert.equal(await exports.outer(2), 200 + 100 + 71 + 2);
    },
  },
  {
    name: 'Asyncify buffer too small: the runtime grows it instead of trapping',
    async run({ load, backend }) {
      const { instance, exports } = await load('deep', sleepImports({ sleep: (x) => delay(0, x) }), { stackSize: 64 });
      const pages = () => instance.exports.memory.buffer.byteLength / 65536;
      const before = pages();
      for (const n of [3, 300, 600, 300]) assert.equal(await exports.deep(n), deepSum(n), `deep(${n})`);
      if (backend === 'asyncify') assert.ok(pages() - before <= 8, `grew ${pages() - before} pages`);
      // A fresh instance whose first unwind is far larger than its buffer (~40 KB unoptimized).
      const fresh = await load('deep', sleepImports({ sleep: (x) => delay(0, x) }), { stackSize: 64 });
      assert.equal(await fresh.exports.deep(550), deepSum(550));
      assert.equal(await fresh.exports.deep(1), deepSum(1));
    },
  },
  {
    name: 'an unwind beyond the guard is an AsyncifyOverflowError, and the instance stays usable',
    only: 'asyncify',
    async run({ load, runtime }) {
      const { instance, exports } = await load('deep', sleepImports({ sleep: (x) => delay(0, x) }), { stackSize: 64 });
      await assert.rejects(exports.deep(1200), runtime.AsyncifyOverflowError); // ~80 KB of frames
      assert.equal(instance.exports.asyncify_get_state(), 0);
      assert.equal(await exports.deep(10), deepSum(10));
    },
  },
  {
    name: 'Asyncify buffers come from the exported malloc when there is one',
    async run({ load, backend }) {
      const { instance, exports } = await load('malloc', sleepImports());
      const size = instance.exports.memory.buffer.byteLength;
      for (let i = 0; i < 5; i++) assert.equal(await exports.run(i), i * 10 + 1);
      await Promise.all([exports.run(1), exports.run(2)]);
      assert.equal(instance.exports.memory.buffer.byteLength, size, 'memory did not grow');
      // One buffer per call in flight at once (two here), reused after that.
      assert.equal(exports.mallocs(), backend === 'asyncify' ? 2 : 0);
    },
  },
  {
    name: 'memory64: BigInt pointers and an i64 data header',
    async run({ load, bytes, skip }) {
      if (!WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5, 3, 1, 4, 1]))) return skip('this engine has no memory64');
      const { exports } = await load('memory64', sleepImports());
      assert.equal(await exports.run(99), 99);
      // From a WebAssembly.Module the width is found at the first allocation.
      const fromModule = await load(new WebAssembly.Module(bytes('memory64')), sleepImports(), { module: 'memory64' });
      assert.equal(await fromModule.exports.run(98), 98);
    },
  },
  {
    name: 'an async import that the module was not asyncified for is reported, not run on',
    only: 'asyncify',
    async run({ load }) {
      const { exports } = await load('basic', sleepImports({ now: () => delay(1, 5) }), { async: ['env.sleep', 'env.now'] });
      await assert.rejects(exports.clock(), /env\.now suspended, but no wasm frame saved itself.*weft asyncify IN\.wasm -o OUT\.wasm --imports env\.sleep,env\.now/);
      assert.equal(await exports.run(1), 13);
    },
  },
  {
    name: 'no backend: a clear error naming the weft asyncify command',
    once: true,
    async run({ runtime, plain }) {
      const opts = { async: ['env.sleep', 'env.fetch_*'] };
      const cmd = /weft asyncify IN\.wasm -o OUT\.wasm --imports env\.sleep,env\.fetch_\*/;
      await assert.rejects(runtime.instantiate(plain('basic'), sleepImports(), { ...opts, backend: 'asyncify' }), (e) => e instanceof runtime.NoBackendError && cmd.test(e.message));
      // Nothing can suspend: no backend needed, everything synchronous, on any engine.
      const none = await runtime.instantiate(plain('basic'), sleepImports(), { async: ['env.fetch_*'] });
      assert.equal(none.backend, 'none');
      assert.equal(none.exports.add(2, 2), 4);
      assert.equal(none.exports.clock(), 7);
      if (runtime.hasJspi()) return;
      await assert.rejects(runtime.instantiate(plain('basic'), sleepImports(), opts), (e) => e instanceof runtime.NoBackendError && cmd.test(e.message) && /no JSPI/.test(e.message));
      await assert.rejects(runtime.instantiate(plain('basic'), sleepImports(), { ...opts, backend: 'jspi' }), runtime.NoBackendError);
    },
  },
  {
    name: 'no leak: heap and memory flat over 4 × 100,000 suspend/resume cycles',
    once: true,
    async run({ load }) {
      if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
      const { instance, exports } = await load('spin', { env: { tick: (i) => Promise.resolve(i & 1) } });
      const heap = () => (globalThis.gc(), globalThis.gc(), process.memoryUsage().heapUsed);
      const cycles = async (calls, each) => {
        for (let c = 0; c < calls; c++) assert.equal(await exports.spin(each), each >> 1);
      };
      const round = async () => {
        await cycles(10, 5000); // 50,000 in 10 calls
        await cycles(5000, 10); // 50,000 in 5,000 calls
      };
      await round(); // warm-up: JIT, pools
      const m0 = instance.exports.memory.buffer.byteLength;
      const heaps = [heap()];
      for (let r = 0; r < 4; r++) {
        await round();
        heaps.push(heap());
      }
      // V8 keeps some one-time growth (up to ~120 KB under Node 26's Asyncify path, in
      // whichever round its background compiler lands); a leak of one byte a cycle would
      // add 400 KB over these 400,000 cycles.
      assert.equal(instance.exports.memory.buffer.byteLength, m0, 'wasm memory grew');
      const growth = heaps[4] - heaps[0];
      assert.ok(growth < 300_000, `heap grew ${growth} bytes over 400,000 cycles: ${heaps.join(', ')}`);
      return { heapAfterWarmup: heaps[0], heapAfter100k: heaps[1], heapAfter400k: heaps[4], growthPer100k: Math.round(growth / 4) };
    },
  },
];
