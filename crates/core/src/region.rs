//! Regions: municipalities (gemeenten) and provinces of the Netherlands, and any
//! other region set a key can run on (German Länder, EU member states, …).
//!
//! Codes are parsed once, at the edge, into newtypes ("parse, don't validate"):
//! a [`GmCode`] is always `GM` + 4 digits, a [`PvCode`] always `PV` + 2 digits.
//! Reference data comes from CBS (Statistics Netherlands), CC BY 4.0 — see
//! `data/SOURCES.md`.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Located};

/// CBS municipality code (gemeentecode): `GM` followed by exactly four digits, e.g. `GM0363`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GmCode([u8; 6]);

/// CBS province code (provinciecode): `PV` followed by exactly two digits, e.g. `PV27`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PvCode([u8; 4]);

fn parse_code<const N: usize>(s: &str, prefix: &str, what: &str) -> Result<[u8; N], CoreError> {
    let s = s.trim();
    let digits = N - prefix.len();
    let ok = s.len() == N
        && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
        && s.as_bytes()[prefix.len()..].iter().all(u8::is_ascii_digit);
    if !ok {
        return Err(CoreError::invalid(format!(
            "'{s}' is not a {what}: expected {prefix} followed by {digits} digits, e.g. {prefix}{}",
            "0".repeat(digits - 1) + "1"
        )));
    }
    let mut out = [0u8; N];
    out.copy_from_slice(s.as_bytes());
    out[..prefix.len()].make_ascii_uppercase();
    Ok(out)
}

impl GmCode {
    pub fn as_str(&self) -> &str {
        // Constructed only from validated ASCII.
        std::str::from_utf8(&self.0).expect("GmCode is ASCII")
    }
}

impl PvCode {
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("PvCode is ASCII")
    }
}

impl FromStr for GmCode {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        parse_code::<6>(s, "GM", "municipality code (gemeentecode)").map(GmCode)
    }
}

impl FromStr for PvCode {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        parse_code::<4>(s, "PV", "province code (provinciecode)").map(PvCode)
    }
}

macro_rules! code_impls {
    ($t:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl TryFrom<String> for $t {
            type Error = CoreError;
            fn try_from(s: String) -> Result<Self, CoreError> {
                s.parse()
            }
        }
        impl From<$t> for String {
            fn from(c: $t) -> String {
                c.as_str().to_string()
            }
        }
    };
}
code_impls!(GmCode);
code_impls!(PvCode);

/// A code in any region set (a municipality, a German Land `DE-BY`, a member state `NL`).
/// Non-empty, at most 32 characters of `A–Z a–z 0–9 - _ .`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

impl RegionCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for RegionCode {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        let s = s.trim();
        let ok = !s.is_empty()
            && s.len() <= 32
            && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if ok {
            Ok(RegionCode(s.to_string()))
        } else {
            Err(CoreError::invalid(format!("'{s}' is not a region code: use 1–32 letters, digits, '-', '_' or '.'")))
        }
    }
}
impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl TryFrom<String> for RegionCode {
    type Error = CoreError;
    fn try_from(s: String) -> Result<Self, CoreError> {
        s.parse()
    }
}
impl From<RegionCode> for String {
    fn from(c: RegionCode) -> String {
        c.0
    }
}
impl From<GmCode> for RegionCode {
    fn from(c: GmCode) -> Self {
        RegionCode(c.as_str().to_string())
    }
}
impl From<PvCode> for RegionCode {
    fn from(c: PvCode) -> Self {
        RegionCode(c.as_str().to_string())
    }
}

/// One region of a region set: the unit a key distributes over.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub code: RegionCode,
    pub name: String,
    /// The group it belongs to (a municipality's province); the same code for every
    /// region when the set has no groups.
    pub group: RegionCode,
    pub group_name: String,
    /// Inhabitants on the set's reference date; always > 0.
    pub population: u64,
}

/// A validated set of regions: unique codes, positive population, in file order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionSet {
    /// Where the set came from (file name), for messages and outputs.
    pub source: String,
    /// Reference date of the population figures (from the header, e.g. `inwoners_2026_01_01`).
    pub population_date: Option<chrono::NaiveDate>,
    pub regions: Vec<Region>,
}

/// A municipality of the Netherlands (gemeente).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Municipality {
    pub code: GmCode,
    pub name: String,
    pub province: PvCode,
    pub population: u64,
}

