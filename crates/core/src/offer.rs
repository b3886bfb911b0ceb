//! What municipalities offer at the provincial table, and the swaps the table agrees.
//!
//! An offer names a location, its kind, its places (and how many of them are for
//! unaccompanied minors, AMV), how many years the places will be available and from when.
//! Whether an offer *counts* towards the task is a rule of law, in [`crate::plan`].

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::cycle::Calendar;
use crate::error::{CoreError, Located};
use crate::region::{GmCode, Netherlands, csv_reader, field, header};

/// Largest number of places one offer (one location) may carry: larger than any location in
/// the Netherlands (Ter Apel is capped at 2,000 by agreement and court order; docs/DOMAIN-BRIEF.md §5).
/// A plausibility bound against typing errors — **(setting)**, not a rule of law.
pub const MAX_OFFER_PLACES: u64 = 5_000;

/// Longest availability an offer may state (years): a plausibility bound — **(setting)**.
pub const MAX_OFFER_YEARS: u32 = 50;

/// What kind of places are offered. Only durable places count towards the task (Besluit
/// art. 1.1, *duurzame opvangplaatsen*: available for at least five years); in cycle 2
/// "only long-term places count" (Kamerbrief 2026D05614). See [`crate::plan::count_offer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferKind {
    /// Regular reception places (an azc of COA or a municipal operation), meant to be durable.
    RegularDurable,
    /// Regular places for a limited time (e.g. a building available for two years).
    Temporary,
    /// Emergency reception (noodopvang): halls, hotels, ships, pavilions.
    Noodopvang,
    /// Crisis emergency reception (crisisnoodopvang), meant for about a week.
    Crisisnoodopvang,
    /// Small-scale housing for unaccompanied minors (AMV kleinschalig); every place is AMV.
    AmvSmallScale,
    /// A registration centre (aanmeldvoorziening, Besluit art. 1.1), e.g. Ter Apel.
    RegistrationCentre,
}

impl OfferKind {
    pub const ALL: [OfferKind; 6] = [
        OfferKind::RegularDurable,
        OfferKind::Temporary,
        OfferKind::Noodopvang,
        OfferKind::Crisisnoodopvang,
        OfferKind::AmvSmallScale,
        OfferKind::RegistrationCentre,
    ];

    /// The code in files, the API and the database.
    pub fn code(self) -> &'static str {
        match self {
            OfferKind::RegularDurable => "regular_durable",
            OfferKind::Temporary => "temporary",
            OfferKind::Noodopvang => "noodopvang",
            OfferKind::Crisisnoodopvang => "crisisnoodopvang",
            OfferKind::AmvSmallScale => "amv_small_scale",
            OfferKind::RegistrationCentre => "registration_centre",
        }
    }

    /// Dutch label for people.
    pub fn label_nl(self) -> &'static str {
        match self {
            OfferKind::RegularDurable => "regulier, duurzaam",
            OfferKind::Temporary => "tijdelijk",
            OfferKind::Noodopvang => "noodopvang",
            OfferKind::Crisisnoodopvang => "crisisnoodopvang",
            OfferKind::AmvSmallScale => "kleinschalig AMV",
            OfferKind::RegistrationCentre => "aanmeldcentrum",
        }
    }

    /// English label for people.
    pub fn label_en(self) -> &'static str {
        match self {
            OfferKind::RegularDurable => "regular, durable",
            OfferKind::Temporary => "temporary",
            OfferKind::Noodopvang => "emergency reception (noodopvang)",
            OfferKind::Crisisnoodopvang => "crisis emergency reception",
            OfferKind::AmvSmallScale => "small-scale for unaccompanied minors",
            OfferKind::RegistrationCentre => "registration centre",
        }
    }

    /// Emergency reception: never durable (docs/DOMAIN-BRIEF.md §3).
    pub fn is_emergency(self) -> bool {
        matches!(self, OfferKind::Noodopvang | OfferKind::Crisisnoodopvang)
    }
}

