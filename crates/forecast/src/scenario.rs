//! Scenario files (`scenarios/<id>.toml`): every assumption of a forecast, in one
//! declarative, versioned file. A scenario holds the starting stocks, the inflow (level,
//! seasonality, regime switches and level uncertainty), the procedure (decision capacity,
//! grant rate, decision-time distribution), housing (the half-yearly housing task) and the
//! return phase, once for the general stream and once for unaccompanied minors (AMV).
//!
//! Errors name the file, the line and the key (TOML syntax and type errors use the toml
//! crate's spans; range checks find the key's line in the text).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use spreiding_core::{CoreError, Located};

/// Most Erlang phases a stage may have (the shape of its duration distribution).
pub const MAX_PHASES: usize = 8;

/// A complete forecast scenario as written in `scenarios/<id>.toml`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub scenario: Meta,
    pub inflow: Inflow,
    pub registration: Registration,
    /// Everyone except unaccompanied minors: adults and accompanied children.
    pub general: Stream,
    /// Unaccompanied minors (alleenstaande minderjarige vreemdelingen), their own stream:
    /// the capacity forecast sets a separate AMV sub-task (Stcrt. 2024, 3320: 8,140 of 96,000).
    pub amv: Stream,
    /// Published figures to compare the forecast with (used by the backtest).
    #[serde(default)]
    pub observed: Vec<Observation>,
}

/// Who wrote the scenario, what it is for, and where its numbers come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    pub id: String,
    pub version: u32,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Date the starting stocks describe (YYYY-MM-DD); `--start` overrides it.
    pub start: String,
    /// Share of places occupied that the forecast plans for: 0.91 in cycle 1
    /// (docs/DOMAIN-BRIEF.md §2; COA, "Het COA moet volgend jaar opnieuw fors groeien", 2023) — COA's
    /// planning norm for the capacity forecast, not a rule of the Wet; COA used 0.96 in 2022
    /// (docs/SIMULATION-SOURCES.md §1.2).
    pub occupancy_target: f64,
    /// Sources of the numbers in this file.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Numbers that are assumptions, said plainly.
    #[serde(default)]
    pub assumptions: Vec<String>,
    /// Backtests only: observations on or after this date (YYYY-MM-DD) are held out of
    /// the fit — no parameter was chosen by looking at them — and reported as out of sample.
    #[serde(default)]
    pub holdout_from: Option<String>,
}

/// Inflow shape shared by both streams.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inflow {
    /// Twelve monthly multipliers (January first); normalised to mean 1 so the yearly
    /// levels in the streams stay the yearly levels.
    pub seasonality: Vec<f64>,
    /// Standard deviation of the log of a per-path level multiplier (mean 1): how unsure
    /// the yearly level is. 0 = only Poisson noise and regime switches.
    #[serde(default)]
    pub level_uncertainty: f64,
    /// Inflow regimes (shocks). Each path starts in the first; it leaves a regime after a
    /// geometric time with the given mean and enters another one in proportion to weight.
    pub regimes: Vec<Regime>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regime {
    pub name: String,
    /// Inflow multiplier while in this regime.
    pub multiplier: f64,
    /// Mean duration in days.
    pub mean_days: f64,
    /// Relative chance to enter this regime when leaving another.
    #[serde(default = "one")]
    pub weight: f64,
}

fn one() -> f64 {
    1.0
}

/// The registration centre (aanmeldcentrum Ter Apel), shared by both streams. The model has
/// one registration centre and gives it Ter Apel's cap.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    /// Most residents allowed (2,000 at Ter Apel, by the agreement and the court order with
    /// the municipality of Westerwolde, docs/DOMAIN-BRIEF.md §5: Ter Apel's cap, not a rule of the Wet or
    /// for every registration centre); arrivals beyond it wait in overflow (crisis emergency
    /// reception), which is counted and still needs a place.
    pub capacity: u32,
    /// Mean stay in registration in days (geometric).
    pub mean_days: f64,
}

