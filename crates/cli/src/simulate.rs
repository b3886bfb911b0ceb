//! `spreiding simulate`: the policy simulator — what the Spreidingswet achieves compared with
//! voluntary distribution. A thin shell over `spreiding-simulate`: it reads files, shows a
//! progress bar and writes the report.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::NaiveDate;
use spreiding_simulate::{ParamSet, Policy, Report, Scenario, bundled, calibrate, html, render, run};

use crate::error::{CliError, Result};
use crate::output::{Format, emit, read_text};
use crate::session::{Identity, connect, runtime, store_err};

/// Simulate policies over many years and compare them: the law with its binding
/// distribution decision against the withdrawal plan (voluntary), or your own policy files.
///
/// Every value the model uses is in the parameter set (params/nl.toml) or the policy files
/// (policies/*.toml) with its source in docs/SIMULATION-SOURCES.md or marked as an assumption; the
/// report lists them all. docs/SIMULATION.md explains the model, its calibration and limits.
///
/// Examples:
///   spreiding simulate --policy law --policy voluntary --years 10 --runs 1000 --seed 1 --report out.html
///   spreiding simulate --format json > report.json            the report type (docs/SIMULATION.md)
///   spreiding simulate --policy law --policy my-policy.toml --format csv
///   spreiding simulate policies                               list the bundled policies
///   spreiding simulate calibrate                              the calibration check (2022–2025)
///   spreiding simulate calibrate --fit                        refit the behaviour parameters
///   spreiding simulate publish report.json --user planner     publish a run on the dashboard
#[derive(clap::Args)]
#[command(verbatim_doc_comment, args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    sub: Option<Sub>,
    /// Policy: a bundled name (law, voluntary, law-fast, law-durable) or a TOML file. Repeatable;
    /// default: law and voluntary. The first other than `voluntary` is compared with it.
    #[arg(long = "policy", short = 'p')]
    policies: Vec<String>,
    /// Parameter set (TOML); default: the bundled params/nl.toml.
    #[arg(long)]
    params: Option<PathBuf>,
    /// Demand scenario of the forecast: a bundled name or a TOML file.
    #[arg(long, default_value = "base")]
    scenario: String,
    /// First day of the simulation (YYYY-MM-DD).
    #[arg(long, default_value = "2026-01-01", value_parser = parse_date)]
    start: NaiveDate,
    /// Years to simulate.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=30))]
    years: u32,
    /// Monte Carlo paths per policy.
    #[arg(long, short, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    runs: u64,
    /// Random seed: the same seed gives the same bytes on any machine and thread count.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Paths per variant of the sensitivity analysis; default runs ÷ 20 (at least 20, at most
    /// 200); 0 switches it off.
    #[arg(long)]
    sensitivity_runs: Option<u64>,
    /// Paths of the calibration check shown in the report; 0 switches it off.
    #[arg(long, default_value_t = 100)]
    calibration_runs: u64,
    /// Do not start from the calibrated history's distribution over municipalities.
    #[arg(long)]
    no_warm_start: bool,
    /// Write the self-contained HTML report to this file.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Output on stdout (or --output): table, json (the report type) or csv (every metric).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write the --format output to this file instead of stdout (nothing is written on error).
    #[arg(long, short)]
    output: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// List the bundled policies.
    Policies,
    /// Publish a report (the output of `--format json`) on the public dashboard page "Wat de
    /// wet oplevert": stored in the record with who published it, shown as stored. Needs a
    /// ministry account.
    Publish {
        /// The report as JSON (`spreiding simulate --format json -o report.json`).
        file: PathBuf,
        /// Title on the page; default: the report's own title.
        #[arg(long)]
        title: Option<String>,
        /// Database URL (default: DATABASE_URL, else ./spreiding.db).
        #[arg(long, env = "DATABASE_URL")]
        database: Option<String>,
        #[command(flatten)]
        who: Identity,
    },
    /// Run the history 2022–2025 and compare it with the published figures: the fit on
    /// 2022–2023 and the out-of-sample check on cycle 1.
    Calibrate {
        /// Refit the behaviour parameters by grid search (prints the best values; copy them
        /// into the parameter file with their source "calibrated").
        #[arg(long)]
        fit: bool,
        /// Paths per evaluation.
        #[arg(long, short, default_value_t = 40)]
        runs: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Parameter set (TOML); default: the bundled one.
        #[arg(long)]
        params: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

fn parse_date(s: &str) -> std::result::Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| format!("'{s}' is not a date: write YYYY-MM-DD"))
}

