//! Bench-only metering of D1 (`QDN_METER=1`, set by `cargo xtask bench`'s cost stack only).
//!
//! Every D1 statement's own result metadata (`rows_read`, `rows_written`, `duration`) is summed
//! per isolate, and every answer carries the sums in a `Qdn-Meter` header: the isolate's totals
//! and what this request added. The D1 binding is wrapped in JavaScript, below `db::db`, so that
//! every statement of every module is counted, `first()` included (D1's `first()` drops the
//! metadata, so the wrapper runs it as `all()`: the same statement, the same rows).
//!
//! The totals are per isolate; the bench trusts a figure only if every answer of a run comes from
//! one isolate and each answer's totals are the previous answer's plus its own request's, i.e.
//! nothing ran between the bench's requests (see `xtask/src/bench/cost.rs`).

use std::cell::{Cell, OnceCell};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use worker::{D1Database, Env, Request, Response};

#[wasm_bindgen(inline_js = r#"
const m = { isolate: "", requests: 0, statements: 0, rowsRead: 0, rowsWritten: 0, d1Ms: 0, dbBytes: 0 };
function rec(r) {
  const meta = (r && r.meta) || {};
  m.statements += 1;
  m.rowsRead += meta.rows_read || 0;
  m.rowsWritten += meta.rows_written || 0;
  m.d1Ms += meta.duration || 0;
  if (meta.size_after) m.dbBytes = meta.size_after;
  return r;
}
class Stmt {
  constructor(inner) { this.inner = inner; }
  bind(...values) { return new Stmt(this.inner.bind(...values)); }
  async run() { return rec(await this.inner.run()); }
  async all() { return rec(await this.inner.all()); }
  async first(column) {
    const row = rec(await this.inner.all()).results[0];
    if (row === undefined) return null;
    if (column === undefined || column === null) return row;
    if (!(column in row)) throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${column})`);
    return row[column];
  }
  async raw(options) {
    const r = rec(await this.inner.all());
    const rows = r.results.map((row) => Object.values(row));
    return options && options.columnNames ? [Object.keys(r.results[0] || {}), ...rows] : rows;
  }
}
class Db {
  constructor(inner) { this.inner = inner; }
  prepare(sql) { return new Stmt(this.inner.prepare(sql)); }
  async batch(statements) {
    const results = await this.inner.batch(statements.map((s) => s.inner));
    results.forEach(rec);
    return results;
  }
  exec(sql) { throw new Error("exec() is not metered; the Worker does not use it"); }
}
export function meter_wrap(db) { return new Db(db); }
export function meter_request() {
  if (!m.isolate) m.isolate = Math.random().toString(36).slice(2, 10);
  m.requests += 1;
}
export function meter_totals() { return [m.requests, m.statements, m.rowsRead, m.rowsWritten, m.d1Ms, m.dbBytes]; }
export function meter_isolate() { return m.isolate; }
"#)]
extern "C" {
    fn meter_wrap(db: JsValue) -> JsValue;
    fn meter_request();
    fn meter_totals() -> Vec<f64>;
    fn meter_isolate() -> String;
}

thread_local! {
    static ON: OnceCell<bool> = const { OnceCell::new() };
    /// The totals when the current request began: its own share is the difference.
    static AT_START: Cell<[f64; 6]> = const { Cell::new([0.0; 6]) };
}

/// Whether this isolate meters (`QDN_METER=1`); read once, vars do not change.
pub fn on(env: &Env) -> bool {
    ON.with(|c| *c.get_or_init(|| env.var("QDN_METER").is_ok_and(|v| v.to_string() == "1")))
}

/// The D1 binding, wrapped so that its statements are counted.
pub fn wrap(db: D1Database) -> D1Database {
    D1Database::unchecked_from_js(meter_wrap(db.into()))
}

fn totals() -> [f64; 6] {
    let t = meter_totals();
    std::array::from_fn(|i| t.get(i).copied().unwrap_or(0.0))
}

/// A request begins.
pub fn begin() {
    meter_request();
    AT_START.with(|s| s.set(totals()));
}

/// `Qdn-Meter: isolate=…; requests=…; statements=…; rows_read=…; rows_written=…; d1_ms=…;
/// db_bytes=…; req_statements=…; req_rows_read=…; req_rows_written=…` (`db_bytes`: the
/// database's size after the last statement, D1's `size_after`).
pub fn stamp(resp: &mut Response) {
    let [requests, statements, read, written, ms, bytes] = totals();
    let [_, s0, r0, w0, _, _] = AT_START.with(Cell::get);
    let value = format!(
        "isolate={}; requests={requests}; statements={statements}; rows_read={read}; rows_written={written}; \
         d1_ms={ms}; db_bytes={bytes}; req_statements={}; req_rows_read={}; req_rows_written={}",
        meter_isolate(),
        statements - s0,
        read - r0,
        written - w0
    );
    let _ = resp.headers_mut().set("Qdn-Meter", &value);
}

/// The instant the maintenance run should take as now: `?now=<ms>` on a metering stack only,
/// so the bench can age its fixes past retention without waiting 7 days.
pub fn now_override(req: &Request, env: &Env) -> Option<chrono::DateTime<chrono::Utc>> {
    if !on(env) {
        return None;
    }
    crate::http::query_pairs(req)
        .into_iter()
        .find(|(k, _)| k == "now")
        .and_then(|(_, v)| v.parse::<i64>().ok())
        .and_then(qdn_shared::time::from_ms)
}
