/**
 * What weft's two wasm cores (the validator's, src/validate/core.wat, and the writer's
 * body core, body-core.wat) need from the host: instantiating their bytes, and growing
 * their memory.
 */

/** A core's memory, as the project's TS lib (no DOM types) sees it. */
export interface CoreMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}

/**
 * The exports of the module `bytes` (no imports), or null when the host has no
 * WebAssembly or refuses to compile synchronously: the JS code paths then do all.
 */
export function instantiateCore<T>(bytes: Uint8Array): T | null {
  try {
    const WA = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object; Instance: new (m: object) => { exports: object } } }).WebAssembly;
    return new WA.Instance(new WA.Module(bytes)).exports as T;
  } catch {
    return null;
  }
}

/** Grows `memory` to at least `size` bytes. */
export function growCore(memory: CoreMemory, size: number): void {
  const have = memory.buffer.byteLength;
  if (have < size) memory.grow(Math.ceil((size - have) / 65536));
}
