/**
 * A zero-copy cursor over a Uint8Array: the one place that reads bytes, LEB128s and
 * names. Every read is bounds-checked against `end` (a section or body limit, not just
 * the buffer), so malformed input can only end in a WasmDecodeError.
 */

/** A malformed binary: `offset` is the absolute byte offset in the input. */
export class WasmDecodeError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'WasmDecodeError';
    this.offset = offset;
  }
}

// ignoreBOM: a leading U+FEFF is part of the name, not a marker to drop.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class Cursor {
  buf: Uint8Array;
  pos: number;
  end: number;
  /** Set when a LEB128 used more bytes than needed: the input is not canonically encoded. */
  nonCanonical = false;

  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  /** Throws a decode error at `at` (default: the current position). Kept out of hot paths. */
  fail(message: string, at = this.pos): never {
    throw new WasmDecodeError(message, at);
  }

  eof(): boolean {
    return this.pos >= this.end;
  }

  u8(): number {
    if (this.pos >= this.end) this.fail('unexpected end');
    return this.buf[this.pos++];
  }

  /** Unsigned LEB128, at most 32 bits. */
  u32(): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos < this.end) {
      const b = buf[pos];
      if (b < 0x80) {
        this.pos = pos + 1;
        return b;
      }
    }
    return this.u32Slow();
  }

  private u32Slow(): number {
    const start = this.pos;
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      if (this.pos >= this.end) this.fail('unexpected end of LEB128', start);
      const b = this.buf[this.pos++];
      if (shift === 28) {
        if (b & 0xf0) this.fail(b & 0x80 ? 'integer representation too long' : 'integer too large', start);
        result = (result | (b << 28)) >>> 0;
        if (b === 0) this.nonCanonical = true;
        return result;
      }
      result |= (b & 0x7f) << shift;
      if (!(b & 0x80)) {
        if (b === 0 && shift > 0) this.nonCanonical = true;
        return result >>> 0;
      }
    }
  }

  /** Signed LEB128, at most 32 bits. */
  s32(): number {
    const start = this.pos;
    let result = 0;
    let b = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) this.fail('unexpected end of LEB128', start);
      b = this.buf[this.pos++];
      if (shift === 28) {
        // The last byte holds bits 28-31; bits 4-6 must repeat the sign bit.
        const rest = b & 0x78;
        if (b & 0x80) this.fail('integer representation too long', start);
        if (rest !== 0 && rest !== 0x78) this.fail('integer too large', start);
        if (b === (rest ? 0x7f : 0)) this.checkRedundant(this.buf[this.pos - 2], b);
        return result | (b << 28);
      }
      result |= (b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80)) break;
    }
    if (shift > 7) this.checkRedundant(this.buf[this.pos - 2], b);
    return shift < 32 && b & 0x40 ? result | (-1 << shift) : result;
  }

  /** A trailing byte that only repeats the sign of the previous one is a padded encoding. */
  private checkRedundant(prev: number, last: number): void {
    if ((last === 0 && !(prev & 0x40)) || (last === 0x7f && prev & 0x40)) this.nonCanonical = true;
  }

  /**
   * Signed LEB128 of 33 bits (block types, heap types). Returns a JS number in
   * [-2^32, 2^32); callers check the range they accept.
   */
  s33(): number {
    const buf = this.buf;
    const pos = this.pos;
    if (pos < this.end) {
      const b = buf[pos];
      if (b < 0x80) {
        this.pos = pos + 1;
        return b & 0x40 ? b - 0x80 : b;
      }
    }
    const start = pos;
    let result = 0;
    let mul = 1;
    let b = 0;
    for (let i = 0; ; i++) {
      if (this.pos >= this.end) this.fail('unexpected end of LEB128', start);
      b = this.buf[this.pos++];
      if (i === 4) {
        if (b & 0x80) this.fail('integer representation too long', start);
        const rest = b & 0x70;
        if (rest !== 0 && rest !== 0x70) this.fail('integer too large', start);
        result += (b & 0x1f) * mul;
        if (b === (rest ? 0x7f : 0)) this.checkRedundant(this.buf[this.pos - 2], b);
        return b & 0x10 ? result - 2 ** 33 : result;
      }
      result += (b & 0x7f) * mul;
      mul *= 128;
      if (!(b & 0x80)) break;
    }
    if (mul > 128) this.checkRedundant(this.buf[this.pos - 2], b);
    return b & 0x40 ? result - mul : result;
  }

  /** High half of the last `i64()` result. */
  hi = 0;

  /**
   * Signed (or, with `unsigned`, unsigned) LEB128 of 64 bits, returned as two int32
   * halves: the low half is returned, the high half is left in `hi`.
   */
  i64(unsigned = false): number {
    const start = this.pos;
    let lo = 0;
    let hi = 0;
    let shift = 0;
    let b = 0;
    for (;;) {
      if (this.pos >= this.end) this.fail('unexpected end of LEB128', start);
      b = this.buf[this.pos++];
      if (shift === 63) {
        if (b & 0x80) this.fail('integer representation too long', start);
        if (unsigned ? b & 0x7e : b !== 0 && b !== 0x7f) this.fail('integer too large', start);
        hi |= b << 31;
        this.checkLast(this.buf[this.pos - 2], b, unsigned);
        this.hi = hi;
        return lo;
      }
      const payload = b & 0x7f;
      if (shift < 32) {
        lo |= payload << shift;
        if (shift > 25) hi |= payload >>> (32 - shift);
      } else {
        hi |= payload << (shift - 32);
      }
      shift += 7;
      if (!(b & 0x80)) break;
    }
    if (shift > 7) this.checkLast(this.buf[this.pos - 2], b, unsigned);
    if (!unsigned && b & 0x40) {
      if (shift < 32) {
        lo |= -1 << shift;
        hi = -1;
      } else {
        hi |= -1 << (shift - 32);
      }
    }
    this.hi = hi;
    return lo;
  }

  private checkLast(prev: number, last: number, unsigned: boolean): void {
    if (unsigned) {
      if (last === 0) this.nonCanonical = true;
    } else {
      this.checkRedundant(prev, last);
    }
  }

  /** Unsigned 64-bit LEB128 as a bigint (limits). */
  u64(): bigint {
    const lo = this.i64(true);
    return (BigInt(this.hi >>> 0) << 32n) | BigInt(lo >>> 0);
  }

  /** Four little-endian bytes as an int32 (float bit patterns). */
  fixed32(): number {
    const p = this.pos;
    if (p + 4 > this.end) this.fail('unexpected end');
    const buf = this.buf;
    this.pos = p + 4;
    return buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24);
  }

  /** `n` bytes as a zero-copy view. */
  bytes(n: number): Uint8Array {
    const p = this.pos;
    this.skip(n);
    return this.buf.subarray(p, p + n);
  }

  /** Moves past `n` bytes (without the view `bytes` makes, which costs an allocation). */
  skip(n: number): void {
    if (n > this.end - this.pos) this.fail('unexpected end: length out of bounds');
    this.pos += n;
  }

  /** A vector length, sanity-checked against the bytes left (each element takes >= `minSize` bytes). */
  count(minSize = 1): number {
    const at = this.pos;
    const n = this.u32();
    if (n * minSize > this.end - this.pos) this.fail('unexpected end: vector length out of bounds', at);
    return n;
  }

  /** A length-prefixed UTF-8 name. */
  name(): string {
    const at = this.pos;
    const n = this.u32();
    const bytes = this.bytes(n);
    return decodeUtf8(bytes, at);
  }
}

/** Strict UTF-8 decode with an ASCII fast path. */
export function decodeUtf8(bytes: Uint8Array, at: number): string {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii && bytes.length < 64) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  try {
    return utf8.decode(bytes);
  } catch {
    throw new WasmDecodeError('malformed UTF-8 encoding', at);
  }
}
