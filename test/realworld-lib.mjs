// The real-world programs behind the corpus modules, driven the same way for every
// test that transforms them (weft convert, weft reloop): sql.js answering SQL, esbuild
// transforming and bundling code. Each check runs the original and the transformed
// module side by side and asserts identical results, after checking that the original
// gives known answers (so the comparison means something).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, cpSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpusFile, packageDir } from '../scripts/corpus.mjs';

const require = createRequire(import.meta.url);

/** Corpus path for `name`, or null after marking the test skipped with the reason. */
export function corpusOrSkip(t, name) {
  try {
    return corpusFile(name);
  } catch (err) {
    t.skip(`corpus module ${name} unavailable (${String(err?.message ?? err).split('\n')[0]}); run \`npm run corpus\``);
    return null;
  }
}

// ---------------------------------------------------------------------------
// Suspending a real program at every import call

/**
 * Instantiates an asyncified `mod` with `imports` so that, once armed, every call of a
 * function import that returns normally is followed by a full unwind of the wasm stack
 * into a buffer (Binaryen's Asyncify ABI); the export JS called then rewinds it at once,
 * and the import returns what it returned. It is synchronous, so a program's own JS glue
 * drives it unchanged, and each suspension runs the save and restore paths of every frame
 * on the stack. Imports that call back into wasm (Emscripten's invoke_*) nest: a
 * rewinding call passes through every import but the one that suspended.
 * Returns `{ exports }` for the glue, `arm(ptr, bytes)` to give it the buffer (from the
 * program's own allocator, so before arming nothing suspends) and the counts in `stats`.
 */
export function suspendingInstance(mod, imports) {
  const stats = { suspensions: 0, deepest: 0 };
  let x = null;
  let data = -1; // unarmed
  let depth = 0; // import calls in progress
  let suspendedAt = 0; // the depth of the one that suspended
  let result;
  for (const { module, name, kind } of WebAssembly.Module.imports(mod)) {
    if (kind !== 'function') continue;
    const real = imports[module][name];
    imports[module][name] = (...args) => {
      depth++;
      try {
        if (data >= 0 && x.asyncify_get_state() === 2 && depth === suspendedAt) {
          x.asyncify_stop_rewind();
          return result;
        }
        const r = real(...args);
        if (data >= 0 && x.asyncify_get_state() === 0) {
          result = r;
          suspendedAt = depth;
          stats.suspensions++;
          x.asyncify_start_unwind(data);
        }
        return r;
      } finally {
        depth--;
      }
    };
  }
  const instance = new WebAssembly.Instance(mod, imports);
  x = instance.exports;
  const isMemory = (v) => v instanceof WebAssembly.Memory;
  // The buffer's memory: asyncify's own (--in-secondary-memory), else the program's.
  const memory = x.asyncify_memory ?? Object.values(x).find(isMemory) ?? Object.values(imports).flatMap((ns) => Object.values(ns)).find(isMemory);
  const exports = {};
  for (const [k, v] of Object.entries(x)) {
    exports[k] = typeof v !== 'function' ? v : (...args) => {
      let r = v(...args);
      while (x.asyncify_get_state() === 1) {
        const seen = stats.suspensions;
        x.asyncify_stop_unwind();
        stats.deepest = Math.max(stats.deepest, new DataView(memory.buffer).getUint32(data, true) - data - 8);
        x.asyncify_start_rewind(data);
        r = v(...args);
        // Each unwind after the first must come from a new suspension, so a broken rewind cannot loop.
        assert.notEqual(x.asyncify_get_state(), 2, `export ${k}: the rewind never reached the import that suspended`);
        if (x.asyncify_get_state() === 1) assert.ok(stats.suspensions > seen, `export ${k}: unwinding again with no new suspension`);
      }
      return r;
    };
  }
  const arm = (ptr, bytes) => {
    const view = new DataView(memory.buffer);
    view.setUint32(ptr, ptr + 8, true);
    view.setUint32(ptr + 4, ptr + bytes, true);
    data = ptr;
  };
  return { exports, arm, stats };
}

/**
 * Emscripten's `instantiateWasm` hook for `wasmBytes`, suspending at every import call when
 * `suspending` is given (it then receives the stats); `armWith(malloc)` hands the
 * instance a 1 MiB buffer from the program's own allocator once it is up.
 */
function emscriptenInstantiation(wasmBytes, suspending) {
  let s = null;
  return {
    instantiateWasm(imports, receive) {
      const mod = new WebAssembly.Module(wasmBytes);
      s = suspending ? suspendingInstance(mod, imports) : { exports: new WebAssembly.Instance(mod, imports).exports };
      receive(s, mod);
      return s.exports;
    },
    armWith(malloc) {
      if (!suspending) return;
      s.arm(malloc(1 << 20), 1 << 20);
      suspending.stats = s.stats;
    },
  };
}

/** The runs of a transformed module a check makes: plain, and with `alsoSuspending` suspending (an object for the stats). */
const variants = (alsoSuspending) => (alsoSuspending ? [null, {}] : [null]);

/** Reports a suspending run's counts; it must have suspended with frames on the stack. */
function checkSuspended(t, name, stats) {
  assert.ok(stats.suspensions > 0 && stats.deepest > 0, `${name}: never suspended with frames saved (${JSON.stringify(stats)})`);
  t.diagnostic(`${name}: ${stats.suspensions} suspensions, each unwound and rewound at once; deepest saved stack ${stats.deepest} B`);
}

// ---------------------------------------------------------------------------
// sql.js

