//! The two-year cycle of the Spreidingswet as a state machine: which step may happen
//! when, and by which deadline.
//!
//! | step | deadline | source |
//! |---|---|---|
//! | capacity forecast (capaciteitsraming) and indicative tasks published | before 1 Feb of year 1 | Wet art. 2; Stcrt. 2024, 3320 (31 Jan 2024) |
//! | revision of the forecast | in between, until the decision (here: before 1 Nov without override) | Wet art. 2 |
//! | provincial tables: offers and swaps | from publication until the CdK report, before 1 Nov | Wet art. 3; DOMAIN.md §2 |
//! | CdK report (provincial plan) | before 1 Nov of year 1 | DOMAIN.md §2 |
//! | distribution decision (verdeelbesluit) | by 31 Dec of year 1 | Wet art. 5–6; decision of 23 Dec 2024 |
//! | realisation of the places | within 6 months of the decision | DOMAIN.md §2 |
//! | closed | after the realisation deadline | — |
//!
//! Pure: the caller supplies the date (`on`), so walkthroughs and tests can run a whole
//! cycle on chosen dates. Late ministerial steps (publication, revision, decision,
//! closing) are allowed only with a recorded reason (override); offers, swaps and reports
//! after their deadline are refused outright, with the deadline in the message.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::region::GmCode;

/// Identifier of a cycle, e.g. `2024` (the year of the forecast, year 1).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CycleId(String);

impl CycleId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for CycleId {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        let s = s.trim();
        if s.is_empty() || s.len() > 32 || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(CoreError::invalid(format!(
                "'{s}' is not a cycle id: use 1–32 letters, digits, '-' or '_', e.g. 2024"
            )));
        }
        Ok(CycleId(s.to_string()))
    }
}

impl TryFrom<String> for CycleId {
    type Error = CoreError;
    fn try_from(s: String) -> Result<Self, CoreError> {
        s.parse()
    }
}

impl From<CycleId> for String {
    fn from(c: CycleId) -> String {
        c.0
    }
}

impl fmt::Display for CycleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CycleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CycleId({})", self.0)
    }
}

/// Where a cycle stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Forecast published; the provincial tables (PRT) collect offers and swaps and the
    /// CdK reports. Ends with the distribution decision.
    Tables,
    /// The distribution decision is taken; municipalities realise their binding tasks.
    Decided,
    /// The cycle is closed; nothing changes any more.
    Closed,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Tables => "tables",
            Phase::Decided => "decided",
            Phase::Closed => "closed",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Phase {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        match s {
            "tables" => Ok(Phase::Tables),
            "decided" => Ok(Phase::Decided),
            "closed" => Ok(Phase::Closed),
            other => Err(CoreError::invalid(format!("unknown cycle phase '{other}': tables, decided or closed"))),
        }
    }
}

/// The legal calendar of a cycle whose forecast is made in `year` (year 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calendar {
    pub year: i32,
}

impl Calendar {
    pub fn new(year: i32) -> Result<Self, CoreError> {
        if !(2024..=2100).contains(&year) {
            return Err(CoreError::invalid(format!(
                "cycle year {year} is out of range: the Spreidingswet is in force from 1 Feb 2024"
            )));
        }
        Ok(Calendar { year })
    }
    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid calendar date")
    }
    /// The forecast must be published **before** this date (1 Feb of year 1; Wet art. 2).
    pub fn forecast_deadline(&self) -> NaiveDate {
        Self::date(self.year, 2, 1)
    }
    /// The CdK report is due **before** this date (1 Nov of year 1); offers and swaps close with it.
    pub fn report_deadline(&self) -> NaiveDate {
        Self::date(self.year, 11, 1)
    }
    /// The distribution decision is due **by** this date (31 Dec of year 1; Wet art. 5–6).
    pub fn decision_deadline(&self) -> NaiveDate {
        Self::date(self.year, 12, 31)
    }
    /// The forecast targets the need on 1 January of the following year (Stcrt. 2024, 3349).
    pub fn target_date(&self) -> NaiveDate {
        Self::date(self.year + 1, 1, 1)
    }
    /// Places are realised within six months of the decision (DOMAIN.md §2).
    pub fn realisation_deadline(decided_on: NaiveDate) -> NaiveDate {
        decided_on.checked_add_months(Months::new(6)).expect("date in range")
    }
    /// The earliest date a forecast for this cycle may be published (1 Jan of year 0):
    /// catches a mistyped year or date.
    pub fn earliest(&self) -> NaiveDate {
        Self::date(self.year - 1, 1, 1)
    }
}

