/** Growable typed arrays, for graphs that are built (and rewritten) one node at a time. */

/** `a`, or a copy at least `min` long (doubling), the new tail filled with `fill`. */
export function grown(a: Int32Array<ArrayBuffer>, min: number, fill = 0): Int32Array<ArrayBuffer> {
  if (min <= a.length) return a;
  const b = new Int32Array(Math.max(min, a.length * 2, 16));
  b.set(a);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}
