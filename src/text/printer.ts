/**
 * The text-format printer: Module → WebAssembly 3.0 text (`.wat`), as the spec's
 * reference interpreter and wasm-tools read it back.
 *
 * Design:
 * - **Driven by the opcode table.** Mnemonics and immediate kinds come from `OPS`; the
 *   only per-op knowledge here is derived from it (`ref.test_null` prints as
 *   `ref.test (ref null ht)`), plus the operand counts of the few untyped ops that
 *   folding uses (local/global access, call, drop, select, ref.null, ref.func).
 * - **Exact.** Every index is printed as it is in the binary (`(type N)` on every
 *   function, block and call_indirect, so no type is created or merged on reassembly).
 *   Floats: f64 as JavaScript's shortest round-tripping decimal; f32 as the shortest
 *   decimal that a correctly rounding parser maps back to the same bits (checked
 *   against the rounding interval, so double rounding cannot bite); NaNs as
 *   `nan:0x<payload>` (`nan` for the canonical one), infinities as `inf`, and the sign
 *   from the bit pattern (so `-0`). i64 is printed from its two int32 halves.
 * - **Names** come from the name section as `$id`s, `$"..."` when the name is not a
 *   plain identifier. Ids are unique per index space (per function for locals and
 *   labels, per type for fields): the first holder of a name keeps it, later ones get
 *   `name#<space><index>` (a fresh suffix if even that is taken). Functions, tags and the
 *   module then carry `(@name "original")`, the annotation the reference interpreter
 *   accepts there, so their names survive exactly.
 * - **Custom sections** print as `(@custom "name" (after|before section) "bytes")`,
 *   anchored to a section that exists in the reassembled module (an empty section or
 *   the data count section is not written by assemblers). A well-formed
 *   `metadata.code.branch_hint` section prints as `(@metadata.code.branch_hint "\01")`
 *   before each hinted `if`/`br_if` instead; one whose offsets do not all land on an
 *   `if`/`br_if` is kept as a raw `@custom`.
 * - **Iterative and streaming.** Bodies are walked as the flat IR they are, with explicit
 *   label and frame stacks, so a million nested blocks print like a flat run
 *   (indentation stops growing at MAX_INDENT). Text is handed to `write` in chunks, so a
 *   module whose text exceeds V8's string limit still prints through `printModuleTo`.
 * - **Folded** output (`folded: true`) nests block/loop/if/try_table bodies as
 *   S-expressions (legacy `try` stays `try ... catch ... end`, since wasm-tools reads no
 *   folded `(try (do ...))`) and folds the operands of instructions whose operand and result
 *   counts are known (each operand a single-result expression just before it). A folded
 *   expression is the same instruction sequence as its flat form, so folding can never
 *   change meaning, even in unreachable code; it only stops at MAX_FOLD_DEPTH so that
 *   recursive parsers can read the output.
 */
import { BRANCH_HINTS } from '../binary/branch-hints.js';
import { Cursor } from '../binary/cursor.js';
import { decodeExpr, decodeFunc, SECTION_ORDER, SectionId } from '../binary/decode.js';
import { Body } from '../ir/body.js';
import { ExternKind, type Custom, type Expr, type Module, type NameMap } from '../ir/module.js';
import { Imm, Op, OP_BY_NAME, OP_IMM, OPS } from '../ir/opcodes.js';
import { heapIndex, heapTypeName, isExactHeap, REF, REF_NULL, valTypeName, type FuncType, type HeapType, type Limits, type ValType } from '../ir/types.js';

export interface PrintOptions {
  /** Print bodies as folded S-expressions (default: flat instructions, indented). */
  folded?: boolean;
  /** Called before each function is printed (for a progress display). */
  progress?: (done: number, total: number) => void;
}

/** The module as text. For modules whose text may exceed V8's string limit, use printModuleTo. */
export function printModule(m: Module, options: PrintOptions = {}): string {
  const chunks: string[] = [];
  printModuleTo(m, (chunk) => chunks.push(chunk), options);
  return chunks.join('');
}

/** Prints the module as text, handing it to `write` in chunks of about CHUNK characters. */
export function printModuleTo(m: Module, write: (chunk: string) => void, options: PrintOptions = {}): void {
  new Printer(m, write, options.folded === true, options.progress ?? null).module();
}

// Small enough that a chunk's rope of pieces stays in cache while it is flattened and
// encoded: measured ~15% faster on ffmpeg-core than 1 MiB chunks.
const CHUNK = 1 << 15;
/** Nesting beyond this is printed at this indentation (the text of deep nests stays linear). */
const MAX_INDENT = 32;
const INDENT: string[] = Array.from({ length: MAX_INDENT + 1 }, (_, i) => '  '.repeat(i));
const NL_INDENT: string[] = INDENT.map((indent) => `\n${indent}`);
/** Texts of instructions with a small unnamed immediate (`local.get 3`), by (op << 8) | value, made on first use. */
const SMALL: string[] = new Array<string>(OPS.length << 8).fill('');
/** Deepest operand nesting folded into one expression. */
const MAX_FOLD_DEPTH = 32;

// ---- per-op facts derived from the opcode table -------------------------------------------

