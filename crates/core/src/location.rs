//! Reception locations (opvanglocaties): the kinds the law and COA distinguish.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Located};
use crate::region::GmCode;

/// Type of a reception location.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationType {
    /// Regular asylum seekers' centre (azc), run by COA.
    RegularAzc,
    /// Municipal operation (gemeentelijke exploitatie), Wet art. 1 / Besluit art. 1.1.
    MunicipalOperation,
    /// Small-scale location.
    SmallScale,
    /// Family location (gezinslocatie).
    FamilyLocation,
    /// Small-scale housing for unaccompanied minors (AMV kleinschalig).
    AmvSmallScale,
    /// Protected/guarded housing for unaccompanied minors (beschermde opvang).
    AmvGuarded,
    /// Emergency reception (noodopvang): temporary, does not count as durable (docs/DOMAIN-BRIEF.md §3).
    Noodopvang,
    /// Crisis emergency reception (crisisnoodopvang): at most about a week (Handreiking
    /// crisisnoodopvang, 2 Dec 2020, as quoted in ECLI:NL:GHDHA:2022:2429).
    Crisisnoodopvang,
    /// Registration centre (aanmeldvoorziening, Besluit art. 1.1), e.g. Ter Apel.
    RegistrationCentre,
    Other,
}

impl LocationType {
    pub const ALL: [LocationType; 10] = [
        LocationType::RegularAzc,
        LocationType::MunicipalOperation,
        LocationType::SmallScale,
        LocationType::FamilyLocation,
        LocationType::AmvSmallScale,
        LocationType::AmvGuarded,
        LocationType::Noodopvang,
        LocationType::Crisisnoodopvang,
        LocationType::RegistrationCentre,
        LocationType::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            LocationType::RegularAzc => "azc",
            LocationType::MunicipalOperation => "gemeentelijk",
            LocationType::SmallScale => "kleinschalig",
            LocationType::FamilyLocation => "gezinslocatie",
            LocationType::AmvSmallScale => "amv-kleinschalig",
            LocationType::AmvGuarded => "amv-beschermd",
            LocationType::Noodopvang => "noodopvang",
            LocationType::Crisisnoodopvang => "crisisnoodopvang",
            LocationType::RegistrationCentre => "aanmeldcentrum",
            LocationType::Other => "overig",
        }
    }

    /// Temporary emergency reception never counts as durable (docs/DOMAIN-BRIEF.md §3).
    pub fn is_emergency(self) -> bool {
        matches!(self, LocationType::Noodopvang | LocationType::Crisisnoodopvang)
    }

    pub fn is_amv(self) -> bool {
        matches!(self, LocationType::AmvSmallScale | LocationType::AmvGuarded)
    }
}

impl fmt::Display for LocationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for LocationType {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        let k = s.trim().to_ascii_lowercase().replace(['_', ' '], "-");
        Ok(match k.as_str() {
            "azc" | "regular-azc" | "regulier" => LocationType::RegularAzc,
            "gemeentelijk" | "exploitatie" | "municipal-operation" | "municipal" => LocationType::MunicipalOperation,
            "kleinschalig" | "small-scale" => LocationType::SmallScale,
            "gezinslocatie" | "family-location" | "family" => LocationType::FamilyLocation,
            "amv-kleinschalig" | "amv-small-scale" | "amv" => LocationType::AmvSmallScale,
            "amv-beschermd" | "amv-guarded" => LocationType::AmvGuarded,
            "noodopvang" | "emergency" => LocationType::Noodopvang,
            "crisisnoodopvang" | "crisis-emergency" => LocationType::Crisisnoodopvang,
            "aanmeldcentrum" | "aanmeldvoorziening" | "registration-centre" | "registration-center" => {
                LocationType::RegistrationCentre
            }
            "overig" | "other" => LocationType::Other,
            _ => {
                return Err(CoreError::invalid(format!(
                    "unknown location type '{}': use one of {}",
                    s.trim(),
                    LocationType::ALL.map(|t| t.code()).join(", ")
                )));
            }
        })
    }
}

/// Who runs a location.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    /// Centraal Orgaan opvang asielzoekers (COA).
    Coa,
    /// A municipality (gemeentelijke exploitatie).
    Municipality,
    Other,
}

