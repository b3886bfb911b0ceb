//! spreiding-store: the legal cycle in a database — forecast runs, forecast and indicative tasks, offers,
//! swaps, provincial reports, the distribution decision, realisation, and the audit trail.
//!
//! Architecture invariant: the store holds no rule of law. Every check of *whether* a step
//! may happen is delegated to the pure core ([`spreiding_core::cycle::check`],
//! [`spreiding_core::actor::Actor::may`], [`spreiding_core::decision::decide`]); the store
//! supplies the facts, writes the result and the audit record in **one transaction**, and
//! returns core types. A failed command writes nothing.
//!
//! Acts: every mutation takes an [`Act`], which only the store makes — from an authenticated
//! [`Principal`] (an account: password or token, never a self-declared role), from the
//! import of public facts, or for the synthetic demonstration in a demo database. Its date
//! is today in Europe/Amsterdam; another date only in a sandbox database.
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
use spreiding_core::actor::{Actor, Role};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Executor, Row};

pub mod accounts;
mod analysis;
pub mod audit;
mod cycles;
mod decisions;
pub mod error;
mod forecasts;
mod locations;
mod offers;
mod reference;
pub mod replay;

pub use accounts::{Account, IssuedToken, LoginOutcome, TokenInfo};
pub use analysis::PublishedReport;
pub use audit::{AuditHead, AuditRecord, AuditReport, Checkpoint, RecordReport};
pub use cycles::{Cycle, CycleInput, ForecastBase, ForecastRequest, IndicativeTask, NewCycle, PublicFacts};
pub use decisions::{
    CycleStatus, DecisionRecord, MunicipalityStatus, Objection, ObjectionStatus, PaymentApplication, ProvinceStatus,
    Realisation,
};
pub use error::{Result, StoreError};
pub use forecasts::{ForecastRun, NewForecastRun};
pub use locations::{LocationImport, StoredAssessment};
pub use offers::{OfferRecord, ReportRecord, SwapRecord};
pub use reference::{IndicatorSet, StoredVintage};

/// The embedded schema migrations (`migrations/` at the workspace root).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

pub(crate) type Tx = sqlx::Transaction<'static, Any>;

/// Which database is behind the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// What a database is, fixed when it is created (`spreiding db init`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DbKind {
    /// The legal record: acts take effect on the day they are recorded.
    Legal,
    /// A sandbox for walkthroughs and training: acts may be dated (`--date`, the sandbox
    /// clock). Labelled on every command and page.
    Sandbox,
    /// Synthetic demonstration data (`spreiding serve --demo`): a sandbox whose records are
    /// all flagged synthetic. Labelled on every page.
    Demo,
}

impl DbKind {
    pub fn name(self) -> &'static str {
        match self {
            DbKind::Legal => "legal",
            DbKind::Sandbox => "sandbox",
            DbKind::Demo => "demo",
        }
    }
    fn parse(s: &str) -> Result<DbKind> {
        match s {
            "legal" => Ok(DbKind::Legal),
            "sandbox" => Ok(DbKind::Sandbox),
            "demo" => Ok(DbKind::Demo),
            o => Err(StoreError::Database(format!("unknown database kind '{o}' in settings"))),
        }
    }
    /// Whether acts may carry another date than today.
    pub fn sandbox(self) -> bool {
        self != DbKind::Legal
    }
}

/// Who an act is by: an authenticated account, an import of public facts, or the synthetic
/// demonstration (only in a demo database).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActorKind {
    Account,
    /// Public facts imported with their source (not an act of any role).
    Import {
        source: String,
    },
    Synthetic,
}

/// An authenticated account: the only way to obtain an [`Act`] of a role. Made by the
/// store's authentication ([`Store::authenticate_password`], [`Store::authenticate_token`],
/// [`Store::principal`]); never from a self-declared role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    username: String,
    role: Role,
}

impl Principal {
    pub(crate) fn new(username: String, role: Role) -> Principal {
        Principal { username, role }
    }
    pub fn username(&self) -> &str {
        &self.username
    }
    pub fn role(&self) -> Role {
        self.role
    }
    pub fn actor(&self) -> Actor {
        Actor { name: self.username.clone(), role: self.role }
    }
}

/// Who acts, on which date, and why: carried by every mutation into its audit record.
/// Made only by the store ([`Store::act`], [`Store::synthetic_act`]) so that every act has a
/// real author and a date the record allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Act {
    pub(crate) actor: Actor,
    pub(crate) kind: ActorKind,
    /// The date the action takes effect.
    pub(crate) on: NaiveDate,
    /// A ministerial override reason, or a note; recorded in the audit trail.
    pub(crate) reason: Option<String>,
}

