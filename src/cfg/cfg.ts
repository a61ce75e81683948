/**
 * The control-flow graph builder: weft's counterpart of Binaryen's Relooper API.
 *
 * Blocks hold weft IR; edges carry an i32 condition (or switch values) and optional code.
 * `render` turns the graph, from an entry block, into structured WebAssembly
 * (see structurize.ts for the algorithm and irreducible.ts for irreducible graphs).
 *
 * ## Contract
 *
 * Code. Every piece of code (a block's body, a condition, a switch selector, an edge's
 * code) is a fragment (fragment.ts: balanced structure, branches only to labels it
 * opens), given either as a Body whose instructions [0, length) are taken (its locals
 * are ignored) or as a callback that appends instructions to the Body it is handed.
 * Either way it is captured once, when added: a callback runs exactly once, at that
 * moment, and the output may contain its instructions several times (node splitting).
 * Block code and edge code have type [] → []; conditions and selectors [] → [i32].
 *
 * Blocks and branches. A block ends in one of:
 *  - nothing: a block without branches leaves the rendered code (`exit` option: by
 *    `return`, or by falling off the end where it comes last; with `results`, its code
 *    may leave the function's results on the stack). If its code ends in a transfer of
 *    its own (return, unreachable, throw, a tail call), nothing is added after it;
 *  - conditional branches (`addBranch` with a condition) plus at most one default
 *    (`addBranch` without one). Control takes a branch whose condition is nonzero, else
 *    the default. **Conditions may be evaluated in any order, and not at all**: they
 *    must be free of side effects and at most one may hold at a time;
 *  - a switch (`addSwitchBlock`): the selector is evaluated exactly once, after the
 *    block's code; control takes the case listing its value, else the default case.
 *    A value may appear in one case only.
 *  A block whose conditions all fail (or whose switch value matches no case) and that
 *  has no default traps (`unreachable`). An edge's code runs after the block's code and
 *  its condition or selector, before control reaches the target. Several branches may
 *  share a target.
 *
 * Helper locals. The output needs none unless the graph demands one, and then at most two
 * i32 locals, each allocated once (by `RenderOptions.allocLocal`, or declared in the output
 * body): the dispatch label, only when an irreducible loop is beyond the node-splitting
 * budget (irreducible.ts), and a switch scratch, only for a switch whose values are too
 * sparse for a br_table. Their values are dead outside the rendered code.
 */
import { Body } from '../ir/body.js';
import { grown } from './arrays.js';
import { copyInstructions, fragmentError } from './fragment.js';
import { structurize, type RenderOptions, type RenderResult } from './structurize.js';

/** A code fragment: instructions in a Body, or a callback that appends them. */
export type Code = Body | ((out: Body) => void);

export type BlockId = number;

/** A misuse of the builder (unknown block, two defaults, ...). `block` is the block concerned, or -1. */
export class CfgError extends Error {
  constructor(message: string, readonly block: BlockId = -1) {
    super(message);
    this.name = 'CfgError';
  }
}

export interface BranchOptions {
  /** Taken when this leaves a nonzero i32; omitted: the default branch. */
  condition?: Code;
  /** Runs on the edge. */
  code?: Code;
}

export interface CaseOptions {
  /** Selector values that take this case; omitted: the default case. */
  values?: readonly number[];
  /** Runs on the edge. */
  code?: Code;
}

/** An outgoing edge, as `Cfg.edges` describes it. Fragment ids: see `Cfg.fragmentStart`; -1 means none. */
export interface Edge {
  readonly to: BlockId;
  /** Condition fragment of a conditional branch; -1 for a default or a switch case. */
  readonly condition: number;
  /** Values of a switch case; null for a default or a branch. */
  readonly values: readonly number[] | null;
  readonly code: number;
}

/**
 * The graph, kept in flat arrays (a 100,000-block graph is a few typed arrays, not
 * 100,000 objects): per block its code and selector fragments and a linked list of
 * edges in insertion order; per edge its target, condition, code and values.
 */