impl Operator {
    pub fn code(self) -> &'static str {
        match self {
            Operator::Coa => "coa",
            Operator::Municipality => "gemeente",
            Operator::Other => "overig",
        }
    }
}

impl FromStr for Operator {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "coa" => Operator::Coa,
            "gemeente" | "municipality" => Operator::Municipality,
            "overig" | "other" => Operator::Other,
            other => {
                return Err(CoreError::invalid(format!("unknown operator '{other}': use coa, gemeente or overig")));
            }
        })
    }
}

/// Facilities of a location. `None` means unknown: the quality framework then reports
/// *unknown*, never pass.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Facilities {
    /// Bedrooms can be locked (EUAA 2016, collective housing).
    pub lockable_bedrooms: Option<bool>,
    /// Separate sanitary facilities (men/women; safety of women, LGBTI, victims).
    pub separate_sanitary: Option<bool>,
    /// Play space for children (RCD 2024/1346 art. 26).
    pub play_space: Option<bool>,
    /// Open-air space (RCD 2024/1346 art. 26).
    pub open_air_space: Option<bool>,
    /// A private room for meetings with a guardian or lawyer (EUAA 2016; RCD art. 20).
    pub private_meeting_room: Option<bool>,
    /// Step-free access to entrance, bedrooms and sanitary facilities.
    pub step_free: Option<bool>,
    /// Medical post on site.
    pub medical_post: Option<bool>,
    /// At most one family per bedroom (EUAA 2016).
    pub one_family_per_bedroom: Option<bool>,
    /// One bed and a cupboard for each resident (EUAA 2016).
    pub bed_and_cupboard_each: Option<bool>,
    /// Boys and girls sleep separately (EUAA 2016, unaccompanied children).
    pub sex_separated_bedrooms: Option<bool>,
    /// Unaccompanied children are housed separately from adults (EUAA 2016).
    pub separated_from_adults: Option<bool>,
}

/// Travel times (minutes, by public transport or on foot) to services, and days until
/// access. `None` = unknown.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Access {
    pub school_min: Option<u32>,
    pub gp_min: Option<u32>,
    pub hospital_min: Option<u32>,
    pub legal_aid_min: Option<u32>,
    pub shops_min: Option<u32>,
    /// Typical days between arrival and a child's first school day here.
    pub school_access_days: Option<u32>,
    /// Typical days until the special-needs assessment is complete here.
    pub needs_assessment_days: Option<u32>,
}

/// One reception location (opvanglocatie) in the registry.
///
/// Only `id`, `name`, `municipality`, `operator`, `kind` and `beds` are required; every
/// other field may be unknown (`None`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub id: String,
    pub name: String,
    pub municipality: GmCode,
    pub operator: Operator,
    #[serde(rename = "type")]
    pub kind: LocationType,
    /// Capacity in beds.
    pub beds: u32,
    /// Persons housed now.
    #[serde(default)]
    pub occupied: Option<u32>,
    #[serde(default)]
    pub bedrooms: Option<u32>,
    /// Floor space of sleeping rooms per person (m²).
    #[serde(default)]
    pub m2_per_person: Option<f64>,
    /// Largest number of persons sharing one bedroom.
    #[serde(default)]
    pub persons_per_bedroom: Option<u32>,
    #[serde(default)]
    pub ceiling_height_m: Option<f64>,
    #[serde(default)]
    pub facilities: Facilities,
    #[serde(default)]
    pub access: Access,
    /// Longest stay the location is set up for (days); crisisnoodopvang ≈ 7.
    #[serde(default)]
    pub max_stay_days: Option<u32>,
    #[serde(default)]
    pub opened: Option<NaiveDate>,
    #[serde(default)]
    pub closing: Option<NaiveDate>,
    /// Cost per place per day, euro.
    #[serde(default)]
    pub cost_per_place_day: Option<f64>,
    /// Years the location is available for (durable ≥ 5).
    #[serde(default)]
    pub durability_years: Option<f64>,
    /// Several small locations of one municipality with the same cluster id may together
    /// count as durable (Stcrt. 2024, 3320; docs/DOMAIN-BRIEF.md §3).
    #[serde(default)]
    pub cluster: Option<String>,
}

/// A value of one registry field, for rules that read fields by name.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FieldValue {
    Number(f64),
    Flag(bool),
}

