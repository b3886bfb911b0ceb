//! The distribution decision, realisation and the cycle's status.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use spreiding_core::actor::Action;
use spreiding_core::cycle::{Calendar, CycleId, Phase, Progress, Step, check};
use spreiding_core::decision::{Decision, DecisionInput, DecisionRule, decide};
use spreiding_core::{GmCode, PvCode};
use sqlx::Row;

use crate::audit::{self, Entry};
use crate::cycles::{Cycle, load_cycle, to_i64};
use crate::error::{Result, StoreError};
use crate::offers::plan_lines;
use crate::{Act, Store, date};

/// One realisation record: places realised (cumulative) by a municipality as of a date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Realisation {
    pub gm_code: GmCode,
    pub on_date: NaiveDate,
    pub realised: u64,
    /// Recorded after the realisation deadline.
    pub late: bool,
    pub recorded_by: String,
}

/// One municipality's standing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MunicipalityStatus {
    pub gm_code: GmCode,
    pub gm_naam: String,
    pub pv_code: PvCode,
    pub indicative_task: u64,
    pub agreed_task: u64,
    pub credited: u64,
    pub offered: u64,
    pub commitment: u64,
    pub binding_task: Option<u64>,
    /// Latest realised places recorded (0 when none).
    pub realised: u64,
    pub progress: Progress,
}

/// One province's standing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvinceStatus {
    pub pv_code: PvCode,
    pub pv_naam: String,
    pub task: u64,
    pub commitment: u64,
    pub reported_on: Option<NaiveDate>,
    pub binding_task: Option<u64>,
    pub realised: u64,
    pub progress: Progress,
}

/// Where a cycle stands on a date: deadlines, next step, provinces and municipalities.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CycleStatus {
    pub cycle: Cycle,
    pub on: NaiveDate,
    pub forecast_deadline: NaiveDate,
    pub report_deadline: NaiveDate,
    pub decision_deadline: NaiveDate,
    pub realisation_deadline: Option<NaiveDate>,
    /// What happens next, in a sentence.
    pub next: String,
    pub offers: usize,
    pub swaps: usize,
    pub provinces: Vec<ProvinceStatus>,
    pub municipalities: Vec<MunicipalityStatus>,
}