impl From<spreiding_simulate::SimError> for CliError {
    fn from(e: spreiding_simulate::SimError) -> Self {
        CliError::Input(e.to_string())
    }
}

fn load_policy(name: &str) -> Result<Policy> {
    if let Some(p) = bundled::policy(name) {
        return Ok(p?);
    }
    let path = Path::new(name);
    if !path.exists() {
        let names: Vec<&str> = bundled::POLICIES.iter().map(|p| p.0).collect();
        return Err(CliError::Input(format!(
            "unknown policy '{name}': use a TOML file or one of {}",
            names.join(", ")
        )));
    }
    Ok(Policy::parse(&path.display().to_string(), &read_text(path)?)?)
}

fn load_params(path: Option<&Path>) -> Result<ParamSet> {
    match path {
        None => Ok(bundled::parameters()?),
        Some(p) => Ok(ParamSet::parse(&p.display().to_string(), &read_text(p)?)?),
    }
}

fn load_scenario(name: &str) -> Result<(Scenario, String)> {
    if let Some(s) = bundled::scenario(name) {
        return Ok((s?, format!("bundled:{name}")));
    }
    let p = Path::new(name);
    if !p.exists() {
        return Err(CliError::Input(format!(
            "unknown scenario '{name}': use a TOML file or one of {}",
            bundled::scenario_names().join(", ")
        )));
    }
    Ok((bundled::parse_scenario(&p.display().to_string(), &read_text(p)?)?, p.display().to_string()))
}