/// A province of the Netherlands with its King's Commissioner (Commissaris van de Koning).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Province {
    pub code: PvCode,
    pub name: String,
    pub population: u64,
    pub municipality_count: usize,
}

/// The Dutch reference data: 342 municipalities in 12 provinces (CBS 2025 classification).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Netherlands {
    pub set: RegionSet,
    pub municipalities: Vec<Municipality>,
    pub provinces: Vec<Province>,
}

impl Netherlands {
    /// Validate a region set as Dutch municipalities: `GM` codes, `PV` codes, and
    /// (when a province file is given) provinces that exist there.
    pub fn from_sets(set: RegionSet, provinces: Option<&ProvinceFile>) -> Result<Self, CoreError> {
        let mut municipalities = Vec::with_capacity(set.regions.len());
        for (i, r) in set.regions.iter().enumerate() {
            let line = i + 2;
            let at = |field: &str| Located::new(&set.source, line, field);
            let code: GmCode = r.code.as_str().parse().map_err(|e: CoreError| e.at(at("gm_code")))?;
            let province: PvCode = r.group.as_str().parse().map_err(|e: CoreError| e.at(at("pv_code")))?;
            if let Some(pf) = provinces {
                if !pf.rows.iter().any(|p| p.0 == province) {
                    return Err(CoreError::invalid(format!(
                        "unknown province {province}: it is not in {}; fix the code or add the province there",
                        pf.source
                    ))
                    .at(at("pv_code")));
                }
            }
            municipalities.push(Municipality { code, name: r.name.clone(), province, population: r.population });
        }
        let mut by_pv: BTreeMap<PvCode, Province> = BTreeMap::new();
        for (m, r) in municipalities.iter().zip(&set.regions) {
            let p = by_pv.entry(m.province).or_insert_with(|| Province {
                code: m.province,
                name: r.group_name.clone(),
                population: 0,
                municipality_count: 0,
            });
            p.population += m.population;
            p.municipality_count += 1;
        }
        if let Some(pf) = provinces {
            for (code, name, count, pop) in &pf.rows {
                let Some(p) = by_pv.get(code) else {
                    return Err(CoreError::invalid(format!(
                        "{}: province {code} {name} has no municipalities in {}",
                        pf.source, set.source
                    )));
                };
                if p.municipality_count != *count || p.population != *pop {
                    return Err(CoreError::invalid(format!(
                        "{}: province {code} {name} says {count} municipalities and {pop} inhabitants, \
                         but {} adds up to {} and {}; the two files are out of step",
                        pf.source, set.source, p.municipality_count, p.population
                    )));
                }
            }
        }
        Ok(Netherlands { set, municipalities, provinces: by_pv.into_values().collect() })
    }

    pub fn municipality(&self, code: GmCode) -> Option<&Municipality> {
        self.municipalities.iter().find(|m| m.code == code)
    }

    pub fn province(&self, code: PvCode) -> Option<&Province> {
        self.provinces.iter().find(|p| p.code == code)
    }

    pub fn total_population(&self) -> u64 {
        self.municipalities.iter().map(|m| m.population).sum()
    }
}

/// Rows of the province file (`pv_code,pv_naam,aantal_gemeenten,inwoners_…`), used to
/// cross-check the municipality file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvinceFile {
    pub source: String,
    pub rows: Vec<(PvCode, String, usize, u64)>,
}

impl ProvinceFile {
    pub fn parse(source: &str, text: &str) -> Result<Self, CoreError> {
        let mut rdr = csv_reader(text);
        let headers = header(&mut rdr, source)?;
        expect_columns(source, &headers, 4, "pv_code,pv_naam,aantal_gemeenten,inwoners_JJJJ_MM_DD")?;
        let mut rows = Vec::new();
        let mut seen = HashSet::new();
        for (i, rec) in rdr.records().enumerate() {
            let line = i + 2;
            let rec = rec.map_err(|e| CoreError::invalid(e.to_string()).at(Located::new(source, line, "")))?;
            let at = |f: &str| Located::new(source, line, f);
            let code: PvCode = field(&rec, 0).parse().map_err(|e: CoreError| e.at(at(&headers[0])))?;
            if !seen.insert(code) {
                return Err(
                    CoreError::invalid(format!("duplicate province {code}: each province once")).at(at(&headers[0]))
                );
            }
            let name = nonempty(&rec, 1, || at(&headers[1]))?;
            let count = parse_positive(field(&rec, 2), || at(&headers[2]))? as usize;
            let pop = parse_inhabitants(field(&rec, 3), || at(&headers[3]))?;
            rows.push((code, name, count, pop));
        }
        if rows.is_empty() {
            return Err(CoreError::invalid(format!("{source} has no provinces: the file is empty below its header")));
        }
        Ok(ProvinceFile { source: source.to_string(), rows })
    }
}

