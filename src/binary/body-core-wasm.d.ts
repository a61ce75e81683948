/** body-core.wat, assembled by scripts/build-core.mjs into dist (after tsc, with weft's own text parser). */
declare const bytes: Uint8Array;
export default bytes;
