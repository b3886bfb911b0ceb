//! Forecast runs in the record (migration 0014): a run of the capacity forecast
//! (capaciteitsraming, Wet art. 2) stored with its scenario text, seed, paths, horizon and the
//! result as `spreiding forecast --format json` printed it, so that a cycle can be published
//! from it and name it. Recording needs `Action::RecordForecast` (the core's rule); a run is
//! never changed or deleted, and recording is audited like every other mutation.
//!
//! The store runs no model: the caller (the command line) runs the forecast and hands over the
//! scenario text and the result. The figures kept beside the JSON (the target dates and the
//! P10/P50/P90 of required places on the first one) are read from that JSON here, so the row
//! and the JSON it stores cannot disagree.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use spreiding_core::actor::{Action, Role};
use spreiding_core::reference::content_hash;

use crate::audit::{self, Entry};
use crate::cycles::to_i64;
use crate::error::{Result, StoreError};
use crate::{Act, Store, Tx, date, now};

/// A forecast run to record: what was run and what it gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewForecastRun {
    /// Where the scenario came from, as the forecast printed it: `bundled:base` or a file name.
    pub scenario_from: String,
    /// The scenario's TOML text as run (every input of the model is in it).
    pub scenario_toml: String,
    /// The JSON of `spreiding forecast --format json` for this scenario, seed, paths, start and
    /// horizon (the same bytes for the same inputs).
    pub result_json: String,
    /// The step of the occupancy rows in the result (`month`, `week` or `day`): with the
    /// scenario, seed, paths, start and horizon, what it takes to produce the same bytes again.
    pub step: String,
    /// A note recorded with the run (optional).
    pub note: Option<String>,
}

/// A recorded forecast run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForecastRun {
    pub id: i64,
    pub scenario_id: String,
    pub scenario_version: u32,
    pub scenario_from: String,
    pub scenario_sha256: String,
    pub seed: u64,
    pub runs: u64,
    pub start: NaiveDate,
    pub years: u32,
    /// The step of the occupancy rows in the result: month, week or day.
    pub step: String,
    pub target_dates: Vec<NaiveDate>,
    /// Required places on the first target date: P10, P50, P90; and the AMV P50.
    pub first_target: NaiveDate,
    pub p10: u64,
    pub p50: u64,
    pub p90: u64,
    pub amv_p50: u64,
    pub result_sha256: String,
    pub note: Option<String>,
    /// The date the act took effect, when it was recorded, by which account in which role.
    pub recorded_on: NaiveDate,
    pub recorded_at: String,
    pub recorded_by: String,
    pub recorded_role: Role,
    pub synthetic: bool,
    /// The scenario text and the result JSON, as stored.
    #[serde(skip)]
    pub scenario_toml: String,
    #[serde(skip)]
    pub result_json: String,
}

impl ForecastRun {
    /// One line naming the run, for a cycle's record and its pages:
    /// `run 3 (scenario base v2, seed 7, 10000 paths): P50 41,234 places on 2026-01-01 (P10 …, P90 …)`.
    pub fn describe(&self) -> String {
        format!(
            "run {} (scenario {} v{}, seed {}, {} paths): P50 {} places on {} (P10 {}, P90 {})",
            self.id,
            self.scenario_id,
            self.scenario_version,
            self.seed,
            self.runs,
            self.p50,
            self.first_target,
            self.p10,
            self.p90
        )
    }

    fn from_row(r: &AnyRow) -> Result<ForecastRun> {
        let bad = |c: &str, v: &str| StoreError::Database(format!("forecast_runs.{c} '{v}' is not readable"));
        let seed: String = r.try_get("seed")?;
        let role: String = r.try_get("recorded_role")?;
        let dates: String = r.try_get("target_dates")?;
        let u = |c: &str| -> Result<u64> {
            let v: i64 = r.try_get(c)?;
            u64::try_from(v).map_err(|_| bad(c, &v.to_string()))
        };
        Ok(ForecastRun {
            id: r.try_get("id")?,
            scenario_id: r.try_get("scenario_id")?,
            scenario_version: u("scenario_version")? as u32,
            scenario_from: r.try_get("scenario_from")?,
            scenario_sha256: r.try_get("scenario_sha256")?,
            seed: seed.parse().map_err(|_| bad("seed", &seed))?,
            runs: u("runs")?,
            start: date(&r.try_get::<String, _>("start_date")?)?,
            years: u("years")? as u32,
            step: r.try_get("step")?,
            target_dates: dates.split(',').filter(|d| !d.is_empty()).map(date).collect::<Result<_>>()?,
            first_target: date(&r.try_get::<String, _>("first_target")?)?,
            p10: u("p10")?,
            p50: u("p50")?,
            p90: u("p90")?,
            amv_p50: u("amv_p50")?,
            result_sha256: r.try_get("result_sha256")?,
            note: r.try_get("note")?,
            recorded_on: date(&r.try_get::<String, _>("recorded_on")?)?,
            recorded_at: r.try_get("recorded_at")?,
            recorded_by: r.try_get("recorded_by")?,
            recorded_role: role.parse().map_err(|_| bad("recorded_role", &role))?,
            synthetic: r.try_get::<i64, _>("synthetic")? != 0,
            scenario_toml: r.try_get("scenario_toml")?,
            result_json: r.try_get("result_json")?,
        })
    }
}

