//! `spreiding db`: create a database of a kind (the legal record, a sandbox, a demo), set a
//! sandbox's clock, and show what a database is.

use chrono::NaiveDate;
use spreiding_store::{DbKind, Store};

use crate::error::Result;
use crate::session::{Identity, runtime, store_err};

/// The database itself.
///
/// A database is the legal record unless it was created as a sandbox: there acts may be
/// dated (--date, or the sandbox clock), for walkthroughs and training. The kind is fixed at
/// creation and shown by every command and page.
///
/// Examples:
///   spreiding db init --sandbox                      a new sandbox (./spreiding.db or DATABASE_URL)
///   spreiding db clock 2024-03-01 --user beheer      move the sandbox's clock
///   spreiding db info
///   spreiding db backup backups/2026-12-01.db        online copy, then verified
///   spreiding db restore backups/2026-12-01.db       (server stopped) verified, then put in place
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(subcommand)]
    cmd: Sub,
    /// Database URL (default: DATABASE_URL, else ./spreiding.db).
    #[arg(long, env = "DATABASE_URL", global = true)]
    database: Option<String>,
    #[command(flatten)]
    who: Identity,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Create the database (refused when it exists as another kind or holds records).
    Init {
        /// A sandbox: not the legal record; dates may be chosen.
        #[arg(long, conflicts_with = "demo")]
        sandbox: bool,
        /// A demo database for synthetic data (what `serve --demo` uses).
        #[arg(long)]
        demo: bool,
    },
    /// Set the clock of a sandbox: acts without --date take this date.
    Clock { date: NaiveDate },
    /// What this database is.
    Info,
    /// Write a consistent copy while the database is in use, then verify the copy (chain,
    /// checkpoints, state against log). SQLite: an online copy (`VACUUM INTO`). PostgreSQL:
    /// `pg_dump --format=custom` (the PostgreSQL client tools must be installed).
    Backup {
        /// The backup file (never overwritten).
        file: std::path::PathBuf,
    },
    /// Replace the database with a backup: the backup is verified first, then put in place
    /// (SQLite: the file is replaced atomically; PostgreSQL: `pg_restore --clean`), then the
    /// restored database is verified. Stop the server first.
    Restore {
        file: std::path::PathBuf,
        /// Replace a database that holds records (without it, only an empty one).
        #[arg(long)]
        force: bool,
    },
}

pub fn run(args: Args) -> Result<()> {
    runtime()?.block_on(async move {
        let url = args.database.clone().unwrap_or_else(Store::default_url);
        match args.cmd {
            Sub::Init { sandbox, demo } => {
                let kind = if demo {
                    DbKind::Demo
                } else if sandbox {
                    DbKind::Sandbox
                } else {
                    DbKind::Legal
                };
                let store = Store::initialise(&url, kind).await.map_err(store_err)?;
                println!("{} is a {} database", spreiding_store::redact(&url), store.kind().name());
                store.close().await;
            }
            Sub::Clock { date } => {
                let store = crate::session::connect(Some(&url)).await?;
                let p = args.who.principal(&store).await?;
                store.set_clock(&p, date).await.map_err(store_err)?;
                println!("sandbox clock set to {date}");
                store.close().await;
            }
            Sub::Info => {
                let store = crate::session::connect(Some(&url)).await?;
                let head = store.audit_head().await.map_err(store_err)?;
                println!(
                    "{}: {} database, {} audit records, today {}",
                    spreiding_store::redact(&url),
                    store.kind().name(),
                    head.seq,
                    store.today().await.map_err(store_err)?
                );
                store.close().await;
            }
            Sub::Backup { file } => crate::backup::backup(&url, &file).await?,
            Sub::Restore { file, force } => crate::backup::restore(&url, &file, force).await?,
        }
        Ok(())
    })
}
