/**
 * The `.wast` script runner: every command of a spec script, with modules parsed (text)
 * or decoded (binary) and encoded by weft, validated by weft's validator, and executed
 * in the host's V8. The oracles are independent of weft: V8 runs the code and judges
 * linking and validity; the script states the expected results.
 *
 * A command is skipped only when it needs V8 to execute a feature this V8 lacks (probed
 * once at start-up), or when it states a rule WebAssembly 3.0 has dropped (OBSOLETE); the
 * skip names the feature or the change.
 */
import { WasmDecodeError } from '../binary/cursor.js';
import { decodeFunc, readModule } from '../binary/decode.js';
import { writeModule } from '../binary/encode.js';
import { Body } from '../ir/body.js';
import { moduleDiff } from '../ir/equal.js';
import { ExternKind, type Module } from '../ir/module.js';
import { OP_BY_NAME } from '../ir/opcodes.js';
import { I32, I64, F32, F64, V128, REF_NULL, SHORTHAND_REF_NAMES, isAbstractHeapCode, type FuncType, type ValType } from '../ir/types.js';
import type { Features } from '../validate/context.js';
import { validate } from '../validate/module.js';
import {
  describeError, globalThunk, isOpaqueRef, isRefName, makeSpectest, nan32Matches, nan64Matches, scratchBytes, scratchView, SLOT,
  thunkFor, trapMatches, WA,
} from './host.js';
import { TextParseError } from './lexer.js';
import { parseModule } from './parser.js';
import { parseScript, type Action, type Command, type InstanceRef, type ResultPattern, type ScriptModule, type Value } from './script.js';

export type Status = 'pass' | 'fail' | 'skip';

/** A command that did not pass: a failure with its reason, or a skip with its feature. */
export interface Outcome {
  line: number;
  type: string;
  status: Status;
  detail: string;
}

export interface WastReport {
  file: string;
  passed: number;
  failed: number;
  skipped: number;
  /** Failures and skips, in script order. */
  outcomes: Outcome[];
}

// ---- features this V8 may lack -------------------------------------------------------------

const op = (name: string): number => OP_BY_NAME.get(name)!.id;
const WIDE_OPS = new Set(['i64.add128', 'i64.sub128', 'i64.mul_wide_s', 'i64.mul_wide_u'].map(op));

/** Features weft handles but V8 may not execute, each with a probe and a use check. */
const FEATURES: { name: string; probe: string; uses: (m: Module, body: Body) => boolean }[] = [
  {
    name: 'custom-page-sizes',
    probe: '(module (memory 1 (pagesize 1)))',
    uses: (m) => m.memories.some((l) => l.pageSizeLog2 !== null)
      || m.imports.some((i) => i.kind === ExternKind.Memory && i.memory.pageSizeLog2 !== null),
  },
  {
    name: 'wide-arithmetic',
    probe: '(module (func (param i64) (result i64 i64) local.get 0 local.get 0 i64.mul_wide_s))',
    uses: (m, body) => m.funcs.some((f) => {
      const b = decodeFunc(m, f, body);
      for (let i = 0; i < b.length; i++) if (WIDE_OPS.has(b.ops[i])) return true;
      return false;
    }),
  },
];
let lacking: typeof FEATURES | null = null;

/** The first feature `m` uses that this V8 does not execute, or null. */
function missingFeature(m: Module): string | null {
  lacking ??= FEATURES.filter((f) => !WA.validate(writeModule(parseModule(f.probe))));
  const body = new Body();
  for (const f of lacking) if (f.uses(m, body)) return f.name;
  return null;
}

// ---- expectations WebAssembly 3.0 has dropped ----------------------------------------------

const count = (m: Module, kind: ExternKind, defined: unknown[]): number => m.imports.filter((i) => i.kind === kind).length + defined.length;
const LIMIT_ERROR = /^(memory|table) size must be at most /;

