;; The validator's fast core: checks one function body straight from its bytes, for the
;; subset that makes up nearly all real code: numeric and vector types only (no references,
;; no GC, no exceptions, no atomics, no tail calls), one 32-bit memory. It answers 1 (valid)
;; or 0 ("not sure"): on 0 the complete validator in func.ts checks the body again and says
;; what is wrong. So it may give up on anything, but must never accept an invalid body.
;;
;; Assembled by weft's own text parser at build time (scripts/build-core.mjs). Written in
;; wasm because a byte-dispatch loop here runs at engine speed from its first call (Liftoff,
;; then TurboFan), with no JS warm-up or deoptimization.
;;
;; Memory layout (core.ts writes the tables; addresses are fixed here):
;;   0x00000 DESC    1408 descriptors of 8 bytes, by op: single-byte ops at their byte,
;;                   prefixed ones at 256 + (prefix - 0xfb) * 288 + sub-opcode:
;;                   +0 kind, +1 operand count, +2..+4 operand types, +5 result type (0: none),
;;                   +6 natural alignment (log2), +7 lane count
;;   0x02c00 SINGLE  256 bytes, SINGLE[t] = t: the one-type list [t] of a block type
;;   0x03000 STACK   operand stack, one type byte per value (0 = unknown, after unreachable)
;;   0x12000 FRAMES  control frames of 16 bytes: +0 height (stack address), +4 types (params,
;;                   then results), +8 param count, +12 result count (u16), +14 kind, +15 unreachable
;;   0x22000 LOCALS  one type byte per local
;;   0x2e000 DYN     type infos, type lists, function types, globals, tables, then the body
(module
  (memory (export "memory") 4)

  (global $types (mut i32) (i32.const 0))   ;; 8 bytes per type: list address, param count (u16; 0xffff: not for the core), result count
  (global $ntypes (mut i32) (i32.const 0))
  (global $funcs (mut i32) (i32.const 0))   ;; type index per function (i32)
  (global $nfuncs (mut i32) (i32.const 0))
  (global $globals (mut i32) (i32.const 0)) ;; 2 bytes per global: type (0: not for the core), mutable
  (global $nglobals (mut i32) (i32.const 0))
  (global $tables (mut i32) (i32.const 0))  ;; 1 byte per table: 1 if call_indirect may use it (funcref, 32-bit)
  (global $ntables (mut i32) (i32.const 0))
  ;; Where a malformed LEB sends the position: past the body's end (the host leaves room
  ;; there), so the rest of the instruction reads harmlessly and the loop then gives up.
  (global $bad (mut i32) (i32.const 0))
  ;; Where the next call record goes, or 0 when calls are not recorded: (op, index, table)
  ;; as three i32s for each call and call_indirect, in order (asyncify's call graph needs
  ;; nothing else from a body the core takes).
  (global $rec (mut i32) (i32.const 0))
  ;; Where the next stack record goes, or 0 when stacks are not recorded (asyncify types the
  ;; operand stack with them): before each call, call_indirect, block, loop and if, the
  ;; instruction's index (i32), the stack height above the frame's, | 0x80000000 when the
  ;; frame is unreachable (i32), then that many type bytes (0: unknown), padded to 4. No
  ;; record may end past $slimit: the core gives up instead.
  (global $srec (mut i32) (i32.const 0))
  (global $slimit (mut i32) (i32.const 0))

  ;; Past the last call record written.
  (func (export "recorded") (result i32) (global.get $rec))
  ;; Past the last stack record written.
  (func (export "stacksEnd") (result i32) (global.get $srec))

  (func (export "init") (param $types i32) (param $ntypes i32) (param $funcs i32) (param $nfuncs i32)
        (param $globals i32) (param $nglobals i32) (param $tables i32) (param $ntables i32)
    (global.set $types (local.get $types)) (global.set $ntypes (local.get $ntypes))
    (global.set $funcs (local.get $funcs)) (global.set $nfuncs (local.get $nfuncs))
    (global.set $globals (local.get $globals)) (global.set $nglobals (local.get $nglobals))
    (global.set $tables (local.get $tables)) (global.set $ntables (local.get $ntables)))

  ;; An unsigned LEB128 of at most 32 bits at $p: (value, position after it), or (0, $bad).
  (func $u32 (param $p i32) (result i32 i32)
    (local $b i32) (local $v i32)
    (local.set $b (i32.load8_u (local.get $p)))
    (if (i32.lt_u (local.get $b) (i32.const 0x80)) (then (return (local.get $b) (i32.add (local.get $p) (i32.const 1)))))
    (local.set $v (i32.and (local.get $b) (i32.const 0x7f)))
    (local.set $b (i32.load8_u offset=1 (local.get $p)))
    (local.set $v (i32.or (local.get $v) (i32.shl (i32.and (local.get $b) (i32.const 0x7f)) (i32.const 7))))
    (if (i32.lt_u (local.get $b) (i32.const 0x80)) (then (return (local.get $v) (i32.add (local.get $p) (i32.const 2)))))
    (local.set $b (i32.load8_u offset=2 (local.get $p)))
    (local.set $v (i32.or (local.get $v) (i32.shl (i32.and (local.get $b) (i32.const 0x7f)) (i32.const 14))))
    (if (i32.lt_u (local.get $b) (i32.const 0x80)) (then (return (local.get $v) (i32.add (local.get $p) (i32.const 3)))))
    (local.set $b (i32.load8_u offset=3 (local.get $p)))
    (local.set $v (i32.or (local.get $v) (i32.shl (i32.and (local.get $b) (i32.const 0x7f)) (i32.const 21))))
    (if (i32.lt_u (local.get $b) (i32.const 0x80)) (then (return (local.get $v) (i32.add (local.get $p) (i32.const 4)))))
    (local.set $b (i32.load8_u offset=4 (local.get $p)))
    ;; The fifth byte holds bits 28-31 only.
    (if (i32.ge_u (local.get $b) (i32.const 0x10)) (then (return (i32.const 0) (global.get $bad))))
    (return (i32.or (local.get $v) (i32.shl (local.get $b) (i32.const 28))) (i32.add (local.get $p) (i32.const 5))))

  ;; Skips a signed LEB128 of at most 32 bits (its value is not needed): the position after it, or $bad.
  (func $s32 (param $p i32) (result i32)
    (local $b i32)
    (if (i32.lt_u (i32.load8_u (local.get $p)) (i32.const 0x80)) (then (return (i32.add (local.get $p) (i32.const 1)))))
    (if (i32.lt_u (i32.load8_u offset=1 (local.get $p)) (i32.const 0x80)) (then (return (i32.add (local.get $p) (i32.const 2)))))
    (if (i32.lt_u (i32.load8_u offset=2 (local.get $p)) (i32.const 0x80)) (then (return (i32.add (local.get $p) (i32.const 3)))))
    (if (i32.lt_u (i32.load8_u offset=3 (local.get $p)) (i32.const 0x80)) (then (return (i32.add (local.get $p) (i32.const 4)))))
    ;; The fifth byte: bits 28-31, then three copies of bit 31.
    (local.set $b (i32.and (i32.load8_u offset=4 (local.get $p)) (i32.const 0xf8)))
    (if (i32.or (i32.eqz (local.get $b)) (i32.eq (local.get $b) (i32.const 0x78))) (then (return (i32.add (local.get $p) (i32.const 5)))))
    (global.get $bad))

  ;; Skips a signed LEB128 of at most 64 bits.
  (func $s64 (param $p i32) (result i32)
    (local $i i32) (local $b i32)
    (loop $l
      (if (i32.lt_u (i32.load8_u (i32.add (local.get $p) (local.get $i))) (i32.const 0x80))
        (then (return (i32.add (local.get $p) (i32.add (local.get $i) (i32.const 1))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 9))))
    ;; The tenth byte: bit 63, then six copies of it.
    (local.set $b (i32.load8_u offset=9 (local.get $p)))
    (if (i32.or (i32.eqz (local.get $b)) (i32.eq (local.get $b) (i32.const 0x7f))) (then (return (i32.add (local.get $p) (i32.const 10)))))
    (global.get $bad))

  ;; Whether the top $n values match the types at $ts (an unknown value matches any type;
  ;; below the frame's height only an unreachable frame has values, all unknown). Pops nothing.
  (func $check (param $sp i32) (param $floor i32) (param $unr i32) (param $ts i32) (param $n i32) (result i32)
    (local $a i32) (local $t i32)
    (loop $l
      (if (i32.eqz (local.get $n)) (then (return (i32.const 1))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (local.set $sp (i32.sub (local.get $sp) (i32.const 1)))
      (if (i32.lt_s (local.get $sp) (local.get $floor))
        (then (return (local.get $unr))))
      (local.set $a (i32.load8_u (local.get $sp)))
      (local.set $t (i32.load8_u (i32.add (local.get $ts) (local.get $n))))
      (br_if $l (i32.or (i32.eq (local.get $a) (local.get $t)) (i32.eqz (local.get $a))))
      (return (i32.const 0)))
    (unreachable))

  ;; Pops $n values of the types at $ts: the new stack address, or 0 on a mismatch.
  (func $pop (param $sp i32) (param $floor i32) (param $unr i32) (param $ts i32) (param $n i32) (result i32)
    (if (i32.eqz (call $check (local.get $sp) (local.get $floor) (local.get $unr) (local.get $ts) (local.get $n)))
      (then (return (i32.const 0))))
    (local.set $sp (i32.sub (local.get $sp) (local.get $n)))
    (if (result i32) (i32.lt_s (local.get $sp) (local.get $floor)) (then (local.get $floor)) (else (local.get $sp))))

  ;; Pushes the $n types at $ts: the new stack address, or 0 when the stack is full.
  (func $push (param $sp i32) (param $ts i32) (param $n i32) (result i32)
    (if (i32.gt_u (i32.add (local.get $sp) (local.get $n)) (i32.const 0x11f00)) (then (return (i32.const 0))))
    (memory.copy (local.get $sp) (local.get $ts) (local.get $n))
    (i32.add (local.get $sp) (local.get $n)))

  ;; The types of the label at branch depth $x from the frame at $fp: (types, count), or
  ;; count -1 when there is no such label. A loop's label is its parameters, others' their results.
  (func $label (param $fp i32) (param $x i32) (result i32 i32)
    (local $f i32)
    (local.set $f (i32.sub (local.get $fp) (i32.shl (local.get $x) (i32.const 4))))
    (if (i32.or (i32.gt_u (local.get $x) (i32.const 4096)) (i32.lt_s (local.get $f) (i32.const 0x12000)))
      (then (return (i32.const 0) (i32.const -1))))
    (if (i32.eq (i32.load8_u offset=14 (local.get $f)) (i32.const 11))
      (then (return (i32.load offset=4 (local.get $f)) (i32.load offset=8 (local.get $f)))))
    (return (i32.add (i32.load offset=4 (local.get $f)) (i32.load offset=8 (local.get $f)))
            (i32.load16_u offset=12 (local.get $f))))

  ;; Validates the code entry at [$pos, $end) (locals, then instructions) of a function of
  ;; type $type: 1 if valid, 0 if the complete validator must decide. The host leaves 256
  ;; readable bytes after $end.
  (func (export "validate") (param $pos i32) (param $end i32) (param $type i32) (param $rec i32)
        (param $srec i32) (param $slimit i32) (result i32)
    (local $op i32) (local $d i32) (local $sp i32) (local $floor i32) (local $unr i32) (local $fp i32)
    (local $nl i32) (local $x i32) (local $t i32) (local $n i32) (local $ts i32) (local $np i32) (local $nr i32)
    (local $a i32) (local $b i32) (local $ix i32) (local $r i32)
    (global.set $bad (i32.add (local.get $end) (i32.const 16)))
    (global.set $rec (local.get $rec))
    (global.set $srec (local.get $srec))
    (global.set $slimit (local.get $slimit))
    (block $bail
      ;; The signature: its parameters are the first locals.
      (br_if $bail (i32.ge_u (local.get $type) (global.get $ntypes)))
      (local.set $t (i32.add (global.get $types) (i32.shl (local.get $type) (i32.const 3))))
      (local.set $np (i32.load16_u offset=4 (local.get $t)))
      (br_if $bail (i32.eq (local.get $np) (i32.const 0xffff)))
      (local.set $nr (i32.load16_u offset=6 (local.get $t)))
      (local.set $ts (i32.load (local.get $t)))
      (br_if $bail (i32.gt_u (local.get $np) (i32.const 0xc000)))
      (memory.copy (i32.const 0x22000) (local.get $ts) (local.get $np))
      (local.set $nl (local.get $np))
      ;; The declared locals: numeric or vector only.
      (call $u32 (local.get $pos)) (local.set $pos) (local.set $n)
      (block $done
        (loop $decl
          (br_if $done (i32.eqz (local.get $n)))
          (br_if $bail (i32.ge_u (local.get $pos) (local.get $end)))
          (call $u32 (local.get $pos)) (local.set $pos) (local.set $x)
          (local.set $t (i32.load8_u (local.get $pos)))
          (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
          (br_if $bail (i32.or (i32.lt_u (local.get $t) (i32.const 0x7b)) (i32.gt_u (local.get $t) (i32.const 0x7f))))
          (br_if $bail (i32.gt_u (local.get $x) (i32.sub (i32.const 0xc000) (local.get $nl))))
          (memory.fill (i32.add (i32.const 0x22000) (local.get $nl)) (local.get $t) (local.get $x))
          (local.set $nl (i32.add (local.get $nl) (local.get $x)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $decl)))
      ;; The function's frame: its label is its results.
      (local.set $sp (i32.const 0x3000))
      (local.set $floor (local.get $sp))
      (local.set $fp (i32.const 0x12000))
      (i32.store (local.get $fp) (local.get $sp))
      (i32.store offset=4 (local.get $fp) (i32.add (local.get $ts) (local.get $np)))
      (i32.store offset=8 (local.get $fp) (i32.const 0))
      (i32.store offset=12 (local.get $fp) (local.get $nr))

      (loop $main
        (br_if $bail (i32.ge_u (local.get $pos) (local.get $end)))
        (br_if $bail (i32.ge_u (local.get $sp) (i32.const 0x11f00)))
        (local.set $op (i32.load8_u (local.get $pos)))
        (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
        (local.set $d (i32.shl (local.get $op) (i32.const 3)))
        ;; A stack record, for the kinds call, block, loop, if and call_indirect (9-12, 17).
        (if (global.get $srec) (then
          (if (i32.wrap_i64 (i64.and (i64.shr_u (i64.const 0x21e00) (i64.extend_i32_u (i32.load8_u (local.get $d)))) (i64.const 1))) (then
            (local.set $r (i32.sub (local.get $sp) (local.get $floor)))
            (br_if $bail (i32.gt_u (i32.add (i32.add (global.get $srec) (i32.const 8)) (local.get $r)) (global.get $slimit)))
            (i32.store (global.get $srec) (local.get $ix))
            (i32.store offset=4 (global.get $srec) (i32.or (local.get $r) (i32.shl (local.get $unr) (i32.const 31))))
            (memory.copy (i32.add (global.get $srec) (i32.const 8)) (local.get $floor) (local.get $r))
            (global.set $srec (i32.add (global.get $srec) (i32.and (i32.add (local.get $r) (i32.const 11)) (i32.const -4))))))))
        (local.set $ix (i32.add (local.get $ix) (i32.const 1)))
        (loop $dispatch
          (block $prefix (block $select_t (block $select (block $drop (block $nop
          (block $unwind (block $unreachable (block $return (block $br_table (block $br
          (block $else (block $blocktype (block $if (block $loop (block $block
          (block $call_indirect (block $call (block $br_if (block $end_ (block $global_set (block $global_get
          (block $i64_const (block $local_tee (block $local_set (block $local_get (block $i32_const
          (block $simple
          (block $memidx2 (block $memidx (block $v128_const (block $f64_const (block $f32_const
          (block $shuffle (block $lane (block $memarg_lane (block $memarg
            (br_table $bail $simple $local_get $local_set $local_tee $i32_const $memarg $end_ $br_if $call
                      $block $loop $if $else $br $br_table $return $call_indirect $unreachable $nop $drop
                      $select $select_t $global_get $global_set $i64_const $f32_const $f64_const $v128_const
                      $memarg_lane $lane $shuffle $memidx $memidx2 $prefix $bail
              (i32.load8_u (local.get $d))))
          ;; memarg: the alignment at most natural (which also excludes a memory index), a 32-bit offset
          (local.set $x (i32.load8_u (local.get $pos)))
          (if (i32.lt_u (local.get $x) (i32.const 0x80))
            (then (local.set $pos (i32.add (local.get $pos) (i32.const 1))))
            (else (call $u32 (local.get $pos)) (local.set $pos) (local.set $x)))
          (br_if $bail (i32.gt_u (local.get $x) (i32.load8_u offset=6 (local.get $d))))
          (if (i32.lt_u (i32.load8_u (local.get $pos)) (i32.const 0x80))
            (then (local.set $pos (i32.add (local.get $pos) (i32.const 1))))
            (else (call $u32 (local.get $pos)) (local.set $pos) (drop)))
          (br $simple))
          ;; memarg and lane
          (call $u32 (local.get $pos)) (local.set $pos) (local.set $x)
          (br_if $bail (i32.gt_u (local.get $x) (i32.load8_u offset=6 (local.get $d))))
          (call $u32 (local.get $pos)) (local.set $pos) (drop)
          (br_if $bail (i32.ge_u (i32.load8_u (local.get $pos)) (i32.load8_u offset=7 (local.get $d))))
          (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
          (br $simple))
          ;; lane
          (br_if $bail (i32.ge_u (i32.load8_u (local.get $pos)) (i32.load8_u offset=7 (local.get $d))))
          (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
          (br $simple))
          ;; shuffle: 16 lane indices below 32
          (br_if $bail (i64.ne (i64.and (i64.or (i64.load (local.get $pos)) (i64.load offset=8 (local.get $pos)))
                                        (i64.const 0xe0e0e0e0e0e0e0e0)) (i64.const 0)))
          (local.set $pos (i32.add (local.get $pos) (i32.const 16)))
          (br $simple))
          ;; f32.const
          (local.set $pos (i32.add (local.get $pos) (i32.const 4)))
          (br $simple))
          ;; f64.const
          (local.set $pos (i32.add (local.get $pos) (i32.const 8)))
          (br $simple))
          ;; v128.const
          (local.set $pos (i32.add (local.get $pos) (i32.const 16)))
          (br $simple))
          ;; one memory index (memory 0, which the table only lets through when it is 32-bit)
          (call $u32 (local.get $pos)) (local.set $pos) (local.set $x)
          (br_if $bail (local.get $x))
          (br $simple))
          ;; two memory indices
          (call $u32 (local.get $pos)) (local.set $pos) (local.set $x)
          (br_if $bail (local.get $x))
          (call $u32 (local.get $pos)) (local.set $pos) (local.set $x)
          (br_if $bail (local.get $x)))
        ;; simple: the table's operand and result types
        (local.set $n (i32.load8_u offset=1 (local.get $d)))
        (block $popped
          (if (i32.eq (local.get $n) (i32.const 2))
            (then
              (br_if $popped (i32.and
                (i32.ge_s (i32.sub (local.get $sp) (i32.const 2)) (local.get $floor))
                (i32.eq (i32.load16_u offset=0 (i32.sub (local.get $sp) (i32.const 2))) (i32.load16_u offset=2 (local.get $d))))))
            (else (if (i32.eq (local.get $n) (i32.const 1))
              (then
                (br_if $popped (i32.and
                  (i32.gt_s (local.get $sp) (local.get $floor))
                  (i32.eq (i32.load8_u offset=0 (i32.sub (local.get $sp) (i32.const 1))) (i32.load8_u offset=2 (local.get $d))))))
              (else (br_if $popped (i32.eqz (local.get $n)))))))
          ;; the slow way: a mismatch, unknown values, or three operands
          (local.set $sp (call $pop (local.get $sp) (local.get $floor) (local.get $unr) (i32.add (local.get $d) (i32.const 2)) (local.get $n)))
          (br_if $bail (i32.eqz (local.get $sp)))
          (local.set $n (i32.const 0)))
        (local.set $sp (i32.sub (local.get $sp) (local.get $n)))
        (local.set $t (i32.load8_u offset=5 (local.get $d)))
        (if (local.get $t) (then
          (i32.store8 (local.get $sp) (local.get $t))
          (local.set $sp (i32.add (local.get $sp) (i32.const 1)))))
        (br $main))
        ;; i32.const
        (if (i32.lt_u (i32.load8_u (local.get $pos)) (i32.const 0x80))
          (then (local.set $pos (i32.add (local.get $pos) (i32.const 1))))
          (else (local.set $pos (call $s32 (local.get $pos)))))
        (i32.store8 (local.get $sp) (i32.const 0x7f))
        (local.set $sp (i32.add (local.get $sp) (i32.const 1)))
        (br $main))
        ;; local.get
        (local.set $x (i32.load8_u (local.get $pos)))
        (if (i32.lt_u (local.get $x) (i32.const 0x80))
          (then (local.set $pos (i32.add (local.get $pos) (i32.const 1))))
          (else (call $u32 (local.get $pos)) (local.set $pos) (local.set $x)))
        (br_if $bail (i32.ge_u (local.get $x) (local.get $nl)))
        (i32.store8 (local.get $sp) (i32.load8_u offset=0x22000 (local.get $x)))
        (local.set $sp (i32.add (local.get $sp) (i32.const 1)))
        (br $main))
        ;; local.set
        (local.set $x (i32.load8_u (local.get $pos)))
        (if (i32.lt_u (local.get $x) (i32.const 0x80))
          (then (local.set $pos (i32.add (local.get $pos) (i32.const 1))))
          (else (call $u32 (local.get $pos)) (local.set $pos) (local.set $x)))
        (br_if $bail (i32.ge_u (local.get $x) (local.get $nl)))
        (if (i32.and (i32.gt_s (local.get $sp) (local.get $floor))
                     (i32.eq (i32.load8_u offset=0 (i32.sub (local.get $sp) (i32.const 1))) (i32.load8_u offset=0x22000 (local.get $x))))
          (then (local.set $sp (i32.sub (local.get $sp) (i32.const 1))))
          (else
            (local.set $sp (call $pop (local.get $sp) (local.get $floor) (local.get $unr) (i32.add (local.get $x) (i32.const 0x22000)) (i32.const 1)))
            (br_if $bail (i32.eqz (local.get $sp)))))
        (br $main))
        ;; local.tee
        (local.set $x (i32.load8_u (local.get $pos)))
        (if (i32.lt_u (local.get $x) (i32.const 0x80))
          (then (local.set $pos (i32.add (local.get $pos) (i32.const 1))))
          (else (call $u32 (local.get $pos)) (local.set $pos) (local.set $x)))
        (br_if $bail (i32.ge_u (local.get $x) (local.get $nl)))
        (br_if $main (i32.and (i32.gt_s (local.get $sp) (local.get $floor))
                              (i32.eq (i32.load8_u offset=0 (i32.sub (local.get $sp) (i32.const 1))) (i32.load8_u offset=0x22000 (local.get $x)))))
        (local.set $sp (call $pop (local.get $sp) (local.get $floor) (local.get $unr) (i32.add (local.get $x) (i32.const 0x22000)) (i32.const 1)))
        (br_if $bail (i32.eqz (local.get $sp)))
        (i32.store8 (local.get $sp) (i32.load8_u offset=0x22000 (local.get $x)))
        (local.set $sp (i32.add (local.get $sp) (i32.const 1)))
        (br $main))
        ;; i64.const
        (local.set $pos (call $s64 (local.get $pos)))
        (i32.store8 (local.get $sp) (i32.const 0x7e))
        (local.set $sp (i32.add (local.get $sp) (i32.const 1)))
        (br $main))
        ;; global.get
        (call $u32 (local.get $pos)) (local.set $pos) (local.set $x)
        (br_if $bail (i32.ge_u (local.get $x) (global.get $nglobals)))
        (local.set $t (i32.load8_u (i32.add (global.get $globals) (i32.shl (local.get $x) (i32.const 1)))))
        (br_if $bail (i32.eqz (local.get $t)))
        (i32.store8 (local.get $sp) (local.get $t))
        (local.set $sp (i32.add (local.get $sp) (i32.const 1)))
        (br $main))
        ;; global.set: of a mutable global
        (call $u32 (local.get $pos)) (local.set $pos) (local.set $x)
        (br_if $bail (i32.ge_u (local.get $x) (global.get $nglobals)))
        (local.set $t (i32.add (global.get $globals) (i32.shl (local.get $x) (i32.const 1))))
        (br_if $bail (i32.or (i32.eqz (i32.load8_u (local.get $t))) (i32.eqz (i32.load8_u offset=1 (local.get $t)))))
        (local.set $sp (call $pop (local.get $sp) (local.get $floor) (local.get $unr) (local.get $t) (i32.const 1)))
        (br_if $bail (i32.eqz (local.get $sp)))
        (br $main))
        ;; end: the frame's results, and nothing else, are on the stack
        (local.set $ts (i32.load offset=4 (local.get $fp)))
        (local.set $np (i32.load offset=8 (local.get $fp)))
        (local.set $nr (i32.load16_u offset=12 (local.get $fp)))
        (local.set $ts (i32.add (local.get $ts) (local.get $np)))
        (if (i32.eqz (local.get $nr))
          (then (br_if $bail (i32.ne (local.get $sp) (local.get $floor))))
          (else
            (local.set $sp (call $pop (local.get $sp) (local.get $floor) (local.get $unr) (local.get $ts) (local.get $nr)))
            (br_if $bail (i32.ne (local.get $sp) (local.get $floor)))))
        ;; An if without else leaves its parameters as its results.
        (if (i32.eq (i32.load8_u offset=14 (local.get $fp)) (i32.const 12))
          (then
            (br_if $bail (i32.ne (local.get $np) (local.get $nr)))
            (local.set $x (i32.const 0))
            (block $same (loop $cmp
              (br_if $same (i32.ge_u (local.get $x) (local.get $np)))
              (br_if $bail (i32.ne (i32.load8_u (i32.add (local.get $ts) (local.get $x)))
                                   (i32.load8_u (i32.sub (i32.add (local.get $ts) (local.get $x)) (local.get $np)))))
              (local.set $x (i32.add (local.get $x) (i32.const 1)))
              (br $cmp)))))
        (if (i32.eq (local.get $fp) (i32.const 0x12000))
          ;; The function's own end: the last byte of the body.
          (then (return (i32.eq (local.get $pos) (local.get $end)))))
        (local.set $fp (i32.sub (local.get $fp) (i32.const 16)))
        (local.set $floor (i32.load (local.get $fp)))
        (local.set $unr (i32.load8_u offset=15 (local.get $fp)))
        (if (local.get $nr) (then
          (local.set $sp (call $push (local.get $sp) (local.get $ts) (local.get $nr)))
          (br_if $bail (i32.eqz (local.get $sp)))))
        (br $main))
        ;; br_if: an i32, then the label's types, which stay
        (if (i32.and (i32.gt_s (local.get $sp) (local.get $floor)) (i32.eq (i32.load8_u offset=0 (i32.sub (local.get $sp) (i32.const 1))) (i32.const 0x7f)))
          (then (local.set $sp (i32.sub (local.get $sp) (i32.const 1))))
          (else
            (local.set $sp (call $pop (local.get $sp) (local.get $floor) (local.get $unr) (i32.const 0x2c7f) (i32.const 1)))
            (br_if $bail (i32.eqz (local.get $sp)))))
        (call $u32 (local.get $pos)) (local.set $pos) (local.set $x)
        (call $label (local.get $fp) (local.get $x)) (local.set $n) (local.set $ts)
        (br_if $bail (i32.lt_s (local.get $n) (i32.const 0)))
        (br_if $main (i32.eqz (local.get $n)))
        (br_if $main (i32.and (i32.and (i32.eq (local.get $n) (i32.const 1)) (i32.gt_s (local.get $sp) (local.get $floor)))
                              (i32.eq (i32.load8_u offset=0 (i32.sub (local.get $sp) (i32.const 1))) (i32.load8_u (local.get $ts)))))
        (local.set $sp (call $pop (local.get $sp) (local.get $floor) (local.get $unr) (local.get $ts) (local.get $n)))
        (br_if $bail (i32.eqz (local.get $sp)))
        (local.set $sp (call $push (local.get $sp) (local.get $ts) (local.get $n)))
        (br_if $bail (i32.eqz (local.get $sp)))
        (br $main))
        ;; call
        (call $u32 (local.get $pos)) (local.set $pos) (local.set $x)
        (br_if $bail (i32.ge_u (local.get $x) (global.get $nfuncs)))
        (if (global.get $rec) (then
          (i32.store (global.get $rec) (i32.const 0x10))
          (i32.store offset=4 (global.get $rec) (local.get $x))
          (i32.store offset=8 (global.get $rec) (i32.const 0))
          (global.set $rec (i32.add (global.get $rec) (i32.const 12)))))
        (local.set $t (i32.load (i32.add (global.get $funcs) (i32.shl (local.get $x) (i32.const 2)))))
        (local.set $t (i32.add (global.get $types) (i32.shl (local.get $t) (i32.const 3))))
        (local.set $np (i32.load16_u offset=4 (local.get $t)))
        (br_if $bail (i32.eq (local.get $np) (i32.const 0xffff)))
        (local.set $nr (i32.load16_u offset=6 (local.get $t)))
        (local.set $ts (i32.load (local.get $t)))
        (if (local.get $np) (then
          (local.set $sp (call $pop (local.get $sp) (local.get $floor) (local.get $unr) (local.get $ts) (local.get $np)))
          (br_if $bail (i32.eqz (local.get $sp)))))
        (if (local.get $nr) (then
          (local.set $sp (call $push (local.get $sp) (i32.add (local.get $ts) (local.get $np)) (local.get $nr)))
          (br_if $bail (i32.eqz (local.get $sp)))))
        (br $main))
        ;; call_indirect: a function table, then the type's signature
        (call $u32 (local.get $pos)) (local.set $pos) (local.set $x)
        (br_if $bail (i32.ge_u (local.get $x) (global.get $ntypes)))
        (local.set $t (i32.add (global.get $types) (i32.shl (local.get $x) (i32.const 3))))
        (call $u32 (local.get $pos)) (local.set $pos) (local.set $x)
        (br_if $bail (i32.ge_u (local.get $x) (global.get $ntables)))
        (br_if $bail (i32.eqz (i32.load8_u (i32.add (global.get $tables) (local.get $x)))))
        (if (global.get $rec) (then
          (i32.store (global.get $rec) (i32.const 0x11))
          (i32.store offset=4 (global.get $rec) (i32.shr_u (i32.sub (local.get $t) (global.get $types)) (i32.const 3)))
          (i32.store offset=8 (global.get $rec) (local.get $x))
          (global.set $rec (i32.add (global.get $rec) (i32.const 12)))))
        (local.set $np (i32.load16_u offset=4 (local.get $t)))
        (br_if $bail (i32.eq (local.get $np) (i32.const 0xffff)))
        (local.set $nr (i32.load16_u offset=6 (local.get $t)))
        (local.set $ts (i32.load (local.get $t)))
        (local.set $sp (call $pop (local.get $sp) (local.get $floor) (local.get $unr) (i32.const 0x2c7f) (i32.const 1)))
        (br_if $bail (i32.eqz (local.get $sp)))
        (if (local.get $np) (then
          (local.set $sp (call $pop (local.get $sp) (local.get $floor) (local.get $unr) (local.get $ts) (local.get $np)))
          (br_if $bail (i32.eqz (local.get $sp)))))
        (if (local.get $nr) (then
          (local.set $sp (call $push (local.get $sp) (i32.add (local.get $ts) (local.get $np)) (local.get $nr)))
          (br_if $bail (i32.eqz (local.get $sp)))))
        (br $main))
        ;; block, loop and if share the block type and the new frame; an if first pops its condition
        (local.set $a (i32.const 10))
        (br $blocktype))
        (local.set $a (i32.const 11))
        (br $blocktype))
        (local.set $a (i32.const 12))
        (if (i32.and (i32.gt_s (local.get $sp) (local.get $floor)) (i32.eq (i32.load8_u offset=0 (i32.sub (local.get $sp) (i32.const 1))) (i32.const 0x7f)))
          (then (local.set $sp (i32.sub (local.get $sp) (i32.const 1))))
          (else
            (local.set $sp (call $pop (local.get $sp) (local.get $floor) (local.get $unr) (i32.const 0x2c7f) (i32.const 1)))
            (br_if $bail (i32.eqz (local.get $sp)))))
        )
        ;; the block type: empty, one numeric or vector type, or a type index; $a is the kind
        (local.set $x (i32.load8_u (local.get $pos)))
        (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
        (local.set $np (i32.const 0))
        (local.set $nr (i32.const 0))
        (local.set $ts (i32.const 0x2c00))
        (block $typed
          (br_if $typed (i32.eq (local.get $x) (i32.const 0x40)))
          (if (i32.and (i32.ge_u (local.get $x) (i32.const 0x7b)) (i32.le_u (local.get $x) (i32.const 0x7f))) (then
            (local.set $ts (i32.add (i32.const 0x2c00) (local.get $x)))
            (local.set $nr (i32.const 1))
            (br $typed)))
          (if (i32.ge_u (local.get $x) (i32.const 0x80)) (then
            ;; a longer type index: a positive s33, so the last byte's sign bit is clear
            (call $u32 (i32.sub (local.get $pos) (i32.const 1))) (local.set $pos) (local.set $x)
            (br_if $bail (i32.and (i32.load8_u offset=0 (i32.sub (local.get $pos) (i32.const 1))) (i32.const 0x40))))
          (else (br_if $bail (i32.ge_u (local.get $x) (i32.const 0x40)))))
          (br_if $bail (i32.ge_u (local.get $x) (global.get $ntypes)))
          (local.set $t (i32.add (global.get $types) (i32.shl (local.get $x) (i32.const 3))))
          (local.set $np (i32.load16_u offset=4 (local.get $t)))
          (br_if $bail (i32.eq (local.get $np) (i32.const 0xffff)))
          (local.set $nr (i32.load16_u offset=6 (local.get $t)))
          (local.set $ts (i32.load (local.get $t))))
        (if (local.get $np) (then
          (local.set $sp (call $pop (local.get $sp) (local.get $floor) (local.get $unr) (local.get $ts) (local.get $np)))
          (br_if $bail (i32.eqz (local.get $sp)))))
        (local.set $fp (i32.add (local.get $fp) (i32.const 16)))
        (br_if $bail (i32.ge_u (local.get $fp) (i32.const 0x22000)))
        (i32.store (local.get $fp) (local.get $sp))
        (i32.store offset=4 (local.get $fp) (local.get $ts))
        (i32.store offset=8 (local.get $fp) (local.get $np))
        (i32.store offset=12 (local.get $fp) (i32.or (local.get $nr) (i32.shl (local.get $a) (i32.const 16))))
        (local.set $floor (local.get $sp))
        (local.set $unr (i32.const 0))
        (if (local.get $np) (then
          (local.set $sp (call $push (local.get $sp) (local.get $ts) (local.get $np)))
          (br_if $bail (i32.eqz (local.get $sp)))))
        (br $main))
        ;; else: closes the then-arm as end does, and opens the else-arm with the parameters again
        (br_if $bail (i32.ne (i32.load8_u offset=14 (local.get $fp)) (i32.const 12)))
        (local.set $ts (i32.load offset=4 (local.get $fp)))
        (local.set $np (i32.load offset=8 (local.get $fp)))
        (local.set $nr (i32.load16_u offset=12 (local.get $fp)))
        (local.set $sp (call $pop (local.get $sp) (local.get $floor) (local.get $unr) (i32.add (local.get $ts) (local.get $np)) (local.get $nr)))
        (br_if $bail (i32.ne (local.get $sp) (local.get $floor)))
        (i32.store8 offset=14 (local.get $fp) (i32.const 13))
        (i32.store8 offset=15 (local.get $fp) (i32.const 0))
        (local.set $unr (i32.const 0))
        (if (local.get $np) (then
          (local.set $sp (call $push (local.get $sp) (local.get $ts) (local.get $np)))
          (br_if $bail (i32.eqz (local.get $sp)))))
        (br $main))
        ;; br
        (call $u32 (local.get $pos)) (local.set $pos) (local.set $x)
        (call $label (local.get $fp) (local.get $x)) (local.set $n) (local.set $ts)
        (br_if $bail (i32.lt_s (local.get $n) (i32.const 0)))
        (br_if $bail (i32.eqz (call $check (local.get $sp) (local.get $floor) (local.get $unr) (local.get $ts) (local.get $n))))
        (br $unwind))
        ;; br_table: every label has the default's arity and matches the stack
        (local.set $sp (call $pop (local.get $sp) (local.get $floor) (local.get $unr) (i32.const 0x2c7f) (i32.const 1)))
        (br_if $bail (i32.eqz (local.get $sp)))
        (call $u32 (local.get $pos)) (local.set $pos) (local.set $n)
        ;; $n + 1 labels, the last the default; $b is the arity of the first
        (local.set $b (i32.const -1))
        (loop $labels
          (br_if $bail (i32.ge_u (local.get $pos) (local.get $end)))
          (call $u32 (local.get $pos)) (local.set $pos) (local.set $x)
          (call $label (local.get $fp) (local.get $x)) (local.set $a) (local.set $ts)
          (br_if $bail (i32.lt_s (local.get $a) (i32.const 0)))
          (if (i32.lt_s (local.get $b) (i32.const 0)) (then (local.set $b (local.get $a))))
          (br_if $bail (i32.ne (local.get $a) (local.get $b)))
          (br_if $bail (i32.eqz (call $check (local.get $sp) (local.get $floor) (local.get $unr) (local.get $ts) (local.get $a))))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br_if $labels (i32.ge_s (local.get $n) (i32.const 0))))
        (br $unwind))
        ;; return
        (local.set $ts (i32.load offset=0x12004 (i32.const 0)))
        (local.set $n (i32.load16_u offset=0x1200c (i32.const 0)))
        (br_if $bail (i32.eqz (call $check (local.get $sp) (local.get $floor) (local.get $unr) (local.get $ts) (local.get $n))))
        (br $unwind))
        ;; unreachable
        )
        ;; what follows is unreachable: the stack is polymorphic
        (local.set $sp (local.get $floor))
        (local.set $unr (i32.const 1))
        (i32.store8 offset=15 (local.get $fp) (i32.const 1))
        (br $main))
        ;; nop
        (br $main))
        ;; drop
        (if (i32.gt_s (local.get $sp) (local.get $floor))
          (then (local.set $sp (i32.sub (local.get $sp) (i32.const 1))))
          (else (br_if $bail (i32.eqz (local.get $unr)))))
        (br $main))
        ;; select: an i32, then two numeric or vector values of one type
        (local.set $sp (call $pop (local.get $sp) (local.get $floor) (local.get $unr) (i32.const 0x2c7f) (i32.const 1)))
        (br_if $bail (i32.eqz (local.get $sp)))
        (local.set $a (i32.const 0))
        (local.set $b (i32.const 0))
        (if (i32.gt_s (local.get $sp) (local.get $floor))
          (then (local.set $sp (i32.sub (local.get $sp) (i32.const 1))) (local.set $a (i32.load8_u (local.get $sp))))
          (else (br_if $bail (i32.eqz (local.get $unr)))))
        (if (i32.gt_s (local.get $sp) (local.get $floor))
          (then (local.set $sp (i32.sub (local.get $sp) (i32.const 1))) (local.set $b (i32.load8_u (local.get $sp))))
          (else (br_if $bail (i32.eqz (local.get $unr)))))
        (br_if $bail (i32.and (i32.ne (local.get $a) (local.get $b)) (i32.and (i32.ne (local.get $a) (i32.const 0)) (i32.ne (local.get $b) (i32.const 0)))))
        (i32.store8 (local.get $sp) (if (result i32) (local.get $a) (then (local.get $a)) (else (local.get $b))))
        (local.set $sp (i32.add (local.get $sp) (i32.const 1)))
        (br $main))
        ;; select with one numeric or vector type
        (br_if $bail (i32.ne (i32.load8_u (local.get $pos)) (i32.const 1)))
        (local.set $t (i32.load8_u offset=1 (local.get $pos)))
        (local.set $pos (i32.add (local.get $pos) (i32.const 2)))
        (br_if $bail (i32.or (i32.lt_u (local.get $t) (i32.const 0x7b)) (i32.gt_u (local.get $t) (i32.const 0x7f))))
        (local.set $sp (call $pop (local.get $sp) (local.get $floor) (local.get $unr) (i32.const 0x2c7f) (i32.const 1)))
        (br_if $bail (i32.eqz (local.get $sp)))
        (local.set $sp (call $pop (local.get $sp) (local.get $floor) (local.get $unr) (i32.add (i32.const 0x2c00) (local.get $t)) (i32.const 1)))
        (br_if $bail (i32.eqz (local.get $sp)))
        (local.set $sp (call $pop (local.get $sp) (local.get $floor) (local.get $unr) (i32.add (i32.const 0x2c00) (local.get $t)) (i32.const 1)))
        (br_if $bail (i32.eqz (local.get $sp)))
        (i32.store8 (local.get $sp) (local.get $t))
        (local.set $sp (i32.add (local.get $sp) (i32.const 1)))
        (br $main))
        ;; a prefix: the sub-opcode picks the descriptor
        (call $u32 (local.get $pos)) (local.set $pos) (local.set $x)
        (br_if $bail (i32.ge_u (local.get $x) (i32.const 288)))
        (local.set $d (i32.shl (i32.add (i32.add (i32.const 256) (i32.mul (i32.sub (local.get $op) (i32.const 0xfb)) (i32.const 288))) (local.get $x)) (i32.const 3)))
        (br $dispatch)))
      ;; loop $main ends only by a return or a branch to $bail
      )
    (i32.const 0))
)

