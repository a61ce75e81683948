// Child script (run under Node 26, for multi-memory): esbuild's own CLI, the Go program in
// esbuild-wasm's esbuild.wasm, in this process through Go's wasm_exec.js, with the real
// file system. `node realworld-go.mjs WASM OUTFILE ENTRY [suspend]` prints one JSON line:
// { exit, stats }. With `suspend`, WASM is asyncified with its buffer in a secondary memory
// (Go's allocator owns all of the program's memory) and suspends at every import call.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { packageDir } from '../scripts/corpus.mjs';
import { suspendingInstance } from './realworld-lib.mjs';

const [wasm, outfile, entry, suspend] = process.argv.slice(2);
const require = createRequire(import.meta.url);
globalThis.fs ??= require('node:fs'); // what wasm_exec.js expects of a Node host
globalThis.path ??= require('node:path');
require(`${packageDir('esbuild')}/wasm_exec.js`);

const go = new globalThis.Go();
go.argv = ['esbuild', entry, '--bundle', '--format=esm', `--outfile=${outfile}`, '--log-level=warning'];
go.env = { TMPDIR: process.env.TMPDIR ?? '/tmp' };
let exit = null;
go.exit = (code) => {
  exit = code;
};
const mod = new WebAssembly.Module(readFileSync(wasm));
let instance;
let stats = null;
if (suspend) {
  const s = suspendingInstance(mod, go.importObject);
  s.arm(0, 16 << 16);
  stats = s.stats;
  // Go.run insists on a WebAssembly.Instance.
  instance = Object.create(WebAssembly.Instance.prototype, { exports: { value: s.exports } });
} else {
  instance = new WebAssembly.Instance(mod, go.importObject);
}
await go.run(instance);
console.log(JSON.stringify({ exit, stats }));
