//! Reading CBS StatLine's own exports — the OData JSON (v3 `TypedDataSet`/`UntypedDataSet`
//! and v4 `Observations`) and the semicolon-separated, quoted CSV downloads — for the
//! population (table 03759ned) and the SES-WOA scores (85163NED, 85539NED, 85900NED,
//! 86092NED), and mapping municipalities merged since the table's year onto the current set
//! with the declared merger table (`data/herindelingen_2018_2023.csv`).
//!
//! Formats, as seen in real saved files (docs/DATA-IMPORT.md lists them):
//! - v3 JSON: `{"odata.metadata": …, "value": [{"RegioS": "GM0014", "Perioden": "2023JJ00",
//!   "BevolkingOp1Januari_1": 238147, "Geslacht": "T001038", …}]}`; codes may be padded
//!   with spaces (`"GM0363    "`).
//! - v4 JSON: `{"@odata.context": …, "value": [{"Measure": "M000352", "ValueAttribute":
//!   "None", "Value": 238147, "RegioS": "GM0014", "Perioden": "2023JJ00", …}]}`.
//! - CSV with keys ("onbewerkte dataset"): `"ID";"Geslacht";…;"RegioS";"Perioden";
//!   "BevolkingOp1Januari_1"`, every field quoted, values space-padded.
//! - CSV with titles ("met statistische symbolen"): `"Perioden";"Wijken en buurten";
//!   "Regiocode (gemeente, wijk, buurt) (code)";…;"SES-WOA/Totaalscore/Gemiddelde score
//!   (Getal)"`; a missing value is `.`.
//!
//! Only municipality rows (`GM` codes) are read; totals over sex, age and marital status are
//! selected where those dimensions are present. Pure: text in, values out.

use std::collections::{BTreeMap, BTreeSet};

use num_rational::BigRational;
use num_traits::{ToPrimitive, Zero};
use serde::Serialize;

use crate::decimal::{parse_decimal, rational_to_decimal};
use crate::error::{CoreError, Located};
use crate::region::{GmCode, csv_reader, field, header};

/// Which quantity a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Inhabitants on 1 January (03759ned `BevolkingOp1Januari_1`, v4 `M000352`): additive.
    Population,
    /// SES-WOA total score, mean (`GemiddeldeScore_29`): a score, not additive.
    SesWoa,
}

impl Measure {
    pub fn name(self) -> &'static str {
        match self {
            Measure::Population => "population",
            Measure::SesWoa => "ses_woa",
        }
    }
}

/// The file format detected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    ODataV3Json,
    ODataV4Json,
    StatLineCsvKeys,
    StatLineCsvTitles,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::ODataV3Json => "CBS OData v3 JSON",
            Format::ODataV4Json => "CBS OData v4 JSON",
            Format::StatLineCsvKeys => "CBS StatLine CSV (keys)",
            Format::StatLineCsvTitles => "CBS StatLine CSV (titles)",
        }
    }
}

/// One municipality value of one period.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Observation {
    pub gm_code: String,
    /// The period as a year, e.g. "2023" (from "2023JJ00" or "2023").
    pub period: String,
    /// Marked provisional by CBS ("2022*").
    pub provisional: bool,
    /// Exact value as text (an integer for population, a decimal for scores).
    pub value: String,
}

/// What [`parse`] found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CbsData {
    pub format: Format,
    pub measure: Measure,
    pub observations: Vec<Observation>,
    /// Rows skipped because their value was missing (`.`, `Impossible`, empty).
    pub missing: usize,
}

impl CbsData {
    /// The periods present, sorted.
    pub fn periods(&self) -> Vec<String> {
        self.observations.iter().map(|o| o.period.clone()).collect::<BTreeSet<_>>().into_iter().collect()
    }
}