/// A cycle's state as far as the calendar rules need it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CycleState {
    pub year: i32,
    pub phase: Phase,
    pub published_on: NaiveDate,
    pub decided_on: Option<NaiveDate>,
}

/// A step of the cycle, with the facts the rule needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Publish the forecast and indicative tasks: opens the cycle.
    Publish,
    /// Revise the forecast and indicative tasks (Wet art. 2).
    Revise,
    /// A municipality offers places; `reported_on` is its province's report date, if any.
    Offer { reported_on: Option<NaiveDate> },
    /// The provincial table records a swap; `reported_on` as for offers.
    Swap { reported_on: Option<NaiveDate> },
    /// The CdK submits the provincial plan; `reported_on` is an earlier report, if any.
    Report { reported_on: Option<NaiveDate> },
    /// The minister takes the distribution decision; `missing_reports` lists provinces
    /// that have not reported.
    Decide { missing_reports: Vec<String> },
    /// A municipality records realised places.
    Realise,
    /// The minister closes the cycle.
    Close,
}

impl Step {
    pub fn name(&self) -> &'static str {
        match self {
            Step::Publish => "publish the forecast",
            Step::Revise => "revise the forecast",
            Step::Offer { .. } => "offer places",
            Step::Swap { .. } => "record a swap",
            Step::Report { .. } => "submit the provincial report",
            Step::Decide { .. } => "take the distribution decision",
            Step::Realise => "record realised places",
            Step::Close => "close the cycle",
        }
    }
}

/// The verdict for an allowed step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Permit {
    /// The phase after the step.
    pub phase: Phase,
    /// Set when a deadline was passed by ministerial override: the recorded reason.
    pub overridden: Option<String>,
    /// Set when the step is allowed but late (realisation after its deadline).
    pub late: Option<String>,
}

fn d(x: NaiveDate) -> String {
    format!("{} {} {}", x.day(), month_name(x.month()), x.year())
}

fn month_name(m: u32) -> &'static str {
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ][(m - 1) as usize]
}

/// Render a date as people read it in a decision: `1 November 2024`.
pub fn long_date(x: NaiveDate) -> String {
    d(x)
}

