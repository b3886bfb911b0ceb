//! Declarative distribution keys (verdeelsleutels).
//!
//! A key is data, not code: a versioned TOML file under `keys/` says which indicators
//! it uses, how they combine and which apportionment method turns shares into whole
//! places. One engine runs the Dutch Spreidingswet key and other countries' keys alike.
//!
//! The combination, in order (every step exact, in rational arithmetic):
//! 1. **Weighted sum of shares**: `vᵢ = Σₖ αₖ · xᵢₖ / Σⱼ xⱼₖ` over the `[[terms]]`
//!    (α may be negative, as in Denmark's `2·population% − immigrant%`).
//! 2. **Multiplicative correction** (optional `[correction]`): `vᵢ ← vᵢ · (offset + factor · cᵢ)`,
//!    e.g. the reconstructed Spreidingswet key `inhabitants × (1 + SES-WOA)`.
//! 3. **Floor at zero** (optional `floor_at_zero = true`): negative values become 0 and
//!    the others share the whole total (Integrationsloven § 7 / Bek. 550/2022 § 4).
//! 4. **Apportionment** of the total with the key's method ([`crate::apportion`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use num_rational::BigRational;
use num_traits::{Signed, Zero};
use serde::{Deserialize, Serialize};

use crate::apportion::{Apportionment, Method, apportion};
use crate::decimal::{parse_decimal, rational_to_decimal, to_whole_weights};
use crate::error::{CoreError, Located};
use crate::region::{RegionSet, csv_reader, field, header};

/// The indicator every region set carries: its population.
pub const POPULATION: &str = "inwoners";

/// How firmly a key definition rests on the legal text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    /// Taken from a published legal text.
    Official,
    /// Reconstructed from published examples; the legal text's exact formula is unknown.
    Reconstruction,
    /// A simplified or partial rendering, for comparison only.
    Illustrative,
}

impl fmt::Display for KeyStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyStatus::Official => "official",
            KeyStatus::Reconstruction => "reconstruction",
            KeyStatus::Illustrative => "illustrative",
        })
    }
}

/// One term of the weighted sum: `weight · (indicator share)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    pub indicator: String,
    /// Exact decimal as text, e.g. "0.6666666666666667" is *not* ⅔: write fractions as "2/3".
    pub weight: String,
    #[serde(default)]
    pub description: String,
}

/// Multiplicative correction `offset + factor · indicator`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Correction {
    pub indicator: String,
    #[serde(default = "one_text")]
    pub offset: String,
    #[serde(default = "one_text")]
    pub factor: String,
    #[serde(default)]
    pub description: String,
}

fn one_text() -> String {
    "1".into()
}

/// A key definition as read from `keys/<id>.toml`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyDefinition {
    pub id: String,
    pub version: String,
    pub title: String,
    /// Country or body the key belongs to (NL, DE, DK, BE, EU).
    pub jurisdiction: String,
    pub status: KeyStatus,
    /// The legal or published source of the definition.
    pub source: String,
    /// What is uncertain or left out; shown with every result.
    #[serde(default)]
    pub caveat: String,
    pub method: Method,
    pub terms: Vec<Term>,
    #[serde(default)]
    pub correction: Option<Correction>,
    #[serde(default)]
    pub floor_at_zero: bool,
    /// Where users obtain indicator data the key needs beyond population.
    #[serde(default)]
    pub data_hint: String,
}

impl KeyDefinition {
    /// Parse and check a key definition; errors name the file and, for TOML errors, the line.
    pub fn parse(source: &str, text: &str) -> Result<Self, CoreError> {
        let def: KeyDefinition = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start].lines().count().max(1)).unwrap_or(0);
            CoreError::invalid(e.message().to_string()).at(Located::new(source, line, ""))
        })?;
        if def.terms.is_empty() {
            return Err(
                CoreError::invalid("a key needs at least one [[terms]] entry").at(Located::new(source, 0, "terms"))
            );
        }
        for t in &def.terms {
            parse_fraction(&t.weight)
                .map_err(|e| e.at(Located::new(source, 0, &format!("terms.{}.weight", t.indicator))))?;
        }
        if let Some(c) = &def.correction {
            parse_fraction(&c.offset).map_err(|e| e.at(Located::new(source, 0, "correction.offset")))?;
            parse_fraction(&c.factor).map_err(|e| e.at(Located::new(source, 0, "correction.factor")))?;
        }
        Ok(def)
    }

    /// Every indicator the key reads (population included).
    pub fn indicators(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.terms.iter().map(|t| t.indicator.as_str()).collect();
        if let Some(c) = &self.correction {
            v.push(&c.indicator);
        }
        v.dedup();
        v
    }

    /// Indicators that must come from `--indicators` files (everything but population).
    pub fn external_indicators(&self) -> Vec<&str> {
        self.indicators().into_iter().filter(|i| *i != POPULATION).collect()
    }

    /// A one-line label for outputs: `nl-population v1 (official)`.
    pub fn label(&self) -> String {
        format!("{} v{} ({})", self.id, self.version, self.status)
    }

    /// The formula in words, for explanations.
    pub fn formula(&self) -> String {
        let terms: Vec<String> =
            self.terms.iter().map(|t| format!("{} × share of {}", t.weight, t.indicator)).collect();
        let mut f = terms.join(" + ").replace("+ -", "− ");
        if let Some(c) = &self.correction {
            f = format!("({f}) × ({} + {} × {})", c.offset, c.factor, c.indicator);
        }
        if self.floor_at_zero {
            f.push_str(", negatives set to 0");
        }
        format!("{f}; whole places by {}", self.method)
    }
}

