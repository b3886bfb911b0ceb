//! The public picture of one cycle: tasks from the core, offers, decisions and realisation
//! from the database, combined into rows the pages, the API and the map share.
//!
//! A [`Snapshot`] is immutable and rebuilt after every change, so public reads never wait
//! on the database and every view of one moment agrees with every other.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use spreiding_core::bundled::{self, POPULATION_KEY};
use spreiding_core::cycle::{Calendar, Origin, Phase};
pub use spreiding_core::distribution::Distribution;
use spreiding_core::distribution::{DefinitionInfo, Explanation, distribute};
use spreiding_core::key::{Indicators, KeyDefinition, run_key};
use spreiding_core::{GmCode, Netherlands, PvCode};
use utoipa::ToSchema;

use crate::error::WebError;

/// Note shown wherever tasks appear when the SES-WOA indicator is missing (docs/DOMAIN-BRIEF.md §3):
/// the same words as the command line's `key` output.
pub const SES_WOA_NOTE: &str = "SES-WOA not loaded: population-only key";

/// One cycle of the Spreidingswet (Wet gemeentelijke taak mogelijk maken
/// asielopvangvoorzieningen), as the record holds it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Cycle {
    /// The store's id, e.g. 2026.
    pub id: String,
    /// Year 1 of the cycle.
    pub year: i32,
    /// Cycle number: 1 = 2024–2026, 2 = 2026–2028.
    pub number: u32,
    /// Capacity forecast (capaciteitsraming), Wet art. 2: places needed nationally.
    pub forecast_total: u64,
    /// AMV (unaccompanied minors) sub-task, when the record has one.
    pub amv_total: Option<u64>,
    /// Where the forecast comes from: the minister's publication in this record, or imported public facts.
    pub forecast_source: String,
    /// `ministry` (published in spreiding) or `import` (public facts with their source).
    pub origin: String,
    /// The phase in the record: tables, decided, closed.
    pub phase: String,
    /// Where the tasks per municipality come from: `published` (the minister's publication in this
    /// record), or `recomputation` (spreiding's own computation for imported facts, not an official table).
    pub tasks_origin: String,
    /// The minister's recorded deviation from the key the law requires, if any.
    pub deviation: Option<String>,
    /// Synthetic demonstration data.
    pub synthetic: bool,
    /// The legal steps of the cycle with their deadlines and their state in the record.
    pub milestones: Vec<Milestone>,
    /// The recorded forecast run the national total was taken from (its P50), when the
    /// minister published or revised the forecast from one.
    pub forecast_run: Option<ForecastRunView>,
}

/// A recorded run of the capacity forecast (capaciteitsraming, Wet art. 2): what was run and
/// the required places it gives on the first 1 January after its start. Public: the organisation
/// that recorded it, never a login name.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ForecastRunView {
    /// The run's number in the record.
    pub id: i64,
    /// The scenario's id and version, and where it came from (bundled:base or a file name).
    pub scenario: String,
    pub scenario_version: u32,
    pub scenario_from: String,
    /// SHA-256 of the scenario's TOML text as run.
    pub scenario_sha256: String,
    /// The random seed: the same scenario, seed, paths and start give the same result.
    pub seed: u64,
    /// Monte Carlo paths.
    pub runs: u64,
    #[schema(value_type = String, format = Date)]
    pub start: NaiveDate,
    /// The first target date (1 January) and the required places on it.
    #[schema(value_type = String, format = Date)]
    pub first_target: NaiveDate,
    pub p10: u64,
    pub p50: u64,
    pub p90: u64,
    /// Of the P50, places for unaccompanied minors (AMV), P50.
    pub amv_p50: u64,
    /// SHA-256 of the stored result JSON (`GET /api/forecast-runs/{id}/result`).
    pub result_sha256: String,
    /// The date it took effect and when it was recorded.
    #[schema(value_type = String, format = Date)]
    pub recorded_on: NaiveDate,
    pub recorded_at: String,
    /// The organisation that recorded it.
    pub organisation: String,
    pub note: Option<String>,
    /// Synthetic demonstration data.
    pub synthetic: bool,
    /// The cycles whose forecast was published or revised from this run.
    pub cycles: Vec<String>,
}

