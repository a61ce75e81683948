// `npm run bench -- text [--runs N] [--only NAME[,NAME]] [--json FILE]`
//
// The text format both ways on real-world modules (default: ffmpeg-core), each tool a whole
// process of its own, run by run interleaved, all in the same run:
//   print   weft print IN.wasm -o OUT.wat        vs  wasm2wat --enable-all IN.wasm -o OUT.wat
//   parse   weft parse IN.wat -o OUT.wasm        vs  wat2wasm --enable-all IN.wat -o OUT.wasm
// Both parsers read the same text: the one weft printed (untimed, beforehand); and, as a second
// row, the one wasm2wat printed. Debian's WABT (apt-get install wabt) is the peer. After the
// runs, weft's parse of its own text is checked to be the input module again (moduleDiff, up
// to what text cannot say).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  benchOptions,
  MB, Notes, corpusNames, firstLine, fmt, measure, median, parseOptions, printTable, progress, ratio, secs, weftBin, withTempDir,
} from './lib.mjs';

const TARGET = 2; // the issue: at least 2x faster than wabt in each direction
const WASM2WAT = '/usr/bin/wasm2wat';
const WAT2WASM = '/usr/bin/wat2wasm';

function wabtVersion(bin) {
  if (!existsSync(bin)) return { unavailable: `${bin} missing (apt-get install wabt)` };
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? { version: `WABT ${r.stdout.trim()}` } : { unavailable: `${bin} --version failed` };
}

function tools() {
  const { bin, shown, unavailable } = weftBin();
  const w2w = wabtVersion(WASM2WAT);
  const wat = wabtVersion(WAT2WASM);
  // Its heap must hold the module; the text itself is streamed.
  const node = (cmd, input, output) => [process.execPath, ['--max-old-space-size=8192', bin, cmd, input, '-o', output]];
  return {
    print: [
      { key: 'weft-print', label: 'weft print', about: `node ${shown} print IN.wasm -o OUT.wat`, unavailable, command: (i, o) => node('print', i, o), writes: true },
      { key: 'wasm2wat', label: 'wasm2wat', about: `${WASM2WAT} --enable-all IN.wasm -o OUT.wat (${w2w.version ?? '?'})`, unavailable: w2w.unavailable, command: (i, o) => [WASM2WAT, ['--enable-all', i, '-o', o]], writes: true },
    ],
    parse: [
      { key: 'weft-parse', label: 'weft parse', about: `node ${shown} parse IN.wat -o OUT.wasm`, unavailable, command: (i, o) => node('parse', i, o), writes: true },
      { key: 'wat2wasm', label: 'wat2wasm', about: `${WAT2WASM} --enable-all IN.wat -o OUT.wasm (${wat.version ?? '?'})`, unavailable: wat.unavailable, command: (i, o) => [WAT2WASM, ['--enable-all', i, '-o', o]], writes: true },
    ],
  };
}

/** Runs each tool `runs` times on `input`, interleaved; { [key]: { seconds, rssMB, outSize } | { error } }. */
function measureTools(list, input, runs, tmp, what) {
  const out = {};
  for (const t of list) out[t.key] = t.unavailable ? { error: `n/a (${t.unavailable})` } : { samples: [] };
  for (let run = 0; run < runs; run++) {
    for (const t of list) {
      const res = out[t.key];
      if (res.error) continue;
      progress(`${what}: ${t.label} run ${run + 1}/${runs}`);
      const s = measure(t, input, join(tmp, `out.${t.key}`), tmp);
      if (s.error) res.error = s.error;
      else res.samples.push(s);
    }
  }
  progress();
  for (const res of Object.values(out)) {
    if (res.error) continue;
    res.seconds = median(res.samples.map((s) => s.wall));
    const rss = res.samples.map((s) => s.rss).filter((x) => x != null);
    res.rssMB = rss.length ? Math.max(...rss) : null;
    res.cpu = median(res.samples.map((s) => s.cpu ?? NaN));
    res.outSize = res.samples[0].outSize;
  }
  return out;
}

/** Writes a text for the parsers (untimed); the path, or { error }. */
function makeText(tool, input, output, tmp) {
  const [cmd, args] = tool.command(input, output);
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) return { error: `${tool.label} failed: ${firstLine(r.stderr)}` };
  return output;
}

/** Whether weft's parse of weft's text is the input module again, in a child (the models are large). */
function checkRoundTrip(input, text, tmp) {
  const { bin } = weftBin();
  const out = join(tmp, 'check.wasm');
  const r = spawnSync(process.execPath, ['--max-old-space-size=8192', bin, 'parse', text, '-o', out], { encoding: 'utf8' });
  if (r.status !== 0) return `weft parse failed: ${firstLine(r.stderr)}`;
  const script = `
    import { readFileSync } from 'node:fs';
    const { readModule } = await import(${JSON.stringify(new URL('../dist/src/index.js', import.meta.url).href)});
    const { moduleDiff } = await import(${JSON.stringify(new URL('../dist/src/ir/equal.js', import.meta.url).href)});
    const { normalize } = await import(${JSON.stringify(new URL('../test/text-normalize.mjs', import.meta.url).href)});
    const [a, b] = process.argv.slice(1).map((f) => normalize(readModule(readFileSync(f)), { wabt: false }));
    console.log(moduleDiff(a, b) ?? 'equal');`;
  const c = spawnSync(process.execPath, ['--max-old-space-size=8192', '--input-type=module', '-e', script, input, out], { encoding: 'utf8' });
  return c.status === 0 ? c.stdout.trim() : `check failed: ${firstLine(c.stderr)}`;
}

