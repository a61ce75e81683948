import { writeModule } from '../binary/encode.js';
import { parseModule } from '../text/parser.js';
import { fail, note, parseArgs, readInput, reportErrors, UsageError, writeOutput, type Command } from './common.js';

const HELP = `usage: weft parse IN.wat -o OUT.wasm [--validate]

Parses IN, a module in the WebAssembly text format, and writes it as a binary to OUT.
Identifiers become the name section; @custom, @name and branch-hint annotations become
their custom sections.

  --validate    validate the module; on an error, report it and write nothing`;

export const parseCommand: Command = (args) => {
  const { positional, options } = parseArgs(args, ['-o']);
  if (options.has('--help')) {
    console.log(HELP);
    return 0;
  }
  const input = positional[0] ?? '';
  return reportErrors(input, async () => {
    const out = options.get('-o');
    if (positional.length !== 1 || typeof out !== 'string') throw new UsageError(`expected one input and -o OUT\n${HELP}`);
    const start = performance.now();
    const text = readInput(input);
    const m = parseModule(text, input);
    if (options.has('--validate')) {
      // Loaded only when asked for: start-up need not compile the validator.
      const [{ validate }, { formatValidationError }] = await Promise.all([import('../validate/module.js'), import('./validate.js')]);
      const errors = validate(m, { firstOnly: true });
      if (errors.length) return fail(formatValidationError(input, m, errors[0]));
    }
    const bytes = writeModule(m);
    writeOutput(out, bytes);
    note(`weft: ${input} → ${out}: ${text.length} → ${bytes.length} bytes in ${Math.round(performance.now() - start)} ms`);
    return 0;
  });
};
