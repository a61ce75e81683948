// Control-flow graphs for the structurizer's tests and benchmark, in the JSON form of
// `weft structurize`, with decision tapes for check(), a direct interpreter (the oracle)
// and a runner for the rendered module. In the manner of Binaryen's
// scripts/fuzz_relooper.py: random graphs of 2-250 blocks at random density, switches,
// self-loops, irreducible cycles and unreachable blocks, compared by trace.

/** mulberry32: a small seeded PRNG; `int(n)` is uniform in [0, n). */
export function rng(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (n) => Math.floor(next() * n);
  return next;
}

/** Splits `targets` into branches over the values [0, range): `on` sets, maybe a default. */
function switchBranches(r, targets, range, withDefault, sparse) {
  const next = targets.map((to) => ({ to, on: [] }));
  const k = withDefault ? next.length - 1 : next.length;
  for (let v = 0; v < range; v++) {
    const b = r.int(k + 1);
    if (b < k) next[b].on.push(sparse ? v * 1000 - 7000 : v);
  }
  if (withDefault) delete next[k].on;
  return next;
}

/**
 * A random graph: `blocks` blocks (default 2-250), each with successors drawn at a
 * random density; blocks with several successors (or one, sometimes) switch on check().
 * The entry is re-entered now and then; some blocks exit; some graphs use sparse values.
 */
export function randomCfg(seed, size) {
  const r = rng(seed);
  const num = size ?? 2 + r.int(249);
  const density = r() * r();
  const maxOut = Math.max(1, Math.round(density * num * 2));
  const sparse = r() < 0.1;
  const blocks = [];
  for (let id = 0; id < num; id++) {
    if (id > 0 && r() < 0.08) {
      blocks.push({ id, next: [] });
      continue;
    }
    const targets = [];
    const count = 1 + r.int(Math.min(maxOut, 12));
    for (let i = 0; i < count; i++) {
      const to = r() < 0.05 ? 0 : 1 + r.int(num - 1);
      if (!targets.includes(to)) targets.push(to);
    }
    if (targets.length === 1 && r() < 0.6) {
      blocks.push({ id, next: [{ to: targets[0] }] });
      continue;
    }
    const withDefault = r() < 0.85;
    const range = targets.length + r.int(3);
    blocks.push({ id, next: switchBranches(r, targets, range, withDefault, sparse) });
  }
  return { entry: 0, blocks };
}

/**
 * A tape of decisions for check(): mostly values the graph's switches list, now and then
 * one in [-1, 3] that may match nothing (taking the default, or trapping).
 */
export function tapeFor(json, seed, length = 3 * json.blocks.length) {
  const r = rng(seed ^ 0x9e3779b9);
  const values = [...new Set(json.blocks.flatMap((b) => (b.next ?? []).flatMap((n) => n.on ?? [])))];
  return Array.from({ length }, () => (values.length && r() < 0.9 ? values[r.int(values.length)] : r.int(5) - 1));
}

// ---------------------------------------------------------------------------
// Families of adversarial graphs.

/** K_n: every block switches to every other block (values 0..n-2); no default. */
export function clique(n) {
  const blocks = [];
  for (let id = 0; id < n; id++) {
    const next = [];
    for (let j = 0; j < n; j++) if (j !== id) next.push({ to: j, on: [next.length] });
    blocks.push({ id, next });
  }
  return { entry: 0, blocks };
}

/**
 * Duff's device: the entry switches on count % 8 into the middle of an unrolled loop
 * whose body runs case 0, 7, 6, ..., 1, then the test loops back to case 0 or exits.
 */
export function duff() {
  const caseBlock = (k) => 1 + k;
  const test = 9, exit = 10;
  const blocks = [{ id: 0, next: Array.from({ length: 8 }, (_, k) => ({ to: caseBlock(k), on: [k] })) }];
  const order = [0, 7, 6, 5, 4, 3, 2, 1];
  order.forEach((k, i) => blocks.push({ id: caseBlock(k), next: [{ to: i + 1 < 8 ? caseBlock(order[i + 1]) : test }] }));
  blocks.push({ id: test, next: [{ to: caseBlock(0), on: [1] }, { to: exit }] });
  blocks.push({ id: exit, next: [] });
  return { entry: 0, blocks };
}

