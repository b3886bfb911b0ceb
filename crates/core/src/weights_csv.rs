//! The `id,weight` file of `spreiding apportion`, read from its bytes (pure: the caller
//! reads the file).
//!
//! Built for files of 100,000s of rows (docs/PERFORMANCE.md): csv-core reads the bytes
//! directly, ids go into one buffer, weights straight into machine integers, and the
//! duplicate check keeps 4-byte row numbers in a hash table. Touching less memory matters as
//! much as computing less: at this size a large share of the time is the kernel handing out
//! fresh pages.

use crate::apportion::{Apportionment, Method, UnitIds};
use crate::decimal::{parse_scaled, parse_weight, to_whole_weights};
use crate::error::{CoreError, Located};

/// Weights as read: machine integers at a common scale (64-bit, the usual case, or
/// 128-bit), or exact rationals when a value does not fit.
#[derive(Clone, Debug)]
pub enum Parsed {
    Narrow(Vec<u64>),
    Scaled(Vec<u128>),
    Exact(Vec<num_rational::BigRational>),
}

impl Parsed {
    /// Apportion `total` places over these weights at the width they were read in, with
    /// the ids straight from their buffer.
    pub fn apportion(self, method: Method, ids: &IdBuf, total: u64) -> Result<Apportionment, CoreError> {
        match self {
            Parsed::Narrow(w) => crate::apportion::apportion_u64(method, ids, w, total),
            Parsed::Scaled(w) => crate::apportion::apportion_small_ids(method, ids, w, total),
            Parsed::Exact(w) => crate::apportion::apportion_big_ids(method, ids, &to_whole_weights(&w), total),
        }
    }
}

/// All ids in one buffer (one allocation instead of one per row: files have 100,000s of rows).
#[derive(Default)]
pub struct IdBuf {
    buf: String,
    ends: Vec<u32>,
}

impl IdBuf {
    /// Append one id. Offsets are 32-bit: all ids together stay under 4 GiB
    /// ([`parse_weights`] refuses larger files).
    pub fn push(&mut self, id: &str) {
        self.buf.push_str(id);
        self.ends.push(self.buf.len() as u32);
    }
    #[inline]
    fn start(&self, i: usize) -> usize {
        if i == 0 { 0 } else { self.ends[i - 1] as usize }
    }
}

impl UnitIds for IdBuf {
    fn count(&self) -> usize {
        self.ends.len()
    }
    #[inline]
    fn id(&self, i: usize) -> &str {
        &self.buf[self.start(i)..self.ends[i] as usize]
    }
}

/// Largest file the 32-bit offsets of [`IdBuf`] address (4 GiB of ids).
const MAX_BYTES: usize = u32::MAX as usize;

