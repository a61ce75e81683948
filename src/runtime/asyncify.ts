/**
 * The Asyncify backend, for modules transformed by `weft asyncify` or Binaryen's
 * `--asyncify` (the ABI: the header comment of Binaryen's src/passes/Asyncify.cpp).
 *
 * A call of a suspending export runs the export. When an async import returns a
 * Promise, the import records it on the call, points the module at the call's data
 * buffer and calls `asyncify_start_unwind`; the wasm frames save themselves into the
 * buffer and return. The export wrapper then stops the unwind, awaits the Promise, waits
 * its turn (CallOrder), calls `asyncify_start_rewind` and calls the same export again with
 * the same arguments: the frames restore themselves, the import is re-entered in the
 * rewinding state, stops the rewind and returns the settled value (or throws the
 * rejection into wasm, so that it unwinds the wasm stack like any JS exception).
 *
 * Buffers. Every call that suspends owns a buffer until it finishes, so calls can be
 * suspended at once (nested or not) without their frames interleaving; finished calls'
 * buffers are pooled, so steady state allocates nothing. A buffer is a header {pos, end}
 * (i32, or i64 under memory64) and at least 64 KiB of room, of which the current `size`
 * (stackSize, default 4 KiB) is what unwinds are expected to need; `end` marks the whole
 * room. When an unwind saves more than `size`, the runtime doubles `size` past it and moves
 * the saved frames to a buffer whose room is twice the new size (frames hold no
 * addresses, so they can move), and carries on: the buffer grows before it can run out.
 * An unwind larger than the whole room at once is an AsyncifyOverflowError, not a
 * trap in the middle of user code: Binaryen's pass traps at the next asyncify_* call after
 * writing past `end`, weft's traps before it would write past it; either way the call
 * fails cleanly and the instance stays usable.
 *
 * Where buffers live: if the module exports `malloc` and `free`, they come from it.
 * Otherwise the runtime grows memory 0 by whole pages that it then owns; a module that
 * hands out memory above its data by looking at `memory.size` (an sbrk without malloc
 * exported) must export malloc and free instead.
 */
import { asyncifyCommand, zeroOf, type ModuleFacts } from './analysis.js';
import type { Backend } from './backend.js';
import type { CallOrder } from './order.js';
import { WA, isThenable, type AnyFunction, type Imports, type WasmInstance, type WasmMemory } from './wasm.js';

const NORMAL = 0, UNWINDING = 1;
const UNSET = Symbol('unset');
const PAGE = 65536;
/** A buffer's room is at least a page: an unwind of up to ~64 KiB always fits. */
const MIN_BYTES = PAGE;

/** An unwind saved more than its buffer's whole room at once. */
export class AsyncifyOverflowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AsyncifyOverflowError';
  }
}

interface Region {
  /** What the allocator returned, to free. */
  base: number;
  /** Header address; the saved frames start at `data`. */
  ptr: number;
  data: number;
  size: number;
  /** End of the buffer's room, and the `end` its header gives the module. */
  limit: number;
}

interface Call {
  /** Its CallOrder sequence number. */
  seq: number;
  region: Region | null;
  /** The async import that suspended the call, for messages. */
  key: string;
  /** What the unwinding import returned, to await before rewinding. */
  pending: PromiseLike<unknown> | null;
  mark: number;
  /** The settled outcome the rewinding import hands back into wasm. */
  resume: { ok: true; value: unknown } | { ok: false; error: unknown } | null;
}

type Ptr = number | bigint;

interface AsyncifyExports {
  asyncify_start_unwind(p: Ptr): void;
  asyncify_stop_unwind(): void;
  asyncify_start_rewind(p: Ptr): void;
  asyncify_stop_rewind(): void;
  asyncify_get_state(): number;
}

export interface AsyncifyOptions {
  /** Initial usable bytes per buffer (default 4096); grows by doubling when an unwind needs more. */
  stackSize?: number;
  /** The async import patterns, for messages. */
  async?: readonly string[];
}

