//! End-to-end tests of `spreiding forecast` (issue 3).

use std::io::Write;
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_spreiding"))
}

fn run_ok(args: &[&str]) -> Vec<u8> {
    let out = bin().args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn json(args: &[&str]) -> serde_json::Value {
    serde_json::from_slice(&run_ok(args)).unwrap()
}

/// The acceptance run: 10,000 paths, seed 1, JSON; percentiles ordered for both
/// target dates, for the total and for AMV; scenario and seed echoed.
#[test]
fn ten_thousand_runs_give_ordered_percentiles_for_both_target_dates() {
    let v = json(&["forecast", "--runs", "10000", "--seed", "1", "--format", "json"]);
    assert_eq!(v["seed"], 1);
    assert_eq!(v["runs"], 10000);
    assert_eq!(v["scenario"]["id"], "base");
    let req = v["required_places"].as_array().unwrap();
    assert_eq!(req.len(), 2);
    assert_eq!(req[0]["date"], "2027-01-01");
    assert_eq!(req[1]["date"], "2028-01-01");
    for r in req {
        let g = |k: &str| r[k].as_u64().unwrap_or_else(|| panic!("{k} missing in {r}"));
        assert!(g("p10") <= g("p50") && g("p50") <= g("p90"), "{r}");
        assert!(g("amv_p10") <= g("amv_p50") && g("amv_p50") <= g("amv_p90"), "{r}");
        assert!(g("p10") > 0 && g("amv_p50") > 0 && g("amv_p50") < g("p50"));
    }
}

#[test]
fn same_seed_gives_identical_bytes() {
    let a = run_ok(&["forecast", "--runs", "300", "--seed", "7", "--format", "json"]);
    let b = run_ok(&["forecast", "--runs", "300", "--seed", "7", "--format", "json"]);
    assert_eq!(a, b);
    let c = run_ok(&["forecast", "--runs", "300", "--seed", "8", "--format", "json"]);
    assert_ne!(a, c);
}

/// `spreiding forecast --format json | spreiding key --from-forecast -`: the key's total is
/// the forecast's P50 of required places on the first target date.
#[test]
fn forecast_pipes_into_the_distribution_key() {
    let fc = run_ok(&["forecast", "--runs", "200", "--format", "json"]);
    let p50 = serde_json::from_slice::<serde_json::Value>(&fc).unwrap()["required_places"][0]["p50"].as_u64().unwrap();
    let mut child = bin()
        .args(["key", "--from-forecast", "-", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&fc).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let key: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(key["total"].as_u64().unwrap(), p50);
    let sum: u64 = key["rows"].as_array().unwrap().iter().map(|r| r["task"].as_u64().unwrap()).sum();
    assert_eq!(sum, p50);
}

#[test]
fn every_bundled_scenario_runs_from_any_directory_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    for sc in ["base", "high-inflow", "low-inflow", "backlog"] {
        for fmt in ["table", "csv", "json"] {
            let out = bin()
                .current_dir(dir.path())
                .args(["forecast", "--scenario", sc, "--runs", "50", "--format", fmt])
                .output()
                .unwrap();
            assert!(out.status.success(), "{sc} {fmt}: {}", String::from_utf8_lossy(&out.stderr));
            let text = String::from_utf8(out.stdout).unwrap();
            match fmt {
                "csv" => assert!(text.starts_with("kind,date,p10,p50,p90,amv_p10,amv_p50,amv_p90")),
                "json" => assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap()["scenario"]["id"], sc),
                _ => assert!(text.contains("Required places on 1 January"), "{text}"),
            }
        }
    }
}

#[test]
fn high_inflow_needs_more_places_than_low_inflow() {
    let p50 = |sc: &str| {
        json(&["forecast", "--scenario", sc, "--runs", "300", "--format", "json"])["required_places"][1]["p50"]
            .as_u64()
            .unwrap()
    };
    assert!(p50("high-inflow") > p50("base"));
    assert!(p50("base") > p50("low-inflow"));
}

#[test]
fn start_and_years_choose_the_target_dates() {
    let v = json(&["forecast", "--runs", "50", "--start", "2026-03-15", "--years", "3", "--format", "json"]);
    let dates: Vec<&str> =
        v["required_places"].as_array().unwrap().iter().map(|r| r["date"].as_str().unwrap()).collect();
    assert_eq!(dates, ["2027-01-01", "2028-01-01", "2029-01-01"]);
    assert_eq!(v["start"], "2026-03-15");
}

#[test]
fn scenario_file_works_and_its_errors_name_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("mine.toml");
    let base = include_str!("../../../scenarios/base.toml");
    std::fs::write(&good, base.replace("id = \"base\"", "id = \"mine\"")).unwrap();
    let v = json(&["forecast", "--scenario", good.to_str().unwrap(), "--runs", "50", "--format", "json"]);
    assert_eq!(v["scenario"]["id"], "mine");

    let bad = dir.path().join("bad.toml");
    let text = base.replacen("grant_rate = 0.67", "grant_rate = 1.67", 1);
    let line = text.lines().position(|l| l.starts_with("grant_rate = 1.67")).unwrap() + 1;
    std::fs::write(&bad, &text).unwrap();
    let out = bin().args(["forecast", "--scenario", bad.to_str().unwrap(), "--runs", "10"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("bad.toml:{line}: general.procedure.grant_rate:")), "{err}");

    let typo = dir.path().join("typo.toml");
    let text = base.replacen("matching_days = 98", "matchin_days = 98", 1);
    let line = text.lines().position(|l| l.starts_with("matchin_days")).unwrap() + 1;
    std::fs::write(&typo, &text).unwrap();
    let out = bin().args(["forecast", "--scenario", typo.to_str().unwrap(), "--runs", "10"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("typo.toml:{line}:")) && err.contains("matchin_days"), "{err}");

    let out = bin().args(["forecast", "--scenario", "no-such-scenario"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("base, high-inflow"));
}

