//! Reference data by vintage: the population on 1 January of each year the bundled CBS data
//! allows, on the municipality set of that year, and which vintage a cycle uses.
//!
//! Source: CBS StatLine 03759ned ("Bevolking op 1 januari", totals over sex, age and
//! marital status), CC BY 4.0 — `data/inwoners_1_januari_2019_2026.csv`, see
//! `data/SOURCES.md`. The 342 municipality codes are the same from 1 Jan 2023 to 1 Jan 2026
//! (no mergers in 2024 or 2025), so the vintages 2023–2026 share the set of
//! `data/gemeenten_2025.csv`; earlier years carry their own (older) codes and serve to weight
//! merged municipalities (see [`crate::cbs`]).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{CoreError, Located};
use crate::region::{GmCode, Netherlands, csv_reader, field, header};

/// The long population file compiled into the binary.
pub const POPULATION_FILE: &str = "data/inwoners_1_januari_2019_2026.csv";
pub const POPULATION_CSV: &str = include_str!("../../../data/inwoners_1_januari_2019_2026.csv");

/// SHA-256 of a text, lower-case hex: the content hash recorded with every input a cycle uses.
pub fn content_hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// One population vintage: inhabitants per municipality code on a reference date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PopulationVintage {
    pub reference_date: NaiveDate,
    /// Where the figures come from.
    pub source: String,
    /// SHA-256 of the file they were read from.
    pub sha256: String,
    pub values: BTreeMap<String, u64>,
}

impl PopulationVintage {
    pub fn total(&self) -> u64 {
        self.values.values().sum()
    }
}

/// Parse a long population file `gm_code,peildatum,inwoners` into vintages by date.
pub fn parse_population_long(source: &str, text: &str) -> Result<Vec<PopulationVintage>, CoreError> {
    let mut rdr = csv_reader(text);
    let h = header(&mut rdr, source)?;
    if h != ["gm_code", "peildatum", "inwoners"] {
        return Err(CoreError::invalid(format!("{source}:1: header must be `gm_code,peildatum,inwoners`")));
    }
    let sha = content_hash(text);
    let mut by: BTreeMap<NaiveDate, BTreeMap<String, u64>> = BTreeMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| CoreError::invalid(e.to_string()).at(Located::new(source, line, "")))?;
        let code = field(&rec, 0).to_string();
        code.parse::<GmCode>().map_err(|e| e.at(Located::new(source, line, "gm_code")))?;
        let date: NaiveDate = field(&rec, 1).parse().map_err(|_| {
            CoreError::invalid(format!("'{}' is not a date (YYYY-MM-DD)", field(&rec, 1))).at(Located::new(
                source,
                line,
                "peildatum",
            ))
        })?;
        let n: u64 = field(&rec, 2).parse().map_err(|_| {
            CoreError::invalid(format!("'{}' is not a whole number", field(&rec, 2)))
                .at(Located::new(source, line, "inwoners"))
        })?;
        if n > crate::region::MAX_INHABITANTS {
            return Err(CoreError::invalid(format!(
                "{n} inhabitants is more than {} (more than the world's population): check the figure",
                crate::region::MAX_INHABITANTS
            ))
            .at(Located::new(source, line, "inwoners")));
        }
        if by.entry(date).or_default().insert(code.clone(), n).is_some() {
            return Err(CoreError::invalid(format!("{code} appears twice for {date}"))
                .at(Located::new(source, line, "gm_code")));
        }
    }
    Ok(by
        .into_iter()
        .map(|(reference_date, values)| PopulationVintage {
            reference_date,
            source: format!("CBS StatLine 03759ned, bevolking op 1 januari ({source}; Bron: CBS, CC BY 4.0)"),
            sha256: sha.clone(),
            values,
        })
        .collect())
}

/// The bundled vintages (1 Jan 2019 to 1 Jan 2026).
pub fn bundled_vintages() -> Vec<PopulationVintage> {
    parse_population_long(POPULATION_FILE, POPULATION_CSV).expect("bundled population file is valid")
}

/// **Which population a cycle uses**: that of 1 January of the year before the forecast
/// year — the latest definitive CBS figure when the forecast is made around 1 February.
/// Cycle 1 (forecast January 2024) used 1 January 2023: Bloemendaal's 23,922 inhabitants
/// quoted with its task of 172 are the 03759ned figure of that date (docs/DOMAIN-BRIEF.md §3; docs/LAW.md).
pub fn vintage_for_cycle(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year - 1, 1, 1).expect("valid date")
}

