//! The two-year cycle of the Spreidingswet as a state machine: which step may happen
//! when, and by which deadline. Every rule names its source (see `docs/LAW.md`).
//!
//! | step | who | deadline | source |
//! |---|---|---|---|
//! | capacity forecast (capaciteitsraming) and indicative tasks published | minister | before 1 Feb of year 1 | Wet art. 2; Stcrt. 2024, 3320 (31 Jan 2024) |
//! | revision of the forecast | minister | until the CdK reports are due (later only with a reason) | Wet art. 2 |
//! | offers, amendments, withdrawals and swaps at the provincial table | municipalities, CdK | until the province reports, before 1 Nov | Wet art. 3; docs/DOMAIN-BRIEF.md §2 |
//! | CdK report (provincial plan) | CdK | before 1 Nov of year 1 | docs/DOMAIN-BRIEF.md §2 (as applied in cycle 1) |
//! | amendment of a CdK report, with a reason | CdK | until the decision | docs/DOMAIN-BRIEF.md §2 |
//! | distribution decision (verdeelbesluit) | minister | by 31 Dec of year 1 | Wet art. 5–6 (seed); decision of 23 Dec 2024 |
//! | revision of the decision, with a reason | minister | until the cycle closes | Awb art. 7:11 (after an objection); Wet art. 5–6 |
//! | objection (bezwaar) against a binding task | municipality | six weeks after the decision | Awb art. 6:4, 6:7, 6:8 |
//! | decision on an objection, with reasons | minister | while the cycle is not closed | Awb art. 7:11, 7:12 |
//! | realisation of the places | municipalities | within 6 months of the decision | docs/DOMAIN-BRIEF.md §2 |
//! | application for the durable-places payment | municipality | before the next cycle is published | Regeling, Stcrt. 2024, 3349 |
//! | closed | minister | after the realisation deadline | — |
//!
//! Pure: the caller supplies the date (`on`). Late ministerial steps (publication, revision,
//! decision, closing) are allowed only with a recorded reason (override); offers, swaps and
//! reports after their deadline are refused outright, with the deadline in the message.
//! [`check`] only dispatches; each step is a named function below that reads like its rule.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, Months, NaiveDate};
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

/// Where a cycle record comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Published in spreiding by the minister (an account with the ministry role).
    Ministry,
    /// Public facts imported with their source (e.g. the cycle-2 forecast of 88,000 places,
    /// Kamerbrief 2026D05614). Not an act of any role: nothing can be done in such a cycle
    /// until the minister publishes it, which supersedes the imported facts.
    Import,
}

impl Origin {
    pub fn name(self) -> &'static str {
        match self {
            Origin::Ministry => "ministry",
            Origin::Import => "import",
        }
    }
}

impl FromStr for Origin {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        match s {
            "ministry" => Ok(Origin::Ministry),
            "import" => Ok(Origin::Import),
            other => Err(CoreError::invalid(format!("unknown cycle origin '{other}': ministry or import"))),
        }
    }
}

/// The legal calendar of a cycle whose forecast is made in `year` (year 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calendar {
    pub year: i32,
}

