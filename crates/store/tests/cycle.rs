//! The legal cycle end to end against the store, on SQLite and (when configured) PostgreSQL,
//! with real accounts; refusals and injected failures write nothing.

mod common;

use std::collections::BTreeMap;

use common::{PASSWORD, TestDb, act, act_because, cycle_id, forecast, is_invalid, who};
use spreiding_core::actor::Role;
use spreiding_core::cycle::{Origin, Phase};
use spreiding_core::decision::DecisionRule;
use spreiding_core::offer::{Offer, OfferKind, Swap};
use spreiding_core::plan::Commitment;
use spreiding_core::{GmCode, PvCode};
use spreiding_store::{DbKind, IndicativeTask, ObjectionStatus, PublicFacts, Store, StoreError};
use sqlx::Executor;

fn gm(s: &str) -> GmCode {
    s.parse().unwrap()
}

fn offer(g: &str, loc: &str, kind: OfferKind, places: u64, years: u32, from: &str) -> Offer {
    Offer {
        gm_code: gm(g),
        location: loc.into(),
        kind,
        places,
        amv_places: if kind == OfferKind::AmvSmallScale { places } else { 0 },
        years,
        available_from: from.parse().unwrap(),
    }
}

/// Synthetic offers: 70–129 % of the task as durable places, plus emergency places that
/// must not count.
fn synthetic_offers(t: &IndicativeTask) -> Vec<Offer> {
    let n: u64 = t.gm_code.as_str()[2..].parse().unwrap();
    let total = (t.task * (70 + (n * 37) % 60) / 100).max(1);
    let g = t.gm_code.as_str();
    vec![
        offer(g, &format!("Synthetic azc {g}"), OfferKind::RegularDurable, total.min(5000), 10, "2024-09-01"),
        offer(g, &format!("Synthetic hall {g}"), OfferKind::Noodopvang, 50, 1, "2024-05-01"),
    ]
}

