/**
 * Numeric literals of the text format, read straight from the source bytes.
 *
 * Integers: `sign? (digits | 0x hexdigits)` with single `_` between digits. Floats also
 * take fractions, exponents, `inf`, `nan` and `nan:0x…` payloads. Every float is rounded
 * once, exactly, to the target format (round to nearest, ties to even):
 *   - f64 decimal: JS `Number()` is correctly rounded already;
 *   - f32 decimal: `Math.fround(Number(s))` rounds twice, which is wrong exactly when the
 *     double lands on a midpoint between two f32 values; only then the exact path runs;
 *   - hex: the significand is exact in a double while it stays below 2^53, and scaling by a
 *     power of two then rounds once; longer significands take the exact path;
 *   - the exact path rounds the rational value num/den with BigInt arithmetic.
 * A finite literal that rounds to infinity is out of range, as the spec requires.
 *
 * Results go to `NUM` (the low and high 32 bits) so the hot paths allocate nothing.
 */

/** Result halves of the last successful conversion: i64/f64 use both, i32/f32 only `lo`. */
export const NUM = { lo: 0, hi: 0 };

/** Outcome of a conversion. */
export const enum Lit { Ok, Malformed, OutOfRange }

const C0 = 0x30, C9 = 0x39, UNDERSCORE = 0x5f, PLUS = 0x2b, MINUS = 0x2d, DOT = 0x2e;
const TWO32 = 4294967296;

const view = new DataView(new ArrayBuffer(8));