/// Keys and titles that identify the measure, the region and the period.
const POP_KEYS: [&str; 2] = ["BevolkingOp1Januari_1", "M000352"];
const SES_KEY: &str = "GemiddeldeScore_29";
const SES_TITLE: &str = "SES-WOA/Totaalscore/Gemiddelde score";
const REGION_KEYS: [&str; 3] = ["RegioS", "WijkenEnBuurten", "RegiocodeGemeenteWijkBuurt_1"];
/// Totals over the other dimensions of 03759ned (sex, age, marital status).
const TOTALS: [(&str, &str); 3] = [("Geslacht", "T001038"), ("Leeftijd", "10000"), ("BurgerlijkeStaat", "T001019")];

fn norm_period(raw: &str) -> Option<(String, bool)> {
    let p = raw.trim();
    let provisional = p.ends_with('*');
    let p = p.trim_end_matches('*');
    let year = p.get(..4)?;
    (year.bytes().all(|b| b.is_ascii_digit()) && (p.len() == 4 || p[4..].starts_with("JJ")))
        .then(|| (year.to_string(), provisional))
}

fn municipality(code: &str) -> Option<String> {
    let c = code.trim();
    (c.len() == 6 && c.starts_with("GM") && c[2..].bytes().all(|b| b.is_ascii_digit())).then(|| c.to_string())
}

/// A value as CBS writes it: space-padded, `.` or empty when missing, a decimal point (or a
/// Dutch decimal comma when there is no point).
fn value_text(raw: &str) -> Result<Option<String>, CoreError> {
    let v = raw.trim();
    if v.is_empty() || v == "." || v.eq_ignore_ascii_case("impossible") {
        return Ok(None);
    }
    let v = if v.contains(',') && !v.contains('.') { v.replace(',', ".") } else { v.to_string() };
    let r = parse_decimal(&v)?;
    Ok(Some(rational_to_decimal(&r, decimals(&v))))
}

fn decimals(v: &str) -> u32 {
    v.split_once('.').map(|(_, f)| f.len() as u32).unwrap_or(0)
}

/// Parse a CBS export. `source` names the file in errors.
pub fn parse(source: &str, text: &str) -> Result<CbsData, CoreError> {
    let text = text.trim_start_matches('\u{feff}');
    if text.trim_start().starts_with('{') { parse_json(source, text) } else { parse_csv(source, text) }
}