async fn count(store: &Store, table: &str) -> i64 {
    let r: (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(store.pool())
        .await
        .unwrap();
    r.0
}

/// Every table's row count and the audit head: what "nothing was written" compares.
async fn fingerprint(store: &Store) -> Vec<(String, i64)> {
    let mut v = Vec::new();
    for t in [
        "cycles",
        "indicative_tasks",
        "offers",
        "swaps",
        "reports",
        "report_lines",
        "decisions",
        "binding_tasks",
        "decision_revisions",
        "objections",
        "realisations",
        "payment_applications",
        "web_users",
        "api_tokens",
        "population_vintages",
        "indicator_sets",
        "simulation_reports",
        "audit_log",
    ] {
        v.push((t.to_string(), count(store, t).await));
    }
    let h = store.audit_head().await.unwrap();
    v.push((h.hash, h.seq));
    v
}

async fn published(db: &TestDb) -> Store {
    let store = db.store().await;
    store.create_cycle(&act(&store, "ministry", "2024-01-31").await, forecast(96_000)).await.unwrap();
    store
}

fn province_of(store: &Store, g: GmCode) -> PvCode {
    store.netherlands().municipality(g).unwrap().province
}

#[tokio::test]
async fn a_full_cycle_with_amv_objection_and_revision_runs_and_the_audit_trail_verifies() {
    for db in TestDb::all().await {
        let store = published(&db).await;
        let id = cycle_id();
        let tasks = store.indicative_tasks(&id).await.unwrap();
        assert_eq!(tasks.len(), 342);
        assert_eq!(tasks.iter().map(|t| t.task).sum::<u64>(), 96_000);
        assert_eq!(tasks.iter().map(|t| t.amv.unwrap()).sum::<u64>(), 8_140);
        // Groningen's ten municipalities offer; Amsterdam offers AMV places too.
        let groningen: Vec<&IndicativeTask> = tasks.iter().filter(|t| t.pv_code.as_str() == "PV20").collect();
        for t in &groningen {
            let a = act(&store, &format!("municipality:{}", t.gm_code), "2024-03-01").await;
            store.submit_offers(&a, &id, &synthetic_offers(t)).await.unwrap();
        }
        let ams = act(&store, "municipality:GM0363", "2024-03-01").await;
        let recs = store
            .submit_offers(
                &ams,
                &id,
                &[
                    offer("GM0363", "Azc Zuidoost", OfferKind::RegularDurable, 2000, 10, "2024-09-01"),
                    offer("GM0363", "Kleinschalig Noord", OfferKind::AmvSmallScale, 120, 10, "2024-09-01"),
                    offer("GM0363", "Pand West", OfferKind::Temporary, 300, 2, "2024-09-01"),
                ],
            )
            .await
            .unwrap();
        // Amend and withdraw Amsterdam's own offers.
        let temp = recs.iter().find(|r| r.offer.kind == OfferKind::Temporary).unwrap().offer_no;
        let azc = recs.iter().find(|r| r.offer.kind == OfferKind::RegularDurable).unwrap();
        let amended = Offer { places: 2400, ..azc.offer.clone() };
        store
            .amend_offer(&act(&store, "municipality:GM0363", "2024-04-01").await, &id, azc.offer_no, amended)
            .await
            .unwrap();
        store.withdraw_offer(&act(&store, "municipality:GM0363", "2024-04-02").await, &id, temp).await.unwrap();
        // A swap in Noord-Holland: Amsterdam takes over 50 places (5 AMV) of Zaanstad's task.
        store
            .record_swap(
                &act(&store, "province:PV27", "2024-09-15").await,
                &id,
                Swap { from: gm("GM0479"), to: gm("GM0363"), places: 50, amv_places: 5, note: "test".into() },
            )
            .await
            .unwrap();
        for p in store.netherlands().provinces.clone() {
            let a = act(&store, &format!("province:{}", p.code), "2024-10-20").await;
            store.submit_report(&a, &id, p.code, &[], "").await.unwrap();
        }
        // The CdK of Noord-Holland amends its report once, with a reason.
        let amend =
            act_because(&store, "province:PV27", "2024-11-10", "Zaanstad found a location for 100 places").await;
        let rep = store
            .amend_report(
                &amend,
                &id,
                "PV27".parse().unwrap(),
                &[(gm("GM0479"), Commitment { places: 100, amv: 0 })],
                "Zaanstad found a location for 100 places",
            )
            .await
            .unwrap();
        assert_eq!(rep.revision, 1);
        // Checkpoints: due when records are unsigned for longer than the age, and at once after
        // a decision; a fresh checkpoint makes none due.
        let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        let day = chrono::Duration::days(1);
        assert_eq!(store.checkpoint_due(day).await.unwrap(), Some("daily"), "never signed");
        store.checkpoint(&key, "manual").await.unwrap();
        assert_eq!(store.checkpoint_due(day).await.unwrap(), None);
        let d = store.decide(&act(&store, "ministry", "2024-12-23").await, &id, DecisionRule::default()).await.unwrap();
        assert_eq!(store.checkpoint_due(day).await.unwrap(), Some("decision"), "{}", db.name);
        let cp = store.checkpoint(&key, "decision").await.unwrap();
        assert_eq!(cp.seq, store.audit_head().await.unwrap().seq);
        assert_eq!(store.checkpoint_due(day).await.unwrap(), None);
        assert!(store.verify_record(None).await.unwrap().problems.is_empty(), "{}", db.name);
        let plans: u64 = d.municipalities.iter().map(|m| m.commitment).sum();
        assert_eq!(d.binding_total, 96_000u64.max(plans), "{}", db.name);
        assert_eq!(d.binding_amv_total, Some(8_140), "{}", db.name);
        assert_eq!(d.municipalities.iter().map(|m| m.binding_amv()).sum::<u64>(), 8_140);
        let amsterdam = d.municipalities.iter().find(|m| m.gm_code == gm("GM0363")).unwrap();
        assert!(amsterdam.commitment >= 2400 + 120, "{}", amsterdam.commitment);
        assert!(amsterdam.explanation.contains("Specific payment"), "{}", amsterdam.explanation);
        // An objection by Zaanstad, upheld; the revision honours it.
        let zaanstad = d.municipalities.iter().find(|m| m.gm_code == gm("GM0479")).unwrap().clone();
        let o = store
            .file_objection(
                &act(&store, "municipality:GM0479", "2025-01-10").await,
                &id,
                gm("GM0479"),
                "our existing location of 200 places was not credited",
                Some(zaanstad.binding_task - 40),
                None,
            )
            .await
            .unwrap();
        let dup = store
            .file_objection(
                &act(&store, "municipality:GM0479", "2025-01-11").await,
                &id,
                gm("GM0479"),
                "a second objection while the first is open",
                None,
                None,
            )
            .await
            .unwrap_err();
        assert!(dup.to_string().contains("duplicate objection"), "{dup}");
        let dec = act_because(&store, "ministry", "2025-02-01", "the credit was missed in the plan").await;
        let o = store
            .decide_objection(&dec, &id, o.objection_no, true, Some(zaanstad.binding_task - 40), None)
            .await
            .unwrap();
        assert_eq!(o.status, ObjectionStatus::Upheld);
        let no_reason = act(&store, "ministry", "2025-02-02").await;
        assert!(store.revise_decision(&no_reason, &id).await.unwrap_err().to_string().contains("reason"));
        let rev = act_because(&store, "ministry", "2025-02-02", "objection no. 1 of Zaanstad upheld").await;
        let d2 = store.revise_decision(&rev, &id).await.unwrap();
        let z2 = d2.municipalities.iter().find(|m| m.gm_code == gm("GM0479")).unwrap();
        assert!(z2.binding_task <= zaanstad.binding_task - 40);
        assert!(z2.explanation.contains("objection no. 1 of GM0479 was upheld"), "{}", z2.explanation);
        let unassigned: u64 = d2.provinces.iter().chain(&d2.amv_provinces).map(|p| p.unassigned).sum();
        assert_eq!(d2.binding_total + unassigned, d.binding_total, "revision redistributes within the province");
        assert_eq!(store.decision_record(&id).await.unwrap().unwrap().revision, 1);
        assert_eq!(store.decision_history(&id).await.unwrap().len(), 2);
        // Realisation with an AMV part; the cycle closes after six months.
        store
            .record_realisation(&act(&store, "municipality:GM0363", "2025-05-01").await, &id, gm("GM0363"), 2000, 100)
            .await
            .unwrap();
        store
            .apply_payment(
                &act(&store, "municipality:GM0363", "2025-05-02").await,
                &id,
                gm("GM0363"),
                2000,
                "azc Zuidoost",
            )
            .await
            .unwrap();
        let st = store.status(&id, "2025-05-02".parse().unwrap()).await.unwrap();
        let a = st.municipalities.iter().find(|m| m.gm_code == gm("GM0363")).unwrap();
        assert_eq!((a.realised, a.amv_realised), (2000, 100));
        assert!(a.offers.iter().any(|o| !o.verdict.counted && o.verdict.reason.contains("withdrawn")));
        assert!(a.payment.total_cents > 0);
        let closed = store.close_cycle(&act(&store, "ministry", "2025-08-05").await, &id).await.unwrap();
        assert_eq!(closed.phase, Phase::Closed);
        let report = store.verify_audit().await.unwrap();
        assert!(report.records > 30);
        // Tampering with any record is detected.
        store.pool().execute("UPDATE audit_log SET subject = 'edited' WHERE seq = 5").await.unwrap();
        assert!(matches!(store.verify_audit().await, Err(StoreError::Tampered { seq: 5, .. })), "{}", db.name);
        store.close().await;
        db.drop().await;
    }
}

#[tokio::test]
async fn the_legal_record_refuses_other_dates_and_the_sandbox_cannot_be_chosen_later() {
    let db = TestDb::sqlite();
    let legal = Store::connect(&db.url).await.unwrap();
    assert_eq!(legal.kind(), DbKind::Legal);
    let admin = legal.bootstrap_account("admin", PASSWORD, Role::Admin).await.unwrap();
    let e = legal.act(&admin, Some("2024-01-31".parse().unwrap()), None).await.unwrap_err();
    assert!(e.to_string().contains("sandbox"), "{e}");
    let today = spreiding_store::today_in_amsterdam();
    assert_eq!(legal.act(&admin, None, None).await.unwrap().on(), today);
    assert!(legal.set_clock(&admin, today).await.is_err());
    assert!(legal.synthetic_act(Role::Ministry, today).is_err());
    legal.close().await;
    let e = Store::initialise(&db.url, DbKind::Sandbox).await.err().unwrap();
    assert!(e.to_string().contains("cannot become a sandbox"), "{e}");
}

#[tokio::test]
async fn public_facts_are_imports_never_acts_and_a_publication_supersedes_them() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let facts = PublicFacts {
            year: 2024,
            national_total: 96_000,
            amv_total: Some(8_140),
            durable_existing: None,
            published_on: "2024-01-31".parse().unwrap(),
            decided_on: None,
            source: "Stcrt. 2024, 3320".into(),
            notes: "first cycle".into(),
        };
        let c = store.import_public_facts(&facts).await.unwrap().unwrap();
        assert_eq!(c.origin, Origin::Import);
        assert!(store.import_public_facts(&facts).await.unwrap().is_none(), "imported once");
        let log = store.audit_log(None).await.unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!((log[0].role.as_str(), log[0].actor.as_str()), ("import", "import"));
        assert!(log[0].reason.as_deref().unwrap().contains("Stcrt. 2024, 3320"));
        // Nothing can be done in imported facts …
        let e = store
            .submit_offers(
                &act(&store, "municipality:GM0363", "2024-03-01").await,
                &cycle_id(),
                &[offer("GM0363", "A", OfferKind::RegularDurable, 10, 10, "2024-06-01")],
            )
            .await
            .unwrap_err();
        assert!(e.to_string().contains("imported"), "{e}");
        // … until the minister publishes, which supersedes them.
        let c = store.create_cycle(&act(&store, "ministry", "2024-01-31").await, forecast(96_000)).await.unwrap();
        assert_eq!(c.origin, Origin::Ministry);
        assert_eq!(store.current_cycle().await.unwrap().unwrap().id, c.id);
        let last = store.audit_log(None).await.unwrap().pop().unwrap();
        assert!(last.subject.contains("supersedes"), "{}", last.subject);
        store.close().await;
        db.drop().await;
    }
}

