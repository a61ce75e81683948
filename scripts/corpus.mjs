// Real-world modules from npm, fetched with `npm pack` into a cache outside git.
// Usage: node scripts/corpus.mjs [name...]   (no names: all)
// Cache: $WEFT_CACHE or ~/.cache/weft
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CORPUS = {
  'sql-wasm': { pkg: 'sql.js@1.16.0', file: 'dist/sql-wasm.wasm' },
  esbuild: { pkg: 'esbuild-wasm@0.28.2', file: 'esbuild.wasm' },
  swc: { pkg: '@swc/wasm@1.16.18', file: 'wasm_bg.wasm' },
  'ffmpeg-core': { pkg: '@ffmpeg/core@0.12.10', file: 'dist/umd/ffmpeg-core.wasm' },
  quickjs: { pkg: '@jitl/quickjs-wasmfile-release-sync@0.32.0', file: 'dist/emscripten-module.wasm' },
  // CRuby 3.3 for WASI, asyncified by Binaryen already (16 MB; the package is 33 MB).
  ruby: { pkg: '@ruby/3.3-wasm-wasi@2.10.1', file: 'dist/ruby.wasm' },
};

export const cacheDir = () => process.env.WEFT_CACHE || join(homedir(), '.cache', 'weft');

/** Directory of the unpacked package, fetching it if needed; throws with the reason if it can't. */
export function packageDir(name) {
  const entry = CORPUS[name];
  if (!entry) throw new Error(`unknown corpus entry ${name}`);
  const dir = join(cacheDir(), entry.pkg.replace(/[@/]/g, '_'));
  if (existsSync(join(dir, 'package', entry.file))) return join(dir, 'package');
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, 'tmp');
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  execFileSync('npm', ['pack', entry.pkg, '--silent', '--pack-destination', tmp], { stdio: ['ignore', 'ignore', 'pipe'] });
  const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error(`npm pack ${entry.pkg} produced no tarball`);
  execFileSync('tar', ['xzf', join(tmp, tgz), '-C', tmp]);
  rmSync(join(dir, 'package'), { recursive: true, force: true });
  renameSync(join(tmp, 'package'), join(dir, 'package'));
  rmSync(tmp, { recursive: true, force: true });
  return join(dir, 'package');
}

/** Path of the corpus module `name`, or throws with the reason it can't be had. */
export function corpusFile(name) {
  return join(packageDir(name), CORPUS[name].file);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(CORPUS);
  for (const n of names) console.log(`${n}: ${corpusFile(n)}`);
}
