;; A small module for the README's first command: a few functions, a loop, memory,
;; a table, an exported global and a name section.
(module $hello
  (import "env" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  (global $counter (export "counter") (mut i32) (i32.const 0))
  (table 2 funcref)
  (elem (i32.const 0) $fib $fact)
  (data (i32.const 16) "hello, weft")

  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else
        (i32.add
          (call $fib (i32.sub (local.get $n) (i32.const 1)))
          (call $fib (i32.sub (local.get $n) (i32.const 2)))))))

  (func $fact (export "fact") (param $n i32) (result i32)
    (local $acc i32)
    (local.set $acc (i32.const 1))
    (block $done
      (loop $next
        (br_if $done (i32.le_u (local.get $n) (i32.const 1)))
        (local.set $acc (i32.mul (local.get $acc) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $acc))

  (func (export "call") (param $i i32) (param $x i32) (result i32)
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (call $log (local.get $i))
    (call_indirect (param i32) (result i32) (local.get $x) (local.get $i)))
)
