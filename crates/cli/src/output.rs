//! Shared input/output helpers: reading files with their name in errors, and writing
//! output atomically (to a temporary file renamed into place), so that nothing is
//! written to `--output` when a command fails.

use std::io::Write;
use std::path::Path;

use crate::error::{CliError, Result};

/// Output format shared by the commands that print tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    Table,
    /// Comma-separated values with a header line.
    Csv,
    /// One JSON document.
    Json,
}

/// Read a whole text file; the error names the path.
pub fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| CliError::io(path, e))
}

/// Write `content` to `path` (atomically) or to stdout when `path` is None.
pub fn emit(path: Option<&Path>, content: &str) -> Result<()> {
    match path {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(content.as_bytes()).map_err(|e| CliError::io("<stdout>", e))?;
            out.flush().map_err(|e| CliError::io("<stdout>", e))
        }
        // Not a regular file (a device such as /dev/null, a pipe): write to it as it is. A
        // rename would replace the device node itself.
        Some(p) if std::fs::metadata(p).is_ok_and(|m| !m.is_file()) => {
            std::fs::write(p, content).map_err(|e| CliError::io(p, e))
        }
        Some(p) => {
            let dir = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
            let tmp = dir.join(format!(
                ".{}.tmp-{}",
                p.file_name().and_then(|n| n.to_str()).unwrap_or("out"),
                std::process::id()
            ));
            std::fs::write(&tmp, content).map_err(|e| CliError::io(&tmp, e))?;
            std::fs::rename(&tmp, p).map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                CliError::io(p, e)
            })
        }
    }
}

/// Render rows as an aligned text table (numbers right-aligned).
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let numeric: Vec<bool> = (0..headers.len())
        .map(|i| {
            !rows.is_empty() && rows.iter().all(|r| r[i].chars().all(|c| c.is_ascii_digit() || ".-,/ ".contains(c)))
        })
        .collect();
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let pad = widths[i] - c.chars().count();
                if numeric[i] { format!("{}{c}", " ".repeat(pad)) } else { format!("{c}{}", " ".repeat(pad)) }
            })
            .collect();
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    };
    line(headers.to_vec(), &mut out);
    out.push_str(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  "));
    out.push('\n');
    for r in rows {
        line(r.iter().map(String::as_str).collect(), &mut out);
    }
    out
}

/// A table of text cells: the one renderer of the command line for tables and CSV.
pub struct Rows {
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

impl Rows {
    pub fn new(headers: &[&'static str]) -> Rows {
        Rows { headers: headers.to_vec(), rows: Vec::new() }
    }

    pub fn push(&mut self, row: Vec<String>) {
        debug_assert_eq!(row.len(), self.headers.len());
        self.rows.push(row);
    }

    /// Aligned text (Table) or CSV; JSON is rendered from the typed values by the caller.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Csv => csv_text(&self.headers, &self.rows),
            _ => table(&self.headers, &self.rows),
        }
    }
}

pub use spreiding_core::export::csv_text;
