//! `spreiding forecast`: the capacity forecast (capaciteitsraming, Wet art. 2) with
//! uncertainty bands, and its backtest against published 2022 figures.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use spreiding_forecast::report::{self, OccupancyRow, RequiredRow};
use spreiding_forecast::scenario::{self, Scenario};
use spreiding_forecast::{Forecast, run as run_forecast};

use crate::error::{CliError, Result};
use crate::output::{Format, Rows, emit, read_text, table};
use crate::session::{Identity, connect, runtime, store_err};

/// Forecast the national need for reception places on 1 January of the next years, with
/// P10/P50/P90 bands from a Monte Carlo stock-flow model of the asylum chain.
///
/// Required places = occupancy ÷ occupancy target (0.91 in cycle 1). Scenarios are
/// bundled (base, high-inflow, low-inflow, backlog, backtest-2022, backtest-2019-2025,
/// official-2026) or a TOML file; every assumption is in the file (docs/FORECAST.md
/// explains each key).
///
/// Examples:
///   spreiding forecast                                   base scenario, 10,000 paths, seed 1
///   spreiding forecast --scenario high-inflow --format csv
///   spreiding forecast --scenario my.toml --start 2026-01-01 --years 2 --runs 2000
///   spreiding forecast --format json | spreiding key --from-forecast -
///   spreiding forecast backtest                          compare with every published figure 2019–2025
///   spreiding forecast --scenario official-2026          the official raming's public assumptions
///   spreiding forecast explain                           base → official-2026 → 88,000, by driver
///   spreiding forecast scenarios                         list the bundled scenarios
///   spreiding forecast --seed 7 --record --user minister store the run in the record (prints its number)
///   spreiding forecast runs                              the recorded runs; `runs 3 --format json` one run's result
///   spreiding forecast runs 3 --verify                   run 3 again from the record: the same bytes?
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
    #[arg(long, default_value = "month", value_parser = step_parser())]
    step: report::Step,
    /// Store the run in the record (scenario text, seed, paths, horizon and the JSON result)
    /// so a cycle can be published from it (`spreiding cycle new --from-run ID`). Needs a
    /// ministry account (--user NAME with SPREIDING_PASSWORD, or SPREIDING_TOKEN).
    #[arg(long)]
    record: bool,
    /// A note recorded with the run (with --record).
    #[arg(long, requires = "record")]
    note: Option<String>,
    #[command(flatten)]
    db: Db,
}

