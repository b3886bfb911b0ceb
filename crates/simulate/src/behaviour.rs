//! Municipal behaviour, as an explicit model.
//!
//! Each municipality *i* has a propensity to host on the logit scale,
//!
//! ```text
//! ηᵢ = β₀ + β_w · wealthᵢ + σ · εᵢ            εᵢ ~ N(0, 1), drawn once per path
//! ```
//!
//! and says yes to an ask with probability
//!
//! - emergency places (noodopvang, crisisnoodopvang): `logistic(ηᵢ + β_h · hostsᵢ) · roomᵢ`
//! - durable places asked ad hoc (before the law):   `logistic(ηᵢ + δ_d + β_h · hostsᵢ) · roomᵢ`
//! - its remaining task in a cycle (law and voluntary): `logistic(ηᵢ + δ_d + β_h · hostsᵢ + δ_p)`
//!
//! where `hostsᵢ` is 1 when it hosts reception already (earlier hosting), `roomᵢ = max(0,
//! 1 − placesᵢ / (max_per_1000 · inhabitantsᵢ / 1000))` stops a municipality from hosting
//! beyond the highest concentration observed (Westerwolde, ≈ 70–77 per 1,000, docs/SIMULATION-SOURCES.md
//! §4.2), and `δ_p` is solved per cycle so that the population-weighted mean of the task
//! response equals the policy's `offer_rate`. `β₀` is solved so that the population-weighted
//! mean of `logistic(ηᵢ)` equals `adhoc_fill_rate` (docs/SIMULATION-SOURCES.md §4.3: 0–30 % of ad-hoc asks
//! were met). `β_w`, `σ` and `δ_d` are calibrated on 2022–2023 (docs/SIMULATION.md).
//!
//! **Wealth.** CBS SES-WOA scores per municipality are not available offline (docs/DOMAIN-BRIEF.md §7),
//! so `wealthᵢ` is a latent standard-normal score drawn per path: the model reproduces the
//! *strength* of the wealth gradient (the quartile shares of docs/SIMULATION-SOURCES.md §4.2), not which
//! municipality is rich. Asks go to municipalities in proportion to their inhabitants (larger
//! municipalities have more buildings and are asked more often).

use crate::params::Values;
use crate::rng::{Keyed, Purpose};

