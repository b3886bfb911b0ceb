//! `spreiding locations`: the registry of reception locations (opvanglocaties) as CSV or
//! JSON files: check and list a registry, or generate a synthetic one.

use std::path::{Path, PathBuf};

use spreiding_core::bundled;
use spreiding_core::location::{Location, locations_to_csv, parse_locations_csv, parse_locations_json};

use crate::error::{CliError, Result};
use crate::output::{Format, emit, read_text, table};

/// The location registry: check, list and generate.
///
/// Examples:
///   spreiding locations show registry.csv                    check and list a registry
///   spreiding locations show registry.csv --format json      convert CSV to JSON
///   spreiding locations synthetic --count 400 -o synthetic-locations.csv
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
    }
}
