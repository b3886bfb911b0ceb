//! A whole cycle from the command line with accounts, on SQLite and (with
//! SPREIDING_TEST_PG_URL) on PostgreSQL: CBS imports (population and SES-WOA, both formats),
//! publication with SES-WOA, offers of every kind, amend and withdraw, a swap, reports with
//! one amendment, the decision with AMV, an objection upheld and the revision, realisation,
//! a payment application, closing; the decision export adds up. Also: nobody writes without
//! an account, `--date` only in a sandbox, and a fresh `serve` writes no act of any role.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Executor;

const BIN: &str = env!("CARGO_BIN_EXE_spreiding");

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cbs").join(name)
}

/// Run as an account (`user` None: no sign-in at all).
fn run(db: &str, user: Option<(&str, &str)>, args: &[&str]) -> Output {
    let mut c = Command::new(BIN);
    c.args(args)
        .env("DATABASE_URL", db)
        .env_remove("SPREIDING_TOKEN")
        .env_remove("SPREIDING_USER")
        .env_remove("SPREIDING_PASSWORD");
    if let Some((u, pw)) = user {
        c.args(["--user", u]).env("SPREIDING_PASSWORD", pw);
    }
    c.output().expect("run spreiding")
}

#[track_caller]
fn ok(db: &str, user: Option<(&str, &str)>, args: &[&str]) -> String {
    let o = run(db, user, args);
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
fn fails(db: &str, user: Option<(&str, &str)>, args: &[&str], code: i32, needle: &str) -> String {
    let o = run(db, user, args);
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

const PW: &str = "a long test password";

fn as_(u: &str) -> Option<(&str, &str)> {
    Some((u, PW))
}

/// Accounts: the bootstrap administrator adds one per role used.
fn accounts(db: &str) {
    let mut c = Command::new(BIN);
    let o = c
        .args(["user", "add", "beheer", "--role", "admin"])
        .env("DATABASE_URL", db)
        .env("SPREIDING_NEW_PASSWORD", PW)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for (name, role) in [
        ("minister", vec!["--role", "ministry"]),
        ("amsterdam", vec!["--role", "municipality", "--municipality", "GM0363"]),
        ("zaanstad", vec!["--role", "municipality", "--municipality", "GM0479"]),
        ("groningen", vec!["--role", "municipality", "--municipality", "GM0014"]),
        ("cdk-nh", vec!["--role", "province", "--province", "PV27"]),
        ("coa", vec!["--role", "coa"]),
    ] {
        let o = Command::new(BIN)
            .args(["user", "add", name])
            .args(&role)
            .args(["--user", "beheer"])
            .env("DATABASE_URL", db)
            .env("SPREIDING_PASSWORD", PW)
            .env("SPREIDING_NEW_PASSWORD", PW)
            .output()
            .unwrap();
        assert!(o.status.success(), "{name}: {}", String::from_utf8_lossy(&o.stderr));
    }
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn run_full_cycle(db: &str, dir: &Path) {
    ok(db, None, &["db", "init", "--sandbox"]);
    accounts(db);
    // Nobody writes without an account; --as is only an assertion.
    fails(
        db,
        None,
        &["cycle", "new", "--year", "2024", "--total", "96000", "--as", "ministry", "--date", "2024-01-31"],
        3,
        "sign in first",
    );
    fails(
        db,
        as_("amsterdam"),
        &["cycle", "new", "--year", "2024", "--as", "ministry", "--date", "2024-01-31"],
        3,
        "does not match the account",
    );
    fails(
        db,
        Some(("minister", "wrong password!")),
        &["cycle", "new", "--year", "2024", "--date", "2024-01-31"],
        3,
        "sign-in refused",
    );

    // CBS imports in both formats: population (real values) and SES-WOA (synthetic fixtures).
    let out = ok(
        db,
        as_("minister"),
        &["data", "import", fixture("03759ned_2023_odata_v3.json").to_str().unwrap(), "--date", "2024-01-10"],
    );
    assert!(out.contains("population of 2023-01-01: 342 municipalities, 17811291 inhabitants"), "{out}");
    let out = ok(
        db,
        as_("minister"),
        &["data", "import", fixture("03759ned_2022_statline_keys.csv").to_str().unwrap(), "--date", "2024-01-10"],
    );
    assert!(
        out.contains("population of 2022-01-01: 342 municipalities") && out.contains("merged municipalities mapped"),
        "{out}"
    );
    let out = ok(
        db,
        as_("minister"),
        &[
            "data",
            "import",
            fixture("ses_woa_86092NED_2022_statline_titles_synthetic.csv").to_str().unwrap(),
            "--table",
            "86092NED",
            "--date",
            "2024-01-10",
        ],
    );
    assert!(out.contains("ses_woa:2022: SES-WOA of 342 municipalities"), "{out}");
    fails(
        db,
        as_("minister"),
        &[
            "data",
            "import",
            fixture("ses_woa_86092NED_2022_odata_v3_synthetic.json").to_str().unwrap(),
            "--table",
            "86092NED",
            "--date",
            "2024-01-10",
        ],
        3,
        "imported once",
    );
    fails(
        db,
        as_("amsterdam"),
        &["data", "import", fixture("03759ned_2023_odata_v3.json").to_str().unwrap()],
        3,
        "may not import",
    );

    // Without SES-WOA the law's key is missing: a deviation is needed.
    fails(
        db,
        as_("minister"),
        &["cycle", "new", "--year", "2024", "--total", "96000", "--amv", "8140", "--date", "2024-01-31"],
        3,
        "lacks the SES-WOA correction",
    );
    // 1. Forecast with SES-WOA from the record (the population of 1 Jan 2023, imported).
    let out = ok(
        db,
        as_("minister"),
        &[
            "cycle",
            "new",
            "--year",
            "2024",
            "--total",
            "96000",
            "--amv",
            "8140",
            "--ses-woa",
            "ses_woa:2022",
            "--date",
            "2024-01-31",
        ],
    );
    assert!(
        out.contains("96000 places of which 8140 AMV")
            && out.contains("nl-spreidingswet-2024")
            && out.contains("population of 2023-01-01"),
        "{out}"
    );
    let cycles: serde_json::Value =
        serde_json::from_str(&ok(db, None, &["cycle", "export", "tasks", "--format", "json"])).unwrap();
    assert_eq!(cycles.as_array().unwrap().len(), 342);
    let status: serde_json::Value =
        serde_json::from_str(&ok(db, None, &["cycle", "status", "--format", "json", "--date", "2024-02-01"])).unwrap();
    let inputs = status["cycle"]["inputs"].as_array().unwrap();
    assert!(
        inputs.iter().any(|i| i["name"] == "ses_woa:2022" && i["sha256"].as_str().unwrap().len() == 64),
        "{inputs:?}"
    );
    assert!(inputs.iter().any(|i| i["kind"] == "population" && i["period"] == "2023-01-01"));
    assert_eq!(status["cycle"]["population_date"], "2023-01-01");

    // 2. Offers of every kind; amend one, withdraw one.
    let offers = write(
        dir,
        "offers_GM0363.csv",
        "gm_code,location,kind,places,amv_places,years,available_from\n\
         GM0363,Azc Zuidoost,regular_durable,2000,,10,2024-09-01\n\
         GM0363,Kleinschalig Noord,amv_small_scale,200,,10,2024-09-01\n\
         GM0363,\"Pand West, tijdelijk\",temporary,300,0,2,2024-09-01\n\
         GM0363,Hal Oost,noodopvang,500,0,1,2024-04-01\n\
         GM0363,Crisis,crisisnoodopvang,100,0,1,2024-04-01\n\
         GM0363,Aanmeldlocatie,registration_centre,400,0,10,2024-09-01\n",
    );
    let out = ok(db, as_("amsterdam"), &["cycle", "offer", "--file", &offers, "--date", "2024-03-01"]);
    assert!(out.contains("6 offer(s) submitted"), "{out}");
    assert!(out.contains("never counts") && out.contains("not durable"), "{out}");
    ok(db, as_("amsterdam"), &["cycle", "amend-offer", "1", "--places", "2100", "--date", "2024-04-01"]);
    ok(db, as_("amsterdam"), &["cycle", "withdraw-offer", "3", "--date", "2024-04-02"]);
    fails(
        db,
        as_("zaanstad"),
        &["cycle", "withdraw-offer", "1", "--date", "2024-04-02"],
        3,
        "may not offer, amend or withdraw places for GM0363",
    );
    ok(
        db,
        as_("zaanstad"),
        &[
            "cycle",
            "offer",
            "GM0479",
            "--location",
            "Azc Zaandam",
            "--places",
            "150",
            "--years",
            "8",
            "--available-from",
            "2024-10-01",
            "--date",
            "2024-03-05",
        ],
    );
    ok(
        db,
        as_("groningen"),
        &[
            "cycle",
            "offer",
            "GM0014",
            "--location",
            "Kleinschalig Zuid",
            "--kind",
            "amv_small_scale",
            "--places",
            "40",
            "--years",
            "6",
            "--date",
            "2024-03-05",
        ],
    );
    // 3. A swap in Noord-Holland; the report, then one amendment with a reason.
    ok(
        db,
        as_("cdk-nh"),
        &[
            "cycle",
            "swap",
            "--from",
            "GM0479",
            "--to",
            "GM0363",
            "--places",
            "50",
            "--amv-places",
            "5",
            "--note",
            "Amsterdam hosts more",
            "--date",
            "2024-09-15",
        ],
    );
    ok(db, as_("cdk-nh"), &["cycle", "report", "--date", "2024-10-25"]);
    fails(
        db,
        as_("amsterdam"),
        &["cycle", "amend-offer", "1", "--places", "1", "--date", "2024-10-26"],
        3,
        "submitted its report",
    );
    let amend = write(dir, "amend.csv", "gm_code,commitment,amv_commitment\nGM0479,180,0\n");
    fails(db, as_("cdk-nh"), &["cycle", "amend-report", "--commitments", &amend, "--date", "2024-11-10"], 2, "reason");
    ok(
        db,
        as_("cdk-nh"),
        &[
            "cycle",
            "amend-report",
            "--commitments",
            &amend,
            "--reason",
            "Zaanstad found 30 more places",
            "--date",
            "2024-11-10",
        ],
    );
    // 4. The decision (other provinces did not report: what counts for them is their plan).
    let out = ok(db, as_("minister"), &["cycle", "decide", "--date", "2024-12-23"]);
    assert!(out.contains("of which 8,140 AMV"), "{out}");
    let csv = ok(db, None, &["cycle", "export", "decision", "--format", "csv"]);
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap_or_else(|| panic!("no column {n} in {h:?}"));
    let (g, b, ba) = (col("gm_code"), col("binding"), col("binding_amv"));
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 342);
    let amv_sum: u64 = rows.iter().map(|r| r[ba].parse::<u64>().unwrap()).sum();
    assert_eq!(amv_sum, 8_140, "the binding AMV tasks add up to the AMV sub-task");
    let zaanstad = rows.iter().find(|r| &r[g] == "GM0479").unwrap()[b].parse::<u64>().unwrap();
    assert!(rows.iter().find(|r| &r[g] == "GM0363").unwrap()[col("payment_eur")].parse::<f64>().unwrap() > 0.0);
    // 5. An objection, upheld, and the revision.
    let requested = (zaanstad - 20).to_string();
    ok(
        db,
        as_("zaanstad"),
        &[
            "cycle",
            "object",
            "GM0479",
            "--grounds",
            "the amended commitment was read twice",
            "--requested-task",
            &requested,
            "--date",
            "2025-01-10",
        ],
    );
    fails(
        db,
        as_("zaanstad"),
        &["cycle", "object", "GM0479", "--grounds", "a second objection, still open", "--date", "2025-01-11"],
        3,
        "duplicate objection",
    );
    ok(
        db,
        as_("minister"),
        &[
            "cycle",
            "decide-objection",
            "1",
            "--upheld",
            "--granted-task",
            &requested,
            "--reason",
            "the commitment was indeed read twice",
            "--date",
            "2025-02-01",
        ],
    );
    fails(db, as_("minister"), &["cycle", "revise-decision", "--date", "2025-02-02"], 2, "reason");
    ok(
        db,
        as_("minister"),
        &["cycle", "revise-decision", "--reason", "objection 1 of Zaanstad upheld", "--date", "2025-02-02"],
    );
    let csv = ok(db, None, &["cycle", "export", "decision", "--format", "csv"]);
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert!(rows.iter().find(|r| &r[g] == "GM0479").unwrap()[b].parse::<u64>().unwrap() <= zaanstad - 20);
    assert_eq!(rows.iter().map(|r| r[ba].parse::<u64>().unwrap()).sum::<u64>(), 8_140);
    // 6. Realisation, a payment application, the status with payments, closing.
    ok(
        db,
        as_("amsterdam"),
        &["cycle", "realise", "GM0363", "--places", "1800", "--amv", "150", "--date", "2025-05-01"],
    );
    ok(db, as_("amsterdam"), &["cycle", "apply-payment", "GM0363", "--places", "2000", "--date", "2025-05-02"]);
    let st = ok(db, None, &["cycle", "status", "--municipality", "GM0363", "--date", "2025-05-02"]);
    assert!(st.contains("Specific payment") && st.contains("not counted") && st.contains("withdrawn"), "{st}");
    assert!(
        ok(db, None, &["cycle", "status", "--by", "municipality", "--format", "csv", "--date", "2025-05-02"])
            .lines()
            .next()
            .unwrap()
            .contains("payment_eur")
    );
    ok(db, as_("minister"), &["cycle", "close", "--date", "2025-08-05"]);
    let v = ok(db, None, &["audit", "verify"]);
    assert!(v.contains("audit trail intact"), "{v}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_whole_cycle_from_the_command_line_with_accounts() {
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        run_full_cycle(&db.url, dir.path());
        tampering_is_caught(&db.url, dir.path()).await;
        db.drop().await;
    }
}

fn python() -> String {
    std::env::var("SPREIDING_PYTHON").ok().filter(|p| !p.is_empty()).unwrap_or_else(|| "python3".into())
}

/// The independent verifier (tools/verify_audit.py, standard library only): its exit code
/// and output.
fn python_verify(export: &Path, checkpoint: Option<(&str, &str)>) -> (i32, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/verify_audit.py");
    let mut c = Command::new(python());
    c.arg(&script).arg(export);
    if let Some((cp, key)) = checkpoint {
        c.args(["--checkpoint", cp, "--public-key", key]);
    }
    let o = c.output().expect("python3 runs (set SPREIDING_PYTHON)");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr),
    )
}

