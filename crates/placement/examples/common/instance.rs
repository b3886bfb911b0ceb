//! The SYNTHETIC benchmark instance shared by the placement examples and benches:
//! `locations` synthetic locations over the 342 municipalities plus one registration
//! centre, and `households` arriving households (seed 1, 27 Nov 2026). `bed_factor`
//! multiplies every location's beds (an ASSUMPTION for the scale test: a national year of
//! arrivals needs more beds than 1,000 synthetic locations of today's sizes have).
use spreiding_core::bundled;
use spreiding_core::location::LocationType;
use spreiding_core::quality::Framework;
use spreiding_placement::{Instance, Mode, Weights, synthetic as syn};

pub fn synthetic(households: usize, locations: usize, bed_factor: f64) -> Instance {
    let nl = bundled::netherlands().unwrap();
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    let mut locs = syn::locations(&nl, locations, 1, date);
    for l in locs.iter_mut().filter(|l| l.kind != LocationType::RegistrationCentre) {
        l.beds = (l.beds as f64 * bed_factor).round() as u32;
    }
    let households = syn::households(&mut locs, households, 1.0, 1);
    Instance {
        locations: locs,
        households,
        framework: Framework::bundled(),
        date,
        mode: Mode::Arrivals,
        weights: Weights::default(),
    }
}

/// Arguments `HOUSEHOLDS LOCATIONS BED_FACTOR` (defaults 40,000, 400, 1).
#[allow(dead_code)]
pub fn from_args(args: &mut impl Iterator<Item = String>) -> (usize, usize, f64) {
    let households = args.next().and_then(|a| a.parse().ok()).unwrap_or(40_000);
    let locations = args.next().and_then(|a| a.parse().ok()).unwrap_or(400);
    let bed_factor = args.next().and_then(|a| a.parse().ok()).unwrap_or(1.0);
    (households, locations, bed_factor)
}
