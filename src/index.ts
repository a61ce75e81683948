/** weft: read, transform and write WebAssembly. The typed API. */
export { WasmDecodeError } from './binary/cursor.js';
export { readModule, decodeFunc, type ReadOptions } from './binary/decode.js';
export { writeModule, type WriteOptions } from './binary/encode.js';
export { decodeBodyInto } from './binary/decode-body.js';
export { encodeBody } from './binary/encode-body.js';
export { Body, blockTypeAt, type BlockType } from './ir/body.js';
export { OPS, OP_BY_NAME, type OpInfo } from './ir/opcodes.js';
export * from './ir/module.js';
export * from './ir/types.js';
export { convert } from './convert.js';
export * from './validate/index.js';
export * from './cfg/index.js';
export { reloopModule, Relooper, type ReloopOptions, type ReloopStats } from './passes/reloop.js';
export { parseModule, TextParseError } from './text/parser.js';
export { printModule, printModuleTo, type PrintOptions } from './text/printer.js';
export { parseScript, type Command as ScriptCommand, type ScriptModule } from './text/script.js';
export { asyncify, AsyncifyError, type AsyncifyOptions, type AsyncifyReport } from './passes/asyncify/index.js';