const SQL_STEPS = [
  // Schema, constraints, triggers, views.
  `PRAGMA foreign_keys = ON`,
  `CREATE TABLE dept(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, budget REAL CHECK (budget >= 0))`,
  `CREATE TABLE emp(
     id INTEGER PRIMARY KEY, name TEXT NOT NULL, dept_id INTEGER REFERENCES dept(id),
     salary INTEGER, hired TEXT, manager_id INTEGER REFERENCES emp(id), notes TEXT)`,
  `CREATE TABLE audit(id INTEGER PRIMARY KEY AUTOINCREMENT, what TEXT)`,
  `CREATE TRIGGER emp_ins AFTER INSERT ON emp BEGIN INSERT INTO audit(what) VALUES ('hired ' || NEW.name); END`,
  `CREATE TRIGGER emp_guard BEFORE UPDATE OF salary ON emp WHEN NEW.salary < 0
     BEGIN SELECT RAISE(ABORT, 'salary must not be negative'); END`,
  `INSERT INTO dept(name, budget) VALUES ('Engineering', 1.5e6), ('Sales', 400000), ('Support', 125000.5), ('Empty', 0)`,
  `INSERT INTO emp(name, dept_id, salary, hired, manager_id, notes) VALUES
     ('Ada', 1, 185000, '2015-03-01', NULL, 'founder'),
     ('Grace', 1, 172000, '2016-07-15', 1, NULL),
     ('Linus', 1, 150500, '2019-01-02', 2, 'naïve café ☕'),
     ('Barbara', 2, 99000, '2018-11-30', 1, '日本語のメモ'),
     ('Edsger', 2, 87000, '2021-05-05', 4, 'go to considered harmful'),
     ('Margaret', 3, 64000, '2022-09-09', 1, NULL),
     ('Ken', 3, 64000, '2023-02-14', 6, '😀 emoji')`,
  `CREATE VIEW payroll AS SELECT d.name AS dept, e.name, e.salary FROM emp e JOIN dept d ON d.id = e.dept_id`,
  // Joins, grouping, subqueries.
  `SELECT d.name, count(e.id), sum(e.salary), avg(e.salary), max(e.hired), min(e.name)
     FROM dept d LEFT JOIN emp e ON e.dept_id = d.id GROUP BY d.id ORDER BY d.name`,
  `SELECT e.name, m.name AS manager, coalesce(m2.name, '-') AS grand_manager
     FROM emp e LEFT JOIN emp m ON m.id = e.manager_id LEFT JOIN emp m2 ON m2.id = m.manager_id ORDER BY e.id`,
  `SELECT dept, group_concat(name, '|') FROM (SELECT * FROM payroll ORDER BY name) GROUP BY dept HAVING count(*) > 1 ORDER BY 1`,
  `SELECT name FROM emp WHERE salary > (SELECT avg(salary) FROM emp) AND EXISTS (SELECT 1 FROM dept WHERE id = emp.dept_id AND budget > 1e5) ORDER BY name`,
  `SELECT name, salary, rank() OVER w, dense_rank() OVER w, row_number() OVER w,
          sum(salary) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING),
          lag(name, 1, '<none>') OVER (ORDER BY id), ntile(3) OVER (ORDER BY salary)
     FROM emp WINDOW w AS (PARTITION BY dept_id ORDER BY salary DESC) ORDER BY id`,
  `SELECT * FROM audit ORDER BY id`,
  // Bulk data through a recursive CTE, indexes, sorting.
  `CREATE TABLE nums(n INTEGER PRIMARY KEY, sq INTEGER, txt TEXT, r REAL, b BLOB)`,
  `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000)
     INSERT INTO nums SELECT x, x * x, printf('row-%05d', x), x / 7.0, zeroblob(x % 5) FROM c`,
  `CREATE INDEX nums_txt ON nums(txt DESC)`,
  `CREATE INDEX nums_mod ON nums(sq % 1000, r)`,
  `SELECT count(*), sum(sq), total(r), avg(n), min(txt), max(txt), count(DISTINCT n % 97), sum(length(b)) FROM nums`,
  `SELECT txt, sq % 1000 FROM nums ORDER BY sq % 1000, txt DESC LIMIT 12 OFFSET 5`,
  `SELECT n % 13 AS k, count(*), sum(n), group_concat(n, ',') FILTER (WHERE n < 100) FROM nums GROUP BY k ORDER BY k`,
  `SELECT a.n, b.n FROM nums a JOIN nums b ON b.sq = a.n WHERE a.n BETWEEN 100 AND 400 ORDER BY a.n`,
  `ANALYZE`,
  `EXPLAIN QUERY PLAN SELECT * FROM nums WHERE txt > 'row-19990' ORDER BY txt DESC`,
  `SELECT txt FROM nums WHERE txt > 'row-19990' ORDER BY txt DESC`,
  // Recursive CTEs.
  `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100) SELECT sum(x) FROM c`,
  `WITH RECURSIVE fib(i, a, b) AS (SELECT 1, 0, 1 UNION ALL SELECT i + 1, b, a + b FROM fib WHERE i < 70)
     SELECT group_concat(a, ' ') FROM fib`,
  `WITH RECURSIVE chain(id, name, depth, path) AS (
     SELECT id, name, 0, name FROM emp WHERE manager_id IS NULL
     UNION ALL SELECT e.id, e.name, depth + 1, path || ' > ' || e.name FROM emp e JOIN chain ON e.manager_id = chain.id)
     SELECT depth, path FROM chain ORDER BY path`,
  // The Mandelbrot example from the SQLite documentation: lots of float arithmetic.
  `WITH RECURSIVE
     xaxis(x) AS (VALUES(-2.0) UNION ALL SELECT x + 0.05 FROM xaxis WHERE x < 1.2),
     yaxis(y) AS (VALUES(-1.0) UNION ALL SELECT y + 0.1 FROM yaxis WHERE y < 1.0),
     m(iter, cx, cy, x, y) AS (
       SELECT 0, x, y, 0.0, 0.0 FROM xaxis, yaxis
       UNION ALL
       SELECT iter + 1, cx, cy, x * x - y * y + cx, 2.0 * x * y + cy FROM m WHERE (x * x + y * y) < 4.0 AND iter < 28),
     m2(iter, cx, cy) AS (SELECT max(iter), cx, cy FROM m GROUP BY cx, cy),
     a(t) AS (SELECT group_concat(substr(' .+*#', 1 + min(iter / 7, 4), 1), '') FROM m2 GROUP BY cy)
     SELECT group_concat(rtrim(t), char(10)) FROM a`,
  // Strings, printf, numbers.
  `SELECT upper(notes), lower(name), length(notes), octet_length(notes), hex(notes), unicode(notes),
          substr(notes, 2, 4), instr(notes, 'é'), replace(notes, ' ', '_'), quote(notes), trim('  x  '),
          ltrim('xxay', 'x'), rtrim('ayyy', 'y'), name LIKE 'g%', name GLOB 'G*', char(72, 105, 0x1F600)
     FROM emp ORDER BY id`,
  `SELECT printf('%08.3f|%-5s|%x|%,d', 3.14159, 'ab', 255, 1234567)`,
  `SELECT printf('%e|%g|%.10g|%!.20g|%q|%Q|%w|%c|%.3s|%+d|%o|%5.1f%%|%X|%s', 12345.6789, 1e-5, 2.0 / 3,
          0.1, 'it''s', NULL, 'a"b', 'xyz', 'abcdef', 42, 8, 99.95, 48879, zeroblob(0))`,
  `SELECT 0.1 + 0.2, 1e308 * 10, -1e308 * 10, -0.0, 1 / 3.0, round(2.5), round(-2.5), round(1234.5678, 2),
          cast('12abc' AS INTEGER), cast(3.99 AS INTEGER), cast(-3.99 AS INTEGER), 9223372036854775807 + 1,
          1 / 0, 5 % 0, 7 / 2, -7 / 2, -7 % 3, 1 << 62, ~5, 6 & 3, 6 | 3, abs(-42), sign(-3.5),
          typeof(1), typeof(1.0), typeof('1'), typeof(x'01'), typeof(NULL), 1e100, 4.9e-324, 123456789012345678`,
  `SELECT sqrt(2), power(2, 0.5), exp(1), ln(10), log10(1000), log(2, 1024), sin(1), atan2(1, 2), floor(-1.5),
          ceil(-1.5), trunc(2.7), mod(10, 3), pi(), degrees(pi()), radians(180)`,
  `SELECT hex(zeroblob(4)), x'DEADBEEF', length(x'00ff00'), hex(cast('héllo' AS BLOB)), cast(x'68656c6c6f' AS TEXT)`,
  // Dates with fixed inputs.
  `SELECT date('2024-02-28', '+1 day'), date('2023-02-28', '+1 day'), strftime('%Y-%j %W %w %H:%M:%f', '2023-12-31 23:59:59.123'),
          julianday('2000-01-01'), datetime(0, 'unixepoch'), unixepoch('2038-01-19 03:14:08'),
          date('2024-01-31', '+1 month'), datetime('2024-03-10 12:00', 'start of month', '-1 second'),
          timediff('2024-03-01', '2023-02-28')`,
  // JSON.
  `SELECT json_object('a', 1, 'b', json_array(1, 2.5, 'x', NULL), 'c', json('{"d":true}')),
          json_extract('{"a":[1,2,3]}', '$.a[1]'), '{"k":{"v":[10,20]}}' -> '$.k.v', '{"k":{"v":[10,20]}}' ->> '$.k.v[1]',
          json_valid('{"bad'), json_patch('{"a":1,"b":2}', '{"b":null,"c":3}'), json_type('[1,{}]', '$[1]'),
          json_insert('[1,2]', '$[#]', 99), json_remove('{"a":1,"b":2}', '$.a'), json(jsonb('{"x": [1, 2]}'))`,
  `SELECT key, value, type, path FROM json_each('{"a":1,"b":[2,3],"c":{"d":"e"}}') ORDER BY key`,
  `SELECT fullkey, atom FROM json_tree('{"a":[1,{"b":2}]}') WHERE atom IS NOT NULL ORDER BY fullkey`,
  `SELECT json_group_array(name), json_group_object(name, salary) FROM (SELECT * FROM emp ORDER BY id)`,
  // Full-text search (FTS3/4 is compiled into sql.js).
  `CREATE VIRTUAL TABLE docs USING fts4(title, body)`,
  `INSERT INTO docs VALUES ('weft', 'a WebAssembly toolkit written in TypeScript'),
     ('binaryen', 'optimizer and compiler toolkit for WebAssembly'),
     ('sqlite', 'a small fast reliable SQL database engine'),
     ('esbuild', 'an extremely fast bundler for the web')`,
  `SELECT title, snippet(docs), offsets(docs), hex(matchinfo(docs)) FROM docs WHERE docs MATCH 'webassembly toolkit' ORDER BY title`,
  `SELECT title FROM docs WHERE docs MATCH 'fast NOT sql*' ORDER BY title`,
  // Upserts, RETURNING, savepoints.
  `INSERT INTO dept(name, budget) VALUES ('Sales', 1) ON CONFLICT(name) DO UPDATE SET budget = budget + excluded.budget RETURNING id, name, budget`,
  `UPDATE emp SET salary = salary * 11 / 10 WHERE dept_id = 3 RETURNING name, salary`,
  `SAVEPOINT s1`,
  `DELETE FROM emp WHERE dept_id = 2`,
  `SELECT count(*) FROM emp`,
  `ROLLBACK TO s1`,
  `RELEASE s1`,
  `SELECT count(*), sum(salary) FROM emp`,
  `PRAGMA integrity_check`,
  `PRAGMA foreign_key_check`,
  // Errors.
  `SELEC 1`,
  `SELECT * FROM no_such_table`,
  `SELECT no_such_column FROM emp`,
  `INSERT INTO dept(name, budget) VALUES ('Engineering', 5)`,
  `INSERT INTO dept(name, budget) VALUES ('Negative', -1)`,
  `INSERT INTO emp(name, dept_id) VALUES (NULL, 1)`,
  `INSERT INTO emp(name, dept_id) VALUES ('Ghost', 99)`,
  `UPDATE emp SET salary = -5 WHERE id = 1`,
  `SELECT json('{"bad')`,
  `SELECT abs(-9223372036854775807 - 1)`,
  `SELECT count(*) FROM emp GROUP BY`,
  `CREATE TABLE dept(x)`,
];

