// The text modules of the spec suite's .wast scripts (for the tests that assemble them
// with binaryen), and the binaryen features those tests assemble with.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Index after the whitespace and comments at i. */
function skipSpace(s, i) {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
    else if (c === 0x3b && s.charCodeAt(i + 1) === 0x3b) i = lineEnd(s, i);
    else if (c === 0x28 && s.charCodeAt(i + 1) === 0x3b) i = blockCommentEnd(s, i);
    else return i;
  }
}
function lineEnd(s, i) {
  const nl = s.indexOf('\n', i);
  return nl < 0 ? s.length : nl + 1;
}
/** Index after the (possibly nested) `(; ... ;)` comment at i. */
function blockCommentEnd(s, i) {
  let depth = 0;
  while (i < s.length) {
    if (s.startsWith('(;', i)) {
      depth++;
      i += 2;
    } else if (s.startsWith(';)', i)) {
      i += 2;
      if (--depth === 0) return i;
    } else i++;
  }
  throw new Error('unterminated block comment');
}
/** Index after the string literal at i. */
function stringEnd(s, i) {
  for (i++; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i + 1;
  }
  throw new Error('unterminated string');
}
/** Index after the S-expression that opens at i. */
function formEnd(s, i) {
  let depth = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 0x22) i = stringEnd(s, i);
    else if (c === 0x3b && s.charCodeAt(i + 1) === 0x3b) i = lineEnd(s, i);
    else if (c === 0x28 && s.charCodeAt(i + 1) === 0x3b) i = blockCommentEnd(s, i);
    else {
      if (c === 0x28) depth++;
      else if (c === 0x29 && --depth === 0) return i + 1;
      i++;
    }
  }
  throw new Error('unbalanced parentheses');
}
/** The atom at i (a string, a `$"..."` id or a plain token) and the index after it. */
function atom(s, i) {
  if (s[i] === '"') {
    const end = stringEnd(s, i);
    return [s.slice(i, end), end];
  }
  if (s[i] === '$' && s[i + 1] === '"') {
    const end = stringEnd(s, i + 1);
    return [s.slice(i, end), end];
  }
  let j = i;
  while (j < s.length && !' \t\r\n();"'.includes(s[j])) j++;
  return [s.slice(i, j), j];
}
/** The keyword that heads the form opening at i. */
const head = (s, i) => atom(s, skipSpace(s, i + 1))[0];

/**
 * The text of the `(module ...)` form at i with its `$name` and `definition` keyword
 * removed, or null for a `binary`/`quote` module or a `module instance` command.
 */
function moduleText(s, i) {
  const end = formEnd(s, i);
  let [tok, j] = atom(s, skipSpace(s, i + 1)); // "module"
  let at = skipSpace(s, j);
  [tok, j] = atom(s, at);
  if (tok === 'instance') return null;
  if (tok === 'definition') [tok, j] = atom(s, (at = skipSpace(s, j)));
  if (tok.startsWith('$')) [tok, j] = atom(s, (at = skipSpace(s, j)));
  if (tok === 'binary' || tok === 'quote') return null;
  return `(module ${s.slice(at, end)}`;
}

/** Commands whose module the script expects to be valid (instantiable or not). */
const VALID_MODULE_WRAPPERS = new Set(['assert_trap', 'assert_unlinkable', 'assert_uninstantiable']);

/** Text modules a script expects to be valid: bare `(module ...)` commands and wrapped ones. */
export function textModules(s) {
  const out = [];
  const lines = [];
  for (let nl = -1; (nl = s.indexOf('\n', nl + 1)) >= 0; ) lines.push(nl);
  const lineAt = (pos) => {
    let lo = 0;
    let hi = lines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (lines[mid] < pos) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
  for (let i = skipSpace(s, 0); i < s.length; i = skipSpace(s, formEnd(s, i))) {
    if (s[i] !== '(') throw new Error(`line ${lineAt(i)}: expected a command`);
    const kw = head(s, i);
    let at = -1;
    if (kw === 'module') at = i;
    else if (VALID_MODULE_WRAPPERS.has(kw)) {
      const j = skipSpace(s, atom(s, skipSpace(s, i + 1))[1]);
      if (s[j] === '(' && head(s, j) === 'module') at = j;
    }
    if (at < 0) continue;
    const text = moduleText(s, at);
    if (text !== null) out.push({ line: lineAt(at), text });
  }
  return out;
}

export function wastFiles(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) wastFiles(p, out);
    else if (e.name.endsWith('.wast')) out.push(p);
  }
  return out;
}

/**
 * Every feature but two that change how binaryen encodes ordinary modules into
 * non-WebAssembly-3.0 binaries: compact imports (import kinds 0x7e/0x7f for grouped
 * imports) and custom descriptors (exact heap types, e.g. for every ref.func). The latter
 * has no name in binaryen.js's Features; it is bit 21. Modules of the custom-descriptors
 * proposal then fail to parse, and are counted as such.
 */
const CUSTOM_DESCRIPTORS = 1 << 21;
export const binaryenFeatures = (binaryen) => binaryen.Features.All & ~binaryen.Features.CompactImports & ~CUSTOM_DESCRIPTORS;

/** The binary binaryen assembles from a text module, or the reason it gives for not producing one. */
export function assembleText(binaryen, text) {
  let m = null;
  try {
    m = binaryen.parseText(text, binaryenFeatures(binaryen));
    m.setFeatures(binaryenFeatures(binaryen));
    return { bytes: m.emitBinary() };
  } catch (e) {
    return { reason: String(e.message).split('\n')[0].replace(/^\d+:\d+: /, '').replace(/^error: /, '') };
  } finally {
    m?.dispose();
  }
}
