/**
 * The reloop pass: every function's control flow recovered as a graph and rendered again
 * by the structurizer (src/cfg), in the role of Binaryen's `--flatten --rereloop`.
 *
 * ## Recovering the graph
 *
 * One linear walk over the body keeps a stack of the enclosing `block`/`loop`/`if`
 * frames and of the operand stack's types. The body is cut into basic blocks at the
 * points where control can join or split:
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
 * selector: the code that computes it (from where it takes nothing from below) is the
 * selector fragment, which the structurizer evaluates exactly once, after the rest of
 * the block's code. A branch to the function's own frame is a return.
 *
 * ## Values across blocks
 *
 * Wasm keeps values on the operand stack across control flow: block and if results,
 * branch values, a value left under a `br_if`, values held under a whole `if` or loop
 * and used after it. Basic blocks must be [] → [], so the walk tracks the stack's types
 * (the opcode table's signatures, locals, globals, callee types) and every value that
 * lives across a cut goes through a *carry* local, one per (type, stack position): the
 * block before the cut stores what it holds, the block after loads what it uses. A first
 * walk measures how deep each block reaches into the stack it starts with, so that the
 * second loads exactly that and leaves the values below in their locals (a value held
 * under an `if` is stored once and loaded once, after it). A branch's values move down
 * to the target frame's base (a `br` stores them there; `br_if` and `br_table`, whose
 * stack stays as it is for the fallthrough, get edge code that moves them).
 *
 * Only the structurizer's branches run between a store and its load, and every path from
 * a store reaches one load before the local is written again, so one local per position
 * and type serves the whole function. That property also lets a final peephole put
 * values back on the stack where the structured output allows it (stackCarries): typed
 * `if` results, and values waiting under code that neither touches nor branches past
 * them. Then a typical LLVM or Go function comes out about as large as it went in.
 *
 * ## What is left as it was
 *
 * Functions that use exception handling (`try`, `try_table`), the `br_on_*` branches,
 * non-nullable locals (the structure their initialization proofs rely on is rebuilt), or
 * that carry values of types the walk does not track (references from GC instructions, mostly) keep their original bytes;
 * the stats count each reason. (Block parameters are values on the stack like any other.) So, with `keepSmaller`, does a function whose rendering is larger than its
 * original encoding.
 */
import { encodeBody } from '../binary/encode-body.js';
import { decodeFunc } from '../binary/decode.js';
import { Sink } from '../binary/sink.js';
import { Cfg } from '../cfg/cfg.js';
import { Body, blockTypeAt, copyInstructions } from '../ir/body.js';
import { ExternKind, type Module } from '../ir/module.js';
import { Imm, OPS, OP_IMM, Op, OP_BY_NAME } from '../ir/opcodes.js';
import { F32, F64, I32, I64, REF, V128, type FuncType, type ValType } from '../ir/types.js';

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
  ['struct.new_default_desc', 1, 1], ['ref.get_desc', 1, 1], ['ref.cast_desc_eq', 2, 1], ['ref.cast_desc_eq_null', 2, 1],
] as const) FIXED.set(opId(name), [pops, pushes]);
FIXED.set(Op.select_t, [3, 1]);

const UNSUPPORTED = new Map<number, string>();
for (const name of ['try', 'try_table', 'catch', 'catch_all', 'delegate', 'rethrow']) UNSUPPORTED.set(opId(name), 'exception handling');
for (const name of ['br_on_null', 'br_on_non_null', 'br_on_cast', 'br_on_cast_fail', 'br_on_cast_desc_eq', 'br_on_cast_desc_eq_fail']) {
  UNSUPPORTED.set(opId(name), 'br_on_* branches');
}

const STRUCT_NEW = opId('struct.new'), STRUCT_NEW_DESC = opId('struct.new_desc'), ARRAY_NEW_FIXED = opId('array.new_fixed');

/**
 * Reloops every defined function of `m` in place (bodies it cannot handle stay as they
 * were). `m` must be valid (see validate): the walk trusts the body's typing.
 */
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
  /** Types it leaves on top of its base at its end. */
  results: readonly ValType[];
  /** Stack height at its start (params and an if's condition taken off). */
  base: number;
  /** For an if: its else arm's block, or -1 when it has none. */
  elseBlock: number;
}

/** How a basic block ends. */
const enum End { Open, Exit, Jump, Switch }

/** A stack slot whose type the walk does not track (references, mostly): it cannot be carried. */
const UNKNOWN = -1;
const LETTER_TYPE: Record<string, ValType> = { i: I32, I: I64, f: F32, F: F64, V: V128 };

