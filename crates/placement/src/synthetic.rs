//! A realistic **synthetic** generator of locations and households (never real data; ids
//! and names say "SYN"/"Synthetic"). Its shares are **assumptions**, set near the sourced
//! figures: about three quarters of beds in emergency reception, after the seed's "bijna
//! driekwart van de opvang" in (crisis)noodopvang locations (May 2025, seed §4; it does not
//! say whether it counts locations or places) — by residents the sourced share is lower, 52 %
//! on 6 Jan 2025 (COA noodopvang 41.9 %, municipal crisis locations 10.4 %; docs/SIMULATION-SOURCES.md
//! §1.1); and families in emergency reception with probability 1/4, against more than 6,600
//! children in (crisis)noodopvang (seed §4) — the number of all children in reception is not
//! in the sources.

use chrono::NaiveDate;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use spreiding_core::Netherlands;
use spreiding_core::location::{Location, LocationType, Operator};
use spreiding_core::quality::Group;

use crate::model::{AgeBand, Household, Member};

/// Share of beds per location type: ASSUMPTION, ≈ 3/4 emergency reception (see the module
/// doc: the seed's "bijna driekwart"; by residents 52 % on 6 Jan 2025, docs/SIMULATION-SOURCES.md
/// §1.1). The split between the types is an assumption too.
const TYPE_SHARES: [(LocationType, f64, (u32, u32)); 7] = [
    (LocationType::Noodopvang, 0.62, (120, 700)),
    (LocationType::Crisisnoodopvang, 0.13, (80, 400)),
    (LocationType::RegularAzc, 0.15, (300, 900)),
    (LocationType::MunicipalOperation, 0.03, (50, 250)),
    (LocationType::FamilyLocation, 0.02, (80, 250)),
    (LocationType::SmallScale, 0.01, (20, 80)),
    (LocationType::AmvSmallScale, 0.04, (16, 60)),
];

fn pick_municipality(nl: &Netherlands, rng: &mut Xoshiro256PlusPlus) -> usize {
    let total = nl.total_population();
    let mut r = rng.random_range(0..total);
    for (i, m) in nl.municipalities.iter().enumerate() {
        if r < m.population {
            return i;
        }
        r -= m.population;
    }
    nl.municipalities.len() - 1
}

