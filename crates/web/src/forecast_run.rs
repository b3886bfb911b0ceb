//! The ministry's portal form that runs the capacity forecast (capaciteitsraming, Wet art. 2)
//! and records it as a forecast run: the browser's `spreiding forecast --record`.
//!
//! The form chooses a bundled scenario, the seed, the number of paths (bounded here, so one
//! post cannot occupy the server for long), the start date, the horizon and the step of the
//! occupancy rows. The engine is `spreiding_forecast`, the result JSON is
//! `spreiding_forecast::report`'s — the same bytes the command line prints and records, so
//! `spreiding forecast runs ID --verify` reproduces a run recorded here. No rule of law lives
//! here: whether the account may record is `Action::RecordForecast`, checked by the portal
//! and again by the store.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::NaiveDate;
use spreiding_forecast::report::{self, Step};
use spreiding_forecast::scenario;
use spreiding_store::NewForecastRun;

use crate::error::{Result, WebError};
use crate::i18n::Lang;

/// Fewest paths the form accepts: fewer give percentiles too coarse to publish from.
pub const MIN_PATHS: u64 = 100;
/// Most paths the form accepts, and its default (the command line's default too): a few
/// seconds on two cores, so one post cannot hold the server for long; `spreiding forecast
/// --record` has no such bound.
pub const MAX_PATHS: u64 = 10_000;
pub const DEFAULT_PATHS: u64 = 10_000;
/// Years ahead (1 January target dates): one cycle and the next.
pub const MAX_YEARS: u32 = 3;
pub const DEFAULT_YEARS: u32 = 2;
/// Longest note, in characters.
pub const MAX_NOTE: usize = 500;

/// The earliest and latest start date the form accepts.
fn start_bounds() -> (NaiveDate, NaiveDate) {
    (NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid"), NaiveDate::from_ymd_opt(2100, 12, 31).expect("valid"))
}

/// A bundled scenario as the form offers it.
pub struct ScenarioChoice {
    pub id: &'static str,
    pub version: u32,
    pub title: String,
    /// The date of its starting stocks: the default start date.
    pub stocks_date: String,
}

/// The bundled scenarios (`scenario::BUNDLED`), in their order, parsed once.
pub fn choices() -> &'static [ScenarioChoice] {
    static CHOICES: LazyLock<Vec<ScenarioChoice>> = LazyLock::new(|| {
        scenario::BUNDLED
            .iter()
            .filter_map(|&(id, _)| {
                let s = scenario::bundled(id)?.ok()?;
                Some(ScenarioChoice {
                    id,
                    version: s.scenario.version,
                    title: s.scenario.title,
                    stocks_date: s.scenario.start,
                })
            })
            .collect()
    });
    &CHOICES
}

/// What the form asks for, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub scenario: &'static str,
    pub seed: u64,
    pub paths: u64,
    /// None: the scenario's stocks date.
    pub start: Option<NaiveDate>,
    pub years: u32,
    pub step: Step,
    pub note: Option<String>,
}

fn field<'a>(f: &'a HashMap<String, String>, k: &str) -> &'a str {
    f.get(k).map(|s| s.trim()).unwrap_or("")
}

/// A refusal in the page's language, naming the field and the fix.
fn bad(l: Lang, nl: String, en: String) -> WebError {
    WebError::Invalid(l.tr_owned(&nl, &en))
}