export function asyncifyBackend(order: CallOrder, options: AsyncifyOptions = {}): Backend {
  let ax: AsyncifyExports;
  let memory: WasmMemory;
  let view: DataView | null = null;
  let wide = false; // memory64: i64 header fields and BigInt pointers
  let zeros = new Map<string, unknown>();
  let alloc: (bytes: number) => { base: number; ptr: number; bytes: number };
  let release: (ptr: number) => void = () => {};
  let size = Math.max(64, options.stackSize ?? 4096);
  const pool: Region[] = [];
  /** Calls running on the JS stack now, innermost last; an import belongs to the last. */
  const active: Call[] = [];

  /** True between our start_rewind and the import's stop_rewind (saves a get_state call per import). */
  let rewinding = false;
  // A view of memory, renewed when growth detached it (length 0) or made it too short
  // (newRegion drops it): cheaper than the memory.buffer accessor on every round trip.
  let bytes = new Uint8Array(0);
  const mem = () => {
    if (!view || bytes.length === 0) view = new DataView((bytes = new Uint8Array(memory.buffer)).buffer);
    return view;
  };
  const hdr = () => (wide ? 16 : 8);
  const ptr = (n: number): Ptr => (wide ? BigInt(n) : n);
  const readPos = (r: Region) => (wide ? Number(mem().getBigUint64(r.ptr, true)) : mem().getUint32(r.ptr, true));
  const writeHeader = (r: Region, pos: number, end: number) => {
    if (wide) {
      mem().setBigUint64(r.ptr, BigInt(pos), true);
      mem().setBigUint64(r.ptr + 8, BigInt(end), true);
    } else {
      mem().setUint32(r.ptr, pos, true);
      mem().setUint32(r.ptr + 4, end, true);
    }
  };

  /** Whether a buffer has room for twice the current size (taking that size if so). */
  function fits(r: Region): boolean {
    if (r.limit - r.data < 2 * size) return false;
    r.size = size;
    return true;
  }

  function newRegion(): Region {
    while (pool.length) {
      const r = pool.pop()!;
      if (fits(r)) return r;
      release(r.base); // smaller than the size unwinds now need
    }
    const { base, ptr, bytes } = alloc(Math.max(MIN_BYTES, hdr() + 2 * size));
    const r = { base, ptr, data: ptr + hdr(), size, limit: ptr + bytes };
    view = null; // memory may have grown
    writeHeader(r, r.data, r.limit);
    return r;
  }

  function unwind(call: Call): void {
    // A buffer's header is written when it is made and after a move or a reset; a finished
    // rewind leaves pos back at data, so a pooled buffer is ready as it is.
    call.region ??= newRegion();
    ax.asyncify_start_unwind(ptr(call.region.ptr));
  }

  /** After the export returned unwinding: stop the unwind, moving the frames if they overflowed. */
  function stopUnwind(call: Call, key: string): void {
    const r = call.region!;
    const pos = readPos(r);
    if (pos === r.data) {
      // Every instrumented frame saves at least its call index: none was, so the import's
      // callers were not instrumented and the export ran on to its end unwinding.
      reset(call);
      throw new Error(`weft/runtime: async import ${key} suspended, but no wasm frame saved itself: the module was not asyncified with ${key} among its async imports; run ${asyncifyCommand(options.async ?? [key])}`);
    }
    if (pos > r.limit) {
      reset(call);
      throw new AsyncifyOverflowError(
        `weft/runtime: an unwind saved ${pos - r.data} bytes, more than its buffer's ${r.limit - r.data}; memory after the buffer may be overwritten. Pass a larger stackSize.`,
      );
    }
    ax.asyncify_stop_unwind();
    const used = pos - r.data;
    if (used <= r.size) return;
    while (size < used) size *= 2;
    if (fits(r)) return;
    const bigger = newRegion();
    new Uint8Array(memory.buffer).copyWithin(bigger.data, r.data, pos);
    writeHeader(bigger, bigger.data + used, bigger.limit);
    release(r.base);
    call.region = bigger;
  }

  /** Brings the module back to the normal state after an exception left it mid-unwind or mid-rewind. */
  function reset(call: Call): void {
    const state = ax.asyncify_get_state();
    if (state === NORMAL) return;
    if (call.region) writeHeader(call.region, call.region.data, call.region.limit);
    if (state === UNWINDING) ax.asyncify_stop_unwind();
    else ax.asyncify_stop_rewind();
    rewinding = false;
  }

  /** One entry into wasm: the first call, or a rewind. */
  function enter(call: Call, fn: AnyFunction, args: unknown[]): unknown {
    active.push(call);
    let result: unknown;
    try {
      result = fn(...args);
    } catch (e) {
      const state = ax.asyncify_get_state();
      reset(call);
      // Nothing but frame saving runs while unwinding: a trap then is the buffer running out.
      if (state === UNWINDING && e instanceof Error && e.name === 'RuntimeError') {
        throw new AsyncifyOverflowError(`weft/runtime: an unwind ran past its buffer (${call.region ? call.region.limit - call.region.data : 0} bytes) and trapped (${e.message}); pass a larger stackSize`);
      }
      throw e;
    } finally {
      active.pop();
    }
    if (rewinding) {
      reset(call);
      throw new Error('weft/runtime: a rewind returned without reaching the import that suspended; the module and its asyncify_* exports disagree');
    }
    if (call.pending) stopUnwind(call, call.key);
    return result;
  }

  function finish(call: Call): void {
    if (call.pending) Promise.resolve(call.pending).then(undefined, () => {}); // abandoned by an error
    call.pending = null;
    order.end(call.seq);
    if (call.region) pool.push(call.region);
    call.region = null;
  }

  async function resumeLoop(call: Call, fn: AnyFunction, args: unknown[], first: unknown): Promise<unknown> {
    let result = first;
    try {
      while (call.pending) {
        const pending = call.pending;
        call.pending = null;
        try {
          call.resume = { ok: true, value: await pending };
        } catch (error) {
          call.resume = { ok: false, error };
        }
        if (!order.ready(call.mark)) await order.wait(call.mark);
        ax.asyncify_start_rewind(ptr(call.region!.ptr));
        rewinding = true;
        result = enter(call, fn, args);
      }
      return result;
    } finally {
      finish(call);
    }
  }

  return {
    name: 'asyncify',
    wrapImport(key, fn) {
      let zero: unknown = UNSET;
      return (...args: unknown[]) => {
        if (rewinding) {
          ax.asyncify_stop_rewind();
          rewinding = false;
          const call = active[active.length - 1];
          const r = call.resume!;
          call.resume = null;
          if (!r.ok) throw r.error;
          return r.value;
        }
        const mark = order.mark();
        const v = fn(...args);
        if (!isThenable(v)) return v;
        const call = active[active.length - 1];
        if (!call) {
          Promise.resolve(v).catch(() => {});
          throw new Error(`weft/runtime: async import ${key} returned a Promise during a call of an export that was not expected to suspend`);
        }
        call.pending = v;
        call.mark = mark;
        call.key = key;
        unwind(call);
        if (zero === UNSET) zero = zeros.has(key) ? zeros.get(key) : false; // false converts to 0, 0n and externref
        return zero;
      };
    },
    bind(instance: WasmInstance, imports: Imports, facts: ModuleFacts | null) {
      const ex = instance.exports;
      ax = ex as unknown as AsyncifyExports;
      const found =
        (facts?.memoryExport && ex[facts.memoryExport]) ||
        (facts?.memoryImport && imports[facts.memoryImport.module]?.[facts.memoryImport.name]) ||
        (!facts && Object.values(ex).find((v) => v instanceof WA.Memory));
      if (!found) throw new Error('weft/runtime: the Asyncify backend needs the module to export (or import) its memory');
      memory = found as WasmMemory;
      wide = facts?.memory64 ?? false;
      // Without the bytes (a WebAssembly.Module was given) the pointer width is unknown
      // until the first allocation: a 64-bit memory's grow and malloc reject a Number.
      const withPtr = (f: (p: Ptr) => unknown, n: number): number => {
        try {
          return Number(f(ptr(n)));
        } catch (e) {
          if (facts || wide || !(e instanceof TypeError)) throw e;
          wide = true;
          return Number(f(ptr(n)));
        }
      };
      if (facts) zeros = new Map([...facts.asyncResults].map(([k, t]) => [k, zeroOf(t)]));
      const malloc = ex.malloc, free = ex.free;
      if (typeof malloc === 'function' && typeof free === 'function') {
        alloc = (bytes) => {
          const base = withPtr(malloc as AnyFunction, bytes + 15);
          if (!base) throw new Error(`weft/runtime: malloc(${bytes + 15}) returned 0 for an Asyncify buffer`);
          return { base, ptr: Math.ceil(base / 16) * 16, bytes }; // aligned for i64 headers; no bit ops: addresses pass 2^31
        };
        release = (p) => free(ptr(p));
        return;
      }
      alloc = (bytes) => {
        const pages = Math.ceil(bytes / PAGE);
        let first: number;
        try {
          first = withPtr((p) => memory.grow(p as number), pages); // memory64 takes and gives BigInts
        } catch (e) {
          throw new Error(`weft/runtime: cannot grow memory by ${pages} page(s) for an Asyncify buffer (${(e as Error).message}); export malloc and free, or raise the memory's maximum`);
        }
        return { base: first * PAGE, ptr: first * PAGE, bytes: pages * PAGE };
      };
    },
    wrapExport(_name, fn) {
      return (...args: unknown[]) => {
        const call: Call = { seq: order.begin(), region: null, key: '', pending: null, mark: 0, resume: null };
        try {
          const first = enter(call, fn, args);
          if (call.pending) return resumeLoop(call, fn, args, first);
          finish(call);
          return Promise.resolve(first);
        } catch (e) {
          finish(call);
          return Promise.reject(e);
        }
      };
    },
  };
}
