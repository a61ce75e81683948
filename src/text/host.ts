/**
 * The engine side of running spec scripts in the host's WebAssembly (V8): the `spectest`
 * module, thunks that call exports bit-exactly, and the classification of engine errors.
 * Shared by `weft wast` (src/text/wast.ts) and the JSON differential harness (test/spec).
 *
 * Calls go through a tiny generated "thunk" module that imports the target, loads the
 * arguments from a scratch memory and stores the results back there: JS cannot pass v128
 * at all, and does not promise to keep the NaN bits of f32/f64.
 */

/** The slice of the JS WebAssembly API used here (the project's TS lib has no DOM types). */
export interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => { buffer: ArrayBuffer };
  Table: new (d: { element: string; initial: number; maximum?: number }) => object;
  Global: new (d: { value: string; mutable: boolean }, v: unknown) => { value: unknown };
  validate(bytes: Uint8Array): boolean;
  RuntimeError: new () => Error;
  CompileError: new () => Error;
  LinkError: new () => Error;
  Exception: new () => object;
}
export const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const NUM_TYPES: Record<string, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };
/** Nullable abstract reference types a thunk can name. */
export const REF_TYPES: Record<string, number> = {
  funcref: 0x70, externref: 0x6f, anyref: 0x6e, eqref: 0x6d, i31ref: 0x6c, structref: 0x6b,
  arrayref: 0x6a, exnref: 0x69, nullref: 0x71, nullexternref: 0x72, nullfuncref: 0x73, nullexnref: 0x74,
};
// [load opcode bytes, store opcode bytes]
const MEM_OPS: Record<string, [number[], number[]]> = {
  i32: [[0x28], [0x36]], i64: [[0x29], [0x37]], f32: [[0x2a], [0x38]], f64: [[0x2b], [0x39]],
  v128: [[0xfd, 0x00], [0xfd, 0x0b]],
};
/** Bytes per argument/result slot in the scratch memory. */
export const SLOT = 16;

export const isRefName = (t: string): boolean => t in REF_TYPES;
/**
 * References that cannot cross the JS boundary (exnref): a thunk passes them as null and
 * returns whether they are null as an i32 in their slot.
 */
export const isOpaqueRef = (t: string): boolean => t === 'exnref' || t === 'nullexnref';
/** A reference a thunk takes from or gives to JS. */
export const passesJS = (t: string): boolean => isRefName(t) && !isOpaqueRef(t);

/** One scratch memory shared by all thunks; every call writes and reads it synchronously. */
const scratch = new WA.Memory({ initial: 1 });
export const scratchView = new DataView(scratch.buffer);
export const scratchBytes = (at: number, n: number): Uint8Array => new Uint8Array(scratch.buffer.slice(at, at + n));

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    const b = n & 0x7f;
    n >>>= 7;
    out.push(n ? b | 0x80 : b);
  } while (n);
  return out;
}
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const utf8 = new TextEncoder();
const name = (s: string): number[] => vec([...utf8.encode(s)].map((b) => [b]));
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
function typeCode(t: string): number {
  const code = NUM_TYPES[t] ?? REF_TYPES[t];
  if (code === undefined) throw new Error(`unsupported value type ${t}`);
  return code;
}
const funcType = (ps: string[], rs: string[]): number[] =>
  [0x60, ...vec(ps.map((t) => [typeCode(t)])), ...vec(rs.map((t) => [typeCode(t)]))];
const memarg = (slot: number): number[] => [0x00, ...uleb(slot * SLOT)];
const MAGIC = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const MEM_IMPORT = [...name('t'), ...name('mem'), 0x02, 0x00, 0x01];

/**
 * (import "t" "f" (func params -> results)) (import "t" "mem" (memory 1))
 * (func (export "run") (param <ref params>) (result <ref results>)): loads numeric
 * arguments from slot i, calls f, stores numeric results to slot j, returns the references.
 */