/** How a HeapType immediate prints: a bare heap type, `(ref ht)` or `(ref null ht)`. */
const enum HeapForm { Bare, Ref, RefNull }
const MNEMONIC: string[] = [];
const HEAP_FORM = new Uint8Array(OPS.length);
/** Operand and result counts of ops with a fixed signature; -1 where the validator types the op. */
const PARAMS = new Int8Array(OPS.length).fill(-1);
const RESULTS = new Int8Array(OPS.length).fill(-1);
for (const info of OPS) {
  let name = info.name;
  if (info.imm === Imm.HeapType) {
    // `ref.test_null` is the table's name for `ref.test (ref null ht)` (the binary has one opcode per nullability).
    if (name.endsWith('_null')) {
      name = name.slice(0, -'_null'.length);
      HEAP_FORM[info.id] = HeapForm.RefNull;
    } else if (OP_BY_NAME.has(`${name}_null`)) {
      HEAP_FORM[info.id] = HeapForm.Ref;
    }
  }
  MNEMONIC[info.id] = name;
  if (info.params !== null && info.results !== null) {
    PARAMS[info.id] = info.params.length;
    RESULTS[info.id] = info.results.length;
  }
}
for (const [op, p, r] of [
  [Op.local_get, 0, 1], [Op.local_set, 1, 0], [Op.local_tee, 1, 1], [Op.global_get, 0, 1], [Op.global_set, 1, 0],
  [Op.drop, 1, 0], [Op.select, 3, 1], [Op.ref_null, 0, 1], [Op.ref_func, 0, 1],
]) {
  PARAMS[op] = p;
  RESULTS[op] = r;
}
/** Ops that continue a block at its own indentation: else, catch, catch_all. */
const MID_BLOCK = new Uint8Array(OPS.length);
MID_BLOCK[Op.else] = MID_BLOCK[Op.catch] = MID_BLOCK[Op.catch_all] = 1;
/** Ops that open, continue or close a block: never folded on their own. */
const STRUCTURAL = new Uint8Array(OPS.length);
for (const info of OPS) if (info.imm === Imm.Block || info.imm === Imm.TryTable) STRUCTURAL[info.id] = 1;
STRUCTURAL[Op.else] = STRUCTURAL[Op.catch] = STRUCTURAL[Op.catch_all] = STRUCTURAL[Op.delegate] = STRUCTURAL[Op.end] = 1;
const HINTABLE = new Uint8Array(OPS.length);
HINTABLE[Op.if] = HINTABLE[Op.br_if] = 1;

const CATCH_NAMES = ['catch', 'catch_ref', 'catch_all', 'catch_all_ref'];

/** Text keyword of each known section, for `@custom` placement. */
const SECTION_KEYWORD: Record<number, string> = {
  [SectionId.type]: 'type', [SectionId.import]: 'import', [SectionId.function]: 'func', [SectionId.table]: 'table',
  [SectionId.memory]: 'memory', [SectionId.tag]: 'tag', [SectionId.global]: 'global', [SectionId.export]: 'export',
  [SectionId.start]: 'start', [SectionId.element]: 'elem', [SectionId.dataCount]: 'datacount', [SectionId.code]: 'code',
  [SectionId.data]: 'data',
};

// ---- literals -----------------------------------------------------------------------------

const ID_RE = /^[0-9A-Za-z!#$%&'*+\-./:<=>?@\\^_`|~]+$/;
const HEX = '0123456789abcdef';
/** Each byte as it appears inside a text string. */
const BYTE_TEXT: string[] = Array.from({ length: 256 }, (_, b) =>
  b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\${HEX[b >> 4]}${HEX[b & 15]}`);

/** A string literal of `bytes`. */
function bytesText(bytes: Uint8Array): string {
  let s = '"';
  let piece = '';
  for (let i = 0; i < bytes.length; i++) {
    piece += BYTE_TEXT[bytes[i]];
    // Concatenating into a short piece first keeps the rope shallow for large segments.
    if ((i & 4095) === 4095) {
      s += piece;
      piece = '';
    }
  }
  return `${s}${piece}"`;
}

const utf8 = new TextEncoder();
/**
 * A string literal of a name (a JS string): controls, `"` and `\` escaped, other
 * characters as they are except the bidirectional formatting controls, escaped as their
 * UTF-8 bytes because readers reject them raw (they can make text read unlike its meaning).
 */
function nameText(name: string): string {
  let s = '"';
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x80) s += BYTE_TEXT[c];
    else if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x206f)) for (const b of utf8.encode(name[i])) s += BYTE_TEXT[b];
    else s += name[i];
  }
  return `${s}"`;
}

/** `$name`, or `$"name"` when the name is not made of identifier characters. */
function idText(name: string): string {
  return ID_RE.test(name) ? `$${name}` : `$${nameText(name)}`;
}

const scratchView = new DataView(new ArrayBuffer(8));

function f32Text(bits: number): string {
  const sign = bits < 0 ? '-' : '';
  const abs = bits & 0x7fffffff;
  if (abs >= 0x7f800000) {
    const payload = abs & 0x7fffff;
    if (payload === 0) return `${sign}inf`;
    return payload === 0x400000 ? `${sign}nan` : `${sign}nan:0x${payload.toString(16)}`;
  }
  if (abs === 0) return `${sign}0`;
  return sign + shortestF32(abs);
}

const f32Of = (bits: number): number => {
  scratchView.setInt32(0, bits, true);
  return scratchView.getFloat32(0, true);
};

/**
 * The shortest decimal that rounds to the positive finite f32 with bits `abs`. A candidate
 * is accepted when its nearest double lies strictly inside the f32's rounding interval:
 * rounding to the nearest double is monotonic and the interval ends are doubles, so the
 * decimal itself is then inside too, and a correctly rounding f32 parser returns `abs`.
 */
function shortestF32(abs: number): string {
  const v = f32Of(abs);
  const below = f32Of(abs - 1);
  const lo = (below + v) / 2;
  const hi = abs === 0x7f7fffff ? v + (v - below) / 2 : (v + f32Of(abs + 1)) / 2;
  for (let digits = 1; digits < 9; digits++) {
    const d = Number(v.toPrecision(digits));
    if (d > lo && d < hi) return String(d);
  }
  // 9 significant digits always identify an f32.
  return String(Number(v.toPrecision(9)));
}

function f64Text(lo: number, hi: number): string {
  const sign = hi < 0 ? '-' : '';
  const absHi = hi & 0x7fffffff;
  if (absHi >= 0x7ff00000) {
    const top = absHi & 0xfffff;
    if (top === 0 && lo === 0) return `${sign}inf`;
    if (top === 0x80000 && lo === 0) return `${sign}nan`;
    const low = (lo >>> 0).toString(16);
    return `${sign}nan:0x${top === 0 ? low : top.toString(16) + '0'.repeat(8 - low.length) + low}`;
  }
  scratchView.setInt32(0, lo, true);
  scratchView.setInt32(4, absHi, true);
  // JavaScript's Number→string is the shortest decimal that reads back as the same double.
  return sign + String(scratchView.getFloat64(0, true));
}

