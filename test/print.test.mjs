// The text-format printer. Every spec-suite binary that should decode is printed (flat and
// folded) and assembled again by an independent assembler, and the result must be the
// same module (weft's moduleDiff) up to what the text format cannot say (see normalize).
// The assembler is Debian's WABT 1.0.32 `wat2wasm`; for the modules it cannot read (GC
// types, quoted `$"..."` ids: it predates them) binaryen.js, whose output is compared
// with binaryen's own re-encoding of the original binary (binaryen rewrites modules into
// its IR, so only binaryen-against-binaryen is a fair comparison).
// Then: a million nested blocks print and reassemble; names, custom sections and branch
// hints survive.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Body, decodeFunc, emptyModule, emptyNames, OPS, readModule, refType, writeModule } from '../dist/src/index.js';
import { moduleDiff } from '../dist/src/ir/equal.js';
import { parseModule } from '../dist/src/text/parser.js';
import { printModule } from '../dist/src/text/printer.js';
import { oneFunctionModule } from './wasm-bytes.mjs';
import { validate } from '../dist/src/validate/module.js';
import { node26 } from '../scripts/node26.mjs';
import { DECODES, haveSuite, NO_SUITE, scripts, SUITE_WAST } from './suite.mjs';
import { binaryenFeatures, textModules, wastFiles } from './wast-modules.mjs';
import { normalize } from './text-normalize.mjs';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'weft-print-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const haveWabt = spawnSync('wat2wasm', ['--version']).status === 0;
const NO_WABT = 'wat2wasm (Debian package wabt) not installed';
let binaryen = null;
try {
  binaryen = (await import('binaryen')).default;
  binaryen.setDebugInfo(true);
} catch {
  // The suite test then counts the modules only binaryen could have checked as skipped.
}

const scratch = new Body();

/** The bytes a string literal of the text format denotes. */
function literalBytes(s) {
  const out = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\') out.push(...Buffer.from(s[i], 'utf8'));
    else if (/[0-9a-f]{2}/i.test(s.slice(i + 1, i + 3))) out.push(parseInt(s.slice(i + 1, (i += 2) + 1), 16));
    else out.push({ t: 9, n: 10, r: 13 }[s[++i]] ?? s.charCodeAt(i));
  }
  return Buffer.from(out);
}

/** The `@custom` annotations of a text: [name, placement, contents as hex] in order. */
function customAnnotations(text) {
  const str = String.raw`"((?:[^"\\]|\\.)*)"`;
  const re = new RegExp(String.raw`\(@custom ${str} \((before|after) (\w+)\) ${str}\)`, 'g');
  return [...text.matchAll(re)].map((x) => [literalBytes(x[1]).toString('utf8'), `${x[2]} ${x[3]}`, literalBytes(x[4]).toString('hex')]);
}

// ---- assemblers -------------------------------------------------------------------------

/**
 * WABT's binaries for a script's worth of texts: one `wast2json` run for all, or where
 * that fails (one text it cannot read spoils the batch), `wat2wasm` for each. Each result
 * is { bytes } or { reason }, WABT's first error line without its position.
 */
