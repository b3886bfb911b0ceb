//! The public picture of one cycle: tasks from the core, offers, decisions and realisation
//! from the database, combined into rows the pages, the API and the map share.
//!
//! A [`Snapshot`] is immutable and rebuilt after every change, so public reads never wait
//! on the database and every view of one moment agrees with every other.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use spreiding_core::bundled::{self, POPULATION_KEY};
pub use spreiding_core::distribution::Distribution;
use spreiding_core::distribution::{DefinitionInfo, Explanation, distribute};
use spreiding_core::key::{Indicators, run_key};
use spreiding_core::{GmCode, Netherlands, PvCode};
use utoipa::ToSchema;

use crate::error::WebError;

/// Note shown wherever tasks appear when the SES-WOA indicator is missing (DOMAIN.md §3):
/// the same words as the command line's `key` output.
pub const SES_WOA_NOTE: &str = "SES-WOA not loaded: population-only key";

/// One cycle of the Spreidingswet (Wet gemeentelijke taak mogelijk maken asielopvangvoorzieningen).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Cycle {
    /// Cycle number: 1 = 2024–2026, 2 = 2026–2028.
    pub number: u32,
    /// Capacity forecast (capaciteitsraming), Wet art. 2: places needed nationally.
    pub forecast_total: u64,
    /// AMV (unaccompanied minors) sub-task, when published in our sources.
    pub amv_total: Option<u64>,
    /// Where the forecast comes from.
    pub forecast_source: String,
    /// The legal steps of the cycle with their deadlines.
    pub milestones: Vec<Milestone>,
}

/// A step of the cycle and its deadline (DOMAIN.md §2, as applied in cycle 1).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Milestone {
    /// Stable id: forecast, provincial_table, cdk_report, decision, realisation.
    pub id: String,
    /// Last day of the step.
    #[schema(value_type = String, format = Date)]
    pub deadline: NaiveDate,
    /// The legal source of the step.
    pub source: String,
}

impl Cycle {
    /// Cycle 2: forecast 88,000 places published February 2026 (DOMAIN.md §2); the AMV
    /// sub-task of cycle 2 is not in our sources, so none is shown rather than a guess.
    pub fn second() -> Cycle {
        // One source of the legal dates: the core's cycle calendar (Wet art. 2–3, 5–6).
        let cal = spreiding_core::cycle::Calendar::new(2026).expect("2026 is a valid cycle year");
        let ms = |id: &str, deadline, source: &str| Milestone { id: id.into(), deadline, source: source.into() };
        Cycle {
            number: 2,
            forecast_total: 88_000,
            amv_total: None,
            forecast_source:
                "Capaciteitsraming cyclus 2 (februari 2026): 88.000 plaatsen, waarvan ca. 50.000 al duurzaam".into(),
            milestones: vec![
                ms("forecast", cal.forecast_deadline(), "Wet art. 2 (capaciteitsraming, vóór 1 februari)"),
                ms(
                    "provincial_table",
                    cal.report_deadline().pred_opt().expect("date in range"),
                    "Wet art. 3; provinciale regietafel februari–oktober (zoals toegepast in cyclus 1)",
                ),
                ms("cdk_report", cal.report_deadline(), "rapportage CdK vóór 1 november (zoals toegepast in cyclus 1)"),
                ms("decision", cal.decision_deadline(), "Wet art. 5–6 (verdeelbesluit, uiterlijk 31 december)"),
                ms(
                    "realisation",
                    spreiding_core::cycle::Calendar::realisation_deadline(cal.decision_deadline()),
                    "realisatie binnen zes maanden na het besluit (zoals toegepast in cyclus 1)",
                ),
            ],
        }
    }

    /// The step in progress on `today`: the first whose deadline has not passed.
    pub fn phase(&self, today: NaiveDate) -> &str {
        self.milestones.iter().find(|m| today <= m.deadline).map(|m| m.id.as_str()).unwrap_or("evaluation")
    }
}

/// Name under which `--demo` records its synthetic data: everything it submits is labelled.
pub const DEMO_ACTOR: &str = "synthetic-demo";

/// A municipality's offer of reception places (aanbod) in the provincial table.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Offer {
    #[schema(value_type = String, example = "GM0014")]
    pub gm_code: GmCode,
    pub location: String,
    pub places: u64,
    /// coa, municipal, amv or other.
    pub kind: String,
    /// Available for at least five years (duurzaam, Besluit art. 1.1).
    pub durable: bool,
    #[schema(value_type = String, format = Date)]
    pub available_from: NaiveDate,
    /// Who submitted it (account name), or "synthetic-demo".
    pub submitted_by: String,
    #[schema(value_type = String, format = Date)]
    pub submitted_on: NaiveDate,
    /// Synthetic demonstration data, never real.
    pub synthetic: bool,
}

