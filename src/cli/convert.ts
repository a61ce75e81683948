import { readModule } from '../binary/decode.js';
import { writeModule } from '../binary/encode.js';
import { parseArgs, readInput, reportErrors, UsageError, writeOutput, type Command } from './common.js';

const HELP = `usage: weft convert IN.wasm -o OUT.wasm

Reads IN, decodes every function body into weft's IR, encodes the module again and
writes OUT. Custom sections, names and everything else are carried through.`;

export const convertCommand: Command = (args) => {
  const { positional, options } = parseArgs(args, ['-o']);
  if (options.has('--help')) {
    console.log(HELP);
    return 0;
  }
  const input = positional[0] ?? '';
  return reportErrors(input, () => {
    const out = options.get('-o');
    if (positional.length !== 1 || typeof out !== 'string') throw new UsageError(`expected one input and -o OUT\n${HELP}`);
    const bytes = readInput(input);
    const result = writeModule(readModule(bytes), { reencode: true });
    writeOutput(out, result);
    return 0;
  });
};
