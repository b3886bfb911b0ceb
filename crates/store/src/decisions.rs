//! The distribution decision and its revisions, objections, realisation, payment
//! applications, closing, and the cycle's status.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use spreiding_core::actor::Action;
use spreiding_core::cycle::{Calendar, CycleId, Phase, Progress, Step, check, require_reason};
use spreiding_core::decision::{Ceiling, Decision, DecisionInput, DecisionRule, decide};
use spreiding_core::payment::{DatedOffer, Payment, PaymentTable, payment};
use spreiding_core::plan::OfferVerdict;
use spreiding_core::{GmCode, PvCode};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::{self, Entry};
use crate::cycles::{Cycle, load_cycle, load_tasks, to_i64};
use crate::error::{Result, StoreError};
use crate::offers::{OfferRecord, judging_deadline, load_offers, plan_lines_tx};
use crate::{Act, Store, Tx, date, now};

/// One realisation record: places realised (cumulative) by a municipality as of a date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Realisation {
    pub gm_code: GmCode,
    pub on_date: NaiveDate,
    pub realised: u64,
    /// Of those, AMV places.
    pub amv_realised: u64,
    /// Recorded after the realisation deadline.
    pub late: bool,
    pub recorded_by: String,
    pub synthetic: bool,
}

/// The state of an objection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectionStatus {
    Pending,
    Upheld,
    Rejected,
}

impl ObjectionStatus {
    pub fn name(self) -> &'static str {
        match self {
            ObjectionStatus::Pending => "pending",
            ObjectionStatus::Upheld => "upheld",
            ObjectionStatus::Rejected => "rejected",
        }
    }
    fn parse(s: &str) -> Result<Self> {
        match s {
            "pending" => Ok(ObjectionStatus::Pending),
            "upheld" => Ok(ObjectionStatus::Upheld),
            "rejected" => Ok(ObjectionStatus::Rejected),
            o => Err(StoreError::Database(format!("stored objection status '{o}'"))),
        }
    }
}

/// An objection (bezwaar, Awb art. 6:4) against a binding task, and its decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Objection {
    pub objection_no: i64,
    pub gm_code: GmCode,
    /// The revision of the decision objected to.
    pub decision_revision: i64,
    pub filed_on: NaiveDate,
    pub filed_by: String,
    pub grounds: String,
    pub requested_task: Option<u64>,
    pub requested_amv: Option<u64>,
    pub status: ObjectionStatus,
    pub decided_on: Option<NaiveDate>,
    pub decided_by: Option<String>,
    pub decision_reason: Option<String>,
    /// When upheld: the binding task (and AMV part) granted, at most.
    pub granted_task: Option<u64>,
    pub granted_amv: Option<u64>,
    pub synthetic: bool,
}

impl Objection {
    fn from_row(r: &AnyRow) -> Result<Objection> {
        let u = |c: &str| -> Result<Option<u64>> { Ok(r.try_get::<Option<i64>, _>(c)?.map(|x| x as u64)) };
        Ok(Objection {
            objection_no: r.try_get("objection_no")?,
            gm_code: r.try_get::<String, _>("gm_code")?.parse()?,
            decision_revision: r.try_get("decision_revision")?,
            filed_on: date(&r.try_get::<String, _>("filed_on")?)?,
            filed_by: r.try_get("filed_by")?,
            grounds: r.try_get("grounds")?,
            requested_task: u("requested_task")?,
            requested_amv: u("requested_amv")?,
            status: ObjectionStatus::parse(&r.try_get::<String, _>("status")?)?,
            decided_on: r.try_get::<Option<String>, _>("decided_on")?.as_deref().map(date).transpose()?,
            decided_by: r.try_get("decided_by")?,
            decision_reason: r.try_get("decision_reason")?,
            granted_task: u("granted_task")?,
            granted_amv: u("granted_amv")?,
            synthetic: r.try_get::<i64, _>("synthetic")? != 0,
        })
    }
}

/// An application for the durable-places payment (Regeling, Stcrt. 2024, 3349).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentApplication {
    pub application_no: i64,
    pub gm_code: GmCode,
    pub applied_on: NaiveDate,
    pub places: u64,
    pub note: String,
    pub applied_by: String,
}

/// The decision with its record facts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRecord {
    pub decision: Decision,
    /// 0 for the decision, +1 per revision.
    pub revision: i64,
    pub decided_by: String,
    pub revised_on: Option<NaiveDate>,
    pub revision_reason: Option<String>,
    pub override_reason: Option<String>,
    pub synthetic: bool,
    /// Payment per municipality at the decision (cents).
    pub payments: BTreeMap<GmCode, u64>,
}

/// One offer with whether it counts, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferStatus {
    pub offer: OfferRecord,
    pub verdict: OfferVerdict,
}

/// One municipality's standing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MunicipalityStatus {
    pub gm_code: GmCode,
    pub gm_naam: String,
    pub pv_code: PvCode,
    pub indicative_task: u64,
    pub indicative_amv: u64,
    pub agreed_task: u64,
    pub credited: u64,
    pub offered: u64,
    pub commitment: u64,
    pub amv_commitment: u64,
    pub binding_task: Option<u64>,
    pub binding_amv: Option<u64>,
    /// Latest realised places recorded (0 when none), and the AMV part.
    pub realised: u64,
    pub amv_realised: u64,
    pub progress: Progress,
    /// Progress of the AMV part (against the AMV task, or after the decision the binding AMV task).
    pub amv_progress: Progress,
    /// Binding (or, before the decision, indicative) task not yet realised, for each part.
    pub shortfall: u64,
    pub amv_shortfall: u64,
    pub payment: Payment,
    pub offers: Vec<OfferStatus>,
    pub objections: Vec<Objection>,
}

