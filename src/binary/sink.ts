/**
 * A growable byte buffer: the one place that writes bytes and LEB128s. Sizes that
 * precede their contents (sections, function bodies) are reserved and patched with a
 * canonical LEB, shifting the contents back by the unused bytes (a memmove).
 */

const utf8 = new TextEncoder();

// Raw writers for hot loops that reserve room once and keep the position in a local:
// each writes at `p` (the caller guarantees space) and returns the new position.

export function putU32(buf: Uint8Array, p: number, v: number): number {
  v >>>= 0;
  while (v >= 0x80) {
    buf[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[p++] = v;
  return p;
}

export function putS32(buf: Uint8Array, p: number, v: number): number {
  v |= 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) {
      buf[p++] = b;
      return p;
    }
    buf[p++] = b | 0x80;
  }
}

export function putI64(buf: Uint8Array, p: number, lo: number, hi: number, unsigned: boolean): number {
  for (;;) {
    const b = lo & 0x7f;
    const nlo = (lo >>> 7) | (hi << 25);
    const nhi = unsigned ? hi >>> 7 : hi >> 7;
    const done = unsigned
      ? nlo === 0 && nhi === 0
      : (nhi === 0 && nlo === 0 && !(b & 0x40)) || (nhi === -1 && nlo === -1 && (b & 0x40) !== 0);
    if (done) {
      buf[p++] = b;
      return p;
    }
    buf[p++] = b | 0x80;
    lo = nlo;
    hi = nhi;
  }
}

export function putFixed32(buf: Uint8Array, p: number, v: number): number {
  buf[p] = v;
  buf[p + 1] = v >> 8;
  buf[p + 2] = v >> 16;
  buf[p + 3] = v >> 24;
  return p + 4;
}

export class Sink {
  buf: Uint8Array;
  pos = 0;

  constructor(capacity = 1024) {
    this.buf = new Uint8Array(capacity);
  }

  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.growTo(this.pos + n);
  }

  private growTo(min: number): void {
    const next = new Uint8Array(Math.max(min, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  u8(b: number): void {
    if (this.pos >= this.buf.length) this.growTo(this.pos + 1);
    this.buf[this.pos++] = b;
  }

  u32(v: number): void {
    if (this.pos + 5 > this.buf.length) this.growTo(this.pos + 5);
    this.pos = putU32(this.buf, this.pos, v);
  }

  /** Signed LEB128 of an int32 (also used for s33 values within int32 range). */
  s32(v: number): void {
    if (this.pos + 5 > this.buf.length) this.growTo(this.pos + 5);
    this.pos = putS32(this.buf, this.pos, v);
  }

  /** A 64-bit LEB128 from int32 halves; signed unless `unsigned`. */
  i64(lo: number, hi: number, unsigned = false): void {
    if (this.pos + 10 > this.buf.length) this.growTo(this.pos + 10);
    this.pos = putI64(this.buf, this.pos, lo, hi, unsigned);
  }

  u64(v: bigint): void {
    this.i64(Number(v & 0xffffffffn) | 0, Number((v >> 32n) & 0xffffffffn) | 0, true);
  }

  fixed32(v: number): void {
    if (this.pos + 4 > this.buf.length) this.growTo(this.pos + 4);
    this.pos = putFixed32(this.buf, this.pos, v);
  }

  bytes(b: Uint8Array): void {
    if (this.pos + b.length > this.buf.length) this.growTo(this.pos + b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  name(s: string): void {
    let ascii = true;
    for (let i = 0; i < s.length; i++) {
      if (s.charCodeAt(i) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      this.u32(s.length);
      this.ensure(s.length);
      for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
    } else {
      const b = utf8.encode(s);
      this.u32(b.length);
      this.bytes(b);
    }
  }

  /** Reserves room for a u32 size; returns the mark to pass to `endSized`. */
  beginSized(): number {
    this.ensure(5);
    this.pos += 5;
    return this.pos;
  }

  /** Writes the size of everything since `mark` as a canonical LEB before it. */
  endSized(mark: number): void {
    const size = this.pos - mark;
    let len = 1;
    for (let v = size >>> 7; v; v >>>= 7) len++;
    const at = mark - 5;
    if (len < 5) this.buf.copyWithin(at + len, mark, this.pos);
    let p = at;
    let v = size;
    while (v >= 0x80) {
      this.buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[p] = v;
    this.pos -= 5 - len;
  }

  /** The written bytes (a view; copy it if the sink is reused). */
  result(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}
