/**
 * The text-format lexer. It works on the UTF-8 bytes of the source: a typed-array scan
 * is over twice as fast as `charCodeAt` on a string in V8, and bytes are what the spec's
 * lexical grammar (and its "malformed UTF-8 encoding" errors) is written against.
 *
 * There is no token object: `next()` returns the token kind and leaves its extent in
 * `start`/`end`; `keyword()` looks an atom up when the parser asks. The whole
 * lexer state is `pos`, so the parser looks ahead by saving and restoring it. Lines and
 * columns are only computed when an error is reported.
 *
 * Comments and annotations `(@id …)` are skipped like white space. The annotations
 * weft interprets (`@custom`, `@name`, `@metadata.code.branch_hint`) are recorded with
 * their positions and items for the parser; all others are ignored, as the annotations
 * proposal prescribes.
 */
import { OPS, Imm } from '../ir/opcodes.js';
import { TextParseError } from './error.js';

// In a module of its own so that reporting it (cli/common.ts) does not load the lexer.
export { TextParseError };


export const enum Tok { Eof, LParen, RParen, Atom, Id, String, Reserved }

// ---- character classes ---------------------------------------------------------------------

const IDCHAR = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) IDCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) IDCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) IDCHAR[c] = 1;
for (const ch of "!#$%&'*+-./:<=>?@\\^_`|~") IDCHAR[ch.charCodeAt(0)] = 1;

const SPACE = 0x20, TAB = 0x09, LF = 0x0a, CR = 0x0d, LPAR = 0x28, RPAR = 0x29, QUOTE = 0x22,
  SEMI = 0x3b, AT = 0x40, DOLLAR = 0x24, BACKSLASH = 0x5c;

/** What plainInt returns when the next token is not a plain decimal (no 9-digit value is). */
export const NOT_PLAIN = 2 ** 31;

/** Four spaces as a 32-bit word (any byte order). */
const SPACES4 = 0x20202020;

const isReservedChar = (c: number): boolean => c === 0x2c || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d;