/**
 * Expectations of scripts written against an older spec: proposals/threads' main branch
 * forked from the spec before multi-memory (3.0), and the suite's threads imports.wast is
 * older still (before reference types, 2.0). In 3.0, Module_ok puts no bound on the number
 * of memories or tables, and the text format reads limits as u64 (Tlimits), a 32-bit size
 * beyond 2^32 failing validation ("memory size", as the core memory.wast expects). A rule
 * applies only to a module of the kind it names, weft's validator and V8 both judging it as
 * 3.0 does; the skip names the change.
 */
const OBSOLETE: { type: Command['type']; message: string; applies: (m: Module, errors: readonly { message: string }[]) => boolean; reason: string }[] = [
  {
    type: 'assert_invalid',
    message: 'multiple memories',
    applies: (m, errors) => !errors.length && count(m, ExternKind.Memory, m.memories) > 1,
    reason: 'obsolete: multiple memories are valid since WebAssembly 3.0 (multi-memory)',
  },
  {
    type: 'assert_invalid',
    message: 'multiple tables',
    applies: (m, errors) => !errors.length && count(m, ExternKind.Table, m.tables) > 1,
    reason: 'obsolete: multiple tables are valid since WebAssembly 2.0 (reference types)',
  },
  {
    type: 'assert_malformed',
    message: 'i32 constant out of range',
    applies: (_, errors) => errors.length > 0 && LIMIT_ERROR.test(errors[0].message),
    reason: 'obsolete: limits are u64 in the WebAssembly 3.0 text format, so a size beyond 2^32 is invalid, not malformed',
  },
];

/** The reason `cmd` states a rule 3.0 has dropped, for a module weft loaded and judged `errors`; or null. */
function obsolete(cmd: Command & { message: string }, loaded: { module: Module; bytes: Uint8Array }, errors: readonly { message: string }[]): string | null {
  for (const o of OBSOLETE) {
    if (o.type !== cmd.type || o.message !== cmd.message || !o.applies(loaded.module, errors)) continue;
    // V8 must judge it as 3.0 does too.
    if (WA.validate(loaded.bytes) === !errors.length) return o.reason;
  }
  return null;
}

// ---- values --------------------------------------------------------------------------------

/** An actual result: numbers as their bits (u32 or u64), v128 as bytes, references as JS values. */
type Result =
  | { type: 'i32' | 'f32'; bits: number }
  | { type: 'i64' | 'f64'; bits: bigint }
  | { type: 'v128'; bytes: Uint8Array }
  | { type: 'ref'; ref: unknown };

const NUM_NAME: Record<number, string> = { [I32]: 'i32', [I64]: 'i64', [F32]: 'f32', [F64]: 'f64', [V128]: 'v128' };

/** The name a thunk can use for `t` (`i32`, `funcref`…), or null for a type only the module can name. */
function thunkTypeName(t: ValType): string | null {
  const code = t & 0xff;
  if (NUM_NAME[code]) return NUM_NAME[code];
  if (code === REF_NULL) {
    const heap = (t >> 8) + 0x80;
    return isAbstractHeapCode(heap) ? SHORTHAND_REF_NAMES.get(heap)! : null;
  }
  return SHORTHAND_REF_NAMES.get(code) ?? null;
}

const f32Bits = (x: number): number => (scratchView.setFloat32(0, x, true), scratchView.getUint32(0, true));
const f64Bits = (x: number): bigint => (scratchView.setFloat64(0, x, true), scratchView.getBigUint64(0, true));
const f32Of = (bits: number): number => (scratchView.setUint32(0, bits, true), scratchView.getFloat32(0, true));
const f64Of = (bits: bigint): number => (scratchView.setBigUint64(0, bits, true), scratchView.getFloat64(0, true));

/** A non-null exnref, which JS cannot hold. */
const OPAQUE = { exnref: true };

/** Host values for `ref.extern N` / `ref.host N`: the same object for the same N within a script. */
class HostRefs {
  private readonly objects = new Map<string, object>();
  private readonly numbers = new Map<unknown, string>();
  /** `ref.host N` and `ref.extern N` are the same host value, seen as anyref or as externref. */
  get(n: number): object {
    const key = `host ${n}`;
    let o = this.objects.get(key);
    if (!o) {
      this.objects.set(key, (o = { host: n }));
      this.numbers.set(o, key);
    }
    return o;
  }
  describe(x: unknown): string {
    if (x === null) return 'null';
    return this.numbers.get(x) ?? (typeof x === 'function' ? 'func' : typeof x === 'number' ? `i31 ${x}` : typeof x);
  }
}