impl RegionSet {
    /// Parse a region CSV with five columns: code, name, group code, group name,
    /// population (header free, e.g. `gm_code,gm_naam,pv_code,pv_naam,inwoners_2026_01_01`).
    /// A header ending in a date `_YYYY_MM_DD` sets the reference date. Rejects duplicate
    /// codes, empty names and non-positive population with file, line and field.
    pub fn parse_csv(source: &str, text: &str) -> Result<Self, CoreError> {
        let mut rdr = csv_reader(text);
        let headers = header(&mut rdr, source)?;
        expect_columns(source, &headers, 5, "code,name,group_code,group_name,population")?;
        let population_date = date_suffix(&headers[4]);
        let mut regions = Vec::new();
        let mut seen = HashSet::new();
        for (i, rec) in rdr.records().enumerate() {
            let line = i + 2;
            let rec = rec.map_err(|e| CoreError::invalid(e.to_string()).at(Located::new(source, line, "")))?;
            let at = |f: &str| Located::new(source, line, f);
            if rec.len() != 5 {
                return Err(CoreError::invalid(format!("expected 5 fields, found {}", rec.len())).at(at("")));
            }
            let code: RegionCode = field(&rec, 0).parse().map_err(|e: CoreError| e.at(at(&headers[0])))?;
            if !seen.insert(code.as_str().to_ascii_uppercase()) {
                return Err(CoreError::invalid(format!(
                    "duplicate code {code}: it already appears on an earlier line (codes are compared without \
                     regard to case); each region once"
                ))
                .at(at(&headers[0])));
            }
            let name = nonempty(&rec, 1, || at(&headers[1]))?;
            let group: RegionCode = field(&rec, 2).parse().map_err(|e: CoreError| e.at(at(&headers[2])))?;
            let group_name = nonempty(&rec, 3, || at(&headers[3]))?;
            let population = parse_inhabitants(field(&rec, 4), || at(&headers[4]))?;
            regions.push(Region { code, name, group, group_name, population });
        }
        if regions.is_empty() {
            return Err(CoreError::invalid(format!("{source} has no regions: the file is empty below its header")));
        }
        Ok(RegionSet { source: source.to_string(), population_date, regions })
    }

    pub fn get(&self, code: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.code.as_str().eq_ignore_ascii_case(code.trim()))
    }

    pub fn total_population(&self) -> u64 {
        self.regions.iter().map(|r| r.population).sum()
    }
}

pub(crate) fn csv_reader(text: &str) -> csv::Reader<&[u8]> {
    // CBS StatLine exports use ';'; our files use ','. Sniff the header line.
    let first = text.lines().next().unwrap_or("");
    let delim = if first.contains(';') && !first.contains(',') { b';' } else { b',' };
    csv::ReaderBuilder::new().delimiter(delim).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes())
}

pub(crate) fn header(rdr: &mut csv::Reader<&[u8]>, source: &str) -> Result<Vec<String>, CoreError> {
    let h = rdr.headers().map_err(|e| CoreError::invalid(format!("{source}: cannot read the header line: {e}")))?;
    if h.is_empty() || h.iter().all(str::is_empty) {
        return Err(CoreError::invalid(format!("{source} is empty: expected a header line and data rows")));
    }
    Ok(h.iter().map(|s| s.trim_start_matches('\u{feff}').to_string()).collect())
}

fn expect_columns(source: &str, headers: &[String], n: usize, example: &str) -> Result<(), CoreError> {
    if headers.len() != n {
        return Err(CoreError::invalid(format!(
            "{source}:1: expected {n} columns ({example}), found {}: {}",
            headers.len(),
            headers.join(",")
        )));
    }
    Ok(())
}

