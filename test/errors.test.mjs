// Bad input ends in a WasmDecodeError with an offset, never another exception or a hang;
// deep nesting round-trips; the CLI reports errors without a stack trace or output file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Body, WasmDecodeError, decodeFunc, readModule, writeModule } from '../dist/src/index.js';
import { oneFunctionModule } from './wasm-bytes.mjs';

const CLI = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const HELLO = readFileSync(new URL('../examples/hello.wasm', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'weft-errors-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A module with one function `() -> ()` whose body (after the locals) is `code`. */
const moduleWithBody = (code) => oneFunctionModule([0, ...code]);

/** Decodes the module and all bodies; returns the error thrown, or null. */
function decodeAll(bytes) {
  try {
    const m = readModule(bytes);
    const scratch = new Body();
    for (const f of m.funcs) decodeFunc(m, f, scratch);
    writeModule(m, { reencode: true });
    return null;
  } catch (e) {
    return e;
  }
}

test('1,000,000 nested blocks round-trip', () => {
  const depth = 1_000_000;
  const code = new Uint8Array(depth * 3 + 1);
  for (let i = 0; i < depth; i++) {
    code[2 * i] = 0x02; // block
    code[2 * i + 1] = 0x40; // empty type
  }
  code.fill(0x0b, depth * 2); // the ends, then the body's own end
  const bytes = moduleWithBody(code);
  const m = readModule(bytes);
  const body = decodeFunc(m, m.funcs[0]);
  assert.equal(body.length, depth * 2 + 1);
  const out = writeModule(m, { reencode: true });
  assert.ok(Buffer.from(out).equals(Buffer.from(bytes)), 'byte-identical');
  assert.ok(WebAssembly.validate(out));
});

/** Offsets where a section ends: a module cut there is still well-formed (but for inconsistent counts). */
function sectionEnds(bytes) {
  const ends = new Set([8]);
  let p = 8;
  while (p < bytes.length) {
    p++;
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[p++];
      size |= (b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    p += size;
    ends.add(p);
  }
  return ends;
}

test('truncation at every offset raises WasmDecodeError with an offset in range', () => {
  const ends = sectionEnds(HELLO);
  let rejected = 0;
  for (let n = 0; n < HELLO.length; n++) {
    const e = decodeAll(HELLO.subarray(0, n));
    if (e === null && ends.has(n)) continue;
    assert.ok(e instanceof WasmDecodeError, `truncated at ${n}: ${e}`);
    assert.ok(e.offset >= 0 && e.offset <= n, `offset ${e.offset} for length ${n}`);
    rejected++;
  }
  assert.ok(rejected > HELLO.length - ends.size - 1);
});

test('random mutations only ever raise WasmDecodeError, quickly', () => {
  // A seeded generator, so a failure names its seed and is reproducible.
  let seed = 0x9e3779b9;
  const rand = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const inputs = [HELLO, moduleWithBody([0x41, 0x05, 0x1a, 0x02, 0x40, 0x0b, 0x0b])];
  let rejected = 0;
  const start = Date.now();
  for (let i = 0; i < 20000; i++) {
    const caseSeed = seed;
    const src = inputs[i % inputs.length];
    const bytes = Uint8Array.from(src);
    const edits = 1 + Math.floor(rand() * 4);
    for (let k = 0; k < edits; k++) {
      const at = Math.floor(rand() * bytes.length);
      const r = rand();
      bytes[at] = r < 0.3 ? 0xff : r < 0.5 ? 0x80 : r < 0.6 ? 0 : Math.floor(rand() * 256);
    }
    const e = decodeAll(bytes);
    if (e) {
      assert.ok(e instanceof WasmDecodeError, `seed ${caseSeed}: ${e?.stack}`);
      rejected++;
    }
  }
  assert.ok(rejected > 1000, `only ${rejected} mutants rejected: mutations too weak`);
  assert.ok(Date.now() - start < 60000, 'mutants decode quickly');
});

test('huge declared counts and sizes are rejected without allocating them', () => {
  // A type section claiming 2^32-1 entries, a body claiming 2^32-1 locals groups.
  const huge = [0xff, 0xff, 0xff, 0xff, 0x0f];
  const types = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 6, ...huge, 0x60]);
  assert.ok(decodeAll(types) instanceof WasmDecodeError);
  const locals = moduleWithBody([]);
  const withLocals = Uint8Array.from([...locals.subarray(0, locals.length - 1), ...huge, 0x7f, 0x0b]);
  assert.ok(decodeAll(withLocals) instanceof WasmDecodeError);
});

test('bodies are lazy: untouched ones are copied byte-for-byte, replaced ones encoded', () => {
  // A body that decodes to an illegal opcode still reads; only decoding it fails.
  const bad = moduleWithBody([0xff, 0x0b]);
  const m = readModule(bad);
  assert.throws(() => decodeFunc(m, m.funcs[0]), WasmDecodeError);
  assert.ok(Buffer.from(writeModule(m)).equals(Buffer.from(bad)), 'copied as it was');

  const hello = readModule(HELLO);
  const fact = hello.funcs[1];
  const body = decodeFunc(hello, fact);
  body.imm[body.ops.findIndex((op, i) => i < body.length && op === 0x41) * 4] = 7; // first i32.const 1 → 7
  fact.body = body;
  const out = writeModule(hello);
  assert.equal(out.length, HELLO.length);
  const diffs = [...out].flatMap((b, i) => (b === HELLO[i] ? [] : [i]));
  assert.equal(diffs.length, 1, 'exactly the changed immediate differs');
  const again = readModule(out);
  assert.equal(decodeFunc(again, again.funcs[1]).imm[body.ops.indexOf(0x41) * 4], 7);
});

test('the name section is decoded into the model', () => {
  const m = readModule(HELLO);
  assert.equal(m.names.module, 'hello');
  assert.equal(m.names.functions.get(1), 'fib');
  assert.equal(m.names.functions.get(2), 'fact');
  assert.equal(m.names.locals.get(2).get(1), 'acc');
  assert.equal(m.names.globals.get(0), 'counter');
});

function weft(...args) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
}

