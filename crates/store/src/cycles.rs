//! Cycles: publishing and revising the forecast with its indicative tasks (Wet art. 2–3).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use spreiding_core::actor::Action;
use spreiding_core::cycle::{Calendar, CycleId, CycleState, Phase, Step, check};
use spreiding_core::distribution::Distribution;
use spreiding_core::{GmCode, Method, PvCode};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::{self, Entry};
use crate::error::{Result, StoreError};
use crate::{Act, Store, Tx, date};

/// Plausibility bound on a national total (places): **(setting)** well above any forecast
/// so far (96,000 in cycle 1), against typing errors.
pub const MAX_NATIONAL_TOTAL: u64 = 1_000_000;

/// A cycle as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cycle {
    pub id: CycleId,
    /// Year 1 of the cycle (the forecast year).
    pub year: i32,
    pub phase: Phase,
    pub national_total: u64,
    pub amv_total: Option<u64>,
    /// Key definition id@version behind the indicative tasks.
    pub definition: String,
    pub method: Method,
    /// 0 for the published forecast, +1 per revision (Wet art. 2).
    pub revision: u32,
    pub published_on: NaiveDate,
    pub revised_on: Option<NaiveDate>,
    pub decided_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub note: Option<String>,
}

impl Cycle {
    pub fn calendar(&self) -> Calendar {
        Calendar { year: self.year }
    }
    pub fn state(&self) -> CycleState {
        CycleState { year: self.year, phase: self.phase, published_on: self.published_on, decided_on: self.decided_on }
    }

    fn from_row(r: &AnyRow) -> Result<Cycle> {
        let opt_date = |c: &str| -> Result<Option<NaiveDate>> {
            r.try_get::<Option<String>, _>(c)?.as_deref().map(date).transpose()
        };
        Ok(Cycle {
            id: r.try_get::<String, _>("id")?.parse()?,
            year: r.try_get::<i64, _>("year")? as i32,
            phase: r.try_get::<String, _>("phase")?.parse()?,
            national_total: r.try_get::<i64, _>("national_total")? as u64,
            amv_total: r.try_get::<Option<i64>, _>("amv_total")?.map(|x| x as u64),
            definition: r.try_get("definition")?,
            method: r.try_get::<String, _>("method")?.parse()?,
            revision: r.try_get::<i64, _>("revision")? as u32,
            published_on: date(&r.try_get::<String, _>("published_on")?)?,
            revised_on: opt_date("revised_on")?,
            decided_on: opt_date("decided_on")?,
            closed_on: opt_date("closed_on")?,
            note: r.try_get("note")?,
        })
    }
}

/// One municipality's indicative task in a cycle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndicativeTask {
    pub gm_code: GmCode,
    pub gm_naam: String,
    pub pv_code: PvCode,
    pub task: u64,
    pub amv: Option<u64>,
    /// Existing durable places credited against the task.
    pub credited: u64,
    /// Exact quota, 4 decimals.
    pub quota: String,
}

impl IndicativeTask {
    /// The indicative tasks of a computed distribution (`spreiding_core::distribution::distribute`).
    pub fn from_distribution(d: &Distribution) -> Vec<IndicativeTask> {
        d.municipalities
            .iter()
            .map(|m| IndicativeTask {
                gm_code: m.gm_code,
                gm_naam: m.gm_naam.clone(),
                pv_code: m.pv_code,
                task: m.task,
                amv: m.amv,
                credited: m.credited,
                quota: m.quota.clone(),
            })
            .collect()
    }

    fn from_row(r: &AnyRow) -> Result<IndicativeTask> {
        Ok(IndicativeTask {
            gm_code: r.try_get::<String, _>("gm_code")?.parse()?,
            gm_naam: r.try_get("gm_naam")?,
            pv_code: r.try_get::<String, _>("pv_code")?.parse()?,
            task: r.try_get::<i64, _>("task")? as u64,
            amv: r.try_get::<Option<i64>, _>("amv")?.map(|x| x as u64),
            credited: r.try_get::<i64, _>("credited")? as u64,
            quota: r.try_get("quota")?,
        })
    }
}

/// A forecast to publish (or a revision of one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCycle {
    pub id: CycleId,
    pub year: i32,
    pub national_total: u64,
    pub amv_total: Option<u64>,
    pub definition: String,
    pub method: Method,
    pub note: Option<String>,
    pub tasks: Vec<IndicativeTask>,
}

pub(crate) fn to_i64(x: u64) -> i64 {
    i64::try_from(x).unwrap_or(i64::MAX)
}