function resultFrom(type: string, x: unknown): Result {
  switch (type) {
    case 'i32': return { type, bits: Number(x) >>> 0 };
    case 'i64': return { type, bits: BigInt.asUintN(64, x as bigint) };
    case 'f32': return { type, bits: f32Bits(x as number) };
    case 'f64': return { type, bits: f64Bits(x as number) };
    default: return { type: 'ref', ref: x };
  }
}

function readSlot(type: string, slot: number): Result {
  const at = slot * SLOT;
  switch (type) {
    case 'i32': case 'f32': return { type, bits: scratchView.getUint32(at, true) };
    case 'i64': case 'f64': return { type, bits: scratchView.getBigUint64(at, true) };
    default: return { type: 'v128', bytes: scratchBytes(at, 16) };
  }
}

const LANE_BYTES: Record<string, number> = { i8x16: 1, i16x8: 2, i32x4: 4, f32x4: 4, i64x2: 8, f64x2: 8 };
const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

function matches(r: Result, p: ResultPattern, refs: HostRefs): boolean {
  switch (p.type) {
    case 'either': return p.options.some((o) => matches(r, o, refs));
    case 'i32': return r.type === 'i32' && r.bits === p.value >>> 0;
    case 'i64': return r.type === 'i64' && r.bits === BigInt.asUintN(64, p.value);
    case 'f32': return r.type === 'f32' && ('nan' in p ? nan32Matches(r.bits, p.nan) : r.bits === p.bits);
    case 'f64': return r.type === 'f64' && ('nan' in p ? nan64Matches(r.bits, p.nan) : r.bits === p.bits);
    case 'v128': {
      if (r.type !== 'v128') return false;
      if ('bytes' in p) return hex(r.bytes) === hex(p.bytes);
      const size = LANE_BYTES[p.shape];
      const v = new DataView(r.bytes.buffer, r.bytes.byteOffset, 16);
      return p.lanes.every((lane, i) => {
        const at = i * size;
        const bits = size === 1 ? v.getUint8(at) : size === 2 ? v.getUint16(at, true) : size === 4 ? v.getUint32(at, true) : v.getBigUint64(at, true);
        if (typeof lane !== 'string') return bits === lane;
        return size === 4 ? nan32Matches(bits as number, lane) : nan64Matches(bits as bigint, lane);
      });
    }
  }
  if (r.type !== 'ref') return false;
  const x = r.ref;
  switch (p.type) {
    case 'ref.null': return x === null;
    case 'ref.extern': return 'value' in p ? x === refs.get(p.value) : x !== null;
    case 'ref.host': return x === refs.get(p.value);
    case 'ref.func': return typeof x === 'function';
    case 'ref.i31': return typeof x === 'number';
    default: return x !== null && x !== undefined;
  }
}

function describeResult(r: Result, refs: HostRefs): string {
  switch (r.type) {
    case 'i32': case 'f32': return `${r.type}:0x${r.bits.toString(16)}`;
    case 'i64': case 'f64': return `${r.type}:0x${r.bits.toString(16)}`;
    case 'v128': return `v128:0x${hex(r.bytes)}`;
    default: return `ref:${refs.describe(r.ref)}`;
  }
}

function describePattern(p: ResultPattern): string {
  switch (p.type) {
    case 'either': return `either(${p.options.map(describePattern).join(' | ')})`;
    case 'i32': return `i32:0x${(p.value >>> 0).toString(16)}`;
    case 'i64': return `i64:0x${BigInt.asUintN(64, p.value).toString(16)}`;
    case 'f32': case 'f64': return 'nan' in p ? `${p.type}:${p.nan}` : `${p.type}:0x${p.bits.toString(16)}`;
    case 'v128': return 'bytes' in p ? `v128:0x${hex(p.bytes)}` : `v128:${p.shape}[${p.lanes.map(String).join(' ')}]`;
    case 'ref.extern': case 'ref.host': return 'value' in p ? `${p.type} ${p.value}` : p.type;
    default: return p.type;
  }
}