const OPTIONS = { '--runs': ['runs', 'count'], '--only': ['only', 'list'], '--json': ['json', 'string'] };
const HELP = `usage: npm run bench -- text [options]
  --runs N            runs per tool (default 3; the median is reported)
  --only NAME[,NAME]  inputs (default ffmpeg-core): sql-wasm, esbuild, swc, ffmpeg-core
  --json FILE         also write the raw measurements as JSON
env: WEFT_BIN (weft CLI script, default dist/src/cli/main.js), WEFT_CACHE (corpus cache)`;

export async function main(args) {
  const opts = benchOptions(args, (a) => parseOptions(a, OPTIONS, { runs: 3, only: [], json: null }), HELP);
  if (typeof opts === 'number') return opts;
  const corpus = await corpusNames(opts.only.length ? opts.only : ['ffmpeg-core']);
  if (corpus.error) {
    console.error(corpus.error);
    return 2;
  }
  const { corpusFile } = await import('../scripts/corpus.mjs');
  const t = tools();
  const results = await withTempDir(async (tmp) => {
    const out = [];
    for (const name of corpus.names) {
      let input;
      try {
        input = corpusFile(name);
      } catch (err) {
        out.push({ name, error: `corpus unavailable: ${firstLine(err.message)}` });
        continue;
      }
      readFileSync(input); // warm the page cache
      const size = statSync(input).size;
      const print = measureTools(t.print, input, opts.runs, tmp, `${name} print`);
      const texts = [];
      for (const [by, tool] of [['weft', t.print[0]], ['wasm2wat', t.print[1]]]) {
        if (tool.unavailable) continue;
        const text = makeText(tool, input, join(tmp, `${name}.${by}.wat`), tmp);
        if (typeof text !== 'string') {
          texts.push({ by, error: text.error });
          continue;
        }
        const parse = measureTools(t.parse, text, opts.runs, tmp, `${name} parse (${by} text)`);
        texts.push({ by, size: statSync(text).size, parse, roundTrip: by === 'weft' ? checkRoundTrip(input, text, tmp) : null });
      }
      out.push({ name, size, print, texts });
    }
    return out;
  });
  report(results, t, opts);
  if (opts.json) {
    writeFileSync(opts.json, JSON.stringify({ date: new Date().toISOString(), node: process.version, opts, results }, null, 2));
    console.log(`\nraw measurements written to ${opts.json}`);
  }
  return 0;
}

function report(results, t, opts) {
  const notes = new Notes();
  const cell = (res, mb) => (res.error ? [`failed ${notes.ref(res.error)}`, '', '', ''] : [secs(res.seconds), fmt(mb / res.seconds, 1), secs(res.cpu), fmt(res.rssMB, 0)]);
  const ratios = (wabt, weft) => [ratio(wabt.seconds, weft.seconds), ratio(wabt.cpu, weft.cpu)];
  const blank = (...lead) => [...lead, '', '', '', '', '', '', '', '', '', '', ''].slice(0, 13);
  const rows = [];
  const targets = [];
  for (const r of results) {
    if (r.error) {
      rows.push(blank(r.name, '', notes.ref(r.error)));
      continue;
    }
    const [weft, wabt] = [r.print['weft-print'], r.print.wasm2wat];
    rows.push([r.name, 'print', fmt(r.size / MB, 1), ...cell(weft, r.size / MB), ...cell(wabt, r.size / MB), ...ratios(wabt, weft)]);
    targets.push([`${r.name} print`, wabt, weft]);
    for (const x of r.texts) {
      if (x.error) {
        rows.push(blank(r.name, `parse (${x.by} text)`, notes.ref(x.error)));
        continue;
      }
      const [wp, wb] = [x.parse['weft-parse'], x.parse.wat2wasm];
      rows.push([r.name, `parse (${x.by} text)`, fmt(x.size / MB, 1), ...cell(wp, x.size / MB), ...cell(wb, x.size / MB), ...ratios(wb, wp)]);
      targets.push([`${r.name} parse (${x.by} text)`, wb, wp]);
    }
  }
  printTable(
    ['input', 'direction', 'in MB'],
    [{ label: 'weft', heads: ['s', 'MB/s', 'cpu s', 'RSS MB'] }, { label: 'WABT', heads: ['s', 'MB/s', 'cpu s', 'RSS MB'] }, { label: 'WABT/weft', heads: ['wall', 'cpu'] }],
    rows,
  );
  console.log('');
  console.log(`MB = 10^6 bytes of input (the .wasm for print, the .wat for parse). Times: median over ${opts.runs} run(s), wall time of`);
  console.log('the whole process (start-up and file I/O included), tools interleaved run by run; cpu: user+sys of the process');
  console.log('(median); RSS: peak of the process. On a machine shared with other work, wall times carry the waits for a core.');
  for (const tool of [...t.print, ...t.parse]) console.log(`${tool.label.padEnd(11)} ${tool.about}`);
  for (const r of results) {
    for (const x of r.texts ?? []) if (x.roundTrip) console.log(`round trip: weft parse of weft's text of ${r.name} vs the input module: ${x.roundTrip}`);
  }
  console.log('');
  // Wall time is the measure; on a loaded machine (shared cores) CPU time is the steadier one.
  for (const [field, what] of [['seconds', 'wall time'], ['cpu', 'CPU time']]) {
    const all = targets.filter(([, a, b]) => a[field] && b[field]);
    const met = targets.length && all.length === targets.length && all.every(([, wabt, weft]) => wabt[field] / weft[field] >= TARGET);
    console.log(`target: weft at least ${TARGET}x faster than WABT in each direction, by ${what} — ${!targets.length ? 'not measured' : met ? 'MET' : 'NOT MET'}: ` +
      targets.map(([w, wabt, weft]) => `${w} ${ratio(wabt[field], weft[field])}`).join(', '));
  }
  notes.print();
}