function hexValue(c: number): number {
  if (c >= C0 && c <= C9) return c - C0;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

// ---- integers ------------------------------------------------------------------------------

/** The last scanned integer: sign, whether the sign was written, and its magnitude. */
let intNeg = false;
let intSigned = false;
/** Magnitude when it is below 2^53 (then `intBig` is null). */
let intSmall = 0;
let intBig: bigint | null = null;

/** Scans an integer literal in [s, e); false when it is not one. */
function scanInt(src: Uint8Array, s: number, e: number): boolean {
  intNeg = false;
  intSigned = false;
  let i = s;
  const c0 = src[i];
  if (c0 === PLUS || c0 === MINUS) {
    intNeg = c0 === MINUS;
    intSigned = true;
    i++;
  }
  if (i >= e) return false;
  let hex = false;
  if (src[i] === C0 && i + 1 < e && (src[i + 1] | 0x20) === 0x78) {
    hex = true;
    i += 2;
    if (i >= e) return false;
  }
  const base = hex ? 16 : 10;
  let v = 0;
  let big: bigint | null = null;
  const digitsStart = i;
  let prevDigit = false;
  for (; i < e; i++) {
    const c = src[i];
    if (c === UNDERSCORE) {
      if (!prevDigit) return false;
      prevDigit = false;
      continue;
    }
    const d = hex ? hexValue(c) : c >= C0 && c <= C9 ? c - C0 : -1;
    if (d < 0) return false;
    prevDigit = true;
    if (big === null) {
      v = v * base + d;
      if (v >= 9007199254740992) {
        // Past 2^53: redo the digits so far exactly.
        big = 0n;
        const B = BigInt(base);
        for (let j = digitsStart; j <= i; j++) {
          const cj = src[j];
          if (cj === UNDERSCORE) continue;
          big = big * B + BigInt(hex ? hexValue(cj) : cj - C0);
        }
      }
    } else {
      big = big * BigInt(base) + BigInt(d);
    }
  }
  if (!prevDigit) return false;
  intSmall = v;
  intBig = big;
  return true;
}

function setI64FromBig(v: bigint): void {
  const u = BigInt.asUintN(64, v);
  NUM.lo = Number(u & 0xffffffffn) | 0;
  NUM.hi = Number(u >> 32n) | 0;
}

/** An `i32` literal (signed or unsigned range) into NUM.lo. */
export function readI32(src: Uint8Array, s: number, e: number): Lit {
  if (!scanInt(src, s, e)) return Lit.Malformed;
  if (intBig !== null) return Lit.OutOfRange;
  const m = intSmall;
  if (intNeg ? m > 0x80000000 : m > 0xffffffff) return Lit.OutOfRange;
  NUM.lo = intNeg ? -m | 0 : m | 0;
  return Lit.Ok;
}

/** An `i64` literal into NUM.lo/hi. */
export function readI64(src: Uint8Array, s: number, e: number): Lit {
  if (!scanInt(src, s, e)) return Lit.Malformed;
  if (intBig === null) {
    const m = intSmall;
    let lo = m % TWO32;
    let hi = (m - lo) / TWO32;
    if (intNeg && m !== 0) {
      // Two's complement of the 64-bit magnitude.
      lo = TWO32 - lo;
      hi = ~hi;
      if (lo === TWO32) {
        lo = 0;
        hi = hi + 1;
      }
    }
    NUM.lo = lo | 0;
    NUM.hi = hi | 0;
    return Lit.Ok;
  }
  const m = intBig;
  if (intNeg ? m > 0x8000000000000000n : m > 0xffffffffffffffffn) return Lit.OutOfRange;
  setI64FromBig(intNeg ? -m : m);
  return Lit.Ok;
}

/** An unsigned `nat` that fits in u32, or -1 (malformed: -2, e.g. signed or not a number). */
export function readNat32(src: Uint8Array, s: number, e: number): number {
  // Fast path: short plain decimals, the overwhelming case for indices and offsets.
  const n = e - s;
  if (n > 0 && n < 10) {
    let v = 0;
    let i = s;
    for (; i < e; i++) {
      const d = src[i] - C0;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    if (i === e) return v;
  }
  if (!scanInt(src, s, e) || intSigned) return -2;
  if (intBig !== null || intSmall > 0xffffffff) return -1;
  return intSmall;
}

/** An unsigned `nat` up to 2^64-1, or null (`malformed` tells why). */
export function readNat64(src: Uint8Array, s: number, e: number): bigint | null {
  if (!scanInt(src, s, e) || intSigned) {
    natMalformed = true;
    return null;
  }
  natMalformed = false;
  const v = intBig ?? BigInt(intSmall);
  return v > 0xffffffffffffffffn ? null : v;
}
/** Whether the last failed readNat64 saw no number at all (rather than one out of range). */
export let natMalformed = false;

/** Whether [s, e) is a well-formed integer literal; `unsigned` rejects a sign. */
export function isIntLiteral(src: Uint8Array, s: number, e: number, unsigned: boolean): boolean {
  return scanInt(src, s, e) && !(unsigned && intSigned);
}

// ---- floats --------------------------------------------------------------------------------

const enum FloatKind { Malformed, Finite, Inf, Nan, NanPayload }

let fNeg = false;
let fHex = false;
/** Decimal: the literal without `_` and sign, for Number(). */
let fText = '';
/** Hex: the significand's digits (no `_`, no `.`), the digits after the point, the p exponent. */
let fDigitsStart = 0;
let fDigitsEnd = 0;
let fFracDigits = 0;
let fExp = 0;
/** NaN payload. */
let fPayload = 0n;

/** Scans a float literal (integers included) in [s, e). */
function scanFloat(src: Uint8Array, s: number, e: number): FloatKind {
  let i = s;
  fNeg = false;
  const c0 = src[i];
  if (c0 === PLUS || c0 === MINUS) {
    fNeg = c0 === MINUS;
    i++;
  }
  if (i >= e) return FloatKind.Malformed;
  const c = src[i];
  if (c === 0x69) return matchWord(src, i, e, 'inf') ? FloatKind.Inf : FloatKind.Malformed;
  if (c === 0x6e) {
    if (matchWord(src, i, e, 'nan')) return FloatKind.Nan;
    if (e - i > 6 && matchWord(src, i, i + 6, 'nan:0x')) {
      let p = 0n;
      let prev = false;
      for (let j = i + 6; j < e; j++) {
        const cj = src[j];
        if (cj === UNDERSCORE) {
          if (!prev) return FloatKind.Malformed;
          prev = false;
          continue;
        }
        const d = hexValue(cj);
        if (d < 0) return FloatKind.Malformed;
        p = p * 16n + BigInt(d);
        prev = true;
      }
      if (!prev) return FloatKind.Malformed;
      fPayload = p;
      return FloatKind.NanPayload;
    }
    return FloatKind.Malformed;
  }
  fHex = c === C0 && i + 1 < e && (src[i + 1] | 0x20) === 0x78;
  if (fHex) i += 2;
  const isDigit = fHex ? (x: number) => hexValue(x) >= 0 : (x: number) => x >= C0 && x <= C9;
  const expChar = fHex ? 0x70 : 0x65;
  // num: digit ('_'? digit)*
  const numEnd = scanDigits(src, i, e, isDigit);
  if (numEnd < 0) return FloatKind.Malformed;
  fDigitsStart = i;
  i = numEnd;
  fFracDigits = 0;
  if (i < e && src[i] === DOT) {
    i++;
    if (i < e && isDigit(src[i])) {
      const fracEnd = scanDigits(src, i, e, isDigit);
      if (fracEnd < 0) return FloatKind.Malformed;
      for (let j = i; j < fracEnd; j++) if (src[j] !== UNDERSCORE) fFracDigits++;
      i = fracEnd;
    }
  }
  fDigitsEnd = i;
  fExp = 0;
  if (i < e && (src[i] | 0x20) === expChar) {
    i++;
    let eneg = false;
    if (i < e && (src[i] === PLUS || src[i] === MINUS)) {
      eneg = src[i] === MINUS;
      i++;
    }
    const expEnd = scanDigits(src, i, e, (x) => x >= C0 && x <= C9);
    if (expEnd !== e) return FloatKind.Malformed;
    let v = 0;
    for (let j = i; j < e; j++) {
      const cj = src[j];
      // Saturate: any exponent this large already over- or underflows every format.
      if (cj !== UNDERSCORE && v < 1e9) v = v * 10 + (cj - C0);
    }
    fExp = eneg ? -v : v;
    i = e;
  }
  if (i !== e) return FloatKind.Malformed;
  if (!fHex) {
    let t = '';
    for (let j = fNeg || c0 === PLUS ? s + 1 : s; j < e; j++) if (src[j] !== UNDERSCORE) t += String.fromCharCode(src[j]);
    fText = t;
  }
  return FloatKind.Finite;
}

/** End of `digit ('_'? digit)*` starting at i, or -1. */
function scanDigits(src: Uint8Array, i: number, e: number, isDigit: (c: number) => boolean): number {
  if (i >= e || !isDigit(src[i])) return -1;
  i++;
  while (i < e) {
    const c = src[i];
    if (c === UNDERSCORE) {
      if (i + 1 >= e || !isDigit(src[i + 1])) return -1;
      i += 2;
    } else if (isDigit(c)) i++;
    else break;
  }
  return i;
}

function matchWord(src: Uint8Array, i: number, e: number, w: string): boolean {
  if (e - i !== w.length) return false;
  for (let k = 0; k < w.length; k++) if (src[i + k] !== w.charCodeAt(k)) return false;
  return true;
}

/** Format parameters: explicit significand bits and exponent bits. */
interface FloatFormat {
  mant: number;
  exp: number;
}
const F32: FloatFormat = { mant: 23, exp: 8 };
const F64: FloatFormat = { mant: 52, exp: 11 };

const bitLength = (x: bigint): number => (x === 0n ? 0 : x.toString(2).length);

/**
 * Rounds num/den (> 0) to the format, ties to even. Returns the bits without the sign,
 * or null when the value rounds to infinity.
 */
function roundRational(num: bigint, den: bigint, f: FloatFormat): bigint | null {
  const bias = (1 << (f.exp - 1)) - 1;
  const emin = 1 - bias;
  let e = bitLength(num) - bitLength(den);
  const ge = e >= 0 ? num >= den << BigInt(e) : num << BigInt(-e) >= den;
  if (!ge) e--;
  // Subnormals keep the minimum exponent and lose precision instead.
  const E = Math.max(e, emin);
  const shift = f.mant - E;
  let n = num;
  let d = den;
  if (shift >= 0) n <<= BigInt(shift);
  else d <<= BigInt(-shift);
  let q = n / d;
  const r2 = (n % d) * 2n;
  if (r2 > d || (r2 === d && (q & 1n) === 1n)) q++;
  // The implicit bit of a normal q lands in the exponent field; a rounding carry moves on to the next binade.
  const bits = (BigInt(E + bias - 1) << BigInt(f.mant)) + q;
  return bits >= BigInt((1 << f.exp) - 1) << BigInt(f.mant) ? null : bits;
}

/** Exact bits of the last scanned finite literal, or null on overflow. */
function exactBits(src: Uint8Array, f: FloatFormat): bigint | null {
  let m = 0n;
  let count = 0;
  const base = fHex ? 16n : 10n;
  for (let j = fDigitsStart; j < fDigitsEnd; j++) {
    const c = src[j];
    if (c === UNDERSCORE || c === DOT) continue;
    m = m * base + BigInt(fHex ? hexValue(c) : c - C0);
    if (m !== 0n) count++;
  }
  if (m === 0n) return 0n;
  if (fHex) {
    const exp2 = fExp - 4 * fFracDigits;
    const mag = bitLength(m) + exp2;
    if (mag > 1100) return null;
    if (mag < -1200) return 0n;
    return exp2 >= 0 ? roundRational(m << BigInt(exp2), 1n, f) : roundRational(m, 1n << BigInt(-exp2), f);
  }
  const exp10 = fExp - fFracDigits;
  const mag = count + exp10;
  if (mag > 350) return null;
  if (mag < -400) return 0n;
  return exp10 >= 0 ? roundRational(m * 10n ** BigInt(exp10), 1n, f) : roundRational(m, 10n ** BigInt(-exp10), f);
}

/** The hex significand as an exact double, or -1 when it needs more than 53 bits. */
function hexSignificand(src: Uint8Array): number {
  let m = 0;
  for (let j = fDigitsStart; j < fDigitsEnd; j++) {
    const c = src[j];
    if (c === UNDERSCORE || c === DOT) continue;
    m = m * 16 + hexValue(c);
    if (m >= 9007199254740992) return -1;
  }
  return m;
}

/** m * 2^k, correctly rounded, for k within one multiplication of the double range; else NaN. */
function scaleExact(m: number, k: number): number {
  if (k >= -1074 && k <= 1023) return m * 2 ** k;
  return NaN;
}

/** An `f32` literal into NUM.lo (bits). */
export function readF32(src: Uint8Array, s: number, e: number): Lit {
  const kind = scanFloat(src, s, e);
  const sign = fNeg ? 0x80000000 : 0;
  switch (kind) {
    case FloatKind.Malformed: return Lit.Malformed;
    case FloatKind.Inf: NUM.lo = (sign | 0x7f800000) | 0; return Lit.Ok;
    case FloatKind.Nan: NUM.lo = (sign | 0x7fc00000) | 0; return Lit.Ok;
    case FloatKind.NanPayload:
      if (fPayload === 0n || fPayload >= 1n << 23n) return Lit.OutOfRange;
      NUM.lo = (sign | 0x7f800000 | Number(fPayload)) | 0;
      return Lit.Ok;
  }
  let v: number;
  if (fHex) {
    const m = hexSignificand(src);
    // A double's exponent range holds every f32 exactly, so fround is the only rounding.
    const d = m < 0 ? NaN : scaleExact(m, fExp - 4 * fFracDigits);
    v = d === d && Math.abs(d) !== Infinity ? Math.fround(d) : exactF32(src);
  } else {
    const d = Number(fText);
    const f = Math.fround(d);
    v = f === d || !isF32Midpoint(d, f) ? f : exactF32(src);
  }
  if (v === Infinity) return Lit.OutOfRange;
  view.setFloat32(0, v, true);
  NUM.lo = (view.getInt32(0, true) | sign) | 0;
  return Lit.Ok;
}

/** The value through the exact path, as a positive f32 (Infinity on overflow). */
function exactF32(src: Uint8Array): number {
  const bits = exactBits(src, F32);
  if (bits === null) return Infinity;
  view.setInt32(0, Number(bits) | 0, true);
  return view.getFloat32(0, true);
}

/** Whether the double d (which fround rounded to f) lies exactly halfway between two f32 values. */
function isF32Midpoint(d: number, f: number): boolean {
  if (f === Infinity) return d === 3.4028235677973366e38;
  view.setFloat32(0, f, true);
  const bits = view.getInt32(0, true);
  view.setInt32(0, d > f ? bits + 1 : bits - 1, true);
  const other = view.getFloat32(0, true);
  return (f + other) / 2 === d;
}

/** An `f64` literal into NUM.lo/hi (bits). */
export function readF64(src: Uint8Array, s: number, e: number): Lit {
  const kind = scanFloat(src, s, e);
  const sign = fNeg ? 0x80000000 : 0;
  switch (kind) {
    case FloatKind.Malformed: return Lit.Malformed;
    case FloatKind.Inf: NUM.lo = 0; NUM.hi = (sign | 0x7ff00000) | 0; return Lit.Ok;
    case FloatKind.Nan: NUM.lo = 0; NUM.hi = (sign | 0x7ff80000) | 0; return Lit.Ok;
    case FloatKind.NanPayload:
      if (fPayload === 0n || fPayload >= 1n << 52n) return Lit.OutOfRange;
      NUM.lo = Number(fPayload & 0xffffffffn) | 0;
      NUM.hi = (sign | 0x7ff00000 | Number(fPayload >> 32n)) | 0;
      return Lit.Ok;
  }
  let v: number;
  if (fHex) {
    const m = hexSignificand(src);
    v = m < 0 ? NaN : scaleExact(m, fExp - 4 * fFracDigits);
    if (v !== v) {
      const bits = exactBits(src, F64);
      if (bits === null) return Lit.OutOfRange;
      NUM.lo = Number(bits & 0xffffffffn) | 0;
      NUM.hi = (Number(bits >> 32n) | sign) | 0;
      return Lit.Ok;
    }
  } else {
    v = Number(fText);
  }
  if (v === Infinity) return Lit.OutOfRange;
  view.setFloat64(0, v, true);
  NUM.lo = view.getInt32(0, true);
  NUM.hi = (view.getInt32(4, true) | sign) | 0;
  return Lit.Ok;
}

/** Whether [s, e) reads as a float or integer literal at all. */
export function isFloatLiteral(src: Uint8Array, s: number, e: number): boolean {
  return scanFloat(src, s, e) !== FloatKind.Malformed;
}
