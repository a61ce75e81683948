// `npm run bench -- structurize [--seeds N] [--large N] [--budget X] [--json FILE]`
//
// Structurizes the same control-flow graphs with weft (src/cfg) and with binaryen.js's
// Relooper, in this process, and compares:
//   raw B       code size of the rendered function body (its code-section entry), as rendered
//   -O B        the same after binaryen's optimize() at binaryen.js's defaults (optimize
//               level 2, shrink level 1: wasm-opt -Os, which is what wasm-opt -O runs)
//   dispatches  label-variable sets executed while running each graph on its fuzz tape
//               (counted by instrumenting every local.set/tee of the label local; for
//               Binaryen that includes its resets of the label to 0)
//   depth       deepest block/loop/if nesting
//   ms          building the graph from JSON and rendering it (no module emission)
// Corpora: random graphs (test/cfg-corpus.mjs, seeds 0..N-1, each with its tape), and the
// adversarial families: K_4..K_12, Duff's device, a 200-way interpreter loop, a lexer
// state machine. Then timing on one large program-shaped graph (--large blocks).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { clique, duff, interpreterLoop, interpret, lexer, programCfg, randomCfg, runModule, tapeFor } from '../test/cfg-corpus.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function parse(args) {
  const o = { seeds: 300, large: 100000, budget: undefined, json: null };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--seeds') o.seeds = Number(args[++i]);
    else if (a === '--large') o.large = Number(args[++i]);
    else if (a === '--budget') o.budget = Number(args[++i]);
    else if (a === '--json') o.json = args[++i];
    else if (a === '--help') o.help = true;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

