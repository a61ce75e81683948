/**
 * The reloop pass: every function's control flow recovered as a graph and rendered again
 * by the structurizer (src/cfg), in the role of Binaryen's `--flatten --rereloop`.
 *
 * ## Recovering the graph
 *
 * One linear walk over the body keeps a stack of the enclosing `block`/`loop`/`if`
 * frames and the operand stack's height (not its types: the arity of every instruction
 * is enough, from the opcode table's signatures or, for calls, the callee's type). The
 * body is cut into basic blocks at the points where control can join or split:
 *
 *  - a `block`'s `end` starts a new basic block only if some branch targets it; an
 *    untargeted block is just dropped, its code running straight through;
 *  - a `loop` starts one (its head);
 *  - `if` ends one in a two-way switch on its condition (0: the else arm or the end,
 *    anything else: the then arm); `br_if` likewise (0: falls through);
 *  - `br_table` ends one in a switch with the same table;
 *  - `br`, `return`, `unreachable`, `throw`, and the tail calls end one for good, and
 *    the code after them up to the frame's `else`/`end` is dead and dropped.
 *
 * A basic block's code is its instructions without the control markers. Its last
 * computed i32, the condition of `if`/`br_if`/`br_table`, becomes the block's switch
 * selector: the whole block is the selector fragment, which the structurizer evaluates
 * exactly once, after the block's (then empty) code. A branch to the function's own frame
 * is a return.
 *
 * ## Values across blocks
 *
 * Wasm carries values into block results, along branches and past a `br_if` on the
 * operand stack; basic blocks must be [] → []. So every such value goes through a
 * *carry* local, one per (type, stack position): the branching block ends with
 * `local.set` of the values it passes, every block that receives some starts with their
 * `local.get`s. No block's code runs between the sets and the gets (only the
 * structurizer's branches do), so one local per position and type serves the whole
 * function. Values below the carried ones at a `br` or `br_table` are dropped, as the
 * branch would have. Anything else held on the stack across a cut (values under a
 * `br_if`, or under a block that some branch targets) has unknown types: the function is
 * left as it was.
 *
 * ## What is left as it was
 *
 * Functions that use exception handling (`try`, `try_table`), the `br_on_*` branches,
 * blocks with parameters, non-nullable locals (the structure their initialization
 * proofs rely on is rebuilt), or the stack shapes above keep their original bytes; the
 * stats count each reason. So, with `keepSmaller`, does a function whose rendering is
 * larger than the original encoding.
 */
import { encodeBody } from '../binary/encode-body.js';
import { decodeFunc } from '../binary/decode.js';
import { Sink } from '../binary/sink.js';
import { Cfg } from '../cfg/cfg.js';
import { copyInstructions } from '../cfg/fragment.js';
import { Body, blockTypeAt } from '../ir/body.js';
import { ExternKind, type Module } from '../ir/module.js';
import { OPS, Op, OP_BY_NAME } from '../ir/opcodes.js';
import { I32, REF, type FuncType, type ValType } from '../ir/types.js';

export interface ReloopOptions {
  /** Keep a function's original body when the rendering is larger (default false). */
  keepSmaller?: boolean;
  /** Node-splitting budget for the structurizer (see RenderOptions.splitBudget). */
  splitBudget?: number;
}

export interface ReloopStats {
  /** Defined functions. */
  functions: number;
  /** Functions whose body was replaced by the rendering. */
  relooped: number;
  /** Functions left as they were, by reason. */
  skipped: Map<string, number>;
  /** Code-entry bytes (locals + instructions) of all functions, before and after. */
  bytesBefore: number;
  bytesAfter: number;
}

/** Why a function is left as it was. */
class Unsupported extends Error {}

const opId = (name: string): number => OP_BY_NAME.get(name)!.id;
const DROP = Op.drop;