/// The indicator of the correction the Spreidingswet key applies (CBS SES-WOA).
pub const SES_WOA: &str = "ses_woa";

/// **The key the law requires** (Wet art. 3 with the Besluit, Stb. 2024, 13; Kamerstuk 36333,
/// F: applying the SES-WOA score is not at the government's discretion): a Dutch cycle's
/// indicative tasks are corrected by SES-WOA. A key without that correction is a
/// *deviation*: allowed only with the minister's recorded reason, which is stored with the
/// cycle and shown wherever its tasks appear.
pub fn legal_key_check(def: &KeyDefinition, deviation: Option<&str>) -> Result<Option<String>, CoreError> {
    let lawful = def.jurisdiction == "NL" && def.correction.as_ref().is_some_and(|c| c.indicator == SES_WOA);
    match (lawful, deviation.map(str::trim).filter(|d| !d.is_empty())) {
        (true, None) => Ok(None),
        (true, Some(_)) => Err(CoreError::invalid(
            "deviation: the key already applies the SES-WOA correction the law requires; drop --deviation",
        )),
        (false, Some(d)) => {
            Ok(Some(crate::cycle::require_reason("a deviation from the key the law requires", Some(d))?))
        }
        (false, None) => Err(CoreError::conflict(format!(
            "key {} lacks the SES-WOA correction the law requires for indicative tasks (Wet art. 3; Kamerstuk 36333, \
             F): load SES-WOA (spreiding data import, then --ses-woa) or publish with a recorded ministerial \
             deviation (--deviation \"reason\")",
            def.label()
        ))),
    }
}

/// Parse "0.35", "-1" or a fraction "2/3" exactly.
pub fn parse_fraction(s: &str) -> Result<BigRational, CoreError> {
    match s.split_once('/') {
        Some((n, d)) => {
            let n = parse_decimal(n)?;
            let d = parse_decimal(d)?;
            if d.is_zero() {
                return Err(CoreError::invalid(format!("'{s}' divides by zero")));
            }
            Ok(n / d)
        }
        None => parse_decimal(s),
    }
}

/// Indicator values per region, from one or more CSV files: first column the region
/// code, further columns numeric indicators (signed decimals).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Indicators {
    /// indicator name → (region code → value)
    pub columns: BTreeMap<String, HashMap<String, BigRational>>,
    /// indicator name → file it came from
    pub sources: BTreeMap<String, String>,
}

impl Indicators {
    /// Add the columns of one CSV file. Duplicate codes, non-numbers and a column that
    /// another file already supplied are errors with file, line and field.
    pub fn add_csv(&mut self, source: &str, text: &str) -> Result<(), CoreError> {
        let mut rdr = csv_reader(text);
        let headers = header(&mut rdr, source)?;
        if headers.len() < 2 {
            return Err(CoreError::invalid(format!(
                "{source}:1: expected a code column and at least one indicator column, e.g. gm_code,ses_woa"
            )));
        }
        let names: Vec<String> = headers[1..].iter().map(|h| normalise_name(h)).collect();
        for n in &names {
            if let Some(prev) = self.sources.get(n) {
                return Err(CoreError::invalid(format!("indicator '{n}' is given twice: in {prev} and here"))
                    .at(Located::new(source, 1, n)));
            }
        }
        let mut cols: Vec<HashMap<String, BigRational>> = vec![HashMap::new(); names.len()];
        let mut seen = HashSet::new();
        for (i, rec) in rdr.records().enumerate() {
            let line = i + 2;
            let rec = rec.map_err(|e| CoreError::invalid(e.to_string()).at(Located::new(source, line, "")))?;
            let code = field(&rec, 0).to_ascii_uppercase();
            if code.is_empty() {
                return Err(CoreError::invalid("empty region code").at(Located::new(source, line, &headers[0])));
            }
            if !seen.insert(code.clone()) {
                return Err(CoreError::invalid(format!("duplicate code {code}: each region once")).at(Located::new(
                    source,
                    line,
                    &headers[0],
                )));
            }
            for (k, name) in names.iter().enumerate() {
                let v = parse_decimal(field(&rec, k + 1)).map_err(|e| e.at(Located::new(source, line, name)))?;
                cols[k].insert(code.clone(), v);
            }
        }
        if seen.is_empty() {
            return Err(CoreError::invalid(format!("{source} has no data rows below its header")));
        }
        for (n, c) in names.into_iter().zip(cols) {
            self.sources.insert(n.clone(), source.to_string());
            self.columns.insert(n, c);
        }
        Ok(())
    }

