// weft/runtime in a browser: a page served from localhost loads dist/src/runtime in
// headless Chromium (Debian's, driven by npm playwright-core) and runs a module whose
// async import awaits a fetch() to this server and a timer, with the Asyncify backend
// (binaryen.js-asyncified module, fetched as a Response, and weft's build once its pass
// is built) and, where Chromium has JSPI, the JSPI backend on the untransformed module. It
// also validates that module with weft's validator, whose fast core must compile there too,
// and runs weft's asyncify pass on it in the page: the bytes equal Node's, and they run.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { asyncifiers, assemble } from './runtime/asyncifiers.mjs';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ASYNC = ['env.fetch_*', 'env.sleep'];
const WAT = `(module
  (import "env" "fetch_digit" (func $fetch (param i32) (result i32)))
  (import "env" "sleep" (func $sleep (param i32)))
  (memory (export "memory") 1)
  (func (export "main") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 10)) (call $fetch (local.get $i))))
        (call $sleep (i32.const 5))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))`;

const PAGE = `<!doctype html><meta charset="utf-8"><title>weft runtime</title>
<script type="module">
import { instantiate, hasJspi } from '/dist/src/runtime/index.js';
import { readModule } from '/dist/src/binary/decode.js';
import { checkModule, validate } from '/dist/src/validate/module.js';
import { writeModule } from '/dist/src/binary/encode.js';
import { asyncify } from '/dist/src/passes/asyncify/index.js';
import { FastCore } from '/dist/src/validate/core.js';
const imports = {
  env: {
    // The digit comes from the server, then a timer runs before it is handed back.
    fetch_digit: async (i) => {
      const text = await (await fetch('/digit?i=' + i)).text();
      await new Promise((r) => setTimeout(r, 5));
      return Number(text);
    },
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  },
};
const WEFT = WEFT_BUILT;
const out = { jspi: hasJspi(), runs: [] };
try {
  // [backend, what it runs: a URL, or bytes made in the page]
  const runs = [['asyncify', '/asyncified.wasm']];
  if (WEFT) runs.push(['asyncify', '/weft.wasm']);
  if (out.jspi) runs.push(['jspi', '/plain.wasm'], ['auto', '/plain.wasm']);
  // The validator, with its fast core compiled by the page (a wasm module under Chromium's
  // 4 KB limit for synchronous compilation on the main thread).
  const plain = new Uint8Array(await (await fetch('/plain.wasm')).arrayBuffer());
  const m = readModule(plain);
  const core = FastCore.for(checkModule(m).ctx);
  out.validate = { errors: validate(m).length, core: core !== null, takes: m.funcs.map((f, i) => core?.check(2 + i, f.raw) ?? false) };
  // weft's asyncify pass itself, run by the page (its body core compiled there too).
  const inPage = readModule(plain);
  asyncify(inPage, { imports: ${JSON.stringify(ASYNC)} });
  const inPageBytes = writeModule(inPage);
  out.inPage = Array.from(inPageBytes, (b) => b.toString(16).padStart(2, '0')).join('');
  runs.push(['asyncify', inPageBytes]);
  for (const [backend, source] of runs) {
    const url = typeof source === 'string' ? source : 'asyncified in the page';
    const t0 = performance.now();
    const r = await instantiate(typeof source === 'string' ? fetch(source) : source, imports, { async: ${JSON.stringify(ASYNC)}, backend });
    const sync = r.exports.add(20, 22);
    const p = r.exports.main(4);
    out.runs.push({ backend, url, used: r.backend, sync, isPromise: p instanceof Promise, result: await p, ms: performance.now() - t0 });
  }
} catch (e) {
  out.error = String(e && e.stack || e);
}
window.__result = out;
document.title = 'done';
</script>`;

const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} not installed (apt-get install -y chromium)`;

test('weft/runtime in headless Chromium: an import awaiting fetch() and a timer; weft asyncify runs in the page', { skip, timeout: 90_000 }, async () => {
  const { chromium } = await import('playwright-core');
  const plain = await assemble(WAT);
  const all = await asyncifiers();
  const asyncified = await all[0].asyncify(plain, ASYNC);
  // weft's own pass too, once it is built.
  const weft = all.find((a) => a.name === 'weft asyncify' && !a.unavailable);
  const weftBytes = weft ? await weft.asyncify(plain, ASYNC) : null;
  const digits = [];
  const types = { '.js': 'text/javascript', '.map': 'application/json' };
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const send = (status, type, body) => res.writeHead(status, { 'content-type': type }).end(body);
    if (url.pathname === '/') return send(200, 'text/html', PAGE.replace('WEFT_BUILT', String(!!weftBytes)));
    if (url.pathname === '/weft.wasm' && weftBytes) return send(200, 'application/wasm', weftBytes);
    if (url.pathname === '/plain.wasm') return send(200, 'application/wasm', plain);
    if (url.pathname === '/asyncified.wasm') return send(200, 'application/wasm', asyncified);
    if (url.pathname === '/digit') {
      const i = Number(url.searchParams.get('i'));
      digits.push(i);
      return setTimeout(() => send(200, 'text/plain', String(i + 1)), 2);
    }
    // The runtime and the parts of weft it imports, straight from dist/.
    const file = normalize(join(ROOT, url.pathname));
    if (url.pathname.startsWith('/dist/src/') && file.startsWith(join(ROOT, 'dist', 'src')) && existsSync(file)) {
      return send(200, types[extname(file)] ?? 'application/octet-stream', readFileSync(file));
    }
    send(404, 'text/plain', 'not found');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const profile = mkdtempSync(join(tmpdir(), 'weft-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const logs = [];
    page.on('console', (m) => logs.push(m.text()));
    page.on('pageerror', (e) => logs.push(String(e)));
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => document.title === 'done', null, { timeout: 60_000 });
    const { inPage, ...out } = await page.evaluate(() => window.__result);
    console.log(`# Chromium ${context.browser()?.version() ?? ''}: ${JSON.stringify(out)}`);
    assert.equal(out.error, undefined, `${out.error}\n${logs.join('\n')}`);
    assert.deepEqual(out.validate, { errors: 0, core: true, takes: [true, true] }, 'the validator and its fast core run in the page');
    // weft's pass in the page writes what it writes in Node.
    assert.ok(weftBytes, 'weft asyncify is built');
    assert.equal(inPage, Buffer.from(weftBytes).toString('hex'), 'asyncify in the page = asyncify in Node');
    const backends = ['asyncify', 'asyncify', ...(out.jspi ? ['jspi', 'auto'] : []), 'asyncify'];
    assert.deepEqual(out.runs.map((r) => r.backend), backends);
    for (const r of out.runs) {
      assert.equal(r.result, 1234, `${r.backend}: main(4) builds 1,2,3,4 from four fetches`);
      assert.equal(r.sync, 42);
      assert.equal(r.isPromise, true);
      assert.equal(r.used, r.backend === 'auto' ? 'jspi' : r.backend);
    }
    assert.deepEqual(digits, backends.flatMap(() => [0, 1, 2, 3]), 'the server saw every fetch, in order');
  } finally {
    await context?.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