fn export(db: &str, dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    ok(db, None, &["audit", "export", "--format", "jsonl", "--out", p.to_str().unwrap()]);
    p
}

/// Issue "Trust": signed checkpoints catch a re-sealed chain, the replay catches a direct
/// edit of a state table, and the Python verifier agrees with `audit verify` on a good and
/// on a tampered export. Runs on the database the whole cycle left behind.
async fn tampering_is_caught(db: &str, dir: &Path) {
    use spreiding_store::AuditRecord;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(db).await.unwrap();
    let key = dir.join("keys/audit");
    let key_s = key.to_str().unwrap();
    let public = format!("{key_s}.pub");
    ok(db, None, &["audit", "keygen", "--out", key_s]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    }
    fails(db, None, &["audit", "keygen", "--out", key_s], 3, "exists already");
    let cp_json = ok(db, None, &["audit", "checkpoint", "--key", key_s]);
    let cp: serde_json::Value = serde_json::from_str(&cp_json).unwrap();
    let cp_seq = cp["seq"].as_i64().unwrap();
    let cp_file = write(dir, "checkpoint.json", &cp_json);
    let v = ok(db, None, &["audit", "verify", "--checkpoint", &cp_file, "--public-key", &public]);
    assert!(v.contains("audit trail intact") && v.contains(&format!("checkpoint {cp_seq} ")), "{v}");

    // The good export: both verifiers agree.
    let good = export(db, dir, "good.jsonl");
    let (code, out) = python_verify(&good, Some((&cp_file, &public)));
    assert_eq!(code, 0, "python verifier on the good export: {out}");
    assert!(out.contains(&format!("OK: {cp_seq} records")), "{out}");

    // Another key does not make the checkpoint hold.
    let other = dir.join("keys/other");
    ok(db, None, &["audit", "keygen", "--out", other.to_str().unwrap()]);
    let other_pub = format!("{}.pub", other.display());
    fails(
        db,
        None,
        &["audit", "verify", "--checkpoint", &cp_file, "--public-key", &other_pub],
        1,
        "signature does not hold",
    );
    assert_eq!(python_verify(&good, Some((&cp_file, &other_pub))).0, 1);

    // A direct edit of a state table is reported by the replay, with table and key.
    pool.execute("UPDATE binding_tasks SET binding_task = binding_task + 7 WHERE gm_code = 'GM0363'").await.unwrap();
    let err = fails(db, None, &["audit", "verify"], 1, "table binding_tasks row 2024/GM0363");
    assert!(err.contains("changed outside the record"), "{err}");
    pool.execute("UPDATE binding_tasks SET binding_task = binding_task - 7 WHERE gm_code = 'GM0363'").await.unwrap();
    ok(db, None, &["audit", "verify"]);
    // A row no act wrote, and a row removed behind the log's back.
    pool.execute(
        "INSERT INTO web_users (username, password_hash, role, created_at) VALUES ('intruder', 'x', 'admin', '2025-01-01')",
    )
    .await
    .unwrap();
    pool.execute("DELETE FROM realisations WHERE gm_code = 'GM0363'").await.unwrap();
    let err = fails(db, None, &["audit", "verify"], 1, "table web_users row intruder: no act");
    assert!(err.contains("table realisations row 2024/GM0363/2025-05-01: this row was removed"), "{err}");
    pool.execute("DELETE FROM web_users WHERE username = 'intruder'").await.unwrap();

    // Edit the decision's record and re-seal the chain with the code's own hashing; also
    // remove the published checkpoints. The chain alone then verifies ...
    let mut records: Vec<AuditRecord> =
        std::fs::read_to_string(&good).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let k = records.iter().position(|r| r.action == "decision.take").expect("a decision record");
    records[k].subject.push_str(" (edited)");
    let mut prev = if k == 0 { "genesis".to_string() } else { records[k - 1].hash.clone() };
    for r in records.iter_mut().skip(k) {
        r.prev_hash = prev.clone();
        r.hash = r.compute_hash();
        prev = r.hash.clone();
        sqlx::query("UPDATE audit_log SET subject = $1, prev_hash = $2, hash = $3 WHERE seq = $4")
            .bind(&r.subject)
            .bind(&r.prev_hash)
            .bind(&r.hash)
            .bind(r.seq)
            .execute(&pool)
            .await
            .unwrap();
    }
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1").bind(&prev).execute(&pool).await.unwrap();
    pool.execute("DELETE FROM audit_checkpoints").await.unwrap();
    // (only the realisation row removed above is reported: the re-sealed chain holds)
    let err = fails(db, None, &["audit", "verify"], 1, "table realisations");
    assert!(!err.contains("broken at record") && !err.contains("checkpoint"), "{err}");
    let resealed = export(db, dir, "resealed.jsonl");
    assert_eq!(python_verify(&resealed, None).0, 0, "the re-sealed chain is consistent in itself");
    // ... but not against the checkpoint kept outside: both verifiers name the record.
    let seq = records[cp_seq as usize - 1].seq;
    let err = fails(
        db,
        None,
        &["audit", "verify", "--checkpoint", &cp_file, "--public-key", &public],
        1,
        &format!("record {seq} does not match the checkpoint"),
    );
    assert!(err.contains("re-sealed"), "{err}");
    let (code, out) = python_verify(&resealed, Some((&cp_file, &public)));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("record {seq} does not match the checkpoint")), "{out}");

    // An edit without re-sealing: both name the same record.
    let edited = records[k].seq;
    sqlx::query("UPDATE audit_log SET subject = 'nothing happened' WHERE seq = $1")
        .bind(edited)
        .execute(&pool)
        .await
        .unwrap();
    fails(db, None, &["audit", "verify"], 1, &format!("broken at record {edited}"));
    let (code, out) = python_verify(&export(db, dir, "edited.jsonl"), None);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("record {edited}: its content does not match")), "{out}");
    pool.close().await;
}