/// Kind of a registry field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    Number,
    Flag,
    Date,
    /// Free text (the cluster id).
    Text,
}

/// The optional registry fields, in CSV column order after the required ones.
pub const OPTIONAL_FIELDS: &[(&str, FieldKind)] = &[
    ("occupied", FieldKind::Number),
    ("bedrooms", FieldKind::Number),
    ("m2_per_person", FieldKind::Number),
    ("persons_per_bedroom", FieldKind::Number),
    ("ceiling_height_m", FieldKind::Number),
    ("lockable_bedrooms", FieldKind::Flag),
    ("separate_sanitary", FieldKind::Flag),
    ("play_space", FieldKind::Flag),
    ("open_air_space", FieldKind::Flag),
    ("private_meeting_room", FieldKind::Flag),
    ("step_free", FieldKind::Flag),
    ("medical_post", FieldKind::Flag),
    ("one_family_per_bedroom", FieldKind::Flag),
    ("bed_and_cupboard_each", FieldKind::Flag),
    ("sex_separated_bedrooms", FieldKind::Flag),
    ("separated_from_adults", FieldKind::Flag),
    ("school_min", FieldKind::Number),
    ("gp_min", FieldKind::Number),
    ("hospital_min", FieldKind::Number),
    ("legal_aid_min", FieldKind::Number),
    ("shops_min", FieldKind::Number),
    ("school_access_days", FieldKind::Number),
    ("needs_assessment_days", FieldKind::Number),
    ("max_stay_days", FieldKind::Number),
    ("opened", FieldKind::Date),
    ("closing", FieldKind::Date),
    ("cost_per_place_day", FieldKind::Number),
    ("durability_years", FieldKind::Number),
    ("cluster", FieldKind::Text),
];

/// The required columns, in order.
pub const REQUIRED_FIELDS: &[&str] = &["id", "name", "municipality", "operator", "type", "beds"];

impl Location {
    /// A location with only the required data; everything else unknown.
    pub fn new(id: &str, name: &str, municipality: GmCode, operator: Operator, kind: LocationType, beds: u32) -> Self {
        Location {
            id: id.to_string(),
            name: name.to_string(),
            municipality,
            operator,
            kind,
            beds,
            occupied: None,
            bedrooms: None,
            m2_per_person: None,
            persons_per_bedroom: None,
            ceiling_height_m: None,
            facilities: Facilities::default(),
            access: Access::default(),
            max_stay_days: None,
            opened: None,
            closing: None,
            cost_per_place_day: None,
            durability_years: None,
            cluster: None,
        }
    }

    /// The kind of a field by name (required numeric `beds` included), or None if no such field.
    pub fn field_kind(name: &str) -> Option<FieldKind> {
        if name == "beds" {
            return Some(FieldKind::Number);
        }
        OPTIONAL_FIELDS.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
    }

    /// Read a numeric or flag field by name; `None` = unknown (or a date / unknown name).
    pub fn value(&self, name: &str) -> Option<FieldValue> {
        let n = |v: Option<u32>| v.map(|x| FieldValue::Number(x as f64));
        let f = |v: Option<f64>| v.map(FieldValue::Number);
        let b = |v: Option<bool>| v.map(FieldValue::Flag);
        let fa = &self.facilities;
        let ac = &self.access;
        match name {
            "beds" => Some(FieldValue::Number(self.beds as f64)),
            "occupied" => n(self.occupied),
            "bedrooms" => n(self.bedrooms),
            "m2_per_person" => f(self.m2_per_person),
            "persons_per_bedroom" => n(self.persons_per_bedroom),
            "ceiling_height_m" => f(self.ceiling_height_m),
            "lockable_bedrooms" => b(fa.lockable_bedrooms),
            "separate_sanitary" => b(fa.separate_sanitary),
            "play_space" => b(fa.play_space),
            "open_air_space" => b(fa.open_air_space),
            "private_meeting_room" => b(fa.private_meeting_room),
            "step_free" => b(fa.step_free),
            "medical_post" => b(fa.medical_post),
            "one_family_per_bedroom" => b(fa.one_family_per_bedroom),
            "bed_and_cupboard_each" => b(fa.bed_and_cupboard_each),
            "sex_separated_bedrooms" => b(fa.sex_separated_bedrooms),
            "separated_from_adults" => b(fa.separated_from_adults),
            "school_min" => n(ac.school_min),
            "gp_min" => n(ac.gp_min),
            "hospital_min" => n(ac.hospital_min),
            "legal_aid_min" => n(ac.legal_aid_min),
            "shops_min" => n(ac.shops_min),
            "school_access_days" => n(ac.school_access_days),
            "needs_assessment_days" => n(ac.needs_assessment_days),
            "max_stay_days" => n(self.max_stay_days),
            "cost_per_place_day" => f(self.cost_per_place_day),
            "durability_years" => f(self.durability_years),
            _ => None,
        }
    }