/// One stream of people through the chain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stream {
    /// First asylum applications per year (eerste asielaanvragen).
    pub first_applications_per_year: f64,
    /// Family members arriving per year for reunification (nareizigers).
    #[serde(default)]
    pub family_reunification_per_year: f64,
    /// Share of those family members who need a reception place (the rest move in with
    /// their family directly). They arrive with a permit and join the housing stage.
    #[serde(default)]
    pub family_reunification_reception_share: f64,
    /// Repeat (follow-up) asylum applications per year (herhaalde aanvragen) that need a
    /// place: they enter registration and the procedure like first applications
    /// (docs/SIMULATION-SOURCES.md §1.3: 1,590 in 2024).
    #[serde(default)]
    pub repeat_applications_per_year: f64,
    /// Resettled refugees per year (hervestiging): they arrive with a permit, all need a
    /// reception place, and join the housing stage like family members
    /// (docs/SIMULATION-SOURCES.md §1.3: about 760 in 2024).
    #[serde(default)]
    pub resettlement_per_year: f64,
    pub stocks: Stocks,
    pub procedure: Procedure,
    pub housing: Housing,
    #[serde(rename = "return")]
    pub return_phase: ReturnPhase,
    /// Dated changes of the inflow and the policy levers (an OpenFisca-style dated series):
    /// each period holds from its `from` date until the next one; a key it leaves out keeps
    /// its previous value. Used to feed a backtest the observed year-by-year figures.
    #[serde(default)]
    pub periods: Vec<Period>,
}

/// One dated period of a stream's inflow and levers (see [`Stream::periods`]). Every value
/// is optional; absent = unchanged from the period before (or from the stream's own keys).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// First day of the period (YYYY-MM-DD).
    pub from: String,
    #[serde(default)]
    pub first_applications_per_year: Option<f64>,
    #[serde(default)]
    pub repeat_applications_per_year: Option<f64>,
    #[serde(default)]
    pub family_reunification_per_year: Option<f64>,
    #[serde(default)]
    pub resettlement_per_year: Option<f64>,
    /// IND decision capacity per year in this period.
    #[serde(default)]
    pub decisions_per_year: Option<f64>,
    #[serde(default)]
    pub grant_rate: Option<f64>,
    /// Where each value of this period comes from (free text, echoed in the output).
    #[serde(default)]
    pub source: String,
}

/// Starting stocks (persons) on the start date.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stocks {
    #[serde(default)]
    pub registration: u32,
    #[serde(default)]
    pub overflow: u32,
    /// In procedure before the decision queue (rest and preparation, waiting to be heard).
    #[serde(default)]
    pub procedure: u32,
    /// Waiting for an IND decision (the backlog).
    #[serde(default)]
    pub awaiting_decision: u32,
    /// Permit holders (statushouders) waiting for housing in a municipality.
    #[serde(default)]
    pub permit_holders: u32,
    /// Rejected applicants in the return phase.
    #[serde(default, rename = "return")]
    pub return_phase: u32,
}

impl Stocks {
    pub fn total(&self) -> u64 {
        [
            self.registration,
            self.overflow,
            self.procedure,
            self.awaiting_decision,
            self.permit_holders,
            self.return_phase,
        ]
        .iter()
        .map(|&x| u64::from(x))
        .sum()
    }
}

/// The asylum procedure: preparation, then a decision by the IND within its capacity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Procedure {
    /// Mean days from leaving registration until the file is ready for decision.
    pub preparation_days: f64,
    /// Erlang phases of that time (1 = exponential; more = less spread).
    #[serde(default = "one_u")]
    pub phases: u32,
    /// IND decision capacity per year; absent = unlimited (no backlog builds up).
    #[serde(default)]
    pub decisions_per_year: Option<f64>,
    /// Share of decisions that grant protection (seed §5: about two thirds).
    pub grant_rate: f64,
    /// Standard deviation of the log of a per-path multiplier (mean 1) on the IND decision
    /// capacity: how unsure the capacity is where it is not published. 0 = known exactly.
    #[serde(default)]
    pub capacity_uncertainty: f64,
}

fn one_u() -> u32 {
    1
}

/// Housing of permit holders: matching to a municipality, then housing within the
/// half-yearly housing task (huisvestingstaakstelling, Huisvestingswet 2014 art. 28).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Housing {
    /// Mean days from permit to being matched to a municipality and ready to move.
    pub matching_days: f64,
    #[serde(default = "one_u")]
    pub phases: u32,
    /// The housing task per half year (persons), starting with the half year that holds the
    /// start date; the last value repeats. Absent = no limit.
    #[serde(default)]
    pub task_per_half_year: Option<Vec<f64>>,
    /// Share of the task municipalities realise.
    #[serde(default = "one")]
    pub realisation: f64,
    /// Standard deviation of the log of a per-path multiplier (mean 1) on the housing
    /// supply (the realised task): how unsure it is where it is not published. 0 = exact.
    #[serde(default)]
    pub supply_uncertainty: f64,
}

/// Rejected applicants until departure (vertrek), assisted, forced or unsupervised.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnPhase {
    pub mean_days: f64,
    #[serde(default = "one_u")]
    pub phases: u32,
}

