//! The legal cycle end to end against the store, on SQLite and (when configured) PostgreSQL.

mod common;

use common::{TestDb, act, cycle_id, forecast};
use spreiding_core::cycle::{Offer, OfferKind, Phase, Swap};
use spreiding_core::decision::DecisionRule;
use spreiding_store::{IndicativeTask, Store, StoreError};
use sqlx::Executor;

/// Synthetic offers: 70–129 % of each municipality's task, over one or two locations.
fn synthetic_offers(t: &IndicativeTask) -> Vec<Offer> {
    let n: u64 = t.gm_code.as_str()[2..].parse().unwrap();
    let pct = 70 + (n * 37) % 60;
    let total = (t.task * pct / 100).max(1);
    let parts = if total > 40 { 2 } else { 1 };
    (0..parts)
        .map(|k| Offer {
            gm_code: t.gm_code,
            location: format!("Synthetic location {} {k}", t.gm_code),
            places: if k == 0 { total - total / 2 * (parts - 1) } else { total / 2 },
            kind: if k == 0 { OfferKind::Coa } else { OfferKind::Municipal },
            durable: k == 0,
            available_from: "2024-09-01".parse().unwrap(),
        })
        .collect()
}

async fn count(store: &Store, table: &str) -> i64 {
    let r: (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(store.pool())
        .await
        .unwrap();
    r.0
}

async fn published(db: &TestDb) -> Store {
    let store = db.store().await;
    store.create_cycle(&act("ministry", "2024-01-31"), forecast(96_000)).await.unwrap();
    store
}

#[tokio::test]
async fn a_full_cycle_runs_and_the_audit_trail_verifies() {
    for db in TestDb::all().await {
        let store = published(&db).await;
        let id = cycle_id();
        let tasks = store.indicative_tasks(&id).await.unwrap();
        assert_eq!(tasks.len(), 342);
        assert_eq!(tasks.iter().map(|t| t.task).sum::<u64>(), 96_000);
        for t in &tasks {
            store
                .submit_offers(&act(&format!("municipality:{}", t.gm_code), "2024-06-01"), &id, &synthetic_offers(t))
                .await
                .unwrap();
        }
        // A swap in Noord-Holland: Amsterdam takes over 50 places of Zaanstad's task.
        store
            .record_swap(
                &act("province:PV27", "2024-09-15"),
                &id,
                Swap {
                    from: "GM0479".parse().unwrap(),
                    to: "GM0363".parse().unwrap(),
                    places: 50,
                    note: "test".into(),
                },
            )
            .await
            .unwrap();
        for p in &store.netherlands().provinces.clone() {
            store
                .submit_report(&act(&format!("province:{}", p.code), "2024-10-20"), &id, p.code, &[], "")
                .await
                .unwrap();
        }
        let d = store.decide(&act("ministry", "2024-12-23"), &id, DecisionRule::default()).await.unwrap();
        let plan: u64 = d.municipalities.iter().map(|m| m.commitment).sum();
        assert_eq!(d.binding_total, 96_000u64.max(plan), "{}", db.name);
        assert!(d.municipalities.iter().all(|m| m.binding_task >= m.commitment || m.below_commitment.is_some()));
        assert_eq!(store.decision(&id).await.unwrap().unwrap(), d);
        let c = store.cycle(&id).await.unwrap();
        assert_eq!(c.phase, Phase::Decided);
        for m in d.municipalities.iter().take(20) {
            store
                .record_realisation(
                    &act(&format!("municipality:{}", m.gm_code), "2025-05-01"),
                    &id,
                    m.gm_code,
                    m.binding_task,
                )
                .await
                .unwrap();
        }
        let st = store.status(&id, "2025-05-02".parse().unwrap()).await.unwrap();
        assert_eq!(st.provinces.len(), 12);
        store.close_cycle(&act("ministry", "2025-06-24"), &id).await.unwrap();
        assert_eq!(store.cycle(&id).await.unwrap().phase, Phase::Closed);
        let report = store.verify_audit().await.unwrap();
        // publish + one record per offer + swap + 12 reports + decision + 20 realisations + close
        let offers = store.offers(&id, None).await.unwrap().len();
        assert_eq!(report.records as usize, 1 + offers + 1 + 12 + 1 + 20 + 1);

        // Tamper with record 5 → verify fails naming it.
        store.pool().execute("UPDATE audit_log SET subject = 'nothing happened' WHERE seq = 5").await.unwrap();
        match store.verify_audit().await {
            Err(StoreError::Tampered { seq, message }) => {
                assert_eq!(seq, 5, "{message}");
                assert!(message.contains("edited"), "{message}");
            }
            other => panic!("tampering not detected on {}: {other:?}", db.name),
        }
        store.close().await;
        db.drop().await;
    }
}

#[tokio::test]
async fn deleting_audit_records_is_detected() {
    for db in TestDb::all().await {
        let store = published(&db).await;
        let id = cycle_id();
        let t = store.indicative_tasks(&id).await.unwrap();
        for t in t.iter().take(3) {
            store
                .submit_offers(&act(&format!("municipality:{}", t.gm_code), "2024-03-01"), &id, &synthetic_offers(t))
                .await
                .unwrap();
        }
        assert!(store.verify_audit().await.is_ok());
        store.pool().execute("DELETE FROM audit_log WHERE seq = 2").await.unwrap();
        assert!(matches!(store.verify_audit().await, Err(StoreError::Tampered { seq: 2, .. })));
        store.close().await;
        db.drop().await;

        let db = TestDb::sqlite();
        let store = published(&db).await;
        store.pool().execute("DELETE FROM audit_log WHERE seq = 1").await.unwrap();
        let e = store.verify_audit().await.unwrap_err().to_string();
        assert!(e.contains("record 1"), "{e}");
    }
}

#[tokio::test]
async fn a_bad_row_in_a_300_row_import_writes_nothing_and_names_the_row() {
    for db in TestDb::all().await {
        let store = published(&db).await;
        let id = cycle_id();
        let gm = "GM0363".parse().unwrap();
        let mut offers: Vec<Offer> = (0..300)
            .map(|i| Offer {
                gm_code: gm,
                location: format!("Location {i}"),
                places: 10,
                kind: OfferKind::Coa,
                durable: true,
                available_from: "2024-06-01".parse().unwrap(),
            })
            .collect();
        offers[216].places = 0;
        let before = count(&store, "audit_log").await;
        let e = store.submit_offers(&act("municipality:GM0363", "2024-03-01"), &id, &offers).await.unwrap_err();
        assert!(matches!(&e, StoreError::InvalidRow { row: 217, .. }), "{e}");
        assert_eq!(count(&store, "offers").await, 0);
        assert_eq!(count(&store, "audit_log").await, before);
        // Fixed, the whole import goes in.
        offers[216].places = 10;
        store.submit_offers(&act("municipality:GM0363", "2024-03-01"), &id, &offers).await.unwrap();
        assert_eq!(count(&store, "offers").await, 300);
        store.close().await;
        db.drop().await;
    }
}

#[tokio::test]
async fn refusals_write_nothing() {
    for db in TestDb::all().await {
        let store = published(&db).await;
        let id = cycle_id();
        let offer = |gm: &str, places: u64, loc: &str| Offer {
            gm_code: gm.parse().unwrap(),
            location: loc.into(),
            places,
            kind: OfferKind::Coa,
            durable: false,
            available_from: "2024-06-01".parse().unwrap(),
        };
        let before = count(&store, "audit_log").await;
        // A municipality acting for another.
        let e = store
            .submit_offers(&act("municipality:GM0014", "2024-03-01"), &id, &[offer("GM0363", 10, "A")])
            .await
            .unwrap_err();
        assert!(e.to_string().contains("may not offer places for GM0363"), "{e}");
        // Unknown municipality code.
        let e = store
            .submit_offers(&act("municipality:GM9999", "2024-03-01"), &id, &[offer("GM9999", 10, "A")])
            .await
            .unwrap_err();
        assert!(e.to_string().contains("unknown municipality GM9999"), "{e}");
        // Absurd number.
        let e = store
            .submit_offers(&act("municipality:GM0363", "2024-03-01"), &id, &[offer("GM0363", 900_000, "A")])
            .await
            .unwrap_err();
        assert!(e.to_string().contains("implausible"), "{e}");
        // After the deadline.
        let e = store
            .submit_offers(&act("municipality:GM0363", "2024-11-01"), &id, &[offer("GM0363", 10, "A")])
            .await
            .unwrap_err();
        assert!(e.to_string().contains("before 1 November 2024"), "{e}");
        // The public.
        assert!(matches!(
            store.submit_offers(&act("public", "2024-03-01"), &id, &[offer("GM0363", 10, "A")]).await,
            Err(StoreError::Denied(_))
        ));
        // A province reporting for another; a municipality deciding.
        assert!(
            store
                .submit_report(&act("province:PV27", "2024-10-01"), &id, "PV26".parse().unwrap(), &[], "")
                .await
                .is_err()
        );
        assert!(store.decide(&act("municipality:GM0363", "2024-12-01"), &id, DecisionRule::default()).await.is_err());
        assert_eq!(count(&store, "audit_log").await, before);
        assert_eq!(count(&store, "offers").await, 0);
        // Duplicate submissions.
        store.submit_offers(&act("municipality:GM0363", "2024-03-01"), &id, &[offer("GM0363", 10, "A")]).await.unwrap();
        let e = store
            .submit_offers(&act("municipality:GM0363", "2024-03-02"), &id, &[offer("GM0363", 10, "A")])
            .await
            .unwrap_err();
        assert!(e.to_string().contains("duplicate submission"), "{e}");
        let e = store.create_cycle(&act("ministry", "2024-01-31"), forecast(96_000)).await.unwrap_err();
        assert!(e.to_string().contains("duplicate submission"), "{e}");
        store.submit_report(&act("province:PV27", "2024-10-01"), &id, "PV27".parse().unwrap(), &[], "").await.unwrap();
        let e = store
            .submit_report(&act("province:PV27", "2024-10-02"), &id, "PV27".parse().unwrap(), &[], "")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("duplicate submission"), "{e}");
        // Offers after the province reported.
        let e = store
            .submit_offers(&act("municipality:GM0363", "2024-10-03"), &id, &[offer("GM0363", 10, "B")])
            .await
            .unwrap_err();
        assert!(e.to_string().contains("submitted its report"), "{e}");
        assert_eq!(count(&store, "offers").await, 1);
        assert!(store.verify_audit().await.is_ok());
        store.close().await;
        db.drop().await;
    }
}

