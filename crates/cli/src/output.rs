//! Shared input/output helpers: reading files with their name in errors, and writing
//! output atomically (to a temporary file renamed into place), so that nothing is
//! written to `--output` when a command fails.

use std::io::Write;
use std::path::{Path, PathBuf};

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

/// Where the bundled reference data lives: `SPREIDING_DATA_DIR`, else `data/` in the
/// current directory or next to the workspace the binary was built from.
pub fn data_dir() -> PathBuf {
    if let Ok(d) = std::env::var("SPREIDING_DATA_DIR") {
        return PathBuf::from(d);
    }
    let cwd = PathBuf::from("data");
    if cwd.join("gemeenten_2025.csv").exists() {
        return cwd;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

/// Where other bundled definition folders (`keys/`, `scenarios/`, `quality/`) live:
/// the sibling of [`data_dir`].
pub fn bundled_dir(name: &str) -> PathBuf {
    let d = data_dir();
    d.parent().map(|p| p.join(name)).unwrap_or_else(|| PathBuf::from(name))
}

/// Write `content` to `path` (atomically) or to stdout when `path` is None.
pub fn emit(path: Option<&Path>, content: &str) -> Result<()> {
    match path {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(content.as_bytes()).map_err(|e| CliError::io("<stdout>", e))?;
            out.flush().map_err(|e| CliError::io("<stdout>", e))
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