fn parse_json(source: &str, text: &str) -> Result<CbsData, CoreError> {
    let v: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| CoreError::invalid(format!("{source}: not valid JSON ({e}); save the complete API response")))?;
    let format = if v.get("@odata.context").is_some() {
        Format::ODataV4Json
    } else if v.get("odata.metadata").is_some() {
        Format::ODataV3Json
    } else {
        return Err(CoreError::invalid(format!(
            "{source}: not a CBS OData response (no odata.metadata or @odata.context)"
        )));
    };
    let rows = v
        .get("value")
        .and_then(|x| x.as_array())
        .ok_or_else(|| CoreError::invalid(format!("{source}: the response has no \"value\" array of observations")))?;
    let text_of = |r: &serde_json::Value, k: &str| -> Option<String> {
        r.get(k).map(|x| match x {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        })
    };
    let first = rows.first().ok_or_else(|| CoreError::invalid(format!("{source}: the response holds no rows")))?;
    let region_key = REGION_KEYS.iter().find(|k| first.get(**k).is_some()).ok_or_else(|| {
        CoreError::invalid(format!("{source}: no region key ({}) in the rows", REGION_KEYS.join(", ")))
    })?;
    let (measure, value_key): (Measure, Option<&str>) = match format {
        Format::ODataV4Json => {
            let m = text_of(first, "Measure").unwrap_or_default();
            if rows.iter().any(|r| text_of(r, "Measure").as_deref() == Some("M000352")) {
                (Measure::Population, None)
            } else {
                return Err(CoreError::invalid(format!(
                    "{source}: measure '{m}' is not known here; v4 population is M000352 (03759ned)"
                )));
            }
        }
        _ => {
            if let Some(k) = POP_KEYS.iter().find(|k| first.get(**k).is_some()) {
                (Measure::Population, Some(*k))
            } else if first.get(SES_KEY).is_some() {
                (Measure::SesWoa, Some(SES_KEY))
            } else {
                return Err(CoreError::invalid(format!(
                    "{source}: neither {} (population, 03759ned) nor {SES_KEY} (SES-WOA) is in the rows",
                    POP_KEYS[0]
                )));
            }
        }
    };
    let mut observations = Vec::new();
    let mut missing = 0;
    for (i, r) in rows.iter().enumerate() {
        let at = || Located::new(&format!("{source} element {}", i + 1), 0, "");
        if format == Format::ODataV4Json && text_of(r, "Measure").as_deref() != Some("M000352") {
            continue;
        }
        if TOTALS.iter().any(|(k, total)| text_of(r, k).is_some_and(|v| v.trim() != *total)) {
            continue;
        }
        let Some(gm) = text_of(r, region_key).as_deref().and_then(municipality) else { continue };
        let period = text_of(r, "Perioden").unwrap_or_default();
        let (period, provisional) = norm_period(&period)
            .ok_or_else(|| CoreError::invalid(format!("Perioden: '{period}' is not a year period")).at(at()))?;
        let raw = match value_key {
            Some(k) => text_of(r, k).unwrap_or_default(),
            None => {
                if text_of(r, "ValueAttribute").as_deref() == Some("Impossible") {
                    String::new()
                } else {
                    text_of(r, "Value").unwrap_or_default()
                }
            }
        };
        match value_text(&raw).map_err(|e| e.at(at()))? {
            Some(value) => observations.push(Observation { gm_code: gm, period, provisional, value }),
            None => missing += 1,
        }
    }
    finish(source, CbsData { format, measure, observations, missing })
}

fn parse_csv(source: &str, text: &str) -> Result<CbsData, CoreError> {
    // StatLine always separates with ';' (titles such as "Regiocode (gemeente, wijk, buurt)"
    // contain commas, so the generic sniffer cannot be used).
    let first = text.lines().next().unwrap_or("");
    let mut rdr = if first.contains(';') {
        csv::ReaderBuilder::new().delimiter(b';').flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes())
    } else {
        csv_reader(text)
    };
    let h = header(&mut rdr, source)?;
    let find = |pred: &dyn Fn(&str) -> bool| h.iter().position(|c| pred(c.trim()));
    let (format, measure, region, value) = if let Some(r) = find(&|c| REGION_KEYS.contains(&c)) {
        if let Some(v) = find(&|c| POP_KEYS.contains(&c)) {
            (Format::StatLineCsvKeys, Measure::Population, r, v)
        } else if let Some(v) = find(&|c| c == SES_KEY) {
            (Format::StatLineCsvKeys, Measure::SesWoa, r, v)
        } else {
            return Err(CoreError::invalid(format!(
                "{source}:1: neither {} (population) nor {SES_KEY} (SES-WOA) is a column",
                POP_KEYS[0]
            )));
        }
    } else if let Some(r) = find(&|c| c.starts_with("Regiocode") || c.ends_with("(code)")) {
        match find(&|c| c.starts_with(SES_TITLE)) {
            Some(v) => (Format::StatLineCsvTitles, Measure::SesWoa, r, v),
            None => match find(&|c| c.starts_with("Bevolking op 1 januari")) {
                Some(v) => (Format::StatLineCsvTitles, Measure::Population, r, v),
                None => {
                    return Err(CoreError::invalid(format!(
                        "{source}:1: no column '{SES_TITLE} (Getal)' or 'Bevolking op 1 januari (aantal)'"
                    )));
                }
            },
        }
    } else {
        return Err(CoreError::invalid(format!(
            "{source}:1: no region code column ({}, or 'Regiocode … (code)'): download the table with its region \
             codes, not only the names",
            REGION_KEYS.join(", ")
        )));
    };
    let period =
        find(&|c| c == "Perioden").ok_or_else(|| CoreError::invalid(format!("{source}:1: no column Perioden")))?;
    let totals: Vec<(usize, &str)> = TOTALS.iter().filter_map(|(k, t)| find(&|c| c == *k).map(|i| (i, *t))).collect();
    let mut observations = Vec::new();
    let mut missing = 0;
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| CoreError::invalid(e.to_string()).at(Located::new(source, line, "")))?;
        if totals.iter().any(|(k, t)| field(&rec, *k).trim() != *t) {
            continue;
        }
        let Some(gm) = municipality(field(&rec, region)) else { continue };
        let (p, provisional) = norm_period(field(&rec, period)).ok_or_else(|| {
            CoreError::invalid(format!("'{}' is not a year period", field(&rec, period)))
                .at(Located::new(source, line, "Perioden"))
        })?;
        match value_text(field(&rec, value)).map_err(|e| e.at(Located::new(source, line, &h[value])))? {
            Some(v) => observations.push(Observation { gm_code: gm, period: p, provisional, value: v }),
            None => missing += 1,
        }
    }
    finish(source, CbsData { format, measure, observations, missing })
}