/// Issue "One source of truth": a fresh `serve` writes no act of any role (only public facts
/// imported with their source); afterwards a ministry account publishes cycle 2026, which
/// supersedes the imported facts. In the legal record another date is refused.
#[tokio::test(flavor = "multi_thread")]
async fn a_fresh_serve_writes_no_act_and_a_publication_supersedes_the_facts() {
    for db in databases().await {
        let mut child = Command::new(BIN)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .env("DATABASE_URL", &db.url)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line).unwrap();
        assert!(line.contains("the legal record"), "{line}");
        child.kill().unwrap();
        child.wait().unwrap();
        let log = ok(&db.url, None, &["audit", "log", "--format", "json"]);
        let log: Vec<serde_json::Value> = serde_json::from_str(&log).unwrap();
        assert_eq!(log.len(), 2, "the public facts of cycles 2024 and 2026");
        assert!(log.iter().all(|r| r["role"] == "import"
            && r["actor"] == "import"
            && r["reason"].as_str().unwrap().starts_with("source:")));
        let list = ok(&db.url, None, &["cycle", "list"]);
        assert!(list.contains("2026") && list.contains("import") && list.contains("2026D05614"), "{list}");
        accounts(&db.url);
        fails(
            &db.url,
            as_("minister"),
            &["cycle", "new", "--year", "2026", "--total", "88000", "--date", "2026-01-30"],
            3,
            "sandbox",
        );
        // Today is past 1 February 2026: the publication needs a recorded reason, and the
        // population-only key a recorded deviation.
        let out = ok(
            &db.url,
            as_("minister"),
            &[
                "cycle",
                "new",
                "--year",
                "2026",
                "--total",
                "88000",
                "--reason",
                "recording the February 2026 forecast in spreiding",
                "--deviation",
                "SES-WOA per municipality is not in the record yet",
            ],
        );
        assert!(out.contains("Cycle 2026 published"), "{out}");
        let list = ok(&db.url, None, &["cycle", "list"]);
        assert!(list.lines().any(|l| l.starts_with(" 2026") && l.contains("ministry")), "{list}");
        let log: Vec<serde_json::Value> =
            serde_json::from_str(&ok(&db.url, None, &["audit", "log", "--format", "json"])).unwrap();
        assert!(log.last().unwrap()["subject"].as_str().unwrap().contains("supersedes the public facts"));
        db.drop().await;
    }
}

