//! The Spreidingswet distribution: national total → task per municipality (Wet art. 3),
//! provincial task = sum of its municipalities, the AMV sub-task inside each task, and
//! credits for existing durable places.
//!
//! Sources: Wet gemeentelijke taak mogelijk maken asielopvangvoorzieningen (Stb. 2024, 12)
//! art. 2–3; Besluit (Stb. 2024, 13) art. 1.1 *duurzame opvangplaatsen*; first-cycle
//! indicative distribution Stcrt. 2024, 3320 (96,000 places of which 8,140 AMV; existing
//! locations with more than 100 places and at least 5 years count; Ter Apel counts for
//! Westerwolde). See docs/DOMAIN-BRIEF.md §2–3.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::apportion::{Apportionment, apportion};
use crate::decimal::{ratio_to_decimal, rational_to_decimal};
use crate::error::{CoreError, Located};
use crate::key::KeyResult;
use crate::location::{Location, LocationType};
use crate::region::{GmCode, Netherlands, PvCode, csv_reader, field, header};

/// Minimum size of a location whose places count as existing durable places: **more
/// than** 100 places (Stcrt. 2024, 3320; docs/DOMAIN-BRIEF.md §3).
pub const DURABLE_MIN_PLACES_EXCLUSIVE: u64 = 100;
/// Minimum availability in years for durable places (Besluit art. 1.1, *duurzame opvangplaatsen*).
pub const DURABLE_MIN_YEARS: u32 = 5;

/// The most places one credited location may have: far above the largest Dutch reception
/// location (Ter Apel, about 2,000). A larger figure is a typo; refusing it keeps the sums per
/// cluster and per municipality far from `u64::MAX` (found while writing the fuzz targets:
/// two clustered locations of 2^63 places overflowed the cluster total in `count_durable`).
pub const MAX_CREDIT_PLACES: u64 = 100_000;

/// An existing location offered as a credit against the task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CreditLocation {
    pub id: String,
    pub municipality: GmCode,
    pub name: String,
    pub places: u64,
    /// Years the location is (or will be, within 12 months) available.
    pub years_available: u32,
    pub kind: LocationType,
    /// Several small locations with the same cluster id in one municipality may together qualify.
    pub cluster: Option<String>,
}

impl CreditLocation {
    /// The credit view of a registry location on `on` (the cycle's publication date): an
    /// existing location, or one opening within 12 months (Stcrt. 2024, 3320). Its years of
    /// availability are its stated durability, else the whole years until its closing date;
    /// unknown availability is 0 years (unknown never counts). `None` when the location is
    /// closed or opens later than 12 months from `on`.
    pub fn from_location(l: &Location, on: chrono::NaiveDate) -> Option<CreditLocation> {
        let within_year = on.checked_add_months(chrono::Months::new(12)).expect("date in range");
        if l.opened.is_some_and(|o| o > within_year) || l.closing.is_some_and(|c| c <= on) {
            return None;
        }
        let years = match (l.durability_years, l.closing) {
            (Some(y), _) if y.is_finite() && y >= 0.0 => y.floor() as u32,
            (_, Some(c)) => {
                let start = l.opened.filter(|o| *o > on).unwrap_or(on);
                ((c - start).num_days().max(0) / 365) as u32
            }
            _ => 0,
        };
        Some(CreditLocation {
            id: l.id.clone(),
            municipality: l.municipality,
            name: l.name.clone(),
            places: l.beds as u64,
            years_available: years,
            kind: l.kind,
            cluster: l.cluster.clone(),
        })
    }
}

/// A location with the verdict whether it counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CountedLocation {
    pub location: CreditLocation,
    pub counted: bool,
    pub reason: String,
}