impl ForecastRunView {
    /// The first 12 hex digits of the scenario's SHA-256, for tables.
    pub fn short_sha(&self) -> &str {
        &self.scenario_sha256[..self.scenario_sha256.len().min(12)]
    }

    pub fn from_store(r: &spreiding_store::ForecastRun, nl: &Netherlands, cycles: Vec<String>) -> ForecastRunView {
        ForecastRunView {
            id: r.id,
            scenario: r.scenario_id.clone(),
            scenario_version: r.scenario_version,
            scenario_from: r.scenario_from.clone(),
            scenario_sha256: r.scenario_sha256.clone(),
            seed: r.seed,
            runs: r.runs,
            start: r.start,
            first_target: r.first_target,
            p10: r.p10,
            p50: r.p50,
            p90: r.p90,
            amv_p50: r.amv_p50,
            result_sha256: r.result_sha256.clone(),
            recorded_on: r.recorded_on,
            recorded_at: r.recorded_at.clone(),
            organisation: r.recorded_role.organisation(nl),
            note: r.note.clone(),
            synthetic: r.synthetic,
            cycles,
        }
    }
}

/// A step of the cycle, its deadline and its status from the record (docs/DOMAIN-BRIEF.md §2, as
/// applied in cycle 1).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Milestone {
    /// Stable id: forecast, provincial_table, cdk_report, decision, realisation.
    pub id: String,
    /// Last day of the step.
    #[schema(value_type = String, format = Date)]
    pub deadline: NaiveDate,
    /// The legal source of the step.
    pub source: String,
    /// done, now or upcoming — from the record's state, not from the calendar.
    pub status: String,
}

impl Cycle {
    /// The web view of a stored cycle; `reports` is how many provinces have reported.
    pub fn from_store(c: &spreiding_store::Cycle, reports: usize, provinces: usize) -> Cycle {
        let cal = c.calendar();
        let ms = |id: &str, deadline, source: &str, status: &str| Milestone {
            id: id.into(),
            deadline,
            source: source.into(),
            status: status.into(),
        };
        let decided = c.phase != Phase::Tables;
        let closed = c.phase == Phase::Closed;
        let st = |done: bool, now: bool| {
            if done {
                "done"
            } else if now {
                "now"
            } else {
                "upcoming"
            }
        };
        let tables_done = decided || reports >= provinces;
        let milestones = vec![
            ms("forecast", cal.forecast_deadline(), "Wet art. 2 (capaciteitsraming, vóór 1 februari)", "done"),
            ms(
                "provincial_table",
                cal.report_deadline().pred_opt().expect("date in range"),
                "Wet art. 3; provinciale regietafel februari–oktober (zoals toegepast in cyclus 1)",
                st(tables_done, !tables_done),
            ),
            ms(
                "cdk_report",
                cal.report_deadline(),
                "rapportage CdK vóór 1 november (zoals toegepast in cyclus 1)",
                st(tables_done, reports > 0 && !tables_done),
            ),
            ms(
                "decision",
                cal.decision_deadline(),
                "Wet art. 5–6 (verdeelbesluit, uiterlijk 31 december)",
                st(decided, tables_done && !decided),
            ),
            ms(
                "realisation",
                c.decided_on.map(Calendar::realisation_deadline).unwrap_or_else(|| cal.expected_realisation_deadline()),
                "realisatie binnen zes maanden na het besluit (zoals toegepast in cyclus 1)",
                st(closed, decided && !closed),
            ),
        ];
        let forecast_source = match (c.origin, &c.source) {
            (Origin::Import, Some(src)) => format!("Openbare gegevens, geïmporteerd met bron: {src}"),
            _ => format!(
                "Gepubliceerd door de minister in dit register op {}{}",
                c.published_on,
                if c.revision > 0 { format!(" (herzien, revisie {})", c.revision) } else { String::new() }
            ),
        };
        Cycle {
            id: c.id.to_string(),
            year: c.year,
            number: ((c.year - 2024) / 2 + 1).max(1) as u32,
            forecast_total: c.national_total,
            amv_total: c.amv_total,
            forecast_source,
            origin: c.origin.name().into(),
            phase: c.phase.name().into(),
            tasks_origin: if c.origin == Origin::Ministry { "published".into() } else { "recomputation".into() },
            deviation: c.deviation.clone(),
            synthetic: c.synthetic,
            milestones,
            forecast_run: None,
        }
    }