/** A bytecode interpreter: one dispatch block with `ops` targets that all jump back. */
export function interpreterLoop(ops = 200) {
  const dispatch = 1, halt = ops + 2;
  const blocks = [{ id: 0, next: [{ to: dispatch }] }];
  blocks.push({ id: dispatch, next: [...Array.from({ length: ops }, (_, k) => ({ to: 2 + k, on: [k] })), { to: halt }] });
  for (let k = 0; k < ops; k++) blocks.push({ id: 2 + k, next: [{ to: dispatch }] });
  blocks.push({ id: halt, next: [] });
  return { entry: 0, blocks };
}

/**
 * A lexer's state machine with direct state-to-state transitions, as table-driven DFAs
 * generate them: after a token, the next character leads straight into the next token's
 * state, so the token states form one loop with many entries. Character classes:
 * 0 letter, 1 digit, 2 space, 3 quote, 4 slash, 5 star, 6 newline, 7 dot, 8 backslash,
 * 9 other, 10 end of input.
 */
export function lexer() {
  const S = { start: 0, ident: 1, number: 2, fraction: 3, space: 4, string: 5, escape: 6, slash: 7,
    lineComment: 8, blockComment: 9, blockStar: 10, punct: 11, done: 12, error: 13 };
  // The state a token state moves to on a character that starts a new token.
  const begin = { 0: S.ident, 1: S.number, 2: S.space, 3: S.string, 4: S.slash, 5: S.punct, 6: S.space, 7: S.punct, 8: S.error, 9: S.punct, 10: S.done };
  const table = {
    [S.start]: { ...begin },
    [S.ident]: { ...begin, 0: S.ident, 1: S.ident },
    [S.number]: { ...begin, 1: S.number, 7: S.fraction, 0: S.error },
    [S.fraction]: { ...begin, 1: S.fraction, 7: S.error, 0: S.error },
    [S.space]: { ...begin, 2: S.space, 6: S.space },
    [S.string]: { 0: S.string, 1: S.string, 2: S.string, 3: S.start, 4: S.string, 5: S.string, 6: S.error, 7: S.string, 8: S.escape, 9: S.string, 10: S.error },
    [S.escape]: { 0: S.string, 1: S.string, 2: S.string, 3: S.string, 4: S.string, 5: S.string, 7: S.string, 8: S.string, 9: S.string, 10: S.error },
    [S.slash]: { ...begin, 4: S.lineComment, 5: S.blockComment },
    [S.lineComment]: { 0: S.lineComment, 1: S.lineComment, 2: S.lineComment, 3: S.lineComment, 4: S.lineComment, 5: S.lineComment, 6: S.start, 7: S.lineComment, 8: S.lineComment, 9: S.lineComment, 10: S.done },
    [S.blockComment]: { 0: S.blockComment, 1: S.blockComment, 2: S.blockComment, 3: S.blockComment, 4: S.blockComment, 5: S.blockStar, 6: S.blockComment, 7: S.blockComment, 8: S.blockComment, 9: S.blockComment, 10: S.error },
    [S.blockStar]: { 0: S.blockComment, 1: S.blockComment, 2: S.blockComment, 3: S.blockComment, 4: S.start, 5: S.blockStar, 6: S.blockComment, 7: S.blockComment, 8: S.blockComment, 9: S.blockComment, 10: S.error },
    [S.punct]: { ...begin },
  };
  const blocks = [];
  for (let id = 0; id < 12; id++) {
    const byTarget = new Map();
    for (const [cls, to] of Object.entries(table[id])) {
      if (!byTarget.has(to)) byTarget.set(to, []);
      byTarget.get(to).push(Number(cls));
    }
    blocks.push({ id, next: [...byTarget].map(([to, on]) => ({ to, on })) });
  }
  blocks.push({ id: S.done, next: [] }, { id: S.error, next: [] });
  return { entry: S.start, blocks };
}