/** Pops and pushes of the ops typed by their own immediates (the rest: opcode table, or special). */
const FIXED = new Map<number, [number, number]>();
for (const [name, pops, pushes] of [
  ['nop', 0, 0], ['drop', 1, 0], ['select', 3, 1], ['local.get', 0, 1], ['local.set', 1, 0], ['local.tee', 1, 1],
  ['global.get', 0, 1], ['global.set', 1, 0], ['table.get', 1, 1], ['table.set', 2, 0], ['ref.null', 0, 1],
  ['ref.is_null', 1, 1], ['ref.func', 0, 1], ['ref.eq', 2, 1], ['ref.as_non_null', 1, 1],
  ['struct.new_default', 0, 1], ['struct.get', 1, 1], ['struct.get_s', 1, 1], ['struct.get_u', 1, 1], ['struct.set', 2, 0],
  ['array.new', 2, 1], ['array.new_default', 1, 1], ['array.new_data', 2, 1], ['array.new_elem', 2, 1],
  ['array.get', 2, 1], ['array.get_s', 2, 1], ['array.get_u', 2, 1], ['array.set', 3, 0], ['array.len', 1, 1],
  ['array.fill', 4, 0], ['array.copy', 5, 0], ['array.init_data', 4, 0], ['array.init_elem', 4, 0],
  ['ref.test', 1, 1], ['ref.test_null', 1, 1], ['ref.cast', 1, 1], ['ref.cast_null', 1, 1],
  ['any.convert_extern', 1, 1], ['extern.convert_any', 1, 1], ['ref.i31', 1, 1], ['i31.get_s', 1, 1], ['i31.get_u', 1, 1],
  ['memory.init', 3, 0], ['memory.copy', 3, 0], ['memory.fill', 3, 0], ['table.init', 3, 0], ['table.copy', 3, 0],
  ['table.grow', 2, 1], ['table.size', 0, 1], ['table.fill', 3, 0],
] as const) FIXED.set(opId(name), [pops, pushes]);
FIXED.set(Op.select_t, [3, 1]);

const UNSUPPORTED = new Map<number, string>();
for (const name of ['try', 'try_table', 'catch', 'catch_all', 'delegate', 'rethrow']) UNSUPPORTED.set(opId(name), 'exception handling');
for (const name of ['br_on_null', 'br_on_non_null', 'br_on_cast', 'br_on_cast_fail']) UNSUPPORTED.set(opId(name), 'br_on_* branches');

const STRUCT_NEW = opId('struct.new'), ARRAY_NEW_FIXED = opId('array.new_fixed');
const TAIL_CALLS = new Set([Op.return_call, Op.return_call_indirect, Op.return_call_ref]);

/** Reloops every defined function of `m` in place (bodies it cannot handle stay as they were). */
export function reloopModule(m: Module, options: ReloopOptions = {}): ReloopStats {
  const stats: ReloopStats = { functions: m.funcs.length, relooped: 0, skipped: new Map(), bytesBefore: 0, bytesAfter: 0 };
  const r = new Relooper(m, options);
  const scratch = new Body(1024);
  const sink = new Sink(1 << 16);
  const size = (body: Body): number => {
    sink.pos = 0;
    encodeBody(body, sink);
    return sink.pos;
  };
  m.funcs.forEach((f, i) => {
    const before = f.body ? size(f.body) : f.raw!.length;
    stats.bytesBefore += before;
    const body = decodeFunc(m, f, f.body ? undefined : scratch);
    const out = r.reloop(body, f.type);
    let after = before;
    if (typeof out === 'string') {
      stats.skipped.set(out, (stats.skipped.get(out) ?? 0) + 1);
    } else {
      const bytes = size(out);
      if (options.keepSmaller && bytes > before) {
        stats.skipped.set('rendering larger', (stats.skipped.get('rendering larger') ?? 0) + 1);
      } else {
        m.funcs[i].body = out;
        stats.relooped++;
        after = bytes;
      }
    }
    stats.bytesAfter += after;
  });
  return stats;
}

interface Frame {
  kind: 'block' | 'loop' | 'if' | 'func';
  /** Branch target: a block's or if's join (-1 until a branch needs it), a loop's head. */
  target: number;
  /** Types a branch to it carries. */
  labelTypes: readonly ValType[];
  /** Types on the stack at its end. */
  results: readonly ValType[];
  /** Stack height at its start (below its params). */
  base: number;
  /** For an if: its else arm's block, or -1 when it has none. */
  elseBlock: number;
}

/** How a basic block ends. */
const enum End { Open, Exit, Jump, Switch }