    /// Name the forecast run the total was taken from, here and in the forecast's source line.
    pub fn with_forecast_run(mut self, run: ForecastRunView) -> Cycle {
        self.forecast_source.push_str(&format!(
            "; raming: run {} (scenario {} v{}, seed {}, P50 {} op {})",
            run.id, run.scenario, run.scenario_version, run.seed, run.p50, run.first_target
        ));
        self.forecast_run = Some(run);
        self
    }

    /// The step in progress according to the record.
    pub fn current_step(&self) -> &str {
        self.milestones.iter().find(|m| m.status == "now").map(|m| m.id.as_str()).unwrap_or(if self.phase == "closed" {
            "evaluation"
        } else {
            "forecast"
        })
    }
}

/// Name under which `--demo` records its synthetic data: everything it submits is labelled.
pub const DEMO_ACTOR: &str = spreiding_store::SYNTHETIC_ACTOR;

/// A municipality's offer of reception places (aanbod) in the provincial table.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Offer {
    /// Number of the offer in the cycle.
    pub offer_no: i64,
    #[schema(value_type = String, example = "GM0014")]
    pub gm_code: GmCode,
    pub location: String,
    pub places: u64,
    /// Of the places, those for unaccompanied minors (AMV).
    pub amv_places: u64,
    /// regular_durable, temporary, noodopvang, crisisnoodopvang, amv_small_scale or registration_centre.
    pub kind: String,
    /// Years the places are available (durable: at least five, Besluit art. 1.1).
    pub years: u32,
    #[schema(value_type = String, format = Date)]
    pub available_from: NaiveDate,
    /// Whether the places count towards the task, and why (the core's rule).
    pub counted: bool,
    pub reason: String,
    /// The role that submitted it (never a login name).
    pub submitted_by_role: String,
    #[schema(value_type = String, format = Date)]
    pub submitted_on: NaiveDate,
    #[schema(value_type = Option<String>, format = Date)]
    pub withdrawn_on: Option<NaiveDate>,
    /// Synthetic demonstration data, never real.
    pub synthetic: bool,
}

impl Offer {
    pub fn from_record(r: &spreiding_store::OfferRecord, deadline: NaiveDate) -> Self {
        let v = r.verdict(deadline);
        Offer {
            offer_no: r.offer_no,
            gm_code: r.offer.gm_code,
            location: r.offer.location.clone(),
            places: r.offer.places,
            amv_places: r.offer.amv_places,
            kind: r.offer.kind.code().to_string(),
            years: r.offer.years,
            available_from: r.offer.available_from,
            counted: v.counted,
            reason: v.reason,
            submitted_by_role: format!("municipality:{}", r.offer.gm_code),
            submitted_on: r.submitted_on,
            withdrawn_on: r.withdrawn_on,
            synthetic: r.synthetic,
        }
    }
}

/// Places realised (opened) by a municipality as of a date, cumulative.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Realisation {
    #[schema(value_type = String, example = "GM0014")]
    pub gm_code: GmCode,
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// Cumulative places realised on that date.
    pub places: u64,
    /// Of those, AMV places.
    pub amv_places: u64,
    /// Recorded after the realisation deadline (six months after the decision).
    pub late: bool,
    pub synthetic: bool,
}

impl From<spreiding_store::Realisation> for Realisation {
    fn from(r: spreiding_store::Realisation) -> Self {
        Realisation {
            gm_code: r.gm_code,
            date: r.on_date,
            places: r.realised,
            amv_places: r.amv_realised,
            late: r.late,
            synthetic: r.synthetic,
        }
    }
}

