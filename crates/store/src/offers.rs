//! The provincial tables: offers (submitted, amended, withdrawn), swaps and the CdK reports
//! (provincial plans, and their amendments). The rules — deadlines, what counts, swap
//! limits, default commitments — are the core's (`cycle::check`, `plan`).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use spreiding_core::actor::Action;
use spreiding_core::cycle::{Calendar, CycleId, Step, check};
use spreiding_core::decision::{Ceiling, PlanLine};
use spreiding_core::offer::{Offer, Swap};
use spreiding_core::plan::{Commitment, OfferVerdict, check_swap, count_offer, plan_lines, swap_deltas};
use spreiding_core::{GmCode, PvCode};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::{self, Entry};
use crate::cycles::{Cycle, load_cycle, load_tasks, to_i64};
use crate::error::{Result, StoreError};
use crate::{Act, Store, Tx, date, now};

/// An offer as stored, with who submitted it when, and its state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferRecord {
    /// Number of the offer within the cycle.
    pub offer_no: i64,
    #[serde(flatten)]
    pub offer: Offer,
    pub pv_code: PvCode,
    pub submitted_on: NaiveDate,
    pub submitted_by: String,
    pub amended_on: Option<NaiveDate>,
    pub withdrawn_on: Option<NaiveDate>,
    pub synthetic: bool,
}

impl OfferRecord {
    fn from_row(r: &AnyRow) -> Result<Self> {
        let od = |c: &str| -> Result<Option<NaiveDate>> {
            r.try_get::<Option<String>, _>(c)?.as_deref().map(date).transpose()
        };
        Ok(OfferRecord {
            offer_no: r.try_get::<Option<i64>, _>("offer_no")?.unwrap_or(0),
            offer: Offer {
                gm_code: r.try_get::<String, _>("gm_code")?.parse()?,
                location: r.try_get("location")?,
                kind: r.try_get::<String, _>("kind")?.parse()?,
                places: r.try_get::<i64, _>("places")? as u64,
                amv_places: r.try_get::<i64, _>("amv_places")? as u64,
                years: r.try_get::<i64, _>("years")? as u32,
                available_from: date(&r.try_get::<String, _>("available_from")?)?,
            },
            pv_code: r.try_get::<String, _>("pv_code")?.parse()?,
            submitted_on: date(&r.try_get::<String, _>("submitted_on")?)?,
            submitted_by: r.try_get("submitted_by")?,
            amended_on: od("amended_on")?,
            withdrawn_on: od("withdrawn_on")?,
            synthetic: r.try_get::<i64, _>("synthetic")? != 0,
        })
    }

    /// Whether it still stands (not withdrawn).
    pub fn active(&self) -> bool {
        self.withdrawn_on.is_none()
    }

    /// Whether it counts towards the commitment, and why (the core's rule).
    pub fn verdict(&self, realisation_deadline: NaiveDate) -> OfferVerdict {
        if let Some(w) = self.withdrawn_on {
            return OfferVerdict { counted: false, places: 0, amv_places: 0, reason: format!("withdrawn on {w}") };
        }
        count_offer(&self.offer, realisation_deadline)
    }
}

/// A swap as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwapRecord {
    #[serde(flatten)]
    pub swap: Swap,
    pub pv_code: PvCode,
    pub agreed_on: NaiveDate,
    pub recorded_by: String,
}

impl SwapRecord {
    fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(SwapRecord {
            swap: Swap {
                from: r.try_get::<String, _>("from_gm")?.parse()?,
                to: r.try_get::<String, _>("to_gm")?.parse()?,
                places: r.try_get::<i64, _>("places")? as u64,
                amv_places: r.try_get::<i64, _>("amv_places")? as u64,
                note: r.try_get("note")?,
            },
            pv_code: r.try_get::<String, _>("pv_code")?.parse()?,
            agreed_on: date(&r.try_get::<String, _>("agreed_on")?)?,
            recorded_by: r.try_get("recorded_by")?,
        })
    }
}

/// A CdK report (provincial plan) with its commitment per municipality.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRecord {
    pub pv_code: PvCode,
    pub submitted_on: NaiveDate,
    pub submitted_by: String,
    pub note: String,
    /// 0 as submitted, +1 per amendment.
    pub revision: u32,
    pub amended_on: Option<NaiveDate>,
    pub amend_reason: Option<String>,
    pub commitments: BTreeMap<GmCode, Commitment>,
}

