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

    /// Check that `name` covers exactly the regions of `set`; lists missing and extra codes.
    fn column_for(&self, name: &str, set: &RegionSet) -> Result<Vec<BigRational>, CoreError> {
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
        Ok(set.regions.iter().map(|r| col[&r.code.as_str().to_ascii_uppercase()].clone()).collect())
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

/// The outcome of running a key on a region set.
#[derive(Clone, Debug)]
pub struct KeyResult {
    pub definition: KeyDefinition,
    pub set_source: String,
    pub total: u64,
    /// Combined value per region (step 1–2), before flooring.
    pub values: Vec<BigRational>,
    /// Whether step 3 set the region's value to zero.
    pub floored: Vec<bool>,
    pub inputs: Vec<Vec<TermInput>>,
    /// The correction factor per region (offset + factor·c), when the key has one.
    pub correction: Vec<Option<BigRational>>,
    pub apportionment: Apportionment,
}

impl KeyResult {
    pub fn seats(&self) -> &[u64] {
        &self.apportionment.seats
    }
}

/// Run `def` on `set` for `total` places, with indicator data.
pub fn run_key(
    def: &KeyDefinition,
    set: &RegionSet,
    indicators: &Indicators,
    total: u64,
    method_override: Option<Method>,
) -> Result<KeyResult, CoreError> {
    let n = set.regions.len();
    let column = |name: &str| -> Result<Vec<BigRational>, CoreError> {
        if name == POPULATION && !indicators.has(POPULATION) {
            Ok(set.regions.iter().map(|r| BigRational::from_integer(r.population.into())).collect())
        } else {
            indicators.column_for(name, set)
        }
    };
    let mut values = vec![BigRational::zero(); n];
    let mut inputs: Vec<Vec<TermInput>> = vec![Vec::new(); n];
    for t in &def.terms {
        let alpha = parse_fraction(&t.weight)?;
        let xs = column(&t.indicator)?;
        let sum: BigRational = xs.iter().sum();
        if sum.is_zero() || sum.is_negative() {
            return Err(CoreError::invalid(format!(
                "indicator '{}' adds up to {} over all regions: a share needs a positive total",
                t.indicator,
                rational_to_decimal(&sum, 4)
            )));
        }
        for (i, x) in xs.iter().enumerate() {
            let share = x / &sum;
            values[i] += &alpha * &share;
            inputs[i].push(TermInput {
                indicator: t.indicator.clone(),
                value: rational_to_decimal(x, decimals_of(x)),
                share: rational_to_decimal(&share, 8),
                weight: t.weight.clone(),
            });
        }
    }
    let mut correction = vec![None; n];
    if let Some(c) = &def.correction {
        let offset = parse_fraction(&c.offset)?;
        let factor = parse_fraction(&c.factor)?;
        let cs = column(&c.indicator)?;
        for (i, ci) in cs.iter().enumerate() {
            let f = &offset + &factor * ci;
            values[i] *= &f;
            inputs[i].push(TermInput {
                indicator: c.indicator.clone(),
                value: rational_to_decimal(ci, decimals_of(ci)),
                share: String::new(),
                weight: format!("× ({} + {} × value)", c.offset, c.factor),
            });
            correction[i] = Some(f);
        }
    }
    let mut floored = vec![false; n];
    let mut used = values.clone();
    for (i, v) in used.iter_mut().enumerate() {
        if v.is_negative() {
            if def.floor_at_zero {
                *v = BigRational::zero();
                floored[i] = true;
            } else {
                return Err(CoreError::invalid(format!(
                    "key {} gives region {} ({}) a negative weight {}; the definition does not allow that \
                     (set floor_at_zero = true if negatives should become 0)",
                    def.id,
                    set.regions[i].code,
                    set.regions[i].name,
                    rational_to_decimal(v, 8)
                )));
            }
        }
    }
    let whole = to_whole_weights(&used);
    let ids: Vec<&str> = set.regions.iter().map(|r| r.code.as_str()).collect();
    let method = method_override.unwrap_or(def.method);
    let apportionment = apportion(method, &ids, &whole, total)?;
    Ok(KeyResult {
        definition: def.clone(),
        set_source: set.source.clone(),
        total,
        values,
        floored,
        inputs,
        correction,
        apportionment,
    })
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
