#!/usr/bin/env node
// Runs examples/async-io.wasm (or any module with the same imports) with weft/runtime:
//   printf 'Ada\nGrace\n' | node examples/async-run.mjs examples/async-io.wasm          (JSPI: Node >= 25)
//   weft asyncify examples/async-io.wasm -o async-io.asyncified.wasm --imports env.sleep,wasi_snapshot_preview1.fd_read
//   printf 'Ada\nGrace\n' | node examples/async-run.mjs async-io.asyncified.wasm       (any Node >= 20)
// Options: --backend auto|jspi|asyncify (default auto). The backend used goes to stderr.
//
// fd_read returns a Promise that settles when stdin has a line (or ends); sleep one that
// settles after a timer. fd_write is an ordinary synchronous import.
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { instantiate } from 'weft/runtime';

const args = process.argv.slice(2);
const at = args.indexOf('--backend');
const backend = at >= 0 ? args.splice(at, 2)[1] : 'auto';
if (args.length !== 1) {
  console.error('usage: node examples/async-run.mjs FILE.wasm [--backend auto|jspi|asyncify]');
  process.exit(2);
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })[Symbol.asyncIterator]();
const encoder = new TextEncoder();
let memory;
let unread = new Uint8Array(0); // what a short read left of the current line

/** Copies bytes into the iovec list at `iovs`; returns how many fit. */
function scatter(bytes, iovs, count) {
  const view = new DataView(memory.buffer);
  let done = 0;
  for (let i = 0; i < count && done < bytes.length; i++) {
    const ptr = view.getUint32(iovs + 8 * i, true);
    const len = view.getUint32(iovs + 8 * i + 4, true);
    const n = Math.min(len, bytes.length - done);
    new Uint8Array(memory.buffer, ptr, n).set(bytes.subarray(done, done + n));
    done += n;
  }
  return done;
}

const EBADF = 8;
const imports = {
  wasi_snapshot_preview1: {
    async fd_read(fd, iovs, count, nread) {
      if (fd !== 0) return EBADF;
      if (!unread.length) {
        const { value, done } = await lines.next();
        unread = done ? unread : encoder.encode(`${value}\n`);
      }
      const n = scatter(unread, iovs, count);
      unread = unread.subarray(n);
      new DataView(memory.buffer).setUint32(nread, n, true);
      return 0;
    },
    fd_write(fd, iovs, count, nwritten) {
      if (fd !== 1 && fd !== 2) return EBADF;
      const view = new DataView(memory.buffer);
      let total = 0;
      for (let i = 0; i < count; i++) {
        const ptr = view.getUint32(iovs + 8 * i, true);
        const len = view.getUint32(iovs + 8 * i + 4, true);
        (fd === 1 ? process.stdout : process.stderr).write(new Uint8Array(memory.buffer, ptr, len).slice());
        total += len;
      }
      view.setUint32(nwritten, total, true);
      return 0;
    },
  },
  env: {
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  },
};

try {
  const result = await instantiate(await readFile(args[0]), imports, {
    async: ['env.sleep', 'wasi_snapshot_preview1.fd_read'],
    backend,
  });
  memory = result.exports.memory;
  console.error(`[weft/runtime: ${result.backend} backend]`);
  const greeted = await result.exports.main();
  console.error(`[main returned ${greeted}]`);
} catch (e) {
  console.error(`error: ${e.message.replaceAll('IN.wasm', args[0])}`);
  process.exit(1);
}
