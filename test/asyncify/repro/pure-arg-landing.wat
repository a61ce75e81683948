;; FIXED in e4dbe82 (was: invalid output (since 91437e3, "pure argument code is recomputed when rewinding"): the spill before the site lands one instruction too early, between f32.const and i32.trunc_sat_f32_s, so an f32 is local.set into the i32 slot of the value below the call's arguments ("type mismatch: expected i32, found f32"). A unary op (1 in, 1 out) just before the argument code is taken as part of it. The fuzzer hit this in 31 of seeds 1-200.)
;; RUN: {"options":{"imports":["env.sleep_v"]},"calls":[{"name":"main","args":[]}],"p":1}
(module
  (import "env" "sleep_v" (func $sleep_v (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "init") (param i32))
  (func (export "main") (result i32)
    (i32.trunc_sat_f32_s (f32.const 2.5))
    (call $sleep_v (i32.const 1))
    (i32.add)))