/// A published figure to compare with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observation {
    pub date: String,
    /// `occupancy` (persons in reception) or `required_places` (a published forecast).
    pub kind: ObservationKind,
    /// Which persons: `total` (default), `permit_holders` (waiting for housing) or `amv`.
    #[serde(default)]
    pub series: Series,
    pub value: f64,
    pub source: String,
}

/// The persons an observation counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Series {
    /// Everyone in COA reception.
    #[default]
    Total,
    /// Permit holders (statushouders) waiting in reception for a home.
    PermitHolders,
    /// Unaccompanied minors.
    Amv,
}

impl Series {
    pub fn name(self) -> &'static str {
        match self {
            Series::Total => "total",
            Series::PermitHolders => "permit_holders",
            Series::Amv => "amv",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObservationKind {
    Occupancy,
    RequiredPlaces,
}

/// The scenarios shipped with spreiding, compiled into the binary.
pub const BUNDLED: &[(&str, &str)] = &[
    ("base", include_str!("../../../scenarios/base.toml")),
    ("high-inflow", include_str!("../../../scenarios/high-inflow.toml")),
    ("low-inflow", include_str!("../../../scenarios/low-inflow.toml")),
    ("backlog", include_str!("../../../scenarios/backlog.toml")),
    ("backtest-2022", include_str!("../../../scenarios/backtest-2022.toml")),
    ("backtest-2019-2025", include_str!("../../../scenarios/backtest-2019-2025.toml")),
    ("official-2026", include_str!("../../../scenarios/official-2026.toml")),
];

/// A bundled scenario by id, parsed.
pub fn bundled(id: &str) -> Option<Result<Scenario, CoreError>> {
    BUNDLED.iter().find(|(n, _)| *n == id).map(|(n, text)| Scenario::parse(&format!("scenarios/{n}.toml"), text))
}

impl Scenario {
    /// Parse and check a scenario. `source` names the file in error messages.
    pub fn parse(source: &str, text: &str) -> Result<Self, CoreError> {
        let s: Scenario = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|sp| line_at(text, sp.start)).unwrap_or(0);
            let msg = e.message().trim().to_string();
            CoreError::invalid(format!("{msg}; see docs/FORECAST.md for the scenario keys"))
                .at(Located::new(source, line, ""))
        })?;
        s.check(source, text)?;
        Ok(s)
    }

    /// The start date of the starting stocks.
    pub fn start_date(&self) -> Result<NaiveDate, CoreError> {
        parse_date(&self.scenario.start).map_err(|m| CoreError::invalid(m).at(Located::new("", 0, "scenario.start")))
    }

    fn check(&self, source: &str, text: &str) -> Result<(), CoreError> {
        let bad = |table: &str, key: &str, msg: String| {
            let line = find_key_line(text, table, key);
            let field = if table.is_empty() { key.to_string() } else { format!("{table}.{key}") };
            Err(CoreError::invalid(msg).at(Located::new(source, line, &field)))
        };
        if let Err(m) = parse_date(&self.scenario.start) {
            return bad("scenario", "start", m);
        }
        let t = self.scenario.occupancy_target;
        if !(t > 0.0 && t <= 1.0) {
            return bad("scenario", "occupancy_target", format!("{t} must be a share in (0, 1], e.g. 0.91"));
        }
        if self.inflow.seasonality.len() != 12 {
            return bad(
                "inflow",
                "seasonality",
                format!("needs 12 monthly multipliers (January first), found {}", self.inflow.seasonality.len()),
            );
        }
        if self.inflow.seasonality.iter().any(|x| !(x.is_finite() && *x >= 0.0))
            || self.inflow.seasonality.iter().sum::<f64>() <= 0.0
        {
            return bad("inflow", "seasonality", "multipliers must be ≥ 0 and not all 0".into());
        }
        let lu = self.inflow.level_uncertainty;
        if !(lu.is_finite() && (0.0..=2.0).contains(&lu)) {
            return bad("inflow", "level_uncertainty", format!("{lu} must be between 0 and 2 (log-scale sd)"));
        }
        if self.inflow.regimes.is_empty() {
            return bad("inflow", "regimes", "needs at least one [[inflow.regimes]] entry".into());
        }
        for r in &self.inflow.regimes {
            if !(r.multiplier.is_finite() && r.multiplier >= 0.0) {
                return bad(
                    "inflow.regimes",
                    "multiplier",
                    format!("regime '{}': {} must be ≥ 0", r.name, r.multiplier),
                );
            }
            if !(r.mean_days.is_finite() && r.mean_days >= 1.0) {
                return bad(
                    "inflow.regimes",
                    "mean_days",
                    format!("regime '{}': {} must be ≥ 1 day", r.name, r.mean_days),
                );
            }
            if !(r.weight.is_finite() && r.weight >= 0.0) {
                return bad("inflow.regimes", "weight", format!("regime '{}': {} must be ≥ 0", r.name, r.weight));
            }
        }
        if self.inflow.regimes.len() > 1 && self.inflow.regimes.iter().skip(1).all(|r| r.weight == 0.0) {
            return bad("inflow.regimes", "weight", "at least one regime other than the first needs weight > 0".into());
        }
        if self.registration.mean_days < 1.0 || !self.registration.mean_days.is_finite() {
            return bad("registration", "mean_days", format!("{} must be ≥ 1 day", self.registration.mean_days));
        }
        if self.registration.capacity == 0 {
            return bad("registration", "capacity", "must be at least 1 place".into());
        }
        for (name, st) in [("general", &self.general), ("amv", &self.amv)] {
            check_stream(name, st).or_else(|(table, key, msg)| bad(&format!("{name}{table}"), key, msg))?;
        }
        for o in &self.observed {
            if let Err(m) = parse_date(&o.date) {
                return bad("observed", "date", m);
            }
        }
        if let Some(h) = &self.scenario.holdout_from
            && let Err(m) = parse_date(h)
        {
            return bad("scenario", "holdout_from", m);
        }
        Ok(())
    }
}