/// One province's standing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvinceStatus {
    pub pv_code: PvCode,
    pub pv_naam: String,
    pub task: u64,
    pub amv_task: u64,
    pub commitment: u64,
    pub amv_commitment: u64,
    pub reported_on: Option<NaiveDate>,
    pub report_revision: Option<u32>,
    pub binding_task: Option<u64>,
    pub binding_amv: Option<u64>,
    pub realised: u64,
    pub amv_realised: u64,
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
    pub objection_deadline: Option<NaiveDate>,
    pub decision_revision: Option<i64>,
    /// The payment table applied, `id vversion (status)`.
    pub payment_table: String,
    /// What happens next, in a sentence.
    pub next: String,
    pub offers: usize,
    pub swaps: usize,
    pub provinces: Vec<ProvinceStatus>,
    pub municipalities: Vec<MunicipalityStatus>,
}

fn table() -> Result<PaymentTable> {
    Ok(spreiding_core::bundled::payment_table()?)
}

/// The ceilings granted by upheld objections (the latest per municipality).
pub(crate) async fn upheld_ceilings(tx: &mut Tx, c: &Cycle) -> Result<BTreeMap<GmCode, Ceiling>> {
    let rows = sqlx::query("SELECT * FROM objections WHERE cycle_id = $1 AND status = 'upheld' ORDER BY objection_no")
        .bind(c.id.as_str())
        .fetch_all(&mut **tx)
        .await?;
    let mut out = BTreeMap::new();
    for r in rows {
        let o = Objection::from_row(&r)?;
        if let Some(t) = o.granted_task {
            out.insert(
                o.gm_code,
                Ceiling {
                    binding: t,
                    amv: o.granted_amv.unwrap_or(0),
                    objection: format!("no. {} of {}", o.objection_no, o.gm_code),
                },
            );
        }
    }
    Ok(out)
}

/// Payments per municipality for a decision (or before it, with no imposed places).
async fn payments_tx(tx: &mut Tx, c: &Cycle, decision: Option<&Decision>) -> Result<BTreeMap<GmCode, Payment>> {
    let t = table()?;
    let offers = load_offers(tx, &c.id).await?;
    let active: Vec<&OfferRecord> = offers.iter().filter(|o| o.active()).collect();
    let dated: Vec<DatedOffer<'_>> =
        active.iter().map(|o| DatedOffer { offer: &o.offer, offered_on: o.submitted_on }).collect();
    let deadline = decision.map(|d| d.realisation_deadline).unwrap_or_else(|| judging_deadline(c));
    let rc = registration_centre_credits(tx, c).await?;
    let tasks = load_tasks(tx, &c.id).await?;
    Ok(tasks
        .iter()
        .map(|task| {
            let imposed = decision
                .and_then(|d| d.municipalities.iter().find(|m| m.gm_code == task.gm_code))
                .map(|m| m.shortfall_share)
                .unwrap_or(0);
            let p = payment(
                &t,
                task.gm_code,
                c.published_on,
                deadline,
                &dated,
                imposed,
                rc.get(&task.gm_code).copied().unwrap_or(0),
            );
            (task.gm_code, p)
        })
        .collect())
}

/// Registration-centre places credited at publication, per municipality (from the inputs
/// recorded with the cycle's registry snapshot).
async fn registration_centre_credits(tx: &mut Tx, c: &Cycle) -> Result<BTreeMap<GmCode, u64>> {
    let rows = sqlx::query("SELECT municipality, beds FROM locations WHERE kind = 'aanmeldcentrum'")
        .fetch_all(&mut **tx)
        .await?;
    let tasks = load_tasks(tx, &c.id).await?;
    let mut out = BTreeMap::new();
    for r in rows {
        let g: GmCode = r.try_get::<String, _>("municipality")?.parse()?;
        if tasks.iter().any(|t| t.gm_code == g && t.credited > 0) {
            *out.entry(g).or_default() += r.try_get::<i64, _>("beds")? as u64;
        }
    }
    Ok(out)
}

async fn load_decision_record(tx: &mut Tx, cycle: &CycleId) -> Result<Option<DecisionRecord>> {
    let r = sqlx::query("SELECT * FROM decisions WHERE cycle_id = $1")
        .bind(cycle.as_str())
        .fetch_optional(&mut **tx)
        .await?;
    let Some(r) = r else { return Ok(None) };
    let doc: String = r.try_get("document")?;
    let decision: Decision = serde_json::from_str(&doc)
        .map_err(|e| StoreError::Database(format!("stored decision of {cycle} is unreadable: {e}")))?;
    let pays = sqlx::query("SELECT gm_code, payment_cents FROM binding_tasks WHERE cycle_id = $1")
        .bind(cycle.as_str())
        .fetch_all(&mut **tx)
        .await?;
    let mut payments = BTreeMap::new();
    for p in pays {
        payments.insert(p.try_get::<String, _>("gm_code")?.parse()?, p.try_get::<i64, _>("payment_cents")? as u64);
    }
    Ok(Some(DecisionRecord {
        decision,
        revision: r.try_get("revision")?,
        decided_by: r.try_get("decided_by")?,
        revised_on: r.try_get::<Option<String>, _>("revised_on")?.as_deref().map(date).transpose()?,
        revision_reason: r.try_get("revision_reason")?,
        override_reason: r.try_get("override_reason")?,
        synthetic: r.try_get::<i64, _>("synthetic")? != 0,
        payments,
    }))
}