/** Runs SQL_STEPS plus API-level checks on one sql.js instance; returns a comparable transcript. */
function runSqlSuite(SQL) {
  const transcript = [];
  const warnings = [];
  const origWarn = console.warn;
  console.warn = (...args) => warnings.push(args.join(' ')); // sql.js warns about its legacy math functions
  const db = new SQL.Database();
  try {
    db.create_function('js_rev', (s) => (s == null ? null : [...String(s)].reverse().join('')));
    db.create_function('js_mix', (a, b) => (typeof b === 'number' ? a * 31 + b : `${a}:${b}`));
    db.create_aggregate('js_median', {
      init: () => [],
      step: (acc, v) => {
        acc.push(v);
        return acc;
      },
      finalize: (acc) => {
        const s = [...acc].sort((x, y) => x - y);
        return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : null;
      },
    });
    for (const sql of SQL_STEPS) {
      try {
        transcript.push({ sql, result: db.exec(sql) });
      } catch (err) {
        transcript.push({ sql, error: String(err?.message ?? err) });
      }
    }
    const udf = `SELECT js_rev(name), js_mix(id, salary), js_mix(id, name) FROM emp ORDER BY id`;
    transcript.push({ sql: udf, result: db.exec(udf) });
    const agg = `SELECT dept_id, js_median(salary) FROM emp GROUP BY dept_id ORDER BY dept_id`;
    transcript.push({ sql: agg, result: db.exec(agg) });

    // Prepared statements with positional, named and blob parameters.
    const rows = [];
    const named = db.prepare('SELECT :a || $b AS s, @n * 2 AS n, typeof(:a) AS t');
    named.bind({ ':a': 'x', $b: 'y', '@n': 21.5 });
    while (named.step()) rows.push(named.getAsObject());
    named.free();
    const positional = db.prepare('SELECT ? + 1 AS n, length(?) AS bl, hex(?) AS h, ?2 AS again, ? IS NULL');
    positional.bind([41, new Uint8Array([1, 2, 3, 255]), 'text', null]);
    while (positional.step()) rows.push(positional.get());
    positional.bind([-1, 'abc', new Uint8Array([0xca, 0xfe]), 0]);
    while (positional.step()) rows.push(positional.getAsObject());
    positional.free();
    transcript.push({ sql: 'prepared statements', result: rows });

    const ins = db.prepare('INSERT INTO nums(n, sq, txt, r, b) VALUES (?, ?, ?, ?, ?)');
    for (let i = 0; i < 200; i++) ins.run([100000 + i, i * i, `bound-${i}`, i / 3, new Uint8Array([i & 255, (i * 7) & 255])]);
    ins.free();
    transcript.push({ sql: 'bound inserts', result: db.exec(`SELECT count(*), sum(sq), hex(max(b)) FROM nums WHERE n >= 100000`) });

    const multi = [];
    for (const s of db.iterateStatements('SELECT 1 AS one; SELECT upper(?) AS up; SELECT changes(), total_changes()')) {
      if (s.getSQL().includes('?')) s.bind(['iterated']);
      while (s.step()) multi.push({ sql: s.getSQL(), cols: s.getColumnNames(), row: s.get() });
    }
    transcript.push({ sql: 'iterateStatements', result: multi });

    // The serialized database file must be the same byte for byte.
    const image = db.export();
    transcript.push({
      sql: 'export',
      result: { length: image.length, header: Buffer.from(image.subarray(0, 16)).toString('latin1'), sha256: createHash('sha256').update(image).digest('hex') },
    });
    const reopened = new SQL.Database(image);
    transcript.push({ sql: 'reopen', result: reopened.exec('SELECT count(*), sum(n) FROM nums; PRAGMA integrity_check') });
    reopened.close();
  } finally {
    console.warn = origWarn;
    db.close();
  }
  transcript.push({ sql: 'console.warn', result: warnings });
  return transcript;
}