/// The realisation deadline offers are judged against: the decision's, or before the
/// decision the one expected from the decision deadline.
pub(crate) fn judging_deadline(c: &Cycle) -> NaiveDate {
    match c.decided_on {
        Some(d) => Calendar::realisation_deadline(d),
        None => c.calendar().expected_realisation_deadline(),
    }
}

pub(crate) async fn report_date(tx: &mut Tx, cycle: &CycleId, pv: PvCode) -> Result<Option<NaiveDate>> {
    let r = sqlx::query("SELECT submitted_on FROM reports WHERE cycle_id = $1 AND pv_code = $2")
        .bind(cycle.as_str())
        .bind(pv.as_str())
        .fetch_optional(&mut **tx)
        .await?;
    r.map(|r| date(&r.try_get::<String, _>("submitted_on")?)).transpose()
}

pub(crate) async fn load_offers(tx: &mut Tx, cycle: &CycleId) -> Result<Vec<OfferRecord>> {
    let rows = sqlx::query("SELECT * FROM offers WHERE cycle_id = $1 ORDER BY offer_no, gm_code, location")
        .bind(cycle.as_str())
        .fetch_all(&mut **tx)
        .await?;
    rows.iter().map(OfferRecord::from_row).collect()
}

/// One offer by its number in the cycle.
async fn load_offer(tx: &mut Tx, cycle: &CycleId, offer_no: i64) -> Result<OfferRecord> {
    let r = sqlx::query("SELECT * FROM offers WHERE cycle_id = $1 AND offer_no = $2")
        .bind(cycle.as_str())
        .bind(offer_no)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("there is no offer {offer_no} in cycle {cycle}")))?;
    OfferRecord::from_row(&r)
}

pub(crate) async fn load_swaps(tx: &mut Tx, cycle: &CycleId) -> Result<Vec<Swap>> {
    let rows = sqlx::query("SELECT * FROM swaps WHERE cycle_id = $1").bind(cycle.as_str()).fetch_all(&mut **tx).await?;
    rows.iter().map(|r| SwapRecord::from_row(r).map(|s| s.swap)).collect()
}

async fn load_reported(tx: &mut Tx, cycle: &CycleId) -> Result<BTreeMap<GmCode, Commitment>> {
    let rows = sqlx::query("SELECT gm_code, commitment, amv_commitment FROM report_lines WHERE cycle_id = $1")
        .bind(cycle.as_str())
        .fetch_all(&mut **tx)
        .await?;
    let mut out = BTreeMap::new();
    for r in rows {
        out.insert(
            r.try_get::<String, _>("gm_code")?.parse()?,
            Commitment {
                places: r.try_get::<i64, _>("commitment")? as u64,
                amv: r.try_get::<i64, _>("amv_commitment")? as u64,
            },
        );
    }
    Ok(out)
}

/// The plan as the decision sees it now (the core's `plan::plan_lines` on the stored facts),
/// with the ceilings of upheld objections.
pub(crate) async fn plan_lines_tx(
    tx: &mut Tx,
    c: &Cycle,
    ceilings: &BTreeMap<GmCode, Ceiling>,
) -> Result<Vec<PlanLine>> {
    let tasks: Vec<_> = load_tasks(tx, &c.id).await?.iter().map(|t| t.facts()).collect();
    let offers: Vec<Offer> =
        load_offers(tx, &c.id).await?.into_iter().filter(|o| o.active()).map(|o| o.offer).collect();
    let swaps = load_swaps(tx, &c.id).await?;
    let reported = load_reported(tx, &c.id).await?;
    Ok(plan_lines(&tasks, &swaps, &offers, judging_deadline(c), &reported, ceilings))
}

fn offer_json(o: &OfferRecord) -> serde_json::Value {
    serde_json::to_value(o).expect("serialisable")
}

