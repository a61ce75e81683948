/**
 * Asyncify's module analysis: which functions may change the asyncify state (unwind), so
 * must be instrumented, and which call sites inside them may unwind.
 *
 * A function may unwind if it calls one that may, directly or indirectly. Unlike
 * Binaryen, indirect calls are narrowed: a `call_indirect` can only reach functions of a
 * matching (sub)type that its table may hold, and a `call_ref` only functions whose
 * reference escapes (element segments, globals, exports, `ref.func`). A table that is
 * neither imported nor exported nor written by any body holds exactly its element
 * segments. Propagation is a worklist over reverse call edges and call-site classes.
 */
import { decodeFunc } from '../../binary/decode.js';
import { Body } from '../../ir/body.js';
import { ExternKind, importCount, type Module } from '../../ir/module.js';
import { OP_BY_NAME, Op } from '../../ir/opcodes.js';
import type { ModuleContext } from '../../validate/context.js';

export interface AnalysisOptions {
  /** Import patterns (`module.base`, `*` wildcards) that may unwind; null: every import. */
  imports: string[] | null;
  ignoreImports: boolean;
  ignoreIndirect: boolean;
  addList: string[];
  removeList: string[];
  onlyList: string[] | null;
  propagateAddList: boolean;
}

export interface Analysis {
  /** Per function index (imports first): may unwind. */
  unwinds: Uint8Array;
  /** Per function index: instrumented (a defined function that may unwind). */
  instrument: Uint8Array;
  /** Per function index: forced by a list, so all its indirect calls count as unwinding. */
  listed: Uint8Array;
  /** Does an indirect call site of this class (see classKey) possibly unwind? */
  hotClass(key: string): boolean;
  /** Does a `return_call*` that may unwind stay a real tail call (op and its immediates)? */
  realTail(op: number, a: number, b: number): boolean;
  /** The instrumented functions `g` may have tail-called into when rewound (not g itself). */
  tailClosure(g: number): number[];
  /** Does any instrumented function keep a tail call that may unwind? */
  anyTail: boolean;
  /**
   * The `call_indirect` classes (type, table) that instrumented functions use, whose table a
   * body may rewrite (table.set, fill, copy, init), with the functions each may reach that
   * unwind (`targets`, ascending: each instrumented, or an import, which gets a thunk that
   * leaves a frame); in a fixed order. A callee may rewrite its own slot before it unwinds,
   * so a rewind must re-enter the function whose frame is on top, not the slot's new
   * occupant (retarget.ts).
   */
  retargeted: { type: number; table: number; targets: number[] }[];
  /** Imports of the in-wasm runtime (asyncify.start_unwind...), by function index. */
  runtime: Map<number, RuntimeCall>;
  /** Why each instrumented function is, for --verbose. */
  reasons: Map<number, string>;
  warnings: string[];
}

export class AsyncifyError extends Error {}

/** The control functions, as a runtime written in wasm imports them (`asyncify.NAME`). */
export const RUNTIME_CALLS = ['start_unwind', 'stop_unwind', 'start_rewind', 'stop_rewind', 'get_state'] as const;
export type RuntimeCall = (typeof RUNTIME_CALLS)[number];

const TABLE_SET = OP_BY_NAME.get('table.set')!.id;
const TABLE_FILL = OP_BY_NAME.get('table.fill')!.id;
const TABLE_GROW = OP_BY_NAME.get('table.grow')!.id;
const TABLE_COPY = OP_BY_NAME.get('table.copy')!.id;
const TABLE_INIT = OP_BY_NAME.get('table.init')!.id;

/** The class of an indirect call site: `call_indirect` by table and type, `call_ref` by type. */
export const classKey = (op: number, typeIndex: number, table: number): string =>
  op === Op.call_indirect || op === Op.return_call_indirect ? `t${table}:${typeIndex}` : `r:${typeIndex}`;

/** A pattern with `*` wildcards anywhere, as Binaryen matches them. */
export function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/** The ops the scan of bodies looks at: calls and table writes. */
const CALLISH = new Uint8Array(1024);
for (const op of [Op.call, Op.return_call, Op.call_indirect, Op.return_call_indirect, Op.call_ref, Op.return_call_ref,
  TABLE_SET, TABLE_FILL, TABLE_GROW, TABLE_COPY, TABLE_INIT]) CALLISH[op] = 1;

/**
 * `fastCalls`, if given, may answer for a defined function (by function index) with its
 * calls as (op, immediate, immediate) triples, as the validator's fast core records them
 * (which also validates it); for the others, `inspect` sees the decoded body during the
 * one scan of all bodies, so a caller can validate them without decoding twice.
 */
