//! Forecast runs in the record (issue 13, "Forecast → cycle"), on SQLite and (when configured)
//! PostgreSQL: a run is recorded by a ministry account with its scenario text, seed and result;
//! a cycle is published and revised from it and names it; the audit trail verifies and the
//! replay explains the new table (and catches a direct edit of it); refusals and injected
//! failures write nothing.

mod common;

use common::{TestDb, act, forecast, is_invalid};
use spreiding_store::{NewForecastRun, Store, StoreError};
use sqlx::Executor;

const TOML: &str = "[scenario]\nid = \"base\"\nversion = 3\n# the scenario as run (test text)\n";

/// A forecast result in the shape of `spreiding forecast --format json`.
fn result(seed: u64, p: (u64, u64, u64)) -> String {
    serde_json::to_string_pretty(&serde_json::json!({
        "scenario": {"id": "base", "version": 3, "title": "Base", "from": "bundled:base"},
        "seed": seed, "runs": 500, "start": "2023-09-01", "years": 2, "occupancy_target": 0.91,
        "required_places": [
            {"date": "2024-01-01", "p10": p.0, "p50": p.1, "p90": p.2, "amv_p10": 7000, "amv_p50": 8140, "amv_p90": 9000},
            {"date": "2025-01-01", "p10": p.0 + 1, "p50": p.1 + 1, "p90": p.2 + 1, "amv_p10": 1, "amv_p50": 2, "amv_p90": 3}
        ],
        "occupancy": [], "model": "test"
    }))
    .unwrap()
}

fn new_run(seed: u64, p: (u64, u64, u64)) -> NewForecastRun {
    NewForecastRun {
        scenario_from: "bundled:base".into(),
        scenario_toml: TOML.into(),
        result_json: result(seed, p),
        note: Some("raming januari".into()),
        step: "month".into(),
    }
}

async fn count(store: &Store, table: &str) -> i64 {
    let r: (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(store.pool())
        .await
        .unwrap();
    r.0
}

#[tokio::test]
async fn a_cycle_is_published_from_a_recorded_run_and_names_it() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let minister = act(&store, "ministry", "2024-01-20").await;

        // Record two runs; read them back as recorded.
        let one = store.record_forecast_run(&minister, new_run(7, (88_000, 93_500, 101_000))).await.unwrap();
        let two = store.record_forecast_run(&minister, new_run(8, (87_000, 92_000, 99_000))).await.unwrap();
        assert_eq!((one.id, two.id), (1, 2), "{}", db.name);
        assert_eq!((one.p10, one.p50, one.p90, one.amv_p50), (88_000, 93_500, 101_000, 8_140));
        assert_eq!((one.scenario_id.as_str(), one.scenario_version, one.seed, one.runs), ("base", 3, 7, 500));
        assert_eq!(one.first_target.to_string(), "2024-01-01");
        assert_eq!(one.target_dates.len(), 2);
        assert_eq!(one.recorded_by, "ministry");
        assert_eq!(one.recorded_on.to_string(), "2024-01-20");
        assert_eq!(one.note.as_deref(), Some("raming januari"));
        assert_eq!(one.step, "month");
        assert_eq!(one.scenario_sha256, spreiding_core::reference::content_hash(TOML));
        let back = store.forecast_run(1).await.unwrap();
        assert_eq!(back, one, "{}", db.name);
        assert_eq!(back.scenario_toml, TOML);
        assert_eq!(back.result_json, result(7, (88_000, 93_500, 101_000)), "the result is stored byte for byte");
        let ids: Vec<i64> = store.forecast_runs().await.unwrap().iter().map(|r| r.id).collect();
        assert_eq!(ids, [2, 1], "newest first");

        // A run that does not exist: the error names it and how to list the runs.
        let mut c = forecast(93_500);
        c.forecast_run_id = Some(9);
        let e = store.create_cycle(&minister, c).await.unwrap_err();
        assert!(matches!(e, StoreError::NotFound(_)), "{e}");
        let m = e.to_string();
        assert!(m.contains("forecast run 9") && m.contains("spreiding forecast runs"), "{m}");
        // A total that is not the run's P50 is not "from the run".
        let mut c = forecast(96_000);
        c.forecast_run_id = Some(1);
        let e = store.create_cycle(&minister, c).await.unwrap_err();
        assert!(is_invalid(&e) && e.to_string().contains("93500"), "{e}");
        assert_eq!(count(&store, "cycles").await, 0);

        // Published from run 1: the cycle's record names the run, in its column and its inputs.
        let mut c = forecast(93_500);
        c.forecast_run_id = Some(1);
        let cycle = store.create_cycle(&minister, c).await.unwrap();
        assert_eq!(cycle.forecast_run_id, Some(1), "{}", db.name);
        assert_eq!(cycle.national_total, 93_500);
        let input = cycle.inputs.iter().find(|i| i.kind == "forecast").expect("the run is an input");
        assert_eq!(input.name, "forecast run 1");
        assert_eq!(input.sha256, one.result_sha256);
        assert!(input.source.contains("scenario base v3, seed 7") && input.source.contains("P50 93500"), "{input:?}");
        assert_eq!(store.cycle(&cycle.id).await.unwrap().forecast_run_id, Some(1));
        let log = store.audit_log(None).await.unwrap();
        let publish = log.iter().find(|r| r.action == "cycle.publish").unwrap();
        assert!(publish.subject.contains("from forecast run 1"), "{}", publish.subject);
        assert_eq!(log.iter().filter(|r| r.action == "forecast.record").count(), 2);
        assert!(log.iter().find(|r| r.action == "forecast.record").unwrap().subject.contains("seed 7"));

        // Revised from run 2, then by hand: the link follows the revision.
        let mut r = forecast(92_000);
        r.forecast_run_id = Some(2);
        let a =
            store.act(&common::who(&store, "ministry").await, Some("2024-03-01".parse().unwrap()), None).await.unwrap();
        let revised = store.revise_forecast(&a, r).await.unwrap();
        assert_eq!((revised.forecast_run_id, revised.revision), (Some(2), 1));
        assert_eq!(revised.inputs.iter().filter(|i| i.kind == "forecast").count(), 1);
        let revised = store.revise_forecast(&a, forecast(94_000)).await.unwrap();
        assert_eq!(revised.forecast_run_id, None);
        assert!(revised.inputs.iter().all(|i| i.kind != "forecast"));
        let mut r = forecast(92_000);
        r.forecast_run_id = Some(2);
        store.revise_forecast(&a, r).await.unwrap();

        // The chain verifies and the replay explains every row, the runs' included.
        store.verify_audit().await.unwrap();
        let report = store.verify_record(None).await.unwrap();
        assert!(report.problems.is_empty(), "{}: {:?}", db.name, report.problems);

        // A direct edit of a run, or of the cycle's link, is caught, naming table and row.
        store.pool().execute("UPDATE forecast_runs SET p50 = p50 + 1 WHERE id = 1").await.unwrap();
        let problems = store.verify_record(None).await.unwrap().problems;
        assert!(
            problems.iter().any(|p| p.contains("table forecast_runs row 1") && p.contains("changed outside")),
            "{}: {problems:?}",
            db.name
        );
        store.pool().execute("UPDATE forecast_runs SET p50 = p50 - 1 WHERE id = 1").await.unwrap();
        store.pool().execute("UPDATE cycles SET forecast_run_id = 1").await.unwrap();
        let problems = store.verify_record(None).await.unwrap().problems;
        assert!(problems.iter().any(|p| p.contains("table cycles row 2024")), "{}: {problems:?}", db.name);
        store.pool().execute("UPDATE cycles SET forecast_run_id = 2").await.unwrap();
        assert!(store.verify_record(None).await.unwrap().problems.is_empty(), "{}", db.name);
        store.pool().execute("DELETE FROM forecast_runs WHERE id = 1").await.unwrap();
        let problems = store.verify_record(None).await.unwrap().problems;
        assert!(
            problems.iter().any(|p| p.contains("table forecast_runs row 1") && p.contains("removed")),
            "{problems:?}"
        );

        store.close().await;
        db.drop().await;
    }
}