export class Cfg {
  /** Every fragment's instructions, back to back. */
  readonly arena = new Body(256);
  private fragStarts = new Int32Array(64);
  private fragEnds = new Int32Array(64);
  private fragCount = 0;
  private blockCount = 0;
  private codes = new Int32Array(64);
  private selectors = new Int32Array(64);
  private hasDefault = new Uint8Array(64);
  private firstEdges = new Int32Array(64);
  private lastEdges = new Int32Array(64);
  private edgeCount = 0;
  private targets = new Int32Array(64);
  private conditions = new Int32Array(64);
  private edgeCodes = new Int32Array(64);
  private nextEdges = new Int32Array(64);
  /** Values of edge e: pool[valueStarts[e] .. valueStarts[e] + valueCounts[e]]; count -1: not a case with values. */
  private valueStarts = new Int32Array(64);
  private valueCounts = new Int32Array(64);
  private pool = new Int32Array(64);
  private poolLength = 0;

  /** Number of blocks. */
  get size(): number {
    return this.blockCount;
  }

  /** Adds a block ending in branches (or in nothing: see the contract). */
  addBlock(code?: Code): BlockId {
    return this.newBlock(code, -1);
  }

  /** Adds a block ending in a switch on `selector`'s i32. */
  addSwitchBlock(selector: Code, code?: Code): BlockId {
    return this.newBlock(code, this.fragment(selector, 'selector'));
  }

  /** Adds a branch from a non-switch block: conditional, or the default. */
  addBranch(from: BlockId, to: BlockId, options: BranchOptions = {}): void {
    this.checkBlock(from, 'branch source');
    this.checkBlock(to, 'branch target');
    if (this.selectors[from] >= 0) throw new CfgError(`block ${from} ends in a switch: add cases, not branches`, from);
    const condition = options.condition === undefined ? -1 : this.fragment(options.condition, 'condition');
    if (condition < 0) this.claimDefault(from);
    this.pushEdge(from, to, condition, this.optional(options.code), null);
  }

