//! State against log: every act records a digest of the rows it left behind, so the log can
//! be replayed and compared with the state tables.
//!
//! Why: the hash chain proves the *log* was not edited, but the legal record also lives in
//! the state tables (`binding_tasks`, `offers`, `decisions`, …) that pages and decisions
//! read. A direct `UPDATE binding_tasks` leaves the chain intact. Each audit record
//! therefore carries, in `state_json` (part of its hash), the digest of every row in each
//! *scope* it touched: for example all binding tasks of the cycle after a decision, or the
//! offers of one municipality after an offer. Replaying the log gives, per scope, the rows
//! the law's acts produced; [`compare`] reports every row that differs, with its table and
//! key. The registry [`TRACKED`] lists each table's scope and key columns; it is the one
//! place that says which tables are part of the record.
//!
//! A row's digest is SHA-256 over its columns in name order, each as `name`, a type tag and
//! the value (integers in decimal, text as is, NULL as a tag), so SQLite and PostgreSQL give
//! the same digest for the same row.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::Tx;
use crate::error::Result;

/// A table of the legal record: rows are grouped by the `scope` columns (an act rewrites a
/// whole scope's digest) and identified inside the scope by the `key` columns.
pub struct Tracked {
    pub table: &'static str,
    pub scope: &'static [&'static str],
    pub key: &'static [&'static str],
}

/// Every table that is part of the legal record. Operational tables (sessions, sign-in
/// failures, settings, the chain head and checkpoints) are not: they are not acts.
pub const TRACKED: &[Tracked] = &[
    Tracked { table: "cycles", scope: &["id"], key: &[] },
    Tracked { table: "indicative_tasks", scope: &["cycle_id"], key: &["gm_code"] },
    Tracked { table: "offers", scope: &["cycle_id", "gm_code"], key: &["location"] },
    Tracked { table: "swaps", scope: &["cycle_id"], key: &["from_gm", "to_gm"] },
    Tracked { table: "reports", scope: &["cycle_id", "pv_code"], key: &[] },
    Tracked { table: "report_lines", scope: &["cycle_id", "pv_code"], key: &["gm_code"] },
    Tracked { table: "decisions", scope: &["cycle_id"], key: &[] },
    Tracked { table: "decision_revisions", scope: &["cycle_id"], key: &["revision"] },
    Tracked { table: "binding_tasks", scope: &["cycle_id"], key: &["gm_code"] },
    Tracked { table: "objections", scope: &["cycle_id", "objection_no"], key: &[] },
    Tracked { table: "realisations", scope: &["cycle_id", "gm_code"], key: &["on_date"] },
    Tracked { table: "payment_applications", scope: &["cycle_id", "application_no"], key: &[] },
    Tracked { table: "web_users", scope: &["username"], key: &[] },
    Tracked { table: "api_tokens", scope: &["id"], key: &[] },
    Tracked { table: "locations", scope: &["id"], key: &[] },
    Tracked { table: "quality_assessments", scope: &["run", "location_id"], key: &[] },
    Tracked { table: "quality_results", scope: &["run", "location_id"], key: &["criterion"] },
    Tracked { table: "population_vintages", scope: &["reference_date"], key: &[] },
    Tracked { table: "population_values", scope: &["reference_date"], key: &["gm_code"] },
    Tracked { table: "indicator_sets", scope: &["id"], key: &[] },
    Tracked { table: "indicator_values", scope: &["set_id"], key: &["gm_code"] },
    Tracked { table: "simulation_reports", scope: &["id"], key: &[] },
    Tracked { table: "forecast_runs", scope: &["id"], key: &[] },
];

/// Columns added to a tracked table after the state digests existed (migration 0013). While
/// NULL they are left out of the row's digest, so a row written before the column was added
/// keeps the digest its audit record holds; once set they count like every other column.
pub const LATER_COLUMNS: &[(&str, &str)] = &[("cycles", "forecast_run_id")];

fn tracked(table: &str) -> &'static Tracked {
    TRACKED.iter().find(|t| t.table == table).unwrap_or_else(|| panic!("table {table} is not in replay::TRACKED"))
}

/// One value of a scope column.
#[derive(Clone, Debug)]
pub enum ScopeValue {
    Text(String),
    Int(i64),
}

impl From<&str> for ScopeValue {
    fn from(s: &str) -> Self {
        ScopeValue::Text(s.to_string())
    }
}
impl From<String> for ScopeValue {
    fn from(s: String) -> Self {
        ScopeValue::Text(s)
    }
}
impl From<&String> for ScopeValue {
    fn from(s: &String) -> Self {
        ScopeValue::Text(s.clone())
    }
}
impl From<i64> for ScopeValue {
    fn from(n: i64) -> Self {
        ScopeValue::Int(n)
    }
}