    pub fn has(&self, name: &str) -> bool {
        self.columns.contains_key(name)
    }

    /// The values of `name` in the order of `set` (`upper`: its codes in upper case).
    /// Checks that the column covers exactly the regions of `set`; lists missing and extra codes.
    fn column_for<'a>(
        &'a self,
        name: &str,
        set: &RegionSet,
        upper: &[String],
    ) -> Result<Vec<&'a BigRational>, CoreError> {
        let col = self.columns.get(name).ok_or_else(|| {
            CoreError::invalid(format!(
                "the key needs indicator '{name}', but no --indicators file has a column '{name}'{}",
                if self.columns.is_empty() {
                    String::new()
                } else {
                    format!(" (found: {})", self.columns.keys().cloned().collect::<Vec<_>>().join(", "))
                }
            ))
        })?;
        if col.len() == upper.len() {
            // Every region found and as many values as regions: an exact match (region
            // codes are unique regardless of case, see `RegionSet::parse_csv`).
            let found: Option<Vec<&BigRational>> = upper.iter().map(|c| col.get(c)).collect();
            if let Some(found) = found {
                return Ok(found);
            }
        }
        let src = &self.sources[name];
        let codes: HashSet<String> = set.regions.iter().map(|r| r.code.as_str().to_ascii_uppercase()).collect();
        let mut missing: Vec<&str> = set
            .regions
            .iter()
            .map(|r| r.code.as_str())
            .filter(|c| !col.contains_key(&c.to_ascii_uppercase()))
            .collect();
        let mut extra: Vec<&str> = col.keys().map(String::as_str).filter(|c| !codes.contains(*c)).collect();
        if !missing.is_empty() || !extra.is_empty() {
            missing.sort_unstable();
            extra.sort_unstable();
            let mut msg = format!("{src}: indicator '{name}' does not match the regions of {}:", set.source);
            if !missing.is_empty() {
                msg.push_str(&format!(" missing {} code(s): {};", missing.len(), list(&missing)));
            }
            if !extra.is_empty() {
                msg.push_str(&format!(" unknown {} code(s): {};", extra.len(), list(&extra)));
            }
            msg.push_str(" use the region codes of the same year as the reference data");
            return Err(CoreError::invalid(msg));
        }
        Ok(upper.iter().map(|c| &col[c]).collect())
    }
}

fn list(codes: &[&str]) -> String {
    if codes.len() <= 20 {
        codes.join(", ")
    } else {
        format!("{}, … ({} more)", codes[..20].join(", "), codes.len() - 20)
    }
}

fn normalise_name(h: &str) -> String {
    h.trim().to_ascii_lowercase().replace([' ', '-', '/'], "_")
}

/// One region's inputs to the key, for explanations.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TermInput {
    pub indicator: String,
    /// The region's value, as given.
    pub value: String,
    /// Its share of the national (set) total, 8 decimals.
    pub share: String,
    pub weight: String,
}

/// The values of one indicator in region-set order: machine integers at a power-of-ten
/// scale (the usual case: populations, GDP, decimal scores), or exact rationals.
#[derive(Clone, Debug)]
enum ColumnValues {
    /// `value = values[i] / 10^scale`.
    Scaled {
        values: Vec<i128>,
        scale: u32,
    },
    Exact(Vec<BigRational>),
}

impl ColumnValues {
    fn get(&self, i: usize) -> BigRational {
        match self {
            ColumnValues::Scaled { values, scale } => {
                BigRational::new(values[i].into(), num_bigint::BigInt::from(10u8).pow(*scale))
            }
            ColumnValues::Exact(v) => v[i].clone(),
        }
    }
    fn sum(&self) -> BigRational {
        match self {
            ColumnValues::Scaled { values, scale } => {
                // In 128 bits unless the sum overflows (one big integer per value costs an
                // allocation each: 98,000 of them for the EU's local units).
                let s = match values.iter().try_fold(0i128, |a, &v| a.checked_add(v)) {
                    Some(s) => num_bigint::BigInt::from(s),
                    None => values.iter().map(|&v| num_bigint::BigInt::from(v)).sum(),
                };
                BigRational::new(s, num_bigint::BigInt::from(10u8).pow(*scale))
            }
            ColumnValues::Exact(v) => v.iter().sum(),
        }
    }
}

