;; BUG: the same as return-call-in-try.wat with try_table: after the rewrite the callee runs inside the try_table and its exception is caught (log_i32 5, main returns -1); untransformed, it leaves main.
;; RUN: {"options":{"imports":["env.sleep"]},"calls":[{"name":"main","args":[5]}],"p":1,"node26":true}
(module
  (import "env" "sleep" (func $sleep (param i32)))
  (import "env" "log_i32" (func $log_i32 (param i32)))
  (memory (export "memory") 1)
  (tag $e (param i32))
  (func (export "init") (param i32))
  (func $thrower (param i32) (result i32)
    (call $sleep (local.get 0))
    (throw $e (local.get 0)))
  (func (export "main") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $e $h) (return_call $thrower (local.get 0)))
      (unreachable))
    (call $log_i32)
    (i32.const -1)))
