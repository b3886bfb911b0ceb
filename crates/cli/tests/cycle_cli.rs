//! A whole cycle from the command line, on SQLite and (with SPREIDING_TEST_PG_URL) on
//! PostgreSQL: forecast → indicative tasks → offers for all 342 municipalities (synthetic)
//! → reports for the 12 provinces → decision → realisation → closed; audit verify passes
//! and fails after tampering.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Executor;

const BIN: &str = env!("CARGO_BIN_EXE_spreiding");

fn spreiding(db: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .args(["--database", db])
        .env_remove("DATABASE_URL")
        .env("USER", "walkthrough")
        .output()
        .expect("run spreiding")
}

#[track_caller]
fn ok(db: &str, args: &[&str]) -> String {
    let o = spreiding(db, args);
    assert!(
        o.status.success(),
        "spreiding {} failed ({:?}):\n{}",
        args.join(" "),
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[track_caller]
fn fails(db: &str, args: &[&str], code: i32, needle: &str) -> String {
    let o = spreiding(db, args);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(code), "spreiding {}: {err}", args.join(" "));
    assert!(err.contains(needle), "expected '{needle}' in: {err}");
    err
}

struct Db {
    url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

static N: AtomicU32 = AtomicU32::new(0);

async fn databases() -> Vec<Db> {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vec![Db {
        url: format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display()),
        _dir: Some(dir),
        pg: None,
    }];
    if let Some(admin) = std::env::var("SPREIDING_TEST_PG_URL").ok().filter(|u| !u.is_empty()) {
        sqlx::any::install_default_drivers();
        let db = format!("spreiding_t_cli_{}_{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst));
        let pool = sqlx::AnyPool::connect(&admin).await.unwrap();
        pool.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}"))).await.unwrap();
        pool.close().await;
        let base = admin.rsplit_once('/').unwrap().0.to_string();
        v.push(Db { url: format!("{base}/{db}"), _dir: None, pg: Some((admin, db)) });
    }
    v
}

impl Db {
    async fn drop(&self) {
        if let Some((admin, db)) = &self.pg {
            let pool = sqlx::AnyPool::connect(admin).await.unwrap();
            let _ = pool.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))).await;
            pool.close().await;
        }
    }
}

/// Synthetic offers file for one municipality: 70–129 % of its task over one or two locations.
fn synthetic_offers_csv(gm: &str, task: u64) -> String {
    let n: u64 = gm[2..].parse().unwrap();
    let total = (task * (70 + (n * 37) % 60) / 100).max(1);
    let mut s = String::from("gm_code,location,places,kind,durable,available_from\n");
    if total > 40 {
        s.push_str(&format!("{gm},Synthetic azc {gm},{},coa,yes,2024-09-01\n", total - total / 2));
        s.push_str(&format!("{gm},\"Synthetic pand {gm}, centrum\",{},municipal,no,2024-10-01\n", total / 2));
    } else {
        s.push_str(&format!("{gm},Synthetic azc {gm},{total},amv,yes,2024-09-01\n"));
    }
    s
}

