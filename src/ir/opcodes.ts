/**
 * THE opcode table: one line per instruction, the single source of truth for the
 * decoder, encoder, validator and printer (in the role of wasmparser's
 * `for_each_operator!`). Adding an instruction means adding one line here.
 *
 * Line format:  CODE  NAME  IMM  SIG
 *   CODE  hex opcode; prefixed ops as `fc.08` (prefix byte, then the u32 LEB sub-opcode).
 *   IMM   immediate kind (see `Imm`); memory ops carry their natural alignment as a
 *         suffix: `m2` is a memarg with natural alignment 2^2, `ml3` memarg + lane.
 *   SIG   operand and result types, `params:results`, for the ops whose typing is
 *         fixed: i=i32 I=i64 f=f32 F=f64 V=v128 a=the memory's address type.
 *         `*` means the validator types the op itself (control, references, GC, ...).
 */
const TABLE = `
00 unreachable - *
01 nop - :
02 block block *
03 loop block *
04 if block *
05 else - *
06 try block *
07 catch tag *
08 throw tag *
09 rethrow label *
0a throw_ref - *
0b end - *
0c br label *
0d br_if label *
0e br_table brtable *
0f return - *
10 call func *
11 call_indirect callindirect *
12 return_call func *
13 return_call_indirect callindirect *
14 call_ref type *
15 return_call_ref type *
18 delegate label *
19 catch_all - *
1a drop - *
1b select - *
1c select selectt *
1f try_table trytable *
20 local.get local *
21 local.set local *
22 local.tee local *
23 global.get global *
24 global.set global *
25 table.get table *
26 table.set table *
28 i32.load m2 a:i
29 i64.load m3 a:I
2a f32.load m2 a:f
2b f64.load m3 a:F
2c i32.load8_s m0 a:i
2d i32.load8_u m0 a:i
2e i32.load16_s m1 a:i
2f i32.load16_u m1 a:i
30 i64.load8_s m0 a:I
31 i64.load8_u m0 a:I
32 i64.load16_s m1 a:I
33 i64.load16_u m1 a:I
34 i64.load32_s m2 a:I
35 i64.load32_u m2 a:I
36 i32.store m2 ai:
37 i64.store m3 aI:
38 f32.store m2 af:
39 f64.store m3 aF:
3a i32.store8 m0 ai:
3b i32.store16 m1 ai:
3c i64.store8 m0 aI:
3d i64.store16 m1 aI:
3e i64.store32 m2 aI:
3f memory.size mem :a
40 memory.grow mem a:a
41 i32.const i32 :i
42 i64.const i64 :I
43 f32.const f32 :f
44 f64.const f64 :F
45 i32.eqz - i:i
46 i32.eq - ii:i
47 i32.ne - ii:i
48 i32.lt_s - ii:i
49 i32.lt_u - ii:i
4a i32.gt_s - ii:i
4b i32.gt_u - ii:i
4c i32.le_s - ii:i
4d i32.le_u - ii:i
4e i32.ge_s - ii:i
4f i32.ge_u - ii:i
50 i64.eqz - I:i
51 i64.eq - II:i
52 i64.ne - II:i
53 i64.lt_s - II:i
54 i64.lt_u - II:i
55 i64.gt_s - II:i
56 i64.gt_u - II:i
57 i64.le_s - II:i
58 i64.le_u - II:i
59 i64.ge_s - II:i
5a i64.ge_u - II:i
5b f32.eq - ff:i
5c f32.ne - ff:i
5d f32.lt - ff:i
5e f32.gt - ff:i
5f f32.le - ff:i
60 f32.ge - ff:i
61 f64.eq - FF:i
62 f64.ne - FF:i
63 f64.lt - FF:i
64 f64.gt - FF:i
65 f64.le - FF:i
66 f64.ge - FF:i
67 i32.clz - i:i
68 i32.ctz - i:i
69 i32.popcnt - i:i
6a i32.add - ii:i
6b i32.sub - ii:i
6c i32.mul - ii:i
6d i32.div_s - ii:i
6e i32.div_u - ii:i
6f i32.rem_s - ii:i
70 i32.rem_u - ii:i
71 i32.and - ii:i
72 i32.or - ii:i
73 i32.xor - ii:i
74 i32.shl - ii:i
75 i32.shr_s - ii:i
76 i32.shr_u - ii:i
77 i32.rotl - ii:i
78 i32.rotr - ii:i
79 i64.clz - I:I
7a i64.ctz - I:I
7b i64.popcnt - I:I
7c i64.add - II:I
7d i64.sub - II:I
7e i64.mul - II:I
7f i64.div_s - II:I
80 i64.div_u - II:I
81 i64.rem_s - II:I
82 i64.rem_u - II:I
83 i64.and - II:I
84 i64.or - II:I
85 i64.xor - II:I
86 i64.shl - II:I
87 i64.shr_s - II:I
88 i64.shr_u - II:I
89 i64.rotl - II:I
8a i64.rotr - II:I
8b f32.abs - f:f
8c f32.neg - f:f
8d f32.ceil - f:f
8e f32.floor - f:f
8f f32.trunc - f:f
90 f32.nearest - f:f
91 f32.sqrt - f:f
92 f32.add - ff:f
93 f32.sub - ff:f
94 f32.mul - ff:f
95 f32.div - ff:f
96 f32.min - ff:f
97 f32.max - ff:f
98 f32.copysign - ff:f
99 f64.abs - F:F
9a f64.neg - F:F
9b f64.ceil - F:F
9c f64.floor - F:F
9d f64.trunc - F:F
9e f64.nearest - F:F
9f f64.sqrt - F:F
a0 f64.add - FF:F
a1 f64.sub - FF:F
a2 f64.mul - FF:F
a3 f64.div - FF:F
a4 f64.min - FF:F
a5 f64.max - FF:F
a6 f64.copysign - FF:F
a7 i32.wrap_i64 - I:i
a8 i32.trunc_f32_s - f:i
a9 i32.trunc_f32_u - f:i
aa i32.trunc_f64_s - F:i
ab i32.trunc_f64_u - F:i
ac i64.extend_i32_s - i:I
ad i64.extend_i32_u - i:I
ae i64.trunc_f32_s - f:I
af i64.trunc_f32_u - f:I
b0 i64.trunc_f64_s - F:I
b1 i64.trunc_f64_u - F:I
b2 f32.convert_i32_s - i:f
b3 f32.convert_i32_u - i:f
b4 f32.convert_i64_s - I:f
b5 f32.convert_i64_u - I:f
b6 f32.demote_f64 - F:f
b7 f64.convert_i32_s - i:F
b8 f64.convert_i32_u - i:F
b9 f64.convert_i64_s - I:F
ba f64.convert_i64_u - I:F
bb f64.promote_f32 - f:F
bc i32.reinterpret_f32 - f:i
bd i64.reinterpret_f64 - F:I
be f32.reinterpret_i32 - i:f
bf f64.reinterpret_i64 - I:F
c0 i32.extend8_s - i:i
c1 i32.extend16_s - i:i
c2 i64.extend8_s - I:I
c3 i64.extend16_s - I:I
c4 i64.extend32_s - I:I
d0 ref.null heaptype *
d1 ref.is_null - *
d2 ref.func func *
d3 ref.eq - *
d4 ref.as_non_null - *
d5 br_on_null label *
d6 br_on_non_null label *
fb.00 struct.new type *
fb.01 struct.new_default type *
fb.02 struct.get structfield *
fb.03 struct.get_s structfield *
fb.04 struct.get_u structfield *
fb.05 struct.set structfield *
fb.06 array.new type *
fb.07 array.new_default type *
fb.08 array.new_fixed typen *
fb.09 array.new_data typedata *
fb.0a array.new_elem typeelem *
fb.0b array.get type *
fb.0c array.get_s type *
fb.0d array.get_u type *
fb.0e array.set type *
fb.0f array.len - *
fb.10 array.fill type *
fb.11 array.copy typetype *
fb.12 array.init_data typedata *
fb.13 array.init_elem typeelem *
fb.14 ref.test heaptype *
fb.15 ref.test_null heaptype *
fb.16 ref.cast heaptype *
fb.17 ref.cast_null heaptype *
fb.18 br_on_cast broncast *
fb.19 br_on_cast_fail broncast *
fb.1a any.convert_extern - *
fb.1b extern.convert_any - *
fb.1c ref.i31 - *
fb.1d i31.get_s - *
fb.1e i31.get_u - *
fb.20 struct.new_desc type *
fb.21 struct.new_default_desc type *
fb.22 ref.get_desc type *
fb.23 ref.cast_desc_eq heaptype *
fb.24 ref.cast_desc_eq_null heaptype *
fb.25 br_on_cast_desc_eq broncast *
fb.26 br_on_cast_desc_eq_fail broncast *
fc.00 i32.trunc_sat_f32_s - f:i
fc.01 i32.trunc_sat_f32_u - f:i
fc.02 i32.trunc_sat_f64_s - F:i
fc.03 i32.trunc_sat_f64_u - F:i
fc.04 i64.trunc_sat_f32_s - f:I
fc.05 i64.trunc_sat_f32_u - f:I
fc.06 i64.trunc_sat_f64_s - F:I
fc.07 i64.trunc_sat_f64_u - F:I
fc.08 memory.init datamem *
fc.09 data.drop data :
fc.0a memory.copy memmem *
fc.0b memory.fill mem *
fc.0c table.init elemtable *
fc.0d elem.drop elem :
fc.0e table.copy tabletable *
fc.0f table.grow table *
fc.10 table.size table *
fc.11 table.fill table *
fc.13 i64.add128 - IIII:II
fc.14 i64.sub128 - IIII:II
fc.15 i64.mul_wide_s - II:II
fc.16 i64.mul_wide_u - II:II
fd.00 v128.load m4 a:V
fd.01 v128.load8x8_s m3 a:V
fd.02 v128.load8x8_u m3 a:V
fd.03 v128.load16x4_s m3 a:V
fd.04 v128.load16x4_u m3 a:V
fd.05 v128.load32x2_s m3 a:V
fd.06 v128.load32x2_u m3 a:V
fd.07 v128.load8_splat m0 a:V
fd.08 v128.load16_splat m1 a:V
fd.09 v128.load32_splat m2 a:V
fd.0a v128.load64_splat m3 a:V
fd.0b v128.store m4 aV:
fd.0c v128.const v128 :V
fd.0d i8x16.shuffle shuffle VV:V
fd.0e i8x16.swizzle - VV:V
fd.0f i8x16.splat - i:V
fd.10 i16x8.splat - i:V
fd.11 i32x4.splat - i:V
fd.12 i64x2.splat - I:V
fd.13 f32x4.splat - f:V
fd.14 f64x2.splat - F:V
fd.15 i8x16.extract_lane_s lane V:i
fd.16 i8x16.extract_lane_u lane V:i
fd.17 i8x16.replace_lane lane Vi:V
fd.18 i16x8.extract_lane_s lane V:i
fd.19 i16x8.extract_lane_u lane V:i
fd.1a i16x8.replace_lane lane Vi:V
fd.1b i32x4.extract_lane lane V:i
fd.1c i32x4.replace_lane lane Vi:V
fd.1d i64x2.extract_lane lane V:I
fd.1e i64x2.replace_lane lane VI:V
fd.1f f32x4.extract_lane lane V:f
fd.20 f32x4.replace_lane lane Vf:V
fd.21 f64x2.extract_lane lane V:F
fd.22 f64x2.replace_lane lane VF:V
fd.23 i8x16.eq - VV:V
fd.24 i8x16.ne - VV:V
fd.25 i8x16.lt_s - VV:V
fd.26 i8x16.lt_u - VV:V
fd.27 i8x16.gt_s - VV:V
fd.28 i8x16.gt_u - VV:V
fd.29 i8x16.le_s - VV:V
fd.2a i8x16.le_u - VV:V
fd.2b i8x16.ge_s - VV:V
fd.2c i8x16.ge_u - VV:V
fd.2d i16x8.eq - VV:V
fd.2e i16x8.ne - VV:V
fd.2f i16x8.lt_s - VV:V
fd.30 i16x8.lt_u - VV:V
fd.31 i16x8.gt_s - VV:V
fd.32 i16x8.gt_u - VV:V
fd.33 i16x8.le_s - VV:V
fd.34 i16x8.le_u - VV:V
fd.35 i16x8.ge_s - VV:V
fd.36 i16x8.ge_u - VV:V
fd.37 i32x4.eq - VV:V
fd.38 i32x4.ne - VV:V
fd.39 i32x4.lt_s - VV:V
fd.3a i32x4.lt_u - VV:V
fd.3b i32x4.gt_s - VV:V
fd.3c i32x4.gt_u - VV:V
fd.3d i32x4.le_s - VV:V
fd.3e i32x4.le_u - VV:V
fd.3f i32x4.ge_s - VV:V
fd.40 i32x4.ge_u - VV:V
fd.41 f32x4.eq - VV:V
fd.42 f32x4.ne - VV:V
fd.43 f32x4.lt - VV:V
fd.44 f32x4.gt - VV:V
fd.45 f32x4.le - VV:V
fd.46 f32x4.ge - VV:V
fd.47 f64x2.eq - VV:V
fd.48 f64x2.ne - VV:V
fd.49 f64x2.lt - VV:V
fd.4a f64x2.gt - VV:V
fd.4b f64x2.le - VV:V
fd.4c f64x2.ge - VV:V
fd.4d v128.not - V:V
fd.4e v128.and - VV:V
fd.4f v128.andnot - VV:V
fd.50 v128.or - VV:V
fd.51 v128.xor - VV:V
fd.52 v128.bitselect - VVV:V
fd.53 v128.any_true - V:i
fd.54 v128.load8_lane ml0 aV:V
fd.55 v128.load16_lane ml1 aV:V
fd.56 v128.load32_lane ml2 aV:V
fd.57 v128.load64_lane ml3 aV:V
fd.58 v128.store8_lane ml0 aV:
fd.59 v128.store16_lane ml1 aV:
fd.5a v128.store32_lane ml2 aV:
fd.5b v128.store64_lane ml3 aV:
fd.5c v128.load32_zero m2 a:V
fd.5d v128.load64_zero m3 a:V
fd.5e f32x4.demote_f64x2_zero - V:V
fd.5f f64x2.promote_low_f32x4 - V:V
fd.60 i8x16.abs - V:V
fd.61 i8x16.neg - V:V
fd.62 i8x16.popcnt - V:V
fd.63 i8x16.all_true - V:i
fd.64 i8x16.bitmask - V:i
fd.65 i8x16.narrow_i16x8_s - VV:V
fd.66 i8x16.narrow_i16x8_u - VV:V
fd.67 f32x4.ceil - V:V
fd.68 f32x4.floor - V:V
fd.69 f32x4.trunc - V:V
fd.6a f32x4.nearest - V:V
fd.6b i8x16.shl - Vi:V
fd.6c i8x16.shr_s - Vi:V
fd.6d i8x16.shr_u - Vi:V
fd.6e i8x16.add - VV:V
fd.6f i8x16.add_sat_s - VV:V
fd.70 i8x16.add_sat_u - VV:V
fd.71 i8x16.sub - VV:V
fd.72 i8x16.sub_sat_s - VV:V
fd.73 i8x16.sub_sat_u - VV:V
fd.74 f64x2.ceil - V:V
fd.75 f64x2.floor - V:V
fd.76 i8x16.min_s - VV:V
fd.77 i8x16.min_u - VV:V
fd.78 i8x16.max_s - VV:V
fd.79 i8x16.max_u - VV:V
fd.7a f64x2.trunc - V:V
fd.7b i8x16.avgr_u - VV:V
fd.7c i16x8.extadd_pairwise_i8x16_s - V:V
fd.7d i16x8.extadd_pairwise_i8x16_u - V:V
fd.7e i32x4.extadd_pairwise_i16x8_s - V:V
fd.7f i32x4.extadd_pairwise_i16x8_u - V:V
fd.80 i16x8.abs - V:V
fd.81 i16x8.neg - V:V
fd.82 i16x8.q15mulr_sat_s - VV:V
fd.83 i16x8.all_true - V:i
fd.84 i16x8.bitmask - V:i
fd.85 i16x8.narrow_i32x4_s - VV:V
fd.86 i16x8.narrow_i32x4_u - VV:V
fd.87 i16x8.extend_low_i8x16_s - V:V
fd.88 i16x8.extend_high_i8x16_s - V:V
fd.89 i16x8.extend_low_i8x16_u - V:V
fd.8a i16x8.extend_high_i8x16_u - V:V
fd.8b i16x8.shl - Vi:V
fd.8c i16x8.shr_s - Vi:V
fd.8d i16x8.shr_u - Vi:V
fd.8e i16x8.add - VV:V
fd.8f i16x8.add_sat_s - VV:V
fd.90 i16x8.add_sat_u - VV:V
fd.91 i16x8.sub - VV:V
fd.92 i16x8.sub_sat_s - VV:V
fd.93 i16x8.sub_sat_u - VV:V
fd.94 f64x2.nearest - V:V
fd.95 i16x8.mul - VV:V
fd.96 i16x8.min_s - VV:V
fd.97 i16x8.min_u - VV:V
fd.98 i16x8.max_s - VV:V
fd.99 i16x8.max_u - VV:V
fd.9b i16x8.avgr_u - VV:V
fd.9c i16x8.extmul_low_i8x16_s - VV:V
fd.9d i16x8.extmul_high_i8x16_s - VV:V
fd.9e i16x8.extmul_low_i8x16_u - VV:V
fd.9f i16x8.extmul_high_i8x16_u - VV:V
fd.a0 i32x4.abs - V:V
fd.a1 i32x4.neg - V:V
fd.a3 i32x4.all_true - V:i
fd.a4 i32x4.bitmask - V:i
fd.a7 i32x4.extend_low_i16x8_s - V:V
fd.a8 i32x4.extend_high_i16x8_s - V:V
fd.a9 i32x4.extend_low_i16x8_u - V:V
fd.aa i32x4.extend_high_i16x8_u - V:V
fd.ab i32x4.shl - Vi:V
fd.ac i32x4.shr_s - Vi:V
fd.ad i32x4.shr_u - Vi:V
fd.ae i32x4.add - VV:V
fd.b1 i32x4.sub - VV:V
fd.b5 i32x4.mul - VV:V
fd.b6 i32x4.min_s - VV:V
fd.b7 i32x4.min_u - VV:V
fd.b8 i32x4.max_s - VV:V
fd.b9 i32x4.max_u - VV:V
fd.ba i32x4.dot_i16x8_s - VV:V
fd.bc i32x4.extmul_low_i16x8_s - VV:V
fd.bd i32x4.extmul_high_i16x8_s - VV:V
fd.be i32x4.extmul_low_i16x8_u - VV:V
fd.bf i32x4.extmul_high_i16x8_u - VV:V
fd.c0 i64x2.abs - V:V
fd.c1 i64x2.neg - V:V
fd.c3 i64x2.all_true - V:i
fd.c4 i64x2.bitmask - V:i
fd.c7 i64x2.extend_low_i32x4_s - V:V
fd.c8 i64x2.extend_high_i32x4_s - V:V
fd.c9 i64x2.extend_low_i32x4_u - V:V
fd.ca i64x2.extend_high_i32x4_u - V:V
fd.cb i64x2.shl - Vi:V
fd.cc i64x2.shr_s - Vi:V
fd.cd i64x2.shr_u - Vi:V
fd.ce i64x2.add - VV:V
fd.d1 i64x2.sub - VV:V
fd.d5 i64x2.mul - VV:V
fd.d6 i64x2.eq - VV:V
fd.d7 i64x2.ne - VV:V
fd.d8 i64x2.lt_s - VV:V
fd.d9 i64x2.gt_s - VV:V
fd.da i64x2.le_s - VV:V
fd.db i64x2.ge_s - VV:V
fd.dc i64x2.extmul_low_i32x4_s - VV:V
fd.dd i64x2.extmul_high_i32x4_s - VV:V
fd.de i64x2.extmul_low_i32x4_u - VV:V
fd.df i64x2.extmul_high_i32x4_u - VV:V
fd.e0 f32x4.abs - V:V
fd.e1 f32x4.neg - V:V
fd.e3 f32x4.sqrt - V:V
fd.e4 f32x4.add - VV:V
fd.e5 f32x4.sub - VV:V
fd.e6 f32x4.mul - VV:V
fd.e7 f32x4.div - VV:V
fd.e8 f32x4.min - VV:V
fd.e9 f32x4.max - VV:V
fd.ea f32x4.pmin - VV:V
fd.eb f32x4.pmax - VV:V
fd.ec f64x2.abs - V:V
fd.ed f64x2.neg - V:V
fd.ef f64x2.sqrt - V:V
fd.f0 f64x2.add - VV:V
fd.f1 f64x2.sub - VV:V
fd.f2 f64x2.mul - VV:V
fd.f3 f64x2.div - VV:V
fd.f4 f64x2.min - VV:V
fd.f5 f64x2.max - VV:V
fd.f6 f64x2.pmin - VV:V
fd.f7 f64x2.pmax - VV:V
fd.f8 i32x4.trunc_sat_f32x4_s - V:V
fd.f9 i32x4.trunc_sat_f32x4_u - V:V
fd.fa f32x4.convert_i32x4_s - V:V
fd.fb f32x4.convert_i32x4_u - V:V
fd.fc i32x4.trunc_sat_f64x2_s_zero - V:V
fd.fd i32x4.trunc_sat_f64x2_u_zero - V:V
fd.fe f64x2.convert_low_i32x4_s - V:V
fd.ff f64x2.convert_low_i32x4_u - V:V
fd.100 i8x16.relaxed_swizzle - VV:V
fd.101 i32x4.relaxed_trunc_f32x4_s - V:V
fd.102 i32x4.relaxed_trunc_f32x4_u - V:V
fd.103 i32x4.relaxed_trunc_f64x2_s_zero - V:V
fd.104 i32x4.relaxed_trunc_f64x2_u_zero - V:V
fd.105 f32x4.relaxed_madd - VVV:V
fd.106 f32x4.relaxed_nmadd - VVV:V
fd.107 f64x2.relaxed_madd - VVV:V
fd.108 f64x2.relaxed_nmadd - VVV:V
fd.109 i8x16.relaxed_laneselect - VVV:V
fd.10a i16x8.relaxed_laneselect - VVV:V
fd.10b i32x4.relaxed_laneselect - VVV:V
fd.10c i64x2.relaxed_laneselect - VVV:V
fd.10d f32x4.relaxed_min - VV:V
fd.10e f32x4.relaxed_max - VV:V
fd.10f f64x2.relaxed_min - VV:V
fd.110 f64x2.relaxed_max - VV:V
fd.111 i16x8.relaxed_q15mulr_s - VV:V
fd.112 i16x8.relaxed_dot_i8x16_i7x16_s - VV:V
fd.113 i32x4.relaxed_dot_i8x16_i7x16_add_s - VVV:V
fe.00 memory.atomic.notify m2 ai:i
fe.01 memory.atomic.wait32 m2 aiI:i
fe.02 memory.atomic.wait64 m3 aII:i
fe.03 atomic.fence zero :
fe.10 i32.atomic.load m2 a:i
fe.11 i64.atomic.load m3 a:I
fe.12 i32.atomic.load8_u m0 a:i
fe.13 i32.atomic.load16_u m1 a:i
fe.14 i64.atomic.load8_u m0 a:I
fe.15 i64.atomic.load16_u m1 a:I
fe.16 i64.atomic.load32_u m2 a:I
fe.17 i32.atomic.store m2 ai:
fe.18 i64.atomic.store m3 aI:
fe.19 i32.atomic.store8 m0 ai:
fe.1a i32.atomic.store16 m1 ai:
fe.1b i64.atomic.store8 m0 aI:
fe.1c i64.atomic.store16 m1 aI:
fe.1d i64.atomic.store32 m2 aI:
fe.1e i32.atomic.rmw.add m2 ai:i
fe.1f i64.atomic.rmw.add m3 aI:I
fe.20 i32.atomic.rmw8.add_u m0 ai:i
fe.21 i32.atomic.rmw16.add_u m1 ai:i
fe.22 i64.atomic.rmw8.add_u m0 aI:I
fe.23 i64.atomic.rmw16.add_u m1 aI:I
fe.24 i64.atomic.rmw32.add_u m2 aI:I
fe.25 i32.atomic.rmw.sub m2 ai:i
fe.26 i64.atomic.rmw.sub m3 aI:I
fe.27 i32.atomic.rmw8.sub_u m0 ai:i
fe.28 i32.atomic.rmw16.sub_u m1 ai:i
fe.29 i64.atomic.rmw8.sub_u m0 aI:I
fe.2a i64.atomic.rmw16.sub_u m1 aI:I
fe.2b i64.atomic.rmw32.sub_u m2 aI:I
fe.2c i32.atomic.rmw.and m2 ai:i
fe.2d i64.atomic.rmw.and m3 aI:I
fe.2e i32.atomic.rmw8.and_u m0 ai:i
fe.2f i32.atomic.rmw16.and_u m1 ai:i
fe.30 i64.atomic.rmw8.and_u m0 aI:I
fe.31 i64.atomic.rmw16.and_u m1 aI:I
fe.32 i64.atomic.rmw32.and_u m2 aI:I
fe.33 i32.atomic.rmw.or m2 ai:i
fe.34 i64.atomic.rmw.or m3 aI:I
fe.35 i32.atomic.rmw8.or_u m0 ai:i
fe.36 i32.atomic.rmw16.or_u m1 ai:i
fe.37 i64.atomic.rmw8.or_u m0 aI:I
fe.38 i64.atomic.rmw16.or_u m1 aI:I
fe.39 i64.atomic.rmw32.or_u m2 aI:I
fe.3a i32.atomic.rmw.xor m2 ai:i
fe.3b i64.atomic.rmw.xor m3 aI:I
fe.3c i32.atomic.rmw8.xor_u m0 ai:i
fe.3d i32.atomic.rmw16.xor_u m1 ai:i
fe.3e i64.atomic.rmw8.xor_u m0 aI:I
fe.3f i64.atomic.rmw16.xor_u m1 aI:I
fe.40 i64.atomic.rmw32.xor_u m2 aI:I
fe.41 i32.atomic.rmw.xchg m2 ai:i
fe.42 i64.atomic.rmw.xchg m3 aI:I
fe.43 i32.atomic.rmw8.xchg_u m0 ai:i
fe.44 i32.atomic.rmw16.xchg_u m1 ai:i
fe.45 i64.atomic.rmw8.xchg_u m0 aI:I
fe.46 i64.atomic.rmw16.xchg_u m1 aI:I
fe.47 i64.atomic.rmw32.xchg_u m2 aI:I
fe.48 i32.atomic.rmw.cmpxchg m2 aii:i
fe.49 i64.atomic.rmw.cmpxchg m3 aII:I
fe.4a i32.atomic.rmw8.cmpxchg_u m0 aii:i
fe.4b i32.atomic.rmw16.cmpxchg_u m1 aii:i
fe.4c i64.atomic.rmw8.cmpxchg_u m0 aII:I
fe.4d i64.atomic.rmw16.cmpxchg_u m1 aII:I
fe.4e i64.atomic.rmw32.cmpxchg_u m2 aII:I
`;

