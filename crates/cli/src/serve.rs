//! `spreiding serve`: the public dashboard, the portal and the open API (crates/web).

use std::net::SocketAddr;

use crate::error::{CliError, Result};

/// Serve the dashboard, the portal and the open API.
///
/// On first start the SQLite database is created and migrated; the 342 municipalities and
/// the current cycle's indicative tasks come compiled in. Nothing is fetched from the
/// internet, by the server or by its pages.
///
/// Examples:
///   spreiding serve                                   http://127.0.0.1:8080/
///   spreiding serve --demo                            with synthetic offers and realisation
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
    /// Add clearly labelled synthetic offers and realisation so the progress views have content.
    #[arg(long)]
    pub demo: bool,
}

pub fn run(args: Args) -> Result<()> {
    let rt = tokio::runtime::Runtime::new().map_err(|e| CliError::Other(format!("cannot start the runtime: {e}")))?;
    rt.block_on(spreiding_web::serve(spreiding_web::ServeOptions {
        addr: args.addr,
        database_url: args.database.unwrap_or_else(spreiding_store::Store::default_url),
        demo: args.demo,
    }))
    .map_err(|e| CliError::Other(e.to_string()))
}
