#!/usr/bin/env node
/** The `weft` command: thin subcommands over the typed API. */
import { asyncifyCommand } from './asyncify.js';
import { convertCommand } from './convert.js';
import { parseCommand } from './parse.js';
import { printCommand } from './print.js';
import { reloopCommand } from './reloop.js';
import { structurizeCommand } from './structurize.js';
import { validateCommand } from './validate.js';
import { wastCommand } from './wast.js';
import { fail, UsageError, type Command } from './common.js';

const COMMANDS: Record<string, Command> = {
  asyncify: asyncifyCommand,
  convert: convertCommand,
  parse: parseCommand,
  print: printCommand,
  validate: validateCommand,
  structurize: structurizeCommand,
  reloop: reloopCommand,
  wast: wastCommand,
};

const USAGE = `usage: weft <command> [options]

commands:
  asyncify IN.wasm -o OUT.wasm  let IN suspend at async imports and resume (Binaryen's Asyncify ABI)
  convert IN.wasm -o OUT.wasm   decode every function body into weft's IR and encode the module again
  parse IN.wat -o OUT.wasm      parse a module in the WebAssembly text format and write it as a binary
  print IN.wasm [-o OUT.wat]    print IN in the WebAssembly text format ([--folded] for S-expressions)
  validate IN.wasm              check IN against the WebAssembly 3.0 validation rules
  wast FILE.wast...             run spec test scripts with weft's parser, encoder and validator in V8
  structurize CFG.json -o OUT.wasm  render a control-flow graph (JSON) as structured WebAssembly
  reloop IN.wasm -o OUT.wasm    recover each function's control-flow graph and structurize it again

run 'weft <command> --help' for a command's options`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(USAGE);
    return name ? 0 : 1;
  }
  if (name === '--version') {
    console.log('weft 0.1.0');
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) return fail(`unknown command '${name}'\n${USAGE}`);
  return cmd(rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.exitCode = fail(e.message);
      return;
    }
    // Last resort: a bug in weft. Still no stack trace unless asked for.
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`error: internal error: ${msg}\n`);
    if (process.env.WEFT_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    process.exitCode = 2;
  },
);
