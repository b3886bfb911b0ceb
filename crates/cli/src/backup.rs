//! `spreiding db backup` and `spreiding db restore`: copies of the record that are verified
//! before they are trusted.
//!
//! SQLite: `VACUUM INTO` writes a consistent copy while the server runs; a restore checks the
//! backup (chain, checkpoints, state against log), copies it next to the database and renames
//! it into place, so the database is either the old one or the restored one, never half.
//! PostgreSQL: `pg_dump --format=custom` and `pg_restore --clean`, the PostgreSQL tools made
//! for it; the restored database is verified the same way.

use std::path::{Path, PathBuf};
use std::process::Command;

use spreiding_store::{Backend, Store};

use crate::error::{CliError, Result};
use crate::session::store_err;

/// Verify a store and say so, or fail naming the first problem.
async fn verified(store: &Store, what: &str) -> Result<String> {
    let r = store.verify_record(None).await.map_err(store_err)?;
    if let Some(f) = r.failure() {
        return Err(CliError::Other(format!("{what} does not verify: {f}")));
    }
    Ok(format!(
        "{} records, head {}, {} rows match the log",
        r.records,
        &r.head_hash[..r.head_hash.len().min(12)],
        r.rows
    ))
}

/// Verify a SQLite backup file on a scratch copy next to `beside` (opening a database
/// brings its schema up to date and takes the write lock once; the backup stays untouched).
/// Returns the scratch copy (to rename into place) and the summary.
async fn verify_sqlite_copy(file: &Path, beside: &Path) -> Result<(PathBuf, String)> {
    let scratch = scratch_name(beside, "check");
    std::fs::copy(file, &scratch).map_err(|e| CliError::io(file, e))?;
    let check = async {
        let s = Store::connect(&spreiding_store::sqlite_url(&scratch)).await.map_err(store_err)?;
        let r = verified(&s, &format!("the backup {}", file.display())).await;
        s.close().await;
        r
    }
    .await;
    for ext in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", scratch.display()));
    }
    match check {
        Ok(summary) => Ok((scratch, summary)),
        Err(e) => {
            let _ = std::fs::remove_file(&scratch);
            Err(e)
        }
    }
}

pub async fn backup(url: &str, file: &Path) -> Result<()> {
    if file.exists() {
        return Err(CliError::Refused(format!(
            "{}: exists already; a backup never overwrites a file: choose a new name",
            file.display()
        )));
    }
    let store = crate::session::connect(Some(url)).await?;
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| CliError::io(dir, e))?;
    }
    match store.backend() {
        Backend::Sqlite => {
            store.backup_sqlite(file).await.map_err(store_err)?;
            store.close().await;
            let (scratch, summary) = verify_sqlite_copy(file, file).await?;
            let _ = std::fs::remove_file(&scratch);
            println!("backup {}: verified: {summary}", file.display());
        }
        Backend::Postgres => {
            store.close().await;
            let out = Command::new("pg_dump")
                .args(["--format=custom", "--no-owner", "--file"])
                .arg(file)
                .arg(url)
                .output()
                .map_err(|e| {
                    CliError::Other(format!("cannot run pg_dump (install the PostgreSQL client tools): {e}"))
                })?;
            if !out.status.success() {
                return Err(CliError::Other(format!(
                    "pg_dump failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                )));
            }
            println!(
                "backup {}: pg_dump custom format; check it with `spreiding db restore {} --database <a scratch \
                 database>`",
                file.display(),
                file.display()
            );
        }
    }
    Ok(())
}

pub async fn restore(url: &str, file: &Path, force: bool) -> Result<()> {
    if !file.exists() {
        return Err(CliError::Input(format!("{}: no such backup file", file.display())));
    }
    let target = Store::connect(url).await.map_err(store_err)?;
    let records = target.audit_head().await.map_err(store_err)?.seq;
    let backend = target.backend();
    target.close().await;
    if records > 0 && !force {
        return Err(CliError::Refused(format!(
            "{} holds {records} records: add --force to replace it with the backup (stop the server first)",
            spreiding_store::redact(url)
        )));
    }
    match backend {
        Backend::Sqlite => {
            let path = spreiding_store::sqlite_file(url)
                .ok_or_else(|| CliError::Input("restore needs a SQLite file, not an in-memory database".into()))?;
            // Check the backup before it replaces anything; the checked copy is what is put
            // in place, by one rename.
            let (scratch, _) = verify_sqlite_copy(file, &path).await?;
            for ext in ["-wal", "-shm"] {
                let side = PathBuf::from(format!("{}{ext}", path.display()));
                if side.exists() {
                    std::fs::remove_file(&side).map_err(|e| CliError::io(&side, e))?;
                }
            }
            std::fs::rename(&scratch, &path).map_err(|e| CliError::io(&path, e))?;
        }
        Backend::Postgres => {
            let out = Command::new("pg_restore")
                .args(["--clean", "--if-exists", "--no-owner", "--single-transaction", "--dbname"])
                .arg(url)
                .arg(file)
                .output()
                .map_err(|e| {
                    CliError::Other(format!("cannot run pg_restore (install the PostgreSQL client tools): {e}"))
                })?;
            if !out.status.success() {
                return Err(CliError::Other(format!(
                    "pg_restore failed (nothing was changed: it ran in one transaction): {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                )));
            }
        }
    }
    let restored = Store::connect(url).await.map_err(store_err)?;
    let summary = verified(&restored, "the restored database").await;
    restored.close().await;
    println!("restored {} from {}: {}", spreiding_store::redact(url), file.display(), summary?);
    Ok(())
}

fn scratch_name(path: &Path, what: &str) -> PathBuf {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("spreiding.db");
    path.with_file_name(format!(".{name}.{what}-{}", std::process::id()))
}