#[tokio::test]
async fn a_bad_row_in_a_300_row_import_writes_nothing_and_names_the_row() {
    for db in TestDb::all().await {
        let store = published(&db).await;
        let id = cycle_id();
        let mut offers: Vec<Offer> = (0..300)
            .map(|i| offer("GM0363", &format!("Location {i}"), OfferKind::RegularDurable, 10, 10, "2024-06-01"))
            .collect();
        offers[216].places = 0;
        let a = act(&store, "municipality:GM0363", "2024-03-01").await;
        let before = fingerprint(&store).await;
        let e = store.submit_offers(&a, &id, &offers).await.unwrap_err();
        assert!(matches!(&e, StoreError::InvalidRow { row: 217, .. }), "{e}");
        assert_eq!(fingerprint(&store).await, before);
        offers[216].places = 10;
        store.submit_offers(&a, &id, &offers).await.unwrap();
        assert_eq!(count(&store, "offers").await, 300);
        store.close().await;
        db.drop().await;
    }
}

#[tokio::test]
async fn refusals_name_the_rule_and_write_nothing() {
    for db in TestDb::all().await {
        let store = published(&db).await;
        let id = cycle_id();
        let o = |g: &str, places: u64, loc: &str| offer(g, loc, OfferKind::RegularDurable, places, 10, "2024-06-01");
        let gm14 = act(&store, "municipality:GM0014", "2024-03-01").await;
        let ams = act(&store, "municipality:GM0363", "2024-03-01").await;
        let mine = store.submit_offers(&ams, &id, &[o("GM0363", 10, "A")]).await.unwrap();
        let token = store
            .issue_token(&act(&store, "admin", "2024-03-01").await, "municipality-gm0363", "laptop")
            .await
            .unwrap();
        assert_eq!(store.authenticate_token(&token.token).await.unwrap().username(), "municipality-gm0363");
        store.revoke_token(&act(&store, "admin", "2024-03-01").await, &token.id).await.unwrap();
        let before = fingerprint(&store).await;
        let refused: Vec<StoreError> = vec![
            // A municipality acting for another, and withdrawing another's offer.
            store.submit_offers(&gm14, &id, &[o("GM0363", 10, "B")]).await.unwrap_err(),
            store.withdraw_offer(&gm14, &id, mine[0].offer_no).await.unwrap_err(),
            // Unknown code, absurd number, wrong kind of AMV part.
            store
                .record_swap(
                    &act(&store, "province:PV27", "2024-09-01").await,
                    &id,
                    Swap { from: gm("GM9999"), to: gm("GM0363"), places: 5, amv_places: 0, note: String::new() },
                )
                .await
                .unwrap_err(),
            store.submit_offers(&ams, &id, &[o("GM0363", 900_000, "B")]).await.unwrap_err(),
            // After the deadline.
            store
                .submit_offers(&act(&store, "municipality:GM0363", "2024-11-01").await, &id, &[o("GM0363", 10, "B")])
                .await
                .unwrap_err(),
            // Duplicate submission and duplicate publication.
            store.submit_offers(&ams, &id, &[o("GM0363", 10, "A")]).await.unwrap_err(),
            store.create_cycle(&act(&store, "ministry", "2024-01-31").await, forecast(96_000)).await.unwrap_err(),
            // A province reporting for another; a municipality deciding; a revision without a decision.
            store
                .submit_report(&act(&store, "province:PV27", "2024-10-01").await, &id, "PV26".parse().unwrap(), &[], "")
                .await
                .unwrap_err(),
            store
                .decide(&act(&store, "municipality:GM0363", "2024-12-01").await, &id, DecisionRule::default())
                .await
                .unwrap_err(),
            store
                .revise_decision(
                    &act_because(&store, "ministry", "2024-12-01", "a reason that is long enough").await,
                    &id,
                )
                .await
                .unwrap_err(),
            // An amendment of a report never submitted; an objection before the decision.
            store
                .amend_report(
                    &act_because(&store, "province:PV20", "2024-10-01", "a reason that is long enough").await,
                    &id,
                    "PV20".parse().unwrap(),
                    &[(gm("GM0014"), Commitment { places: 5, amv: 0 })],
                    "a reason that is long enough",
                )
                .await
                .unwrap_err(),
            store
                .file_objection(&ams, &id, gm("GM0363"), "grounds that are long enough to read", None, None)
                .await
                .unwrap_err(),
            // The administrator does not offer; the minister hands out no accounts.
            store
                .submit_offers(&act(&store, "admin", "2024-03-01").await, &id, &[o("GM0363", 10, "C")])
                .await
                .unwrap_err(),
            store
                .add_account(&act(&store, "ministry", "2024-03-01").await, "mallory", PASSWORD, Role::Ministry)
                .await
                .unwrap_err(),
        ];
        let messages: Vec<String> = refused.iter().map(|e| e.to_string()).collect();
        for needle in [
            "may not offer, amend or withdraw places for GM0363",
            "unknown municipality GM9999",
            "implausible",
            "before 1 November 2024",
            "duplicate submission",
            "may not submit the report of PV26",
            "has not reported yet",
            "may not manage user accounts",
        ] {
            assert!(messages.iter().any(|m| m.contains(needle)), "no refusal says '{needle}': {messages:#?}");
        }
        // A wrong password, a revoked token: one refusal, nothing said about which.
        assert!(store.authenticate_password("municipality-gm0363", "wrong password!").await.is_err());
        assert!(store.authenticate_password("nobody", PASSWORD).await.is_err());
        assert!(store.authenticate_token(&token.token).await.is_err());
        // The accounts made above for the refusing roles are the only new rows.
        let after = fingerprint(&store).await;
        for ((t, a), (_, b)) in before.iter().zip(&after) {
            if t != "web_users" && !t.starts_with(|c: char| c.is_ascii_hexdigit()) && t != "audit_log" {
                assert_eq!(a, b, "{t} changed on a refusal");
            }
        }
        let new_accounts = after.iter().find(|x| x.0 == "web_users").unwrap().1
            - before.iter().find(|x| x.0 == "web_users").unwrap().1;
        let new_audit = after.iter().find(|x| x.0 == "audit_log").unwrap().1
            - before.iter().find(|x| x.0 == "audit_log").unwrap().1;
        assert_eq!(new_audit, new_accounts, "only the account additions were audited");
        assert!(is_invalid(&refused[2]));
        assert!(store.verify_audit().await.is_ok());
        store.close().await;
        db.drop().await;
    }
}

