//! `spreiding forecast`: the capacity forecast (capaciteitsraming, Wet art. 2) with
//! uncertainty bands, and its backtest against published 2022 figures.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;
use spreiding_forecast::montecarlo::{Band, Required};
use spreiding_forecast::scenario::{self, ObservationKind, Scenario};
use spreiding_forecast::{Forecast, run as run_forecast};

use crate::error::{CliError, Result};
use crate::output::{Format, emit, read_text, table};

/// Forecast the national need for reception places on 1 January of the next years, with
/// P10/P50/P90 bands from a Monte Carlo stock-flow model of the asylum chain.
///
/// Required places = occupancy ÷ occupancy target (0.91 in cycle 1). Scenarios are
/// bundled (base, high-inflow, low-inflow, backlog, backtest-2022) or a TOML file; every
/// assumption is in the file (docs/FORECAST.md explains each key).
///
/// Examples:
///   spreiding forecast                                   base scenario, 10,000 paths, seed 1
///   spreiding forecast --scenario high-inflow --format csv
///   spreiding forecast --scenario my.toml --start 2026-01-01 --years 2 --runs 2000
///   spreiding forecast --format json | spreiding key --from-forecast -
///   spreiding forecast backtest                          compare with published 2022 figures
///   spreiding forecast scenarios                         list the bundled scenarios
#[derive(clap::Args)]
#[command(verbatim_doc_comment, args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    sub: Option<Sub>,
    #[command(flatten)]
    opts: Opts,
    /// Scenario: a bundled name or a TOML file.
    #[arg(long, short, default_value = "base")]
    scenario: String,
    /// Date of the starting stocks (YYYY-MM-DD); default: the scenario's `start`.
    #[arg(long, value_parser = parse_start)]
    start: Option<NaiveDate>,
    /// Number of 1 January target dates (years ahead).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=10))]
    years: u32,
    /// Occupancy over time: one row per month (first of the month), week or day.
    #[arg(long, value_enum, default_value = "month")]
    step: Step,
}

