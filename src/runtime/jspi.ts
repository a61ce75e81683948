/**
 * The JSPI backend: async imports become `WebAssembly.Suspending`, exports that may
 * suspend go through `WebAssembly.promising`. The engine keeps each call's wasm stack,
 * so the module needs no transform; CallOrder only holds back a resumption until the
 * calls started after it have finished.
 */
import type { Backend } from './backend.js';
import { settleInOrder, trackCall, type CallOrder } from './order.js';
import { WA, isThenable, type AnyFunction } from './wasm.js';

export function jspiBackend(order: CallOrder): Backend {
  return {
    name: 'jspi',
    wrapImport(_key, fn) {
      return new WA.Suspending!((...args: unknown[]) => {
        const mark = order.mark();
        const v = fn(...args);
        return isThenable(v) ? settleInOrder(order, mark, v) : v;
      });
    },
    bind() {},
    wrapExport(_name, fn) {
      const run = WA.promising!(fn);
      return (...args: unknown[]) => trackCall(order, () => run(...args));
    },
  };
}