/// Parse a credits CSV: `locatie_id,gm_code,naam,plaatsen,jaren_beschikbaar,soort[,cluster]`.
/// Unknown municipality codes, duplicate ids and bad numbers are errors with file:line: field.
pub fn parse_credit_locations(source: &str, text: &str, nl: &Netherlands) -> Result<Vec<CreditLocation>, CoreError> {
    let mut rdr = csv_reader(text);
    let h = header(&mut rdr, source)?;
    let expected = ["locatie_id", "gm_code", "naam", "plaatsen", "jaren_beschikbaar", "soort"];
    if h.len() < 6 || h[..6] != expected || (h.len() == 7 && h[6] != "cluster") || h.len() > 7 {
        return Err(CoreError::invalid(format!(
            "{source}:1: header must be `{}` (optionally followed by `,cluster`), found `{}`",
            expected.join(","),
            h.join(",")
        )));
    }
    let mut out = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| CoreError::invalid(e.to_string()).at(Located::new(source, line, "")))?;
        let at = |f: &str| Located::new(source, line, f);
        let id = field(&rec, 0).to_string();
        if id.is_empty() || !ids.insert(id.clone()) {
            return Err(CoreError::invalid(format!("location id '{id}' is empty or used twice")).at(at("locatie_id")));
        }
        let municipality: GmCode = field(&rec, 1).parse().map_err(|e: CoreError| e.at(at("gm_code")))?;
        if nl.municipality(municipality).is_none() {
            return Err(CoreError::invalid(format!("unknown municipality {municipality}: not in the reference data"))
                .at(at("gm_code")));
        }
        let places: u64 = field(&rec, 3).parse().map_err(|_| {
            CoreError::invalid(format!("'{}' is not a whole number of places", field(&rec, 3))).at(at("plaatsen"))
        })?;
        if places > MAX_CREDIT_PLACES {
            return Err(CoreError::invalid(format!(
                "{places} places at one location is implausible (at most {MAX_CREDIT_PLACES}): check the number"
            ))
            .at(at("plaatsen")));
        }
        let years_available: u32 = field(&rec, 4).parse().map_err(|_| {
            CoreError::invalid(format!("'{}' is not a whole number of years", field(&rec, 4)))
                .at(at("jaren_beschikbaar"))
        })?;
        let kind: LocationType = field(&rec, 5).parse().map_err(|e: CoreError| e.at(at("soort")))?;
        let cluster = rec.get(6).filter(|c| !c.is_empty()).map(str::to_string);
        out.push(CreditLocation {
            id,
            municipality,
            name: field(&rec, 2).to_string(),
            places,
            years_available,
            kind,
            cluster,
        });
    }
    Ok(out)
}

/// Decide for every location whether its places count against the task.
///
/// Rule (Besluit art. 1.1; Stcrt. 2024, 3320; docs/DOMAIN-BRIEF.md §3): a registration centre
/// (aanmeldvoorziening) counts; emergency reception (noodopvang, crisisnoodopvang) never
/// counts; otherwise a location counts when it has more than 100 places and at least 5
/// years' availability. Locations of at least 5 years that share a cluster id in the same
/// municipality count together when their places add up to more than 100.
pub fn count_durable(locations: &[CreditLocation]) -> Vec<CountedLocation> {
    let mut cluster_places: BTreeMap<(GmCode, &str), u64> = BTreeMap::new();
    for l in locations {
        if let Some(c) = &l.cluster
            && !l.kind.is_emergency()
            && l.years_available >= DURABLE_MIN_YEARS
        {
            *cluster_places.entry((l.municipality, c.as_str())).or_default() += l.places;
        }
    }
    locations
        .iter()
        .map(|l| {
            let (counted, reason) = if l.kind == LocationType::RegistrationCentre {
                (true, "registration centre (aanmeldvoorziening): counts in full".to_string())
            } else if l.kind.is_emergency() {
                (false, format!("{} is temporary emergency reception: never durable", l.kind))
            } else if l.years_available < DURABLE_MIN_YEARS {
                (false, format!("available {} years, fewer than the {DURABLE_MIN_YEARS} required", l.years_available))
            } else if l.places > DURABLE_MIN_PLACES_EXCLUSIVE {
                (true, format!("{} places for {} years: durable", l.places, l.years_available))
            } else if let Some(c) = &l.cluster {
                let sum = cluster_places[&(l.municipality, c.as_str())];
                if sum > DURABLE_MIN_PLACES_EXCLUSIVE {
                    (true, format!("cluster '{c}' has {sum} places together (more than 100): durable"))
                } else {
                    (false, format!("cluster '{c}' has only {sum} places together; more than 100 required"))
                }
            } else {
                (false, format!("{} places: not more than {DURABLE_MIN_PLACES_EXCLUSIVE}", l.places))
            };
            CountedLocation { location: l.clone(), counted, reason }
        })
        .collect()
}