/** Reloops one function body at a time against a module's types. */
export class Relooper {
  private readonly funcTypes: FuncType[] = [];
  // Per basic block: its code in `code` [codeStart, codeEnd), then its selector [codeEnd, selEnd).
  private code = new Body(1024);
  private codeStart: number[] = [];
  private codeEnd: number[] = [];
  private selEnd: number[] = [];
  private endKind: End[] = [];
  /** Jump: [target]; Switch: [target per value...], then default target. */
  private succ: number[][] = [];
  private entryTypes: (readonly ValType[])[] = [];
  private carries = new Map<string, number>();
  private locals: number[] = [];
  private nextLocal = 0;
  private selLocal = -1;
  private returnBlock = -1;
  /** Loads at the end of `code` that start the current block and no instruction has followed yet. */
  private loads = 0;
  private readonly tail = new Body(64);

  constructor(private readonly m: Module, private readonly options: ReloopOptions = {}) {
    for (const imp of m.imports) if (imp.kind === ExternKind.Func) this.funcTypes.push(this.funcType(imp.type));
    for (const f of m.funcs) this.funcTypes.push(this.funcType(f.type));
  }

  /** The rendered body, or why the function is left as it was. */
  reloop(body: Body, typeIndex: number): Body | string {
    try {
      return this.run(body, this.funcType(typeIndex));
    } catch (e) {
      if (e instanceof Unsupported) return e.message;
      throw e;
    }
  }

  private funcType(index: number): FuncType {
    const t = this.m.types[index]?.comp;
    if (!t || t.kind !== 'func') throw new Error(`type ${index} is not a function type`);
    return t;
  }