// ---- the runner ----------------------------------------------------------------------------

/** A module or instance that is not available: why (error), or the feature skipped (skip). */
type Failure = { error: string; skip?: undefined } | { skip: string; error?: undefined };
type Entry = { exports: Record<string, unknown>; module: Module; error?: undefined; skip?: undefined } | Failure;
type Definition = { compiled: object; module: Module; error?: undefined; skip?: undefined } | Failure;

type Fn = (...args: unknown[]) => unknown;

/** Located message of a parse or decode error. */
function frontEndError(e: unknown): string | null {
  if (e instanceof TextParseError) return `${e.file}:${e.line}:${e.column}: ${e.message}`;
  if (e instanceof WasmDecodeError) return `0x${e.offset.toString(16)}: ${e.message}`;
  return null;
}
/** An error that is not a located front-end error is a weft bug: name it, don't hide it. */
const crash = (e: unknown): string => `crash: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;

class Runner {
  passed = 0;
  failed = 0;
  skipped = 0;
  readonly outcomes: Outcome[] = [];
  private readonly registry: Record<string, unknown> = { spectest: makeSpectest() };
  // An unknown import module must fail linking with a LinkError, not a TypeError.
  private readonly imports = new Proxy(this.registry, { get: (target, key) => target[key as string] ?? {} });
  private readonly named = new Map<string, Entry>();
  private readonly definitions = new Map<string, Definition>();
  private lastDefinition: Definition | undefined;
  private current: Entry | undefined;
  private readonly refs = new HostRefs();

  constructor(private readonly file: string, private readonly features: Features, private readonly transform: Transform | null) {}

  record(cmd: Command, status: Status, detail = ''): void {
    if (status === 'pass') this.passed++;
    else {
      if (status === 'fail') this.failed++;
      else this.skipped++;
      this.outcomes.push({ line: cmd.line, type: cmd.type, status, detail });
    }
  }

  /** Parses or decodes a script module with weft (errors propagate), and encodes it. */
  private load(sm: ScriptModule): { module: Module; bytes: Uint8Array } {
    if (sm.kind === 'binary') {
      const module = readModule(sm.bytes);
      return { module, bytes: writeModule(module, { reencode: true }) };
    }
    const module = sm.kind === 'text' ? sm.parse() : parseModule(sm.source, `${this.file} (quoted module)`);
    return { module, bytes: writeModule(module) };
  }

  /** Loads, validates (weft) and compiles (V8) a module that the script expects to be valid. */
  private define(sm: ScriptModule): Definition {
    let loaded;
    try {
      loaded = this.load(sm);
    } catch (e) {
      return { error: frontEndError(e) ?? crash(e) };
    }
    const { module } = loaded;
    let { bytes } = loaded;
    let errors;
    try {
      errors = validate(module, { firstOnly: true, features: this.features });
    } catch (e) {
      return { error: `validator ${crash(e)}` };
    }
    if (errors.length) return { error: `weft's validator rejects it: ${errors[0].message}` };
    if (this.transform) {
      try {
        this.transform(module, this.features);
        const after = validate(module, { firstOnly: true, features: this.features });
        if (after.length) return { error: `weft's validator rejects the transformed module: func ${after[0].func}: ${after[0].message}` };
        bytes = writeModule(module);
      } catch (e) {
        return { error: `transform: ${e instanceof Error && !(e instanceof RangeError || e instanceof TypeError) ? e.message : crash(e)}` };
      }
    }
    try {
      return { compiled: new WA.Module(bytes), module };
    } catch (e) {
      const feature = missingFeature(module);
      if (feature) return { skip: feature };
      // Sizes the spec allows but V8 refuses (2^48 pages): nothing can execute those.
      if (/larger than implementation limit/.test(String((e as Error).message))) return { skip: 'memories or tables beyond its implementation limits' };
      return { error: describeError(e) };
    }
  }

  private instantiate(def: Definition): Entry {
    if (def.error !== undefined || def.skip !== undefined) return def;
    try {
      return { exports: new WA.Instance(def.compiled, this.imports).exports, module: def.module };
    } catch (e) {
      return { error: describeError(e) };
    }
  }

  private target(t: ScriptModule | InstanceRef): Entry {
    if (t.kind !== 'instance') return this.instantiate(this.define(t));
    const def = t.module === null ? this.lastDefinition : this.definitions.get(t.module);
    return def ? this.instantiate(def) : { error: `no module definition ${t.module ?? ''}` };
  }

  /** Records the outcome of an entry that should be an instance. */
  private recordEntry(cmd: Command, entry: Entry): void {
    if (entry.skip !== undefined) this.record(cmd, 'skip', entry.skip);
    else if (entry.error !== undefined) this.record(cmd, 'fail', entry.error);
    else this.record(cmd, 'pass');
  }

  run(cmd: Command): void {
    switch (cmd.type) {
      case 'module': {
        const def = this.define(cmd.module);
        if (cmd.definition) {
          this.lastDefinition = def;
          if (cmd.id) this.definitions.set(cmd.id, def);
          if (def.error !== undefined) this.record(cmd, 'fail', def.error);
          else this.record(cmd, def.skip !== undefined ? 'skip' : 'pass', def.skip);
          return;
        }
        const entry = this.instantiate(def);
        this.current = entry;
        if (cmd.id) this.named.set(cmd.id, entry);
        this.recordEntry(cmd, entry);
        return;
      }
      case 'module_instance': {
        const entry = this.target({ kind: 'instance', instance: cmd.instance, module: cmd.module });
        this.current = entry;
        if (cmd.instance) this.named.set(cmd.instance, entry);
        this.recordEntry(cmd, entry);
        return;
      }
      case 'register': {
        const entry = cmd.instance ? this.named.get(cmd.instance) : this.current;
        if (!entry) return this.record(cmd, 'fail', `no module ${cmd.instance ?? ''}`);
        if ('exports' in entry) this.registry[cmd.name] = entry.exports;
        return this.recordEntry(cmd, entry);
      }
      case 'action': case 'assert_return': case 'assert_trap': case 'assert_exhaustion': case 'assert_exception':
        return this.assertAction(cmd);
      case 'assert_invalid': case 'assert_invalid_custom':
        return this.assertInvalid(cmd, cmd.module);
      case 'assert_malformed': case 'assert_malformed_custom':
        return this.assertMalformed(cmd, cmd.module);
      case 'assert_unlinkable': case 'assert_uninstantiable': {
        const entry = this.target(cmd.module);
        if (entry.error === undefined) return entry.skip === undefined ? this.record(cmd, 'fail', 'instantiated') : this.record(cmd, 'skip', entry.skip);
        const ok = cmd.type === 'assert_unlinkable' ? entry.error.startsWith('link-error: ') : trapMatches(entry.error, cmd.message);
        return this.record(cmd, ok ? 'pass' : 'fail', `${entry.error}; expected "${cmd.message}"`);
      }
    }
  }

  private assertInvalid(cmd: Command & { message: string }, sm: ScriptModule): void {
    let loaded;
    try {
      loaded = this.load(sm);
    } catch (e) {
      // weft checks custom annotations (branch hints…) as it parses them.
      const located = frontEndError(e);
      const annotation = cmd.type === 'assert_invalid_custom' && e instanceof TextParseError && e.message.startsWith('@');
      return this.record(cmd, annotation ? 'pass' : 'fail', `not parsed: ${located ?? crash(e)}`);
    }
    let errors;
    try {
      errors = validate(loaded.module, { firstOnly: true, features: this.features });
    } catch (e) {
      return this.record(cmd, 'fail', `validator ${crash(e)}`);
    }
    if (!errors.length) {
      const reason = obsolete(cmd, loaded, errors);
      return reason ? this.record(cmd, 'skip', reason) : this.record(cmd, 'fail', "weft's validator accepts it");
    }
    // V8 must reject it too, unless it lacks a feature the module uses.
    if (WA.validate(loaded.bytes) && !missingFeature(loaded.module)) {
      // A V8 verdict only counts if the bytes are the module weft judged.
      const diff = moduleDiff(loaded.module, readModule(loaded.bytes));
      const why = diff ? `weft's encoder does not keep the module (${diff})` : `V8 accepts it (weft: ${errors[0].message})`;
      return this.record(cmd, 'fail', why);
    }
    this.record(cmd, 'pass');
  }

  private assertMalformed(cmd: Command & { message: string }, sm: ScriptModule): void {
    let loaded = null;
    try {
      if (sm.kind === 'binary') {
        const m = readModule(sm.bytes);
        const body = new Body();
        for (const f of m.funcs) decodeFunc(m, f, body);
      } else loaded = this.load(sm);
    } catch (e) {
      const located = frontEndError(e);
      return this.record(cmd, located ? 'pass' : 'fail', located ?? crash(e));
    }
    const reason = loaded && obsolete(cmd, loaded, validate(loaded.module, { firstOnly: true }));
    if (reason) return this.record(cmd, 'skip', reason);
    this.record(cmd, 'fail', 'accepted');
  }

  private assertAction(cmd: Command & { action: Action }): void {
    const out = this.perform(cmd.action);
    if ('skip' in out) return this.record(cmd, 'skip', out.skip);
    if ('error' in out) {
      const ok = cmd.type === 'assert_trap' ? trapMatches(out.error, cmd.message)
        : cmd.type === 'assert_exhaustion' ? out.error === 'exhaustion'
        : cmd.type === 'assert_exception' ? out.error === 'exception'
        : false;
      const want = cmd.type === 'assert_trap' || cmd.type === 'assert_exhaustion' ? `; expected "${cmd.message}"` : '';
      return this.record(cmd, ok ? 'pass' : 'fail', `${out.error}${want}`);
    }
    const got = out.results.map((r) => describeResult(r, this.refs)).join(' ') || 'nothing';
    if (cmd.type === 'action') return this.record(cmd, 'pass');
    if (cmd.type !== 'assert_return') return this.record(cmd, 'fail', `returned ${got}`);
    const ok = out.results.length === cmd.expected.length && cmd.expected.every((p, i) => matches(out.results[i], p, this.refs));
    this.record(cmd, ok ? 'pass' : 'fail', `returned ${got}; expected ${cmd.expected.map(describePattern).join(' ') || 'nothing'}`);
  }

  private perform(action: Action): { results: Result[] } | { error: string } | { skip: string } {
    const entry = action.instance ? this.named.get(action.instance) : this.current;
    if (!entry) return { error: `no module ${action.instance ?? ''}` };
    if (entry.skip !== undefined) return { skip: entry.skip };
    if (entry.error !== undefined) return { error: `module unavailable (${entry.error})` };
    const m = entry.module;
    const exp = m.exports.find((e) => e.name === action.name);
    const target = entry.exports[action.name];
    if (!exp || target === undefined) return { error: `no export "${action.name}"` };
    if (action.type === 'get') {
      if (exp.kind !== ExternKind.Global) return { error: `"${action.name}" is not a global` };
      return this.readGlobal(m, exp.index, target as { value: unknown });
    }
    if (exp.kind !== ExternKind.Func) return { error: `"${action.name}" is not a function` };
    return this.call(target as Fn, funcType(m, exp.index), action.args);
  }

  private readGlobal(m: Module, index: number, g: { value: unknown }): { results: Result[] } | { error: string } {
    const imported = m.imports.filter((i) => i.kind === ExternKind.Global);
    const gt = index < imported.length ? (imported[index] as { global: { type: ValType; mutable: boolean } }).global : m.globals[index - imported.length];
    const name = thunkTypeName(gt.type);
    try {
      if (name && !isRefName(name)) {
        // The JS API would round NaN payloads through a JS number: read the bits in wasm.
        globalThunk(g, name, gt.mutable)();
        return { results: [readSlot(name, 0)] };
      }
      return { results: [resultFrom(name ?? 'ref', g.value)] };
    } catch (e) {
      return { error: describeError(e) };
    }
  }

  private toJS(v: Value): unknown {
    switch (v.type) {
      case 'i32': case 'i64': return v.value;
      case 'f32': return f32Of(v.bits);
      case 'f64': return f64Of(v.bits);
      case 'ref.null': return null;
      case 'ref.extern': return this.refs.get(v.value);
      case 'ref.host': return this.refs.get(v.value);
      default: throw new Error('v128 cannot cross the JS boundary');
    }
  }

  private call(fn: Fn, type: FuncType, args: Value[]): { results: Result[] } | { error: string } {
    if (args.length !== type.params.length) return { error: `${args.length} arguments for ${type.params.length} parameters` };
    const params = type.params.map(thunkTypeName);
    const results = type.results.map(thunkTypeName);
    let run: Fn | null = null;
    if (params.every((p) => p) && results.every((r) => r)) {
      try {
        run = thunkFor(fn, params as string[], results as string[]);
      } catch {
        // The function's type is not the thunk's (a rec group, a subtype): call it from JS.
      }
    }
    try {
      if (run) {
        args.forEach((a, i) => {
          const at = i * SLOT;
          switch (a.type) {
            case 'i32': scratchView.setInt32(at, a.value, true); break;
            case 'i64': scratchView.setBigInt64(at, a.value, true); break;
            case 'f32': scratchView.setUint32(at, a.bits, true); break;
            case 'f64': scratchView.setBigUint64(at, a.bits, true); break;
            case 'v128': new Uint8Array(scratchView.buffer, at, 16).set(a.bytes); break;
          }
        });
        const returned = run(...args.filter((a, i) => a.type.startsWith('ref.') && !isOpaqueRef(params[i]!)).map((a) => this.toJS(a)));
        const names = results as string[];
        const refs = names.filter((t) => isRefName(t) && !isOpaqueRef(t)).length > 1 ? [...(returned as unknown[])] : [returned];
        return {
          results: names.map((t, j): Result => {
            if (isOpaqueRef(t)) return { type: 'ref', ref: scratchView.getInt32(j * SLOT, true) ? null : OPAQUE };
            return isRefName(t) ? { type: 'ref', ref: refs.shift() } : readSlot(t, j);
          }),
        };
      }
      if (params.includes('v128') || results.includes('v128')) return { error: 'cannot call: v128 with a type a thunk cannot name' };
      const returned = fn(...args.map((a) => this.toJS(a)));
      const values = results.length > 1 ? [...(returned as unknown[])] : [returned];
      return { results: results.map((t, j) => resultFrom(t ?? 'ref', values[j])) };
    } catch (e) {
      return { error: describeError(e) };
    }
  }
}

