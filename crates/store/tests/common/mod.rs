//! Test databases: a fresh SQLite file always, a fresh PostgreSQL database when
//! SPREIDING_TEST_PG_URL is set (e.g. postgres://postgres@127.0.0.1:5432/test).
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use spreiding_core::actor::{Actor, Role};
use spreiding_core::bundled;
use spreiding_core::cycle::CycleId;
use spreiding_core::distribution::distribute;
use spreiding_core::key::{Indicators, run_key};
use spreiding_store::{Act, IndicativeTask, NewCycle, Store};
use sqlx::Executor;

pub struct TestDb {
    pub name: &'static str,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

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

    pub async fn store(&self) -> Store {
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

pub fn act(role: &str, on: &str) -> Act {
    Act::new(Actor { name: format!("test {role}"), role: role.parse::<Role>().unwrap() }, on.parse().unwrap())
}

pub fn cycle_id() -> CycleId {
    "2024".parse().unwrap()
}

/// The first cycle's forecast: 96,000 places of which 8,140 AMV, population-only key
/// (SES-WOA is not available offline).
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
        method,
        note: Some("population-only key: SES-WOA not loaded".into()),
        tasks: IndicativeTask::from_distribution(&d),
    }
}
