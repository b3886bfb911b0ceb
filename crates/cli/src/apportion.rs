//! `spreiding apportion`: exact apportionment of a whole number over an `id,weight` file.
//!
//! Built for files of 100,000s of rows (docs/PERFORMANCE.md): the file is read once as bytes,
//! ids go into one buffer, weights straight into machine integers, the duplicate check keeps
//! 4-byte row numbers in a hash table, and the output is formatted without `fmt` and
//! streamed to stdout. Touching less memory matters as much as computing less: at this size
//! a large share of the time is the kernel handing out fresh pages.

use std::io::Write;
use std::path::PathBuf;

use spreiding_core::decimal::{parse_scaled, parse_weight, to_whole_weights};
use spreiding_core::{Located, Method};

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
    let (id_buf, weights) = parse_weights(&name, &bytes)?;
    let ids = id_buf.slices();
    check_unique(&name, &ids)?;
    let result = match weights {
        Parsed::Scaled(w) => spreiding_core::apportion_small(args.method, &ids, w, args.total),
        Parsed::Exact(w) => spreiding_core::apportion(args.method, &ids, &to_whole_weights(&w), args.total),
    };
    let result = result.map_err(|e| CliError::Input(format!("{name}: {e}")))?;
    let written = match args.output.as_deref() {
        None => {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            write_csv(&mut out, &ids, &result.seats).and_then(|()| out.flush()).map_err(|e| CliError::io("<stdout>", e))
        }
        Some(path) => {
            let mut buf = Vec::with_capacity(ids.len() * 16 + 16);
            write_csv(&mut buf, &ids, &result.seats).expect("writing to memory");
            emit(Some(path), &String::from_utf8(buf).expect("ids are UTF-8"))
        }
    };
    // The process ends right after this command: handing these buffers (tens of MB for a
    // large file) back to the kernel one by one costs more than the apportionment itself,
    // and the kernel reclaims them at exit anyway.
    std::mem::forget(result);
    std::mem::forget(ids);
    std::mem::forget(id_buf);
    std::mem::forget(bytes);
    written
}

