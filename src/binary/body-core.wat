;; The body core, the writer's fast path for re-encoding. `encode` encodes instructions
;; [0, n) of a body whose IR arrays (ops, immediates, extra) are in this module's memory,
;; with the same rules as encode-body.ts, byte for byte. It returns the end of what it wrote, or 0 on an op
;; whose immediates it leaves to the JS encoder (heap types, typed select, try_table,
;; GC casts), which then encodes the whole body. Assembled by scripts/build-core.mjs.
;;
;; It also decodes (`decode`), the common shapes only, into the same layout as
;; decode-body.ts: 0 on anything else, or on anything malformed or padded, and the JS
;; decoder then decodes the body (and reports what is wrong).
;;
;; Memory (body-core.ts fills the tables from the opcode table):
;;   0x0000 DESC   4 bytes per op id: +0 encoding kind, +1 prefix byte (0: none), +2 code (u16)
;;   0x1000 KIND   1 byte per op id: decoding kind
;;   0x1400 PREFIX op id (u16) per (prefix byte - 0xfb) * 288 + sub-opcode; 0xffff: none
;;   0x2000 and up: the IR, the output and the input, placed by the host
(module
  (memory (export "memory") 1)

  ;; Unsigned LEB128 of the 32 bits of $v at $p; the position after it.
  (func $u32 (param $p i32) (param $v i32) (result i32)
    (loop $l
      (if (i32.ge_u (local.get $v) (i32.const 0x80)) (then
        (i32.store8 (local.get $p) (i32.or (local.get $v) (i32.const 0x80)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $v (i32.shr_u (local.get $v) (i32.const 7)))
        (br $l))))
    (i32.store8 (local.get $p) (local.get $v))
    (i32.add (local.get $p) (i32.const 1)))

  ;; Signed LEB128 of $v.
  (func $s32 (param $p i32) (param $v i32) (result i32)
    (local $b i32)
    (loop $l
      (local.set $b (i32.and (local.get $v) (i32.const 0x7f)))
      (local.set $v (i32.shr_s (local.get $v) (i32.const 7)))
      (if (i32.or
            (i32.and (i32.eqz (local.get $v)) (i32.eqz (i32.and (local.get $b) (i32.const 0x40))))
            (i32.and (i32.eq (local.get $v) (i32.const -1)) (i32.ne (i32.and (local.get $b) (i32.const 0x40)) (i32.const 0))))
        (then
          (i32.store8 (local.get $p) (local.get $b))
          (return (i32.add (local.get $p) (i32.const 1)))))
      (i32.store8 (local.get $p) (i32.or (local.get $b) (i32.const 0x80)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $l))
    (unreachable))

  ;; LEB128 of the 64 bits hi:lo, signed or not.
  (func $i64 (param $p i32) (param $lo i32) (param $hi i32) (param $unsigned i32) (result i32)
    (local $v i64) (local $b i32)
    (local.set $v (i64.or (i64.extend_i32_u (local.get $lo)) (i64.shl (i64.extend_i32_u (local.get $hi)) (i64.const 32))))
    (loop $l
      (local.set $b (i32.and (i32.wrap_i64 (local.get $v)) (i32.const 0x7f)))
      (local.set $v (if (result i64) (local.get $unsigned)
        (then (i64.shr_u (local.get $v) (i64.const 7)))
        (else (i64.shr_s (local.get $v) (i64.const 7)))))
      (if (if (result i32) (local.get $unsigned)
            (then (i64.eqz (local.get $v)))
            (else (i32.or
              (i32.and (i64.eqz (local.get $v)) (i32.eqz (i32.and (local.get $b) (i32.const 0x40))))
              (i32.and (i64.eq (local.get $v) (i64.const -1)) (i32.ne (i32.and (local.get $b) (i32.const 0x40)) (i32.const 0))))))
        (then
          (i32.store8 (local.get $p) (local.get $b))
          (return (i32.add (local.get $p) (i32.const 1)))))
      (i32.store8 (local.get $p) (i32.or (local.get $b) (i32.const 0x80)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $l))
    (unreachable))

  ;; A memarg from immediates at $k: its flags byte, the memory index when flagged, the offset.
  (func $memarg (param $p i32) (param $k i32) (result i32)
    (local $flags i32)
    (local.set $flags (i32.load8_u (local.get $k)))
    (i32.store8 (local.get $p) (local.get $flags))
    (local.set $p (i32.add (local.get $p) (i32.const 1)))
    (if (i32.and (local.get $flags) (i32.const 0x40))
      (then (local.set $p (call $u32 (local.get $p) (i32.load offset=4 (local.get $k))))))
    (call $i64 (local.get $p) (i32.load offset=8 (local.get $k)) (i32.load offset=12 (local.get $k)) (i32.const 1)))

  (func (export "encode") (param $n i32) (param $ops i32) (param $imm i32) (param $extra i32) (param $p i32) (result i32)
    (local $i i32) (local $op i32) (local $d i32) (local $k i32) (local $v i32) (local $j i32) (local $c i32)
    (block $bail
      (block $done
        (loop $next
          (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
          (local.set $op (i32.load16_u (i32.add (local.get $ops) (i32.shl (local.get $i) (i32.const 1)))))
          (local.set $d (i32.shl (local.get $op) (i32.const 2)))
          (local.set $k (i32.add (local.get $imm) (i32.shl (local.get $i) (i32.const 4))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          ;; The opcode: a byte, or a prefix and the sub-opcode's LEB.
          (if (i32.load8_u offset=1 (local.get $d))
            (then
              (i32.store8 (local.get $p) (i32.load8_u offset=1 (local.get $d)))
              (local.set $p (call $u32 (i32.add (local.get $p) (i32.const 1)) (i32.load16_u offset=2 (local.get $d)))))
            (else
              (i32.store8 (local.get $p) (local.get $op))
              (local.set $p (i32.add (local.get $p) (i32.const 1)))))
          (block $zero (block $lane_memarg (block $lane (block $bytes16 (block $bytes8 (block $bytes4 (block $i64
          (block $two (block $block (block $memarg (block $i32 (block $index (block $br_table (block $plain
            (br_table $bail $plain $index $i32 $memarg $block $two $i64 $bytes4 $bytes8 $bytes16 $lane $lane_memarg $zero $br_table $bail
              (i32.load8_u (local.get $d))))
          ;; no immediates
          (br $next))
          ;; br_table: the count, then count + 1 labels from extra
          (local.set $c (i32.load offset=4 (local.get $k)))
          (local.set $v (i32.add (local.get $extra) (i32.shl (i32.load (local.get $k)) (i32.const 2))))
          (local.set $p (call $u32 (local.get $p) (local.get $c)))
          (local.set $j (i32.const 0))
          (loop $labels
            (local.set $p (call $u32 (local.get $p) (i32.load (i32.add (local.get $v) (i32.shl (local.get $j) (i32.const 2))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br_if $labels (i32.le_u (local.get $j) (local.get $c))))
          (br $next))
          ;; an index
          (local.set $v (i32.load (local.get $k)))
          (if (i32.lt_u (local.get $v) (i32.const 0x80))
            (then
              (i32.store8 (local.get $p) (local.get $v))
              (local.set $p (i32.add (local.get $p) (i32.const 1))))
            (else (local.set $p (call $u32 (local.get $p) (local.get $v)))))
          (br $next))
          ;; i32.const
          (local.set $v (i32.load (local.get $k)))
          (if (i32.lt_u (i32.add (local.get $v) (i32.const 64)) (i32.const 128))
            (then
              (i32.store8 (local.get $p) (i32.and (local.get $v) (i32.const 0x7f)))
              (local.set $p (i32.add (local.get $p) (i32.const 1))))
            (else (local.set $p (call $s32 (local.get $p) (local.get $v)))))
          (br $next))
          ;; memarg; inline: memory 0 and an offset below 128
          (if (i32.and (i32.lt_u (i32.load (local.get $k)) (i32.const 0x40))
                       (i32.and (i32.lt_u (i32.load offset=8 (local.get $k)) (i32.const 0x80)) (i32.eqz (i32.load offset=12 (local.get $k)))))
            (then
              (i32.store8 (local.get $p) (i32.load (local.get $k)))
              (i32.store8 offset=1 (local.get $p) (i32.load offset=8 (local.get $k)))
              (local.set $p (i32.add (local.get $p) (i32.const 2))))
            (else (local.set $p (call $memarg (local.get $p) (local.get $k)))))
          (br $next))
          ;; block type: a (ref ...) or (ref null ...) one is left to the JS encoder
          (local.set $v (i32.load (local.get $k)))
          (br_if $bail (i32.or (i32.eq (local.get $v) (i32.const -28)) (i32.eq (local.get $v) (i32.const -29))))
          (local.set $p (call $s32 (local.get $p) (local.get $v)))
          (br $next))
          ;; two indices
          (local.set $p (call $u32 (call $u32 (local.get $p) (i32.load (local.get $k))) (i32.load offset=4 (local.get $k))))
          (br $next))
          ;; i64.const
          (local.set $p (call $i64 (local.get $p) (i32.load (local.get $k)) (i32.load offset=4 (local.get $k)) (i32.const 0)))
          (br $next))
          ;; f32.const: its bits
          (i32.store (local.get $p) (i32.load (local.get $k)))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (br $next))
          ;; f64.const
          (i64.store (local.get $p) (i64.load (local.get $k)))
          (local.set $p (i32.add (local.get $p) (i32.const 8)))
          (br $next))
          ;; v128.const, i8x16.shuffle
          (i64.store (local.get $p) (i64.load (local.get $k)))
          (i64.store offset=8 (local.get $p) (i64.load offset=8 (local.get $k)))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br $next))
          ;; a lane index
          (i32.store8 (local.get $p) (i32.load (local.get $k)))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br $next))
          ;; memarg and lane index (the lane in the flags word's second byte)
          (local.set $p (call $memarg (local.get $p) (local.get $k)))
          (i32.store8 (local.get $p) (i32.load8_u offset=1 (local.get $k)))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br $next))
        ;; a zero byte
        (i32.store8 (local.get $p) (i32.const 0))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
      (return (local.get $p)))
    (i32.const 0))

  ;; Decoding. A malformed or padded LEB sends the position to -1 (the loop then gives up).
  (global $hi (mut i32) (i32.const 0))
  (global $extraLength (mut i32) (i32.const 0))
  (func (export "extraLength") (result i32) (global.get $extraLength))

  ;; An unsigned LEB128 of at most 32 bits, canonical: (value, position after it) or (0, -1).
  (func $ru32 (param $p i32) (result i32 i32)
    (local $b i32) (local $v i32) (local $shift i32)
    (loop $l
      (local.set $b (i32.load8_u (local.get $p)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (if (i32.eq (local.get $shift) (i32.const 28)) (then
        (if (i32.ge_u (local.get $b) (i32.const 0x10)) (then (return (i32.const 0) (i32.const -1))))))
      (local.set $v (i32.or (local.get $v) (i32.shl (i32.and (local.get $b) (i32.const 0x7f)) (local.get $shift))))
      (local.set $shift (i32.add (local.get $shift) (i32.const 7)))
      (br_if $l (i32.and (local.get $b) (i32.const 0x80))))
    ;; Padded: a last byte of zero after others.
    (if (i32.and (i32.eqz (local.get $b)) (i32.gt_u (local.get $shift) (i32.const 7))) (then (return (i32.const 0) (i32.const -1))))
    (return (local.get $v) (local.get $p)))

  ;; A LEB128 of at most 64 bits, signed or not, canonical: the low half and the position
  ;; after it (the high half in $hi), or (0, -1).
  (func $r64 (param $p i32) (param $signed i32) (result i32 i32)
    (local $b i32) (local $v i64) (local $shift i64) (local $prev i32)
    (loop $l
      (local.set $prev (local.get $b))
      (local.set $b (i32.load8_u (local.get $p)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (if (i64.eq (local.get $shift) (i64.const 63)) (then
        ;; the tenth byte: bit 63 only (and its sign copies)
        (if (if (result i32) (local.get $signed)
              (then (i32.and (i32.ne (local.get $b) (i32.const 0)) (i32.ne (local.get $b) (i32.const 0x7f))))
              (else (i32.gt_u (local.get $b) (i32.const 1))))
          (then (return (i32.const 0) (i32.const -1))))))
      (local.set $v (i64.or (local.get $v) (i64.shl (i64.extend_i32_u (i32.and (local.get $b) (i32.const 0x7f))) (local.get $shift))))
      (local.set $shift (i64.add (local.get $shift) (i64.const 7)))
      (br_if $l (i32.and (local.get $b) (i32.const 0x80))))
    (if (i64.gt_u (local.get $shift) (i64.const 7)) (then
      (if (if (result i32) (local.get $signed)
            (then (i32.or
              (i32.and (i32.eqz (local.get $b)) (i32.eqz (i32.and (local.get $prev) (i32.const 0x40))))
              (i32.and (i32.eq (local.get $b) (i32.const 0x7f)) (i32.ne (i32.and (local.get $prev) (i32.const 0x40)) (i32.const 0)))))
            (else (i32.eqz (local.get $b))))
        (then (return (i32.const 0) (i32.const -1))))))
    (if (i32.and (local.get $signed) (i32.and (i64.lt_u (local.get $shift) (i64.const 64)) (i32.ne (i32.and (local.get $b) (i32.const 0x40)) (i32.const 0))))
      (then (local.set $v (i64.or (local.get $v) (i64.shl (i64.const -1) (local.get $shift))))))
    (global.set $hi (i32.wrap_i64 (i64.shr_u (local.get $v) (i64.const 32))))
    (return (i32.wrap_i64 (local.get $v)) (local.get $p)))

  ;; A memarg into the immediates at $k (flags, memory, offset low, high; the lane, if
  ;; any, in the flags word's second byte): the position after it, or -1.
  (func $rmemarg (param $p i32) (param $k i32) (param $lane i32) (result i32)
    (local $flags i32) (local $v i32)
    (call $ru32 (local.get $p)) (local.set $p) (local.set $flags)
    (if (i32.ge_u (local.get $flags) (i32.const 0x80)) (then (return (i32.const -1))))
    (i32.store offset=4 (local.get $k) (i32.const 0))
    (if (i32.and (local.get $flags) (i32.const 0x40)) (then
      (call $ru32 (local.get $p)) (local.set $p) (local.set $v)
      (i32.store offset=4 (local.get $k) (local.get $v))))
    (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (i32.const -1))))
    (call $r64 (local.get $p) (i32.const 0)) (local.set $p) (local.set $v)
    (i32.store offset=8 (local.get $k) (local.get $v))
    (i32.store offset=12 (local.get $k) (global.get $hi))
    (if (local.get $lane) (then
      (local.set $flags (i32.or (local.get $flags) (i32.shl (i32.load8_u (local.get $p)) (i32.const 8))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))))
    (i32.store (local.get $k) (local.get $flags))
    (local.get $p))

  ;; Decodes the instructions at [$pos, $end) into the IR arrays, up to the `end` that
  ;; closes the body, which must be the last byte: the instruction count, or 0.
  (func (export "decode") (param $pos i32) (param $end i32) (param $ops i32) (param $imm i32) (param $extra i32)
        (param $extraCap i32) (result i32)
    (local $n i32) (local $op i32) (local $byte i32) (local $k i32) (local $v i32) (local $depth i32) (local $c i32) (local $j i32)
    (local $xl i32)
    (block $bail
      (loop $next
        (br_if $bail (i32.ge_u (local.get $pos) (local.get $end)))
        (local.set $byte (i32.load8_u (local.get $pos)))
        (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
        (local.set $op (local.get $byte))
        (if (i32.and (i32.ge_u (local.get $byte) (i32.const 0xfb)) (i32.le_u (local.get $byte) (i32.const 0xfe))) (then
          (call $ru32 (local.get $pos)) (local.set $pos) (local.set $v)
          (br_if $bail (i32.or (i32.lt_s (local.get $pos) (i32.const 0)) (i32.ge_u (local.get $v) (i32.const 288))))
          (local.set $op (i32.load16_u offset=0x1400
            (i32.shl (i32.add (i32.mul (i32.sub (local.get $byte) (i32.const 0xfb)) (i32.const 288)) (local.get $v)) (i32.const 1))))
          (br_if $bail (i32.eq (local.get $op) (i32.const 0xffff)))))
        (i32.store16 (i32.add (local.get $ops) (i32.shl (local.get $n) (i32.const 1))) (local.get $op))
        (local.set $k (i32.add (local.get $imm) (i32.shl (local.get $n) (i32.const 4))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (block $checked
        (block $zero (block $lane_memarg (block $lane (block $bytes16 (block $bytes8 (block $bytes4 (block $i64
        (block $two (block $block (block $memarg (block $i32 (block $index (block $br_table (block $plain
          (br_table $bail $plain $index $i32 $memarg $block $two $i64 $bytes4 $bytes8 $bytes16 $lane $lane_memarg $zero $br_table $bail
            (i32.load8_u offset=0x1000 (local.get $op))))
        ;; no immediates; `end` closes a block, or the body
        (br_if $next (i32.ne (local.get $byte) (i32.const 0x0b)))
        (if (i32.eqz (local.get $depth)) (then
          (br_if $bail (i32.ne (local.get $pos) (local.get $end)))
          (global.set $extraLength (local.get $xl))
          (return (local.get $n))))
        (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
        (br $next))
        ;; br_table: the count, then count + 1 labels into extra
        (call $ru32 (local.get $pos)) (local.set $pos) (local.set $c)
        (br_if $bail (i32.lt_s (local.get $pos) (i32.const 0)))
        (br_if $bail (i32.gt_u (local.get $c) (i32.sub (i32.sub (local.get $extraCap) (local.get $xl)) (i32.const 1))))
        (i32.store (local.get $k) (local.get $xl))
        (i32.store offset=4 (local.get $k) (local.get $c))
        (local.set $j (i32.const 0))
        (loop $labels
          (br_if $bail (i32.ge_u (local.get $pos) (local.get $end)))
          (call $ru32 (local.get $pos)) (local.set $pos) (local.set $v)
          (br_if $bail (i32.lt_s (local.get $pos) (i32.const 0)))
          (i32.store (i32.add (local.get $extra) (i32.shl (i32.add (local.get $xl) (local.get $j)) (i32.const 2))) (local.get $v))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $labels (i32.le_u (local.get $j) (local.get $c))))
        (local.set $xl (i32.add (local.get $xl) (local.get $j)))
        (br $checked))
        ;; an index (delegate, which closes a try, is left to JS)
        (br_if $bail (i32.eq (local.get $byte) (i32.const 0x18)))
        (local.set $v (i32.load8_u (local.get $pos)))
        (if (i32.lt_u (local.get $v) (i32.const 0x80))
          (then (local.set $pos (i32.add (local.get $pos) (i32.const 1))))
          (else (call $ru32 (local.get $pos)) (local.set $pos) (local.set $v)))
        (i32.store (local.get $k) (local.get $v))
        (br $checked))
        ;; i32.const
        (local.set $v (i32.load8_u (local.get $pos)))
        (if (i32.lt_u (local.get $v) (i32.const 0x80))
          (then
            (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
            (local.set $v (i32.shr_s (i32.shl (local.get $v) (i32.const 25)) (i32.const 25))))
          (else
            (call $r64 (local.get $pos) (i32.const 1)) (local.set $pos) (local.set $v)
            ;; within 32 bits: the high half is the sign of the low one, in at most 5 bytes
            (br_if $bail (i32.ne (global.get $hi) (i32.shr_s (local.get $v) (i32.const 31))))))
        (i32.store (local.get $k) (local.get $v))
        (br $checked))
        ;; memarg; inline: one byte of flags for memory 0, and one of offset
        (local.set $v (i32.load8_u (local.get $pos)))
        (local.set $c (i32.load8_u offset=1 (local.get $pos)))
        (if (i32.and (i32.lt_u (local.get $v) (i32.const 0x40)) (i32.lt_u (local.get $c) (i32.const 0x80)))
          (then
            (i32.store (local.get $k) (local.get $v))
            (i32.store offset=4 (local.get $k) (i32.const 0))
            (i32.store offset=8 (local.get $k) (local.get $c))
            (i32.store offset=12 (local.get $k) (i32.const 0))
            (local.set $pos (i32.add (local.get $pos) (i32.const 2))))
          (else (local.set $pos (call $rmemarg (local.get $pos) (local.get $k) (i32.const 0)))))
        (br $checked))
        ;; block type: empty or one numeric or vector type (others left to JS)
        (local.set $v (i32.load8_u (local.get $pos)))
        (br_if $bail (i32.and (i32.ne (local.get $v) (i32.const 0x40))
                              (i32.or (i32.lt_u (local.get $v) (i32.const 0x7b)) (i32.gt_u (local.get $v) (i32.const 0x7f)))))
        (i32.store (local.get $k) (i32.sub (local.get $v) (i32.const 0x80)))
        (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
        (local.set $depth (i32.add (local.get $depth) (i32.const 1)))
        (br $checked))
        ;; two indices
        (call $ru32 (local.get $pos)) (local.set $pos) (local.set $v)
        (br_if $bail (i32.lt_s (local.get $pos) (i32.const 0)))
        (i32.store (local.get $k) (local.get $v))
        (call $ru32 (local.get $pos)) (local.set $pos) (local.set $v)
        (i32.store offset=4 (local.get $k) (local.get $v))
        (br $checked))
        ;; i64.const
        (call $r64 (local.get $pos) (i32.const 1)) (local.set $pos) (local.set $v)
        (i32.store (local.get $k) (local.get $v))
        (i32.store offset=4 (local.get $k) (global.get $hi))
        (br $checked))
        ;; f32.const
        (i32.store (local.get $k) (i32.load (local.get $pos)))
        (local.set $pos (i32.add (local.get $pos) (i32.const 4)))
        (br $checked))
        ;; f64.const
        (i64.store (local.get $k) (i64.load (local.get $pos)))
        (local.set $pos (i32.add (local.get $pos) (i32.const 8)))
        (br $checked))
        ;; v128.const, i8x16.shuffle
        (i64.store (local.get $k) (i64.load (local.get $pos)))
        (i64.store offset=8 (local.get $k) (i64.load offset=8 (local.get $pos)))
        (local.set $pos (i32.add (local.get $pos) (i32.const 16)))
        (br $checked))
        ;; a lane index
        (i32.store (local.get $k) (i32.load8_u (local.get $pos)))
        (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
        (br $checked))
        ;; memarg and lane index
        (local.set $pos (call $rmemarg (local.get $pos) (local.get $k) (i32.const 1)))
        (br $checked))
        ;; a zero byte
        (br_if $bail (i32.load8_u (local.get $pos)))
        (local.set $pos (i32.add (local.get $pos) (i32.const 1))))
        ;; An immediate that ran past the body, or a malformed one (position -1).
        (br_if $bail (i32.gt_u (local.get $pos) (local.get $end)))
        (br $next)))
    (i32.const 0))

)