export function analyze(
  m: Module, ctx: ModuleContext, o: AnalysisOptions, inspect?: (func: number, body: Body) => void,
  fastCalls?: (func: number) => Int32Array | null,
): Analysis {
  const nImports = importCount(m, ExternKind.Func);
  const n = nImports + m.funcs.length;
  const warnings: string[] = [];
  const reasons = new Map<number, string>();
  const names: string[] = new Array(n);
  // A defined function without a name answers to its index, as Binaryen names it.
  for (let i = 0; i < n; i++) names[i] = m.names?.functions.get(i) ?? (i < nImports ? '' : String(i));

  const funcImports = m.imports.filter((i) => i.kind === ExternKind.Func);
  const importName = (f: number): string => (f < nImports ? `${funcImports[f].module}.${funcImports[f].name}` : '');

  // Lists match function names (the name section), with wildcards.
  const listSet = (list: string[], what: string): Uint8Array => {
    const set = new Uint8Array(n);
    for (const p of list) {
      const re = wildcard(p);
      let hit = false;
      for (let i = 0; i < n; i++) {
        if (names[i] && re.test(names[i])) {
          // A pattern with wildcards passes over imports; a name of one is a mistake.
          if (i < nImports) {
            if (p.includes('*')) continue;
            throw new AsyncifyError(`--${what}: ${names[i]} is an import; list imports with --imports`);
          }
          set[i] = 1;
          hit = true;
        }
      }
      if (!hit) warnings.push(`--${what}: ${p} matches no function`);
    }
    return set;
  };
  if (o.onlyList && (o.addList.length || o.removeList.length)) {
    throw new AsyncifyError('--only-list cannot be combined with --add-list or --remove-list');
  }
  const add = listSet(o.addList, 'add-list');
  const remove = listSet(o.removeList, 'remove-list');
  const only = o.onlyList ? listSet(o.onlyList, 'only-list') : null;
  for (let i = 0; i < n; i++) {
    if (add[i] && remove[i]) throw new AsyncifyError(`function ${names[i]} is in both --add-list and --remove-list`);
  }

  // The runtime may live in wasm: imports asyncify.* are the control functions.
  const runtime = new Map<number, RuntimeCall>();
  {
    let fi = 0;
    for (const imp of m.imports) {
      if (imp.kind !== ExternKind.Func) continue;
      if (imp.module === 'asyncify') {
        if (!(RUNTIME_CALLS as readonly string[]).includes(imp.name)) {
          throw new AsyncifyError(`import asyncify.${imp.name} is not one of asyncify's control functions (${RUNTIME_CALLS.join(', ')})`);
        }
        runtime.set(fi, imp.name as RuntimeCall);
      }
      fi++;
    }
  }
  /** Callers of start_unwind/stop_rewind start an unwind (their callers unwind); callers of stop_unwind/start_rewind end one. */
  const topMost = new Uint8Array(n);
  const bottomMost = new Uint8Array(n);

  // Imports that may unwind.
  const unwinds = new Uint8Array(n);
  const importRes = o.imports?.map(wildcard) ?? null;
  const usedPatterns = new Uint8Array(o.imports?.length ?? 0);
  {
    let fi = 0;
    for (const imp of m.imports) {
      if (imp.kind !== ExternKind.Func) continue;
      const full = `${imp.module}.${imp.name}`;
      if (!o.ignoreImports && imp.module !== 'asyncify') {
        if (importRes === null) unwinds[fi] = 1;
        else {
          for (let p = 0; p < importRes.length; p++) {
            if (importRes[p].test(full)) {
              unwinds[fi] = 1;
              usedPatterns[p] = 1;
            }
          }
        }
      }
      fi++;
    }
    if (o.imports) o.imports.forEach((p, i) => usedPatterns[i] || warnings.push(`--imports: ${p} matches no import`));
  }

  // Scan bodies: direct calls (reverse edges), indirect call classes, table writes.
  const callers: number[][] = Array.from({ length: n }, () => []);
  const classUsers = new Map<string, number[]>();
  // Tail calls, for the closures below.
  const tailDirect: number[][] = Array.from({ length: n }, () => []);
  const tailClass: string[][] = Array.from({ length: n }, () => []);
  const classType = new Map<string, { table: number; type: number; ref: boolean }>();
  const writtenTables = new Set<number>();
  /** Written other than by growing, which leaves the slots in use as they are. */
  const rewrittenTables = new Set<number>();
  /** Classes with a plain call_indirect (a tail call's rewind needs no wrapper). */
  const plainIndirect = new Set<string>();
  const scratch = new Body();
  let lastCallee = -1;
  // A call of op `op` (with immediates a, b) in function f.
  const scan = (f: number, op: number, a: number, b: number): void => {
    if (op === Op.return_call) tailDirect[f].push(a);
    else if (op === Op.return_call_indirect || op === Op.return_call_ref) tailClass[f].push(classKey(op, a, b));
    if (op === Op.call || op === Op.return_call) {
      const r = a < nImports ? runtime.get(a) : undefined;
      if (r === 'start_unwind' || r === 'stop_rewind') topMost[f] = 1;
      else if (r === 'stop_unwind' || r === 'start_rewind') bottomMost[f] = 1;
      if (a !== lastCallee) {
        const list = callers[a];
        if (list[list.length - 1] !== f) list.push(f);
        lastCallee = a;
      }
    } else if (op === Op.call_indirect || op === Op.return_call_indirect || op === Op.call_ref || op === Op.return_call_ref) {
      const ref = op === Op.call_ref || op === Op.return_call_ref;
      const key = classKey(op, a, b);
      let users = classUsers.get(key);
      if (!users) {
        classUsers.set(key, (users = []));
        classType.set(key, { table: ref ? -1 : b, type: a, ref });
      }
      if (users[users.length - 1] !== f) users.push(f);
      if (op === Op.call_indirect) plainIndirect.add(key);
    } else if (op === TABLE_SET || op === TABLE_FILL || op === TABLE_GROW || op === TABLE_COPY) {
      writtenTables.add(a);
      if (op !== TABLE_GROW) rewrittenTables.add(a);
    } else if (op === TABLE_INIT) {
      writtenTables.add(b);
      rewrittenTables.add(b);
    }
  };
  for (let d = 0; d < m.funcs.length; d++) {
    const f = nImports + d;
    lastCallee = -1;
    const calls = fastCalls?.(f) ?? null;
    if (calls) {
      for (let j = 0; j < calls.length; j += 3) scan(f, calls[j], calls[j + 1], calls[j + 2]);
      continue;
    }
    const b = decodeFunc(m, m.funcs[d], scratch);
    inspect?.(f, b);
    const ops = b.ops;
    const imm = b.imm;
    for (let i = 0; i < b.length; i++) {
      const op = ops[i];
      if (CALLISH[op]) scan(f, op, imm[i * 4], imm[i * 4 + 1]);
    }
  }

  // What each table may hold.
  const escaped: number[] = [];
  for (let i = 0; i < n; i++) if (ctx.refs[i]) escaped.push(i);
  const nTableImports = importCount(m, ExternKind.Table);
  const exportedTables = new Set(m.exports.filter((e) => e.kind === ExternKind.Table).map((e) => e.index));
  const tableFuncs = new Map<number, number[]>();
  const holds = (table: number): number[] => {
    let list = tableFuncs.get(table);
    if (list) return list;
    if (table < nTableImports || exportedTables.has(table) || writtenTables.has(table)) list = escaped;
    else {
      const s = new Set<number>();
      for (const e of m.elems) {
        if ((e.flags & 1) === 0 && e.table === table) for (const x of e.funcs ?? []) s.add(x);
        // Expression items and table initializers: any escaped function may be among them.
        if ((e.flags & 1) === 0 && e.table === table && e.exprs) for (const x of escaped) s.add(x);
      }
      if (m.tables[table - nTableImports]?.init) for (const x of escaped) s.add(x);
      list = [...s];
    }
    tableFuncs.set(table, list);
    return list;
  };

  // Class membership: which functions each class may call.
  const memberOf: string[][] = Array.from({ length: n }, () => []);
  const classMembers = new Map<string, number[]>();
  if (!o.ignoreIndirect) {
    const subCache = new Map<number, boolean>();
    for (const [key, c] of classType) {
      subCache.clear();
      const members = c.ref ? escaped : holds(c.table);
      for (let k = 0; k < members.length; k++) {
        const g = members[k];
        const t = ctx.funcs[g];
        let ok = subCache.get(t);
        if (ok === undefined) subCache.set(t, (ok = ctx.types.heapSub(t, c.type)));
        if (ok) {
          memberOf[g].push(key);
          let list = classMembers.get(key);
          if (!list) classMembers.set(key, (list = []));
          list.push(g);
        }
      }
    }
  }

  // Propagation.
  const hot = new Set<string>();
  const work: number[] = [];
  const mark = (f: number, why: string): void => {
    if (unwinds[f] || remove[f] || bottomMost[f]) return;
    if (only && !only[f]) return;
    unwinds[f] = 1;
    if (f >= nImports) reasons.set(f, why);
    work.push(f);
  };
  const listed = new Uint8Array(n);
  for (let i = 0; i < n; i++) if (unwinds[i]) work.push(i);
  for (let i = nImports; i < n; i++) if (topMost[i] && !bottomMost[i]) mark(i, 'it starts an unwind (calls asyncify.start_unwind or stop_rewind)');
  if (only) {
    for (let i = nImports; i < n; i++) if (only[i]) {
      listed[i] = 1;
      mark(i, 'it is in --only-list');
    }
  } else if (o.propagateAddList) {
    for (let i = nImports; i < n; i++) if (add[i]) {
      listed[i] = 1;
      mark(i, 'it is in --add-list');
    }
  }
  while (work.length) {
    const g = work.pop()!;
    const gname = g < nImports ? `import ${importName(g)}` : names[g] || `function ${g}`;
    const from = callers[g];
    for (let k = 0; k < from.length; k++) mark(from[k], `it calls ${gname}`);
    for (const key of memberOf[g]) {
      if (hot.has(key)) continue;
      hot.add(key);
      const c = classType.get(key)!;
      const via = c.ref ? `call_ref of type ${c.type}` : `call_indirect of type ${c.type} through table ${c.table}`;
      const users = classUsers.get(key)!;
      for (let k = 0; k < users.length; k++) mark(users[k], `its ${via} may reach ${gname}`);
    }
  }
  if (!only && !o.propagateAddList) {
    for (let i = nImports; i < n; i++) if (add[i]) {
      listed[i] = 1;
      if (!unwinds[i]) {
        unwinds[i] = 1;
        reasons.set(i, 'it is in --add-list');
      }
    }
  }
  const instrument = new Uint8Array(n);
  // The runtime's own functions run as they are.
  for (let i = nImports; i < n; i++) instrument[i] = unwinds[i] && !topMost[i] && !bottomMost[i] ? 1 : 0;

  // A tail call stays a tail call when everything it may reach that unwinds is an
  // instrumented function, which leaves a frame when it does; then a rewind re-enters
  // that function straight from the caller's prologue (see flow.ts).
  const unwindingTargets = (key: string): number[] => (classMembers.get(key) ?? []).filter((g) => unwinds[g]);
  // (Not only hot classes: in an --add-list function every indirect call is a site, and a
  // tail call through a class that cannot unwind must stay one, or deep tail recursion
  // overflows the stack.)
  const realClass = (key: string): boolean => !o.ignoreIndirect && unwindingTargets(key).every((g) => instrument[g]);
  const realTail = (op: number, a: number, b: number): boolean =>
    op === Op.return_call ? unwinds[a] === 1 && instrument[a] === 1 : realClass(classKey(op, a, b));
  const closures = new Map<number, number[]>();
  const tailClosure = (g: number): number[] => {
    let c = closures.get(g);
    if (c) return c;
    const seen = new Set<number>();
    const work = [g];
    while (work.length) {
      const f = work.pop()!;
      const next = tailDirect[f].filter((x) => unwinds[x] && instrument[x]);
      for (const key of tailClass[f]) if (realClass(key)) next.push(...unwindingTargets(key));
      for (const x of next) if (!seen.has(x)) {
        seen.add(x);
        work.push(x);
      }
    }
    seen.delete(g);
    closures.set(g, (c = [...seen].sort((a, b) => a - b)));
    return c;
  };
  let anyTail = false;
  for (let f = nImports; f < n && !anyTail; f++) {
    if (!instrument[f]) continue;
    anyTail = tailDirect[f].some((x) => unwinds[x] && instrument[x]) || tailClass[f].some((key) => realClass(key) && unwindingTargets(key).length > 0);
  }
  const retargeted: { type: number; table: number; targets: number[] }[] = [];
  for (const [key, c] of classType) {
    if (o.ignoreIndirect || !plainIndirect.has(key) || !rewrittenTables.has(c.table) || !hot.has(key)) continue;
    const targets = unwindingTargets(key);
    // A runtime function of the module's own starts an unwind without a frame.
    if (targets.some((g) => g >= nImports && !instrument[g])) continue;
    if (classUsers.get(key)!.some((f) => instrument[f])) retargeted.push({ type: c.type, table: c.table, targets: targets.sort((x, y) => x - y) });
  }
  return { unwinds, instrument, listed, hotClass: (key) => hot.has(key), reasons, warnings, runtime, realTail, tailClosure, anyTail, retargeted };
}