/**
 * A graph shaped like a compiled program of `num` blocks: nested sequences, if/else,
 * while loops, switches, break and continue, and now and then a goto to a nearby block
 * (which may enter a loop from the side: irreducible). Built by expanding regions
 * (from → to, with a block budget) on an explicit work list.
 */
export function programCfg(num, seed = 1) {
  const r = rng(seed);
  const next = [];
  const block = () => next.push(null) - 1;
  const entry = block(), exit = block();
  next[exit] = [];
  const work = [{ from: entry, to: exit, size: num - 2, head: -1, out: -1 }];
  while (work.length) {
    const { from, to, size, head, out } = work.pop();
    if (size <= 0) {
      next[from] = [{ to }];
      continue;
    }
    const roll = r();
    if (size < 4 || roll < 0.4) {
      const m = block();
      if (head >= 0 && r() < 0.08) next[from] = [{ to: r() < 0.5 ? head : out, on: [1] }, { to: m }];
      else if (r() < 0.01) next[from] = [{ to: Math.max(2, Math.min(num - 1, from + r.int(61) - 30)), on: [2] }, { to: m }];
      else next[from] = [{ to: m }];
      work.push({ from: m, to, size: size - 1, head, out });
    } else if (roll < 0.65) {
      const a = block(), b = block();
      const sa = r.int(size - 2);
      next[from] = [{ to: a, on: [0] }, { to: b }];
      work.push({ from: a, to, size: sa, head, out }, { from: b, to, size: size - 2 - sa, head, out });
    } else if (roll < 0.88) {
      const h = block(), body = block(), after = block();
      const sb = r.int(Math.min(size - 3, 200));
      next[from] = [{ to: h }];
      next[h] = [{ to: body, on: [0] }, { to: after }];
      work.push({ from: after, to, size: size - 3 - sb, head, out }, { from: body, to: h, size: sb, head: h, out: after });
    } else {
      const k = 2 + r.int(Math.min(7, size - 2));
      const cases = Array.from({ length: k }, block);
      next[from] = cases.map((c, i) => (i === k - 1 ? { to: c } : { to: c, on: [i] }));
      let left = size - k;
      cases.forEach((c, i) => {
        const sc = i === k - 1 ? left : r.int(left + 1);
        left -= sc;
        work.push({ from: c, to, size: sc, head, out });
      });
    }
  }
  return { entry, blocks: next.map((n, id) => ({ id, next: n })) };
}

// ---------------------------------------------------------------------------
// Oracle and runner.

/** Runs the graph directly: the trace of block ids and how it ended. */
export function interpret(json, tape, budget) {
  const byId = new Map(json.blocks.map((b) => [b.id, b]));
  const trace = [];
  let pos = 0;
  let b = byId.get(json.entry);
  for (;;) {
    if (trace.length >= budget) return { trace, end: 'halt' };
    trace.push(b.id);
    const next = b.next ?? [];
    if (next.length === 0) return { trace, end: 'return' };
    if (next.length === 1 && next[0].on === undefined) {
      b = byId.get(next[0].to);
      continue;
    }
    if (pos >= tape.length) return { trace, end: 'halt' };
    const v = tape[pos++];
    const br = next.find((n) => n.on?.includes(v)) ?? next.find((n) => n.on === undefined);
    if (!br) return { trace, end: 'trap' };
    b = byId.get(br.to);
  }
}

const HALT = Symbol('halt');

/** Runs a rendered module's `run`: the same trace, with check() feeding the tape. */
export function runModule(module, tape, budget, extraImports = {}) {
  const trace = [];
  let pos = 0;
  const env = {
    print(id) {
      if (trace.length >= budget) throw HALT;
      trace.push(id);
    },
    check() {
      if (pos >= tape.length) throw HALT;
      return tape[pos++];
    },
    ...extraImports,
  };
  const instance = new WebAssembly.Instance(module, { env });
  try {
    instance.exports.run();
    return { trace, end: 'return' };
  } catch (e) {
    if (e === HALT) return { trace, end: 'halt' };
    if (e instanceof WebAssembly.RuntimeError && /unreachable/.test(e.message)) return { trace, end: 'trap' };
    throw e;
  }
}