/** A signed i64 from its halves. */
function i64Text(lo: number, hi: number): string {
  if ((hi === 0 && lo >= 0) || (hi === -1 && lo < 0)) return String(lo);
  // Exact in a double while |value| < 2^53.
  if (hi >= -0x200000 && hi < 0x200000) return String(hi * 4294967296 + (lo >>> 0));
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo >>> 0)).toString();
}

/** An unsigned u64 from its halves. */
function u64Text(lo: number, hi: number): string {
  if (hi === 0) return String(lo >>> 0);
  if (hi > 0 && hi < 0x200000) return String(hi * 4294967296 + (lo >>> 0));
  return ((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)).toString();
}

/** `mnemonic index` for an unsigned immediate, cached while small. */
function small(op: number, value: number): string {
  if (value >>> 8 !== 0) return `${MNEMONIC[op]} ${value >>> 0}`;
  const key = (op << 8) | value;
  return SMALL[key] || (SMALL[key] = `${MNEMONIC[op]} ${value}`);
}

const hex32 = (x: number): string => {
  const h = (x >>> 0).toString(16);
  return `0x${'0'.repeat(8 - h.length)}${h}`;
};

// ---- names --------------------------------------------------------------------------------

/** Text ids of one index space, and the entries whose id is not their name. */
interface Ids {
  ids: (string | undefined)[];
  renamed: Map<number, string> | null;
}

/**
 * Unique ids for the names of an index space of `count` entries (see the file comment).
 * `space` goes into the suffix of renamed duplicates (`f#func12`).
 */
function assignIds(map: NameMap | undefined, count: number, space: string): Ids | null {
  if (!map || map.size === 0) return null;
  const entries = [...map].filter(([i]) => i < count).sort((a, b) => a[0] - b[0]);
  // Sparse: an invalid module may declare billions of locals.
  const ids: (string | undefined)[] = [];
  const taken = new Set<string>();
  const clashes: [number, string][] = [];
  for (const [i, name] of entries) {
    if (name !== '' && !taken.has(name)) {
      taken.add(name);
      ids[i] = idText(name);
    } else {
      clashes.push([i, name]);
    }
  }
  let renamed: Map<number, string> | null = null;
  for (const [i, name] of clashes) {
    let id = `${name}#${space}${i}`;
    while (taken.has(id)) id += '#';
    taken.add(id);
    ids[i] = idText(id);
    (renamed ??= new Map()).set(i, name);
  }
  return { ids, renamed };
}

/**
 * Label ids by block ordinal. Unlike other spaces, labels may repeat a name (an inner one
 * shadows), so names are kept as they are; ids used twice go into `repeated`, for
 * branches to fall back to depths when shadowed.
 */
function labelIds(map: NameMap | undefined, count: number, repeated: Set<string>): (string | undefined)[] | null {
  if (!map || map.size === 0) return null;
  const ids: (string | undefined)[] = [];
  const seen = new Set<string>();
  for (const [i, name] of map) {
    if (i >= count || name === '') continue;
    const id = idText(name);
    ids[i] = id;
    if (seen.has(id)) repeated.add(id);
    seen.add(id);
  }
  return ids;
}

// ---- branch hints -------------------------------------------------------------------------

/** Branch hints of one function: instruction indices (ascending) and their annotations. */
interface FuncHints {
  at: number[];
  text: string[];
}

/** Where `func`'s decoded instruction offsets start counting, in the coordinates of Body.offsets. */
function bodyBase(m: Module, raw: Uint8Array): number {
  return m.source && raw.buffer === m.source.buffer ? raw.byteOffset - m.source.byteOffset : 0;
}

/**
 * The branch-hint section as per-function annotations, or null when it cannot be
 * expressed as annotations (malformed, out of order, a hint not on an if/br_if, or a
 * function whose body was replaced since it was read).
 */
function readBranchHints(m: Module, section: Custom): Map<number, FuncHints> | null {
  const imported = m.imports.filter((i) => i.kind === ExternKind.Func).length;
  const result = new Map<number, FuncHints>();
  const scratch = new Body().trackOffsets();
  try {
    const c = new Cursor(section.bytes);
    const nf = c.u32();
    let lastFunc = -1;
    for (let n = 0; n < nf; n++) {
      const index = c.u32();
      const f = m.funcs[index - imported];
      if (index <= lastFunc || !f || f.body || !f.raw) return null;
      lastFunc = index;
      const body = decodeFunc(m, f, scratch);
      const offsets = body.offsets!;
      const base = bodyBase(m, f.raw);
      const hints: FuncHints = { at: [], text: [] };
      const nh = c.u32();
      let j = 0;
      for (let h = 0; h < nh; h++) {
        const target = base + c.u32();
        const payload = c.bytes(c.u32());
        while (j < body.length && offsets[j] < target) j++;
        if (j === body.length || offsets[j] !== target || !HINTABLE[body.ops[j]]) return null;
        hints.at.push(j++);
        hints.text.push(`(@metadata.code.branch_hint ${bytesText(payload)})`);
      }
      result.set(index, hints);
    }
    return c.eof() ? result : null;
  } catch {
    return null;
  }
}

// ---- the printer --------------------------------------------------------------------------

const enum Frame { Block, If, Try }

class Printer {
  /** Text not yet handed to `write` (V8 concatenates into a rope, cheaper here than joining arrays). */
  private out = '';
  private readonly scratch = new Body(256);
  private readonly types: (string | undefined)[] = [];
  private readonly funcs: Ids | null;
  private readonly tables: Ids | null;
  private readonly memories: Ids | null;
  private readonly globals: Ids | null;
  private readonly elems: Ids | null;
  private readonly datas: Ids | null;
  private readonly tags: Ids | null;
  private readonly typeIds: Ids | null;
  private readonly fieldIds = new Map<number, (string | undefined)[] | null>();
  private readonly hints: Map<number, FuncHints> | null = null;
  private readonly hintSection: Custom | null = null;
  /** Type index of every function (imported first), for folding calls; built on first use. */
  private funcTypeIndex: number[] | null = null;
  // Per-function state.
  private locals: (string | undefined)[] | null = null;
  private labelIds: (string | undefined)[] | null = null;
  /** Label ids used more than once in the function (labels may shadow: names stay as they are). */
  private shadowable = new Set<string>();
  /** Label ordinals (block-starting instructions, in order) of the enclosing blocks. */
  private labelStack = new Int32Array(64);
  private sp = 0;
  private nextLabel = 0;

