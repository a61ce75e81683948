// A host for asyncified modules that speaks Binaryen's Asyncify protocol directly (the
// way emscripten's and binaryen's own drivers do), and the same host run synchronously
// on the untransformed module: the oracle each behaviour test compares against.
//
// Async imports (`env.sleep*`) log their arguments and, on an asyncified module, really
// suspend: unwind, return to the host, rewind, and resume. `env.log*` imports just log.
export const DATA = 16;

/**
 * Instantiates `bytes` and returns `call(name, ...args)`, which runs an export to
 * completion (driving unwind/rewind when the module is asyncified) and returns
 * `{ result, log, sleeps }`. `buffer` is the frame stack size (bytes after the header).
 */
export async function host(bytes, { buffer = 4096, data = DATA, extraImports = {}, mem64 = false } = {}) {
  let e = null;
  const log = [];
  let sleeps = 0;
  let rewinding = false;
  let pending;
  const async = () => e.asyncify_get_state !== undefined;
  const is64 = mem64;
  const ptr = (v) => (is64 ? BigInt(v) : v);
  const sleep = (tag) => (...args) => {
    // A sleep returns its first argument (for imports with a result).
    if (!async()) {
      log.push([tag, ...args.map(String)]);
      sleeps++;
      return args[0];
    }
    if (rewinding) {
      e.asyncify_stop_rewind();
      rewinding = false;
      return pending; // arguments are not meaningful when rewinding
    }
    log.push([tag, ...args.map(String)]);
    sleeps++;
    pending = args[0];
    e.asyncify_start_unwind(ptr(data));
    return args[0];
  };
  const logger = (tag) => (...args) => {
    log.push([tag, ...args.map(String)]);
  };
  const env = new Proxy({}, {
    get(_, name) {
      if (typeof name !== 'string') return undefined;
      if (name in extraImports) return extraImports[name];
      if (name.startsWith('sleep')) return sleep(name);
      if (name.startsWith('log')) return logger(name);
      return undefined;
    },
    has: (_, name) => typeof name === 'string' && (name in extraImports || name.startsWith('sleep') || name.startsWith('log')),
  });
  const module = await WebAssembly.compile(bytes);
  const imports = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    imports[imp.module] ??= {};
    // --import-globals: the state lives in globals the host provides.
    if (imp.kind === 'global' && imp.name === '__asyncify_state') imports[imp.module][imp.name] = new WebAssembly.Global({ value: 'i32', mutable: true }, 0);
    else if (imp.kind === 'global' && imp.name === '__asyncify_data') imports[imp.module][imp.name] = new WebAssembly.Global({ value: mem64 ? 'i64' : 'i32', mutable: true }, mem64 ? 0n : 0);
    else imports[imp.module][imp.name] = env[imp.name];
  }
  const { exports } = await WebAssembly.instantiate(module, imports);
  e = exports;
  const memory = e.asyncify_memory ?? e.memory; // --in-secondary-memory exports its own
  if (memory && async()) {
    const v = new DataView(memory.buffer);
    if (is64) {
      v.setBigUint64(data, BigInt(data + 16), true);
      v.setBigUint64(data + 8, BigInt(data + 16 + buffer), true);
    } else {
      v.setUint32(data, data + 8, true);
      v.setUint32(data + 4, data + 8 + buffer, true);
    }
  }
  const header = () => {
    const v = new DataView(memory.buffer);
    return is64 ? Number(v.getBigUint64(data, true)) : v.getUint32(data, true);
  };
  return {
    exports: e,
    log,
    get sleeps() { return sleeps; },
    header,
    call(name, ...args) {
      const start = async() ? header() : 0;
      let result;
      for (;;) {
        result = e[name](...args);
        if (async() && e.asyncify_get_state() === 1) {
          e.asyncify_stop_unwind();
          // Another export may run while this one is unwound.
          e.asyncify_start_rewind(ptr(data));
          rewinding = true;
          continue;
        }
        break;
      }
      if (async() && header() !== start) throw new Error(`buffer position not restored: ${start} → ${header()}`);
      return result;
    },
  };
}