fn run_full_cycle(db: &str, dir: &Path) {
    // 1. Forecast and indicative tasks (minister, before 1 February).
    let out = ok(
        db,
        &[
            "cycle",
            "new",
            "--year",
            "2024",
            "--total",
            "96000",
            "--amv",
            "8140",
            "--as",
            "ministry",
            "--date",
            "2024-01-31",
        ],
    );
    assert!(out.contains("Cycle 2024 published on 2024-01-31: 96000 places of which 8140 AMV"), "{out}");
    let tasks: serde_json::Value =
        serde_json::from_str(&ok(db, &["cycle", "export", "tasks", "--format", "json"])).unwrap();
    let tasks: Vec<(String, String, u64)> = tasks
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (t["gm_code"].as_str().unwrap().into(), t["pv_code"].as_str().unwrap().into(), t["task"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(tasks.len(), 342);
    assert_eq!(tasks.iter().map(|t| t.2).sum::<u64>(), 96_000);

    // 2. Offers for all 342 municipalities, each for itself, four processes at a time.
    std::thread::scope(|s| {
        for chunk in tasks.chunks(tasks.len().div_ceil(4)) {
            s.spawn(move || {
                for (gm, _, task) in chunk {
                    let f = dir.join(format!("offers_synthetic_{gm}.csv"));
                    std::fs::write(&f, synthetic_offers_csv(gm, *task)).unwrap();
                    ok(
                        db,
                        &[
                            "cycle",
                            "offer",
                            "--file",
                            f.to_str().unwrap(),
                            "--as",
                            &format!("municipality:{gm}"),
                            "--date",
                            "2024-06-01",
                        ],
                    );
                }
            });
        }
    });
    // A single offer on the command line, and a swap in the provincial table of Noord-Holland.
    ok(
        db,
        &[
            "cycle",
            "offer",
            "GM0363",
            "--location",
            "Extra paviljoen",
            "--places",
            "25",
            "--kind",
            "municipal",
            "--as",
            "municipality:GM0363",
            "--date",
            "2024-07-01",
        ],
    );
    let out = ok(
        db,
        &[
            "cycle",
            "swap",
            "--from",
            "GM0479",
            "--to",
            "GM0363",
            "--places",
            "50",
            "--note",
            "Zaanstad houses more permit holders",
            "--as",
            "province:PV27",
            "--date",
            "2024-09-15",
        ],
    );
    assert!(out.contains("GM0363 takes over 50 places of GM0479"), "{out}");

    // 3. Twelve CdK reports; Utrecht sets one commitment explicitly.
    let provinces: std::collections::BTreeSet<&str> = tasks.iter().map(|t| t.1.as_str()).collect();
    assert_eq!(provinces.len(), 12);
    let commitments = dir.join("commitments_PV26.csv");
    std::fs::write(&commitments, "gm_code,commitment\nGM0344,2500\n").unwrap();
    let c = commitments.to_str().unwrap().to_string();
    for pv in &provinces {
        let pv_as = format!("province:{pv}");
        let mut args = vec!["cycle", "report", "--as", pv_as.as_str(), "--date", "2024-10-25"];
        if *pv == "PV26" {
            args.extend(["--commitments", c.as_str()]);
        }
        let out = ok(db, &args);
        assert!(out.contains(&format!("Report of {pv} submitted")), "{out}");
    }

    // 4. The distribution decision.
    let out = ok(db, &["cycle", "decide", "--as", "ministry", "--date", "2024-12-23"]);
    assert!(out.contains("Distribution decision of 23 December 2024"), "{out}");
    let d: serde_json::Value =
        serde_json::from_str(&ok(db, &["cycle", "export", "decision", "--format", "json"])).unwrap();
    let ms = d["municipalities"].as_array().unwrap();
    assert_eq!(ms.len(), 342);
    let binding: u64 = ms.iter().map(|m| m["binding_task"].as_u64().unwrap()).sum();
    let plan: u64 = ms.iter().map(|m| m["commitment"].as_u64().unwrap()).sum();
    assert_eq!(binding, d["binding_total"].as_u64().unwrap());
    // Sum to the national total — or, with over-delivery made binding, to the plans when they exceed it.
    assert_eq!(binding, 96_000u64.max(plan));
    for m in ms {
        let (b, c) = (m["binding_task"].as_u64().unwrap(), m["commitment"].as_u64().unwrap());
        assert!(b >= c || !m["below_commitment"].is_null(), "{m}");
        assert!(m["explanation"].as_str().unwrap().contains("realised by 23 June 2025"));
    }
    let utrecht = ms.iter().find(|m| m["gm_code"] == "GM0344").unwrap();
    assert_eq!(utrecht["commitment"], 2500);
    let amsterdam = ms.iter().find(|m| m["gm_code"] == "GM0363").unwrap();
    assert_eq!(amsterdam["swap_delta"], 50);
    let csv = ok(db, &["cycle", "export", "decision"]);
    assert_eq!(csv.lines().count(), 343);

    // 5. Realisation within six months; status; closing.
    for m in ms.iter().take(30) {
        let gm = m["gm_code"].as_str().unwrap();
        let b = m["binding_task"].as_u64().unwrap().to_string();
        ok(
            db,
            &["cycle", "realise", gm, "--places", &b, "--as", &format!("municipality:{gm}"), "--date", "2025-04-01"],
        );
    }
    let st = ok(db, &["cycle", "status", "--by", "province", "--date", "2025-04-02"]);
    assert!(st.contains("phase decided") && st.contains("Noord-Holland"), "{st}");
    let one = ok(db, &["cycle", "status", "--municipality", "GM0363", "--date", "2025-04-02"]);
    assert!(one.contains("Binding task"), "{one}");
    fails(
        db,
        &["cycle", "close", "--as", "ministry", "--date", "2025-05-01"],
        3,
        "realisation period runs until 23 June 2025",
    );
    let out = ok(db, &["cycle", "close", "--as", "ministry", "--date", "2025-06-24"]);
    assert!(out.contains("closed on 2025-06-24"), "{out}");
    assert!(ok(db, &["cycle", "list"]).contains("closed"));

    // 6. The audit trail verifies; after tampering it does not, and names the record.
    let out = ok(db, &["audit", "verify"]);
    assert!(out.contains("audit trail intact"), "{out}");
    let log = ok(db, &["audit", "log", "--format", "json"]);
    let log: serde_json::Value = serde_json::from_str(&log).unwrap();
    assert!(log.as_array().unwrap().len() > 342 + 12);
}

async fn tamper(db: &str, sql: &str) {
    let store = spreiding_store::Store::connect(db).await.unwrap();
    store.pool().execute(sqlx::AssertSqlSafe(sql.to_string())).await.unwrap();
    store.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_whole_cycle_from_the_command_line() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let url = db.url.clone();
        let d = dir.path().to_path_buf();
        tokio::task::spawn_blocking(move || run_full_cycle(&url, &d)).await.unwrap();
        tamper(&db.url, "UPDATE audit_log SET after_json = '{\"binding_task\":0}' WHERE seq = 100").await;
        fails(&db.url, &["audit", "verify"], 1, "audit trail broken at record 100");
        db.drop().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_refused_and_nothing_is_written() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        let url = db.url.clone();
        let d = dir.path().to_path_buf();
        tokio::task::spawn_blocking(move || {
            let db = url.as_str();
            // Before the cycle exists.
            fails(db, &["cycle", "offer", "GM0363", "--location", "A", "--places", "5", "--as", "municipality:GM0363"], 2, "no cycle yet");
            // Late forecast without a reason; with a reason it passes.
            fails(db, &["cycle", "new", "--year", "2024", "--total", "1000", "--as", "ministry", "--date", "2024-02-03"], 3, "before 1 February 2024");
            fails(db, &["cycle", "new", "--year", "2024", "--total", "1000", "--as", "municipality:GM0363", "--date", "2024-01-03"], 3, "may not manage the cycle");
            ok(db, &["cycle", "new", "--year", "2024", "--total", "1000", "--amv", "80", "--as", "ministry", "--date", "2024-02-03", "--reason", "figures arrived late from the IND"]);
            // Revision mid-way (Wet art. 2): new tasks, revision number up.
            let out = ok(db, &["cycle", "revise", "--total", "1200", "--amv", "90", "--as", "ministry", "--date", "2024-04-01"]);
            assert!(out.contains("revised (revision 1, Wet art. 2): 1000 → 1200 places"), "{out}");
            let tasks: serde_json::Value = serde_json::from_str(&ok(db, &["cycle", "export", "tasks", "--format", "json"])).unwrap();
            assert_eq!(tasks.as_array().unwrap().iter().map(|t| t["task"].as_u64().unwrap()).sum::<u64>(), 1200);
            fails(db, &["cycle", "revise", "--total", "1300", "--as", "province:PV27", "--date", "2024-04-02"], 3, "may not manage the cycle");
            // A 300-row import with one bad row: nothing written, the line named.
            let mut csv = String::from("gm_code,location,places,kind,durable,available_from\n");
            for i in 0..300 {
                let places = if i == 149 { "-3".to_string() } else { "4".to_string() };
                csv.push_str(&format!("GM0363,Locatie {i},{places},coa,no,2024-05-01\n"));
            }
            let f = d.join("offers_300.csv");
            std::fs::write(&f, &csv).unwrap();
            let fs = f.to_str().unwrap();
            fails(db, &["cycle", "offer", "--file", fs, "--as", "municipality:GM0363", "--date", "2024-03-01"], 2, "offers_300.csv:151: places");
            // An implausible number in row 201: refused by the store, line named, nothing written.
            std::fs::write(&f, csv.replace("-3", "4").replace("Locatie 199,4", "Locatie 199,400000")).unwrap();
            fails(db, &["cycle", "offer", "--file", fs, "--as", "municipality:GM0363", "--date", "2024-03-01"], 2, "offers_300.csv:201: places: 400000 places");
            // A row for another municipality: refused (acting for another), row named.
            std::fs::write(&f, csv.replace("-3", "4").replace("GM0363,Locatie 7,", "GM0014,Locatie 7,")).unwrap();
            fails(db, &["cycle", "offer", "--file", fs, "--as", "municipality:GM0363", "--date", "2024-03-01"], 3, "row 8: municipality:GM0363 may not offer places for GM0014");
            assert_eq!(ok(db, &["cycle", "export", "offers"]).lines().count(), 1, "nothing written");
            // The fixed import goes in whole; submitting it again is a duplicate.
            std::fs::write(&f, csv.replace("-3", "4")).unwrap();
            assert!(ok(db, &["cycle", "offer", "--file", fs, "--as", "municipality:GM0363", "--date", "2024-03-01"]).contains("300 offer(s)"));
            fails(db, &["cycle", "offer", "--file", fs, "--as", "municipality:GM0363", "--date", "2024-03-02"], 2, "offers_300.csv:2: duplicate submission");
            // JSON import with an unknown code.
            let j = d.join("offers.json");
            std::fs::write(&j, r#"[{"gm_code":"GM9999","location":"X","places":5,"kind":"coa","durable":false,"available_from":"2024-05-01"}]"#).unwrap();
            fails(db, &["cycle", "offer", "--file", j.to_str().unwrap(), "--as", "municipality:GM0363", "--date", "2024-03-01"], 2, "element 1: gm_code: unknown municipality GM9999");
            // Late offers; swaps across provinces; a report for another province.
            fails(db, &["cycle", "offer", "GM0363", "--location", "Laat", "--places", "5", "--as", "municipality:GM0363", "--date", "2024-11-01"], 3, "before 1 November 2024");
            fails(db, &["cycle", "swap", "--from", "GM0363", "--to", "GM0014", "--places", "5", "--as", "province:PV27", "--date", "2024-05-01"], 2, "different provinces");
            fails(db, &["cycle", "report", "--province", "PV20", "--as", "province:PV27", "--date", "2024-05-01"], 3, "may not submit the report of PV20");
            // Realising before the decision is an illegal transition.
            fails(db, &["cycle", "realise", "GM0363", "--places", "5", "--as", "municipality:GM0363", "--date", "2024-05-01"], 3, "realisation counts against the binding tasks");
            // A late decision needs a reason.
            fails(db, &["cycle", "decide", "--as", "ministry", "--date", "2025-01-05"], 3, "due by 31 December 2024");
            ok(db, &["cycle", "decide", "--as", "ministry", "--date", "2025-01-05", "--reason", "the cabinet fell in December"]);
            let log = ok(db, &["audit", "log", "--format", "csv"]);
            assert!(log.contains("the cabinet fell in December") && log.contains("figures arrived late from the IND"), "{log}");
            assert!(ok(db, &["audit", "verify"]).contains("intact"));
        })
        .await
        .unwrap();
        tamper(&db.url, "DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)").await;
        fails(&db.url, &["audit", "verify"], 1, "deleted from the end");
        db.drop().await;
    }
}
