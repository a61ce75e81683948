// Runs every spec script twice in this process's V8 (meant for Node 26): once on the
// original binaries, once with every valid module relooped (src/passes/reloop.ts: each
// function's control-flow graph recovered and structurized again). Prints one JSON line:
// per script, the commands whose behaviour differs, the relooped outputs weft's validator
// rejects, and how many functions were rebuilt or left as they were (by reason).
// Usage: node test/spec/reloop-exec.mjs [NAME...]
import { join } from 'node:path';
import { readModule, reloopModule, validate, writeModule } from '../../dist/src/index.js';
import { scripts } from '../suite.mjs';
import { runScript } from './run-json.mjs';

const wanted = new Set(process.argv.slice(2));
const report = { scripts: 0, commands: 0, originalPassed: 0, relooped: 0, functions: 0, skipped: {}, invalid: [], differences: [] };

function reloop(name, bytes) {
  let m;
  try {
    m = readModule(bytes);
    if (validate(m, { firstOnly: true }).length) return bytes;
  } catch {
    return bytes; // malformed or invalid: the script expects V8 to reject it, as it is
  }
  const stats = reloopModule(m);
  report.functions += stats.relooped;
  for (const [why, n] of stats.skipped) report.skipped[why] = (report.skipped[why] ?? 0) + n;
  const out = writeModule(m);
  const errors = validate(readModule(out), { firstOnly: true });
  if (errors.length) report.invalid.push(`${name}: func ${errors[0].func}: ${errors[0].message}`);
  return out;
}

for (const s of scripts()) {
  if (wanted.size && !wanted.has(s.name)) continue;
  const json = join(s.dir, `${s.name}.json`);
  const original = await runScript(json, { loadBinary: (_, bytes) => bytes });
  const relooped = await runScript(json, { loadBinary: (file, bytes) => reloop(`${s.name}/${file}`, bytes) });
  report.scripts++;
  for (let i = 0; i < original.commands.length; i++) {
    const a = original.commands[i];
    const b = relooped.commands[i];
    report.commands++;
    if (a.ok) report.originalPassed++;
    if (b?.ok) report.relooped++;
    if (!b || a.ok !== b.ok || a.detail !== b.detail) {
      report.differences.push(`${s.name}:${a.line} ${a.type}: original "${a.detail}", relooped "${b?.detail}"`);
    }
  }
}
console.log(JSON.stringify(report));
