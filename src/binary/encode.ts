/**
 * Module encoding: Module → bytes. The mirror image of decode.ts. Known sections are
 * written in the canonical order; each custom section follows the known section it
 * followed in the input. A section is written when it has contents or was present in
 * the input (so an empty section survives a round trip).
 */
import { Body } from '../ir/body.js';
import {
  EXACT_FUNC_IMPORT, ExternKind, type Elem, type Expr, type IndirectNameMap, type Module, type NameMap, type Names,
} from '../ir/module.js';
import type { CompType, FieldType, Limits } from '../ir/types.js';
import { decodeExpr, decodeFunc, NAME_SUBSECTIONS, SECTION_ORDER, SectionId } from './decode.js';
import { encodeBody, encodeInstructions, writeLocals, writeValType } from './encode-body.js';
import { BodyCore } from './body-core.js';
import { lebLength, Sink } from './sink.js';

export interface WriteOptions {
  /**
   * Decode every untouched body into the IR and encode it again, instead of copying
   * its original bytes (the honest round trip of `weft convert`).
   */
  reencode?: boolean;
  /**
   * The code section's entries, already encoded (size-prefixed, in function order),
   * e.g. by the parallel pipeline; they replace the per-function encoding.
   */
  code?: readonly Uint8Array[];
  /**
   * The sink to write into (e.g. one that drains to a file as it goes: it is flushed after
   * each section and every few hundred KB of code); the result is a view of its bytes.
   */
  out?: Sink;
}

/** Room for the module's bytes: its input's size, or (built or parsed) its bodies' and data's. */
function sizeHint(m: Module): number {
  if (m.source) return m.source.length;
  let n = 0;
  for (const f of m.funcs) n += (f.raw?.length ?? 0) + 5;
  for (const d of m.datas) n += d.bytes.length + 16;
  return n;
}

/** How much code writeModule encodes between flushes of its sink. */
const FLUSH_BYTES = 1 << 19;

export function writeModule(m: Module, options: WriteOptions = {}): Uint8Array {
  // Sized up front: doubling from 1 KiB copies a large module's bytes once more over.
  const out = options.out ?? new Sink(sizeHint(m) + 1024);
  out.bytes(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0));
  const namesCustom = m.names ? m.customs.find((c) => c.name === 'name') : undefined;
  const writeCustoms = (after: number): void => {
    for (const c of m.customs) {
      if (c.after !== after) continue;
      // Sized as read (unless rewritten), so that its bytes need not move once written.
      const asRead = c === namesCustom ? undefined : lebLength(c.name.length) + c.name.length + c.bytes.length;
      const mark = beginSection(out, SectionId.custom, asRead);
      out.name(c.name);
      if (c === namesCustom) writeNames(out, m.names!);
      else out.bytes(c.bytes);
      out.endSized(mark);
    }
  };
  writeCustoms(0);
  const scratch = options.reencode ? new Body(1024) : null;
  for (const id of SECTION_ORDER) {
    if (hasContent(m, id) || m.sectionMask & (1 << id)) {
      // The sizes of the big sections are guessed from the input's, so that their bytes
      // (drained already, maybe) need not move when the size is written: a re-encoded body
      // keeps its size, mostly, and a data section that was not decoded is copied.
      const guess = id === SectionId.code ? codeSizeGuess(m) : id === SectionId.data ? m.lazyData?.bytes.length : undefined;
      const mark = beginSection(out, id, guess);
      if (id === SectionId.code && options.code) {
        out.u32(m.funcs.length);
        for (const chunk of options.code) out.bytes(chunk);
      } else {
        writeSection(out, m, id, scratch);
      }
      out.endSized(mark);
      out.flush();
    }
    writeCustoms(id);
  }
  if (m.names && !namesCustom) {
    const mark = beginSection(out, SectionId.custom);
    out.name('name');
    writeNames(out, m.names);
    out.endSized(mark);
  }
  return out.result();
}

function beginSection(out: Sink, id: number, expected?: number): number {
  out.u8(id);
  return out.beginSized(expected);
}

/** The code section's size if every body kept the size it was read with. */
function codeSizeGuess(m: Module): number {
  const funcs = m.funcs;
  let size = lebLength(funcs.length);
  for (let i = 0; i < funcs.length; i++) {
    const n = funcs[i].raw?.length ?? 0;
    size += lebLength(n) + n;
  }
  return size;
}

function hasContent(m: Module, id: number): boolean {
  switch (id) {
    case SectionId.type: return m.types.length > 0;
    case SectionId.import: return m.imports.length > 0;
    case SectionId.function: case SectionId.code: return m.funcs.length > 0;
    case SectionId.table: return m.tables.length > 0;
    case SectionId.memory: return m.memories.length > 0;
    case SectionId.tag: return m.tags.length > 0;
    case SectionId.global: return m.globals.length > 0;
    case SectionId.export: return m.exports.length > 0;
    case SectionId.start: return m.start !== null;
    case SectionId.element: return m.elems.length > 0;
    case SectionId.dataCount: return m.hasDataCount;
    case SectionId.data: return (m.lazyData?.count ?? m.datas.length) > 0;
    default: return false;
  }
}