test('CLI: malformed input → error with file and offset, exit 1, no stack, no output', () => {
  const input = join(tmp, 'bad.wasm');
  const output = join(tmp, 'out.wasm');
  writeFileSync(input, moduleWithBody([0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0x0b]));
  const r = weft('convert', input, '-o', output);
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`^error: ${input.replace(/[.]/g, '\\.')}:0x[0-9a-f]+: integer representation too long\\n$`));
  assert.ok(!existsSync(output), 'no output file');
});

test('CLI: missing input, bad usage and unknown commands fail cleanly', () => {
  for (const args of [['convert', join(tmp, 'nope.wasm'), '-o', join(tmp, 'x.wasm')], ['convert'], ['frobnicate'], ['convert', 'a', '-o']]) {
    const r = weft(...args);
    assert.equal(r.status, 1, args.join(' '));
    assert.match(r.stderr, /^error: /);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('CLI: convert writes a valid, identical module for canonical input', () => {
  const output = join(tmp, 'hello.out.wasm');
  const r = weft('convert', fileURLToPath(new URL('../examples/hello.wasm', import.meta.url)), '-o', output);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(readFileSync(output).equals(HELLO));
});

test('the data section is decoded on first use, and changes to it are written', () => {
  const m = readModule(HELLO);
  assert.ok(m.lazyData, 'kept undecoded');
  assert.ok(Buffer.from(writeModule(m)).equals(HELLO));
  assert.ok(m.lazyData, 'writing does not decode it');
  assert.equal(new TextDecoder().decode(m.datas[0].bytes), 'hello, weft');
  assert.equal(m.lazyData, null, 'decoded on access');
  m.datas[0].bytes = new TextEncoder().encode('HELLO, WEFT');
  const again = readModule(writeModule(m));
  assert.equal(new TextDecoder().decode(again.datas[0].bytes), 'HELLO, WEFT');
  const cleared = readModule(HELLO);
  cleared.datas = [];
  assert.equal(readModule(writeModule(cleared)).datas.length, 0);
});

test('CLI: long work shows progress on a terminal, and nothing when stderr is a pipe', (t) => {
  const asyncIo = fileURLToPath(new URL('../examples/async-io.wasm', import.meta.url));
  const cases = [
    ['asyncify', asyncIo, '-o', join(tmp, 'p.asyncify.wasm'), '--imports', 'env.sleep'],
    ['print', asyncIo, '-o', join(tmp, 'p.wat')],
  ];
  for (const args of cases) {
    const piped = weft(...args);
    assert.equal(piped.status, 0, piped.stderr);
    assert.equal(piped.stderr, '', `${args[0]}: quiet on a pipe`);
  }
  // util-linux `script` runs the command on a pseudo-terminal.
  const probe = spawnSync('script', ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    t.skip('script (util-linux) is not installed: no pseudo-terminal to test with');
    return;
  }
  for (const args of cases) {
    const cmd = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, new RegExp(`\\r\\x1b\\[K${args[0]}: functions: \\d+/\\d+ \\(\\d+%\\)`), `${args[0]}: a progress line`);
    assert.match(r.stdout, /\r\x1b\[K(weft: .*\r?\n)?$/, `${args[0]}: the line is cleared at the end`);
  }
});
