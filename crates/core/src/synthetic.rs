//! A **synthetic** EU of local units, to run the key engine at the size of the EU's
//! ~98,000 local administrative units (LAU) with 27 member states as groups.
//!
//! Nothing here is real data and nothing here is a rule of law: codes start with `SYN`,
//! names with "Synthetic", the set's source says SYNTHETIC, and every figure is an
//! **assumption** chosen only for a realistic scale — units per state spread unevenly
//! (Zipf-like), inhabitants per unit log-normal with median 1,500 (mean ≈ 4,600, about the
//! EU's 450 million over 98,000 units), GDP per inhabitant €15,000–€90,000 per state with
//! ±30 % per unit. A real LAU file (Eurostat) can replace it through `--regions` and
//! `--indicators` with the same columns. Deterministic: the same seed gives the same bytes.

use std::collections::{BTreeMap, HashMap};

use num_bigint::BigInt;
use num_rational::BigRational;

use crate::key::Indicators;
use crate::region::{Region, RegionSet};

/// The synthetic pool: the region set (units in member-state groups) and each unit's GDP
/// in thousands of euros.
pub struct SyntheticPool {
    pub set: RegionSet,
    pub gdp_thousand_eur: Vec<u64>,
}

/// The indicator name the EU key (`keys/eu-ammr-2024.toml`) reads for GDP.
pub const GDP: &str = "bbp";

/// splitmix64: a small, well-known generator; enough for synthetic figures (not for
/// anything random in the law's sense).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u = 1.0 - self.unit();
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// `units` synthetic local units in `states` synthetic member states.
pub fn eu_local_units(units: usize, states: usize, seed: u64) -> SyntheticPool {
    let states = states.max(1);
    let mut rng = SplitMix(seed ^ 0x5359_4e54_4845_5449); // "SYNTHETI"
    // Units per state: Zipf-like weights 1/(k+1)^0.8, shuffled, at least one unit each.
    let weights: Vec<f64> = (0..states).map(|k| 1.0 / ((k + 1) as f64).powf(0.8)).collect();
    let mut order: Vec<usize> = (0..states).collect();
    for i in (1..states).rev() {
        order.swap(i, (rng.next() % (i as u64 + 1)) as usize);
    }
    let wsum: f64 = weights.iter().sum();
    let spare = units.saturating_sub(states);
    let mut counts: Vec<usize> = order.iter().map(|&k| 1 + (spare as f64 * weights[k] / wsum) as usize).collect();
    let mut short = units.saturating_sub(counts.iter().sum());
    let mut s = 0;
    while short > 0 {
        counts[s % states] += 1;
        short -= 1;
        s += 1;
    }
    let mut regions = Vec::with_capacity(units);
    let mut gdp = Vec::with_capacity(units);
    for (st, &count) in counts.iter().enumerate() {
        let group = format!("SYN{:02}", st + 1);
        let group_name = format!("Synthetic member state {:02}", st + 1);
        let per_head = 15.0 + 75.0 * rng.unit(); // thousand euros per inhabitant
        for u in 0..count {
            let population = (1500.0 * (1.5 * rng.normal()).exp()).round().clamp(10.0, 4_000_000.0) as u64;
            let code = format!("{group}-{:05}", u + 1);
            regions.push(Region {
                code: code.parse().expect("synthetic codes are valid"),
                name: format!("Synthetic unit {code}"),
                group: group.parse().expect("synthetic codes are valid"),
                group_name: group_name.clone(),
                population,
            });
            gdp.push((population as f64 * per_head * (0.7 + 0.6 * rng.unit())).round() as u64);
        }
    }
    let set = RegionSet {
        source: format!("SYNTHETIC EU local units (seed {seed}, {units} units, {states} member states)"),
        population_date: None,
        regions,
    };
    SyntheticPool { set, gdp_thousand_eur: gdp }
}

impl SyntheticPool {
    /// The GDP column as key indicators (in millions of euros, exact to the thousand).
    pub fn indicators(&self) -> Indicators {
        let million = BigInt::from(1000);
        let col: HashMap<String, BigRational> = self
            .set
            .regions
            .iter()
            .zip(&self.gdp_thousand_eur)
            .map(|(r, &g)| (r.code.as_str().to_ascii_uppercase(), BigRational::new(g.into(), million.clone())))
            .collect();
        Indicators {
            columns: BTreeMap::from([(GDP.to_string(), col)]),
            sources: BTreeMap::from([(GDP.to_string(), self.set.source.clone())]),
        }
    }

    /// The region CSV (`code,name,group_code,group_name,population`) that `--regions` reads.
    pub fn regions_csv(&self) -> String {
        let mut s = String::with_capacity(self.set.regions.len() * 64);
        s.push_str("code,name,group_code,group_name,population\n");
        for r in &self.set.regions {
            s.push_str(&format!("{},{},{},{},{}\n", r.code, r.name, r.group, r.group_name, r.population));
        }
        s
    }

    /// The GDP CSV (`code,bbp`, € million) that `--indicators` reads.
    pub fn gdp_csv(&self) -> String {
        let mut s = String::with_capacity(self.set.regions.len() * 24);
        s.push_str("code,bbp\n");
        for (r, g) in self.set.regions.iter().zip(&self.gdp_thousand_eur) {
            s.push_str(&format!("{},{}.{:03}\n", r.code, g / 1000, g % 1000));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_labels_and_determinism() {
        let a = eu_local_units(2_000, 27, 7);
        assert_eq!(a.set.regions.len(), 2_000);
        let groups: std::collections::BTreeSet<_> = a.set.regions.iter().map(|r| r.group.as_str()).collect();
        assert_eq!(groups.len(), 27);
        assert!(a.set.regions.iter().all(|r| r.code.as_str().starts_with("SYN") && r.name.starts_with("Synthetic")));
        assert!(a.set.source.starts_with("SYNTHETIC"));
        let b = eu_local_units(2_000, 27, 7);
        assert_eq!(a.regions_csv(), b.regions_csv());
        assert_eq!(a.gdp_csv(), b.gdp_csv());
        assert_ne!(a.regions_csv(), eu_local_units(2_000, 27, 8).regions_csv());
        // The CSV text reads back as the same set and indicators.
        let set = RegionSet::parse_csv("r.csv", &a.regions_csv()).unwrap();
        assert_eq!(set.regions, a.set.regions);
        let mut ind = Indicators::default();
        ind.add_csv("g.csv", &a.gdp_csv()).unwrap();
        assert_eq!(ind.columns[GDP], a.indicators().columns[GDP]);
    }
}