  constructor(
    private readonly m: Module,
    private readonly write: (chunk: string) => void,
    private readonly folded: boolean,
    private readonly progress: ((done: number, total: number) => void) | null,
  ) {
    const n = m.names;
    const count = (kind: ExternKind, defined: number): number => m.imports.filter((i) => i.kind === kind).length + defined;
    this.typeIds = assignIds(n?.types, m.types.length, 'type');
    this.funcs = assignIds(n?.functions, count(ExternKind.Func, m.funcs.length), 'func');
    this.tables = assignIds(n?.tables, count(ExternKind.Table, m.tables.length), 'table');
    this.memories = assignIds(n?.memories, count(ExternKind.Memory, m.memories.length), 'memory');
    this.globals = assignIds(n?.globals, count(ExternKind.Global, m.globals.length), 'global');
    this.tags = assignIds(n?.tags, count(ExternKind.Tag, m.tags.length), 'tag');
    this.elems = assignIds(n?.elems, m.elems.length, 'elem');
    this.datas = assignIds(n?.datas, m.datas.length, 'data');
    this.types = this.typeIds?.ids ?? [];
    const hintSections = m.customs.filter((c) => c.name === BRANCH_HINTS);
    if (hintSections.length === 1) {
      this.hints = readBranchHints(m, hintSections[0]);
      if (this.hints) this.hintSection = hintSections[0];
    }
  }

  private put(text: string): void {
    this.out += text;
  }
  private flush(force = false): void {
    if (force || this.out.length >= CHUNK) {
      this.write(this.out);
      this.out = '';
    }
  }

  // ---- references -------------------------------------------------------------------------

  private ref(ids: Ids | null, i: number): string {
    return ids?.ids[i] ?? String(i >>> 0);
  }
  private typeRef(i: number): string {
    return this.types[i] ?? String(i >>> 0);
  }
  /** ` $id`, or ` (;i;)` for an unnamed definition; with `(@name ...)` when the id is not the name. */
  private def(ids: Ids | null, i: number, annotate: boolean): string {
    const id = ids?.ids[i];
    if (id === undefined) return ` (;${i};)`;
    const original = annotate ? ids!.renamed?.get(i) : undefined;
    return original === undefined ? ` ${id}` : ` ${id} (@name ${nameText(original)})`;
  }

  private heap(h: HeapType): string {
    if (isExactHeap(h)) return `(exact ${this.typeRef(heapIndex(h))})`;
    return h >= 0 ? this.typeRef(h) : heapTypeName(h);
  }
  private valType(t: ValType): string {
    const c = t & 0xff;
    if (c === REF) return `(ref ${this.heap(t >> 8)})`;
    if (c === REF_NULL) return `(ref null ${this.heap(t >> 8)})`;
    return valTypeName(t);
  }
  private funcType(i: number): FuncType | null {
    const comp = this.m.types[i]?.comp;
    return comp?.kind === 'func' ? comp : null;
  }
  /** ` (type $t) (param ...) (result ...)`; params named by `locals` when given. */
  private typeUse(type: number, locals: (string | undefined)[] | null = null): string {
    let s = ` (type ${this.typeRef(type)})`;
    const ft = this.funcType(type);
    if (!ft) return s;
    if (locals) {
      for (let i = 0; i < ft.params.length; i++) {
        const id = locals[i];
        s += id === undefined ? ` (param ${this.valType(ft.params[i])})` : ` (param ${id} ${this.valType(ft.params[i])})`;
      }
    } else if (ft.params.length) {
      s += ` (param ${ft.params.map((t) => this.valType(t)).join(' ')})`;
    }
    if (ft.results.length) s += ` (result ${ft.results.map((t) => this.valType(t)).join(' ')})`;
    return s;
  }
  private limits(l: Limits): string {
    let s = l.addr64 ? ' i64 ' : ' ';
    s += String(l.min);
    if (l.max !== null) s += ` ${l.max}`;
    if (l.shared) s += ' shared';
    if (l.pageSizeLog2 !== null) s += ` (pagesize ${1n << BigInt(l.pageSizeLog2)})`;
    return s;
  }
  private fields(type: number): (string | undefined)[] | null {
    let ids = this.fieldIds.get(type);
    if (ids === undefined) {
      const comp = this.m.types[type]?.comp;
      const count = comp?.kind === 'struct' ? comp.fields.length : 1;
      ids = assignIds(this.m.names?.fields.get(type), count, 'field')?.ids ?? null;
      this.fieldIds.set(type, ids);
    }
    return ids;
  }

  // ---- instructions -----------------------------------------------------------------------

  private label(depth: number): string {
    const ids = this.labelIds;
    if (ids !== null && depth >= 0 && depth < this.sp) {
      const stack = this.labelStack;
      const id = ids[stack[this.sp - 1 - depth]];
      if (id !== undefined) {
        // A label inside the target with the same id would capture the reference.
        if (this.shadowable.has(id)) for (let j = 0; j < depth; j++) if (ids[stack[this.sp - 1 - j]] === id) return String(depth);
        return id;
      }
    }
    return String(depth >>> 0);
  }
  /** Opens a label: ` $name` when it has one. */
  private pushLabel(): string {
    const ord = this.nextLabel++;
    if (this.sp === this.labelStack.length) {
      const grown = new Int32Array(this.sp * 2);
      grown.set(this.labelStack);
      this.labelStack = grown;
    }
    this.labelStack[this.sp++] = ord;
    const id = this.labelIds?.[ord];
    return id === undefined ? '' : ` ${id}`;
  }
  private blockType(raw: number, heap: number): string {
    if (raw === -64) return '';
    if (raw >= 0) return ` (type ${this.typeRef(raw)})`;
    const code = raw + 0x80;
    return ` (result ${this.valType(code === REF || code === REF_NULL ? (heap << 8) | code : code)})`;
  }
  private memarg(imm: Int32Array, k: number, natural: number): string {
    const flags = imm[k] & 0xff;
    // Memory 0 is printed when the binary names it (flag 0x40), so the text keeps that form.
    let s = imm[k + 1] !== 0 || (flags & 0x40) !== 0 ? ` ${this.ref(this.memories, imm[k + 1])}` : '';
    if (imm[k + 2] !== 0 || imm[k + 3] !== 0) s += ` offset=${u64Text(imm[k + 2], imm[k + 3])}`;
    const align = flags & ~0x40;
    if (align !== natural) s += ` align=${align < 31 ? 1 << align : (1n << BigInt(align)).toString()}`;
    return s;
  }