#[tokio::test]
async fn only_the_ministry_records_runs_and_a_failed_recording_writes_nothing() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let head = store.audit_head().await.unwrap();
        for role in ["municipality:GM0363", "province:PV27", "coa", "admin"] {
            let a = act(&store, role, "2024-01-20").await;
            let e = store.record_forecast_run(&a, new_run(1, (1, 2, 3))).await.unwrap_err();
            assert!(matches!(e, StoreError::Denied(_)), "{role}: {e}");
        }
        let minister = act(&store, "ministry", "2024-01-20").await;
        for bad in [
            NewForecastRun { result_json: "not json".into(), ..new_run(1, (1, 2, 3)) },
            NewForecastRun { result_json: "{\"seed\": 1}".into(), ..new_run(1, (1, 2, 3)) },
            NewForecastRun { scenario_toml: " ".into(), ..new_run(1, (1, 2, 3)) },
            NewForecastRun { step: "year".into(), ..new_run(1, (1, 2, 3)) },
            new_run(1, (5, 2, 3)),
        ] {
            let e = store.record_forecast_run(&minister, bad).await.unwrap_err();
            assert!(is_invalid(&e), "{e}");
        }
        for point in ["forecast:after-insert", "commit:forecast.record"] {
            let failing = db.reopen().await.with_failpoint(point);
            let e = failing.record_forecast_run(&minister, new_run(1, (1, 2, 3))).await.unwrap_err();
            assert!(e.to_string().contains("injected"), "{point}: {e}");
            failing.close().await;
        }
        assert_eq!(count(&store, "forecast_runs").await, 0, "{}", db.name);
        // Only the accounts' creation was written.
        let log = store.audit_log(None).await.unwrap();
        assert!(log.iter().skip(head.seq as usize).all(|r| r.action.starts_with("account")), "{}", db.name);
        assert!(store.verify_record(None).await.unwrap().problems.is_empty());
        store.close().await;
        db.drop().await;
    }
}
