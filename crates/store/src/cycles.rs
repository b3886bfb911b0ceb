//! Cycles as records: publishing and revising the forecast with its indicative tasks (Wet
//! art. 2–3), with everything needed to reproduce them — the key's definition and version,
//! the population vintage and municipality set, a content hash of every input — and the
//! public facts imported with their source.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use spreiding_core::actor::Action;
use spreiding_core::cycle::{Calendar, CycleId, CycleState, Origin, OtherCycle, Phase, Step, check};
use spreiding_core::plan::{TaskFacts, validate_indicative_tasks};
use spreiding_core::{GmCode, Method, PvCode};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::{self, Entry};
use crate::error::{Result, StoreError};
use crate::{Act, Store, Tx, date, now};

/// Plausibility bound on a national total (places): **(setting)** well above any forecast
/// so far (96,000 in cycle 1), against typing errors.
pub const MAX_NATIONAL_TOTAL: u64 = 1_000_000;

/// One input a cycle's tasks were computed from, with its content hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CycleInput {
    /// `key`, `population`, `indicator`, `registry` or `payments`.
    pub kind: String,
    pub name: String,
    pub source: String,
    pub sha256: String,
    #[serde(default)]
    pub period: Option<String>,
}

/// Public facts of a cycle, imported with their source (not an act of any role).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicFacts {
    pub year: i32,
    pub national_total: u64,
    pub amv_total: Option<u64>,
    /// Places already durably available, when the source says so.
    pub durable_existing: Option<u64>,
    pub published_on: NaiveDate,
    /// The real decision's date, when the source reports it.
    pub decided_on: Option<NaiveDate>,
    /// The citation, e.g. "Kamerbrief 2026D05614".
    pub source: String,
    /// What else the source says, in a sentence or two.
    pub notes: String,
}

/// A cycle as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cycle {
    pub id: CycleId,
    /// Year 1 of the cycle (the forecast year).
    pub year: i32,
    pub phase: Phase,
    pub origin: Origin,
    /// For imported facts: where they come from.
    pub source: Option<String>,
    pub synthetic: bool,
    pub national_total: u64,
    pub amv_total: Option<u64>,
    /// Key definition id@version behind the indicative tasks.
    pub definition: String,
    /// official, reconstruction or illustrative.
    pub key_status: Option<String>,
    pub method: Method,
    /// The key definition's text as published (to reproduce the tasks).
    pub key_toml: Option<String>,
    /// The minister's recorded reason for publishing without the key the law requires.
    pub deviation: Option<String>,
    /// Reference date of the population used.
    pub population_date: Option<NaiveDate>,
    pub municipality_set: Option<String>,
    pub inputs: Vec<CycleInput>,
    /// The indicative tasks' sum (differs from the total only with independent rounding).
    pub tasks_total: Option<u64>,
    /// `computed` (by spreiding's key at publication) or `official` (a published table).
    pub tasks_origin: Option<String>,
    pub facts: Option<PublicFacts>,
    /// 0 for the published forecast, +1 per revision (Wet art. 2).
    pub revision: u32,
    pub published_on: NaiveDate,
    pub published_by: Option<String>,
    pub revised_on: Option<NaiveDate>,
    pub decided_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub note: Option<String>,
    pub recorded_at: Option<String>,
    /// The recorded forecast run the national total was taken from (its P50 of required
    /// places on the first target date), when the forecast was published or revised from one.
    #[serde(default)]
    pub forecast_run_id: Option<i64>,
}

impl Cycle {
    pub fn calendar(&self) -> Calendar {
        Calendar { year: self.year }
    }
    pub fn state(&self) -> CycleState {
        CycleState {
            year: self.year,
            phase: self.phase,
            origin: self.origin,
            published_on: self.published_on,
            decided_on: self.decided_on,
        }
    }

