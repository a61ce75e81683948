import { writeModule } from '../binary/encode.js';
import { CfgJsonError, moduleFromJson, parseCfgJson } from '../cfg/json.js';
import { note, parseArgs, readInput, reportErrors, UsageError, writeOutput, type Command } from './common.js';

const HELP = `usage: weft structurize CFG.json -o OUT.wasm [--split-budget X]

Renders a control-flow graph as structured WebAssembly. CFG.json:
  {"entry": 0, "blocks": [{"id": 0, "next": [{"to": 1, "on": [0, 2]}, {"to": 2}]}, ...]}
OUT imports env.print (param i32) and env.check (result i32) and exports run: entering
a block calls print(id); a block without next returns; a single branch without "on"
jumps; otherwise v = check() picks the branch whose "on" lists v, else the one without
"on", else traps.

  --split-budget X  code that node splitting may add, as a share of the input (default 1);
                    irreducible loops beyond it use a dispatch variable. 0: never split`;

/** `--split-budget X`, or undefined for the default. */
export function splitBudgetOption(options: Map<string, string | true>): number | undefined {
  const text = options.get('--split-budget');
  if (text === undefined) return undefined;
  const budget = Number(text);
  if (!(budget >= 0)) throw new UsageError(`--split-budget expects a number >= 0, got ${String(text)}`);
  return budget;
}

export const structurizeCommand: Command = (args) => {
  const { positional, options } = parseArgs(args, ['-o', '--split-budget']);
  if (options.has('--help')) {
    console.log(HELP);
    return 0;
  }
  const input = positional[0] ?? '';
  return reportErrors(input, () => {
    const out = options.get('-o');
    if (positional.length !== 1 || typeof out !== 'string') throw new UsageError(`expected one input and -o OUT\n${HELP}`);
    const splitBudget = splitBudgetOption(options);
    const start = performance.now();
    const text = new TextDecoder().decode(readInput(input));
    let built;
    try {
      built = moduleFromJson(parseCfgJson(text), { splitBudget });
    } catch (e) {
      if (e instanceof CfgJsonError) throw new UsageError(`${input}: ${e.message}`);
      throw e;
    }
    const bytes = writeModule(built.module);
    writeOutput(out, bytes);
    const s = built.result.stats;
    note(`weft: ${input} → ${out}: ${s.blocks} blocks, ${s.splitNodes} split, ${s.dispatchLoops} dispatch loops, depth ${s.maxDepth}, ${bytes.length} bytes in ${Math.round(performance.now() - start)} ms`);
    return 0;
  });
};