/// What the record keeps beside the JSON, read from it.
#[derive(Debug)]
struct Summary {
    scenario_id: String,
    scenario_version: u32,
    seed: u64,
    runs: u64,
    start: NaiveDate,
    years: u32,
    target_dates: Vec<NaiveDate>,
    p10: u64,
    p50: u64,
    p90: u64,
    amv_p50: u64,
}

const PRODUCE: &str = "record the output of `spreiding forecast --format json`";

fn summary(json: &str) -> Result<Summary> {
    let v: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| StoreError::Invalid(format!("the forecast result is not JSON ({e}): {PRODUCE}")))?;
    let missing = |what: &str| StoreError::Invalid(format!("the forecast result has no {what}: {PRODUCE}"));
    let text = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let num = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_u64());
    let day = |s: Option<String>, what: &str| -> Result<NaiveDate> {
        s.and_then(|s| s.parse().ok()).ok_or_else(|| missing(what))
    };
    let scenario = v.get("scenario").ok_or_else(|| missing("scenario"))?;
    let required = v
        .get("required_places")
        .and_then(|r| r.as_array())
        .filter(|a| !a.is_empty())
        .ok_or_else(|| missing("required places (required_places)"))?;
    let mut target_dates = Vec::new();
    for r in required {
        target_dates.push(day(text(r, "date"), "date for every target (required_places[].date)")?);
    }
    let first = &required[0];
    let pct = |k: &str| num(first, k).ok_or_else(|| missing(&format!("{k} on the first target date")));
    let s = Summary {
        scenario_id: text(scenario, "id").filter(|s| !s.is_empty()).ok_or_else(|| missing("scenario id"))?,
        scenario_version: num(scenario, "version").ok_or_else(|| missing("scenario version"))? as u32,
        seed: num(&v, "seed").ok_or_else(|| missing("seed"))?,
        runs: num(&v, "runs").filter(|r| *r > 0).ok_or_else(|| missing("number of paths (runs)"))?,
        start: day(text(&v, "start"), "start date")?,
        years: num(&v, "years").ok_or_else(|| missing("horizon (years)"))? as u32,
        target_dates,
        p10: pct("p10")?,
        p50: pct("p50")?,
        p90: pct("p90")?,
        amv_p50: pct("amv_p50")?,
    };
    if !(s.p10 <= s.p50 && s.p50 <= s.p90) {
        return Err(StoreError::Invalid(format!(
            "the forecast result's percentiles are out of order (P10 {}, P50 {}, P90 {}): {PRODUCE}",
            s.p10, s.p50, s.p90
        )));
    }
    Ok(s)
}

pub(crate) async fn load_run(tx: &mut Tx, id: i64) -> Result<ForecastRun> {
    let row = sqlx::query("SELECT * FROM forecast_runs WHERE id = $1").bind(id).fetch_optional(&mut **tx).await?;
    match row {
        Some(r) => ForecastRun::from_row(&r),
        None => Err(not_found(id)),
    }
}

fn not_found(id: i64) -> StoreError {
    StoreError::NotFound(format!(
        "there is no forecast run {id} in this record: `spreiding forecast runs` lists the recorded runs, and \
         `spreiding forecast --record` records one"
    ))
}

