//! CBS exports (`cbs::parse`: OData v3/v4 JSON and StatLine CSV; `cbs::parse_mergers`), then
//! what `spreiding data import-cbs` does with them: values as decimals, mapped onto the
//! bundled municipality set (`cbs::map_to_set`).
#![no_main]
#[path = "common.rs"]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use spreiding_core::cbs;
use spreiding_core::decimal::parse_decimal;

static TARGET: LazyLock<BTreeSet<String>> =
    LazyLock::new(|| common::NL.municipalities.iter().map(|m| m.code.to_string()).collect());
static MERGERS: LazyLock<Vec<cbs::Merger>> = LazyLock::new(cbs::bundled_mergers);
static VINTAGES: LazyLock<Vec<spreiding_core::reference::PopulationVintage>> =
    LazyLock::new(spreiding_core::reference::bundled_vintages);

fuzz_target!(|data: &[u8]| {
    let Some(text) = common::text(data) else { return };
    let _ = cbs::parse_mergers("fuzz.csv", text);
    let Ok(d) = cbs::parse("fuzz.json", text) else { return };
    for p in d.periods() {
        let values: Result<BTreeMap<String, _>, _> = d
            .observations
            .iter()
            .filter(|o| o.period == p)
            .map(|o| parse_decimal(&o.value).map(|v| (o.gm_code.clone(), v)))
            .collect();
        let Ok(values) = values else { continue };
        // As the CLI does: a score of a merged municipality is weighted by the population
        // of the period's year, when the bundled data has that year.
        let weights = p
            .parse::<i32>()
            .ok()
            .and_then(|y| chrono::NaiveDate::from_ymd_opt(y, 1, 1))
            .and_then(|d| VINTAGES.iter().find(|v| v.reference_date == d))
            .map(|v| v.values.clone())
            .unwrap_or_default();
        if let Ok((mapped, _notes)) = cbs::map_to_set(d.measure, &values, &TARGET, &MERGERS, &weights) {
            let _ = cbs::whole(&mapped);
        }
    }
});