    fn from_row(r: &AnyRow) -> Result<Cycle> {
        let opt_date = |c: &str| -> Result<Option<NaiveDate>> {
            r.try_get::<Option<String>, _>(c)?.as_deref().map(date).transpose()
        };
        let json = |c: &str| -> Result<Option<String>> { r.try_get::<Option<String>, _>(c).map_err(Into::into) };
        let inputs = match json("inputs_json")? {
            Some(s) => serde_json::from_str(&s).map_err(|e| StoreError::Database(format!("stored inputs: {e}")))?,
            None => Vec::new(),
        };
        let facts = match json("facts_json")? {
            Some(s) => Some(serde_json::from_str(&s).map_err(|e| StoreError::Database(format!("stored facts: {e}")))?),
            None => None,
        };
        Ok(Cycle {
            id: r.try_get::<String, _>("id")?.parse()?,
            year: r.try_get::<i64, _>("year")? as i32,
            phase: r.try_get::<String, _>("phase")?.parse()?,
            origin: r.try_get::<String, _>("origin")?.parse()?,
            source: r.try_get("source")?,
            synthetic: r.try_get::<i64, _>("synthetic")? != 0,
            national_total: r.try_get::<i64, _>("national_total")? as u64,
            amv_total: r.try_get::<Option<i64>, _>("amv_total")?.map(|x| x as u64),
            definition: r.try_get("definition")?,
            key_status: r.try_get("key_status")?,
            method: r.try_get::<String, _>("method")?.parse()?,
            key_toml: r.try_get("key_toml")?,
            deviation: r.try_get("deviation")?,
            population_date: opt_date("population_date")?,
            municipality_set: r.try_get("municipality_set")?,
            inputs,
            tasks_total: r.try_get::<Option<i64>, _>("tasks_total")?.map(|x| x as u64),
            tasks_origin: r.try_get("tasks_origin")?,
            facts,
            revision: r.try_get::<i64, _>("revision")? as u32,
            published_on: date(&r.try_get::<String, _>("published_on")?)?,
            published_by: r.try_get("published_by")?,
            revised_on: opt_date("revised_on")?,
            decided_on: opt_date("decided_on")?,
            closed_on: opt_date("closed_on")?,
            note: r.try_get("note")?,
            recorded_at: r.try_get("recorded_at")?,
            forecast_run_id: r.try_get("forecast_run_id")?,
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
    /// Existing durable places credited against the task (from the registry).
    pub credited: u64,
    /// Of those, in AMV locations.
    pub credited_amv: u64,
    /// Exact quota, 4 decimals.
    pub quota: String,
    /// Inhabitants on the cycle's population date.
    pub inwoners: Option<u64>,
    /// The indicator values the key used (name → exact value).
    pub inputs: BTreeMap<String, String>,
}

impl IndicativeTask {
    /// The indicative tasks of a computed distribution (`spreiding_core::distribution::distribute`).
    pub fn from_distribution(d: &spreiding_core::distribution::Distribution) -> Vec<IndicativeTask> {
        d.municipalities
            .iter()
            .enumerate()
            .map(|(i, m)| IndicativeTask {
                gm_code: m.gm_code,
                gm_naam: m.gm_naam.clone(),
                pv_code: m.pv_code,
                task: m.task,
                amv: m.amv,
                credited: m.credited,
                credited_amv: m.credited_amv,
                quota: m.quota.clone(),
                inwoners: Some(m.inwoners),
                inputs: d
                    .key
                    .inputs(i)
                    .iter()
                    .filter(|t| t.indicator != spreiding_core::key::POPULATION)
                    .map(|t| (t.indicator.clone(), t.value.clone()))
                    .collect(),
            })
            .collect()
    }

    pub(crate) fn facts(&self) -> TaskFacts {
        TaskFacts {
            gm_code: self.gm_code,
            gm_naam: self.gm_naam.clone(),
            pv_code: self.pv_code,
            task: self.task,
            amv: self.amv.unwrap_or(0),
            credited: self.credited,
            credited_amv: self.credited_amv,
        }
    }

    fn from_row(r: &AnyRow) -> Result<IndicativeTask> {
        let inputs = match r.try_get::<Option<String>, _>("inputs_json")? {
            Some(s) => {
                serde_json::from_str(&s).map_err(|e| StoreError::Database(format!("stored task inputs: {e}")))?
            }
            None => BTreeMap::new(),
        };
        Ok(IndicativeTask {
            gm_code: r.try_get::<String, _>("gm_code")?.parse()?,
            gm_naam: r.try_get("gm_naam")?,
            pv_code: r.try_get::<String, _>("pv_code")?.parse()?,
            task: r.try_get::<i64, _>("task")? as u64,
            amv: r.try_get::<Option<i64>, _>("amv")?.map(|x| x as u64),
            credited: r.try_get::<i64, _>("credited")? as u64,
            credited_amv: r.try_get::<i64, _>("credited_amv")? as u64,
            quota: r.try_get("quota")?,
            inwoners: r.try_get::<Option<i64>, _>("inwoners")?.map(|x| x as u64),
            inputs,
        })
    }
}

/// A forecast to publish (or a revision of one), with its provenance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCycle {
    pub id: CycleId,
    pub year: i32,
    pub national_total: u64,
    pub amv_total: Option<u64>,
    /// `id@version` of the key.
    pub definition: String,
    pub key_status: String,
    /// The key definition's text (TOML), kept so the tasks can be reproduced.
    pub key_toml: String,
    pub method: Method,
    /// A ministerial deviation from the key the law requires (checked by the core's
    /// `key::legal_key_check` before this is built).
    pub deviation: Option<String>,
    pub population_date: Option<NaiveDate>,
    pub municipality_set: String,
    pub inputs: Vec<CycleInput>,
    pub note: Option<String>,
    pub tasks: Vec<IndicativeTask>,
    /// Publish (or revise) from this recorded forecast run: the national total must be the
    /// run's P50 of required places on its first target date; the cycle's record names the run.
    #[serde(default)]
    pub forecast_run_id: Option<i64>,
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

async fn other_cycles(tx: &mut Tx, except: &CycleId) -> Result<Vec<OtherCycle>> {
    let rows = sqlx::query("SELECT id, year, phase, origin FROM cycles WHERE id <> $1")
        .bind(except.as_str())
        .fetch_all(&mut **tx)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(OtherCycle {
                id: r.try_get::<String, _>("id")?.parse()?,
                year: r.try_get::<i64, _>("year")? as i32,
                phase: r.try_get::<String, _>("phase")?.parse()?,
                origin: r.try_get::<String, _>("origin")?.parse()?,
            })
        })
        .collect()
}

/// The input that names the forecast run a cycle's total comes from.
pub(crate) fn run_input(run: &crate::ForecastRun) -> CycleInput {
    CycleInput {
        kind: "forecast".into(),
        name: format!("forecast run {}", run.id),
        source: format!("{}; recorded by {} on {}", run.describe(), run.recorded_by, run.recorded_on),
        sha256: run.result_sha256.clone(),
        period: Some(run.first_target.to_string()),
    }
}

/// Put the forecast run's input into the cycle's inputs (replacing one already there), after
/// checking that the run exists and that the total is its P50.
async fn link_run(tx: &mut Tx, c: &mut NewCycle) -> Result<Option<crate::ForecastRun>> {
    c.inputs.retain(|i| i.kind != "forecast");
    let Some(id) = c.forecast_run_id else { return Ok(None) };
    let run = crate::forecasts::load_run(tx, id).await?;
    if run.p50 != c.national_total {
        return Err(StoreError::Invalid(format!(
            "total: a cycle published from forecast run {id} takes its P50 of {} places as the national total, not {}",
            run.p50, c.national_total
        )));
    }
    c.inputs.insert(0, run_input(&run));
    Ok(Some(run))
}

impl Store {
    fn validate_forecast(&self, c: &NewCycle) -> Result<()> {
        Calendar::new(c.year)?;
        if c.national_total == 0 || c.national_total > MAX_NATIONAL_TOTAL {
            return Err(StoreError::Invalid(format!(
                "total: a national total of {} places is implausible: give a number between 1 and {MAX_NATIONAL_TOTAL}",
                c.national_total
            )));
        }
        let facts: Vec<TaskFacts> = c.tasks.iter().map(IndicativeTask::facts).collect();
        validate_indicative_tasks(&self.nl, &facts, c.national_total, c.amv_total, c.method.sums_to_total())?;
        Ok(())
    }

