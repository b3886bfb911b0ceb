//! `spreiding serve`: the public dashboard, the portal and the open API (crates/web).

use std::net::SocketAddr;

use crate::error::{CliError, Result};

/// Serve the dashboard, the portal and the open API.
///
/// On first start the SQLite database is created and migrated and seeded with the public
/// facts of cycles 1 and 2, imported with their source (never as an act of a role). With
/// --demo a separate demo database gets clearly labelled synthetic data. Nothing is fetched from the
/// internet, by the server or by its pages.
///
/// Examples:
///   spreiding serve                                   http://127.0.0.1:8080/
///   spreiding serve --demo                            synthetic data in spreiding-demo.db
///   spreiding serve --database postgres://user@host/db --addr 0.0.0.0:8080
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Database URL: sqlite:FILE (created when missing) or postgres://… (default: DATABASE_URL,
    /// else spreiding.db in the current directory — the same database the other commands use).
    #[arg(long, env = "DATABASE_URL")]
    pub database: Option<String>,
    /// Serve a demo database (default spreiding-demo.db, never the legal record) filled with
    /// clearly labelled synthetic data.
    #[arg(long)]
    pub demo: bool,
    /// Mark session cookies Secure: set this when the site is served over HTTPS (directly or
    /// behind a proxy that terminates TLS).
    #[arg(long, env = "SPREIDING_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Sign checkpoints of the audit trail with this private key (from `spreiding audit
    /// keygen`): after every decision and at least hourly while records are added. Keep
    /// the key outside the database and its backups.
    #[arg(long, env = "SPREIDING_CHECKPOINT_KEY")]
    pub checkpoint_key: Option<std::path::PathBuf>,
}

pub fn run(args: Args) -> Result<()> {
    let checkpoint_key = match &args.checkpoint_key {
        Some(p) => {
            let pem = std::fs::read_to_string(p).map_err(|e| CliError::io(p, e))?;
            Some(
                spreiding_store::audit::signing_key_from_pem(&p.display().to_string(), &pem)
                    .map_err(|e| CliError::Input(e.to_string()))?,
            )
        }
        None => None,
    };
    let rt = tokio::runtime::Runtime::new().map_err(|e| CliError::Other(format!("cannot start the runtime: {e}")))?;
    rt.block_on(spreiding_web::serve(spreiding_web::ServeOptions {
        addr: args.addr,
        database_url: match (args.database, args.demo) {
            (Some(d), _) => d,
            (None, true) => spreiding_store::Store::demo_url(),
            (None, false) => spreiding_store::Store::default_url(),
        },
        demo: args.demo,
        secure_cookies: args.secure_cookies,
        checkpoint_key,
    }))
    .map_err(|e| CliError::Other(e.to_string()))
}
