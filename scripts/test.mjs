// `npm test`: every test/*.test.mjs under node:test (after `tsc`, run by the npm script).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const files = readdirSync('test').filter((f) => f.endsWith('.test.mjs')).sort().map((f) => join('test', f));
const only = process.argv.slice(2);
const run = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...(only.length ? only : files)], { stdio: 'inherit' });
process.exit(run.status ?? 1);
