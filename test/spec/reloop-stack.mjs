// Functions that keep values on the operand stack across control flow in every way wasm
// allows (br_if values, values held under an if or a block that is branched to, loop and
// if parameters, br_table values to different depths, returns over extra values, a
// branch value that is a subtype of its label's type), relooped and run next to the
// originals in this process's V8 (meant for Node 26: one uses GC types). Prints one JSON
// line: the reloop stats, the validator's errors and the calls whose results differ.
import { parseModule } from '../../dist/src/text/parser.js';
import { writeModule, readModule, reloopModule, validate } from '../../dist/src/index.js';
const wat = `(module
  (type $s (struct (field i32)))
  (func (export "brif_value") (param i32 i32) (result i32)
    (block (result i32) (local.get 0) (local.get 1) (br_if 0) (drop) (i32.const 7)))
  (func (export "held_under_if") (param i32 i32) (result i32)
    (local.get 0) (local.get 1) (if (result i32) (then (i32.const 10)) (else (i32.const 20))) (i32.add))
  (func (export "loop_params") (param i32) (result i32)
    (i32.const 0) (local.get 0)
    (loop (param i32 i32) (result i32)
      (local.set 0) (local.get 0) (i32.add)
      (local.get 0) (i32.const 1) (i32.sub) (local.tee 0)
      (local.get 0) (i32.const 0) (i32.gt_s) (br_if 0)
      (drop)))
  (func (export "if_params") (param i32 i32) (result i32)
    (local.get 0) (local.get 1) (if (param i32) (result i32) (then (i32.const 3) (i32.mul)) (else (i32.const 5) (i32.add))))
  (func (export "br_table_values") (param i32) (result i32)
    (i32.const 100)
    (block (result i32) (block (result i32) (block (result i32)
      (i32.const 1) (i32.const 2) (local.get 0) (br_table 0 1 2 1)) (i32.const 10) (i32.add)) (i32.const 20) (i32.add)) (i32.add))
  (func (export "return_extra") (param i32) (result i32)
    (i32.const 9) (i32.const 8) (local.get 0) (if (then (i32.const 1) (return))) (i32.add))
  (func (export "held_across_block") (param i32) (result i32)
    (i32.const 1000) (block (result i32) (i32.const 5) (local.get 0) (br_if 0) (drop) (i32.const 6)) (i32.add))
  (func (export "subtype_branch") (param i32) (result i32)
    (local $r (ref null $s))
    (local.set $r (struct.new $s (local.get 0)))
    (block (result anyref) (local.get $r) (local.get 0) (br_if 0) (drop) (ref.null any))
    (ref.is_null))
  (func (export "br_if_return") (param i32) (result i32)
    (i32.const 4) (local.get 0) (br_if 0) (drop) (i32.const 5))
)`;
const m = parseModule(wat);
const bytes = writeModule(m);
const m2 = readModule(bytes);
const stats = reloopModule(m2);
const out = writeModule(m2);
const report = { functions: stats.functions, relooped: stats.relooped, invalid: validate(readModule(out)).map((e) => e.message), calls: 0, differences: [] };
const a = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
const b = new WebAssembly.Instance(new WebAssembly.Module(out)).exports;
for (const name of Object.keys(a)) for (const args of [[0, 0], [1, 0], [0, 1], [2, 3], [3, 1], [5, 5]]) {
  const x = a[name](...args), y = b[name](...args);
  report.calls++;
  if (x !== y) report.differences.push(`${name}(${args}): original ${x}, relooped ${y}`);
}
console.log(JSON.stringify(report));