    async fn write_tasks(&self, tx: &mut Tx, id: &CycleId, tasks: &[IndicativeTask]) -> Result<()> {
        sqlx::query("DELETE FROM indicative_tasks WHERE cycle_id = $1").bind(id.as_str()).execute(&mut **tx).await?;
        for (i, t) in tasks.iter().enumerate() {
            sqlx::query(
                "INSERT INTO indicative_tasks (cycle_id, gm_code, gm_naam, pv_code, task, amv, credited, quota, inwoners, \
                 credited_amv, inputs_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(id.as_str())
            .bind(t.gm_code.as_str())
            .bind(&t.gm_naam)
            .bind(t.pv_code.as_str())
            .bind(to_i64(t.task))
            .bind(t.amv.map(to_i64))
            .bind(to_i64(t.credited))
            .bind(&t.quota)
            .bind(t.inwoners.map(to_i64))
            .bind(to_i64(t.credited_amv))
            .bind(serde_json::to_string(&t.inputs).expect("serialisable"))
            .execute(&mut **tx)
            .await?;
            if i == tasks.len() / 2 {
                self.fail("publish:after-half-the-tasks")?;
            }
        }
        Ok(())
    }

    /// Publish a cycle's forecast and indicative tasks (Wet art. 2–3): the minister, before
    /// 1 February of year 1 (later only with a reason), in the law's two-year rhythm. A
    /// publication over imported public facts of the same year supersedes them (the facts
    /// stay in the audit trail).
    pub async fn create_cycle(&self, act: &Act, mut c: NewCycle) -> Result<Cycle> {
        act.actor.may(Action::ManageCycle)?;
        self.validate_forecast(&c)?;
        let cal = Calendar::new(c.year)?;
        let mut tx = self.begin().await?;
        let run = link_run(&mut tx, &mut c).await?;
        let existing =
            sqlx::query("SELECT * FROM cycles WHERE id = $1").bind(c.id.as_str()).fetch_optional(&mut *tx).await?;
        let before = existing.as_ref().map(Cycle::from_row).transpose()?;
        if let Some(b) = &before
            && b.origin == Origin::Ministry
        {
            return Err(StoreError::Conflict(format!(
                "duplicate submission: cycle {} was already published on {}; use `cycle revise` to change its forecast \
                 (Wet art. 2)",
                c.id, b.published_on
            )));
        }
        let others = other_cycles(&mut tx, &c.id).await?;
        let permit = check(
            cal,
            before.as_ref().map(Cycle::state).as_ref(),
            &Step::Publish { others },
            act.on,
            act.reason.as_deref(),
        )?;
        if before.is_some() {
            sqlx::query("DELETE FROM cycles WHERE id = $1").bind(c.id.as_str()).execute(&mut *tx).await?;
        }
        let tasks_total: u64 = c.tasks.iter().map(|t| t.task).sum();
        sqlx::query(
            "INSERT INTO cycles (id, year, phase, national_total, amv_total, definition, method, revision, published_on, \
             note, origin, synthetic, key_status, key_toml, deviation, population_date, municipality_set, inputs_json, \
             tasks_total, tasks_origin, published_by, recorded_at, forecast_run_id) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, \
             $8, $9, 'ministry', $10, $11, $12, $13, $14, $15, $16, $17, 'computed', $18, $19, $20)",
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
        .bind(act.synthetic() as i64)
        .bind(&c.key_status)
        .bind(&c.key_toml)
        .bind(&c.deviation)
        .bind(c.population_date.map(|d| d.to_string()))
        .bind(&c.municipality_set)
        .bind(serde_json::to_string(&c.inputs).expect("serialisable"))
        .bind(to_i64(tasks_total))
        .bind(&act.actor.name)
        .bind(now())
        .bind(c.forecast_run_id)
        .execute(&mut *tx)
        .await?;
        self.write_tasks(&mut tx, &c.id, &c.tasks).await?;
        let cycle = load_cycle(&mut tx, &c.id).await?;
        let from_run = run.as_ref().map(|r| format!(" from forecast {}", r.describe())).unwrap_or_default();
        let superseded = before
            .as_ref()
            .map(|b| format!(" (supersedes the public facts imported from {})", b.source.clone().unwrap_or_default()))
            .unwrap_or_default();
        audit::append(
            &mut tx,
            act,
            Entry {
                action: "cycle.publish",
                cycle_id: Some(c.id.as_str()),
                subject: format!("forecast of cycle {}: {} places{from_run}{superseded}", c.id, c.national_total),
                reason: permit
                    .overridden
                    .or_else(|| c.deviation.clone().map(|d| format!("deviation from the key: {d}")))
                    .or_else(|| c.note.clone()),
                before: serde_json::to_value(&before).expect("serialisable"),
                after: serde_json::json!({"cycle": &cycle, "tasks": tasks_json(&c.tasks)}),
                touches: vec![
                    crate::replay::touch!("cycles", c.id.as_str()),
                    crate::replay::touch!("indicative_tasks", c.id.as_str()),
                ],
            },
        )
        .await?;
        self.commit(tx, "cycle.publish").await?;
        Ok(cycle)
    }

    /// Revise the forecast and indicative tasks mid-way (Wet art. 2). Offers, swaps and
    /// reports stay; the revision number goes up.
    pub async fn revise_forecast(&self, act: &Act, mut c: NewCycle) -> Result<Cycle> {
        act.actor.may(Action::ManageCycle)?;
        self.validate_forecast(&c)?;
        let mut tx = self.begin().await?;
        let run = link_run(&mut tx, &mut c).await?;
        let old = load_cycle(&mut tx, &c.id).await?;
        if old.year != c.year {
            return Err(StoreError::Invalid(format!("cycle {} is the cycle of {}, not {}", c.id, old.year, c.year)));
        }
        let permit = check(old.calendar(), Some(&old.state()), &Step::Revise, act.on, act.reason.as_deref())?;
        let old_tasks = load_tasks(&mut tx, &c.id).await?;
        let tasks_total: u64 = c.tasks.iter().map(|t| t.task).sum();
        sqlx::query(
            "UPDATE cycles SET national_total = $1, amv_total = $2, definition = $3, method = $4, revision = revision + 1, \
             revised_on = $5, key_status = $6, key_toml = $7, deviation = $8, population_date = $9, municipality_set = $10, \
             inputs_json = $11, tasks_total = $12, forecast_run_id = $13 WHERE id = $14",
        )
        .bind(to_i64(c.national_total))
        .bind(c.amv_total.map(to_i64))
        .bind(&c.definition)
        .bind(c.method.name())
        .bind(act.on.to_string())
        .bind(&c.key_status)
        .bind(&c.key_toml)
        .bind(&c.deviation)
        .bind(c.population_date.map(|d| d.to_string()))
        .bind(&c.municipality_set)
        .bind(serde_json::to_string(&c.inputs).expect("serialisable"))
        .bind(to_i64(tasks_total))
        .bind(c.forecast_run_id)
        .bind(c.id.as_str())
        .execute(&mut *tx)
        .await?;
        self.write_tasks(&mut tx, &c.id, &c.tasks).await?;
        let cycle = load_cycle(&mut tx, &c.id).await?;
        let from_run = run.as_ref().map(|r| format!(" from forecast {}", r.describe())).unwrap_or_default();
        audit::append(
            &mut tx,
            act,
            Entry {
                action: "cycle.revise",
                cycle_id: Some(c.id.as_str()),
                subject: format!(
                    "forecast of cycle {} revised: {} → {} places{from_run} (revision {})",
                    c.id, old.national_total, c.national_total, cycle.revision
                ),
                reason: permit.overridden.or_else(|| c.note.clone()),
                before: serde_json::json!({"cycle": &old, "tasks": tasks_json(&old_tasks)}),
                after: serde_json::json!({"cycle": &cycle, "tasks": tasks_json(&c.tasks)}),
                touches: vec![
                    crate::replay::touch!("cycles", c.id.as_str()),
                    crate::replay::touch!("indicative_tasks", c.id.as_str()),
                ],
            },
        )
        .await?;
        self.commit(tx, "cycle.revise").await?;
        Ok(cycle)
    }

    /// Record public facts of a cycle imported with their source: not an act of any role,
    /// no override, no tasks invented. Only into a cycle the record does not hold yet;
    /// refused in a demo database. Returns `None` when the cycle exists (nothing written).
    pub async fn import_public_facts(&self, f: &PublicFacts) -> Result<Option<Cycle>> {
        Calendar::new(f.year)?;
        let id: CycleId = f.year.to_string().parse()?;
        let act = Act::import(&f.source, f.published_on);
        let mut tx = self.begin().await?;
        if sqlx::query("SELECT id FROM cycles WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .is_some()
        {
            return Ok(None);
        }
        let phase = if f.decided_on.is_some() { Phase::Decided } else { Phase::Tables };
        sqlx::query(
            "INSERT INTO cycles (id, year, phase, national_total, amv_total, definition, method, revision, published_on, \
             decided_on, note, origin, source, facts_json, tasks_origin, recorded_at) VALUES ($1, $2, $3, $4, $5, \
             'none', 'hamilton', 0, $6, $7, $8, 'import', $9, $10, 'none', $11)",
        )
        .bind(id.as_str())
        .bind(f.year as i64)
        .bind(phase.name())
        .bind(to_i64(f.national_total))
        .bind(f.amv_total.map(to_i64))
        .bind(f.published_on.to_string())
        .bind(f.decided_on.map(|d| d.to_string()))
        .bind(&f.notes)
        .bind(&f.source)
        .bind(serde_json::to_string(f).expect("serialisable"))
        .bind(now())
        .execute(&mut *tx)
        .await?;
        let cycle = load_cycle(&mut tx, &id).await?;
        audit::append(
            &mut tx,
            &act,
            Entry {
                action: "facts.import",
                cycle_id: Some(id.as_str()),
                subject: format!("public facts of cycle {id} imported: {} places ({})", f.national_total, f.source),
                reason: Some(format!("source: {}", f.source)),
                before: serde_json::Value::Null,
                after: serde_json::to_value(f).expect("serialisable"),
                touches: vec![crate::replay::touch!("cycles", id.as_str())],
            },
        )
        .await?;
        self.commit(tx, "facts.import").await?;
        Ok(Some(cycle))
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

    /// The current cycle: the latest published one that is not closed; else (nothing
    /// published) the latest record of imported public facts.
    pub async fn current_cycle(&self) -> Result<Option<Cycle>> {
        let all = self.cycles().await?;
        if let Some(c) = all.iter().find(|c| c.origin == Origin::Ministry && c.phase != Phase::Closed) {
            return Ok(Some(c.clone()));
        }
        Ok(all.into_iter().find(|c| c.origin == Origin::Import))
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

/// What the portal asks the minister for when publishing (or revising) a forecast.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForecastRequest {
    pub id: CycleId,
    pub year: i32,
    pub national_total: u64,
    pub amv_total: Option<u64>,
    /// An indicator set of the record (`ses_woa:2022`); without it the population-only key.
    pub ses_woa: Option<String>,
    pub deviation: Option<String>,
    /// The date of publication (the registry's credits are judged on it).
    pub on: NaiveDate,
    /// Publish from this recorded forecast run (`national_total` is then its P50).
    pub forecast_run: Option<i64>,
}

/// The facts a forecast stands on, gathered from the record by [`Store::forecast_base`]: the
/// municipalities with their population on the vintage, SES-WOA when asked, the registry's
/// credits, and the description (source and content hash) of each of them and of the payment
/// table. The key itself is the caller's choice; its input is put first by the caller.
pub struct ForecastBase {
    pub nl: spreiding_core::region::Netherlands,
    pub indicators: spreiding_core::key::Indicators,
    pub credits: Vec<spreiding_core::distribution::CreditLocation>,
    pub inputs: Vec<CycleInput>,
}

impl Store {
    /// Gather what a forecast on `vintage` stands on: the population vintage (imported, else
    /// bundled), the indicator set `ses_woa` of the record when given, the registry's credits
    /// judged on `on`, and the payment table. One place for the portal's and the command
    /// line's forecasts, so both record the same inputs. Writes nothing.
    pub async fn forecast_base(
        &self,
        vintage: NaiveDate,
        ses_woa: Option<&str>,
        on: NaiveDate,
    ) -> Result<ForecastBase> {
        use spreiding_core::reference::{PopulationVintage, bundled_netherlands_on, content_hash, netherlands_on};
        let mut inputs = Vec::new();
        let nl = match self.population_vintage(vintage).await? {
            Some(v) => {
                inputs.push(CycleInput {
                    kind: "population".into(),
                    name: format!("inwoners {vintage}"),
                    source: v.source.clone(),
                    sha256: v.sha256.clone(),
                    period: Some(vintage.to_string()),
                });
                netherlands_on(
                    &self.nl,
                    &PopulationVintage {
                        reference_date: vintage,
                        source: v.source,
                        sha256: v.sha256,
                        values: v.values,
                    },
                )?
            }
            None => {
                let (n, v) = bundled_netherlands_on(vintage)?;
                inputs.push(CycleInput {
                    kind: "population".into(),
                    name: format!("inwoners {vintage}"),
                    source: v.source,
                    sha256: v.sha256,
                    period: Some(vintage.to_string()),
                });
                n
            }
        };
        let mut indicators = spreiding_core::key::Indicators::default();
        if let Some(id) = ses_woa {
            let set = self.indicator_set(id).await?;
            let mut csv = String::from("gm_code,ses_woa\n");
            for (g, v) in &set.values {
                csv.push_str(&format!("{g},{v}\n"));
            }
            indicators.add_csv(&format!("{} ({})", set.id, set.table_id), &csv)?;
            inputs.push(CycleInput {
                kind: "indicator".into(),
                name: set.id.clone(),
                source: format!("{} — {}", set.table_id, set.source),
                sha256: set.sha256.clone(),
                period: Some(set.period.clone()),
            });
        }
        let locations = self.locations(&[]).await?;
        let credits: Vec<spreiding_core::distribution::CreditLocation> = locations
            .iter()
            .filter_map(|l| spreiding_core::distribution::CreditLocation::from_location(l, on))
            .collect();
        inputs.push(CycleInput {
            kind: "registry".into(),
            name: format!("location registry ({} locations)", credits.len()),
            source: "the location registry in this database".into(),
            sha256: content_hash(&serde_json::to_string(&credits).expect("serialisable")),
            period: Some(on.to_string()),
        });
        let table = spreiding_core::bundled::payment_table()?;
        inputs.push(CycleInput {
            kind: "payments".into(),
            name: table.label(),
            source: table.source.clone(),
            sha256: content_hash(spreiding_core::bundled::PAYMENTS_TOML),
            period: Some(table.valid_from.to_string()),
        });
        Ok(ForecastBase { nl, indicators, credits, inputs })
    }

    /// Gather the facts of a forecast ([`Store::forecast_base`] on the cycle's vintage) and
    /// ask the core for the tasks (the Spreidingswet key with SES-WOA, else the population-only
    /// key) and whether the key is the one the law requires. Writes nothing: the minister sees
    /// the result before publishing it with [`Store::create_cycle`].
    pub async fn prepare_forecast(
        &self,
        r: &ForecastRequest,
    ) -> Result<(NewCycle, spreiding_core::distribution::Distribution)> {
        use spreiding_core::reference::{content_hash, vintage_for_cycle};
        Calendar::new(r.year)?;
        let vintage = vintage_for_cycle(r.year);
        let ForecastBase { nl, indicators: ind, credits, mut inputs } =
            self.forecast_base(vintage, r.ses_woa.as_deref(), r.on).await?;
        let key_id = match &r.ses_woa {
            Some(_) => spreiding_core::bundled::SPREIDINGSWET_KEY,
            None => spreiding_core::bundled::POPULATION_KEY,
        };
        let (_, file, toml) = spreiding_core::bundled::KEYS.iter().find(|k| k.0 == key_id).expect("shipped key");
        let def = spreiding_core::key::KeyDefinition::parse(file, toml)?;
        let deviation = spreiding_core::key::legal_key_check(&def, r.deviation.as_deref())?;
        inputs.insert(
            0,
            CycleInput {
                kind: "key".into(),
                name: format!("{}@{}", def.id, def.version),
                source: def.source.clone(),
                sha256: content_hash(toml),
                period: None,
            },
        );
        let key = spreiding_core::key::run_key(&def, &nl.set, &ind, r.national_total, None)?;
        let note = (key_id == spreiding_core::bundled::POPULATION_KEY)
            .then(|| "SES-WOA not loaded: population-only key".to_string());
        let d = spreiding_core::distribution::distribute(&nl, key, r.amv_total, &credits, note)?;
        let c = NewCycle {
            id: r.id.clone(),
            year: r.year,
            national_total: d.total,
            amv_total: d.amv_total,
            definition: format!("{}@{}", d.definition.id, d.definition.version),
            key_status: d.definition.status.clone(),
            key_toml: toml.to_string(),
            method: d.key.apportionment.method,
            deviation,
            population_date: Some(vintage),
            municipality_set: nl.set.source.clone(),
            inputs,
            note: d.definition.note.clone(),
            tasks: IndicativeTask::from_distribution(&d),
            forecast_run_id: r.forecast_run,
        };
        let mut c = c;
        if let Some(id) = r.forecast_run {
            // The preview shows the run among the inputs; publishing checks it again.
            let run = self.forecast_run(id).await?;
            c.inputs.insert(0, run_input(&run));
        }
        Ok((c, d))
    }
}