/// The record the runs are stored in, and who stores them.
#[derive(clap::Args, Clone)]
struct Db {
    /// Database URL for --record and `runs`: sqlite://FILE?mode=rwc or postgres://USER@HOST/DB
    /// (default: DATABASE_URL, else spreiding.db in the current directory).
    #[arg(long, env = "DATABASE_URL", global = true)]
    database: Option<String>,
    #[command(flatten)]
    who: Identity,
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
    /// Run the model from COA's published stock of November 2019, fed with the observed
    /// inflow and levers up to 2025, and compare P10/P50/P90 with every published occupancy
    /// figure (total and permit holders); points from 2024 on are held out of the fit.
    Backtest {
        /// Backtest scenario: a bundled name (backtest-2019-2025, backtest-2022) or a TOML file
        /// with `[[observed]]` figures.
        #[arg(long, short, default_value = "backtest-2019-2025")]
        scenario: String,
        #[command(flatten)]
        opts: Opts,
    },
    /// Decompose the difference between two scenarios' required places on the next
    /// 1 January into named drivers (inflow, decision times, housing outflow, occupancy norm,
    /// starting stocks, return phase), by Shapley values over model runs; by default base against
    /// official-2026, and what no public assumption explains of the official 88,000.
    Explain {
        /// Reference scenario.
        #[arg(long, default_value = "base")]
        reference: String,
        /// Target scenario; its `[[observed]]` required_places on the target date (the
        /// published raming) is what the rest is measured against.
        #[arg(long, default_value = "official-2026")]
        target: String,
        /// Monte Carlo paths per model run (2^6 = 64 runs share the seed).
        #[arg(long, short, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
        runs: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// List the bundled scenarios.
    Scenarios,
    /// The forecast runs recorded with --record, newest first; with an ID that one run
    /// (`--format json` prints its result exactly as stored).
    Runs {
        /// One run's number.
        id: Option<i64>,
        /// Run it again from the stored scenario text, seed, paths, start and horizon and check
        /// that the result is the stored one, byte for byte (exit 1 when it is not).
        #[arg(long, requires = "id")]
        verify: bool,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

/// `--step`: the names of `report::Step` (one list for the command line, the portal and the record).
fn step_parser() -> impl clap::builder::TypedValueParser<Value = report::Step> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(report::Step::ALL.map(report::Step::name))
        .map(|name| report::Step::parse(&name).expect("one of the possible values"))
}

fn parse_start(s: &str) -> std::result::Result<NaiveDate, String> {
    scenario::parse_date(s)
}

pub fn run(args: Args) -> Result<()> {
    match args.sub {
        Some(Sub::Backtest { scenario, opts }) => backtest(&scenario, &opts),
        Some(Sub::Explain { reference, target, runs, seed, format, output }) => {
            explain(&reference, &target, runs as usize, seed, format, output.as_deref())
        }
        Some(Sub::Runs { id, verify, format, output }) => runs(&args.db, id, verify, format, output.as_deref()),
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
    load_text(name).map(|(s, from, _)| (s, from))
}

/// [`load`], with the scenario's TOML text (what a recorded run keeps).
fn load_text(name: &str) -> Result<(Scenario, String, String)> {
    if let Some(s) = scenario::bundled(name) {
        let text = report::bundled_text(name).expect("bundled");
        return Ok((s?, report::bundled_from(name), text.to_string()));
    }
    let p = Path::new(name);
    if !p.exists() {
        let names: Vec<&str> = scenario::BUNDLED.iter().map(|b| b.0).collect();
        return Err(CliError::Input(format!(
            "unknown scenario '{name}': use a TOML file path or one of {}",
            names.join(", ")
        )));
    }
    let text = read_text(p)?;
    let s = Scenario::parse(&p.display().to_string(), &text)?;
    Ok((s, p.display().to_string(), text))
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

/// Run a recorded forecast again from what the record holds (the scenario text, seed, paths,
/// start, horizon and step) and compare the result with the stored one, byte for byte.
fn verify_run(r: &spreiding_store::ForecastRun) -> Result<String> {
    // The store accepts only month, week and day.
    let step = report::Step::parse(&r.step).unwrap_or(report::Step::Month);
    if spreiding_core::reference::content_hash(&r.scenario_toml) != r.scenario_sha256 {
        return Err(CliError::Other(format!(
            "forecast run {} does not hold: its scenario text does not match its SHA-256; run `spreiding audit verify`",
            r.id
        )));
    }
    let s = Scenario::parse(&format!("forecast run {} (scenario text)", r.id), &r.scenario_toml)?;
    let f = simulate_seeded(&s, r.start, r.years, r.runs, r.seed)?;
    let text = report::result_json(&s, &r.scenario_from, &f, r.years, step);
    let now = spreiding_core::reference::content_hash(&text);
    if text != r.result_json {
        return Err(CliError::Other(format!(
            "forecast run {} does not reproduce: run again from its stored scenario (seed {}, {} paths from {}), the \
             result differs from the stored one (stored sha256 {}, now {now}). Either this version of spreiding \
             computes differently or the record was changed: run `spreiding audit verify`",
            r.id, r.seed, r.runs, r.start, r.result_sha256
        )));
    }
    Ok(format!(
        "Forecast run {} reproduces: scenario {} v{} (sha256 {}), seed {}, {} paths from {}, step {}: the same result, \
         byte for byte (sha256 {now}).\n",
        r.id, r.scenario_id, r.scenario_version, r.scenario_sha256, r.seed, r.runs, r.start, r.step
    ))
}

fn forecast(args: &Args) -> Result<()> {
    let (s, from, toml) = load_text(&args.scenario)?;
    // Sign in before the (long) run, so a refusal costs nothing.
    let recording = if args.record {
        let rt = runtime()?;
        let (store, act) = rt.block_on(async {
            let store = connect(args.db.database.as_deref()).await?;
            let act = args.db.who.act(&store).await?;
            Ok::<_, CliError>((store, act))
        })?;
        // The store checks again when it writes; asking now spares a refused planner the run.
        act.actor()
            .may(spreiding_core::actor::Action::RecordForecast)
            .map_err(|e| store_err(spreiding_store::StoreError::Denied(e)))?;
        Some((rt, store, act))
    } else {
        None
    };
    let stocks_date = s.start_date().map_err(|e| CliError::Input(format!("{from}: {e}")))?;
    let start = args.start.unwrap_or(stocks_date);
    if start != stocks_date {
        eprintln!(
            "note: the scenario's starting stocks describe {stocks_date}; they are used as the stocks on {start}"
        );
    }
    let f = simulate_seeded(&s, start, args.years, args.opts.runs, args.opts.seed)?;
    let rows = report::occupancy_rows(&f, args.step);
    let required = report::required_rows(&f);
    let json = || report::json_text(&s, &from, &f, args.years, &required, &rows);
    let mut text = match args.opts.format {
        Format::Json => json(),
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
    if let Some((rt, store, act)) = recording {
        let run = rt
            .block_on(store.record_forecast_run(
                &act,
                spreiding_store::NewForecastRun {
                    scenario_from: from.clone(),
                    scenario_toml: toml,
                    result_json: json(),
                    note: args.note.clone(),
                    step: args.step.name().into(),
                },
            ))
            .map_err(store_err)?;
        rt.block_on(store.close());
        let line = format!(
            "Recorded as forecast run {} in the record: publish a cycle from it with `spreiding cycle new --year YEAR \
             --from-run {}`.",
            run.id, run.id
        );
        // The id goes with the table; JSON and CSV stay machine-readable (the line goes to stderr).
        if args.opts.format == Format::Table && args.opts.output.is_none() {
            text.push_str(&format!("\n{line}\n"));
        } else {
            eprintln!("{line}");
        }
    }
    emit(args.opts.output.as_deref(), &text)
}

/// `spreiding forecast runs [ID]`: the recorded runs, or one of them.
fn runs(db: &Db, id: Option<i64>, verify: bool, format: Format, output: Option<&Path>) -> Result<()> {
    let rt = runtime()?;
    let text = rt.block_on(async {
        let store = connect(db.database.as_deref()).await?;
        let out = match id {
            Some(id) if verify => {
                let r = store.forecast_run(id).await.map_err(store_err)?;
                store.close().await;
                return verify_run(&r);
            }
            Some(id) => {
                let r = store.forecast_run(id).await.map_err(store_err)?;
                match format {
                    Format::Json => r.result_json.clone(),
                    _ => run_rows(std::slice::from_ref(&r)).render(format),
                }
            }
            None => {
                let all = store.forecast_runs().await.map_err(store_err)?;
                match format {
                    Format::Json => serde_json::to_string_pretty(&all).expect("serialisable") + "\n",
                    Format::Table if all.is_empty() => {
                        "No forecast runs are recorded yet: record one with `spreiding forecast --record --user NAME`.\n"
                            .to_string()
                    }
                    _ => run_rows(&all).render(format),
                }
            }
        };
        store.close().await;
        Ok::<_, CliError>(out)
    })?;
    emit(output, &text)
}

fn run_rows(runs: &[spreiding_store::ForecastRun]) -> Rows {
    let mut rows = Rows::new(&[
        "run",
        "scenario",
        "seed",
        "paths",
        "start",
        "target",
        "p10",
        "p50",
        "p90",
        "amv_p50",
        "recorded_on",
        "recorded_by",
        "scenario_sha256",
    ]);
    for r in runs {
        rows.push(vec![
            r.id.to_string(),
            format!("{}@{}", r.scenario_id, r.scenario_version),
            r.seed.to_string(),
            r.runs.to_string(),
            r.start.to_string(),
            r.first_target.to_string(),
            r.p10.to_string(),
            r.p50.to_string(),
            r.p90.to_string(),
            r.amv_p50.to_string(),
            r.recorded_on.to_string(),
            r.recorded_by.clone(),
            r.scenario_sha256[..16].to_string(),
        ]);
    }
    rows
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

fn backtest(scenario: &str, opts: &Opts) -> Result<()> {
    let (s, from) = load(scenario)?;
    let b = spreiding_forecast::backtest(&s, opts.runs as usize, opts.seed)?;
    let text = match opts.format {
        // One object per published point (issue 13's contract).
        Format::Json => serde_json::to_string_pretty(&b.rows).expect("serialisable") + "\n",
        Format::Csv => {
            let mut t =
                String::from("date,series,kind,observed,p10,p50,p90,error,relative_error,within_p10_p90,in_sample\n");
            for r in &b.rows {
                t.push_str(&format!(
                    "{},{},{},{},{},{},{},{},{:.4},{},{}\n",
                    r.date,
                    r.series,
                    r.kind,
                    r.observed,
                    r.p10,
                    r.p50,
                    r.p90,
                    r.error,
                    r.relative_error,
                    r.within_p10_p90,
                    r.in_sample
                ));
            }
            t
        }
        Format::Table => {
            let body: Vec<Vec<String>> = b
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.date.to_string(),
                        r.series.to_string(),
                        format!("{:.0}", r.observed),
                        r.p10.to_string(),
                        r.p50.to_string(),
                        r.p90.to_string(),
                        format!("{:+.0}", r.error),
                        format!("{:+.1} %", 100.0 * r.relative_error),
                        if r.within_p10_p90 { "yes".into() } else { "no".into() },
                        if r.in_sample { "in".into() } else { "OUT".into() },
                    ]
                })
                .collect();
            let summary = |label: &str, pick: &dyn Fn(&spreiding_forecast::Comparison) -> bool| {
                let (inside, close, n) = b.score(pick);
                format!(
                    "{label}: {inside} of {n} inside P10–P90, {close} of {n} with the P50 within ±10 %, mean absolute error of the P50 {:.1} %.\n",
                    100.0 * b.mape(pick)
                )
            };
            let held = match b.holdout_from {
                Some(h) => format!("held out of the fit: every point from {h} on (sample = OUT)"),
                None => "no period held out".to_string(),
            };
            let mut out = format!(
                "Backtest — scenario {} v{} ({from}): {}\nStart {} · {} paths · seed {} · {held}\n\n{}\n",
                s.scenario.id,
                s.scenario.version,
                s.scenario.title,
                b.start,
                b.runs,
                b.seed,
                table(
                    &["date", "series", "observed", "p10", "p50", "p90", "error", "relative", "in_band", "sample"],
                    &body
                ),
            );
            out.push_str(&summary("All points", &|_| true));
            out.push_str(&summary("In sample", &|r| r.in_sample));
            out.push_str(&summary("Out of sample", &|r| !r.in_sample));
            out.push_str(&format!(
                "Sources of every input and observation: scenarios/{}.toml; docs/FORECAST.md, Backtest.\n",
                s.scenario.id
            ));
            out
        }
    };
    emit(opts.output.as_deref(), &text)
}

use spreiding_forecast::explain::DURABLE_NOTE;

fn explain(reference: &str, target: &str, runs: usize, seed: u64, format: Format, output: Option<&Path>) -> Result<()> {
    let (r, rfrom) = load(reference)?;
    let (t, tfrom) = load(target)?;
    let start = t.start_date()?;
    let e = spreiding_forecast::explain::explain(&r, &t, start, runs, seed)?;
    let published = spreiding_forecast::explain::published_raming(&t, e.date);
    let residual = published.as_ref().map(|(v, _)| v - e.target as f64);
    let text = match format {
        Format::Json => {
            let v = serde_json::json!({
                "date": e.date, "runs": e.runs, "seed": e.seed,
                "reference": {"scenario": r.scenario.id, "from": rfrom, "p50_required_places": e.reference},
                "target": {"scenario": t.scenario.id, "from": tfrom, "p50_required_places": e.target},
                "method": "Shapley values over all 2^6 subsets of drivers, common random numbers",
                "contributions": e.contributions,
                "already_durable_places": {"places": 0, "note": DURABLE_NOTE},
                "published": published.as_ref().map(|(v, s)| serde_json::json!({"required_places": v, "source": s})),
                "not_explained": residual,
            });
            serde_json::to_string_pretty(&v).expect("serialisable") + "\n"
        }
        Format::Csv => {
            let mut out = String::from("driver,places,alone\n");
            out.push_str(&format!("reference:{},{},\n", r.scenario.id, e.reference));
            for c in &e.contributions {
                out.push_str(&format!("{},{:.0},{:.0}\n", c.driver, c.places, c.alone));
            }
            out.push_str("already_durable_places,0,0\n");
            out.push_str(&format!("target:{},{},\n", t.scenario.id, e.target));
            if let Some(x) = residual {
                out.push_str(&format!("not_explained,{x:.0},\n"));
            }
            out
        }
        Format::Table => {
            let mut rows = vec![vec![
                format!("{} (reference)", r.scenario.id),
                e.reference.to_string(),
                String::new(),
                "P50 of required places".into(),
            ]];
            for c in &e.contributions {
                rows.push(vec![
                    format!("+ {}", c.driver),
                    format!("{:+.0}", c.places),
                    format!("{:+.0}", c.alone),
                    c.title.to_string(),
                ]);
            }
            rows.push(vec!["+ already_durable_places".into(), "+0".into(), "+0".into(), DURABLE_NOTE.into()]);
            rows.push(vec![
                format!("= {} (model)", t.scenario.id),
                e.target.to_string(),
                String::new(),
                "P50 of required places with the public assumptions".into(),
            ]);
            if let (Some((v, src)), Some(x)) = (&published, residual) {
                rows.push(vec![
                    "+ not explained".into(),
                    format!("{x:+.0}"),
                    String::new(),
                    "what neither the public assumptions nor the backtest calibration explain".into(),
                ]);
                rows.push(vec!["= published raming".into(), format!("{v:.0}"), String::new(), src.clone()]);
            }
            format!(
                "Explaining {} against {} — required places on {} (P50), {} paths per run, seed {}\nShapley values over all 64 combinations of the drivers; 'alone' = switching that driver only.\n\n{}",
                t.scenario.id,
                r.scenario.id,
                e.date,
                e.runs,
                e.seed,
                table(&["step", "places", "alone", "what"], &rows)
            )
        }
    };
    emit(output, &text)
}