/** Length of the valid UTF-8 sequence at p (per the spec's `utf8enc`), or 0. */
export function utf8Length(src: Uint8Array, p: number, end: number): number {
  const b = src[p];
  if (b < 0x80) return 1;
  const c1 = p + 1 < end ? src[p + 1] : 0;
  const cont = (x: number): boolean => x >= 0x80 && x <= 0xbf;
  if (b >= 0xc2 && b <= 0xdf) return cont(c1) ? 2 : 0;
  const c2 = p + 2 < end ? src[p + 2] : 0;
  if (b === 0xe0) return c1 >= 0xa0 && c1 <= 0xbf && cont(c2) ? 3 : 0;
  if (b === 0xed) return c1 >= 0x80 && c1 <= 0x9f && cont(c2) ? 3 : 0;
  if ((b >= 0xe1 && b <= 0xec) || b === 0xee || b === 0xef) return cont(c1) && cont(c2) ? 3 : 0;
  const c3 = p + 3 < end ? src[p + 3] : 0;
  if (b === 0xf0) return c1 >= 0x90 && c1 <= 0xbf && cont(c2) && cont(c3) ? 4 : 0;
  if (b === 0xf4) return c1 >= 0x80 && c1 <= 0x8f && cont(c2) && cont(c3) ? 4 : 0;
  if (b >= 0xf1 && b <= 0xf3) return cont(c1) && cont(c2) && cont(c3) ? 4 : 0;
  return 0;
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/** Decodes bytes that must be valid UTF-8; null if they are not. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return null;
  }
}

// ---- keywords ------------------------------------------------------------------------------

/**
 * Keywords that are not instructions. Instruction keywords are their op ids (< 1024),
 * taken from the opcode table; these follow from 1024.
 */
const WORDS = [
  'module', 'type', 'func', 'param', 'result', 'local', 'global', 'table', 'memory', 'data', 'elem',
  'import', 'export', 'start', 'tag', 'rec', 'sub', 'final', 'struct', 'array', 'field', 'mut', 'ref',
  'null', 'declare', 'offset', 'item', 'then', 'do', 'catch_ref', 'catch_all_ref',
  'i32', 'i64', 'f32', 'f64', 'v128', 'i8', 'i16',
  'funcref', 'externref', 'anyref', 'eqref', 'i31ref', 'structref', 'arrayref', 'exnref', 'nullexnref',
  'nullfuncref', 'nullexternref', 'nullref',
  'extern', 'any', 'eq', 'i31', 'exn', 'noexn', 'nofunc', 'noextern', 'none',
  'shared', 'pagesize', 'exact', 'describes', 'descriptor', 'i8x16', 'i16x8', 'i32x4', 'i64x2', 'f32x4', 'f64x2',
  'binary', 'quote', 'definition', 'instance', 'register', 'invoke', 'get',
  'assert_return', 'assert_trap', 'assert_exhaustion', 'assert_exception', 'assert_invalid',
  'assert_malformed', 'assert_unlinkable', 'assert_uninstantiable', 'assert_invalid_custom',
  'assert_malformed_custom', 'nan:canonical', 'nan:arithmetic', 'either',
  'ref.extern', 'ref.host', 'ref.struct', 'ref.array', 'ref.exn',
] as const;
type Word = (typeof WORDS)[number];

/** Keyword ids of the non-instruction words. */
export const KW = Object.fromEntries(WORDS.map((w, i) => [w, 1024 + i])) as { readonly [K in Word]: number };
/** No keyword. */
export const KW_NONE = -1;

// An open-addressing table keyed by a hash of the atom's first eight bytes (two
// little-endian words) and its length. A probe compares those two words and the length;
// only the bytes past the eighth (one or two in `local.get`, `i32.const`) are compared one
// by one. The words are read once the atom is known to be wanted as a keyword, so the
// scan itself does not hash: numbers and identifiers never pay for keyword lookup.
const TABLE_BITS = 11;
const TABLE_MASK = (1 << TABLE_BITS) - 1;
/**
 * Four ints per slot, so a probe touches one cache line: the two words, `(id + 1) << 8 |
 * length` (0: empty), and where the keyword's bytes sit in kwText (for the tail).
 */
const kwTable = new Int32Array(4 << TABLE_BITS);
let kwText = new Uint8Array(8192);
let kwTextLength = 0;

/** Little-endian word of bytes [s, s + n) of b, n <= 4 (the rest zero). */
function wordAt(b: Uint8Array, s: number, n: number): number {
  let w = 0;
  for (let i = n - 1; i >= 0; i--) w = (w << 8) | b[s + i];
  return w;
}
const keywordSlot = (w0: number, w1: number, n: number): number => {
  let h = Math.imul(w0 ^ Math.imul(w1 ^ n, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 15;
  return h & TABLE_MASK;
};

function addKeyword(name: string, id: number): void {
  const b = utf8Encoder.encode(name);
  const n = b.length;
  const w0 = wordAt(b, 0, Math.min(n, 4));
  const w1 = n > 4 ? wordAt(b, 4, Math.min(n - 4, 4)) : 0;
  let slot = keywordSlot(w0, w1, n);
  while (kwTable[slot * 4 + 2] !== 0) slot = (slot + 1) & TABLE_MASK;
  kwTable.set([w0, w1, ((id + 1) << 8) | n, kwTextLength], slot * 4);
  if (kwTextLength + n > kwText.length) {
    const grown = new Uint8Array(kwText.length * 2);
    grown.set(kwText);
    kwText = grown;
  }
  kwText.set(b, kwTextLength);
  kwTextLength += n;
}
for (const op of OPS) {
  // `ref.test_null`/`ref.cast_null`/`ref.cast_desc_eq_null` are the binary's split of `ref.test (ref null …)`….
  if (!op.name || (op.imm === Imm.HeapType && op.name.endsWith('_null'))) continue;
  if (op.name === 'select' && op.code === 0x1c) continue;
  addKeyword(op.name, op.id);
}
WORDS.forEach((w, i) => addKeyword(w, 1024 + i));

// ---- annotations ---------------------------------------------------------------------------

export type AnnotItem =
  | { kind: 'string'; bytes: Uint8Array; start: number; end: number }
  | { kind: 'atom'; text: string; start: number; end: number }
  | { kind: 'parens'; items: AnnotItem[]; start: number; end: number };

/** A recorded annotation `(@name items…)`; start/end span the whole annotation. */
export interface Annotation {
  name: string;
  items: AnnotItem[];
  start: number;
  end: number;
}

const RECORDED = new Set(['custom', 'name', 'metadata.code.branch_hint']);

// ---- the lexer -----------------------------------------------------------------------------

export class Lexer {
  readonly src: Uint8Array;
  readonly len: number;
  pos = 0;
  /** Extent of the last token. For Id, [start + 1, end) or the quoted string is the name. */
  start = 0;
  end = 0;
  /** The last String token (or quoted Id) had escapes. */
  escaped = false;
  /** Recorded annotations by name, in source order. */
  readonly annotations: Annotation[] = [];
  /** Annotations starting before this were recorded already (a re-scan after look-ahead must not repeat them). */
  private annotationMark = 0;

  /** The source as aligned 32-bit words (for skipping spaces), and src's offset from word alignment. */
  private readonly words: Uint32Array;
  private readonly wordOffset: number;

  constructor(src: Uint8Array, readonly file: string, pos = 0, len = src.length, private readonly record = true) {
    this.src = src;
    this.pos = pos;
    this.len = len;
    const off = src.byteOffset & 3;
    this.wordOffset = off;
    this.words = new Uint32Array(src.buffer, src.byteOffset - off, (off + len) >> 2);
  }

  /** Throws a TextParseError at `at` (default: the last token). */
  fail(message: string, at: number = this.start): never {
    const { line, column } = locate(this.src, at);
    throw new TextParseError(message, this.file, line, column, at);
  }

  /** Kind of the last token. */
  tok: Tok = Tok.Eof;
  /** `unread()` was called: the next `next()` returns the last token again. */
  private held = false;

  next(): Tok {
    if (this.held) {
      this.held = false;
      return this.tok;
    }
    return (this.tok = this.scan());
  }

  /**
   * The next token when it is a plain decimal u32 after a single space (`local.get 3` in
   * printed code): consumed, as an Atom, and its value returned. Otherwise -1 and
   * nothing consumed. Skips the re-reading `next()` + readNat32 would do.
   */
  plainNat(): number {
    const v = this.plainDecimal(false);
    return v === NOT_PLAIN ? -1 : v;
  }

  /** As plainNat, for a signed value (`i32.const -8`): the value, or NOT_PLAIN. */
  plainInt(): number {
    return this.plainDecimal(true);
  }

  private plainDecimal(signed: boolean): number {
    if (this.held) return NOT_PLAIN;
    const src = this.src;
    const len = this.len;
    const s = this.pos + 1;
    if (src[this.pos] !== SPACE || s >= len) return NOT_PLAIN;
    const minus = signed && src[s] === 0x2d;
    const d = minus ? s + 1 : s;
    let c = d < len ? src[d] : 0;
    if (c < 0x30 || c > 0x39) return NOT_PLAIN;
    let v = c - 0x30;
    let p = d + 1;
    // At most 9 digits: no overflow check needed; longer numbers take the general path.
    while (p < len && (c = src[p]) >= 0x30 && c <= 0x39) {
      if (p - d >= 9) return NOT_PLAIN;
      v = v * 10 + (c - 0x30);
      p++;
    }
    if (p < len && IDCHAR[c] | (c === QUOTE ? 1 : 0)) return NOT_PLAIN;
    if (v > 0 && src[d] === 0x30) return NOT_PLAIN; // leading zeros: leave them to the general path
    this.start = s;
    this.end = this.pos = p;
    this.tok = Tok.Atom;
    return minus ? -v : v;
  }

  /** Pushes the last token back (one token of look-ahead without a rescan). */
  unread(): void {
    this.held = true;
  }

  /** A position to `restore` to: before the pushed-back token, if any. */
  save(): number {
    return this.held ? this.start : this.pos;
  }

  restore(pos: number): void {
    this.pos = pos;
    this.held = false;
  }

  private scan(): Tok {
    const src = this.src;
    const len = this.len;
    let p = this.pos;
    for (;;) {
      if (p >= len) {
        this.start = this.end = this.pos = len;
        return Tok.Eof;
      }
      const c = src[p];
      if (c === SPACE) {
        // Indentation is most of a printed module: skip runs of spaces four at a time.
        if (++p < len && src[p] === SPACE) {
          const off = this.wordOffset;
          while (((p + off) & 3) !== 0 && src[p] === SPACE) p++;
          if (((p + off) & 3) === 0) {
            const words = this.words;
            let w = (p + off) >> 2;
            while (words[w] === SPACES4) w++;
            p = (w << 2) - off;
          }
        }
        continue;
      }
      if (c === LF || c === TAB || c === CR) {
        p++;
        continue;
      }
      if (c === LPAR) {
        const d = p + 1 < len ? src[p + 1] : 0;
        if (d === SEMI) {
          p = this.blockComment(p);
          continue;
        }
        if (d === AT) {
          p = this.annotation(p);
          continue;
        }
        this.start = p;
        this.end = this.pos = p + 1;
        return Tok.LParen;
      }
      if (c === RPAR) {
        this.start = p;
        this.end = this.pos = p + 1;
        return Tok.RParen;
      }
      if (IDCHAR[c]) return this.atom(p);
      if (c === QUOTE) {
        this.start = p;
        const e = this.scanString(p);
        if (e < len && (IDCHAR[src[e]] || src[e] === QUOTE)) return this.reserved(p, e);
        this.end = this.pos = e;
        return Tok.String;
      }
      if (c === SEMI) {
        if (p + 1 < len && src[p + 1] === SEMI) {
          p = this.lineComment(p);
          continue;
        }
        return this.reserved(p, p + 1);
      }
      if (isReservedChar(c)) return this.reserved(p, p + 1);
      if (c < 0x80) this.fail('misplaced control character', p);
      this.fail(utf8Length(src, p, len) ? 'misplaced unicode character' : 'malformed UTF-8 encoding', p);
    }
  }

  /** A keyword or number (Atom), an identifier (Id), or a reserved token. */
  private atom(p: number): Tok {
    const src = this.src;
    const len = this.len;
    const s = p;
    while (p < len && IDCHAR[src[p]]) p++;
    this.start = s;
    if (src[s] === DOLLAR) {
      if (p === s + 1) {
        if (p < len && src[p] === QUOTE) {
          // $"…": the name is the string's contents; no valid string, no identifier.
          const e = this.scanStringOr(p, 'empty identifier', s);
          if (e === p + 2) this.fail('empty identifier', s);
          if (e < len && (IDCHAR[src[e]] || src[e] === QUOTE)) return this.reserved(s, e);
          this.end = this.pos = e;
          return Tok.Id;
        }
        this.fail('empty identifier', s);
      }
      if (p < len && src[p] === QUOTE) return this.reserved(s, p);
      this.escaped = false;
      this.end = this.pos = p;
      return Tok.Id;
    }
    if (p < len && src[p] === QUOTE) return this.reserved(s, p);
    this.end = this.pos = p;
    return Tok.Atom;
  }

  /** A run of idchars and strings that forms no valid token (e.g. `0$x`, `"a""b"`). */
  private reserved(s: number, p: number): Tok {
    const src = this.src;
    while (p < this.len) {
      const c = src[p];
      if (IDCHAR[c]) p++;
      else if (c === QUOTE) p = this.scanString(p);
      else break;
    }
    this.start = s;
    this.end = this.pos = p;
    return Tok.Reserved;
  }

  /** Validates the string literal at p (the opening quote); returns the index after it. */
  private scanString(p: number): number {
    const src = this.src;
    const len = this.len;
    let escaped = false;
    p++;
    for (;;) {
      if (p >= len) this.fail('unclosed string literal', p);
      const c = src[p];
      if (c === QUOTE) {
        this.escaped = escaped;
        return p + 1;
      }
      if (c === BACKSLASH) {
        escaped = true;
        p = this.escape(p);
        continue;
      }
      if (c < 0x20 || c === 0x7f) {
        if (c === LF || c === CR) this.fail('unclosed string literal', p);
        this.fail('illegal control character in string literal', p);
      }
      if (c < 0x80) {
        p++;
        continue;
      }
      const n = utf8Length(src, p, len);
      if (!n) this.fail('malformed UTF-8 encoding', p);
      p += n;
    }
  }

  /** scanString, reporting any error in the string as `message` at `at`. */
  private scanStringOr(p: number, message: string, at: number): number {
    try {
      return this.scanString(p);
    } catch (e) {
      if (e instanceof TextParseError) this.fail(message, at);
      throw e;
    }
  }

  /** Checks the escape at p (the backslash); returns the index after it. */
  private escape(p: number): number {
    const src = this.src;
    const c = p + 1 < this.len ? src[p + 1] : 0;
    switch (c) {
      case 0x6e: case 0x72: case 0x74: case BACKSLASH: case 0x27: case QUOTE:
        return p + 2;
      case 0x75: {
        // \u{hexnum}: a Unicode scalar value.
        if (src[p + 2] !== 0x7b) this.fail('illegal escape', p);
        let q = p + 3;
        let v = 0;
        let digits = 0;
        let prev = false;
        for (; q < this.len; q++) {
          const d = src[q];
          if (d === 0x5f && prev) {
            prev = false;
            continue;
          }
          const h = hexDigit(d);
          if (h < 0) break;
          v = Math.min(v * 16 + h, 0x110000);
          digits++;
          prev = true;
        }
        if (!digits || !prev || src[q] !== 0x7d) this.fail('illegal escape', p);
        if (v >= 0x110000 || (v >= 0xd800 && v < 0xe000)) this.fail('malformed UTF-8 encoding', p);
        return q + 1;
      }
      default:
        if (hexDigit(c) >= 0 && p + 2 < this.len && hexDigit(src[p + 2]) >= 0) return p + 3;
        return this.fail('illegal escape', p);
    }
  }

  private lineComment(p: number): number {
    const src = this.src;
    const len = this.len;
    for (p += 2; p < len; ) {
      const c = src[p];
      if (c === LF || c === CR) return p + 1;
      if (c < 0x80) {
        p++;
        continue;
      }
      const n = utf8Length(src, p, len);
      if (!n) this.fail('malformed UTF-8 encoding', p);
      p += n;
    }
    return p;
  }

  /** Skips a nested `(; … ;)` comment at p. */
  private blockComment(start: number): number {
    const src = this.src;
    const len = this.len;
    let depth = 1;
    let p = start + 2;
    while (depth > 0) {
      if (p >= len) this.fail('unclosed comment', start);
      const c = src[p];
      if (c === LPAR && src[p + 1] === SEMI) {
        depth++;
        p += 2;
      } else if (c === SEMI && src[p + 1] === RPAR) {
        depth--;
        p += 2;
      } else if (c < 0x80) {
        p++;
      } else {
        const n = utf8Length(src, p, len);
        if (!n) this.fail('malformed UTF-8 encoding', p);
        p += n;
      }
    }
    return p;
  }

  /** The annotation id after `(@` at p, and the index after it. */
  private annotationName(p: number): [string, number] {
    const src = this.src;
    let q = p + 2;
    if (src[q] === QUOTE) {
      const e = this.scanStringOr(q, 'empty annotation id', p);
      const name = decodeUtf8(this.stringBytes(q, e));
      if (name === null) this.fail('malformed UTF-8 encoding', q);
      if (name === '') this.fail('empty annotation id', p);
      return [name, e];
    }
    while (q < this.len && IDCHAR[src[q]]) q++;
    if (q === p + 2) this.fail('empty annotation id', p);
    return [latin1(src, p + 2, q), q];
  }

  /**
   * Skips the annotation at p (its `(`); records it when weft interprets it. Returns the
   * index after its closing parenthesis.
   */
  private annotation(p: number): number {
    const src = this.src;
    const len = this.len;
    const [name, afterName] = this.annotationName(p);
    const record = this.record && p >= this.annotationMark && RECORDED.has(name);
    const root: AnnotItem[] = [];
    // Open parentheses: their item lists (when recording) and start offsets.
    const lists: AnnotItem[][] = [root];
    const starts: number[] = [p];
    let q = afterName;
    for (;;) {
      if (q >= len) this.fail('unclosed annotation', p);
      const c = src[q];
      if (c === SPACE || c === LF || c === TAB || c === CR) {
        q++;
      } else if (c === LPAR) {
        if (src[q + 1] === SEMI) {
          q = this.blockComment(q);
          continue;
        }
        // A nested annotation needs an id; `(@` followed by anything else is a plain `(`.
        const d = src[q + 2];
        if (src[q + 1] === AT && (IDCHAR[d] || d === QUOTE)) q = this.annotationName(q)[1];
        else q++;
        lists.push([]);
        starts.push(q);
      } else if (c === RPAR) {
        q++;
        const items = lists.pop()!;
        const from = starts.pop()!;
        if (lists.length === 0) break;
        if (record) lists[lists.length - 1].push({ kind: 'parens', items, start: from, end: q });
      } else if (c === QUOTE) {
        const e = this.scanString(q);
        if (record) lists[lists.length - 1].push({ kind: 'string', bytes: this.stringBytes(q, e), start: q, end: e });
        q = e;
      } else if (c === SEMI && src[q + 1] === SEMI) {
        q = this.lineComment(q);
      } else if (c === DOLLAR && !(q + 1 < len && (IDCHAR[src[q + 1]] || src[q + 1] === QUOTE))) {
        this.fail('empty identifier', q);
      } else if (IDCHAR[c] || isReservedChar(c) || c === SEMI) {
        const s = q;
        if (c === DOLLAR && src[q + 1] === QUOTE) {
          q = this.scanString(q + 1);
          if (q === s + 3) this.fail('empty identifier', s);
        }
        while (q < len && (IDCHAR[src[q]] || isReservedChar(src[q]))) q++;
        if (q === s) q++;
        if (record) lists[lists.length - 1].push({ kind: 'atom', text: latin1(src, s, q), start: s, end: q });
      } else if (c < 0x80) {
        this.fail('illegal character', q);
      } else {
        this.fail(utf8Length(src, q, len) ? 'illegal character' : 'malformed UTF-8 encoding', q);
      }
    }
    if (record) {
      this.annotations.push({ name, items: root, start: p, end: q });
      this.annotationMark = q;
    }
    return q;
  }

  // ---- token contents --------------------------------------------------------------------

  /** The keyword id of the last Atom (an op id, a KW value), or KW_NONE. */
  keyword(): number {
    const src = this.src;
    const s = this.start;
    const n = this.end - s;
    let w0: number;
    let w1: number;
    if (s + 8 <= src.length) {
      w0 = src[s] | (src[s + 1] << 8) | (src[s + 2] << 16) | (src[s + 3] << 24);
      w1 = src[s + 4] | (src[s + 5] << 8) | (src[s + 6] << 16) | (src[s + 7] << 24);
      if (n < 8) {
        if (n > 4) w1 &= (1 << ((n - 4) << 3)) - 1;
        else {
          w1 = 0;
          if (n < 4) w0 &= (1 << (n << 3)) - 1;
        }
      }
    } else {
      w0 = wordAt(src, s, Math.min(n, 4));
      w1 = n > 4 ? wordAt(src, s + 4, Math.min(n - 4, 4)) : 0;
    }
    const table = kwTable;
    for (let slot = keywordSlot(w0, w1, n); ; slot = (slot + 1) & TABLE_MASK) {
      const k = slot << 2;
      const meta = table[k + 2];
      if (meta === 0) return KW_NONE;
      if (table[k] !== w0 || table[k + 1] !== w1 || (meta & 0xff) !== n) continue;
      if (n <= 8) return (meta >> 8) - 1;
      const d = table[k + 3] - s;
      let i = s + 8;
      const e = s + n;
      while (i < e && kwText[d + i] === src[i]) i++;
      if (i === e) return (meta >> 8) - 1;
    }
  }

  /** The last token's text (for messages). */
  text(): string {
    return new TextDecoder().decode(this.src.subarray(this.start, this.end));
  }

  /** The bytes of the string literal [s, e) (quotes included), escapes decoded. */
  stringBytes(s: number = this.start, e: number = this.end): Uint8Array {
    const src = this.src;
    if (!this.escaped) return src.slice(s + 1, e - 1);
    // A decoded string is never longer than its literal.
    if (scratch.length < e - s) scratch = new Uint8Array(Math.max(e - s, scratch.length * 2));
    return scratch.slice(0, unescape(src, s + 1, e - 1, scratch));
  }

  /** The last string token as a name: valid UTF-8 required. */
  stringName(): string {
    const s = decodeUtf8(this.stringBytes());
    if (s === null) this.fail('malformed UTF-8 encoding');
    return s;
  }

  /** The name of the last Id token, without the `$`. */
  idName(): string {
    const src = this.src;
    const s = this.start + 1;
    if (src[s] !== QUOTE) return latin1(src, s, this.end);
    const name = decodeUtf8(this.stringBytes(s, this.end));
    if (name === null) this.fail('malformed UTF-8 encoding');
    return name;
  }
}

/** Where stringBytes decodes escaped strings before copying out the result. */
let scratch = new Uint8Array(256);

/**
 * Decodes the (validated) string contents [p, e) of src into out; returns the length. A
 * function of its own: V8 on-stack-replaces this loop for long data strings, and code
 * after it in the same function kept deoptimizing the replaced loop.
 */
function unescape(src: Uint8Array, p: number, e: number, out: Uint8Array): number {
  let n = 0;
  while (p < e) {
    const c = src[p];
    if (c !== BACKSLASH) {
      out[n++] = c;
      p++;
      continue;
    }
    const d = src[p + 1];
    switch (d) {
      case 0x6e: out[n++] = LF; p += 2; break;
      case 0x72: out[n++] = CR; p += 2; break;
      case 0x74: out[n++] = TAB; p += 2; break;
      case 0x75: {
        let v = 0;
        let q = p + 3;
        for (; src[q] !== 0x7d; q++) if (src[q] !== 0x5f) v = v * 16 + hexDigit(src[q]);
        n += encodeCodePoint(out, n, v);
        p = q + 1;
        break;
      }
      default: {
        const h = hexDigit(d);
        if (h >= 0) {
          out[n++] = h * 16 + hexDigit(src[p + 2]);
          p += 3;
        } else {
          out[n++] = d;
          p += 2;
        }
      }
    }
  }
  return n;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x57 : -1;
}

function encodeCodePoint(out: Uint8Array, n: number, v: number): number {
  if (v < 0x80) {
    out[n] = v;
    return 1;
  }
  if (v < 0x800) {
    out[n] = 0xc0 | (v >> 6);
    out[n + 1] = 0x80 | (v & 0x3f);
    return 2;
  }
  if (v < 0x10000) {
    out[n] = 0xe0 | (v >> 12);
    out[n + 1] = 0x80 | ((v >> 6) & 0x3f);
    out[n + 2] = 0x80 | (v & 0x3f);
    return 3;
  }
  out[n] = 0xf0 | (v >> 18);
  out[n + 1] = 0x80 | ((v >> 12) & 0x3f);
  out[n + 2] = 0x80 | ((v >> 6) & 0x3f);
  out[n + 3] = 0x80 | (v & 0x3f);
  return 4;
}

/** An ASCII range as a string. */
function latin1(src: Uint8Array, s: number, e: number): string {
  if (e - s < 64) {
    let out = '';
    for (let i = s; i < e; i++) out += String.fromCharCode(src[i]);
    return out;
  }
  return String.fromCharCode.apply(null, src.subarray(s, e) as unknown as number[]);
}

/** 1-based line and column (in characters) of a byte offset. */
export function locate(src: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, src.length);
  for (let i = 0; i < end; i++) {
    const c = src[i];
    if (c === LF || (c === CR && src[i + 1] !== LF)) {
      line++;
      lineStart = i + 1;
    }
  }
  let column = 1;
  for (let i = lineStart; i < end; i++) if ((src[i] & 0xc0) !== 0x80) column++;
  return { line, column };
}

/** The UTF-8 bytes of source text given as a string or bytes. */
export function sourceBytes(text: string | Uint8Array): Uint8Array {
  if (typeof text === 'string') return utf8Encoder.encode(text);
  // A plain view: indexing a Node Buffer (a Uint8Array subclass) is markedly slower in the hot loops.
  return text.constructor === Uint8Array ? text : new Uint8Array(text.buffer, text.byteOffset, text.length);
}