/// What changes over a cycle, read from the store.
#[derive(Clone, Debug, Default)]
pub struct Records {
    pub offers: Vec<Offer>,
    pub realisations: Vec<Realisation>,
    /// Binding tasks (and AMV parts) from the distribution decision, when taken.
    pub decided: BTreeMap<GmCode, (u64, u64)>,
    /// The binding task's written explanation per municipality.
    pub binding_explanations: BTreeMap<GmCode, String>,
    pub decision_summary: Option<String>,
    /// Every recorded forecast run of the record (not only this cycle's), newest first.
    pub forecast_runs: Vec<ForecastRunView>,
}

/// One municipality's figures.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MunicipalityRow {
    #[schema(value_type = String, example = "GM0014")]
    pub gm_code: GmCode,
    pub gm_naam: String,
    #[schema(value_type = String, example = "PV20")]
    pub pv_code: PvCode,
    pub pv_naam: String,
    pub inwoners: u64,
    /// Exact quota, 4 decimals.
    pub quota: String,
    /// Indicative task (places).
    pub task: u64,
    pub amv: Option<u64>,
    /// Task per 1,000 inhabitants.
    pub per_1000: f64,
    /// Places offered (sum of offers).
    pub offered: u64,
    /// Offered as a percentage of the task.
    pub offered_pct: f64,
    /// Binding task from the distribution decision, when taken.
    pub decided: Option<u64>,
    /// Its binding AMV part.
    pub decided_amv: Option<u64>,
    /// Places realised (latest cumulative figure).
    pub realised: u64,
    /// Realised as a percentage of the binding task once there is one, else of the task.
    pub realised_pct: f64,
}

/// One province's figures: the sums of its municipalities (Wet art. 3).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProvinceRow {
    #[schema(value_type = String, example = "PV20")]
    pub pv_code: PvCode,
    pub pv_naam: String,
    pub municipalities: usize,
    pub inwoners: u64,
    pub task: u64,
    pub per_1000: f64,
    pub offered: u64,
    pub offered_pct: f64,
    pub decided: Option<u64>,
    pub realised: u64,
    /// Against the binding task once there is one.
    pub realised_pct: f64,
    /// Municipalities that offered at least their task.
    pub municipalities_covered: usize,
}

/// National totals.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Totals {
    pub inwoners: u64,
    pub task: u64,
    pub offered: u64,
    pub offered_pct: f64,
    pub decided: Option<u64>,
    pub realised: u64,
    pub realised_pct: f64,
    pub municipalities: usize,
    pub municipalities_covered: usize,
}

/// Which key and data produced the tasks.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Provenance {
    #[schema(value_type = Object)]
    pub definition: DefinitionInfo,
    /// e.g. "SES-WOA not loaded: population-only key".
    pub note: Option<String>,
    pub reference_data: String,
    /// `published` (the minister's publication in this record) or `recomputation` (spreiding's own
    /// computation for imported public facts — not an official table).
    pub tasks_origin: String,
    /// The minister's recorded deviation from the key the law requires, if any.
    pub deviation: Option<String>,
    /// True when the database holds synthetic demonstration data.
    pub synthetic_data: bool,
    /// True in a sandbox database (dates may be chosen; not the legal record).
    pub sandbox: bool,
}

/// The latest signed checkpoint of the audit chain, as the dashboard shows it (`spreiding
/// audit checkpoint`, or the server's own with a key). Kept beside the snapshot and re-read
/// by the server's poll, since signing a checkpoint does not move the audit head; the
/// chain's length is the snapshot's `audit_seq`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointView {
    pub seq: i64,
    /// `YYYY-MM-DD HH:MM` UTC.
    pub at: String,
    pub fingerprint: String,
}

impl CheckpointView {
    pub async fn latest(store: &spreiding_store::Store) -> Result<Option<CheckpointView>, WebError> {
        Ok(store.latest_checkpoint().await?.map(|cp| CheckpointView {
            seq: cp.seq,
            at: cp.signed_at.chars().take(16).collect::<String>().replace('T', " "),
            fingerprint: cp.embedded_key().map(|k| spreiding_store::audit::key_fingerprint(&k)).unwrap_or_default(),
        }))
    }
}