/// Options shared with `forecast backtest`.
#[derive(clap::Args, Clone)]
struct Opts {
    /// Monte Carlo paths.
    #[arg(long, short, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    runs: u64,
    /// Random seed: the same seed gives the same output, on any machine and thread count.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Write to this file instead of stdout (nothing is written on error).
    #[arg(long, short)]
    output: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Run the model from published stocks of January 2022 and compare it with COA's
    /// published occupancy during 2022 and the published forecast for 1 January 2025.
    Backtest {
        #[command(flatten)]
        opts: Opts,
    },
    /// List the bundled scenarios.
    Scenarios,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Step {
    Month,
    Week,
    Day,
}

fn parse_start(s: &str) -> std::result::Result<NaiveDate, String> {
    scenario::parse_date(s)
}

pub fn run(args: Args) -> Result<()> {
    match args.sub {
        Some(Sub::Backtest { opts }) => backtest(&opts),
        Some(Sub::Scenarios) => {
            let mut rows = Vec::new();
            for (id, _) in scenario::BUNDLED {
                let s = scenario::bundled(id).expect("listed")?;
                rows.push(vec![id.to_string(), s.scenario.version.to_string(), s.scenario.start, s.scenario.title]);
            }
            emit(None, &table(&["scenario", "version", "start", "title"], &rows))
        }
        None => forecast(&args),
    }
}

/// Load a bundled scenario or a file; returns it with the name to show.
fn load(name: &str) -> Result<(Scenario, String)> {
    if let Some(s) = scenario::bundled(name) {
        return Ok((s?, format!("bundled:{name}")));
    }
    let p = Path::new(name);
    if !p.exists() {
        let names: Vec<&str> = scenario::BUNDLED.iter().map(|b| b.0).collect();
        return Err(CliError::Input(format!(
            "unknown scenario '{name}': use a TOML file path or one of {}",
            names.join(", ")
        )));
    }
    let s = Scenario::parse(&p.display().to_string(), &read_text(p)?)?;
    Ok((s, p.display().to_string()))
}

/// Run the Monte Carlo with a progress bar on stderr for long runs (indicatif hides it
/// when stderr is not a terminal).
fn simulate_seeded(s: &Scenario, start: NaiveDate, years: u32, runs: u64, seed: u64) -> Result<Forecast> {
    let show = runs.saturating_mul(u64::from(years)) >= 2_000;
    let bar = if show {
        indicatif::ProgressBar::with_draw_target(Some(runs), indicatif::ProgressDrawTarget::stderr())
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} paths ({eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(format!("forecast {}", s.scenario.id));
    let f = run_forecast(s, start, years, runs as usize, seed, &|| bar.inc(1))?;
    bar.finish_and_clear();
    Ok(f)
}

#[derive(Serialize)]
struct ScenarioEcho<'a> {
    id: &'a str,
    version: u32,
    title: &'a str,
    from: &'a str,
    stocks_date: &'a str,
    sources: &'a [String],
    assumptions: &'a [String],
    parameters: &'a Scenario,
}

#[derive(Serialize)]
struct RequiredRow {
    date: NaiveDate,
    p10: u64,
    p50: u64,
    p90: u64,
    amv_p10: u64,
    amv_p50: u64,
    amv_p90: u64,
    occupancy_p10: u64,
    occupancy_p50: u64,
    occupancy_p90: u64,
    amv_occupancy_p50: u64,
    stocks_p50: spreiding_forecast::montecarlo::StockP50,
}

#[derive(Serialize)]
struct OccupancyRow {
    date: NaiveDate,
    p10: u64,
    p50: u64,
    p90: u64,
    amv_p10: u64,
    amv_p50: u64,
    amv_p90: u64,
}

#[derive(Serialize)]
struct JsonOut<'a> {
    scenario: ScenarioEcho<'a>,
    seed: u64,
    runs: usize,
    start: NaiveDate,
    years: u32,
    occupancy_target: f64,
    /// Required places = occupancy ÷ occupancy target, rounded up, on each 1 January.
    required_places: Vec<RequiredRow>,
    occupancy: Vec<OccupancyRow>,
    registration_overflow: &'a spreiding_forecast::montecarlo::OverflowStats,
    model: &'static str,
}

const MODEL_NOTE: &str =
    "spreiding-forecast daily stock-flow model (docs/FORECAST.md); percentiles are nearest-rank over paths";

fn required_row(r: &Required) -> RequiredRow {
    RequiredRow {
        date: r.date,
        p10: r.total.p10,
        p50: r.total.p50,
        p90: r.total.p90,
        amv_p10: r.amv.p10,
        amv_p50: r.amv.p50,
        amv_p90: r.amv.p90,
        occupancy_p10: r.occupancy.p10,
        occupancy_p50: r.occupancy.p50,
        occupancy_p90: r.occupancy.p90,
        amv_occupancy_p50: r.amv_occupancy.p50,
        stocks_p50: r.stocks_p50.clone(),
    }
}

fn forecast(args: &Args) -> Result<()> {
    let (s, from) = load(&args.scenario)?;
    let stocks_date = s.start_date().map_err(|e| CliError::Input(format!("{from}: {e}")))?;
    let start = args.start.unwrap_or(stocks_date);
    if start != stocks_date {
        eprintln!(
            "note: the scenario's starting stocks describe {stocks_date}; they are used as the stocks on {start}"
        );
    }
    let f = simulate_seeded(&s, start, args.years, args.opts.runs, args.opts.seed)?;
    let rows: Vec<OccupancyRow> = f
        .occupancy
        .iter()
        .filter(|d| match args.step {
            Step::Day => true,
            Step::Week => (d.date - f.start).num_days() % 7 == 0,
            Step::Month => chrono::Datelike::day(&d.date) == 1 || d.date == f.start,
        })
        .map(|d| OccupancyRow {
            date: d.date,
            p10: d.total.p10,
            p50: d.total.p50,
            p90: d.total.p90,
            amv_p10: d.amv.p10,
            amv_p50: d.amv.p50,
            amv_p90: d.amv.p90,
        })
        .collect();
    let required: Vec<RequiredRow> = f.required_places.iter().map(required_row).collect();
    let text = match args.opts.format {
        Format::Json => {
            let out = JsonOut {
                scenario: ScenarioEcho {
                    id: &s.scenario.id,
                    version: s.scenario.version,
                    title: &s.scenario.title,
                    from: &from,
                    stocks_date: &s.scenario.start,
                    sources: &s.scenario.sources,
                    assumptions: &s.scenario.assumptions,
                    parameters: &s,
                },
                seed: f.seed,
                runs: f.runs,
                start: f.start,
                years: args.years,
                occupancy_target: f.occupancy_target,
                required_places: required,
                occupancy: rows,
                registration_overflow: &f.registration_overflow,
                model: MODEL_NOTE,
            };
            serde_json::to_string_pretty(&out).expect("serialisable") + "\n"
        }
        Format::Csv => {
            let mut t = String::from("kind,date,p10,p50,p90,amv_p10,amv_p50,amv_p90,scenario,seed,runs\n");
            let tail = format!("{}@{},{},{}", s.scenario.id, s.scenario.version, f.seed, f.runs);
            for r in &required {
                t.push_str(&format!(
                    "required_places,{},{},{},{},{},{},{},{tail}\n",
                    r.date, r.p10, r.p50, r.p90, r.amv_p10, r.amv_p50, r.amv_p90
                ));
            }
            for r in &rows {
                t.push_str(&format!(
                    "occupancy,{},{},{},{},{},{},{},{tail}\n",
                    r.date, r.p10, r.p50, r.p90, r.amv_p10, r.amv_p50, r.amv_p90
                ));
            }
            t
        }
        Format::Table => render_table(&s, &from, &f, &required, &rows),
    };
    emit(args.opts.output.as_deref(), &text)
}

fn render_table(s: &Scenario, from: &str, f: &Forecast, required: &[RequiredRow], rows: &[OccupancyRow]) -> String {
    let mut out = format!(
        "Capacity forecast — scenario {} v{} ({from}): {}\nStart {} · {} paths · seed {} · occupancy target {}\n\n",
        s.scenario.id, s.scenario.version, s.scenario.title, f.start, f.runs, f.seed, f.occupancy_target
    );
    out.push_str(&format!("Required places on 1 January (occupancy ÷ {}), P10 / P50 / P90:\n", f.occupancy_target));
    let req_rows: Vec<Vec<String>> = required
        .iter()
        .map(|r| {
            vec![
                r.date.to_string(),
                r.p10.to_string(),
                r.p50.to_string(),
                r.p90.to_string(),
                r.amv_p10.to_string(),
                r.amv_p50.to_string(),
                r.amv_p90.to_string(),
            ]
        })
        .collect();
    out.push_str(&table(&["date", "p10", "p50", "p90", "amv_p10", "amv_p50", "amv_p90"], &req_rows));
    out.push_str("\nPersons per stock on those dates (P50 of each stock, both streams):\n");
    let stock_rows: Vec<Vec<String>> = required
        .iter()
        .map(|r| {
            let k = &r.stocks_p50;
            vec![
                r.date.to_string(),
                k.registration.to_string(),
                k.overflow.to_string(),
                k.procedure.to_string(),
                k.awaiting_decision.to_string(),
                k.permit_holders.to_string(),
                k.return_phase.to_string(),
            ]
        })
        .collect();
    out.push_str(&table(
        &["date", "registration", "overflow", "procedure", "awaiting_decision", "permit_holders", "return"],
        &stock_rows,
    ));
    out.push_str("\nOccupancy (persons in reception), P10 / P50 / P90:\n");
    let occ_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![r.date.to_string(), r.p10.to_string(), r.p50.to_string(), r.p90.to_string(), r.amv_p50.to_string()]
        })
        .collect();
    out.push_str(&table(&["date", "p10", "p50", "p90", "amv_p50"], &occ_rows));
    let o = &f.registration_overflow;
    out.push_str(&format!(
        "\nRegistration centre over its cap of {}: in {:.1} % of paths; peak overflow P50 {} / P90 {} persons.\n",
        s.registration.capacity,
        100.0 * o.share_of_paths,
        o.peak.p50,
        o.peak.p90
    ));
    out.push_str(&format!(
        "Assumptions: {} stated in the scenario file; sources: {}.\n",
        s.scenario.assumptions.len(),
        s.scenario.sources.len()
    ));
    out
}