/// One indicator column as the key used it.
#[derive(Clone, Debug)]
struct Column {
    indicator: String,
    values: ColumnValues,
}

/// The outcome of running a key on a region set.
///
/// The per-region explanation (inputs, shares, combined value) is computed on demand from
/// the columns the key read ([`KeyResult::inputs`], [`KeyResult::value`]): a key over
/// 100,000 regions does not format 100,000 explanations nobody asked for.
#[derive(Clone, Debug)]
pub struct KeyResult {
    pub definition: KeyDefinition,
    pub set_source: String,
    pub total: u64,
    /// Whether step 3 set the region's value to zero.
    pub floored: Vec<bool>,
    pub apportionment: Apportionment,
    /// One column per `[[terms]]` entry, in order, with the term's weight αₖ and column sum.
    terms: Vec<(Column, BigRational, BigRational)>,
    /// The correction column with (offset, factor), when the key has one.
    correction: Option<(Column, BigRational, BigRational)>,
}

impl KeyResult {
    pub fn seats(&self) -> &[u64] {
        &self.apportionment.seats
    }

    /// Number of regions.
    pub fn len(&self) -> usize {
        self.floored.len()
    }

    pub fn is_empty(&self) -> bool {
        self.floored.is_empty()
    }

    /// Region `i`'s inputs: per term its value, its share of the set total and the term's
    /// weight; then the correction's value.
    pub fn inputs(&self, i: usize) -> Vec<TermInput> {
        let mut out = Vec::with_capacity(self.terms.len() + 1);
        for ((col, _, sum), t) in self.terms.iter().zip(&self.definition.terms) {
            let x = col.values.get(i);
            out.push(TermInput {
                indicator: col.indicator.clone(),
                value: rational_to_decimal(&x, decimals_of(&x)),
                share: rational_to_decimal(&(&x / sum), 8),
                weight: t.weight.clone(),
            });
        }
        if let (Some((col, _, _)), Some(c)) = (&self.correction, &self.definition.correction) {
            let x = col.values.get(i);
            out.push(TermInput {
                indicator: col.indicator.clone(),
                value: rational_to_decimal(&x, decimals_of(&x)),
                share: String::new(),
                weight: format!("× ({} + {} × value)", c.offset, c.factor),
            });
        }
        out
    }

    /// Region `i`'s combined value (steps 1–2), before flooring, exactly.
    pub fn value(&self, i: usize) -> BigRational {
        combined(&self.terms, &self.correction, i)
    }

    /// Region `i`'s correction factor `offset + factor · cᵢ`, when the key has one.
    pub fn correction(&self, i: usize) -> Option<BigRational> {
        correction_factor(&self.correction, i)
    }
}

/// One region's number explained step by step, for any region set (a member state's
/// local units, German Länder, Dutch municipalities without the Dutch extras).
#[derive(Clone, Debug, Serialize)]
pub struct RegionExplanation {
    pub code: String,
    pub name: String,
    pub group_code: String,
    pub group_name: String,
    pub definition: String,
    pub formula: String,
    pub source: String,
    pub caveat: String,
    pub inputs: Vec<TermInput>,
    /// Combined key value before normalisation (exact, 12 decimals).
    pub key_value: String,
    pub floored_to_zero: bool,
    /// Its share of all key values, 10 decimals.
    pub share: String,
    pub quota_decimal: String,
    pub rounding: String,
    pub places: u64,
    /// What the region's group received in total, and over how many regions.
    pub group_places: u64,
    pub group_regions: usize,
    pub total: u64,
}

impl KeyResult {
    /// Explain region `i` of `set` (the set the key ran on).
    pub fn explain(&self, set: &RegionSet, i: usize) -> RegionExplanation {
        let a = &self.apportionment;
        let r = &set.regions[i];
        let (qn, qd) = a.quota(i);
        let (mut group_places, mut group_regions) = (0, 0);
        for (other, seats) in set.regions.iter().zip(&a.seats) {
            if other.group == r.group {
                group_places += seats;
                group_regions += 1;
            }
        }
        let d = &self.definition;
        RegionExplanation {
            code: r.code.to_string(),
            name: r.name.clone(),
            group_code: r.group.to_string(),
            group_name: r.group_name.clone(),
            definition: d.label(),
            formula: d.formula(),
            source: d.source.clone(),
            caveat: d.caveat.clone(),
            inputs: self.inputs(i),
            key_value: rational_to_decimal(&self.value(i), 12),
            floored_to_zero: self.floored[i],
            share: crate::decimal::ratio_to_decimal(&a.weight(i), &a.total_weight, 10),
            quota_decimal: crate::decimal::ratio_to_decimal(&qn, &qd, 6),
            rounding: a.explain_rounding(i, "region", "regions"),
            places: a.seats[i],
            group_places,
            group_regions,
            total: self.total,
        }
    }
}

