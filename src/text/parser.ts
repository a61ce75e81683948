/**
 * The text-format parser: WebAssembly 3.0 `.wat` text → weft's Module, in one pass.
 *
 * Design
 * ------
 * The text format lets a module refer to things defined further down (a call to a later
 * function, a type that names a later type), and its implicit type uses need every
 * explicit type definition. A parser can build a syntax tree and resolve it afterwards
 * (wasm-tools' `wast`), or run a binding pass first (the reference interpreter). Both pay
 * for the common case, where everything is defined before use, as much as for the rare
 * one. Here the main pass resolves every reference as it goes and falls back to a pre-scan
 * only when it must, at most once per module and per kind:
 *   - an identifier that is not bound yet binds every module-level identifier (a skim over
 *     the fields that reads only their heads, `bindAll`);
 *   - an implicit type use, or a function whose `(type x)` is not parsed yet, parses every
 *     remaining type definition first (`parseAllTypes`), so the "smallest existing type
 *     index" of the spec is known at once. Type definitions are skipped afterwards.
 * A printed binary (numeric indices, types first) never takes either path.
 *
 * Function bodies are parsed straight into a reused `Body` (no syntax tree) and encoded to
 * their code entry at once. Immediates are read by the op's `Imm` kind from the opcode
 * table. Folded instructions are unfolded with an explicit frame stack, not recursion, so
 * any nesting depth parses: a folded plain instruction keeps its op and immediates in its
 * frame until its operands are done, a folded `if` emits `if` at `(then`, and so on.
 *
 * Identifiers become the name section (`Module.names`). Annotations: `@custom` becomes a
 * custom section at its placement, `@name` names the module or the entity it follows,
 * `@metadata.code.branch_hint` fills the branch-hint section; others are ignored.
 */
import { Body, CatchKind } from '../ir/body.js';
import { Imm, OP_BY_NAME, OP_IMM, OPS, Op } from '../ir/opcodes.js';
import {
  emptyModule, emptyNames, ExternKind,
  type Custom, type Elem, type Expr, type Func, type Module, type NameMap, type Names,
} from '../ir/module.js';
import {
  exactHeap, F32, F64, HeapCode, heapFromCode, I32, I64, PACKED_I16, PACKED_I8, REF, REF_NULL, refHeap, refType,
  SHORTHAND_REF_NAMES, V128, type CompType, type FieldType, type Limits, type SubType, type ValType,
} from '../ir/types.js';
import { BRANCH_HINTS, encodeBranchHintSection, encodeFuncHints } from '../binary/branch-hints.js';
import { encodeBody, encodeBodyAt, encodeInstructions } from '../binary/encode-body.js';
import { SECTION_ORDER } from '../binary/decode.js';
import { Sink } from '../binary/sink.js';
import { decodeUtf8, KW, Lexer, NOT_PLAIN, sourceBytes, TextParseError, Tok, type Annotation, type AnnotItem } from './lexer.js';
import { isFloatLiteral, Lit, natMalformed, NUM, readF32, readF64, readI32, readI64, readNat32, readNat64 } from './numbers.js';

export { TextParseError } from './lexer.js';

// ---- tables --------------------------------------------------------------------------------

/** Index spaces with identifiers, and their names in messages. */
const enum Space { Type, Func, Table, Memory, Global, Tag, Elem, Data }
const SPACE_NAMES = ['type', 'function', 'table', 'memory', 'global', 'tag', 'elem segment', 'data segment'];
const NAME_FIELDS = ['types', 'functions', 'tables', 'memories', 'globals', 'tags', 'elems', 'datas'] as const;

/** Value type per keyword id (0: none). */
const VALTYPE = new Int32Array(2048);
/** Abstract heap type code per keyword id (0: none). */
const HEAPCODE = new Int32Array(2048);
[
  [KW.i32, I32], [KW.i64, I64], [KW.f32, F32], [KW.f64, F64], [KW.v128, V128],
  [KW.funcref, 0x70], [KW.externref, 0x6f], [KW.anyref, 0x6e], [KW.eqref, 0x6d], [KW.i31ref, 0x6c],
  [KW.structref, 0x6b], [KW.arrayref, 0x6a], [KW.exnref, 0x69], [KW.nullexnref, 0x74],
  [KW.nullfuncref, 0x73], [KW.nullexternref, 0x72], [KW.nullref, 0x71],
].forEach(([kw, t]) => (VALTYPE[kw] = t));
[
  [KW.func, HeapCode.func], [KW.extern, HeapCode.extern], [KW.any, HeapCode.any], [KW.eq, HeapCode.eq],
  [KW.i31, HeapCode.i31], [KW.struct, HeapCode.struct], [KW.array, HeapCode.array], [KW.exn, HeapCode.exn],
  [KW.noexn, HeapCode.noexn], [KW.nofunc, HeapCode.nofunc], [KW.noextern, HeapCode.noextern], [KW.none, HeapCode.none],
].forEach(([kw, c]) => (HEAPCODE[kw] = c));

const opId = (name: string): number => OP_BY_NAME.get(name)!.id;
/**
 * Ops written with a reference type whose nullability picks the opcode (`ref.cast (ref null
 * ht)` is ref.cast_null): the op id of the nullable variant, by the non-null one's id.
 */
const NULL_VARIANT = new Map<number, number>();
for (const info of OP_BY_NAME.values()) {
  const nullable = OP_BY_NAME.get(`${info.name}_null`);
  if (info.imm === Imm.HeapType && nullable) NULL_VARIANT.set(info.id, nullable.id);
}

/** Ops that open, continue or close a structured instruction. */
const STRUCTURAL = new Uint8Array(1024);
for (const op of [Op.block, Op.loop, Op.if, Op.try, Op.try_table, Op.else, Op.end, Op.catch, Op.catch_all, Op.delegate]) STRUCTURAL[op] = 1;
/** Ops with a data index: their presence requires the data count section. */
const USES_DATA = new Uint8Array(1024);
for (const name of ['memory.init', 'data.drop', 'array.new_data', 'array.init_data']) USES_DATA[opId(name)] = 1;

export type LaneKind = 'i8' | 'i16' | 'i32' | 'i64' | 'f32' | 'f64';

/** Lanes per v128 shape keyword, and their kind. */
const SHAPES = new Map<number, { lanes: number; kind: LaneKind }>([
  [KW.i8x16, { lanes: 16, kind: 'i8' }], [KW.i16x8, { lanes: 8, kind: 'i16' }], [KW.i32x4, { lanes: 4, kind: 'i32' }],
  [KW.i64x2, { lanes: 2, kind: 'i64' }], [KW.f32x4, { lanes: 4, kind: 'f32' }], [KW.f64x2, { lanes: 2, kind: 'f64' }],
]);

/** Export descriptor keywords → extern kind and index space. */
const EXPORT_KINDS = new Map<number, [ExternKind, Space]>([
  [KW.func, [ExternKind.Func, Space.Func]], [KW.table, [ExternKind.Table, Space.Table]],
  [KW.memory, [ExternKind.Memory, Space.Memory]], [KW.global, [ExternKind.Global, Space.Global]],
  [KW.tag, [ExternKind.Tag, Space.Tag]],
]);

/** Section names of `@custom` placements → section ids. */
const SECTION_IDS = new Map([
  ['type', 1], ['import', 2], ['func', 3], ['table', 4], ['memory', 5], ['global', 6], ['export', 7], ['start', 8],
  ['elem', 9], ['code', 10], ['data', 11], ['datacount', 12], ['tag', 13],
]);
const SLOT_RANK = new Map<number, number>([[0, 0], ...SECTION_ORDER.map((id, i) => [id, i + 1] as [number, number])]);

/** Frame kinds of the instruction parser (see `instrs`). */
const enum F {
  /** Unfolded block/loop/try_table: closed by `end`. */
  Block,
  /** Unfolded `if` before / after `else`. */
  If, Else,
  /** Unfolded legacy `try`: its body, after a `catch`, after `catch_all`. */
  Try, Catch, CatchAll,
  /** A folded plain instruction: emitted at its `)`. */
  Plain,
  /** Folded block/loop/try_table: `end` at its `)`. */
  FBlock,
  /** Folded `if`: condition operands, inside `(then`, after it, inside `(else`, after it. */
  FIf, FThen, FAfterThen, FElse, FIfDone,
  /**
   * Folded legacy `try`: before `(do`, inside it, after it, after a catch clause, inside
   * `(catch`, inside `(catch_all`, after catch_all, after `(delegate l)`.
   */
  FTry, FDo, FAfterDo, FHandlers, FCatch, FCatchAll, FAfterCatchAll, FDone,
}

/** Immediate kinds that are one index, which a nat gives as is. */
const NUMERIC_INDEX = new Uint8Array(64);
for (const k of [Imm.Local, Imm.Label, Imm.Func, Imm.Global, Imm.Type, Imm.Tag, Imm.Data, Imm.Elem]) NUMERIC_INDEX[k] = 1;

/** Frames whose contents are an instruction sequence (elsewhere only folded forms may follow). */
const PLAIN_OK = new Uint8Array(32);
for (const k of [F.Block, F.If, F.Else, F.Try, F.Catch, F.CatchAll, F.FBlock, F.FThen, F.FElse, F.FDo, F.FCatch, F.FCatchAll]) PLAIN_OK[k] = 1;

/** Sign-folded value type: `funcref` and `(ref null func)` are the same type for type-use matching. */
function canonical(t: ValType): ValType {
  const c = t & 0xff;
  return SHORTHAND_REF_NAMES.has(c) ? refType(true, heapFromCode(c)) : t;
}
const sigKey = (params: readonly ValType[], results: readonly ValType[]): string =>
  `${params.map(canonical).join(',')}>${results.map(canonical).join(',')}`;
/** Whether two value type lists are the same up to shorthands (as their sigKeys would be). */
function sameTypes(a: readonly ValType[], b: readonly ValType[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && canonical(a[i]) !== canonical(b[i])) return false;
  return true;
}

interface Hint {
  index: number;
  value: number;
}

// ---- the module parser ---------------------------------------------------------------------

export class ModuleParser {
  private lex: Lexer;
  private readonly src: Uint8Array;
  private m = emptyModule();
  private names: Names = emptyNames();
  private hasNames = false;
  /** Identifier → index, per space; `counts` are the indices handed out so far by the main pass. */
  private maps: Map<string, number>[] = Array.from({ length: 8 }, () => new Map());
  private counts = new Int32Array(8);
  private bound = false;
  private allTypes = false;
  /** Signature key → smallest type index (set once all types are known). */
  private sigIndex = new Map<string, number>();
  /** Field identifiers per type index. */
  private fieldNames: (Map<string, number> | undefined)[] = [];
  /** Where the module's fields start (for the pre-scans) and the field being parsed. */
  private fieldsStart = 0;
  private fieldStart = 0;
  /** [start, end) of each module field, for annotation placement. */
  private fieldSpans: number[] = [];
  private annotationsFrom: number;
  /** Annotations already looked at for branch hints / names. */
  private hintsSeen: number;
  private claimed = new Set<Annotation>();
  private lastDefinition: string | null = null;
  private usesData = false;