impl Store {
    /// Record a forecast run (`RecordForecast`): the scenario text, the result JSON and the
    /// figures read from it, with who recorded it and when, in one transaction with its audit
    /// record. Returns the run with its number.
    pub async fn record_forecast_run(&self, act: &Act, r: NewForecastRun) -> Result<ForecastRun> {
        act.actor.may(Action::RecordForecast)?;
        if r.scenario_toml.trim().is_empty() {
            return Err(StoreError::Invalid("the forecast run needs the scenario's TOML text".into()));
        }
        if r.scenario_from.trim().is_empty() {
            return Err(StoreError::Invalid("the forecast run needs the scenario's name or file".into()));
        }
        if !["month", "week", "day"].contains(&r.step.as_str()) {
            return Err(StoreError::Invalid(format!("step: '{}' is not month, week or day", r.step)));
        }
        let s = summary(&r.result_json)?;
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query("SELECT MAX(id) AS n FROM forecast_runs")
            .fetch_one(&mut *tx)
            .await?
            .try_get::<Option<i64>, _>("n")?
            .unwrap_or(0)
            + 1;
        let dates = s.target_dates.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(",");
        let note = r.note.clone().filter(|n| !n.trim().is_empty());
        sqlx::query(
            "INSERT INTO forecast_runs (id, scenario_id, scenario_version, scenario_from, scenario_sha256, scenario_toml, \
             seed, runs, start_date, years, step, target_dates, first_target, p10, p50, p90, amv_p50, result_json, \
             result_sha256, note, recorded_on, recorded_at, recorded_by, recorded_role, synthetic) VALUES ($1, $2, $3, \
             $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)",
        )
        .bind(id)
        .bind(&s.scenario_id)
        .bind(i64::from(s.scenario_version))
        .bind(r.scenario_from.trim())
        .bind(content_hash(&r.scenario_toml))
        .bind(&r.scenario_toml)
        .bind(s.seed.to_string())
        .bind(to_i64(s.runs))
        .bind(s.start.to_string())
        .bind(i64::from(s.years))
        .bind(&r.step)
        .bind(&dates)
        .bind(s.target_dates[0].to_string())
        .bind(to_i64(s.p10))
        .bind(to_i64(s.p50))
        .bind(to_i64(s.p90))
        .bind(to_i64(s.amv_p50))
        .bind(&r.result_json)
        .bind(content_hash(&r.result_json))
        .bind(&note)
        .bind(act.on.to_string())
        .bind(now())
        .bind(&act.actor.name)
        .bind(act.actor.role.to_string())
        .bind(act.synthetic() as i64)
        .execute(&mut *tx)
        .await?;
        self.fail("forecast:after-insert")?;
        let run = load_run(&mut tx, id).await?;
        audit::append(
            &mut tx,
            act,
            Entry {
                action: "forecast.record",
                cycle_id: None,
                subject: format!("forecast {} recorded", run.describe()),
                reason: note,
                before: serde_json::Value::Null,
                after: serde_json::json!({
                    "run": &run,
                    "scenario_sha256": run.scenario_sha256,
                    "result_sha256": run.result_sha256,
                }),
                touches: vec![crate::replay::touch!("forecast_runs", id)],
            },
        )
        .await?;
        self.commit(tx, "forecast.record").await?;
        Ok(run)
    }

    /// One recorded forecast run, with its scenario text and result JSON.
    pub async fn forecast_run(&self, id: i64) -> Result<ForecastRun> {
        let row = sqlx::query("SELECT * FROM forecast_runs WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
        match row {
            Some(r) => ForecastRun::from_row(&r),
            None => Err(not_found(id)),
        }
    }

    /// Every recorded forecast run, newest first.
    pub async fn forecast_runs(&self) -> Result<Vec<ForecastRun>> {
        let rows = sqlx::query("SELECT * FROM forecast_runs ORDER BY id DESC").fetch_all(&self.pool).await?;
        rows.iter().map(ForecastRun::from_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(p: (u64, u64, u64)) -> String {
        serde_json::json!({
            "scenario": {"id": "base", "version": 3, "from": "bundled:base"},
            "seed": 7, "runs": 200, "start": "2025-09-01", "years": 2,
            "required_places": [
                {"date": "2026-01-01", "p10": p.0, "p50": p.1, "p90": p.2, "amv_p50": 4000},
                {"date": "2027-01-01", "p10": 1, "p50": 2, "p90": 3, "amv_p50": 4}
            ]
        })
        .to_string()
    }

    #[test]
    fn the_figures_come_from_the_json_itself() {
        let s = summary(&json((90, 100, 120))).unwrap();
        assert_eq!((s.scenario_id.as_str(), s.scenario_version, s.seed, s.runs, s.years), ("base", 3, 7, 200, 2));
        assert_eq!((s.p10, s.p50, s.p90, s.amv_p50), (90, 100, 120, 4000));
        assert_eq!(s.target_dates.len(), 2);
        assert_eq!(s.target_dates[0].to_string(), "2026-01-01");
    }

    #[test]
    fn a_result_that_is_not_a_forecast_is_refused_with_what_to_do() {
        for bad in ["not json", "{}", r#"{"scenario": {"id": "x", "version": 1}, "required_places": []}"#] {
            let e = summary(bad).unwrap_err().to_string();
            assert!(e.contains("spreiding forecast --format json"), "{e}");
        }
        assert!(summary(&json((130, 100, 120))).unwrap_err().to_string().contains("out of order"));
    }
}