#[inline]
pub fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Solve `shift` so that Σ wᵢ · logistic(baseᵢ + shift) / Σ wᵢ = target (bisection; the mean
/// is increasing in the shift). A target of 0 or 1 gives ∓40 (a probability of ≈ 0 or 1).
pub fn solve_shift(base: &[f64], weights: &[f64], target: f64) -> f64 {
    let target = target.clamp(0.0, 1.0);
    let wsum: f64 = weights.iter().sum();
    let mean = |s: f64| base.iter().zip(weights).map(|(b, w)| w * logistic(b + s)).sum::<f64>() / wsum;
    let (mut lo, mut hi) = (-40.0, 40.0);
    if target <= mean(lo) {
        return lo;
    }
    if target >= mean(hi) {
        return hi;
    }
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if mean(mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The behaviour of the municipalities on one path.
#[derive(Clone, Debug)]
pub struct Municipalities {
    /// Propensity ηᵢ (logit).
    pub eta: Vec<f64>,
    /// Latent wealth score (standard normal).
    pub wealth: Vec<f64>,
    pub population: Vec<f64>,
    /// Cumulative inhabitants, for population-weighted picks.
    cum_pop: Vec<f64>,
    /// Most places each municipality can host.
    pub room_cap: Vec<f64>,
    pub intercept: f64,
    pub full_willingness: bool,
    prior: f64,
    durable_shift: f64,
}

impl Municipalities {
    pub fn new(population: &[u64], v: &Values, keyed: &Keyed, full_willingness: bool) -> Self {
        let n = population.len();
        let pop: Vec<f64> = population.iter().map(|&p| p as f64).collect();
        let wealth: Vec<f64> = (0..n).map(|i| keyed.normal(Purpose::Wealth, i as u64, 0)).collect();
        let noise: Vec<f64> = (0..n).map(|i| keyed.normal(Purpose::Heterogeneity, i as u64, 0)).collect();
        let base: Vec<f64> = (0..n).map(|i| v.wealth_gradient * wealth[i] + v.heterogeneity_sd * noise[i]).collect();
        let intercept = solve_shift(&base, &pop, v.adhoc_fill_rate);
        let eta = base.iter().map(|b| b + intercept).collect();
        let mut cum_pop = Vec::with_capacity(n);
        let mut c = 0.0;
        for p in &pop {
            c += p;
            cum_pop.push(c);
        }
        let room_cap = pop.iter().map(|p| v.max_per_1000 * p / 1000.0).collect();
        Municipalities {
            eta,
            wealth,
            population: pop,
            cum_pop,
            room_cap,
            intercept,
            full_willingness,
            prior: v.prior_hosting_effect,
            durable_shift: v.durable_shift,
        }
    }

    pub fn len(&self) -> usize {
        self.eta.len()
    }
    pub fn is_empty(&self) -> bool {
        self.eta.is_empty()
    }

    /// A municipality drawn in proportion to its inhabitants, from a uniform `u`.
    pub fn pick(&self, u: f64) -> usize {
        let total = *self.cum_pop.last().expect("municipalities");
        let x = u * total;
        self.cum_pop.partition_point(|&c| c <= x).min(self.len() - 1)
    }

    /// Probability that municipality `i` says yes to an ad-hoc ask.
    pub fn accept(&self, i: usize, durable: bool, hosts: bool) -> f64 {
        if self.full_willingness {
            return 1.0;
        }
        let shift = if durable { self.durable_shift } else { 0.0 };
        logistic(self.eta[i] + shift + if hosts { self.prior } else { 0.0 })
    }

    /// Room left for more places in municipality `i` that hosts `hosted` places now.
    pub fn room(&self, i: usize, hosted: f64) -> f64 {
        (self.room_cap[i] - hosted).max(0.0)
    }

    /// Probabilities of offering the remaining task in a cycle, with δ_p solved so that
    /// their population-weighted mean is `offer_rate`. `hosts[i]`: hosts reception now.
    pub fn offer_probabilities(&self, hosts: &[bool], offer_rate: f64) -> Vec<f64> {
        if self.full_willingness {
            return vec![1.0; self.len()];
        }
        let base: Vec<f64> = (0..self.len())
            .map(|i| self.eta[i] + self.durable_shift + if hosts[i] { self.prior } else { 0.0 })
            .collect();
        let shift = solve_shift(&base, &self.population, offer_rate);
        base.iter().map(|b| logistic(b + shift)).collect()
    }

    /// Population-weighted mean acceptance of an emergency ask by a municipality that hosts
    /// nothing yet (the model's ad-hoc fill rate; equals `adhoc_fill_rate` by construction).
    pub fn fill_rate(&self) -> f64 {
        let w: f64 = self.population.iter().sum();
        (0..self.len()).map(|i| self.population[i] * logistic(self.eta[i])).sum::<f64>() / w
    }
}

/// Find a host for a new location of `want` places: ask municipalities drawn in proportion
/// to their inhabitants until one says yes and has room (at most `MAX_ASKS`; then the one
/// with the most room). Returns (municipality, places it takes), places ≥ 1, or None when
/// no municipality has room left.
#[allow(clippy::too_many_arguments)]
pub fn find_host(
    m: &Municipalities,
    keyed: &Keyed,
    purpose_pick: Purpose,
    purpose_accept: Purpose,
    id: u64,
    want: u32,
    durable: bool,
    hosted: impl Fn(usize) -> f64,
    hosts: impl Fn(usize) -> bool,
) -> Option<(usize, u32)> {
    const MAX_ASKS: u64 = 400;
    for k in 0..MAX_ASKS {
        let i = m.pick(keyed.uniform(purpose_pick, id, k));
        let room = m.room(i, hosted(i)).floor();
        if room < 1.0 {
            continue;
        }
        let u = keyed.uniform(purpose_accept, id, k);
        if u < m.accept(i, durable, hosts(i)) {
            return Some((i, (f64::from(want)).min(room) as u32));
        }
    }
    // Nobody said yes in time: the municipality with the most room is instructed (the cabinet
    // did so in Dec 2021, docs/SIMULATION-SOURCES.md §4.3). Ties: lower index.
    let mut best: Option<(usize, f64)> = None;
    for i in 0..m.len() {
        let r = m.room(i, hosted(i)).floor();
        if r >= 1.0 && best.is_none_or(|(_, b)| r > b) {
            best = Some((i, r));
        }
    }
    best.map(|(i, r)| (i, (f64::from(want)).min(r) as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solve_shift_hits_the_target_mean() {
        let base = [-2.0, 0.0, 1.0, 3.0];
        let w = [1.0, 2.0, 3.0, 4.0];
        for target in [0.05, 0.2, 0.5, 0.9] {
            let s = solve_shift(&base, &w, target);
            let mean: f64 = base.iter().zip(&w).map(|(b, w)| w * logistic(b + s)).sum::<f64>() / 10.0;
            assert!((mean - target).abs() < 1e-9, "{target}: {mean}");
        }
    }

    #[test]
    fn picks_follow_population() {
        let v = crate::bundled::parameters().unwrap().values();
        let m = Municipalities::new(&[100, 300, 600], &v, &Keyed::new(1, 0), false);
        let mut counts = [0usize; 3];
        let k = Keyed::new(2, 0);
        for j in 0..60_000 {
            counts[m.pick(k.uniform(Purpose::HostPick, j, 0))] += 1;
        }
        assert!((counts[0] as f64 / 60_000.0 - 0.1).abs() < 0.01, "{counts:?}");
        assert!((counts[2] as f64 / 60_000.0 - 0.6).abs() < 0.01, "{counts:?}");
    }
}