fn finish(source: &str, d: CbsData) -> Result<CbsData, CoreError> {
    if d.observations.is_empty() {
        return Err(CoreError::invalid(format!(
            "{source}: no municipality rows (GM codes) with a value: select the municipalities (gemeenten) when \
             downloading"
        )));
    }
    let mut seen = BTreeSet::new();
    for o in &d.observations {
        if !seen.insert((o.gm_code.as_str(), o.period.as_str())) {
            return Err(CoreError::invalid(format!("{source}: {} appears twice for {}", o.gm_code, o.period)));
        }
        if d.measure == Measure::Population && o.value.contains('.') {
            return Err(CoreError::invalid(format!(
                "{source}: {} has population '{}', not a whole number",
                o.gm_code, o.value
            )));
        }
    }
    Ok(d)
}

/// One row of the declared merger table: `old` merged (wholly or partly) into `new`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Merger {
    pub old: String,
    pub old_name: String,
    pub new: String,
    pub new_name: String,
    pub effective: chrono::NaiveDate,
    /// Inhabitants that moved from `old` to `new` (the share for a split).
    pub inhabitants: u64,
}

/// The bundled merger table (CBS herindelingen 2018–2023), compiled in.
pub const MERGERS_FILE: &str = "data/herindelingen_2018_2023.csv";
pub const MERGERS_CSV: &str = include_str!("../../../data/herindelingen_2018_2023.csv");

/// Parse a merger table `old_code,old_name,new_code,new_name,effective_date,inwoners_overgegaan,source`.
pub fn parse_mergers(source: &str, text: &str) -> Result<Vec<Merger>, CoreError> {
    let mut rdr = csv_reader(text);
    let h = header(&mut rdr, source)?;
    let want = ["old_code", "old_name", "new_code", "new_name", "effective_date", "inwoners_overgegaan", "source"];
    if h != want {
        return Err(CoreError::invalid(format!("{source}:1: header must be `{}`", want.join(","))));
    }
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let at = |f: &str| Located::new(source, line, f);
        let rec = rec.map_err(|e| CoreError::invalid(e.to_string()).at(at("")))?;
        let old: GmCode = field(&rec, 0).parse().map_err(|e: CoreError| e.at(at("old_code")))?;
        let new: GmCode = field(&rec, 2).parse().map_err(|e: CoreError| e.at(at("new_code")))?;
        let effective = field(&rec, 4)
            .parse()
            .map_err(|_| CoreError::invalid("not a date (YYYY-MM-DD)").at(at("effective_date")))?;
        let inhabitants = field(&rec, 5)
            .parse()
            .map_err(|_| CoreError::invalid("not a whole number").at(at("inwoners_overgegaan")))?;
        out.push(Merger {
            old: old.to_string(),
            old_name: field(&rec, 1).to_string(),
            new: new.to_string(),
            new_name: field(&rec, 3).to_string(),
            effective,
            inhabitants,
        });
    }
    Ok(out)
}

