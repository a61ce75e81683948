/**
 * `.wast` scripts: the spec test suite's command language, parsed into a typed list of
 * commands, each with its line. Text modules are parsed to Modules here (with the shared
 * lexer, so errors point into the script); `binary` and `quote` modules keep their bytes,
 * and so does a text module inside `assert_malformed`, which a runner must see rejected.
 * Executing the commands is the runner's business.
 */
import type { Module } from '../ir/module.js';
import { heapFromCode, HeapCode, type HeapType } from '../ir/types.js';
import { OP_BY_NAME } from '../ir/opcodes.js';
import { KW, Lexer, sourceBytes, Tok } from './lexer.js';
import { Lit, NUM, readF32, readF64, readI32, readI64, readNat32, isFloatLiteral } from './numbers.js';
import { LANES as LANE_BYTES, ModuleParser, writeLane, type LaneKind } from './parser.js';

/** A module as a script gives it. */
export type ScriptModule =
  /** A text module, parsed on demand (so one bad module fails its command, not the script). */
  | { kind: 'text'; parse: () => Module }
  | { kind: 'binary'; bytes: Uint8Array }
  /** Text to be parsed when the command runs (`module quote`, or a module expected to be malformed). */
  | { kind: 'quote'; source: Uint8Array };

/** `(module instance $i? $m?)`: an instance of a module defined earlier. */
export interface InstanceRef {
  kind: 'instance';
  instance: string | null;
  module: string | null;
}

export type V128Shape = 'i8x16' | 'i16x8' | 'i32x4' | 'i64x2' | 'f32x4' | 'f64x2';

/** An argument or exact expected value. Integers and floats are bit patterns. */
export type Value =
  | { type: 'i32'; value: number }
  | { type: 'i64'; value: bigint }
  | { type: 'f32'; bits: number }
  | { type: 'f64'; bits: bigint }
  | { type: 'v128'; bytes: Uint8Array }
  | { type: 'ref.null'; heap: HeapType }
  | { type: 'ref.extern'; value: number }
  | { type: 'ref.host'; value: number };

export type NanPattern = 'nan:canonical' | 'nan:arithmetic';

/** A lane of a v128 result: its bits (u32 as number, 64-bit lanes as bigint) or a NaN pattern. */
export type LanePattern = number | bigint | NanPattern;

export type ResultPattern =
  | Value
  | { type: 'f32' | 'f64'; nan: NanPattern }
  | { type: 'v128'; shape: V128Shape; lanes: LanePattern[] }
  /** Any null reference (`(ref.null)`). */
  | { type: 'ref.null'; heap: null }
  /** Any non-null reference of that kind (`(ref.func)`, `(ref)` for any…). */
  | { type: 'ref.any' | 'ref.eq' | 'ref.i31' | 'ref.struct' | 'ref.array' | 'ref.func' | 'ref.exn' | 'ref.extern' }
  | { type: 'either'; options: ResultPattern[] };

export type Action =
  | { type: 'invoke'; instance: string | null; name: string; args: Value[] }
  | { type: 'get'; instance: string | null; name: string };

export type Command =
  | { type: 'module'; line: number; id: string | null; definition: boolean; module: ScriptModule }
  | { type: 'module_instance'; line: number; instance: string | null; module: string | null }
  | { type: 'register'; line: number; name: string; instance: string | null }
  | { type: 'action'; line: number; action: Action }
  | { type: 'assert_return'; line: number; action: Action; expected: ResultPattern[] }
  | { type: 'assert_trap'; line: number; action: Action; message: string }
  | { type: 'assert_exhaustion'; line: number; action: Action; message: string }
  | { type: 'assert_exception'; line: number; action: Action }
  | {
    type: 'assert_invalid' | 'assert_malformed' | 'assert_invalid_custom' | 'assert_malformed_custom';
    line: number; module: ScriptModule; message: string;
  }
  | { type: 'assert_unlinkable' | 'assert_uninstantiable'; line: number; module: ScriptModule | InstanceRef; message: string };

const SHAPE_NAMES = new Map<number, V128Shape>([
  [KW.i8x16, 'i8x16'], [KW.i16x8, 'i16x8'], [KW.i32x4, 'i32x4'], [KW.i64x2, 'i64x2'], [KW.f32x4, 'f32x4'], [KW.f64x2, 'f64x2'],
]);
const LANE_COUNT: Record<V128Shape, number> = { i8x16: 16, i16x8: 8, i32x4: 4, i64x2: 2, f32x4: 4, f64x2: 2 };

