//! `spreiding place`: put households in suitable reception locations with the fewest moves
//! (pure engine in spreiding-placement), and generate synthetic instances.

use std::path::{Path, PathBuf};

use spreiding_core::bundled;
use spreiding_core::location::locations_to_csv;
use spreiding_placement::text::{households_to_csv, parse_households_csv, parse_households_json, parse_weights};
use spreiding_placement::{Household, Instance, Mode, Plan, Strategy, Weights, export_model, place, place_greedy};

use crate::error::{CliError, Result};
use crate::output::{Format, emit, read_text, table};
use crate::quality::FrameworkOpt;

/// Place households in reception locations: never split a household, unaccompanied minors
/// only in AMV housing, no vulnerable person or child in (crisis)noodopvang unless it meets
/// their needs, capacity; fewest moves (school children weigh most), short travel to
/// services, low cost, spread occupancy. Every placement has a reason; households that
/// cannot be placed are listed with the rule that binds.
///
/// Examples:
///   spreiding place synthetic --households 40000 --out-dir run/      SYNTHETIC instance
///   spreiding place run --locations run/synthetic-locations.csv --households run/synthetic-households.csv
///   spreiding place run -l reg.csv -H hh.csv --mode close --close L17 --format csv -o moves.csv
///   spreiding place run -l reg.csv -H hh.csv --mode rebalance --baseline
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(subcommand)]
    sub: Sub,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ModeArg {
    /// Place new arrivals (no location yet, or at a registration centre).
    Arrivals,
    /// Plan the closure of the location given with --close: only its residents move.
    Close,
    /// Move households whose stay breaks a hard rule, whose location closes, or who
    /// overstay crisisnoodopvang.
    Rebalance,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum StrategyArg {
    /// Exact for small models, LP + rounding (with a proven bound) for large ones.
    Auto,
    Exact,
    Lp,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Compute a placement plan.
    Run {
        /// Location registry (CSV or .json).
        #[arg(long, short)]
        locations: PathBuf,
        /// Households (CSV id,members,current,days_there or .json).
        #[arg(long, short = 'H')]
        households: PathBuf,
        #[arg(long, value_enum, default_value = "arrivals")]
        mode: ModeArg,
        /// Location to close (with --mode close).
        #[arg(long)]
        close: Option<String>,
        /// Planning date (default: today).
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
        /// Weights TOML (any of move_person, move_school_child, travel_minute,
        /// unknown_travel_min, cost_euro, spread_bed, spread_threshold, overstay_person,
        /// unplaced_person).
        #[arg(long)]
        weights: Option<PathBuf>,
        #[command(flatten)]
        fw: FrameworkOpt,
        #[arg(long, value_enum, default_value = "auto")]
        strategy: StrategyArg,
        /// Also run the greedy baseline and report both objectives on stderr.
        #[arg(long)]
        baseline: bool,
        /// Write the class model as JSON for an independent solver (tools/placement_peer.py).
        #[arg(long)]
        export_model: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Generate a SYNTHETIC instance (locations and households; not real people or places).
    Synthetic {
        #[arg(long, default_value_t = 400)]
        locations: usize,
        #[arg(long, default_value_t = 40_000)]
        households: usize,
        /// Share of households that are new arrivals (the rest already live somewhere).
        #[arg(long, default_value_t = 0.1)]
        arrivals: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value = "2026-11-27")]
        date: chrono::NaiveDate,
        /// Directory for synthetic-locations.csv and synthetic-households.csv.
        #[arg(long)]
        out_dir: PathBuf,
    },
}

fn load_households(path: &Path) -> Result<Vec<Household>> {
    let text = read_text(path)?;
    let name = path.display().to_string();
    Ok(if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
        parse_households_json(&name, &text)?
    } else {
        parse_households_csv(&name, &text)?
    })
}