pub struct Snapshot {
    /// The audit head this snapshot was built at: snapshots are swapped in this order.
    pub audit_seq: i64,
    /// Every cycle in the record (id, year, phase), newest first, for the selector.
    pub cycles: Vec<Cycle>,
    pub cycle: Cycle,
    pub distribution: Distribution,
    pub provenance: Provenance,
    pub municipalities: Vec<MunicipalityRow>,
    pub provinces: Vec<ProvinceRow>,
    pub totals: Totals,
    pub records: Records,
    /// The map layer: boundaries with every figure in the feature properties, serialised once.
    pub geojson: axum::body::Bytes,
    /// `{provenance, rows}` of all municipalities and of all provinces, serialised once
    /// (the most requested lists; served without per-request work).
    pub municipalities_json: axum::body::Bytes,
    pub provinces_json: axum::body::Bytes,
}

fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { (part as f64 * 1000.0 / whole as f64).round() / 10.0 }
}

fn per_1000(task: u64, inwoners: u64) -> f64 {
    if inwoners == 0 { 0.0 } else { (task as f64 * 100_000.0 / inwoners as f64).round() / 100.0 }
}

/// The 2023 generalised municipal boundaries (CBS/PDOK, CC BY 4.0; data/SOURCES.md).
pub const BOUNDARIES: &str = include_str!("../../../data/gemeenten_2023_grenzen.geojson");

/// The tasks of a cycle for the public view and their explanation: for a cycle published in
/// this record, its stored key and inputs are run again (pure core) and must give exactly
/// the published tasks; for imported public facts, spreiding's recomputation with the
/// population-only key on the cycle's population vintage, labelled as such.
pub fn tasks_of(
    c: &spreiding_store::Cycle,
    published: &[spreiding_store::IndicativeTask],
) -> Result<Distribution, WebError> {
    let nl = bundled::netherlands()?;
    if c.origin == Origin::Ministry && !published.is_empty() {
        // The key as it was published (its text is kept with the cycle).
        let def = match &c.key_toml {
            Some(toml) => KeyDefinition::parse(&format!("key of cycle {}", c.id), toml)?,
            None => c
                .definition
                .split_once('@')
                .and_then(|(id, _)| bundled::key(id))
                .transpose()?
                .ok_or_else(|| WebError::Internal(format!("cycle {}: unknown key {}", c.id, c.definition)))?,
        };
        let mut set = nl.set.clone();
        for r in &mut set.regions {
            if let Some(t) = published.iter().find(|t| t.gm_code.as_str() == r.code.as_str()) {
                r.population = t.inwoners.unwrap_or(r.population);
            }
        }
        set.population_date = c.population_date;
        let mut ind = Indicators::default();
        let names: std::collections::BTreeSet<&String> = published.iter().flat_map(|t| t.inputs.keys()).collect();
        for name in names {
            let mut csv = format!("gm_code,{name}\n");
            for t in published {
                csv.push_str(&format!("{},{}\n", t.gm_code, t.inputs.get(name).map(String::as_str).unwrap_or("")));
            }
            ind.add_csv(&format!("cycle {} ({name})", c.id), &csv)?;
        }
        let nl2 = Netherlands::from_sets(set, None)?;
        let result = run_key(&def, &nl2.set, &ind, c.national_total, Some(c.method))?;
        let mut d = distribute(
            &nl2,
            result,
            c.amv_total,
            &[],
            c.deviation.as_ref().map(|d| format!("deviation from the key the law requires: {d}")),
        )?;
        for (m, t) in d.municipalities.iter_mut().zip(published) {
            if m.gm_code != t.gm_code || m.task != t.task || m.amv != t.amv {
                return Err(WebError::Internal(format!(
                    "cycle {}: recomputing {} gives {} places, the record says {}",
                    c.id, t.gm_code, m.task, t.task
                )));
            }
            m.credited = t.credited;
            m.credited_amv = t.credited_amv;
        }
        return Ok(d);
    }
    let date = spreiding_core::reference::vintage_for_cycle(c.year);
    let nl = spreiding_core::reference::bundled_netherlands_on(date).map(|x| x.0).unwrap_or(nl);
    let def = bundled::key(POPULATION_KEY).expect("shipped key")?;
    let result = run_key(&def, &nl.set, &Indicators::default(), c.national_total, None)?;
    Ok(distribute(
        &nl,
        result,
        c.amv_total,
        &[],
        Some(format!(
            "{SES_WOA_NOTE}. Recomputation by spreiding for the imported facts of cycle {} — not the official table",
            c.id
        )),
    )?)
}