impl Request {
    /// The posted fields `scenario`, `seed`, `paths`, `start`, `years`, `step` and `note`.
    pub fn from_form(f: &HashMap<String, String>, l: Lang) -> Result<Request> {
        let v = field(f, "scenario");
        let Some(choice) = choices().iter().find(|c| c.id == v) else {
            let list = choices().iter().map(|c| c.id).collect::<Vec<_>>().join(", ");
            return Err(bad(
                l,
                format!("Scenario: '{v}' is geen meegeleverd scenario; kies er een uit de lijst ({list})."),
                format!("Scenario: '{v}' is not a bundled scenario: choose one from the list ({list})."),
            ));
        };
        let v = field(f, "seed");
        let seed: u64 = v.parse().map_err(|_| {
            bad(
                l,
                format!("Zaad: '{v}' is geen geheel getal; vul 0 of meer in (bijvoorbeeld 1)."),
                format!("Seed: '{v}' is not a whole number: give 0 or more (for example 1)."),
            )
        })?;
        let (lo, hi) = (l.n(MIN_PATHS), l.n(MAX_PATHS));
        let v = field(f, "paths");
        let paths: u64 = v.parse().map_err(|_| {
            bad(
                l,
                format!("Paden: '{v}' is geen geheel getal; vul een aantal van {lo} tot en met {hi} in."),
                format!("Paths: '{v}' is not a whole number: give a number from {lo} to {hi}."),
            )
        })?;
        if !(MIN_PATHS..=MAX_PATHS).contains(&paths) {
            return Err(bad(
                l,
                format!(
                    "Paden: {} ligt buiten {lo} tot en met {hi}; kies een aantal daartussen (meer paden: spreiding \
                     forecast --record op de opdrachtregel).",
                    l.n(paths)
                ),
                format!(
                    "Paths: {} is outside {lo} to {hi}: choose a number in between (more paths: spreiding forecast \
                     --record on the command line).",
                    l.n(paths)
                ),
            ));
        }
        let (first, last) = start_bounds();
        let start = match field(f, "start") {
            "" => None,
            v => {
                let d = scenario::parse_date(v).map_err(|_| {
                    bad(
                        l,
                        format!(
                            "Startdatum: '{v}' is geen datum; gebruik JJJJ-MM-DD, of laat het veld leeg voor de datum \
                             van de beginvoorraden van het scenario ({}).",
                            choice.stocks_date
                        ),
                        format!(
                            "Start date: '{v}' is not a date: write YYYY-MM-DD, or leave it empty for the date of the \
                             scenario's starting stocks ({}).",
                            choice.stocks_date
                        ),
                    )
                })?;
                if d < first || d > last {
                    return Err(bad(
                        l,
                        format!("Startdatum: {d} ligt buiten {first} tot en met {last}; kies een datum daartussen."),
                        format!("Start date: {d} is outside {first} to {last}: choose a date in between."),
                    ));
                }
                Some(d)
            }
        };
        let v = field(f, "years");
        let years = v.parse::<u32>().ok().filter(|y| (1..=MAX_YEARS).contains(y)).ok_or_else(|| {
            bad(
                l,
                format!("Jaren: '{v}' is geen 1, 2 of 3; kies hoeveel 1 januari's vooruit (standaard 2)."),
                format!("Years: '{v}' is not 1, 2 or 3: choose how many 1 Januaries ahead (default 2)."),
            )
        })?;
        let v = field(f, "step");
        let step = Step::parse(v).ok_or_else(|| {
            bad(
                l,
                format!("Stap: '{v}' is geen maand, week of dag; kies er een."),
                format!("Step: '{v}' is not month, week or day: choose one."),
            )
        })?;
        let note = Some(field(f, "note").to_string()).filter(|n| !n.is_empty());
        if let Some(n) = &note {
            let chars = n.chars().count();
            if chars > MAX_NOTE {
                return Err(bad(
                    l,
                    format!("Notitie: {chars} tekens; maak haar korter (ten hoogste {MAX_NOTE})."),
                    format!("Note: {chars} characters: shorten it (at most {MAX_NOTE})."),
                ));
            }
        }
        Ok(Request { scenario: choice.id, seed, paths, start, years, step, note })
    }

