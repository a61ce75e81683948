// Hand-assembled binary modules, for tests whose input is malformed or too deep to write
// as text.

/** Unsigned LEB128 bytes of n (< 2^32). */
export const uleb = (n) => {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};

/** A section: id, byte size, bytes. */
export const section = (id, bytes) => [id, ...uleb(bytes.length), ...bytes];

/** A module with one function `() -> ()` whose body, locals vector included, is `body`. */
export function oneFunctionModule(body) {
  const head = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...section(1, [1, 0x60, 0, 0]), ...section(3, [1, 0])];
  const sizes = [1, ...uleb(body.length)];
  const code = [10, ...uleb(sizes.length + body.length), ...sizes];
  const out = new Uint8Array(head.length + code.length + body.length);
  out.set(head);
  out.set(code, head.length);
  out.set(body, head.length + code.length);
  return out;
}