pub(crate) async fn load_cycle(tx: &mut Tx, id: &CycleId) -> Result<Cycle> {
    let row = sqlx::query("SELECT * FROM cycles WHERE id = $1").bind(id.as_str()).fetch_optional(&mut **tx).await?;
    match row {
        Some(r) => Cycle::from_row(&r),
        None => Err(StoreError::NotFound(format!(
            "there is no cycle {id}: the minister publishes it with `spreiding cycle new`"
        ))),
    }
}

pub(crate) async fn load_tasks(tx: &mut Tx, id: &CycleId) -> Result<Vec<IndicativeTask>> {
    let rows = sqlx::query("SELECT * FROM indicative_tasks WHERE cycle_id = $1 ORDER BY gm_code")
        .bind(id.as_str())
        .fetch_all(&mut **tx)
        .await?;
    rows.iter().map(IndicativeTask::from_row).collect()
}

impl Store {
    fn validate_forecast(&self, c: &NewCycle) -> Result<()> {
        Calendar::new(c.year)?;
        if c.national_total == 0 || c.national_total > MAX_NATIONAL_TOTAL {
            return Err(StoreError::Invalid(format!(
                "a national total of {} places is implausible: give a number between 1 and {MAX_NATIONAL_TOTAL}",
                c.national_total
            )));
        }
        if let Some(a) = c.amv_total
            && a > c.national_total
        {
            return Err(StoreError::Invalid(format!(
                "the AMV sub-task ({a}) cannot exceed the national total ({})",
                c.national_total
            )));
        }
        let mut seen = BTreeSet::new();
        for t in &c.tasks {
            let Some(m) = self.nl.municipality(t.gm_code) else {
                return Err(StoreError::Invalid(format!(
                    "unknown municipality {}: not in the reference data",
                    t.gm_code
                )));
            };
            if m.province != t.pv_code {
                return Err(StoreError::Invalid(format!("{} lies in {}, not in {}", t.gm_code, m.province, t.pv_code)));
            }
            if !seen.insert(t.gm_code) {
                return Err(StoreError::Invalid(format!("{} has two indicative tasks", t.gm_code)));
            }
        }
        if seen.len() != self.nl.municipalities.len() {
            return Err(StoreError::Invalid(format!(
                "the forecast gives tasks for {} municipalities; all {} need one (Wet art. 3)",
                seen.len(),
                self.nl.municipalities.len()
            )));
        }
        let sum: u64 = c.tasks.iter().map(|t| t.task).sum();
        if sum != c.national_total {
            return Err(StoreError::Invalid(format!(
                "the indicative tasks add up to {sum}, not the national total {}",
                c.national_total
            )));
        }
        Ok(())
    }