function funcType(m: Module, index: number): FuncType {
  const imported = m.imports.filter((i) => i.kind === ExternKind.Func);
  const t = index < imported.length ? (imported[index] as { type: number }).type : m.funcs[index - imported.length].type;
  return m.types[t].comp as FuncType;
}

/** A pass applied to every module the script expects to be valid, before it runs. */
export type Transform = (m: Module, features: Features) => void;

/**
 * Runs a `.wast` script; a script that does not parse is one failed command. `features`
 * are the opt-in proposals the script is written for (V8 must have them enabled too).
 * With `transform`, the script's commands run against the transformed modules.
 */
export function runWast(src: Uint8Array, file: string, features: Features = {}, transform: Transform | null = null): WastReport {
  const runner = new Runner(file, features, transform);
  let commands: Command[];
  try {
    commands = parseScript(src, file);
  } catch (e) {
    runner.failed++;
    const where = e instanceof TextParseError ? e.line : 0;
    runner.outcomes.push({ line: where, type: 'script', status: 'fail', detail: frontEndError(e) ?? crash(e) });
    return { file, passed: 0, failed: 1, skipped: 0, outcomes: runner.outcomes };
  }
  for (const cmd of commands) {
    try {
      runner.run(cmd);
    } catch (e) {
      runner.record(cmd, 'fail', crash(e));
    }
  }
  return { file, passed: runner.passed, failed: runner.failed, skipped: runner.skipped, outcomes: runner.outcomes };
}
