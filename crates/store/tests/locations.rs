//! The location registry and quality assessments in the store, on SQLite and (when
//! SPREIDING_TEST_PG_URL is set) PostgreSQL. All locations here are synthetic.

mod common;

use common::{TestDb, act};
use spreiding_core::location::{Location, LocationType, Operator, parse_locations_csv};
use spreiding_core::quality::{Framework, Group, Outcome, assess};
use spreiding_store::{Store, StoreError};

/// Three synthetic locations: one complete and good, one with gaps, one AMV with six per room.
fn synthetic() -> Vec<Location> {
    let text = "id,name,municipality,operator,type,beds,occupied,m2_per_person,persons_per_bedroom,ceiling_height_m,\
lockable_bedrooms,separate_sanitary,play_space,open_air_space,private_meeting_room,step_free,medical_post,\
one_family_per_bedroom,bed_and_cupboard_each,sex_separated_bedrooms,separated_from_adults,school_min,gp_min,\
hospital_min,legal_aid_min,shops_min,school_access_days,needs_assessment_days,max_stay_days,opened,closing,\
cost_per_place_day,durability_years\n\
S1,Synthetic azc Zeist,GM0355,coa,azc,300,250,5.25,4,2.4,ja,ja,ja,ja,ja,ja,ja,ja,ja,ja,ja,10,10,20,30,10,30,20,365,2020-01-01,,61.37,10\n\
S2,Synthetic noodopvang Hal,GM0363,gemeente,noodopvang,120,,,,,,,,,,,,,,,,,,,,,,,,2025-05-01,2027-05-01,,0.5\n\
S3,Synthetic amv Utrecht,GM0344,coa,amv-kleinschalig,24,20,4.1,6,2.6,ja,ja,ja,ja,ja,ja,nee,ja,ja,ja,ja,15,12,25,40,5,20,14,,2023-03-01,,95.1,5\n";
    parse_locations_csv("synthetic-locations.csv", text).unwrap()
}

async fn audit_len(store: &Store) -> usize {
    store.audit_log(None).await.unwrap().len()
}

#[tokio::test]
async fn import_round_trips_every_field_and_keeps_unknowns_unknown() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let locs = synthetic();
        let imp = store.import_locations(&act(&store, "coa", "2026-11-02").await, &locs).await.unwrap();
        assert_eq!(imp.added, ["S1", "S2", "S3"], "{}", db.name);
        let back = store.locations(&[]).await.unwrap();
        assert_eq!(back, locs, "{}: every field, decimals exact, unknowns None", db.name);
        assert_eq!(back[1].m2_per_person, None);
        assert_eq!(back[1].facilities.play_space, None);
        assert_eq!(back[0].cost_per_place_day, Some(61.37));
        assert_eq!(store.location("S3").await.unwrap(), locs[2]);
        assert!(matches!(store.location("S9").await, Err(StoreError::NotFound(_))));
        let ams = store.locations(&["GM0363".parse().unwrap()]).await.unwrap();
        assert_eq!(ams.iter().map(|l| l.id.as_str()).collect::<Vec<_>>(), ["S2"]);

        // Upsert: one changed, the rest unchanged; only the change is audited.
        let before = audit_len(&store).await;
        assert_eq!(before, 5, "bootstrap, the COA account and three registrations");
        let mut changed = locs.clone();
        changed[1].facilities.play_space = Some(false);
        changed[1].occupied = Some(100);
        let imp = store.import_locations(&act(&store, "coa", "2026-11-03").await, &changed).await.unwrap();
        assert_eq!((imp.added.len(), imp.changed.as_slice(), imp.unchanged.len()), (0, &["S2".to_string()][..], 2));
        assert_eq!(store.location("S2").await.unwrap(), changed[1]);
        let log = store.audit_log(None).await.unwrap();
        assert_eq!(log.len(), 6);
        assert_eq!(log[5].action, "location.update");
        assert!(log[5].before_json.contains("\"occupied\":null") && log[5].after_json.contains("\"occupied\":100"));
        store.verify_audit().await.unwrap();
        db.drop().await;
    }
}