  private run(body: Body, fn: FuncType): Body {
    this.reset(body, fn);
    const { ops, imm } = body;
    const code = this.code;
    const frames: Frame[] = [{ kind: 'func', target: -1, labelTypes: fn.results, results: fn.results, base: 0, elseBlock: -1 }];
    let cur = this.newBlock([]);
    let h = 0;
    let runStart = 0;
    let dead = 0; // > 0: skipping dead code, nesting depth + 1
    const flush = (i: number): void => {
      // A carried value dropped right away (br_if's value on the fallthrough): not loaded at all.
      while (runStart < i && this.loads > 0 && ops[runStart] === DROP) {
        code.length--;
        this.loads--;
        runStart++;
      }
      if (runStart < i) {
        copyInstructions(body, runStart, i, code);
        this.loads = 0;
      }
      runStart = i + 1;
    };
    /** The block a branch to frame f goes to (the function's frame: the return block). */
    const targetOf = (f: Frame): number => {
      if (f.kind === 'func') {
        if (this.returnBlock < 0) this.returnBlock = this.newBlock(fn.results);
        return this.returnBlock;
      }
      if (f.target < 0) f.target = this.newBlock(f.labelTypes);
      return f.target;
    };
    const frameAt = (depth: number): Frame => {
      const f = frames[frames.length - 1 - depth];
      if (!f) throw new Unsupported('invalid branch depth');
      return f;
    };

    for (let i = 0; i < body.length; i++) {
      const op = ops[i];
      const k = i * 4;
      if (dead > 0) {
        if (op === Op.block || op === Op.loop || op === Op.if || op === Op.try || op === Op.try_table) dead++;
        else if (op === Op.end || op === Op.delegate) dead--;
        else if ((op === Op.else || op === Op.catch || op === Op.catch_all) && dead === 1) dead = 0;
        if (dead > 0) {
          runStart = i + 1;
          continue;
        }
        // Back at the frame's else/end with the current block dead: handled below.
      }
      const why = UNSUPPORTED.get(op);
      if (why) throw new Unsupported(why);
      switch (op) {
        case Op.block: case Op.loop: case Op.if: {
          const bt = blockTypeAt(body, i);
          let results: readonly ValType[] = [];
          if (bt.kind === 'value') results = [bt.type];
          else if (bt.kind === 'func') {
            const t = this.funcType(bt.typeIndex);
            if (t.params.length) throw new Unsupported('block parameters');
            results = t.results;
          }
          flush(i);
          if (op === Op.block) {
            frames.push({ kind: 'block', target: -1, labelTypes: results, results, base: h, elseBlock: -1 });
          } else if (op === Op.loop) {
            this.requireHeight(h, 0, 'values on the stack at a loop');
            const head = this.newBlock([]);
            this.jump(cur, head);
            cur = head;
            this.startBlock(cur);
            frames.push({ kind: 'loop', target: head, labelTypes: [], results, base: 0, elseBlock: -1 });
          } else {
            this.requireHeight(h, 1, 'values under an if');
            h = 0;
            const f: Frame = { kind: 'if', target: -1, labelTypes: results, results, base: 0, elseBlock: -1 };
            frames.push(f);
            const then = this.newBlock([]);
            const hasElse = this.hasElse(body, i);
            if (hasElse) f.elseBlock = this.newBlock([]);
            this.switchOnSelector(cur, [hasElse ? f.elseBlock : targetOf(f)], then, []);
            cur = then;
            this.startBlock(cur);
          }
          break;
        }
        case Op.else: {
          const f = frames[frames.length - 1];
          if (cur >= 0) {
            flush(i);
            this.requireHeight(h, f.results.length, 'values held across else');
            this.leave(cur, targetOf(f), f.results, 0);
          }
          cur = f.elseBlock;
          this.startBlock(cur);
          runStart = i + 1;
          h = 0;
          dead = 0;
          break;
        }
        case Op.end: {
          const f = frames.pop()!;
          if (f.kind === 'func') {
            if (cur >= 0) {
              flush(i);
              this.exit(cur);
            }
            if (i !== body.length - 1) throw new Unsupported('code after the function end');
            break;
          }
          if (cur >= 0) flush(i);
          else runStart = i + 1;
          if (f.kind === 'loop') {
            // Not a branch target: control falls out of the loop into the same basic block.
            if (cur >= 0) this.requireHeight(h, f.results.length, 'loop results');
            else dead = 1;
            break;
          }
          if (f.target < 0 && f.kind === 'block') {
            // No branch targets the block: it is not a cut.
            if (cur >= 0) this.requireHeight(h, f.base + f.results.length, 'block results');
            else dead = 1;
            break;
          }
          if (cur >= 0) {
            this.requireHeight(h, f.results.length, 'values held across a block that is branched to');
            this.leave(cur, targetOf(f), f.results, 0);
          }
          if (f.kind === 'block' && f.base !== 0) throw new Unsupported('values held across a block that is branched to');
          cur = f.target;
          if (cur >= 0) this.startBlock(cur);
          else dead = 1;
          h = f.results.length;
          break;
        }
        case Op.br: {
          if (cur < 0) break;
          flush(i);
          const f = frameAt(imm[k]);
          if (f.kind === 'func' && h === f.labelTypes.length) this.exit(cur);
          else this.leave(cur, targetOf(f), f.labelTypes, h - f.labelTypes.length);
          cur = -1;
          dead = 1;
          break;
        }
        case Op.br_if: {
          if (cur < 0) break;
          flush(i);
          const f = frameAt(imm[k]);
          const types = f.labelTypes;
          this.requireHeight(h, types.length + 1, 'values under br_if');
          const next = this.newBlock(types);
          this.switchOnSelector(cur, [next], targetOf(f), types);
          cur = next;
          this.startBlock(cur);
          h = types.length;
          break;
        }
        case Op.br_table: {
          if (cur < 0) break;
          flush(i);
          const n = imm[k + 1];
          const at = imm[k];
          const def = frameAt(body.extra[at + n]);
          const types = def.labelTypes;
          const targets: number[] = [];
          for (let j = 0; j < n; j++) {
            const f = frameAt(body.extra[at + j]);
            if (!sameTypes(f.labelTypes, types)) throw new Unsupported('br_table targets of different types');
            targets.push(targetOf(f));
          }
          if (h < types.length + 1) throw new Unsupported('stack underflow at br_table');
          this.switchOnSelector(cur, targets, targetOf(def), types, h - 1 - types.length);
          cur = -1;
          dead = 1;
          break;
        }
        case Op.return: {
          if (cur < 0) break;
          flush(i);
          // Values below the results: the return itself drops them.
          if (h !== fn.results.length) code.push(Op.return);
          this.exit(cur);
          cur = -1;
          dead = 1;
          break;
        }
        case Op.unreachable: case Op.throw: case Op.throw_ref:
        case Op.return_call: case Op.return_call_indirect: case Op.return_call_ref: {
          if (cur < 0) break;
          flush(i);
          copyInstructions(body, i, i + 1, code);
          this.exit(cur);
          cur = -1;
          dead = 1;
          if (TAIL_CALLS.has(op)) this.arity(op, k, imm);
          break;
        }
        default: {
          if (cur < 0) break;
          const [pops, pushes] = this.arity(op, k, imm);
          if (h < pops) throw new Unsupported('stack underflow');
          h += pushes - pops;
        }
      }
    }
    if (this.returnBlock >= 0) {
      this.startBlock(this.returnBlock);
      this.exit(this.returnBlock);
    }
    return this.render(body, fn);
  }