async function wabt(texts) {
  const dir = mkdtempSync(join(tmp, 'batch-'));
  const base = join(dir, 'm');
  writeFileSync(`${base}.wast`, texts.join('\n'));
  try {
    await run('wast2json', ['--enable-all', '--no-check', '--debug-names', `${base}.wast`, '-o', `${base}.json`]);
    const { commands } = JSON.parse(readFileSync(`${base}.json`, 'utf8'));
    return commands.map((c) => ({ bytes: readFileSync(join(dir, c.filename)) }));
  } catch {
    return await Promise.all(texts.map(async (text, i) => {
      writeFileSync(`${base}.${i}.wat`, text);
      try {
        await run('wat2wasm', ['--enable-all', '--no-check', '--debug-names', `${base}.${i}.wat`, '-o', `${base}.${i}.wasm`]);
        return { bytes: readFileSync(`${base}.${i}.wasm`) };
      } catch (e) {
        return { reason: String(e.stderr).split('\n')[0].replace(/^.*?:\d+:\d+: error: /, '') };
      }
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** binaryen's encoding of a module it parsed from `text` or read from `bytes`. */
function viaBinaryen(input) {
  let m = null;
  try {
    const features = binaryenFeatures(binaryen);
    m = typeof input === 'string' ? binaryen.parseText(input, features) : binaryen.readBinary(input, features);
    m.setFeatures(features);
    return m.emitBinary();
  } finally {
    m?.dispose();
  }
}

/** Runs `work` on every item, `limit` at a time. */
async function pool(items, limit, work) {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

// ---- (a) the spec suite -----------------------------------------------------------------

/** The suite's binaries that should decode, by script. */
function suiteScripts() {
  const out = [];
  for (const s of scripts()) {
    const modules = [];
    for (const cmd of s.commands) {
      if (!DECODES.has(cmd.type) || !cmd.filename.endsWith('.wasm')) continue;
      const bytes = readFileSync(join(s.dir, cmd.filename));
      try {
        const m = readModule(bytes);
        for (const f of m.funcs) decodeFunc(m, f, scratch);
        modules.push({ where: `${s.name}/${cmd.filename}`, valid: cmd.type === 'module', bytes });
      } catch {
        // The binary round-trip test accounts for the few invalid ones weft rejects as malformed.
      }
    }
    if (modules.length) out.push(modules);
  }
  return out;
}

for (const folded of [false, true]) {
  test(`spec suite binaries: ${folded ? 'folded' : 'flat'} text reassembles to the same module`, { skip: (!haveSuite && NO_SUITE) || (!haveWabt && NO_WABT) }, async () => {
    const counts = { modules: 0, wabt: 0, binaryen: 0, customsChecked: 0 };
    const wabtFailed = new Map();
    const skipped = new Map();
    const failures = [];
    const bump = (map, key) => map.set(key, (map.get(key) ?? 0) + 1);
    await pool(suiteScripts(), availableParallelism(), async (modules) => {
      const texts = modules.map(({ where, bytes }) => {
        const m = readModule(bytes);
        const text = printModule(m, { folded });
        const customs = m.customs.filter((c) => c.name !== 'name' || !m.names);
        if (customs.length) {
          // No assembler here reads @custom (WABT 1.0.32 and binaryen skip it): check the text.
          const said = customAnnotations(text).map(([name, , hex]) => [name, hex]);
          assert.deepEqual(said, customs.map((c) => [c.name, Buffer.from(c.bytes).toString('hex')]), where);
          counts.customsChecked++;
        }
        return text;
      });
      const results = await wabt(texts);
      modules.forEach(({ where, valid, bytes }, i) => {
        counts.modules++;
        const { bytes: out, reason } = results[i];
        if (out) {
          // WABT drops @custom annotations: its module gets the original's (checked above).
          const m = normalize(readModule(bytes));
          const diff = moduleDiff(m, Object.assign(normalize(readModule(out)), { customs: m.customs }));
          if (diff) failures.push(`${where}: wat2wasm's module differs at ${diff}`);
          else counts.wabt++;
          return;
        }
        bump(wabtFailed, reason);
        // binaryen reads only valid modules reliably; invalid ones WABT cannot read stay unchecked.
        if (!valid || !binaryen) {
          bump(skipped, !valid ? `invalid module WABT cannot read: ${reason}` : 'binaryen unavailable');
          return;
        }
        try {
          const diff = moduleDiff(normalize(readModule(viaBinaryen(texts[i]))), normalize(readModule(viaBinaryen(bytes))));
          if (diff) failures.push(`${where}: binaryen's module differs at ${diff}`);
          else counts.binaryen++;
        } catch (e) {
          failures.push(`${where}: binaryen: ${String(e.message).split('\n')[0]}`);
        }
      });
    });
    const list = (map) => [...map].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${n} × ${r}`).join('; ') || 'none';
    console.log(`# ${counts.modules} modules: ${counts.wabt} reassembled by WABT to an equal module, ${counts.binaryen} by binaryen (WABT: ${list(wabtFailed)}); skipped: ${list(skipped)}; custom sections checked in ${counts.customsChecked}`);
    assert.deepEqual(failures, []);
    assert.ok(counts.wabt > 3900, `only ${counts.wabt} modules reassembled by WABT`);
    assert.equal(counts.wabt + counts.binaryen + [...skipped.values()].reduce((a, b) => a + b, 0), counts.modules);
  });
}

// ---- (a') GC, typed references, exceptions, table64 ... ---------------------------------

// testsuite-json holds only what WABT 1.0.32 could convert. The suite's other text modules
// are assembled by binaryen (as in text-binaries.test.mjs); their printed text must be
// accepted by binaryen, and what binaryen makes of it must behave as the original in V8
// (test/spec/text-binaries-exec.mjs: validation, instantiation, every parameterless
// export). Not compared with moduleDiff: binaryen orders types by use, counted
// differently when it reads text than when it reads a binary.
test('spec suite text modules (GC, exceptions, ...): printed text reassembles with binaryen and behaves alike in V8', { skip: (!existsSync(SUITE_WAST) && NO_SUITE) || (!binaryen && 'npm binaryen (devDependency) unavailable') }, () => {
  let modules = 0;
  // Per mode: the harness matches its list of V8's known gaps on the plain `where`.
  const pairs = { flat: [], folded: [] };
  const failures = [];
  for (const file of wastFiles(SUITE_WAST)) {
    for (const { line, text } of textModules(readFileSync(file, 'utf8'))) {
      const where = `${relative(SUITE_WAST, file)}:${line}`;
      let orig;
      let m;
      try {
        orig = viaBinaryen(text);
        m = readModule(orig);
        for (const f of m.funcs) decodeFunc(m, f, scratch);
      } catch {
        // Not assembled, or beyond 3.0: text-binaries.test.mjs accounts for these.
        continue;
      }
      modules++;
      for (const mode of ['flat', 'folded']) {
        try {
          const rt = viaBinaryen(printModule(m, { folded: mode === 'folded' }));
          pairs[mode].push({ where, orig: Buffer.from(orig).toString('base64'), rt: Buffer.from(rt).toString('base64') });
        } catch (e) {
          failures.push(`${where} (${mode}): binaryen: ${String(e.message).split('\n')[0]}`);
        }
      }
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(modules > 2500, `only ${modules} modules`);
  let node;
  try {
    node = node26();
  } catch (e) {
    console.log(`# ${modules} binaryen-assembled modules: binaryen read all their flat and folded texts; behaviour not compared (Node 26 unavailable: ${e.message})`);
    return;
  }
  const script = fileURLToPath(new URL('./spec/text-binaries-exec.mjs', import.meta.url));
  for (const mode of ['flat', 'folded']) {
    const report = JSON.parse(execFileSync(node, [script], { input: JSON.stringify(pairs[mode]), encoding: 'utf8', maxBuffer: 64 << 20 }));
    console.log(`# ${modules} binaryen-assembled modules, ${mode} text read by binaryen; V8: ${report.validated} validated alike, ${report.invalid} invalid alike, ${report.instantiated} instantiated, ${report.calls} parameterless exports called alike`);
    assert.deepEqual(report.differences, [], mode);
    assert.ok(report.calls > 1000, `only ${report.calls} calls`);
  }
});

// ---- (b) deep nesting -------------------------------------------------------------------

test('1,000,000 nested blocks print, flat and folded, and reassemble', () => {
  const depth = 1_000_000;
  const code = new Uint8Array(depth * 3 + 2);
  code[0] = 0; // no locals
  for (let i = 0; i < depth; i++) code.set([0x02, 0x40], 1 + 2 * i);
  code.fill(0x0b, 1 + depth * 2);
  const m = readModule(oneFunctionModule(code));
  for (const folded of [false, true]) {
    const text = printModule(m, { folded });
    const lines = text.split('\n');
    assert.equal(lines.filter((l) => l.trimStart() === (folded ? '(block' : 'block')).length, depth);
    assert.equal(lines.filter((l) => l.trim() === (folded ? ')' : 'end')).length, depth + (folded ? 2 : 0));
    assert.ok(Math.max(...lines.slice(0, 100).map((l) => l.length), ...lines.slice(-100).map((l) => l.length)) < 80);
    if (!haveWabt) continue;
    // WABT's parser recurses per nesting level: give it the stack it needs.
    const file = join(tmp, `deep${folded ? '-folded' : ''}.wat`);
    writeFileSync(file, text);
    const r = spawnSync('bash', ['-c', 'ulimit -s unlimited && wat2wasm --enable-all "$1" -o "$1.wasm"', '-', file]);
    if (r.status !== 0) {
      console.log(`# wat2wasm could not reassemble ${depth} nested blocks (${r.signal ?? String(r.stderr).trim()}); printing checked only`);
      continue;
    }
    assert.equal(moduleDiff(m, readModule(readFileSync(`${file}.wasm`))), null);
  }
});

// ---- (c) names, custom sections, branch hints -------------------------------------------

/** A module with a name section of every kind, custom sections in three places and branch hints. */
function annotatedModule() {
  const m = emptyModule();
  const func = (params, results) => ({ final: true, supers: [], explicit: false, comp: { kind: 'func', params, results } });
  m.types.push(func([0x7f, 0x7f], [0x7f]), { final: true, supers: [], explicit: false, comp: { kind: 'struct', fields: [{ type: 0x7f, mutable: false }, { type: 0x7e, mutable: true }] } }, func([], []));
  m.recGroups.push({ start: 0, count: 1, explicit: false }, { start: 1, count: 1, explicit: false }, { start: 2, count: 1, explicit: false });
  m.imports.push({ module: 'env', name: 'imp', kind: 0, type: 2 });
  // block $outer  local.get 0  if $inner  nop  end  local.get 1  br_if $outer  end  local.get 2  end
  const code = [1, 1, 0x7f, 0x02, 0x40, 0x20, 0, 0x04, 0x40, 0x01, 0x0b, 0x20, 1, 0x0d, 0, 0x0b, 0x20, 2, 0x0b];
  const IF_AT = 7;
  const BR_IF_AT = 13;
  const empty = Uint8Array.of(0, 0x0b);
  m.funcs.push({ type: 0, body: null, raw: Uint8Array.from(code), offset: 0 }, { type: 2, body: null, raw: empty, offset: 0 }, { type: 2, body: null, raw: empty, offset: 0 });
  m.globals.push(
    { type: 0x7f, mutable: true, init: { bytes: Uint8Array.of(0x41, 0, 0x0b), offset: 0 } },
    { type: refType(true, 1), mutable: false, init: { bytes: Uint8Array.of(0xd0, 1, 0x0b), offset: 0 } },
  );
  m.exports.push({ name: 'f', kind: 0, index: 1 });
  const names = emptyNames();
  names.module = 'my module';
  names.functions = new Map([[0, 'imp'], [1, 'a b'], [2, 'dup'], [3, 'dup']]);
  names.locals = new Map([[1, new Map([[0, 'x'], [1, 'x y'], [2, 'tmp']])]]);
  names.labels = new Map([[1, new Map([[0, 'outer'], [1, 'inner']])]]);
  names.types = new Map([[0, 'sig'], [1, 'point']]);
  names.fields = new Map([[1, new Map([[0, 'px'], [1, 'py']])]]);
  names.globals = new Map([[0, 'counter']]);
  names.order = [0, 1, 2, 3, 4, 7, 10];
  m.names = names;
  const bytes = (s) => Uint8Array.from(s, (c) => c.charCodeAt(0));
  m.customs.push(
    { name: 'first', bytes: bytes('\x00\x01"\\\xff'), after: 0 },
    { name: 'after types', bytes: bytes('types!'), after: 1 },
    { name: 'metadata.code.branch_hint', bytes: Uint8Array.of(1, 1, 2, IF_AT, 1, 1, BR_IF_AT, 1, 0), after: 3 },
    { name: 'λ', bytes: bytes('last'), after: 10 },
  );
  return readModule(writeModule(m));
}

test('names, custom sections and branch hints survive printing', () => {
  const m = annotatedModule();
  for (const folded of [false, true]) {
    const text = printModule(m, { folded });
    for (const expected of [
      '(module $"my module"', '(type $sig (func (param i32 i32) (result i32)))',
      '(type $point (struct (field $px i32) (field $py (mut i64))))', '(import "env" "imp" (func $imp (type 2)))',
      '(global $counter (mut i32) (i32.const 0))', '(export "f" (func $"a b"))',
      '(func $"a b" (type $sig) (param $x i32) (param $"x y" i32) (result i32)', '(local $tmp i32)',
      '(func $dup (type 2)', '(func $dup#func3 (@name "dup") (type 2)',
    ]) assert.ok(text.includes(expected), `${folded ? 'folded' : 'flat'}: missing ${expected}\n${text}`);
    const body = folded
      ? ['(block $outer', '(local.get $x)', '(@metadata.code.branch_hint "\\01")', '(if $inner', '(then', '(nop)', ')', ')', '(local.get $"x y")',
        '(@metadata.code.branch_hint "\\00")', '(br_if $outer)', ')', '(local.get $tmp)']
      : ['block $outer', 'local.get $x', '(@metadata.code.branch_hint "\\01")', 'if $inner', 'nop', 'end', 'local.get $"x y"',
        '(@metadata.code.branch_hint "\\00")', 'br_if $outer', 'end', 'local.get $tmp'];
    const lines = text.split('\n').map((l) => l.trim());
    const start = lines.indexOf(body[0]);
    assert.deepEqual(lines.slice(start, start + body.length), body, text);
    assert.deepEqual(customAnnotations(text), [
      ['first', 'before first', Buffer.from('\x00\x01"\\\xff', 'latin1').toString('hex')],
      ['after types', 'after type', Buffer.from('types!').toString('hex')],
      ['λ', 'after code', Buffer.from('last').toString('hex')],
    ]);
  }
});

/** [function, op, hint] for each branch hint of a module, assuming one-byte LEB128s throughout (as here). */
function hintTargets(m) {
  const bytes = m.customs.find((c) => c.name === 'metadata.code.branch_hint').bytes;
  const out = [];
  let p = 1;
  for (let nf = bytes[0]; nf > 0; nf--) {
    const func = bytes[p++];
    const f = m.funcs[func - 1];
    const body = decodeFunc(m, f, new Body().trackOffsets());
    for (let nh = bytes[p++]; nh > 0; nh--) {
      const at = f.offset + bytes[p];
      p += 2;
      const i = body.offsets.subarray(0, body.length).indexOf(at);
      out.push([func, i < 0 ? null : OPS[body.ops[i]].name, bytes[p++]]);
    }
  }
  return out;
}

test('names, custom sections and branch hints survive weft print → weft parse', () => {
  const m = annotatedModule();
  for (const folded of [false, true]) {
    const back = readModule(writeModule(parseModule(printModule(m, { folded }))));
    assert.equal(moduleDiff(normalize(annotatedModule(), { wabt: false }), normalize(back, { wabt: false })), null, folded ? 'folded' : 'flat');
    // Checked as bytes too: the branch-hint section's offsets, the custom sections' contents.
    const customs = (x) => x.customs.filter((c) => c.name !== 'name').map((c) => [c.name, Buffer.from(c.bytes).toString('hex')]);
    assert.deepEqual(customs(back), customs(m));
    assert.deepEqual([...back.names.functions], [[0, 'imp'], [1, 'a b'], [2, 'dup'], [3, 'dup']]);
  }
});

test('custom descriptors: clauses, exact types and imports, the new instructions print and parse back', () => {
  const src = `(module
    (rec
      (type $t (sub (descriptor $d) (struct (field i32))))
      (type $d (sub (describes $t) (struct))))
    (type $f (func (param (ref null (exact $t))) (result (ref (exact $d)))))
    (import "m" "f" (func $imp (exact (type $f))))
    (func $g (type $f) (local.get 0) (ref.get_desc $t))
    (func (param anyref (ref null (exact $d))) (result (ref null $t))
      (block (result (ref (exact $t)))
        (br_on_cast_desc_eq 0 anyref (ref (exact $t)) (local.get 0) (local.get 1))
        (drop)
        (ref.cast_desc_eq (ref null (exact $t)) (local.get 0) (local.get 1))
        (unreachable))
      (drop)
      (block (result anyref)
        (br_on_cast_desc_eq_fail 0 anyref (ref $t) (local.get 0) (local.get 1))
        (drop)
        (ref.null any))
      (drop)
      (struct.new_desc $t (i32.const 1) (struct.new_default $d))
      (drop)
      (struct.new_default_desc $t (ref.null (exact $d)))))`;
  const m = readModule(writeModule(parseModule(src)));
  assert.deepEqual(validate(m), []);
  const hex = Buffer.from(writeModule(m)).toString('hex');
  // describes 0 (0x4c 00), descriptor 1 (0x4d 01); (ref null (exact 0)) is 63 62 00; the import kind 0x20.
  assert.ok(hex.includes('4e02' + '50004d015f017f00' + '50004c005f00'), hex);
  assert.ok(hex.includes('600163620001646201'), hex);
  assert.ok(hex.includes('016d0166' + '20' + '02'), hex);
  for (const folded of [false, true]) {
    const text = printModule(m, { folded });
    for (const part of ['(sub (descriptor $d) (struct', '(sub (describes $t) (struct)', '(func $imp (exact (type $f)', '(ref null (exact $t))', 'ref.cast_desc_eq (ref null (exact $t))', 'br_on_cast_desc_eq_fail 0 (ref null any) (ref $t)']) {
      assert.ok(text.includes(part), `${folded ? 'folded' : 'flat'}: ${part}\n${text}`);
    }
    assert.equal(moduleDiff(m, readModule(writeModule(parseModule(text)))), null, folded ? 'folded' : 'flat');
  }
});

test('names and branch hints survive reassembly by binaryen', { skip: !binaryen && 'npm binaryen (devDependency) unavailable' }, () => {
  const m = annotatedModule();
  for (const folded of [false, true]) {
    const text = printModule(m, { folded });
    const back = readModule(viaBinaryen(text));
    const n = back.names;
    assert.equal(n.module, 'my module');
    assert.deepEqual([...n.functions], [[0, 'imp'], [1, 'a b'], [2, 'dup'], [3, 'dup#func3']]);
    assert.deepEqual([...n.locals.get(1)], [[0, 'x'], [1, 'x y'], [2, 'tmp']]);
    // binaryen renumbers types (by use): find them by shape.
    const point = back.types.findIndex((t) => t.comp.kind === 'struct');
    const sig = back.types.findIndex((t) => t.comp.kind === 'func' && t.comp.params.length === 2);
    assert.equal(n.types.get(sig), 'sig');
    assert.equal(n.types.get(point), 'point');
    assert.deepEqual([...n.fields.get(point)].sort(), [[0, 'px'], [1, 'py']]);
    assert.equal(n.globals.get(0), 'counter');
    // binaryen lays bodies out its own way (a labelled `if` gets a block around it): check what the hints point at.
    assert.deepEqual(hintTargets(back), [[1, 'if', 1], [1, 'br_if', 0]]);
  }
});

test('weft print writes the text, and reports decode errors like the other commands', () => {
  const wasm = join(tmp, 'annotated.wasm');
  writeFileSync(wasm, writeModule(annotatedModule()));
  const out = join(tmp, 'annotated.wat');
  const r = spawnSync(process.execPath, [CLI, 'print', wasm, '-o', out, '--folded']);
  assert.equal(r.status, 0, String(r.stderr));
  assert.equal(readFileSync(out, 'utf8'), printModule(readModule(readFileSync(wasm)), { folded: true }));
  const stdout = spawnSync(process.execPath, [CLI, 'print', wasm], { maxBuffer: 1 << 24 });
  assert.equal(String(stdout.stdout), printModule(readModule(readFileSync(wasm))));
  // A body that ends early: the error names the file and offset, and no output is left.
  const bad = writeModule(annotatedModule());
  const broken = join(tmp, 'broken.wasm');
  const at = Buffer.from(bad).indexOf(Buffer.from([0x0d, 0, 0x0b, 0x20, 2]));
  bad[at] = 0xff; // an illegal opcode inside the first body
  writeFileSync(broken, bad);
  const brokenOut = join(tmp, 'broken.wat');
  const e = spawnSync(process.execPath, [CLI, 'print', broken, '-o', brokenOut]);
  assert.equal(e.status, 1);
  assert.equal(String(e.stderr), `error: ${broken}:0x${at.toString(16)}: illegal opcode 0xff\n`);
  assert.ok(!existsSync(brokenOut));
});