  // Function state.
  private body = new Body(1024);
  private exprBody = new Body(64);
  private inFunc = false;
  private locals: Map<string, number> | null = null;
  /** Index of the first declared local (-1: not looked up yet), and the type to look it up in. */
  private localBase = 0;
  private localType = -1;
  private localTypeAt = 0;
  private localNames: NameMap | null = null;
  private labels: (string | null)[] = [];
  /** Block instructions so far in the function, and the names of their labels. */
  private labelOrd = 0;
  private labelNames: NameMap | null = null;
  private labelTop = 0;
  private hints: Hint[] = [];
  private hintSections: { func: number; hints: { offset: number; value: number }[] }[] = [];

  // The instruction parser's frame stack (struct of arrays, grown on demand).
  private sp = 0;
  private fKind = new Uint8Array(64);
  private fOp = new Uint16Array(64);
  private fImm = new Int32Array(256);
  private fHint = new Int8Array(64);
  private fLabel: (string | null)[] = [];

  // Immediates of the instruction being parsed.
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  // The last type use / parameter list read.
  private params: ValType[] = [];
  private results: ValType[] = [];
  private paramNames: (string | null)[] = [];

  private readonly sink = new Sink(1 << 16);

  constructor(lex: Lexer) {
    this.lex = lex;
    this.src = lex.src;
    this.annotationsFrom = lex.annotations.length;
    this.hintsSeen = this.annotationsFrom;
  }

  // ---- entry points ----------------------------------------------------------------------

  /** A whole source: `(module $id? field*)` or bare fields, then the end of input. */
  parseSource(): Module {
    const lex = this.lex;
    const save = lex.save();
    if (lex.next() === Tok.LParen && lex.next() === Tok.Atom && lex.keyword() === KW.module) {
      const m = this.moduleBody(this.optId());
      if (lex.next() !== Tok.Eof) this.unexpected();
      return m;
    }
    lex.restore(save);
    return this.fields(false);
  }

  /** The rest of `(module $id?` (the id already read): fields, `)`. */
  moduleBody(id: string | null): Module {
    if (id !== null) this.setName('module', id);
    return this.fields(true);
  }

  // ---- errors and tokens -----------------------------------------------------------------

  private fail(message: string, at?: number): never {
    return this.lex.fail(message, at);
  }

  /** Rejects the last token with the message the spec's parser would give. */
  private unexpected(): never {
    const lex = this.lex;
    if (lex.tok === Tok.Reserved) this.fail(`unknown operator ${lex.text()}`);
    // An atom that is neither a keyword nor a number is no token at all in the spec's lexer.
    if (lex.tok === Tok.Atom && lex.keyword() < 0 && !isFloatLiteral(this.src, lex.start, lex.end)) {
      this.fail(`unknown operator ${lex.text()}`);
    }
    this.fail('unexpected token');
  }

  private expect(t: Tok): void {
    if (this.lex.next() !== t) this.unexpected();
  }

  private rparen(): void {
    if (this.lex.next() !== Tok.RParen) this.unexpected();
  }

  /**
   * Reads `(` and a keyword if they come next and returns the keyword (-1 if none);
   * `restoreForm()` puts them back when the caller does not take the form.
   */
  private peekForm(): number {
    const lex = this.lex;
    const save = (this.formAt = lex.save());
    if (lex.next() === Tok.LParen && lex.next() === Tok.Atom) return lex.keyword();
    lex.restore(save);
    return -1;
  }
  private formAt = 0;

  private restoreForm(): void {
    this.lex.restore(this.formAt);
  }

  /** Whether `(kw` comes next; consumes it if so. */
  private form(kw: number): boolean {
    const lex = this.lex;
    const save = lex.save();
    if (lex.next() === Tok.LParen && lex.next() === Tok.Atom && lex.keyword() === kw) return true;
    lex.restore(save);
    return false;
  }

  private optId(): string | null {
    const lex = this.lex;
    if (lex.next() === Tok.Id) return lex.idName();
    lex.unread();
    return null;
  }

  private keyword(): number {
    if (this.lex.next() !== Tok.Atom) this.unexpected();
    return this.lex.keyword();
  }

  private string(): Uint8Array {
    if (this.lex.next() !== Tok.String) this.unexpected();
    return this.lex.stringBytes();
  }

  private nameString(): string {
    if (this.lex.next() !== Tok.String) this.unexpected();
    return this.lex.stringName();
  }

  /** Whether the next token is a nat (an index or limit), without consuming it. */
  private atNat(): boolean {
    const lex = this.lex;
    const t = lex.next();
    lex.unread();
    if (t !== Tok.Atom) return false;
    const c = this.src[lex.start];
    return c >= 0x30 && c <= 0x39;
  }

  private nat32(): number {
    const lex = this.lex;
    if (lex.next() !== Tok.Atom) this.unexpected();
    const v = readNat32(this.src, lex.start, lex.end);
    if (v === -2) this.unexpected();
    if (v === -1) this.fail('i32 constant out of range');
    return v;
  }

  private nat64(): bigint {
    const lex = this.lex;
    if (lex.next() !== Tok.Atom) this.unexpected();
    const v = readNat64(this.src, lex.start, lex.end);
    if (v === null) {
      if (natMalformed) this.unexpected();
      this.fail('i64 constant out of range');
    }
    return v;
  }

  // ---- identifiers -----------------------------------------------------------------------

  /** Binds the next index of a space (and its identifier); returns the index. */
  private bind(space: Space, id: string | null, at: number): number {
    const index = this.counts[space]++;
    if (id !== null) {
      const map = this.maps[space];
      if (!this.bound) {
        if (map.has(id)) this.fail(`duplicate ${SPACE_NAMES[space]} $${id}`, at);
        map.set(id, index);
      }
      this.setName(NAME_FIELDS[space], id, index);
    }
    return index;
  }

  private setName(field: (typeof NAME_FIELDS)[number] | 'module', name: string, index = 0): void {
    this.hasNames = true;
    if (field === 'module') this.names.module = name;
    else this.names[field].set(index, name);
  }

  /** The index an identifier stands for, binding all identifiers first if it is not known yet. */
  private lookup(space: Space, id: string): number {
    let index = this.maps[space].get(id);
    if (index === undefined && !this.bound) {
      this.bindAll();
      index = this.maps[space].get(id);
    }
    if (index === undefined) this.fail(`unknown ${SPACE_NAMES[space]} $${id}`);
    return index;
  }

  /** A required index: `$id` or a nat. */
  private index(space: Space): number {
    const lex = this.lex;
    const t = lex.next();
    if (t === Tok.Id) return this.lookup(space, lex.idName());
    if (t !== Tok.Atom) this.unexpected();
    lex.unread();
    return this.nat32();
  }

  /** An optional index, or -1. */
  private optIndex(space: Space): number {
    const lex = this.lex;
    const t = lex.next();
    if (t === Tok.Id) return this.lookup(space, lex.idName());
    lex.unread();
    return this.atNat() ? this.nat32() : -1;
  }

  // ---- pre-scans -------------------------------------------------------------------------

  /** Runs `scan` on a lexer over the module's fields; `this.lex` is restored afterwards. */
  private withFields(scan: (kw: number, start: number) => void): void {
    const main = this.lex;
    const lex = new Lexer(this.src, main.file, this.fieldsStart, main.len, false);
    // The scan may be in the middle of reading a type use: keep its state.
    const { params, results, paramNames, formAt } = this;
    this.params = [];
    this.results = [];
    this.paramNames = [];
    this.lex = lex;
    try {
      for (;;) {
        const t = lex.next();
        if (t !== Tok.LParen) break;
        const start = lex.start;
        if (lex.next() !== Tok.Atom) break;
        scan(lex.keyword(), start);
      }
    } finally {
      this.lex = main;
      this.params = params;
      this.results = results;
      this.paramNames = paramNames;
      this.formAt = formAt;
    }
  }

  /** Skips the rest of a form whose `(` has been read. */
  private skipForm(): void {
    const lex = this.lex;
    let depth = 1;
    while (depth > 0) {
      const t = lex.next();
      if (t === Tok.LParen) depth++;
      else if (t === Tok.RParen) depth--;
      else if (t === Tok.Eof) this.fail('unexpected end of input');
    }
  }

  /**
   * Binds every module-level identifier, for references to things defined further down.
   * Indices are handed out in field order, as the main pass does.
   */
  private bindAll(): void {
    this.bound = true;
    const maps: Map<string, number>[] = Array.from({ length: 8 }, () => new Map());
    const counts = new Int32Array(8);
    const bind = (space: Space): void => {
      const lex = this.lex;
      const index = counts[space]++;
      if (lex.next() === Tok.Id) {
        const id = lex.idName();
        if (maps[space].has(id)) this.fail(`duplicate ${SPACE_NAMES[space]} $${id}`);
        maps[space].set(id, index);
      } else lex.unread();
    };
    const SPACES = new Map([
      [KW.func, Space.Func], [KW.table, Space.Table], [KW.memory, Space.Memory], [KW.global, Space.Global],
      [KW.tag, Space.Tag], [KW.elem, Space.Elem], [KW.data, Space.Data],
    ]);
    this.withFields((kw) => {
      const lex = this.lex;
      if (kw === KW.type) bind(Space.Type);
      else if (kw === KW.rec) {
        while (this.form(KW.type)) {
          bind(Space.Type);
          this.skipForm();
        }
      } else if (kw === KW.import) {
        this.string();
        this.string();
        if (lex.next() !== Tok.LParen) {
          lex.unread();
        } else {
          const space = SPACES.get(this.keyword());
          if (space !== undefined) bind(space);
          this.skipForm();
        }
      } else if (SPACES.has(kw)) {
        const space = SPACES.get(kw)!;
        bind(space);
        if (space === Space.Memory || space === Space.Table) {
          // An inline (data …) / (elem …) defines a segment too.
          const inline = space === Space.Memory ? KW.data : KW.elem;
          for (;;) {
            const t = lex.next();
            if (t === Tok.RParen) return;
            if (t !== Tok.LParen) continue;
            if (lex.next() === Tok.Atom && lex.keyword() === inline) counts[space === Space.Memory ? Space.Data : Space.Elem]++;
            this.skipForm();
          }
        }
      }
      this.skipForm();
    });
    this.maps = maps;
  }