impl From<spreiding_store::OfferRecord> for Offer {
    fn from(r: spreiding_store::OfferRecord) -> Self {
        Offer {
            gm_code: r.offer.gm_code,
            location: r.offer.location,
            places: r.offer.places,
            kind: r.offer.kind.code().to_string(),
            durable: r.offer.durable,
            available_from: r.offer.available_from,
            synthetic: r.submitted_by == DEMO_ACTOR,
            submitted_by: r.submitted_by,
            submitted_on: r.submitted_on,
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
    /// Recorded after the realisation deadline (six months after the decision).
    pub late: bool,
    pub recorded_by: String,
    pub synthetic: bool,
}

impl From<spreiding_store::Realisation> for Realisation {
    fn from(r: spreiding_store::Realisation) -> Self {
        Realisation {
            gm_code: r.gm_code,
            date: r.on_date,
            places: r.realised,
            late: r.late,
            synthetic: r.recorded_by == DEMO_ACTOR,
            recorded_by: r.recorded_by,
        }
    }
}

/// What changes over a cycle, read from the store.
#[derive(Clone, Debug, Default)]
pub struct Records {
    pub offers: Vec<Offer>,
    pub realisations: Vec<Realisation>,
    /// Binding tasks from the distribution decision, when taken.
    pub decided: BTreeMap<GmCode, u64>,
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
    /// Places realised (latest cumulative figure).
    pub realised: u64,
    /// Realised as a percentage of the task.
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
    /// True when the database holds synthetic demonstration data.
    pub synthetic_data: bool,
}

pub struct Snapshot {
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

/// The indicative tasks of a cycle. Without SES-WOA data (not available offline) the
/// population-only key is used and labelled so (DOMAIN.md §3).
pub fn indicative_tasks(nl: &Netherlands, cycle: &Cycle) -> Result<Distribution, WebError> {
    let def = bundled::key(POPULATION_KEY).expect("shipped key")?;
    let result = run_key(&def, &nl.set, &Indicators::default(), cycle.forecast_total, None)?;
    Ok(distribute(nl, result, cycle.amv_total, &[], Some(SES_WOA_NOTE.to_string()))?)
}

impl Snapshot {
    pub fn build(cycle: Cycle, distribution: Distribution, records: Records) -> Result<Snapshot, WebError> {
        let mut offered: BTreeMap<GmCode, u64> = BTreeMap::new();
        for o in &records.offers {
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
                    offered: off,
                    offered_pct: pct(off, m.task),
                    decided: if decision_taken { records.decided.get(&m.gm_code).copied().or(Some(0)) } else { None },
                    realised: real,
                    realised_pct: pct(real, m.task),
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
                ProvinceRow {
                    pv_code: p.pv_code,
                    pv_naam: p.pv_naam.clone(),
                    municipalities: ms.len(),
                    inwoners: p.inwoners,
                    task: p.task,
                    per_1000: per_1000(p.task, p.inwoners),
                    offered: off,
                    offered_pct: pct(off, p.task),
                    decided: if decision_taken { Some(ms.iter().filter_map(|m| m.decided).sum()) } else { None },
                    realised: real,
                    realised_pct: pct(real, p.task),
                    municipalities_covered: ms.iter().filter(|m| m.offered >= m.task).count(),
                }
            })
            .collect();
        let inwoners = municipalities.iter().map(|m| m.inwoners).sum();
        let task: u64 = municipalities.iter().map(|m| m.task).sum();
        let off: u64 = municipalities.iter().map(|m| m.offered).sum();
        let real: u64 = municipalities.iter().map(|m| m.realised).sum();
        let totals = Totals {
            inwoners,
            task,
            offered: off,
            offered_pct: pct(off, task),
            decided: if decision_taken { Some(municipalities.iter().filter_map(|m| m.decided).sum()) } else { None },
            realised: real,
            realised_pct: pct(real, task),
            municipalities: municipalities.len(),
            municipalities_covered: municipalities.iter().filter(|m| m.offered >= m.task).count(),
        };
        let synthetic_data =
            records.offers.iter().any(|o| o.synthetic) || records.realisations.iter().any(|r| r.synthetic);
        let provenance = Provenance {
            note: distribution.definition.note.clone(),
            definition: distribution.definition.clone(),
            reference_data: "CBS gemeenten 2025, inwoners 1 januari 2026 (Bron: CBS, CC BY 4.0); gemeentegrenzen 2023 (CBS/PDOK, CC BY 4.0)".into(),
            synthetic_data,
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