/// One municipality's task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MunicipalityTask {
    pub gm_code: GmCode,
    pub gm_naam: String,
    pub pv_code: PvCode,
    pub pv_naam: String,
    pub inwoners: u64,
    /// Exact quota rendered with 4 decimals.
    pub quota: String,
    /// Indicative task (places), including the AMV part.
    pub task: u64,
    /// The AMV part of the task, when an AMV sub-task is given.
    pub amv: Option<u64>,
    /// Existing durable places credited (0 without a credits file).
    pub credited: u64,
    /// Of the credited places, those in AMV locations.
    pub credited_amv: u64,
    /// Task still to realise: max(task − credited, 0).
    pub remaining: u64,
    /// Places beyond the task: max(credited − task, 0).
    pub over_delivery: u64,
}

/// One province's task: the sum of its municipalities (Wet art. 3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProvinceTask {
    pub pv_code: PvCode,
    pub pv_naam: String,
    pub municipalities: usize,
    pub inwoners: u64,
    pub quota: String,
    pub task: u64,
    pub amv: Option<u64>,
    pub credited: u64,
    pub remaining: u64,
    pub over_delivery: u64,
}

/// The definition behind a distribution, carried with every output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DefinitionInfo {
    pub id: String,
    pub version: String,
    pub title: String,
    pub status: String,
    pub source: String,
    pub caveat: String,
    pub method: String,
    pub formula: String,
    /// e.g. "SES-WOA not loaded: population-only key"
    pub note: Option<String>,
}

/// The full distribution for one total.
#[derive(Clone, Debug, Serialize)]
pub struct Distribution {
    pub definition: DefinitionInfo,
    pub total: u64,
    /// The tasks' sum: the total, except with independent rounding (`round-each`).
    pub tasks_total: u64,
    pub amv_total: Option<u64>,
    pub municipalities: Vec<MunicipalityTask>,
    pub provinces: Vec<ProvinceTask>,
    #[serde(skip)]
    pub key: KeyResult,
    #[serde(skip)]
    pub amv: Option<Apportionment>,
    #[serde(skip)]
    pub locations: Vec<CountedLocation>,
}