/** `scratch` is set when re-encoding: bodies and constant expressions are decoded into it and encoded again. */
function writeSection(out: Sink, m: Module, id: number, scratch: Body | null): void {
  switch (id) {
    case SectionId.type:
      out.u32(m.recGroups.length);
      for (const g of m.recGroups) {
        if (g.explicit) {
          out.u8(0x4e);
          out.u32(g.count);
        }
        for (let i = g.start; i < g.start + g.count; i++) {
          const t = m.types[i];
          if (t.explicit || !t.final || t.supers.length) {
            out.u8(t.final ? 0x4f : 0x50);
            out.u32(t.supers.length);
            for (const s of t.supers) out.u32(s);
          }
          if (t.describes !== undefined) {
            out.u8(0x4c);
            out.u32(t.describes);
          }
          if (t.descriptor !== undefined) {
            out.u8(0x4d);
            out.u32(t.descriptor);
          }
          writeCompType(out, t.comp);
        }
      }
      return;
    case SectionId.import:
      out.u32(m.imports.length);
      for (const imp of m.imports) {
        out.name(imp.module);
        out.name(imp.name);
        out.u8(imp.kind === ExternKind.Func && imp.exact ? EXACT_FUNC_IMPORT : imp.kind);
        switch (imp.kind) {
          case ExternKind.Func: out.u32(imp.type); break;
          case ExternKind.Table: writeValType(out, imp.table.type); writeLimits(out, imp.table.limits); break;
          case ExternKind.Memory: writeLimits(out, imp.memory); break;
          case ExternKind.Global: writeValType(out, imp.global.type); out.u8(imp.global.mutable ? 1 : 0); break;
          case ExternKind.Tag: out.u8(0); out.u32(imp.type); break;
        }
      }
      return;
    case SectionId.function:
      out.u32(m.funcs.length);
      // Indexed loops where there is one entry per function: this code runs once, unoptimized.
      for (let i = 0; i < m.funcs.length; i++) out.u32(m.funcs[i].type);
      return;
    case SectionId.table:
      out.u32(m.tables.length);
      for (const t of m.tables) {
        if (t.init) out.bytes(Uint8Array.of(0x40, 0));
        writeValType(out, t.type);
        writeLimits(out, t.limits);
        if (t.init) writeExpr(out, t.init, scratch);
      }
      return;
    case SectionId.memory:
      out.u32(m.memories.length);
      for (const l of m.memories) writeLimits(out, l);
      return;
    case SectionId.tag:
      out.u32(m.tags.length);
      for (const t of m.tags) {
        out.u8(0);
        out.u32(t.type);
      }
      return;
    case SectionId.global:
      out.u32(m.globals.length);
      for (const g of m.globals) {
        writeValType(out, g.type);
        out.u8(g.mutable ? 1 : 0);
        writeExpr(out, g.init, scratch);
      }
      return;
    case SectionId.export:
      out.u32(m.exports.length);
      for (const e of m.exports) {
        out.name(e.name);
        out.u8(e.kind);
        out.u32(e.index);
      }
      return;
    case SectionId.start:
      out.u32(m.start!);
      return;
    case SectionId.element:
      out.u32(m.elems.length);
      for (const e of m.elems) writeElem(out, e, scratch);
      return;
    case SectionId.dataCount:
      out.u32(m.lazyData?.count ?? m.datas.length);
      return;
    case SectionId.code:
      writeCode(out, m, scratch);
      return;
    case SectionId.data:
      // Untouched: as read (what re-encoding canonical input would give anyway).
      if (m.lazyData && (!scratch || m.lazyData.canonical)) {
        out.bytes(m.lazyData.bytes);
        return;
      }
      out.u32(m.datas.length);
      for (const d of m.datas) {
        out.u32(d.flags);
        if (d.flags === 2) out.u32(d.memory);
        if (d.flags !== 1) writeExpr(out, d.offset!, scratch);
        out.u32(d.bytes.length);
        out.bytes(d.bytes);
      }
      return;
  }
}

function writeCode(out: Sink, m: Module, scratch: Body | null): void {
  out.u32(m.funcs.length);
  encodeCodeEntries(m, 0, m.funcs.length, out, scratch);
}

/**
 * Writes the size-prefixed code entries of functions [from, to): a replaced body is
 * encoded, an untouched one copied (or, given `scratch`, decoded and encoded again).
 */