impl Calendar {
    /// The Spreidingswet is in force from 1 Feb 2024 (Stb. 2024, 12); the first cycle is 2024.
    pub fn new(year: i32) -> Result<Self, CoreError> {
        if !(2024..=2100).contains(&year) {
            return Err(CoreError::invalid(format!(
                "cycle year {year} is out of range: the Spreidingswet is in force from 1 Feb 2024"
            )));
        }
        Ok(Calendar { year })
    }
    pub(crate) fn date(y: i32, m: u32, d: u32) -> NaiveDate {
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
    /// Places are realised within six months of the decision (docs/DOMAIN-BRIEF.md §2).
    pub fn realisation_deadline(decided_on: NaiveDate) -> NaiveDate {
        decided_on.checked_add_months(Months::new(6)).expect("date in range")
    }
    /// The realisation deadline as expected before the decision: six months after the
    /// decision deadline. Offers are judged against it until the decision is taken.
    pub fn expected_realisation_deadline(&self) -> NaiveDate {
        Self::realisation_deadline(self.decision_deadline())
    }
    /// The last day to object: six weeks after the decision (Awb art. 6:7), counted from the
    /// day after it was made known (Awb art. 6:8).
    pub fn objection_deadline(decided_on: NaiveDate) -> NaiveDate {
        decided_on.checked_add_days(Days::new(42)).expect("date in range")
    }
    /// The earliest date a forecast for this cycle may be published (1 Jan of year 0):
    /// catches a mistyped year or date.
    pub fn earliest(&self) -> NaiveDate {
        Self::date(self.year - 1, 1, 1)
    }
    /// The year of the cycle that follows one of `previous_year`: the law's cycles come every
    /// two years (Wet art. 2; cycle 1 in 2024, cycle 2 in 2026).
    pub fn two_year_rhythm(previous_year: i32) -> i32 {
        previous_year + 2
    }
}

/// A cycle's state as far as the calendar rules need it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CycleState {
    pub year: i32,
    pub phase: Phase,
    pub origin: Origin,
    pub published_on: NaiveDate,
    pub decided_on: Option<NaiveDate>,
}

/// Another cycle in the record, as [`Step::Publish`] needs to see it (two-year rhythm).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherCycle {
    pub id: CycleId,
    pub year: i32,
    pub phase: Phase,
    pub origin: Origin,
}

/// A step of the cycle, with the facts the rule needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Publish the forecast and indicative tasks: opens the cycle. `others` are the other
    /// cycles in the record.
    Publish { others: Vec<OtherCycle> },
    /// Revise the forecast and indicative tasks (Wet art. 2).
    Revise,
    /// A municipality offers places; `reported_on` is its province's report date, if any.
    Offer { reported_on: Option<NaiveDate> },
    /// A municipality amends one of its offers.
    AmendOffer { reported_on: Option<NaiveDate> },
    /// A municipality withdraws one of its offers.
    WithdrawOffer { reported_on: Option<NaiveDate> },
    /// The provincial table records a swap; `reported_on` as for offers.
    Swap { reported_on: Option<NaiveDate> },
    /// The CdK submits the provincial plan; `reported_on` is an earlier report, if any.
    Report { reported_on: Option<NaiveDate> },
    /// The CdK amends its report, with a reason.
    AmendReport { reported_on: Option<NaiveDate>, reason: String },
    /// The minister takes the distribution decision; `missing_reports` lists provinces
    /// that have not reported.
    Decide { missing_reports: Vec<String> },
    /// The minister revises the decision, with a reason.
    ReviseDecision { reason: String },
    /// A municipality objects to its binding task; `pending` says whether it already has an
    /// objection that is not decided.
    Object { pending: bool },
    /// The minister decides on an objection, with reasons; `pending` whether it is open.
    DecideObjection { pending: bool, reason: String },
    /// A municipality records realised places.
    Realise,
    /// A municipality applies for the durable-places payment; `next_published` whether the
    /// next cycle has been published already.
    ApplyPayment { next_published: bool },
    /// The minister closes the cycle.
    Close,
}

impl Step {
    pub fn name(&self) -> &'static str {
        match self {
            Step::Publish { .. } => "publish the forecast",
            Step::Revise => "revise the forecast",
            Step::Offer { .. } => "offer places",
            Step::AmendOffer { .. } => "amend an offer",
            Step::WithdrawOffer { .. } => "withdraw an offer",
            Step::Swap { .. } => "record a swap",
            Step::Report { .. } => "submit the provincial report",
            Step::AmendReport { .. } => "amend the provincial report",
            Step::Decide { .. } => "take the distribution decision",
            Step::ReviseDecision { .. } => "revise the distribution decision",
            Step::Object { .. } => "object to the binding task",
            Step::DecideObjection { .. } => "decide on an objection",
            Step::Realise => "record realised places",
            Step::ApplyPayment { .. } => "apply for the durable-places payment",
            Step::Close => "close the cycle",
        }
    }

    /// The minister's steps, the only ones a deadline override applies to.
    fn ministerial(&self) -> bool {
        matches!(self, Step::Publish { .. } | Step::Revise | Step::Decide { .. } | Step::Close)
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
    format!("{} {} {}", x.day(), month_name(x.month()), x.year())
}
use long_date as d;