#[derive(Serialize)]
struct Comparison<'a> {
    date: NaiveDate,
    kind: &'a str,
    observed: f64,
    p10: u64,
    p50: u64,
    p90: u64,
    /// P50 − observed.
    error: f64,
    /// (P50 − observed) ÷ observed.
    relative_error: f64,
    within_p10_p90: bool,
    source: &'a str,
}

fn backtest(opts: &Opts) -> Result<()> {
    let name = "backtest-2022";
    let s = scenario::bundled(name).expect("bundled")?;
    let start = s.start_date()?;
    let last = s
        .observed
        .iter()
        .filter_map(|o| scenario::parse_date(&o.date).ok())
        .max()
        .ok_or_else(|| CliError::Other("backtest scenario has no observations".into()))?;
    let years = (chrono::Datelike::year(&last) - chrono::Datelike::year(&start)).max(1) as u32;
    let f = simulate_seeded(&s, start, years, opts.runs, opts.seed)?;
    let mut rows = Vec::new();
    for o in &s.observed {
        let date = scenario::parse_date(&o.date).map_err(CliError::Input)?;
        let band: Band = match o.kind {
            ObservationKind::Occupancy => {
                let d = (date - f.start).num_days();
                if d < 0 || d as usize >= f.occupancy.len() {
                    continue;
                }
                f.occupancy[d as usize].total
            }
            ObservationKind::RequiredPlaces => match f.required_places.iter().find(|r| r.date == date) {
                Some(r) => r.total,
                None => continue,
            },
        };
        let error = band.p50 as f64 - o.value;
        rows.push(Comparison {
            date,
            kind: match o.kind {
                ObservationKind::Occupancy => "occupancy",
                ObservationKind::RequiredPlaces => "required_places",
            },
            observed: o.value,
            p10: band.p10,
            p50: band.p50,
            p90: band.p90,
            error,
            relative_error: error / o.value,
            within_p10_p90: (band.p10 as f64) <= o.value && o.value <= band.p90 as f64,
            source: &o.source,
        });
    }
    let occ: Vec<&Comparison> = rows.iter().filter(|r| r.kind == "occupancy").collect();
    let mape = occ.iter().map(|r| r.relative_error.abs()).sum::<f64>() / occ.len().max(1) as f64;
    let text = match opts.format {
        Format::Json => {
            let v = serde_json::json!({
                "scenario": {"id": s.scenario.id, "version": s.scenario.version, "title": s.scenario.title,
                             "sources": s.scenario.sources, "assumptions": s.scenario.assumptions},
                "seed": f.seed, "runs": f.runs, "start": f.start,
                "comparisons": rows,
                "occupancy_mean_absolute_percentage_error": mape,
            });
            serde_json::to_string_pretty(&v).expect("serialisable") + "\n"
        }
        Format::Csv => {
            let mut t = String::from("date,kind,observed,p10,p50,p90,error,relative_error,within_p10_p90\n");
            for r in &rows {
                t.push_str(&format!(
                    "{},{},{},{},{},{},{},{:.4},{}\n",
                    r.date, r.kind, r.observed, r.p10, r.p50, r.p90, r.error, r.relative_error, r.within_p10_p90
                ));
            }
            t
        }
        Format::Table => {
            let body: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.date.to_string(),
                        r.kind.to_string(),
                        format!("{:.0}", r.observed),
                        r.p10.to_string(),
                        r.p50.to_string(),
                        r.p90.to_string(),
                        format!("{:+.0}", r.error),
                        format!("{:+.1} %", 100.0 * r.relative_error),
                        if r.within_p10_p90 { "yes".into() } else { "no".into() },
                    ]
                })
                .collect();
            format!(
                "Backtest — scenario {} v{}: {}\nStart {} · {} paths · seed {}\n\n{}\nOccupancy: mean absolute error of the P50 {:.1} %.\nSources and assumptions: scenarios/{}.toml (docs/FORECAST.md, Backtest).\n",
                s.scenario.id,
                s.scenario.version,
                s.scenario.title,
                f.start,
                f.runs,
                f.seed,
                table(&["date", "kind", "observed", "p10", "p50", "p90", "error", "relative", "in_band"], &body),
                100.0 * mape,
                name
            )
        }
    };
    emit(opts.output.as_deref(), &text)
}