/// The bundled merger table.
pub fn bundled_mergers() -> Vec<Merger> {
    parse_mergers(MERGERS_FILE, MERGERS_CSV).expect("bundled merger table is valid")
}

/// How values of merged municipalities were combined, for the record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct MappingNote {
    pub new: String,
    pub from: Vec<String>,
    pub rule: String,
}

/// Map one period's values onto `target` codes: codes already in the target are kept;
/// dissolved codes follow the merger table (in date order, so chains resolve) into their
/// successors. Population is **added** (a split by the inhabitants that moved); a score is
/// the **population-weighted mean** of the parts, with `weights` (inhabitants of the same
/// period per old and new code) — the project's declared approximation, since CBS does not
/// publish scores for regions that did not exist yet.
pub fn map_to_set(
    measure: Measure,
    values: &BTreeMap<String, BigRational>,
    target: &BTreeSet<String>,
    mergers: &[Merger],
    weights: &BTreeMap<String, u64>,
) -> Result<(BTreeMap<String, BigRational>, Vec<MappingNote>), CoreError> {
    // (value·weight, weight) per code for scores; (value, 1) for population.
    let mut acc: BTreeMap<String, (BigRational, BigRational, Vec<String>)> = BTreeMap::new();
    // A weight matters only for codes that take part in a merger found in the data.
    let merging =
        |code: &str| !target.contains(code) || mergers.iter().any(|m| m.new == code && values.contains_key(&m.old));
    let weight_of = |code: &str| -> Result<BigRational, CoreError> {
        match measure {
            Measure::Population => Ok(BigRational::from_integer(1.into())),
            Measure::SesWoa if !merging(code) => Ok(BigRational::from_integer(1.into())),
            Measure::SesWoa => weights.get(code).map(|&w| BigRational::from_integer(w.into())).ok_or_else(|| {
                CoreError::invalid(format!(
                    "{code} takes part in a merger onto the current set, but no population of that period is known to \
                     weight its score"
                ))
            }),
        }
    };
    for (code, v) in values {
        let w = weight_of(code)?;
        acc.insert(code.clone(), (v * &w, w, vec![code.clone()]));
    }
    let mut sorted: Vec<&Merger> = mergers.iter().collect();
    sorted.sort_by_key(|m| (m.effective, m.old.clone(), m.new.clone()));
    let mut notes = Vec::new();
    let mut dissolved: BTreeSet<String> = BTreeSet::new();
    let mut i = 0;
    while i < sorted.len() {
        // All rows of one dissolved code on one date move together (a split has several).
        let (old, date) = (sorted[i].old.clone(), sorted[i].effective);
        let group: Vec<&Merger> =
            sorted[i..].iter().take_while(|m| m.old == old && m.effective == date).copied().collect();
        i += group.len();
        if target.contains(&old) {
            continue;
        }
        let Some((vw, w, from)) = acc.remove(&old) else { continue };
        dissolved.insert(old.clone());
        let moved: u64 = group.iter().map(|m| m.inhabitants).sum();
        for m in &group {
            let frac = if group.len() == 1 || moved == 0 {
                BigRational::from_integer(1.into())
            } else {
                BigRational::new(m.inhabitants.into(), moved.into())
            };
            let e = acc.entry(m.new.clone()).or_insert_with(|| (BigRational::zero(), BigRational::zero(), vec![]));
            e.0 += &vw * &frac;
            e.1 += &w * &frac;
            e.2.extend(from.iter().cloned());
        }
    }
    let mut out = BTreeMap::new();
    for (code, (vw, w, from)) in acc {
        if !target.contains(&code) {
            continue;
        }
        let v = match measure {
            Measure::Population => vw,
            Measure::SesWoa => &vw / &w,
        };
        if from.len() > 1 || from[0] != code {
            notes.push(MappingNote {
                new: code.clone(),
                from: from.clone(),
                rule: match measure {
                    Measure::Population => "sum of the predecessors (a split by the inhabitants that moved)".into(),
                    Measure::SesWoa => {
                        "population-weighted mean of the predecessors' scores (declared approximation)".into()
                    }
                },
            });
        }
        out.insert(code, v);
    }
    let unknown: Vec<&String> = values.keys().filter(|c| !target.contains(*c) && !dissolved.contains(*c)).collect();
    let missing: Vec<&String> = target.iter().filter(|c| !out.contains_key(*c)).collect();
    if !unknown.is_empty() || !missing.is_empty() {
        return Err(CoreError::invalid(format!(
            "the file's municipalities do not map onto the {} current ones: {} missing ({}), {} unknown ({}); check \
             the table's region set (regio-indeling) and the merger table {MERGERS_FILE}",
            target.len(),
            missing.len(),
            missing.iter().take(12).map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
            unknown.len(),
            unknown.iter().take(12).map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        )));
    }
    Ok((out, notes))
}