/// The shortest reason that can explain a decision: a reason must say something.
pub const MIN_REASON_CHARS: usize = 10;

/// A reason for a deadline override, an amendment, a revision or a decision on an
/// objection must explain itself (at least [`MIN_REASON_CHARS`] characters).
pub fn require_reason(what: &str, reason: Option<&str>) -> Result<String, CoreError> {
    match reason.map(str::trim) {
        Some(r) if r.chars().count() >= MIN_REASON_CHARS => Ok(r.to_string()),
        Some(r) => Err(CoreError::invalid(format!(
            "reason: {what} needs a reason that explains it (at least {MIN_REASON_CHARS} characters), got '{r}'"
        ))),
        None => Err(CoreError::invalid(format!(
            "reason: {what} needs a recorded reason (--reason \"…\", at least {MIN_REASON_CHARS} characters)"
        ))),
    }
}

/// The date an act takes effect. In the legal record that is today (Europe/Amsterdam,
/// supplied by the caller); another date is only allowed in a **sandbox** database, where
/// walkthroughs and training replay a cycle on chosen dates. This keeps every deadline
/// meaningful: nobody can pass one by claiming another date.
pub fn effective_date(sandbox: bool, today: NaiveDate, requested: Option<NaiveDate>) -> Result<NaiveDate, CoreError> {
    match requested {
        None => Ok(today),
        Some(r) if r == today || sandbox => Ok(r),
        Some(r) => Err(CoreError::conflict(format!(
            "date: acts in the legal record take effect on the day they are recorded ({}); {} is refused. \
             Choosing another date is only possible in a sandbox database (spreiding db init --sandbox)",
            today, r
        ))),
    }
}

/// Check whether `step` may happen on `on`. `state` is `None` before the cycle exists.
/// `override_reason` is the minister's recorded reason for passing a deadline; it is
/// honoured only for ministerial steps (publish, revise, decide, close).
pub fn check(
    calendar: Calendar,
    state: Option<&CycleState>,
    step: &Step,
    on: NaiveDate,
    override_reason: Option<&str>,
) -> Result<Permit, CoreError> {
    let reason = match override_reason {
        None => None,
        Some(r) => {
            if !step.ministerial() {
                return Err(CoreError::conflict(format!(
                    "an override applies only to the minister's steps (publish, revise, decide, close), not to '{}'",
                    step.name()
                )));
            }
            Some(require_reason("an override of a deadline", Some(r))?)
        }
    };
    let ov = Override(reason);
    let st = match (state, step) {
        (None, Step::Publish { others }) => return publish(calendar, others, on, &ov, false),
        (None, other) => {
            return Err(CoreError::conflict(format!(
                "cannot {}: the cycle does not exist yet; the minister first publishes the forecast (cycle new)",
                other.name()
            )));
        }
        (Some(st), _) => st,
    };
    if st.origin == Origin::Import {
        return match step {
            Step::Publish { others } => publish(calendar, others, on, &ov, true),
            other => Err(CoreError::conflict(format!(
                "cannot {}: cycle {} holds public facts imported with their source, not a publication in spreiding; \
                 the minister first publishes the forecast (cycle new --year {}), which supersedes them",
                other.name(),
                calendar.year,
                calendar.year
            ))),
        };
    }
    if on < st.published_on {
        return Err(CoreError::conflict(format!(
            "cannot {} on {}: the forecast was published on {}; check --date",
            step.name(),
            d(on),
            d(st.published_on)
        )));
    }
    match step {
        Step::Publish { .. } => Err(CoreError::conflict(format!(
            "the forecast of cycle {} was already published on {}; use `cycle revise` (Wet art. 2)",
            calendar.year,
            d(st.published_on)
        ))),
        Step::Revise => revise(calendar, st, on, &ov),
        Step::Offer { reported_on }
        | Step::AmendOffer { reported_on }
        | Step::WithdrawOffer { reported_on }
        | Step::Swap { reported_on } => provincial_table_open(calendar, st, step, *reported_on, on),
        Step::Report { reported_on } => report(calendar, st, *reported_on, on),
        Step::AmendReport { reported_on, reason } => amend_report(st, *reported_on, reason),
        Step::Decide { missing_reports } => decide(calendar, st, missing_reports, on, &ov),
        Step::ReviseDecision { reason } => revise_decision(st, reason),
        Step::Object { pending } => object(st, *pending, on),
        Step::DecideObjection { pending, reason } => decide_objection(st, *pending, reason),
        Step::Realise => realise(st, on),
        Step::ApplyPayment { next_published } => apply_payment(st, *next_published),
        Step::Close => close(st, on, &ov),
    }
}