pub(crate) fn field(rec: &csv::StringRecord, i: usize) -> &str {
    rec.get(i).unwrap_or("")
}

fn nonempty(rec: &csv::StringRecord, i: usize, at: impl Fn() -> Located) -> Result<String, CoreError> {
    let v = field(rec, i);
    if v.is_empty() { Err(CoreError::invalid("empty value: a name is required").at(at())) } else { Ok(v.to_string()) }
}

/// The most inhabitants one region may have in an input file: ten billion, more than the
/// world's population. A larger figure is a typo (or a sum); refusing it keeps every total
/// over regions, provinces and vintages far from `u64::MAX` (found while writing the fuzz
/// targets: two regions of 2^63 inhabitants overflowed the province total in
/// `Netherlands::from_sets`).
pub const MAX_INHABITANTS: u64 = 10_000_000_000;

/// A count of inhabitants: a whole number from 1 to [`MAX_INHABITANTS`].
pub(crate) fn parse_inhabitants(v: &str, at: impl Fn() -> Located) -> Result<u64, CoreError> {
    let n = parse_positive(v, &at)?;
    if n > MAX_INHABITANTS {
        return Err(CoreError::invalid(format!(
            "{n} inhabitants is more than {MAX_INHABITANTS} (more than the world's population): check the figure"
        ))
        .at(at()));
    }
    Ok(n)
}

fn parse_positive(v: &str, at: impl Fn() -> Located) -> Result<u64, CoreError> {
    match v.parse::<i128>() {
        Ok(n) if n > 0 && n <= u64::MAX as i128 => Ok(n as u64),
        Ok(n) => Err(CoreError::invalid(format!("{n} is not a positive whole number: it must be at least 1")).at(at())),
        Err(_) => Err(CoreError::invalid(format!("'{v}' is not a whole number")).at(at())),
    }
}

fn date_suffix(h: &str) -> Option<chrono::NaiveDate> {
    let parts: Vec<&str> = h.rsplitn(4, '_').collect();
    if parts.len() < 4 {
        return None;
    }
    let (d, m, y) = (parts[0].parse().ok()?, parts[1].parse().ok()?, parts[2].parse().ok()?);
    chrono::NaiveDate::from_ymd_opt(y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_once_and_normalise_case() {
        assert_eq!("gm0363".parse::<GmCode>().unwrap().as_str(), "GM0363");
        assert!("GM363".parse::<GmCode>().is_err());
        assert!("GM03630".parse::<GmCode>().is_err());
        assert!("PV2x".parse::<PvCode>().is_err());
        assert_eq!("PV27".parse::<PvCode>().unwrap().to_string(), "PV27");
    }

    #[test]
    fn duplicate_code_names_file_line_and_field() {
        let text = "gm_code,gm_naam,pv_code,pv_naam,inwoners_2026_01_01\n\
                    GM0001,A,PV20,G,10\nGM0001,B,PV20,G,10\n";
        let err = RegionSet::parse_csv("x.csv", text).unwrap_err().to_string();
        assert!(err.starts_with("x.csv:3: gm_code: duplicate code GM0001"), "{err}");
    }

    #[test]
    fn non_positive_population_is_rejected() {
        let text = "c,n,g,gn,p\nA,A,X,X,0\n";
        let err = RegionSet::parse_csv("r.csv", text).unwrap_err().to_string();
        assert!(err.contains("r.csv:2: p:"), "{err}");
    }

    #[test]
    fn reference_date_comes_from_the_header() {
        let text = "gm_code,gm_naam,pv_code,pv_naam,inwoners_2026_01_01\nGM0001,A,PV20,G,10\n";
        let set = RegionSet::parse_csv("x.csv", text).unwrap();
        assert_eq!(set.population_date, chrono::NaiveDate::from_ymd_opt(2026, 1, 1));
    }

    #[test]
    fn unknown_province_is_rejected() {
        let set = RegionSet::parse_csv("g.csv", "a,b,c,d,e\nGM0001,A,PV99,X,10\n").unwrap();
        let pf = ProvinceFile::parse("p.csv", "a,b,c,d\nPV20,Groningen,1,10\n").unwrap();
        let err = Netherlands::from_sets(set, Some(&pf)).unwrap_err().to_string();
        assert!(err.starts_with("g.csv:2: pv_code: unknown province PV99"), "{err}");
    }
}
