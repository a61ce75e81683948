import { readModule } from './binary/decode.js';
import { writeModule } from './binary/encode.js';

/** Reads a module, decodes every function body into the IR and encodes it all again. */
export function convert(bytes: Uint8Array): Uint8Array {
  return writeModule(readModule(bytes), { reencode: true });
}