  /** Parses every type definition not parsed yet, so that all explicit types are known. */
  private parseAllTypes(): void {
    if (this.allTypes) return;
    const resume = this.fieldsStart;
    this.fieldsStart = this.fieldStart;
    this.withFields((kw) => {
      if (kw === KW.type) this.typeField(false);
      else if (kw === KW.rec) this.recField();
      else this.skipForm();
    });
    this.fieldsStart = resume;
    this.allTypes = true;
    const { types, recGroups } = this.m;
    for (const g of recGroups) {
      const t = types[g.start];
      if (g.count !== 1 || !t.final || t.supers.length || t.comp.kind !== 'func') continue;
      const key = sigKey(t.comp.params, t.comp.results);
      if (!this.sigIndex.has(key)) this.sigIndex.set(key, g.start);
    }
  }

  /** The index of the function type of an implicit type use, appending one if needed. */
  private implicitType(params: readonly ValType[], results: readonly ValType[]): number {
    this.parseAllTypes();
    const key = sigKey(params, results);
    let index = this.sigIndex.get(key);
    if (index === undefined) {
      const { types, recGroups } = this.m;
      index = types.length;
      types.push({ final: true, supers: [], comp: { kind: 'func', params: params.slice(), results: results.slice() }, explicit: false });
      recGroups.push({ start: index, count: 1, explicit: false });
      this.sigIndex.set(key, index);
    }
    return index;
  }

  /** The definition of a type index (parsing later definitions when needed), or undefined. */
  private typeDef(index: number): SubType | undefined {
    if (index >= this.m.types.length) this.parseAllTypes();
    return this.m.types[index];
  }

  private funcTypeOf(index: number, at: number): { params: ValType[]; results: ValType[] } {
    const t = this.typeDef(index);
    if (!t) this.fail(`unknown type ${index}`, at);
    if (t.comp.kind !== 'func') this.fail(`non-function type ${index}`, at);
    return t.comp;
  }

  // ---- types -----------------------------------------------------------------------------

  /** A value type whose first token has been read. */
  private valTypeAt(t: Tok): ValType {
    const lex = this.lex;
    if (t === Tok.Atom) {
      const v = VALTYPE[lex.keyword() & 2047];
      if (v) return v;
    } else if (t === Tok.LParen && this.keyword() === KW.ref) {
      return this.refTypeBody();
    }
    return this.unexpected();
  }

  private valType(): ValType {
    return this.valTypeAt(this.lex.next());
  }

  /** A storage type (a value type or i8 / i16). */
  private storageType(): ValType {
    const lex = this.lex;
    const t = lex.next();
    if (t === Tok.Atom) {
      const kw = lex.keyword();
      if (kw === KW.i8) return PACKED_I8;
      if (kw === KW.i16) return PACKED_I16;
    }
    return this.valTypeAt(t);
  }

  /** The rest of `(ref null? ht)`. */
  private refTypeBody(): ValType {
    const lex = this.lex;
    let nullable = false;
    if (lex.next() === Tok.Atom && lex.keyword() === KW.null) nullable = true;
    else lex.unread();
    const heap = this.heapType();
    this.rparen();
    return refType(nullable, heap);
  }

  /** A reference type: `(ref null? ht)` or a shorthand. */
  private refType(): ValType {
    const t = this.valType();
    const c = t & 0xff;
    if (c !== REF && c !== REF_NULL && !SHORTHAND_REF_NAMES.has(c)) this.fail('unexpected token');
    return t;
  }

  private heapType(): number {
    const lex = this.lex;
    const t = lex.next();
    if (t === Tok.Atom) {
      const code = HEAPCODE[lex.keyword() & 2047];
      if (code) return heapFromCode(code);
    } else if (t === Tok.LParen) {
      // `(exact x)`: only type indices have exact versions.
      if (this.keyword() !== KW.exact) this.unexpected();
      const index = this.index(Space.Type);
      this.rparen();
      return exactHeap(index);
    }
    lex.unread();
    return this.index(Space.Type);
  }

  /** `(type $id? subtype)` after `(type`; `inRec` leaves the group to the caller. */
  private typeField(inRec: boolean): void {
    const lex = this.lex;
    const at = lex.start;
    const index = this.m.types.length;
    this.bind(Space.Type, this.optId(), at);
    this.claimName('types', index);
    this.expect(Tok.LParen);
    let kw = this.keyword();
    let final = true;
    let explicit = false;
    const supers: number[] = [];
    if (kw === KW.sub) {
      explicit = true;
      final = false;
      if (lex.next() === Tok.Atom && lex.keyword() === KW.final) final = true;
      else lex.unread();
      for (;;) {
        const t = lex.next();
        lex.unread();
        if (t !== Tok.Id && !(t === Tok.Atom && this.atNat())) break;
        supers.push(this.index(Space.Type));
      }
      this.expect(Tok.LParen);
      kw = this.keyword();
    }
    // Custom descriptors: `(describes x)? (descriptor y)?` before the composite type.
    let describes: number | undefined, descriptor: number | undefined;
    if (kw === KW.describes) {
      describes = this.index(Space.Type);
      kw = this.nextClause();
    }
    if (kw === KW.descriptor) {
      descriptor = this.index(Space.Type);
      kw = this.nextClause();
    }
    const sub: SubType = { final, supers, comp: this.compType(kw, index), explicit };
    if (describes !== undefined) sub.describes = describes;
    if (descriptor !== undefined) sub.descriptor = descriptor;
    if (explicit) this.rparen();
    this.rparen();
    this.m.types.push(sub);
    if (!inRec) this.m.recGroups.push({ start: index, count: 1, explicit: false });
  }

  /** Closes a type definition's clause and reads the keyword of the form after it. */
  private nextClause(): number {
    this.rparen();
    this.expect(Tok.LParen);
    return this.keyword();
  }

  /** A composite type after `(func`, `(struct` or `(array`, through its `)`. */
  private compType(kw: number, index: number): CompType {
    const lex = this.lex;
    if (kw === KW.func) {
      this.paramsResults(true);
      this.rparen();
      return { kind: 'func', params: this.params.slice(), results: this.results.slice() };
    }
    if (kw === KW.struct) {
      const fields: FieldType[] = [];
      while (this.form(KW.field)) {
        const t = lex.next();
        if (t === Tok.Id) {
          const id = lex.idName();
          let names = this.fieldNames[index];
          if (!names) this.fieldNames[index] = names = new Map();
          if (names.has(id)) this.fail(`duplicate field $${id}`);
          names.set(id, fields.length);
          let inner = this.names.fields.get(index);
          if (!inner) this.names.fields.set(index, (inner = new Map()));
          inner.set(fields.length, id);
          this.hasNames = true;
          fields.push(this.fieldType());
          this.rparen();
        } else {
          lex.unread();
          while (lex.next() !== Tok.RParen) {
            lex.unread();
            fields.push(this.fieldType());
          }
        }
      }
      this.rparen();
      return { kind: 'struct', fields };
    }
    if (kw === KW.array) {
      const field = this.fieldType();
      this.rparen();
      return { kind: 'array', field };
    }
    return this.unexpected();
  }

  private fieldType(): FieldType {
    if (this.form(KW.mut)) {
      const type = this.storageType();
      this.rparen();
      return { type, mutable: true };
    }
    return { type: this.storageType(), mutable: false };
  }

  /** `(rec (type …)*)` after `(rec`. */
  private recField(): void {
    const start = this.m.types.length;
    while (this.form(KW.type)) this.typeField(true);
    this.rparen();
    this.m.recGroups.push({ start, count: this.m.types.length - start, explicit: true });
  }

  /**
   * `(param …)* (result …)*` into `params`/`results` (`paramNames` when names are allowed:
   * `(param $x t)`).
   */
  private paramsResults(named: boolean): void {
    const lex = this.lex;
    const params = this.params;
    const results = this.results;
    // (Setting a length is a runtime call; most type uses are empty.)
    if (params.length) params.length = 0;
    if (results.length) results.length = 0;
    if (this.paramNames.length) this.paramNames.length = 0;
    let kw = this.peekForm();
    while (kw === KW.param) {
      const t = lex.next();
      if (t === Tok.Id && named) {
        this.paramNames[params.length] = lex.idName();
        params.push(this.valType());
        this.rparen();
      } else {
        lex.unread();
        while (lex.next() !== Tok.RParen) params.push(this.valTypeAt(lex.tok));
      }
      kw = this.peekForm();
    }
    while (kw === KW.result) {
      while (lex.next() !== Tok.RParen) results.push(this.valTypeAt(lex.tok));
      kw = this.peekForm();
    }
    if (kw === KW.param) this.unexpected();
    this.restoreForm();
  }

  /**
   * A type use: `(type x)? (param …)* (result …)*`. Returns the type index (explicit, or
   * implicit per the spec's rule); `params`/`results` hold the inline declarations.
   */
  private typeUse(named: boolean): number {
    const at = this.lex.save();
    let explicit = -1;
    if (this.form(KW.type)) {
      explicit = this.index(Space.Type);
      this.rparen();
    }
    this.paramsResults(named);
    if (explicit >= 0) {
      if (this.params.length || this.results.length) this.checkTypeUse(explicit, at);
      return explicit;
    }
    return this.implicitType(this.params, this.results);
  }

  /** A function import's type: a type use, or `(exact typeuse)` (custom descriptors). */
  private funcImportType(): { type: number; exact?: true } {
    if (!this.form(KW.exact)) return { type: this.typeUse(true) };
    const type = this.typeUse(true);
    this.rparen();
    return { type, exact: true };
  }

  /** Inline declarations next to `(type x)` must repeat its function type. */
  private checkTypeUse(index: number, at: number): void {
    const ft = this.funcTypeOf(index, at);
    // Every function of a printed module repeats its type inline: compare without building keys.
    if (!sameTypes(ft.params, this.params) || !sameTypes(ft.results, this.results)) {
      this.fail('inline function type does not match explicit type', at);
    }
  }

  // ---- module fields ---------------------------------------------------------------------

  private fields(closing: boolean): Module {
    const lex = this.lex;
    this.fieldsStart = lex.save();
    let first = true;
    for (;;) {
      const t = lex.next();
      if (first) {
        // @name annotations before the first field name the module.
        this.claimModuleName(lex.start);
        first = false;
      }
      if (t === Tok.RParen && closing) break;
      if (t === Tok.Eof && !closing) break;
      if (t !== Tok.LParen) this.unexpected();
      const start = lex.start;
      this.fieldStart = start;
      this.flushHints(true);
      switch (this.keyword()) {
        case KW.type: if (this.allTypes) this.skipForm(); else this.typeField(false); break;
        case KW.rec: if (this.allTypes) this.skipForm(); else this.recField(); break;
        case KW.import: this.importField(); break;
        case KW.func: this.funcField(start); break;
        case KW.table: this.tableField(); break;
        case KW.memory: this.memoryField(); break;
        case KW.global: this.globalField(); break;
        case KW.tag: this.tagField(); break;
        case KW.export: this.exportField(); break;
        case KW.start: this.startField(); break;
        case KW.elem: this.elemField(); break;
        case KW.data: this.dataField(); break;
        default: this.unexpected();
      }
      this.fieldSpans.push(start, lex.end);
    }
    return this.finish();
  }