/**
 * A fresh sql.js instance on `wasmBinary` (sql-wasm.js caches its module, so it is re-required
 * each time); with `suspending` (an object that receives the stats), suspending at every import call.
 */
async function loadSqlJs(wasmBinary, suspending = null) {
  const script = join(packageDir('sql-wasm'), 'dist', 'sql-wasm.js');
  delete require.cache[require.resolve(script)];
  const initSqlJs = require(script);
  delete require.cache[require.resolve(script)];
  const hook = emscriptenInstantiation(wasmBinary, suspending);
  const SQL = await initSqlJs({ wasmBinary, instantiateWasm: hook.instantiateWasm });
  hook.armWith(SQL._malloc);
  return SQL;
}

/** The transcript step whose SQL starts with `prefix`. */
const step = (transcript, prefix) => {
  const found = transcript.filter((s) => s.sql.startsWith(prefix));
  assert.equal(found.length, 1, `expected one step starting with ${JSON.stringify(prefix)}, found ${found.length}`);
  return found[0];
};
/** A cell of the first result row of that step. */
const cell = (transcript, prefix, column = 0) => {
  const s = step(transcript, prefix);
  assert.ok(s.result, `no result for ${prefix}: ${s.error}`);
  return s.result[0].values[0][column];
};

/**
 * Runs the SQL suite on the original and the transformed sql-wasm.wasm bytes; asserts identical
 * transcripts. `alsoSuspending`: the transformed module is asyncified, and runs again
 * suspending at every import call.
 */