impl fmt::Display for OfferKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for OfferKind {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        Ok(match s.trim().to_ascii_lowercase().replace(['-', ' '], "_").as_str() {
            "regular_durable" | "regular" | "regulier" | "duurzaam" | "azc" => OfferKind::RegularDurable,
            "temporary" | "tijdelijk" => OfferKind::Temporary,
            "noodopvang" | "emergency" => OfferKind::Noodopvang,
            "crisisnoodopvang" | "crisis" => OfferKind::Crisisnoodopvang,
            "amv_small_scale" | "amv" | "amv_kleinschalig" | "kleinschalig_amv" => OfferKind::AmvSmallScale,
            "registration_centre" | "registration_center" | "aanmeldcentrum" | "aanmeldvoorziening" => {
                OfferKind::RegistrationCentre
            }
            other => {
                return Err(CoreError::invalid(format!(
                    "unknown offer kind '{other}': use one of {}",
                    OfferKind::ALL.map(|k| k.code()).join(", ")
                )));
            }
        })
    }
}

/// Places offered by one municipality at one location.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub gm_code: GmCode,
    /// Name or address of the location; unique per municipality within a cycle.
    pub location: String,
    pub kind: OfferKind,
    pub places: u64,
    /// Of `places`, those for unaccompanied minors (AMV). All of them for AMV small-scale.
    pub amv_places: u64,
    /// Years the places will be available (durable: at least five, Besluit art. 1.1).
    pub years: u32,
    pub available_from: NaiveDate,
}

impl Offer {
    /// Check the offer on its own: a location name, a plausible number of places, an AMV
    /// part that fits, an availability date within reach of the cycle. Errors name the field.
    pub fn validate(&self, calendar: Calendar) -> Result<(), CoreError> {
        let loc = self.location.trim();
        if loc.is_empty() || loc.chars().count() > 200 {
            return Err(CoreError::invalid("location: give the location's name or address (1–200 characters)"));
        }
        if self.places == 0 {
            return Err(CoreError::invalid("places: an offer needs at least 1 place"));
        }
        if self.places > MAX_OFFER_PLACES {
            return Err(CoreError::invalid(format!(
                "places: {} places at one location is implausible (at most {MAX_OFFER_PLACES}); split it over \
                 locations or check the number",
                self.places
            )));
        }
        if self.amv_places > self.places {
            return Err(CoreError::invalid(format!(
                "amv_places: {} AMV places cannot exceed the {} places offered",
                self.amv_places, self.places
            )));
        }
        if self.kind == OfferKind::AmvSmallScale && self.amv_places != self.places {
            return Err(CoreError::invalid(format!(
                "amv_places: every place of an AMV small-scale location is for unaccompanied minors; give {} (or \
                 leave it empty)",
                self.places
            )));
        }
        if self.years == 0 || self.years > MAX_OFFER_YEARS {
            return Err(CoreError::invalid(format!(
                "years: give the number of years the places are available, 1 to {MAX_OFFER_YEARS} (durable: at \
                 least 5)"
            )));
        }
        let latest = Calendar::date(calendar.year + 3, 1, 1);
        if self.available_from < calendar.earliest() || self.available_from >= latest {
            return Err(CoreError::invalid(format!(
                "available_from: {} is outside this cycle (from {} until before {})",
                self.available_from,
                calendar.earliest(),
                latest
            )));
        }
        Ok(())
    }
}

/// The columns of an offers file, in order (CSV header, JSON field names).
pub const OFFER_COLUMNS: [&str; 7] = ["gm_code", "location", "kind", "places", "amv_places", "years", "available_from"];