    /// Run the forecast and give what the store records: the scenario's name and text, the
    /// result JSON of `spreiding_forecast::report`, the step and the note. CPU-bound: call it
    /// off the async runtime.
    pub fn run(&self) -> Result<NewForecastRun> {
        let s = scenario::bundled(self.scenario).expect("a listed scenario")?;
        let start = match self.start {
            Some(d) => d,
            None => s.start_date()?,
        };
        let f = spreiding_forecast::run(&s, start, self.years, self.paths as usize, self.seed, &|| {})?;
        let from = report::bundled_from(self.scenario);
        Ok(NewForecastRun {
            result_json: report::result_json(&s, &from, &f, self.years, self.step),
            scenario_from: from,
            scenario_toml: report::bundled_text(self.scenario).expect("a listed scenario").to_string(),
            step: self.step.name().to_string(),
            note: self.note.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        let mut f: HashMap<String, String> =
            [("scenario", "base"), ("seed", "1"), ("paths", "100"), ("start", ""), ("years", "2"), ("step", "month")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        for (k, v) in pairs {
            f.insert(k.to_string(), v.to_string());
        }
        f
    }

    #[test]
    fn every_bundled_scenario_is_offered() {
        assert_eq!(choices().len(), scenario::BUNDLED.len());
        assert!(choices().iter().all(|c| !c.title.is_empty() && scenario::parse_date(&c.stocks_date).is_ok()));
    }

    #[test]
    fn a_good_form_is_a_request_with_the_scenarios_stocks_date_by_default() {
        let r = Request::from_form(&form(&[("note", "  raming  ")]), Lang::Nl).unwrap();
        assert_eq!((r.scenario, r.seed, r.paths, r.start, r.years, r.step), ("base", 1, 100, None, 2, Step::Month));
        assert_eq!(r.note.as_deref(), Some("raming"));
        let r =
            Request::from_form(&form(&[("start", "2026-01-01"), ("step", "week"), ("note", " ")]), Lang::En).unwrap();
        assert_eq!((r.start.unwrap().to_string(), r.step, r.note), ("2026-01-01".to_string(), Step::Week, None));
    }

    #[test]
    fn each_bad_value_names_its_field_and_the_fix_in_the_pages_language() {
        let cases: &[(&str, &str, &str, &str)] = &[
            ("scenario", "nope", "Scenario: 'nope' is geen meegeleverd scenario", "choose one from the list (base,"),
            ("seed", "-1", "Zaad: '-1' is geen geheel getal", "Seed: '-1' is not a whole number"),
            ("paths", "0", "Paden: 0 ligt buiten 100 tot en met 10.000", "Paths: 0 is outside 100 to 10,000"),
            ("paths", "10001", "Paden: 10.001 ligt buiten", "Paths: 10,001 is outside"),
            ("paths", "veel", "Paden: 'veel' is geen geheel getal", "Paths: 'veel' is not a whole number"),
            ("start", "1-1-2026", "Startdatum: '1-1-2026' is geen datum; gebruik JJJJ-MM-DD", "write YYYY-MM-DD"),
            ("start", "1999-12-31", "Startdatum: 1999-12-31 ligt buiten", "Start date: 1999-12-31 is outside"),
            ("years", "4", "Jaren: '4' is geen 1, 2 of 3", "Years: '4' is not 1, 2 or 3"),
            ("years", "0", "Jaren: '0'", "Years: '0'"),
            ("step", "year", "Stap: 'year' is geen maand, week of dag", "Step: 'year' is not month, week or day"),
        ];
        for (k, v, nl, en) in cases {
            let e = Request::from_form(&form(&[(k, v)]), Lang::Nl).unwrap_err();
            assert!(matches!(e, WebError::Invalid(_)), "{k}={v}");
            assert!(e.to_string().contains(nl), "{k}={v}: {e}");
            let e = Request::from_form(&form(&[(k, v)]), Lang::En).unwrap_err().to_string();
            assert!(e.contains(en), "{k}={v}: {e}");
        }
        let long = "x".repeat(MAX_NOTE + 1);
        let e = Request::from_form(&form(&[("note", &long)]), Lang::En).unwrap_err().to_string();
        assert!(e.contains("Note: 501 characters"), "{e}");
    }
}