  /**
   * The text of instruction i (mnemonic and immediates), keeping the label stack: block
   * starts push, `end` and `delegate` pop.
   */
  private instr(b: Body, i: number): string {
    const op = b.ops[i];
    const imm = b.imm;
    const k = i * 4;
    const name = MNEMONIC[op];
    switch (OP_IMM[op] as Imm) {
      case Imm.None:
        if (op === Op.end && this.sp > 0) this.sp--;
        return name;
      case Imm.Zero:
        return name;
      case Imm.Block:
        return name + this.pushLabel() + this.blockType(imm[k], imm[k + 1]);
      case Imm.Label:
        if (op === Op.delegate && this.sp > 0) this.sp--;
        return this.labelIds === null ? small(op, imm[k]) : `${name} ${this.label(imm[k])}`;
      case Imm.BrTable: {
        let s = name;
        const at = imm[k];
        for (let j = 0; j <= imm[k + 1]; j++) s += ` ${this.label(b.extra[at + j])}`;
        return s;
      }
      case Imm.Local:
        return this.locals === null ? small(op, imm[k]) : `${name} ${this.locals[imm[k]] ?? String(imm[k] >>> 0)}`;
      case Imm.Global:
        return this.globals === null ? small(op, imm[k]) : `${name} ${this.ref(this.globals, imm[k])}`;
      case Imm.Func:
        return `${name} ${this.ref(this.funcs, imm[k])}`;
      case Imm.Type:
        return `${name} ${this.typeRef(imm[k])}`;
      case Imm.CallIndirect:
        return `${name}${imm[k + 1] !== 0 ? ` ${this.ref(this.tables, imm[k + 1])}` : ''} (type ${this.typeRef(imm[k])})`;
      case Imm.Table:
        return `${name} ${this.ref(this.tables, imm[k])}`;
      case Imm.Mem:
        return imm[k] !== 0 ? `${name} ${this.ref(this.memories, imm[k])}` : name;
      case Imm.Data:
        return `${name} ${this.ref(this.datas, imm[k])}`;
      case Imm.Elem:
        return `${name} ${this.ref(this.elems, imm[k])}`;
      case Imm.Tag:
        return `${name} ${this.ref(this.tags, imm[k])}`;
      case Imm.Memarg:
        return name + this.memarg(imm, k, OPS[op].align);
      case Imm.MemargLane:
        return `${name}${this.memarg(imm, k, OPS[op].align)} ${imm[k] >>> 8}`;
      case Imm.MemMem:
        return imm[k] !== 0 || imm[k + 1] !== 0
          ? `${name} ${this.ref(this.memories, imm[k])} ${this.ref(this.memories, imm[k + 1])}` : name;
      case Imm.DataMem:
        return imm[k + 1] !== 0
          ? `${name} ${this.ref(this.memories, imm[k + 1])} ${this.ref(this.datas, imm[k])}`
          : `${name} ${this.ref(this.datas, imm[k])}`;
      case Imm.ElemTable:
        return imm[k + 1] !== 0
          ? `${name} ${this.ref(this.tables, imm[k + 1])} ${this.ref(this.elems, imm[k])}`
          : `${name} ${this.ref(this.elems, imm[k])}`;
      case Imm.TableTable:
        return `${name} ${this.ref(this.tables, imm[k])} ${this.ref(this.tables, imm[k + 1])}`;
      case Imm.I32:
        return imm[k] >= 0 ? small(op, imm[k]) : `${name} ${imm[k]}`;
      case Imm.I64:
        return `${name} ${i64Text(imm[k], imm[k + 1])}`;
      case Imm.F32:
        return `${name} ${f32Text(imm[k])}`;
      case Imm.F64:
        return `${name} ${f64Text(imm[k], imm[k + 1])}`;
      case Imm.V128:
        return `${name} i32x4 ${hex32(imm[k])} ${hex32(imm[k + 1])} ${hex32(imm[k + 2])} ${hex32(imm[k + 3])}`;
      case Imm.Lane:
        return `${name} ${imm[k]}`;
      case Imm.Shuffle: {
        let s = name;
        for (let j = 0; j < 16; j++) s += ` ${(imm[k + (j >> 2)] >>> ((j & 3) * 8)) & 0xff}`;
        return s;
      }
      case Imm.SelectT: {
        let s = `${name} (result`;
        for (let j = 0; j < imm[k + 1]; j++) s += ` ${this.valType(b.extra[imm[k] + j])}`;
        return `${s})`;
      }
      case Imm.HeapType: {
        const form = HEAP_FORM[op];
        const ht = this.heap(imm[k]);
        return form === HeapForm.Bare ? `${name} ${ht}` : `${name} (ref ${form === HeapForm.RefNull ? 'null ' : ''}${ht})`;
      }
      case Imm.StructField: {
        const field = this.fields(imm[k])?.[imm[k + 1]];
        return `${name} ${this.typeRef(imm[k])} ${field ?? String(imm[k + 1] >>> 0)}`;
      }
      case Imm.TypeN:
        return `${name} ${this.typeRef(imm[k])} ${imm[k + 1] >>> 0}`;
      case Imm.TypeData:
        return `${name} ${this.typeRef(imm[k])} ${this.ref(this.datas, imm[k + 1])}`;
      case Imm.TypeElem:
        return `${name} ${this.typeRef(imm[k])} ${this.ref(this.elems, imm[k + 1])}`;
      case Imm.TypeType:
        return `${name} ${this.typeRef(imm[k])} ${this.typeRef(imm[k + 1])}`;
      case Imm.BrOnCast: {
        const flags = imm[k];
        return `${name} ${this.label(imm[k + 1])} (ref ${flags & 1 ? 'null ' : ''}${this.heap(imm[k + 2])})` +
          ` (ref ${flags & 2 ? 'null ' : ''}${this.heap(imm[k + 3])})`;
      }
      case Imm.TryTable: {
        // Catch labels are resolved outside the try_table's own label.
        let catches = '';
        const at = imm[k + 2];
        for (let j = 0; j < imm[k + 3]; j++) {
          const kind = b.extra[at + j * 3];
          catches += ` (${CATCH_NAMES[kind]}`;
          if (kind <= 1) catches += ` ${this.ref(this.tags, b.extra[at + j * 3 + 1])}`;
          catches += ` ${this.label(b.extra[at + j * 3 + 2])})`;
        }
        return name + this.pushLabel() + this.blockType(imm[k], imm[k + 1]) + catches;
      }
      default:
        throw new Error(`printer: no text for immediate kind ${OP_IMM[op]} of op ${op}`);
    }
  }