fn bar(total: u64, message: &str) -> indicatif::ProgressBar {
    let b = indicatif::ProgressBar::with_draw_target(Some(total), indicatif::ProgressDrawTarget::stderr());
    b.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} paths ({eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    b.set_message(message.to_string());
    b
}

pub fn run(args: Args) -> Result<()> {
    match args.sub {
        Some(Sub::Policies) => {
            let mut out = String::new();
            for (id, _, _) in bundled::POLICIES {
                let p = bundled::policy(id).expect("listed")?;
                out.push_str(&format!(
                    "{id:12} binding decision: {:5}  {}\n",
                    if p.rules.binding_decision { "yes" } else { "no" },
                    p.meta.title
                ));
            }
            emit(None, &out)
        }
        Some(Sub::Calibrate { fit, runs, seed, params, format }) => {
            calibrate_cmd(fit, runs as usize, seed, params.as_deref(), format)
        }
        Some(Sub::Publish { file, title, database, who }) => publish(&file, title, database.as_deref(), &who),
        None => simulate(args),
    }
}

/// Read a JSON report, check that it is one (schema and shape), render its HTML from it and
/// store both in the record. The page shows exactly what the file says; nothing is rerun.
fn publish(file: &Path, title: Option<String>, database: Option<&str>, who: &Identity) -> Result<()> {
    let text = read_text(file)?;
    let report: Report = serde_json::from_str(&text).map_err(|e| {
        CliError::Input(format!(
            "{}: line {}, column {}: not a simulation report ({e}); write one with `spreiding simulate --format json -o report.json`",
            file.display(),
            e.line(),
            e.column()
        ))
    })?;
    if report.schema != spreiding_simulate::report::SCHEMA {
        return Err(CliError::Input(format!(
            "{}: field schema: '{}' is not the report shape this version shows ('{}'); rerun `spreiding simulate --format json`",
            file.display(),
            report.schema,
            spreiding_simulate::report::SCHEMA
        )));
    }
    let title = title.unwrap_or_else(|| report.title.clone());
    let json = serde_json::to_string(&report).expect("serialisable");
    let page = html::render(&report);
    runtime()?.block_on(async move {
        let store = connect(database).await?;
        let act = who.act(&store).await?;
        let published = store.publish_simulation(&act, &title, &json, &page).await.map_err(store_err)?;
        println!(
            "published simulation report {} \"{}\" on {}: shown at /wat-de-wet-oplevert",
            published.id, published.title, published.published_on
        );
        Ok(())
    })
}

fn simulate(args: Args) -> Result<()> {
    let names =
        if args.policies.is_empty() { vec!["law".to_string(), "voluntary".to_string()] } else { args.policies.clone() };
    let policies: Vec<Policy> = names.iter().map(|n| load_policy(n)).collect::<Result<_>>()?;
    let params = load_params(args.params.as_deref())?;
    let (scenario, scenario_name) = load_scenario(&args.scenario)?;
    let runs = args.runs as usize;
    let sensitivity_runs = match args.sensitivity_runs {
        Some(n) => n as usize,
        None => (runs / 20).clamp(20, 200).min(runs),
    };
    let req = run::Request {
        params,
        policies,
        history: bundled::policy("history").expect("bundled")?,
        scenario,
        scenario_name,
        start: args.start,
        years: args.years,
        runs,
        seed: args.seed,
        sensitivity_runs,
        calibration_runs: args.calibration_runs as usize,
        warm_start: !args.no_warm_start,
    };
    let b = bar(req.work(), "simulate");
    let done = AtomicU64::new(0);
    let report = run::run(&req, &|n| {
        let d = done.fetch_add(n, Ordering::Relaxed) + n;
        if d % 16 == 0 {
            b.set_position(d);
        }
    })?;
    b.finish_and_clear();
    if let Some(path) = &args.report {
        emit(Some(path), &html::render(&report))?;
        eprintln!("report written to {}", path.display());
    }
    let format = match (args.format, &args.report) {
        (Some(f), _) => Some(f),
        (None, None) => Some(Format::Table),
        (None, Some(_)) => None,
    };
    match format {
        None => Ok(()),
        Some(f) => emit(args.output.as_deref(), &render_as(&report, f)),
    }
}

fn render_as(r: &Report, f: Format) -> String {
    match f {
        Format::Json => serde_json::to_string_pretty(r).expect("serialisable") + "\n",
        Format::Csv => render::csv(r),
        Format::Table => render::text(r),
    }
}

fn calibrate_cmd(fit: bool, runs: usize, seed: u64, params: Option<&Path>, format: Format) -> Result<()> {
    let params = load_params(params)?;
    let history = bundled::policy("history").expect("bundled")?;
    let (params, c) = if fit {
        let b = bar(calibrate::fit_evaluations(runs), "calibrate");
        let done = AtomicU64::new(0);
        let r = calibrate::fit(&params, &history, runs, seed, &|| {
            let d = done.fetch_add(1, Ordering::Relaxed) + 1;
            if d % 64 == 0 {
                b.set_position(d);
            }
        })?;
        b.finish_and_clear();
        r
    } else {
        let c = calibrate::check(&params, &history, runs, seed, &|| {})?;
        (params, c)
    };
    let text = match format {
        Format::Json => serde_json::to_string_pretty(&c).expect("serialisable") + "\n",
        Format::Csv => {
            let mut t = String::from("id,role,date,observed,simulated,p10,p90,error,source\n");
            for f in &c.fits {
                t.push_str(&format!(
                    "{},{},{},{},{},{},{},{},\"{}\"\n",
                    f.id,
                    f.role,
                    f.date,
                    f.observed,
                    f.simulated,
                    f.p10,
                    f.p90,
                    f.error,
                    f.source.replace('"', "'")
                ));
            }
            t
        }
        Format::Table => {
            let mut t = format!(
                "Calibration — history 2022-01-01 → 2025-07-01, {} paths, seed {}, parameters {} v{}\n\n",
                c.runs, c.seed, params.meta.id, params.meta.version
            );
            t.push_str(&format!(
                "{:6}  {:26}  {:10}  {:>8}  {:>9}  {:>17}  {:>7}\n",
                "role", "target", "date", "observed", "simulated", "P10–P90", "error"
            ));
            for f in &c.fits {
                t.push_str(&format!(
                    "{:6}  {:26}  {:10}  {:>8.3}  {:>9.3}  {:>8.3}–{:<8.3}  {:>+7.3}\n",
                    f.role, f.id, f.date, f.observed, f.simulated, f.p10, f.p90, f.error
                ));
            }
            t.push_str(&format!(
                "\nIn-sample loss Σ(error/tolerance)² = {:.2}; out-of-sample mean absolute error = {:.3}\n",
                c.loss_in_sample, c.mean_abs_error_out_of_sample
            ));
            for (k, v) in &c.parameters {
                t.push_str(&format!("{k} = {v}\n"));
            }
            t
        }
    };
    emit(None, &text)
}
