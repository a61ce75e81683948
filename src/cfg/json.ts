/**
 * The JSON front end (`weft structurize`): a control-flow graph as data, rendered into a
 * module whose trace of `print` calls shows the path control takes.
 *
 *   {"entry": 0, "blocks": [{"id": 0, "next": [{"to": 1, "on": [0, 2]}, {"to": 2}]}, ...]}
 *
 * The module imports `env.print (param i32)` and `env.check (result i32)` and exports
 * `run` (no params, no results). Entering a block calls print(id). A block with an empty
 * (or no) `next` returns; a single branch without `on` jumps. Otherwise `v = check()` is
 * called once and control takes the first branch whose `on` lists v, else the one branch
 * without `on` (the default), else traps (`unreachable`).
 */
import { Op } from '../ir/opcodes.js';
import { emptyModule, ExternKind, type Module } from '../ir/module.js';
import { I32, type ValType } from '../ir/types.js';
import { Cfg, type BlockId } from './cfg.js';
import type { RenderOptions, RenderResult } from './structurize.js';

export interface BranchJson {
  to: number;
  on?: number[];
}

export interface BlockJson {
  id: number;
  next?: BranchJson[];
}

export interface CfgJson {
  entry: number;
  blocks: BlockJson[];
}

/** A malformed graph description; the message names the block. */
export class CfgJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CfgJsonError';
  }
}

const PRINT = 0, CHECK = 1;

const isI32 = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= -0x80000000 && (v as number) <= 0x7fffffff;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and checks a description: ids are unique i32s, targets exist, at most one default per block. */
export function parseCfgJson(text: string): CfgJson {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CfgJsonError(`invalid JSON: ${(e as Error).message}`);
  }
  if (!isObject(json)) throw new CfgJsonError('expected an object with "entry" and "blocks"');
  if (!Array.isArray(json.blocks)) throw new CfgJsonError('"blocks" must be an array');
  const blocks = json.blocks as unknown[];
  const where = new Map<number, number>();
  blocks.forEach((b, i) => {
    if (!isObject(b)) throw new CfgJsonError(`blocks[${i}]: expected an object`);
    if (b.id === undefined) throw new CfgJsonError(`blocks[${i}]: missing id`);
    if (!isI32(b.id)) throw new CfgJsonError(`blocks[${i}]: id ${JSON.stringify(b.id)} is not an i32`);
    const earlier = where.get(b.id);
    if (earlier !== undefined) throw new CfgJsonError(`block ${b.id}: duplicate id (blocks[${earlier}] and blocks[${i}])`);
    where.set(b.id, i);
  });
  for (const b of blocks as Record<string, unknown>[]) {
    const id = b.id as number;
    if (b.next === undefined) continue;
    if (!Array.isArray(b.next)) throw new CfgJsonError(`block ${id}: "next" must be an array`);
    let def = -1;
    b.next.forEach((br: unknown, k: number) => {
      if (!isObject(br)) throw new CfgJsonError(`block ${id}: next[${k}]: expected an object`);
      if (!isI32(br.to)) throw new CfgJsonError(`block ${id}: next[${k}]: "to" must be a block id`);
      if (!where.has(br.to)) throw new CfgJsonError(`block ${id}: next[${k}]: unknown target ${br.to}`);
      if (br.on === undefined) {
        if (def >= 0) throw new CfgJsonError(`block ${id}: two defaults (next[${def}] and next[${k}])`);
        def = k;
      } else if (!Array.isArray(br.on) || !br.on.every(isI32)) {
        throw new CfgJsonError(`block ${id}: next[${k}]: "on" must be an array of i32 values`);
      }
    });
  }
  if (!isI32(json.entry)) throw new CfgJsonError('"entry" must be a block id');
  if (!where.has(json.entry)) throw new CfgJsonError(`entry: unknown block ${json.entry}`);
  return json as unknown as CfgJson;
}

/** The description as a Cfg: block code calls print(id); switches call check(). */
export function cfgFromJson(json: CfgJson): { cfg: Cfg; entry: BlockId } {
  const cfg = new Cfg();
  const blockOf = new Map<number, BlockId>();
  for (const b of json.blocks) {
    const next = b.next ?? [];
    const code = (out: { push(op: number, a?: number): number }): void => {
      out.push(Op.i32_const, b.id);
      out.push(Op.call, PRINT);
    };
    const jumps = next.length === 0 || (next.length === 1 && next[0].on === undefined);
    blockOf.set(b.id, jumps ? cfg.addBlock(code) : cfg.addSwitchBlock((out) => out.push(Op.call, CHECK), code));
  }
  const taken = new Set<number>();
  for (const b of json.blocks) {
    const from = blockOf.get(b.id)!;
    const next = b.next ?? [];
    if (next.length === 1 && next[0].on === undefined) {
      cfg.addBranch(from, blockOf.get(next[0].to)!);
      continue;
    }
    taken.clear();
    for (const br of next) {
      const to = blockOf.get(br.to)!;
      if (br.on === undefined) {
        cfg.addCase(from, to);
        continue;
      }
      // The first branch listing a value takes it.
      const values = br.on.filter((v) => !taken.has(v) && (taken.add(v), true));
      if (values.length) cfg.addCase(from, to, { values });
    }
  }
  return { cfg, entry: blockOf.get(json.entry)! };
}

const funcType = (params: ValType[], results: ValType[]) =>
  ({ final: true, supers: [], comp: { kind: 'func' as const, params, results }, explicit: false });

/** The module for a description: imports env.print and env.check, exports run. */
export function moduleFromJson(json: CfgJson, options: RenderOptions = {}): { module: Module; result: RenderResult } {
  const { cfg, entry } = cfgFromJson(json);
  const result = cfg.render(entry, { ...options, params: 0 });
  result.body.push(Op.end);
  const m = emptyModule();
  m.types.push(funcType([I32], []), funcType([], [I32]), funcType([], []));
  m.recGroups.push({ start: 0, count: 1, explicit: false }, { start: 1, count: 1, explicit: false }, { start: 2, count: 1, explicit: false });
  m.imports.push(
    { module: 'env', name: 'print', kind: ExternKind.Func, type: 0 },
    { module: 'env', name: 'check', kind: ExternKind.Func, type: 1 },
  );
  m.funcs.push({ type: 2, body: result.body, raw: null, offset: 0 });
  m.exports.push({ name: 'run', kind: ExternKind.Func, index: 2 });
  return { module: m, result };
}