impl Store {
    /// Write the decision's binding tasks (with payments and the payment sentence in each
    /// explanation) and its revision history row.
    async fn write_decision(
        &self,
        tx: &mut Tx,
        act: &Act,
        c: &Cycle,
        d: &mut Decision,
        revision: i64,
        reason: Option<&str>,
    ) -> Result<()> {
        let payments = payments_tx(tx, c, Some(d)).await?;
        for m in &mut d.municipalities {
            if let Some(p) = payments.get(&m.gm_code) {
                m.explanation.push(' ');
                m.explanation.push_str(&p.explanation());
            }
        }
        sqlx::query("DELETE FROM binding_tasks WHERE cycle_id = $1").bind(c.id.as_str()).execute(&mut **tx).await?;
        for (i, m) in d.municipalities.iter().enumerate() {
            sqlx::query(
                "INSERT INTO binding_tasks (cycle_id, gm_code, pv_code, indicative_task, commitment, shortfall_share, \
                 binding_task, explanation, binding_amv, amv_commitment, payment_cents) VALUES ($1, $2, $3, $4, $5, $6, \
                 $7, $8, $9, $10, $11)",
            )
            .bind(c.id.as_str())
            .bind(m.gm_code.as_str())
            .bind(m.pv_code.as_str())
            .bind(to_i64(m.indicative_task))
            .bind(to_i64(m.commitment))
            .bind(to_i64(m.shortfall_share))
            .bind(to_i64(m.binding_task))
            .bind(&m.explanation)
            .bind(to_i64(m.binding_amv()))
            .bind(to_i64(m.amv.map(|a| a.commitment).unwrap_or(0)))
            .bind(to_i64(payments.get(&m.gm_code).map(|p| p.total_cents).unwrap_or(0)))
            .execute(&mut **tx)
            .await?;
            if i == d.municipalities.len() / 2 {
                self.fail("decide:after-tasks")?;
            }
        }
        sqlx::query(
            "INSERT INTO decision_revisions (cycle_id, revision, decided_on, decided_by, reason, document, recorded_at, synthetic) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(c.id.as_str())
        .bind(revision)
        .bind(act.on.to_string())
        .bind(&act.actor.name)
        .bind(reason)
        .bind(serde_json::to_string(&*d).expect("serialisable"))
        .bind(now())
        .bind(act.synthetic() as i64)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Take the distribution decision (Wet art. 5–6) for a cycle: by 31 December (later
    /// only with `act.reason`), after the CdK reports (or after 1 November for provinces
    /// that did not report). Writes the decision, every binding task (with its AMV part,
    /// payment and explanation), the new phase and the audit record in one transaction.
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
        let lines = plan_lines_tx(&mut tx, &c, &BTreeMap::new()).await?;
        let national_total = c.tasks_total.unwrap_or(c.national_total);
        let mut d = decide(&DecisionInput {
            national_total,
            amv_total: c.amv_total.map(|_| lines.iter().map(|l| l.amv.indicative).sum()),
            lines,
            rule,
            decided_on: act.on,
        })?;
        self.write_decision(&mut tx, act, &c, &mut d, 0, None).await?;
        sqlx::query(
            "INSERT INTO decisions (cycle_id, decided_on, decided_by, designation, over_delivery, method, national_total, \
             binding_total, realisation_deadline, override_reason, summary, document, revision, amv_total, \
             binding_amv_total, recorded_at, synthetic) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13, \
             $14, $15, $16)",
        )
        .bind(cycle.as_str())
        .bind(act.on.to_string())
        .bind(&act.actor.name)
        .bind(d.rule.designation.name())
        .bind(d.rule.over_delivery.name())
        .bind(d.rule.method.name())
        .bind(to_i64(d.national_total))
        .bind(to_i64(d.binding_total))
        .bind(d.realisation_deadline.to_string())
        .bind(&permit.overridden)
        .bind(&d.summary)
        .bind(serde_json::to_string(&d).expect("serialisable"))
        .bind(d.amv_total.map(to_i64))
        .bind(d.binding_amv_total.map(to_i64))
        .bind(now())
        .bind(act.synthetic() as i64)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE cycles SET phase = $1, decided_on = $2 WHERE id = $3")
            .bind(permit.phase.name())
            .bind(act.on.to_string())
            .bind(cycle.as_str())
            .execute(&mut *tx)
            .await?;
        let missing_note = if missing.is_empty() {
            String::new()
        } else {
            format!("; without a report from {} (what counts for them is their plan)", missing.join(", "))
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
                after: decision_audit(&d, 0),
                touches: vec![
                    crate::replay::touch!("cycles", cycle.as_str()),
                    crate::replay::touch!("decisions", cycle.as_str()),
                    crate::replay::touch!("decision_revisions", cycle.as_str()),
                    crate::replay::touch!("binding_tasks", cycle.as_str()),
                ],
            },
        )
        .await?;
        self.fail("decide:before-commit")?;
        self.commit(tx, "decision.take").await?;
        Ok(d)
    }

    /// Revise the decision (the minister, with a reason): re-run the rule on the plan as it
    /// stands, with the ceilings of upheld objections. The realisation deadline runs from
    /// the revision.
    pub async fn revise_decision(&self, act: &Act, cycle: &CycleId) -> Result<Decision> {
        act.actor.may(Action::Decide)?;
        let reason = require_reason("a revision of the decision", act.reason.as_deref())?;
        let mut tx = self.begin().await?;
        let c = load_cycle(&mut tx, cycle).await?;
        check(c.calendar(), Some(&c.state()), &Step::ReviseDecision { reason: reason.clone() }, act.on, None)?;
        let old = load_decision_record(&mut tx, cycle)
            .await?
            .ok_or_else(|| StoreError::Conflict("there is no decision to revise".into()))?;
        let ceilings = upheld_ceilings(&mut tx, &c).await?;
        let lines = plan_lines_tx(&mut tx, &c, &ceilings).await?;
        let national_total = c.tasks_total.unwrap_or(c.national_total);
        let mut d = decide(&DecisionInput {
            national_total,
            amv_total: c.amv_total.map(|_| lines.iter().map(|l| l.amv.indicative).sum()),
            lines,
            rule: old.decision.rule,
            decided_on: act.on,
        })?;
        d.summary = format!(
            "Revision {} of the decision of {}: {reason}. {}",
            old.revision + 1,
            old.decision.decided_on,
            d.summary
        );
        let revision = old.revision + 1;
        self.write_decision(&mut tx, act, &c, &mut d, revision, Some(&reason)).await?;
        sqlx::query(
            "UPDATE decisions SET binding_total = $1, realisation_deadline = $2, summary = $3, document = $4, revision = $5, \
             revised_on = $6, revision_reason = $7, binding_amv_total = $8 WHERE cycle_id = $9",
        )
        .bind(to_i64(d.binding_total))
        .bind(d.realisation_deadline.to_string())
        .bind(&d.summary)
        .bind(serde_json::to_string(&d).expect("serialisable"))
        .bind(revision)
        .bind(act.on.to_string())
        .bind(&reason)
        .bind(d.binding_amv_total.map(to_i64))
        .bind(cycle.as_str())
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE cycles SET decided_on = $1 WHERE id = $2")
            .bind(act.on.to_string())
            .bind(cycle.as_str())
            .execute(&mut *tx)
            .await?;
        audit::append(
            &mut tx,
            act,
            Entry {
                action: "decision.revise",
                cycle_id: Some(cycle.as_str()),
                subject: format!(
                    "distribution decision for cycle {cycle} revised (revision {revision}): {} → {} binding places",
                    old.decision.binding_total, d.binding_total
                ),
                reason: Some(reason),
                before: decision_audit(&old.decision, old.revision),
                after: decision_audit(&d, revision),
                touches: vec![
                    crate::replay::touch!("cycles", cycle.as_str()),
                    crate::replay::touch!("decisions", cycle.as_str()),
                    crate::replay::touch!("decision_revisions", cycle.as_str()),
                    crate::replay::touch!("binding_tasks", cycle.as_str()),
                ],
            },
        )
        .await?;
        self.commit(tx, "decision.revise").await?;
        Ok(d)
    }

    /// The decision of a cycle, if taken (its current revision).
    pub async fn decision(&self, cycle: &CycleId) -> Result<Option<Decision>> {
        Ok(self.decision_record(cycle).await?.map(|r| r.decision))
    }

    /// The decision with its record facts (revision, who, reasons, payments).
    pub async fn decision_record(&self, cycle: &CycleId) -> Result<Option<DecisionRecord>> {
        let mut tx = self.pool.begin().await?;
        let r = load_decision_record(&mut tx, cycle).await?;
        tx.rollback().await?;
        Ok(r)
    }

    /// Every revision of the decision (0 = the decision itself), oldest first.
    pub async fn decision_history(
        &self,
        cycle: &CycleId,
    ) -> Result<Vec<(i64, NaiveDate, String, Option<String>, Decision)>> {
        let rows = sqlx::query("SELECT * FROM decision_revisions WHERE cycle_id = $1 ORDER BY revision")
            .bind(cycle.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let doc: String = r.try_get("document")?;
                Ok((
                    r.try_get("revision")?,
                    date(&r.try_get::<String, _>("decided_on")?)?,
                    r.try_get("decided_by")?,
                    r.try_get("reason")?,
                    serde_json::from_str(&doc)
                        .map_err(|e| StoreError::Database(format!("stored decision revision: {e}")))?,
                ))
            })
            .collect()
    }

