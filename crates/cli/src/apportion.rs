//! `spreiding apportion`: exact apportionment of a whole number over an `id,weight` file.
//!
//! Built for files of 100,000s of rows (docs/PERFORMANCE.md): the file is read once as bytes
//! and handed to `spreiding_core::weights_csv`; the output is formatted without `fmt` and
//! streamed to stdout.

use std::io::Write;
use std::path::PathBuf;

use spreiding_core::weights_csv::{IdBuf, check_unique, parse_weights};
use spreiding_core::{Method, UnitIds};

use crate::error::{CliError, Result};
use crate::output::emit;

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
    let bytes = std::fs::read(&args.file).map_err(|e| CliError::io(&args.file, e))?;
    let (ids, weights) = parse_weights(&name, &bytes)?;
    check_unique(&name, &ids)?;
    let result =
        weights.apportion(args.method, &ids, args.total).map_err(|e| CliError::Input(format!("{name}: {e}")))?;
    let written = match args.output.as_deref() {
        None => {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            write_csv(&mut out, &ids, &result.seats).and_then(|()| out.flush()).map_err(|e| CliError::io("<stdout>", e))
        }
        Some(path) => {
            let mut buf = Vec::with_capacity(ids.count() * 16 + 16);
            write_csv(&mut buf, &ids, &result.seats).expect("writing to memory");
            emit(Some(path), &String::from_utf8(buf).expect("ids are UTF-8"))
        }
    };
    // The process ends right after this command: handing these buffers (tens of MB for a
    // large file) back to the kernel one by one costs more than the apportionment itself,
    // and the kernel reclaims them at exit anyway.
    std::mem::forget(result);
    std::mem::forget(ids);
    std::mem::forget(bytes);
    written
}

/// `id,seats` rows; ids quoted when they need it (RFC 4180).
fn write_csv(out: &mut impl Write, ids: &IdBuf, seats: &[u64]) -> std::io::Result<()> {
    out.write_all(b"id,seats\n")?;
    let mut num = itoa::Buffer::new();
    let mut field = String::new();
    for (i, s) in seats.iter().enumerate() {
        let id = ids.id(i);
        if id.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
            field.clear();
            push_csv_field(&mut field, id);
            out.write_all(field.as_bytes())?;
        } else {
            out.write_all(id.as_bytes())?;
        }
        out.write_all(b",")?;
        out.write_all(num.format(*s).as_bytes())?;
        out.write_all(b"\n")?;
    }
    Ok(())
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
