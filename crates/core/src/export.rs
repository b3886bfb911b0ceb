//! CSV for downloads and exports, shared by the command line and the web: written with the
//! `csv` crate, every cell guarded against spreadsheet formula injection (OWASP "CSV
//! injection"), because the public and the municipalities open these files in Excel.

/// CSV with a header line; a text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage
/// return gets a leading `'` (numbers such as `-5` stay numbers).
pub fn csv_text(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    w.write_record(headers).expect("in memory");
    for r in rows {
        w.write_record(r.iter().map(|c| guard_formula(c).into_owned())).expect("in memory");
    }
    String::from_utf8(w.into_inner().expect("in memory")).expect("utf-8 in, utf-8 out")
}

/// A cell safe to open in a spreadsheet.
pub fn guard_formula(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        let s =
            csv_text(&["a", "b"], &[vec!["=HYPERLINK(\"x\")".into(), "-5".into()], vec!["x, y".into(), "@SUM".into()]]);
        assert_eq!(s, "a,b\n\"'=HYPERLINK(\"\"x\"\")\",-5\n\"x, y\",'@SUM\n");
    }
}