export async function main(args) {
  const o = parse(args);
  if (o.help) {
    console.log('usage: npm run bench -- structurize [--seeds N] [--large BLOCKS] [--budget X] [--json FILE]');
    return 0;
  }
  const weft = await import(`${ROOT}/dist/src/index.js`);
  const cfgApi = await import(`${ROOT}/dist/src/cfg/index.js`);
  const binaryen = (await import('binaryen')).default;
  const op = (name) => weft.OP_BY_NAME.get(name).id;
  const BLOCK = op('block'), LOOP = op('loop'), IF = op('if'), END = op('end');
  const SET = op('local.set'), TEE = op('local.tee'), CALL = op('call');

  // ---- the two structurizers: JSON graph → { bytes, label local, ms } ----
  const cpuMs = (since) => {
    const u = process.cpuUsage(since);
    return (u.user + u.system) / 1000;
  };
  function weftRender(json) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const { module, result } = cfgApi.moduleFromJson(json, o.budget === undefined ? {} : { splitBudget: o.budget });
    const ms = performance.now() - t0;
    const cpu = cpuMs(c0);
    // The graph building alone (JSON to Cfg), so that the rendering can be told apart.
    const c1 = process.cpuUsage();
    const t1 = performance.now();
    cfgApi.cfgFromJson(json);
    const buildMs = performance.now() - t1;
    const buildCpu = cpuMs(c1);
    return { bytes: weft.writeModule(module), label: result.labelLocal, ms, renderMs: ms - buildMs, renderCpu: cpu - buildCpu };
  }

  function binaryenRender(json) {
    const m = new binaryen.Module();
    m.addFunctionImport('print', 'env', 'print', binaryen.i32, binaryen.none);
    m.addFunctionImport('check', 'env', 'check', binaryen.none, binaryen.i32);
    const V = 0, LABEL = 1; // locals: the check() value, the relooper's label helper
    const t0 = performance.now();
    const r = new binaryen.Relooper(m);
    const ref = new Map();
    let trap = null;
    const print = (id) => m.call('print', [m.i32.const(id)], binaryen.none);
    // Binaryen's switches are br_tables indexed from 0: sparse values become conditions.
    const sparse = (b) => (b.next ?? []).some((br) => br.on?.some((v) => v < 0 || v > 4096));
    for (const b of json.blocks) {
      const next = b.next ?? [];
      const jumps = next.length === 1 && next[0].on === undefined;
      if (next.length === 0) ref.set(b.id, r.addBlock(m.block(null, [print(b.id), m.return()])));
      else if (jumps) ref.set(b.id, r.addBlock(print(b.id)));
      else {
        const code = m.block(null, [print(b.id), m.local.set(V, m.call('check', [], binaryen.i32))]);
        ref.set(b.id, sparse(b) ? r.addBlock(code) : r.addBlockWithSwitch(code, m.local.get(V, binaryen.i32)));
      }
    }
    for (const b of json.blocks) {
      const next = b.next ?? [];
      const from = ref.get(b.id);
      if (next.length === 0) continue;
      if (next.length === 1 && next[0].on === undefined) {
        r.addBranch(from, ref.get(next[0].to), 0, 0);
        continue;
      }
      const asSwitch = !sparse(b);
      // Binaryen takes one branch per target: merge values; a default absorbs its target's values.
      const taken = new Set();
      const byTarget = new Map();
      let hasDefault = false;
      for (const br of next) {
        const entry = byTarget.get(br.to) ?? byTarget.set(br.to, { values: [], isDefault: false }).get(br.to);
        if (br.on === undefined) entry.isDefault = hasDefault = true;
        else for (const v of br.on) if (!taken.has(v)) taken.add(v), entry.values.push(v);
      }
      for (const [to, { values, isDefault }] of byTarget) {
        if (isDefault) {
          if (asSwitch) r.addBranchForSwitch(from, ref.get(to), [], 0);
          else r.addBranch(from, ref.get(to), 0, 0);
        } else if (values.length) {
          if (asSwitch) r.addBranchForSwitch(from, ref.get(to), values, 0);
          else {
            const eq = (v) => m.i32.eq(m.local.get(V, binaryen.i32), m.i32.const(v));
            r.addBranch(from, ref.get(to), values.slice(1).reduce((c, v) => m.i32.or(c, eq(v)), eq(values[0])), 0);
          }
        }
      }
      if (!hasDefault) {
        trap ??= r.addBlock(m.unreachable());
        if (asSwitch) r.addBranchForSwitch(from, trap, [], 0);
        else r.addBranch(from, trap, 0, 0);
      }
    }
    const body = r.renderAndDispose(ref.get(json.entry), LABEL);
    const ms = performance.now() - t0;
    m.addFunction('run', binaryen.none, binaryen.none, [binaryen.i32, binaryen.i32], body);
    m.addFunctionExport('run', 'run');
    const bytes = m.emitBinary();
    m.dispose();
    return { bytes, label: LABEL, ms };
  }

  // ---- measurements on a rendered module ----
  const bodySize = (bytes) => weft.readModule(bytes).funcs[0].raw.length;

  function optimizedSize(bytes) {
    const m = binaryen.readBinary(bytes);
    m.optimize();
    const out = m.emitBinary();
    m.dispose();
    return bodySize(out);
  }

  function depthOf(bytes) {
    const m = weft.readModule(bytes);
    const body = weft.decodeFunc(m, m.funcs[0]);
    let d = 0, max = 0;
    for (let i = 0; i < body.length; i++) {
      const o = body.ops[i];
      if (o === BLOCK || o === LOOP || o === IF) max = Math.max(max, ++d);
      else if (o === END) d--;
    }
    return max;
  }

  /** The module with every set/tee of `label` followed by a call to an imported counter. */
  function instrument(bytes, label) {
    const m = weft.readModule(bytes);
    const body = weft.decodeFunc(m, m.funcs[0]);
    if (label < 0) return new WebAssembly.Module(bytes);
    const type = m.types.findIndex((t) => t.comp.kind === 'func' && t.comp.params.length === 1 && t.comp.params[0] === weft.I32 && t.comp.results.length === 0);
    const counter = m.imports.filter((i) => i.kind === weft.ExternKind.Func).length;
    m.imports.push({ module: 'env', name: 'count', kind: weft.ExternKind.Func, type });
    for (const e of m.exports) if (e.kind === weft.ExternKind.Func && e.index >= counter) e.index++;
    const out = new weft.Body(body.length + 64);
    out.locals = body.locals;
    for (let i = 0; i < body.length; i++) {
      const o = body.ops[i];
      if ((o === SET || o === TEE) && body.imm[i * 4] === label) {
        out.push(TEE, label);
        if (o === TEE) out.push(TEE, label);
        out.push(CALL, counter);
      } else cfgApi.copyInstructions(body, i, i + 1, out);
    }
    m.funcs[0].body = out;
    return new WebAssembly.Module(weft.writeModule(m));
  }

  function dispatches(bytes, label, json, tape, budget) {
    let count = 0;
    const mod = instrument(bytes, label);
    const got = runModule(mod, tape, budget, { count: () => { count++; } });
    const want = interpret(json, tape, budget);
    if (got.end !== want.end || got.trace.join() !== want.trace.join()) throw new Error('trace mismatch');
    return count;
  }

  // ---- corpora ----
  const corpora = [
    { name: `random (${o.seeds} seeds)`, graphs: Array.from({ length: o.seeds }, (_, s) => ({ json: randomCfg(s), seed: s })) },
    { name: 'K_4..K_12', graphs: Array.from({ length: 9 }, (_, i) => ({ json: clique(4 + i), seed: 4 + i, tape: 200 })) },
    { name: "Duff's device", graphs: [{ json: duff(), seed: 1, tape: 200 }] },
    { name: 'interpreter (200 ops)', graphs: [{ json: interpreterLoop(200), seed: 1, tape: 2000 }] },
    { name: 'lexer', graphs: [{ json: lexer(), seed: 1, tape: 2000 }] },
  ];

  const rows = [];
  for (const { name, graphs } of corpora) {
    const acc = { weft: zero(), binaryen: zero() };
    for (const { json, seed, tape: length } of graphs) {
      const tape = tapeFor(json, seed, length);
      const budget = 10 * tape.length + 10;
      for (const [tool, render] of [['weft', weftRender], ['binaryen', binaryenRender]]) {
        const r = render(json);
        const a = acc[tool];
        a.raw += bodySize(r.bytes);
        a.opt += optimizedSize(r.bytes);
        a.dispatches += dispatches(r.bytes, r.label, json, tape, budget);
        a.depth = Math.max(a.depth, depthOf(r.bytes));
        a.ms += r.ms;
      }
    }
    rows.push({ corpus: name, ...acc });
  }

  // ---- one large graph: time only (Binaryen too, if it finishes) ----
  const large = programCfg(o.large);
  const largeRow = { corpus: `program, ${o.large} blocks`, weft: zero(), binaryen: zero() };
  for (const [tool, render] of [['weft', weftRender], ['binaryen', binaryenRender]]) {
    const times = [];
    const renders = [];
    const renderCpus = [];
    let r;
    for (let i = 0; i < (tool === 'weft' ? 5 : 1); i++) {
      r = render(large);
      times.push(r.ms);
      renders.push(r.renderMs);
      renderCpus.push(r.renderCpu);
    }
    const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
    Object.assign(largeRow[tool], { raw: bodySize(r.bytes), opt: NaN, dispatches: NaN, depth: depthOf(r.bytes), ms: median(times) });
    if (tool === 'weft') largeRow.weftRenderMs = median(renders), largeRow.weftRenderCpu = median(renderCpus);
  }
  rows.push(largeRow);

  print(rows);
  console.log(`\n${largeRow.corpus}: weft's rendering alone (Cfg to body, without building the Cfg from JSON) ${largeRow.weftRenderMs.toFixed(1)} ms wall, ${largeRow.weftRenderCpu.toFixed(1)} ms CPU (medians of 5); load average ${(await import('node:os')).loadavg()[0].toFixed(1)}`);
  if (o.json) writeFileSync(o.json, JSON.stringify(rows, null, 2));
  return 0;
}

function zero() {
  return { raw: 0, opt: 0, dispatches: 0, depth: 0, ms: 0 };
}

function print(rows) {
  const cols = ['raw B', '-O B', 'dispatches', 'depth', 'ms'];
  const keys = ['raw', 'opt', 'dispatches', 'depth', 'ms'];
  const fmt = (v, k) => (Number.isNaN(v) ? '-' : k === 'ms' ? v.toFixed(1) : String(v));
  const ratio = (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? '-' : b === 0 ? (a === 0 ? '1.00' : 'inf') : (a / b).toFixed(2));
  const w = [26, 9, 11, 11, 12, 7, 9];
  const line = (cells) => cells.map((c, i) => (i < 2 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join(' ');
  console.log(line(['corpus', 'tool', ...cols]));
  for (const r of rows) {
    console.log(line([r.corpus, 'weft', ...keys.map((k) => fmt(r.weft[k], k))]));
    console.log(line(['', 'binaryen', ...keys.map((k) => fmt(r.binaryen[k], k))]));
    console.log(line(['', 'ratio', ...keys.map((k) => ratio(r.weft[k], r.binaryen[k]))]));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