  /**
   * A constant expression on one line, without its final `end`. Each instruction is
   * parenthesized, `(global.get 0) (ref.i31)`: some readers (binaryen) take initializers
   * only in folded form. An expression with block structure (invalid, but decodable)
   * prints plain.
   */
  private expr(e: Expr): { text: string; single: boolean } {
    const b = decodeExpr(e, this.scratch);
    this.labelIds = null;
    this.locals = null;
    this.sp = 0;
    this.nextLabel = 0;
    const n = b.length - 1;
    let structural = false;
    for (let i = 0; i < n; i++) if (STRUCTURAL[b.ops[i]]) structural = true;
    let text = '';
    for (let i = 0; i < n; i++) {
      if (i > 0) text += ' ';
      text += structural ? this.instr(b, i) : `(${this.instr(b, i)})`;
    }
    return { text, single: n === 1 && !structural };
  }
  /** A constant expression in a `(keyword ...)` field, which a single folded instruction may stand for. */
  private exprField(e: Expr, keyword: string): string {
    const { text, single } = this.expr(e);
    return single ? text : `(${keyword}${text ? ` ${text}` : ''})`;
  }

  /** A function body: locals, then instructions, flat or folded. */
  private body(index: number, funcType: number, b: Body): void {
    const n = this.m.names;
    const ft = this.funcType(funcType);
    const nParams = ft ? ft.params.length : 0;
    // Unnamed locals print as one `(local ...)` run; a named one gets its own.
    let run = '';
    let local = nParams;
    for (let g = 0; g < b.locals.length; g += 2) {
      const count = b.locals[g];
      const type = ` ${this.valType(b.locals[g + 1])}`;
      if (this.locals === null) {
        run += type.repeat(count);
        continue;
      }
      for (let c = 0; c < count; c++, local++) {
        const id = this.locals[local];
        if (id === undefined) {
          run += type;
        } else {
          if (run) this.put(`\n    (local${run})`);
          run = '';
          this.put(`\n    (local ${id}${type})`);
        }
      }
    }
    if (run) this.put(`\n    (local${run})`);
    this.labelIds = labelIds(n?.labels.get(index), b.length, (this.shadowable = new Set()));
    this.sp = 0;
    this.nextLabel = 0;
    const hints = this.hints?.get(index) ?? null;
    if (this.folded) this.foldedInstrs(b, hints);
    else this.flatInstrs(b, hints);
  }

  private flatInstrs(b: Body, hints: FuncHints | null): void {
    const base = 2;
    const ops = b.ops;
    let s = this.out;
    let hint = 0;
    let hintAt = hints ? hints.at[0] : -1;
    for (let i = 0, n = b.length - 1; i < n; i++) {
      const before = this.sp;
      const text = this.instr(b, i);
      let depth = this.sp < before ? this.sp : before;
      if (MID_BLOCK[ops[i]] && depth > 0) depth--;
      const indent = NL_INDENT[depth + base > MAX_INDENT ? MAX_INDENT : depth + base];
      if (i === hintAt) {
        s += indent + hints!.text[hint++];
        hintAt = hint < hints!.at.length ? hints!.at[hint] : -1;
      }
      s += indent + text;
      if ((i & 1023) === 1023 && s.length >= CHUNK) {
        this.write(s);
        s = '';
      }
    }
    this.out = s;
  }

  private foldedInstrs(b: Body, hints: FuncHints | null): void {
    const ops = b.ops;
    const imm = b.imm;
    let s = this.out;
    let depth = 2;
    const frames: Frame[] = [];
    // Single-result expressions not yet consumed, in order, with their nesting depth.
    const pending: string[] = [];
    const pendingDepth: number[] = [];
    const line = (text: string, shift = 0): void => {
      const d = depth + shift;
      s += NL_INDENT[d > MAX_INDENT ? MAX_INDENT : d] + text;
    };
    const flushPending = (): void => {
      for (let j = 0; j < pending.length; j++) line(pending[j]);
      pending.length = 0;
      pendingDepth.length = 0;
    };
    let hint = 0;
    let hintAt = hints ? hints.at[0] : -1;
    for (let i = 0, n = b.length - 1; i < n; i++) {
      const op = ops[i];
      let annotation: string | null = null;
      if (i === hintAt) {
        annotation = hints!.text[hint++];
        hintAt = hint < hints!.at.length ? hints!.at[hint] : -1;
      }
      const text = this.instr(b, i);
      const kind = OP_IMM[op];
      if (kind === Imm.Block || kind === Imm.TryTable) {
        let cond = '';
        // A hinted `if` keeps its condition outside, so the hint's target is the `if` for every reader.
        if (op === Op.if && annotation === null && pending.length > 0 && imm[i * 4] < 0) {
          cond = ` ${pending.pop()}`;
          pendingDepth.pop();
        }
        flushPending();
        if (annotation !== null) line(annotation);
        if (op === Op.try) {
          line(text);
          frames.push(Frame.Try);
        } else {
          line(`(${text}${cond}`);
          if (op === Op.if) {
            depth++;
            line('(then');
          }
          frames.push(op === Op.if ? Frame.If : Frame.Block);
        }
        depth++;
        continue;
      }
      const frame = frames.length ? frames[frames.length - 1] : null;
      if (op === Op.end && frame !== null) {
        flushPending();
        frames.pop();
        depth--;
        line(frame === Frame.Try ? text : ')');
        if (frame === Frame.If) {
          depth--;
          line(')');
        }
        continue;
      }
      if (op === Op.else && frame === Frame.If) {
        flushPending();
        line(')', -1);
        line('(else', -1);
        continue;
      }
      if ((MID_BLOCK[op] || op === Op.delegate) && frame === Frame.Try) {
        flushPending();
        line(text, -1);
        if (op === Op.delegate) {
          frames.pop();
          depth--;
        }
        continue;
      }
      let params = PARAMS[op];
      let results = RESULTS[op];
      if (op === Op.call) {
        const callee = this.calleeType(imm[i * 4]);
        if (callee) {
          params = callee.params.length;
          results = callee.results.length;
        }
      }
      let expr: string;
      let exprDepth = 1;
      if (annotation === null && params >= 0 && params <= pending.length) {
        let children = '';
        for (let j = pending.length - params; j < pending.length; j++) {
          children += ` ${pending[j]}`;
          if (pendingDepth[j] + 1 > exprDepth) exprDepth = pendingDepth[j] + 1;
        }
        if (exprDepth <= MAX_FOLD_DEPTH) {
          pending.length -= params;
          pendingDepth.length -= params;
          expr = `(${text}${children})`;
        } else {
          flushPending();
          expr = `(${text})`;
          exprDepth = 1;
        }
      } else {
        flushPending();
        expr = `(${text})`;
      }
      if (results === 1 && annotation === null) {
        pending.push(expr);
        pendingDepth.push(exprDepth);
      } else {
        flushPending();
        if (annotation !== null) line(annotation);
        line(expr);
      }
      if ((i & 1023) === 1023 && s.length >= CHUNK) {
        this.write(s);
        s = '';
      }
    }
    flushPending();
    this.out = s;
  }

