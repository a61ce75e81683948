// Seeded randomness and body mutations for the differential tests of the wasm cores.

/** A seeded generator of numbers in [0, 1). */
export function random(seed) {
  return () => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
}

// Opcodes mutations favour: control, locals, constants, loads, stores, prefixes, type codes.
const OPCODES = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x1a, 0x1b, 0x1c,
  0x20, 0x21, 0x22, 0x23, 0x24, 0x28, 0x36, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x50, 0x6a, 0x7c, 0x7f, 0xa7, 0xfc, 0xfd, 0x7b, 0x7e];

/** Replaces 1-3 bytes of `entry` (a body's code entry) in place: random ones, or opcodes. */
export function mutate(entry, rand) {
  const n = 1 + Math.floor(rand() * 3);
  for (let j = 0; j < n; j++) {
    const at = Math.floor(rand() * entry.length);
    entry[at] = rand() < 0.5 ? Math.floor(rand() * 256) : OPCODES[Math.floor(rand() * OPCODES.length)];
  }
}

/** Runs `check` on function i of `m` with its body mutated, then restores the body. */
export function withMutant(m, i, rand, check) {
  const raw = m.funcs[i].raw;
  const saved = Uint8Array.from(raw);
  mutate(raw, rand);
  try {
    check();
  } finally {
    raw.set(saved);
  }
}