const op = (name: string): number => OP_BY_NAME.get(name)!.id;
const I32_CONST = op('i32.const'), I64_CONST = op('i64.const'), F32_CONST = op('f32.const'), F64_CONST = op('f64.const');
const V128_CONST = op('v128.const'), REF_NULL = op('ref.null'), REF_FUNC = op('ref.func');
const REF_EQ = op('ref.eq'), REF_I31 = op('ref.i31');
const HEAP_KEYWORDS = new Map<number, number>([
  [KW.func, HeapCode.func], [KW.extern, HeapCode.extern], [KW.any, HeapCode.any], [KW.eq, HeapCode.eq],
  [KW.i31, HeapCode.i31], [KW.struct, HeapCode.struct], [KW.array, HeapCode.array], [KW.exn, HeapCode.exn],
  [KW.noexn, HeapCode.noexn], [KW.nofunc, HeapCode.nofunc], [KW.noextern, HeapCode.noextern], [KW.none, HeapCode.none],
]);

/** Line numbers of increasing offsets, counted incrementally. */
class Lines {
  private at = 0;
  private line = 1;
  constructor(private readonly src: Uint8Array) {}
  of(offset: number): number {
    if (offset < this.at) {
      this.at = 0;
      this.line = 1;
    }
    const src = this.src;
    for (let i = this.at; i < offset; i++) if (src[i] === 0x0a || (src[i] === 0x0d && src[i + 1] !== 0x0a)) this.line++;
    this.at = offset;
    return this.line;
  }
}

class ScriptParser {
  private readonly lex: Lexer;
  private readonly src: Uint8Array;
  private readonly lines: Lines;
  private readonly file: string;

  constructor(src: Uint8Array, file: string) {
    this.src = src;
    this.file = file;
    this.lex = new Lexer(src, file);
    this.lines = new Lines(src);
  }

  private fail(message: string, at?: number): never {
    return this.lex.fail(message, at);
  }

  private unexpected(): never {
    const lex = this.lex;
    if (lex.tok === Tok.Reserved || (lex.tok === Tok.Atom && lex.keyword() < 0 && !isFloatLiteral(this.src, lex.start, lex.end))) {
      this.fail(`unknown operator ${lex.text()}`);
    }
    this.fail('unexpected token');
  }

  private rparen(): void {
    if (this.lex.next() !== Tok.RParen) this.unexpected();
  }

  private keyword(): number {
    if (this.lex.next() !== Tok.Atom) this.unexpected();
    return this.lex.keyword();
  }

  private string(): Uint8Array {
    if (this.lex.next() !== Tok.String) this.unexpected();
    return this.lex.stringBytes();
  }

  private name(): string {
    if (this.lex.next() !== Tok.String) this.unexpected();
    return this.lex.stringName();
  }

  private optId(): string | null {
    const lex = this.lex;
    if (lex.next() === Tok.Id) return lex.idName();
    lex.unread();
    return null;
  }