function buildThunk(params: string[], results: string[]): Uint8Array {
  const refParams = params.filter(passesJS);
  const code: number[] = [];
  let refIndex = 0;
  params.forEach((t, i) => {
    if (isOpaqueRef(t)) code.push(0xd0, 0x69);
    else if (isRefName(t)) code.push(0x20, ...uleb(refIndex++));
    else code.push(0x41, 0x00, ...MEM_OPS[t][0], ...memarg(i));
  });
  code.push(0x10, 0x00);
  const local = (j: number): number[] => uleb(refParams.length + j);
  for (let j = results.length - 1; j >= 0; j--) code.push(0x21, ...local(j));
  results.forEach((t, j) => {
    if (isOpaqueRef(t)) code.push(0x41, 0x00, 0x20, ...local(j), 0xd1, ...MEM_OPS.i32[1], ...memarg(j));
    else if (!isRefName(t)) code.push(0x41, 0x00, 0x20, ...local(j), ...MEM_OPS[t][1], ...memarg(j));
  });
  results.forEach((t, j) => {
    if (passesJS(t)) code.push(0x20, ...local(j));
  });
  code.push(0x0b);
  const body = [...vec(results.map((t) => [1, typeCode(t)])), ...code];
  return new Uint8Array([
    ...MAGIC,
    ...section(1, vec([funcType(params, results), funcType(refParams, results.filter(passesJS))])),
    ...section(2, vec([[...name('t'), ...name('f'), 0x00, 0x00], MEM_IMPORT])),
    ...section(3, vec([[0x01]])),
    ...section(7, vec([[...name('run'), 0x00, 0x01]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

/** (import "t" "g" (global mut? T)) ... (func (export "run") stores the global to slot 0). */
function buildGlobalThunk(type: string, mutable: boolean): Uint8Array {
  const code = [0x41, 0x00, 0x23, 0x00, ...MEM_OPS[type][1], ...memarg(0), 0x0b];
  const body = [0x00, ...code];
  return new Uint8Array([
    ...MAGIC,
    ...section(1, vec([funcType([], [])])),
    ...section(2, vec([[...name('t'), ...name('g'), 0x03, typeCode(type), mutable ? 1 : 0], MEM_IMPORT])),
    ...section(3, vec([[0x00]])),
    ...section(7, vec([[...name('run'), 0x00, 0x00]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

type Fn = (...args: unknown[]) => unknown;
const thunkModules = new Map<string, object>();
const thunkInstances = new WeakMap<object, Map<string, Fn>>();

function cachedThunk(target: object, key: string, build: () => Uint8Array, field: string): Fn {
  let byKey = thunkInstances.get(target);
  if (!byKey) thunkInstances.set(target, (byKey = new Map()));
  let run = byKey.get(key);
  if (!run) {
    let mod = thunkModules.get(key);
    if (!mod) thunkModules.set(key, (mod = new WA.Module(build())));
    run = new WA.Instance(mod, { t: { [field]: target, mem: scratch } }).exports.run as Fn;
    byKey.set(key, run);
  }
  return run;
}

/**
 * The thunk that calls `fn` with (params) -> (results), type names as in the text format
 * (`i32`, `v128`, `funcref`…). Throws a LinkError when `fn`'s type is not that one.
 */
export const thunkFor = (fn: Fn, params: string[], results: string[]): Fn =>
  cachedThunk(fn, `${params}->${results}`, () => buildThunk(params, results), 'f');

/** A function that stores the numeric global `g` (a WebAssembly.Global) into slot 0. */
export const globalThunk = (g: object, type: string, mutable: boolean): Fn =>
  cachedThunk(g, `global ${type} ${mutable}`, () => buildGlobalThunk(type, mutable), 'g');

/** `nan:canonical` / `nan:arithmetic` against f32 bits. */
export function nan32Matches(bits: number, pattern: 'nan:canonical' | 'nan:arithmetic'): boolean {
  return pattern === 'nan:canonical' ? (bits & 0x7fffffff) === 0x7fc00000 : (bits & 0x7fc00000) === 0x7fc00000;
}
/** `nan:canonical` / `nan:arithmetic` against f64 bits. */
export function nan64Matches(bits: bigint, pattern: 'nan:canonical' | 'nan:arithmetic'): boolean {
  return pattern === 'nan:canonical'
    ? (bits & 0x7fffffffffffffffn) === 0x7ff8000000000000n
    : (bits & 0x7ff8000000000000n) === 0x7ff8000000000000n;
}

// Spec trap texts -> V8 messages that mean the same trap. Instantiation-time segment
// failures surface under the same spec texts (assert_uninstantiable).
const TRAP_MESSAGES: [string, RegExp][] = [
  ['unreachable', /unreachable/],
  ['integer divide by zero', /divide by zero|remainder by zero/],
  ['integer overflow', /divide result unrepresentable|float unrepresentable in integer range/],
  ['invalid conversion to integer', /float unrepresentable in integer range/],
  ['out of bounds memory access', /memory access out of bounds|data segment .*out of bounds/],
  ['out of bounds table access', /table index is out of bounds|(table|element segment) .*out of bounds/],
  ['undefined element', /table index is out of bounds|invalid index into function table/],
  // V8 reports a null table entry like a signature mismatch.
  ['uninitialized element', /null function|signature mismatch/],
  ['indirect call type mismatch', /signature mismatch/],
  ['unaligned atomic', /unaligned/],
  ['null reference', /null|dereferencing a null pointer/],
  ['null function reference', /null|dereferencing a null pointer/],
  ['null i31 reference', /null|dereferencing a null pointer/],
  ['null structure reference', /null|dereferencing a null pointer/],
  ['null array reference', /null|dereferencing a null pointer/],
  ['null exception reference', /null|rethrowing null/],
  ['cast failure', /illegal cast/],
  ['out of bounds array access', /array element access out of bounds|segment .*out of bounds/],
  ['array element access out of bounds', /array element access out of bounds/],
  ['out of bounds', /out of bounds/],
];

/** Short deterministic description of an engine error; byte offsets are dropped. */
export function describeError(e: unknown): string {
  const isA = (c: unknown): boolean => e instanceof (c as new () => object);
  if (isA(WA.Exception)) return 'exception';
  if (!(e instanceof Error)) return `thrown ${typeof e}`;
  if (e instanceof RangeError && /call stack/i.test(e.message)) return 'exhaustion';
  const kind = isA(WA.RuntimeError) ? 'trap' : isA(WA.CompileError) ? 'compile-error' : isA(WA.LinkError) ? 'link-error' : e.name;
  return `${kind}: ${e.message.replace(/ ?@\+\d+/g, '')}`;
}

/** Whether a described error is the trap a spec message names. */
export function trapMatches(detail: string, text: string | undefined): boolean {
  if (!detail.startsWith('trap: ')) return false;
  const entry = TRAP_MESSAGES.find(([prefix]) => text?.startsWith(prefix));
  return !entry || entry[1].test(detail);
}

/** The spec interpreter's `spectest` module. */
export function makeSpectest(): Record<string, unknown> {
  const print = (): void => {};
  let table64: object | undefined;
  try {
    // The JS API's memory64 form; a V8 without it leaves the import missing (a LinkError).
    table64 = new WA.Table({ element: 'anyfunc', initial: 10n, maximum: 20n, address: 'i64' } as unknown as { element: string; initial: number });
  } catch {
    table64 = undefined;
  }
  const global = (value: string, init: number | bigint): object => new WA.Global({ value, mutable: false }, init);
  return {
    print, print_i32: print, print_i64: print, print_f32: print, print_f64: print,
    print_i32_f32: print, print_f64_f64: print,
    global_i32: global('i32', 666), global_i64: global('i64', 666n),
    global_f32: global('f32', 666.6), global_f64: global('f64', 666.6),
    table: new WA.Table({ element: 'anyfunc', initial: 10, maximum: 20 }),
    ...(table64 && { table64 }),
    memory: new WA.Memory({ initial: 1, maximum: 2 }),
    shared_memory: new WA.Memory({ initial: 1, maximum: 2, shared: true }),
  };
}