/** Immediate kinds. Each names the immediates that follow the opcode in the binary. */
export const enum Imm {
  None, Block, Label, BrTable, Func, CallIndirect, Type, Local, Global, Table,
  Memarg, MemargLane, Mem, MemMem, DataMem, Data, ElemTable, Elem, TableTable,
  I32, I64, F32, F64, V128, Lane, Shuffle, SelectT, HeapType, Tag, TryTable,
  StructField, TypeN, TypeData, TypeElem, TypeType, BrOnCast, Zero,
  /** A prefix byte (0xfb-0xfe): the op is identified by the sub-opcode that follows. */
  Prefix,
  /** A byte that starts no instruction. */
  Invalid,
}

const IMM_NAMES: Record<string, Imm> = {
  '-': Imm.None, block: Imm.Block, label: Imm.Label, brtable: Imm.BrTable, func: Imm.Func,
  callindirect: Imm.CallIndirect, type: Imm.Type, local: Imm.Local, global: Imm.Global,
  table: Imm.Table, mem: Imm.Mem, memmem: Imm.MemMem, datamem: Imm.DataMem, data: Imm.Data,
  elemtable: Imm.ElemTable, elem: Imm.Elem, tabletable: Imm.TableTable, i32: Imm.I32,
  i64: Imm.I64, f32: Imm.F32, f64: Imm.F64, v128: Imm.V128, lane: Imm.Lane, shuffle: Imm.Shuffle,
  selectt: Imm.SelectT, heaptype: Imm.HeapType, tag: Imm.Tag, trytable: Imm.TryTable,
  structfield: Imm.StructField, typen: Imm.TypeN, typedata: Imm.TypeData, typeelem: Imm.TypeElem,
  typetype: Imm.TypeType, broncast: Imm.BrOnCast, zero: Imm.Zero,
};

