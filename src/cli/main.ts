#!/usr/bin/env node
/** The `weft` command: thin subcommands over the typed API. */
import { convertCommand } from './convert.js';
import { validateCommand } from './validate.js';
import { fail, UsageError, type Command } from './common.js';

const COMMANDS: Record<string, Command> = {
  convert: convertCommand,
  validate: validateCommand,
};

const USAGE = `usage: weft <command> [options]

commands:
  convert IN.wasm -o OUT.wasm   decode every function body into weft's IR and encode the module again
  validate IN.wasm              check IN against the WebAssembly 3.0 validation rules

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
