//! The provincial tables: offers, swaps and the CdK reports (provincial plans).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use spreiding_core::actor::Action;
use spreiding_core::cycle::{CycleId, Offer, Step, Swap, check};
use spreiding_core::decision::PlanLine;
use spreiding_core::{GmCode, PvCode};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::{self, Entry};
use crate::cycles::{load_cycle, load_tasks, to_i64};
use crate::error::{Result, StoreError};
use crate::{Act, Store, Tx, date};

/// An offer as stored, with who submitted it when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferRecord {
    #[serde(flatten)]
    pub offer: Offer,
    pub pv_code: PvCode,
    pub submitted_on: NaiveDate,
    pub submitted_by: String,
}

impl OfferRecord {
    fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(OfferRecord {
            offer: Offer {
                gm_code: r.try_get::<String, _>("gm_code")?.parse()?,
                location: r.try_get("location")?,
                places: r.try_get::<i64, _>("places")? as u64,
                kind: r.try_get::<String, _>("kind")?.parse()?,
                durable: r.try_get::<i64, _>("durable")? != 0,
                available_from: date(&r.try_get::<String, _>("available_from")?)?,
            },
            pv_code: r.try_get::<String, _>("pv_code")?.parse()?,
            submitted_on: date(&r.try_get::<String, _>("submitted_on")?)?,
            submitted_by: r.try_get("submitted_by")?,
        })
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
    pub commitments: BTreeMap<GmCode, u64>,
}

async fn report_date(tx: &mut Tx, cycle: &CycleId, pv: PvCode) -> Result<Option<NaiveDate>> {
    let r = sqlx::query("SELECT submitted_on FROM reports WHERE cycle_id = $1 AND pv_code = $2")
        .bind(cycle.as_str())
        .bind(pv.as_str())
        .fetch_optional(&mut **tx)
        .await?;
    r.map(|r| date(&r.try_get::<String, _>("submitted_on")?)).transpose()
}

/// Places offered per municipality (sum over its offers).
async fn offered_by_gm(tx: &mut Tx, cycle: &CycleId) -> Result<BTreeMap<GmCode, u64>> {
    let rows = sqlx::query("SELECT gm_code, places FROM offers WHERE cycle_id = $1")
        .bind(cycle.as_str())
        .fetch_all(&mut **tx)
        .await?;
    let mut out = BTreeMap::new();
    for r in rows {
        *out.entry(r.try_get::<String, _>("gm_code")?.parse()?).or_default() += r.try_get::<i64, _>("places")? as u64;
    }
    Ok(out)
}

/// Net swap delta per municipality.
async fn swap_deltas(tx: &mut Tx, cycle: &CycleId) -> Result<BTreeMap<GmCode, i64>> {
    let rows = sqlx::query("SELECT from_gm, to_gm, places FROM swaps WHERE cycle_id = $1")
        .bind(cycle.as_str())
        .fetch_all(&mut **tx)
        .await?;
    let mut out: BTreeMap<GmCode, i64> = BTreeMap::new();
    for r in rows {
        let p: i64 = r.try_get("places")?;
        *out.entry(r.try_get::<String, _>("from_gm")?.parse()?).or_default() -= p;
        *out.entry(r.try_get::<String, _>("to_gm")?.parse()?).or_default() += p;
    }
    Ok(out)
}

