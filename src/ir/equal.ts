/**
 * Structural equality of modules, for round-trip checks (binary → binary, binary →
 * text → binary). Bodies and constant expressions compare by their decoded
 * instructions, so encoding choices (LEB padding, local grouping) don't count, but
 * every type, index, immediate and byte of data does.
 */
import { decodeExpr, decodeFunc } from '../binary/decode.js';
import { Body } from './body.js';
import { Imm, OP_IMM, OPS } from './opcodes.js';
import type { Expr, Module } from './module.js';

/** Returns null when `a` and `b` are equal, else a path to the first difference. */
export function moduleDiff(a: Module, b: Module): string | null {
  const plain = (m: Module): unknown => ({
    types: m.types, recGroups: m.recGroups, imports: m.imports, tables: m.tables.map((t) => ({ ...t, init: null })),
    memories: m.memories, tags: m.tags, globals: m.globals.map((g) => ({ ...g, init: null })), exports: m.exports,
    start: m.start, elems: m.elems.map((e) => ({ ...e, offset: null, exprs: e.exprs?.length ?? null })),
    datas: m.datas.map((d) => ({ ...d, offset: null })), hasDataCount: m.hasDataCount,
    customs: m.customs.map((c) => (c.name === 'name' && m.names ? { ...c, bytes: null } : c)),
    names: m.names, funcTypes: m.funcs.map((f) => f.type),
  });
  const d = valueDiff(plain(a), plain(b), '');
  if (d) return d;
  const exprPairs: [Expr | null, Expr | null, string][] = [
    ...a.tables.map((t, i) => [t.init, b.tables[i].init, `tables[${i}].init`] as [Expr | null, Expr | null, string]),
    ...a.globals.map((g, i) => [g.init, b.globals[i].init, `globals[${i}].init`] as [Expr, Expr, string]),
    ...a.elems.map((e, i) => [e.offset, b.elems[i].offset, `elems[${i}].offset`] as [Expr | null, Expr | null, string]),
    ...a.datas.map((x, i) => [x.offset, b.datas[i].offset, `datas[${i}].offset`] as [Expr | null, Expr | null, string]),
  ];
  a.elems.forEach((e, i) => e.exprs?.forEach((x, j) => exprPairs.push([x, b.elems[i].exprs![j], `elems[${i}].exprs[${j}]`])));
  for (const [x, y, path] of exprPairs) {
    if (!x || !y) {
      if (x !== y) return path;
      continue;
    }
    const bd = bodyDiff(decodeExpr(x), decodeExpr(y));
    if (bd) return `${path}: ${bd}`;
  }
  const ba = new Body();
  const bb = new Body();
  for (let i = 0; i < a.funcs.length; i++) {
    const bd = bodyDiff(decodeFunc(a, a.funcs[i], ba), decodeFunc(b, b.funcs[i], bb));
    if (bd) return `funcs[${i}]: ${bd}`;
  }
  return null;
}

/** Compares two bodies instruction by instruction; null when equal. */
export function bodyDiff(a: Body, b: Body): string | null {
  const la = a.localTypes();
  const lb = b.localTypes();
  if (la.length !== lb.length || la.some((t, i) => t !== lb[i])) return 'locals differ';
  if (a.length !== b.length) return `instruction count ${a.length} vs ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    const op = a.ops[i];
    if (op !== b.ops[i]) return `instruction ${i}: ${OPS[op].name} vs ${OPS[b.ops[i]].name}`;
    const k = i * 4;
    const imm = OP_IMM[op];
    if (imm === Imm.BrTable || imm === Imm.SelectT || imm === Imm.TryTable) {
      const at = imm === Imm.TryTable ? 2 : 0;
      if (imm === Imm.TryTable && (a.imm[k] !== b.imm[k] || a.imm[k + 1] !== b.imm[k + 1])) return `instruction ${i}: block type`;
      const n = a.imm[k + at + 1];
      if (n !== b.imm[k + at + 1]) return `instruction ${i}: count`;
      const len = imm === Imm.TryTable ? n * 3 : imm === Imm.BrTable ? n + 1 : n;
      for (let j = 0; j < len; j++) {
        if (a.extra[a.imm[k + at] + j] !== b.extra[b.imm[k + at] + j]) return `instruction ${i}: ${OPS[op].name} immediates`;
      }
      continue;
    }
    for (let j = 0; j < 4; j++) if (a.imm[k + j] !== b.imm[k + j]) return `instruction ${i}: ${OPS[op].name} immediate ${j}`;
  }
  return null;
}

function valueDiff(x: unknown, y: unknown, path: string): string | null {
  if (x === y) return null;
  if (typeof x !== typeof y || x === null || y === null || typeof x !== 'object') return path || '(root)';
  if (x instanceof Uint8Array || y instanceof Uint8Array) {
    if (!(x instanceof Uint8Array && y instanceof Uint8Array) || x.length !== y.length) return path;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return `${path}[${i}]`;
    return null;
  }
  if (x instanceof Map || y instanceof Map) {
    if (!(x instanceof Map && y instanceof Map) || x.size !== y.size) return path;
    const xe = [...x.entries()];
    const ye = [...y.entries()];
    for (let i = 0; i < xe.length; i++) {
      const d = valueDiff(xe[i][0], ye[i][0], `${path}<${i}>`) ?? valueDiff(xe[i][1], ye[i][1], `${path}.get(${String(xe[i][0])})`);
      if (d) return d;
    }
    return null;
  }
  const xo = x as Record<string, unknown>;
  const yo = y as Record<string, unknown>;
  const keys = new Set([...Object.keys(xo), ...Object.keys(yo)]);
  for (const key of keys) {
    // Source positions are not part of the model's meaning.
    if (key === 'offset' && typeof xo[key] === 'number') continue;
    const d = valueDiff(xo[key], yo[key], `${path}.${key}`);
    if (d) return d;
  }
  return null;
}
