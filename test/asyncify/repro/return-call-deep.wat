;; FIXED in cca4079 (was: a return_call that may unwind becomes call + return, so a loop written as tail recursion (here 1,000,000 iterations, sleeping in the last) keeps every frame and overflows the native stack (and would overflow any asyncify buffer). Untransformed: main returns 42.)
;; RUN: {"options":{"imports":["env.sleep"]},"calls":[{"name":"main","args":[1000000]}],"p":1}
(module
  (import "env" "sleep" (func $sleep (param i32)))
  (memory (export "memory") 1)
  (func (export "init") (param i32))
  (func $loop (param i32) (result i32)
    (if (i32.eqz (local.get 0)) (then (call $sleep (i32.const 0)) (return (i32.const 42))))
    (return_call $loop (i32.sub (local.get 0) (i32.const 1))))
  (func (export "main") (param i32) (result i32) (call $loop (local.get 0))))