    async fn write_tasks(&self, tx: &mut Tx, id: &CycleId, tasks: &[IndicativeTask]) -> Result<()> {
        sqlx::query("DELETE FROM indicative_tasks WHERE cycle_id = $1").bind(id.as_str()).execute(&mut **tx).await?;
        for t in tasks {
            sqlx::query(
                "INSERT INTO indicative_tasks (cycle_id, gm_code, gm_naam, pv_code, task, amv, credited, quota) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id.as_str())
            .bind(t.gm_code.as_str())
            .bind(&t.gm_naam)
            .bind(t.pv_code.as_str())
            .bind(to_i64(t.task))
            .bind(t.amv.map(to_i64))
            .bind(to_i64(t.credited))
            .bind(&t.quota)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// Publish a cycle's forecast and indicative tasks (Wet art. 2–3): the minister, before
    /// 1 February of year 1 (later only with `act.reason`).
    pub async fn create_cycle(&self, act: &Act, c: NewCycle) -> Result<Cycle> {
        act.actor.may(Action::ManageCycle)?;
        self.validate_forecast(&c)?;
        let cal = Calendar::new(c.year)?;
        let mut tx = self.begin().await?;
        let exists =
            sqlx::query("SELECT id FROM cycles WHERE id = $1").bind(c.id.as_str()).fetch_optional(&mut *tx).await?;
        if exists.is_some() {
            return Err(StoreError::Conflict(format!(
                "duplicate submission: cycle {} already exists; use `cycle revise` to change its forecast (Wet art. 2)",
                c.id
            )));
        }
        let permit = check(cal, None, &Step::Publish, act.on, act.reason.as_deref())?;
        sqlx::query(
            "INSERT INTO cycles (id, year, phase, national_total, amv_total, definition, method, revision, \
             published_on, note) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9)",
        )
        .bind(c.id.as_str())
        .bind(c.year as i64)
        .bind(permit.phase.name())
        .bind(to_i64(c.national_total))
        .bind(c.amv_total.map(to_i64))
        .bind(&c.definition)
        .bind(c.method.name())
        .bind(act.on.to_string())
        .bind(&c.note)
        .execute(&mut *tx)
        .await?;
        self.write_tasks(&mut tx, &c.id, &c.tasks).await?;
        let cycle = load_cycle(&mut tx, &c.id).await?;
        audit::append(
            &mut tx,
            act,
            Entry {
                action: "cycle.publish",
                cycle_id: Some(c.id.as_str()),
                subject: format!("forecast of cycle {}: {} places", c.id, c.national_total),
                reason: permit.overridden.or_else(|| c.note.clone()),
                before: serde_json::Value::Null,
                after: serde_json::json!({"cycle": &cycle, "tasks": tasks_json(&c.tasks)}),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(cycle)
    }

    /// Revise the forecast and indicative tasks mid-way (Wet art. 2). Offers, swaps and
    /// reports stay; the revision number goes up.
    pub async fn revise_forecast(&self, act: &Act, c: NewCycle) -> Result<Cycle> {
        act.actor.may(Action::ManageCycle)?;
        self.validate_forecast(&c)?;
        let mut tx = self.begin().await?;
        let old = load_cycle(&mut tx, &c.id).await?;
        if old.year != c.year {
            return Err(StoreError::Invalid(format!("cycle {} is the cycle of {}, not {}", c.id, old.year, c.year)));
        }
        let permit = check(old.calendar(), Some(&old.state()), &Step::Revise, act.on, act.reason.as_deref())?;
        let old_tasks = load_tasks(&mut tx, &c.id).await?;
        sqlx::query(
            "UPDATE cycles SET national_total = $1, amv_total = $2, definition = $3, method = $4, \
             revision = revision + 1, revised_on = $5 WHERE id = $6",
        )
        .bind(to_i64(c.national_total))
        .bind(c.amv_total.map(to_i64))
        .bind(&c.definition)
        .bind(c.method.name())
        .bind(act.on.to_string())
        .bind(c.id.as_str())
        .execute(&mut *tx)
        .await?;
        self.write_tasks(&mut tx, &c.id, &c.tasks).await?;
        let cycle = load_cycle(&mut tx, &c.id).await?;
        audit::append(
            &mut tx,
            act,
            Entry {
                action: "cycle.revise",
                cycle_id: Some(c.id.as_str()),
                subject: format!(
                    "forecast of cycle {} revised: {} → {} places (revision {})",
                    c.id, old.national_total, c.national_total, cycle.revision
                ),
                reason: permit.overridden.or_else(|| c.note.clone()),
                before: serde_json::json!({"cycle": &old, "tasks": tasks_json(&old_tasks)}),
                after: serde_json::json!({"cycle": &cycle, "tasks": tasks_json(&c.tasks)}),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(cycle)
    }

    /// One cycle.
    pub async fn cycle(&self, id: &CycleId) -> Result<Cycle> {
        let row =
            sqlx::query("SELECT * FROM cycles WHERE id = $1").bind(id.as_str()).fetch_optional(&self.pool).await?;
        match row {
            Some(r) => Cycle::from_row(&r),
            None => Err(StoreError::NotFound(format!(
                "there is no cycle {id}: the minister publishes it with `spreiding cycle new`"
            ))),
        }
    }

    /// All cycles, newest first.
    pub async fn cycles(&self) -> Result<Vec<Cycle>> {
        let rows = sqlx::query("SELECT * FROM cycles ORDER BY year DESC, id DESC").fetch_all(&self.pool).await?;
        rows.iter().map(Cycle::from_row).collect()
    }

    /// The indicative tasks of a cycle (current revision), by municipality code.
    pub async fn indicative_tasks(&self, id: &CycleId) -> Result<Vec<IndicativeTask>> {
        let rows = sqlx::query("SELECT * FROM indicative_tasks WHERE cycle_id = $1 ORDER BY gm_code")
            .bind(id.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(IndicativeTask::from_row).collect()
    }
}

/// Compact audit form of the tasks: code → task.
fn tasks_json(tasks: &[IndicativeTask]) -> serde_json::Value {
    let mut sorted: Vec<&IndicativeTask> = tasks.iter().collect();
    sorted.sort_by_key(|t| t.gm_code);
    serde_json::Value::Array(
        sorted.iter().map(|t| serde_json::json!([t.gm_code.as_str(), t.task, t.amv, t.credited])).collect(),
    )
}
