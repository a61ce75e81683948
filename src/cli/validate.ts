import { readModule } from '../binary/decode.js';
import { validate } from '../validate/module.js';
import { fail, parseArgs, readInput, reportErrors, UsageError, type Command } from './common.js';
import type { Module } from '../ir/module.js';
import type { ValidationError } from '../validate/context.js';

const HELP = `usage: weft validate IN.wasm [--custom-descriptors]

Exits 0 when IN is a valid module. Otherwise prints the first error, in function order:
  error: IN: func INDEX[ NAME] at 0xOFFSET: message

  --custom-descriptors   the custom descriptors proposal's rules where they differ from
                         the core spec's (br_on_cast's types need only share a hierarchy)`;

/** `error: FILE: func 12 $name at 0x1a2b: message`, or without the function for module-level errors. */
export function formatValidationError(file: string, m: Module, e: ValidationError): string {
  const at = `0x${e.offset.toString(16)}`;
  if (e.func < 0) return `${file}: at ${at}: ${e.message}`;
  const name = m.names?.functions.get(e.func);
  return `${file}: func ${e.func}${name === undefined ? '' : ` ${name}`} at ${at}: ${e.message}`;
}

/** The first validation error of `bytes`, an output made from `input`, as the CLI words it; null when valid. */
export function outputError(input: string, bytes: Uint8Array): string | null {
  const m = readModule(bytes);
  const errors = validate(m, { firstOnly: true });
  return errors.length ? `output of ${formatValidationError(input, m, errors[0])}` : null;
}

export const validateCommand: Command = (args) => {
  const { positional, options } = parseArgs(args, []);
  if (options.has('--help')) {
    console.log(HELP);
    return 0;
  }
  const input = positional[0] ?? '';
  return reportErrors(input, () => {
    if (positional.length !== 1) throw new UsageError(`expected one input\n${HELP}`);
    const m = readModule(readInput(input));
    const errors = validate(m, { firstOnly: true, features: { customDescriptors: options.has('--custom-descriptors') } });
    if (errors.length) return fail(formatValidationError(input, m, errors[0]));
    return 0;
  });
};
