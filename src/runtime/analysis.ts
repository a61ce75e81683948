/**
 * What the runtime needs to know about a module before instantiating it, read from its
 * bytes with weft's own reader: which exports may suspend (so that only those return
 * Promises), the result types of the async imports (an unwinding Asyncify import must
 * still return a value of its wasm type, and i64 needs a BigInt), whether the module
 * carries Binaryen's Asyncify ABI, and the width of its pointers.
 *
 * "May suspend" is a conservative call-graph closure: an import listed as async may
 * suspend; a function that calls one that may, directly or through a tail call, may; and
 * an indirect call (call_indirect, call_ref and their tail forms) may suspend when any
 * function that may suspend is address-taken (named by an element segment or a
 * `ref.func`, or exported, since JS can hand an exported function back as a reference).
 */
import { decodeExpr, decodeFunc, readModule } from '../binary/decode.js';
import { Body } from '../ir/body.js';
import { ExternKind, type Module } from '../ir/module.js';
import { Op } from '../ir/opcodes.js';
import { F32, F64, I32, I64, type ValType } from '../ir/types.js';

/** The five exports Binaryen's Asyncify pass adds (and weft's keeps). */
export const ASYNCIFY_EXPORTS = [
  'asyncify_start_unwind', 'asyncify_stop_unwind', 'asyncify_start_rewind', 'asyncify_stop_rewind', 'asyncify_get_state',
] as const;

/** The command that makes a module fit for the Asyncify backend. */
export const asyncifyCommand = (imports: readonly string[]): string =>
  `weft asyncify IN.wasm -o OUT.wasm --imports ${imports.join(',') || 'MODULE.NAME,...'}`;

export interface ModuleFacts {
  /** Names of the function exports that may suspend. */
  suspending: Set<string>;
  /** Result types of each async import, by `module.name`. */
  asyncResults: Map<string, ValType[]>;
  /** The module exports all five asyncify_* functions. */
  asyncified: boolean;
  /** Memory 0 (the one Asyncify uses) is 64-bit, so asyncify pointers are BigInts. */
  memory64: boolean;
  /** Export name of memory 0, or null; `memoryImport` names it when imported. */
  memoryExport: string | null;
  memoryImport: { module: string; name: string } | null;
}

/** A test of names against patterns like `env.fetch_*`: `*` matches any run of characters. */
export function globMatcher(patterns: readonly string[]): (text: string) => boolean {
  if (!patterns.length) return () => false;
  const escape = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^(?:${patterns.map((p) => p.split('*').map(escape).join('.*')).join('|')})$`);
  return (text) => re.test(text);
}

/** Matches imports, as `module.name`, against patterns (`env.sleep`, `env.fetch_*`, `*.read`). */
export function importMatcher(patterns: readonly string[]): (module: string, name: string) => boolean {
  const test = globMatcher(patterns);
  return (module, name) => test(`${module}.${name}`);
}

/** Reads the facts; `callGraph` false skips the function bodies (then `suspending` is empty). */
export function analyze(bytes: Uint8Array, isAsync: (module: string, name: string) => boolean, callGraph = true): ModuleFacts {
  const m = readModule(bytes, { names: false });
  const funcImports = m.imports.filter((i) => i.kind === ExternKind.Func);
  const nImported = funcImports.length;
  const total = nImported + m.funcs.length;
  const asyncResults = new Map<string, ValType[]>();
  const may = new Uint8Array(total);
  funcImports.forEach((imp, i) => {
    if (!isAsync(imp.module, imp.name)) return;
    may[i] = 1;
    asyncResults.set(`${imp.module}.${imp.name}`, resultsOf(m, imp.type));
  });

  // One pass over the bodies collects direct callers per callee, who calls indirectly,
  // and which functions are address-taken; the closure below is then a worklist.
  const callers: number[][] = Array.from({ length: total }, () => []);
  const indirect: number[] = [];
  const taken = new Uint8Array(total);
  const body = new Body();
  const refFuncs = (b: Body) => {
    for (let i = 0; i < b.length; i++) if (b.ops[i] === Op.ref_func) taken[b.imm[4 * i]] = 1;
  };
  if (callGraph && asyncResults.size) {
    for (let f = 0; f < m.funcs.length; f++) {
      const b = decodeFunc(m, m.funcs[f], body);
      const self = nImported + f;
      let calls = false;
      for (let i = 0; i < b.length; i++) {
        const op = b.ops[i];
        if (op === Op.call || op === Op.return_call) callers[b.imm[4 * i]].push(self);
        else if (op === Op.call_indirect || op === Op.return_call_indirect || op === Op.call_ref || op === Op.return_call_ref) calls = true;
        else if (op === Op.ref_func) taken[b.imm[4 * i]] = 1;
      }
      if (calls) indirect.push(self);
    }
    for (const e of m.elems) {
      if (e.funcs) for (const f of e.funcs) taken[f] = 1;
      if (e.exprs) for (const x of e.exprs) refFuncs(decodeExpr(x, body));
    }
    for (const g of m.globals) refFuncs(decodeExpr(g.init, body));
    for (const ex of m.exports) if (ex.kind === ExternKind.Func) taken[ex.index] = 1;
  }

  const work: number[] = [];
  for (let f = 0; f < total; f++) if (may[f]) work.push(f);
  let indirectDone = false;
  while (work.length) {
    const f = work.pop()!;
    for (const c of callers[f]) if (!may[c]) (may[c] = 1), work.push(c);
    if (taken[f] && !indirectDone) {
      indirectDone = true;
      for (const c of indirect) if (!may[c]) (may[c] = 1), work.push(c);
    }
  }

  const suspending = new Set<string>();
  const names = new Set<string>();
  let memoryExport: string | null = null;
  for (const ex of m.exports) {
    names.add(ex.name);
    if (ex.kind === ExternKind.Func && may[ex.index]) suspending.add(ex.name);
    if (ex.kind === ExternKind.Memory && ex.index === 0 && memoryExport === null) memoryExport = ex.name;
  }
  const memImports = m.imports.filter((i) => i.kind === ExternKind.Memory);
  const mem0 = memImports[0] ?? null;
  const memory64 = mem0 && mem0.kind === ExternKind.Memory ? mem0.memory.addr64 : (m.memories[0]?.addr64 ?? false);
  return {
    suspending,
    asyncResults,
    asyncified: ASYNCIFY_EXPORTS.every((n) => names.has(n)),
    memory64,
    memoryExport,
    memoryImport: mem0 ? { module: mem0.module, name: mem0.name } : null,
  };
}

function resultsOf(m: Module, type: number): ValType[] {
  const t = m.types[type]?.comp;
  return t && t.kind === 'func' ? t.results : [];
}

/** The value an import returns while it unwinds: the zero of its result type(s), as JS can pass it back. */
export function zeroOf(results: readonly ValType[] | undefined): unknown {
  if (!results || results.length === 0) return undefined;
  const zero = (t: ValType) => (t === I64 ? 0n : t === I32 || t === F32 || t === F64 ? 0 : null);
  return results.length === 1 ? zero(results[0]) : results.map(zero);
}