/** Instruction prefixes; 0 means a single-byte opcode. */
export const PREFIX_GC = 0xfb, PREFIX_MISC = 0xfc, PREFIX_SIMD = 0xfd, PREFIX_ATOMIC = 0xfe;

/**
 * Op ids: a single-byte opcode's id is the byte itself (so the decoder needs no lookup
 * to identify it); prefixed ops are numbered from 256 in table order.
 */
export interface OpInfo {
  /** The op's id: what bodies store. */
  readonly id: number;
  readonly name: string;
  readonly prefix: number;
  readonly code: number;
  readonly imm: Imm;
  /** log2 of the natural alignment, for memory ops; -1 otherwise. */
  readonly align: number;
  /** Fixed operand types (letters as in TABLE), or null when the validator types the op itself. */
  readonly params: string | null;
  readonly results: string | null;
}

/** Every op by id; ids 0-255 that start no instruction hold placeholders of kind Invalid/Prefix. */
export const OPS: readonly OpInfo[] = Array.from({ length: 256 }, (_, byte) => ({
  id: byte, name: '', prefix: 0, code: byte, imm: byte >= 0xfb && byte <= 0xfe ? Imm.Prefix : Imm.Invalid,
  align: -1, params: null, results: null,
}));
/** Immediate kind per op id, as a flat array for the hot loops. */
export const OP_IMM = new Uint8Array(1024).fill(Imm.Invalid);
/** No op: the PREFIX_TABLES entry of an unknown sub-opcode. */
export const NO_OP = 0xffff;
/** Largest sub-opcode + 1 the prefix tables cover. */
export const PREFIX_TABLE_SIZE = 0x120;
/** Op id per sub-opcode, for each prefix byte (index prefix - 0xfb). */
export const PREFIX_TABLES: readonly Uint16Array[] = [0, 1, 2, 3].map(() => new Uint16Array(PREFIX_TABLE_SIZE).fill(NO_OP));
export const OP_BY_NAME = new Map<string, OpInfo>();