/// Population values as whole numbers (a split may leave a fraction: rounded half up).
pub fn whole(values: &BTreeMap<String, BigRational>) -> BTreeMap<String, u64> {
    values
        .iter()
        .map(|(k, v)| {
            let two = BigRational::from_integer(2.into());
            let r = ((v * &two + BigRational::from_integer(1.into())) / two).floor();
            (k.clone(), r.to_integer().to_u64().unwrap_or(0))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rat(s: &str) -> BigRational {
        parse_decimal(s).unwrap()
    }

    #[test]
    fn csv_with_titles_reads_municipality_rows_only() {
        let t = "\u{feff}\"Perioden\";\"Wijken en buurten\";\"Regiocode (gemeente, wijk, buurt) (code)\";\"SES-WOA/Totaalscore/Gemiddelde score (Getal)\"\n\
                 \"2019\";\"Amsterdam\";\"GM0363    \";\"  -0.100\"\n\
                 \"2019\";\"Burgwallen\";\"WK036300  \";\"  -0.022\"\n\
                 \"2019\";\"Nergens\";\"GM9999    \";\"       .\"\n";
        let d = parse("s.csv", t).unwrap();
        assert_eq!((d.format, d.measure), (Format::StatLineCsvTitles, Measure::SesWoa));
        assert_eq!(d.observations.len(), 1);
        assert_eq!((d.observations[0].gm_code.as_str(), d.observations[0].value.as_str()), ("GM0363", "-0.100"));
        assert_eq!(d.missing, 1);
    }

    #[test]
    fn odata_selects_the_totals_and_skips_impossible_values() {
        let v4 = r#"{"@odata.context":"x","value":[
            {"Measure":"M000352","ValueAttribute":"None","Value":238147,"Geslacht":"T001038","Leeftijd":"10000","BurgerlijkeStaat":"T001019","RegioS":"GM0014","Perioden":"2023JJ00"},
            {"Measure":"M000352","ValueAttribute":"None","Value":1,"Geslacht":"3000","Leeftijd":"10000","BurgerlijkeStaat":"T001019","RegioS":"GM0014","Perioden":"2023JJ00"},
            {"Measure":"M000365","ValueAttribute":"None","Value":5,"Geslacht":"T001038","Leeftijd":"10000","BurgerlijkeStaat":"T001019","RegioS":"GM0014","Perioden":"2023JJ00"},
            {"Measure":"M000352","ValueAttribute":"Impossible","Value":null,"Geslacht":"T001038","Leeftijd":"10000","BurgerlijkeStaat":"T001019","RegioS":"GM0457","Perioden":"2023JJ00"}]}"#;
        let d = parse("p.json", v4).unwrap();
        assert_eq!(d.observations.len(), 1);
        assert_eq!(d.observations[0].value, "238147");
        assert_eq!(d.missing, 1);
        let v3 = r#"{"odata.metadata":"m","value":[{"ID":1,"Geslacht":"T001038","Leeftijd":"10000","BurgerlijkeStaat":"T001019","RegioS":"GM0014","Perioden":"2023JJ00","BevolkingOp1Januari_1":238147}]}"#;
        assert_eq!(parse("p3.json", v3).unwrap().format, Format::ODataV3Json);
        let e = parse("x.json", r#"{"value":[]}"#).unwrap_err().to_string();
        assert!(e.contains("not a CBS OData response"), "{e}");
    }

    /// Merged municipalities: population adds up, a split follows the inhabitants that moved,
    /// a score is weighted by population; unknown or missing codes are listed.
    #[test]
    fn merged_municipalities_map_onto_the_current_set() {
        let m = |old: &str, new: &str, n| Merger {
            old: old.into(),
            old_name: old.into(),
            new: new.into(),
            new_name: new.into(),
            effective: "2022-01-01".parse().unwrap(),
            inhabitants: n,
        };
        let mergers = vec![
            m("GM0001", "GM0003", 100),
            m("GM0002", "GM0003", 300),
            m("GM0004", "GM0003", 10),
            m("GM0004", "GM0005", 30),
        ];
        let target: BTreeSet<String> = ["GM0003", "GM0005"].map(String::from).into();
        let vals: BTreeMap<String, BigRational> =
            [("GM0001", "100"), ("GM0002", "300"), ("GM0004", "40"), ("GM0005", "60")]
                .map(|(k, v)| (k.to_string(), rat(v)))
                .into();
        let (out, notes) = map_to_set(Measure::Population, &vals, &target, &mergers, &BTreeMap::new()).unwrap();
        assert_eq!(out["GM0003"], rat("410"));
        assert_eq!(out["GM0005"], rat("90"));
        assert_eq!(notes.len(), 2);
        let scores: BTreeMap<String, BigRational> =
            [("GM0001", "1"), ("GM0002", "-1"), ("GM0004", "0"), ("GM0005", "0.5")]
                .map(|(k, v)| (k.to_string(), rat(v)))
                .into();
        let w: BTreeMap<String, u64> =
            [("GM0001", 100), ("GM0002", 300), ("GM0004", 40), ("GM0005", 60)].map(|(k, v)| (k.to_string(), v)).into();
        let (s, _) = map_to_set(Measure::SesWoa, &scores, &target, &mergers, &w).unwrap();
        // GM0003 = (100·1 + 300·(−1) + 10·0) / 410
        assert_eq!(s["GM0003"], BigRational::new((-200).into(), 410.into()));
        // GM0005 = (60·0.5 + 30·0) / 90
        assert_eq!(s["GM0005"], BigRational::new(30.into(), 90.into()));
        let bad: BTreeMap<String, BigRational> =
            [("GM0003", "1"), ("GM0777", "2")].map(|(k, v)| (k.to_string(), rat(v))).into();
        let e = map_to_set(Measure::Population, &bad, &target, &mergers, &BTreeMap::new()).unwrap_err().to_string();
        assert!(e.contains("1 missing (GM0005)") && e.contains("1 unknown (GM0777)"), "{e}");
    }

    #[test]
    fn the_bundled_merger_table_ends_in_the_current_set() {
        let nl = crate::bundled::netherlands().unwrap();
        let current: BTreeSet<String> = nl.municipalities.iter().map(|m| m.code.to_string()).collect();
        let ms = bundled_mergers();
        assert!(ms.iter().all(|m| !current.contains(&m.old)));
        // Every successor is current or dissolved later.
        for m in &ms {
            assert!(
                current.contains(&m.new) || ms.iter().any(|l| l.old == m.new && l.effective > m.effective),
                "{m:?}"
            );
        }
    }
}