impl RegionExplanation {
    /// Plain-text rendering for the command line.
    pub fn to_text(&self) -> String {
        let mut s = format!("{} {} (group {} {})\n", self.code, self.name, self.group_code, self.group_name);
        s.push_str(&format!(
            "Definition: {}\n  Formula: {}\n  Source: {}\n",
            self.definition, self.formula, self.source
        ));
        if !self.caveat.is_empty() {
            s.push_str(&format!("  Caveat: {}\n", self.caveat));
        }
        s.push_str("\n1. Inputs\n");
        s.push_str(&inputs_text(&self.inputs, "set", &self.key_value, self.floored_to_zero));
        s.push_str(&format!("\n2. Share of all key values: {}\n", self.share));
        s.push_str(&format!("   Exact quota: {} × share = {}\n", self.total, self.quota_decimal));
        s.push_str(&format!("\n3. Rounding: {}\n", self.rounding));
        s.push_str(&format!(
            "\nResult: {} places. Group {} together: {} places over {} regions.\n",
            self.places, self.group_code, self.group_places, self.group_regions
        ));
        s
    }
}

/// The inputs block of an explanation: each term's value, share and weight, the
/// correction, and the combined key value (`whole`: what the shares are of, e.g. "national").
pub(crate) fn inputs_text(inputs: &[TermInput], whole: &str, key_value: &str, floored: bool) -> String {
    let mut s = String::new();
    for t in inputs {
        if t.share.is_empty() {
            s.push_str(&format!("   {} = {}  (correction {})\n", t.indicator, t.value, t.weight));
        } else {
            s.push_str(&format!(
                "   {} = {}  → share of the {whole} total {}  (weight {})\n",
                t.indicator, t.value, t.share, t.weight
            ));
        }
    }
    s.push_str(&format!("   Key value: {key_value}{}\n", if floored { " → set to 0 (negative)" } else { "" }));
    s
}

type TermColumns = Vec<(Column, BigRational, BigRational)>;
type CorrectionColumn = Option<(Column, BigRational, BigRational)>;

/// Steps 1–2 for one region, in exact arithmetic: the definition the fast path is checked
/// against.
fn combined(terms: &TermColumns, correction: &CorrectionColumn, i: usize) -> BigRational {
    let mut v = BigRational::zero();
    for (col, alpha, sum) in terms {
        v += alpha * (col.values.get(i) / sum);
    }
    if let Some(f) = correction_factor(correction, i) {
        v *= f;
    }
    v
}

fn correction_factor(correction: &CorrectionColumn, i: usize) -> Option<BigRational> {
    correction.as_ref().map(|(col, offset, factor)| offset + factor * col.values.get(i))
}

/// Run `def` on `set` for `total` places, with indicator data.
///
/// Every step is exact. The whole weights handed to the apportionment are the combined
/// values times the least common multiple of their denominators (as
/// [`to_whole_weights`] gives them); with machine-integer inputs they are computed in
/// 128-bit integers (`vᵢ = Nᵢ / D` over one common denominator, so the weights are
/// `Nᵢ / gcd(D, N₁, …, Nₙ)`), and in arbitrary precision when a product would overflow —
/// both give the same numbers (tested against each other).
pub fn run_key(
    def: &KeyDefinition,
    set: &RegionSet,
    indicators: &Indicators,
    total: u64,
    method_override: Option<Method>,
) -> Result<KeyResult, CoreError> {
    let n = set.regions.len();
    let upper: Vec<String> = set.regions.iter().map(|r| r.code.as_str().to_ascii_uppercase()).collect();
    let column = |name: &str| -> Result<Column, CoreError> {
        let values = if name == POPULATION && !indicators.has(POPULATION) {
            ColumnValues::Scaled { values: set.regions.iter().map(|r| r.population as i128).collect(), scale: 0 }
        } else {
            scaled_or_exact(indicators.column_for(name, set, &upper)?)
        };
        Ok(Column { indicator: name.to_string(), values })
    };
    let mut terms = Vec::with_capacity(def.terms.len());
    for t in &def.terms {
        let alpha = parse_fraction(&t.weight)?;
        let col = column(&t.indicator)?;
        let sum = col.values.sum();
        if sum.is_zero() || sum.is_negative() {
            return Err(CoreError::invalid(format!(
                "indicator '{}' adds up to {} over all regions: a share needs a positive total",
                t.indicator,
                rational_to_decimal(&sum, 4)
            )));
        }
        terms.push((col, alpha, sum));
    }
    let correction = match &def.correction {
        Some(c) => Some((column(&c.indicator)?, parse_fraction(&c.offset)?, parse_fraction(&c.factor)?)),
        None => None,
    };
    let mut floored = vec![false; n];
    let whole = match machine_weights(&terms, &correction, n) {
        Some((mut numerators, denominator)) => {
            floor_negatives(def, set, &terms, &correction, &mut floored, |i| numerators[i] < 0)?;
            for (v, f) in numerators.iter_mut().zip(&floored) {
                if *f {
                    *v = 0;
                }
            }
            Whole::Small(common_divided(&numerators, denominator))
        }
        None => {
            let mut values: Vec<BigRational> = (0..n).map(|i| combined(&terms, &correction, i)).collect();
            floor_negatives(def, set, &terms, &correction, &mut floored, |i| values[i].is_negative())?;
            for (v, f) in values.iter_mut().zip(&floored) {
                if *f {
                    *v = BigRational::zero();
                }
            }
            Whole::Big(to_whole_weights(&values))
        }
    };
    let ids: Vec<&str> = set.regions.iter().map(|r| r.code.as_str()).collect();
    let method = method_override.unwrap_or(def.method);
    let apportionment = match whole {
        Whole::Small(w) => crate::apportion::apportion_small(method, &ids, w, total)?,
        Whole::Big(w) => apportion(method, &ids, &w, total)?,
    };
    Ok(KeyResult {
        definition: def.clone(),
        set_source: set.source.clone(),
        total,
        floored,
        apportionment,
        terms,
        correction,
    })
}