impl Store {
    /// Take the distribution decision (Wet art. 5–6) for a cycle: by 31 December (later
    /// only with `act.reason`), after the CdK reports (or after 1 November for provinces
    /// that did not report). Writes the decision, every binding task with its explanation,
    /// the new phase and the audit record in one transaction.
    pub async fn decide(&self, act: &Act, cycle: &CycleId, rule: DecisionRule) -> Result<Decision> {
        act.actor.may(Action::Decide)?;
        let mut tx = self.begin().await?;
        let c = load_cycle(&mut tx, cycle).await?;
        let rows = sqlx::query("SELECT pv_code FROM reports WHERE cycle_id = $1")
            .bind(cycle.as_str())
            .fetch_all(&mut *tx)
            .await?;
        let reported: Vec<String> = rows.iter().map(|r| r.try_get("pv_code")).collect::<Result<_, _>>()?;
        let missing: Vec<String> =
            self.nl.provinces.iter().map(|p| p.code.to_string()).filter(|p| !reported.contains(p)).collect();
        let permit = check(
            c.calendar(),
            Some(&c.state()),
            &Step::Decide { missing_reports: missing.clone() },
            act.on,
            act.reason.as_deref(),
        )?;
        let lines = plan_lines(&mut tx, cycle).await?;
        let d = decide(&DecisionInput { national_total: c.national_total, lines, rule, decided_on: act.on })?;
        let document = serde_json::to_string(&d).expect("serialisable");
        sqlx::query(
            "INSERT INTO decisions (cycle_id, decided_on, decided_by, designation, over_delivery, method, \
             national_total, binding_total, realisation_deadline, override_reason, summary, document) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(cycle.as_str())
        .bind(act.on.to_string())
        .bind(&act.actor.name)
        .bind(rule.designation.name())
        .bind(rule.over_delivery.name())
        .bind(rule.method.name())
        .bind(to_i64(d.national_total))
        .bind(to_i64(d.binding_total))
        .bind(d.realisation_deadline.to_string())
        .bind(&permit.overridden)
        .bind(&d.summary)
        .bind(&document)
        .execute(&mut *tx)
        .await?;
        for (i, m) in d.municipalities.iter().enumerate() {
            sqlx::query(
                "INSERT INTO binding_tasks (cycle_id, gm_code, pv_code, indicative_task, commitment, shortfall_share, \
                 binding_task, explanation) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(cycle.as_str())
            .bind(m.gm_code.as_str())
            .bind(m.pv_code.as_str())
            .bind(to_i64(m.indicative_task))
            .bind(to_i64(m.commitment))
            .bind(to_i64(m.shortfall_share))
            .bind(to_i64(m.binding_task))
            .bind(&m.explanation)
            .execute(&mut *tx)
            .await?;
            if i == d.municipalities.len() / 2 {
                self.fail("decide:after-tasks")?;
            }
        }
        sqlx::query("UPDATE cycles SET phase = $1, decided_on = $2 WHERE id = $3")
            .bind(permit.phase.name())
            .bind(act.on.to_string())
            .bind(cycle.as_str())
            .execute(&mut *tx)
            .await?;
        let missing_note = if missing.is_empty() {
            String::new()
        } else {
            format!("; without a report from {} (their offers count as their plan)", missing.join(", "))
        };
        audit::append(
            &mut tx,
            act,
            Entry {
                action: "decision.take",
                cycle_id: Some(cycle.as_str()),
                subject: format!(
                    "distribution decision for cycle {cycle}: {} binding places{missing_note}",
                    d.binding_total
                ),
                reason: permit.overridden.clone(),
                before: serde_json::json!({"phase": c.phase}),
                after: serde_json::json!({
                    "phase": permit.phase,
                    "rule": rule,
                    "binding_total": d.binding_total,
                    "realisation_deadline": d.realisation_deadline,
                    "binding_tasks": d.municipalities.iter().map(|m| serde_json::json!([m.gm_code.as_str(), m.binding_task])).collect::<Vec<_>>(),
                }),
            },
        )
        .await?;
        self.fail("decide:before-commit")?;
        tx.commit().await?;
        Ok(d)
    }

    /// The decision of a cycle, if taken.
    pub async fn decision(&self, cycle: &CycleId) -> Result<Option<Decision>> {
        let r = sqlx::query("SELECT document FROM decisions WHERE cycle_id = $1")
            .bind(cycle.as_str())
            .fetch_optional(&self.pool)
            .await?;
        match r {
            None => Ok(None),
            Some(r) => {
                let doc: String = r.try_get("document")?;
                serde_json::from_str(&doc)
                    .map(Some)
                    .map_err(|e| StoreError::Database(format!("stored decision of {cycle} is unreadable: {e}")))
            }
        }
    }

    /// Record the places a municipality has realised (cumulative, as of `act.on`), once
    /// per date. Records after the realisation deadline are kept and marked late.
    pub async fn record_realisation(
        &self,
        act: &Act,
        cycle: &CycleId,
        gm: GmCode,
        realised: u64,
    ) -> Result<Realisation> {
        act.actor.may(Action::Realise(gm))?;
        if self.nl.municipality(gm).is_none() {
            return Err(StoreError::Invalid(format!("unknown municipality {gm}: not in the reference data")));
        }
        let mut tx = self.begin().await?;
        let c = load_cycle(&mut tx, cycle).await?;
        let permit = check(c.calendar(), Some(&c.state()), &Step::Realise, act.on, None)?;
        if realised > c.national_total {
            return Err(StoreError::Invalid(format!(
                "{realised} realised places for {gm} exceed the national total {}: check the number",
                c.national_total
            )));
        }
        let dup =
            sqlx::query("SELECT realised FROM realisations WHERE cycle_id = $1 AND gm_code = $2 AND on_date = $3")
                .bind(cycle.as_str())
                .bind(gm.as_str())
                .bind(act.on.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(d) = dup {
            return Err(StoreError::Conflict(format!(
                "duplicate submission: {gm} already recorded {} realised places on {}",
                d.try_get::<i64, _>("realised")?,
                act.on
            )));
        }
        let before = sqlx::query(
            "SELECT realised, on_date FROM realisations WHERE cycle_id = $1 AND gm_code = $2 ORDER BY on_date DESC",
        )
        .bind(cycle.as_str())
        .bind(gm.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let before = match before {
            Some(r) => {
                serde_json::json!({"realised": r.try_get::<i64, _>("realised")?, "on": r.try_get::<String, _>("on_date")?})
            }
            None => serde_json::Value::Null,
        };
        sqlx::query(
            "INSERT INTO realisations (cycle_id, gm_code, on_date, realised, late, recorded_by) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(cycle.as_str())
        .bind(gm.as_str())
        .bind(act.on.to_string())
        .bind(to_i64(realised))
        .bind(permit.late.is_some() as i64)
        .bind(&act.actor.name)
        .execute(&mut *tx)
        .await?;
        let rec = Realisation {
            gm_code: gm,
            on_date: act.on,
            realised,
            late: permit.late.is_some(),
            recorded_by: act.actor.name.clone(),
        };
        audit::append(
            &mut tx,
            act,
            Entry {
                action: "realisation.record",
                cycle_id: Some(cycle.as_str()),
                subject: format!("{gm} has realised {realised} places"),
                reason: permit.late.clone(),
                before,
                after: serde_json::to_value(&rec).expect("serialisable"),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(rec)
    }

    /// All realisation records of a cycle, by municipality and date.
    pub async fn realisations(&self, cycle: &CycleId) -> Result<Vec<Realisation>> {
        let rows = sqlx::query("SELECT * FROM realisations WHERE cycle_id = $1 ORDER BY gm_code, on_date")
            .bind(cycle.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Realisation {
                    gm_code: r.try_get::<String, _>("gm_code")?.parse()?,
                    on_date: date(&r.try_get::<String, _>("on_date")?)?,
                    realised: r.try_get::<i64, _>("realised")? as u64,
                    late: r.try_get::<i64, _>("late")? != 0,
                    recorded_by: r.try_get("recorded_by")?,
                })
            })
            .collect()
    }

    /// Close the cycle after the realisation period (earlier only with `act.reason`).
    pub async fn close_cycle(&self, act: &Act, cycle: &CycleId) -> Result<Cycle> {
        act.actor.may(Action::ManageCycle)?;
        let mut tx = self.begin().await?;
        let c = load_cycle(&mut tx, cycle).await?;
        let permit = check(c.calendar(), Some(&c.state()), &Step::Close, act.on, act.reason.as_deref())?;
        sqlx::query("UPDATE cycles SET phase = $1, closed_on = $2 WHERE id = $3")
            .bind(permit.phase.name())
            .bind(act.on.to_string())
            .bind(cycle.as_str())
            .execute(&mut *tx)
            .await?;
        let after = load_cycle(&mut tx, cycle).await?;
        audit::append(
            &mut tx,
            act,
            Entry {
                action: "cycle.close",
                cycle_id: Some(cycle.as_str()),
                subject: format!("cycle {cycle} closed"),
                reason: permit.overridden,
                before: serde_json::to_value(&c).expect("serialisable"),
                after: serde_json::to_value(&after).expect("serialisable"),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Where the cycle stands on `on`: per province and municipality, before the decision
    /// offers against tasks (short/covered), after it realised places against binding tasks
    /// (on track/behind/realised/over-delivering).
    pub async fn status(&self, cycle: &CycleId, on: NaiveDate) -> Result<CycleStatus> {
        let mut tx = self.pool.begin().await?;
        let c = load_cycle(&mut tx, cycle).await?;
        let lines = plan_lines(&mut tx, cycle).await?;
        tx.rollback().await?;
        let decision = self.decision(cycle).await?;
        let binding: BTreeMap<GmCode, u64> = decision
            .as_ref()
            .map(|d| d.municipalities.iter().map(|m| (m.gm_code, m.binding_task)).collect())
            .unwrap_or_default();
        let mut realised: BTreeMap<GmCode, u64> = BTreeMap::new();
        for r in self.realisations(cycle).await? {
            if r.on_date <= on {
                realised.insert(r.gm_code, r.realised); // ordered by date: the latest wins
            }
        }
        let reports = self.reports(cycle).await?;
        let offers = self.offers(cycle, None).await?.len();
        let swaps = self.swaps(cycle).await?.len();
        let progress = |task: u64, commitment: u64, bind: Option<u64>, real: u64| match (bind, c.decided_on) {
            (Some(b), Some(dec)) => Progress::after_decision(b, real, dec, on),
            _ => Progress::before_decision(task, commitment),
        };
        let municipalities: Vec<MunicipalityStatus> = lines
            .iter()
            .map(|l| {
                let agreed = (l.indicative_task as i64 + l.swap_delta).max(0) as u64;
                let b = binding.get(&l.gm_code).copied();
                let real = realised.get(&l.gm_code).copied().unwrap_or(0);
                MunicipalityStatus {
                    gm_code: l.gm_code,
                    gm_naam: l.gm_naam.clone(),
                    pv_code: l.pv_code,
                    indicative_task: l.indicative_task,
                    agreed_task: agreed,
                    credited: l.credited,
                    offered: l.offered,
                    commitment: l.commitment,
                    binding_task: b,
                    realised: real,
                    progress: progress(agreed, l.commitment, b, real),
                }
            })
            .collect();
        let provinces = self
            .nl
            .provinces
            .iter()
            .map(|p| {
                let ms: Vec<&MunicipalityStatus> = municipalities.iter().filter(|m| m.pv_code == p.code).collect();
                let task = ms.iter().map(|m| m.indicative_task).sum();
                let commitment = ms.iter().map(|m| m.commitment).sum();
                let b = decision.as_ref().map(|_| ms.iter().map(|m| m.binding_task.unwrap_or(0)).sum());
                let real = ms.iter().map(|m| m.realised).sum();
                ProvinceStatus {
                    pv_code: p.code,
                    pv_naam: p.name.clone(),
                    task,
                    commitment,
                    reported_on: reports.iter().find(|r| r.pv_code == p.code).map(|r| r.submitted_on),
                    binding_task: b,
                    realised: real,
                    progress: progress(task, commitment, b, real),
                }
            })
            .collect();
        let cal = c.calendar();
        let realisation_deadline = c.decided_on.map(Calendar::realisation_deadline);
        let next = match c.phase {
            Phase::Tables if on < cal.report_deadline() => format!(
                "Provincial tables: municipalities offer places and CdKs report before {}; {} of {} provinces have reported.",
                cal.report_deadline(),
                reports.len(),
                self.nl.provinces.len()
            ),
            Phase::Tables => format!("The minister takes the distribution decision by {}.", cal.decision_deadline()),
            Phase::Decided => format!(
                "Municipalities realise their binding tasks by {}.",
                realisation_deadline.expect("decided cycles have a decision date")
            ),
            Phase::Closed => format!("Closed on {}.", c.closed_on.map(|d| d.to_string()).unwrap_or_default()),
        };
        Ok(CycleStatus {
            forecast_deadline: cal.forecast_deadline(),
            report_deadline: cal.report_deadline(),
            decision_deadline: cal.decision_deadline(),
            realisation_deadline,
            next,
            offers,
            swaps,
            provinces,
            municipalities,
            on,
            cycle: c,
        })
    }
}