/// A crash inside any mutation leaves the database as before (injected failures just before
/// the commit of each kind of act, and inside the multi-row writes).
#[tokio::test]
async fn a_failure_inside_any_transaction_leaves_the_database_as_before() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let id = cycle_id();
        let ministry = who(&store, "ministry").await;
        let on = |d: &str| Some(d.parse().unwrap());
        macro_rules! fails_then_works {
            ($point:expr, |$s:ident| $call:expr) => {{
                let before = fingerprint(&store).await;
                let $s = store.clone().with_failpoint($point);
                let e = $call.await.unwrap_err();
                assert!(e.to_string().contains("injected failure"), "{}: {e}", $point);
                assert_eq!(fingerprint(&store).await, before, "{} left something behind", $point);
                let $s = store.clone();
                $call.await.unwrap()
            }};
        }
        let a = store.act(&ministry, on("2024-01-31"), None).await.unwrap();
        fails_then_works!("publish:after-half-the-tasks", |s| s.create_cycle(&a, forecast(96_000)));
        let ams = act(&store, "municipality:GM0363", "2024-03-01").await;
        let offers = vec![
            offer("GM0363", "A", OfferKind::RegularDurable, 100, 10, "2024-06-01"),
            offer("GM0363", "B", OfferKind::AmvSmallScale, 20, 10, "2024-06-01"),
        ];
        let recs = fails_then_works!("offers:after-first-row", |s| s.submit_offers(&ams, &id, &offers));
        let changed = Offer { places: 120, ..recs[0].offer.clone() };
        fails_then_works!("commit:offer.amend", |s| s.amend_offer(&ams, &id, recs[0].offer_no, changed.clone()));
        fails_then_works!("commit:offer.withdraw", |s| s.withdraw_offer(&ams, &id, recs[1].offer_no));
        let pv27 = act(&store, "province:PV27", "2024-09-01").await;
        let swap = Swap { from: gm("GM0479"), to: gm("GM0363"), places: 10, amv_places: 0, note: String::new() };
        fails_then_works!("commit:swap.record", |s| s.record_swap(&pv27, &id, swap.clone()));
        fails_then_works!("commit:report.submit", |s| s.submit_report(&pv27, &id, "PV27".parse().unwrap(), &[], ""));
        let amend = act_because(&store, "province:PV27", "2024-11-05", "correction of Amsterdam's figure").await;
        let lines = [(gm("GM0363"), Commitment { places: 130, amv: 0 })];
        fails_then_works!("commit:report.amend", |s| s.amend_report(
            &amend,
            &id,
            "PV27".parse().unwrap(),
            &lines,
            "correction of Amsterdam's figure"
        ));
        let dec = store.act(&ministry, on("2024-12-23"), None).await.unwrap();
        let d = fails_then_works!("decide:after-tasks", |s| s.decide(&dec, &id, DecisionRule::default()));
        assert_eq!(d.binding_amv_total, Some(8_140));
        let obj = act(&store, "municipality:GM0363", "2025-01-05").await;
        let b = d.municipalities.iter().find(|m| m.gm_code == gm("GM0363")).unwrap().binding_task;
        let o = fails_then_works!("commit:objection.file", |s| s.file_objection(
            &obj,
            &id,
            gm("GM0363"),
            "the swap was counted twice in the plan",
            Some(b - 5),
            None
        ));
        let ruling =
            store.act(&ministry, on("2025-01-20"), Some("the swap was indeed counted twice".into())).await.unwrap();
        fails_then_works!("commit:objection.decide", |s| s.decide_objection(
            &ruling,
            &id,
            o.objection_no,
            true,
            Some(b - 5),
            None
        ));
        let rev = store.act(&ministry, on("2025-01-21"), Some("objection no. 1 upheld".into())).await.unwrap();
        fails_then_works!("decide:after-tasks", |s| s.revise_decision(&rev, &id));
        let real = act(&store, "municipality:GM0363", "2025-03-01").await;
        fails_then_works!("commit:realisation.record", |s| s.record_realisation(&real, &id, gm("GM0363"), 50, 10));
        fails_then_works!("commit:payment.apply", |s| s.apply_payment(&real, &id, gm("GM0363"), 100, ""));
        let admin = act(&store, "admin", "2025-03-01").await;
        fails_then_works!("commit:account.add", |s| s.add_account(&admin, "extra", PASSWORD, Role::Coa));
        fails_then_works!("commit:token.issue", |s| s.issue_token(&admin, "extra", ""));
        let planner = act(&store, "ministry", "2025-03-01").await;
        fails_then_works!("simulation:after-insert", |s| s.publish_simulation(&planner, "run", "{\"a\":1}", "<p>"));
        fails_then_works!("commit:simulation.publish", |s| s.publish_simulation(&planner, "run", "{\"a\":2}", "<p>"));
        let close = store.act(&ministry, on("2025-08-01"), None).await.unwrap();
        fails_then_works!("commit:cycle.close", |s| s.close_cycle(&close, &id));
        assert!(store.verify_audit().await.is_ok());
        store.close().await;
        db.drop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_offers_from_many_municipalities_lose_nothing() {
    for db in TestDb::all().await {
        let store = published(&db).await;
        let id = cycle_id();
        let tasks: Vec<IndicativeTask> = store.indicative_tasks(&id).await.unwrap().into_iter().step_by(9).collect();
        let mut acts = Vec::new();
        for t in &tasks {
            acts.push(act(&store, &format!("municipality:{}", t.gm_code), "2024-05-01").await);
        }
        // Several pools (as several server processes would have) and many tasks at once.
        let stores = vec![store.clone(), db.reopen().await, db.reopen().await];
        let before = store.audit_head().await.unwrap().seq;
        let mut handles = Vec::new();
        for (i, (t, a)) in tasks.iter().zip(acts).enumerate() {
            let s = stores[i % stores.len()].clone();
            let (t, id) = (t.clone(), id.clone());
            handles.push(tokio::spawn(async move { s.submit_offers(&a, &id, &synthetic_offers(&t)).await }));
        }
        for h in handles {
            h.await.unwrap().unwrap();
        }
        let expected: usize = tasks.iter().map(|t| synthetic_offers(t).len()).sum();
        assert_eq!(store.offers(&id, None).await.unwrap().len(), expected, "{}", db.name);
        let report = store.verify_audit().await.unwrap();
        assert_eq!(report.records - before, expected as i64);
        for s in &stores {
            s.close().await;
        }
        db.drop().await;
    }
}