/// Check whether `step` may happen on `on`. `state` is `None` before the cycle exists.
/// `override_reason` is the minister's recorded reason for passing a deadline; it is
/// honoured only for ministerial steps (publish, revise, decide, close) and must say
/// something (at least 10 characters).
pub fn check(
    calendar: Calendar,
    state: Option<&CycleState>,
    step: &Step,
    on: NaiveDate,
    override_reason: Option<&str>,
) -> Result<Permit, CoreError> {
    let reason = match override_reason.map(str::trim) {
        Some(r) if r.chars().count() < 10 => {
            return Err(CoreError::invalid(format!(
                "an override reason must explain the decision (at least 10 characters), got '{r}'"
            )));
        }
        r => r.map(str::to_string),
    };
    let ministerial = matches!(step, Step::Publish | Step::Revise | Step::Decide { .. } | Step::Close);
    if reason.is_some() && !ministerial {
        return Err(CoreError::conflict(format!(
            "an override applies only to the minister's steps (publish, revise, decide, close), not to '{}'",
            step.name()
        )));
    }
    // A late ministerial step passes with a recorded reason, else it is refused.
    let late = |msg: String| -> Result<Option<String>, CoreError> {
        match &reason {
            Some(r) => Ok(Some(r.clone())),
            None => {
                Err(CoreError::conflict(format!("{msg}. The minister may override with a recorded reason (--reason)")))
            }
        }
    };
    let ok = |phase: Phase, overridden: Option<String>| Ok(Permit { phase, overridden, late: None });

    let Some(st) = state else {
        return match step {
            Step::Publish => {
                if on < calendar.earliest() {
                    return Err(CoreError::invalid(format!(
                        "{} is too early for the {} cycle: check --date and --year",
                        d(on),
                        calendar.year
                    )));
                }
                let ov = if on >= calendar.forecast_deadline() {
                    late(format!(
                        "the forecast for cycle {} must be published before {} (Wet art. 2); it is {}",
                        calendar.year,
                        d(calendar.forecast_deadline()),
                        d(on)
                    ))?
                } else {
                    None
                };
                ok(Phase::Tables, ov)
            }
            other => Err(CoreError::conflict(format!(
                "cannot {}: the cycle does not exist yet; the minister first publishes the forecast (cycle new)",
                other.name()
            ))),
        };
    };
    if on < st.published_on {
        return Err(CoreError::conflict(format!(
            "cannot {} on {}: the forecast was published on {}; check --date",
            step.name(),
            d(on),
            d(st.published_on)
        )));
    }
    let phase_msg = |st: &CycleState| match (st.phase, st.decided_on) {
        (Phase::Decided, Some(x)) => format!("the distribution decision was taken on {}", d(x)),
        (Phase::Closed, _) => "the cycle is closed".to_string(),
        _ => format!("the cycle is in phase {}", st.phase),
    };
    match step {
        Step::Publish => Err(CoreError::conflict(format!(
            "the forecast of cycle {} was already published on {}; use `cycle revise` (Wet art. 2)",
            calendar.year,
            d(st.published_on)
        ))),
        Step::Revise => {
            if st.phase != Phase::Tables {
                return Err(CoreError::conflict(format!(
                    "cannot revise the forecast: {}; a new forecast belongs to the next cycle",
                    phase_msg(st)
                )));
            }
            let ov = if on >= calendar.report_deadline() {
                late(format!(
                    "a revision must come before the provincial reports are due ({}); it is {}",
                    d(calendar.report_deadline()),
                    d(on)
                ))?
            } else {
                None
            };
            ok(Phase::Tables, ov)
        }
        Step::Offer { reported_on } | Step::Swap { reported_on } => {
            if st.phase != Phase::Tables {
                return Err(CoreError::conflict(format!("cannot {}: {}", step.name(), phase_msg(st))));
            }
            if on >= calendar.report_deadline() {
                return Err(CoreError::conflict(format!(
                    "cannot {} on {}: the provincial tables closed; the CdK report was due before {}",
                    step.name(),
                    d(on),
                    d(calendar.report_deadline())
                )));
            }
            if let Some(r) = reported_on {
                return Err(CoreError::conflict(format!(
                    "cannot {}: the province submitted its report (provincial plan) on {}",
                    step.name(),
                    d(*r)
                )));
            }
            ok(Phase::Tables, None)
        }
        Step::Report { reported_on } => {
            if st.phase != Phase::Tables {
                return Err(CoreError::conflict(format!("cannot submit the report: {}", phase_msg(st))));
            }
            if let Some(r) = reported_on {
                return Err(CoreError::conflict(format!(
                    "duplicate submission: this province already reported on {}",
                    d(*r)
                )));
            }
            if on >= calendar.report_deadline() {
                return Err(CoreError::conflict(format!(
                    "the CdK report was due before {}; it is {}. The minister decides without it",
                    d(calendar.report_deadline()),
                    d(on)
                )));
            }
            ok(Phase::Tables, None)
        }
        Step::Decide { missing_reports } => {
            if st.phase != Phase::Tables {
                return Err(CoreError::conflict(format!("cannot decide: {}", phase_msg(st))));
            }
            let mut ov = None;
            if on < calendar.report_deadline() && !missing_reports.is_empty() {
                ov = late(format!(
                    "provinces {} may still report until {}",
                    missing_reports.join(", "),
                    d(calendar.report_deadline())
                ))?;
            }
            if on > calendar.decision_deadline() {
                ov = late(format!(
                    "the distribution decision is due by {} (Wet art. 5–6); it is {}",
                    d(calendar.decision_deadline()),
                    d(on)
                ))?;
            }
            ok(Phase::Decided, ov)
        }
        Step::Realise => {
            let Some(dec) = st.decided_on.filter(|_| st.phase == Phase::Decided) else {
                return Err(CoreError::conflict(format!(
                    "cannot record realised places: {}; realisation counts against the binding tasks of the decision",
                    phase_msg(st)
                )));
            };
            if on < dec {
                return Err(CoreError::conflict(format!(
                    "cannot record realised places on {}, before the decision of {}",
                    d(on),
                    d(dec)
                )));
            }
            let deadline = Calendar::realisation_deadline(dec);
            let late = (on > deadline)
                .then(|| format!("recorded on {}, after the realisation deadline of {}", d(on), d(deadline)));
            // Realised places are a fact on the ground: recorded even when late, and marked late.
            Ok(Permit { phase: Phase::Decided, overridden: None, late })
        }
        Step::Close => {
            let Some(dec) = st.decided_on.filter(|_| st.phase == Phase::Decided) else {
                return Err(CoreError::conflict(format!("cannot close: {}", phase_msg(st))));
            };
            let deadline = Calendar::realisation_deadline(dec);
            let ov = if on <= deadline {
                late(format!("the realisation period runs until {}; it is {}", d(deadline), d(on)))?
            } else {
                None
            };
            ok(Phase::Closed, ov)
        }
    }
}

