// What the text format cannot say, for tests that compare a module with what an assembler
// makes of its printed text (print.test.mjs against WABT/binaryen, text-roundtrip against
// weft's own parser).
import { Body, decodeFunc, OP_BY_NAME, refType } from '../dist/src/index.js';
import { OP_IMM } from '../dist/src/ir/opcodes.js';
import { decodeExpr } from '../dist/src/binary/decode.js';

const SECTION_ORDER = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];
const REF_FUNC = refType(false, 0x70 - 0x80);
const scratch = new Body();

/**
 * Brings a module to the form its text determines. Mutates `m`.
 * - The data count section: text has none; an assembler writes one when it decides to.
 * - The name section: its position, subsection order and entry order (text gives names
 *   in index order), and whether an empty one or empty per-function maps exist.
 * - A custom section placed after an empty known section (text has no empty sections):
 *   its anchor becomes the nearest non-empty section before it. The branch-hint section
 *   (said inline, in the bodies) goes just before the code.
 * - Element and data segment encodings the text leaves to the assembler: an explicit
 *   table or memory index 0, and (WABT, pre-3.0) funcref segments whose items are all
 *   `ref.func`, which WABT writes in the function-index form.
 * - Instruction encodings the text leaves open, where WABT takes the short form: a
 *   memarg's explicit memory 0, a block type `(type x)` that a value type can say, an
 *   empty `else`.
 * `{ wabt: false }` keeps the last two groups, for an assembler (weft's) that keeps what
 * the printer says.
 */
export function normalize(m, { wabt = true } = {}) {
  for (const f of m.funcs) f.body = decodeFunc(m, f, new Body());
  m.hasDataCount = false;
  const n = m.names;
  const subsections = ['functions', 'locals', 'labels', 'types', 'tables', 'memories', 'globals', 'elems', 'datas', 'fields', 'tags'];
  // A per-function (or per-type) map without entries says nothing (WABT writes one for every function).
  if (n) for (const k of ['locals', 'labels', 'fields']) for (const [i, inner] of n[k]) if (inner.size === 0) n[k].delete(i);
  if (n && n.module === null && n.unknown.size === 0 && subsections.every((k) => n[k].size === 0)) m.names = null;
  if (m.names) {
    m.names.order = [];
    const sorted = (map) => new Map([...map].sort((a, b) => a[0] - b[0]).map(([k, v]) => [k, v instanceof Map ? sorted(v) : v]));
    for (const k of subsections) m.names[k] = sorted(m.names[k]);
  }
  m.customs = m.customs.filter((c) => c.name !== 'name');
  const present = {
    1: m.types.length, 2: m.imports.length, 3: m.funcs.length, 4: m.tables.length, 5: m.memories.length,
    13: m.tags.length, 6: m.globals.length, 7: m.exports.length, 8: m.start !== null, 9: m.elems.length,
    10: m.funcs.length, 11: m.datas.length,
  };
  for (const c of m.customs) {
    // Branch hints are said inline, in the bodies: the text puts their section just before the code.
    if (c.name === 'metadata.code.branch_hint') c.after = 12;
    let r = SECTION_ORDER.indexOf(c.after);
    while (r >= 0 && !present[SECTION_ORDER[r]]) r--;
    c.after = r < 0 ? 0 : SECTION_ORDER[r];
  }
  if (!wabt) return m;
  for (const f of m.funcs) shortForms(m, f.body);
  for (const d of m.datas) if (d.flags === 2 && d.memory === 0) d.flags = 0;
  for (const e of m.elems) {
    if (e.exprs && e.type === 0x70) {
      const funcs = e.exprs.map((x) => {
        const b = decodeExpr(x, scratch);
        return b.length === 2 && b.ops[0] === 0xd2 ? b.imm[0] : -1;
      });
      if (funcs.every((f) => f >= 0)) Object.assign(e, { funcs, exprs: null, flags: e.flags & ~4, type: REF_FUNC });
    }
    if ((e.flags & 3) === 2 && e.table === 0 && (e.funcs || e.type === 0x70)) e.flags &= ~2;
  }
  return m;
}


const ELSE = OP_BY_NAME.get('else').id;
const END = OP_BY_NAME.get('end').id;
// Immediate kinds (Imm is a const enum: no runtime object), by an op of each kind.
const [MEMARG, MEMARG_LANE, BLOCK, TRY_TABLE] = ['i32.load', 'v128.load8_lane', 'block', 'try_table'].map((n) => OP_BY_NAME.get(n).imm);

/** WABT's choices among equivalent encodings, applied to a decoded body in place. */
function shortForms(m, b) {
  let j = 0;
  for (let i = 0; i < b.length; i++) {
    const op = b.ops[i];
    if (op === ELSE && b.ops[i + 1] === END) continue;
    const k = i * 4;
    const kind = OP_IMM[op];
    if ((kind === MEMARG || kind === MEMARG_LANE) && (b.imm[k] & 0x40) && b.imm[k + 1] === 0) b.imm[k] &= ~0x40;
    if ((kind === BLOCK || kind === TRY_TABLE) && b.imm[k] >= 0) {
      const { comp } = m.types[b.imm[k]];
      if (comp.kind === 'func' && comp.params.length === 0 && comp.results.length <= 1) {
        const t = comp.results[0];
        b.imm[k] = t === undefined ? -64 : (t & 0xff) - 0x80;
        b.imm[k + 1] = t === undefined ? 0 : t >> 8;
      }
    }
    b.ops[j] = op;
    b.imm.copyWithin(j * 4, k, k + 4);
    j++;
  }
  b.length = j;
}