/// The places that count for the AMV column add up for a province's commitments.
#[tokio::test]
async fn the_status_says_per_offer_whether_it_counts_and_why() {
    let db = TestDb::sqlite();
    let store = published(&db).await;
    let id = cycle_id();
    let a = act(&store, "municipality:GM0014", "2024-03-01").await;
    store
        .submit_offers(
            &a,
            &id,
            &[
                offer("GM0014", "Azc", OfferKind::RegularDurable, 300, 10, "2024-09-01"),
                offer("GM0014", "Hal", OfferKind::Noodopvang, 300, 1, "2024-04-01"),
                offer("GM0014", "Kort", OfferKind::RegularDurable, 40, 3, "2024-09-01"),
                offer("GM0014", "Laat", OfferKind::RegularDurable, 40, 10, "2025-12-01"),
                offer("GM0014", "AMV", OfferKind::AmvSmallScale, 16, 10, "2024-09-01"),
            ],
        )
        .await
        .unwrap();
    let st = store.status(&id, "2024-04-02".parse().unwrap()).await.unwrap();
    let m = st.municipalities.iter().find(|m| m.gm_code == gm("GM0014")).unwrap();
    let verdicts: BTreeMap<&str, (bool, &str)> = m
        .offers
        .iter()
        .map(|o| (o.offer.offer.location.as_str(), (o.verdict.counted, o.verdict.reason.as_str())))
        .collect();
    assert!(verdicts["Azc"].0 && verdicts["AMV"].0);
    assert!(verdicts["Hal"].1.contains("emergency"));
    assert!(verdicts["Kort"].1.contains("fewer than the 5"));
    assert!(verdicts["Laat"].1.contains("after the realisation deadline"));
    assert_eq!((m.commitment, m.amv_commitment), (316, 16));
    assert_eq!(province_of(&store, gm("GM0014")).as_str(), "PV20");
    store.close().await;
}

