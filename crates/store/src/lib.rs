//! spreiding-store: the legal cycle in a database — forecast and indicative tasks, offers,
//! swaps, provincial reports, the distribution decision, realisation, and the audit trail.
//!
//! Architecture invariant: the store holds no rule of law. Every check of *whether* a step
//! may happen is delegated to the pure core ([`spreiding_core::cycle::check`],
//! [`spreiding_core::actor::Actor::may`], [`spreiding_core::decision::decide`]); the store
//! supplies the facts, writes the result and the audit record in **one transaction**, and
//! returns core types. A failed command writes nothing.
//!
//! Backends: SQLite (default, a file) and PostgreSQL (`postgres://…`), through sqlx's
//! `AnyPool` with runtime queries. Only BIGINT and TEXT columns are used; dates are ISO
//! text. One portable `migrations/` folder at the workspace root is embedded.
//!
//! Concurrency: every mutation first takes the audit chain's head row (`audit_head`): a
//! row lock in PostgreSQL, the write lock (`BEGIN IMMEDIATE`, busy timeout, WAL) in SQLite.
//! Mutations are therefore serialised, checks see committed state, and concurrent
//! submissions lose nothing.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Once};
use std::time::Duration;

use chrono::NaiveDate;
use spreiding_core::Netherlands;
use spreiding_core::actor::Actor;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Executor, Row};

pub mod audit;
mod cycles;
mod decisions;
pub mod error;
mod locations;
mod offers;

pub use audit::{AuditRecord, AuditReport};
pub use cycles::{Cycle, IndicativeTask, NewCycle};
pub use decisions::{CycleStatus, MunicipalityStatus, ProvinceStatus, Realisation};
pub use error::{Result, StoreError};
pub use locations::{LocationImport, StoredAssessment};
pub use offers::{OfferRecord, ReportRecord, SwapRecord};

/// The embedded schema migrations (`migrations/` at the workspace root).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

pub(crate) type Tx = sqlx::Transaction<'static, Any>;

/// Which database is behind the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Who acts, on which date, and why: carried by every mutation into its audit record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Act {
    pub actor: Actor,
    /// The date the action takes effect (the CLI's `--date`, default today).
    pub on: NaiveDate,
    /// A ministerial override reason, or a note; recorded in the audit trail.
    pub reason: Option<String>,
}

impl Act {
    pub fn new(actor: Actor, on: NaiveDate) -> Self {
        Act { actor, on, reason: None }
    }
    pub fn because(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
}

/// The database: a pool and the reference data used to check codes.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    nl: Arc<Netherlands>,
    failpoint: Option<&'static str>,
}

static DRIVERS: Once = Once::new();

impl Store {
    /// Connect to `url` (`sqlite://path?mode=rwc` or `postgres://…`) and bring the schema
    /// up to date.
    pub async fn connect(url: &str) -> Result<Store> {
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::Invalid(format!(
                "unsupported database URL '{}': use sqlite://FILE?mode=rwc or postgres://USER@HOST/DB",
                redact(url)
            )));
        };
        if backend == Backend::Sqlite
            && let Some(dir) = sqlite_path(url).and_then(|p| p.parent().map(Path::to_path_buf))
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(&dir).map_err(|e| {
                StoreError::Database(format!("cannot create the database folder {}: {e}", dir.display()))
            })?;
        }
        let mut opts = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 8 })
            .acquire_timeout(Duration::from_secs(60));
        if backend == Backend::Sqlite {
            opts = opts.after_connect(|conn, _| {
                Box::pin(async move {
                    // WAL lets readers work while one writer commits; writers wait up to 30 s.
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA busy_timeout = 30000").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    Ok(())
                })
            });
        }
        let pool = opts
            .connect(url)
            .await
            .map_err(|e| StoreError::Database(format!("cannot open the database {}: {e}", redact(url))))?;
        MIGRATOR.run(&pool).await?;
        let nl = spreiding_core::bundled::netherlands()?;
        Ok(Store { pool, backend, nl: Arc::new(nl), failpoint: None })
    }

    /// Open the default embedded SQLite database in `dir` (created when missing).
    pub async fn open(dir: &Path) -> Result<Store> {
        Store::connect(&sqlite_url(&dir.join("spreiding.db"))).await
    }

    /// The default database URL, the same for every command (`serve`, `cycle`, `audit`,
    /// `locations`, `quality`, `user`): `DATABASE_URL` if set, else the embedded SQLite file
    /// `spreiding.db` in the current directory (created when missing).
    pub fn default_url() -> String {
        match std::env::var("DATABASE_URL") {
            Ok(u) if !u.trim().is_empty() => u,
            _ => sqlite_url(Path::new("spreiding.db")),
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The underlying pool (for other crates' read queries; write through the repositories).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The reference data the store checks codes against.
    pub fn netherlands(&self) -> &Netherlands {
        &self.nl
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Test hook: fail with a database error at the named point inside a transaction
    /// (e.g. `decide:after-tasks`), to prove that nothing half-made is committed.
    #[doc(hidden)]
    pub fn with_failpoint(mut self, name: &'static str) -> Self {
        self.failpoint = Some(name);
        self
    }

    pub(crate) fn fail(&self, point: &str) -> Result<()> {
        if self.failpoint == Some(point) {
            return Err(StoreError::Database(format!("injected failure at {point}")));
        }
        Ok(())
    }

    /// Start a mutation: a write transaction holding the audit head (see the crate docs).
    pub(crate) async fn begin(&self) -> Result<Tx> {
        let mut tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1").execute(&mut *tx).await?;
        Ok(tx)
    }

    /// The whole audit trail, or one cycle's part of it, in order.
    pub async fn audit_log(&self, cycle: Option<&str>) -> Result<Vec<AuditRecord>> {
        let rows = match cycle {
            Some(c) => {
                sqlx::query("SELECT * FROM audit_log WHERE cycle_id = $1 ORDER BY seq")
                    .bind(c)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => sqlx::query("SELECT * FROM audit_log ORDER BY seq").fetch_all(&self.pool).await?,
        };
        rows.iter().map(AuditRecord::from_row).collect()
    }

    /// Verify the whole audit chain: every record's hash, every link, and the head.
    /// Fails with [`StoreError::Tampered`] naming the first broken record.
    pub async fn verify_audit(&self) -> Result<AuditReport> {
        let records = self.audit_log(None).await?;
        let head: AnyRow = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(&self.pool).await?;
        audit::verify_chain(&records, head.try_get("seq")?, &head.try_get::<String, _>("hash")?)
    }
}

/// `sqlite://<path>?mode=rwc` for a file path.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// A URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let cred = &url[s + 3..at];
            match cred.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &cred[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

pub(crate) fn date(s: &str) -> Result<NaiveDate> {
    s.parse().map_err(|_| StoreError::Database(format!("stored date '{s}' is not ISO (YYYY-MM-DD)")))
}