enum Whole {
    Small(Vec<u128>),
    Big(Vec<num_bigint::BigUint>),
}

/// Step 3: negatives become 0 (with `floor_at_zero`, marked in `floored`) or are an error
/// naming the region.
fn floor_negatives(
    def: &KeyDefinition,
    set: &RegionSet,
    terms: &TermColumns,
    correction: &CorrectionColumn,
    floored: &mut [bool],
    is_negative: impl Fn(usize) -> bool,
) -> Result<(), CoreError> {
    for (i, f) in floored.iter_mut().enumerate() {
        if !is_negative(i) {
            continue;
        }
        if !def.floor_at_zero {
            return Err(CoreError::invalid(format!(
                "key {} gives region {} ({}) a negative weight {}; the definition does not allow that \
                 (set floor_at_zero = true if negatives should become 0)",
                def.id,
                set.regions[i].code,
                set.regions[i].name,
                rational_to_decimal(&combined(terms, correction, i), 8)
            )));
        }
        *f = true;
    }
    Ok(())
}

/// Columns of machine integers at a power-of-ten scale, or `Exact` when a value is not.
fn scaled_or_exact(col: Vec<&BigRational>) -> ColumnValues {
    use num_traits::ToPrimitive;
    // Per value: the numerator brought to its own decimal scale (a reduced decimal has a
    // denominator 2^a·5^b: 0.125 = 1/8 is 125 at scale 3).
    let mut scaled = Vec::with_capacity(col.len());
    for v in &col {
        let Some(d) = v.denom().to_u128() else { break };
        let Some((k, f)) = decimal_scale(d) else { break };
        let Some(m) = v.numer().to_i128().and_then(|m| m.checked_mul(f)) else { break };
        scaled.push((m, k));
    }
    if scaled.len() < col.len() {
        return ColumnValues::Exact(col.into_iter().cloned().collect());
    }
    let scale = scaled.iter().map(|&(_, k)| k).max().unwrap_or(0);
    let mut values = Vec::with_capacity(scaled.len());
    for (m, k) in scaled {
        match 10i128.checked_pow(scale - k).and_then(|f| m.checked_mul(f)) {
            Some(v) => values.push(v),
            None => return ColumnValues::Exact(col.into_iter().cloned().collect()),
        }
    }
    ColumnValues::Scaled { values, scale }
}

/// For a denominator 2^a·5^b: the decimal scale k = max(a, b) and the factor 10^k / d that
/// brings a numerator to it; `None` for any other denominator (e.g. thirds).
fn decimal_scale(d: u128) -> Option<(u32, i128)> {
    let (mut rest, mut twos, mut fives) = (d, 0u32, 0u32);
    while rest % 2 == 0 && rest > 0 {
        rest /= 2;
        twos += 1;
    }
    while rest % 5 == 0 && rest > 0 {
        rest /= 5;
        fives += 1;
    }
    if rest != 1 {
        return None;
    }
    let k = twos.max(fives);
    let f = 2i128.checked_pow(k - twos)?.checked_mul(5i128.checked_pow(k - fives)?)?;
    Some((k, f))
}

