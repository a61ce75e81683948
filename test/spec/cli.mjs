// Run wast2json spec scripts on their original binaries and print pass/fail counts.
// Usage: node test/spec/cli.mjs [-v] [NAME...]   (no names = every script)
// -v lists each failing command. WEFT_TESTSUITE_JSON overrides the scripts folder.

import { readdirSync } from 'node:fs';
import path from 'node:path';
import { SUITE_JSON } from '../suite.mjs';
import { runScript } from './run-json.mjs';

const root = process.env.WEFT_TESTSUITE_JSON ?? SUITE_JSON;
const argv = process.argv.slice(2);
const verbose = argv.includes('-v');
const requested = argv.filter((a) => a !== '-v');
const names = requested.length
  ? requested
  : readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

const total = { passed: 0, failed: 0, skipped: 0 };
const start = performance.now();
for (const name of names) {
  const { commands, counts } = await runScript(path.join(root, name, `${name}.json`), { loadBinary: (_, bytes) => bytes });
  for (const key of Object.keys(total)) total[key] += counts[key];
  console.log(`${name}: ${counts.passed} passed, ${counts.failed} failed`);
  if (verbose) {
    for (const c of commands.filter((o) => !o.ok)) console.log(`  line ${c.line} ${c.type}: ${c.detail}`);
  }
}
const seconds = ((performance.now() - start) / 1000).toFixed(1);
console.log(`total: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped (${names.length} scripts, ${seconds}s)`);
process.exitCode = total.failed ? 1 : 0;