/// The minister's recorded reason for passing a deadline, if any.
struct Override(Option<String>);

impl Override {
    /// A late ministerial step passes with a recorded reason, else it is refused.
    fn late(&self, msg: String) -> Result<Option<String>, CoreError> {
        match &self.0 {
            Some(r) => Ok(Some(r.clone())),
            None => {
                Err(CoreError::conflict(format!("{msg}. The minister may override with a recorded reason (--reason)")))
            }
        }
    }
}

fn ok(phase: Phase, overridden: Option<String>) -> Result<Permit, CoreError> {
    Ok(Permit { phase, overridden, late: None })
}

fn phase_msg(st: &CycleState) -> String {
    match (st.phase, st.decided_on) {
        (Phase::Decided, Some(x)) => format!("the distribution decision was taken on {}", d(x)),
        (Phase::Closed, _) => "the cycle is closed".to_string(),
        _ => format!("the cycle is in phase {}", st.phase),
    }
}

/// Wet art. 2: the forecast before 1 February of year 1 (later with a reason). The law's
/// rhythm: a new cycle every two years, and never two cycles at their provincial tables at
/// once. Publishing over imported public facts supersedes them.
fn publish(
    calendar: Calendar,
    others: &[OtherCycle],
    on: NaiveDate,
    ov: &Override,
    supersedes_import: bool,
) -> Result<Permit, CoreError> {
    if on < calendar.earliest() {
        return Err(CoreError::invalid(format!(
            "{} is too early for the {} cycle: check --date and --year",
            d(on),
            calendar.year
        )));
    }
    let published: Vec<&OtherCycle> =
        others.iter().filter(|c| c.origin == Origin::Ministry && c.year != calendar.year).collect();
    if let Some(open) = published.iter().find(|c| c.phase == Phase::Tables) {
        return Err(CoreError::conflict(format!(
            "cycle {} is still at its provincial tables: the law's cycles follow each other every two years, and \
             the next starts after the distribution decision of the previous one (Wet art. 2, 5–6)",
            open.id
        )));
    }
    if let Some(prev) = published.iter().filter(|c| c.year < calendar.year).max_by_key(|c| c.year) {
        let next = Calendar::two_year_rhythm(prev.year);
        if calendar.year < next {
            return Err(CoreError::conflict(format!(
                "year: cycle {} was published for {}; the next cycle follows two years later ({next}), not in {}",
                prev.id, prev.year, calendar.year
            )));
        }
    }
    if let Some(later) = published.iter().find(|c| c.year > calendar.year) {
        return Err(CoreError::conflict(format!(
            "year: cycle {} of {} is already in the record; a cycle cannot be published before it",
            later.id, later.year
        )));
    }
    let overridden = if on >= calendar.forecast_deadline() {
        ov.late(format!(
            "the forecast for cycle {} must be published before {} (Wet art. 2); it is {}{}",
            calendar.year,
            d(calendar.forecast_deadline()),
            d(on),
            if supersedes_import { " (the publication supersedes the imported public facts)" } else { "" }
        ))?
    } else {
        None
    };
    ok(Phase::Tables, overridden)
}

/// Wet art. 2: the forecast may be revised in between — here until the CdK reports are
/// due; later only with a recorded reason.
fn revise(calendar: Calendar, st: &CycleState, on: NaiveDate, ov: &Override) -> Result<Permit, CoreError> {
    if st.phase != Phase::Tables {
        return Err(CoreError::conflict(format!(
            "cannot revise the forecast: {}; a new forecast belongs to the next cycle",
            phase_msg(st)
        )));
    }
    let overridden = if on >= calendar.report_deadline() {
        ov.late(format!(
            "a revision must come before the provincial reports are due ({}); it is {}",
            d(calendar.report_deadline()),
            d(on)
        ))?
    } else {
        None
    };
    ok(Phase::Tables, overridden)
}