for (const line of TABLE.split('\n')) {
  if (!line) continue;
  const [code, name, immText, sig] = line.split(' ');
  const dot = code.indexOf('.');
  const prefix = dot < 0 ? 0 : parseInt(code.slice(0, dot), 16);
  const sub = parseInt(dot < 0 ? code : code.slice(dot + 1), 16);
  let align = -1;
  let imm: Imm;
  const mem = /^(ml?)(\d)$/.exec(immText);
  if (mem) {
    imm = mem[1] === 'ml' ? Imm.MemargLane : Imm.Memarg;
    align = Number(mem[2]);
  } else {
    imm = IMM_NAMES[immText];
    if (imm === undefined) throw new Error(`opcode table: unknown immediate ${immText} for ${name}`);
  }
  const colon = sig.indexOf(':');
  const id = prefix === 0 ? sub : OPS.length;
  const info: OpInfo = {
    id, name, prefix, code: sub, imm, align,
    params: colon < 0 ? null : sig.slice(0, colon),
    results: colon < 0 ? null : sig.slice(colon + 1),
  };
  (OPS as OpInfo[])[id] = info;
  OP_IMM[id] = imm;
  // `select` appears twice (plain and typed); the name map keeps the plain one.
  if (!OP_BY_NAME.has(name)) OP_BY_NAME.set(name, info);
  if (prefix !== 0) PREFIX_TABLES[prefix - 0xfb][sub] = id;
}
for (let byte = 0xfb; byte <= 0xfe; byte++) OP_IMM[byte] = Imm.Prefix;

