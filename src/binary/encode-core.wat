;; The encoder's fast core: encodes instructions [0, n) of a body whose IR arrays (ops,
;; immediates, extra) the decoder wrote into this module's memory, with the same rules
;; as encode-body.ts, byte for byte. It returns the end of what it wrote, or 0 on an op
;; whose immediates it leaves to the JS encoder (heap types, typed select, try_table,
;; GC casts), which then encodes the whole body. Assembled by scripts/build-core.mjs.
;;
;; Memory: 0x0000 DESC, 4 bytes per op id (encode-core.ts fills it from the opcode table):
;; +0 kind, +1 prefix byte (0: none), +2 code (u16). The IR and the output are placed by
;; the host above 0x1000.
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
          (local.set $p (call $s32 (local.get $p) (i32.load (local.get $k))))
          (br $next))
          ;; memarg
          (local.set $p (call $memarg (local.get $p) (local.get $k)))
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
)
