;; FIXED (was a LIMITATION, shared with Binaryen): a call_indirect was dispatched through the table again when rewinding, so if the callee rewrote the slot before suspending, the rewind entered the new occupant (here $f1, which is not instrumented) and the export returned in state 2. Now a call_indirect through a table that bodies rewrite calls a wrapper that, when rewinding, calls the function whose frame is on top (flow.ts, RETARGET).
;; RUN: {"options":{"imports":["env.sleep_v"]},"calls":[{"name":"main","args":[1]}],"p":1}
;; Untransformed: sleep_v 4, main(1) = 28.
(module
  (type $t (func (param i32) (result i32)))
  (import "env" "sleep_v" (func $sleep_v (param i32) (result i32)))
  (memory (export "memory") 1)
  (table $tab 2 funcref)
  (elem (i32.const 0) func $f1 $f4)
  (func (export "init") (param i32))
  (func $f1 (param i32) (result i32) (i32.const 7))
  (func $f4 (param i32) (result i32)
    (table.set $tab (i32.const 1) (ref.func $f1))
    (call $sleep_v (i32.const 4)))
  (func (export "main") (param i32) (result i32)
    (table.set $tab (i32.const 1) (ref.func $f4))
    (call_indirect (type $t) (i32.const 0) (i32.const 1))))