/** Lanes of each lane op (i8x16.extract_lane_s: 16, v128.load32_lane: 4), by op id; 0 for others. */
export const OP_LANES = Uint8Array.from(OPS, (op) => {
  if (op.imm !== Imm.Lane && op.imm !== Imm.MemargLane) return 0;
  const bits = /^[if](\d+)x/.exec(op.name) ?? /(\d+)_lane$/.exec(op.name);
  return 128 / Number(bits![1]);
});

const id = (name: string): number => OP_BY_NAME.get(name)!.id;
/** Op ids the structure-aware code refers to by name. */
export const Op = {
  unreachable: id('unreachable'), nop: id('nop'), block: id('block'), loop: id('loop'), if: id('if'),
  else: id('else'), try: id('try'), catch: id('catch'), catch_all: id('catch_all'),
  delegate: id('delegate'), try_table: id('try_table'), end: id('end'),
  br: id('br'), br_if: id('br_if'), br_table: id('br_table'), return: id('return'),
  call: id('call'), call_indirect: id('call_indirect'), return_call: id('return_call'),
  return_call_indirect: id('return_call_indirect'), call_ref: id('call_ref'),
  return_call_ref: id('return_call_ref'), throw: id('throw'), throw_ref: id('throw_ref'),
  rethrow: id('rethrow'), drop: id('drop'), select: id('select'),
  select_t: 0x1c,
  local_get: id('local.get'), local_set: id('local.set'), local_tee: id('local.tee'),
  global_get: id('global.get'), global_set: id('global.set'),
  i32_const: id('i32.const'), i64_const: id('i64.const'), f32_const: id('f32.const'),
  f64_const: id('f64.const'), v128_const: id('v128.const'),
  ref_null: id('ref.null'), ref_func: id('ref.func'),
  data_drop: id('data.drop'), memory_init: id('memory.init'),
} as const;