/// `id,seats` rows; ids quoted when they need it (RFC 4180).
fn write_csv(out: &mut impl Write, ids: &[&str], seats: &[u64]) -> std::io::Result<()> {
    out.write_all(b"id,seats\n")?;
    let mut num = itoa::Buffer::new();
    let mut field = String::new();
    for (id, s) in ids.iter().zip(seats) {
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
    ends: Vec<u32>,
}

impl IdBuf {
    fn push(&mut self, id: &str) {
        self.buf.push_str(id);
        self.ends.push(self.buf.len() as u32);
    }
    fn slices(&self) -> Vec<&str> {
        let mut start = 0;
        self.ends
            .iter()
            .map(|&end| {
                let s = &self.buf[start..end as usize];
                start = end as usize;
                s
            })
            .collect()
    }
}

/// Largest file the 32-bit offsets of [`IdBuf`] address (4 GiB of ids).
const MAX_BYTES: usize = u32::MAX as usize;

fn parse_weights(name: &str, bytes: &[u8]) -> Result<(IdBuf, Parsed)> {
    if bytes.len() > MAX_BYTES {
        return Err(CliError::Input(format!("{name}: the file is larger than 4 GiB: split it")));
    }
    let mut rdr = csv::ReaderBuilder::new().from_reader(bytes);
    let headers = rdr.headers().map_err(|e| CliError::Input(format!("{name}:1: cannot read the header: {e}")))?.clone();
    let hs: Vec<&str> = headers.iter().map(|h| h.trim_start_matches('\u{feff}').trim()).collect();
    if hs != ["id", "weight"] {
        return Err(CliError::Input(format!("{name}:1: header must be exactly `id,weight`, found `{}`", hs.join(","))));
    }
    // Size every buffer once (growing by doubling would touch twice the memory).
    let rows = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
    let mut ids = IdBuf { buf: String::with_capacity(bytes.len()), ends: Vec::with_capacity(rows) };
    // Mantissas at a common scale so far (raised when a value has more decimals).
    let mut scaled: Vec<u128> = Vec::with_capacity(rows);
    let mut scale = 0u32;
    let mut exact: Option<Vec<num_rational::BigRational>> = None;
    let mut rec = csv::ByteRecord::new();
    let mut line = 1;
    while rdr.read_byte_record(&mut rec).map_err(|e| CliError::Input(format!("{name}:{}: {e}", line + 1)))? {
        line += 1;
        let at = |f: &str| Located::new(name, line, f);
        let text_of = |i: usize, field: &str| {
            // ASCII blanks first (fast); other Unicode white space is trimmed as well.
            let raw = rec.get(i).unwrap_or(b"").trim_ascii();
            std::str::from_utf8(raw)
                .map(|t| {
                    if raw.first().is_some_and(|b| !b.is_ascii()) || raw.last().is_some_and(|b| !b.is_ascii()) {
                        t.trim()
                    } else {
                        t
                    }
                })
                .map_err(|_| {
                    spreiding_core::CoreError::invalid("not valid UTF-8 text: save the file as UTF-8").at(at(field))
                })
        };
        let id = text_of(0, "id")?;
        if id.is_empty() {
            return Err(spreiding_core::CoreError::invalid("empty id").at(at("id")).into());
        }
        let text = text_of(1, "weight")?;
        let fast = if exact.is_none() {
            parse_scaled(text).and_then(|v| push_scaled(&mut scaled, &mut scale, v))
        } else {
            None
        };
        if fast.is_none() {
            // Leave the fast path: keep every value as an exact rational (this also
            // produces the error message for a value that is not a weight).
            let w = parse_weight(text).map_err(|e| e.at(at("weight")))?;
            let all = exact.get_or_insert_with(|| {
                scaled.iter().map(|&m| parse_weight(&scaled_text(m, scale)).expect("valid")).collect()
            });
            all.push(w);
        }
        ids.push(id);
    }
    if ids.ends.is_empty() {
        return Err(CliError::Input(format!("{name}: the file is empty: add rows `id,weight` below the header")));
    }
    let weights = match exact {
        Some(e) => Parsed::Exact(e),
        None => Parsed::Scaled(scaled),
    };
    Ok((ids, weights))
}

/// Append `(mantissa, decimals)` to mantissas kept at the common `scale`, raising the scale
/// of all earlier values when this one has more decimals; `None` when a value would no
/// longer fit (then the exact path takes over).
fn push_scaled(values: &mut Vec<u128>, scale: &mut u32, (m, s): (u128, u32)) -> Option<()> {
    if s > *scale {
        let f = 10u128.checked_pow(s - *scale)?;
        // Check before changing anything: a half-rescaled list would be wrong.
        values.iter().max().map_or(Some(0), |v| v.checked_mul(f))?;
        values.iter_mut().for_each(|v| *v *= f);
        *scale = s;
    }
    values.push(m.checked_mul(10u128.checked_pow(*scale - s)?)?);
    Some(())
}

/// Duplicate ids, reported with both lines (ids are in file order: line = index + 2).
/// The table holds row numbers (4 bytes each), not string slices.
fn check_unique(name: &str, ids: &[&str]) -> Result<()> {
    let mut seen: hashbrown::HashTable<u32> = hashbrown::HashTable::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let h = id_hash(id);
        if let Some(&first) = seen.find(h, |&j| ids[j as usize] == *id) {
            return Err(spreiding_core::CoreError::invalid(format!(
                "duplicate id '{id}' (first on line {}): each id once",
                first as usize + 2
            ))
            .at(Located::new(name, i + 2, "id"))
            .into());
        }
        seen.insert_unique(h, i as u32, |&j| id_hash(ids[j as usize]));
    }
    Ok(())
}

/// A fast hash for the duplicate check on many short ids, eight bytes at a time (the
/// multiply-rotate step of FxHash, with a final mix so the table's top bits vary). No DoS
/// concern: the input is the user's own local file.
fn id_hash(id: &str) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h = id.len() as u64;
    let mut chunks = id.as_bytes().chunks_exact(8);
    for c in &mut chunks {
        h = (h.rotate_left(5) ^ u64::from_le_bytes(c.try_into().expect("8 bytes"))).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(last)).wrapping_mul(K);
    }
    h ^ (h >> 29)
}

fn scaled_text(mantissa: u128, scale: u32) -> String {
    let digits = format!("{mantissa:0>width$}", width = scale as usize + 1);
    let (int, frac) = digits.split_at(digits.len() - scale as usize);
    if frac.is_empty() { int.to_string() } else { format!("{int}.{frac}") }
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
