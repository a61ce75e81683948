// Behaviour cases for the asyncify tests: each module sleeps (an async import) inside a
// different construct. `calls` are run in order on one instance; the asyncified run must
// log and return exactly what the untransformed run does, and must really suspend.
// `node: 26` marks modules that need V8 features Node 20 lacks (GC, exnref, memory64).
/** The module header most cases share: sleep and log imports, and the memory. */
const SLEEP_LOG_HEADER = `(import "env" "sleep" (func $sleep (param i32)))
      (import "env" "log" (func $log (param i32)))
      (memory (export "memory") 1)`;
/** A JS import that throws a JS error for 1, and the module header that imports it with sleep and log. */
const THROWER = { thrower: (x) => { if (x === 1) throw new Error('boom'); return x * 3; } };
const THROWER_HEADER = `(import "env" "sleep" (func $sleep (param i32)))
      (import "env" "log" (func $log (param i32)))
      (import "env" "thrower" (func $thrower (param i32) (result i32)))
      (memory (export "memory") 1)`;

export const CASES = [
  {
    name: 'straight-line code',
    wat: `(module
      ${SLEEP_LOG_HEADER}
      (func (export "run") (param $x i32) (result i32)
        (call $log (local.get $x))
        (call $sleep (i32.const 1))
        (local.set $x (i32.mul (local.get $x) (i32.const 7)))
        (call $sleep (i32.const 2))
        (call $log (local.get $x))
        (i32.add (local.get $x) (i32.const 1))))`,
    calls: [['run', 3], ['run', 5]],
    expect: [22, 36],
  },
  {
    name: 'locals of every type and operand-stack values live across the call',
    wat: `(module
      (import "env" "sleep" (func $sleep (param i32) (result i32)))
      (import "env" "log_i64" (func $log_i64 (param i64)))
      (import "env" "log_f32" (func $log_f32 (param f32)))
      (import "env" "log_f64" (func $log_f64 (param f64)))
      (import "env" "log" (func $log (param i32)))
      (memory (export "memory") 1)
      (func (export "run") (param $a i32) (param $b i64) (result f64)
        (local $f f32) (local $d f64) (local $v v128) (local $dead i32)
        (local.set $f (f32.const 1.5))
        (local.set $d (f64.const -2.25))
        (local.set $v (i32x4.splat (local.get $a)))
        ;; values of four types on the stack below the call, one consumed after it
        (i64.add (local.get $b) (i64.const 1))
        (f32.mul (local.get $f) (f32.const 2))
        (f64.add (local.get $d) (f64.const 1))
        (i32.add (local.get $a) (call $sleep (i32.const 7)))
        (call $log)
        (call $log_f64)
        (call $log_f32)
        (call $log_i64)
        (call $log (i32x4.extract_lane 2 (local.get $v)))
        (call $log_i64 (local.get $b))
        (f64.add (local.get $d) (f64.convert_i32_s (call $sleep (local.get $a))))))`,
    calls: [['run', 41, 1234567890123n]],
  },
  {
    // With --peel 1 both loops of run are peeled and the function split: each rewind runs
    // the rewound iteration in the twin, which hands the loop back to the function at its
    // header (flow.ts, HAND-BACK) with the values below the loop and the locals live there.
    name: 'two loops below operand-stack values, in an if in a block, with sites before, between and after',
    wat: `(module
      ${SLEEP_LOG_HEADER}
      (func (export "run") (param $n i32) (result i32)
        (local $i i32) (local $acc i32) (local $k i64) (local $keep i32) (local $j i32) (local $t i32)
        (local.set $keep (i32.mul (local.get $n) (i32.const 100)))
        (local.set $k (i64.const 7))
        (call $sleep (i32.const -1))
        block $out (result i32)
          local.get $n
          i32.const 0
          i32.gt_s
          if (result i32)
            i32.const 1000
            local.get $n
            i64.extend_i32_u
            loop $l (result i32)
              (call $sleep (local.get $i))
              (local.set $acc (i32.add (local.get $acc) (i32.mul (local.get $i) (local.get $n))))
              (local.set $k (i64.mul (local.get $k) (i64.const 3)))
              (call $log (local.get $acc))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $l (i32.lt_u (local.get $i) (local.get $n)))
              local.get $acc
            end
            i64.extend_i32_u
            i64.add
            i32.wrap_i64
            i32.add
            (call $sleep (i32.const -2))
            (local.set $acc (local.get $keep))
            (local.set $t (i32.const 1))
            loop $m
              ;; $t is live at the header but not after the site (it is written first):
              ;; the hand-back must save it all the same
              (call $log (i32.add (local.get $j) (local.get $t)))
              (call $sleep (local.get $j))
              (local.set $t (i32.mul (local.get $j) (i32.const 9)))
              (local.set $j (i32.add (local.get $j) (i32.const 2)))
              (local.set $acc (i32.add (local.get $acc) (local.get $j)))
              (br_if $m (i32.lt_u (local.get $j) (local.get $n)))
            end
            local.get $acc
            i32.xor
          else
            (br $out (i32.const -1))
          end
          (i32.wrap_i64 (local.get $k))
          i32.xor
        end
        (call $sleep (i32.const -3))
        (i32.add (local.get $keep)))
      ;; A loop with parameters: its function keeps the whole twin.
      (func (export "param") (param $n i32) (result i32) (local $j i32)
        (i32.mul (local.get $n) (i32.const 100))
        loop $m (param i32) (result i32)
          (call $log (local.get $j))
          (call $sleep (local.get $j))
          (local.set $j (i32.add (local.get $j) (i32.const 2)))
          (i32.add (local.get $j))
          (br_if $m (i32.lt_u (local.get $j) (local.get $n)))
        end))`,
    calls: [['run', 5], ['run', 3], ['run', 0], ['run', 1], ['param', 7], ['param', 1]],
  },
  {
    name: 'loops, br_table, if/else and recursion',
    wat: `(module
      ${SLEEP_LOG_HEADER}
      (func $fact (export "fact") (param $n i32) (result i32)
        (if (result i32) (i32.le_s (local.get $n) (i32.const 1))
          (then (i32.const 1))
          (else
            (call $sleep (local.get $n))
            (i32.mul (local.get $n) (call $fact (i32.sub (local.get $n) (i32.const 1)))))))
      (func (export "fact_loop") (param $n i32) (result i32)
        (local $acc i32)
        (local.set $acc (i32.const 1))
        (block $done
          (loop $l
            (br_if $done (i32.le_s (local.get $n) (i32.const 1)))
            (call $sleep (local.get $n))
            (local.set $acc (i32.mul (local.get $acc) (local.get $n)))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (br $l)))
        (local.get $acc))
      (func (export "switch") (param $k i32) (result i32)
        (local $r i32)
        (block $d (block $c (block $b (block $a
          (br_table $a $b $c $d (local.get $k)))
          (call $sleep (i32.const 10)) (local.set $r (i32.const 100)) (br $d))
          (call $sleep (i32.const 11)) (local.set $r (i32.const 200)) (br $d))
          (local.set $r (i32.const 300)) (call $sleep (i32.const 12)))
        (call $sleep (i32.const 13))
        (i32.add (local.get $r) (local.get $k)))
      (func (export "if_else") (param $x i32) (param $y i32) (result i32)
        (if (result i32) (local.get $x)
          (then (call $sleep (i32.const 1)) (i32.add (local.get $y) (i32.const 10)))
          (else (call $sleep (i32.const 2)) (call $sleep (i32.const 3)) (i32.sub (local.get $y) (i32.const 10))))))`,
    calls: [['fact', 5], ['fact_loop', 5], ['switch', 0], ['switch', 1], ['switch', 2], ['switch', 9], ['if_else', 1, 1000], ['if_else', 0, 2000]],
    expect: [120, 120, 100, 201, 302, 9, 1010, 1990],
  },
  {
    name: 'call_indirect through a table, and return_call',
    wat: `(module
      ${SLEEP_LOG_HEADER}
      (type $ii (func (param i32) (result i32)))
      (table 3 funcref)
      (elem (i32.const 0) $double $sleepy $triple)
      (func $double (type $ii) (i32.mul (local.get 0) (i32.const 2)))
      (func $triple (type $ii) (i32.mul (local.get 0) (i32.const 3)))
      (func $sleepy (type $ii) (call $sleep (local.get 0)) (i32.add (local.get 0) (i32.const 1)))
      (func (export "indirect") (param $i i32) (param $x i32) (result i32)
        (i32.add (i32.const 1000) (call_indirect (type $ii) (local.get $x) (local.get $i))))
      (func $count (param $n i32) (param $acc i32) (result i32)
        (if (i32.eqz (local.get $n)) (then (return (local.get $acc))))
        (call $sleep (local.get $n))
        (return_call $count (i32.sub (local.get $n) (i32.const 1)) (i32.add (local.get $acc) (local.get $n))))
      (func (export "tail") (param $n i32) (result i32) (return_call $count (local.get $n) (i32.const 0)))
      (func (export "tail_indirect") (param $x i32) (result i32)
        (return_call_indirect (type $ii) (local.get $x) (i32.const 1))))`,
    calls: [['indirect', 0, 5], ['indirect', 1, 5], ['indirect', 2, 5], ['tail', 10], ['tail_indirect', 41]],
    expect: [1010, 1006, 1015, 55, 42],
  },
  {
    // Binaryen's output (and weft's before RETARGET) rewinds into the slot's new occupant.
    name: 'call_indirect whose callee rewrites its own table slot (table.copy, table.init) before it sleeps',
    wat: `(module
      ${SLEEP_LOG_HEADER}
      (type $ii (func (param i32) (result i32)))
      (table $t 3 funcref)
      (elem (i32.const 0) func $plain $moves $swaps)
      (elem $again func $moves $swaps)
      (func $plain (type $ii) (i32.add (local.get 0) (i32.const 7)))
      (func $moves (type $ii) (local $k i32)
        (local.set $k (i32.mul (local.get 0) (i32.const 3)))
        (table.copy $t $t (i32.const 1) (i32.const 0) (i32.const 1))
        (call $sleep (local.get $k))
        (i32.add (local.get $k) (i32.const 1)))
      (func $swaps (type $ii) (local $d f64)
        (local.set $d (f64.convert_i32_s (local.get 0)))
        (table.copy $t $t (i32.const 2) (i32.const 1) (i32.const 1))
        (call $sleep (i32.const 9))
        (call $log (i32.trunc_f64_s (local.get $d)))
        (i32.trunc_f64_s (f64.mul (local.get $d) (f64.const 2))))
      (func (export "reset") (table.init $t $again (i32.const 1) (i32.const 0) (i32.const 2)))
      (func (export "via") (param $i i32) (param $x i32) (result i32)
        (i32.add (i32.const 1000) (call_indirect $t (type $ii) (local.get $x) (local.get $i)))))`,
    calls: [['via', 1, 5], ['via', 1, 5], ['reset'], ['via', 2, 4], ['via', 2, 4]],
    expect: [1016, 1012, undefined, 1008, 1013],
  },
  {
    name: 'multi-value results and i64 parameters and results',
    wat: `(module
      (import "env" "sleep" (func $sleep (param i32)))
      (import "env" "sleep64" (func $sleep64 (param i64) (result i64)))
      (memory (export "memory") 1)
      (func $pair (param $a i64) (result i64 i32)
        (call $sleep (i32.const 5))
        (i64.mul (local.get $a) (i64.const 3))
        (i32.wrap_i64 (call $sleep64 (local.get $a))))
      (func (export "run") (param $a i64) (result i64)
        (local $x i64) (local $y i32)
        (call $pair (local.get $a))
        (local.set $y)
        (local.set $x)
        (block (result i64 i32)
          (call $sleep (i32.const 6))
          (local.get $x)
          (local.get $y))
        (drop)
        (i64.add (i64.extend_i32_u (local.get $y)))))`,
    calls: [['run', 1n << 40n], ['run', -7n]],
  },
  {
    name: 'legacy try/catch: a suspension inside the try body',
    wat: `(module
      ${SLEEP_LOG_HEADER}
      (tag $e (param i32))
      (func $maythrow (param $x i32)
        (call $sleep (local.get $x))
        (if (i32.gt_s (local.get $x) (i32.const 5)) (then (throw $e (local.get $x)))))
      (func (export "run") (param $x i32) (result i32)
        (local $r i32)
        (try
          (do (call $maythrow (local.get $x)) (call $sleep (i32.const 1)) (local.set $r (i32.const 1)))
          (catch $e (local.set $r (i32.add (i32.const 100))))
          (catch_all (local.set $r (i32.const -1))))
        (call $log (local.get $r))
        (local.get $r)))`,
    calls: [['run', 3], ['run', 9]],
    expect: [1, 109],
  },
  {
    // The locals a handler reads are live after a call inside its try: the rewound call may
    // throw to it. Here the normal path overwrites $keep, which only the handler reads.
    name: 'legacy try/catch: a rewound call that throws reaches a handler that reads a local',
    wat: `(module
      ${SLEEP_LOG_HEADER}
      (tag $e (param i32))
      (func $maythrow (param $x i32)
        (call $sleep (local.get $x))
        (if (i32.gt_s (local.get $x) (i32.const 5)) (then (throw $e (local.get $x)))))
      (func (export "run") (param $x i32) (result i32)
        (local $keep i32)
        (local.set $keep (i32.mul (local.get $x) (i32.const 3)))
        (try (result i32)
          (do (call $maythrow (local.get $x)) (local.set $keep (i32.const 0)) (i32.const 1))
          (catch $e (i32.add (local.get $keep))))))`,
    calls: [['run', 3], ['run', 9]],
    expect: [1, 36],
  },
  {
    name: 'try_table: a rewound call that throws reaches a handler whose block reads a local',
    node: 26,
    assembler: 'weft', // WABT 1.0.32 predates try_table
    wat: `(module
      ${SLEEP_LOG_HEADER}
      (tag $e (param i32))
      (func $maythrow (param $x i32)
        (call $sleep (local.get $x))
        (if (i32.gt_s (local.get $x) (i32.const 5)) (then (throw $e (local.get $x)))))
      (func (export "run") (param $x i32) (result i32)
        (local $keep i32)
        (local.set $keep (i32.mul (local.get $x) (i32.const 3)))
        (block $h (result i32)
          (try_table (result i32) (catch $e $h)
            (call $maythrow (local.get $x)) (local.set $keep (i32.const 0)) (i32.const 1))
          (return))
        (i32.add (local.get $keep))))`,
    calls: [['run', 3], ['run', 9]],
    expect: [1, 36],
  },
  {
    name: 'try_table and throw_ref',
    node: 26,
    assembler: 'binaryen', // WABT 1.0.32 predates try_table
    wat: `(module
      ${SLEEP_LOG_HEADER}
      (tag $e (param i32))
      (func $maythrow (param $x i32)
        (call $sleep (local.get $x))
        (if (i32.gt_s (local.get $x) (i32.const 5)) (then (throw $e (local.get $x)))))
      (func (export "run") (param $x i32) (result i32)
        (block $caught (result i32)
          (try_table (catch $e $caught)
            (call $maythrow (local.get $x))
            (call $sleep (i32.const 2)))
          (i32.const 0))
        (call $sleep (i32.const 3))
        (i32.const 1000)
        (i32.add)))`,
    calls: [['run', 3], ['run', 8]],
    expect: [1000, 1008],
  },
  {
    name: 'calling other exports while unwound, and a deep stack',
    wat: `(module
      ${SLEEP_LOG_HEADER}
      (global $g (mut i32) (i32.const 0))
      (func (export "bump") (result i32) (global.set $g (i32.add (global.get $g) (i32.const 1))) (global.get $g))
      (func $deep (param $n i32) (result i32)
        (if (result i32) (i32.eqz (local.get $n))
          (then (call $sleep (i32.const 0)) (global.get $g))
          (else (i32.add (local.get $n) (call $deep (i32.sub (local.get $n) (i32.const 1)))))))
      (func (export "run") (param $n i32) (result i32) (call $deep (local.get $n))))`,
    calls: [['run', 50], ['bump'], ['run', 3]],
  },
  {
    name: 'a memory64 module',
    node: 26,
    mem64: true,
    wat: `(module
      (import "env" "sleep" (func $sleep (param i32)))
      (import "env" "log" (func $log (param i32)))
      (memory (export "memory") i64 1)
      (func (export "run") (param $x i32) (result i32)
        (local $p i64)
        (local.set $p (i64.const 4096))
        (i32.store (local.get $p) (local.get $x))
        (call $sleep (i32.const 1))
        (i32.add (i32.load (local.get $p)) (local.get $x))))`,
    calls: [['run', 21]],
    expect: [42],
  },
  {
    // RETARGET with a thunk: the sleep import sits in the table.
    name: 'memory64 and a table64 that holds the sleep import: a callee points its own slot at it, then sleeps',
    node: 26,
    mem64: true,
    assembler: 'weft', // WABT 1.0.32 has no table64
    wat: `(module
      (type $v (func (param i32)))
      (import "env" "sleep" (func $sleep (type $v)))
      (import "env" "log" (func $log (param i32)))
      (memory (export "memory") i64 1)
      (table $tab i64 2 funcref)
      (elem (table $tab) (i64.const 0) func $sleep $f)
      (func $f (type $v) (local i32)
        (local.set 1 (i32.mul (local.get 0) (i32.const 3)))
        (table.set $tab (i64.const 1) (table.get $tab (i64.const 0)))
        (call $sleep (i32.const 1))
        (call $log (local.get 1)))
      (func (export "run") (param $x i32) (result i32)
        (call_indirect $tab (type $v) (local.get $x) (i64.const 0))
        (call_indirect $tab (type $v) (local.get $x) (i64.const 1))
        (call_indirect $tab (type $v) (i32.add (local.get $x) (i32.const 1)) (i64.const 1))
        (i32.const 7)))`,
    calls: [['run', 5]],
    expect: [7],
  },
  {
    name: 'reference-typed locals live across a suspension (externref, funcref)',
    wat: `(module
      (import "env" "sleep" (func $sleep (param i32)))
      (import "env" "log" (func $log (param i32)))
      (import "env" "log_ref" (func $log_ref (param externref)))
      (memory (export "memory") 1)
      (type $ii (func (param i32) (result i32)))
      (table $t 2 funcref)
      (elem (table $t) (i32.const 0) func $inc $dec)
      (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
      (func $dec (type $ii) (i32.sub (local.get 0) (i32.const 1)))
      (func (export "run") (param $x externref) (param $i i32) (result externref)
        (local $f funcref) (local $y externref)
        (local.set $f (table.get $t (local.get $i)))
        (local.set $y (local.get $x))
        (call $sleep (i32.const 1))
        (call $log_ref (local.get $y))
        (table.set $t (i32.const 1) (local.get $f))
        (call $log (call_indirect $t (type $ii) (i32.const 10) (i32.const 1)))
        (call $sleep (i32.const 2))
        (local.get $x)))`,
    calls: [['run', 'hello', 0], ['run', 'world', 1]],
    expect: ['hello', 'world'],
  },
  {
    name: 'call_ref, and GC references live across a suspension',
    node: 26,
    assembler: 'binaryen', // WABT 1.0.32 predates GC
    wat: `(module
      ${SLEEP_LOG_HEADER}
      (type $ii (func (param i32) (result i32)))
      (type $box (struct (field (mut i32))))
      (elem declare func $sleepy $plain)
      (func $sleepy (type $ii) (call $sleep (local.get 0)) (i32.mul (local.get 0) (i32.const 3)))
      (func $plain (type $ii) (i32.add (local.get 0) (i32.const 7)))
      (func $apply (param $f (ref $ii)) (param $b (ref $box)) (result i32)
        (call $sleep (i32.const 100))
        (struct.set $box 0 (local.get $b) (call_ref $ii (struct.get $box 0 (local.get $b)) (local.get $f)))
        (call $sleep (i32.const 101))
        (struct.get $box 0 (local.get $b)))
      (func (export "run") (param $k i32) (result i32)
        (local $b (ref null $box))
        (local.set $b (struct.new $box (local.get $k)))
        (i32.add
          (call $apply (select (result (ref $ii)) (ref.func $sleepy) (ref.func $plain) (local.get $k)) (ref.as_non_null (local.get $b)))
          (struct.get $box 0 (local.get $b)))))`,
    calls: [['run', 5], ['run', 0]],
    expect: [30, 14],
  },
  {
    name: 'results of non-nullable reference types, and a kept tail call with non-nullable parameters',
    // While unwinding, each function returns a value built for its result type (structs
    // with non-nullable fields, a function type no function has exactly, arrays, any,
    // extern, eq); the tail call's prologue passes such values when calling again.
    node: 26,
    assembler: 'weft', // binaryen.js turns the multi-value GC results into tuples it then rejects
    wat: `(module
      ${SLEEP_LOG_HEADER}
      (rec
        (type $pt (struct (field $x i32) (field $next (ref null $pt))))
        (type $fn (func (param i32) (result i32)))
        (type $box (struct (field $p (ref $pt)) (field $f (ref $fn)) (field $tag i8)))
        (type $arr (array (mut i32)))
        (type $gen (sub (func (result f64))))
        (type $gen2 (sub $gen (func (result f64)))))
      (elem declare func $double $seven)
      (func $double (type $fn) (i32.mul (local.get 0) (i32.const 2)))
      (func $seven (type $gen2) (f64.const 7))
      (func $mk (param $x i32) (result (ref $pt))
        (call $sleep (local.get $x))
        (struct.new $pt (local.get $x) (ref.null $pt)))
      (func $getf (param $x i32) (result (ref $fn))
        (call $sleep (local.get $x))
        (ref.func $double))
      (func $getgen (param $x i32) (result (ref $gen))
        (call $sleep (local.get $x))
        (ref.func $seven))
      (func $mkbox (param $x i32) (result (ref $box))
        (struct.new $box (call $mk (local.get $x)) (call $getf (local.get $x)) (i32.const 1)))
      (func $many (param $x i32) (result (ref any) (ref extern) (ref $arr) (ref eq))
        (call $sleep (local.get $x))
        (ref.i31 (local.get $x))
        (extern.convert_any (ref.i31 (i32.const 3)))
        (array.new $arr (local.get $x) (i32.const 2))
        (ref.i31 (i32.const 4)))
      (func $use (param $b (ref $box)) (param $k i32) (result i32)
        (call $sleep (local.get $k))
        (i32.add
          (struct.get $pt $x (struct.get $box $p (local.get $b)))
          (call_ref $fn (local.get $k) (struct.get $box $f (local.get $b)))))
      (func $tail (param $x i32) (result i32)
        (return_call $use (call $mkbox (local.get $x)) (i32.add (local.get $x) (i32.const 1))))
      (func (export "run") (param $x i32) (result i32)
        (local $a (ref null $arr))
        (local $e (ref null eq))
        (local $r i32)
        (call $many (local.get $x))
        (local.set $e)
        (local.set $a)
        (drop)
        (local.set $r (i31.get_s (ref.cast (ref i31))))
        (local.set $r (i32.add (local.get $r) (array.get $arr (local.get $a) (i32.const 1))))
        (local.set $r (i32.add (local.get $r) (i31.get_s (ref.cast (ref i31) (local.get $e)))))
        (local.set $r (i32.add (local.get $r) (i32.trunc_f64_s (call_ref $gen (call $getgen (local.get $x))))))
        (i32.add (local.get $r) (call $tail (local.get $x)))))`,
    calls: [['run', 3], ['run', 0]],
    expect: [28, 13],
  },
  {
    name: 'legacy try/catch: suspensions inside catch and catch_all bodies',
    wat: `(module
      ${SLEEP_LOG_HEADER}
      (tag $e (param i32))
      (tag $f)
      (func $thrower (param $x i32)
        (if (i32.eq (local.get $x) (i32.const 1)) (then (throw $e (i32.const 77))))
        (if (i32.eq (local.get $x) (i32.const 2)) (then (throw $f))))
      (func (export "run") (param $x i32) (result i32)
        (local $r i32)
        (block $out
          (try (result i32)
            (do (call $thrower (local.get $x)) (call $sleep (i32.const 5)) (i32.const 10))
            (catch $e
              (call $sleep (i32.const 6))
              (local.set $r)
              (br_if $out (i32.eq (local.get $r) (i32.const 0)))
              (call $sleep (local.get $r))
              (i32.add (local.get $r) (i32.const 1)))
            (catch_all
              (call $sleep (i32.const 7))
              (i32.const 20)))
          (local.set $r)
          (call $log (local.get $r)))
        (call $sleep (i32.const 8))
        (local.get $r)))`,
    calls: [['run', 0], ['run', 1], ['run', 2]],
    expect: [10, 78, 20],
  },
  {
    name: 'legacy try/catch: a try with parameters, and a tag of two values, suspending in their handlers',
    wat: `(module
      ${SLEEP_LOG_HEADER}
      (type $pi (func (param i32) (result i32)))
      (tag $two (param i32 i64))
      (tag $one (param i32))
      (func $thrower (param $x i32)
        (if (i32.eq (local.get $x) (i32.const 1)) (then (throw $two (i32.const 40) (i64.const 2))))
        (if (i32.eq (local.get $x) (i32.const 2)) (then (throw $one (i32.const 9)))))
      (func (export "run") (param $x i32) (result i32)
        (local $w i64)
        ;; the try takes its operand (x * 3) as a block parameter
        (i32.mul (local.get $x) (i32.const 3))
        (try (type $pi)
          (do (call $thrower (local.get $x)) (call $sleep (i32.const 1)) (i32.const 5) (i32.add))
          (catch $two
            (local.set $w)
            (call $sleep (i32.const 2))
            (i32.add (i32.wrap_i64 (local.get $w)))
            (call $sleep (i32.const 3)))
          (catch_all
            (call $sleep (i32.const 4))
            (i32.const 100)))
        (call $log (local.get $x))))`,
    calls: [['run', 0], ['run', 1], ['run', 2]],
    expect: [5, 42, 100],
  },
  {
    name: 'a tail call into an import inside a try: what it throws still passes the try (legacy and try_table)',
    // The tail calls become a call, the check and return; wrapped so that a JS error thrown
    // by the import escapes this function's catch_all, as it does from the tail call.
    node: 26,
    assembler: 'weft',
    imports: THROWER,
    wat: `(module
      ${THROWER_HEADER}
      (table $t 1 funcref)
      (elem (table $t) (i32.const 0) func $thrower)
      (type $ii (func (param i32) (result i32)))
      (func $direct (param $x i32) (result i32)
        (block $h
          (try_table (catch_all $h)
            (call $sleep (i32.const 1))
            (return_call $thrower (local.get $x))))
        (i32.const -1))
      (func $indirect (param $x i32) (result i32)
        (block $h
          (try_table (catch_all $h)
            (call $sleep (i32.const 2))
            (return_call_indirect $t (type $ii) (local.get $x) (i32.const 0))))
        (i32.const -2))
      (func (export "run") (param $x i32) (result i32)
        (i32.add (call $direct (local.get $x)) (call $indirect (i32.add (local.get $x) (i32.const 1)))))
      (func (export "run2") (param $x i32) (result i32)
        (call $indirect (local.get $x))))`,
    calls: [['run', 2], ['run', 0], ['run2', 5], ['run', 1]],
    expect: [15, 'trap: boom', 15, 'trap: boom'],
  },
  {
    name: 'a tail call into an import inside a legacy try: what it throws still passes the try',
    imports: THROWER,
    wat: `(module
      ${THROWER_HEADER}
      (func $inner (param $x i32) (result i32)
        (try (result i32)
          (do
            (block $b
              (try (do (call $sleep (i32.const 1)) (return_call $thrower (local.get $x)))
                (catch_all (call $log (i32.const -3)))))
            (i32.const -1))
          (catch_all (i32.const -2))))
      (func (export "run") (param $x i32) (result i32)
        (call $inner (local.get $x))))`,
    calls: [['run', 2], ['run', 1], ['run', 0]],
    expect: [6, 'trap: boom', 0],
  },
  {
    name: 'a tail call in a cleanup run in place for a JS exception: what it throws passes the outer try',
    imports: {
      boom: (x) => { if (x === 3) throw new Error('boom'); },
      thrower: (x) => { if (x === 3) throw new Error('tail'); return x; },
    },
    wat: `(module
      (import "env" "sleep" (func $sleep (param i32)))
      (import "env" "log" (func $log (param i32)))
      (import "env" "boom" (func $boom (param i32)))
      (import "env" "thrower" (func $thrower (param i32) (result i32)))
      (memory (export "memory") 1)
      (tag $e (param i32))
      (func $f (param $x i32) (result i32)
        (try (result i32)
          (do
            (try (result i32)
              (do
                (call $boom (local.get $x))
                (if (i32.eq (local.get $x) (i32.const 5)) (then (throw $e (local.get $x))))
                (i32.const 1))
              (catch_all
                (if (i32.eq (local.get $x) (i32.const 5)) (then (call $sleep (i32.const 1))))
                (if (i32.eq (local.get $x) (i32.const 3)) (then (return_call $thrower (local.get $x))))
                (rethrow 0))))
          (catch_all (i32.const -1))))
      (func (export "run") (param $x i32) (result i32) (call $f (local.get $x))))`,
    calls: [['run', 0], ['run', 5], ['run', 3]],
    expect: [1, -1, 'trap: tail'],
  },
  {
    name: 'legacy try/delegate: suspensions inside delegating tries and in the handlers they delegate to',
    wat: `(module
      ${SLEEP_LOG_HEADER}
      (tag $e (param i32))
      (func $thrower (param $x i32)
        (call $sleep (i32.const 1))
        (if (local.get $x) (then (throw $e (local.get $x)))))
      (func (export "run") (param $x i32) (result i32)
        (local $r i32)
        (try $outer (result i32)
          (do
            (block $b
              (try $inner
                (do
                  (call $sleep (i32.const 2))
                  (try (do (call $thrower (local.get $x)) (call $sleep (i32.const 3))) (delegate $inner))
                  (call $log (i32.const 4)))
                (catch $e
                  (local.set $r)
                  (call $sleep (i32.const 5))
                  (br_if $b (i32.gt_s (local.get $r) (i32.const 10)))
                  (try (do (throw $e (i32.add (local.get $r) (i32.const 100)))) (delegate $outer)))))
            (i32.add (local.get $r) (i32.const 1)))
          (catch $e (call $sleep (i32.const 6)) (i32.const 1000) (i32.add)))))`,
    calls: [['run', 0], ['run', 3], ['run', 20]],
    expect: [1, 1103, 21],
  },
  {
    name: 'legacy try/catch: C++-style cleanups (catch_all, then rethrow) and catches that rethrow, suspending in them',
    // A catch_all that rethrows an exception of a module tag is thrown again from its kept
    // payload (two tags: the handler tells them apart); one of no module tag (the JS error
    // from boom) runs the handler in place, which does not suspend then.
    imports: { boom: (x) => { if (x === 3) throw new Error('boom'); } },
    wat: `(module
      (import "env" "sleep" (func $sleep (param i32)))
      (import "env" "log" (func $log (param i32)))
      (import "env" "boom" (func $boom (param i32)))
      (memory (export "memory") 1)
      (tag $e (param i32))
      (tag $f (param i64 i32))
      (func $thrower (param $x i32)
        (call $boom (local.get $x))
        (if (i32.eq (local.get $x) (i32.const 1)) (then (throw $e (i32.const 77))))
        (if (i32.eq (local.get $x) (i32.const 2)) (then (throw $f (i64.const 5) (i32.const 6)))))
      (func $cleanup (param $x i32) (result i32)
        (local $k i32)
        (local.set $k (i32.mul (local.get $x) (i32.const 10)))
        (try (result i32)
          (do (call $thrower (local.get $x)) (call $sleep (i32.const 1)) (local.get $k))
          (catch_all
            (if (i32.ne (local.get $x) (i32.const 3)) (then (call $sleep (i32.const 2))))
            (call $log (local.get $k))
            (if (i32.ne (local.get $x) (i32.const 3)) (then (call $sleep (i32.const 3))))
            (rethrow 0))))
      (func (export "run") (param $x i32) (result i32)
        (local $y i32)
        (try (result i32)
          (do
            (try (result i32)
              (do (call $cleanup (local.get $x)))
              (catch $e
                (call $sleep (i32.const 4))
                (call $log)
                (call $sleep (i32.const 5))
                (if (local.get $x) (then (rethrow 1)))
                (i32.const -1))))
          (catch $e (i32.add (i32.const 1000)))
          (catch $f
            (local.set $y)
            (i32.wrap_i64)
            (call $sleep (i32.const 6))
            (local.get $y)
            (i32.add)))))`,
    calls: [['run', 0], ['run', 1], ['run', 2], ['run', 3], ['run', 1]],
    expect: [0, 1077, 11, 'trap: boom', 1077],
  },
  {
    name: '--import-globals: the state in imported globals, every defined global moved',
    options: { importGlobals: true },
    wat: `(module
      (import "env" "sleep" (func $sleep (param i32)))
      (import "env" "g0" (global $g0 i32))
      (memory (export "memory") 1)
      (global $count (mut i32) (i32.const 100))
      (global $twice i32 (global.get $g0))
      (global $other (export "other") (mut i64) (i64.const 5))
      (func (export "run") (param $x i32) (result i32)
        (global.set $count (i32.add (global.get $count) (local.get $x)))
        (call $sleep (global.get $count))
        (global.set $other (i64.add (global.get $other) (i64.const 1)))
        (i32.add (global.get $count) (i32.add (global.get $twice) (i32.wrap_i64 (global.get $other))))))`,
    imports: { g0: 7 },
    calls: [['run', 1], ['run', 2]],
    expect: [114, 117],
  },
  {
    name: '--in-secondary-memory: frames in a memory of their own',
    node: 26,
    options: { secondaryMemoryPages: 2 },
    wat: `(module
      (import "env" "sleep" (func $sleep (param i32)))
      (memory (export "memory") 1)
      (func $f (param $n i32) (result i32)
        (if (result i32) (i32.eqz (local.get $n))
          (then (call $sleep (i32.const 0)) (i32.const 1))
          (else (i32.mul (i32.const 2) (call $f (i32.sub (local.get $n) (i32.const 1)))))))
      (func (export "run") (param $n i32) (result i32)
        (i32.store (i32.const 16) (i32.const 1234))
        (i32.add (call $f (local.get $n)) (i32.load (i32.const 16)))))`,
    calls: [['run', 10]],
    expect: [1024 + 1234],
  },
  {
    name: '200 locals live across a suspension (-O renumbers them)',
    wat: `(module
      (import "env" "sleep" (func $sleep (param i32)))
      (memory (export "memory") 1)
      (func (export "run") (param $x i32) (result i64)
        ${Array.from({ length: 200 }, (_, i) => `(local $l${i} ${i % 3 ? 'i32' : 'i64'})`).join(' ')}
        ${Array.from({ length: 200 }, (_, i) => `(local.set $l${i} (${i % 3 ? 'i32' : 'i64'}.const ${i * 7}))`).join(' ')}
        (call $sleep (local.get $x))
        (i64.add (i64.const 0)
          ${Array.from({ length: 200 }, (_, i) => (i % 3 ? `(i64.add (i64.extend_i32_u (local.get $l${i}))` : `(i64.add (local.get $l${i})`)).join(' ')}
          (i64.extend_i32_u (local.get $x)) ${')'.repeat(200)})))`,
    calls: [['run', 5]],
    expect: [BigInt(Array.from({ length: 200 }, (_, i) => i * 7).reduce((a, b) => a + b, 0) + 5)],
  },
  {
    // A call's arguments are recomputed when rewinding where that is sound: loads whose
    // address is exact, local.tee of exact values (i++), select. The callee changes memory
    // before it suspends, so a load recomputed into a local would be caught.
    name: 'recomputed call arguments: loads, local.tee, select',
    wat: `(module
      (import "env" "sleep" (func $sleep (param i32) (result i32)))
      (import "env" "log" (func $log (param i32)))
      (memory (export "memory") 1)
      (func $use (param i32 i32 i32) (result i32)
        (i32.store (i32.const 64) (i32.add (i32.load (i32.const 64)) (i32.const 100)))
        (call $log (local.get 0)) (call $log (local.get 1)) (call $log (local.get 2))
        (i32.add (call $sleep (local.get 0)) (i32.add (local.get 1) (local.get 2))))
      (func (export "run") (param $n i32) (result i32)
        (local $i i32) (local $p i32) (local $acc i32)
        (i32.store (i32.const 64) (i32.const 1000))
        (i32.store (i32.const 68) (i32.const 7))
        (loop $l
          (local.set $acc (i32.add (local.get $acc)
            (call $use (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                       (i32.load offset=68 (local.get $p))
                       (select (local.get $i) (i32.const 5) (i32.and (local.get $n) (local.get $i))))))
          (local.set $acc (i32.add (local.get $acc)
            (call $use (local.tee $p (i32.load (i32.const 64))) (local.get $p) (local.get $i))))
          (call $log (local.get $p))
          (local.set $p (i32.const 0))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (local.get $acc)))`,
    calls: [['run', 3], ['run', 4]],
    expect: null,
  },
  {
    // An if's condition computed from locals is computed again when rewinding, unless an
    // arm writes one of them before suspending (then it must be kept as it was).
    name: 'if conditions recomputed, or kept where an arm writes their locals',
    wat: `(module
      (import "env" "sleep" (func $sleep (param i32) (result i32)))
      (import "env" "log" (func $log (param i32)))
      (memory (export "memory") 1)
      (func (export "run") (param $x i32) (param $y i32) (result i32)
        (local $acc i32)
        (if (i32.gt_s (local.get $x) (i32.const 2))
          (then (local.set $acc (call $sleep (local.get $x))) (call $log (local.get $acc)))
          (else (local.set $acc (call $sleep (i32.const 50))) (call $log (local.get $acc))))
        (if (i32.eq (local.get $y) (local.get $x))
          (then
            (local.set $y (i32.const 0))
            (local.set $acc (i32.add (local.get $acc) (call $sleep (i32.const 7)))))
          (else (local.set $acc (i32.sub (local.get $acc) (call $sleep (i32.const 9))))))
        (call $log (local.get $y))
        (i32.add (local.get $acc) (local.get $y))))`,
    calls: [['run', 3, 3], ['run', 1, 1], ['run', 4, 5]],
    expect: null,
  },
  {
    // An if with sites in one arm only keeps no condition in the frame: its spill reads zero
    // when rewinding, so the else arm takes the condition as it is and the then arm its eqz
    // (a comparison's negation, an eqz's operand, or an added eqz). Each condition reads
    // memory its arm changes before suspending, so it cannot be computed again either; a
    // level that starts with such an if gets its condition from the dispatch instead.
    name: 'if conditions with sites in one arm only, not saved',
    wat: `(module
      (import "env" "sleep" (func $sleep (param i32) (result i32)))
      (import "env" "log" (func $log (param i32)))
      (memory (export "memory") 1)
      (func (export "run") (param $x i32) (result i32)
        (local $acc i32) (local $i i32)
        (i32.store (i32.const 8192) (local.get $x))
        (i32.store (i32.const 8216) (i32.and (local.get $x) (i32.const 1)))
        (i32.store (i32.const 8220) (i32.and (local.get $x) (i32.const 2)))
        (loop $l
          (i32.store (i32.const 8196) (local.get $i))
          (i32.store (i32.const 8200) (i32.and (local.get $i) (i32.const 1)))
          (i64.store (i32.const 8208) (i64.extend_i32_u (i32.and (local.get $i) (i32.const 2))))
          (i32.store (i32.const 8204) (i32.shl (local.get $i) (i32.const 1)))
          ;; a site first, so that the ifs below do not start their level
          (local.set $acc (i32.add (local.get $acc) (call $sleep (local.get $i))))
          (if (i32.ne (i32.load (i32.const 8192)) (i32.const 0))
            (then
              (i32.store (i32.const 8192) (i32.sub (i32.load (i32.const 8192)) (i32.const 1)))
              (local.set $acc (i32.add (local.get $acc) (call $sleep (i32.const 3))))))
          (if (i32.and (i32.load (i32.const 8196)) (i32.const 1))
            (then (call $log (i32.const 111)))
            (else
              (i32.store (i32.const 8196) (i32.const 5))
              (local.set $acc (i32.sub (local.get $acc) (call $sleep (i32.const 4))))))
          (if (i32.eqz (i32.load (i32.const 8200)))
            (then (i32.store (i32.const 8200) (i32.const 1)) (drop (call $sleep (i32.const 5)))))
          (if (i64.eqz (i64.load (i32.const 8208)))
            (then (i64.store (i32.const 8208) (i64.const 2)) (drop (call $sleep (i32.const 6)))))
          (if (i32.and (i32.load (i32.const 8204)) (i32.const 4))
            (then (i32.store (i32.const 8204) (i32.const 0)) (drop (call $sleep (i32.const 7)))))
          (call $log (local.get $acc))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (i32.const 4))))
        ;; levels that start with such an if
        (block
          (if (i32.load (i32.const 8216))
            (then (i32.store (i32.const 8216) (i32.const 0)) (local.set $acc (i32.add (local.get $acc) (call $sleep (i32.const 8)))))))
        (block
          (if (i32.load (i32.const 8220))
            (then (call $log (i32.const 222)))
            (else (i32.store (i32.const 8220) (i32.const 3)) (local.set $acc (i32.add (local.get $acc) (call $sleep (i32.const 9)))))))
        (i32.add (local.get $acc) (i32.load (i32.const 8192)))))`,
    options: { imports: ['env.sleep'] },
    calls: [['run', 0], ['run', 1], ['run', 2], ['run', 3]],
    expect: null,
  },
  {
    // Values below a call's arguments computed from locals are computed again when
    // rewinding, from the restored locals (saved for it even where dead after the call),
    // unless the arguments write one of them (then they are kept as they were).
    name: 'values below call arguments recomputed from locals',
    wat: `(module
      (import "env" "sleep" (func $sleep (param i32) (result i32)))
      (import "env" "log" (func $log (param i32)))
      (memory (export "memory") 1)
      (table 1 funcref)
      (elem (i32.const 0) $add)
      (type $t (func (param i32 i32) (result i32)))
      (func $add (param i32 i32) (result i32) (i32.add (local.get 0) (call $sleep (local.get 1))))
      (func (export "run") (param $x i32) (result i32)
        (local $a i32) (local $b i32) (local $c i32) (local $r i32)
        (local.set $a (i32.mul (local.get $x) (i32.const 3)))
        (local.set $c (i32.add (local.get $x) (i32.const 7)))
        ;; $a and $c are dead after these calls
        (local.set $r (i32.add (i32.mul (local.get $a) (i32.const 5)) (call $sleep (i32.const 1))))
        (local.set $r (i32.add (local.get $r)
          (i32.sub (local.get $c) (i32.add (local.get $a) (call $sleep (local.get $x))))))
        (local.set $r (i32.add (local.get $r)
          (i32.xor (local.get $c) (call_indirect (type $t) (local.get $x) (i32.const 2) (i32.const 0)))))
        ;; the argument writes $b, read below it
        (local.set $b (i32.add (local.get $x) (i32.const 1)))
        (local.set $r (i32.add (local.get $r) (i32.add (local.get $b) (call $sleep (local.tee $b (i32.const 100))))))
        (call $log (local.get $b))
        (local.get $r)))`,
    options: { imports: ['env.sleep'] },
    calls: [['run', 2], ['run', 9]],
    expect: null,
  },
  {
    // Values below a site pushed before an earlier one, by pure code over a local and an
    // immutable global, are computed again after the landing instead of being spilled.
    name: 'values below two sites computed by pure code over a local and an immutable global',
    wat: `(module
      ${SLEEP_LOG_HEADER}
      (global $base i32 (i32.const 1000))
      (func $id (param i32) (result i32) (call $sleep (local.get 0)) (local.get 0))
      (func (export "run") (param $x i32) (result i32)
        (i32.add
          (i32.add (global.get $base) (local.get $x))
          (i32.add (call $id (local.get $x)) (i32.mul (local.get $x) (call $id (i32.const 2)))))))`,
    calls: [['run', 3], ['run', 5]],
    expect: [1012, 1020],
  },
  {
    // An if with sites in its then arm only computes a condition that loads from memory
    // again when rewinding, or'ed with the state (memory may have changed: the arm clears
    // what it tested; it may write the locals the condition reads). Its load addresses must
    // come out as they did: from locals that are saved and that the arms do not write; else
    // the condition is kept.
    name: 'then-only if conditions that load, computed again',
    wat: `(module
      (import "env" "sleep" (func $sleep (param i32) (result i32)))
      (import "env" "log" (func $log (param i32)))
      (memory (export "memory") 1)
      (func (export "run") (param $p i32) (result i32)
        (local $acc i32) (local $q i32) (local $r i32) (local $w i32)
        (local.set $q (i32.add (local.get $p) (i32.const 4)))
        (local.set $r (i32.add (local.get $p) (i32.const 108)))
        (i32.store (local.get $p) (i32.const 1))
        (i32.store (local.get $q) (i32.const 1))
        (i32.store offset=8 (local.get $p) (i32.const 1))
        ;; $r is dead after this condition: not saved, it would be zero when rewinding
        (if (i32.load (i32.sub (local.get $r) (i32.const 100)))
          (then
            (i32.store offset=8 (local.get $p) (i32.const 0))
            (local.set $acc (call $sleep (i32.const 4)))))
        (local.set $acc (i32.add (local.get $acc) (call $sleep (i32.const 1))))
        (if (i32.load (local.get $p))
          (then
            (i32.store (local.get $p) (i32.const 0))
            (local.set $acc (i32.add (local.get $acc) (call $sleep (i32.const 2))))))
        ;; the arm moves $q out of bounds before suspending
        (if (i32.load (local.get $q))
          (then
            (local.set $q (i32.const -4))
            (local.set $acc (i32.add (local.get $acc) (call $sleep (i32.const 3))))))
        ;; the arm writes a local the condition's value (not an address) reads
        (local.set $w (i32.const 1))
        (i32.store (local.get $p) (i32.const 1))
        (if (i32.and (local.get $w) (i32.load (local.get $p)))
          (then
            (local.set $w (i32.const 0))
            (local.set $acc (i32.add (local.get $acc) (call $sleep (i32.const 6))))))
        (call $log (local.get $w))
        ;; the address is loaded, and the arm makes it out of bounds
        (i32.store offset=12 (local.get $p) (i32.add (local.get $p) (i32.const 16)))
        (i32.store offset=16 (local.get $p) (i32.const 1))
        (if (i32.load (i32.load offset=12 (local.get $p)))
          (then
            (i32.store offset=12 (local.get $p) (i32.const -4))
            (local.set $acc (i32.add (local.get $acc) (call $sleep (i32.const 5))))))
        (call $log (i32.add (local.get $p) (local.get $q)))
        (local.get $acc)))`,
    options: { imports: ['env.sleep'] },
    calls: [['run', 8192], ['run', 9000]],
    expect: null,
  },
  {
    // A call's argument that loads is computed again when rewinding only if its address
    // is: the callee here changes the pointer it was loaded through before suspending.
    name: 'call arguments loaded through loaded pointers are kept',
    wat: `(module
      (import "env" "sleep" (func $sleep (param i32) (result i32)))
      (memory (export "memory") 1)
      (func $f (param $v i32) (result i32)
        (i32.store (i32.const 8204) (i32.const -4))
        (i32.add (local.get $v) (call $sleep (i32.const 1))))
      (func (export "run") (result i32)
        (i32.store (i32.const 8204) (i32.const 8208))
        (i32.store (i32.const 8208) (i32.const 5))
        (call $f (i32.load (i32.load (i32.const 8204))))))`,
    options: { imports: ['env.sleep'] },
    calls: [['run'], ['run']],
    expect: [6, 6],
  },
  {
    // More than 64 sites: they are numbered from -64 (one-byte constants), so the dispatches
    // compare signed and index their tables from a negative first site.
    name: 'a function of 151 sites',
    wat: `(module
      (import "env" "sleep" (func $sleep (param i32) (result i32)))
      (import "env" "log" (func $log (param i32)))
      (memory (export "memory") 1)
      (func (export "run") (param $x i32) (result i32)
        (local $acc i32) (local $i i32)
        (local.set $acc (local.get $x))
        (block ${Array.from({ length: 40 }, (_, k) => `(local.set $acc (i32.add (local.get $acc) (call $sleep (i32.const ${k}))))`).join(' ')})
        (if (i32.and (local.get $x) (i32.const 1))
          (then ${Array.from({ length: 45 }, (_, k) => `(local.set $acc (i32.xor (local.get $acc) (call $sleep (i32.const ${100 + k}))))`).join(' ')})
          (else ${Array.from({ length: 30 }, (_, k) => `(local.set $acc (i32.sub (local.get $acc) (call $sleep (i32.const ${200 + k}))))`).join(' ')}))
        (local.set $acc (i32.add (local.get $acc) (call $sleep (i32.const 250))))
        (block
        (loop $l
          ${Array.from({ length: 5 }, (_, k) => `(local.set $acc (i32.add (local.get $acc) (call $sleep (i32.add (local.get $i) (i32.const ${300 + k})))))`).join(' ')}
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $x))))
        ${Array.from({ length: 30 }, (_, k) => `(local.set $acc (i32.add (local.get $acc) (call $sleep (i32.const ${400 + k}))))`).join(' ')})
        (call $log (local.get $i))
        (local.get $acc)))`,
    options: { imports: ['env.sleep'] },
    calls: [['run', 3], ['run', 2]],
    expect: null,
  },
];
