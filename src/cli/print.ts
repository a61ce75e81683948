import { writeSync } from 'node:fs';
import { readModule } from '../binary/decode.js';
import { printModuleTo } from '../text/printer.js';
import { parseArgs, progress, readInput, reportErrors, UsageError, writeAll, writeOutputStreamed, type Command } from './common.js';

const HELP = `usage: weft print IN.wasm [-o OUT.wat] [--folded]

Prints IN in the WebAssembly text format, to OUT or to stdout. Names come from the
name section; custom sections and branch hints are kept as annotations.

  --folded   print function bodies as folded S-expressions`;

/** Stdout was closed by its reader (`weft print x.wasm | head`): stop, as other tools do. */
class StdoutClosed extends Error {}

export const printCommand: Command = (args) => {
  const { positional, options } = parseArgs(args, ['-o']);
  if (options.has('--help')) {
    console.log(HELP);
    return 0;
  }
  const input = positional[0] ?? '';
  return reportErrors(input, () => {
    const out = options.get('-o');
    if (positional.length !== 1 || out === true) throw new UsageError(`expected one input and at most -o OUT\n${HELP}`);
    const m = readModule(readInput(input));
    const folded = options.has('--folded');
    // The text is streamed: for a large module it can exceed V8's longest string.
    const print = (fd: number): void => printModuleTo(m, (chunk) => writeAll(fd, Buffer.from(chunk, 'utf8')), { folded });
    if (out !== undefined) {
      // A regular file takes each chunk whole: let Node encode straight from the string.
      // (Progress only then: on stdout it would mix with the text when both are the terminal.)
      const shown = progress('print: functions');
      try {
        writeOutputStreamed(out, (fd) => printModuleTo(m, (chunk) => writeSync(fd, chunk), { folded, progress: shown?.step }));
      } finally {
        shown?.end();
      }
      return 0;
    }
    try {
      print(1);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EPIPE') throw e;
    }
    return 0;
  });
};