    /// Set an optional field from its text form (empty = unknown). Errors say what to write.
    fn set(&mut self, name: &str, raw: &str) -> Result<(), CoreError> {
        let raw = raw.trim();
        Location::field_kind(name).ok_or_else(|| CoreError::invalid(format!("unknown column '{name}'")))?;
        if raw.is_empty() || raw.eq_ignore_ascii_case("unknown") || raw == "?" {
            return Ok(()); // unknown stays None
        }
        let num = || -> Result<f64, CoreError> {
            let v: f64 = raw.replace(',', ".").parse().map_err(|_| {
                CoreError::invalid(format!("'{raw}' is not a number: write e.g. 4.5, or leave empty when unknown"))
            })?;
            if !v.is_finite() || v < 0.0 {
                return Err(CoreError::invalid(format!("'{raw}' must be zero or more")));
            }
            Ok(v)
        };
        let whole = || -> Result<u32, CoreError> {
            raw.parse::<u32>().map_err(|_| {
                CoreError::invalid(format!(
                    "'{raw}' is not a whole number ≥ 0: write e.g. 12, or leave empty when unknown"
                ))
            })
        };
        let flag = || -> Result<bool, CoreError> {
            match raw.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "ja" | "j" | "y" => Ok(true),
                "0" | "false" | "no" | "nee" | "n" => Ok(false),
                _ => Err(CoreError::invalid(format!(
                    "'{raw}' is not yes/no: write ja or nee, or leave empty when unknown"
                ))),
            }
        };
        let date = || -> Result<NaiveDate, CoreError> {
            NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map_err(|_| CoreError::invalid(format!("'{raw}' is not a date: write YYYY-MM-DD, e.g. 2026-06-12")))
        };
        let fa = &mut self.facilities;
        let ac = &mut self.access;
        match name {
            "occupied" => self.occupied = Some(whole()?),
            "bedrooms" => self.bedrooms = Some(whole()?),
            "m2_per_person" => self.m2_per_person = Some(num()?),
            "persons_per_bedroom" => self.persons_per_bedroom = Some(whole()?),
            "ceiling_height_m" => self.ceiling_height_m = Some(num()?),
            "lockable_bedrooms" => fa.lockable_bedrooms = Some(flag()?),
            "separate_sanitary" => fa.separate_sanitary = Some(flag()?),
            "play_space" => fa.play_space = Some(flag()?),
            "open_air_space" => fa.open_air_space = Some(flag()?),
            "private_meeting_room" => fa.private_meeting_room = Some(flag()?),
            "step_free" => fa.step_free = Some(flag()?),
            "medical_post" => fa.medical_post = Some(flag()?),
            "one_family_per_bedroom" => fa.one_family_per_bedroom = Some(flag()?),
            "bed_and_cupboard_each" => fa.bed_and_cupboard_each = Some(flag()?),
            "sex_separated_bedrooms" => fa.sex_separated_bedrooms = Some(flag()?),
            "separated_from_adults" => fa.separated_from_adults = Some(flag()?),
            "school_min" => ac.school_min = Some(whole()?),
            "gp_min" => ac.gp_min = Some(whole()?),
            "hospital_min" => ac.hospital_min = Some(whole()?),
            "legal_aid_min" => ac.legal_aid_min = Some(whole()?),
            "shops_min" => ac.shops_min = Some(whole()?),
            "school_access_days" => ac.school_access_days = Some(whole()?),
            "needs_assessment_days" => ac.needs_assessment_days = Some(whole()?),
            "max_stay_days" => self.max_stay_days = Some(whole()?),
            "opened" => self.opened = Some(date()?),
            "closing" => self.closing = Some(date()?),
            "cost_per_place_day" => self.cost_per_place_day = Some(num()?),
            "durability_years" => self.durability_years = Some(num()?),
            "cluster" => {
                if raw.chars().count() > 64 {
                    return Err(CoreError::invalid("a cluster id has at most 64 characters"));
                }
                self.cluster = Some(raw.to_string())
            }
            _ => unreachable!("field table and setter agree"),
        }
        Ok(())
    }

    /// Text form of an optional field for CSV output (empty = unknown).
    fn text(&self, name: &str) -> String {
        match name {
            "opened" => self.opened.map(|d| d.to_string()).unwrap_or_default(),
            "closing" => self.closing.map(|d| d.to_string()).unwrap_or_default(),
            "cluster" => self.cluster.clone().unwrap_or_default(),
            _ => match self.value(name) {
                None => String::new(),
                Some(FieldValue::Flag(b)) => if b { "ja" } else { "nee" }.to_string(),
                Some(FieldValue::Number(v)) => {
                    if v.fract() == 0.0 {
                        format!("{}", v as i64)
                    } else {
                        format!("{v}")
                    }
                }
            },
        }
    }

    /// Is the location open on `date` (opened on or before, not yet closed)?
    pub fn is_open_on(&self, date: NaiveDate) -> bool {
        self.opened.is_none_or(|o| o <= date) && self.closing.is_none_or(|c| c > date)
    }

    fn check(&self) -> Result<(), (String, CoreError)> {
        if let Some(o) = self.occupied
            && o > self.beds
        {
            return Err((
                "occupied".into(),
                CoreError::invalid(format!("{o} persons housed but only {} beds: correct beds or occupied", self.beds)),
            ));
        }
        if let (Some(o), Some(c)) = (self.opened, self.closing)
            && c < o
        {
            return Err(("closing".into(), CoreError::invalid(format!("closing date {c} is before opening date {o}"))));
        }
        Ok(())
    }
}