/// Build the distribution from a key result (computed on `nl.set`), an optional AMV
/// sub-task and optional credit locations. `note` says, e.g., that SES-WOA was not loaded.
pub fn distribute(
    nl: &Netherlands,
    key: KeyResult,
    amv_total: Option<u64>,
    credits: &[CreditLocation],
    note: Option<String>,
) -> Result<Distribution, CoreError> {
    let total = key.total;
    let tasks = key.seats().to_vec();
    // AMV sub-task: apportioned inside the tasks with the key's method, so that every
    // municipality's AMV part is its share of the AMV total (Stcrt. 2024, 3320: 8,140 of 96,000).
    let amv = match amv_total {
        None => None,
        Some(m) if m > total => {
            return Err(CoreError::invalid(format!(
                "the AMV sub-task ({m}) cannot exceed the total ({total}): it is part of it"
            )));
        }
        Some(m) => {
            let ids: Vec<&str> = nl.municipalities.iter().map(|x| x.code.as_str()).collect();
            let w: Vec<num_bigint::BigUint> = tasks.iter().map(|&t| t.into()).collect();
            let a = apportion(key.apportionment.method, &ids, &w, m)?;
            if let Some(i) = (0..tasks.len()).find(|&i| a.seats[i] > tasks[i]) {
                // Independent rounding can round an AMV part of x.5 up above a task of x.
                return Err(CoreError::invalid(format!(
                    "the AMV part of {} would exceed its task with method {}; choose hamilton",
                    ids[i], key.apportionment.method
                )));
            }
            Some(a)
        }
    };
    let counted = count_durable(credits);
    let mut credited: BTreeMap<GmCode, (u64, u64)> = BTreeMap::new();
    for c in counted.iter().filter(|c| c.counted) {
        let e = credited.entry(c.location.municipality).or_default();
        e.0 += c.location.places;
        if c.location.kind.is_amv() {
            e.1 += c.location.places;
        }
    }
    let names: BTreeMap<PvCode, &str> = nl.provinces.iter().map(|p| (p.code, p.name.as_str())).collect();
    let municipalities: Vec<MunicipalityTask> = nl
        .municipalities
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let (cr, cr_amv) = credited.get(&m.code).copied().unwrap_or((0, 0));
            MunicipalityTask {
                gm_code: m.code,
                gm_naam: m.name.clone(),
                pv_code: m.province,
                pv_naam: names[&m.province].to_string(),
                inwoners: m.population,
                quota: key.apportionment.quota_decimal(i, 4),
                task: tasks[i],
                amv: amv.as_ref().map(|a| a.seats[i]),
                credited: cr,
                credited_amv: cr_amv,
                remaining: tasks[i].saturating_sub(cr),
                over_delivery: cr.saturating_sub(tasks[i]),
            }
        })
        .collect();
    let provinces = nl
        .provinces
        .iter()
        .map(|p| {
            let ms: Vec<(usize, &MunicipalityTask)> =
                municipalities.iter().enumerate().filter(|(_, m)| m.pv_code == p.code).collect();
            let (mut qn, qd) = (num_bigint::BigUint::default(), key.apportionment.total_weight.clone());
            for (i, _) in &ms {
                qn += key.apportionment.quota(*i).0;
            }
            ProvinceTask {
                pv_code: p.code,
                pv_naam: p.name.clone(),
                municipalities: ms.len(),
                inwoners: ms.iter().map(|(_, m)| m.inwoners).sum(),
                quota: ratio_to_decimal(&qn, &qd, 4),
                task: ms.iter().map(|(_, m)| m.task).sum(),
                amv: amv.as_ref().map(|_| ms.iter().map(|(_, m)| m.amv.unwrap_or(0)).sum()),
                credited: ms.iter().map(|(_, m)| m.credited).sum(),
                remaining: ms.iter().map(|(_, m)| m.remaining).sum(),
                over_delivery: ms.iter().map(|(_, m)| m.over_delivery).sum(),
            }
        })
        .collect();
    let d = &key.definition;
    let definition = DefinitionInfo {
        id: d.id.clone(),
        version: d.version.clone(),
        title: d.title.clone(),
        status: d.status.to_string(),
        source: d.source.clone(),
        caveat: d.caveat.clone(),
        method: key.apportionment.method.name().to_string(),
        formula: d.formula(),
        note,
    };
    let tasks_total = tasks.iter().sum();
    Ok(Distribution {
        definition,
        total,
        tasks_total,
        amv_total,
        municipalities,
        provinces,
        key,
        amv,
        locations: counted,
    })
}

/// Everything a municipality needs to check its task or object to it.
#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    pub definition: DefinitionInfo,
    pub municipality: MunicipalityTask,
    pub inputs: Vec<crate::key::TermInput>,
    /// Combined key value before normalisation (exact, 12 decimals).
    pub key_value: String,
    pub floored_to_zero: bool,
    /// Its share of the national total, 10 decimals.
    pub share: String,
    /// Exact quota as a reduced fraction and as a decimal.
    pub quota_fraction: String,
    pub quota_decimal: String,
    pub rounding: String,
    pub amv: Option<String>,
    pub locations: Vec<CountedLocation>,
    pub province_task: u64,
}

impl Distribution {
    pub fn index_of(&self, code: GmCode) -> Option<usize> {
        self.municipalities.iter().position(|m| m.gm_code == code)
    }