impl ScopeValue {
    fn text(&self) -> String {
        match self {
            ScopeValue::Text(s) => s.clone(),
            ScopeValue::Int(n) => n.to_string(),
        }
    }
}

/// A scope an act touched: `table` with its scope columns equal to `values`.
#[derive(Clone, Debug)]
pub struct Touch {
    table: &'static str,
    values: Vec<ScopeValue>,
}

impl Touch {
    /// The scope of `table` given by `values`, in the order of the table's scope columns.
    pub fn new(table: &'static str, values: Vec<ScopeValue>) -> Touch {
        let t = tracked(table);
        assert_eq!(t.scope.len(), values.len(), "scope of {table} is {:?}", t.scope);
        Touch { table, values }
    }
}

/// `touch!("offers", cycle, gm)`: the scope of a tracked table.
macro_rules! touch {
    ($table:literal $(, $v:expr)* $(,)?) => {
        $crate::replay::Touch::new($table, vec![$($crate::replay::ScopeValue::from($v)),*])
    };
}
pub(crate) use touch;

/// The rows of one scope after an act: key → digest. Stored in `state_json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeState {
    pub table: String,
    /// The scope columns' values, joined by `/`.
    pub scope: String,
    pub rows: BTreeMap<String, String>,
}

/// Read the rows of every touched scope inside the act's transaction.
pub(crate) async fn capture(tx: &mut Tx, touches: &[Touch]) -> Result<Vec<ScopeState>> {
    let mut out: Vec<ScopeState> = Vec::new();
    for touch in touches {
        let t = tracked(touch.table);
        let scope = touch.values.iter().map(ScopeValue::text).collect::<Vec<_>>().join("/");
        if out.iter().any(|s| s.table == t.table && s.scope == scope) {
            continue;
        }
        let cond =
            t.scope.iter().enumerate().map(|(i, c)| format!("{c} = ${}", i + 1)).collect::<Vec<_>>().join(" AND ");
        // Table and column names come from the constant registry, values are bound.
        let sql = format!("SELECT * FROM {} WHERE {cond}", t.table);
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for v in &touch.values {
            q = match v {
                ScopeValue::Text(s) => q.bind(s.clone()),
                ScopeValue::Int(n) => q.bind(*n),
            };
        }
        let rows = q.fetch_all(&mut **tx).await?;
        let mut digests = BTreeMap::new();
        for r in &rows {
            let cols = columns(t.table, r)?;
            digests.insert(key_of(t.key, &cols), digest(&cols));
        }
        out.push(ScopeState { table: t.table.to_string(), scope, rows: digests });
    }
    Ok(out)
}

/// A column's value as canonical text.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Cell {
    Null,
    Int(i64),
    Text(String),
}

impl Cell {
    fn plain(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Int(n) => n.to_string(),
            Cell::Text(s) => s.clone(),
        }
    }
}

fn columns(table: &str, r: &AnyRow) -> Result<BTreeMap<String, Cell>> {
    use sqlx::Column;
    let mut out = BTreeMap::new();
    for (i, c) in r.columns().iter().enumerate() {
        let cell = match r.try_get::<Option<i64>, _>(i) {
            Ok(Some(n)) => Cell::Int(n),
            Ok(None) => Cell::Null,
            Err(_) => match r.try_get::<Option<String>, _>(i)? {
                Some(s) => Cell::Text(s),
                None => Cell::Null,
            },
        };
        out.insert(c.name().to_ascii_lowercase(), cell);
    }
    Ok(without_later_nulls(table, out))
}

/// Leave out the [`LATER_COLUMNS`] of `table` that are NULL.
fn without_later_nulls(table: &str, mut cols: BTreeMap<String, Cell>) -> BTreeMap<String, Cell> {
    for (t, c) in LATER_COLUMNS {
        if *t == table && cols.get(*c) == Some(&Cell::Null) {
            cols.remove(*c);
        }
    }
    cols
}

fn key_of(key: &[&str], cols: &BTreeMap<String, Cell>) -> String {
    if key.is_empty() {
        return "-".into();
    }
    key.iter().map(|k| cols.get(*k).map(Cell::plain).unwrap_or_default()).collect::<Vec<_>>().join("/")
}

fn scope_of(scope: &[&str], cols: &BTreeMap<String, Cell>) -> String {
    scope.iter().map(|k| cols.get(*k).map(Cell::plain).unwrap_or_default()).collect::<Vec<_>>().join("/")
}