export function encodeCodeEntries(m: Module, from: number, to: number, out: Sink, scratch: Body | null): void {
  let next = out.pos + FLUSH_BYTES;
  // Re-encoding: decoded and encoded by the body core, in its memory (JS for what it leaves).
  const fast = scratch ? BodyCore.get() : null;
  for (let i = from; i < to; i++) {
    const f = m.funcs[i];
    // Sized as read: a re-encoded body mostly keeps its size, and then its bytes need not move.
    const mark = out.beginSized(f.raw?.length);
    if (f.body) encodeBody(f.body, out);
    else if (fast) {
      const b = fast.decode(m, f);
      writeLocals(b, out);
      const code = fast.encode(b);
      if (code) out.bytes(code);
      else encodeInstructions(b, out);
    } else if (scratch) encodeBody(decodeFunc(m, f, scratch), out);
    else out.bytes(f.raw!);
    out.endSized(mark);
    if (out.pos >= next) {
      out.flush();
      next = out.pos + FLUSH_BYTES;
    }
  }
}

function writeCompType(out: Sink, c: CompType): void {
  switch (c.kind) {
    case 'func':
      out.u8(0x60);
      out.u32(c.params.length);
      for (const p of c.params) writeValType(out, p);
      out.u32(c.results.length);
      for (const r of c.results) writeValType(out, r);
      return;
    case 'struct':
      out.u8(0x5f);
      out.u32(c.fields.length);
      for (const f of c.fields) writeField(out, f);
      return;
    case 'array':
      out.u8(0x5e);
      writeField(out, c.field);
      return;
  }
}

function writeField(out: Sink, f: FieldType): void {
  writeValType(out, f.type);
  out.u8(f.mutable ? 1 : 0);
}

function writeLimits(out: Sink, l: Limits): void {
  const flags = (l.max !== null ? 1 : 0) | (l.shared ? 2 : 0) | (l.addr64 ? 4 : 0) | (l.pageSizeLog2 !== null ? 8 : 0);
  out.u8(flags);
  // Limits are u64 in the binary format, 32-bit ones too: a size beyond 2^32 is encoded as
  // given, for the validator to reject, not truncated.
  out.u64(l.min);
  if (l.max !== null) out.u64(l.max);
  if (l.pageSizeLog2 !== null) out.u32(l.pageSizeLog2);
}

function writeExpr(out: Sink, e: Expr, scratch: Body | null): void {
  if (scratch && !e.canonical) encodeInstructions(decodeExpr(e, scratch), out);
  else out.bytes(e.bytes);
}

function writeElem(out: Sink, e: Elem, scratch: Body | null): void {
  const flags = e.flags;
  out.u32(flags);
  if ((flags & 3) === 2) out.u32(e.table);
  if (!(flags & 1)) writeExpr(out, e.offset!, scratch);
  if (flags & 3) {
    if (flags & 4) writeValType(out, e.type);
    else out.u8(0);
  }
  if (flags & 4) {
    const exprs = e.exprs!;
    out.u32(exprs.length);
    for (const x of exprs) writeExpr(out, x, scratch);
  } else {
    const funcs = e.funcs!;
    out.u32(funcs.length);
    for (let i = 0; i < funcs.length; i++) out.u32(funcs[i]);
  }
}

function writeNameMap(out: Sink, map: NameMap): void {
  out.u32(map.size);
  for (const [idx, name] of map) {
    out.u32(idx);
    out.name(name);
  }
}

function writeIndirectNameMap(out: Sink, map: IndirectNameMap): void {
  out.u32(map.size);
  for (const [idx, inner] of map) {
    out.u32(idx);
    writeNameMap(out, inner);
  }
}

function writeNames(out: Sink, names: Names): void {
  const order = [...names.order];
  // Subsections added since decoding go after the original ones, in id order.
  if (names.module !== null && !order.includes(0)) order.push(0);
  for (const [id, field] of NAME_SUBSECTIONS) if (names[field].size && !order.includes(id)) order.push(id);
  for (const id of names.unknown.keys()) if (!order.includes(id)) order.push(id);
  for (const id of order) {
    out.u8(id);
    const mark = out.beginSized();
    if (id === 0) {
      out.name(names.module ?? '');
    } else if (id <= 11) {
      const field = NAME_SUBSECTIONS[id - 1][1];
      if (field === 'locals' || field === 'labels' || field === 'fields') writeIndirectNameMap(out, names[field]);
      else writeNameMap(out, names[field]);
    } else {
      out.bytes(names.unknown.get(id)!);
    }
    out.endSized(mark);
  }
}

/** Re-encodes each constant expression of `m` (globals, tables, segments) that `change` changes in place. */
export function rewriteConstExprs(m: Module, change: (b: Body) => boolean): void {
  const scratch = new Body();
  const sink = new Sink(64);
  const expr = (e: Expr | null): void => {
    if (!e) return;
    const b = decodeExpr(e, scratch);
    if (!change(b)) return;
    sink.pos = 0;
    encodeInstructions(b, sink);
    e.bytes = sink.buf.slice(0, sink.pos);
    e.canonical = true;
  };
  for (const g of m.globals) expr(g.init);
  for (const t of m.tables) expr(t.init);
  for (const e of m.elems) {
    expr(e.offset);
    for (const x of e.exprs ?? []) expr(x);
  }
  for (const d of m.datas) expr(d.offset);
}
