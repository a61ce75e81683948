import { readModule } from '../binary/decode.js';
import { writeModule } from '../binary/encode.js';
import { Sink } from '../binary/sink.js';
import { DrainedOutput, fail, note, parseArgs, readInput, reportErrors, threadsOption, UsageError, type Command } from './common.js';

const HELP = `usage: weft convert IN.wasm -o OUT.wasm [--threads N] [--validate]

Reads IN, decodes every function body into weft's IR, encodes the module again and
writes OUT. Custom sections, names and everything else are carried through.

  --validate    validate the output; on an error, report it and write nothing
  --threads N   threads to use (default 1: each worker boots its own V8 and JIT-compiles
                the loops again; on ffmpeg-core with 2 cores, --threads 2 took ~0.25 s
                more CPU than 1 thread and was no faster)`;

export const convertCommand: Command = (args) => {
  const { positional, options } = parseArgs(args, ['-o', '--threads']);
  if (options.has('--help')) {
    console.log(HELP);
    return 0;
  }
  const input = positional[0] ?? '';
  return reportErrors(input, async () => {
    const out = options.get('-o');
    if (positional.length !== 1 || typeof out !== 'string') throw new UsageError(`expected one input and -o OUT\n${HELP}`);
    const start = performance.now();
    const threads = threadsOption(options) ?? 1;
    // The parallel pipeline is loaded only when asked for (start-up counts on every
    // convert); its workers boot while the input is read.
    const parallel = threads > 1 ? await import('../parallel/index.js') : null;
    parallel?.sharedPool(threads)?.warm();
    const bytes = readInput(input);
    // The output is written to its file as it is encoded, on libuv's threads.
    const sink = new Sink(bytes.length + 1024);
    const file = new DrainedOutput(out, sink);
    try {
      const result = parallel
        ? await parallel.convertParallel(bytes, { threads, out: sink })
        : writeModule(readModule(bytes), { reencode: true, out: sink });
      // The validator is loaded only when asked for: start-up time counts on every convert.
      const error = options.has('--validate') ? (await import('./validate.js')).outputError(input, result) : null;
      if (error) {
        file.abort();
        return fail(error);
      }
      await file.commit(result);
      note(`weft: ${input} → ${out}: ${bytes.length} → ${result.length} bytes in ${Math.round(performance.now() - start)} ms`);
      return 0;
    } catch (e) {
      file.abort();
      throw e;
    }
  });
};
