// Emscripten's -sASYNCIFY JS glue drives weft's output exactly as it drives Binaryen's.
// Each C program is built by Debian's emcc twice: as emcc builds it (Binaryen's
// asyncify), and with test/asyncify/emscripten/bin first in PATH, whose wasm-opt runs
// Binaryen's other passes and leaves --asyncify, with emcc's own pass arguments, to weft.
// Both builds run under Node with Emscripten's JS; their output and exit status must be
// equal (and as the program computes them).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('./asyncify/emscripten/', import.meta.url));
let why = '';
try {
  execFileSync('emcc', ['--version'], { stdio: 'ignore' });
} catch {
  why = 'emcc is not installed (Debian package emscripten)';
}
if (!why) {
  try {
    execFileSync(process.execPath, [fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url)), '--help'], { stdio: 'ignore' });
  } catch {
    why = 'weft is not built';
  }
}

const PROGRAMS = [
  { name: 'sleep.c', check: (out) => assert.match(out, /^i=4 acc=301 d=102\.7500 f=4\.5776$/m) },
  { name: 'qsort.c', check: (out) => {
    const nums = out.split('\n')[0].split(' ').map(Number);
    assert.equal(nums.length, 40);
    assert.deepEqual(nums, [...nums].sort((a, b) => a - b));
    assert.match(out, /sorted with \d+ compares/);
  } },
  { name: 'asyncjs.c', check: (out) => assert.equal(out, 'walk=339\n') },
];

function build(src, opt, tmp, tag, viaWeft) {
  const js = join(tmp, `${tag}.js`);
  const log = join(tmp, `${tag}.log`);
  // Debian's emcc runs its JS optimizer with the node in PATH, which needs Debian's acorn.
  const env = { ...process.env, WEFT_EMCC_LOG: log, NODE_PATH: ['/usr/share/nodejs', process.env.NODE_PATH].filter(Boolean).join(':') };
  if (viaWeft) env.PATH = `${join(dir, 'bin')}:${process.env.PATH}`;
  execFileSync('emcc', [join(dir, src), opt, '-sASYNCIFY', '-o', js], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let used = '';
  try {
    used = readFileSync(log, 'utf8');
  } catch {}
  return { js, used, size: statSync(js.replace(/\.js$/, '.wasm')).size };
}

function run(js) {
  // Emscripten 3.1.6's glue would fetch() the .wasm on a Node that has fetch.
  const r = spawnSync(process.execPath, ['--no-experimental-fetch', js], { encoding: 'utf8', timeout: 60000 });
  return { out: r.stdout, status: r.status, err: r.stderr };
}

for (const opt of ['-O1', '-O2']) {
  test(`Emscripten -sASYNCIFY glue runs weft's asyncify output (${opt})`, { skip: why || false }, () => {
    const tmp = mkdtempSync(join(tmpdir(), 'weft-emcc-'));
    try {
      for (const p of PROGRAMS) {
        const tag = p.name.replace(/\.c$/, '');
        const ref = build(p.name, opt, tmp, `${tag}-binaryen`, false);
        const ours = build(p.name, opt, tmp, `${tag}-weft`, true);
        assert.equal(ref.used, '', 'the plain build must not go through weft');
        assert.match(ours.used, /--pass-arg=asyncify-imports@[^ ]*env\.emscripten_sleep/, `${p.name}: weft was not used`);
        const a = run(ref.js);
        const b = run(ours.js);
        assert.equal(a.status, 0, `${p.name} (Binaryen): ${a.err}`);
        p.check(a.out);
        assert.equal(b.err, a.err, `${p.name}: stderr`);
        assert.equal(b.out, a.out, `${p.name}: stdout`);
        assert.equal(b.status, a.status, `${p.name}: exit status`);
        console.log(`# ${p.name} ${opt}: same output; wasm ${ref.size} B by Binaryen, ${ours.size} B by weft`);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}