#[tokio::test]
async fn only_coa_manages_the_registry_and_a_bad_row_writes_nothing() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let locs = synthetic();
        for role in ["municipality:GM0363", "province:PV26", "admin", "ministry", "coa"] {
            common::who(&store, role).await;
        }
        let base = audit_len(&store).await;
        for role in ["municipality:GM0363", "province:PV26", "admin", "ministry"] {
            let e = store.import_locations(&act(&store, role, "2026-11-02").await, &locs).await.unwrap_err();
            assert!(matches!(e, StoreError::Denied(_)), "{role}: {e}");
            let e = store
                .assess_locations(&act(&store, role, "2026-11-02").await, &Framework::bundled(), "x")
                .await
                .unwrap_err();
            assert!(matches!(e, StoreError::Denied(_)), "{role}: {e}");
        }
        // A bad third row (a municipality code that does not exist): nothing of the import.
        let mut bad = locs.clone();
        bad[2].municipality = "GM9999".parse().unwrap();
        let e = store.import_locations(&act(&store, "coa", "2026-11-02").await, &bad).await.unwrap_err();
        match &e {
            StoreError::InvalidRow { row, message } => {
                assert_eq!(*row, 3);
                assert!(message.contains("'S3'") && message.contains("GM9999"), "{message}");
            }
            other => panic!("{other}"),
        }
        let mut dup = locs.clone();
        dup[1].id = "S1".into();
        let e = store.import_locations(&act(&store, "coa", "2026-11-02").await, &dup).await.unwrap_err().to_string();
        assert!(e.starts_with("row 2: location 'S1' appears twice"), "{e}");
        let mut over = locs.clone();
        over[0].occupied = Some(301);
        let e = store.import_locations(&act(&store, "coa", "2026-11-02").await, &over).await.unwrap_err().to_string();
        assert!(e.starts_with("row 1: location 'S1': occupied:"), "{e}");
        assert!(store.locations(&[]).await.unwrap().is_empty());
        assert_eq!(audit_len(&store).await, base);
        // A database failure after the first row: the transaction leaves nothing behind.
        let failing = db.reopen().await.with_failpoint("locations:after-first-row");
        assert!(matches!(
            failing.import_locations(&act(&store, "coa", "2026-11-02").await, &locs).await,
            Err(StoreError::Database(_))
        ));
        assert!(store.locations(&[]).await.unwrap().is_empty());
        assert_eq!(audit_len(&store).await, base);
        store.verify_audit().await.unwrap();
        db.drop().await;
    }
}

