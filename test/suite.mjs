// Where the spec test suite lives; tests skip with a message when ../shared is absent.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SHARED = process.env.WEFT_SHARED ?? resolve(root, '..', 'shared');
export const SUITE_JSON = join(SHARED, 'testsuite-json');
export const SUITE_WAST = join(SHARED, 'testsuite');
export const haveSuite = existsSync(SUITE_JSON);
export const NO_SUITE = `spec test suite not found at ${SUITE_JSON} (set WEFT_SHARED)`;

/** Every script of testsuite-json as { name, dir, commands }. */
export function scripts() {
  return readdirSync(SUITE_JSON, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      const dir = join(SUITE_JSON, d.name);
      const json = JSON.parse(readFileSync(join(dir, `${d.name}.json`), 'utf8'));
      return { name: d.name, dir, commands: json.commands };
    });
}

/** Commands whose binary module the script expects to decode. */
export const DECODES = new Set(['module', 'assert_invalid', 'assert_unlinkable', 'assert_uninstantiable']);

/** Every binary a script expects to decode and `read` (readModule) does, as { m, name }. */
export function* suiteBinaries(read) {
  for (const s of scripts()) {
    for (const cmd of s.commands) {
      if (!DECODES.has(cmd.type) || !cmd.filename?.endsWith('.wasm')) continue;
      let m;
      try {
        m = read(readFileSync(join(s.dir, cmd.filename)));
      } catch {
        continue;
      }
      yield { m, name: `${s.name}/${cmd.filename}` };
    }
  }
}

/**
 * The Node 26 binary the execution tests run under, or why there is none (no suite, or
 * Node 26 could not be installed): `{ node, why }`, one of them null.
 */
export async function suiteNode26() {
  if (!haveSuite) return { node: null, why: NO_SUITE };
  const { tryNode26 } = await import('../scripts/node26.mjs');
  return tryNode26();
}