pub fn run(args: Args) -> Result<()> {
    match args.sub {
        Sub::Synthetic { locations, households, arrivals, seed, date, out_dir } => {
            if !(0.0..=1.0).contains(&arrivals) {
                return Err(CliError::Input(format!("--arrivals {arrivals}: give a share between 0 and 1")));
            }
            let nl = bundled::netherlands()?;
            let mut locs = spreiding_placement::synthetic::locations(&nl, locations, seed, date);
            let hh = spreiding_placement::synthetic::households(&mut locs, households, arrivals, seed);
            std::fs::create_dir_all(&out_dir).map_err(|e| CliError::io(&out_dir, e))?;
            emit(Some(&out_dir.join("synthetic-locations.csv")), &locations_to_csv(&locs))?;
            emit(Some(&out_dir.join("synthetic-households.csv")), &households_to_csv(&hh))?;
            let persons: u64 = hh.iter().map(|h| h.persons() as u64).sum();
            eprintln!(
                "SYNTHETIC instance (seed {seed}): {} locations, {} households, {persons} persons written to {}",
                locs.len(),
                hh.len(),
                out_dir.display()
            );
            Ok(())
        }
        Sub::Run {
            locations,
            households,
            mode,
            close,
            date,
            weights,
            fw,
            strategy,
            baseline,
            export_model: export,
            format,
            output,
        } => {
            let mode = match (mode, close) {
                (ModeArg::Close, Some(id)) => Mode::Close(id),
                (ModeArg::Close, None) => {
                    return Err(CliError::Input("--mode close needs --close LOCATION_ID".into()));
                }
                (_, Some(_)) => return Err(CliError::Input("--close is only for --mode close".into())),
                (ModeArg::Arrivals, None) => Mode::Arrivals,
                (ModeArg::Rebalance, None) => Mode::Rebalance,
            };
            let weights = match weights {
                None => Weights::default(),
                Some(p) => parse_weights(&p.display().to_string(), &read_text(&p)?)?,
            };
            let inst = Instance {
                locations: crate::locations::load(&locations)?,
                households: load_households(&households)?,
                framework: fw.load()?,
                date: date.unwrap_or_else(|| chrono::Utc::now().date_naive()),
                mode,
                weights,
            };
            if let Some(p) = export {
                let m = export_model(&inst)?;
                emit(Some(&p), &(serde_json::to_string(&m).map_err(|e| CliError::Other(e.to_string()))? + "\n"))?;
            }
            let strategy = match strategy {
                StrategyArg::Auto => Strategy::Auto,
                StrategyArg::Exact => Strategy::Exact,
                StrategyArg::Lp => Strategy::LpRound,
            };
            let t = std::time::Instant::now();
            let plan = place(&inst, strategy)?;
            let secs = t.elapsed().as_secs_f64();
            eprintln!(
                "objective {:.1} ({:?}, {} classes, {} variables, {:.2} s){}; {} placed, {} not placed",
                plan.objective.total,
                plan.stats.method,
                plan.stats.classes,
                plan.stats.variables,
                secs,
                plan.lower_bound
                    .map(|b| format!(", LP bound {b:.1}, gap {:.4} %", 100.0 * plan.gap()))
                    .unwrap_or_default(),
                plan.placements.len(),
                plan.unplaced.len()
            );
            if baseline {
                let t = std::time::Instant::now();
                let g = place_greedy(&inst)?;
                eprintln!(
                    "greedy baseline objective {:.1} ({:.2} s), {} not placed; optimiser is {:.3} % lower",
                    g.objective.total,
                    t.elapsed().as_secs_f64(),
                    g.unplaced.len(),
                    100.0 * (g.objective.total - plan.objective.total) / g.objective.total.max(1.0)
                );
            }
            if !plan.unplaced.is_empty() {
                eprintln!("warning: {} household(s) could not be placed; see their binding rule", plan.unplaced.len());
            }
            emit(output.as_deref(), &render(&plan, format)?)
        }
    }
}

fn render(plan: &Plan, format: Format) -> Result<String> {
    if format == Format::Json {
        return Ok(serde_json::to_string_pretty(plan).map_err(|e| CliError::Other(e.to_string()))? + "\n");
    }
    let mut rows: Vec<Vec<String>> = plan
        .placements
        .iter()
        .map(|p| {
            vec![
                p.household.clone(),
                p.persons.to_string(),
                p.from.clone().unwrap_or_default(),
                p.to.clone(),
                if p.moved { "moves" } else { "stays" }.to_string(),
                String::new(),
                p.reason.clone(),
            ]
        })
        .collect();
    rows.extend(plan.unplaced.iter().map(|u| {
        vec![
            u.household.clone(),
            u.persons.to_string(),
            u.current.clone().unwrap_or_default(),
            String::new(),
            "not placed".to_string(),
            format!("{:?}", u.binding).to_lowercase(),
            u.reason.clone(),
        ]
    }));
    let headers = ["household", "persons", "from", "to", "status", "binding", "reason"];
    Ok(if format == Format::Csv {
        crate::output::csv_text(&headers, &rows)
    } else {
        let o = &plan.objective;
        table(&headers, &rows)
            + &format!(
                "objective {:.1} = relocation {:.1} + travel {:.1} + cost {:.1} + overstay {:.1} + spread {:.1} + not placed {:.1}\n",
                o.total, o.relocation, o.travel, o.cost, o.overstay, o.spread, o.unplaced
            )
    })
}
