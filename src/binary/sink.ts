/**
 * A growable byte buffer: the one place that writes bytes and LEB128s. Sizes that
 * precede their contents (sections, function bodies) are reserved and patched with a
 * canonical LEB, shifting the contents by the bytes reserved in excess (a memmove).
 *
 * A sink can also hand its finished bytes on while it is still being written (`drainTo`,
 * `flush`), e.g. to a file being written on another thread: `flush` passes on everything
 * written since the last one. A size patch that lands in bytes passed on already is kept
 * in `patches` when the size took the bytes reserved for it, and otherwise (the contents
 * moved) makes the next `flush` pass those bytes on again from the patch on.
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

/** Bytes in the canonical unsigned LEB128 of `v`. */
export function lebLength(v: number): number {
  let len = 1;
  for (v >>>= 7; v; v >>>= 7) len++;
  return len;
}

/** Receives `bytes` (a view, not to be modified), the sink's contents at offset `at`. */
export type Drain = (bytes: Uint8Array, at: number) => void;

export class Sink {
  buf: Uint8Array;
  pos = 0;
  /** Bytes reserved by each open beginSized, innermost last. */
  private readonly reserved: number[] = [];
  private drain: Drain | null = null;
  /** Bytes before this were passed to the drain. */
  private drained = 0;
  /** [from, to) ranges of bytes passed to the drain that a size patch changed afterwards. */
  readonly patches: number[] = [];

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

  /**
   * Reserves room for a u32 size; returns the mark to pass to `endSized`. Given the size
   * the contents are `expected` to have, reserves as many bytes as its LEB takes, so that
   * the contents need not move if the guess holds (it matters when they are drained).
   */
  beginSized(expected = 0xffffffff): number {
    const len = lebLength(expected);
    this.ensure(len);
    this.pos += len;
    this.reserved.push(len);
    return this.pos;
  }

  /** Writes the size of everything since `mark` as a canonical LEB before it. */
  endSized(mark: number): void {
    const size = this.pos - mark;
    const len = lebLength(size);
    const reserved = this.reserved.pop()!;
    const at = mark - reserved;
    if (len !== reserved) {
      if (len > reserved) this.ensure(len - reserved);
      this.buf.copyWithin(at + len, mark, this.pos);
      this.pos += len - reserved;
      if (at < this.drained) this.drained = at;
    } else if (at < this.drained) {
      this.patches.push(at, at + len);
    }
    let p = at;
    let v = size;
    while (v >= 0x80) {
      this.buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[p] = v;
  }

  /** Passes finished bytes to `drain` from now on, at each `flush`. */
  drainTo(drain: Drain): void {
    this.drain = drain;
  }

  /**
   * Passes the bytes written since the last flush to the drain, if there is one. Safe
   * anywhere: what a later size patch changes is passed on again (see the class comment).
   */
  flush(): void {
    if (this.drain !== null && this.pos > this.drained) {
      this.drain(this.buf.subarray(this.drained, this.pos), this.drained);
      this.drained = this.pos;
    }
  }

  /** The written bytes (a view; copy it if the sink is reused). */
  result(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}
