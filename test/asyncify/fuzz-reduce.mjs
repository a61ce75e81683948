// Reduces a failing fuzz seed to a small .wat that still shows the failure:
//
//   node test/asyncify/fuzz-reduce.mjs SEED OUT.wat
//
// The module of the seed is parsed into S-expressions; list nodes inside function bodies
// are deleted, and bodies of blocks/loops/ifs/trys unwrapped, as long as wat2wasm still
// accepts the module and the asyncified run still differs from the untransformed one
// (same export calls, options and suspension schedule as the seed). Deletion-only, so a
// counted loop can only lose its back edge (it still terminates).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readModule, writeModule } from '../../dist/src/index.js';
import { asyncify } from '../../dist/src/passes/asyncify/index.js';
import { generate, rng } from './fuzz-gen.mjs';
import { assembleWeft, optionsFor, plan, run } from './fuzz-run.mjs';

const GEN = JSON.parse(process.env.FUZZ_GEN ?? '{}'); // e.g. {"v3":true} (then run under Node 26)
const v3 = !!GEN.v3;

function tokenize(s) {
  return s.match(/\(|\)|"[^"]*"|[^\s()]+/g);
}
function parse(tokens) {
  let i = 0;
  const node = () => {
    if (tokens[i] === '(') {
      i++;
      const xs = [];
      while (tokens[i] !== ')') xs.push(node());
      i++;
      return xs;
    }
    return tokens[i++];
  };
  const out = [];
  while (i < tokens.length) out.push(node());
  return out;
}
const print = (n, ind = '') => (Array.isArray(n)
  ? (n[0] === 'func' || n[0] === 'module' ? `${ind}(${n.map((c) => (Array.isArray(c) && ['func'].includes(c[0]) ? `\n${print(c, ind + '  ')}` : print(c))).join(' ')})` : `(${n.map((c) => print(c)).join(' ')})`)
  : n);

const dir = mkdtempSync(join(tmpdir(), 'weft-reduce-'));
function assemble(wat) {
  if (v3) {
    try {
      return assembleWeft(wat, dir, 'x');
    } catch {
      return null;
    }
  }
  writeFileSync(join(dir, 'x.wat'), wat);
  const names = Number(process.argv[2]) % 5 === 0 ? ['--debug-names'] : []; // as fuzz-run.mjs does
  const r = spawnSync('wat2wasm', ['--enable-tail-call', '--enable-exceptions', ...names, join(dir, 'x.wat'), '-o', join(dir, 'x.wasm')]);
  return r.status === 0 ? readFileSync(join(dir, 'x.wasm')) : null;
}

export async function fails(wat, seed, calls) {
  const bytes = assemble(wat);
  if (!bytes || !WebAssembly.validate(bytes)) return false;
  const nested = plan(seed + 1_000_003, generate(seed, genOptions(seed)).funcs).map((c) => ({ ...c, fuel: Math.min(c.fuel, 12) }));
  const oracle = await run(bytes, calls, { mem64: v3, nested });
  if (oracle.log.some((x) => x.includes(' trap: ') && !x.endsWith('wasm exception'))) return false; // e.g. the fuel check was lost
  let out;
  try {
    const m = readModule(bytes);
    asyncify(m, optionsFor(seed, v3));
    out = writeModule(m);
  } catch {
    return true; // a throw counts as a failure too
  }
  if (!WebAssembly.validate(out)) return true;
  const p = rng(seed * 31 + 7).pick([0.2, 0.5, 1]);
  const got = await run(out, calls, { suspendSeed: seed, p, mem64: v3, nested });
  return JSON.stringify(oracle.log) !== JSON.stringify(got.log);
}

function genOptions(seed) {
  return { ...(seed % 4 === 0 ? { stmtBudget: 90, maxFuncs: 8 } : {}), ...GEN };
}

async function main() {
  const seed = Number(process.argv[2]);
  const outPath = process.argv[3];
  const g = generate(seed, genOptions(seed));
  const calls = plan(seed, g.funcs);
  const tree = parse(tokenize(g.wat))[0];
  const text = () => print(tree);
  if (!(await fails(text(), seed, calls))) throw new Error('the seed does not fail');
  let changed = true;
  let tries = 0;
  while (changed) {
    changed = false;
    // Every list node inside a func, deepest last; try deleting it, or unwrapping it.
    const visit = async (parent, depth) => {
      for (let i = parent.length - 1; i >= 0; i--) {
        const c = parent[i];
        if (!Array.isArray(c)) continue;
        const head = c[0];
        if (depth === 0 && head !== 'func') continue;
        if (depth === 0 && c.includes('"init"')) continue;
        if (depth > 0 && !['param', 'result', 'local', 'type', 'export'].includes(head) && !JSON.stringify(c).includes('"$fuel"')) {
          parent.splice(i, 1);
          tries++;
          if (await fails(text(), seed, calls)) {
            changed = true;
            continue;
          }
          parent.splice(i, 0, c);
          // Unwrap a construct: splice in its body.
          const inner = head === 'if' ? c.filter((x) => Array.isArray(x) && (x[0] === 'then' || x[0] === 'else')).flatMap((x) => x.slice(1))
            : head === 'try' ? c.filter((x) => Array.isArray(x) && x[0] === 'do').flatMap((x) => x.slice(1))
              : head === 'block' || head === 'loop' ? c.filter((x) => Array.isArray(x) && !['result', 'param', 'type'].includes(x[0])) : null;
          if (inner) {
            parent.splice(i, 1, ...inner);
            tries++;
            if (await fails(text(), seed, calls)) {
              changed = true;
              continue;
            }
            parent.splice(i, inner.length, c);
          }
        }
        await visit(c, depth + 1);
      }
    };
    await visit(tree, 0);
  }
  writeFileSync(outPath, text() + '\n');
  console.log(`reduced seed ${seed} in ${tries} tries: ${outPath} (${text().length} chars)`);
  rmSync(dir, { recursive: true, force: true });
}
await main();