impl Snapshot {
    #[allow(clippy::too_many_arguments)]
    pub fn build(
        audit_seq: i64,
        cycles: Vec<Cycle>,
        cycle: Cycle,
        distribution: Distribution,
        records: Records,
        sandbox: bool,
        synthetic_db: bool,
    ) -> Result<Snapshot, WebError> {
        let mut offered: BTreeMap<GmCode, u64> = BTreeMap::new();
        for o in records.offers.iter().filter(|o| o.withdrawn_on.is_none() && o.counted) {
            *offered.entry(o.gm_code).or_default() += o.places;
        }
        let mut realised: BTreeMap<GmCode, (NaiveDate, u64)> = BTreeMap::new();
        for r in &records.realisations {
            let e = realised.entry(r.gm_code).or_insert((r.date, r.places));
            if r.date >= e.0 {
                *e = (r.date, r.places);
            }
        }
        let decision_taken = !records.decided.is_empty();
        let municipalities: Vec<MunicipalityRow> = distribution
            .municipalities
            .iter()
            .map(|m| {
                let off = offered.get(&m.gm_code).copied().unwrap_or(0);
                let real = realised.get(&m.gm_code).map(|x| x.1).unwrap_or(0);
                let dec = records.decided.get(&m.gm_code).copied();
                MunicipalityRow {
                    gm_code: m.gm_code,
                    gm_naam: m.gm_naam.clone(),
                    pv_code: m.pv_code,
                    pv_naam: m.pv_naam.clone(),
                    inwoners: m.inwoners,
                    quota: m.quota.clone(),
                    task: m.task,
                    amv: m.amv,
                    per_1000: per_1000(m.task, m.inwoners),
                    offered: off + m.credited,
                    offered_pct: pct(off + m.credited, m.task),
                    decided: if decision_taken { Some(dec.map(|d| d.0).unwrap_or(0)) } else { None },
                    decided_amv: if decision_taken { Some(dec.map(|d| d.1).unwrap_or(0)) } else { None },
                    realised: real,
                    realised_pct: pct(real, dec.map(|d| d.0).unwrap_or(m.task)),
                }
            })
            .collect();
        let provinces: Vec<ProvinceRow> = distribution
            .provinces
            .iter()
            .map(|p| {
                let ms: Vec<&MunicipalityRow> = municipalities.iter().filter(|m| m.pv_code == p.pv_code).collect();
                let off: u64 = ms.iter().map(|m| m.offered).sum();
                let real: u64 = ms.iter().map(|m| m.realised).sum();
                let dec: Option<u64> = decision_taken.then(|| ms.iter().filter_map(|m| m.decided).sum());
                ProvinceRow {
                    pv_code: p.pv_code,
                    pv_naam: p.pv_naam.clone(),
                    municipalities: ms.len(),
                    inwoners: p.inwoners,
                    task: p.task,
                    per_1000: per_1000(p.task, p.inwoners),
                    offered: off,
                    offered_pct: pct(off, p.task),
                    decided: dec,
                    realised: real,
                    realised_pct: pct(real, dec.unwrap_or(p.task)),
                    municipalities_covered: ms.iter().filter(|m| m.offered >= m.task).count(),
                }
            })
            .collect();
        let inwoners = municipalities.iter().map(|m| m.inwoners).sum();
        let task: u64 = municipalities.iter().map(|m| m.task).sum();
        let off: u64 = municipalities.iter().map(|m| m.offered).sum();
        let real: u64 = municipalities.iter().map(|m| m.realised).sum();
        let dec: Option<u64> = decision_taken.then(|| municipalities.iter().filter_map(|m| m.decided).sum());
        let totals = Totals {
            inwoners,
            task,
            offered: off,
            offered_pct: pct(off, task),
            decided: dec,
            realised: real,
            realised_pct: pct(real, dec.unwrap_or(task)),
            municipalities: municipalities.len(),
            municipalities_covered: municipalities.iter().filter(|m| m.offered >= m.task).count(),
        };
        let synthetic_data = synthetic_db
            || cycle.synthetic
            || records.offers.iter().any(|o| o.synthetic)
            || records.realisations.iter().any(|r| r.synthetic);
        let provenance = Provenance {
            note: distribution.definition.note.clone(),
            definition: distribution.definition.clone(),
            reference_data: format!(
                "CBS gemeenten 2025; inwoners op {} (Bron: CBS, CC BY 4.0); gemeentegrenzen 2023 (CBS/PDOK, CC BY 4.0)",
                distribution.key.set_source.rsplit(" on ").next().unwrap_or("1 januari 2026")
            ),
            tasks_origin: cycle.tasks_origin.clone(),
            deviation: cycle.deviation.clone(),
            synthetic_data,
            sandbox,
        };
        let geojson = map_layer(&municipalities)?;
        let list = |rows: serde_json::Value| {
            axum::body::Bytes::from(
                serde_json::to_vec(&serde_json::json!({"provenance": &provenance, "rows": rows}))
                    .expect("serialisable"),
            )
        };
        let municipalities_json = list(serde_json::to_value(&municipalities).expect("serialisable"));
        let provinces_json = list(serde_json::to_value(&provinces).expect("serialisable"));
        Ok(Snapshot {
            audit_seq,
            cycles,
            cycle,
            distribution,
            provenance,
            municipalities,
            provinces,
            totals,
            records,
            geojson,
            municipalities_json,
            provinces_json,
        })
    }