    /// File an objection (bezwaar) against the municipality's binding task: within six
    /// weeks of the decision (Awb art. 6:7), with grounds, one open objection at a time.
    pub async fn file_objection(
        &self,
        act: &Act,
        cycle: &CycleId,
        gm: GmCode,
        grounds: &str,
        requested_task: Option<u64>,
        requested_amv: Option<u64>,
    ) -> Result<Objection> {
        act.actor.may(Action::Object(gm))?;
        let grounds = grounds.trim();
        if grounds.chars().count() < 20 {
            return Err(StoreError::Invalid(
                "grounds: an objection states its grounds (Awb art. 6:5), at least 20 characters".into(),
            ));
        }
        let mut tx = self.begin().await?;
        let c = load_cycle(&mut tx, cycle).await?;
        let pending = sqlx::query(
            "SELECT objection_no FROM objections WHERE cycle_id = $1 AND gm_code = $2 AND status = 'pending'",
        )
        .bind(cycle.as_str())
        .bind(gm.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
        check(c.calendar(), Some(&c.state()), &Step::Object { pending }, act.on, None)?;
        let dec = load_decision_record(&mut tx, cycle)
            .await?
            .ok_or_else(|| StoreError::Conflict("there is no decision to object to".into()))?;
        let bt = dec
            .decision
            .municipalities
            .iter()
            .find(|m| m.gm_code == gm)
            .ok_or_else(|| StoreError::NotFound(format!("{gm} has no binding task")))?;
        if let Some(t) = requested_task
            && t >= bt.binding_task
        {
            return Err(StoreError::Invalid(format!(
                "requested_task: an objection asks for a lower task than the binding {}; {t} is not lower",
                bt.binding_task
            )));
        }
        if let (Some(a), Some(t)) = (requested_amv, requested_task)
            && a > t
        {
            return Err(StoreError::Invalid(format!("requested_amv: {a} AMV places exceed the requested task {t}")));
        }
        let no: i64 = sqlx::query("SELECT MAX(objection_no) AS n FROM objections WHERE cycle_id = $1")
            .bind(cycle.as_str())
            .fetch_one(&mut *tx)
            .await?
            .try_get::<Option<i64>, _>("n")?
            .unwrap_or(0)
            + 1;
        sqlx::query(
            "INSERT INTO objections (cycle_id, objection_no, gm_code, decision_revision, filed_on, filed_by, grounds, \
             requested_task, requested_amv, status, recorded_at, synthetic) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
             'pending', $10, $11)",
        )
        .bind(cycle.as_str())
        .bind(no)
        .bind(gm.as_str())
        .bind(dec.revision)
        .bind(act.on.to_string())
        .bind(&act.actor.name)
        .bind(grounds)
        .bind(requested_task.map(to_i64))
        .bind(requested_amv.map(to_i64))
        .bind(now())
        .bind(act.synthetic() as i64)
        .execute(&mut *tx)
        .await?;
        let o = self.objection_tx(&mut tx, cycle, no).await?;
        audit::append(
            &mut tx,
            act,
            Entry {
                action: "objection.file",
                cycle_id: Some(cycle.as_str()),
                subject: format!("{gm} objects (no. {no}) to its binding task of {}", bt.binding_task),
                reason: Some(grounds.to_string()),
                before: serde_json::Value::Null,
                after: serde_json::to_value(&o).expect("serialisable"),
                touches: vec![crate::replay::touch!("objections", cycle.as_str(), no)],
            },
        )
        .await?;
        self.commit(tx, "objection.file").await?;
        Ok(o)
    }

