// What the text format cannot say, for tests that compare a module with what an assembler
// makes of its printed text (print.test.mjs against WABT/binaryen, text-roundtrip against
// weft's own parser).
import { Body, decodeFunc, refType } from '../dist/src/index.js';
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
 *   its anchor becomes the nearest non-empty section before it.
 * - Element and data segment encodings the text leaves to the assembler: an explicit
 *   table or memory index 0, and (WABT, pre-3.0) funcref segments whose items are all
 *   `ref.func`, which WABT writes in the function-index form. `{ segments: false }` keeps
 *   these, for an assembler that keeps what the printer says.
 */
export function normalize(m, { segments = true } = {}) {
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
    let r = SECTION_ORDER.indexOf(c.after);
    while (r >= 0 && !present[SECTION_ORDER[r]]) r--;
    c.after = r < 0 ? 0 : SECTION_ORDER[r];
  }
  if (!segments) return m;
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

