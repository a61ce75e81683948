// Under Node 26: weft's validator verdict vs WebAssembly.validate on a sample of suite
// modules (valid and assert_invalid) and seeded byte mutations of valid ones.
// Prints one JSON line. Disagreements that are V8's, not weft's, are marked `known`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readModule } from '../../dist/src/index.js';
import { validate } from '../../dist/src/validate/module.js';
import { scripts } from '../suite.mjs';

// Scripts whose features this V8 does not implement as the spec tests do.
const V8_GAPS = new Map([
  ['proposals_custom-descriptors_binary', 'custom descriptors are not in V8 14.6'],
  ['proposals_custom-page-sizes_binary', 'custom page sizes are not in V8 14.6'],
]);

function weft(bytes) {
  try {
    return validate(readModule(bytes), { firstOnly: true }).length === 0;
  } catch (e) {
    if (e.name === 'WasmDecodeError') return false;
    throw e;
  }
}

let seed = 12345;
const rand = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
};

const report = { modules: 0, agree: 0, validByBoth: 0, invalidByBoth: 0, disagreements: [] };
const check = (bytes, where, script) => {
  report.modules++;
  const w = weft(bytes);
  const v = WebAssembly.validate(bytes);
  if (w === v) {
    report.agree++;
    if (w) report.validByBoth++;
    else report.invalidByBoth++;
  } else {
    report.disagreements.push({ where, weft: w, v8: v, known: V8_GAPS.get(script) ?? null });
  }
};
for (const s of scripts()) {
  let i = 0;
  for (const cmd of s.commands) {
    if (!cmd.filename?.endsWith('.wasm') || !['module', 'assert_invalid'].includes(cmd.type)) continue;
    // Every assert_invalid, and every third valid module (plus mutants of it).
    if (cmd.type === 'module' && i++ % 3) continue;
    const bytes = readFileSync(join(s.dir, cmd.filename));
    check(bytes, `${s.name}/${cmd.filename}`, s.name);
    if (cmd.type !== 'module' || bytes.length <= 8) continue;
    for (let m = 0; m < 2; m++) {
      const mutant = Uint8Array.from(bytes);
      const at = 8 + Math.floor(rand() * (mutant.length - 8));
      mutant[at] = Math.floor(rand() * 256);
      check(mutant, `${s.name}/${cmd.filename} with byte 0x${at.toString(16)} = 0x${mutant[at].toString(16)}`, s.name);
    }
  }
}
console.log(JSON.stringify(report));