/// `count` synthetic locations over the 342 municipalities (weighted by population) plus
/// one synthetic registration centre. Some data is deliberately missing (unknown), more
/// often in emergency reception.
pub fn locations(nl: &Netherlands, count: usize, seed: u64, date: NaiveDate) -> Vec<Location> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut out = Vec::with_capacity(count + 1);
    // Number of locations per type so that bed shares match: share / mean size.
    let weights: Vec<f64> = TYPE_SHARES.iter().map(|(_, s, (a, b))| s / ((a + b) as f64 / 2.0)).collect();
    let wsum: f64 = weights.iter().sum();
    for i in 0..count {
        let mut r = rng.random::<f64>() * wsum;
        let mut t = 0;
        while t + 1 < weights.len() && r >= weights[t] {
            r -= weights[t];
            t += 1;
        }
        let (kind, _, (lo, hi)) = TYPE_SHARES[t];
        let m = &nl.municipalities[pick_municipality(nl, &mut rng)];
        let beds = rng.random_range(lo..=hi);
        let operator = if kind == LocationType::MunicipalOperation || rng.random_bool(0.2) {
            Operator::Municipality
        } else {
            Operator::Coa
        };
        let mut l = Location::new(
            &format!("SYN-{:04}", i + 1),
            &format!("Synthetic {} {} {}", kind, m.name, i + 1),
            m.code,
            operator,
            kind,
            beds,
        );
        // Emergency reception: half upgraded (complete, good data), the rest patchy.
        let upgraded = !kind.is_emergency() || rng.random_bool(0.5);
        let (known, good) = if upgraded { (0.995, 0.995) } else { (0.7, 0.6) };
        let flag = |rng: &mut Xoshiro256PlusPlus| rng.random_bool(known).then(|| rng.random_bool(good));
        let f = &mut l.facilities;
        f.lockable_bedrooms = flag(&mut rng);
        f.separate_sanitary = flag(&mut rng);
        f.play_space = flag(&mut rng);
        f.open_air_space = flag(&mut rng);
        f.private_meeting_room = flag(&mut rng);
        f.step_free = flag(&mut rng);
        f.medical_post = flag(&mut rng);
        f.one_family_per_bedroom = flag(&mut rng);
        f.bed_and_cupboard_each = flag(&mut rng);
        f.sex_separated_bedrooms = flag(&mut rng);
        f.separated_from_adults = flag(&mut rng);
        let num = |rng: &mut Xoshiro256PlusPlus, good_range: (f64, f64), bad_range: (f64, f64)| {
            rng.random_bool(known).then(|| {
                let (a, b) = if rng.random_bool(good) { good_range } else { bad_range };
                a + (b - a) * rng.random::<f64>()
            })
        };
        l.m2_per_person = num(&mut rng, (4.0, 8.0), (2.5, 4.0)).map(|v| (v * 10.0).round() / 10.0);
        l.ceiling_height_m = num(&mut rng, (2.2, 3.2), (1.9, 2.1)).map(|v| (v * 100.0).round() / 100.0);
        let ppb = if kind.is_amv() { (1.0, 4.0) } else { (1.0, 6.0) };
        l.persons_per_bedroom = num(&mut rng, ppb, (7.0, 24.0)).map(|v| v.round() as u32);
        let a = &mut l.access;
        a.school_min = num(&mut rng, (3.0, 30.0), (31.0, 75.0)).map(|v| v as u32);
        a.gp_min = num(&mut rng, (3.0, 30.0), (31.0, 60.0)).map(|v| v as u32);
        a.hospital_min = num(&mut rng, (5.0, 45.0), (46.0, 90.0)).map(|v| v as u32);
        a.legal_aid_min = num(&mut rng, (5.0, 60.0), (61.0, 120.0)).map(|v| v as u32);
        a.shops_min = num(&mut rng, (2.0, 30.0), (31.0, 60.0)).map(|v| v as u32);
        a.school_access_days = num(&mut rng, (10.0, 60.0), (61.0, 150.0)).map(|v| v as u32);
        a.needs_assessment_days = num(&mut rng, (5.0, 30.0), (31.0, 90.0)).map(|v| v as u32);
        if kind == LocationType::Crisisnoodopvang {
            l.max_stay_days = num(&mut rng, (3.0, 7.0), (14.0, 60.0)).map(|v| v as u32);
        }
        let cost = super::model::default_cost_per_day(kind);
        l.cost_per_place_day =
            rng.random_bool(0.9).then(|| (cost * (0.8 + 0.4 * rng.random::<f64>()) * 100.0).round() / 100.0);
        l.opened = Some(date - chrono::Days::new(rng.random_range(30..3000)));
        let years: f64 = if kind.is_emergency() { rng.random_range(0.25..3.0) } else { rng.random_range(5.0..15.0) };
        l.durability_years = Some((years * 10.0).round() / 10.0);
        l.closing = Some(l.opened.unwrap() + chrono::Days::new((years * 365.0) as u64).max(chrono::Days::new(0)))
            .filter(|c| *c > date)
            .or(Some(date + chrono::Days::new(rng.random_range(30..365))));
        l.occupied = Some(0);
        out.push(l);
    }
    // One registration centre (aanmeldcentrum), where arrivals wait for a place: 2,000 beds
    // after Ter Apel's cap (agreement and court order with Westerwolde, docs/DOMAIN-BRIEF.md §5).
    let ter_apel = nl.municipalities.iter().find(|m| m.name == "Westerwolde").unwrap_or(&nl.municipalities[0]);
    let mut reg = Location::new(
        "SYN-AC",
        "Synthetic aanmeldcentrum",
        ter_apel.code,
        Operator::Coa,
        LocationType::RegistrationCentre,
        2000,
    );
    reg.occupied = Some(0);
    out.push(reg);
    out
}

fn member(rng: &mut Xoshiro256PlusPlus, age: AgeBand, settled: bool) -> Member {
    let mut needs = Vec::new();
    if !age.is_minor() {
        for (g, p) in [
            (Group::Disability, 0.03),
            (Group::Pregnant, 0.03),
            (Group::Lgbti, 0.02),
            (Group::Trafficking, 0.01),
            (Group::SeriousIllness, 0.04),
            (Group::MentalDisorder, 0.08),
            (Group::Torture, 0.05),
        ] {
            if rng.random_bool(p) {
                needs.push(g);
            }
        }
    } else if rng.random_bool(0.05) {
        needs.push(Group::MentalDisorder);
    }
    let in_school = settled && matches!(age, AgeBand::Child | AgeBand::Teen) && rng.random_bool(0.85);
    Member { age, needs, in_school }
}