  private reset(body: Body, fn: FuncType): void {
    this.code.reset();
    this.codeStart.length = this.codeEnd.length = this.selEnd.length = 0;
    this.endKind.length = this.succ.length = this.entryTypes.length = 0;
    this.carries.clear();
    this.locals = body.locals.slice();
    let n = fn.params.length;
    for (let i = 0; i < body.locals.length; i += 2) {
      const t = body.locals[i + 1];
      if ((t & 0xff) === REF) throw new Unsupported('non-nullable locals');
      n += body.locals[i];
    }
    this.nextLocal = n;
    this.selLocal = -1;
    this.returnBlock = -1;
  }

  private requireHeight(h: number, want: number, why: string): void {
    if (h !== want) throw new Unsupported(why);
  }

  /** Pops and pushes of a non-control instruction. */
  private arity(op: number, k: number, imm: Int32Array): [number, number] {
    const info = OPS[op];
    if (info.params !== null) return [info.params.length, info.results!.length];
    const fixed = FIXED.get(op);
    if (fixed) return fixed;
    switch (op) {
      case Op.call: case Op.return_call: {
        const t = this.funcTypes[imm[k]];
        if (!t) throw new Unsupported('unknown function');
        return [t.params.length, t.results.length];
      }
      case Op.call_indirect: case Op.return_call_indirect: case Op.call_ref: case Op.return_call_ref: {
        const t = this.funcType(imm[k]);
        return [t.params.length + 1, t.results.length];
      }
      case STRUCT_NEW: {
        const t = this.m.types[imm[k]]?.comp;
        if (!t || t.kind !== 'struct') throw new Unsupported('struct.new of a non-struct type');
        return [t.fields.length, 1];
      }
      case ARRAY_NEW_FIXED:
        return [imm[k + 1], 1];
    }
    throw new Unsupported(`instruction ${info.name}`);
  }

  private newBlock(entry: readonly ValType[]): number {
    const b = this.codeStart.length;
    this.codeStart.push(-1);
    this.codeEnd.push(-1);
    this.selEnd.push(-1);
    this.endKind.push(End.Open);
    this.succ.push([]);
    this.entryTypes.push(entry);
    if (b === 0) this.startBlock(0);
    return b;
  }

  /** Starts b's code: the loads of the values it receives. */
  private startBlock(b: number): void {
    this.codeStart[b] = this.code.length;
    this.entryTypes[b].forEach((t, i) => this.code.push(Op.local_get, this.carry(t, i)));
    this.loads = this.entryTypes[b].length;
  }

  private carry(t: ValType, position: number): number {
    if ((t & 0xff) === REF) throw new Unsupported('non-nullable values carried between blocks');
    const key = `${t}:${position}`;
    let x = this.carries.get(key);
    if (x === undefined) this.carries.set(key, (x = this.alloc(t)));
    return x;
  }

  private alloc(t: ValType): number {
    const locals = this.locals;
    if (locals.length && locals[locals.length - 1] === t) locals[locals.length - 2]++;
    else locals.push(1, t);
    return this.nextLocal++;
  }

  /** Stores the `types` on top of the stack in their carries, then drops `drops` values below. */
  private store(types: readonly ValType[], drops: number): void {
    for (let i = types.length - 1; i >= 0; i--) this.code.push(Op.local_set, this.carry(types[i], i));
    for (let i = 0; i < drops; i++) this.code.push(DROP);
  }

  private exit(b: number): void {
    this.codeEnd[b] = this.selEnd[b] = this.code.length;
    this.endKind[b] = End.Exit;
  }

  /** b ends passing `types` to `to`. */
  private leave(b: number, to: number, types: readonly ValType[], drops: number): void {
    this.store(types, drops);
    this.jump(b, to);
  }

  private jump(b: number, to: number): void {
    this.codeEnd[b] = this.selEnd[b] = this.code.length;
    this.endKind[b] = End.Jump;
    this.succ[b] = [to];
  }