impl Act {
    pub fn actor(&self) -> &Actor {
        &self.actor
    }
    pub fn on(&self) -> NaiveDate {
        self.on
    }
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }
    pub fn kind(&self) -> &ActorKind {
        &self.kind
    }
    /// Add a reason (override reason, amendment reason, note).
    pub fn because(mut self, reason: impl Into<String>) -> Self {
        let r: String = reason.into();
        self.reason = (!r.trim().is_empty()).then_some(r);
        self
    }
    pub(crate) fn synthetic(&self) -> bool {
        self.kind == ActorKind::Synthetic
    }
    pub(crate) fn import(source: &str, on: NaiveDate) -> Act {
        Act {
            actor: Actor { name: "import".into(), role: Role::Public },
            kind: ActorKind::Import { source: source.to_string() },
            on,
            reason: None,
        }
    }
    /// The role string for the audit trail: the account's role, `import`, or the role the
    /// synthetic demonstration plays.
    pub(crate) fn role_label(&self) -> String {
        match &self.kind {
            ActorKind::Import { .. } => "import".into(),
            _ => self.actor.role.to_string(),
        }
    }
}

/// The time zone the law's deadlines are judged in.
pub const TIME_ZONE: chrono_tz::Tz = chrono_tz::Europe::Amsterdam;

/// Today in the Netherlands (Europe/Amsterdam).
pub fn today_in_amsterdam() -> NaiveDate {
    chrono::Utc::now().with_timezone(&TIME_ZONE).date_naive()
}

/// The current time as recorded in the trail (RFC 3339, UTC, microseconds).
pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// The database: a pool and the reference data used to check codes.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    nl: Arc<Netherlands>,
    kind: DbKind,
    failpoint: Option<&'static str>,
}

static DRIVERS: Once = Once::new();

impl Store {
    /// Connect to `url` (`sqlite://path?mode=rwc` or `postgres://…`) and bring the schema
    /// up to date. A new database becomes a legal record unless [`Store::initialise`] made
    /// it a sandbox or demo first.
    pub async fn connect(url: &str) -> Result<Store> {
        Self::open_url(url, None).await
    }

    /// Create a database of `kind` (`spreiding db init [--sandbox]`). Refused when the
    /// database already holds records or is of another kind: a legal record never becomes
    /// a sandbox, nor the other way round.
    pub async fn initialise(url: &str, kind: DbKind) -> Result<Store> {
        Self::open_url(url, Some(kind)).await
    }

    async fn open_url(url: &str, want: Option<DbKind>) -> Result<Store> {
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        // A SQLite file is created when missing (`mode=rwc`) unless the URL says otherwise.
        let owned;
        let url = if url.starts_with("sqlite:") && !url.contains("mode=") && !url.contains(":memory:") {
            owned = format!("{url}{}mode=rwc", if url.contains('?') { "&" } else { "?" });
            owned.as_str()
        } else {
            url
        };
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
        let mut store = Store { pool, backend, nl: Arc::new(nl), kind: DbKind::Legal, failpoint: None };
        store.kind = store.settle_kind(want).await?;
        Ok(store)
    }

