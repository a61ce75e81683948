/**
 * Module-level validation, then each function body on its own (like wasmparser's
 * Validator / FuncValidator split): `checkModule` runs once and yields the
 * ModuleContext that `validateBody` needs, so bodies can be checked independently.
 * Errors come in a deterministic order: module-level ones first, then functions in
 * index order.
 */
import { bodySource, decodeExpr, decodeFunc, visitDatas } from '../binary/decode.js';
import { WasmDecodeError } from '../binary/cursor.js';
import { Body } from '../ir/body.js';
import { ExternKind, importCount, type Expr, type Module } from '../ir/module.js';
import { Op, OP_BY_NAME } from '../ir/opcodes.js';
import { I32, I64, isRefType, type Limits, type ValType } from '../ir/types.js';
import type { Features, GlobalInfo, ModuleContext, ValidationError } from './context.js';
import { FastCore } from './core.js';
import { BodyValidator } from './func.js';
import { TypeContext } from './types.js';

const REF_FUNC = OP_BY_NAME.get('ref.func')!.id;

/** A module-level check failed: thrown inside checkModule, reported as a ValidationError. */
class ModuleInvalid extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

export interface ValidateOptions {
  /** Stop at the first error (default: the first error of each function and of the module). */
  firstOnly?: boolean;
  /** Opt-in proposals (see Features). */
  features?: Features;
}

/** Validates `m`; returns its errors (empty when valid). */
export function validate(m: Module, options: ValidateOptions = {}): ValidationError[] {
  const checked = checkModule(m, options.features);
  if ('error' in checked) return [checked.error];
  const errors: ValidationError[] = [];
  const ctx = checked.ctx;
  const imported = importCount(m, ExternKind.Func);
  const scratch = new Body(1024);
  const validator = new BodyValidator(ctx);
  const core = FastCore.for(ctx);
  for (let i = 0; i < m.funcs.length; i++) {
    const f = m.funcs[i];
    if (core !== null && f.raw && !f.body && core.check(imported + i, f.raw)) continue;
    const error = validateFunc(m, ctx, imported + i, scratch, validator);
    if (error) {
      errors.push(error);
      if (options.firstOnly) break;
    }
  }
  return errors;
}

/** Validates one defined function (by function index); null when valid. */
export function validateFunc(
  m: Module, ctx: ModuleContext, funcIndex: number, scratch = new Body(), validator = new BodyValidator(ctx),
): ValidationError | null {
  const f = m.funcs[funcIndex - (ctx.funcs.length - m.funcs.length)];
  // An untouched body is validated in one pass over its bytes; only when that finds an
  // error is it decoded and walked, which locates the error.
  if (!f.body && f.raw) {
    const buf = bodySource(m, f.raw);
    const start = f.raw.byteOffset - buf.byteOffset;
    if (validator.bytes(funcIndex, buf, start, start + f.raw.length, scratch, m.hasDataCount)) return null;
  }
  let body: Body;
  try {
    body = decodeFunc(m, f, scratch);
  } catch (e) {
    if (e instanceof WasmDecodeError) return { func: funcIndex, offset: e.offset, message: e.message };
    throw e;
  }
  const error = validator.body(funcIndex, body);
  if (!error) return null;
  return { func: funcIndex, offset: instructionOffset(m, f, body, error.instr), message: error.message };
}

/** The byte offset of instruction `instr`: re-decoded with offsets only now, on the error path. */
function instructionOffset(m: Module, f: Module['funcs'][number], body: Body, instr: number): number {
  if (body.offsets) return body.offsets[instr];
  if (!f.raw) return 0;
  const tracked = decodeFunc(m, { ...f, body: null }, new Body().trackOffsets());
  return tracked.offsets![instr] ?? f.offset;
}

/** Module-level checks; on success the context function bodies are validated against. */
export function checkModule(m: Module, features: Features = {}): { ctx: ModuleContext } | { error: ValidationError } {
  try {
    return { ctx: buildContext(m, features) };
  } catch (e) {
    if (e instanceof ModuleInvalid) return { error: { func: -1, offset: e.offset, message: e.message } };
    if (e instanceof WasmDecodeError) return { error: { func: -1, offset: e.offset, message: e.message } };
    throw e;
  }
}