  /** `(export "name")*` after a definition's id; returns the names. */
  private inlineExports(): string[] | null {
    let names: string[] | null = null;
    while (this.form(KW.export)) {
      (names ??= []).push(this.nameString());
      this.rparen();
    }
    return names;
  }

  /** `(import "module" "name")`, or null. */
  private inlineImport(): [string, string] | null {
    if (!this.form(KW.import)) return null;
    const r: [string, string] = [this.nameString(), this.nameString()];
    this.rparen();
    return r;
  }

  private addExports(names: string[] | null, kind: ExternKind, index: number): void {
    if (names) for (const name of names) this.m.exports.push({ name, kind, index });
  }

  private noteImport(at: number): void {
    if (this.lastDefinition !== null) this.fail(`import after ${this.lastDefinition} definition`, at);
  }

  private noteDefinition(kind: string): void {
    this.lastDefinition = kind;
  }

  private importField(): void {
    const lex = this.lex;
    const at = lex.start;
    this.noteImport(at);
    const module = this.nameString();
    const name = this.nameString();
    this.expect(Tok.LParen);
    const kw = this.keyword();
    const idAt = lex.start;
    const id = this.optId();
    switch (kw) {
      case KW.func: {
        const index = this.bind(Space.Func, id, idAt);
        this.claimName('functions', index);
        this.m.imports.push({ module, name, kind: ExternKind.Func, ...this.funcImportType() });
        break;
      }
      case KW.table: {
        const index = this.bind(Space.Table, id, idAt);
        this.claimName('tables', index);
        const addr64 = this.addrType();
        const limits = this.limits(addr64);
        this.m.imports.push({ module, name, kind: ExternKind.Table, table: { type: this.refType(), limits } });
        break;
      }
      case KW.memory: {
        const index = this.bind(Space.Memory, id, idAt);
        this.claimName('memories', index);
        this.m.imports.push({ module, name, kind: ExternKind.Memory, memory: this.memoryType(this.addrType()) });
        break;
      }
      case KW.global: {
        const index = this.bind(Space.Global, id, idAt);
        this.claimName('globals', index);
        this.m.imports.push({ module, name, kind: ExternKind.Global, global: this.globalType() });
        break;
      }
      case KW.tag: {
        const index = this.bind(Space.Tag, id, idAt);
        this.claimName('tags', index);
        this.m.imports.push({ module, name, kind: ExternKind.Tag, type: this.typeUse(true) });
        break;
      }
      default:
        this.unexpected();
    }
    this.rparen();
    this.rparen();
  }

  private addrType(): boolean {
    const lex = this.lex;
    if (lex.next() === Tok.Atom) {
      const kw = lex.keyword();
      if (kw === KW.i64) return true;
      if (kw === KW.i32) return false;
    }
    lex.unread();
    return false;
  }

  private limits(addr64: boolean): Limits {
    const min = this.nat64();
    const max = this.atNat() ? this.nat64() : null;
    return { min, max, addr64, shared: false, pageSizeLog2: null };
  }

  /** Limits, `shared` and `(pagesize n)` of a memory type. */
  private memoryType(addr64: boolean): Limits {
    const l = this.limits(addr64);
    const lex = this.lex;
    for (;;) {
      if (lex.next() === Tok.Atom && lex.keyword() === KW.shared) {
        l.shared = true;
        continue;
      }
      lex.unread();
      if (this.form(KW.pagesize)) {
        l.pageSizeLog2 = this.pageSize();
        continue;
      }
      return l;
    }
  }

  /** The rest of `(pagesize n)`: log2 of n. */
  private pageSize(): number {
    const at = this.lex.save();
    const n = this.nat64();
    this.rparen();
    if (n === 0n || (n & (n - 1n)) !== 0n) this.fail('invalid custom page size', at);
    return n.toString(2).length - 1;
  }

  private globalType(): { type: ValType; mutable: boolean } {
    if (this.form(KW.mut)) {
      const type = this.valType();
      this.rparen();
      return { type, mutable: true };
    }
    return { type: this.valType(), mutable: false };
  }

  private funcField(start: number): void {
    const lex = this.lex;
    const idAt = lex.save();
    const index = this.bind(Space.Func, this.optId(), idAt);
    this.claimName('functions', index);
    const exports = this.inlineExports();
    this.addExports(exports, ExternKind.Func, index);
    const imp = this.inlineImport();
    if (imp) {
      this.noteImport(start);
      const type = this.funcImportType();
      this.rparen();
      this.m.imports.push({ module: imp[0], name: imp[1], kind: ExternKind.Func, ...type });
      return;
    }
    this.noteDefinition('function');
    const funcEntry: Func = { type: 0, body: null, raw: null, offset: 0 };
    this.m.funcs.push(funcEntry);
    const typeAt = lex.save();
    let explicit = -1;
    if (this.form(KW.type)) {
      explicit = this.index(Space.Type);
      this.rparen();
    }
    this.paramsResults(true);
    const inline = this.params.length > 0 || this.results.length > 0;
    if (explicit >= 0) {
      if (inline) this.checkTypeUse(explicit, typeAt);
      funcEntry.type = explicit;
    } else {
      funcEntry.type = this.implicitType(this.params, this.results);
    }
    // Parameters are the first locals. Without inline ones their count comes from the
    // type, looked up only if a named local needs it.
    this.inFunc = true;
    this.locals = null;
    this.localNames = null;
    this.localBase = inline || explicit < 0 ? this.params.length : -1;
    this.localType = explicit;
    this.localTypeAt = typeAt;
    for (let i = 0; i < this.paramNames.length; i++) {
      const name = this.paramNames[i];
      if (name != null) this.bindLocal(name, i, typeAt);
    }
    const body = this.body;
    body.reset();
    this.localDecls(body);
    this.hints.length = 0;
    this.labels[0] = null;
    this.labelTop = 1;
    this.labelOrd = 0;
    this.labelNames = null;
    this.instrs(false);
    body.push(Op.end);
    this.inFunc = false;
    this.flushHints(false);
    if (this.localNames) this.names.locals.set(index, this.localNames);
    if (this.labelNames) {
      this.names.labels.set(index, this.labelNames);
      this.hasNames = true;
    }
    funcEntry.raw = this.encodeFunc(body, index);
  }

  /** Index of the first declared local: the parameter count. */
  private firstLocal(): number {
    if (this.localBase < 0) this.localBase = this.funcTypeOf(this.localType, this.localTypeAt).params.length;
    return this.localBase;
  }

  private bindLocal(name: string, index: number, at: number): void {
    const locals = (this.locals ??= new Map());
    if (locals.has(name)) this.fail(`duplicate local $${name}`, at);
    locals.set(name, index);
    (this.localNames ??= new Map()).set(index, name);
    this.hasNames = true;
  }

  /** `(local $x t)` / `(local t*)` declarations into body.locals (runs of one type grouped). */
  private localDecls(body: Body): void {
    const lex = this.lex;
    const decl = body.locals;
    let declared = 0;
    const add = (t: ValType): void => {
      const n = decl.length;
      if (n && decl[n - 1] === t) decl[n - 2]++;
      else decl.push(1, t);
      declared++;
    };
    while (this.form(KW.local)) {
      const t = lex.next();
      if (t === Tok.Id) {
        this.bindLocal(lex.idName(), this.firstLocal() + declared, lex.start);
        add(this.valType());
        this.rparen();
      } else {
        lex.unread();
        while (lex.next() !== Tok.RParen) add(this.valTypeAt(lex.tok));
      }
    }
  }

  /** Encodes a finished body to its code entry, computing the offsets of its branch hints. */
  private encodeFunc(body: Body, func: number): Uint8Array {
    const out = this.sink;
    out.pos = 0;
    const hints = this.hints;
    if (!hints.length) {
      encodeBody(body, out);
      return out.buf.slice(0, out.pos);
    }
    hints.sort((x, y) => x.index - y.index);
    const offsets = encodeBodyAt(body, out, hints.map((h) => h.index));
    const entries = hints.map((h, j) => ({ offset: offsets[j], value: h.value }));
    this.hintSections.push({ func, hints: entries });
    return out.buf.slice(0, out.pos);
  }

  private tableField(): void {
    const lex = this.lex;
    const idAt = lex.save();
    const index = this.bind(Space.Table, this.optId(), idAt);
    this.claimName('tables', index);
    const exports = this.inlineExports();
    this.addExports(exports, ExternKind.Table, index);
    const imp = this.inlineImport();
    if (imp) {
      this.noteImport(idAt);
      const addr64 = this.addrType();
      const limits = this.limits(addr64);
      this.m.imports.push({ module: imp[0], name: imp[1], kind: ExternKind.Table, table: { type: this.refType(), limits } });
      this.rparen();
      return;
    }
    this.noteDefinition('table');
    const addr64 = this.addrType();
    if (this.atNat()) {
      const limits = this.limits(addr64);
      const type = this.refType();
      let init: Expr | null = null;
      if (lex.next() !== Tok.RParen) {
        lex.unread();
        init = this.constExpr();
      }
      this.m.tables.push({ type, limits, init });
      return;
    }
    // `(table at? reftype (elem …))`: a table exactly as large as its inline segment.
    const type = this.refType();
    if (!this.form(KW.elem)) this.unexpected();
    const offset = this.constOffset(addr64);
    let elem: Elem;
    const t = lex.next();
    lex.unread();
    if (t === Tok.LParen) {
      const exprs: Expr[] = [];
      while (lex.next() !== Tok.RParen) {
        lex.unread();
        exprs.push(this.elemExpr());
      }
      lex.unread();
      elem = { flags: index === 0 && type === 0x70 ? 4 : 6, table: index, offset, type, funcs: null, exprs };
    } else {
      const funcs = this.funcIndices();
      elem = type === 0x70
        ? { flags: index === 0 ? 0 : 2, table: index, offset, type: refType(false, heapFromCode(HeapCode.func)), funcs, exprs: null }
        : { flags: 6, table: index, offset, type, funcs: null, exprs: funcs.map((f) => this.refFuncExpr(f)) };
    }
    this.rparen();
    this.rparen();
    const n = BigInt(elem.funcs?.length ?? elem.exprs!.length);
    this.m.tables.push({ type, limits: { min: n, max: n, addr64, shared: false, pageSizeLog2: null }, init: null });
    this.bind(Space.Elem, null, 0);
    this.m.elems.push(elem);
  }

  /** `i32.const 0` / `i64.const 0` as the offset of an inline segment. */
  private constOffset(addr64: boolean): Expr {
    return { bytes: Uint8Array.of(addr64 ? 0x42 : 0x41, 0, 0x0b), offset: 0, canonical: true };
  }