export async function checkSqlJs(t, original, converted, { alsoSuspending = false } = {}) {
  const expected = runSqlSuite(await loadSqlJs(original));

  // The original must give what SQLite is known to give, so the comparison means something.
  assert.equal(cell(expected, 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100)'), 5050);
  assert.equal(cell(expected, `SELECT printf('%08.3f|`), '0003.142|ab   |ff|1,234,567');
  assert.equal(cell(expected, 'SELECT count(*), sum(sq), total(r)'), 20000);
  assert.equal(cell(expected, 'SELECT count(*), sum(sq), total(r)', 1), (20000 * 20001 * 40001) / 6);
  assert.equal(cell(expected, 'SELECT json_object(', 1), 2);
  assert.equal(cell(expected, 'SELECT json_object('), '{"a":1,"b":[1,2.5,"x",null],"c":{"d":true}}');
  assert.equal(cell(expected, `SELECT date('2024-02-28'`), '2024-02-29');
  assert.equal(cell(expected, 'SELECT sqrt(2)'), Math.SQRT2);
  assert.match(step(expected, `INSERT INTO dept(name, budget) VALUES ('Engineering', 5)`).error, /UNIQUE constraint failed: dept\.name/);
  assert.match(step(expected, 'SELEC 1').error, /syntax error/);
  assert.equal(step(expected, 'UPDATE emp SET salary = -5').error, 'salary must not be negative');
  const mandelbrot = cell(expected, 'WITH RECURSIVE\n     xaxis(x)');
  assert.ok(mandelbrot.split('\n').length === 22 && mandelbrot.split('\n')[10].includes('#'.repeat(40)), `Mandelbrot picture looks wrong:\n${mandelbrot}`);
  assert.equal(cell(expected, 'PRAGMA integrity_check'), 'ok');
  assert.equal(step(expected, 'export').result.header, 'SQLite format 3\0');
  const rows = expected.reduce((n, s) => n + (Array.isArray(s.result) ? s.result.reduce((m, r) => m + (r.values?.length ?? 1), 0) : 0), 0);
  const errors = expected.filter((s) => s.error).length;
  assert.ok(rows > 100, `suspiciously few result rows (${rows})`);
  assert.equal(errors, 12, `expected exactly the 12 deliberate errors, got: ${expected.filter((s) => s.error).map((s) => s.error).join('; ')}`);

  for (const suspending of variants(alsoSuspending)) {
    const actual = runSqlSuite(await loadSqlJs(converted, suspending));
    assert.equal(actual.length, expected.length);
    for (let i = 0; i < expected.length; i++) {
      assert.deepStrictEqual(actual[i], expected[i], `converted module differs at step ${i}: ${expected[i].sql.replace(/\s+/g, ' ').slice(0, 200)}`);
    }
    if (suspending) checkSuspended(t, 'sql-wasm', suspending.stats);
  }
  t.diagnostic(`sql-wasm: ${expected.length} steps, ${rows} result rows, ${errors} expected errors, all identical`);
}

// ---------------------------------------------------------------------------
// esbuild-wasm

const TS_ENUMS = `
export enum Color { Red, Green = 'g', Blue = 4, Mixed = Blue << 2 }
const enum Flag { None = 0, A = 1 << 0, B = 1 << 1, AB = A | B }
declare enum Ambient { X }
export namespace Geo { export const unit = 2; export namespace Inner { export const twice = unit * 2 } }
export function describe(c: Color, f: Flag = Flag.AB): string {
  return \`\${Color[c as number] ?? c}:\${f & Flag.A ? 'a' : ''}\${f & Flag.B ? 'b' : ''}:\${Geo.Inner.twice}\`;
}
`;

const TS_GENERICS = `
import type { Readable } from 'node:stream';
import { type Buffer as B, inspect } from 'node:util';
interface Box<T> { value: T; map<U>(f: (t: T) => U): Box<U> }
type Keys<T> = { [K in keyof T]: T[K] extends Function ? never : K }[keyof T];
abstract class Base<T extends object = {}> {
  static count = 0;
  static { Base.count = 1; }
  #secret = 42;
  protected abstract name(): string;
  constructor(public readonly id: number, private tag?: string) {}
  get secret() { return this.#secret; }
  set secret(v: number) { this.#secret = v; }
  static create<X extends Base<any>>(this: new (id: number) => X, id: number): X { return new this(id); }
}
export class Impl extends Base<{ a: 1 }> implements Box<number> {
  value = 1;
  declare extra: string;
  override name() { return 'impl' satisfies string; }
  map<U>(f: (t: number) => U): Box<U> { return { value: f(this.value), map: null! } as unknown as Box<U>; }
  overload(x: string): string;
  overload(x: number): number;
  overload(x: any) { return x!; }
  async *gen<T>(items: readonly T[]): AsyncGenerator<T> { for await (const i of items) yield i; }
}
export const pick = <T, K extends Keys<T>>(o: T, ...ks: K[]) => ks.map((k) => o?.[k] ?? null);
export { inspect };
`;

const TSX = `
import * as React from 'react';
type Props<T> = { items: T[]; render?: (t: T) => React.ReactNode; label: string };
export const List = <T,>({ items, render = (t) => String(t), ...rest }: Props<T>) => (
  <>
    <ul {...rest} className="list" data-count={items.length}>
      {items.map((item, i) => <li key={i}>{render(item)}</li>)}
    </ul>
    {items.length === 0 && <p>empty&nbsp;&amp; done — {rest.label}</p>}
    <Foo.Bar x={1 as number} y="two" {...{ z: 3 }} />
  </>
);
`;

const MINIFY_INPUT = `
export class Queue<T> {
  private items: T[] = [];
  constructor(private readonly limit = Infinity) {}
  push(...xs: T[]): this { for (const x of xs) { if (this.items.length >= this.limit) throw new RangeError('full: ' + this.limit); this.items.push(x); } return this; }
  async drain(fn: (x: T) => Promise<void>) { while (this.items.length) { const x = this.items.shift()!; await fn(x); } }
  get size() { return this.items.length; }
}
export function compute(values: number[]) {
  const { min = 0, max = 0, ...rest } = { min: Math.min(...values), max: Math.max(...values), avg: values.reduce((a, b) => a + b, 0) / values.length };
  const label = values?.length > 10 ? 'big' : values.length ? 'small' : 'none';
  return { min, max, label, ...rest, big: 2n ** 64n, re: /a(?<name>b)+/u.test('abb'), opt: (values as any)?.foo?.bar ?? 'fallback' };
}
`;

const ESBUILD_TRANSFORMS = [
  { name: 'enums', input: TS_ENUMS, options: { loader: 'ts' } },
  { name: 'generics/classes', input: TS_GENERICS, options: { loader: 'ts', format: 'esm' } },
  { name: 'generics/classes es2017', input: TS_GENERICS, options: { loader: 'ts', target: 'es2017', format: 'cjs' } },
  { name: 'tsx classic', input: TSX, options: { loader: 'tsx' } },
  { name: 'tsx automatic', input: TSX, options: { loader: 'tsx', jsx: 'automatic', jsxDev: true, sourcefile: 'List.tsx' } },
  { name: 'minify', input: MINIFY_INPUT, options: { loader: 'ts', minify: true } },
  { name: 'minify es2020 + sourcemap', input: MINIFY_INPUT, options: { loader: 'ts', minify: true, target: 'es2020', sourcemap: true, sourcefile: 'queue.ts' } },
  { name: 'mangle props + iife', input: MINIFY_INPUT, options: { loader: 'ts', minifyIdentifiers: true, mangleProps: /^items$/, format: 'iife', globalName: 'Q' } },
  { name: 'add (evaluated)', input: 'export const add = (a: number, b: number): number => a + b;', options: { loader: 'ts', format: 'cjs' } },
  { name: 'syntax error', input: 'export const x: number = ;\nclass {', options: { loader: 'ts' } },
  { name: 'warnings', input: 'const o = { a: 1, a: 2 }; if (x == -0) {} typeof y == "bigInt";', options: { loader: 'js' } },
];

async function runEsbuildSuite(esbuild, bigInput, buildDir) {
  const out = [];
  const settle = async (name, p) => {
    try {
      const r = await p;
      out.push({ name, result: r });
    } catch (err) {
      out.push({ name, error: { message: err.message, errors: err.errors, warnings: err.warnings } });
    }
  };
  for (const { name, input, options } of ESBUILD_TRANSFORMS) await settle(name, esbuild.transform(input, options));
  await settle('big js minify', esbuild.transform(bigInput, { loader: 'js', minify: true, target: 'es2017', legalComments: 'none' }));
  await settle(
    'build stdin',
    esbuild
      .build({
        stdin: {
          contents: `import { greet, VERSION } from './greet';\nimport data from './data.json';\nimport './style.css';\nconst dup = { k: 1, k: 2 };\nconsole.log(greet(data.name), VERSION, dup);\nexport default greet;`,
          loader: 'ts',
          resolveDir: buildDir,
          sourcefile: 'entry.ts',
        },
        absWorkingDir: buildDir,
        bundle: true,
        write: false,
        format: 'esm',
        outfile: join(buildDir, 'out', 'bundle.js'),
        metafile: true,
        sourcemap: 'external',
        minifySyntax: true,
        define: { 'process.env.NODE_ENV': '"production"' },
        logLevel: 'silent',
      })
      .then((r) => ({
        errors: r.errors,
        warnings: r.warnings,
        outputFiles: r.outputFiles.map((f) => ({ path: f.path, hash: f.hash, text: f.text })),
        metafile: r.metafile,
      })),
  );
  await settle(
    'build stdin error',
    esbuild.build({ stdin: { contents: `import './missing-module';`, resolveDir: buildDir }, bundle: true, write: false, logLevel: 'silent' }),
  );
  await settle('formatMessages', esbuild.formatMessages([{ text: 'hello', location: { file: 'a.ts', line: 2, column: 4, length: 3, lineText: 'let foo = 1' } }], { kind: 'error' }));
  return out;
}

function writeBuildFixture(dir) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'greet.ts'),
    `export const VERSION: string = '1.2.3';\nexport enum Tone { Warm, Cold }\nexport function greet(name: string, tone: Tone = Tone.Warm): string {\n  if (process.env.NODE_ENV !== 'production') console.debug('dev only');\n  return (tone === Tone.Warm ? 'Hello, ' : 'Hi, ') + name + '!';\n}\n`,
  );
  writeFileSync(join(dir, 'data.json'), JSON.stringify({ name: 'weft', tags: ['wasm', 'ts'] }));
  writeFileSync(join(dir, 'style.css'), `.a { color: red }\n.b { composes: a; margin: 0 auto }\n`);
}