/// Ids and weights of an `id,weight` file (`name` is used in error messages: file, line,
/// field and the fix).
pub fn parse_weights(name: &str, bytes: &[u8]) -> Result<(IdBuf, Parsed), CoreError> {
    if bytes.len() > MAX_BYTES {
        return Err(CoreError::invalid("the file is larger than 4 GiB: split it").at(Located::new(name, 0, "")));
    }
    // The CSV is read with csv-core straight from the file's bytes: csv's `Reader` would copy
    // them through its own buffer and a record first (a third of the parse time at 100,000s
    // of rows). Each record's fields land unquoted in `rec`, their ends in `ends`.
    let mut rdr = csv_core::Reader::new();
    let mut input = bytes;
    let mut rec = Records { out: vec![0; 256], ends: vec![0; 4] };
    let header_fields = rec.next(&mut rdr, &mut input).unwrap_or(0);
    let hs: Vec<&str> = (0..header_fields)
        .map(|i| std::str::from_utf8(rec.field(i)).unwrap_or("?").trim_start_matches('\u{feff}').trim())
        .collect();
    if hs != ["id", "weight"] {
        return Err(CoreError::invalid(format!("header must be exactly `id,weight`, found `{}`", hs.join(",")))
            .at(Located::new(name, 1, "")));
    }
    // Size every buffer once (growing by doubling would touch twice the memory).
    let rows = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
    let mut ids = IdBuf { buf: String::with_capacity(bytes.len()), ends: Vec::with_capacity(rows) };
    // Mantissas at a common scale so far (raised when a value has more decimals): 64-bit
    // while they fit, then 128-bit, then exact rationals.
    let mut narrow: Vec<u64> = Vec::with_capacity(rows);
    let mut wide: Option<Vec<u128>> = None;
    let mut scale = 0u32;
    let mut exact: Option<Vec<num_rational::BigRational>> = None;
    let mut line = 1;
    while let Some(fields) = rec.next(&mut rdr, &mut input) {
        line += 1;
        if fields != 2 {
            return Err(CoreError::invalid(format!(
                "found {fields} field(s), expected 2 (`id,weight`): check the commas on this line"
            ))
            .at(Located::new(name, line, "")));
        }
        let at = |f: &str| Located::new(name, line, f);
        let text_of = |i: usize, field: &str| {
            // ASCII blanks first (fast); other Unicode white space is trimmed as well.
            let raw = rec.field(i).trim_ascii();
            std::str::from_utf8(raw)
                .map(|t| {
                    if raw.first().is_some_and(|b| !b.is_ascii()) || raw.last().is_some_and(|b| !b.is_ascii()) {
                        t.trim()
                    } else {
                        t
                    }
                })
                .map_err(|_| CoreError::invalid("not valid UTF-8 text: save the file as UTF-8").at(at(field)))
        };
        let id = text_of(0, "id")?;
        if id.is_empty() {
            return Err(CoreError::invalid("empty id").at(at("id")));
        }
        let text = text_of(1, "weight")?;
        let fast = if exact.is_some() {
            None
        } else {
            parse_scaled(text).and_then(|v| {
                if wide.is_none() {
                    if push_scaled(&mut narrow, &mut scale, v).is_some() {
                        return Some(());
                    }
                    // Does not fit in 64 bits: carry on in 128 (nothing was changed).
                    wide = Some(std::mem::take(&mut narrow).into_iter().map(u128::from).collect());
                }
                push_scaled(wide.as_mut().expect("set above"), &mut scale, v)
            })
        };
        if fast.is_none() {
            // Leave the fast path: keep every value as an exact rational (this also
            // produces the error message for a value that is not a weight).
            let w = parse_weight(text).map_err(|e| e.at(at("weight")))?;
            let all = exact.get_or_insert_with(|| {
                let so_far: Vec<u128> = wide.take().unwrap_or_else(|| narrow.iter().map(|&m| m.into()).collect());
                so_far.iter().map(|&m| parse_weight(&scaled_text(m, scale)).expect("valid")).collect()
            });
            all.push(w);
        }
        ids.push(id);
    }
    if ids.ends.is_empty() {
        return Err(CoreError::invalid("the file is empty: add rows `id,weight` below the header")
            .at(Located::new(name, 0, "")));
    }
    let weights = match (exact, wide) {
        (Some(e), _) => Parsed::Exact(e),
        (None, Some(w)) => Parsed::Scaled(w),
        (None, None) => Parsed::Narrow(narrow),
    };
    Ok((ids, weights))
}

/// One record at a time from csv-core: the unquoted fields in `out`, where each ends in `ends`.
struct Records {
    out: Vec<u8>,
    ends: Vec<usize>,
}

impl Records {
    /// The next record's number of fields, `None` at the end of the input.
    fn next(&mut self, rdr: &mut csv_core::Reader, input: &mut &[u8]) -> Option<usize> {
        use csv_core::ReadRecordResult::*;
        let (mut out_len, mut ends_len) = (0, 0);
        loop {
            let (res, nin, nout, nend) = rdr.read_record(input, &mut self.out[out_len..], &mut self.ends[ends_len..]);
            *input = &input[nin..];
            out_len += nout;
            ends_len += nend;
            match res {
                // An empty input tells csv-core the data has ended: it then finishes the
                // last record (a file need not end with a newline).
                InputEmpty => {}
                OutputFull => self.out.resize(self.out.len() * 2, 0),
                OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                Record => return Some(ends_len),
                End => return None,
            }
        }
    }

    fn field(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.out[start..self.ends[i]]
    }
}

/// Append `(mantissa, decimals)` to mantissas kept at the common `scale`, raising the scale
/// of all earlier values when this one has more decimals; `None`, with nothing changed,
/// when a value would no longer fit in `T` (then a wider type or the exact path takes over).
fn push_scaled<T>(values: &mut Vec<T>, scale: &mut u32, (m, s): (u128, u32)) -> Option<()>
where
    T: Copy + Ord + Into<u128> + TryFrom<u128>,
{
    if s > *scale {
        let f = 10u128.checked_pow(s - *scale)?;
        // Check before changing anything: a half-rescaled list would be wrong.
        if let Some(&max) = values.iter().max() {
            T::try_from(max.into().checked_mul(f)?).ok()?;
        }
        let m = T::try_from(m).ok()?;
        for v in values.iter_mut() {
            *v = T::try_from((*v).into() * f).ok().expect("checked with the largest value");
        }
        *scale = s;
        values.push(m);
        return Some(());
    }
    let v = m.checked_mul(10u128.checked_pow(*scale - s)?)?;
    values.push(T::try_from(v).ok()?);
    Some(())
}