/** Reloops one function body at a time against a module's types. */
export class Relooper {
  private readonly funcTypes: FuncType[] = [];
  private readonly globalTypes: ValType[] = [];
  private readonly memory64: boolean[] = [];
  // Per basic block: its code in `code` [codeStart, codeEnd), then its selector [codeEnd, selEnd).
  private code = new Body(1024);
  private codeStart: number[] = [];
  private codeEnd: number[] = [];
  private selEnd: number[] = [];
  private endKind: End[] = [];
  /** Jump: [target]; Switch: [target per value...], then default target. */
  private succ: number[][] = [];
  /** Per Switch successor slot: edge code relocating carried values ([from, to) in `code`), or none. */
  private edgeCode: (number[] | null)[][] = [];
  /** The stack a block starts with (types by position), and the position from which it loads it. */
  private entry: (readonly ValType[])[] = [];
  private visible: number[] = [];
  /** The lowest stack height each block reaches, from the measuring walk. */
  private lowWater: number[] = [];
  private measuring = false;
  private carries = new Map<string, number>();
  private locals: number[] = [];
  private localTypes: ValType[] = [];
  private nextLocal = 0;
  private selLocal = -1;
  private returnBlock = -1;
  /** Loads at the end of `code` that start the current block and no instruction has followed yet. */
  private loads = 0;
  private readonly tail = new Body(64);
  /** The operand stack's types. */
  private st: ValType[] = [];
  private cur = -1;

  constructor(private readonly m: Module, private readonly options: ReloopOptions = {}) {
    for (const imp of m.imports) {
      if (imp.kind === ExternKind.Func) this.funcTypes.push(this.funcType(imp.type));
      else if (imp.kind === ExternKind.Global) this.globalTypes.push(imp.global.type);
      else if (imp.kind === ExternKind.Memory) this.memory64.push(imp.memory.addr64);
    }
    for (const f of m.funcs) this.funcTypes.push(this.funcType(f.type));
    for (const g of m.globals) this.globalTypes.push(g.type);
    for (const mem of m.memories) this.memory64.push(mem.addr64);
  }

  /** The rendered body, or why the function is left as it was. */
  reloop(body: Body, typeIndex: number): Body | string {
    try {
      const fn = this.funcType(typeIndex);
      // First walk: how low each block takes the stack, so that the second one loads
      // exactly the carried values a block uses, and leaves the ones below in their locals.
      this.measuring = true;
      this.lowWater.length = 0;
      this.walk(body, fn);
      this.measuring = false;
      this.walk(body, fn);
      return this.render(body, fn);
    } catch (e) {
      if (e instanceof Unsupported) return e.message;
      throw e;
    }
  }

  private funcType(index: number): FuncType {
    const t = this.m.types[index]?.comp;
    if (!t || t.kind !== 'func') throw new Unsupported(`type ${index} is not a function type`);
    return t;
  }

