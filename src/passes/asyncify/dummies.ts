/**
 * Values of non-nullable reference types, where the rewrite needs a value nobody reads:
 * what an unwinding function returns (its caller is unwinding too and drops it), and the
 * arguments of a tail call made again when rewinding (the callee restores its own). Each
 * type gets an immutable global whose constant initializer builds one: `ref.i31` for
 * any/eq/i31, `extern.convert_any` of that for extern, `ref.func` for function types (of a
 * function of the type, which the caller adds if there is none), `array.new_fixed` with no
 * elements, and `struct.new` of such values field by field (`struct.new_desc` with a
 * descriptor built likewise). Some types have no value that a constant can build: the
 * bottom types (none, nofunc, noextern, noexn: no values at all), exn, and structs whose
 * non-nullable fields lead back to themselves.
 */
import type { Module } from '../../ir/module.js';
import {
  F32, F64, HeapCode, I32, I64, PACKED_I16, PACKED_I8, V128, heapIndex, isRefType, refHeap, refNullable,
  type StorageType, type ValType,
} from '../../ir/types.js';
import { Sink } from '../../binary/sink.js';

/**
 * The constant expression (ending in `end`) of a value of type `t`, a non-nullable
 * reference, or null if there is none. `funcOf(h)` is a function of type h.
 */
export function dummyInit(m: Module, t: ValType, funcOf: (typeIndex: number) => number): Uint8Array | null {
  const out = new Sink(16);
  const put = (...bytes: number[]): void => {
    for (const b of bytes) out.u8(b);
  };
  const visiting = new Set<number>();
  /** A heap type as an s33: abstract ones are their one-byte code (type indices fit an s32). */
  const heap = (h: number): void => {
    if (h < 0) out.u8(h + 0x80);
    else out.s32(heapIndex(h));
  };
  const i31 = (): void => {
    put(0x41, 0x00, 0xfb, 0x1c);
  };
  /** Any value of a storage type: the default, or a built one for non-nullable references. */
  const value = (s: StorageType): boolean => {
    if (s === I32 || s === PACKED_I8 || s === PACKED_I16) put(0x41, 0);
    else if (s === I64) put(0x42, 0);
    else if (s === F32) put(0x43, 0, 0, 0, 0);
    else if (s === F64) put(0x44, 0, 0, 0, 0, 0, 0, 0, 0);
    else if (s === V128) put(0xfd, 0x0c, ...new Array(16).fill(0));
    else if (isRefType(s) && refNullable(s)) {
      put(0xd0);
      heap(refHeap(s));
    } else return nonNull(refHeap(s));
    return true;
  };
  const nonNull = (h: number): boolean => {
    switch (h) {
      case HeapCode.any - 0x80:
      case HeapCode.eq - 0x80:
      case HeapCode.i31 - 0x80:
        i31();
        return true;
      case HeapCode.extern - 0x80:
        i31();
        put(0xfb, 0x1b);
        return true;
      case HeapCode.func - 0x80:
        put(0xd2);
        out.u32(funcOf(-1));
        return true;
      case HeapCode.struct - 0x80:
      case HeapCode.array - 0x80: {
        const kind = h === HeapCode.struct - 0x80 ? 'struct' : 'array';
        for (let x = 0; x < m.types.length; x++) {
          if (m.types[x].comp.kind !== kind) continue;
          const mark = out.pos;
          if (concrete(x)) return true;
          out.pos = mark;
        }
        return false;
      }
    }
    return h >= 0 && concrete(heapIndex(h));
  };
  const concrete = (x: number): boolean => {
    const sub = m.types[x];
    const comp = sub.comp;
    if (comp.kind === 'func') {
      put(0xd2);
      out.u32(funcOf(x));
      return true;
    }
    if (comp.kind === 'array') {
      put(0xfb, 0x08);
      out.u32(x);
      out.u32(0);
      return true;
    }
    if (visiting.has(x)) return false;
    visiting.add(x);
    let ok = true;
    for (const f of comp.fields) if (!(ok = value(f.type))) break;
    // Custom descriptors: the descriptor (a struct of its own) comes after the fields.
    if (ok && sub.descriptor !== undefined) ok = concrete(sub.descriptor);
    visiting.delete(x);
    if (!ok) return false;
    put(0xfb, sub.descriptor !== undefined ? 0x20 : 0x00);
    out.u32(x);
    return true;
  };

  if (!isRefType(t) || refNullable(t) || !nonNull(refHeap(t))) return null;
  out.u8(0x0b);
  return out.buf.slice(0, out.pos);
}