fn child_age(rng: &mut Xoshiro256PlusPlus) -> AgeBand {
    match rng.random_range(0..18) {
        0 => AgeBand::Infant,
        1..=3 => AgeBand::Toddler,
        4..=11 => AgeBand::Child,
        _ => AgeBand::Teen,
    }
}

/// `count` synthetic households (ids `SYN-H000001`…). A share `arrivals` has no location
/// yet; the others live at the given locations (filled to at most 90 %), and the
/// locations' `occupied` is set to match. Families go to emergency reception with
/// probability 1/4 and other households with 0.85: ASSUMPTIONS (the sources give > 6,600
/// children in (crisis)noodopvang, seed §4, and children ≈ 0.19 of emergency-reception
/// residents, docs/SIMULATION-SOURCES.md §2, derived; not the share of all children).
pub fn households(locations: &mut [Location], count: usize, arrivals: f64, seed: u64) -> Vec<Household> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x5EED_0000_0000_0001);
    let mut out = Vec::with_capacity(count);
    let mut load: Vec<u32> = vec![0; locations.len()];
    let total_beds: u64 =
        locations.iter().filter(|l| l.kind != LocationType::RegistrationCentre).map(|l| l.beds as u64).sum();
    for i in 0..count {
        let arrival = rng.random_bool(arrivals.clamp(0.0, 1.0));
        let settled = !arrival;
        let r = rng.random::<f64>();
        let mut members = Vec::new();
        if r < 0.50 {
            members.push(member(&mut rng, AgeBand::Adult, settled));
        } else if r < 0.60 {
            members.push(member(&mut rng, AgeBand::Adult, settled));
            members.push(member(&mut rng, AgeBand::Adult, settled));
        } else if r < 0.64 {
            members.push(member(&mut rng, AgeBand::Senior, settled));
            let second = if rng.random_bool(0.5) { AgeBand::Senior } else { AgeBand::Adult };
            members.push(member(&mut rng, second, settled));
        } else if r < 0.94 {
            let parents = if r < 0.72 { 1 } else { 2 };
            for _ in 0..parents {
                members.push(member(&mut rng, AgeBand::Adult, settled));
            }
            for _ in 0..rng.random_range(1..=4) {
                let a = child_age(&mut rng);
                members.push(member(&mut rng, a, settled));
            }
        } else {
            // Unaccompanied minor (AMV), mostly 15–17.
            members.push(member(&mut rng, AgeBand::Teen, settled));
        }
        let mut h = Household { id: format!("SYN-H{:06}", i + 1), members, current: None, days_there: 0 };
        if !arrival {
            let family = h.members.iter().any(|m| m.age.is_minor()) && !h.is_unaccompanied();
            let want_emergency = if family { rng.random_bool(0.25) } else { rng.random_bool(0.85) };
            // Try a few random locations of the right kind with room (≤ 90 % full).
            for _ in 0..40 {
                let mut r = rng.random_range(0..total_beds.max(1));
                let mut idx = 0;
                for (j, l) in locations.iter().enumerate() {
                    if l.kind == LocationType::RegistrationCentre {
                        continue;
                    }
                    if r < l.beds as u64 {
                        idx = j;
                        break;
                    }
                    r -= l.beds as u64;
                }
                let l = &locations[idx];
                let right = l.kind.is_amv() == h.is_unaccompanied()
                    && (h.is_unaccompanied() || l.kind.is_emergency() == want_emergency);
                if right && (load[idx] + h.persons()) as f64 <= 0.9 * l.beds as f64 {
                    load[idx] += h.persons();
                    h.current = Some(l.id.clone());
                    let max_days = if l.kind == LocationType::Crisisnoodopvang { 21 } else { 700 };
                    h.days_there = rng.random_range(1..max_days);
                    break;
                }
            }
            if h.current.is_none() {
                for m in &mut h.members {
                    m.in_school = false;
                }
            }
        }
        out.push(h);
    }
    for (l, n) in locations.iter_mut().zip(&load) {
        l.occupied = Some(*n);
    }
    out
}