/// A simulation report is published only by a ministry account, kept as published (never
/// overwritten), audited, and the newest one is what the public page reads.
#[tokio::test]
async fn simulation_reports_are_published_by_the_ministry_and_the_newest_is_shown() {
    for db in TestDb::all().await {
        let store = db.store().await;
        assert!(store.latest_simulation().await.unwrap().is_none());
        let audit_before = store.audit_head().await.unwrap().seq;
        for role in ["municipality:GM0363", "province:PV27", "coa", "admin"] {
            let a = act(&store, role, "2026-03-01").await;
            let e = store.publish_simulation(&a, "run", "{}", "<p>").await.unwrap_err();
            assert!(matches!(e, StoreError::Denied(_)), "{role}: {e}");
        }
        assert_eq!(count(&store, "simulation_reports").await, 0);
        let a = act(&store, "ministry", "2026-03-01").await;
        let e = store.publish_simulation(&a, "run", "not json", "<p>").await.unwrap_err();
        assert!(is_invalid(&e), "{e}");
        let e = store.publish_simulation(&a, "  ", "{}", "<p>").await.unwrap_err();
        assert!(is_invalid(&e), "{e}");
        let first = store.publish_simulation(&a, "first", "{\"run\":1}", "<p>one</p>").await.unwrap();
        let e = store.publish_simulation(&a, "again", "{\"run\":1}", "<p>one</p>").await.unwrap_err();
        assert!(matches!(e, StoreError::Conflict(_)), "{e}");
        let second = store.publish_simulation(&a, "second", "{\"run\":2}", "<p>two</p>").await.unwrap();
        assert_ne!(first.id, second.id);
        assert_eq!(second.published_role, Role::Ministry);
        assert_eq!(second.published_on, "2026-03-01");
        let (latest, json) = store.latest_simulation().await.unwrap().unwrap();
        assert_eq!((latest.id.as_str(), json.as_str()), (second.id.as_str(), "{\"run\":2}"));
        assert_eq!(store.simulation_html(&first.id).await.unwrap(), "<p>one</p>");
        assert!(matches!(store.simulation_html("nope").await.unwrap_err(), StoreError::NotFound(_)));
        let all = store.published_simulations().await.unwrap();
        assert_eq!(all.iter().map(|r| r.title.as_str()).collect::<Vec<_>>(), ["second", "first"]);
        let log = store.audit_log(None).await.unwrap();
        let published: Vec<_> = log.iter().filter(|r| r.action == "simulation.publish").collect();
        assert_eq!(published.len(), 2);
        assert!(store.audit_head().await.unwrap().seq > audit_before);
        assert!(store.verify_audit().await.is_ok());
        store.close().await;
        db.drop().await;
    }
}