/// The plan as the decision sees it: per municipality its indicative task, swaps, credits,
/// offers and commitment (the CdK report's figure, or — for a province without a report —
/// credits plus offers, the facts the minister has).
pub(crate) async fn plan_lines(tx: &mut Tx, cycle: &CycleId) -> Result<Vec<PlanLine>> {
    let tasks = load_tasks(tx, cycle).await?;
    let offered = offered_by_gm(tx, cycle).await?;
    let swaps = swap_deltas(tx, cycle).await?;
    let rows = sqlx::query("SELECT gm_code, commitment FROM report_lines WHERE cycle_id = $1")
        .bind(cycle.as_str())
        .fetch_all(&mut **tx)
        .await?;
    let mut committed: BTreeMap<GmCode, u64> = BTreeMap::new();
    for r in rows {
        committed.insert(r.try_get::<String, _>("gm_code")?.parse()?, r.try_get::<i64, _>("commitment")? as u64);
    }
    Ok(tasks
        .into_iter()
        .map(|t| {
            let off = offered.get(&t.gm_code).copied().unwrap_or(0);
            PlanLine {
                gm_code: t.gm_code,
                gm_naam: t.gm_naam,
                pv_code: t.pv_code,
                indicative_task: t.task,
                swap_delta: swaps.get(&t.gm_code).copied().unwrap_or(0),
                credited: t.credited,
                offered: off,
                commitment: committed.get(&t.gm_code).copied().unwrap_or(t.credited + off),
            }
        })
        .collect())
}