  private calleeType(func: number): FuncType | null {
    if (this.funcTypeIndex === null) {
      this.funcTypeIndex = [];
      for (const imp of this.m.imports) if (imp.kind === ExternKind.Func) this.funcTypeIndex.push(imp.type);
      for (const f of this.m.funcs) this.funcTypeIndex.push(f.type);
    }
    const type = this.funcTypeIndex[func];
    return type === undefined ? null : this.funcType(type);
  }

  // ---- module fields ----------------------------------------------------------------------

  /** Fields print in the order of the binary's sections, each custom section beside the one it is anchored to. */
  module(): void {
    const m = this.m;
    let header = '(module';
    if (m.names?.module != null) {
      const name = m.names.module;
      header += name === '' ? ' (@name "")' : ` ${idText(name)}`;
    }
    this.put(header);
    const customs = this.placeCustoms();
    const emitCustoms = (section: number, before: boolean): void => {
      for (const c of customs) if (c.section === section && c.before === before) this.put(`\n  ${c.text}`);
    };
    emitCustoms(0, false);
    for (const id of SECTION_ORDER) {
      emitCustoms(id, true);
      switch (id) {
        case SectionId.type: this.typeFields(); break;
        case SectionId.import: this.importFields(); break;
        case SectionId.table: this.tableFields(); break;
        case SectionId.memory: this.memoryFields(); break;
        case SectionId.tag: this.tagFields(); break;
        case SectionId.global: this.globalFields(); break;
        case SectionId.export: this.exportFields(); break;
        case SectionId.start: this.startField(); break;
        case SectionId.element: this.elemFields(); break;
        case SectionId.code: this.funcFields(); break;
        case SectionId.data: this.dataFields(); break;
      }
      emitCustoms(id, false);
    }
    this.put('\n)\n');
    this.flush(true);
  }

  /**
   * Each custom section's annotation and the section it is anchored to (0: before all).
   * The anchor is the section it followed if the reassembled module will have that one,
   * else the next section it will have, else the previous one.
   */
  private placeCustoms(): { text: string; section: number; before: boolean }[] {
    const m = this.m;
    const present = (id: number): boolean => {
      switch (id) {
        case SectionId.type: return m.types.length > 0;
        case SectionId.import: return m.imports.length > 0;
        case SectionId.function: case SectionId.code: return m.funcs.length > 0;
        case SectionId.table: return m.tables.length > 0;
        case SectionId.memory: return m.memories.length > 0;
        case SectionId.tag: return m.tags.length > 0;
        case SectionId.global: return m.globals.length > 0;
        case SectionId.export: return m.exports.length > 0;
        case SectionId.start: return m.start !== null;
        case SectionId.element: return m.elems.length > 0;
        case SectionId.data: return m.datas.length > 0;
        // Assemblers write a data count section only when they decide to.
        default: return false;
      }
    };
    const out: { text: string; section: number; before: boolean }[] = [];
    for (const c of m.customs) {
      if (c === this.hintSection || (c.name === 'name' && m.names)) continue;
      let section = 0;
      let before = false;
      if (c.after !== 0) {
        const rank = SECTION_ORDER.indexOf(c.after);
        const next = SECTION_ORDER.slice(rank + 1).find(present);
        const prev = SECTION_ORDER.slice(0, rank).reverse().find(present);
        if (present(c.after)) section = c.after;
        else if (next !== undefined) [section, before] = [next, true];
        else if (prev !== undefined) section = prev;
      }
      const place = section === 0 ? '(before first)' : `(${before ? 'before' : 'after'} ${SECTION_KEYWORD[section]})`;
      out.push({ text: `(@custom ${nameText(c.name)} ${place} ${bytesText(c.bytes)})`, section, before });
    }
    return out;
  }