/// The combined values as numerators over one common positive denominator, in 128-bit
/// integers; `None` when an input is not a machine integer or a product would overflow.
///
/// vᵢ = Σₖ (pₖ/qₖ) · xᵢₖ / Sₖ = Nᵢ / D with D = lcmₖ(qₖ·Sₖ) and Nᵢ = Σₖ pₖ · (D / (qₖ·Sₖ)) · xᵢₖ
/// (the columns' decimal scales cancel in the shares); a correction multiplies by
/// (po/qo + (pf/qf) · Cᵢ/10^s) = (po·qf·10^s + pf·qo·Cᵢ) / (qo·qf·10^s), whose denominator
/// is the same for every region.
fn machine_weights(terms: &TermColumns, correction: &CorrectionColumn, n: usize) -> Option<(Vec<i128>, i128)> {
    use num_integer::Integer;
    use num_traits::ToPrimitive;
    let fraction = |q: &BigRational| Some((q.numer().to_i128()?, q.denom().to_i128()?));
    let mut parts = Vec::with_capacity(terms.len());
    let mut d: i128 = 1;
    for (col, alpha, _) in terms {
        let ColumnValues::Scaled { values, .. } = &col.values else { return None };
        let (p, q) = fraction(alpha)?;
        let s = values.iter().try_fold(0i128, |a, &v| a.checked_add(v))?;
        let qs = q.checked_mul(s)?;
        d = (d / d.gcd(&qs)).checked_mul(qs)?;
        parts.push((values, p, qs));
    }
    let mut numerators = vec![0i128; n];
    for (values, p, qs) in parts {
        let m = p.checked_mul(d / qs)?;
        for (acc, &x) in numerators.iter_mut().zip(values) {
            *acc = acc.checked_add(m.checked_mul(x)?)?;
        }
    }
    if let Some((col, offset, factor)) = correction {
        let ColumnValues::Scaled { values, scale } = &col.values else { return None };
        let (po, qo) = fraction(offset)?;
        let (pf, qf) = fraction(factor)?;
        let ten = 10i128.checked_pow(*scale)?;
        let base = po.checked_mul(qf)?.checked_mul(ten)?;
        let slope = pf.checked_mul(qo)?;
        for (acc, &c) in numerators.iter_mut().zip(values) {
            *acc = acc.checked_mul(base.checked_add(slope.checked_mul(c)?)?)?;
        }
        d = d.checked_mul(qo.checked_mul(qf)?.checked_mul(ten)?)?;
    }
    Some((numerators, d))
}

/// Whole weights from non-negative numerators Nᵢ over the common denominator D: what
/// [`to_whole_weights`] gives for the reduced fractions Nᵢ/D, namely L·vᵢ with L the least
/// common multiple of the reduced denominators. Every reduced denominator divides D, and
/// L = D / g with g = gcd(D, N₁, …, Nₙ); so L·vᵢ = Nᵢ / g.
fn common_divided(numerators: &[i128], denominator: i128) -> Vec<u128> {
    use num_integer::Integer;
    let mut g = denominator as u128;
    for &v in numerators {
        if g == 1 {
            break;
        }
        g = g.gcd(&(v as u128));
    }
    numerators.iter().map(|&v| v as u128 / g).collect()
}

fn decimals_of(v: &BigRational) -> u32 {
    // Enough decimals to show a short decimal exactly (denominator divides 10^k).
    let ten = num_bigint::BigInt::from(10u8);
    (0..=12).find(|&k| (ten.pow(k) % v.denom()).is_zero()).unwrap_or(6)
}