/** Runs the esbuild suite with the original package and a copy whose esbuild.wasm is `convertedPath`; asserts identical results. */
export async function checkEsbuild(t, convertedPath, tmp) {
  const pkg = packageDir('esbuild');

  // A private copy of the package whose esbuild.wasm is the converted module.
  const copy = join(tmp, 'esbuild-wasm-converted');
  cpSync(pkg, copy, { recursive: true });
  cpSync(convertedPath, join(copy, 'esbuild.wasm'));
  const buildDir = join(tmp, 'esbuild-build');
  writeBuildFixture(buildDir);
  const bigInput = readFileSync(join(pkg, 'lib', 'main.js'), 'utf8');

  const reference = require(join(pkg, 'lib', 'main.js'));
  const converted = require(join(copy, 'lib', 'main.js'));
  assert.notEqual(reference, converted, 'the two esbuild APIs must be separate module instances');
  let expected, actual;
  try {
    expected = await runEsbuildSuite(reference, bigInput, buildDir);
    actual = await runEsbuildSuite(converted, bigInput, buildDir);
  } finally {
    await Promise.all([reference.stop(), converted.stop()]); // kill the esbuild service processes
  }

  // The original must produce sensible output, so the comparison means something.
  const byName = (name) => expected.find((s) => s.name === name);
  assert.match(byName('enums').result.code, /\["Red"\] = 0\] = "Red"/);
  const add = byName('add (evaluated)').result.code;
  const mod = { exports: {} };
  new Function('module', 'exports', add)(mod, mod.exports);
  assert.equal(mod.exports.add(2, 3), 5);
  assert.match(byName('tsx classic').result.code, /React\.createElement\("ul"/);
  assert.ok(byName('minify').result.code.length < MINIFY_INPUT.length * 0.8, 'minify output not smaller');
  assert.ok(byName('syntax error').error?.errors?.length > 0, 'syntax error not reported');
  assert.ok(byName('warnings').result.warnings.length >= 2, 'expected duplicate-key and -0 warnings');
  const bundle = byName('build stdin').result;
  assert.ok(bundle, `build failed: ${JSON.stringify(byName('build stdin').error)}`);
  const js = bundle.outputFiles.find((f) => f.path.endsWith('bundle.js')).text;
  assert.match(js, /Hello, /);
  assert.doesNotMatch(js, /dev only/, 'define + minifySyntax should drop the dev branch');
  assert.equal(bundle.outputFiles.length, 4, 'expected js, js.map, css, css.map');
  assert.match(byName('build stdin error').error?.message ?? '', /Could not resolve "\.\/missing-module"/);
  assert.ok(byName('big js minify').result.code.length > 10_000);

  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.deepStrictEqual(actual[i], expected[i], `converted esbuild differs on "${expected[i].name}"`);
  }
  t.diagnostic(`esbuild: ${expected.length} transforms/builds, all identical`);
}

// ---------------------------------------------------------------------------
// ruby.wasm (@ruby/3.3-wasm-wasi): CRuby as a WASI reactor with a canonical-ABI interface

const RUBY_PROGRAM = `
h = Hash.new(0)
%w[pear fig apple fig kiwi pear fig].each { |w| h[w] += 1 }
puts h.sort_by { |w, n| [-n, w] }.map { |w, n| "#{w}=#{n}" }.join(",")
puts (1..20).reduce(:*)
puts (1..30).map { |i| i * i % 17 }.sort.uniq.inspect
begin
  raise ArgumentError, "boom"
rescue => e
  puts "#{e.class}: #{e.message}"
end
Point = Struct.new(:x, :y) { def norm2 = x * x + y * y }
puts [Point.new(3, 4), Point.new(1, 1)].map(&:norm2).sum
puts "weft".each_char.map(&:ord).sum.to_s(16)
$stdout.flush
`;
/** What RUBY_PROGRAM prints, computed here. */
const RUBY_EXPECTED = [
  'fig=3,pear=2,apple=1,kiwi=1',
  String([...Array(20)].reduce((a, _, i) => a * BigInt(i + 1), 1n)),
  `[${[...new Set([...Array(30)].map((_, i) => ((i + 1) ** 2) % 17))].sort((a, b) => a - b).join(', ')}]`,
  'ArgumentError: boom',
  '27',
  [...'weft'].reduce((a, c) => a + c.charCodeAt(0), 0).toString(16),
].join('\n') + '\n';

/**
 * Runs RUBY_PROGRAM in a ruby.wasm module (its bytes) through Node's WASI, as the package's
 * glue does (`ruby-init` with NUL-terminated arguments, then `rb-eval-string-protect`);
 * returns what it printed. The JS-interop imports are not needed by the program: they throw.
 */
export async function runRuby(bytes, dir) {
  const { WASI } = await import('node:wasi');
  const outPath = join(dir, `ruby-${process.pid}-${Math.random().toString(36).slice(2)}.out`);
  const fd = openSync(outPath, 'w');
  try {
    const wasi = new WASI({ version: 'preview1', stdout: fd, stderr: fd, args: ['ruby'], env: {}, returnOnExit: true });
    const mod = await WebAssembly.compile(bytes);
    const imports = { wasi_snapshot_preview1: wasi.wasiImport };
    let handles = 0;
    for (const i of WebAssembly.Module.imports(mod)) {
      if (i.module === 'wasi_snapshot_preview1') continue;
      (imports[i.module] ??= {})[i.name] = i.name.startsWith('resource_new') ? () => ++handles
        : i.name.startsWith('resource_drop') ? () => {}
        : () => { throw new Error(`ruby.wasm called ${i.module}.${i.name}`); };
    }
    const instance = await WebAssembly.instantiate(mod, imports);
    wasi.initialize(instance);
    const x = instance.exports;
    const view = () => new DataView(x.memory.buffer);
    const string = (s) => {
      const b = new TextEncoder().encode(s);
      const p = x.cabi_realloc(0, 0, 1, b.length);
      new Uint8Array(x.memory.buffer, p, b.length).set(b);
      return [p, b.length];
    };
    const args = ['ruby', '--disable-gems', '-EUTF-8', '-e_=0'].map((a) => string(`${a}\0`));
    const list = x.cabi_realloc(0, 0, 4, args.length * 8);
    args.forEach(([p, n], i) => {
      view().setUint32(list + i * 8, p, true);
      view().setUint32(list + i * 8 + 4, n, true);
    });
    x['ruby-init: func(args: list<string>) -> ()'](list, args.length);
    const [p, n] = string(RUBY_PROGRAM);
    const ret = x['rb-eval-string-protect: func(str: string) -> tuple<handle<rb-abi-value>, s32>'](p, n);
    assert.equal(view().getInt32(ret + 4, true), 0, 'the Ruby program raised nothing');
  } finally {
    closeSync(fd);
  }
  const printed = readFileSync(outPath, 'utf8');
  rmSync(outPath);
  return printed;
}

/** The original and the converted ruby.wasm print what RUBY_PROGRAM should. */
export async function checkRuby(t, original, converted, dir) {
  const want = await runRuby(original, dir);
  assert.equal(want, RUBY_EXPECTED, 'the original ruby.wasm runs the program as expected');
  assert.equal(await runRuby(converted, dir), want, 'the converted ruby.wasm prints what the original does');
  t.diagnostic(`ruby.wasm: the program printed ${want.split('\n').length - 1} identical lines`);
}

// ---------------------------------------------------------------------------
// @swc/wasm: swc (Rust) through its wasm-bindgen glue

const SWC_TS = `
enum Color { Red, Green = 'g', Blue = 4 }
export class Queue<T> {
  #items: T[] = [];
  push(x: T): this { this.#items.push(x); return this; }
  get size(): number { return this.#items.length; }
}
export const total = (xs: number[], f = (x: number) => x * 2) => xs.reduce((a, x) => a + f(x), 0);
export async function* pairs<T>(xs: T[]) { for (const x of xs) yield [x, x] as const; }
export const view = (items: string[]) => <ul className="list">{items.map((i) => <li key={i}>{i ?? '-'}</li>)}</ul>;
`;
const SWC_MINIFY = 'function add(first, second) { const unused = 1; if (false) { console.log("dead"); } return first + second; }\nconsole.log(add(1, 2));';

/**
 * The swc API on `wasmBytes`, through a private copy of the package's glue (its one
 * instantiation line is redirected, so `suspend` can make every import call suspend).
 */
