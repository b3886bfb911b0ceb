//! `spreiding apportion`: exact apportionment of a whole number over an `id,weight` file.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::PathBuf;

use spreiding_core::decimal::{common_scale, parse_scaled, parse_weight, to_whole_weights};
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
    let (id_buf, weights) = parse_weights(&name, &text)?;
    let ids = id_buf.slices();
    let result = match weights {
        Parsed::Scaled(w) => spreiding_core::apportion_small(args.method, &ids, w, args.total),
        Parsed::Exact(w) => spreiding_core::apportion(args.method, &ids, &to_whole_weights(&w), args.total),
    }
    .map_err(|e| CliError::Input(format!("{name}: {e}")))?;
    let mut out = String::with_capacity(ids.len() * 16 + 16);
    out.push_str("id,seats\n");
    for (id, s) in ids.iter().zip(&result.seats) {
        push_csv_field(&mut out, id);
        let _ = writeln!(out, ",{s}");
    }
    emit(args.output.as_deref(), &out)
}

/// Weights as read: machine integers at a common scale (the usual case), or exact
/// rationals when a value does not fit.
enum Parsed {
    Scaled(Vec<u128>),
    Exact(Vec<num_rational::BigRational>),
}

/// All ids in one buffer (one allocation instead of one per row: files have 100,000s of rows).
#[derive(Default)]
struct IdBuf {
    buf: String,
    ends: Vec<usize>,
}

impl IdBuf {
    fn push(&mut self, id: &str) {
        self.buf.push_str(id);
        self.ends.push(self.buf.len());
    }
    fn len(&self) -> usize {
        self.ends.len()
    }
    fn slices(&self) -> Vec<&str> {
        let mut start = 0;
        self.ends
            .iter()
            .map(|&end| {
                let s = &self.buf[start..end];
                start = end;
                s
            })
            .collect()
    }
}

fn parse_weights(name: &str, text: &str) -> Result<(IdBuf, Parsed)> {
    let mut rdr = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let headers = rdr.headers().map_err(|e| CliError::Input(format!("{name}:1: cannot read the header: {e}")))?.clone();
    let hs: Vec<&str> = headers.iter().map(|h| h.trim_start_matches('\u{feff}').trim()).collect();
    if hs != ["id", "weight"] {
        return Err(CliError::Input(format!("{name}:1: header must be exactly `id,weight`, found `{}`", hs.join(","))));
    }
    let mut ids = IdBuf { buf: String::with_capacity(text.len() / 2), ends: Vec::new() };
    let mut scaled = Vec::new();
    let mut exact: Option<Vec<num_rational::BigRational>> = None;
    let mut rec = csv::StringRecord::new();
    let mut line = 1;
    while rdr.read_record(&mut rec).map_err(|e| CliError::Input(format!("{name}:{}: {e}", line + 1)))? {
        line += 1;
        let at = |f: &str| Located::new(name, line, f);
        let id = rec.get(0).unwrap_or("").trim();
        if id.is_empty() {
            return Err(spreiding_core::CoreError::invalid("empty id").at(at("id")).into());
        }
        let text = rec.get(1).unwrap_or("").trim();
        match (parse_scaled(text), exact.as_mut()) {
            (Some(v), None) => scaled.push(v),
            (_, _) => {
                // Leave the fast path: keep every value as an exact rational (this also
                // produces the error message for a value that is not a weight).
                let w = parse_weight(text).map_err(|e| e.at(at("weight")))?;
                let all = exact.get_or_insert_with(|| {
                    scaled.iter().map(|&(m, s)| parse_weight(&scaled_text(m, s)).expect("valid")).collect()
                });
                all.push(w);
            }
        }
        ids.push(id);
    }
    if ids.ends.is_empty() {
        return Err(CliError::Input(format!("{name}: the file is empty: add rows `id,weight` below the header")));
    }
    // Duplicate ids, reported with both lines (ids are in file order: line = index + 2).
    let mut seen: HashMap<&str, usize, BuildHasherDefault<Fnv>> =
        HashMap::with_capacity_and_hasher(ids.len(), Default::default());
    for (i, id) in ids.slices().into_iter().enumerate() {
        if let Some(first) = seen.insert(id, i) {
            return Err(spreiding_core::CoreError::invalid(format!(
                "duplicate id '{id}' (first on line {}): each id once",
                first + 2
            ))
            .at(Located::new(name, i + 2, "id"))
            .into());
        }
    }
    let weights = match exact {
        Some(e) => Parsed::Exact(e),
        None => match common_scale(&scaled) {
            Some(w) => Parsed::Scaled(w),
            None => {
                Parsed::Exact(scaled.iter().map(|&(m, s)| parse_weight(&scaled_text(m, s)).expect("valid")).collect())
            }
        },
    };
    Ok((ids, weights))
}

fn scaled_text(mantissa: u128, scale: u32) -> String {
    let digits = format!("{mantissa:0>width$}", width = scale as usize + 1);
    let (int, frac) = digits.split_at(digits.len() - scale as usize);
    if frac.is_empty() { int.to_string() } else { format!("{int}.{frac}") }
}

/// FNV-1a: a fast hash for the duplicate check on many short ids (no DoS concern for a
/// local file).
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for &b in bytes {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
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
