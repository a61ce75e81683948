// Benchmark entry point: `npm run bench -- <name> [options]`, e.g.
//   npm run bench -- convert --runs 5 --only esbuild
// Each sub-benchmark is a module in this directory exporting
// `main(args: string[]): Promise<number | void>` (the exit code, default 0).
const BENCHMARKS = {
  asyncify: { module: './asyncify.mjs', about: 'Asyncify: QuickJS output size and workload time; transform time and output size on sql-wasm, ffmpeg-core; weft vs wasm-opt' },
  convert: { module: './convert.mjs', about: 'read + decode + encode + write real-world modules; weft vs wasm-opt, binaryen.js, V8 validate' },
  runtime: { module: './runtime.mjs', about: 'weft/runtime: 100,000 suspend/resume round trips, Asyncify and JSPI backends vs npm asyncify-wasm' },
  text: { module: './text.mjs', about: 'text format: weft print and weft parse of ffmpeg-core vs WABT wasm2wat and wat2wasm' },
  structurize: { module: './structurize.mjs', about: 'CFG structurizer: code size, dispatches, nesting, time; weft vs binaryen.js Relooper' },
  validate: { module: './validate.mjs', about: 'validate real-world modules on one thread; weft (CLI, in-process cold/warm) vs V8 WebAssembly.validate, wasm-opt' },
};

function usage(out = console.log) {
  out('usage: npm run bench -- <benchmark> [options]   (node bench/run.mjs <benchmark> --help for its options)\n');
  out('benchmarks:');
  for (const [name, { about }] of Object.entries(BENCHMARKS)) out(`  ${name.padEnd(10)} ${about}`);
}

const [name, ...args] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h') {
  usage();
  process.exit(name ? 0 : 2);
}
const entry = BENCHMARKS[name];
if (!entry) {
  console.error(`unknown benchmark "${name}"\n`);
  usage(console.error);
  process.exit(2);
}
const { main } = await import(entry.module);
process.exitCode = (await main(args)) ?? 0;
