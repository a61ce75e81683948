/**
 * RETARGET (see flow.ts): a callee may rewrite its own table slot before it unwinds, and a
 * rewind through the table would then enter the slot's new occupant. Where some body
 * rewrites a table, each `call_indirect` class through it that may unwind (analysis.ts,
 * `retargeted`) gets a wrapper `(params, index) → results`, which its sites call instead
 * when rewinding (`global.get $state  if (type of the wrapper)  call $wrapper  else
 * call_indirect  end`, so the normal path keeps the plain call): it calls the function
 * owning the site index on top of the frames (site indices are then unique module-wide),
 * or if none owns it, dispatches through the slot. An import such a call may reach leaves
 * no frame, so every reference to it takes a thunk of its own type, which calls it and,
 * when it unwinds, pushes a frame of one word: a site index of its own.
 */
import { rewriteConstExprs } from '../../binary/encode.js';
import { Body } from '../../ir/body.js';
import { ExternKind, type Module } from '../../ir/module.js';
import { OP_BY_NAME, Op } from '../../ir/opcodes.js';
import { HeapCode, heapFromCode, I32, I64, refType, type ValType } from '../../ir/types.js';
import type { ModuleContext } from '../../validate/context.js';
import type { Analysis } from './analysis.js';
import { pushSiteInRange, pushTopSite } from './flow.js';

const id = (name: string): number => OP_BY_NAME.get(name)!.id;
const I32_STORE = id('i32.store'), I32_EQ = id('i32.eq');

/** The imports that get a thunk: those a retargeted call may reach, ascending. */
export function thunkedImports(analysis: Analysis, nFuncImports: number): number[] {
  const out = new Set<number>();
  for (const { targets } of analysis.retargeted) for (const x of targets) if (x < nFuncImports) out.add(x);
  return [...out].sort((a, b) => a - b);
}

/** What the wrappers and thunks are built from: the pass's globals, frame helpers and site numbering. */
export interface RetargetKit {
  ctx: ModuleContext;
  analysis: Analysis;
  stateGlobal: number;
  dataGlobal: number;
  /** The buffer's memory, and whether it is 64-bit. */
  memory: number;
  mem64: boolean;
  /** Instrumented function → its first site index and how many it reserved. */
  siteBases: Map<number, number>;
  siteReserves: Map<number, number>;
  /** Thunked import → its thunk's site index. */
  thunkSites: Map<number, number>;
  /** A memarg op on the buffer's memory (alignment defaults to the pointer's). */
  memarg(b: Body, op: number, offset: number, align?: number): void;
  ptrConst(b: Body, v: number): void;
  /** (size) → p, growing / shrinking the frames by size. */
  framePush(): number;
  framePop(): number;
  /** Adds a function (its body without the final end) and returns its index. */
  helper(name: string, params: ValType[], results: ValType[], b: Body): number;
  nFuncs(): number;
  verbose?: (line: string) => void;
}

export interface Retarget {
  /** The wrapper for a call_indirect (type, table) and its type index, or null. */
  wrapper(type: number, table: number): { func: number; type: number } | null;
  /** Points ref.func of a thunked import in b at its thunk (a body is typed against the input first); whether any changed. */
  thunkRefs(b: Body): boolean;
  /** Whether there are thunks, so that every body may need thunkRefs. */
  thunks: boolean;
}

/** Adds the thunks and wrappers to m, and points the segments and constant expressions at the thunks. */
export function addRetargets(m: Module, k: RetargetKit): Retarget {
  const { ctx, stateGlobal, memarg, ptrConst } = k;
  const funcImports = m.imports.filter((i) => i.kind === ExternKind.Func);
  const thunks = new Map<number, number>();
  for (const [x, site] of k.thunkSites) {
    const type = ctx.funcs[x];
    const ft = ctx.types.func(type)!;
    const b = new Body();
    b.push(Op.global_get, stateGlobal);
    b.push(Op.if, -64);
    ptrConst(b, 4);
    b.push(Op.call, k.framePop());
    b.push(Op.drop);
    b.push(Op.end);
    for (let j = 0; j < ft.params.length; j++) b.push(Op.local_get, j);
    b.push(Op.call, x);
    b.push(Op.global_get, stateGlobal);
    b.push(Op.i32_const, 1);
    b.push(I32_EQ);
    b.push(Op.if, -64);
    ptrConst(b, 4);
    b.push(Op.call, k.framePush());
    b.push(Op.i32_const, site);
    memarg(b, I32_STORE, 0, 2);
    b.push(Op.end);
    b.push(Op.end);
    // Of the import's own type (not helper's canonical one), so call_indirect's check passes.
    const index = k.nFuncs();
    m.funcs.push({ type, body: b, raw: null, offset: 0 });
    const imp = funcImports[x];
    m.names?.functions.set(index, `__asyncify_thunk_${m.names.functions.get(x) ?? `${imp.module}.${imp.name}`}`);
    thunks.set(x, index);
    k.verbose?.(`[asyncify] import ${imp.module}.${imp.name} is referenced through func ${index}, which leaves a frame when it unwinds (a table it may sit in is rewritten)`);
  }
  const thunkRefs = (b: Body): boolean => {
    let changed = false;
    for (let i = 0; i < b.length; i++) {
      const to = b.ops[i] === Op.ref_func ? thunks.get(b.imm[i * 4]) : undefined;
      if (to !== undefined) {
        b.imm[i * 4] = to;
        changed = true;
      }
    }
    return changed;
  };
  if (thunks.size) {
    for (const e of m.elems) if (e.funcs) e.funcs = e.funcs.map((x) => thunks.get(x) ?? x);
    rewriteConstExprs(m, thunkRefs);
    // Declared, for the ref.func of them that bodies get.
    m.elems.push({ flags: 3, table: 0, offset: null, type: refType(false, heapFromCode(HeapCode.func)), funcs: [...thunks.values()], exprs: null });
  }

  const wrappers = new Map<string, { func: number; type: number }>();
  for (const { type, table, targets } of k.analysis.retargeted) {
    const ft = ctx.types.func(type)!;
    const np = ft.params.length;
    const b = new Body();
    b.locals = [1, I32];
    pushTopSite(b, k);
    b.push(Op.local_set, np + 1);
    for (const x of targets) {
      const thunk = thunks.get(x);
      if (thunk === undefined) pushSiteInRange(b, np + 1, k.siteBases.get(x) ?? 0, k.siteReserves.get(x) ?? 0);
      else pushSiteInRange(b, np + 1, k.thunkSites.get(x)!, 1);
      b.push(Op.if, -64);
      for (let j = 0; j < np; j++) b.push(Op.local_get, j);
      b.push(Op.call, thunk ?? x);
      b.push(Op.return);
      b.push(Op.end);
    }
    for (let j = 0; j <= np; j++) b.push(Op.local_get, j);
    b.push(Op.call_indirect, type, table);
    const params = [...ft.params, ctx.tables[table].addr64 ? I64 : I32];
    const w = k.helper(`__asyncify_retarget_${wrappers.size}`, params, [...ft.results], b);
    wrappers.set(`${type}:${table}`, { func: w, type: m.funcs[w - funcImports.length].type });
    k.verbose?.(`[asyncify] call_indirect of type ${type} through table ${table} calls func ${w} when rewinding: a body rewrites the table, so a rewind calls the function whose frame is on top`);
  }
  return { wrapper: (type, table) => wrappers.get(`${type}:${table}`) ?? null, thunkRefs, thunks: thunks.size > 0 };
}