/// Parse a location registry from CSV (header with at least the required columns; any
/// of [`OPTIONAL_FIELDS`] in any order; unknown columns are refused so typos surface).
pub fn parse_locations_csv(source: &str, text: &str) -> Result<Vec<Location>, CoreError> {
    let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| CoreError::invalid(e.to_string()).at(Located::new(source, 1, "")))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    for req in REQUIRED_FIELDS {
        if !headers.iter().any(|h| h == req) {
            return Err(CoreError::invalid(format!(
                "missing column '{req}': the header needs {} (other columns optional)",
                REQUIRED_FIELDS.join(",")
            ))
            .at(Located::new(source, 1, req)));
        }
    }
    for h in &headers {
        if !REQUIRED_FIELDS.contains(&h.as_str()) && Location::field_kind(h).is_none() {
            return Err(CoreError::invalid(format!(
                "unknown column '{h}': allowed are {} and {}",
                REQUIRED_FIELDS.join(","),
                OPTIONAL_FIELDS.iter().map(|f| f.0).collect::<Vec<_>>().join(",")
            ))
            .at(Located::new(source, 1, h)));
        }
    }
    let col = |name: &str| headers.iter().position(|h| h == name).expect("checked above");
    let mut out: Vec<Location> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| CoreError::invalid(e.to_string()).at(Located::new(source, line, "")))?;
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if rec.len() != headers.len() {
            return Err(CoreError::invalid(format!("expected {} fields, found {}", headers.len(), rec.len()))
                .at(Located::new(source, line, "")));
        }
        let at = |f: &str| Located::new(source, line, f);
        let get = |f: &str| rec.get(col(f)).unwrap_or("").trim().to_string();
        let id = get("id");
        if id.is_empty() {
            return Err(CoreError::invalid("empty: every location needs an id").at(at("id")));
        }
        if !seen.insert(id.clone()) {
            return Err(CoreError::invalid(format!("duplicate location id '{id}': each id once")).at(at("id")));
        }
        let name = get("name");
        let municipality: GmCode = get("municipality").parse().map_err(|e: CoreError| e.at(at("municipality")))?;
        let operator: Operator = get("operator").parse().map_err(|e: CoreError| e.at(at("operator")))?;
        let kind: LocationType = get("type").parse().map_err(|e: CoreError| e.at(at("type")))?;
        let beds: u32 = get("beds").parse().map_err(|_| {
            CoreError::invalid(format!("'{}' is not a whole number of beds: write e.g. 250", get("beds")))
                .at(at("beds"))
        })?;
        let mut loc = Location::new(&id, if name.is_empty() { &id } else { &name }, municipality, operator, kind, beds);
        for (idx, h) in headers.iter().enumerate() {
            if REQUIRED_FIELDS.contains(&h.as_str()) {
                continue;
            }
            loc.set(h, rec.get(idx).unwrap_or("")).map_err(|e| e.at(at(h)))?;
        }
        loc.check().map_err(|(f, e)| e.at(at(&f)))?;
        out.push(loc);
    }
    Ok(out)
}