    /// Explain one municipality's number, step by step.
    pub fn explain(&self, code: GmCode) -> Result<Explanation, CoreError> {
        let i = self
            .index_of(code)
            .ok_or_else(|| CoreError::invalid(format!("unknown municipality {code}: not in the reference data")))?;
        let a = &self.key.apportionment;
        let m = self.municipalities[i].clone();
        let (qn, qd) = a.quota(i);
        let g = num_integer::Integer::gcd(&qn, &qd);
        let quota_fraction = if qd.bits() == 0 { "0".into() } else { format!("{}/{}", &qn / &g, &qd / &g) };
        let share = ratio_to_decimal(&a.weight(i), &a.total_weight, 10);
        let rounding = a.explain_rounding(i, "municipality", "municipalities");
        let amv = self.amv.as_ref().map(|am| {
            let (n, d) = am.quota(i);
            format!(
                "AMV part: {} of the national {} AMV places, in proportion to its task {} of {} \
                 (exact {}), rounded with {}.",
                am.seats[i],
                am.total,
                m.task,
                self.total,
                ratio_to_decimal(&n, &d, 4),
                am.method
            )
        });
        let locations = self.locations.iter().filter(|l| l.location.municipality == code).cloned().collect();
        let province_task = self.provinces.iter().find(|p| p.pv_code == m.pv_code).map(|p| p.task).unwrap_or(0);
        Ok(Explanation {
            definition: self.definition.clone(),
            inputs: self.key.inputs(i),
            key_value: rational_to_decimal(&self.key.value(i), 12),
            floored_to_zero: self.key.floored[i],
            share,
            quota_fraction,
            quota_decimal: ratio_to_decimal(&qn, &qd, 6),
            rounding,
            amv,
            locations,
            province_task,
            municipality: m,
        })
    }
}

impl Explanation {
    /// Plain-text rendering for the command line.
    pub fn to_text(&self) -> String {
        let m = &self.municipality;
        let d = &self.definition;
        let mut s = String::new();
        s.push_str(&format!("{} {} ({}, {} {})\n", m.gm_code, m.gm_naam, m.pv_naam, m.pv_code, ""));
        s = s.replace(" )", ")");
        s.push_str(&format!("Definition: {} v{} — {} [{}]\n", d.id, d.version, d.title, d.status));
        s.push_str(&format!("  Formula: {}\n  Source: {}\n", d.formula, d.source));
        if !d.caveat.is_empty() {
            s.push_str(&format!("  Caveat: {}\n", d.caveat));
        }
        if let Some(n) = &d.note {
            s.push_str(&format!("  Note: {n}\n"));
        }
        s.push_str("\n1. Inputs\n");
        s.push_str(&crate::key::inputs_text(&self.inputs, "national", &self.key_value, self.floored_to_zero));
        s.push_str(&format!("   Share of all key values: {}\n", self.share));
        s.push_str(&format!(
            "\n2. Exact quota\n   share × national total = {} (exactly {})\n",
            self.quota_decimal, self.quota_fraction
        ));
        s.push_str(&format!("\n3. Rounding ({})\n   {}\n", d.method, self.rounding));
        s.push_str(&format!("\n4. Task: {} places (province {} total: {})\n", m.task, m.pv_code, self.province_task));
        if let Some(a) = &self.amv {
            s.push_str(&format!("   {a}\n"));
        }
        s.push_str("\n5. Existing durable places (credits)\n");
        if self.locations.is_empty() {
            s.push_str("   none supplied for this municipality\n");
        }
        for l in &self.locations {
            s.push_str(&format!(
                "   {} {} — {} places, {}: {}\n",
                l.location.id,
                l.location.name,
                l.location.places,
                if l.counted { "counted" } else { "not counted" },
                l.reason
            ));
        }
        s.push_str(&format!(
            "   Credited {} → remaining task {}, over-delivery {}\n",
            m.credited, m.remaining, m.over_delivery
        ));
        s
    }
}