#[test]
fn bad_input_names_the_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("bad.db").display());
    ok(&db, None, &["db", "init", "--sandbox"]);
    accounts(&db);
    ok(
        &db,
        as_("minister"),
        &[
            "cycle",
            "new",
            "--year",
            "2024",
            "--total",
            "96000",
            "--amv",
            "8140",
            "--deviation",
            "test without SES-WOA data",
            "--date",
            "2024-01-31",
        ],
    );
    let before = ok(&db, None, &["audit", "log", "--format", "csv"]);
    let bad = write(
        dir.path(),
        "bad.csv",
        "gm_code,location,kind,places,amv_places,years,available_from\nGM0363,A,regular_durable,10,,10,2024-06-01\nGM0363,B,hotel,10,,10,2024-06-01\n",
    );
    fails(
        &db,
        as_("amsterdam"),
        &["cycle", "offer", "--file", &bad, "--date", "2024-03-01"],
        2,
        "bad.csv:3: kind: unknown offer kind 'hotel'",
    );
    let bad = write(
        dir.path(),
        "bad2.csv",
        "gm_code,location,kind,places,amv_places,years,available_from\nGM0363,A,regular_durable,10,,10,2024-06-01\nGM0363,B,regular_durable,-4,,10,2024-06-01\n",
    );
    fails(&db, as_("amsterdam"), &["cycle", "offer", "--file", &bad, "--date", "2024-03-01"], 2, "bad2.csv:3: places");
    fails(
        &db,
        as_("amsterdam"),
        &["cycle", "offer", "GM0363", "--location", "X", "--places", "10", "--years", "10", "--date", "2024-11-02"],
        3,
        "before 1 November 2024",
    );
    fails(
        &db,
        as_("amsterdam"),
        &["cycle", "offer", "GM0014", "--location", "X", "--places", "10", "--years", "10", "--date", "2024-03-01"],
        3,
        "may not offer",
    );
    fails(&db, as_("minister"), &["data", "import", dir.path().join("nope.csv").to_str().unwrap()], 1, "nope.csv");
    let junk = write(dir.path(), "junk.json", "{\"value\": []}");
    fails(&db, as_("minister"), &["data", "import", &junk], 2, "not a CBS OData response");
    assert_eq!(ok(&db, None, &["audit", "log", "--format", "csv"]), before, "nothing was written");
    // A revoked token.
    let token = ok(&db, as_("beheer"), &["user", "token", "amsterdam", "--label", "test"]).trim().to_string();
    let with_token = |args: &[&str]| {
        Command::new(BIN).args(args).env("DATABASE_URL", &db).env("SPREIDING_TOKEN", &token).output().unwrap()
    };
    assert!(
        with_token(&[
            "cycle",
            "offer",
            "GM0363",
            "--location",
            "T",
            "--places",
            "10",
            "--years",
            "10",
            "--date",
            "2024-03-01"
        ])
        .status
        .success()
    );
    let id = token.split('_').nth(1).unwrap().to_string();
    ok(&db, as_("beheer"), &["user", "revoke", &id]);
    let o = with_token(&[
        "cycle",
        "offer",
        "GM0363",
        "--location",
        "U",
        "--places",
        "10",
        "--years",
        "10",
        "--date",
        "2024-03-01",
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not valid"));
    // Account administration needs the administrator.
    fails(&db, as_("minister"), &["user", "list"], 3, "may not manage user accounts");
    assert!(ok(&db, as_("beheer"), &["user", "list"]).contains("amsterdam"));
}

#[test]
fn a_published_table_is_verified_difference_by_difference() {
    let dir = tempfile::tempdir().unwrap();
    let table = write(dir.path(), "stcrt.csv", "gm_code,task,amv\nGM0363,4860,412\nGM0014,1261,107\nGM0034,1180,100\n");
    let o = Command::new(BIN)
        .args(["key", "verify", "--published", &table, "--total", "96000", "--amv", "8140", "--vintage", "2023-01-01"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(out.contains("3 municipalities compared"), "{out}");
    assert!(out.contains("GM0363") && out.contains("task"), "{out}");
}

/// Issue "Trust", backups: `db backup` writes a verified copy, `db restore` checks a backup
/// before it replaces anything, refuses a tampered one, and the restored record is the
/// same trail (SQLite online copy; PostgreSQL through pg_dump / pg_restore).
#[tokio::test(flavor = "multi_thread")]
async fn backups_round_trip_and_a_tampered_backup_is_refused() {
    sqlx::any::install_default_drivers();
    for db in databases().await {
        let dir = tempfile::tempdir().unwrap();
        ok(&db.url, None, &["db", "init", "--sandbox"]);
        accounts(&db.url);
        let before = ok(&db.url, None, &["audit", "export", "--format", "jsonl"]);
        let file = dir.path().join("backups/one.backup");
        let f = file.to_str().unwrap();
        let out = ok(&db.url, None, &["db", "backup", f]);
        assert!(out.contains("backup"), "{out}");
        fails(&db.url, None, &["db", "backup", f], 3, "exists already");
        // Restore into a second, empty database of the same backend.
        let (target, second) = match &db.pg {
            None => (format!("sqlite://{}?mode=rwc", dir.path().join("restored.db").display()), None),
            Some((admin, name)) => {
                let second = format!("{name}_restore");
                let pool = sqlx::AnyPool::connect(admin).await.unwrap();
                pool.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {second}"))).await.unwrap();
                pool.close().await;
                (format!("{}/{second}", admin.rsplit_once('/').unwrap().0), Some((admin.clone(), second)))
            }
        };
        let out = ok(&target, None, &["db", "restore", f, "--database", &target]);
        assert!(out.contains("restored") && out.contains("records"), "{out}");
        assert_eq!(ok(&target, None, &["audit", "export", "--format", "jsonl"]), before, "the same trail");
        fails(&target, None, &["db", "restore", f, "--database", &target], 3, "add --force");
        if db.pg.is_none() {
            // A tampered SQLite backup is refused and the database stays as it was.
            let pool = sqlx::AnyPool::connect(&format!("sqlite://{f}")).await.unwrap();
            pool.execute("UPDATE audit_log SET subject = 'edited' WHERE seq = 2").await.unwrap();
            pool.close().await;
            fails(&target, None, &["db", "restore", f, "--database", &target, "--force"], 1, "does not verify");
            assert_eq!(ok(&target, None, &["audit", "export", "--format", "jsonl"]), before, "untouched");
        }
        if let Some((admin, second)) = second {
            let pool = sqlx::AnyPool::connect(&admin).await.unwrap();
            let _ = pool.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {second} WITH (FORCE)"))).await;
            pool.close().await;
        }
        db.drop().await;
    }
}

/// Issue 13, "Forecast → cycle": `forecast --record` stores the run (the same JSON the forecast
/// prints, deterministic for scenario and seed) and prints its number; `forecast runs` lists it;
/// `cycle new --from-run` publishes its P50 and the cycle's record names the run; the audit trail
/// verifies, and a direct edit of the stored run is caught.
#[tokio::test(flavor = "multi_thread")]
async fn a_cycle_is_published_from_a_recorded_forecast_run() {
    for db in databases().await {
        let url = db.url.as_str();
        ok(url, None, &["db", "init", "--sandbox"]);
        accounts(url);
        let record = ["forecast", "--runs", "200", "--seed", "7", "--record", "--date", "2024-01-20"];
        fails(url, None, &record, 3, "sign in first");
        fails(url, as_("amsterdam"), &record, 3, "may not record a forecast run");
        fails(url, None, &["forecast", "--runs", "10", "--note", "x"], 2, "--record");
        assert!(ok(url, None, &["forecast", "runs"]).contains("No forecast runs are recorded yet"));

        // Recorded as run 1, in JSON: stdout is exactly the forecast's JSON, the number on stderr.
        let mut args = record.to_vec();
        args.extend(["--format", "json", "--note", "raming voor cyclus 2024"]);
        let o = run(url, as_("minister"), &args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{stderr}");
        assert!(stderr.contains("Recorded as forecast run 1"), "{stderr}");
        let printed = String::from_utf8(o.stdout).unwrap();
        let fresh = ok(url, None, &["forecast", "--runs", "200", "--seed", "7", "--format", "json"]);
        assert_eq!(printed, fresh, "the same scenario and seed give the same bytes");
        assert_eq!(ok(url, None, &["forecast", "runs", "1", "--format", "json"]), printed, "stored as printed");
        let v: serde_json::Value = serde_json::from_str(&printed).unwrap();
        let p50 = v["required_places"][0]["p50"].as_u64().unwrap();
        // Anyone can run it again from what the record holds and get the same bytes.
        let check = ok(url, None, &["forecast", "runs", "1", "--verify"]);
        assert!(check.contains("Forecast run 1 reproduces") && check.contains("byte for byte"), "{check}");
        // A second run in table form names its number on stdout.
        let table =
            ok(url, as_("minister"), &["forecast", "--runs", "100", "--seed", "8", "--record", "--date", "2024-01-21"]);
        assert!(
            table.contains("Required places on 1 January") && table.contains("Recorded as forecast run 2"),
            "{table}"
        );
        let weekly = ["forecast", "--runs", "50", "--seed", "9", "--step", "week", "--years", "1", "--record"];
        assert!(ok(url, as_("minister"), &weekly).contains("Recorded as forecast run 3"));
        assert!(ok(url, None, &["forecast", "runs", "3", "--verify"]).contains("step week"));

        let list: serde_json::Value =
            serde_json::from_str(&ok(url, None, &["forecast", "runs", "--format", "json"])).unwrap();
        assert_eq!(list.as_array().unwrap().len(), 3);
        assert_eq!((list[2]["id"].as_i64(), list[2]["p50"].as_u64()), (Some(1), Some(p50)));
        assert_eq!((list[2]["seed"].as_u64(), list[2]["runs"].as_u64()), (Some(7), Some(200)));
        assert_eq!(list[2]["recorded_by"], "minister");
        assert_eq!(list[2]["note"], "raming voor cyclus 2024");
        let csv = ok(url, None, &["forecast", "runs", "--format", "csv"]);
        assert!(csv.starts_with("run,scenario,seed,paths"), "{csv}");
        assert!(csv.lines().any(|l| l.starts_with("1,base@") && l.contains(&format!(",{p50},"))), "{csv}");
        assert!(ok(url, None, &["forecast", "runs"]).contains("minister"));

        // A cycle from a run that does not exist, or from a run and a total at once.
        let new = [
            "cycle",
            "new",
            "--year",
            "2024",
            "--amv",
            "4000",
            "--deviation",
            "test: no SES-WOA",
            "--date",
            "2024-01-31",
        ];
        let mut bad = new.to_vec();
        bad.extend(["--from-run", "9"]);
        let err = fails(url, as_("minister"), &bad, 2, "there is no forecast run 9");
        assert!(err.contains("spreiding forecast runs"), "{err}");
        bad.extend(["--total", "96000"]);
        fails(url, as_("minister"), &bad, 2, "cannot be used with");
        let mut from = new.to_vec();
        from.extend(["--from-run", "1"]);
        fails(url, as_("amsterdam"), &from, 3, "may not");
        let out = ok(url, as_("minister"), &from);
        assert!(out.contains(&format!("{p50} places of which 4000 AMV (from forecast run 1)")), "{out}");
        let status = ok(url, None, &["cycle", "status"]);
        assert!(
            status.contains(&format!("Forecast: run 1 (scenario base v1, seed 7, 200 paths): P50 {p50} places")),
            "{status}"
        );
        assert!(status.contains("recorded by minister on 2024-01-20"), "{status}");
        let json: serde_json::Value =
            serde_json::from_str(&ok(url, None, &["cycle", "status", "--format", "json"])).unwrap();
        assert_eq!(json["cycle"]["forecast_run_id"], 1);
        assert_eq!(json["cycle"]["national_total"].as_u64(), Some(p50));
        let audit = ok(url, None, &["audit", "verify"]);
        assert!(audit.contains("audit trail intact"), "{audit}");

        // The stored run is part of the record: a direct edit is named.
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(url).await.unwrap();
        pool.execute("UPDATE forecast_runs SET seed = '8' WHERE id = 1").await.unwrap();
        let err = fails(url, None, &["audit", "verify"], 1, "table forecast_runs row 1");
        assert!(err.contains("changed outside the record"), "{err}");
        fails(url, None, &["forecast", "runs", "1", "--verify"], 1, "forecast run 1 does not reproduce");
        pool.execute("UPDATE forecast_runs SET seed = '7' WHERE id = 1").await.unwrap();
        ok(url, None, &["audit", "verify"]);
        pool.close().await;
        db.drop().await;
    }
}