/// SHA-256 over the row's columns in name order (first 32 hex digits: 128 bits, enough to
/// make an undetected change as hard as breaking the hash).
fn digest(cols: &BTreeMap<String, Cell>) -> String {
    let mut h = Sha256::new();
    for (name, cell) in cols {
        h.update(name.as_bytes());
        h.update([0x1f]);
        match cell {
            Cell::Null => h.update(b"N"),
            Cell::Int(n) => {
                h.update(b"I");
                h.update(n.to_string().as_bytes());
            }
            Cell::Text(s) => {
                h.update(b"T");
                h.update(s.as_bytes());
            }
        }
        h.update([0x1e]);
    }
    hex::encode(&h.finalize()[..16])
}

/// One row whose state the log does not explain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    pub table: String,
    /// The row: scope and key values, e.g. `2026/GM0363`.
    pub row: String,
    /// What is wrong, in words.
    pub problem: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "table {} row {}: {}", self.table, self.row, self.problem)
    }
}

/// What the log says each scope holds: replayed from the records' `state_json` in order;
/// `seq` is the record that last wrote the scope.
#[derive(Default)]
pub(crate) struct Expected {
    scopes: BTreeMap<(String, String), (i64, BTreeMap<String, String>)>,
}

impl Expected {
    pub(crate) fn apply(&mut self, seq: i64, state_json: &str) -> std::result::Result<(), String> {
        if state_json.is_empty() {
            return Ok(());
        }
        let states: Vec<ScopeState> =
            serde_json::from_str(state_json).map_err(|e| format!("record {seq}: its state is not readable: {e}"))?;
        for s in states {
            self.scopes.insert((s.table, s.scope), (seq, s.rows));
        }
        Ok(())
    }
}

/// Compare the state tables with the replayed log: the number of rows checked and every
/// difference.
pub(crate) async fn compare(pool: &sqlx::AnyPool, expected: &Expected) -> Result<(usize, Vec<Mismatch>)> {
    let mut out = Vec::new();
    let mut checked = 0;
    for t in TRACKED {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {}", t.table))).fetch_all(pool).await?;
        checked += rows.len();
        let mut actual: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for r in &rows {
            let cols = columns(t.table, r)?;
            actual.entry(scope_of(t.scope, &cols)).or_default().insert(key_of(t.key, &cols), digest(&cols));
        }
        let name = |scope: &str, key: &str| if key == "-" { scope.to_string() } else { format!("{scope}/{key}") };
        for (scope, rows) in &actual {
            match expected.scopes.get(&(t.table.to_string(), scope.clone())) {
                None => {
                    for key in rows.keys() {
                        out.push(Mismatch {
                            table: t.table.into(),
                            row: name(scope, key),
                            problem: "no act in the audit trail wrote this row (it was added outside the record)"
                                .into(),
                        });
                    }
                }
                Some((seq, want)) => {
                    for (key, digest) in rows {
                        match want.get(key) {
                            None => out.push(Mismatch {
                                table: t.table.into(),
                                row: name(scope, key),
                                problem: format!(
                                    "this row was added outside the record (audit record {seq} says it did not exist)"
                                ),
                            }),
                            Some(d) if d != digest => out.push(Mismatch {
                                table: t.table.into(),
                                row: name(scope, key),
                                problem: format!(
                                    "this row was changed outside the record (it differs from what audit record {seq} \
                                     wrote)"
                                ),
                            }),
                            Some(_) => {}
                        }
                    }
                }
            }
        }
        for ((table, scope), (seq, want)) in &expected.scopes {
            if table != t.table {
                continue;
            }
            let have = actual.get(scope);
            for key in want.keys() {
                if have.is_none_or(|h| !h.contains_key(key)) {
                    out.push(Mismatch {
                        table: table.clone(),
                        row: name(scope, key),
                        problem: format!("this row was removed outside the record (audit record {seq} wrote it)"),
                    });
                }
            }
        }
    }
    Ok((checked, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(extra: Option<Cell>) -> BTreeMap<String, Cell> {
        let mut m = BTreeMap::from([
            ("id".to_string(), Cell::Text("2026".into())),
            ("national_total".to_string(), Cell::Int(88_000)),
            ("note".to_string(), Cell::Null),
        ]);
        if let Some(c) = extra {
            m.insert("forecast_run_id".into(), c);
        }
        m
    }

    /// A cycle row from before migration 0014 keeps its digest after the column is added
    /// (NULL), and a cycle published from a run has a digest that covers the run.
    #[test]
    fn a_column_added_later_changes_no_old_digest_and_counts_once_set() {
        let before = digest(&row(None));
        assert_eq!(digest(&without_later_nulls("cycles", row(Some(Cell::Null)))), before);
        let linked = digest(&without_later_nulls("cycles", row(Some(Cell::Int(3)))));
        assert_ne!(linked, before);
        assert_ne!(linked, digest(&without_later_nulls("cycles", row(Some(Cell::Int(4))))));
        // Only the listed table: another table's NULL column still counts.
        assert_ne!(digest(&without_later_nulls("offers", row(Some(Cell::Null)))), before);
    }
}