function buildContext(m: Module, features: Features): ModuleContext {
  const types = new TypeContext(m.types, m.recGroups);
  const typeIssue = types.check();
  if (typeIssue) throw new ModuleInvalid(`type ${typeIssue.index}: ${typeIssue.message}`, 0);
  const fail = (message: string, offset = 0): never => {
    throw new ModuleInvalid(message, offset);
  };
  const funcType = (index: number, what: string): number => {
    if (!types.func(index)) fail(`unknown type ${index}: ${what} needs a function type`);
    return index;
  };
  const checkVal = (t: ValType, what: string): ValType => {
    if (!types.validVal(t)) fail(`unknown type in ${what}`);
    return t;
  };

  const ctx: ModuleContext = {
    types, funcs: [], inexactFuncs: new Uint8Array(0), features, tables: [], memories: [], globals: [], tags: [], elems: [],
    dataCount: null, refs: new Uint8Array(0),
  };
  const tagType = (index: number): number => {
    funcType(index, 'a tag');
    if (types.func(index)!.results.length) fail('non-empty tag result type');
    return index;
  };
  const globals: GlobalInfo[] = [];
  for (const imp of m.imports) {
    switch (imp.kind) {
      case ExternKind.Func: ctx.funcs.push(funcType(imp.type, `import ${imp.module}.${imp.name}`)); break;
      case ExternKind.Table:
        checkTableLimits(imp.table.limits, fail);
        ctx.tables.push({ type: checkRef(checkVal(imp.table.type, 'table type'), fail), addr64: imp.table.limits.addr64 });
        break;
      case ExternKind.Memory: checkMemoryLimits(imp.memory, fail); ctx.memories.push(imp.memory.addr64); break;
      case ExternKind.Global: globals.push({ type: checkVal(imp.global.type, 'global type'), mutable: imp.global.mutable }); break;
      case ExternKind.Tag: ctx.tags.push(tagType(imp.type)); break;
    }
  }
  // Indexed loops where there is one entry per function: this code runs once, unoptimized.
  for (let i = 0; i < m.funcs.length; i++) ctx.funcs.push(funcType(m.funcs[i].type, 'a function'));
  ctx.inexactFuncs = new Uint8Array(ctx.funcs.length);
  for (let i = 0, fi = 0; i < m.imports.length; i++) {
    const imp = m.imports[i];
    if (imp.kind === ExternKind.Func) ctx.inexactFuncs[fi++] = imp.exact ? 0 : 1;
  }
  for (const t of m.memories) {
    checkMemoryLimits(t, fail);
    ctx.memories.push(t.addr64);
  }
  for (const t of m.tags) ctx.tags.push(tagType(t.type));

  // C.refs: functions referenced outside bodies (globals, tables, elements, exports, data offsets).
  const refs = new Uint8Array(ctx.funcs.length);
  const scratch = new Body();
  const declareIn = (b: Body): void => {
    for (let i = 0; i < b.length; i++) if (b.ops[i] === REF_FUNC && b.imm[i * 4] < refs.length) refs[b.imm[i * 4]] = 1;
  };
  const declare = (e: Expr | null): void => {
    if (e) declareIn(decodeExpr(e, scratch));
  };
  for (const g of m.globals) declare(g.init);
  for (const t of m.tables) declare(t.init);
  for (const e of m.elems) {
    declare(e.offset);
    const funcs = e.funcs ?? [];
    for (let i = 0; i < funcs.length; i++) if (funcs[i] < refs.length) refs[funcs[i]] = 1;
    for (const x of e.exprs ?? []) declare(x);
  }
  // (Data segment offsets declare theirs below, decoded once for that and their check: the
  // references only matter to function bodies, checked after all this.)
  for (const e of m.exports) if (e.kind === ExternKind.Func && e.index < refs.length) refs[e.index] = 1;
  ctx.refs = refs;

  const validator = new BodyValidator(ctx);
  const constBody = (b: Body, type: ValType, what: string, at: number): void => {
    // Nearly every segment offset is one constant of the address type (a module may have
    // 100,000 of them): valid without setting up the validator.
    if (b.length === 2 && b.ops[1] === Op.end && b.ops[0] === (type === I32 ? Op.i32_const : type === I64 ? Op.i64_const : -1)) return;
    const error = validator.constExpr(b, type);
    if (error) fail(`${what}: ${error.message}`, at);
  };
  const constExpr = (e: Expr, type: ValType, what: string): void => constBody(decodeExpr(e, scratch), type, what, e.offset);

  // Globals: an initializer may read imported globals and immutable ones defined before it.
  const importedGlobals = globals.length;
  ctx.globals = globals;
  for (let i = 0; i < m.globals.length; i++) {
    const g = m.globals[i];
    checkVal(g.type, 'global type');
    constExpr(g.init, g.type, `global ${globals.length}`);
    globals.push({ type: g.type, mutable: g.mutable });
  }
  // Tables are validated in the spec's context C', whose globals are the imported ones only.
  ctx.globals = globals.slice(0, importedGlobals);
  for (const t of m.tables) {
    checkTableLimits(t.limits, fail);
    checkRef(checkVal(t.type, 'table type'), fail);
    if (t.init) constExpr(t.init, t.type, 'table initializer');
    else if (!types.defaultable(t.type)) fail('type mismatch: a table of non-nullable references needs an initializer');
    ctx.tables.push({ type: t.type, addr64: t.limits.addr64 });
  }
  ctx.globals = globals;
  for (const e of m.elems) {
    checkRef(checkVal(e.type, 'element segment type'), fail);
    const funcs = e.funcs ?? [];
    for (let i = 0; i < funcs.length; i++) if (funcs[i] >= ctx.funcs.length) fail(`unknown function ${funcs[i]}`);
    if (e.exprs) for (const x of e.exprs) constExpr(x, e.type, 'element expression');
    if (!(e.flags & 1)) {
      const table = ctx.tables[e.table];
      if (!table) fail(`unknown table ${e.table}`);
      constExpr(e.offset!, table.addr64 ? I64 : I32, 'element segment offset');
      if (!types.valSub(e.type, table.type)) fail('type mismatch: element segment does not fit its table', e.offset!.offset);
    }
    ctx.elems.push(e.type);
  }
  ctx.dataCount = m.hasDataCount ? (m.lazyData?.count ?? m.datas.length) : null;
  // When the reader found every active segment in memory 0 at an `i32.const N` offset,
  // they are valid with a 32-bit memory 0 and declare no function: no need to visit them.
  const plain = m.lazyData?.plainActive ?? -1;
  if (plain < 0 || (plain > 0 && (ctx.memories.length === 0 || ctx.memories[0]))) visitDatas(m, scratch, (flags, memory, offset, at) => {
    if (!offset) return;
    declareIn(offset);
    if (memory >= ctx.memories.length) fail(`unknown memory ${memory}`);
    constBody(offset, ctx.memories[memory] ? I64 : I32, 'data segment offset', at);
  });
  if (m.start !== null) {
    if (m.start >= ctx.funcs.length) fail(`unknown function ${m.start}`);
    const t = types.func(ctx.funcs[m.start])!;
    if (t.params.length || t.results.length) fail('start function must have type [] -> []');
  }
  const names = new Set<string>();
  for (const e of m.exports) {
    if (names.has(e.name)) fail(`duplicate export name "${e.name}"`);
    names.add(e.name);
    const space = [ctx.funcs, ctx.tables, ctx.memories, ctx.globals, ctx.tags][e.kind];
    if (e.index >= space.length) fail(`unknown ${['function', 'table', 'memory', 'global', 'tag'][e.kind]} ${e.index}`);
  }
  return ctx;
}

