//! Inputs that crashed a parser of outside input or what runs right after it, found while
//! writing the fuzz targets (fuzz/, docs/RELIABILITY.md). Each must now give an error naming
//! file, line and field.

use spreiding_core::reference::{netherlands_on, parse_population_long};
use spreiding_core::region::{Netherlands, ProvinceFile, RegionSet};

/// Two regions of 2^63 inhabitants in one province: the province total overflowed u64 in
/// `Netherlands::from_sets` (a panic in debug builds, a wrong total in release).
#[test]
fn region_population_beyond_any_country_is_refused() {
    let text = "gm_code,gm_naam,pv_code,pv_naam,inwoners_2026_01_01\n\
                GM0001,A,PV20,Groningen,9223372036854775808\n\
                GM0002,B,PV20,Groningen,9223372036854775808\n";
    let e = RegionSet::parse_csv("g.csv", text).unwrap_err().to_string();
    assert!(e.starts_with("g.csv:2: inwoners_2026_01_01: 9223372036854775808 inhabitants is more than"), "{e}");
    // The largest accepted figure still adds up without overflow.
    let ok = text.replace("9223372036854775808", "10000000000");
    let nl = Netherlands::from_sets(RegionSet::parse_csv("g.csv", &ok).unwrap(), None).unwrap();
    assert_eq!(nl.total_population(), 20_000_000_000);
    let e = ProvinceFile::parse("p.csv", "pv_code,pv_naam,aantal_gemeenten,inwoners\nPV20,G,2,18446744073709551615\n")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("p.csv:2: inwoners: 18446744073709551615 inhabitants is more than"), "{e}");
}

/// A vintage with figures near u64::MAX overflowed `PopulationVintage::total` and the
/// province sums of `reference::netherlands_on`.
#[test]
fn population_vintage_beyond_any_country_is_refused() {
    let text = "gm_code,peildatum,inwoners\nGM0014,2026-01-01,18446744073709551615\nGM0034,2026-01-01,1\n";
    let e = parse_population_long("p.csv", text).unwrap_err().to_string();
    assert!(e.starts_with("p.csv:2: inwoners: 18446744073709551615 inhabitants is more than"), "{e}");
    let nl = spreiding_core::bundled::netherlands().unwrap();
    let v = &parse_population_long("p.csv", &text.replace("18446744073709551615", "10000000000")).unwrap()[0];
    assert_eq!(v.total(), 10_000_000_001);
    assert!(netherlands_on(&nl, v).is_err(), "340 municipalities are missing");
}

/// Two clustered locations of 2^63 places overflowed the cluster total in
/// `distribution::count_durable` (and the credited sum per municipality after it).
#[test]
fn credit_places_beyond_any_location_are_refused() {
    use spreiding_core::distribution::{count_durable, parse_credit_locations};
    let nl = spreiding_core::bundled::netherlands().unwrap();
    let text = "locatie_id,gm_code,naam,plaatsen,jaren_beschikbaar,soort,cluster\n\
                L1,GM0363,A,9223372036854775808,10,azc,C1\n\
                L2,GM0363,B,9223372036854775808,10,azc,C1\n";
    let e = parse_credit_locations("c.csv", text, &nl).unwrap_err().to_string();
    assert!(e.starts_with("c.csv:2: plaatsen: 9223372036854775808 places at one location is implausible"), "{e}");
    let ok = text.replace("9223372036854775808", "100000");
    let counted = count_durable(&parse_credit_locations("c.csv", &ok, &nl).unwrap());
    assert!(counted.iter().all(|c| c.counted));
}