impl Store {
    /// Submit offers (one or many, e.g. a bulk import) in one transaction. Every offer
    /// must be the actor's own (a municipality acts only for itself), valid, new (the
    /// same location twice is a duplicate submission), in time (before 1 November) and
    /// for a province that has not reported yet. Any bad row: nothing is written and the
    /// error names the row (1-based).
    pub async fn submit_offers(&self, act: &Act, cycle: &CycleId, offers: &[Offer]) -> Result<Vec<OfferRecord>> {
        if offers.is_empty() {
            return Err(StoreError::Invalid("no offers to submit".into()));
        }
        for (i, o) in offers.iter().enumerate() {
            act.actor.may(Action::Offer(o.gm_code)).map_err(|e| StoreError::from(e).in_row(i + 1))?;
            if self.nl.municipality(o.gm_code).is_none() {
                return Err(StoreError::InvalidRow {
                    row: i + 1,
                    message: format!("unknown municipality {}: not in the reference data", o.gm_code),
                });
            }
        }
        let mut tx = self.begin().await?;
        let c = load_cycle(&mut tx, cycle).await?;
        let mut seen = BTreeSet::new();
        let mut reported: BTreeMap<PvCode, Option<NaiveDate>> = BTreeMap::new();
        let mut out = Vec::with_capacity(offers.len());
        for (i, o) in offers.iter().enumerate() {
            let row = i + 1;
            let pv = self.nl.municipality(o.gm_code).expect("checked above").province;
            if !reported.contains_key(&pv) {
                reported.insert(pv, report_date(&mut tx, cycle, pv).await?);
            }
            check(c.calendar(), Some(&c.state()), &Step::Offer { reported_on: reported[&pv] }, act.on, None)
                .map_err(|e| StoreError::from(e).in_row(row))?;
            o.validate(c.calendar()).map_err(|e| StoreError::from(e).in_row(row))?;
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
                        "duplicate submission: {} already offered '{}' on {}",
                        o.gm_code,
                        location,
                        d.try_get::<String, _>("submitted_on")?
                    ),
                });
            }
            sqlx::query(
                "INSERT INTO offers (cycle_id, gm_code, location, pv_code, places, kind, durable, available_from, \
                 submitted_on, submitted_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(cycle.as_str())
            .bind(o.gm_code.as_str())
            .bind(&location)
            .bind(pv.as_str())
            .bind(to_i64(o.places))
            .bind(o.kind.code())
            .bind(o.durable as i64)
            .bind(o.available_from.to_string())
            .bind(act.on.to_string())
            .bind(&act.actor.name)
            .execute(&mut *tx)
            .await?;
            let rec = OfferRecord {
                offer: Offer { location, ..o.clone() },
                pv_code: pv,
                submitted_on: act.on,
                submitted_by: act.actor.name.clone(),
            };
            audit::append(
                &mut tx,
                act,
                Entry {
                    action: "offer.submit",
                    cycle_id: Some(cycle.as_str()),
                    subject: format!("{} offers {} places at {}", o.gm_code, o.places, rec.offer.location),
                    reason: None,
                    before: serde_json::Value::Null,
                    after: serde_json::to_value(&rec).expect("serialisable"),
                },
            )
            .await?;
            out.push(rec);
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Offers of a cycle, optionally of one municipality.
    pub async fn offers(&self, cycle: &CycleId, gm: Option<GmCode>) -> Result<Vec<OfferRecord>> {
        let rows = match gm {
            Some(g) => {
                sqlx::query("SELECT * FROM offers WHERE cycle_id = $1 AND gm_code = $2 ORDER BY gm_code, location")
                    .bind(cycle.as_str())
                    .bind(g.as_str())
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                sqlx::query("SELECT * FROM offers WHERE cycle_id = $1 ORDER BY gm_code, location")
                    .bind(cycle.as_str())
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(OfferRecord::from_row).collect()
    }

    /// Record a swap agreed in the provincial table (by the province, CdK): `to` takes over
    /// `places` of `from`'s task; both in the acting province; the provincial total holds.
    pub async fn record_swap(&self, act: &Act, cycle: &CycleId, swap: Swap) -> Result<SwapRecord> {
        let (Some(from), Some(to)) = (self.nl.municipality(swap.from), self.nl.municipality(swap.to)) else {
            let bad = if self.nl.municipality(swap.from).is_none() { swap.from } else { swap.to };
            return Err(StoreError::Invalid(format!("unknown municipality {bad}: not in the reference data")));
        };
        if from.province != to.province {
            return Err(StoreError::Invalid(format!(
                "{} ({}) and {} ({}) lie in different provinces: swaps stay within one province",
                swap.from, from.province, swap.to, to.province
            )));
        }
        let pv = from.province;
        act.actor.may(Action::Swap(pv))?;
        if swap.from == swap.to {
            return Err(StoreError::Invalid("a swap needs two different municipalities".into()));
        }
        if swap.places == 0 {
            return Err(StoreError::Invalid("a swap moves at least 1 place".into()));
        }
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
        let deltas = swap_deltas(&mut tx, cycle).await?;
        let task_from = tasks.iter().find(|t| t.gm_code == swap.from).map(|t| t.task).unwrap_or(0) as i64
            + deltas.get(&swap.from).copied().unwrap_or(0);
        if swap.places as i64 > task_from {
            return Err(StoreError::Invalid(format!(
                "{} has a task of {} places after earlier swaps; it cannot hand over {}",
                swap.from, task_from, swap.places
            )));
        }
        sqlx::query(
            "INSERT INTO swaps (cycle_id, pv_code, from_gm, to_gm, places, note, agreed_on, recorded_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(cycle.as_str())
        .bind(pv.as_str())
        .bind(swap.from.as_str())
        .bind(swap.to.as_str())
        .bind(to_i64(swap.places))
        .bind(&swap.note)
        .bind(act.on.to_string())
        .bind(&act.actor.name)
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
            },
        )
        .await?;
        tx.commit().await?;
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

    /// Submit the CdK report (provincial plan) of `pv`, once, before 1 November. Each
    /// municipality's commitment is its credited places plus its offers unless
    /// `commitments` sets it explicitly (only municipalities of `pv`, each once).
    pub async fn submit_report(
        &self,
        act: &Act,
        cycle: &CycleId,
        pv: PvCode,
        commitments: &[(GmCode, u64)],
        note: &str,
    ) -> Result<ReportRecord> {
        act.actor.may(Action::Report(pv))?;
        if self.nl.province(pv).is_none() {
            return Err(StoreError::Invalid(format!("unknown province {pv}: not in the reference data")));
        }
        let mut explicit: BTreeMap<GmCode, u64> = BTreeMap::new();
        for (i, (g, n)) in commitments.iter().enumerate() {
            let row = i + 1;
            match self.nl.municipality(*g) {
                None => {
                    return Err(StoreError::InvalidRow {
                        row,
                        message: format!("unknown municipality {g}: not in the reference data"),
                    });
                }
                Some(m) if m.province != pv => {
                    return Err(StoreError::InvalidRow {
                        row,
                        message: format!("{g} lies in {}, not in {pv}", m.province),
                    });
                }
                _ => {}
            }
            if explicit.insert(*g, *n).is_some() {
                return Err(StoreError::InvalidRow { row, message: format!("{g} has two commitments") });
            }
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
        for (i, (g, n)) in commitments.iter().enumerate() {
            if *n > c.national_total {
                return Err(StoreError::InvalidRow {
                    row: i + 1,
                    message: format!(
                        "a commitment of {n} places for {g} exceeds the national total {}",
                        c.national_total
                    ),
                });
            }
        }
        let lines: Vec<PlanLine> = plan_lines(&mut tx, cycle).await?.into_iter().filter(|l| l.pv_code == pv).collect();
        let mut committed = BTreeMap::new();
        for l in &lines {
            let n = explicit.get(&l.gm_code).copied().unwrap_or(l.credited + l.offered);
            committed.insert(l.gm_code, n);
            sqlx::query("INSERT INTO report_lines (cycle_id, pv_code, gm_code, commitment) VALUES ($1, $2, $3, $4)")
                .bind(cycle.as_str())
                .bind(pv.as_str())
                .bind(l.gm_code.as_str())
                .bind(to_i64(n))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO reports (cycle_id, pv_code, submitted_on, submitted_by, note) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(cycle.as_str())
        .bind(pv.as_str())
        .bind(act.on.to_string())
        .bind(&act.actor.name)
        .bind(note)
        .execute(&mut *tx)
        .await?;
        let rec = ReportRecord {
            pv_code: pv,
            submitted_on: act.on,
            submitted_by: act.actor.name.clone(),
            note: note.to_string(),
            commitments: committed,
        };
        let task: u64 = lines.iter().map(|l| l.indicative_task).sum();
        let plan: u64 = rec.commitments.values().sum();
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
            },
        )
        .await?;
        tx.commit().await?;
        Ok(rec)
    }

    /// The CdK reports of a cycle.
    pub async fn reports(&self, cycle: &CycleId) -> Result<Vec<ReportRecord>> {
        let rows = sqlx::query("SELECT * FROM reports WHERE cycle_id = $1 ORDER BY pv_code")
            .bind(cycle.as_str())
            .fetch_all(&self.pool)
            .await?;
        let lines = sqlx::query("SELECT pv_code, gm_code, commitment FROM report_lines WHERE cycle_id = $1")
            .bind(cycle.as_str())
            .fetch_all(&self.pool)
            .await?;
        let mut by_pv: BTreeMap<String, BTreeMap<GmCode, u64>> = BTreeMap::new();
        for l in lines {
            by_pv
                .entry(l.try_get("pv_code")?)
                .or_default()
                .insert(l.try_get::<String, _>("gm_code")?.parse()?, l.try_get::<i64, _>("commitment")? as u64);
        }
        rows.iter()
            .map(|r| {
                let pv: String = r.try_get("pv_code")?;
                Ok(ReportRecord {
                    pv_code: pv.parse()?,
                    submitted_on: date(&r.try_get::<String, _>("submitted_on")?)?,
                    submitted_by: r.try_get("submitted_by")?,
                    note: r.try_get("note")?,
                    commitments: by_pv.remove(&pv).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// The current plan per municipality, as the decision would see it now.
    pub async fn plan(&self, cycle: &CycleId) -> Result<Vec<PlanLine>> {
        let mut tx = self.pool.begin().await?;
        load_cycle(&mut tx, cycle).await?;
        let lines = plan_lines(&mut tx, cycle).await?;
        tx.rollback().await?;
        Ok(lines)
    }
}