/// Duplicate ids, reported with both lines (ids are in file order: line = index + 2).
/// The table holds row numbers (4 bytes each), not string slices.
pub fn check_unique(name: &str, ids: &IdBuf) -> Result<(), CoreError> {
    // Files are usually sorted by id (CBS codes, exports): strictly increasing ids are
    // unique, which one pass over neighbours shows without building a hash table.
    if (1..ids.count()).all(|i| ids.id(i - 1) < ids.id(i)) {
        return Ok(());
    }
    let mut seen: hashbrown::HashTable<u32> = hashbrown::HashTable::with_capacity(ids.count());
    for i in 0..ids.count() {
        let id = ids.id(i);
        let h = id_hash(id);
        if let Some(&first) = seen.find(h, |&j| ids.id(j as usize) == id) {
            return Err(CoreError::invalid(format!(
                "duplicate id '{id}' (first on line {}): each id once",
                first as usize + 2
            ))
            .at(Located::new(name, i + 2, "id")));
        }
        seen.insert_unique(h, i as u32, |&j| id_hash(ids.id(j as usize)));
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

pub fn scaled_text(mantissa: u128, scale: u32) -> String {
    let digits = format!("{mantissa:0>width$}", width = scale as usize + 1);
    let (int, frac) = digits.split_at(digits.len() - scale as usize);
    if frac.is_empty() { int.to_string() } else { format!("{int}.{frac}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A weight as a user may write it: a whole number, a decimal, or one too large for
    /// 64 or 128 bits (the parser then widens, or goes exact).
    fn weight_text() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => (0u64..1_000_000).prop_map(|w| w.to_string()),
            1 => (0u64..100_000, 1u32..6).prop_map(|(w, d)| format!("{}.{:0>width$}", w / 10, w % 1000, width = d as usize)),
            1 => (1u64..u64::MAX).prop_map(|w| w.to_string()),
            1 => "[1-9][0-9]{25,40}",
        ]
    }

    proptest! {
        /// The duplicate check finds a repeated id wherever it is (sorted files take the
        /// neighbour pass, others the hash table), and passes a file without one; checked
        /// against a set of the ids.
        #[test]
        fn the_duplicate_check_finds_exactly_the_repeated_ids(
            mut ids in prop::collection::vec("[a-c]{1,3}", 1..30),
            sorted in any::<bool>(),
        ) {
            if sorted {
                ids.sort();
            }
            let mut buf = IdBuf::default();
            ids.iter().for_each(|id| buf.push(id));
            let distinct = ids.iter().collect::<std::collections::BTreeSet<_>>().len();
            prop_assert_eq!(check_unique("t.csv", &buf).is_ok(), distinct == ids.len());
        }
    }

    /// The file as the csv crate's own `Reader` sees it (the reference for csv-core used
    /// directly): ids and exact weights per row, or `None` where either is rejected.
    fn read_with_csv_reader(bytes: &[u8]) -> Option<Vec<(String, num_rational::BigRational)>> {
        let mut rdr = csv::ReaderBuilder::new().from_reader(bytes);
        let headers = rdr.headers().ok()?.clone();
        let hs: Vec<&str> = headers.iter().map(|h| h.trim_start_matches('\u{feff}').trim()).collect();
        if hs != ["id", "weight"] {
            return None;
        }
        let mut rows = Vec::new();
        for rec in rdr.records() {
            let rec = rec.ok()?;
            let id = rec.get(0)?.trim().to_string();
            if id.is_empty() {
                return None;
            }
            rows.push((id, parse_weight(rec.get(1)?.trim()).ok()?));
        }
        (!rows.is_empty()).then_some(rows)
    }

    /// Unit `i`'s weight as parsed (mantissas at the file's common scale).
    fn as_exact(parsed: &Parsed, i: usize) -> num_rational::BigRational {
        let of = |m: u128| parse_weight(&m.to_string()).unwrap();
        match parsed {
            Parsed::Narrow(w) => of(w[i].into()),
            Parsed::Scaled(w) => of(w[i]),
            Parsed::Exact(w) => w[i].clone(),
        }
    }

    /// CSV text with the awkward parts: quotes, doubled quotes, quoted commas and line
    /// breaks, blanks, CRLF, blank lines, a byte-order mark, too many or too few fields,
    /// no final newline, bad numbers.
    fn awkward_csv() -> impl Strategy<Value = Vec<u8>> {
        let field = prop::sample::select(vec![
            "a",
            "b1",
            "u000123",
            " c ",
            "\"q,uote\"",
            "\"x\"\"y\"",
            "\"two\nlines\"",
            "",
            "7",
            " 42 ",
            "3.5",
            "0.125",
            "-1",
            "1e3",
            "\u{a0}5\u{a0}",
            "99999999999999999999999",
            "\"12\"",
            "\u{e9}t\u{e9}",
        ]);
        let awkward_row = prop::collection::vec(field, 1..4).prop_map(|f| f.join(","));
        let id =
            prop::sample::select(vec!["a", "b1", " c ", "\"q,uote\"", "\"x\"\"y\"", "\"two\nlines\"", "\u{e9}t\u{e9}"]);
        let weight = prop::sample::select(vec![
            "7",
            " 42 ",
            "3.5",
            "0.125",
            "\"12\"",
            "\u{a0}5\u{a0}",
            "99999999999999999999999",
        ]);
        let good_row = (id, weight, 0u32..1000).prop_map(|(i, w, n)| match i.strip_suffix('"') {
            Some(open) => format!("{open}{n}\",{w}"),
            None => format!("{i}{n},{w}"),
        });
        let row = prop_oneof![9 => good_row, 1 => awkward_row];
        let ending = prop::sample::select(vec!["\n", "\r\n", "\n\n"]);
        let header = prop::sample::select(vec![
            "id,weight",
            "id,weight",
            "\u{feff}id,weight",
            " id , weight ",
            "id,weight,x",
            "name,value",
        ]);
        (header, prop::collection::vec((row, ending), 0..8), any::<bool>()).prop_map(|(header, rows, final_newline)| {
            let mut text = format!("{header}\n");
            for (r, end) in rows {
                text.push_str(&r);
                text.push_str(end);
            }
            if !final_newline {
                text.pop();
            }
            text.into_bytes()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// Reading with csv-core directly accepts and rejects exactly what the csv crate's
        /// `Reader` does, with the same ids and the same exact weights.
        #[test]
        fn csv_core_reads_like_the_csv_reader(bytes in awkward_csv()) {
            let ours = parse_weights("t.csv", &bytes);
            match (ours, read_with_csv_reader(&bytes)) {
                (Ok((ids, parsed)), Some(rows)) => {
                    prop_assert_eq!(ids.count(), rows.len());
                    // Weights are kept at a common scale: equal up to one positive factor.
                    let reference = rows.iter().position(|(_, w)| *w != num_rational::BigRational::from_integer(0.into()));
                    for (i, (id, w)) in rows.iter().enumerate() {
                        prop_assert_eq!(ids.id(i), id.as_str());
                        match reference {
                            Some(r) => prop_assert_eq!(as_exact(&parsed, i) * &rows[r].1, w * as_exact(&parsed, r)),
                            None => prop_assert_eq!(as_exact(&parsed, i), w.clone()),
                        }
                    }
                }
                (Err(_), None) => {}
                (Ok((ids, _)), None) => prop_assert!(false, "we accept, csv rejects: {} rows", ids.count()),
                (Err(e), Some(_)) => prop_assert!(false, "we reject, csv accepts: {}", e),
            }
        }
    }

    proptest! {
        /// Whatever width the parser ends up in (64-bit, 128-bit, exact), the places are
        /// those of the exact path on the same text: each weight read on its own as an
        /// exact rational (`parse_weight`), made whole, then `apportion`.
        #[test]
        fn every_weight_width_apportions_like_the_exact_path(
            texts in prop::collection::vec(weight_text(), 1..40),
            total in 0u64..200,
            method in prop::sample::select(vec![Method::Hamilton, Method::Webster, Method::Dhondt, Method::HuntingtonHill, Method::Adams]),
        ) {
            let mut file = String::from("id,weight\n");
            for (i, t) in texts.iter().enumerate() {
                file.push_str(&format!("u{i},{t}\n"));
            }
            let (ids, parsed) = parse_weights("t.csv", file.as_bytes()).unwrap();
            let ours = parsed.apportion(method, &ids, total);
            let exact: Vec<_> = texts.iter().map(|t| parse_weight(t).unwrap()).collect();
            let names: Vec<String> = (0..texts.len()).map(|i| format!("u{i}")).collect();
            let oracle = crate::apportion(method, &names, &to_whole_weights(&exact), total);
            match (ours, oracle) {
                (Ok(a), Ok(b)) => {
                    prop_assert_eq!(&a.seats, &b.seats);
                    // The weights used are those of the text, up to one common factor.
                    for i in 0..texts.len() {
                        prop_assert_eq!(a.weight(i) * &b.total_weight, b.weight(i) * &a.total_weight, "unit {}", i);
                    }
                }
                (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
                (a, b) => prop_assert!(false, "ours {:?} vs exact {:?}", a.map(|x| x.seats), b.map(|x| x.seats)),
            }
        }
    }
}