  /** Adds a case to a switch block: for `values`, or the default case. */
  addCase(from: BlockId, to: BlockId, options: CaseOptions = {}): void {
    this.checkBlock(from, 'case source');
    this.checkBlock(to, 'case target');
    if (this.selectors[from] < 0) throw new CfgError(`block ${from} does not end in a switch: add branches, not cases`, from);
    const values = options.values ?? null;
    if (values) {
      for (const v of values) {
        if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) throw new CfgError(`block ${from}: case value ${v} is not an i32`, from);
      }
    } else this.claimDefault(from);
    this.pushEdge(from, to, -1, this.optional(options.code), values);
  }

  /**
   * Renders structured code for the blocks reachable from `entry` (see structurize.ts).
   * The graph is left as it was, so it can be rendered again.
   */
  render(entry: BlockId, options: RenderOptions = {}): RenderResult {
    this.checkBlock(entry, 'entry');
    return structurize(this, entry, options);
  }

  /** The block's code fragment, or -1. */
  code(block: BlockId): number {
    return this.codes[block];
  }

  /** The block's switch selector fragment, or -1 for a block ending in branches. */
  selector(block: BlockId): number {
    return this.selectors[block];
  }

  /** The block's edges, in the order they were added. */
  edges(block: BlockId): Edge[] {
    const out: Edge[] = [];
    for (let e = this.firstEdge(block); e >= 0; e = this.nextEdge(e)) {
      out.push({ to: this.edgeTarget(e), condition: this.edgeCondition(e), values: this.edgeValues(e), code: this.edgeCode(e) });
    }
    return out;
  }

  /** First edge of a block (-1: none); edges are numbered across the graph. */
  firstEdge(block: BlockId): number {
    return this.firstEdges[block];
  }

  nextEdge(edge: number): number {
    return this.nextEdges[edge];
  }

  edgeTarget(edge: number): BlockId {
    return this.targets[edge];
  }

  edgeCondition(edge: number): number {
    return this.conditions[edge];
  }

  edgeCode(edge: number): number {
    return this.edgeCodes[edge];
  }

  /** Whether the edge is its block's default (branch or case). */
  edgeIsDefault(edge: number): boolean {
    return this.conditions[edge] < 0 && this.valueCounts[edge] < 0;
  }

  /** A switch case's values (a fresh array), or null for a default or a branch. */
  edgeValues(edge: number): number[] | null {
    const n = this.valueCounts[edge];
    if (n < 0) return null;
    const start = this.valueStarts[edge];
    return Array.from(this.pool.subarray(start, start + n));
  }

  fragmentStart(id: number): number {
    return this.fragStarts[id];
  }

  fragmentEnd(id: number): number {
    return this.fragEnds[id];
  }

  private newBlock(code: Code | undefined, selector: number): BlockId {
    const fragment = this.optional(code);
    const id = this.blockCount++;
    if (id === this.codes.length) {
      const n = id + 1;
      this.codes = grown(this.codes, n);
      this.selectors = grown(this.selectors, n);
      this.firstEdges = grown(this.firstEdges, n);
      this.lastEdges = grown(this.lastEdges, n);
      const d = new Uint8Array(this.codes.length);
      d.set(this.hasDefault);
      this.hasDefault = d;
    }
    this.codes[id] = fragment;
    this.selectors[id] = selector;
    this.firstEdges[id] = -1;
    this.lastEdges[id] = -1;
    return id;
  }

  private pushEdge(from: BlockId, to: BlockId, condition: number, code: number, values: readonly number[] | null): void {
    const e = this.edgeCount++;
    if (e === this.targets.length) {
      const n = e + 1;
      this.targets = grown(this.targets, n);
      this.conditions = grown(this.conditions, n);
      this.edgeCodes = grown(this.edgeCodes, n);
      this.nextEdges = grown(this.nextEdges, n);
      this.valueStarts = grown(this.valueStarts, n);
      this.valueCounts = grown(this.valueCounts, n);
    }
    this.targets[e] = to;
    this.conditions[e] = condition;
    this.edgeCodes[e] = code;
    this.nextEdges[e] = -1;
    this.valueCounts[e] = values ? values.length : -1;
    if (values) {
      this.pool = grown(this.pool, this.poolLength + values.length);
      this.valueStarts[e] = this.poolLength;
      for (const v of values) this.pool[this.poolLength++] = v | 0;
    }
    if (this.lastEdges[from] < 0) this.firstEdges[from] = e;
    else this.nextEdges[this.lastEdges[from]] = e;
    this.lastEdges[from] = e;
  }

  private claimDefault(block: BlockId): void {
    if (this.hasDefault[block]) throw new CfgError(`block ${block} has two defaults`, block);
    this.hasDefault[block] = 1;
  }

  private checkBlock(id: BlockId, what: string): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.blockCount) throw new CfgError(`${what}: no block ${id}`);
  }

  private optional(code: Code | undefined): number {
    return code === undefined ? -1 : this.fragment(code, 'code');
  }

  /** Captures a fragment into the arena; empty code becomes -1. */
  private fragment(code: Code, what: string): number {
    const arena = this.arena;
    const start = arena.length;
    const extraStart = arena.extraLength;
    if (typeof code === 'function') code(arena);
    else copyInstructions(code, 0, code.length, arena);
    if (arena.length === start && what === 'code') return -1;
    const error = fragmentError(arena, start, arena.length);
    if (error) {
      arena.length = start;
      arena.extraLength = extraStart;
      throw new CfgError(`${what} is not a self-contained fragment: ${error}`);
    }
    const id = this.fragCount++;
    this.fragStarts = grown(this.fragStarts, id + 1);
    this.fragEnds = grown(this.fragEnds, id + 1);
    this.fragStarts[id] = start;
    this.fragEnds[id] = arena.length;
    return id;
  }
}