function checkRef(t: ValType, fail: (m: string) => never): ValType {
  if (!isRefType(t)) fail('malformed reference type');
  return t;
}

function checkLimits(l: Limits, bound: bigint, what: string, fail: (m: string) => never): void {
  if (l.min > bound) fail(`${what} size must be at most ${bound}`);
  if (l.max !== null) {
    if (l.max > bound) fail(`${what} size must be at most ${bound}`);
    if (l.max < l.min) fail('size minimum must not be greater than maximum');
  }
}

function checkTableLimits(l: Limits, fail: (m: string) => never): void {
  checkLimits(l, l.addr64 ? 0xffff_ffff_ffff_ffffn : 0xffff_ffffn, 'table', fail);
  if (l.pageSizeLog2 !== null) fail('tables have no page size');
}

function checkMemoryLimits(l: Limits, fail: (m: string) => never): void {
  const pageLog2 = l.pageSizeLog2 ?? 16;
  if (pageLog2 !== 0 && pageLog2 !== 16) fail('invalid custom page size');
  // 2^(bits - 16) pages of 64 KiB (3.0); with custom page sizes, at most 2^bits / pagesize
  // pages and at most 2^bits - 1 (so 1-byte pages stop one short of 2^bits).
  const bits = BigInt(l.addr64 ? 64 : 32);
  const bound = pageLog2 === 0 ? (1n << bits) - 1n : 1n << (bits - BigInt(pageLog2));
  checkLimits(l, bound, 'memory', fail);
  if (l.shared && l.max === null) fail('shared memory must have maximum');
}