function loadSwc(wasmBytes, dir, suspending) {
  const glue = readFileSync(join(packageDir('swc'), 'wasm.js'), 'utf8');
  const line = 'const wasmInstance = new WebAssembly.Instance(wasmModule, imports);';
  assert.ok(glue.includes(line), 'the @swc/wasm glue instantiates as expected');
  const copy = join(dir, `swc-${Math.random().toString(36).slice(2)}`);
  mkdirSync(copy);
  const hook = `__weftInstantiate${copy.replace(/\W/g, '')}`;
  writeFileSync(join(copy, 'wasm.js'), glue.replace(line, `const wasmInstance = globalThis.${hook}(wasmModule, imports);`));
  writeFileSync(join(copy, 'wasm_bg.wasm'), wasmBytes);
  globalThis[hook] = (mod, imports) => {
    if (!suspending) return new WebAssembly.Instance(mod, imports);
    const s = suspendingInstance(mod, imports);
    suspending.stats = s.stats;
    // wasm-bindgen's malloc(size, align), as its glue calls it.
    s.arm(s.exports.__wbindgen_export_0(1 << 20, 8), 1 << 20);
    return s;
  };
  try {
    return require(join(copy, 'wasm.js'));
  } finally {
    delete globalThis[hook];
  }
}

function runSwcSuite(swc) {
  const out = [];
  const run = (name, f) => {
    try {
      out.push({ name, result: f() });
    } catch (e) {
      out.push({ name, error: String(e) });
    }
  };
  run('ts to es5', () => swc.transformSync(SWC_TS, { jsc: { parser: { syntax: 'typescript', tsx: true }, target: 'es5' }, module: { type: 'commonjs' }, sourceMaps: true }));
  run('ts to es2022, minified', () => swc.transformSync(SWC_TS, { jsc: { parser: { syntax: 'typescript', tsx: true }, target: 'es2022', minify: { compress: true, mangle: true } }, minify: true }));
  run('minify', () => swc.minifySync(SWC_MINIFY, { compress: true, mangle: true }));
  run('parse', () => swc.parseSync('let x = 1 + 2 * y; export default x;', { syntax: 'ecmascript' }));
  run('syntax error', () => swc.transformSync('let = ;', {}));
  return out;
}

/**
 * Runs the swc suite with the original wasm_bg.wasm and the transformed bytes; asserts
 * identical results. `alsoSuspending`: the transformed module is asyncified, and runs again
 * suspending at every import call.
 */