/// The Dutch reference data on one vintage: the municipality set of `nl` with the
/// population of `vintage`. Every municipality of the set must have a figure, and no other
/// code may appear (the set of that year).
pub fn netherlands_on(nl: &Netherlands, vintage: &PopulationVintage) -> Result<Netherlands, CoreError> {
    let mut missing = Vec::new();
    let mut set = nl.set.clone();
    for r in &mut set.regions {
        match vintage.values.get(r.code.as_str()) {
            Some(&n) if n > 0 => r.population = n,
            _ => missing.push(r.code.as_str().to_string()),
        }
    }
    let codes: std::collections::BTreeSet<&str> = nl.set.regions.iter().map(|r| r.code.as_str()).collect();
    let extra: Vec<&String> = vintage.values.keys().filter(|c| !codes.contains(c.as_str())).collect();
    if !missing.is_empty() || !extra.is_empty() {
        return Err(CoreError::invalid(format!(
            "the population of {} does not fit the municipality set of {}: {} missing ({}), {} unknown ({}); map \
             merged municipalities first",
            vintage.reference_date,
            nl.set.source,
            missing.len(),
            missing.iter().take(10).cloned().collect::<Vec<_>>().join(", "),
            extra.len(),
            extra.iter().take(10).map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        )));
    }
    set.population_date = Some(vintage.reference_date);
    set.source = format!("{} on {}", nl.set.source, vintage.reference_date);
    let mut out = nl.clone();
    for m in &mut out.municipalities {
        m.population = vintage.values[m.code.as_str()];
    }
    for p in &mut out.provinces {
        p.population = out.municipalities.iter().filter(|m| m.province == p.code).map(|m| m.population).sum();
    }
    out.set = set;
    Ok(out)
}

/// The bundled vintage of a date, on the 342 municipalities; an error names the dates
/// available.
pub fn bundled_netherlands_on(date: NaiveDate) -> Result<(Netherlands, PopulationVintage), CoreError> {
    let nl = crate::bundled::netherlands()?;
    let vs = bundled_vintages();
    let Some(v) = vs.iter().find(|v| v.reference_date == date) else {
        return Err(CoreError::invalid(format!(
            "no population vintage of {date}: the bundled CBS data has {}; import another with `spreiding data import`",
            vs.iter().map(|v| v.reference_date.to_string()).collect::<Vec<_>>().join(", ")
        )));
    };
    Ok((netherlands_on(&nl, v)?, v.clone()))
}

/// The 1 January of a vintage's year, e.g. for labels: "1 januari 2023".
pub fn label_nl(date: NaiveDate) -> String {
    format!("1 januari {}", date.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CBS national totals on 1 January (03759ned): the bundled vintages add up to them.
    #[test]
    fn vintages_add_up_to_the_cbs_national_totals() {
        let vs = bundled_vintages();
        let total = |y: i32| vs.iter().find(|v| v.reference_date.year() == y).unwrap().total();
        assert_eq!(total(2023), 17_811_291);
        assert_eq!(total(2024), 17_942_942);
        assert_eq!(total(2025), 18_044_027);
        assert_eq!(total(2026), 18_130_208);
        for y in 2023..=2026 {
            assert_eq!(vs.iter().find(|v| v.reference_date.year() == y).unwrap().values.len(), 342);
        }
    }

    /// docs/DOMAIN-BRIEF.md §3: Bloemendaal had 23,922 inhabitants in the first cycle — the 1 Jan 2023
    /// figure, the vintage the rule gives for cycle 2024.
    #[test]
    fn cycle_2024_uses_the_population_of_1_january_2023() {
        let date = vintage_for_cycle(2024);
        assert_eq!(date, NaiveDate::from_ymd_opt(2023, 1, 1).unwrap());
        let (nl, v) = bundled_netherlands_on(date).unwrap();
        let bloemendaal = nl.municipalities.iter().find(|m| m.name == "Bloemendaal").unwrap();
        assert_eq!(bloemendaal.population, 23_922);
        assert_eq!(nl.total_population(), v.total());
        assert_eq!(nl.set.population_date, Some(date));
        assert!(bundled_netherlands_on(NaiveDate::from_ymd_opt(2018, 1, 1).unwrap()).is_err());
        // 2022 has 345 codes of its own: not the 342 set.
        assert!(bundled_netherlands_on(NaiveDate::from_ymd_opt(2022, 1, 1).unwrap()).is_err());
    }
}
