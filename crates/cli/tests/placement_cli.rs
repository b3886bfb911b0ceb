//! End-to-end tests of `spreiding locations`, `spreiding quality` and `spreiding place`.

use std::path::Path;
use std::process::{Command, Output};

fn spreiding(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spreiding")).args(args).output().expect("run spreiding")
}

fn ok(args: &[&str]) -> String {
    let out = spreiding(args);
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn synthetic(dir: &Path, households: &str, arrivals: &str) -> (String, String) {
    let out = spreiding(&[
        "place",
        "synthetic",
        "--locations",
        "40",
        "--households",
        households,
        "--arrivals",
        arrivals,
        "--seed",
        "7",
        "--out-dir",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SYNTHETIC"));
    (
        dir.join("synthetic-locations.csv").display().to_string(),
        dir.join("synthetic-households.csv").display().to_string(),
    )
}

#[test]
fn synthetic_registry_is_labelled_and_assessment_reports_unknowns() {
    let dir = tempfile::tempdir().unwrap();
    let (locs, _) = synthetic(dir.path(), "300", "0.5");
    let text = std::fs::read_to_string(&locs).unwrap();
    assert!(text.lines().skip(1).all(|l| l.contains("Synthetic")), "every synthetic location says so");
    let table = ok(&["locations", "show", &locs]);
    assert!(table.contains("emergency reception"));
    let csv = ok(&[
        "quality",
        "assess",
        "--locations",
        &locs,
        "--date",
        "2026-11-27",
        "--assessor",
        "test",
        "--format",
        "csv",
    ]);
    let unknown_col = csv.lines().next().unwrap().split(',').position(|h| h == "unknown").unwrap();
    let with_unknowns = csv.lines().skip(1).filter(|l| l.split(',').nth(unknown_col).unwrap() != "0").count();
    assert!(with_unknowns > 0, "synthetic data has gaps and they must show as unknown:\n{csv}");
    let json =
        ok(&["quality", "assess", "-l", &locs, "--date", "2026-11-27", "--assessor", "inspecteur", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["assessor"], "inspecteur");
    assert_eq!(v["date"], "2026-11-27");
    // Missing data is never a pass.
    for a in v["assessments"].as_array().unwrap() {
        for r in a["results"].as_array().unwrap() {
            if r["detail"].as_str().unwrap().ends_with("unknown") && !r["detail"].as_str().unwrap().contains(" or ") {
                assert_eq!(r["outcome"], "unknown", "{r}");
            }
        }
    }
}

#[test]
fn quality_criteria_cite_their_sources() {
    let t = ok(&["quality", "criteria", "--format", "csv"]);
    assert!(t.contains("ECLI:NL:GHDHA:2022:2429"));
    assert!(t.contains("rcd-art16-education-deadline,location,abg,uncertain"));
}

#[test]
fn place_arrivals_rebalance_and_closure_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let (locs, hh) = synthetic(dir.path(), "600", "0.3");
    let model = dir.path().join("model.json");
    let out = spreiding(&[
        "place",
        "run",
        "-l",
        &locs,
        "-H",
        &hh,
        "--date",
        "2026-11-27",
        "--baseline",
        "--format",
        "json",
        "--export-model",
        model.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("greedy baseline objective"), "{err}");
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let placed = plan["placements"].as_array().unwrap();
    assert!(!placed.is_empty());
    assert!(placed.iter().all(|p| !p["reason"].as_str().unwrap().is_empty()));
    let m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    assert!(!m["classes"].as_array().unwrap().is_empty());

    // Closure: only residents of the closing location appear, none goes back there.
    let households = std::fs::read_to_string(&hh).unwrap();
    let close =
        households.lines().skip(1).find_map(|l| l.split(',').nth(2).filter(|c| !c.is_empty())).unwrap().to_string();
    let csv = ok(&[
        "place",
        "run",
        "-l",
        &locs,
        "-H",
        &hh,
        "--date",
        "2026-11-27",
        "--mode",
        "close",
        "--close",
        &close,
        "--format",
        "csv",
    ]);
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert!(!rows.is_empty());
    for r in rows {
        let f: Vec<&str> = r.splitn(7, ',').collect();
        assert_eq!(f[2], close, "{r}");
        assert_ne!(f[3], close, "{r}");
    }
    let t = ok(&["place", "run", "-l", &locs, "-H", &hh, "--date", "2026-11-27", "--mode", "rebalance"]);
    assert!(t.contains("objective"));
}

#[test]
fn unplaceable_household_is_reported_with_its_binding_rule() {
    let dir = tempfile::tempdir().unwrap();
    let locs = dir.path().join("l.csv");
    std::fs::write(&locs, "id,name,municipality,operator,type,beds\nL1,Nood,GM0363,coa,noodopvang,50\n").unwrap();
    let hh = dir.path().join("h.csv");
    std::fs::write(&hh, "id,members\nP1,18-64\nP2,12-17\nP3,18-64;4-11:school\n").unwrap();
    let csv = ok(&[
        "place",
        "run",
        "-l",
        locs.to_str().unwrap(),
        "-H",
        hh.to_str().unwrap(),
        "--date",
        "2026-11-27",
        "--format",
        "csv",
    ]);
    assert!(csv.contains("P1,1,,L1,moves"), "{csv}");
    assert!(csv.contains("P2,1,,,not placed,amvrule,\"no admissible AMV location"), "{csv}");
    assert!(csv.contains("P3,2,,,not placed,needsnotmet,"), "{csv}");
}

#[test]
fn bad_input_names_file_line_and_field_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let locs = dir.path().join("l.csv");
    std::fs::write(&locs, "id,name,municipality,operator,type,beds,m2_per_person\nL1,A,GM0363,coa,azc,50,lots\n")
        .unwrap();
    let out_file = dir.path().join("out.csv");
    let out = spreiding(&["quality", "assess", "-l", locs.to_str().unwrap(), "-o", out_file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("l.csv:2: m2_per_person: 'lots' is not a number"), "{err}");
    assert!(!out_file.exists());
    let hh = dir.path().join("h.csv");
    std::fs::write(&hh, "id,members\nX,18-64;toddler\n").unwrap();
    std::fs::write(&locs, "id,name,municipality,operator,type,beds\nL1,A,GM0363,coa,azc,50\n").unwrap();
    let out = spreiding(&["place", "run", "-l", locs.to_str().unwrap(), "-H", hh.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("h.csv:2: members: 'toddler' is not an age band"));
    let out = spreiding(&["place", "run", "-l", locs.to_str().unwrap(), "-H", hh.to_str().unwrap(), "--mode", "close"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn registry_converts_between_csv_and_json_and_placement_reads_both() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("synthetic-locations.csv");
    ok(&["locations", "synthetic", "--count", "12", "--seed", "3", "-o", csv.to_str().unwrap()]);
    let json = dir.path().join("synthetic-locations.json");
    ok(&["locations", "show", csv.to_str().unwrap(), "--format", "json", "-o", json.to_str().unwrap()]);
    let back = ok(&["locations", "show", json.to_str().unwrap(), "--format", "csv"]);
    assert_eq!(back, std::fs::read_to_string(&csv).unwrap(), "CSV → JSON → CSV is lossless");
    let hh = dir.path().join("h.json");
    std::fs::write(&hh, r#"[{"id":"J1","members":[{"age":"18-64","needs":["k"]},{"age":"4-11","in_school":true}]}]"#)
        .unwrap();
    let out = ok(&[
        "place",
        "run",
        "-l",
        json.to_str().unwrap(),
        "-H",
        hh.to_str().unwrap(),
        "--date",
        "2026-11-27",
        "--format",
        "json",
    ]);
    let plan: serde_json::Value = serde_json::from_str(&out).unwrap();
    let n = plan["placements"].as_array().unwrap().len() + plan["unplaced"].as_array().unwrap().len();
    assert_eq!(n, 1, "the household is placed or reported, never dropped");
}

/// Run spreiding against a database (DATABASE_URL removed so only --database counts).
/// Run against `db`; `--as ROLE` becomes a sign-in as the test account of that role (the
/// role comes from the account, never from the command line).
fn with_db(db: &str, args: &[&str]) -> Output {
    let mut v: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if *a == "--as" {
            let role = it.next().unwrap();
            v.push("--user".into());
            v.push(role.replace(':', "-").to_lowercase());
        } else {
            v.push(a.to_string());
        }
    }
    Command::new(env!("CARGO_BIN_EXE_spreiding"))
        .args(&v)
        .env("DATABASE_URL", db)
        .env("SPREIDING_PASSWORD", "a long test password")
        .env("SPREIDING_NEW_PASSWORD", "a long test password")
        .output()
        .expect("run spreiding")
}

/// A sandbox database with an administrator and the accounts the test signs in as.
fn sandbox_with_accounts(db: &str) {
    db_ok(db, &["db", "init", "--sandbox"]);
    db_ok(db, &["user", "add", "beheer", "--role", "admin"]);
    db_ok(db, &["user", "add", "coa", "--role", "coa", "--user", "beheer"]);
    db_ok(db, &["user", "add", "ministry", "--role", "ministry", "--user", "beheer"]);
    db_ok(
        db,
        &[
            "user",
            "add",
            "municipality-gm0363",
            "--role",
            "municipality",
            "--municipality",
            "GM0363",
            "--user",
            "beheer",
        ],
    );
}

#[track_caller]
fn db_ok(db: &str, args: &[&str]) -> String {
    let o = with_db(db, args);
    assert!(o.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

#[track_caller]
fn db_fails(db: &str, args: &[&str], code: i32, needle: &str) {
    let o = with_db(db, args);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(code), "{args:?}: {err}");
    assert!(err.contains(needle), "expected '{needle}' in: {err}");
}

#[test]
fn registry_and_assessments_in_the_database_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("reg.db").display());
    let db = db.as_str();
    let (locs, _) = synthetic(dir.path(), "50", "0.5");
    let n = std::fs::read_to_string(&locs).unwrap().lines().count() - 1;
    sandbox_with_accounts(db);

    // Only COA changes the registry: a municipality, the ministry and the public are refused.
    db_fails(
        db,
        &["locations", "import", &locs, "--as", "municipality:GM0363"],
        3,
        "may not manage reception locations",
    );
    db_fails(db, &["locations", "import", &locs, "--as", "ministry"], 3, "sign in with a COA account");
    db_fails(db, &["locations", "import", &locs], 3, "sign in first");

    // A bad row (unknown municipality) in the middle: nothing imported, file and line named.
    let text = std::fs::read_to_string(&locs).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let gm = lines[5].split(',').nth(2).unwrap().to_string();
    lines[5] = lines[5].replacen(&gm, "GM9999", 1);
    let bad = dir.path().join("synthetic-bad.csv");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let bad = bad.to_str().unwrap();
    db_fails(db, &["locations", "import", bad, "--as", "coa"], 2, "synthetic-bad.csv:6: location");
    db_fails(db, &["locations", "import", bad, "--as", "coa"], 2, "unknown municipality GM9999");
    let empty = db_ok(db, &["locations", "list", "--format", "csv"]);
    assert_eq!(empty.lines().count(), 1, "nothing written: {empty}");

    // The good file goes in whole; listed from the database exactly as in the file.
    let out = db_ok(db, &["locations", "import", &locs, "--as", "coa", "--date", "2026-11-27"]);
    assert!(out.contains(&format!("{n} locations added, 0 updated, 0 unchanged")), "{out}");
    let again = db_ok(db, &["locations", "import", &locs, "--as", "coa", "--date", "2026-11-28"]);
    assert!(again.contains(&format!("0 locations added, 0 updated, {n} unchanged")), "{again}");
    let listed = db_ok(db, &["locations", "list", "--format", "csv"]);
    let from_file = ok(&["locations", "show", &locs, "--format", "csv"]);
    let sorted = |t: &str| {
        let mut v: Vec<String> = t.lines().map(String::from).collect();
        v.sort();
        v
    };
    assert_eq!(sorted(&listed), sorted(&from_file), "the database keeps every field, unknowns empty");
    let one = db_ok(db, &["locations", "list", "--municipality", &gm, "--format", "json"]);
    let one: serde_json::Value = serde_json::from_str(&one).unwrap();
    assert!(one.as_array().unwrap().iter().all(|l| l["municipality"] == gm.as_str()));
    assert!(!one.as_array().unwrap().is_empty());

    // Assess every stored location; store the results with date and assessor.
    db_fails(
        db,
        &["quality", "assess", "--store", "--assessor", "X", "--as", "municipality:GM0363"],
        3,
        "sign in with a COA account",
    );
    let run = db_ok(
        db,
        &[
            "quality",
            "assess",
            "--store",
            "--as",
            "coa",
            "--assessor",
            "Inspecteur Synthetisch",
            "--date",
            "2026-11-27",
            "--format",
            "csv",
        ],
    );
    assert_eq!(run.lines().count(), n + 1);
    let unknown_col = run.lines().next().unwrap().split(',').position(|h| h == "unknown").unwrap();
    let with_unknowns: Vec<&str> = run
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(unknown_col).unwrap() != "0")
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert!(!with_unknowns.is_empty(), "synthetic gaps show as unknown:\n{run}");
    let table = db_ok(
        db,
        &["quality", "assess", "--store", "--as", "coa", "--assessor", "COA kwaliteit", "--date", "2026-12-01"],
    );
    assert!(table.contains("stored in the database as assessment run 2"), "{table}");

    // Show one location: both assessments with date and assessor, unknowns visible.
    let id = with_unknowns[0];
    let shown = db_ok(db, &["quality", "show", id]);
    assert!(shown.contains("2026-11-27") && shown.contains("Inspecteur Synthetisch"), "{shown}");
    assert!(shown.contains("2026-12-01") && shown.contains("COA kwaliteit"), "{shown}");
    assert!(shown.contains("unknown"), "{shown}");
    let json: serde_json::Value =
        serde_json::from_str(&db_ok(db, &["quality", "show", id, "--format", "json"])).unwrap();
    let h = json.as_array().unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(
        (h[0]["assessed_on"].as_str(), h[0]["assessor"].as_str()),
        (Some("2026-11-27"), Some("Inspecteur Synthetisch"))
    );
    assert!(h[0]["results"].as_array().unwrap().iter().any(|r| r["outcome"] == "unknown"));
    db_fails(db, &["quality", "show", "NO-SUCH-LOCATION"], 2, "no location 'NO-SUCH-LOCATION'");

    // The file-based commands still work, and the audit trail verifies.
    ok(&["quality", "assess", "--locations", &locs, "--assessor", "t", "--date", "2026-11-27"]);
    let v = db_ok(db, &["audit", "verify"]);
    assert!(
        v.contains(&format!("audit trail intact: {} records", 3 * n + 4)),
        "three records per location and four account additions: {v}"
    );
}