  private refFuncExpr(func: number): Expr {
    const out = this.sink;
    out.pos = 0;
    out.u8(0xd2);
    out.u32(func);
    out.u8(0x0b);
    return { bytes: out.buf.slice(0, out.pos), offset: 0, canonical: true };
  }

  /** Function indices up to the closing `)` (not consumed). */
  private funcIndices(): number[] {
    const lex = this.lex;
    const funcs: number[] = [];
    for (;;) {
      const t = lex.next();
      lex.unread();
      if (t === Tok.RParen) return funcs;
      funcs.push(this.index(Space.Func));
    }
  }

  private memoryField(): void {
    const lex = this.lex;
    const idAt = lex.save();
    const index = this.bind(Space.Memory, this.optId(), idAt);
    this.claimName('memories', index);
    const exports = this.inlineExports();
    this.addExports(exports, ExternKind.Memory, index);
    const imp = this.inlineImport();
    if (imp) {
      this.noteImport(idAt);
      this.m.imports.push({ module: imp[0], name: imp[1], kind: ExternKind.Memory, memory: this.memoryType(this.addrType()) });
      this.rparen();
      return;
    }
    this.noteDefinition('memory');
    const addr64 = this.addrType();
    if (this.atNat()) {
      this.m.memories.push(this.memoryType(addr64));
      this.rparen();
      return;
    }
    // `(memory at? (pagesize n)? (data "…"*))`: sized to hold its inline segment.
    let pageSizeLog2: number | null = null;
    if (this.form(KW.pagesize)) pageSizeLog2 = this.pageSize();
    if (!this.form(KW.data)) this.unexpected();
    const bytes = this.strings();
    this.rparen();
    const pageBits = BigInt(pageSizeLog2 ?? 16);
    const pages = (BigInt(bytes.length) + (1n << pageBits) - 1n) >> pageBits;
    this.m.memories.push({ min: pages, max: pages, addr64, shared: false, pageSizeLog2 });
    this.bind(Space.Data, null, 0);
    this.m.datas.push({ flags: index === 0 ? 0 : 2, memory: index, offset: this.constOffset(addr64), bytes });
    this.rparen();
  }

