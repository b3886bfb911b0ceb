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
}