/// Parse offers in bulk: CSV with the header [`OFFER_COLUMNS`], or a JSON array of objects
/// with the same fields. `amv_places` may be empty (all places for AMV small-scale, else 0).
/// Errors name the file, line (CSV) or element (JSON, 1-based) and field. Codes are checked
/// against `nl`.
pub fn parse_offers(source: &str, text: &str, nl: &Netherlands) -> Result<Vec<Offer>, CoreError> {
    let check_gm = |o: &Offer| {
        if nl.municipality(o.gm_code).is_none() {
            Err(CoreError::invalid(format!("unknown municipality {}: not in the reference data", o.gm_code)))
        } else {
            Ok(())
        }
    };
    if text.trim_start().starts_with('[') {
        let rows: Vec<serde_json::Value> = serde_json::from_str(text)
            .map_err(|e| CoreError::invalid(format!("{source}: not a JSON array of offers: {e}")))?;
        let mut out = Vec::with_capacity(rows.len());
        for (i, v) in rows.into_iter().enumerate() {
            let at = |f: &str| Located::new(&format!("{source} element {}", i + 1), 0, f);
            let get = |f: &str| -> Result<String, CoreError> {
                match v.get(f) {
                    Some(serde_json::Value::String(s)) => Ok(s.clone()),
                    Some(serde_json::Value::Number(n)) => Ok(n.to_string()),
                    None | Some(serde_json::Value::Null) if f == "amv_places" => Ok(String::new()),
                    _ => Err(CoreError::invalid("missing").at(at(f))),
                }
            };
            let fields: Vec<String> = OFFER_COLUMNS.iter().map(|f| get(f)).collect::<Result<_, _>>()?;
            let o = offer_from_fields(&fields).map_err(|(f, e)| e.at(at(f)))?;
            check_gm(&o).map_err(|e| e.at(at("gm_code")))?;
            out.push(o);
        }
        return Ok(out);
    }
    let mut rdr = csv_reader(text);
    let h = header(&mut rdr, source)?;
    if h != OFFER_COLUMNS {
        return Err(CoreError::invalid(format!(
            "{source}:1: header must be `{}`, found `{}`",
            OFFER_COLUMNS.join(","),
            h.join(",")
        )));
    }
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let at = |f: &str| Located::new(source, line, f);
        let rec = rec.map_err(|e| CoreError::invalid(e.to_string()).at(at("")))?;
        if rec.len() != OFFER_COLUMNS.len() {
            return Err(
                CoreError::invalid(format!("expected {} fields, found {}", OFFER_COLUMNS.len(), rec.len())).at(at(""))
            );
        }
        let fields: Vec<String> = (0..OFFER_COLUMNS.len()).map(|k| field(&rec, k).to_string()).collect();
        let o = offer_from_fields(&fields).map_err(|(f, e)| e.at(at(f)))?;
        check_gm(&o).map_err(|e| e.at(at("gm_code")))?;
        out.push(o);
    }
    Ok(out)
}

fn offer_from_fields(f: &[String]) -> Result<Offer, (&'static str, CoreError)> {
    let gm_code: GmCode = f[0].parse().map_err(|e| ("gm_code", e))?;
    let kind: OfferKind = f[2].parse().map_err(|e| ("kind", e))?;
    let whole = |name: &'static str, v: &str| -> Result<u64, (&'static str, CoreError)> {
        v.trim()
            .parse::<u64>()
            .map_err(|_| (name, CoreError::invalid(format!("'{v}' is not a whole, non-negative number"))))
    };
    let places = whole("places", &f[3])?;
    let amv_places = match f[4].trim() {
        "" if kind == OfferKind::AmvSmallScale => places,
        "" => 0,
        v => whole("amv_places", v)?,
    };
    let years = u32::try_from(whole("years", &f[5])?)
        .map_err(|_| ("years", CoreError::invalid(format!("'{}' years is implausible", f[5]))))?;
    let available_from: NaiveDate = f[6]
        .trim()
        .parse()
        .map_err(|_| ("available_from", CoreError::invalid(format!("'{}' is not a date: use YYYY-MM-DD", f[6]))))?;
    Ok(Offer { gm_code, location: f[1].trim().to_string(), kind, places, amv_places, years, available_from })
}