  private walk(body: Body, fn: FuncType): void {
    this.reset(body, fn);
    const { ops, imm } = body;
    const code = this.code;
    const st = this.st;
    const frames: Frame[] = [{ kind: 'func', target: -1, labelTypes: fn.results, results: fn.results, base: 0, elseBlock: -1 }];
    this.cur = this.newBlock([]);
    this.startBlock(this.cur);
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
      if (f.target < 0) f.target = this.newBlock([...st.slice(0, f.base), ...f.labelTypes]);
      return f.target;
    };
    const frameAt = (depth: number): Frame => {
      const f = frames[frames.length - 1 - depth];
      if (!f) throw new Unsupported('invalid branch depth');
      return f;
    };
    const NO_TYPES: readonly ValType[] = [];
    const blockType = (i: number): { params: readonly ValType[]; results: readonly ValType[] } => {
      const bt = blockTypeAt(body, i);
      if (bt.kind === 'empty') return { params: NO_TYPES, results: NO_TYPES };
      if (bt.kind === 'value') return { params: NO_TYPES, results: [bt.type] };
      return this.funcType(bt.typeIndex);
    };
    /** The frame's base: the stack below its parameters. */
    const baseBelow = (params: readonly ValType[]): number => {
      if (st.length < params.length) throw new Unsupported('stack underflow');
      return st.length - params.length;
    };
    /** Control continues in `b` (or nowhere, -1: dead code up to the frame's else or end). */
    const enter = (b: number): void => {
      this.cur = b;
      if (b >= 0) this.startBlock(b);
      else dead = 1;
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
        // Back at the frame's else or end: handled below, with no current block.
      }
      const why = UNSUPPORTED.get(op);
      if (why) throw new Unsupported(why);
      const cur = this.cur;
      switch (op) {
        case Op.block: {
          flush(i);
          const { params, results } = blockType(i);
          frames.push({ kind: 'block', target: -1, labelTypes: results, results, base: baseBelow(params), elseBlock: -1 });
          break;
        }
        case Op.loop: {
          flush(i);
          const { params, results } = blockType(i);
          const base = baseBelow(params);
          // The head starts with the parameters on the stack; branches to it carry them.
          const head = this.newBlock(st.slice());
          this.leave(cur, head, st.length, 0);
          frames.push({ kind: 'loop', target: head, labelTypes: params, results, base, elseBlock: -1 });
          enter(head);
          break;
        }
        case Op.if: {
          flush(i);
          const { params, results } = blockType(i);
          this.pop(1);
          // Both arms start with the parameters; without an else they flow to the end (then params = results).
          const f: Frame = { kind: 'if', target: -1, labelTypes: results, results, base: baseBelow(params), elseBlock: -1 };
          frames.push(f);
          const then = this.newBlock(st.slice());
          if (this.hasElse(body, i)) f.elseBlock = this.newBlock(st.slice());
          this.switchOnSelector(cur, [f.elseBlock >= 0 ? f.elseBlock : targetOf(f)], then);
          enter(then);
          break;
        }
        case Op.else: {
          const f = frames[frames.length - 1];
          if (cur >= 0) {
            flush(i);
            this.leave(cur, targetOf(f), st.length, 0);
          }
          runStart = i + 1;
          st.length = f.base;
          enter(f.elseBlock);
          break;
        }
        case Op.end: {
          const f = frames.pop()!;
          if (cur >= 0) flush(i);
          else runStart = i + 1;
          if (f.kind === 'func') {
            if (cur >= 0) this.exit(cur, fn.results.length);
            if (i !== body.length - 1) throw new Unsupported('code after the function end');
            break;
          }
          if (f.kind === 'loop' || (f.kind === 'block' && f.target < 0)) {
            // Not a branch target: control falls out into the same basic block.
            if (cur < 0) {
              st.length = f.base;
              for (const t of f.results) st.push(t);
              dead = 1;
            }
            break;
          }
          if (cur >= 0) this.leave(cur, targetOf(f), st.length, 0);
          st.length = f.base;
          for (const t of f.results) st.push(t);
          enter(f.target);
          break;
        }
        case Op.br: {
          flush(i);
          const f = frameAt(imm[k]);
          const a = f.labelTypes.length;
          if (f.kind === 'func') this.exit(cur, a);
          else this.leave(cur, targetOf(f), f.base, a);
          enter(-1);
          break;
        }
        case Op.br_if: {
          flush(i);
          const f = frameAt(imm[k]);
          this.pop(1);
          // br_if leaves its values typed as its label's.
          const types = f.labelTypes;
          for (let j = 0; j < types.length; j++) st[st.length - types.length + j] = types[j];
          const target = targetOf(f);
          const next = this.newBlock(st.slice());
          this.switchOnSelector(cur, [next], target, this.relocation(f, target));
          enter(next);
          break;
        }
        case Op.br_table: {
          flush(i);
          const n = imm[k + 1];
          const at = imm[k];
          const def = frameAt(body.extra[at + n]);
          this.pop(1);
          // Targets that agree on their types: the values are typed as theirs (else each edge converts).
          let agree = true;
          for (let j = 0; j < n && agree; j++) agree = sameTypes(frameAt(body.extra[at + j]).labelTypes, def.labelTypes);
          if (agree) for (let j = 0; j < def.labelTypes.length; j++) st[st.length - def.labelTypes.length + j] = def.labelTypes[j];
          const targets: number[] = [];
          const moves: (number[] | null)[] = [];
          for (let j = 0; j <= n; j++) {
            const f = frameAt(body.extra[at + j]);
            const t = targetOf(f);
            if (j < n) targets.push(t);
            moves.push(this.relocation(f, t));
          }
          this.switchOnSelector(cur, targets, targetOf(def), moves[n], moves);
          enter(-1);
          break;
        }
        case Op.return: {
          flush(i);
          this.exit(cur, fn.results.length);
          enter(-1);
          break;
        }
        case Op.unreachable: case Op.throw: case Op.throw_ref:
        case Op.return_call: case Op.return_call_indirect: case Op.return_call_ref: {
          flush(i);
          copyInstructions(body, i, i + 1, code);
          this.exit(cur, -1);
          enter(-1);
          break;
        }
        default:
          this.step(op, k, imm, body.extra);
      }
    }
    if (this.returnBlock >= 0) {
      this.cur = this.returnBlock;
      this.startBlock(this.returnBlock);
      this.exit(this.returnBlock, fn.results.length);
    }
  }

  private reset(body: Body, fn: FuncType): void {
    this.code.reset();
    this.codeStart.length = this.codeEnd.length = this.selEnd.length = 0;
    this.endKind.length = this.succ.length = this.edgeCode.length = this.entry.length = this.visible.length = 0;
    this.carries.clear();
    this.st.length = 0;
    this.locals = body.locals.slice();
    this.localTypes = fn.params.slice();
    for (let i = 0; i < body.locals.length; i += 2) {
      const t = body.locals[i + 1];
      if ((t & 0xff) === REF) throw new Unsupported('non-nullable locals');
      for (let n = 0; n < body.locals[i]; n++) this.localTypes.push(t);
    }
    this.nextLocal = this.localTypes.length;
    this.selLocal = -1;
    this.returnBlock = -1;
  }

  /** Pops n values, noting how low the current block takes the stack. */
  private pop(n: number): void {
    const st = this.st;
    if (st.length < n) throw new Unsupported('stack underflow');
    st.length -= n;
    const b = this.cur;
    if (this.measuring && st.length < this.lowWater[b]) this.lowWater[b] = st.length;
  }

  /** Runs a non-control instruction on the type stack. */
  private step(op: number, k: number, imm: Int32Array, extra: Int32Array): void {
    const st = this.st;
    const info = OPS[op];
    if (info.params !== null) {
      this.pop(info.params.length);
      for (const c of info.results!) {
        if (c !== 'a') st.push(LETTER_TYPE[c]);
        else st.push(this.memory64[OP_IMM[op] === Imm.Mem ? imm[k] : imm[k + 1]] ? I64 : I32);
      }
      return;
    }
    switch (op) {
      case Op.local_get:
        st.push(this.localTypes[imm[k]] ?? UNKNOWN);
        return;
      case Op.local_tee:
        this.pop(1);
        st.push(this.localTypes[imm[k]] ?? UNKNOWN);
        return;
      case Op.global_get:
        st.push(this.globalTypes[imm[k]] ?? UNKNOWN);
        return;
      case Op.select: {
        const t = st[st.length - 3];
        this.pop(3);
        st.push(t ?? UNKNOWN);
        return;
      }
      case Op.select_t:
        this.pop(3);
        st.push(imm[k + 1] === 1 ? extra[imm[k]] : UNKNOWN);
        return;
    }
    const [pops, results] = this.effect(op, k, imm);
    this.pop(pops);
    if (typeof results === 'number') for (let j = 0; j < results; j++) st.push(UNKNOWN);
    else for (const t of results) st.push(t);
  }

  /** Pops and results (types, or a count of untracked ones) of a non-control instruction. */
  private effect(op: number, k: number, imm: Int32Array): [number, readonly ValType[] | number] {
    const info = OPS[op];
    if (info.params !== null) return [info.params.length, info.results!.length];
    const fixed = FIXED.get(op);
    if (fixed) return fixed;
    switch (op) {
      case Op.call: case Op.return_call: {
        const t = this.funcTypes[imm[k]];
        if (!t) throw new Unsupported('unknown function');
        return [t.params.length, t.results];
      }
      case Op.call_indirect: case Op.return_call_indirect: case Op.call_ref: case Op.return_call_ref: {
        const t = this.funcType(imm[k]);
        return [t.params.length + 1, t.results];
      }
      case STRUCT_NEW:
      case STRUCT_NEW_DESC: {
        const t = this.m.types[imm[k]]?.comp;
        if (!t || t.kind !== 'struct') throw new Unsupported(`${info.name} of a non-struct type`);
        // struct.new_desc takes the descriptor after the fields.
        return [t.fields.length + (op === STRUCT_NEW_DESC ? 1 : 0), 1];
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
    this.edgeCode.push([]);
    this.entry.push(entry);
    if (this.measuring) {
      this.lowWater.push(entry.length);
      this.visible.push(entry.length);
    } else this.visible.push(Math.min(entry.length, this.lowWater[b]));
    return b;
  }

  /** Starts b's code: the loads of the values it uses from the stack it starts with. */
  private startBlock(b: number): void {
    const entry = this.entry[b];
    this.codeStart[b] = this.code.length;
    this.st.length = 0;
    for (const t of entry) this.st.push(t);
    for (let p = this.visible[b]; p < entry.length; p++) this.code.push(Op.local_get, this.carry(entry[p], p));
    this.loads = entry.length - this.visible[b];
  }

  private carry(t: ValType, position: number): number {
    if (this.measuring) return 0;
    if (t === UNKNOWN || (t & 0xff) === REF) throw new Unsupported('values of untracked or non-nullable types carried between blocks');
    const key = `${position}:${t}`;
    let x = this.carries.get(key);
    if (x === undefined) this.carries.set(key, (x = this.alloc(t)));
    return x;
  }

  private alloc(t: ValType): number {
    const locals = this.locals;
    if (locals.length && locals[locals.length - 1] === t) locals[locals.length - 2]++;
    else locals.push(1, t);
    this.localTypes.push(t);
    return this.nextLocal++;
  }

  /**
   * Stores the current block's physical stack for a branch to a target that keeps the
   * values below `base` in place and takes the top `arity` values to `base`..: those in
   * between are dropped.
   */
  private store(base: number, arity: number, to = -1): void {
    const st = this.st;
    const vis = this.visible[this.cur];
    const h = st.length;
    // Stored as the target takes them (a branch value may be a subtype of its label's type).
    const target = to >= 0 ? this.entry[to] : null;
    const typeAt = (p: number, dst: number): ValType => (target ? target[dst] : st[p]);
    const stays = (p: number, dst: number): boolean => p === dst && typeAt(p, dst) === st[p];
    if (this.measuring) {
      // Values that move (or change type) must be loaded; the others may stay in their locals.
      let low = this.lowWater[this.cur];
      for (let i = 0; i < arity; i++) if (!stays(h - arity + i, base + i)) low = Math.min(low, h - arity + i);
      for (let p = Math.min(base, h - arity) - 1; p >= 0 && p >= low; p--) if (!stays(p, p)) low = p;
      this.lowWater[this.cur] = low;
      return;
    }
    for (let i = arity - 1; i >= 0; i--) {
      const p = h - arity + i;
      if (p >= vis) this.code.push(Op.local_set, this.carry(typeAt(p, base + i), base + i));
      else if (!stays(p, base + i)) throw new Error(`internal error: a branch value at ${p}, below the loaded stack, must move to ${base + i}`);
    }
    for (let p = h - arity - 1; p >= vis; p--) {
      if (p >= base) this.code.push(DROP);
      else this.code.push(Op.local_set, this.carry(typeAt(p, p), p));
    }
  }

  /**
   * The current block ends by control leaving: `n` values (the function's results) on
   * top of a stack that holds nothing else, or -1 when its code ends in a transfer itself.
   */
  private exit(b: number, n: number): void {
    if (n >= 0) {
      this.pop(n);
      // The results must be all the block holds: else leave by an explicit return.
      if (this.st.length > this.visible[b] && !this.measuring) this.code.push(Op.return);
    }
    this.codeEnd[b] = this.selEnd[b] = this.code.length;
    this.endKind[b] = End.Exit;
  }

  /** The current block ends in a jump to `to`, keeping the stack below `base` and moving `arity` values onto it. */
  private leave(b: number, to: number, base: number, arity: number): void {
    this.store(base, arity, to);
    this.codeEnd[b] = this.selEnd[b] = this.code.length;
    this.endKind[b] = End.Jump;
    this.succ[b] = [to];
  }

  /**
   * Edge code for a conditional branch to frame f (block `target`), whose stack the
   * branching block stored as it stands: the branch values move down to the target's
   * base over the values the branch drops. Null when they are in place already.
   */
  private relocation(f: Frame, target: number): number[] | null {
    if (this.measuring) return null;
    const a = f.labelTypes.length;
    const h = this.st.length;
    const base = f.kind === 'func' ? 0 : f.base;
    const entry = this.entry[target];
    const st = this.st;
    let same = h - a === base;
    for (let i = 0; i < a && same; i++) same = st[h - a + i] === entry[base + i];
    if (same) return null;
    const moves: number[] = [];
    for (let i = 0; i < a; i++) moves.push(this.carry(st[h - a + i], h - a + i), this.carry(entry[base + i], base + i));
    return moves;
  }

  /**
   * b ends in a switch on the i32 it computed last (`targets[v]` for v, else `def`),
   * storing its stack as it stands below that for all successors. `moves`: per target
   * slot (and the default, last), the relocation edge code, or `defMove` for a two-way branch.
   */
  private switchOnSelector(b: number, targets: number[], def: number, defMove: number[] | null = null, moves: (number[] | null)[] | null = null): void {
    const code = this.code;
    const st = this.st;
    const vis = this.visible[b];
    if (st.length <= vis) {
      // Nothing to store: the whole block computes the selector.
      this.codeEnd[b] = this.codeStart[b];
    } else {
      const s = this.selectorStart(b);
      if (s >= 0) {
        // Store the carried values before the code that computes the selector on top of them.
        const tail = this.tail;
        tail.reset();
        copyInstructions(code, s, code.length, tail);
        code.length = s;
        this.store(st.length, 0);
        this.codeEnd[b] = code.length;
        copyInstructions(tail, 0, tail.length, code);
      } else {
        if (this.selLocal < 0) this.selLocal = this.alloc(I32);
        code.push(Op.local_set, this.selLocal);
        this.store(st.length, 0);
        this.codeEnd[b] = code.length;
        code.push(Op.local_get, this.selLocal);
      }
    }
    if (this.codeEnd[b] === this.codeStart[b] && code.length === this.codeStart[b] && !this.measuring) {
      throw new Unsupported('empty selector');
    }
    this.selEnd[b] = code.length;
    this.endKind[b] = End.Switch;
    this.succ[b] = [...targets, def];
    this.edgeCode[b] = moves ?? [...targets.map(() => null), defMove];
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
      const [pops, results] = this.effect(ops[j], j * 4, imm);
      const pushes = typeof results === 'number' ? results : results.length;
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
    const move = (moves: number[] | null) =>
      moves === null ? undefined : (out: Body) => {
        for (let i = 0; i < moves.length; i += 2) out.push(Op.local_get, moves[i]), out.push(Op.local_set, moves[i + 1]);
      };
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
        const edges = this.edgeCode[b];
        const def = succ.length - 1;
        // Cases grouped by target (and edge code): a br_table's repeated labels become one case.
        const groups = new Map<string, number[]>();
        const keyOf = (v: number): string => `${succ[v]}:${edges[v]?.join() ?? ''}`;
        for (let v = 0; v < def; v++) {
          const key = keyOf(v);
          if (key === keyOf(def)) continue;
          const vs = groups.get(key);
          if (vs) vs.push(v);
          else groups.set(key, [v]);
        }
        for (const values of groups.values()) cfg.addCase(ids[b], ids[succ[values[0]]], { values, code: move(edges[values[0]]) });
        cfg.addCase(ids[b], ids[succ[def]], { code: move(edges[def]) });
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
    return this.stackCarries(result.body);
  }

  /**
   * Puts carried values back on the operand stack where the structured output allows it,
   * undoing what splitting the body into [] → [] blocks cost:
   *
   *  - `if … local.set c else … local.set c end local.get c` becomes `if (result t) … end`
   *    when no branch targets the if;
   *  - `block … local.set c; br 0 … local.set c end local.get c` becomes
   *    `block (result t) … end` when every way to its end stores c (no br_if or br_table
   *    targets it; an if/else ending it may store c in both arms);
   *  - `local.set c; R; local.get c`, where R is code that takes nothing from the stack,
   *    leaves nothing, and whose branches stay inside it, loses the set and the get: the
   *    value waits under R (R's constructs cannot see it).
   *
   * Both rely on what carries are: every path from a set of c reaches the one get that
   * reads it (the block loading it) before any other read, and after that get c is dead
   * until set again.
   */
  private stackCarries(body: Body): Body {
    const { ops, imm } = body;
    const n = body.length;
    const isCarry = new Uint8Array(this.nextLocal);
    for (const x of this.carries.values()) isCarry[x] = 1;
    // Structure: matching else/end of each construct, and the outermost frame its branches reach.
    const elseOf = new Int32Array(n).fill(-1);
    const endOf = new Int32Array(n).fill(-1);
    const reach = new Int32Array(n);
    const level = new Int32Array(n);
    const open: number[] = [];
    for (let i = 0; i < n; i++) {
      const op = ops[i];
      if (op === Op.block || op === Op.loop || op === Op.if) {
        reach[i] = level[i] = open.length;
        open.push(i);
      } else if (op === Op.else) elseOf[open[open.length - 1]] = i;
      else if (op === Op.end && open.length) {
        const c = open.pop()!;
        endOf[c] = i;
        if (open.length && reach[c] < reach[open[open.length - 1]]) reach[open[open.length - 1]] = reach[c];
      } else if (op === Op.br || op === Op.br_if || op === Op.br_table) {
        let deepest = imm[i * 4];
        if (op === Op.br_table) {
          const at = imm[i * 4], count = imm[i * 4 + 1];
          deepest = 0;
          for (let j = 0; j <= count; j++) deepest = Math.max(deepest, body.extra[at + j]);
        }
        // Frame index the branch targets (-1: the function).
        const target = open.length - 1 - deepest;
        if (open.length && target < reach[open[open.length - 1]]) reach[open[open.length - 1]] = target;
      }
    }
    const gone = new Uint8Array(n);
    const after = (i: number): number => {
      let j = i + 1;
      while (j < n && gone[j]) j++;
      return j;
    };
    const before = (i: number): number => {
      let j = i - 1;
      while (j >= 0 && gone[j]) j--;
      return j;
    };
    let changed = false;
    // Each rewrite can expose the other's pattern (a value waiting under an if sits
    // between the if's end and the load of its result): a few rounds.
    for (let round = 0, more = true; more && round < 4; round++) {
      more = false;
      // If results.
      for (let i = 0; i < n; i++) {
        if (gone[i] || ops[i] !== Op.if || imm[i * 4] !== -64 || elseOf[i] < 0) continue;
        const e = elseOf[i], end = endOf[i];
        const get = after(end), thenSet = before(e), elseSet = before(end);
        if (get >= n || ops[get] !== Op.local_get || ops[thenSet] !== Op.local_set || ops[elseSet] !== Op.local_set) continue;
        if (thenSet <= i || elseSet <= e) continue;
        const c = imm[get * 4];
        if (!isCarry[c] || imm[thenSet * 4] !== c || imm[elseSet * 4] !== c) continue;
        const t = this.localTypes[c];
        if (t === undefined || t > 0xff) continue;
        // Branches inside may leave it for outer frames, not target it: they would need the value.
        if (this.branchesTo(body, i, end)) continue;
        imm[i * 4] = t - 0x80;
        gone[thenSet] = gone[elseSet] = gone[get] = 1;
        more = true;
      }
      // Block results: every branch to the block stores c just before it, and so does its end
      // (or an if/else there, in both arms; or nothing, when the end is dead).
      for (let i = 0; i < n; i++) {
        if (gone[i] || ops[i] !== Op.block || imm[i * 4] !== -64) continue;
        const end = endOf[i];
        const get = after(end);
        if (get >= n || ops[get] !== Op.local_get) continue;
        const c = imm[get * 4];
        const t = this.localTypes[c];
        if (!isCarry[c] || t === undefined || t > 0xff) continue;
        const sets = this.blockResultSets(body, i, end, c, gone, before, elseOf, endOf);
        if (!sets) continue;
        imm[i * 4] = t - 0x80;
        for (const j of sets) {
          if (ops[j] === Op.if) imm[j * 4] = t - 0x80;
          else gone[j] = 1;
        }
        gone[get] = 1;
        more = true;
      }
      // Values waiting under closed code.
      const refs = new Map<number, number[]>();
      for (let i = 0; i < n; i++) {
        const op = ops[i];
        if ((op === Op.local_get || op === Op.local_set || op === Op.local_tee) && isCarry[imm[i * 4]] && !gone[i]) {
          const x = imm[i * 4];
          const list = refs.get(x);
          if (list) list.push(i);
          else refs.set(x, [i]);
        }
      }
      const nextRef = new Int32Array(n).fill(-1);
      for (const list of refs.values()) for (let k = 0; k + 1 < list.length; k++) nextRef[list[k]] = list[k + 1];
      for (let s = n - 1; s >= 0; s--) {
        if (ops[s] !== Op.local_set || gone[s] || !isCarry[imm[s * 4]]) continue;
        let g = nextRef[s];
        while (g >= 0 && gone[g]) g = nextRef[g];
        if (g < 0 || ops[g] !== Op.local_get) continue;
        if (!this.closedRegion(body, s + 1, g, gone, endOf, reach, level)) continue;
        gone[s] = gone[g] = 1;
        more = true;
      }
      if (more) changed = true;
    }
    if (!changed) return body;
    const out = new Body(n);
    out.locals = body.locals;
    let run = 0;
    for (let i = 0; i <= n; i++) {
      if (i === n || gone[i]) {
        copyInstructions(body, run, i, out);
        run = i + 1;
      }
    }
    return out;
  }

  /**
   * The `local.set c`s (and ifs to type) that feed the block at `i` its result through c,
   * or null if some path to its end does not: each `br` to it must follow a set of c, no
   * br_if or br_table may target it, and its end must follow a set of c, an if/else whose
   * arms both end in one, or a transfer (then the end is unreachable).
   */
  private blockResultSets(body: Body, i: number, end: number, c: number, gone: Uint8Array,
    before: (j: number) => number, elseOf: Int32Array, endOf: Int32Array): number[] | null {
    const { ops, imm } = body;
    const sets: number[] = [];
    const setOfC = (j: number): boolean => j > i && ops[j] === Op.local_set && imm[j * 4] === c;
    let depth = 0;
    for (let j = i + 1; j < end; j++) {
      if (gone[j]) continue;
      const op = ops[j];
      if (op === Op.block || op === Op.loop || op === Op.if) depth++;
      else if (op === Op.end) depth--;
      else if (op === Op.br) {
        if (imm[j * 4] !== depth) continue;
        const p = before(j);
        if (!setOfC(p)) return null;
        sets.push(p);
      } else if (op === Op.br_if) {
        if (imm[j * 4] === depth) return null;
      } else if (op === Op.br_table) {
        const at = imm[j * 4], count = imm[j * 4 + 1];
        for (let k = 0; k <= count; k++) if (body.extra[at + k] === depth) return null;
      }
    }
    const last = before(end);
    if (last <= i) return null;
    const op = ops[last];
    if (setOfC(last)) sets.push(last);
    else if (op === Op.end) {
      // An if/else that ends the block, both arms storing c.
      let k = last - 1;
      let nest = 0;
      for (; k > i; k--) {
        const o = ops[k];
        if (o === Op.end) nest++;
        else if (o === Op.block || o === Op.loop || o === Op.if) {
          if (nest === 0) break;
          nest--;
        }
      }
      if (k <= i || ops[k] !== Op.if || endOf[k] !== last || elseOf[k] < 0 || imm[k * 4] !== -64) return null;
      const thenSet = before(elseOf[k]), elseSet = before(last);
      if (!setOfC(thenSet) || thenSet <= k || !setOfC(elseSet) || elseSet <= elseOf[k] || this.branchesTo(body, k, last)) return null;
      sets.push(thenSet, elseSet, k);
    } else if (!(op === Op.br || op === Op.br_table || op === Op.return || op === Op.unreachable)) return null;
    return sets;
  }

  /** Whether a branch in the if at `i` (up to its `end`) targets the if itself. */
  private branchesTo(body: Body, i: number, end: number): boolean {
    const { ops, imm } = body;
    let depth = 0;
    for (let j = i + 1; j < end; j++) {
      const op = ops[j];
      if (op === Op.block || op === Op.loop || op === Op.if) depth++;
      else if (op === Op.end) depth--;
      else if (op === Op.br || op === Op.br_if) {
        if (imm[j * 4] === depth) return true;
      } else if (op === Op.br_table) {
        const at = imm[j * 4], count = imm[j * 4 + 1];
        for (let k = 0; k <= count; k++) if (body.extra[at + k] === depth) return true;
      }
    }
    return false;
  }

  /**
   * Whether [from, to) takes nothing from the stack, leaves nothing, and branches only
   * within itself: top-level simple instructions and whole constructs, in balance.
   */
  private closedRegion(body: Body, from: number, to: number, gone: Uint8Array, endOf: Int32Array, reach: Int32Array, level: Int32Array): boolean {
    const { ops, imm } = body;
    let h = 0;
    let steps = 0;
    for (let j = from; j < to; j++) {
      if (gone[j]) continue;
      if (++steps > 4096) return false;
      const op = ops[j];
      if (op === Op.block || op === Op.loop || op === Op.if) {
        if (reach[j] < level[j]) return false;
        const bt = imm[j * 4];
        if (bt >= 0) return false;
        if (op === Op.if) h--;
        if (h < 0) return false;
        if (bt !== -64) h++;
        j = endOf[j];
        if (j < 0 || j >= to) return false;
        continue;
      }
      // Control leaves or continues elsewhere: not code a value can wait under.
      if (op === Op.else || op === Op.end || op === Op.br || op === Op.br_if || op === Op.br_table || op === Op.return || op === Op.unreachable ||
        op === Op.return_call || op === Op.return_call_indirect || op === Op.return_call_ref || op === Op.throw || op === Op.throw_ref) return false;
      const [pops, results] = this.effect(op, j * 4, imm);
      h -= pops;
      if (h < 0) return false;
      h += typeof results === 'number' ? results : results.length;
    }
    return h === 0;
  }

}

function sameTypes(a: readonly ValType[], b: readonly ValType[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}