  /** Concatenated string literals up to the next non-string (not consumed). */
  private strings(): Uint8Array {
    const lex = this.lex;
    const parts: Uint8Array[] = [];
    while (lex.next() === Tok.String) parts.push(lex.stringBytes());
    lex.unread();
    if (parts.length === 1) return parts[0];
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  private globalField(): void {
    const lex = this.lex;
    const idAt = lex.save();
    const index = this.bind(Space.Global, this.optId(), idAt);
    this.claimName('globals', index);
    const exports = this.inlineExports();
    this.addExports(exports, ExternKind.Global, index);
    const imp = this.inlineImport();
    if (imp) {
      this.noteImport(idAt);
      this.m.imports.push({ module: imp[0], name: imp[1], kind: ExternKind.Global, global: this.globalType() });
      this.rparen();
      return;
    }
    this.noteDefinition('global');
    const gt = this.globalType();
    this.m.globals.push({ ...gt, init: this.constExpr() });
  }

  private tagField(): void {
    const lex = this.lex;
    const idAt = lex.save();
    const index = this.bind(Space.Tag, this.optId(), idAt);
    this.claimName('tags', index);
    const exports = this.inlineExports();
    this.addExports(exports, ExternKind.Tag, index);
    const imp = this.inlineImport();
    if (imp) {
      this.noteImport(idAt);
      this.m.imports.push({ module: imp[0], name: imp[1], kind: ExternKind.Tag, type: this.typeUse(true) });
    } else {
      this.noteDefinition('tag');
      this.m.tags.push({ type: this.typeUse(true) });
    }
    this.rparen();
  }

  private exportField(): void {
    const name = this.nameString();
    this.expect(Tok.LParen);
    const kw = this.keyword();
    const k = EXPORT_KINDS.get(kw);
    if (!k) this.unexpected();
    const index = this.index(k[1]);
    this.rparen();
    this.rparen();
    this.m.exports.push({ name, kind: k[0], index });
  }

  private startField(): void {
    const at = this.lex.start;
    if (this.m.start !== null) this.fail('multiple start sections', at);
    this.m.start = this.index(Space.Func);
    this.rparen();
  }

  /** `(item instr*)` or one folded instruction, as a constant expression. */
  private elemExpr(): Expr {
    if (this.form(KW.item)) return this.constExpr();
    return this.foldedConstExpr();
  }

  private elemField(): void {
    const lex = this.lex;
    const idAt = lex.save();
    const index = this.bind(Space.Elem, this.optId(), idAt);
    this.claimName('elems', index);
    let mode: 'passive' | 'active' | 'declare' = 'passive';
    let table = 0;
    let explicitTable = false;
    let offset: Expr | null = null;
    const t = lex.next();
    if (t === Tok.Atom && lex.keyword() === KW.declare) {
      mode = 'declare';
    } else {
      lex.unread();
      // MVP syntax, still accepted by other tools: a bare table index before the offset.
      const legacy = this.atNat() ? this.nat32() : -1;
      const kw = legacy >= 0 ? KW.table : this.peekForm();
      if (kw === KW.table) {
        table = legacy >= 0 ? legacy : this.index(Space.Table);
        if (legacy < 0) this.rparen();
        explicitTable = legacy < 0;
        mode = 'active';
        offset = this.offsetExpr();
      } else if (kw === KW.offset) {
        mode = 'active';
        offset = this.constExpr();
      } else {
        this.restoreForm();
        if (kw !== -1 && kw !== KW.ref) {
          mode = 'active';
          offset = this.foldedConstExpr();
        }
      }
    }
    // The element list: `func x*`, `reftype expr*`, or (active, implicit table) bare `x*`.
    const next = lex.next();
    let elem: Elem;
    // Table 0 takes the short forms (flags 0 and 4) unless written `(table 0)`, so binary →
    // text → binary loses nothing.
    const flagsBase = mode === 'passive' ? 1 : mode === 'declare' ? 3 : table !== 0 || explicitTable ? 2 : 0;
    if (next === Tok.Atom && lex.keyword() === KW.func) {
      elem = { flags: flagsBase, table, offset, type: refType(false, heapFromCode(HeapCode.func)), funcs: this.funcIndices(), exprs: null };
    } else if (next === Tok.Atom && VALTYPE[lex.keyword() & 2047] || next === Tok.LParen) {
      const type = this.valTypeAt(next);
      const exprs: Expr[] = [];
      while (lex.next() !== Tok.RParen) {
        lex.unread();
        exprs.push(this.elemExpr());
      }
      lex.unread();
      const flags = flagsBase === 0 && type !== 0x70 ? 6 : flagsBase | 4;
      elem = { flags, table, offset, type, funcs: null, exprs };
    } else {
      lex.unread();
      if (mode !== 'active' || explicitTable) this.unexpected();
      elem = { flags: 0, table, offset, type: refType(false, heapFromCode(HeapCode.func)), funcs: this.funcIndices(), exprs: null };
    }
    this.rparen();
    this.m.elems.push(elem);
  }

  /** An active segment's offset: `(offset instr*)` or one folded instruction. */
  private offsetExpr(): Expr {
    if (this.form(KW.offset)) return this.constExpr();
    return this.foldedConstExpr();
  }

  private dataField(): void {
    const lex = this.lex;
    const idAt = lex.save();
    const index = this.bind(Space.Data, this.optId(), idAt);
    this.claimName('datas', index);
    let flags = 1;
    let memory = 0;
    let offset: Expr | null = null;
    // A bare memory index before the offset is MVP syntax, still accepted by other tools.
    const legacy = this.atNat() ? this.nat32() : -1;
    const kw = legacy >= 0 ? KW.memory : this.peekForm();
    if (kw === KW.memory) {
      memory = legacy >= 0 ? legacy : this.index(Space.Memory);
      if (legacy < 0) this.rparen();
      // An explicit `(memory 0)` keeps the explicit form, so binary → text → binary loses nothing.
      flags = memory === 0 && legacy >= 0 ? 0 : 2;
      offset = this.offsetExpr();
    } else if (kw === KW.offset) {
      flags = 0;
      offset = this.constExpr();
    } else {
      this.restoreForm();
      if (kw !== -1) {
        flags = 0;
        offset = this.foldedConstExpr();
      }
    }
    const bytes = this.strings();
    this.rparen();
    this.m.datas.push({ flags, memory, offset, bytes });
  }

  // ---- constant expressions --------------------------------------------------------------

  /** Instructions up to and including the closing `)`, as a constant expression. */
  private constExpr(): Expr {
    return this.exprWith(false);
  }

  /** Exactly one folded instruction, as a constant expression. */
  private foldedConstExpr(): Expr {
    const t = this.lex.next();
    this.lex.unread();
    if (t !== Tok.LParen) this.unexpected();
    return this.exprWith(true);
  }

  private exprWith(single: boolean): Expr {
    const saved = this.body;
    const body = this.exprBody;
    body.reset();
    this.body = body;
    const labelTop = this.labelTop;
    this.labelTop = 0;
    try {
      this.instrs(single);
    } finally {
      this.body = saved;
      this.labelTop = labelTop;
    }
    body.push(Op.end);
    const out = this.sink;
    out.pos = 0;
    encodeInstructions(body, out);
    return { bytes: out.buf.slice(0, out.pos), offset: 0, canonical: true };
  }

  // ---- instructions ----------------------------------------------------------------------

  private pushFrame(kind: F): void {
    const sp = this.sp;
    if (sp === this.fKind.length) {
      const grow = <T extends Uint8Array | Uint16Array | Int8Array | Int32Array>(a: T, n: number): T => {
        const b = new (a.constructor as new (n: number) => T)(n);
        b.set(a);
        return b;
      };
      this.fKind = grow(this.fKind, sp * 2);
      this.fOp = grow(this.fOp, sp * 2);
      this.fHint = grow(this.fHint, sp * 2);
      this.fImm = grow(this.fImm, sp * 8);
    }
    this.fKind[sp] = kind;
    this.sp = sp + 1;
  }

  private pushLabel(name: string | null): void {
    this.labels[this.labelTop++] = name;
    // The name section numbers labels by their block instructions, in order.
    const ord = this.labelOrd++;
    if (name !== null && this.inFunc) (this.labelNames ??= new Map()).set(ord, name);
  }

  private labelIndex(): number {
    const lex = this.lex;
    const t = lex.next();
    if (t === Tok.Id) {
      const name = lex.idName();
      for (let i = this.labelTop - 1; i >= 0; i--) if (this.labels[i] === name) return this.labelTop - 1 - i;
      this.fail(`unknown label $${name}`);
    }
    if (t !== Tok.Atom) this.unexpected();
    lex.unread();
    return this.nat32();
  }

  /** `end $l` / `else $l`: an optional label that must repeat the block's. */
  private closingLabel(): void {
    const lex = this.lex;
    if (lex.next() !== Tok.Id) {
      lex.unread();
      return;
    }
    if (lex.idName() !== this.labels[this.labelTop - 1]) this.fail('mismatching label');
  }

  /**
   * The instruction sequence up to the `)` that closes the enclosing form (consumed), or,
   * when `single`, exactly one folded instruction. Nesting lives in the frame stack.
   */
  private instrs(single: boolean): void {
    const lex = this.lex;
    const base = this.sp;
    for (;;) {
      const t = lex.next();
      if (t === Tok.Atom) {
        if (this.sp > base ? !PLAIN_OK[this.fKind[this.sp - 1]] : single) this.unexpected();
        const op = lex.keyword();
        if (op < 0 || op >= 1024) this.unexpected();
        if (STRUCTURAL[op]) this.structural(op);
        else this.plain(op);
      } else if (t === Tok.LParen) {
        this.folded();
      } else if (t === Tok.RParen) {
        if (this.sp === base) {
          if (single) this.unexpected();
          return;
        }
        this.close();
        if (single && this.sp === base) return;
      } else {
        this.unexpected();
      }
    }
  }

  /** A plain instruction, emitted at once. */
  private plain(op: number): void {
    const hint = this.lex.annotations.length === this.hintsSeen ? -1 : this.takeHint(op);
    let i: number;
    const kind = OP_IMM[op];
    if (kind === Imm.None && op !== Op.select) {
      i = this.body.push(op);
    } else if (NUMERIC_INDEX[kind] && (i = this.numericIndex()) >= 0) {
      // The common case of printed code: one plain numeric index.
      i = this.body.push(op, i);
    } else if (kind === Imm.I32 && (i = this.lex.plainInt()) !== NOT_PLAIN) {
      // and `i32.const` with a short decimal.
      i = this.body.push(op, i);
    } else {
      this.a = this.b = this.c = this.d = 0;
      op = this.immediates(op);
      i = this.body.push(op, this.a, this.b, this.c, this.d);
    }
    if (USES_DATA[op]) this.usesData = true;
    if (hint >= 0) this.hints.push({ index: i, value: hint });
  }

  /** Unfolded block/loop/if/try/try_table and the keywords that continue or end them. */
  private structural(op: number): void {
    const lex = this.lex;
    const body = this.body;
    const top = this.sp > 0 ? this.fKind[this.sp - 1] : -1;
    switch (op) {
      case Op.block: case Op.loop: case Op.if: case Op.try: case Op.try_table: {
        const hint = this.lex.annotations.length === this.hintsSeen ? -1 : this.takeHint(op);
        const label = this.optId();
        this.blockType();
        let c = 0;
        let d = 0;
        if (op === Op.try_table) [c, d] = this.catchClauses();
        const i = body.push(op, this.a, this.b, c, d);
        if (hint >= 0) this.hints.push({ index: i, value: hint });
        this.pushLabel(label);
        this.pushFrame(op === Op.if ? F.If : op === Op.try ? F.Try : F.Block);
        return;
      }
      case Op.else:
        if (top !== F.If) this.unexpected();
        this.closingLabel();
        body.push(Op.else);
        this.fKind[this.sp - 1] = F.Else;
        return;
      case Op.end:
        if (top !== F.Block && top !== F.If && top !== F.Else && top !== F.Try && top !== F.Catch && top !== F.CatchAll) this.unexpected();
        this.closingLabel();
        body.push(Op.end);
        this.labelTop--;
        this.sp--;
        return;
      case Op.catch:
        if (top !== F.Try && top !== F.Catch) this.unexpected();
        body.push(Op.catch, this.index(Space.Tag));
        this.fKind[this.sp - 1] = F.Catch;
        return;
      case Op.catch_all:
        if (top !== F.Try && top !== F.Catch) this.unexpected();
        body.push(Op.catch_all);
        this.fKind[this.sp - 1] = F.CatchAll;
        return;
      case Op.delegate: {
        if (top !== F.Try) this.unexpected();
        // The label is relative to the block around the try.
        this.labelTop--;
        body.push(Op.delegate, this.labelIndex());
        this.sp--;
        return;
      }
    }
    lex.unread();
    this.unexpected();
  }

  /** After `(`: a folded instruction, or a clause of the enclosing folded if / try. */
  private folded(): void {
    const lex = this.lex;
    const body = this.body;
    const top = this.sp > 0 ? this.fKind[this.sp - 1] : -1;
    if (lex.next() !== Tok.Atom) this.unexpected();
    const kw = lex.keyword();
    switch (top) {
      case F.FIf:
        if (kw === KW.then) {
          const k = (this.sp - 1) * 4;
          const i = body.push(Op.if, this.fImm[k], this.fImm[k + 1]);
          const hint = this.fHint[this.sp - 1];
          if (hint >= 0) this.hints.push({ index: i, value: hint });
          this.pushLabel(this.fLabel[this.sp - 1]);
          this.fKind[this.sp - 1] = F.FThen;
          return;
        }
        break;
      case F.FAfterThen:
        if (kw !== Op.else) this.unexpected();
        body.push(Op.else);
        this.fKind[this.sp - 1] = F.FElse;
        return;
      case F.FIfDone: case F.FAfterCatchAll: case F.FDone:
        this.unexpected();
        break;
      case F.FTry:
        if (kw !== KW.do) this.unexpected();
        this.fKind[this.sp - 1] = F.FDo;
        return;
      case F.FAfterDo: case F.FHandlers:
        if (kw === Op.catch) {
          body.push(Op.catch, this.index(Space.Tag));
          this.fKind[this.sp - 1] = F.FCatch;
        } else if (kw === Op.catch_all) {
          body.push(Op.catch_all);
          this.fKind[this.sp - 1] = F.FCatchAll;
        } else if (kw === Op.delegate && top === F.FAfterDo) {
          // The label is relative to the block around the try.
          this.labelTop--;
          body.push(Op.delegate, this.labelIndex());
          this.rparen();
          this.fKind[this.sp - 1] = F.FDone;
        } else {
          this.unexpected();
        }
        return;
    }
    if (kw < 0 || kw >= 1024) this.unexpected();
    const op = kw;
    const hint = this.lex.annotations.length === this.hintsSeen ? -1 : this.takeHint(op);
    if (!STRUCTURAL[op]) {
      this.a = this.b = this.c = this.d = 0;
      const real = OP_IMM[op] !== Imm.None || op === Op.select ? this.immediates(op) : op;
      const sp = this.sp;
      this.pushFrame(F.Plain);
      this.fOp[sp] = real;
      const k = sp * 4;
      this.fImm[k] = this.a;
      this.fImm[k + 1] = this.b;
      this.fImm[k + 2] = this.c;
      this.fImm[k + 3] = this.d;
      this.fHint[sp] = hint;
      return;
    }
    switch (op) {
      case Op.block: case Op.loop: case Op.try_table: case Op.try: {
        const label = this.optId();
        this.blockType();
        let c = 0;
        let d = 0;
        if (op === Op.try_table) [c, d] = this.catchClauses();
        const i = body.push(op, this.a, this.b, c, d);
        if (hint >= 0) this.hints.push({ index: i, value: hint });
        this.pushLabel(label);
        this.pushFrame(op === Op.try ? F.FTry : F.FBlock);
        return;
      }
      case Op.if: {
        const label = this.optId();
        this.blockType();
        const sp = this.sp;
        this.pushFrame(F.FIf);
        this.fImm[sp * 4] = this.a;
        this.fImm[sp * 4 + 1] = this.b;
        this.fHint[sp] = hint;
        this.fLabel[sp] = label;
        return;
      }
    }
    this.unexpected();
  }

  /** `)`: ends the top frame's form (or one of its clauses). */
  private close(): void {
    const body = this.body;
    const sp = this.sp - 1;
    switch (this.fKind[sp]) {
      case F.Plain: {
        const k = sp * 4;
        const fImm = this.fImm;
        const op = this.fOp[sp];
        const i = body.push(op, fImm[k], fImm[k + 1], fImm[k + 2], fImm[k + 3]);
        const hint = this.fHint[sp];
        if (hint >= 0) this.hints.push({ index: i, value: hint });
        if (USES_DATA[op]) this.usesData = true;
        this.sp = sp;
        return;
      }
      case F.FBlock: case F.FAfterThen: case F.FIfDone: case F.FAfterDo: case F.FHandlers: case F.FAfterCatchAll:
        body.push(Op.end);
        this.labelTop--;
        this.sp = sp;
        return;
      case F.FDone:
        this.sp = sp;
        return;
      case F.FThen:
        this.fKind[sp] = F.FAfterThen;
        return;
      case F.FElse:
        this.fKind[sp] = F.FIfDone;
        return;
      case F.FDo:
        this.fKind[sp] = F.FAfterDo;
        return;
      case F.FCatch:
        this.fKind[sp] = F.FHandlers;
        return;
      case F.FCatchAll:
        this.fKind[sp] = F.FAfterCatchAll;
        return;
    }
    this.unexpected();
  }

  /** A block type into a/b: `(type x)? (param t*)* (result t*)*`. */
  private blockType(): void {
    const at = this.lex.save();
    let explicit = -1;
    if (this.form(KW.type)) {
      explicit = this.index(Space.Type);
      this.rparen();
    }
    this.paramsResults(false);
    const params = this.params;
    const results = this.results;
    this.b = 0;
    if (explicit >= 0) {
      if (params.length || results.length) this.checkTypeUse(explicit, at);
      this.a = explicit;
    } else if (params.length === 0 && results.length === 0) {
      this.a = -64;
    } else if (params.length === 0 && results.length === 1) {
      const t = results[0];
      const code = t & 0xff;
      this.a = code - 0x80;
      if (code === REF || code === REF_NULL) this.b = t >> 8;
    } else {
      this.a = this.implicitType(params, results);
    }
  }

  /** try_table's `(catch x l)`, `(catch_ref x l)`, `(catch_all l)`, `(catch_all_ref l)` into extra. */
  private catchClauses(): [number, number] {
    const keepA = this.a;
    const keepB = this.b;
    const clauses: number[] = [];
    for (;;) {
      const kw = this.peekForm();
      let kind: CatchKind;
      if (kw === Op.catch) kind = CatchKind.Catch;
      else if (kw === KW.catch_ref) kind = CatchKind.CatchRef;
      else if (kw === Op.catch_all) kind = CatchKind.CatchAll;
      else if (kw === KW.catch_all_ref) kind = CatchKind.CatchAllRef;
      else {
        this.restoreForm();
        break;
      }
      const tag = kind <= CatchKind.CatchRef ? this.index(Space.Tag) : 0;
      clauses.push(kind, tag, this.labelIndex());
      this.rparen();
    }
    this.a = keepA;
    this.b = keepB;
    return [this.body.pushExtra(clauses), clauses.length / 3];
  }

  /** Reads the immediates of `op` into a-d; returns the op to emit (a variant for some). */
  private immediates(op: number): number {
    const lex = this.lex;
    switch (OP_IMM[op]) {
      case Imm.Local: this.a = this.localIndex(); break;
      case Imm.I32: this.a = this.i32Literal(); break;
      case Imm.Memarg: this.memarg(op); break;
      case Imm.Label: this.a = this.labelIndex(); break;
      case Imm.Func: this.a = this.index(Space.Func); break;
      case Imm.Global: this.a = this.index(Space.Global); break;
      case Imm.Type: this.a = this.index(Space.Type); break;
      case Imm.I64: this.i64Literal(); break;
      case Imm.F32: this.f32Literal(); break;
      case Imm.F64: this.f64Literal(); break;
      case Imm.BrTable: {
        const targets = [this.labelIndex()];
        for (;;) {
          const t = lex.next();
          lex.unread();
          if (t !== Tok.Id && !(t === Tok.Atom && this.atNat())) break;
          targets.push(this.labelIndex());
        }
        this.a = this.body.pushExtra(targets);
        this.b = targets.length - 1;
        break;
      }
      case Imm.CallIndirect: {
        const table = this.optIndex(Space.Table);
        this.a = this.typeUse(false);
        this.b = table < 0 ? 0 : table;
        break;
      }
      case Imm.Table: this.a = Math.max(0, this.optIndex(Space.Table)); break;
      case Imm.Mem: this.a = Math.max(0, this.optIndex(Space.Memory)); break;
      case Imm.Tag: this.a = this.index(Space.Tag); break;
      case Imm.Data: this.a = this.index(Space.Data); break;
      case Imm.Elem: this.a = this.index(Space.Elem); break;
      case Imm.MemMem: case Imm.TableTable: {
        const space = OP_IMM[op] === Imm.MemMem ? Space.Memory : Space.Table;
        const x = this.optIndex(space);
        if (x >= 0) {
          this.a = x;
          this.b = this.index(space);
        }
        break;
      }
      case Imm.DataMem: case Imm.ElemTable: {
        // `memory.init mem? data`, `table.init table? elem`; binary order: segment, then memory/table.
        const [space, seg] = OP_IMM[op] === Imm.DataMem ? [Space.Memory, Space.Data] : [Space.Table, Space.Elem];
        const save = lex.save();
        lex.next();
        const two = lex.next() === Tok.Id || (lex.tok === Tok.Atom && this.atNatToken());
        lex.restore(save);
        if (two) this.b = this.index(space);
        this.a = this.index(seg);
        break;
      }
      case Imm.MemargLane: {
        // `memidx? offset? align? lane`: a leading nat is the memory only if more follows.
        const t = lex.next();
        let mem = -1;
        if (t === Tok.Id) mem = this.lookup(Space.Memory, lex.idName());
        else {
          lex.unread();
          if (this.atNat()) {
            const save = lex.save();
            const first = this.nat32();
            const u = lex.next();
            lex.unread();
            if (u === Tok.Atom && (this.atNat() || this.isMemargKey())) mem = first;
            else lex.restore(save);
          }
        }
        this.memargRest(op, mem);
        this.a |= this.lane() << 8;
        break;
      }
      case Imm.Lane: this.a = this.lane(); break;
      case Imm.V128: this.v128Literal(); break;
      case Imm.Shuffle: this.shuffle(); break;
      case Imm.HeapType: {
        const nullable = NULL_VARIANT.get(op);
        if (nullable !== undefined) {
          const t = this.refType();
          this.a = refHeap(t);
          if ((t & 0xff) !== REF) return nullable;
        } else {
          this.a = this.heapType();
        }
        break;
      }
      case Imm.SelectT: break;
      case Imm.StructField: {
        const type = this.index(Space.Type);
        this.a = type;
        const t = lex.next();
        if (t === Tok.Id) {
          const id = lex.idName();
          if (type >= this.m.types.length) this.parseAllTypes();
          const index = this.fieldNames[type]?.get(id);
          if (index === undefined) this.fail(`unknown field $${id}`);
          this.b = index;
        } else {
          lex.unread();
          this.b = this.nat32();
        }
        break;
      }
      case Imm.TypeN: this.a = this.index(Space.Type); this.b = this.nat32(); break;
      case Imm.TypeData: this.a = this.index(Space.Type); this.b = this.index(Space.Data); break;
      case Imm.TypeElem: this.a = this.index(Space.Type); this.b = this.index(Space.Elem); break;
      case Imm.TypeType: this.a = this.index(Space.Type); this.b = this.index(Space.Type); break;
      case Imm.BrOnCast: {
        this.b = this.labelIndex();
        const t1 = this.refType();
        const t2 = this.refType();
        this.a = ((t1 & 0xff) !== REF ? 1 : 0) | ((t2 & 0xff) !== REF ? 2 : 0);
        this.c = refHeap(t1);
        this.d = refHeap(t2);
        break;
      }
      case Imm.Zero: break;
    }
    if (op === Op.select) {
      // `select (result t*)*` is the typed select.
      const types: ValType[] = [];
      let typed = false;
      while (this.form(KW.result)) {
        typed = true;
        while (lex.next() !== Tok.RParen) types.push(this.valTypeAt(lex.tok));
      }
      if (typed) {
        this.a = this.body.pushExtra(types);
        this.b = types.length;
        return Op.select_t;
      }
    }
    return op;
  }

  /** A nat index if one comes next (consumed), else -1 (nothing consumed). */
  private numericIndex(): number {
    const lex = this.lex;
    const fast = lex.plainNat();
    if (fast >= 0) return fast;
    if (lex.next() === Tok.Atom) {
      const v = readNat32(this.src, lex.start, lex.end);
      if (v >= 0) return v;
    }
    lex.unread();
    return -1;
  }

  private localIndex(): number {
    const lex = this.lex;
    const t = lex.next();
    if (t === Tok.Atom) {
      const v = readNat32(this.src, lex.start, lex.end);
      if (v >= 0) return v;
      lex.unread();
      return this.nat32();
    }
    if (t !== Tok.Id) this.unexpected();
    const name = lex.idName();
    const index = this.locals?.get(name);
    if (index === undefined) this.fail(`unknown local $${name}`);
    return index;
  }

  private isMemargKey(): boolean {
    const lex = this.lex;
    const src = this.src;
    const s = lex.start;
    const n = lex.end - s;
    return (n > 7 && src[s] === 0x6f && src[s + 6] === 0x3d) || (n > 6 && src[s] === 0x61 && src[s + 5] === 0x3d);
  }

  /** `memidx? offset=n? align=n?` into a-d. */
  private memarg(op: number): void {
    const lex = this.lex;
    const t = lex.next();
    let mem = -1;
    if (t === Tok.Id) mem = this.lookup(Space.Memory, lex.idName());
    else {
      lex.unread();
      if (t === Tok.Atom && this.atNat()) mem = this.nat32();
    }
    this.memargRest(op, mem);
  }

  private memargRest(op: number, mem: number): void {
    const lex = this.lex;
    const src = this.src;
    let align = OPS[op].align;
    this.c = 0;
    this.d = 0;
    let t = lex.next();
    if (t === Tok.Atom && lex.end - lex.start > 7 && src[lex.start] === 0x6f && this.startsWith('offset=')) {
      const s = lex.start + 7;
      const v = readNat32(src, s, lex.end);
      if (v >= 0) this.c = v | 0;
      else {
        const big = readNat64(src, s, lex.end);
        if (big === null) {
          if (natMalformed) this.fail(`unknown operator ${lex.text()}`);
          this.fail('i64 constant out of range');
        }
        this.c = Number(big & 0xffffffffn) | 0;
        this.d = Number(big >> 32n) | 0;
      }
      t = lex.next();
    }
    if (t === Tok.Atom && lex.end - lex.start > 6 && src[lex.start] === 0x61 && this.startsWith('align=')) {
      const small = readNat32(src, lex.start + 6, lex.end);
      if (small > 0 && (small & (small - 1)) === 0) {
        align = 31 - Math.clz32(small); // the usual case, without a bigint
      } else {
        const big = readNat64(src, lex.start + 6, lex.end);
        if (big === null) {
          if (natMalformed) this.fail(`unknown operator ${lex.text()}`);
          this.fail('i64 constant out of range');
        }
        if (big === 0n || (big & (big - 1n)) !== 0n) this.fail('alignment must be a power of two');
        align = big.toString(2).length - 1;
      }
    } else {
      lex.unread();
    }
    // An explicit memory index, even 0, keeps the multi-memory form (flag 0x40).
    this.a = align | (mem >= 0 ? 0x40 : 0);
    this.b = mem > 0 ? mem : 0;
  }

  private startsWith(prefix: string): boolean {
    const src = this.src;
    const s = this.lex.start;
    for (let i = 0; i < prefix.length; i++) if (src[s + i] !== prefix.charCodeAt(i)) return false;
    return true;
  }

  /** A lane index: a nat below 256. */
  private lane(): number {
    const lex = this.lex;
    if (lex.next() !== Tok.Atom || !this.atNatToken()) this.unexpected();
    const v = readNat32(this.src, lex.start, lex.end);
    if (v === -2) this.unexpected();
    if (v < 0 || v > 255) this.fail('i8 constant out of range');
    return v;
  }

  /** Whether the current token starts like a nat. */
  private atNatToken(): boolean {
    const c = this.src[this.lex.start];
    return c >= 0x30 && c <= 0x39;
  }

  /** Fails for a literal that did not convert: not a number at all, or out of range. */
  private literalError(r: Lit): never {
    const lex = this.lex;
    if (r === Lit.OutOfRange || isFloatLiteral(this.src, lex.start, lex.end)) this.fail('constant out of range');
    return this.unexpected();
  }

  private i32Literal(): number {
    const lex = this.lex;
    if (lex.next() !== Tok.Atom) this.unexpected();
    const r = readI32(this.src, lex.start, lex.end);
    if (r !== Lit.Ok) this.literalError(r);
    return NUM.lo;
  }

  private i64Literal(): void {
    const lex = this.lex;
    if (lex.next() !== Tok.Atom) this.unexpected();
    const r = readI64(this.src, lex.start, lex.end);
    if (r !== Lit.Ok) this.literalError(r);
    this.a = NUM.lo;
    this.b = NUM.hi;
  }

  private f32Literal(): void {
    const lex = this.lex;
    if (lex.next() !== Tok.Atom) this.unexpected();
    const r = readF32(this.src, lex.start, lex.end);
    if (r !== Lit.Ok) this.literalError(r);
    this.a = NUM.lo;
  }

  private f64Literal(): void {
    const lex = this.lex;
    if (lex.next() !== Tok.Atom) this.unexpected();
    const r = readF64(this.src, lex.start, lex.end);
    if (r !== Lit.Ok) this.literalError(r);
    this.a = NUM.lo;
    this.b = NUM.hi;
  }

  /**
   * Lane literals up to the next keyword or parenthesis, converted by `lane` into V128;
   * returns how many there were.
   */
  private lanes(max: number, lane: (s: number, e: number, i: number) => Lit): number {
    const lex = this.lex;
    let n = 0;
    for (;;) {
      const t = lex.next();
      if (t !== Tok.Atom || lex.keyword() >= 0) {
        lex.unread();
        return n;
      }
      const r = n < max ? lane(lex.start, lex.end, n) : isFloatLiteral(this.src, lex.start, lex.end) ? Lit.Ok : Lit.Malformed;
      if (r !== Lit.Ok) this.literalError(r);
      n++;
    }
  }

  /** `v128.const shape lane*` into a-d (little-endian words). */
  private v128Literal(): void {
    const shape = SHAPES.get(this.keyword());
    if (!shape) this.unexpected();
    const src = this.src;
    const n = this.lanes(shape.lanes, (s, e, i) => writeLane(src, s, e, shape.kind, i));
    if (n !== shape.lanes) this.fail('wrong number of lane literals');
    this.a = LANES.getInt32(0, true);
    this.b = LANES.getInt32(4, true);
    this.c = LANES.getInt32(8, true);
    this.d = LANES.getInt32(12, true);
  }

  private shuffle(): void {
    const src = this.src;
    const n = this.lanes(16, (s, e, i) => {
      const v = readNat32(src, s, e);
      if (v < 0 || v > 255) this.fail('i8 constant out of range', s);
      LANES.setUint8(i, v);
      return Lit.Ok;
    });
    if (n !== 16) this.fail('invalid lane length');
    this.a = LANES.getInt32(0, true);
    this.b = LANES.getInt32(4, true);
    this.c = LANES.getInt32(8, true);
    this.d = LANES.getInt32(12, true);
  }

  // ---- annotations -----------------------------------------------------------------------

  /** A branch hint recorded since the last instruction: its value, for instruction `op` starting now. */
  private takeHint(op: number): number {
    const anns = this.lex.annotations;
    let value = -1;
    for (; this.hintsSeen < anns.length; this.hintsSeen++) {
      const a = anns[this.hintsSeen];
      if (a.name !== 'metadata.code.branch_hint') continue;
      if (!this.inFunc) this.fail('@metadata.code.branch_hint annotation: not in a function', a.start);
      if (value >= 0) this.fail('@metadata.code.branch_hint annotation: duplicate annotation', a.start);
      value = hintValue(a, (msg, at) => this.fail(msg, at));
      // The branch-hint section only describes conditional branches.
      if (op !== Op.if && op !== Op.br_if) this.fail('@metadata.code.branch_hint annotation: invalid target', a.start);
    }
    return value;
  }

  /** Hints not followed by an instruction: outside a function, or at a function's end. */
  private flushHints(outside: boolean): void {
    const anns = this.lex.annotations;
    for (; this.hintsSeen < anns.length; this.hintsSeen++) {
      const a = anns[this.hintsSeen];
      if (a.name !== 'metadata.code.branch_hint') continue;
      this.fail(outside ? '@metadata.code.branch_hint annotation: not in a function' : '@metadata.code.branch_hint annotation: invalid placement', a.start);
    }
  }

  /**
   * `(@name "…")` annotations between a definition's keyword and the next token (the
   * module field so far) name the entity being defined.
   */
  private claimName(field: (typeof NAME_FIELDS)[number], index: number): void {
    const lex = this.lex;
    const anns = lex.annotations;
    // Peek first: the annotations after the id are recorded when the lexer passes them.
    lex.next();
    lex.unread();
    if (anns.length === this.annotationsFrom) return;
    const limit = lex.start;
    for (let i = this.annotationsFrom; i < anns.length; i++) {
      const a = anns[i];
      if (a.name !== 'name' || a.start < this.fieldStart || a.start > limit || this.claimed.has(a)) continue;
      this.claimed.add(a);
      this.setName(field, annotationName(a, (msg, at) => this.fail(msg, at)), index);
    }
  }

  private claimModuleName(firstFieldStart: number): void {
    const anns = this.lex.annotations;
    let seen = false;
    for (let i = this.annotationsFrom; i < anns.length; i++) {
      const a = anns[i];
      if (a.name !== 'name' || a.start > firstFieldStart) continue;
      if (seen) this.fail('@name annotation: multiple module names', a.start);
      seen = true;
      this.claimed.add(a);
      this.setName('module', annotationName(a, (msg, at) => this.fail(msg, at)));
    }
  }

  // ---- the end ---------------------------------------------------------------------------

  private finish(): Module {
    const m = this.m;
    this.flushHints(true);
    const anns = this.lex.annotations;
    const customs: { custom: Custom; rank: number; at: number }[] = [];
    for (let i = this.annotationsFrom; i < anns.length; i++) {
      const a = anns[i];
      if (a.name === 'name' && !this.claimed.has(a)) this.fail('misplaced @name annotation', a.start);
      if (a.name === 'custom') {
        if (this.insideField(a.start)) this.fail('misplaced @custom annotation', a.start);
        customs.push(customSection(a, (msg, at) => this.fail(msg, at)));
      }
    }
    if (this.hintSections.length) {
      const bytes = encodeBranchHintSection(new Map(this.hintSections.map(({ func, hints }) => [func, encodeFuncHints(hints)])));
      // Before the code section: after the data count slot.
      customs.push({ custom: { name: BRANCH_HINTS, bytes, after: 12 }, rank: SLOT_RANK.get(12)! * 2 + 1, at: 0 });
    }
    customs.sort((x, y) => x.rank - y.rank || x.at - y.at);
    m.customs = customs.map((c) => c.custom);
    m.hasDataCount = this.usesData;
    if (this.hasNames) m.names = this.names;
    return m;
  }

  private insideField(at: number): boolean {
    const spans = this.fieldSpans;
    for (let i = 0; i < spans.length; i += 2) if (at > spans[i] && at < spans[i + 1]) return true;
    return false;
  }
}

// ---- helpers -------------------------------------------------------------------------------

/** Scratch for v128 literals: lanes are written here by `writeLane`. */
export const LANES = new DataView(new ArrayBuffer(16));

/** Converts one lane literal of a v128 shape into lane `i` of V128. */
export function writeLane(src: Uint8Array, s: number, e: number, kind: LaneKind, i: number): Lit {
  let r: Lit;
  switch (kind) {
    case 'i8': case 'i16': {
      r = readI32(src, s, e);
      // An i8/i16 lane takes the signed and the unsigned range of its width.
      const lim = kind === 'i8' ? 0x80 : 0x8000;
      if (r === Lit.Ok && (NUM.lo < -lim || NUM.lo >= 2 * lim)) r = Lit.OutOfRange;
      if (r === Lit.Ok) {
        if (kind === 'i8') LANES.setUint8(i, NUM.lo & 0xff);
        else LANES.setUint16(i * 2, NUM.lo & 0xffff, true);
      }
      return r;
    }
    case 'i32': r = readI32(src, s, e); if (r === Lit.Ok) LANES.setInt32(i * 4, NUM.lo, true); return r;
    case 'f32': r = readF32(src, s, e); if (r === Lit.Ok) LANES.setInt32(i * 4, NUM.lo, true); return r;
    default:
      r = kind === 'i64' ? readI64(src, s, e) : readF64(src, s, e);
      if (r === Lit.Ok) {
        LANES.setInt32(i * 8, NUM.lo, true);
        LANES.setInt32(i * 8 + 4, NUM.hi, true);
      }
      return r;
  }
}

type Fail = (message: string, at: number) => never;

function hintValue(a: Annotation, fail: Fail): number {
  const bytes: number[] = [];
  for (const item of a.items) {
    if (item.kind !== 'string') fail('@metadata.code.branch_hint annotation: unexpected token', item.start);
    bytes.push(...item.bytes);
  }
  if (bytes.length !== 1 || bytes[0] > 1) fail('@metadata.code.branch_hint annotation: invalid hint value', a.start);
  return bytes[0];
}

function annotationName(a: Annotation, fail: Fail): string {
  const [first, ...rest] = a.items;
  if (!first || first.kind !== 'string') fail('@name annotation: string expected', a.start);
  if (rest.length) fail('@name annotation: unexpected token', rest[0].start);
  const name = decodeUtf8(first.bytes);
  if (name === null) fail('malformed UTF-8 encoding', first.start);
  return name;
}

/** A `(@custom "name" (before|after section)? "bytes"*)` annotation as a custom section. */
function customSection(a: Annotation, fail: Fail): { custom: Custom; rank: number; at: number } {
  const items = a.items;
  let i = 0;
  const first = items[i++];
  if (!first || first.kind !== 'string') return fail('@custom annotation: missing section name', a.start);
  const name = decodeUtf8(first.bytes);
  if (name === null) return fail('@custom annotation: malformed UTF-8 encoding', first.start);
  // Default placement: after the last section.
  let after = 11;
  let before = false;
  const place = items[i];
  if (place && place.kind === 'parens') {
    i++;
    const [dir, sec, ...more] = place.items;
    if (!dir || dir.kind !== 'atom' || (dir.text !== 'before' && dir.text !== 'after')) {
      return fail('@custom annotation: malformed placement', place.start);
    }
    if (!sec || sec.kind !== 'atom') return fail('@custom annotation: malformed section kind', place.start);
    const id = sec.text === 'first' ? 1 : sec.text === 'last' ? 11 : SECTION_IDS.get(sec.text);
    if (id === undefined) return fail('@custom annotation: malformed section kind', sec.start);
    if (more.length) fail('@custom annotation: unexpected token', more[0].start);
    before = dir.text === 'before';
    if (before) {
      const k = SECTION_ORDER.indexOf(id);
      after = k === 0 ? 0 : SECTION_ORDER[k - 1];
    } else after = id;
  }
  const parts: Uint8Array[] = [];
  for (; i < items.length; i++) {
    const item: AnnotItem = items[i];
    if (item.kind !== 'string') fail('@custom annotation: unexpected token', item.start);
    parts.push(item.bytes);
  }
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return { custom: { name, bytes, after }, rank: SLOT_RANK.get(after)! * 2 + (before ? 1 : 0), at: a.start };
}

/**
 * Parses a module in the text format: `(module …)` or its fields alone.
 * Throws TextParseError (with line and column) on malformed text.
 */
export function parseModule(text: string | Uint8Array, file = '<input>'): Module {
  const lex = new Lexer(sourceBytes(text), file);
  return new ModuleParser(lex).parseSource();
}

/** Whether an error is a located text-format error. */
export const isTextParseError = (e: unknown): e is TextParseError => e instanceof TextParseError;
