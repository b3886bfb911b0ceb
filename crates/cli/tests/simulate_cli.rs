//! End-to-end tests of `spreiding simulate` (the policy simulator).

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_spreiding"))
}

/// The README's command, small: it writes one self-contained HTML report that compares law
/// and voluntary and states every assumption with its source; `--format json` is the report.
#[test]
fn report_is_self_contained_and_lists_every_assumption() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("out.html");
    let json = dir.path().join("out.json");
    let out = bin()
        .current_dir(dir.path())
        .args(["simulate", "--policy", "law", "--policy", "voluntary", "--years", "2", "--runs", "12", "--seed", "1"])
        .args(["--sensitivity-runs", "4", "--calibration-runs", "4", "--report"])
        .arg(&html)
        .args(["--format", "json", "--output"])
        .arg(&json)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html><html lang=\"en\">"));
    for needle in [
        "<h2 id=\"comparison\">",
        "<h2 id=\"assumptions\">",
        "<h2 id=\"sensitivity\">",
        "<svg",
        "<table",
        "assumption",
        "docs/SIMULATION-SOURCES.md",
    ] {
        assert!(page.contains(needle), "report lacks {needle}");
    }
    // Nothing is loaded from anywhere: no scripts, no external stylesheets, images or fonts.
    for forbidden in ["<script", "<link", "src=\"http", "url(http", "@import"] {
        assert!(!page.contains(forbidden), "report contains {forbidden}");
    }
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["schema"], "spreiding-simulate/report/1");
    assert_eq!(v["settings"]["baseline"], "voluntary");
    let ids: Vec<&str> = v["policies"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["law", "voluntary"]);
    // Every assumption row says where it comes from or that it is an assumption.
    for a in v["assumptions"].as_array().unwrap() {
        assert!(a["assumption"].as_bool().unwrap() || a["source"].is_string(), "{a}");
    }
    // Every row of the parameter table is in the report, and every parameter key in the HTML.
    let params = v["assumptions"].as_array().unwrap().iter().filter(|a| a["scope"] == "parameters").count();
    assert!(params > 60, "{params}");
    for a in v["assumptions"].as_array().unwrap() {
        assert!(page.contains(a["key"].as_str().unwrap()), "HTML lacks {}", a["key"]);
    }
    assert!(
        v["comparison"].as_array().unwrap().iter().any(|c| c["metric"] == "emergency_share" && c["policy"] == "law")
    );
    assert!(v["series"].as_array().unwrap().iter().any(|s| s["id"] == "emergency_share"));
}

#[test]
fn csv_gives_every_metric_and_the_same_seed_gives_the_same_bytes() {
    let run = || {
        let out = bin()
            .args([
                "simulate",
                "--years",
                "1",
                "--runs",
                "6",
                "--seed",
                "5",
                "--sensitivity-runs",
                "0",
                "--calibration-runs",
                "0",
                "--format",
                "csv",
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    let a = run();
    assert_eq!(a, run());
    let text = String::from_utf8(a).unwrap();
    assert!(text.starts_with("kind,policy,baseline,metric,date,mean,ci95_low,ci95_high,p10,p50,p90,n\n"));
    for m in [
        "emergency_share",
        "children_emergency_person_days",
        "relocations_per_resident_year",
        "nights_over_cap",
        "total_cost",
        "cost_per_resident_year",
        "gini_end",
        "hosting_none_end",
        "quality_pass_share",
    ] {
        assert!(text.contains(&format!("metric,law,,{m},")), "{m}");
        assert!(text.contains(&format!("difference,law,voluntary,{m},")), "{m}");
    }
}

/// Bad input: a line-numbered error naming the key and the allowed range, exit code 2, and
/// nothing written to --report.
#[test]
fn invalid_policy_file_is_refused_with_line_key_and_range() {
    let dir = tempfile::tempdir().unwrap();
    let law = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies/law.toml")).unwrap();
    let bad = law.replacen("realisation_months = 6", "realisation_months = 60", 1);
    let line = bad.lines().position(|l| l.starts_with("realisation_months")).unwrap() + 1;
    let file = dir.path().join("mine.toml");
    std::fs::write(&file, bad).unwrap();
    let report = dir.path().join("r.html");
    let out =
        bin().args(["simulate", "--runs", "2", "--policy"]).arg(&file).arg("--report").arg(&report).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("mine.toml:{line}: rules.realisation_months: 60 is outside the allowed range [1, 36]")),
        "{err}"
    );
    assert!(!report.exists());
}

/// `simulate publish` stores a JSON report in the record for the dashboard: only a ministry
/// account may, a file that is not a report is refused naming the file and line, and the same
/// report is published once.
#[test]
fn publish_stores_the_report_for_the_dashboard_and_only_the_ministry_may() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("sim.db").display());
    let run = |args: &[&str]| {
        bin()
            .current_dir(dir.path())
            .env("DATABASE_URL", &db)
            .env("SPREIDING_PASSWORD", "publish-test-password")
            .env("SPREIDING_NEW_PASSWORD", "publish-test-password")
            .env_remove("SPREIDING_TOKEN")
            .env_remove("SPREIDING_USER")
            .args(args)
            .output()
            .unwrap()
    };
    for args in [
        &["db", "init", "--sandbox"][..],
        &["user", "add", "beheer", "--role", "admin"],
        &["user", "add", "planner", "--role", "ministry", "--user", "beheer"],
        &["user", "add", "coa", "--role", "coa", "--user", "beheer"],
        &["simulate", "--years", "1", "--runs", "10", "--sensitivity-runs", "0", "--calibration-runs", "0"],
    ] {
        let mut a = args.to_vec();
        if args[0] == "simulate" {
            a.extend(["--format", "json", "-o", "report.json"]);
        }
        let out = run(&a);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    std::fs::write(dir.path().join("bad.json"), "{\n  \"schema\": 3\n}\n").unwrap();
    let out = run(&["simulate", "publish", "bad.json", "--user", "planner"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.json: line 2"), "{err}");
    let out = run(&["simulate", "publish", "report.json", "--user", "coa"]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(&["simulate", "publish", "report.json", "--user", "planner", "--title", "Eerste run"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"Eerste run\""));
    let out = run(&["simulate", "publish", "report.json", "--user", "planner"]);
    assert_eq!(out.status.code(), Some(3), "the same report twice is refused");
    let out = run(&["audit", "verify"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