#[test]
fn output_file_is_written_and_nothing_on_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.json");
    let out = bin()
        .args(["forecast", "--runs", "50", "--format", "json", "--output", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(v["required_places"][0]["p50"].as_u64().unwrap() > 0);

    let none = dir.path().join("none.json");
    let out = bin().args(["forecast", "--runs", "0", "--output", none.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    assert!(!none.exists());
}

/// Issue 13's contract: `forecast backtest --format json` is an array with one object per
/// published point 2019–2025 in the scenario file, with date, series, observed, p10/p50/p90
/// and in_sample; the held-out points are the ones from 2024 on.
#[test]
fn backtest_reports_every_published_point_2019_2025() {
    let text = include_str!("../../../scenarios/backtest-2019-2025.toml");
    let published = text.matches("[[observed]]").count();
    let v = json(&["forecast", "backtest", "--runs", "200", "--format", "json"]);
    let rows = v.as_array().unwrap_or_else(|| panic!("not an array: {v}"));
    assert_eq!(rows.len(), published);
    assert!(rows.iter().any(|r| r["date"] == "2022-12-05" && r["observed"] == 51805.0 && r["series"] == "total"));
    assert!(rows.iter().any(|r| r["series"] == "permit_holders"));
    for r in rows {
        let date = r["date"].as_str().unwrap();
        assert!(("2019-01-01".."2026-01-01").contains(&date), "{r}");
        assert!(r["p10"].as_u64() <= r["p50"].as_u64() && r["p50"].as_u64() <= r["p90"].as_u64(), "{r}");
        let (p50, obs) = (r["p50"].as_f64().unwrap(), r["observed"].as_f64().unwrap());
        assert!((r["error"].as_f64().unwrap() - (p50 - obs)).abs() < 1e-9);
        assert_eq!(r["in_sample"].as_bool().unwrap(), date < "2024-01-01", "{r}");
    }
    let table = String::from_utf8(run_ok(&["forecast", "backtest", "--runs", "100"])).unwrap();
    assert!(table.contains("Out of sample") && table.contains("OUT"), "{table}");
    let csv = String::from_utf8(run_ok(&["forecast", "backtest", "--runs", "100", "--format", "csv"])).unwrap();
    assert_eq!(csv.lines().count(), published + 1);
}

/// The 2022 backtest stays available by name.
#[test]
fn backtest_2022_still_runs() {
    let v = json(&["forecast", "backtest", "--scenario", "backtest-2022", "--runs", "100", "--format", "json"]);
    let rows = v.as_array().unwrap();
    assert!(rows.iter().any(|r| r["kind"] == "required_places" && r["observed"] == 96000.0), "{v}");
}

/// `forecast --scenario official-2026` works, and `forecast explain` decomposes the
/// difference with the base scenario into drivers that add up (Shapley efficiency), then
/// measures what is left against the published 88,000.
#[test]
fn official_raming_is_explained_by_drivers_that_add_up() {
    let f = json(&["forecast", "--scenario", "official-2026", "--runs", "300", "--format", "json"]);
    assert_eq!(f["scenario"]["id"], "official-2026");
    let v = json(&["forecast", "explain", "--runs", "200", "--format", "json"]);
    let (r, t) =
        (v["reference"]["p50_required_places"].as_f64().unwrap(), v["target"]["p50_required_places"].as_f64().unwrap());
    let sum: f64 = v["contributions"].as_array().unwrap().iter().map(|c| c["places"].as_f64().unwrap()).sum();
    assert!((r + sum - t).abs() < 1e-6, "{v}");
    let drivers: Vec<&str> =
        v["contributions"].as_array().unwrap().iter().map(|c| c["driver"].as_str().unwrap()).collect();
    assert_eq!(
        drivers,
        ["inflow", "decision_times", "housing_outflow", "occupancy_norm", "starting_stocks", "return_phase"]
    );
    assert_eq!(v["published"]["required_places"], 88000.0);
    assert!((v["not_explained"].as_f64().unwrap() - (88000.0 - t)).abs() < 1e-6);
    let table = String::from_utf8(run_ok(&["forecast", "explain", "--runs", "100"])).unwrap();
    assert!(table.contains("already_durable_places") && table.contains("published raming"), "{table}");
}

/// docs/FORECAST.md shows the backtest table and the explanation exactly as the CLI prints them
/// with the documented paths and seed (issue 13: "docs/FORECAST.md shows the same table"): a
/// change to the model or a scenario that moves a number fails here until the doc is updated.
#[test]
fn forecast_md_shows_the_tables_the_cli_prints() {
    let doc = include_str!("../../../docs/FORECAST.md");
    for args in [
        &["forecast", "backtest", "--runs", "10000", "--seed", "1"][..],
        &["forecast", "explain", "--runs", "2000", "--seed", "1"][..],
    ] {
        let out = String::from_utf8(run_ok(args)).unwrap();
        assert!(
            doc.contains(out.trim_end()),
            "docs/FORECAST.md does not show the output of `spreiding {}`; paste it in:\n{out}",
            args.join(" ")
        );
    }
}