  private strings(): Uint8Array {
    const lex = this.lex;
    const parts: Uint8Array[] = [];
    while (lex.next() === Tok.String) parts.push(lex.stringBytes());
    lex.unread();
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  parse(): Command[] {
    const lex = this.lex;
    // A script may also be a bare module: fields without `(module …)`.
    const save = lex.save();
    if (lex.next() === Tok.LParen && lex.next() === Tok.Atom && !isCommand(lex.keyword())) {
      lex.restore(save);
      const module = new ModuleParser(lex).parseSource();
      return [{ type: 'module', line: 1, id: null, definition: false, module: { kind: 'text', parse: () => module } }];
    }
    lex.restore(save);
    const out: Command[] = [];
    for (;;) {
      const t = lex.next();
      if (t === Tok.Eof) return out;
      if (t !== Tok.LParen) this.unexpected();
      out.push(this.command(lex.start));
    }
  }

  private command(start: number): Command {
    const line = this.lines.of(start);
    const kw = this.keyword();
    switch (kw) {
      case KW.module: {
        const m = this.moduleForm(start, false);
        if (m.kind === 'instance') return { type: 'module_instance', line, instance: m.instance, module: m.module };
        return { type: 'module', line, id: m.id, definition: m.definition, module: m.module };
      }
      case KW.register: {
        const name = this.name();
        const instance = this.optId();
        this.rparen();
        return { type: 'register', line, name, instance };
      }
      case KW.invoke: case KW.get:
        return { type: 'action', line, action: this.actionBody(kw) };
      case KW.assert_return: {
        const action = this.action();
        const expected: ResultPattern[] = [];
        while (this.lex.next() === Tok.LParen) expected.push(this.result());
        this.lex.unread();
        this.rparen();
        return { type: 'assert_return', line, action, expected };
      }
      case KW.assert_trap: {
        const lex = this.lex;
        const save = lex.save();
        lex.next();
        const inner = lex.start;
        if (this.keyword() === KW.module) {
          const module = this.instanceTarget(inner);
          const message = this.messageEnd();
          return { type: 'assert_uninstantiable', line, module, message };
        }
        lex.restore(save);
        const action = this.action();
        return { type: 'assert_trap', line, action, message: this.messageEnd() };
      }
      case KW.assert_exhaustion: {
        const action = this.action();
        return { type: 'assert_exhaustion', line, action, message: this.messageEnd() };
      }
      case KW.assert_exception: {
        const action = this.action();
        this.rparen();
        return { type: 'assert_exception', line, action };
      }
      case KW.assert_invalid: case KW.assert_malformed: case KW.assert_invalid_custom: case KW.assert_malformed_custom: {
        const type = kw === KW.assert_invalid ? 'assert_invalid' : kw === KW.assert_malformed ? 'assert_malformed'
          : kw === KW.assert_invalid_custom ? 'assert_invalid_custom' : 'assert_malformed_custom';
        if (this.lex.next() !== Tok.LParen) this.unexpected();
        const inner = this.lex.start;
        if (this.keyword() !== KW.module) this.unexpected();
        const m = this.moduleForm(inner, type === 'assert_malformed' || type === 'assert_malformed_custom');
        if (m.kind === 'instance') this.fail('unexpected token', inner);
        return { type, line, module: m.module, message: this.messageEnd() };
      }
      case KW.assert_unlinkable: case KW.assert_uninstantiable: {
        if (this.lex.next() !== Tok.LParen) this.unexpected();
        const inner = this.lex.start;
        if (this.keyword() !== KW.module) this.unexpected();
        const module = this.instanceTarget(inner);
        const type = kw === KW.assert_unlinkable ? 'assert_unlinkable' : 'assert_uninstantiable';
        return { type, line, module, message: this.messageEnd() };
      }
    }
    return this.unexpected();
  }

  /** A module or `(module instance …)` being asserted about (after `(module`). */
  private instanceTarget(start: number): ScriptModule | InstanceRef {
    const m = this.moduleForm(start, false);
    if (m.kind === 'instance') return m;
    if (m.definition) this.fail('misplaced module definition', start);
    return m.module;
  }

  /** The message string and the closing `)` of an assertion. */
  private messageEnd(): string {
    const message = this.name();
    this.rparen();
    return message;
  }

  /**
   * The rest of a `(module …)` form whose `(` is at `start`: `definition`? `$id`? then
   * `binary` strings, `quote` strings, or fields; or `instance $i? $m?`. `keepText` keeps a
   * text module as source instead of parsing it.
   */
  private moduleForm(start: number, keepText: boolean):
    | { kind: 'module'; id: string | null; definition: boolean; module: ScriptModule }
    | InstanceRef {
    const lex = this.lex;
    let definition = false;
    let t = lex.next();
    if (t === Tok.Atom && lex.keyword() === KW.instance) {
      const a = this.optId();
      const b = this.optId();
      this.rparen();
      return b === null ? { kind: 'instance', instance: null, module: a } : { kind: 'instance', instance: a, module: b };
    }
    if (t === Tok.Atom && lex.keyword() === KW.definition) {
      definition = true;
      t = lex.next();
    }
    let id: string | null = null;
    if (t === Tok.Id) id = lex.idName();
    else lex.unread();
    t = lex.next();
    if (t === Tok.Atom && (lex.keyword() === KW.binary || lex.keyword() === KW.quote)) {
      const binary = lex.keyword() === KW.binary;
      const bytes = this.strings();
      this.rparen();
      return { kind: 'module', id, definition, module: binary ? { kind: 'binary', bytes } : { kind: 'quote', source: bytes } };
    }
    lex.unread();
    const fields = lex.save();
    let depth = 1;
    while (depth > 0) {
      const u = lex.next();
      if (u === Tok.LParen) depth++;
      else if (u === Tok.RParen) depth--;
      else if (u === Tok.Eof) this.fail('unexpected end of input');
    }
    if (keepText) return { kind: 'module', id, definition, module: { kind: 'quote', source: this.src.slice(start, lex.end) } };
    // A lexer over the module's own span, so its errors still point into the script.
    const { src, file } = this;
    const end = lex.end;
    const parse = (): Module => new ModuleParser(new Lexer(src, file, fields, end)).moduleBody(id);
    return { kind: 'module', id, definition, module: { kind: 'text', parse } };
  }

  private action(): Action {
    if (this.lex.next() !== Tok.LParen) this.unexpected();
    const kw = this.keyword();
    if (kw !== KW.invoke && kw !== KW.get) this.unexpected();
    return this.actionBody(kw);
  }

  /** `$instance? "name" arg*)` after `invoke`, `$instance? "name")` after `get`. */
  private actionBody(kw: number): Action {
    const instance = this.optId();
    const name = this.name();
    if (kw === KW.get) {
      this.rparen();
      return { type: 'get', instance, name };
    }
    const args: Value[] = [];
    while (this.lex.next() === Tok.LParen) args.push(this.value());
    this.lex.unread();
    this.rparen();
    return { type: 'invoke', instance, name, args };
  }

  /** A literal after its `(`: `(t.const …)`, `(ref.null ht)`, `(ref.extern n)`, `(ref.host n)`. */
  private value(): Value {
    const kw = this.keyword();
    const v = this.constValue(kw);
    if (v) return v;
    switch (kw) {
      case REF_NULL: {
        const heap = this.heapType();
        this.rparen();
        return { type: 'ref.null', heap };
      }
      case KW['ref.extern']: case KW['ref.host']: {
        const value = this.nat();
        this.rparen();
        return { type: kw === KW['ref.extern'] ? 'ref.extern' : 'ref.host', value };
      }
    }
    return this.unexpected();
  }

  /** `i32.const n)` … `v128.const shape lanes)`, or null for other keywords. */
  private constValue(kw: number): Value | null {
    const lex = this.lex;
    const src = this.src;
    const literal = (read: (s: Uint8Array, a: number, b: number) => Lit): void => {
      if (lex.next() !== Tok.Atom) this.unexpected();
      const r = read(src, lex.start, lex.end);
      if (r !== Lit.Ok) {
        if (r === Lit.OutOfRange || isFloatLiteral(src, lex.start, lex.end)) this.fail('constant out of range');
        this.unexpected();
      }
    };
    let v: Value;
    switch (kw) {
      case I32_CONST: literal(readI32); v = { type: 'i32', value: NUM.lo }; break;
      case I64_CONST: literal(readI64); v = { type: 'i64', value: BigInt.asIntN(64, bits64()) }; break;
      case F32_CONST: literal(readF32); v = { type: 'f32', bits: NUM.lo >>> 0 }; break;
      case F64_CONST: literal(readF64); v = { type: 'f64', bits: bits64() }; break;
      case V128_CONST: {
        const shape = this.shape();
        const lanes = this.laneTokens();
        if (lanes.length !== LANE_COUNT[shape]) this.fail('wrong number of lane literals');
        const kind = laneKind(shape);
        lanes.forEach(([s, e], i) => {
          if (writeLane(src, s, e, kind, i) !== Lit.Ok) this.fail('constant out of range', s);
        });
        v = { type: 'v128', bytes: new Uint8Array(LANE_BYTES.buffer.slice(0)) };
        break;
      }
      default: return null;
    }
    this.rparen();
    return v;
  }

  private shape(): V128Shape {
    const shape = SHAPE_NAMES.get(this.keyword());
    if (!shape) this.unexpected();
    return shape;
  }

  /** Lane tokens (numbers and NaN patterns) up to the `)`. */
  private laneTokens(): [number, number][] {
    const lex = this.lex;
    const out: [number, number][] = [];
    while (lex.next() === Tok.Atom) out.push([lex.start, lex.end]);
    lex.unread();
    return out;
  }

  private nat(): number {
    const lex = this.lex;
    if (lex.next() !== Tok.Atom) this.unexpected();
    const v = readNat32(this.src, lex.start, lex.end);
    if (v === -2) this.unexpected();
    if (v === -1) this.fail('i32 constant out of range');
    return v;
  }

  private heapType(): HeapType {
    const lex = this.lex;
    const t = lex.next();
    if (t === Tok.Atom) {
      const code = HEAP_KEYWORDS.get(lex.keyword());
      if (code !== undefined) return heapFromCode(code);
      lex.unread();
      return this.nat();
    }
    return this.unexpected();
  }

  /** An expected result after its `(`. */
  private result(): ResultPattern {
    const lex = this.lex;
    const kw = this.keyword();
    if (kw === F32_CONST || kw === F64_CONST) {
      const nan = this.nanPattern();
      if (nan) {
        this.rparen();
        return { type: kw === F32_CONST ? 'f32' : 'f64', nan };
      }
    }
    if (kw === V128_CONST) {
      const shape = this.shape();
      const tokens = this.laneTokens();
      if (tokens.length !== LANE_COUNT[shape]) this.fail('wrong number of lane literals');
      const lanes = tokens.map(([s, e]) => this.lane(shape, s, e));
      this.rparen();
      return { type: 'v128', shape, lanes };
    }
    const v = this.constValue(kw);
    if (v) return v;
    switch (kw) {
      case REF_NULL: {
        if (lex.next() === Tok.RParen) return { type: 'ref.null', heap: null };
        lex.unread();
        const heap = this.heapType();
        this.rparen();
        return { type: 'ref.null', heap };
      }
      case KW['ref.extern']: case KW['ref.host']: {
        if (kw === KW['ref.extern'] && lex.next() === Tok.RParen) return { type: 'ref.extern' };
        if (kw === KW['ref.extern']) lex.unread();
        const value = this.nat();
        this.rparen();
        return { type: kw === KW['ref.extern'] ? 'ref.extern' : 'ref.host', value };
      }
      case KW.either: {
        const options: ResultPattern[] = [];
        while (lex.next() === Tok.LParen) options.push(this.result());
        lex.unread();
        this.rparen();
        return { type: 'either', options };
      }
    }
    const kind = kw === KW.ref ? 'ref.any' : kw === REF_EQ ? 'ref.eq' : kw === REF_I31 ? 'ref.i31'
      : kw === KW['ref.struct'] ? 'ref.struct' : kw === KW['ref.array'] ? 'ref.array' : kw === REF_FUNC ? 'ref.func'
      : kw === KW['ref.exn'] ? 'ref.exn' : null;
    if (kind === null) this.unexpected();
    this.rparen();
    return { type: kind };
  }

  /** `nan:canonical` / `nan:arithmetic` next (consumed), or null. */
  private nanPattern(): NanPattern | null {
    const lex = this.lex;
    if (lex.next() === Tok.Atom) {
      const kw = lex.keyword();
      if (kw === KW['nan:canonical']) return 'nan:canonical';
      if (kw === KW['nan:arithmetic']) return 'nan:arithmetic';
    }
    lex.unread();
    return null;
  }

  private lane(shape: V128Shape, s: number, e: number): LanePattern {
    const src = this.src;
    const lex = this.lex;
    if (shape === 'f32x4' || shape === 'f64x2') {
      const save = lex.save();
      lex.restore(s);
      const nan = this.nanPattern();
      lex.restore(save);
      if (nan) return nan;
    }
    const bad = (): never => this.fail('constant out of range', s);
    switch (shape) {
      case 'i8x16': case 'i16x8':
        if (writeLane(src, s, e, laneKind(shape), 0) !== Lit.Ok) bad();
        return shape === 'i8x16' ? LANE_BYTES.getUint8(0) : LANE_BYTES.getUint16(0, true);
      case 'i32x4': if (readI32(src, s, e) !== Lit.Ok) bad(); return NUM.lo >>> 0;
      case 'f32x4': if (readF32(src, s, e) !== Lit.Ok) bad(); return NUM.lo >>> 0;
      case 'i64x2': if (readI64(src, s, e) !== Lit.Ok) bad(); return bits64();
      default: if (readF64(src, s, e) !== Lit.Ok) bad(); return bits64();
    }
  }
}

const laneKind = (shape: V128Shape): LaneKind => shape.slice(0, shape.indexOf('x')) as LaneKind;

const bits64 = (): bigint => (BigInt(NUM.hi >>> 0) << 32n) | BigInt(NUM.lo >>> 0);

function isCommand(kw: number): boolean {
  return kw === KW.module || kw === KW.register || kw === KW.invoke || kw === KW.get || (kw >= KW.assert_return && kw <= KW.assert_malformed_custom);
}

/**
 * Parses a `.wast` script into its commands. Throws TextParseError (with line and
 * column) on malformed script syntax or a malformed text module outside assert_malformed.
 */
export function parseScript(text: string | Uint8Array, file = '<input>'): Command[] {
  return new ScriptParser(sourceBytes(text), file).parse();
}