#[tokio::test]
async fn a_failure_inside_the_decision_leaves_no_half_made_decision() {
    for db in TestDb::all().await {
        let store = published(&db).await;
        let id = cycle_id();
        let before = count(&store, "audit_log").await;
        for point in ["decide:after-tasks", "decide:before-commit"] {
            let failing = store.clone().with_failpoint(point);
            let e = failing.decide(&act("ministry", "2024-12-23"), &id, DecisionRule::default()).await.unwrap_err();
            assert!(e.to_string().contains("injected failure"), "{e}");
            assert_eq!(count(&store, "decisions").await, 0, "{point}");
            assert_eq!(count(&store, "binding_tasks").await, 0, "{point}");
            assert_eq!(count(&store, "audit_log").await, before, "{point}");
            assert_eq!(store.cycle(&id).await.unwrap().phase, Phase::Tables);
        }
        let d = store.decide(&act("ministry", "2024-12-23"), &id, DecisionRule::default()).await.unwrap();
        // No offers at all: every municipality is assigned its full task.
        assert_eq!(d.binding_total, 96_000);
        assert_eq!(count(&store, "binding_tasks").await, 342);
        assert!(store.verify_audit().await.is_ok());
        store.close().await;
        db.drop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_offers_from_all_municipalities_lose_nothing() {
    for db in TestDb::all().await {
        let store = published(&db).await;
        let id = cycle_id();
        let tasks = store.indicative_tasks(&id).await.unwrap();
        // Several pools (as several server processes would have) and many tasks at once.
        let stores = vec![store.clone(), db.store().await, db.store().await];
        let mut handles = Vec::new();
        for (i, t) in tasks.iter().enumerate() {
            let s = stores[i % stores.len()].clone();
            let (t, id) = (t.clone(), id.clone());
            handles.push(tokio::spawn(async move {
                s.submit_offers(&act(&format!("municipality:{}", t.gm_code), "2024-05-01"), &id, &synthetic_offers(&t))
                    .await
            }));
        }
        for h in handles {
            h.await.unwrap().unwrap();
        }
        let expected: usize = tasks.iter().map(|t| synthetic_offers(t).len()).sum();
        assert_eq!(store.offers(&id, None).await.unwrap().len(), expected, "{}", db.name);
        let report = store.verify_audit().await.unwrap();
        assert_eq!(report.records as usize, 1 + expected);
        for s in &stores {
            s.close().await;
        }
        db.drop().await;
    }
}
