/**
 * The type context: validation of the type section, type equivalence and subtyping
 * (WebAssembly 3.0, "Types", "Matching", "Rolled and unrolled types").
 *
 * Equivalence is isorecursive: two types are equal iff their recursion groups have the
 * same shape and they sit at the same position. References inside a group compare by
 * relative position, references out of it by the canonical id of the target. Groups are
 * hashed and interned in type order, so the canonical id of a type is simply the index
 * of the first type equivalent to it, and every later question is an integer compare.
 *
 * Subtyping between concrete types follows declared supertype chains. Since supertypes
 * are part of a type's identity, the chain is a property of the canonical id: per type we
 * keep its depth and its supertype's canonical id, and `a <: b` walks a's chain up to b's
 * depth. Nothing here recurses, so a million types or a long chain cost no stack.
 */
import type { RecGroupSpan } from '../ir/module.js';
import {
  heapIndex, isExactHeap,
  type ArrayType, type CompType, type FieldType, type FuncType, type HeapType, type StorageType, type StructType,
  type SubType, type ValType,
} from '../ir/types.js';

/** A problem in the type section, at the type index where it was found. */
export interface TypeIssue {
  index: number;
  message: string;
}

const I32 = 0x7f, PACKED_I8 = 0x78, PACKED_I16 = 0x77;
const REF = 0x64, REF_NULL = 0x63;
/** Codes at or above this are number, vector or packed types. */
const FIRST_NUMERIC = 0x75;
/** Abstract heap types as s33 values (code byte - 0x80), the range -23 (exn) … -12 (noexn). */
export const AbsHeap = {
  exn: -23, array: -22, struct: -21, i31: -20, eq: -19, any: -18, extern: -17, func: -16,
  none: -15, noextern: -14, nofunc: -13, noexn: -12,
} as const;
const ABS_MIN = -23, ABS_COUNT = 12;
const H = AbsHeap;

const enum Kind { Func = 0, Struct = 1, Array = 2 }

/** ABS_SUB[(a - ABS_MIN) * ABS_COUNT + (b - ABS_MIN)] = 1 iff abstract a <: abstract b. */
const ABS_SUB = new Uint8Array(ABS_COUNT * ABS_COUNT);
const ABS_TOP = new Int8Array(ABS_COUNT);
const ABS_BOTTOM = new Int8Array(ABS_COUNT);
{
  const hierarchies: [top: number, bottom: number, members: number[]][] = [
    [H.any, H.none, [H.any, H.eq, H.i31, H.struct, H.array, H.none]],
    [H.func, H.nofunc, [H.func, H.nofunc]],
    [H.extern, H.noextern, [H.extern, H.noextern]],
    [H.exn, H.noexn, [H.exn, H.noexn]],
  ];
  const below: [number, number][] = [
    [H.eq, H.any], [H.i31, H.eq], [H.struct, H.eq], [H.array, H.eq],
    [H.i31, H.any], [H.struct, H.any], [H.array, H.any],
  ];
  const set = (a: number, b: number): void => { ABS_SUB[(a - ABS_MIN) * ABS_COUNT + (b - ABS_MIN)] = 1; };
  for (const [top, bottom, members] of hierarchies) {
    for (const m of members) {
      set(m, m);
      set(bottom, m);
      set(m, top);
      ABS_TOP[m - ABS_MIN] = top;
      ABS_BOTTOM[m - ABS_MIN] = bottom;
    }
  }
  for (const [a, b] of below) set(a, b);
}

const isAbstract = (h: number): boolean => h >= ABS_MIN && h < ABS_MIN + ABS_COUNT;
const kindOf = (c: CompType): Kind => (c.kind === 'func' ? Kind.Func : c.kind === 'struct' ? Kind.Struct : Kind.Array);

