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

/**
 * The constant expression (ending in `end`) of a value of type `t`, a non-nullable
 * reference, or null if there is none. `funcOf(h)` is a function of type h.
 */
export function dummyInit(m: Module, t: ValType, funcOf: (typeIndex: number) => number): Uint8Array | null {
  const out: number[] = [];
  const visiting = new Set<number>();

  const u32 = (v: number): void => {
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v) b |= 0x80;
      out.push(b);
    } while (v);
  };
  /** A heap type as an s33: abstract ones are their one-byte code. */
  const heap = (h: number): void => {
    if (h < 0) out.push(h + 0x80);
    else {
      let v = heapIndex(h);
      for (;;) {
        const b = v & 0x7f;
        v = Math.floor(v / 128);
        if (v === 0 && (b & 0x40) === 0) {
          out.push(b);
          return;
        }
        out.push(b | 0x80);
      }
    }
  };
  const i31 = (): void => {
    out.push(0x41, 0x00, 0xfb, 0x1c);
  };
  /** Any value of a storage type: the default, or a built one for non-nullable references. */
  const value = (s: StorageType): boolean => {
    if (s === I32 || s === PACKED_I8 || s === PACKED_I16) out.push(0x41, 0);
    else if (s === I64) out.push(0x42, 0);
    else if (s === F32) out.push(0x43, 0, 0, 0, 0);
    else if (s === F64) out.push(0x44, 0, 0, 0, 0, 0, 0, 0, 0);
    else if (s === V128) out.push(0xfd, 0x0c, ...new Array(16).fill(0));
    else if (isRefType(s) && refNullable(s)) {
      out.push(0xd0);
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
        out.push(0xfb, 0x1b);
        return true;
      case HeapCode.func - 0x80:
        out.push(0xd2);
        u32(funcOf(-1));
        return true;
      case HeapCode.struct - 0x80:
      case HeapCode.array - 0x80: {
        const kind = h === HeapCode.struct - 0x80 ? 'struct' : 'array';
        for (let x = 0; x < m.types.length; x++) {
          if (m.types[x].comp.kind !== kind) continue;
          const mark = out.length;
          if (concrete(x)) return true;
          out.length = mark;
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
      out.push(0xd2);
      u32(funcOf(x));
      return true;
    }
    if (comp.kind === 'array') {
      out.push(0xfb, 0x08);
      u32(x);
      u32(0);
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
    out.push(0xfb, sub.descriptor !== undefined ? 0x20 : 0x00);
    u32(x);
    return true;
  };

  if (!isRefType(t) || refNullable(t) || !nonNull(refHeap(t))) return null;
  out.push(0x0b);
  return Uint8Array.from(out);
}
