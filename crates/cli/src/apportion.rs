//! `spreiding apportion`: exact apportionment of a whole number over an `id,weight` file.

use std::path::PathBuf;

use spreiding_core::decimal::{parse_weight, to_whole_weights};
use spreiding_core::{Located, Method};

use crate::error::{CliError, Result};
use crate::output::{emit, read_text};

/// Apportion TOTAL places over the weights in FILE.
///
/// FILE is a CSV with header `id,weight`; weights are whole or decimal numbers ≥ 0.
/// Prints CSV `id,seats` in input order. Ties are broken by larger weight, then by id.
///
/// Example: spreiding apportion --method webster --total 150 parties.csv
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// hamilton | webster | dhondt | huntington-hill | adams (aliases: sainte-lague, jefferson, largest-remainder)
    #[arg(long, short, value_parser = parse_method)]
    method: Method,
    /// The whole number to distribute.
    #[arg(long, short)]
    total: u64,
    /// Write the CSV here instead of stdout (nothing is written on error).
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// CSV file with header `id,weight`.
    file: PathBuf,
}

pub(crate) fn parse_method(s: &str) -> Result<Method, String> {
    s.parse().map_err(|e: spreiding_core::CoreError| e.to_string())
}

pub fn run(args: Args) -> Result<()> {
    let name = args.file.display().to_string();
    let text = read_text(&args.file)?;
    let (ids, weights) = parse_weights(&name, &text)?;
    let whole = to_whole_weights(&weights);
    let result = spreiding_core::apportion(args.method, &ids, &whole, args.total)
        .map_err(|e| CliError::Input(format!("{name}: {e}")))?;
    let mut out = String::with_capacity(ids.len() * 16 + 16);
    out.push_str("id,seats\n");
    for (id, s) in ids.iter().zip(&result.seats) {
        push_csv_field(&mut out, id);
        out.push(',');
        out.push_str(&s.to_string());
        out.push('\n');
    }
    emit(args.output.as_deref(), &out)
}

fn parse_weights(name: &str, text: &str) -> Result<(Vec<String>, Vec<num_rational::BigRational>)> {
    let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = rdr.headers().map_err(|e| CliError::Input(format!("{name}:1: cannot read the header: {e}")))?.clone();
    let hs: Vec<&str> = headers.iter().map(|h| h.trim_start_matches('\u{feff}')).collect();
    if hs != ["id", "weight"] {
        return Err(CliError::Input(format!("{name}:1: header must be exactly `id,weight`, found `{}`", hs.join(","))));
    }
    let mut ids = Vec::new();
    let mut weights = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| CliError::Input(format!("{name}:{line}: {e}")))?;
        let at = |f: &str| Located::new(name, line, f);
        let id = rec.get(0).unwrap_or("").to_string();
        if id.is_empty() {
            return Err(spreiding_core::CoreError::invalid("empty id").at(at("id")).into());
        }
        if let Some(first) = seen.insert(id.clone(), line) {
            return Err(spreiding_core::CoreError::invalid(format!(
                "duplicate id '{id}' (first on line {first}): each id once"
            ))
            .at(at("id"))
            .into());
        }
        let w = parse_weight(rec.get(1).unwrap_or("")).map_err(|e| e.at(at("weight")))?;
        ids.push(id);
        weights.push(w);
    }
    if ids.is_empty() {
        return Err(CliError::Input(format!("{name}: the file is empty: add rows `id,weight` below the header")));
    }
    Ok((ids, weights))
}

pub(crate) fn push_csv_field(out: &mut String, v: &str) {
    if v.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&v.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(v);
    }
}