/** 32-bit hash mixing (murmur3 finalizer steps). */
function mix(h: number, v: number): number {
  v = Math.imul(v, 0xcc9e2d51);
  v = (v << 15) | (v >>> 17);
  h ^= Math.imul(v, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

export class TypeContext {
  readonly count: number;
  private readonly types: SubType[];
  private readonly kinds: Uint8Array;
  /** Index of the first type equivalent to each type. */
  private readonly canon: Int32Array;
  /** Canonical id of the declared supertype, or -1 (also for an invalid one). */
  private readonly superCanon: Int32Array;
  /** Length of the supertype chain above each type. */
  private readonly depth: Int32Array;
  /** Recursion groups covering all types: group g is [groupStart[g], groupStart[g + 1]). */
  private readonly groupStart: Int32Array;
  /** The group of each type. */
  private readonly groupOf: Int32Array;

  constructor(types: SubType[], recGroups: RecGroupSpan[]) {
    const n = types.length;
    this.types = types;
    this.count = n;
    this.kinds = new Uint8Array(n);
    for (let i = 0; i < n; i++) this.kinds[i] = kindOf(types[i].comp);

    // Normalize the spans: empty groups vanish, types outside any span become singletons.
    const starts: number[] = [];
    let next = 0;
    for (const g of recGroups) {
      if (g.count <= 0 || g.start < next || g.start + g.count > n) continue;
      while (next < g.start) starts.push(next++);
      starts.push(g.start);
      next = g.start + g.count;
    }
    while (next < n) starts.push(next++);
    starts.push(n);
    this.groupStart = Int32Array.from(starts);
    const groups = starts.length - 1;
    this.groupOf = new Int32Array(n);
    for (let g = 0; g < groups; g++) this.groupOf.fill(g, starts[g], starts[g + 1]);

    // Intern the groups in order: a group's outward references only reach earlier types.
    this.canon = new Int32Array(n);
    const buckets = new Map<number, number>();
    const chain = new Int32Array(groups).fill(-1);
    for (let g = 0; g < groups; g++) {
      const s = starts[g], e = starts[g + 1];
      const h = this.hashGroup(s, e);
      let found = -1;
      for (let c = buckets.get(h) ?? -1; c >= 0; c = chain[c]) {
        if (this.sameGroup(starts[c], starts[c + 1], s, e)) { found = starts[c]; break; }
      }
      if (found >= 0) {
        for (let i = s; i < e; i++) this.canon[i] = found + (i - s);
      } else {
        for (let i = s; i < e; i++) this.canon[i] = i;
        chain[g] = buckets.get(h) ?? -1;
        buckets.set(h, g);
      }
    }

    // Chains. Only a supertype declared before the type counts, so the walk always ends.
    this.superCanon = new Int32Array(n).fill(-1);
    this.depth = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const sup = types[i].supers;
      if (sup.length === 0) continue;
      const x = sup[0];
      if (x >= 0 && x < i) {
        this.superCanon[i] = this.canon[x];
        this.depth[i] = this.depth[x] + 1;
      }
    }
  }

  // ---- Canonicalization ----

  /** Hash key of a heap type seen from group [s, e); consistent with `sameHeap`. */
  private heapKey(h: number, s: number, e: number): number {
    if (h < 0) return h;
    if (isExactHeap(h)) return mix(4, this.heapKey(heapIndex(h), s, e));
    if (h >= s && h < e) return mix(1, h - s);
    if (h < s) return mix(2, this.canon[h]);
    return mix(3, h);
  }

  private valKey(t: number, s: number, e: number): number {
    const c = t & 0xff;
    if (c === REF || c === REF_NULL) return mix(c, this.heapKey(t >> 8, s, e));
    if (c >= 0x69 && c <= 0x74) return mix(REF_NULL, c - 0x80); // shorthand = (ref null ht)
    return t;
  }

  private hashGroup(s: number, e: number): number {
    let h = e - s;
    for (let i = s; i < e; i++) {
      const t = this.types[i];
      h = mix(h, t.final ? 1 : 0);
      h = mix(h, t.supers.length);
      for (const x of t.supers) h = mix(h, this.heapKey(x, s, e));
      h = mix(h, t.describes === undefined ? -1 : this.heapKey(t.describes, s, e));
      h = mix(h, t.descriptor === undefined ? -1 : this.heapKey(t.descriptor, s, e));
      const c = t.comp;
      if (c.kind === 'func') {
        h = mix(mix(h, 0x60), c.params.length);
        for (const p of c.params) h = mix(h, this.valKey(p, s, e));
        h = mix(h, c.results.length);
        for (const r of c.results) h = mix(h, this.valKey(r, s, e));
      } else if (c.kind === 'struct') {
        h = mix(mix(h, 0x5f), c.fields.length);
        for (const f of c.fields) h = mix(mix(h, f.mutable ? 1 : 0), this.valKey(f.type, s, e));
      } else {
        h = mix(mix(mix(h, 0x5e), c.field.mutable ? 1 : 0), this.valKey(c.field.type, s, e));
      }
    }
    return h;
  }

  private sameHeap(a: number, s1: number, e1: number, b: number, s2: number, e2: number): boolean {
    if (a < 0 || b < 0) return a === b;
    if (isExactHeap(a) !== isExactHeap(b)) return false;
    a = heapIndex(a);
    b = heapIndex(b);
    const inA = a >= s1 && a < e1, inB = b >= s2 && b < e2;
    if (inA || inB) return inA && inB && a - s1 === b - s2;
    if (a < s1 && b < s2) return this.canon[a] === this.canon[b];
    return a === b && a >= e1 && b >= e2; // references past the group: invalid anyway
  }

  private sameVal(a: number, s1: number, e1: number, b: number, s2: number, e2: number): boolean {
    const ca = a & 0xff, cb = b & 0xff;
    if (ca >= FIRST_NUMERIC || cb >= FIRST_NUMERIC) return a === b;
    const ha = ca === REF || ca === REF_NULL ? a >> 8 : ca - 0x80;
    const hb = cb === REF || cb === REF_NULL ? b >> 8 : cb - 0x80;
    return (ca === REF) === (cb === REF) && this.sameHeap(ha, s1, e1, hb, s2, e2);
  }

  private sameVals(a: ValType[], s1: number, e1: number, b: ValType[], s2: number, e2: number): boolean {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!this.sameVal(a[i], s1, e1, b[i], s2, e2)) return false;
    return true;
  }

  private sameField(a: FieldType, s1: number, e1: number, b: FieldType, s2: number, e2: number): boolean {
    return a.mutable === b.mutable && this.sameVal(a.type, s1, e1, b.type, s2, e2);
  }

  /** Equal `describes`/`descriptor` clauses (both absent, or the same type). */
  private sameClause(a: number | undefined, s1: number, e1: number, b: number | undefined, s2: number, e2: number): boolean {
    return a === undefined || b === undefined ? a === b : this.sameHeap(a, s1, e1, b, s2, e2);
  }

  private sameGroup(s1: number, e1: number, s2: number, e2: number): boolean {
    if (e1 - s1 !== e2 - s2) return false;
    for (let k = 0; k < e1 - s1; k++) {
      const t1 = this.types[s1 + k], t2 = this.types[s2 + k];
      if (t1.final !== t2.final || t1.supers.length !== t2.supers.length) return false;
      for (let j = 0; j < t1.supers.length; j++) {
        if (!this.sameHeap(t1.supers[j], s1, e1, t2.supers[j], s2, e2)) return false;
      }
      if (!this.sameClause(t1.describes, s1, e1, t2.describes, s2, e2)
        || !this.sameClause(t1.descriptor, s1, e1, t2.descriptor, s2, e2)) return false;
      const c1 = t1.comp, c2 = t2.comp;
      if (c1.kind === 'func') {
        if (c2.kind !== 'func' || !this.sameVals(c1.params, s1, e1, c2.params, s2, e2)
          || !this.sameVals(c1.results, s1, e1, c2.results, s2, e2)) return false;
      } else if (c1.kind === 'struct') {
        if (c2.kind !== 'struct' || c1.fields.length !== c2.fields.length) return false;
        for (let j = 0; j < c1.fields.length; j++) {
          if (!this.sameField(c1.fields[j], s1, e1, c2.fields[j], s2, e2)) return false;
        }
      } else if (c2.kind !== 'array' || !this.sameField(c1.field, s1, e1, c2.field, s2, e2)) {
        return false;
      }
    }
    return true;
  }

  // ---- Validation of the type section ----

  /**
   * The first problem in type order, or null. A type may refer to any type of its own
   * group; its supertype must be declared before it, be open, and match structurally.
   * (The reference interpreter checks all references of a group before any supertype;
   * only the reported problem can differ, never the verdict.)
   */
  check(): TypeIssue | null {
    const types = this.types, starts = this.groupStart;
    for (let g = 0; g + 1 < starts.length; g++) {
      const e = starts[g + 1];
      for (let i = starts[g]; i < e; i++) {
        const t = types[i];
        for (const x of t.supers) if (!(x >= 0 && x < e)) return { index: i, message: `unknown type ${x}` };
        const bad = this.badRefIn(t.comp, e);
        if (bad !== null) return { index: i, message: bad };
        const desc = this.badDescriptors(i, starts[g], e);
        if (desc !== null) return { index: i, message: desc };
        if (t.supers.length > 1) return { index: i, message: `sub type ${i} has more than one super type` };
        if (t.supers.length === 0) continue;
        const x = t.supers[0];
        if (x >= i) return { index: i, message: `forward use of type ${x} in sub type definition` };
        if (types[x].final) return { index: i, message: `sub type ${i} has final super type ${x}` };
        // Types later in the group may not be checked yet; matching only reads their
        // canonical ids and (guarded) chains, so the verdict is unaffected.
        if (!this.compSub(t.comp, types[x].comp)) {
          return { index: i, message: `sub type ${i} does not match super type ${x}` };
        }
        const descSub = this.badDescriptorSub(t, types[x]);
        if (descSub !== null) return { index: i, message: `sub type ${i} does not match super type ${x}: ${descSub}` };
      }
    }
    return null;
  }

  /**
   * Custom descriptors: type i of group [s, e) and the type its `describes`/`descriptor`
   * clause names must be structs of the same group naming each other, the described type
   * first (as with supertypes, that keeps descriptor chains acyclic). A message, or null.
   */
  private badDescriptors(i: number, s: number, e: number): string | null {
    const t = this.types[i];
    if (t.describes === undefined && t.descriptor === undefined) return null;
    if (t.comp.kind !== 'struct') return t.descriptor !== undefined ? 'descriptor type must be a struct' : 'described type must be a struct';
    const x = t.describes;
    if (x !== undefined) {
      if (!(x >= s && x < e)) return 'described type is outside rec group';
      if (this.types[x].descriptor !== i) return 'described type is not described by descriptor';
      if (x >= i) return 'forward use of described type';
    }
    const y = t.descriptor;
    if (y !== undefined) {
      if (!(y >= s && y < e)) return 'descriptor type is outside rec group';
      if (this.types[y].describes !== i) return 'type is not described by its descriptor';
    }
    return null;
  }

  /**
   * Custom descriptors: a subtype describes a subtype of what its supertype describes (and
   * does iff that one does), and has a descriptor that is a subtype of its supertype's if
   * that one has one (ref.get_desc relies on it). A message, or null.
   */
  private badDescriptorSub(t: SubType, sup: SubType): string | null {
    if ((t.describes === undefined) !== (sup.describes === undefined)) return 'describes clauses differ';
    if (t.describes !== undefined && !this.defSub(t.describes, sup.describes!)) {
      return `described type ${t.describes} does not match ${sup.describes}`;
    }
    if (sup.descriptor === undefined) return null;
    if (t.descriptor === undefined) return 'no descriptor where the super type has one';
    if (!this.defSub(t.descriptor, sup.descriptor)) return `descriptor type ${t.descriptor} does not match ${sup.descriptor}`;
    return null;
  }

  /** A message for the first reference in `c` to a type at or past `limit`, or null. */
  private badRefIn(c: CompType, limit: number): string | null {
    if (c.kind === 'func') {
      for (const t of c.params) { const m = this.badVal(t, limit, false); if (m) return m; }
      for (const t of c.results) { const m = this.badVal(t, limit, false); if (m) return m; }
      return null;
    }
    if (c.kind === 'struct') {
      for (const f of c.fields) { const m = this.badVal(f.type, limit, true); if (m) return m; }
      return null;
    }
    return this.badVal(c.field.type, limit, true);
  }

  private badVal(t: number, limit: number, storage: boolean): string | null {
    const c = t & 0xff;
    if (c === REF || c === REF_NULL) {
      const h = t >> 8;
      if (h >= 0 ? heapIndex(h) < limit : isAbstract(h)) return null;
      return h >= 0 ? `unknown type ${heapIndex(h)}` : `malformed heap type ${h}`;
    }
    if (t >>> 8 === 0 && ((c >= 0x7b && c <= 0x7f) || (c >= 0x69 && c <= 0x74)
      || (storage && (c === PACKED_I8 || c === PACKED_I16)))) return null;
    return `malformed ${storage ? 'storage' : 'value'} type 0x${(t >>> 0).toString(16)}`;
  }

  // ---- Lookups ----

  func(index: number): FuncType | undefined {
    const c = this.types[index]?.comp;
    return c?.kind === 'func' ? c : undefined;
  }

  struct(index: number): StructType | undefined {
    const c = this.types[index]?.comp;
    return c?.kind === 'struct' ? c : undefined;
  }

  array(index: number): ArrayType | undefined {
    const c = this.types[index]?.comp;
    return c?.kind === 'array' ? c : undefined;
  }

  subType(index: number): SubType | undefined {
    return this.types[index];
  }

  /** The declared supertype of a type, or -1. */
  superOf(index: number): number {
    return this.types[index]?.supers[0] ?? -1;
  }

  canonical(index: number): number {
    return index >= 0 && index < this.count ? this.canon[index] : -1;
  }

  /** Type equivalence (the same canonical type). */
  equivalent(a: number, b: number): boolean {
    return a === b || (a >= 0 && a < this.count && b >= 0 && b < this.count && this.canon[a] === this.canon[b]);
  }

  /** [start, end) of the recursion group of a type. */
  recGroupOf(index: number): [number, number] {
    const g = this.groupOf[index];
    return [this.groupStart[g], this.groupStart[g + 1]];
  }

  validHeap(h: HeapType): boolean {
    return h >= 0 ? heapIndex(h) < this.count : isAbstract(h);
  }

  /** The `descriptor` clause of a type (custom descriptors), or -1. */
  descriptorOf(index: number): number {
    return this.types[index]?.descriptor ?? -1;
  }

  validVal(t: ValType): boolean {
    const c = t & 0xff;
    if (c === REF || c === REF_NULL) return this.validHeap(t >> 8);
    return t >>> 8 === 0 && ((c >= 0x7b && c <= 0x7f) || (c >= 0x69 && c <= 0x74));
  }

  /** A value type or a packed type. */
  validStorage(t: StorageType): boolean {
    return t === PACKED_I8 || t === PACKED_I16 || this.validVal(t);
  }

  // ---- Matching ----

  heapSub(a: HeapType, b: HeapType): boolean {
    if (a === b) return true;
    if (a >= 0) {
      // (exact x) <: x; only the bottom types and equivalent exact types are below (exact x).
      const ia = heapIndex(a);
      if (ia >= this.count) return false;
      if (b >= 0) {
        if (!isExactHeap(b)) return this.defSub(ia, b);
        return isExactHeap(a) && this.equivalent(ia, heapIndex(b));
      }
      const k = this.kinds[ia];
      if (k === Kind.Func) return b === H.func;
      return b === H.any || b === H.eq || b === (k === Kind.Struct ? H.struct : H.array);
    }
    if (b >= 0) {
      const ib = heapIndex(b);
      if (ib >= this.count) return false;
      return a === (this.kinds[ib] === Kind.Func ? H.nofunc : H.none);
    }
    if (!isAbstract(a) || !isAbstract(b)) return false;
    return ABS_SUB[(a - ABS_MIN) * ABS_COUNT + (b - ABS_MIN)] === 1;
  }

  /** Concrete a <: concrete b: equivalent, or b is on a's supertype chain. */
  private defSub(a: number, b: number): boolean {
    if (b >= this.count) return false;
    let x = this.canon[a];
    const cb = this.canon[b];
    if (x === cb) return true;
    const d = this.depth[cb];
    if (this.depth[x] <= d) return false;
    while (this.depth[x] > d) x = this.superCanon[x];
    return x === cb;
  }

  valSub(a: ValType, b: ValType): boolean {
    if (a === b) return true;
    const ca = a & 0xff, cb = b & 0xff;
    // Numbers, vectors and packed types match only themselves.
    if (ca >= FIRST_NUMERIC || cb >= FIRST_NUMERIC) return false;
    let ha: number, hb: number;
    if (ca === REF || ca === REF_NULL) ha = a >> 8;
    else if (ca >= 0x69) ha = ca - 0x80;
    else return false;
    if (cb === REF || cb === REF_NULL) hb = b >> 8;
    else if (cb >= 0x69) hb = cb - 0x80;
    else return false;
    if (cb === REF && ca !== REF) return false; // nullable into non-nullable
    return this.heapSub(ha, hb);
  }

  /** Storage type matching: packed types only match themselves. */
  storageSub(a: StorageType, b: StorageType): boolean {
    return this.valSub(a, b);
  }

  /** Field matching: same mutability; immutable covariant, mutable invariant. */
  fieldSub(a: FieldType, b: FieldType): boolean {
    if (a.mutable !== b.mutable || !this.valSub(a.type, b.type)) return false;
    return !a.mutable || this.valSub(b.type, a.type);
  }

  funcSub(a: FuncType, b: FuncType): boolean {
    if (a === b) return true;
    const p1 = a.params, p2 = b.params, r1 = a.results, r2 = b.results;
    if (p1.length !== p2.length || r1.length !== r2.length) return false;
    for (let i = 0; i < p1.length; i++) if (!this.valSub(p2[i], p1[i])) return false;
    for (let i = 0; i < r1.length; i++) if (!this.valSub(r1[i], r2[i])) return false;
    return true;
  }

  /** Composite type matching (width and depth subtyping for structs). */
  compSub(a: CompType, b: CompType): boolean {
    if (a.kind === 'func') return b.kind === 'func' && this.funcSub(a, b);
    if (a.kind === 'array') return b.kind === 'array' && this.fieldSub(a.field, b.field);
    if (b.kind !== 'struct' || a.fields.length < b.fields.length) return false;
    for (let i = 0; i < b.fields.length; i++) if (!this.fieldSub(a.fields[i], b.fields[i])) return false;
    return true;
  }

  // ---- Properties ----

  storageUnpacked(t: StorageType): ValType {
    return t === PACKED_I8 || t === PACKED_I16 ? I32 : t;
  }

  defaultable(t: ValType): boolean {
    return (t & 0xff) !== REF;
  }

  top(h: HeapType): HeapType {
    if (h >= 0) return heapIndex(h) < this.count && this.kinds[heapIndex(h)] === Kind.Func ? H.func : H.any;
    return isAbstract(h) ? ABS_TOP[h - ABS_MIN] : h;
  }

  bottom(h: HeapType): HeapType {
    if (h >= 0) return heapIndex(h) < this.count && this.kinds[heapIndex(h)] === Kind.Func ? H.nofunc : H.none;
    return isAbstract(h) ? ABS_BOTTOM[h - ABS_MIN] : h;
  }
}