/// Largest number of places one offer (one location) may carry: larger than any location in
/// the Netherlands (Ter Apel is capped at 2,000; DOMAIN.md §5). A plausibility bound against
/// typing errors — **(setting)**, not a rule of law.
pub const MAX_OFFER_PLACES: u64 = 5_000;

/// What kind of places are offered (issue 4; Wet art. 1, Besluit art. 1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferKind {
    /// A location run by COA.
    Coa,
    /// Municipal operation (gemeentelijke exploitatie).
    Municipal,
    /// Places for unaccompanied minors (AMV).
    Amv,
    Other,
}

impl OfferKind {
    pub const ALL: [OfferKind; 4] = [OfferKind::Coa, OfferKind::Municipal, OfferKind::Amv, OfferKind::Other];
    pub fn code(self) -> &'static str {
        match self {
            OfferKind::Coa => "coa",
            OfferKind::Municipal => "municipal",
            OfferKind::Amv => "amv",
            OfferKind::Other => "other",
        }
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
        Ok(match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "coa" | "azc" | "coa-run" => OfferKind::Coa,
            "municipal" | "gemeentelijk" | "exploitatie" | "municipal-operation" => OfferKind::Municipal,
            "amv" => OfferKind::Amv,
            "other" | "overig" => OfferKind::Other,
            other => {
                return Err(CoreError::invalid(format!(
                    "unknown offer kind '{other}': use coa, municipal (exploitatie), amv or other"
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
    pub places: u64,
    pub kind: OfferKind,
    /// Available for at least five years (duurzame opvangplaatsen, Besluit art. 1.1).
    pub durable: bool,
    pub available_from: NaiveDate,
}

impl Offer {
    /// Check the offer on its own: a location name, a plausible number of places, an
    /// availability date within reach of the cycle's target date.
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

/// Parse offers in bulk, CSV (`gm_code,location,places,kind,durable,available_from`) or a
/// JSON array of objects with the same fields. Errors name the file, line (CSV) or
/// element (JSON, 1-based) and field. Codes are checked against `nl`.
pub fn parse_offers(source: &str, text: &str, nl: &crate::region::Netherlands) -> Result<Vec<Offer>, CoreError> {
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
            let at = |f: &str| crate::error::Located::new(&format!("{source} element {}", i + 1), 0, f);
            let get = |f: &str| -> Result<String, CoreError> {
                match v.get(f) {
                    Some(serde_json::Value::String(s)) => Ok(s.clone()),
                    Some(serde_json::Value::Number(n)) => Ok(n.to_string()),
                    Some(serde_json::Value::Bool(b)) => Ok(b.to_string()),
                    _ => Err(CoreError::invalid("missing").at(at(f))),
                }
            };
            let o = offer_from_fields(
                &get("gm_code")?,
                &get("location")?,
                &get("places")?,
                &get("kind")?,
                &get("durable").unwrap_or_else(|_| "false".into()),
                &get("available_from")?,
            )
            .map_err(|(f, e)| e.at(at(f)))?;
            check_gm(&o).map_err(|e| e.at(at("gm_code")))?;
            out.push(o);
        }
        return Ok(out);
    }
    let mut rdr = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let expected = ["gm_code", "location", "places", "kind", "durable", "available_from"];
    let h: Vec<String> = rdr
        .headers()
        .map_err(|e| CoreError::invalid(format!("{source}:1: {e}")))?
        .iter()
        .map(|x| x.trim_start_matches('\u{feff}').to_string())
        .collect();
    if h != expected {
        return Err(CoreError::invalid(format!(
            "{source}:1: header must be `{}`, found `{}`",
            expected.join(","),
            h.join(",")
        )));
    }
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let at = |f: &str| crate::error::Located::new(source, line, f);
        let rec = rec.map_err(|e| CoreError::invalid(e.to_string()).at(at("")))?;
        if rec.len() != 6 {
            return Err(CoreError::invalid(format!("expected 6 fields, found {}", rec.len())).at(at("")));
        }
        let o =
            offer_from_fields(&rec[0], &rec[1], &rec[2], &rec[3], &rec[4], &rec[5]).map_err(|(f, e)| e.at(at(f)))?;
        check_gm(&o).map_err(|e| e.at(at("gm_code")))?;
        out.push(o);
    }
    Ok(out)
}

fn offer_from_fields(
    gm: &str,
    location: &str,
    places: &str,
    kind: &str,
    durable: &str,
    from: &str,
) -> Result<Offer, (&'static str, CoreError)> {
    let gm_code: GmCode = gm.parse().map_err(|e| ("gm_code", e))?;
    let places: u64 = places.trim().parse().map_err(|_| {
        ("places", CoreError::invalid(format!("'{places}' is not a whole, non-negative number of places")))
    })?;
    let kind: OfferKind = kind.parse().map_err(|e| ("kind", e))?;
    let durable = match durable.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "ja" | "1" | "durable" => true,
        "false" | "no" | "nee" | "0" | "" | "temporary" => false,
        other => return Err(("durable", CoreError::invalid(format!("'{other}' is not yes/no")))),
    };
    let available_from: NaiveDate = from
        .trim()
        .parse()
        .map_err(|_| ("available_from", CoreError::invalid(format!("'{from}' is not a date: use YYYY-MM-DD"))))?;
    Ok(Offer { gm_code, location: location.trim().to_string(), places, kind, durable, available_from })
}

/// A swap agreed in the provincial table: `to` takes over `places` of `from`'s task (for
/// instance because `from` houses more permit holders). The provincial total holds
/// (DOMAIN.md §3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Swap {
    pub from: GmCode,
    pub to: GmCode,
    pub places: u64,
    pub note: String,
}

/// How a municipality or province stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    /// Before the decision: offers and credits fall short of the (agreed) task.
    Short,
    /// Before the decision: offers and credits cover the task.
    Covered,
    /// After the decision: realised at least the pro-rata part of the binding task so far.
    OnTrack,
    /// After the decision: behind the pro-rata part, or short after the deadline.
    Behind,
    /// Realised exactly the binding task.
    Realised,
    /// Realised more than the binding task.
    OverDelivering,
}