    /// Read the database's kind, writing it on first use.
    async fn settle_kind(&self, want: Option<DbKind>) -> Result<DbKind> {
        let mut tx = self.begin().await?;
        let row = sqlx::query("SELECT value FROM settings WHERE key = 'kind'").fetch_optional(&mut *tx).await?;
        let existing =
            row.map(|r| r.try_get::<String, _>("value")).transpose()?.map(|s| DbKind::parse(&s)).transpose()?;
        let records: i64 =
            sqlx::query("SELECT seq FROM audit_head WHERE id = 1").fetch_one(&mut *tx).await?.try_get("seq")?;
        let kind = match (existing, want) {
            (Some(k), None) => k,
            (Some(k), Some(w)) if k == w => k,
            (Some(k), Some(w)) => {
                return Err(StoreError::Conflict(format!(
                    "this database is a {} database; it cannot become a {} database: create a new one",
                    k.name(),
                    w.name()
                )));
            }
            (None, w) => {
                let k = w.unwrap_or(DbKind::Legal);
                if records > 0 && k != DbKind::Legal {
                    return Err(StoreError::Conflict(format!(
                        "this database already holds {records} records of the legal record; a {} database must be \
                         created new",
                        k.name()
                    )));
                }
                sqlx::query("INSERT INTO settings (key, value) VALUES ('kind', $1)")
                    .bind(k.name())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("INSERT INTO settings (key, value) VALUES ('created_at', $1)")
                    .bind(now())
                    .execute(&mut *tx)
                    .await?;
                k
            }
        };
        tx.commit().await?;
        Ok(kind)
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

    /// The default demo database: `spreiding-demo.db` in the current directory.
    pub fn demo_url() -> String {
        sqlite_url(Path::new("spreiding-demo.db"))
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// What this database is: the legal record, a sandbox or a demo.
    pub fn kind(&self) -> DbKind {
        self.kind
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

    /// Today for the record: the date in Europe/Amsterdam, or in a sandbox the sandbox
    /// clock when it is set (`spreiding db clock DATE`).
    pub async fn today(&self) -> Result<NaiveDate> {
        if self.kind.sandbox()
            && let Some(r) =
                sqlx::query("SELECT value FROM settings WHERE key = 'clock'").fetch_optional(&self.pool).await?
        {
            return date(&r.try_get::<String, _>("value")?);
        }
        Ok(today_in_amsterdam())
    }

    /// Set the sandbox clock (sandbox and demo databases only); audited.
    pub async fn set_clock(&self, by: &Principal, on: NaiveDate) -> Result<()> {
        if !self.kind.sandbox() {
            return Err(StoreError::Conflict(
                "the clock of the legal record is the real date: only a sandbox database has a clock to set".into(),
            ));
        }
        let act = self.act(by, Some(on), None).await?;
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM settings WHERE key = 'clock'").execute(&mut *tx).await?;
        sqlx::query("INSERT INTO settings (key, value) VALUES ('clock', $1)")
            .bind(on.to_string())
            .execute(&mut *tx)
            .await?;
        audit::append(
            &mut tx,
            &act,
            audit::Entry {
                action: "sandbox.clock",
                cycle_id: None,
                subject: format!("sandbox clock set to {on}"),
                reason: None,
                before: serde_json::Value::Null,
                after: serde_json::json!({"clock": on}),
                // The sandbox clock is a setting of a sandbox, not part of the legal record.
                touches: vec![],
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The act of an authenticated account: on `requested` (another date than today only
    /// in a sandbox, [`spreiding_core::cycle::effective_date`]), with an optional reason.
    pub async fn act(&self, by: &Principal, requested: Option<NaiveDate>, reason: Option<String>) -> Result<Act> {
        let today = self.today().await?;
        let on = spreiding_core::cycle::effective_date(self.kind.sandbox(), today, requested)?;
        Ok(Act { actor: by.actor(), kind: ActorKind::Account, on, reason: reason.filter(|r| !r.trim().is_empty()) })
    }

    /// An act of the synthetic demonstration, playing `role` on `on`: only in a demo
    /// database, and every record it writes is flagged synthetic.
    pub fn synthetic_act(&self, role: Role, on: NaiveDate) -> Result<Act> {
        if self.kind != DbKind::Demo {
            return Err(StoreError::Conflict(
                "synthetic demonstration data goes only to a demo database (spreiding serve --demo uses \
                 spreiding-demo.db), never into the legal record"
                    .into(),
            ));
        }
        Ok(Act { actor: Actor { name: SYNTHETIC_ACTOR.into(), role }, kind: ActorKind::Synthetic, on, reason: None })
    }

    /// Test hook: fail with a database error at the named point inside a transaction
    /// (e.g. `decide:after-tasks`, `commit:offer.submit`), to prove that nothing half-made
    /// is committed.
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

    /// Commit a mutation, after the failpoint `commit:<action>` (every mutation has one).
    pub(crate) async fn commit(&self, tx: Tx, action: &str) -> Result<()> {
        if let Some(p) = self.failpoint
            && p.strip_prefix("commit:") == Some(action)
        {
            return Err(StoreError::Database(format!("injected failure before committing {action}")));
        }
        tx.commit().await?;
        Ok(())
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

    /// The head of the audit chain: the number of records and the last hash. Cheap: readers
    /// poll it to notice any write, by any process.
    pub async fn audit_head(&self) -> Result<AuditHead> {
        let head: AnyRow = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(&self.pool).await?;
        Ok(AuditHead { seq: head.try_get("seq")?, hash: head.try_get("hash")? })
    }

    /// Write a consistent copy of a SQLite database to `path` while it is in use
    /// (`VACUUM INTO`: one read transaction, so the copy holds only committed acts). For
    /// PostgreSQL use `pg_dump` (see `spreiding db backup`).
    pub async fn backup_sqlite(&self, path: &Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Invalid("backup_sqlite: this database is PostgreSQL: use pg_dump".into()));
        }
        if path.exists() {
            return Err(StoreError::Conflict(format!(
                "{}: exists already; a backup never overwrites a file: choose a new name",
                path.display()
            )));
        }
        sqlx::query("VACUUM INTO $1").bind(path.display().to_string()).execute(&self.pool).await?;
        Ok(())
    }

    /// Verify the whole audit chain: every record's hash, every link, and the head.
    /// Fails with [`StoreError::Tampered`] naming the first broken record.
    pub async fn verify_audit(&self) -> Result<AuditReport> {
        let records = self.audit_log(None).await?;
        let head = self.audit_head().await?;
        audit::verify_chain(&records, head.seq, &head.hash)
    }
}

/// The name the synthetic demonstration acts under; everything it writes is flagged synthetic.
pub const SYNTHETIC_ACTOR: &str = "synthetic-demo";

/// `sqlite://<path>?mode=rwc` for a file path.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// The file of a `sqlite:` URL (None for PostgreSQL and in-memory databases).
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    sqlite_path(url)
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
