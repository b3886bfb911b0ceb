//! `spreiding locations`: the registry of reception locations (opvanglocaties) as CSV or
//! JSON files: check and list a registry, or generate a synthetic one; and the registry in
//! the database: import (COA only, audited) and list.

use std::path::{Path, PathBuf};

use spreiding_core::bundled;
use spreiding_core::location::{Location, locations_to_csv, parse_locations_csv, parse_locations_json};
use spreiding_store::StoreError;

use crate::cycle::{connect, runtime, store_err};
use crate::error::{CliError, Result};
use crate::output::{Format, emit, read_text, table};

/// The location registry: check, list and generate.
///
/// Examples:
///   spreiding locations show registry.csv                    check and list a registry
///   spreiding locations show registry.csv --format json      convert CSV to JSON
///   spreiding locations synthetic --count 400 -o synthetic-locations.csv
///   spreiding locations import registry.csv --as coa         into the database (audited)
///   spreiding locations list --municipality GM0363 --format csv
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(subcommand)]
    sub: Sub,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Read a registry (CSV or .json), check every field and list it.
    Show {
        /// Registry file (CSV with header id,name,municipality,operator,type,beds,…; or .json).
        file: PathBuf,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Generate a SYNTHETIC registry over the 342 municipalities (not real locations).
    Synthetic {
        /// Number of locations (plus one synthetic registration centre).
        #[arg(long, default_value_t = 400)]
        count: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Reference date for opening and closing dates (YYYY-MM-DD).
        #[arg(long, default_value = "2026-11-27")]
        date: chrono::NaiveDate,
        #[arg(long, value_enum, default_value = "csv")]
        format: Format,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Import a registry file into the database: add new locations, update changed ones
    /// (COA only; one transaction, audited; a bad row imports nothing).
    Import {
        /// Registry file (CSV or .json), as for `locations show`.
        file: PathBuf,
        #[command(flatten)]
        db: StoreOpts,
    },
    /// List the locations in the database.
    List {
        /// Only these municipalities (GMnnnn; repeat or separate with commas).
        #[arg(long, value_delimiter = ',')]
        municipality: Vec<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Database URL (see `spreiding cycle --help`).
        #[arg(long, env = "DATABASE_URL")]
        database: Option<String>,
    },
}

/// Database and actor of a command that changes the registry or its assessments.
#[derive(clap::Args)]
pub struct StoreOpts {
    /// Database URL: sqlite://FILE?mode=rwc or postgres://USER@HOST/DB (default: a SQLite
    /// file spreiding.db in the current directory).
    #[arg(long, env = "DATABASE_URL")]
    pub database: Option<String>,
    /// The COA account that acts (the registry and assessments are COA's).
    #[command(flatten)]
    pub who: crate::session::Identity,
}

/// A refusal of the store, with the hint how to act as COA.
pub fn refused(e: StoreError) -> CliError {
    match e {
        StoreError::Denied(_) => CliError::Refused(format!(
            "{e} (the location registry and its quality assessments are kept by COA: sign in with a COA account)"
        )),
        other => store_err(other),
    }
}

/// The file line of the `row`-th location (1-based) of a CSV registry, as the parser counts.
fn csv_line(text: &str, row: usize) -> Option<u64> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    rdr.records()
        .filter_map(|r| r.ok())
        .filter(|r| !r.iter().all(|f| f.trim().is_empty()))
        .nth(row.checked_sub(1)?)
        .and_then(|r| r.position().map(|p| p.line()))
}

/// Read a registry: `.json` as JSON, anything else as CSV.
pub fn load(path: &Path) -> Result<Vec<Location>> {
    let text = read_text(path)?;
    let name = path.display().to_string();
    let locs = if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
        parse_locations_json(&name, &text)?
    } else {
        parse_locations_csv(&name, &text)?
    };
    if locs.is_empty() {
        return Err(CliError::Input(format!("{name}: no locations below the header")));
    }
    Ok(locs)
}

/// Render a registry in a format.
pub fn render(locs: &[Location], format: Format) -> Result<String> {
    Ok(match format {
        Format::Csv => locations_to_csv(locs),
        Format::Json => serde_json::to_string_pretty(locs).map_err(|e| CliError::Other(e.to_string()))? + "\n",
        Format::Table => {
            let rows: Vec<Vec<String>> = locs
                .iter()
                .map(|l| {
                    vec![
                        l.id.clone(),
                        l.name.clone(),
                        l.municipality.to_string(),
                        l.kind.to_string(),
                        l.beds.to_string(),
                        l.occupied.map(|o| o.to_string()).unwrap_or_else(|| "?".into()),
                        l.closing.map(|d| d.to_string()).unwrap_or_default(),
                    ]
                })
                .collect();
            let beds: u64 = locs.iter().map(|l| l.beds as u64).sum();
            let emergency: u64 = locs.iter().filter(|l| l.kind.is_emergency()).map(|l| l.beds as u64).sum();
            table(&["id", "name", "municipality", "type", "beds", "occupied", "closing"], &rows)
                + &format!(
                    "{} locations, {beds} beds, of which {emergency} ({:.0} %) emergency reception\n",
                    locs.len(),
                    100.0 * emergency as f64 / beds.max(1) as f64
                )
        }
    })
}

pub fn run(args: Args) -> Result<()> {
    match args.sub {
        Sub::Show { file, format, output } => {
            let locs = load(&file)?;
            emit(output.as_deref(), &render(&locs, format)?)
        }
        Sub::Synthetic { count, seed, date, format, output } => {
            let nl = bundled::netherlands()?;
            let locs = spreiding_placement::synthetic::locations(&nl, count, seed, date);
            eprintln!("note: SYNTHETIC locations (seed {seed}), not real reception locations");
            emit(output.as_deref(), &render(&locs, format)?)
        }
        Sub::Import { file, db } => {
            let locs = load(&file)?;
            runtime()?.block_on(async {
                let store = connect(db.database.as_deref()).await?;
                let act = db.who.act(&store).await?;
                let out = store.import_locations(&act, &locs).await;
                store.close().await;
                let imp = out.map_err(|e| match e {
                    StoreError::InvalidRow { row, message } => {
                        let is_json = file.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
                        let at = match read_text(&file).ok().filter(|_| !is_json).and_then(|t| csv_line(&t, row)) {
                            Some(line) => format!("{}:{line}", file.display()),
                            None => format!("{}: location {row}", file.display()),
                        };
                        CliError::Input(format!("{at}: {message}; nothing was imported"))
                    }
                    other => refused(other),
                })?;
                println!(
                    "{}: {} locations added, {} updated, {} unchanged (by {} as {} on {}; audited)",
                    file.display(),
                    imp.added.len(),
                    imp.changed.len(),
                    imp.unchanged.len(),
                    act.actor().name,
                    act.actor().role,
                    act.on()
                );
                Ok(())
            })
        }
        Sub::List { municipality, format, output, database } => {
            let gms = municipality.iter().map(|g| g.trim().parse()).collect::<std::result::Result<Vec<_>, _>>()?;
            runtime()?.block_on(async {
                let store = connect(database.as_deref()).await?;
                let out = store.locations(&gms).await;
                store.close().await;
                let locs = out.map_err(store_err)?;
                if locs.is_empty() {
                    eprintln!(
                        "note: no locations in the database{}",
                        if gms.is_empty() { "" } else { " for these municipalities" }
                    );
                }
                emit(output.as_deref(), &render(&locs, format)?)
            })
        }
    }
}