type StreamErr = (&'static str, &'static str, String);

fn check_stream(name: &str, s: &Stream) -> Result<(), StreamErr> {
    let nonneg = |x: f64| x.is_finite() && x >= 0.0;
    if !nonneg(s.first_applications_per_year) {
        return Err(("", "first_applications_per_year", "must be a number ≥ 0".into()));
    }
    if !nonneg(s.family_reunification_per_year) {
        return Err(("", "family_reunification_per_year", "must be a number ≥ 0".into()));
    }
    if !(0.0..=1.0).contains(&s.family_reunification_reception_share) {
        return Err(("", "family_reunification_reception_share", "must be a share between 0 and 1".into()));
    }
    stage(s.procedure.preparation_days, s.procedure.phases).map_err(|m| (".procedure", "preparation_days", m))?;
    if !(1..=MAX_PHASES as u32).contains(&s.procedure.phases) {
        return Err((".procedure", "phases", format!("must be 1 to {MAX_PHASES}")));
    }
    if let Some(d) = s.procedure.decisions_per_year
        && !(d.is_finite() && d > 0.0)
    {
        return Err((".procedure", "decisions_per_year", format!("{d} must be > 0 (leave it out for no limit)")));
    }
    if !(0.0..=1.0).contains(&s.procedure.grant_rate) {
        return Err((
            ".procedure",
            "grant_rate",
            format!("{} must be a share between 0 and 1", s.procedure.grant_rate),
        ));
    }
    stage(s.housing.matching_days, s.housing.phases).map_err(|m| (".housing", "matching_days", m))?;
    if !(1..=MAX_PHASES as u32).contains(&s.housing.phases) {
        return Err((".housing", "phases", format!("must be 1 to {MAX_PHASES}")));
    }
    if let Some(t) = &s.housing.task_per_half_year
        && (t.is_empty() || t.iter().any(|x| !nonneg(*x)))
    {
        return Err((".housing", "task_per_half_year", "needs at least one value, all ≥ 0".into()));
    }
    if !(0.0..=2.0).contains(&s.housing.realisation) {
        return Err((".housing", "realisation", format!("{} must be between 0 and 2", s.housing.realisation)));
    }
    stage(s.return_phase.mean_days, s.return_phase.phases).map_err(|m| (".return", "mean_days", m))?;
    if !(1..=MAX_PHASES as u32).contains(&s.return_phase.phases) {
        return Err((".return", "phases", format!("must be 1 to {MAX_PHASES}")));
    }
    if !nonneg(s.repeat_applications_per_year) {
        return Err(("", "repeat_applications_per_year", "must be a number ≥ 0".into()));
    }
    if !nonneg(s.resettlement_per_year) {
        return Err(("", "resettlement_per_year", "must be a number ≥ 0".into()));
    }
    let sd = |x: f64| x.is_finite() && (0.0..=2.0).contains(&x);
    if !sd(s.procedure.capacity_uncertainty) {
        return Err((".procedure", "capacity_uncertainty", "must be between 0 and 2 (log-scale sd)".into()));
    }
    if !sd(s.housing.supply_uncertainty) {
        return Err((".housing", "supply_uncertainty", "must be between 0 and 2 (log-scale sd)".into()));
    }
    let mut last: Option<NaiveDate> = None;
    for p in &s.periods {
        let d = parse_date(&p.from).map_err(|m| (".periods", "from", m))?;
        if last.is_some_and(|l| d <= l) {
            return Err((".periods", "from", format!("'{}': periods must be in increasing date order", p.from)));
        }
        last = Some(d);
        for (key, v) in [
            ("first_applications_per_year", p.first_applications_per_year),
            ("repeat_applications_per_year", p.repeat_applications_per_year),
            ("family_reunification_per_year", p.family_reunification_per_year),
            ("resettlement_per_year", p.resettlement_per_year),
        ] {
            if v.is_some_and(|x| !nonneg(x)) {
                return Err((".periods", key, format!("period from {}: must be a number ≥ 0", p.from)));
            }
        }
        if p.decisions_per_year.is_some_and(|d| !(d.is_finite() && d > 0.0)) {
            return Err((".periods", "decisions_per_year", format!("period from {}: must be > 0", p.from)));
        }
        if p.decisions_per_year.is_some() && s.procedure.decisions_per_year.is_none() {
            return Err((
                ".periods",
                "decisions_per_year",
                format!("period from {}: set procedure.decisions_per_year too (a limit cannot start later)", p.from),
            ));
        }
        if p.grant_rate.is_some_and(|g| !(0.0..=1.0).contains(&g)) {
            return Err((".periods", "grant_rate", format!("period from {}: must be a share between 0 and 1", p.from)));
        }
    }
    let _ = name;
    Ok(())
}