#[tokio::test]
async fn assessments_are_stored_with_date_and_assessor_and_read_back_over_time() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let fw = Framework::bundled();
        let coa = act(&store, "coa", "2026-11-02").await;
        let e = store.assess_locations(&coa, &fw, "Inspectie").await.unwrap_err().to_string();
        assert!(e.contains("registry is empty"), "{e}");
        let locs = synthetic();
        store.import_locations(&coa, &locs).await.unwrap();
        let e = store.assess_locations(&coa, &fw, "  ").await.unwrap_err().to_string();
        assert!(e.contains("say who assessed"), "{e}");

        let run1 =
            store.assess_locations(&act(&store, "coa", "2026-11-10").await, &fw, "Inspectie JenV").await.unwrap();
        assert_eq!(run1.len(), 3);
        assert!(run1.iter().all(|a| a.run == 1 && a.assessor == "Inspectie JenV" && a.version == fw.version));
        // Stored results equal the pure assessment of the stored data.
        for (a, l) in run1.iter().zip(&locs) {
            assert_eq!(a.assessment(), assess(&fw, l));
        }
        let s2 = &run1[1];
        assert_eq!(s2.overall, Outcome::Unknown, "gaps are unknown, never pass");
        assert!(s2.count(Outcome::Unknown) > 5);
        assert_eq!(s2.count(Outcome::Pass) + s2.count(Outcome::Fail), 0, "{:?}", s2.results);
        assert!(!run1[2].may_house.contains(Group::Unaccompanied), "six per bedroom keeps AMV out");
        assert_eq!(run1[0].overall, Outcome::Pass);

        // The data improves; a second run later.
        let mut better = locs.clone();
        better[1].facilities.play_space = Some(true);
        better[1].access.needs_assessment_days = Some(25);
        store.import_locations(&act(&store, "coa", "2026-12-01").await, &better).await.unwrap();
        let run2 = store.assess_locations(&act(&store, "coa", "2026-12-02").await, &fw, "COA kwaliteit").await.unwrap();
        assert!(run2.iter().all(|a| a.run == 2));

        let history = store.assessments_of("S2").await.unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!((history[0].run, history[0].assessed_on.to_string().as_str()), (1, "2026-11-10"));
        assert_eq!((history[1].assessor.as_str(), history[1].recorded_by.as_str()), ("COA kwaliteit", "coa"));
        assert_eq!(history[0], run1[1], "{}: read back exactly as stored", db.name);
        assert_eq!(history[1], run2[1]);
        assert!(history[1].count(Outcome::Unknown) < history[0].count(Outcome::Unknown));
        assert_eq!(history[0].results.len(), fw.criteria.len());

        // A back-dated run does not become the latest.
        store.assess_locations(&act(&store, "coa", "2026-11-01").await, &fw, "archief").await.unwrap();
        let latest = store.latest_assessments().await.unwrap();
        assert_eq!(latest.len(), 3);
        assert!(latest.iter().all(|a| a.run == 2 && a.assessed_on.to_string() == "2026-12-02"), "{latest:?}");
        assert!(matches!(store.assessments_of("nope").await, Err(StoreError::NotFound(_))));

        // A failing run writes nothing; the audit trail holds one record per location per run.
        let failing = db.reopen().await.with_failpoint("assess:after-first-location");
        assert!(failing.assess_locations(&coa, &fw, "x").await.is_err());
        assert_eq!(store.assessments_of("S1").await.unwrap().len(), 3);
        let log = store.audit_log(None).await.unwrap();
        assert_eq!(log.iter().filter(|r| r.action == "quality.assess").count(), 9);
        assert!(log.iter().any(|r| r.subject.contains("location S2 assessed") && r.subject.contains("Inspectie JenV")));
        store.verify_audit().await.unwrap();
        db.drop().await;
    }
}

#[tokio::test]
async fn a_synthetic_registry_of_400_locations_imports_and_assesses() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let nl = spreiding_core::bundled::netherlands().unwrap();
        let locs = synthetic_400(&nl);
        store.import_locations(&act(&store, "coa", "2026-11-02").await, &locs).await.unwrap();
        assert_eq!(store.locations(&[]).await.unwrap().len(), locs.len());
        let run = store
            .assess_locations(&act(&store, "coa", "2026-11-02").await, &Framework::bundled(), "test")
            .await
            .unwrap();
        assert_eq!(run.len(), locs.len());
        assert_eq!(store.latest_assessments().await.unwrap(), run);
        db.drop().await;
    }
}

/// 400 synthetic locations spread over the municipalities, every third with gaps.
fn synthetic_400(nl: &spreiding_core::Netherlands) -> Vec<Location> {
    (0..400)
        .map(|i| {
            let m = &nl.municipalities[(i * 7) % nl.municipalities.len()];
            let kind = LocationType::ALL[i % LocationType::ALL.len()];
            let mut l =
                Location::new(&format!("SYN{i:03}"), &format!("Synthetic {i}"), m.code, Operator::Coa, kind, 50);
            if i % 3 != 0 {
                l.m2_per_person = Some(3.5 + (i % 5) as f64 * 0.25);
                l.facilities.play_space = Some(i % 2 == 0);
                l.access.school_min = Some((i % 40) as u32);
            }
            l
        })
        .collect()
}