  /**
   * b ends in a switch on the i32 on top of the stack (`targets[v]` for v, else `def`),
   * with `types` carried below it and `drops` values below those.
   */
  private switchOnSelector(b: number, targets: number[], def: number, types: readonly ValType[], drops = 0): void {
    const code = this.code;
    if (types.length === 0 && drops === 0) {
      // The whole block computes the selector.
      this.codeEnd[b] = this.codeStart[b];
    } else {
      const s = this.selectorStart(b);
      if (s >= 0) {
        // Store the carried values before the code that computes the selector on top of them.
        const tail = this.tail;
        tail.reset();
        copyInstructions(code, s, code.length, tail);
        code.length = s;
        this.store(types, drops);
        this.codeEnd[b] = code.length;
        copyInstructions(tail, 0, tail.length, code);
      } else {
        if (this.selLocal < 0) this.selLocal = this.alloc(I32);
        code.push(Op.local_set, this.selLocal);
        this.store(types, drops);
        this.codeEnd[b] = code.length;
        code.push(Op.local_get, this.selLocal);
      }
    }
    if (this.codeEnd[b] === this.codeStart[b] && code.length === this.codeStart[b]) {
      throw new Unsupported('empty selector');
    }
    this.selEnd[b] = code.length;
    this.endKind[b] = End.Switch;
    this.succ[b] = [...targets, def];
  }

  /**
   * Where the code that pushes b's last value (the selector) starts, if that code takes
   * nothing from below: walking back, the point where no value is owed any more. -1 if
   * there is none within b's code.
   */
  private selectorStart(b: number): number {
    const { ops, imm } = this.code;
    let owed = 1;
    for (let j = this.code.length - 1; j >= this.codeStart[b]; j--) {
      const [pops, pushes] = this.arity(ops[j], j * 4, imm);
      if (pushes > owed) return -1;
      owed += pops - pushes;
      if (owed === 0) return j;
    }
    return -1;
  }

  private hasElse(body: Body, i: number): boolean {
    let depth = 0;
    for (let j = i + 1; j < body.length; j++) {
      const op = body.ops[j];
      if (op === Op.block || op === Op.loop || op === Op.if || op === Op.try || op === Op.try_table) depth++;
      else if (op === Op.end) {
        if (depth-- === 0) return false;
      } else if (op === Op.else && depth === 0) return true;
    }
    return false;
  }

  private render(body: Body, fn: FuncType): Body {
    const cfg = new Cfg();
    const code = this.code;
    const n = this.codeStart.length;
    const ids: number[] = [];
    for (let b = 0; b < n; b++) {
      if (this.codeStart[b] < 0 || this.endKind[b] === End.Open) {
        // Never started (no path reaches it) or never ended: unreachable, an empty exit.
        ids.push(cfg.addBlock());
        continue;
      }
      const s = this.codeStart[b], e = this.codeEnd[b], t = this.selEnd[b];
      const blockCode = e > s ? (out: Body) => copyInstructions(code, s, e, out) : undefined;
      if (this.endKind[b] === End.Switch) ids.push(cfg.addSwitchBlock((out) => copyInstructions(code, e, t, out), blockCode));
      else ids.push(cfg.addBlock(blockCode));
    }
    for (let b = 0; b < n; b++) {
      const succ = this.succ[b];
      if (this.endKind[b] === End.Jump) cfg.addBranch(ids[b], ids[succ[0]]);
      else if (this.endKind[b] === End.Switch) {
        const byTarget = new Map<number, number[]>();
        const def = succ[succ.length - 1];
        for (let v = 0; v < succ.length - 1; v++) {
          if (succ[v] === def) continue;
          const vs = byTarget.get(succ[v]);
          if (vs) vs.push(v);
          else byTarget.set(succ[v], [v]);
        }
        for (const [to, values] of byTarget) cfg.addCase(ids[b], ids[to], { values });
        cfg.addCase(ids[b], ids[def]);
      }
    }
    const out = new Body(body.length + 16);
    out.locals = this.locals;
    const result = cfg.render(ids[0], {
      into: out,
      results: fn.results.length,
      allocLocal: () => this.alloc(I32),
      splitBudget: this.options.splitBudget,
    });
    // Code that ends in a construct leaves no results: every path in it returned.
    if (fn.results.length && out.length && out.ops[out.length - 1] === Op.end) out.push(Op.unreachable);
    out.push(Op.end);
    return result.body;
  }
}

function sameTypes(a: readonly ValType[], b: readonly ValType[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}