    async fn objection_tx(&self, tx: &mut Tx, cycle: &CycleId, no: i64) -> Result<Objection> {
        let r = sqlx::query("SELECT * FROM objections WHERE cycle_id = $1 AND objection_no = $2")
            .bind(cycle.as_str())
            .bind(no)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("there is no objection {no} in cycle {cycle}")))?;
        Objection::from_row(&r)
    }

    /// Decide on an objection (the minister, with reasons, Awb art. 7:12): upheld with the
    /// binding task granted at most (`granted_task`, below the binding task), or rejected.
    /// An upheld objection takes effect through a revision of the decision.
    pub async fn decide_objection(
        &self,
        act: &Act,
        cycle: &CycleId,
        no: i64,
        upheld: bool,
        granted_task: Option<u64>,
        granted_amv: Option<u64>,
    ) -> Result<Objection> {
        act.actor.may(Action::Decide)?;
        let reason = act.reason.clone().unwrap_or_default();
        let mut tx = self.begin().await?;
        let c = load_cycle(&mut tx, cycle).await?;
        let before = self.objection_tx(&mut tx, cycle, no).await?;
        check(
            c.calendar(),
            Some(&c.state()),
            &Step::DecideObjection { pending: before.status == ObjectionStatus::Pending, reason: reason.clone() },
            act.on,
            None,
        )?;
        let dec = load_decision_record(&mut tx, cycle)
            .await?
            .ok_or_else(|| StoreError::Conflict("there is no decision".into()))?;
        let bt = dec
            .decision
            .municipalities
            .iter()
            .find(|m| m.gm_code == before.gm_code)
            .expect("objection of a bound municipality");
        let (status, task, amv) = if upheld {
            let t = granted_task.ok_or_else(|| {
                StoreError::Invalid("granted_task: an upheld objection says which binding task it grants".into())
            })?;
            if t >= bt.binding_task {
                return Err(StoreError::Invalid(format!(
                    "granted_task: {t} is not below the binding task {}",
                    bt.binding_task
                )));
            }
            let a = granted_amv.unwrap_or(bt.binding_amv().min(t));
            if a > t || a > bt.binding_amv() {
                return Err(StoreError::Invalid(format!(
                    "granted_amv: {a} must lie within the granted task {t} and the binding AMV task {}",
                    bt.binding_amv()
                )));
            }
            (ObjectionStatus::Upheld, Some(t), Some(a))
        } else {
            if granted_task.is_some() || granted_amv.is_some() {
                return Err(StoreError::Invalid("granted_task: a rejected objection grants nothing".into()));
            }
            (ObjectionStatus::Rejected, None, None)
        };
        sqlx::query(
            "UPDATE objections SET status = $1, decided_on = $2, decided_by = $3, decision_reason = $4, granted_task = $5, \
             granted_amv = $6 WHERE cycle_id = $7 AND objection_no = $8",
        )
        .bind(status.name())
        .bind(act.on.to_string())
        .bind(&act.actor.name)
        .bind(reason.trim())
        .bind(task.map(to_i64))
        .bind(amv.map(to_i64))
        .bind(cycle.as_str())
        .bind(no)
        .execute(&mut *tx)
        .await?;
        let after = self.objection_tx(&mut tx, cycle, no).await?;
        audit::append(
            &mut tx,
            act,
            Entry {
                action: "objection.decide",
                cycle_id: Some(cycle.as_str()),
                subject: format!(
                    "objection {no} of {} {}{}",
                    before.gm_code,
                    status.name(),
                    task.map(|t| format!(": binding task at most {t}; takes effect by revising the decision"))
                        .unwrap_or_default()
                ),
                reason: Some(reason.trim().to_string()),
                before: serde_json::to_value(&before).expect("serialisable"),
                after: serde_json::to_value(&after).expect("serialisable"),
                touches: vec![crate::replay::touch!("objections", cycle.as_str(), no)],
            },
        )
        .await?;
        self.commit(tx, "objection.decide").await?;
        Ok(after)
    }

    /// The objections of a cycle.
    pub async fn objections(&self, cycle: &CycleId) -> Result<Vec<Objection>> {
        let rows = sqlx::query("SELECT * FROM objections WHERE cycle_id = $1 ORDER BY objection_no")
            .bind(cycle.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(Objection::from_row).collect()
    }

    /// Record the places a municipality has realised (cumulative, as of `act.on`, with the
    /// AMV part), once per date. Records after the realisation deadline are kept and marked late.
    pub async fn record_realisation(
        &self,
        act: &Act,
        cycle: &CycleId,
        gm: GmCode,
        realised: u64,
        amv_realised: u64,
    ) -> Result<Realisation> {
        act.actor.may(Action::Realise(gm))?;
        if self.nl.municipality(gm).is_none() {
            return Err(StoreError::Invalid(format!("gm_code: unknown municipality {gm}: not in the reference data")));
        }
        if amv_realised > realised {
            return Err(StoreError::Invalid(format!(
                "amv_places: {amv_realised} AMV places exceed the {realised} places realised"
            )));
        }
        let mut tx = self.begin().await?;
        let c = load_cycle(&mut tx, cycle).await?;
        let permit = check(c.calendar(), Some(&c.state()), &Step::Realise, act.on, None)?;
        if realised > c.national_total {
            return Err(StoreError::Invalid(format!(
                "places: {realised} realised places for {gm} exceed the national total {}: check the number",
                c.national_total
            )));
        }
        if amv_realised > 0 && c.amv_total.is_none() {
            return Err(StoreError::Invalid("amv_places: this cycle has no AMV sub-task".into()));
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
        let before = sqlx::query("SELECT realised, amv_realised, on_date FROM realisations WHERE cycle_id = $1 AND gm_code = $2 ORDER BY on_date DESC")
            .bind(cycle.as_str())
            .bind(gm.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        let before = match before {
            Some(r) => {
                serde_json::json!({"realised": r.try_get::<i64, _>("realised")?, "amv_realised": r.try_get::<i64, _>("amv_realised")?, "on": r.try_get::<String, _>("on_date")?})
            }
            None => serde_json::Value::Null,
        };
        sqlx::query(
            "INSERT INTO realisations (cycle_id, gm_code, on_date, realised, late, recorded_by, amv_realised, recorded_at, synthetic) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(cycle.as_str())
        .bind(gm.as_str())
        .bind(act.on.to_string())
        .bind(to_i64(realised))
        .bind(permit.late.is_some() as i64)
        .bind(&act.actor.name)
        .bind(to_i64(amv_realised))
        .bind(now())
        .bind(act.synthetic() as i64)
        .execute(&mut *tx)
        .await?;
        let rec = Realisation {
            gm_code: gm,
            on_date: act.on,
            realised,
            amv_realised,
            late: permit.late.is_some(),
            recorded_by: act.actor.name.clone(),
            synthetic: act.synthetic(),
        };
        audit::append(
            &mut tx,
            act,
            Entry {
                action: "realisation.record",
                cycle_id: Some(cycle.as_str()),
                subject: format!("{gm} has realised {realised} places ({amv_realised} AMV)"),
                reason: permit.late.clone(),
                before,
                after: serde_json::to_value(&rec).expect("serialisable"),
                touches: vec![crate::replay::touch!("realisations", cycle.as_str(), gm.as_str())],
            },
        )
        .await?;
        self.commit(tx, "realisation.record").await?;
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
                    amv_realised: r.try_get::<i64, _>("amv_realised")? as u64,
                    late: r.try_get::<i64, _>("late")? != 0,
                    recorded_by: r.try_get("recorded_by")?,
                    synthetic: r.try_get::<i64, _>("synthetic")? != 0,
                })
            })
            .collect()
    }

    /// Apply for the durable-places payment (a municipality, for itself) before the next
    /// cycle is published (Regeling, Stcrt. 2024, 3349).
    pub async fn apply_payment(
        &self,
        act: &Act,
        cycle: &CycleId,
        gm: GmCode,
        places: u64,
        note: &str,
    ) -> Result<PaymentApplication> {
        act.actor.may(Action::ApplyPayment(gm))?;
        if places == 0 {
            return Err(StoreError::Invalid("places: apply for at least 1 durable place".into()));
        }
        let mut tx = self.begin().await?;
        let c = load_cycle(&mut tx, cycle).await?;
        let next_published = sqlx::query("SELECT id FROM cycles WHERE year > $1 AND origin = 'ministry'")
            .bind(c.year as i64)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        check(c.calendar(), Some(&c.state()), &Step::ApplyPayment { next_published }, act.on, None)?;
        let offers = load_offers(&mut tx, cycle).await?;
        let durable: u64 = offers
            .iter()
            .filter(|o| o.offer.gm_code == gm && o.active())
            .map(|o| o.verdict(judging_deadline(&c)).places)
            .sum::<u64>()
            + load_tasks(&mut tx, cycle).await?.iter().find(|t| t.gm_code == gm).map(|t| t.credited).unwrap_or(0);
        if places > durable {
            return Err(StoreError::Invalid(format!(
                "places: {gm} has {durable} durable places that count (credits and counted offers); it cannot apply for {places}"
            )));
        }
        let no: i64 = sqlx::query("SELECT MAX(application_no) AS n FROM payment_applications WHERE cycle_id = $1")
            .bind(cycle.as_str())
            .fetch_one(&mut *tx)
            .await?
            .try_get::<Option<i64>, _>("n")?
            .unwrap_or(0)
            + 1;
        sqlx::query(
            "INSERT INTO payment_applications (cycle_id, application_no, gm_code, applied_on, places, note, applied_by, recorded_at, synthetic) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(cycle.as_str())
        .bind(no)
        .bind(gm.as_str())
        .bind(act.on.to_string())
        .bind(to_i64(places))
        .bind(note.trim())
        .bind(&act.actor.name)
        .bind(now())
        .bind(act.synthetic() as i64)
        .execute(&mut *tx)
        .await?;
        let app = PaymentApplication {
            application_no: no,
            gm_code: gm,
            applied_on: act.on,
            places,
            note: note.trim().to_string(),
            applied_by: act.actor.name.clone(),
        };
        audit::append(
            &mut tx,
            act,
            Entry {
                action: "payment.apply",
                cycle_id: Some(cycle.as_str()),
                subject: format!("{gm} applies for the durable-places payment for {places} places"),
                reason: (!app.note.is_empty()).then(|| app.note.clone()),
                before: serde_json::Value::Null,
                after: serde_json::to_value(&app).expect("serialisable"),
                touches: vec![crate::replay::touch!("payment_applications", cycle.as_str(), no)],
            },
        )
        .await?;
        self.commit(tx, "payment.apply").await?;
        Ok(app)
    }

    /// The payment applications of a cycle.
    pub async fn payment_applications(&self, cycle: &CycleId) -> Result<Vec<PaymentApplication>> {
        let rows = sqlx::query("SELECT * FROM payment_applications WHERE cycle_id = $1 ORDER BY application_no")
            .bind(cycle.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(PaymentApplication {
                    application_no: r.try_get("application_no")?,
                    gm_code: r.try_get::<String, _>("gm_code")?.parse()?,
                    applied_on: date(&r.try_get::<String, _>("applied_on")?)?,
                    places: r.try_get::<i64, _>("places")? as u64,
                    note: r.try_get("note")?,
                    applied_by: r.try_get("applied_by")?,
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
                touches: vec![crate::replay::touch!("cycles", cycle.as_str())],
            },
        )
        .await?;
        self.commit(tx, "cycle.close").await?;
        Ok(after)
    }

    /// Where the cycle stands on `on`: per province and municipality, before the decision
    /// what counts against tasks (short/covered), after it realised places against binding
    /// tasks; per offer counted or not and why; payments; objections.
    pub async fn status(&self, cycle: &CycleId, on: NaiveDate) -> Result<CycleStatus> {
        let mut tx = self.pool.begin().await?;
        let c = load_cycle(&mut tx, cycle).await?;
        let lines = plan_lines_tx(&mut tx, &c, &BTreeMap::new()).await?;
        let dec = load_decision_record(&mut tx, cycle).await?;
        let payments = payments_tx(&mut tx, &c, dec.as_ref().map(|d| &d.decision)).await?;
        let offers = load_offers(&mut tx, cycle).await?;
        tx.rollback().await?;
        let decision = dec.as_ref().map(|d| &d.decision);
        let binding: BTreeMap<GmCode, (u64, u64)> = decision
            .map(|d| d.municipalities.iter().map(|m| (m.gm_code, (m.binding_task, m.binding_amv()))).collect())
            .unwrap_or_default();
        let mut realised: BTreeMap<GmCode, (u64, u64)> = BTreeMap::new();
        for r in self.realisations(cycle).await? {
            if r.on_date <= on {
                realised.insert(r.gm_code, (r.realised, r.amv_realised)); // ordered by date: the latest wins
            }
        }
        let reports = self.reports(cycle).await?;
        let objections = self.objections(cycle).await?;
        let swaps = self.swaps(cycle).await?.len();
        let deadline = judging_deadline(&c);
        let progress = |task: u64, commitment: u64, bind: Option<u64>, real: u64| match (bind, c.decided_on) {
            (Some(b), Some(dec)) => Progress::after_decision(b, real, dec, on),
            _ => Progress::before_decision(task, commitment),
        };
        let municipalities: Vec<MunicipalityStatus> = lines
            .iter()
            .map(|l| {
                let agreed = (l.indicative_task as i64 + l.swap_delta).max(0) as u64;
                let agreed_amv = (l.amv.indicative as i64 + l.amv.swap_delta).max(0) as u64;
                let b = binding.get(&l.gm_code).copied();
                let (real, real_amv) = realised.get(&l.gm_code).copied().unwrap_or((0, 0));
                let target = b.map_or(agreed, |x| x.0);
                let target_amv = b.map_or(agreed_amv, |x| x.1);
                MunicipalityStatus {
                    gm_code: l.gm_code,
                    gm_naam: l.gm_naam.clone(),
                    pv_code: l.pv_code,
                    indicative_task: l.indicative_task,
                    indicative_amv: l.amv.indicative,
                    agreed_task: agreed,
                    credited: l.credited,
                    offered: l.offered,
                    commitment: l.commitment,
                    amv_commitment: l.amv.commitment,
                    binding_task: b.map(|x| x.0),
                    binding_amv: b.map(|x| x.1),
                    realised: real,
                    amv_realised: real_amv,
                    progress: progress(agreed, l.commitment, b.map(|x| x.0), real),
                    amv_progress: progress(agreed_amv, l.amv.commitment, b.map(|x| x.1), real_amv),
                    shortfall: target.saturating_sub(if b.is_some() { real } else { l.commitment }),
                    amv_shortfall: target_amv.saturating_sub(if b.is_some() { real_amv } else { l.amv.commitment }),
                    payment: payments.get(&l.gm_code).cloned().expect("every municipality has a payment line"),
                    offers: offers
                        .iter()
                        .filter(|o| o.offer.gm_code == l.gm_code)
                        .map(|o| OfferStatus { verdict: o.verdict(deadline), offer: o.clone() })
                        .collect(),
                    objections: objections.iter().filter(|o| o.gm_code == l.gm_code).cloned().collect(),
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
                let b = decision.map(|_| ms.iter().map(|m| m.binding_task.unwrap_or(0)).sum());
                let real = ms.iter().map(|m| m.realised).sum();
                let rep = reports.iter().find(|r| r.pv_code == p.code);
                ProvinceStatus {
                    pv_code: p.code,
                    pv_naam: p.name.clone(),
                    task,
                    amv_task: ms.iter().map(|m| m.indicative_amv).sum(),
                    commitment,
                    amv_commitment: ms.iter().map(|m| m.amv_commitment).sum(),
                    reported_on: rep.map(|r| r.submitted_on),
                    report_revision: rep.map(|r| r.revision),
                    binding_task: b,
                    binding_amv: decision.map(|_| ms.iter().map(|m| m.binding_amv.unwrap_or(0)).sum()),
                    realised: real,
                    amv_realised: ms.iter().map(|m| m.amv_realised).sum(),
                    progress: progress(task, commitment, b, real),
                }
            })
            .collect();
        let cal = c.calendar();
        let realisation_deadline = decision.map(|d| d.realisation_deadline);
        let objection_deadline = c.decided_on.map(Calendar::objection_deadline);
        let next = match c.phase {
            Phase::Tables if on < cal.report_deadline() => format!(
                "Provincial tables: municipalities offer places and CdKs report before {}; {} of {} provinces have reported.",
                cal.report_deadline(),
                reports.len(),
                self.nl.provinces.len()
            ),
            Phase::Tables => format!("The minister takes the distribution decision by {}.", cal.decision_deadline()),
            Phase::Decided => format!(
                "Municipalities realise their binding tasks by {}; objections until {}.",
                realisation_deadline.expect("decided cycles have a decision"),
                objection_deadline.expect("decided cycles have a decision date")
            ),
            Phase::Closed => format!("Closed on {}.", c.closed_on.map(|d| d.to_string()).unwrap_or_default()),
        };
        Ok(CycleStatus {
            forecast_deadline: cal.forecast_deadline(),
            report_deadline: cal.report_deadline(),
            decision_deadline: cal.decision_deadline(),
            realisation_deadline,
            objection_deadline,
            decision_revision: dec.as_ref().map(|d| d.revision),
            payment_table: table()?.label(),
            next,
            offers: offers.iter().filter(|o| o.active()).count(),
            swaps,
            provinces,
            municipalities,
            on,
            cycle: c,
        })
    }
}

fn decision_audit(d: &Decision, revision: i64) -> serde_json::Value {
    serde_json::json!({
        "revision": revision,
        "rule": d.rule,
        "binding_total": d.binding_total,
        "binding_amv_total": d.binding_amv_total,
        "realisation_deadline": d.realisation_deadline,
        "binding_tasks": d.municipalities.iter().map(|m| serde_json::json!([m.gm_code.as_str(), m.binding_task, m.binding_amv()])).collect::<Vec<_>>(),
    })
}

impl Store {
    /// The decision as it would be taken on `on` with `rule`, written nowhere: the
    /// minister's preview of who gets what, and why.
    pub async fn preview_decision(&self, cycle: &CycleId, rule: DecisionRule, on: NaiveDate) -> Result<Decision> {
        let mut tx = self.pool.begin().await?;
        let c = load_cycle(&mut tx, cycle).await?;
        let lines = plan_lines_tx(&mut tx, &c, &BTreeMap::new()).await?;
        tx.rollback().await?;
        let national_total = c.tasks_total.unwrap_or(c.national_total);
        Ok(decide(&DecisionInput {
            national_total,
            amv_total: c.amv_total.map(|_| lines.iter().map(|l| l.amv.indicative).sum()),
            lines,
            rule,
            decided_on: on,
        })?)
    }
}
