// Runs every spec script twice in this process's V8 (meant for Node 26): once on the
// original binaries, once on weft's round-tripped ones (`convert`: every body decoded
// and re-encoded). Prints one JSON line: per script, the commands whose behaviour differs.
// Usage: node test/spec/roundtrip-exec.mjs [NAME...]
import { join } from 'node:path';
import { convert } from '../../dist/src/index.js';
import { scripts } from '../suite.mjs';
import { runScript } from './run-json.mjs';

const wanted = new Set(process.argv.slice(2));
const report = { scripts: 0, commands: 0, originalPassed: 0, roundTripPassed: 0, differences: [] };
for (const s of scripts()) {
  if (wanted.size && !wanted.has(s.name)) continue;
  const json = join(s.dir, `${s.name}.json`);
  const original = await runScript(json, { loadBinary: (_, bytes) => bytes });
  const converted = await runScript(json, { loadBinary: (_, bytes) => convert(bytes) });
  report.scripts++;
  for (let i = 0; i < original.commands.length; i++) {
    const a = original.commands[i];
    const b = converted.commands[i];
    report.commands++;
    if (a.ok) report.originalPassed++;
    if (b?.ok) report.roundTripPassed++;
    if (!b || a.ok !== b.ok || a.detail !== b.detail) {
      report.differences.push(`${s.name}:${a.line} ${a.type}: original "${a.detail}", round-tripped "${b?.detail}"`);
    }
  }
}
console.log(JSON.stringify(report));