    pub fn municipality(&self, code: GmCode) -> Option<&MunicipalityRow> {
        self.municipalities.iter().find(|m| m.gm_code == code)
    }

    pub fn province(&self, code: PvCode) -> Option<&ProvinceRow> {
        self.provinces.iter().find(|p| p.pv_code == code)
    }

    pub fn explain(&self, code: GmCode) -> Result<Explanation, WebError> {
        Ok(self.distribution.explain(code)?)
    }

    pub fn offers_of(&self, code: GmCode) -> Vec<&Offer> {
        self.records.offers.iter().filter(|o| o.gm_code == code).collect()
    }

    pub fn realisations_of(&self, code: GmCode) -> Vec<&Realisation> {
        let mut v: Vec<&Realisation> = self.records.realisations.iter().filter(|r| r.gm_code == code).collect();
        v.sort_by_key(|r| r.date);
        v
    }
}

/// Merge the figures into the boundary features' properties. Boundaries of 2023 carry
/// the same 342 codes as the 2025 reference data (data/SOURCES.md); a mismatch is an error.
fn map_layer(rows: &[MunicipalityRow]) -> Result<axum::body::Bytes, WebError> {
    let mut v: serde_json::Value =
        serde_json::from_str(BOUNDARIES).map_err(|e| WebError::Internal(format!("boundaries: {e}")))?;
    let by_code: BTreeMap<&str, &MunicipalityRow> = rows.iter().map(|m| (m.gm_code.as_str(), m)).collect();
    let features = v["features"].as_array_mut().ok_or_else(|| WebError::Internal("boundaries: no features".into()))?;
    for f in features.iter_mut() {
        let code = f["properties"]["statcode"].as_str().unwrap_or_default().to_string();
        let m = by_code
            .get(code.as_str())
            .ok_or_else(|| WebError::Internal(format!("boundaries: {code} is not in the reference data")))?;
        f["properties"] = serde_json::json!({
            "gm_code": m.gm_code, "gm_naam": m.gm_naam, "pv_code": m.pv_code, "pv_naam": m.pv_naam,
            "inwoners": m.inwoners, "task": m.task, "per_1000": m.per_1000, "offered": m.offered,
            "offered_pct": m.offered_pct, "decided": m.decided, "realised": m.realised, "realised_pct": m.realised_pct,
        });
    }
    if features.len() != rows.len() {
        return Err(WebError::Internal(format!(
            "boundaries: {} shapes for {} municipalities",
            features.len(),
            rows.len()
        )));
    }
    Ok(axum::body::Bytes::from(serde_json::to_vec(&v).expect("serialisable")))
}