/// Parse a location registry from JSON: an array of [`Location`] objects.
pub fn parse_locations_json(source: &str, text: &str) -> Result<Vec<Location>, CoreError> {
    let locs: Vec<Location> = serde_json::from_str(text).map_err(|e| {
        CoreError::invalid(format!("{e}: expected an array of locations, see docs/PLACEMENT.md")).at(Located::new(
            source,
            e.line(),
            "",
        ))
    })?;
    let mut seen = std::collections::HashSet::new();
    for (i, l) in locs.iter().enumerate() {
        let at = Located::new(source, 0, &format!("[{i}].id"));
        if !seen.insert(l.id.clone()) {
            return Err(CoreError::invalid(format!("duplicate location id '{}'", l.id)).at(at));
        }
        l.check().map_err(|(f, e)| e.at(Located::new(source, 0, &format!("[{i}].{f}"))))?;
    }
    Ok(locs)
}

/// Write a registry as CSV with every column (empty = unknown).
pub fn locations_to_csv(locs: &[Location]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<&str> = REQUIRED_FIELDS.to_vec();
    header.extend(OPTIONAL_FIELDS.iter().map(|f| f.0));
    w.write_record(&header).expect("in-memory write");
    for l in locs {
        let mut row = vec![
            l.id.clone(),
            l.name.clone(),
            l.municipality.to_string(),
            l.operator.code().to_string(),
            l.kind.code().to_string(),
            l.beds.to_string(),
        ];
        row.extend(OPTIONAL_FIELDS.iter().map(|(n, _)| l.text(n)));
        w.write_record(&row).expect("in-memory write");
    }
    String::from_utf8(w.into_inner().expect("in-memory")).expect("utf8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_round_trip_keeps_unknowns_unknown() {
        let text = "id,name,municipality,operator,type,beds,m2_per_person,play_space,opened\n\
                    L1,Zeist,GM0355,coa,azc,400,4.5,ja,2020-01-01\nL2,Hal,GM0363,coa,noodopvang,200,,,\n";
        let locs = parse_locations_csv("l.csv", text).unwrap();
        assert_eq!(locs[0].m2_per_person, Some(4.5));
        assert_eq!(locs[0].facilities.play_space, Some(true));
        assert_eq!(locs[1].m2_per_person, None);
        assert_eq!(locs[1].facilities.play_space, None);
        let again = parse_locations_csv("again.csv", &locations_to_csv(&locs)).unwrap();
        assert_eq!(again, locs);
        let json = serde_json::to_string(&locs).unwrap();
        assert_eq!(parse_locations_json("l.json", &json).unwrap(), locs);
    }

    #[test]
    fn bad_field_names_file_line_and_column() {
        let text = "id,name,municipality,operator,type,beds,ceiling_height_m\nL1,A,GM0355,coa,azc,10,2.1\nL2,B,GM0355,coa,azc,10,high\n";
        let e = parse_locations_csv("reg.csv", text).unwrap_err().to_string();
        assert!(e.starts_with("reg.csv:3: ceiling_height_m: 'high' is not a number"), "{e}");
        let e = parse_locations_csv("reg.csv", "id,name,municipality,operator,type,bedz\n").unwrap_err().to_string();
        assert!(e.contains("reg.csv:1: beds: missing column"), "{e}");
        let text = "id,name,municipality,operator,type,beds,occupied\nL1,A,GM0355,coa,azc,10,11\n";
        let e = parse_locations_csv("reg.csv", text).unwrap_err().to_string();
        assert!(e.starts_with("reg.csv:2: occupied:"), "{e}");
    }
}
