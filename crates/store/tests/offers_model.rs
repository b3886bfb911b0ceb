//! Amending and withdrawing never changes another municipality's record: random sequences
//! of submissions, amendments and withdrawals by three municipalities — including attempts
//! on each other's offers — checked after every step against an in-memory model of what
//! each municipality's offers must be.

mod common;

use std::collections::BTreeMap;

use common::{TestDb, act, forecast};
use proptest::prelude::*;
use spreiding_core::offer::{Offer, OfferKind};
use spreiding_store::{OfferRecord, Store};

const GMS: [&str; 3] = ["GM0014", "GM0034", "GM0363"];

#[derive(Clone, Debug)]
enum Op {
    Submit {
        by: usize,
        places: u64,
    },
    /// `by` amends the k-th offer (in the model's order) of `owner`.
    Amend {
        by: usize,
        owner: usize,
        k: usize,
        places: u64,
    },
    Withdraw {
        by: usize,
        owner: usize,
        k: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..3usize, 1u64..500).prop_map(|(by, places)| Op::Submit { by, places }),
        (0..3usize, 0..3usize, 0..4usize, 1u64..500).prop_map(|(by, owner, k, places)| Op::Amend {
            by,
            owner,
            k,
            places
        }),
        (0..3usize, 0..3usize, 0..4usize).prop_map(|(by, owner, k)| Op::Withdraw { by, owner, k }),
    ]
}

/// What the store must hold, per municipality: offer number → (places, withdrawn).
type Model = BTreeMap<&'static str, BTreeMap<i64, (u64, bool)>>;

fn view(offers: &[OfferRecord], g: &str) -> BTreeMap<i64, (u64, bool)> {
    offers
        .iter()
        .filter(|o| o.offer.gm_code.as_str() == g)
        .map(|o| (o.offer_no, (o.offer.places, o.withdrawn_on.is_some())))
        .collect()
}

async fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let db = TestDb::sqlite();
    let store: Store = db.store().await;
    store.create_cycle(&act(&store, "ministry", "2024-01-31").await, forecast(96_000)).await.unwrap();
    let id = common::cycle_id();
    let mut model: Model = GMS.iter().map(|g| (*g, BTreeMap::new())).collect();
    let mut n = 0;
    for (step, o) in ops.into_iter().enumerate() {
        let before = store.offers(&id, None).await.unwrap();
        let who = |i: usize| format!("municipality:{}", GMS[i]);
        let target = |owner: usize, k: usize, model: &Model| model[GMS[owner]].keys().nth(k).copied();
        match o {
            Op::Submit { by, places } => {
                n += 1;
                let offer = Offer {
                    gm_code: GMS[by].parse().unwrap(),
                    location: format!("L{n}"),
                    kind: OfferKind::RegularDurable,
                    places,
                    amv_places: 0,
                    years: 10,
                    available_from: "2024-06-01".parse().unwrap(),
                };
                let rec = store.submit_offers(&act(&store, &who(by), "2024-03-01").await, &id, &[offer]).await.unwrap();
                model.get_mut(GMS[by]).unwrap().insert(rec[0].offer_no, (places, false));
            }
            Op::Amend { by, owner, k, places } => {
                let Some(no) = target(owner, k, &model) else { continue };
                let cur = before.iter().find(|r| r.offer_no == no).unwrap().offer.clone();
                let res = store
                    .amend_offer(&act(&store, &who(by), "2024-04-01").await, &id, no, Offer { places, ..cur.clone() })
                    .await;
                let (p, withdrawn) = model[GMS[owner]][&no];
                let allowed = by == owner && !withdrawn && places != p;
                prop_assert_eq!(
                    res.is_ok(),
                    allowed,
                    "step {}: amend by {} of {}'s offer {}: {:?}",
                    step,
                    by,
                    owner,
                    no,
                    res.err()
                );
                if allowed {
                    model.get_mut(GMS[owner]).unwrap().insert(no, (places, false));
                }
            }
            Op::Withdraw { by, owner, k } => {
                let Some(no) = target(owner, k, &model) else { continue };
                let res = store.withdraw_offer(&act(&store, &who(by), "2024-04-02").await, &id, no).await;
                let (p, withdrawn) = model[GMS[owner]][&no];
                let allowed = by == owner && !withdrawn;
                prop_assert_eq!(res.is_ok(), allowed, "step {}: withdraw by {} of {}'s offer {}", step, by, owner, no);
                if allowed {
                    model.get_mut(GMS[owner]).unwrap().insert(no, (p, true));
                }
            }
        }
        let after = store.offers(&id, None).await.unwrap();
        for g in GMS {
            prop_assert_eq!(view(&after, g), model[g].clone(), "step {}: {}'s record differs from the model", step, g);
        }
    }
    prop_assert!(store.verify_audit().await.is_ok());
    store.close().await;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn amending_and_withdrawing_never_change_another_municipalitys_record(ops in prop::collection::vec(op(), 1..25)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(run(ops))?;
    }
}
