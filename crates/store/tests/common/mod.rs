//! Test databases: a fresh SQLite file always, a fresh PostgreSQL database when
//! SPREIDING_TEST_PG_URL is set (e.g. postgres://postgres@127.0.0.1:5432/test). Acts come
//! from real accounts: the first test account is the bootstrap administrator, who adds one
//! account per role on first use.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use spreiding_core::actor::Role;
use spreiding_core::bundled;
use spreiding_core::cycle::CycleId;
use spreiding_core::distribution::distribute;
use spreiding_core::key::{Indicators, run_key};
use spreiding_store::{Act, DbKind, IndicativeTask, NewCycle, Principal, Store, StoreError};
use sqlx::Executor;

pub struct TestDb {
    pub name: &'static str,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub const PASSWORD: &str = "correct horse battery";

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = spreiding_store::sqlite_url(&dir.path().join("t.db"));
        TestDb { name: "sqlite", url, _dir: Some(dir), pg: None }
    }

    pub async fn postgres() -> Option<TestDb> {
        let admin = std::env::var("SPREIDING_TEST_PG_URL").ok().filter(|u| !u.is_empty())?;
        sqlx::any::install_default_drivers();
        let db = format!(
            "spreiding_t_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos()
        );
        let pool = sqlx::AnyPool::connect(&admin).await.expect("connect to SPREIDING_TEST_PG_URL");
        pool.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}"))).await.unwrap();
        pool.close().await;
        let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
        Some(TestDb { name: "postgres", url: format!("{base}/{db}"), _dir: None, pg: Some((admin, db)) })
    }

    /// SQLite, and PostgreSQL when configured.
    pub async fn all() -> Vec<TestDb> {
        let mut v = vec![TestDb::sqlite()];
        if let Some(pg) = TestDb::postgres().await {
            v.push(pg);
        }
        v
    }

    /// A sandbox database (acts may be dated, as the tests replay a cycle).
    pub async fn store(&self) -> Store {
        Store::initialise(&self.url, DbKind::Sandbox).await.unwrap()
    }

    /// The same database again (after the first `store`).
    pub async fn reopen(&self) -> Store {
        Store::connect(&self.url).await.unwrap()
    }

    pub async fn drop(self) {
        if let Some((admin, db)) = &self.pg {
            let pool = sqlx::AnyPool::connect(admin).await.unwrap();
            let _ = pool.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))).await;
            pool.close().await;
        }
    }
}

/// The account name of a test role: `municipality:GM0363` → `municipality-GM0363`.
pub fn account_name(role: &str) -> String {
    role.replace(':', "-").to_lowercase()
}

/// The principal of `role`'s test account, created on first use by the administrator.
pub async fn who(store: &Store, role: &str) -> Principal {
    let name = account_name(role);
    if let Ok(p) = store.authenticate_password(&name, PASSWORD).await {
        return p;
    }
    let admin = match store.authenticate_password("admin", PASSWORD).await {
        Ok(p) => p,
        Err(_) => store.bootstrap_account("admin", PASSWORD, Role::Admin).await.unwrap(),
    };
    let a = store.act(&admin, None, None).await.unwrap();
    if role != "admin" {
        store.add_account(&a, &name, PASSWORD, role.parse::<Role>().unwrap()).await.unwrap();
    }
    store.authenticate_password(&name, PASSWORD).await.unwrap()
}

/// An act of `role`'s account on `on` (the test databases are sandboxes).
pub async fn act(store: &Store, role: &str, on: &str) -> Act {
    store.act(&who(store, role).await, Some(on.parse().unwrap()), None).await.unwrap()
}

/// The same, with a reason.
pub async fn act_because(store: &Store, role: &str, on: &str, reason: &str) -> Act {
    act(store, role, on).await.because(reason)
}

pub fn cycle_id() -> CycleId {
    "2024".parse().unwrap()
}

/// The first cycle's forecast: 96,000 places of which 8,140 AMV, population-only key (a
/// recorded ministerial deviation: SES-WOA is not available offline).
pub fn forecast(total: u64) -> NewCycle {
    let nl = bundled::netherlands().unwrap();
    let def = bundled::key(bundled::POPULATION_KEY).unwrap().unwrap();
    let key = run_key(&def, &nl.set, &Indicators::default(), total, None).unwrap();
    let method = key.apportionment.method;
    let d = distribute(&nl, key, Some(total * 8140 / 96000), &[], None).unwrap();
    NewCycle {
        id: cycle_id(),
        year: 2024,
        national_total: total,
        amv_total: d.amv_total,
        definition: format!("{}@{}", d.definition.id, d.definition.version),
        key_status: d.definition.status.clone(),
        key_toml: bundled::KEYS.iter().find(|k| k.0 == bundled::POPULATION_KEY).unwrap().2.to_string(),
        method,
        deviation: Some("test: SES-WOA is not available offline".into()),
        population_date: nl.set.population_date,
        municipality_set: "CBS gemeenten 2025 (342)".into(),
        inputs: vec![],
        note: None,
        tasks: IndicativeTask::from_distribution(&d),
        forecast_run_id: None,
    }
}

/// Whether an error is bad input, a refusal, or a denial (for assertions).
pub fn is_invalid(e: &StoreError) -> bool {
    matches!(e, StoreError::Invalid(_) | StoreError::InvalidRow { .. })
}