/// Wet art. 3 (as applied in cycle 1): the provincial table takes offers, amendments,
/// withdrawals and swaps until its CdK reports, and before 1 November at the latest. No
/// override: the CdK report closes the table.
fn provincial_table_open(
    calendar: Calendar,
    st: &CycleState,
    step: &Step,
    reported_on: Option<NaiveDate>,
    on: NaiveDate,
) -> Result<Permit, CoreError> {
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
            "cannot {}: the province submitted its report (provincial plan) on {}; only the CdK can amend it now",
            step.name(),
            d(r)
        )));
    }
    ok(Phase::Tables, None)
}

/// The CdK report (provincial plan), once per province, before 1 November (docs/DOMAIN-BRIEF.md §2).
fn report(
    calendar: Calendar,
    st: &CycleState,
    reported_on: Option<NaiveDate>,
    on: NaiveDate,
) -> Result<Permit, CoreError> {
    if st.phase != Phase::Tables {
        return Err(CoreError::conflict(format!("cannot submit the report: {}", phase_msg(st))));
    }
    if let Some(r) = reported_on {
        return Err(CoreError::conflict(format!(
            "duplicate submission: this province already reported on {}; amend the report with a reason instead",
            d(r)
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

/// Exception to the once-only report: the CdK amends a submitted report, with a recorded
/// reason, until the minister decides.
fn amend_report(st: &CycleState, reported_on: Option<NaiveDate>, reason: &str) -> Result<Permit, CoreError> {
    require_reason("an amendment of the report", Some(reason))?;
    if st.phase != Phase::Tables {
        return Err(CoreError::conflict(format!(
            "cannot amend the report: {}; the decision can only be revised by the minister",
            phase_msg(st)
        )));
    }
    if reported_on.is_none() {
        return Err(CoreError::conflict(
            "cannot amend the report: this province has not reported yet; submit it first",
        ));
    }
    ok(Phase::Tables, None)
}

/// Wet art. 5–6: the decision by 31 December; before 1 November only when every province
/// has reported (else with a reason); later than 31 December only with a reason.
fn decide(
    calendar: Calendar,
    st: &CycleState,
    missing_reports: &[String],
    on: NaiveDate,
    ov: &Override,
) -> Result<Permit, CoreError> {
    if st.phase != Phase::Tables {
        return Err(CoreError::conflict(format!("cannot decide: {}", phase_msg(st))));
    }
    let mut overridden = None;
    if on < calendar.report_deadline() && !missing_reports.is_empty() {
        overridden = ov.late(format!(
            "provinces {} may still report until {}",
            missing_reports.join(", "),
            d(calendar.report_deadline())
        ))?;
    }
    if on > calendar.decision_deadline() {
        overridden = ov.late(format!(
            "the distribution decision is due by {} (Wet art. 5–6); it is {}",
            d(calendar.decision_deadline()),
            d(on)
        ))?;
    }
    ok(Phase::Decided, overridden)
}

/// The minister revises a decision (after an upheld objection, Awb art. 7:11, or to correct
/// it), always with a reason, until the cycle closes.
fn revise_decision(st: &CycleState, reason: &str) -> Result<Permit, CoreError> {
    require_reason("a revision of the decision", Some(reason))?;
    if st.phase != Phase::Decided {
        return Err(CoreError::conflict(format!("cannot revise the decision: {}", phase_msg(st))));
    }
    ok(Phase::Decided, None)
}

/// Awb art. 6:4, 6:7, 6:8: a municipality objects to its binding task within six weeks of
/// the decision; one open objection at a time.
fn object(st: &CycleState, pending: bool, on: NaiveDate) -> Result<Permit, CoreError> {
    let Some(dec) = st.decided_on.filter(|_| st.phase == Phase::Decided) else {
        return Err(CoreError::conflict(format!(
            "cannot object: {}; an objection is against the binding task of the decision",
            phase_msg(st)
        )));
    };
    if pending {
        return Err(CoreError::conflict(
            "duplicate objection: this municipality already has an objection that is not decided yet",
        ));
    }
    let deadline = Calendar::objection_deadline(dec);
    if on > deadline {
        return Err(CoreError::conflict(format!(
            "the objection period ended on {} (six weeks after the decision of {}, Awb art. 6:7); it is {}",
            d(deadline),
            d(dec),
            d(on)
        )));
    }
    ok(Phase::Decided, None)
}

/// Awb art. 7:11–7:12: the minister reconsiders and decides, with reasons, on an open
/// objection while the cycle is not closed.
fn decide_objection(st: &CycleState, pending: bool, reason: &str) -> Result<Permit, CoreError> {
    require_reason("a decision on an objection", Some(reason))?;
    if st.phase != Phase::Decided {
        return Err(CoreError::conflict(format!("cannot decide on the objection: {}", phase_msg(st))));
    }
    if !pending {
        return Err(CoreError::conflict("this objection was already decided"));
    }
    ok(Phase::Decided, None)
}

/// Realisation within six months of the decision (docs/DOMAIN-BRIEF.md §2). Realised places are a fact
/// on the ground: recorded even when late, and marked late.
fn realise(st: &CycleState, on: NaiveDate) -> Result<Permit, CoreError> {
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
    let late =
        (on > deadline).then(|| format!("recorded on {}, after the realisation deadline of {}", d(on), d(deadline)));
    Ok(Permit { phase: Phase::Decided, overridden: None, late })
}

/// Regeling specifieke uitkeringen (Stcrt. 2024, 3349): applications for the durable-places
/// payment are filed before a new cycle starts.
fn apply_payment(st: &CycleState, next_published: bool) -> Result<Permit, CoreError> {
    if st.phase == Phase::Closed {
        return Err(CoreError::conflict("cannot apply for the payment: the cycle is closed"));
    }
    if next_published {
        return Err(CoreError::conflict(
            "cannot apply for the payment: the next cycle has been published; applications are filed before a new \
             cycle (Regeling, Stcrt. 2024, 3349)",
        ));
    }
    ok(st.phase, None)
}

/// The minister closes the cycle after the realisation period (earlier with a reason).
fn close(st: &CycleState, on: NaiveDate, ov: &Override) -> Result<Permit, CoreError> {
    let Some(dec) = st.decided_on.filter(|_| st.phase == Phase::Decided) else {
        return Err(CoreError::conflict(format!("cannot close: {}", phase_msg(st))));
    };
    let deadline = Calendar::realisation_deadline(dec);
    let overridden = if on <= deadline {
        ov.late(format!("the realisation period runs until {}; it is {}", d(deadline), d(on)))?
    } else {
        None
    };
    ok(Phase::Closed, overridden)
}

/// How a municipality or province stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    /// Before the decision: counted places fall short of the (agreed) task.
    Short,
    /// Before the decision: counted places cover the task.
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

    /// Before the decision: what counts (`have`) against the task.
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
        CycleState {
            year: 2024,
            phase,
            origin: Origin::Ministry,
            published_on: date("2024-01-31"),
            decided_on: decided.map(date),
        }
    }

    fn publish_step() -> Step {
        Step::Publish { others: vec![] }
    }

    #[test]
    fn forecast_before_1_february_opens_the_tables() {
        // Wet art. 2; Stcrt. 2024, 3320 was published 31 Jan 2024.
        let p = check(CAL, None, &publish_step(), date("2024-01-31"), None).unwrap();
        assert_eq!(p.phase, Phase::Tables);
        let e = check(CAL, None, &publish_step(), date("2024-02-01"), None).unwrap_err().to_string();
        assert!(e.contains("before 1 February 2024"), "{e}");
        let p =
            check(CAL, None, &publish_step(), date("2024-02-05"), Some("court ruling delayed the figures")).unwrap();
        assert_eq!(p.overridden.as_deref(), Some("court ruling delayed the figures"));
    }

    /// The law's rhythm: one cycle every two years, never two at their tables at once.
    #[test]
    fn cycles_follow_the_two_year_rhythm() {
        let c2024 = |phase| OtherCycle { id: "2024".parse().unwrap(), year: 2024, phase, origin: Origin::Ministry };
        let cal26 = Calendar { year: 2026 };
        let open = Step::Publish { others: vec![c2024(Phase::Tables)] };
        let e = check(cal26, None, &open, date("2026-01-31"), None).unwrap_err().to_string();
        assert!(e.contains("still at its provincial tables"), "{e}");
        let decided = Step::Publish { others: vec![c2024(Phase::Decided)] };
        assert!(check(cal26, None, &decided, date("2026-01-31"), None).is_ok());
        let cal25 = Calendar { year: 2025 };
        let e = check(cal25, None, &decided, date("2025-01-31"), None).unwrap_err().to_string();
        assert!(e.contains("two years later (2026)"), "{e}");
        // Imported facts of another year do not count as a publication.
        let imported = OtherCycle { origin: Origin::Import, ..c2024(Phase::Tables) };
        assert!(check(cal26, None, &Step::Publish { others: vec![imported] }, date("2026-01-31"), None).is_ok());
    }

    #[test]
    fn imported_facts_can_only_be_superseded_by_a_publication() {
        let st = CycleState { origin: Origin::Import, ..state(Phase::Tables, None) };
        let e = check(CAL, Some(&st), &Step::Offer { reported_on: None }, date("2024-03-01"), None).unwrap_err();
        assert!(e.to_string().contains("imported"), "{e}");
        assert!(check(CAL, Some(&st), &publish_step(), date("2024-01-30"), None).is_ok());
        let e = check(CAL, Some(&st), &publish_step(), date("2024-03-01"), None).unwrap_err().to_string();
        assert!(e.contains("supersedes the imported"), "{e}");
    }

    #[test]
    fn offers_close_with_the_report_deadline_and_cannot_be_overridden() {
        let st = state(Phase::Tables, None);
        assert!(check(CAL, Some(&st), &Step::Offer { reported_on: None }, date("2024-10-31"), None).is_ok());
        let e = check(CAL, Some(&st), &Step::Offer { reported_on: None }, date("2024-11-01"), None).unwrap_err();
        assert!(e.to_string().contains("before 1 November 2024"), "{e}");
        assert!(
            check(CAL, Some(&st), &Step::Offer { reported_on: None }, date("2024-11-02"), Some("please allow it"))
                .is_err()
        );
        let e = check(CAL, Some(&st), &Step::Offer { reported_on: Some(date("2024-09-30")) }, date("2024-10-01"), None)
            .unwrap_err();
        assert!(e.to_string().contains("30 September 2024"), "{e}");
    }

    /// Amendments and withdrawals follow the offer's rule: until the province reports.
    #[test]
    fn offers_can_be_amended_and_withdrawn_until_the_province_reports() {
        let st = state(Phase::Tables, None);
        for step in [Step::AmendOffer { reported_on: None }, Step::WithdrawOffer { reported_on: None }] {
            assert!(check(CAL, Some(&st), &step, date("2024-06-01"), None).is_ok());
        }
        let reported = Some(date("2024-09-30"));
        for step in [Step::AmendOffer { reported_on: reported }, Step::WithdrawOffer { reported_on: reported }] {
            let e = check(CAL, Some(&st), &step, date("2024-10-01"), None).unwrap_err().to_string();
            assert!(e.contains("submitted its report"), "{e}");
        }
    }

    #[test]
    fn a_province_reports_once_and_amends_with_a_reason_until_the_decision() {
        let st = state(Phase::Tables, None);
        let e =
            check(CAL, Some(&st), &Step::Report { reported_on: Some(date("2024-10-01")) }, date("2024-10-02"), None)
                .unwrap_err();
        assert!(e.to_string().contains("duplicate"), "{e}");
        let amend = |reason: &str| Step::AmendReport { reported_on: Some(date("2024-10-01")), reason: reason.into() };
        assert!(check(CAL, Some(&st), &amend("GM0014 found 40 more places"), date("2024-11-15"), None).is_ok());
        assert!(check(CAL, Some(&st), &amend("short"), date("2024-11-15"), None).is_err());
        let decided = state(Phase::Decided, Some("2024-12-23"));
        assert!(check(CAL, Some(&decided), &amend("GM0014 found 40 more places"), date("2024-12-24"), None).is_err());
        let never = Step::AmendReport { reported_on: None, reason: "a reason of some length".into() };
        assert!(check(CAL, Some(&st), &never, date("2024-10-01"), None).is_err());
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

    /// Awb art. 6:7: six weeks to object; one open objection at a time; decisions on
    /// objections and revisions carry reasons.
    #[test]
    fn objections_within_six_weeks_and_decided_with_reasons() {
        let decided = state(Phase::Decided, Some("2024-12-23"));
        assert_eq!(Calendar::objection_deadline(date("2024-12-23")), date("2025-02-03"));
        assert!(check(CAL, Some(&decided), &Step::Object { pending: false }, date("2025-02-03"), None).is_ok());
        let e = check(CAL, Some(&decided), &Step::Object { pending: false }, date("2025-02-04"), None).unwrap_err();
        assert!(e.to_string().contains("Awb art. 6:7"), "{e}");
        let e = check(CAL, Some(&decided), &Step::Object { pending: true }, date("2025-01-04"), None).unwrap_err();
        assert!(e.to_string().contains("duplicate objection"), "{e}");
        let tables = state(Phase::Tables, None);
        assert!(check(CAL, Some(&tables), &Step::Object { pending: false }, date("2024-10-04"), None).is_err());
        let dec = |pending, reason: &str| Step::DecideObjection { pending, reason: reason.into() };
        assert!(check(CAL, Some(&decided), &dec(true, "the credit was missed"), date("2025-02-10"), None).is_ok());
        assert!(check(CAL, Some(&decided), &dec(true, "no"), date("2025-02-10"), None).is_err());
        assert!(check(CAL, Some(&decided), &dec(false, "the credit was missed"), date("2025-02-10"), None).is_err());
        let rev = |reason: &str| Step::ReviseDecision { reason: reason.into() };
        assert!(check(CAL, Some(&decided), &rev("objection of GM0014 upheld"), date("2025-02-11"), None).is_ok());
        assert!(check(CAL, Some(&decided), &rev(""), date("2025-02-11"), None).is_err());
        assert!(check(CAL, Some(&tables), &rev("objection of GM0014 upheld"), date("2025-02-11"), None).is_err());
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
        assert!(
            check(CAL, Some(&closed), &Step::ApplyPayment { next_published: false }, date("2025-08-01"), None).is_err()
        );
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
    fn payment_applications_come_before_the_next_cycle() {
        let decided = state(Phase::Decided, Some("2024-12-23"));
        assert!(
            check(CAL, Some(&decided), &Step::ApplyPayment { next_published: false }, date("2025-03-01"), None).is_ok()
        );
        let e = check(CAL, Some(&decided), &Step::ApplyPayment { next_published: true }, date("2026-03-01"), None)
            .unwrap_err();
        assert!(e.to_string().contains("3349"), "{e}");
    }

    #[test]
    fn overrides_are_only_for_the_ministers_steps() {
        let st = state(Phase::Tables, None);
        let e = check(CAL, Some(&st), &Step::Report { reported_on: None }, date("2024-11-05"), Some("we were late"));
        assert!(e.unwrap_err().to_string().contains("only to the minister"));
    }

    /// In the legal record an act takes effect on the day it is recorded; only a sandbox
    /// replays a cycle on chosen dates.
    #[test]
    fn another_date_only_in_a_sandbox() {
        let today = date("2026-12-01");
        assert_eq!(effective_date(false, today, None).unwrap(), today);
        assert_eq!(effective_date(false, today, Some(today)).unwrap(), today);
        let e = effective_date(false, today, Some(date("2024-01-31"))).unwrap_err().to_string();
        assert!(e.contains("sandbox"), "{e}");
        assert_eq!(effective_date(true, today, Some(date("2024-01-31"))).unwrap(), date("2024-01-31"));
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