export function checkSwc(t, transformed, dir, { alsoSuspending = false } = {}) {
  const expected = runSwcSuite(loadSwc(readFileSync(join(packageDir('swc'), 'wasm_bg.wasm')), dir, null));

  // The original must do what swc does, so the comparison means something.
  const byName = (name) => expected.find((s) => s.name === name);
  const es5 = byName('ts to es5').result;
  assert.doesNotMatch(es5.code, /\bclass Queue\b|=>|#items/, 'es5 output has no classes, arrows or private fields');
  assert.match(es5.code, /Color\[Color\["Red"\] = 0\] = "Red"/);
  const mod = { exports: {} };
  new Function('module', 'exports', 'require', es5.code)(mod, mod.exports, () => ({}));
  assert.equal(mod.exports.total([1, 2, 3]), 12, 'the es5 output runs');
  assert.equal(new mod.exports.Queue().push(1).push(2).size, 2);
  assert.equal(JSON.parse(es5.map).version, 3);
  assert.match(byName('minify').result.code, /^function add\((\w),(\w)\)\{return \1\+\2\}console\.log\(add\(1,2\)\);$/, 'minified: dead code gone, parameters renamed');
  assert.equal(byName('parse').result.type, 'Module');
  assert.match(byName('syntax error').error, /Expected|expected|cannot be used/);

  for (const suspending of variants(alsoSuspending)) {
    const actual = runSwcSuite(loadSwc(transformed, dir, suspending));
    assert.equal(actual.length, expected.length);
    for (let i = 0; i < expected.length; i++) assert.deepStrictEqual(actual[i], expected[i], `transformed swc differs on "${expected[i].name}"`);
    if (suspending) checkSuspended(t, 'swc', suspending.stats);
  }
  t.diagnostic(`swc: ${expected.length} transforms, minifies and parses, all identical`);
}

// ---------------------------------------------------------------------------
// @ffmpeg/core: FFmpeg (Emscripten, built for web workers) transcoding audio in memory

/** A 0.5 s 8 kHz mono 16-bit WAV of a 440 Hz sine, and its samples. */
function sineWav() {
  const samples = new Int16Array(4000).map((_, i) => Math.round(12000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + samples.byteLength, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(16000, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(samples.byteLength, 40);
  return { wav: Buffer.concat([h, Buffer.from(samples.buffer)]), samples };
}

/**
 * Runs FFmpeg on `wasmBytes` through the package's glue: the sine at half volume (fixed
 * point) encoded to FLAC, then the FLAC decoded to raw samples. Returns both outputs.
 */
async function runFfmpeg(wasmBytes, suspending) {
  // The glue is built for web workers: it wants `self` and `location`, for this run only.
  const saved = ['self', 'location'].map((k) => [k, Object.getOwnPropertyDescriptor(globalThis, k)]);
  globalThis.self ??= globalThis;
  globalThis.location ??= { href: 'file:///ffmpeg-core.js' };
  try {
    return await transcode(wasmBytes, suspending);
  } finally {
    for (const [k, d] of saved) {
      if (d) Object.defineProperty(globalThis, k, d);
      else delete globalThis[k];
    }
  }
}

async function transcode(wasmBytes, suspending) {
  const script = join(packageDir('ffmpeg-core'), 'dist', 'umd', 'ffmpeg-core.js');
  delete require.cache[require.resolve(script)];
  const createFFmpegCore = require(script);
  delete require.cache[require.resolve(script)];
  const log = [];
  const hook = emscriptenInstantiation(wasmBytes, suspending);
  const core = await createFFmpegCore({
    wasmBinary: wasmBytes,
    print: (line) => log.push(line),
    printErr: (line) => log.push(line),
    instantiateWasm: hook.instantiateWasm,
  });
  hook.armWith(core._malloc);
  const { wav, samples } = sineWav();
  core.FS.writeFile('in.wav', wav);
  core.exec('-i', 'in.wav', '-af', 'volume=0.5:precision=fixed', '-c:a', 'flac', 'out.flac');
  const flac = Buffer.from(core.FS.readFile('out.flac'));
  core.exec('-i', 'out.flac', '-f', 's16le', '-c:a', 'pcm_s16le', 'out.raw');
  const raw = Buffer.from(core.FS.readFile('out.raw'));
  return { flac, raw, samples, log };
}

/**
 * Runs the FFmpeg job on the original ffmpeg-core.wasm and the transformed bytes; asserts
 * identical outputs. `alsoSuspending`: the transformed module is asyncified, and runs again
 * suspending at every import call.
 */
export async function checkFfmpeg(t, original, transformed, { alsoSuspending = false } = {}) {
  const expected = await runFfmpeg(original, null);
  // Half volume in fixed point is (s * 128 + 128) >> 8 per sample, and FLAC is lossless.
  const half = Buffer.from(expected.samples.map((v) => (v * 128 + 128) >> 8).buffer);
  assert.ok(expected.raw.equals(half), `the original FFmpeg's output is not the sine at half volume:\n${expected.log.slice(-5).join('\n')}`);
  assert.equal(expected.flac.subarray(0, 4).toString('latin1'), 'fLaC');
  for (const suspending of variants(alsoSuspending)) {
    const actual = await runFfmpeg(transformed, suspending);
    assert.ok(actual.flac.equals(expected.flac), `the FLAC files differ (${actual.flac.length} vs ${expected.flac.length} B):\n${actual.log.slice(-5).join('\n')}`);
    assert.ok(actual.raw.equals(expected.raw), 'the decoded samples differ');
    if (suspending) checkSuspended(t, 'ffmpeg-core', suspending.stats);
  }
  t.diagnostic(`ffmpeg-core: WAV -> volume -> FLAC (${expected.flac.length} B) -> PCM, identical`);
}

// ---------------------------------------------------------------------------
// QuickJS (@jitl/quickjs-wasmfile-release-sync) through quickjs-emscripten-core

/** A program whose every step calls the host, so a suspension can come from deep in QuickJS's interpreter. */
const QJS_PROGRAM = `
const log = [];
const words = 'the quick brown fox jumps over the lazy dog again and again'.split(' ');
log.push(words.slice().sort((a, b) => host.compare(a, b)).join(','));
const fib = (n) => (n < 2 ? host.add(n, 0) : host.add(fib(n - 1), fib(n - 2)));
log.push(fib(12));
function* gen(n) { for (let i = 0; i < n; i++) yield host.add(i, i); }
log.push([...gen(6)].join(' '));
try { JSON.parse(host.text('{"a": [1, 2, 3}')); } catch (e) { log.push(e.name); }
class P { constructor(x) { this.x = host.add(x, 1); } get twice() { return host.add(this.x, this.x); } }
log.push(Array.from({ length: 5 }, (_, i) => new P(i).twice).join('+'));
const deep = (n) => (n === 0 ? host.add(0, 0) : host.add(deep(n - 1), 1));
log.push(deep(200));
log.push(eval('host.add(20, 22)'));
log.push('xyx'.replace(/x/g, (m) => host.text(m.toUpperCase())));
Promise.resolve(7).then((v) => log.push('then ' + host.add(v, 1)));
log;
`;
const QJS_HOST = { compare: (a, b) => (a < b ? -1 : a > b ? 1 : 0), add: (a, b) => a + b, text: (t) => t };

/** QJS_PROGRAM's log, run by QuickJS on `wasmBytes` with QJS_HOST as `host`. */
async function runQuickJS(wasmBytes, suspending) {
  const { newQuickJSWASMModuleFromVariant, newVariant } = require('quickjs-emscripten-core');
  const variant = require('@jitl/quickjs-wasmfile-release-sync');
  const hook = emscriptenInstantiation(wasmBytes, suspending);
  const QuickJS = await newQuickJSWASMModuleFromVariant(newVariant(variant.default ?? variant, {
    emscriptenModule: { instantiateWasm: hook.instantiateWasm },
  }));
  hook.armWith(QuickJS.module._malloc);
  const vm = QuickJS.newContext();
  try {
    const host = vm.newObject();
    for (const [name, f] of Object.entries(QJS_HOST)) {
      const h = vm.newFunction(name, (...args) => {
        const r = f(...args.map((a) => vm.dump(a)));
        return typeof r === 'string' ? vm.newString(r) : vm.newNumber(r);
      });
      vm.setProp(host, name, h);
      h.dispose();
    }
    vm.setProp(vm.global, 'host', host);
    host.dispose();
    const log = vm.unwrapResult(vm.evalCode(QJS_PROGRAM));
    vm.unwrapResult(vm.runtime.executePendingJobs());
    const out = vm.dump(log);
    log.dispose();
    return out;
  } finally {
    vm.dispose();
  }
}

/**
 * QJS_PROGRAM in QuickJS on the original and the transformed module: each log equals what
 * Node computes. `alsoSuspending`: the transformed module is asyncified, and runs again
 * suspending at every import call.
 */
export async function checkQuickJS(t, original, transformed, { alsoSuspending = false } = {}) {
  const want = new Function('host', `${QJS_PROGRAM.replace(/log;\s*$/, '')}\nreturn log;`)(QJS_HOST);
  await null; // the program's promise job
  assert.deepEqual(await runQuickJS(original, null), want, 'the original QuickJS computes what Node does');
  for (const suspending of variants(alsoSuspending)) {
    assert.deepEqual(await runQuickJS(transformed, suspending), want, 'the transformed QuickJS computes what Node does');
    if (suspending) checkSuspended(t, 'quickjs', suspending.stats);
  }
  t.diagnostic(`quickjs: ${want.length} results, as Node computes them`);
}

// ---------------------------------------------------------------------------
// esbuild's CLI (Go) in-process, through Go's wasm_exec.js (realworld-go.mjs, Node 26)

/**
 * Bundles a small TypeScript project with esbuild's CLI on the original esbuild.wasm and
 * on `transformed` (asyncified with `--in-secondary-memory`, suspending at every import
 * call); asserts the bundles are identical and run as they should.
 */
export function checkEsbuildGo(t, transformed, dir, node) {
  const src = join(dir, 'go-src');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'lib.ts'), 'export const greet = (n: string): string => `hi ${n}`;\nexport enum E { A, B = 3 }\n');
  writeFileSync(join(src, 'main.ts'), 'import { greet, E } from "./lib";\nclass Box<T> { constructor(readonly v: T) {} }\nconsole.log(greet(new Box("go").v), E.B);\n');
  const wasmPath = join(dir, 'esbuild-asyncified.wasm');
  writeFileSync(wasmPath, transformed);
  const run = (wasm, out, suspend) => {
    const r = spawnSync(node, [fileURLToPath(new URL('./realworld-go.mjs', import.meta.url)), wasm, out, join(src, 'main.ts'), ...(suspend ? ['suspend'] : [])], { encoding: 'utf8' });
    assert.equal(r.status, 0, `esbuild (Go) on ${wasm} failed:\n${r.stderr}`);
    const result = JSON.parse(r.stdout.trim().split('\n').pop());
    assert.equal(result.exit, 0, `esbuild exited with ${result.exit}: ${r.stderr}`);
    return { ...result, bundle: readFileSync(out, 'utf8') };
  };
  const want = run(join(packageDir('esbuild'), 'esbuild.wasm'), join(dir, 'go-original.js'), false);
  // The original bundles what it should: run it.
  const printed = spawnSync(node, ['--input-type=module', '-e', want.bundle], { encoding: 'utf8' });
  assert.equal(printed.stdout, 'hi go 3\n', `the original bundle runs: ${printed.stderr}`);
  const got = run(wasmPath, join(dir, 'go-asyncified.js'), true);
  assert.equal(got.bundle, want.bundle, 'the asyncified esbuild writes the same bundle');
  checkSuspended(t, 'esbuild (Go)', got.stats);
}
