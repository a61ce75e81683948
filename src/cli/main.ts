#!/usr/bin/env node
/** The `weft` command: thin subcommands over the typed API. */
import { fail, UsageError, type Command } from './common.js';

// Each command's module is loaded only when it runs: start-up stays small, and a
// command never depends on the others' code.
const COMMANDS: Record<string, () => Promise<Command>> = {
  asyncify: async () => (await import('./asyncify.js')).asyncifyCommand,
  convert: async () => (await import('./convert.js')).convertCommand,
  parse: async () => (await import('./parse.js')).parseCommand,
  print: async () => (await import('./print.js')).printCommand,
  validate: async () => (await import('./validate.js')).validateCommand,
  structurize: async () => (await import('./structurize.js')).structurizeCommand,
  reloop: async () => (await import('./reloop.js')).reloopCommand,
  wast: async () => (await import('./wast.js')).wastCommand,
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
  const load = COMMANDS[name];
  if (!load) return fail(`unknown command '${name}'\n${USAGE}`);
  return (await load())(rest);
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