/// A swap agreed in the provincial table: `to` takes over `places` of `from`'s task (for
/// instance because `from` houses more permit holders), of which `amv_places` of the AMV
/// part. The provincial total holds (docs/DOMAIN-BRIEF.md §3). Limits: [`crate::plan::check_swap`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Swap {
    pub from: GmCode,
    pub to: GmCode,
    /// Places of the task moved, AMV places included.
    pub places: u64,
    /// Of `places`, places of the AMV sub-task.
    #[serde(default)]
    pub amv_places: u64,
    pub note: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAL: Calendar = Calendar { year: 2024 };

    #[test]
    fn offers_parse_and_name_the_line() {
        let nl = crate::bundled::netherlands().unwrap();
        let head = "gm_code,location,kind,places,amv_places,years,available_from\n";
        let ok = format!(
            "{head}GM0363,Azc Zuidoost,regular_durable,400,,10,2024-06-01\nGM0363,Kids,amv,16,,10,2024-06-01\n"
        );
        let o = parse_offers("o.csv", &ok, &nl).unwrap();
        assert_eq!((o[0].places, o[0].amv_places, o[0].years), (400, 0, 10));
        assert_eq!((o[1].kind, o[1].amv_places), (OfferKind::AmvSmallScale, 16));
        let bad = format!("{ok}GM9999,X,temporary,10,0,2,2024-06-01\n");
        let e = parse_offers("o.csv", &bad, &nl).unwrap_err().to_string();
        assert!(e.starts_with("o.csv:4: gm_code: unknown municipality GM9999"), "{e}");
        let neg = format!("{ok}GM0363,Y,temporary,-5,0,2,2024-06-01\n");
        assert!(parse_offers("o.csv", &neg, &nl).unwrap_err().to_string().contains("o.csv:4: places"));
        let kind = format!("{ok}GM0363,Y,hotel,5,0,2,2024-06-01\n");
        assert!(
            parse_offers("o.csv", &kind, &nl).unwrap_err().to_string().contains("o.csv:4: kind: unknown offer kind")
        );
        let json = r#"[{"gm_code":"GM0363","location":"A","kind":"amv_small_scale","places":10,"years":5,"available_from":"2024-05-01"},
                       {"gm_code":"GM0363","location":"B","kind":"temporary","places":"x","years":2,"available_from":"2024-05-01"}]"#;
        let e = parse_offers("o.json", json, &nl).unwrap_err().to_string();
        assert!(e.contains("o.json element 2: places"), "{e}");
        let old = "gm_code,location,places,kind,durable,available_from\nGM0363,A,5,coa,yes,2024-06-01\n";
        let e = parse_offers("old.csv", old, &nl).unwrap_err().to_string();
        assert!(e.starts_with("old.csv:1: header must be `gm_code,location,kind,places,amv_places"), "{e}");
    }

    #[test]
    fn an_offer_is_checked_field_by_field() {
        let base = Offer {
            gm_code: "GM0363".parse().unwrap(),
            location: "A".into(),
            kind: OfferKind::RegularDurable,
            places: 100,
            amv_places: 0,
            years: 10,
            available_from: "2024-06-01".parse().unwrap(),
        };
        assert!(base.validate(CAL).is_ok());
        let e = |o: Offer| o.validate(CAL).unwrap_err().to_string();
        assert!(e(Offer { places: MAX_OFFER_PLACES + 1, ..base.clone() }).contains("implausible"));
        assert!(e(Offer { amv_places: 101, ..base.clone() }).starts_with("amv_places"));
        assert!(e(Offer { kind: OfferKind::AmvSmallScale, amv_places: 10, ..base.clone() }).starts_with("amv_places"));
        assert!(e(Offer { years: 0, ..base.clone() }).starts_with("years"));
        assert!(e(Offer { location: " ".into(), ..base.clone() }).starts_with("location"));
        assert!(e(Offer { available_from: "2030-01-01".parse().unwrap(), ..base }).starts_with("available_from"));
    }
}