impl FromStr for KeyStatus {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        match s {
            "official" => Ok(KeyStatus::Official),
            "reconstruction" => Ok(KeyStatus::Reconstruction),
            "illustrative" => Ok(KeyStatus::Illustrative),
            _ => Err(CoreError::invalid(format!("unknown status '{s}'"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> RegionSet {
        RegionSet::parse_csv("t.csv", "code,name,g,gn,pop\nA,Alpha,G,G,600\nB,Beta,G,G,300\nC,Gamma,G,G,100\n").unwrap()
    }

    fn def(text: &str) -> KeyDefinition {
        KeyDefinition::parse("k.toml", text).unwrap()
    }

    const HEAD: &str =
        "id='t'\nversion='1'\ntitle='t'\njurisdiction='X'\nstatus='illustrative'\nsource='test'\nmethod='hamilton'\n";

    #[test]
    fn population_key_is_proportional() {
        let d = def(&format!("{HEAD}[[terms]]\nindicator='inwoners'\nweight='1'\n"));
        let r = run_key(&d, &set(), &Indicators::default(), 10, None).unwrap();
        assert_eq!(r.seats(), &[6, 3, 1]);
    }

    #[test]
    fn negative_shares_are_floored_and_redistributed() {
        // 2·pop share − imm share: A = 1.2 − 0.2 = 1.0, B = 0.6 − 0.2 = 0.4, C = 0.2 − 0.6 < 0.
        let d = def(&format!(
            "{HEAD}floor_at_zero=true\n[[terms]]\nindicator='inwoners'\nweight='2'\n[[terms]]\nindicator='imm'\nweight='-1'\n"
        ));
        let mut ind = Indicators::default();
        ind.add_csv("i.csv", "code,imm\nA,10\nB,10\nC,30\n").unwrap();
        let r = run_key(&d, &set(), &ind, 7, None).unwrap();
        assert_eq!(r.seats(), &[5, 2, 0]);
        assert!(r.floored[2]);
    }

    #[test]
    fn negatives_without_floor_are_an_error() {
        let d = def(&format!(
            "{HEAD}[[terms]]\nindicator='inwoners'\nweight='2'\n[[terms]]\nindicator='imm'\nweight='-1'\n"
        ));
        let mut ind = Indicators::default();
        ind.add_csv("i.csv", "code,imm\nA,10\nB,10\nC,30\n").unwrap();
        let e = run_key(&d, &set(), &ind, 7, None).unwrap_err().to_string();
        assert!(e.contains("negative weight"), "{e}");
    }

    #[test]
    fn missing_and_extra_codes_are_listed() {
        let d = def(&format!("{HEAD}[[terms]]\nindicator='x'\nweight='1'\n"));
        let mut ind = Indicators::default();
        ind.add_csv("i.csv", "code,x\nA,1\nB,1\nZ,1\n").unwrap();
        let e = run_key(&d, &set(), &ind, 7, None).unwrap_err().to_string();
        assert!(e.contains("missing 1 code(s): C") && e.contains("unknown 1 code(s): Z"), "{e}");
    }

    #[test]
    fn correction_multiplies() {
        let d = def(&format!("{HEAD}[[terms]]\nindicator='inwoners'\nweight='1'\n[correction]\nindicator='ses'\n"));
        let mut ind = Indicators::default();
        ind.add_csv("s.csv", "code,ses\nA,-0.5\nB,0\nC,2\n").unwrap();
        // weights 600·0.5=300, 300·1=300, 100·3=300 → equal thirds.
        let r = run_key(&d, &set(), &ind, 9, None).unwrap();
        assert_eq!(r.seats(), &[3, 3, 3]);
    }

    /// Values not chosen for the answer: four municipalities with uneven populations and
    /// SES-WOA scores, 1,000 places. Expected seats computed outside this code (Python
    /// `fractions`, largest remainders on inhabitants × (1 + SES-WOA)): quotas 315.44,
    /// 390.62, 268.08, 25.86 → 315, 391, 268, 26.
    #[test]
    fn ses_woa_correction_on_uneven_values() {
        let set = RegionSet::parse_csv(
            "t.csv",
            "code,name,g,gn,pop\nA,Alpha,G,G,123457\nB,Beta,G,G,98765\nC,Gamma,G,G,54321\nD,Delta,G,G,7777\n",
        )
        .unwrap();
        let d = def(&format!("{HEAD}[[terms]]\nindicator='inwoners'\nweight='1'\n[correction]\nindicator='ses'\n"));
        let mut ind = Indicators::default();
        ind.add_csv("s.csv", "code,ses\nA,-0.27\nB,0.13\nC,0.41\nD,-0.05\n").unwrap();
        let r = run_key(&d, &set, &ind, 1000, None).unwrap();
        assert_eq!(r.seats(), &[315, 391, 268, 26]);
    }

    #[test]
    fn toml_errors_name_the_line() {
        let e = KeyDefinition::parse("bad.toml", "id='x'\nversion=1\n").unwrap_err().to_string();
        assert!(e.starts_with("bad.toml:2:"), "{e}");
    }

    /// Kamerstuk 36333, F: the SES-WOA correction is required; without it only with a reason.
    #[test]
    fn the_law_requires_the_ses_woa_key_or_a_recorded_deviation() {
        let law = crate::bundled::key(crate::bundled::SPREIDINGSWET_KEY).unwrap().unwrap();
        let pop = crate::bundled::key(crate::bundled::POPULATION_KEY).unwrap().unwrap();
        assert_eq!(legal_key_check(&law, None).unwrap(), None);
        assert!(legal_key_check(&law, Some("no reason needed")).is_err());
        assert!(matches!(legal_key_check(&pop, None), Err(CoreError::Conflict(_))));
        assert!(legal_key_check(&pop, Some("short")).is_err());
        let r = legal_key_check(&pop, Some("SES-WOA 2024 not yet published by CBS")).unwrap();
        assert_eq!(r.as_deref(), Some("SES-WOA 2024 not yet published by CBS"));
    }

    #[test]
    fn fractions_are_exact() {
        assert_eq!(parse_fraction("2/3").unwrap(), BigRational::new(2.into(), 3.into()));
    }
}