  private typeFields(): void {
    const m = this.m;
    for (const g of m.recGroups) {
      const indent = g.explicit ? '\n    ' : '\n  ';
      if (g.explicit) this.put('\n  (rec');
      for (let i = g.start; i < g.start + g.count; i++) {
        const t = m.types[i];
        let s = `${indent}(type${this.def(this.typeIds, i, false)} `;
        let close = ')';
        if (t.explicit || !t.final || t.supers.length) {
          s += `(sub${t.final ? ' final' : ''}`;
          for (const sup of t.supers) s += ` ${this.typeRef(sup)}`;
          s += ' ';
          close = '))';
        }
        if (t.describes !== undefined) s += `(describes ${this.typeRef(t.describes)}) `;
        if (t.descriptor !== undefined) s += `(descriptor ${this.typeRef(t.descriptor)}) `;
        const comp = t.comp;
        if (comp.kind === 'func') {
          s += '(func';
          if (comp.params.length) s += ` (param ${comp.params.map((p) => this.valType(p)).join(' ')})`;
          if (comp.results.length) s += ` (result ${comp.results.map((r) => this.valType(r)).join(' ')})`;
          s += ')';
        } else if (comp.kind === 'struct') {
          const names = this.fields(i);
          s += '(struct';
          comp.fields.forEach((f, j) => {
            const id = names?.[j];
            s += ` (field${id === undefined ? '' : ` ${id}`} ${this.fieldType(f.type, f.mutable)})`;
          });
          s += ')';
        } else {
          s += `(array ${this.fieldType(comp.field.type, comp.field.mutable)})`;
        }
        this.put(s + close);
      }
      if (g.explicit) this.put('\n  )');
    }
  }
  private fieldType(t: ValType, mutable: boolean): string {
    return mutable ? `(mut ${this.valType(t)})` : this.valType(t);
  }

  private importFields(): void {
    const counters = [0, 0, 0, 0, 0];
    for (const imp of this.m.imports) {
      const i = counters[imp.kind]++;
      let desc: string;
      switch (imp.kind) {
        case ExternKind.Func: {
          const use = this.typeUse(imp.type);
          desc = `func${this.def(this.funcs, i, true)}${imp.exact ? ` (exact${use})` : use}`;
          break;
        }
        case ExternKind.Table: desc = `table${this.def(this.tables, i, false)}${this.limits(imp.table.limits)} ${this.valType(imp.table.type)}`; break;
        case ExternKind.Memory: desc = `memory${this.def(this.memories, i, false)}${this.limits(imp.memory)}`; break;
        case ExternKind.Global: desc = `global${this.def(this.globals, i, false)} ${this.fieldType(imp.global.type, imp.global.mutable)}`; break;
        case ExternKind.Tag: desc = `tag${this.def(this.tags, i, true)}${this.typeUse(imp.type)}`; break;
      }
      this.put(`\n  (import ${nameText(imp.module)} ${nameText(imp.name)} (${desc}))`);
    }
  }

  private funcFields(): void {
    const m = this.m;
    const imported = m.imports.filter((i) => i.kind === ExternKind.Func).length;
    const b = this.scratch;
    for (let j = 0; j < m.funcs.length; j++) {
      this.progress?.(j, m.funcs.length);
      const f = m.funcs[j];
      const index = imported + j;
      const body = decodeFunc(m, f, b);
      const ft = this.funcType(f.type);
      const nLocals = (ft ? ft.params.length : 0) + body.locals.reduce((sum, x, g) => (g & 1 ? sum : sum + x), 0);
      this.locals = assignIds(m.names?.locals.get(index), nLocals, 'local')?.ids ?? null;
      this.put(`\n  (func${this.def(this.funcs, index, true)}${this.typeUse(f.type, this.locals ?? null)}`);
      this.body(index, f.type, body);
      this.put('\n  )');
      this.flush();
    }
    this.locals = null;
    this.labelIds = null;
  }

  private tableFields(): void {
    const base = this.importCount(ExternKind.Table);
    this.m.tables.forEach((t, j) => {
      let s = `\n  (table${this.def(this.tables, base + j, false)}${this.limits(t.limits)} ${this.valType(t.type)}`;
      if (t.init) {
        const { text } = this.expr(t.init);
        if (text) s += ` ${text}`;
      }
      this.put(`${s})`);
    });
  }

  private memoryFields(): void {
    const base = this.importCount(ExternKind.Memory);
    this.m.memories.forEach((l, j) => {
      this.put(`\n  (memory${this.def(this.memories, base + j, false)}${this.limits(l)})`);
    });
  }

  private tagFields(): void {
    const base = this.importCount(ExternKind.Tag);
    this.m.tags.forEach((t, j) => {
      this.put(`\n  (tag${this.def(this.tags, base + j, true)}${this.typeUse(t.type)})`);
    });
  }

  private globalFields(): void {
    const base = this.importCount(ExternKind.Global);
    this.m.globals.forEach((g, j) => {
      const { text } = this.expr(g.init);
      this.put(`\n  (global${this.def(this.globals, base + j, false)} ${this.fieldType(g.type, g.mutable)}${text ? ` ${text}` : ''})`);
    });
  }

  private exportFields(): void {
    const kinds = ['func', 'table', 'memory', 'global', 'tag'];
    const spaces = [this.funcs, this.tables, this.memories, this.globals, this.tags];
    for (const e of this.m.exports) {
      this.put(`\n  (export ${nameText(e.name)} (${kinds[e.kind]} ${this.ref(spaces[e.kind], e.index)}))`);
    }
  }

  private startField(): void {
    if (this.m.start !== null) this.put(`\n  (start ${this.ref(this.funcs, this.m.start)})`);
  }

  private elemFields(): void {
    this.m.elems.forEach((e, j) => {
      let s = `\n  (elem${this.def(this.elems, j, false)}`;
      if ((e.flags & 3) === 3) s += ' declare';
      if ((e.flags & 3) === 2) s += ` (table ${this.ref(this.tables, e.table)})`;
      if (e.offset) s += ` ${this.exprField(e.offset, 'offset')}`;
      if (e.funcs) {
        s += ' func';
        for (const f of e.funcs) s += ` ${this.ref(this.funcs, f)}`;
      } else {
        s += ` ${this.valType(e.type)}`;
        for (const x of e.exprs!) s += ` ${this.exprField(x, 'item')}`;
      }
      this.put(`${s})`);
      this.flush();
    });
  }

  private dataFields(): void {
    this.m.datas.forEach((d, j) => {
      let s = `\n  (data${this.def(this.datas, j, false)}`;
      if (d.flags === 2) s += ` (memory ${this.ref(this.memories, d.memory)})`;
      if (d.offset) s += ` ${this.exprField(d.offset, 'offset')}`;
      this.put(`${s} ${bytesText(d.bytes)})`);
      this.flush();
    });
  }

  private importCount(kind: ExternKind): number {
    let n = 0;
    for (const imp of this.m.imports) if (imp.kind === kind) n++;
    return n;
  }
}