/// A stage of `phases` daily-geometric phases needs at least one day per phase.
fn stage(mean: f64, phases: u32) -> Result<(), String> {
    if !mean.is_finite() || mean < f64::from(phases.max(1)) {
        return Err(format!("{mean} must be at least 1 day per phase ({} phases)", phases.max(1)));
    }
    Ok(())
}

/// Parse `YYYY-MM-DD`, with a message that says the expected form.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| format!("'{s}' is not a date: write YYYY-MM-DD"))
}

/// 1-based line number of byte offset `pos`.
fn line_at(text: &str, pos: usize) -> usize {
    text[..pos.min(text.len())].matches('\n').count() + 1
}

/// The line of `key` inside `[table]` (or `[[table]]`), 0 when not found. Used for range
/// errors found after parsing, so they too name a line.
fn find_key_line(text: &str, table: &str, key: &str) -> usize {
    let mut current = String::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(h) = line.strip_prefix("[[").and_then(|l| l.split("]]").next()) {
            current = h.trim().to_string();
            continue;
        }
        if let Some(h) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
            current = h.trim().to_string();
            continue;
        }
        if current == table
            && let Some(rest) = line.strip_prefix(key)
            && rest.trim_start().starts_with('=')
        {
            return i + 1;
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_bundled_scenarios_parse() {
        for (id, _) in BUNDLED {
            let s = bundled(id).unwrap().unwrap();
            assert_eq!(&s.scenario.id, id);
            assert!(!s.scenario.sources.is_empty(), "{id} cites no sources");
            assert!(!s.scenario.assumptions.is_empty(), "{id} states no assumptions");
        }
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let text = BUNDLED[0].1.replacen("grant_rate", "grant_rat", 1);
        let line = text.lines().position(|l| l.trim_start().starts_with("grant_rat ")).unwrap() + 1;
        let e = Scenario::parse("s.toml", &text).unwrap_err().to_string();
        assert!(e.starts_with(&format!("s.toml:{line}:")), "{e}");
        assert!(e.contains("grant_rat"), "{e}");
    }

    #[test]
    fn out_of_range_value_names_line_and_key() {
        let text = BUNDLED[0].1.replacen("occupancy_target = 0.91", "occupancy_target = 1.5", 1);
        let line = text.lines().position(|l| l.starts_with("occupancy_target")).unwrap() + 1;
        let e = Scenario::parse("s.toml", &text).unwrap_err().to_string();
        assert!(e.starts_with(&format!("s.toml:{line}: scenario.occupancy_target:")), "{e}");
    }

    #[test]
    fn wrong_type_names_line() {
        let text = BUNDLED[0].1.replacen("capacity = 2000", "capacity = \"veel\"", 1);
        let line = text.lines().position(|l| l.starts_with("capacity")).unwrap() + 1;
        let e = Scenario::parse("s.toml", &text).unwrap_err().to_string();
        assert!(e.starts_with(&format!("s.toml:{line}:")), "{e}");
    }
}