impl Progress {
    pub fn name(self) -> &'static str {
        match self {
            Progress::Short => "short",
            Progress::Covered => "covered",
            Progress::OnTrack => "on track",
            Progress::Behind => "behind",
            Progress::Realised => "realised",
            Progress::OverDelivering => "over-delivering",
        }
    }

    /// Before the decision: what is offered (`have`) against the task.
    pub fn before_decision(task: u64, have: u64) -> Progress {
        if have >= task { Progress::Covered } else { Progress::Short }
    }

    /// After the decision: `realised` places against the binding task, on day `on` of the
    /// six-month realisation period that starts on `decided_on`. "On track" means at least
    /// the straight-line share of the task for the time elapsed — a monitoring convention,
    /// **(setting)**, not a rule of law.
    pub fn after_decision(binding: u64, realised: u64, decided_on: NaiveDate, on: NaiveDate) -> Progress {
        if realised > binding {
            return Progress::OverDelivering;
        }
        if realised == binding {
            return Progress::Realised;
        }
        let deadline = Calendar::realisation_deadline(decided_on);
        let total = (deadline - decided_on).num_days().max(1) as u128;
        let elapsed = (on - decided_on).num_days().clamp(0, total as i64) as u128;
        // realised / binding >= elapsed / total, exactly.
        if realised as u128 * total >= binding as u128 * elapsed && on <= deadline {
            Progress::OnTrack
        } else {
            Progress::Behind
        }
    }
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    const CAL: Calendar = Calendar { year: 2024 };

    fn state(phase: Phase, decided: Option<&str>) -> CycleState {
        CycleState { year: 2024, phase, published_on: date("2024-01-31"), decided_on: decided.map(date) }
    }

    #[test]
    fn forecast_before_1_february_opens_the_tables() {
        // Wet art. 2; Stcrt. 2024, 3320 was published 31 Jan 2024.
        let p = check(CAL, None, &Step::Publish, date("2024-01-31"), None).unwrap();
        assert_eq!(p.phase, Phase::Tables);
        let e = check(CAL, None, &Step::Publish, date("2024-02-01"), None).unwrap_err().to_string();
        assert!(e.contains("before 1 February 2024"), "{e}");
        let p = check(CAL, None, &Step::Publish, date("2024-02-05"), Some("court ruling delayed the figures")).unwrap();
        assert_eq!(p.overridden.as_deref(), Some("court ruling delayed the figures"));
    }

    #[test]
    fn offers_close_with_the_report_deadline_and_cannot_be_overridden() {
        let st = state(Phase::Tables, None);
        assert!(check(CAL, Some(&st), &Step::Offer { reported_on: None }, date("2024-10-31"), None).is_ok());
        let e = check(CAL, Some(&st), &Step::Offer { reported_on: None }, date("2024-11-01"), None).unwrap_err();
        assert!(e.to_string().contains("before 1 November 2024"), "{e}");
        assert!(
            check(CAL, Some(&st), &Step::Offer { reported_on: None }, date("2024-11-02"), Some("please allow"))
                .is_err()
        );
        let e = check(CAL, Some(&st), &Step::Offer { reported_on: Some(date("2024-09-30")) }, date("2024-10-01"), None)
            .unwrap_err();
        assert!(e.to_string().contains("30 September 2024"), "{e}");
    }

    #[test]
    fn a_province_reports_once() {
        let st = state(Phase::Tables, None);
        let e =
            check(CAL, Some(&st), &Step::Report { reported_on: Some(date("2024-10-01")) }, date("2024-10-02"), None)
                .unwrap_err();
        assert!(e.to_string().contains("duplicate"), "{e}");
    }

    #[test]
    fn the_decision_is_due_by_31_december_and_late_only_with_a_reason() {
        // Wet art. 5–6: the decision of 23 Dec 2024.
        let st = state(Phase::Tables, None);
        let step = Step::Decide { missing_reports: vec![] };
        assert_eq!(check(CAL, Some(&st), &step, date("2024-12-23"), None).unwrap().phase, Phase::Decided);
        let e = check(CAL, Some(&st), &step, date("2025-01-02"), None).unwrap_err().to_string();
        assert!(e.contains("31 December 2024"), "{e}");
        assert!(check(CAL, Some(&st), &step, date("2025-01-02"), Some("short")).is_err());
        let p = check(CAL, Some(&st), &step, date("2025-01-02"), Some("parliament asked for a delay")).unwrap();
        assert!(p.overridden.is_some());
        let early = Step::Decide { missing_reports: vec!["PV20".into()] };
        assert!(check(CAL, Some(&st), &early, date("2024-10-15"), None).unwrap_err().to_string().contains("PV20"));
    }

    #[test]
    fn illegal_transitions_are_refused() {
        let decided = state(Phase::Decided, Some("2024-12-23"));
        assert!(
            check(CAL, Some(&decided), &Step::Decide { missing_reports: vec![] }, date("2024-12-24"), None).is_err()
        );
        assert!(check(CAL, Some(&decided), &Step::Offer { reported_on: None }, date("2024-12-24"), None).is_err());
        assert!(check(CAL, Some(&decided), &Step::Revise, date("2024-12-24"), None).is_err());
        let tables = state(Phase::Tables, None);
        assert!(check(CAL, Some(&tables), &Step::Realise, date("2024-12-24"), None).is_err());
        assert!(check(CAL, Some(&tables), &Step::Close, date("2025-12-24"), None).is_err());
        assert!(check(CAL, None, &Step::Offer { reported_on: None }, date("2024-03-01"), None).is_err());
        let closed = state(Phase::Closed, Some("2024-12-23"));
        assert!(check(CAL, Some(&closed), &Step::Realise, date("2025-03-01"), None).is_err());
    }

    #[test]
    fn realisation_runs_six_months_and_closing_waits_for_it() {
        let decided = state(Phase::Decided, Some("2024-12-23"));
        assert_eq!(Calendar::realisation_deadline(date("2024-12-23")), date("2025-06-23"));
        let p = check(CAL, Some(&decided), &Step::Realise, date("2025-06-23"), None).unwrap();
        assert!(p.late.is_none());
        let p = check(CAL, Some(&decided), &Step::Realise, date("2025-06-24"), None).unwrap();
        assert!(p.late.unwrap().contains("23 June 2025"));
        let e = check(CAL, Some(&decided), &Step::Close, date("2025-03-01"), None).unwrap_err().to_string();
        assert!(e.contains("23 June 2025"), "{e}");
        assert_eq!(check(CAL, Some(&decided), &Step::Close, date("2025-06-24"), None).unwrap().phase, Phase::Closed);
    }

    #[test]
    fn overrides_are_only_for_the_ministers_steps() {
        let st = state(Phase::Tables, None);
        let e = check(CAL, Some(&st), &Step::Report { reported_on: None }, date("2024-11-05"), Some("we were late"));
        assert!(e.unwrap_err().to_string().contains("only to the minister"));
    }

    #[test]
    fn offers_parse_and_name_the_line() {
        let nl = crate::bundled::netherlands().unwrap();
        let ok = "gm_code,location,places,kind,durable,available_from\nGM0363,Azc Zuidoost,400,coa,yes,2024-06-01\n";
        let o = parse_offers("o.csv", ok, &nl).unwrap();
        assert_eq!(o[0].places, 400);
        let bad = format!("{ok}GM9999,X,10,coa,no,2024-06-01\n");
        let e = parse_offers("o.csv", &bad, &nl).unwrap_err().to_string();
        assert!(e.starts_with("o.csv:3: gm_code: unknown municipality GM9999"), "{e}");
        let neg = format!("{ok}GM0363,Y,-5,coa,no,2024-06-01\n");
        assert!(parse_offers("o.csv", &neg, &nl).unwrap_err().to_string().contains("o.csv:3: places"));
        let json = r#"[{"gm_code":"GM0363","location":"A","places":10,"kind":"amv","durable":true,"available_from":"2024-05-01"},
                       {"gm_code":"GM0363","location":"B","places":"x","kind":"amv","available_from":"2024-05-01"}]"#;
        let e = parse_offers("o.json", json, &nl).unwrap_err().to_string();
        assert!(e.contains("o.json element 2: places"), "{e}");
        let big = Offer { places: MAX_OFFER_PLACES + 1, ..o[0].clone() };
        assert!(big.validate(CAL).unwrap_err().to_string().contains("implausible"));
    }

    #[test]
    fn progress_against_the_binding_task() {
        let dec = date("2024-12-23");
        assert_eq!(Progress::after_decision(100, 0, dec, dec), Progress::OnTrack);
        assert_eq!(Progress::after_decision(100, 10, dec, date("2025-03-23")), Progress::Behind);
        assert_eq!(Progress::after_decision(100, 60, dec, date("2025-03-23")), Progress::OnTrack);
        assert_eq!(Progress::after_decision(100, 99, dec, date("2025-07-01")), Progress::Behind);
        assert_eq!(Progress::after_decision(100, 100, dec, date("2025-07-01")), Progress::Realised);
        assert_eq!(Progress::after_decision(100, 130, dec, date("2025-01-01")), Progress::OverDelivering);
    }
}
