;; FIXED in cca4079 (was: a return_call that may unwind, inside a legacy try, becomes call + return, so the callee now runs inside the try and its exception is caught by the handler (it must leave the function: return_call has already dropped the caller's frame).)
;; RUN: {"options":{"imports":["env.sleep"]},"calls":[{"name":"main","args":[5]}],"p":1}
;; Found by the fuzzer (seed 10549 with stmtBudget 60, maxFuncs 7), reduced by hand.
;; Untransformed: sleep 5, then the exception escapes main. weft: the handler runs (log_i32 5) and main returns -1.
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
    (try (result i32)
      (do (return_call $thrower (local.get 0)))
      (catch $e (call $log_i32) (i32.const -1)))))