impl Store {
    /// Submit offers (one or many, e.g. a bulk import) in one transaction. Every offer must
    /// be the actor's own, valid, new (the same location twice is a duplicate submission),
    /// in time (before 1 November) and for a province that has not reported yet. Any bad
    /// row: nothing is written and the error names the row (1-based).
    pub async fn submit_offers(&self, act: &Act, cycle: &CycleId, offers: &[Offer]) -> Result<Vec<OfferRecord>> {
        if offers.is_empty() {
            return Err(StoreError::Invalid("no offers to submit".into()));
        }
        for (i, o) in offers.iter().enumerate() {
            act.actor.may(Action::Offer(o.gm_code)).map_err(|e| StoreError::from(e).in_row(i + 1))?;
            if self.nl.municipality(o.gm_code).is_none() {
                return Err(StoreError::InvalidRow {
                    row: i + 1,
                    message: format!("gm_code: unknown municipality {}: not in the reference data", o.gm_code),
                });
            }
        }
        let mut tx = self.begin().await?;
        let c = load_cycle(&mut tx, cycle).await?;
        let mut seen = BTreeSet::new();
        let mut reported: BTreeMap<PvCode, Option<NaiveDate>> = BTreeMap::new();
        let mut next_no: i64 = sqlx::query("SELECT MAX(offer_no) AS n FROM offers WHERE cycle_id = $1")
            .bind(cycle.as_str())
            .fetch_one(&mut *tx)
            .await?
            .try_get::<Option<i64>, _>("n")?
            .unwrap_or(0);
        let mut out = Vec::with_capacity(offers.len());
        for (i, o) in offers.iter().enumerate() {
            let row = i + 1;
            let pv = self.nl.municipality(o.gm_code).expect("checked above").province;
            let reported_on = match reported.get(&pv) {
                Some(r) => *r,
                None => {
                    let r = report_date(&mut tx, cycle, pv).await?;
                    reported.insert(pv, r);
                    r
                }
            };
            check(c.calendar(), Some(&c.state()), &Step::Offer { reported_on }, act.on, None)
                .map_err(|e| StoreError::from(e).in_row(row))?;
            o.validate(c.calendar()).map_err(|e| StoreError::from(e).in_row(row))?;
            if o.amv_places > 0 && c.amv_total.is_none() {
                return Err(StoreError::InvalidRow {
                    row,
                    message: "amv_places: this cycle has no AMV sub-task".into(),
                });
            }
            let location = o.location.trim().to_string();
            if !seen.insert((o.gm_code, location.to_lowercase())) {
                return Err(StoreError::InvalidRow {
                    row,
                    message: format!(
                        "duplicate submission: {} offers '{}' twice in this submission",
                        o.gm_code, location
                    ),
                });
            }
            let dup =
                sqlx::query("SELECT submitted_on FROM offers WHERE cycle_id = $1 AND gm_code = $2 AND location = $3")
                    .bind(cycle.as_str())
                    .bind(o.gm_code.as_str())
                    .bind(&location)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(d) = dup {
                return Err(StoreError::InvalidRow {
                    row,
                    message: format!(
                        "duplicate submission: {} already offered '{}' on {}; amend that offer instead",
                        o.gm_code,
                        location,
                        d.try_get::<String, _>("submitted_on")?
                    ),
                });
            }
            next_no += 1;
            sqlx::query(
                "INSERT INTO offers (cycle_id, gm_code, location, pv_code, places, kind, durable, available_from, \
                 submitted_on, submitted_by, offer_no, amv_places, years, recorded_at, synthetic) VALUES ($1, $2, $3, $4, \
                 $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            )
            .bind(cycle.as_str())
            .bind(o.gm_code.as_str())
            .bind(&location)
            .bind(pv.as_str())
            .bind(to_i64(o.places))
            .bind(o.kind.code())
            .bind((o.years >= spreiding_core::distribution::DURABLE_MIN_YEARS) as i64)
            .bind(o.available_from.to_string())
            .bind(act.on.to_string())
            .bind(&act.actor.name)
            .bind(next_no)
            .bind(to_i64(o.amv_places))
            .bind(o.years as i64)
            .bind(now())
            .bind(act.synthetic() as i64)
            .execute(&mut *tx)
            .await?;
            let rec = OfferRecord {
                offer_no: next_no,
                offer: Offer { location, ..o.clone() },
                pv_code: pv,
                submitted_on: act.on,
                submitted_by: act.actor.name.clone(),
                amended_on: None,
                withdrawn_on: None,
                synthetic: act.synthetic(),
            };
            let verdict = rec.verdict(judging_deadline(&c));
            audit::append(
                &mut tx,
                act,
                Entry {
                    action: "offer.submit",
                    cycle_id: Some(cycle.as_str()),
                    subject: format!(
                        "{} offers {} places ({}) at {}: {}",
                        o.gm_code,
                        o.places,
                        o.kind,
                        rec.offer.location,
                        if verdict.counted { "counted" } else { "not counted" }
                    ),
                    reason: None,
                    before: serde_json::Value::Null,
                    after: offer_json(&rec),
                    touches: vec![crate::replay::touch!("offers", cycle.as_str(), o.gm_code.as_str())],
                },
            )
            .await?;
            self.fail("offers:after-first-row")?;
            out.push(rec);
        }
        self.commit(tx, "offer.submit").await?;
        Ok(out)
    }

    async fn offer_for_change(
        &self,
        tx: &mut Tx,
        act: &Act,
        c: &Cycle,
        offer_no: i64,
        step: fn(Option<NaiveDate>) -> Step,
    ) -> Result<OfferRecord> {
        let rec = load_offer(tx, &c.id, offer_no).await?;
        // Only the municipality that made an offer may change it (the core's one rule).
        act.actor.may(Action::Offer(rec.offer.gm_code))?;
        if let Some(w) = rec.withdrawn_on {
            return Err(StoreError::Conflict(format!(
                "offer {offer_no} was withdrawn on {w}; make a new offer instead"
            )));
        }
        let reported_on = report_date(tx, &c.id, rec.pv_code).await?;
        check(c.calendar(), Some(&c.state()), &step(reported_on), act.on, None)?;
        Ok(rec)
    }

    /// Amend one of the municipality's own offers (places, kind, AMV part, years, date; the
    /// location keeps its name), until its province reports. Audited with before and after.
    pub async fn amend_offer(&self, act: &Act, cycle: &CycleId, offer_no: i64, new: Offer) -> Result<OfferRecord> {
        let mut tx = self.begin().await?;
        let c = load_cycle(&mut tx, cycle).await?;
        let before = self.offer_for_change(&mut tx, act, &c, offer_no, |r| Step::AmendOffer { reported_on: r }).await?;
        if new.gm_code != before.offer.gm_code {
            return Err(StoreError::Invalid(format!(
                "gm_code: offer {offer_no} belongs to {}; an offer cannot move to another municipality",
                before.offer.gm_code
            )));
        }
        let new = Offer { location: before.offer.location.clone(), ..new };
        new.validate(c.calendar())?;
        if new.amv_places > 0 && c.amv_total.is_none() {
            return Err(StoreError::Invalid("amv_places: this cycle has no AMV sub-task".into()));
        }
        if new == before.offer {
            return Err(StoreError::Invalid(format!("offer {offer_no}: nothing changed")));
        }
        sqlx::query(
            "UPDATE offers SET places = $1, kind = $2, durable = $3, available_from = $4, amv_places = $5, years = $6, \
             amended_on = $7 WHERE cycle_id = $8 AND offer_no = $9",
        )
        .bind(to_i64(new.places))
        .bind(new.kind.code())
        .bind((new.years >= spreiding_core::distribution::DURABLE_MIN_YEARS) as i64)
        .bind(new.available_from.to_string())
        .bind(to_i64(new.amv_places))
        .bind(new.years as i64)
        .bind(act.on.to_string())
        .bind(cycle.as_str())
        .bind(offer_no)
        .execute(&mut *tx)
        .await?;
        let after = OfferRecord { offer: new, amended_on: Some(act.on), ..before.clone() };
        audit::append(
            &mut tx,
            act,
            Entry {
                action: "offer.amend",
                cycle_id: Some(cycle.as_str()),
                subject: format!(
                    "{} amends offer {offer_no} ({}): {} → {} places",
                    after.offer.gm_code, after.offer.location, before.offer.places, after.offer.places
                ),
                reason: None,
                before: offer_json(&before),
                after: offer_json(&after),
                touches: vec![crate::replay::touch!("offers", cycle.as_str(), after.offer.gm_code.as_str())],
            },
        )
        .await?;
        self.commit(tx, "offer.amend").await?;
        Ok(after)
    }

    /// Withdraw one of the municipality's own offers, until its province reports. The
    /// offer stays in the record, marked withdrawn; it no longer counts.
    pub async fn withdraw_offer(&self, act: &Act, cycle: &CycleId, offer_no: i64) -> Result<OfferRecord> {
        let mut tx = self.begin().await?;
        let c = load_cycle(&mut tx, cycle).await?;
        let before =
            self.offer_for_change(&mut tx, act, &c, offer_no, |r| Step::WithdrawOffer { reported_on: r }).await?;
        sqlx::query("UPDATE offers SET withdrawn_on = $1 WHERE cycle_id = $2 AND offer_no = $3")
            .bind(act.on.to_string())
            .bind(cycle.as_str())
            .bind(offer_no)
            .execute(&mut *tx)
            .await?;
        let after = OfferRecord { withdrawn_on: Some(act.on), ..before.clone() };
        audit::append(
            &mut tx,
            act,
            Entry {
                action: "offer.withdraw",
                cycle_id: Some(cycle.as_str()),
                subject: format!(
                    "{} withdraws offer {offer_no} ({}, {} places)",
                    before.offer.gm_code, before.offer.location, before.offer.places
                ),
                reason: None,
                before: offer_json(&before),
                after: offer_json(&after),
                touches: vec![crate::replay::touch!("offers", cycle.as_str(), before.offer.gm_code.as_str())],
            },
        )
        .await?;
        self.commit(tx, "offer.withdraw").await?;
        Ok(after)
    }

    /// Offers of a cycle (withdrawn ones included, marked), optionally of one municipality.
    /// One offer of the cycle by its number (NotFound when there is none).
    pub async fn offer(&self, cycle: &CycleId, offer_no: i64) -> Result<OfferRecord> {
        let mut tx = self.pool.begin().await?;
        let rec = load_offer(&mut tx, cycle, offer_no).await;
        tx.rollback().await?;
        rec
    }

    pub async fn offers(&self, cycle: &CycleId, gm: Option<GmCode>) -> Result<Vec<OfferRecord>> {
        let mut tx = self.pool.begin().await?;
        let all = load_offers(&mut tx, cycle).await?;
        tx.rollback().await?;
        Ok(all.into_iter().filter(|o| gm.is_none_or(|g| o.offer.gm_code == g)).collect())
    }

    /// Record a swap agreed in the provincial table (by the province, CdK): `to` takes over
    /// `places` of `from`'s task; both in the acting province; the provincial total holds.
    pub async fn record_swap(&self, act: &Act, cycle: &CycleId, swap: Swap) -> Result<SwapRecord> {
        let pv = self.nl.municipality(swap.from).map(|m| m.province).ok_or_else(|| {
            StoreError::Invalid(format!("from: unknown municipality {}: not in the reference data", swap.from))
        })?;
        act.actor.may(Action::Swap(pv))?;
        let mut tx = self.begin().await?;
        let c = load_cycle(&mut tx, cycle).await?;
        check(
            c.calendar(),
            Some(&c.state()),
            &Step::Swap { reported_on: report_date(&mut tx, cycle, pv).await? },
            act.on,
            None,
        )?;
        let dup = sqlx::query("SELECT agreed_on FROM swaps WHERE cycle_id = $1 AND from_gm = $2 AND to_gm = $3")
            .bind(cycle.as_str())
            .bind(swap.from.as_str())
            .bind(swap.to.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(d) = dup {
            return Err(StoreError::Conflict(format!(
                "duplicate submission: a swap from {} to {} was already recorded on {}",
                swap.from,
                swap.to,
                d.try_get::<String, _>("agreed_on")?
            )));
        }
        let tasks = load_tasks(&mut tx, cycle).await?;
        let deltas = swap_deltas(&load_swaps(&mut tx, cycle).await?);
        let from = tasks.iter().find(|t| t.gm_code == swap.from);
        let (d, d_amv) = deltas.get(&swap.from).copied().unwrap_or((0, 0));
        let agreed = (from.map_or(0, |t| t.task) as i64 + d).max(0) as u64;
        let agreed_amv = (from.and_then(|t| t.amv).unwrap_or(0) as i64 + d_amv).max(0) as u64;
        check_swap(&self.nl, &swap, agreed, agreed_amv, c.amv_total.is_some())?;
        sqlx::query(
            "INSERT INTO swaps (cycle_id, pv_code, from_gm, to_gm, places, note, agreed_on, recorded_by, amv_places, \
             recorded_at, synthetic) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(cycle.as_str())
        .bind(pv.as_str())
        .bind(swap.from.as_str())
        .bind(swap.to.as_str())
        .bind(to_i64(swap.places))
        .bind(&swap.note)
        .bind(act.on.to_string())
        .bind(&act.actor.name)
        .bind(to_i64(swap.amv_places))
        .bind(now())
        .bind(act.synthetic() as i64)
        .execute(&mut *tx)
        .await?;
        let rec = SwapRecord { swap, pv_code: pv, agreed_on: act.on, recorded_by: act.actor.name.clone() };
        audit::append(
            &mut tx,
            act,
            Entry {
                action: "swap.record",
                cycle_id: Some(cycle.as_str()),
                subject: format!("{} takes over {} places of {}", rec.swap.to, rec.swap.places, rec.swap.from),
                reason: (!rec.swap.note.is_empty()).then(|| rec.swap.note.clone()),
                before: serde_json::Value::Null,
                after: serde_json::to_value(&rec).expect("serialisable"),
                touches: vec![crate::replay::touch!("swaps", cycle.as_str())],
            },
        )
        .await?;
        self.commit(tx, "swap.record").await?;
        Ok(rec)
    }

    /// Swaps of a cycle.
    pub async fn swaps(&self, cycle: &CycleId) -> Result<Vec<SwapRecord>> {
        let rows = sqlx::query("SELECT * FROM swaps WHERE cycle_id = $1 ORDER BY pv_code, from_gm, to_gm")
            .bind(cycle.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(SwapRecord::from_row).collect()
    }

    fn check_commitments(
        &self,
        pv: PvCode,
        commitments: &[(GmCode, Commitment)],
        national_total: u64,
    ) -> Result<BTreeMap<GmCode, Commitment>> {
        let mut explicit = BTreeMap::new();
        for (i, (g, n)) in commitments.iter().enumerate() {
            let row = i + 1;
            match self.nl.municipality(*g) {
                None => {
                    return Err(StoreError::InvalidRow {
                        row,
                        message: format!("gm_code: unknown municipality {g}: not in the reference data"),
                    });
                }
                Some(m) if m.province != pv => {
                    return Err(StoreError::InvalidRow {
                        row,
                        message: format!("gm_code: {g} lies in {}, not in {pv}", m.province),
                    });
                }
                _ => {}
            }
            if n.places > national_total {
                return Err(StoreError::InvalidRow {
                    row,
                    message: format!(
                        "commitment: {} places for {g} exceed the national total {national_total}",
                        n.places
                    ),
                });
            }
            if n.amv > n.places {
                return Err(StoreError::InvalidRow {
                    row,
                    message: format!("amv_commitment: {} AMV places exceed the commitment {}", n.amv, n.places),
                });
            }
            if explicit.insert(*g, *n).is_some() {
                return Err(StoreError::InvalidRow { row, message: format!("gm_code: {g} has two commitments") });
            }
        }
        Ok(explicit)
    }

    /// The commitments of `pv` as a report would state them: explicit ones, else what counts
    /// (credits plus counted offers).
    async fn province_commitments(
        &self,
        tx: &mut Tx,
        c: &Cycle,
        pv: PvCode,
        explicit: &BTreeMap<GmCode, Commitment>,
    ) -> Result<BTreeMap<GmCode, Commitment>> {
        // plan_lines without any report figure gives the facts-based commitment per municipality.
        let facts_only = BTreeMap::new();
        let tasks: Vec<_> = load_tasks(tx, &c.id).await?.iter().map(|t| t.facts()).collect();
        let offers: Vec<Offer> =
            load_offers(tx, &c.id).await?.into_iter().filter(|o| o.active()).map(|o| o.offer).collect();
        let swaps = load_swaps(tx, &c.id).await?;
        let lines = plan_lines(&tasks, &swaps, &offers, judging_deadline(c), &facts_only, &BTreeMap::new());
        Ok(lines
            .into_iter()
            .filter(|l| l.pv_code == pv)
            .map(|l| {
                (
                    l.gm_code,
                    explicit
                        .get(&l.gm_code)
                        .copied()
                        .unwrap_or(Commitment { places: l.commitment, amv: l.amv.commitment }),
                )
            })
            .collect())
    }

    async fn write_report_lines(
        &self,
        tx: &mut Tx,
        cycle: &CycleId,
        pv: PvCode,
        lines: &BTreeMap<GmCode, Commitment>,
    ) -> Result<()> {
        sqlx::query("DELETE FROM report_lines WHERE cycle_id = $1 AND pv_code = $2")
            .bind(cycle.as_str())
            .bind(pv.as_str())
            .execute(&mut **tx)
            .await?;
        for (g, n) in lines {
            sqlx::query("INSERT INTO report_lines (cycle_id, pv_code, gm_code, commitment, amv_commitment) VALUES ($1, $2, $3, $4, $5)")
                .bind(cycle.as_str())
                .bind(pv.as_str())
                .bind(g.as_str())
                .bind(to_i64(n.places))
                .bind(to_i64(n.amv))
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Submit the CdK report (provincial plan) of `pv`, once, before 1 November. Each
    /// municipality's commitment is what counts for it (credits plus counted offers) unless
    /// `commitments` sets it explicitly (only municipalities of `pv`, each once).
    pub async fn submit_report(
        &self,
        act: &Act,
        cycle: &CycleId,
        pv: PvCode,
        commitments: &[(GmCode, Commitment)],
        note: &str,
    ) -> Result<ReportRecord> {
        act.actor.may(Action::Report(pv))?;
        if self.nl.province(pv).is_none() {
            return Err(StoreError::Invalid(format!("province: unknown province {pv}: not in the reference data")));
        }
        let mut tx = self.begin().await?;
        let c = load_cycle(&mut tx, cycle).await?;
        check(
            c.calendar(),
            Some(&c.state()),
            &Step::Report { reported_on: report_date(&mut tx, cycle, pv).await? },
            act.on,
            None,
        )?;
        let explicit = self.check_commitments(pv, commitments, c.national_total)?;
        let lines = self.province_commitments(&mut tx, &c, pv, &explicit).await?;
        self.write_report_lines(&mut tx, cycle, pv, &lines).await?;
        sqlx::query(
            "INSERT INTO reports (cycle_id, pv_code, submitted_on, submitted_by, note, revision, recorded_at, synthetic) \
             VALUES ($1, $2, $3, $4, $5, 0, $6, $7)",
        )
        .bind(cycle.as_str())
        .bind(pv.as_str())
        .bind(act.on.to_string())
        .bind(&act.actor.name)
        .bind(note)
        .bind(now())
        .bind(act.synthetic() as i64)
        .execute(&mut *tx)
        .await?;
        let rec = ReportRecord {
            pv_code: pv,
            submitted_on: act.on,
            submitted_by: act.actor.name.clone(),
            note: note.to_string(),
            revision: 0,
            amended_on: None,
            amend_reason: None,
            commitments: lines,
        };
        let task: u64 = load_tasks(&mut tx, cycle).await?.iter().filter(|t| t.pv_code == pv).map(|t| t.task).sum();
        let plan: u64 = rec.commitments.values().map(|c| c.places).sum();
        audit::append(
            &mut tx,
            act,
            Entry {
                action: "report.submit",
                cycle_id: Some(cycle.as_str()),
                subject: format!("CdK report of {pv}: plan {plan} places for a task of {task}"),
                reason: (!note.is_empty()).then(|| note.to_string()),
                before: serde_json::Value::Null,
                after: serde_json::to_value(&rec).expect("serialisable"),
                touches: vec![
                    crate::replay::touch!("reports", cycle.as_str(), pv.as_str()),
                    crate::replay::touch!("report_lines", cycle.as_str(), pv.as_str()),
                ],
            },
        )
        .await?;
        self.commit(tx, "report.submit").await?;
        Ok(rec)
    }

    /// Amend the CdK report of `pv` with a reason, until the decision: the new commitments
    /// replace the old ones (unnamed municipalities keep theirs). Audited before and after.
    pub async fn amend_report(
        &self,
        act: &Act,
        cycle: &CycleId,
        pv: PvCode,
        commitments: &[(GmCode, Commitment)],
        reason: &str,
    ) -> Result<ReportRecord> {
        act.actor.may(Action::Report(pv))?;
        let mut tx = self.begin().await?;
        let c = load_cycle(&mut tx, cycle).await?;
        let reported_on = report_date(&mut tx, cycle, pv).await?;
        check(
            c.calendar(),
            Some(&c.state()),
            &Step::AmendReport { reported_on, reason: reason.to_string() },
            act.on,
            None,
        )?;
        if commitments.is_empty() {
            return Err(StoreError::Invalid(
                "commitments: an amendment changes at least one municipality's commitment".into(),
            ));
        }
        let explicit = self.check_commitments(pv, commitments, c.national_total)?;
        let before = self.reports(cycle).await?.into_iter().find(|r| r.pv_code == pv).expect("reported: checked");
        let mut lines = before.commitments.clone();
        lines.extend(explicit);
        self.write_report_lines(&mut tx, cycle, pv, &lines).await?;
        sqlx::query("UPDATE reports SET revision = revision + 1, amended_on = $1, amend_reason = $2 WHERE cycle_id = $3 AND pv_code = $4")
            .bind(act.on.to_string())
            .bind(reason.trim())
            .bind(cycle.as_str())
            .bind(pv.as_str())
            .execute(&mut *tx)
            .await?;
        let after = ReportRecord {
            revision: before.revision + 1,
            amended_on: Some(act.on),
            amend_reason: Some(reason.trim().to_string()),
            commitments: lines,
            ..before.clone()
        };
        let plan = |r: &ReportRecord| r.commitments.values().map(|c| c.places).sum::<u64>();
        audit::append(
            &mut tx,
            act,
            Entry {
                action: "report.amend",
                cycle_id: Some(cycle.as_str()),
                subject: format!(
                    "CdK report of {pv} amended (revision {}): plan {} → {} places",
                    after.revision,
                    plan(&before),
                    plan(&after)
                ),
                reason: Some(reason.trim().to_string()),
                before: serde_json::to_value(&before).expect("serialisable"),
                after: serde_json::to_value(&after).expect("serialisable"),
                touches: vec![
                    crate::replay::touch!("reports", cycle.as_str(), pv.as_str()),
                    crate::replay::touch!("report_lines", cycle.as_str(), pv.as_str()),
                ],
            },
        )
        .await?;
        self.commit(tx, "report.amend").await?;
        Ok(after)
    }

    /// The CdK reports of a cycle.
    pub async fn reports(&self, cycle: &CycleId) -> Result<Vec<ReportRecord>> {
        let rows = sqlx::query("SELECT * FROM reports WHERE cycle_id = $1 ORDER BY pv_code")
            .bind(cycle.as_str())
            .fetch_all(&self.pool)
            .await?;
        let lines =
            sqlx::query("SELECT pv_code, gm_code, commitment, amv_commitment FROM report_lines WHERE cycle_id = $1")
                .bind(cycle.as_str())
                .fetch_all(&self.pool)
                .await?;
        let mut by_pv: BTreeMap<String, BTreeMap<GmCode, Commitment>> = BTreeMap::new();
        for l in lines {
            by_pv.entry(l.try_get("pv_code")?).or_default().insert(
                l.try_get::<String, _>("gm_code")?.parse()?,
                Commitment {
                    places: l.try_get::<i64, _>("commitment")? as u64,
                    amv: l.try_get::<i64, _>("amv_commitment")? as u64,
                },
            );
        }
        rows.iter()
            .map(|r| {
                let pv: String = r.try_get("pv_code")?;
                Ok(ReportRecord {
                    pv_code: pv.parse()?,
                    submitted_on: date(&r.try_get::<String, _>("submitted_on")?)?,
                    submitted_by: r.try_get("submitted_by")?,
                    note: r.try_get("note")?,
                    revision: r.try_get::<i64, _>("revision")? as u32,
                    amended_on: r.try_get::<Option<String>, _>("amended_on")?.as_deref().map(date).transpose()?,
                    amend_reason: r.try_get("amend_reason")?,
                    commitments: by_pv.remove(&pv).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// The current plan per municipality, as the decision would see it now.
    pub async fn plan(&self, cycle: &CycleId) -> Result<Vec<PlanLine>> {
        let mut tx = self.pool.begin().await?;
        let c = load_cycle(&mut tx, cycle).await?;
        let ceilings = crate::decisions::upheld_ceilings(&mut tx, &c).await?;
        let lines = plan_lines_tx(&mut tx, &c, &ceilings).await?;
        tx.rollback().await?;
        Ok(lines)
    }
}
