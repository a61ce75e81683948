import { readModule } from '../binary/decode.js';
import { writeModule } from '../binary/encode.js';
import { reloopModule } from '../passes/reloop.js';
import { validate } from '../validate/module.js';
import { splitBudgetOption } from './structurize.js';
import { formatValidationError, outputError } from './validate.js';
import { fail, note, parseArgs, readInput, reportErrors, UsageError, writeOutput, type Command } from './common.js';

const HELP = `usage: weft reloop IN.wasm -o OUT.wasm [--keep-smaller] [--split-budget X] [--validate] [--stats]

Rebuilds every function's control flow: recovers its control-flow graph from the body
and structurizes it again (as Binaryen's --flatten --rereloop). Functions it cannot
recover (exception handling, br_on_*, non-nullable locals) keep their
original bytes. IN must be valid.

  --keep-smaller    keep a function's original body when the rebuilt one is larger
  --split-budget X  node-splitting budget of the structurizer (default 1)
  --validate        validate the output; on an error, report it and write nothing
  --stats           print how many functions were rebuilt or left, and why, on stderr`;

export const reloopCommand: Command = (args) => {
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
    const bytes = readInput(input);
    const m = readModule(bytes);
    // Recovering a graph relies on the body being valid: reject invalid input up front.
    const invalid = validate(m, { firstOnly: true });
    if (invalid.length) return fail(`input is not valid: ${formatValidationError(input, m, invalid[0])}`);
    const stats = reloopModule(m, { keepSmaller: options.has('--keep-smaller'), splitBudget });
    const result = writeModule(m);
    const error = options.has('--validate') ? outputError(input, result) : null;
    if (error) return fail(error);
    writeOutput(out, result);
    if (options.has('--stats')) {
      const left = [...stats.skipped].map(([why, n]) => `${n} ${why}`).join(', ');
      const pct = ((100 * (stats.bytesAfter - stats.bytesBefore)) / Math.max(1, stats.bytesBefore)).toFixed(2);
      process.stderr.write(`weft reloop: ${stats.relooped} of ${stats.functions} functions rebuilt${left ? `; left as they were: ${left}` : ''}; ` +
        `code ${stats.bytesBefore} → ${stats.bytesAfter} bytes (${pct}%)\n`);
    }
    note(`weft: ${input} → ${out}: ${bytes.length} → ${result.length} bytes in ${Math.round(performance.now() - start)} ms`);
    return 0;
  });
};
