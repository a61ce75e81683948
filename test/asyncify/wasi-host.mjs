// Runs a wasm32-wasi command module under Node's WASI (preview1), with async imports in
// module `env` driven by Binaryen's Asyncify protocol when the module is asyncified
// (it exports asyncify_get_state), or answered synchronously when it is not: the oracle.
//
//   env.sleep_ms(ms) -> i32          "sleeps" (suspends), returns ms * 2 + 1
//   env.read_input(buf, len) -> i32  copies the next chunk of `input` into buf (the
//                                    copy happens while the stack is unwound), returns
//                                    its length (0 at the end)
//   env.async_rand() -> i32          suspends, returns the next number of a fixed LCG
//
// Every suspension is real: the import calls asyncify_start_unwind and returns, the
// export (`_start`) returns to this host, which calls stop_unwind, start_rewind and
// `_start` again; the import is re-entered, calls stop_rewind and returns its result.
// The frame stack lives in a region the host carves out past the module's heap end
// (memory.grow), so it cannot collide with the program's own data.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'ExperimentalWarning') console.warn(w);
});

/**
 * Runs `bytes`. Returns { exitCode, stdout, suspensions, calls, maxDepthBytes }.
 * `suspend(n)` decides whether the n-th async call really suspends (default: always).
 */
export async function runWasi(bytes, { input = '', args = ['prog'], stackBytes = 1 << 20, suspend = () => true } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'weft-wasi-'));
  const outPath = join(dir, 'stdout');
  let fd = openSync(outPath, 'w');
  try {
    const wasi = new WASI({ version: 'preview1', args, env: {}, stdout: fd, stderr: fd, returnOnExit: true });
    const module = await WebAssembly.compile(bytes);
    let e = null;
    let asyncified = false;
    let dataPtr = 0;
    let rewinding = false;
    let pending = null; // the result the re-entered import returns
    let afterUnwind = null; // work done while the stack is unwound
    let suspensions = 0;
    let calls = 0;
    let maxUsed = 0;
    let frameStart = 0;
    const inputBytes = Buffer.from(input, 'utf8');
    let inputPos = 0;
    let lcg = 12345;

    // One async import: `work()` computes the result (and may touch memory) while
    // unwound; a synchronous run does it immediately.
    const asyncCall = (work) => {
      if (asyncified && rewinding) {
        rewinding = false;
        e.asyncify_stop_rewind();
        const r = pending;
        pending = null;
        return r;
      }
      const n = calls++;
      if (!asyncified || !suspend(n)) return work();
      suspensions++;
      afterUnwind = work;
      e.asyncify_start_unwind(dataPtr);
      return 0; // ignored: the caller is unwinding
    };
    const env = {
      sleep_ms: (ms) => asyncCall(() => (ms * 2 + 1) | 0),
      read_input: (buf, len) => asyncCall(() => {
        const n = Math.min(len, inputBytes.length - inputPos, 7); // short reads on purpose
        new Uint8Array(e.memory.buffer, buf, n).set(inputBytes.subarray(inputPos, inputPos + n));
        inputPos += n;
        return n;
      }),
      async_rand: () => asyncCall(() => {
        lcg = (Math.imul(lcg, 1103515245) + 12345) >>> 0;
        return (lcg >>> 8) & 0x7fff;
      }),
    };
    const imports = { wasi_snapshot_preview1: wasi.wasiImport, env: {} };
    for (const imp of WebAssembly.Module.imports(module)) {
      if (imp.module === 'env') {
        if (!(imp.name in env)) throw new Error(`unknown import env.${imp.name}`);
        imports.env[imp.name] = env[imp.name];
      }
    }
    const instance = await WebAssembly.instantiate(module, imports);
    e = instance.exports;
    asyncified = typeof e.asyncify_get_state === 'function';
    if (asyncified) {
      // A buffer in fresh pages past everything the program owns.
      const pages = Math.ceil((stackBytes + 16) / 65536);
      const base = e.memory.grow(pages) * 65536;
      dataPtr = base;
      frameStart = base + 16;
      const v = new DataView(e.memory.buffer);
      v.setUint32(base, frameStart, true);
      v.setUint32(base + 4, base + pages * 65536, true);
    }
    const driven = () => {
      for (;;) {
        e._start();
        if (!asyncified || e.asyncify_get_state() === 0) return;
        if (e.asyncify_get_state() !== 1) throw new Error(`_start returned in state ${e.asyncify_get_state()}`);
        e.asyncify_stop_unwind();
        const v = new DataView(e.memory.buffer);
        maxUsed = Math.max(maxUsed, v.getUint32(dataPtr, true) - frameStart);
        pending = afterUnwind();
        afterUnwind = null;
        e.asyncify_start_rewind(dataPtr);
        rewinding = true;
      }
    };
    // WASI's start() calls exports._start once; give it the driver instead.
    const exitCode = wasi.start({ exports: { memory: e.memory, _start: driven } });
    if (asyncified) {
      const v = new DataView(e.memory.buffer);
      if (v.getUint32(dataPtr, true) !== frameStart) throw new Error('asyncify buffer position not restored');
      if (e.asyncify_get_state() !== 0) throw new Error(`state ${e.asyncify_get_state()} at exit`);
    }
    closeSync(fd);
    fd = -1;
    return { exitCode: exitCode ?? 0, stdout: readFileSync(outPath, 'utf8'), suspensions, calls, maxFrameBytes: maxUsed };
  } finally {
    if (fd >= 0) closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * runWasi on a worker, terminated after `timeoutMs`: a miscompiled program that loops
 * forever fails its test instead of hanging the run (a loop in wasm blocks its thread).
 * Options as runWasi's, without `suspend` (a function does not cross to the worker).
 */
export function runWasiBounded(bytes, { timeoutMs = 20_000, ...options } = {}) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { weftRunWasi: true, bytes, options } });
    const timer = setTimeout(() => {
      worker.terminate();
      reject(new Error(`the program did not finish within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    worker.once('message', (m) => {
      worker.terminate();
      if (m.error) reject(new Error(m.error));
      else resolve(m.result);
    });
    worker.once('error', reject);
    // Every way out ends here. A worker that ends without a message or an error (an abort)
    // fails at once rather than at the deadline; after a settle, the reject is a no-op.
    worker.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the worker exited (code ${code}) without reporting a result`));
    });
  });
}

if (!isMainThread && workerData?.weftRunWasi) {
  runWasi(workerData.bytes, workerData.options).then(
    (result) => parentPort.postMessage({ result }),
    (err) => parentPort.postMessage({ error: String(err?.stack ?? err) }),
  );
}
