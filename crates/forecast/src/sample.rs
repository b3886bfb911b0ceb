//! Random numbers for the simulation: one generator per path, derived from
//! (seed, path index) alone, so a path's numbers never depend on which thread ran it.
//!
//! Samplers return whole persons, so stocks stay integers and mass balance is exact.
//! - Poisson: exact (inversion below mean 10, Hörmann's PTRS transformed rejection above;
//!   W. Hörmann, "The transformed rejection method for generating Poisson random
//!   variables", Insurance: Mathematics and Economics 12, 1993).
//! - Binomial: exact inversion, searching from the mode (Kemp 1986), while the variance
//!   n·p·(1−p) is below 10; above it the
//!   normal approximation, rounded to the nearest whole person and clamped to [0, n]. Its
//!   mean and variance match the binomial's (tested); the remaining error is in the
//!   skewness, far below the model's other uncertainty, and it is what makes 10,000
//!   paths × 2 years fast enough.
//!
//! Speed without changing a number: what depends only on a rate is computed once (a
//! binomial rate's table of search thresholds per n, [`Tabled`]; a Poisson mean's set-up,
//! memoised per path), by the very operations the samplers would do per draw, so a seed gives
//! the same bytes as the plain samplers (tested draw for draw).

use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

/// Binomial variance above which the normal approximation is used.
pub const NORMAL_APPROX_MIN_VARIANCE: f64 = 10.0;

/// The random generator of one path, with a small memo of the Poisson sampler's set-up
/// (a path draws the same few means, one per stream and inflow, for weeks on end).
pub struct PathRng {
    xoshiro: Xoshiro256PlusPlus,
    poisson_memo: [PoissonSetup; MEMO],
    memo_next: usize,
}

/// Poisson means remembered per path.
const MEMO: usize = 4;

/// What the Poisson sampler computes from λ alone: e^−λ for inversion below 10, and PTRS's
/// constants and ln λ above it (Hörmann 1993, step 0).
#[derive(Clone, Copy, Debug)]
struct PoissonSetup {
    /// λ's bits; an empty slot holds a NaN pattern (NaN is never asked for).
    lambda_bits: u64,
    exp_neg: f64,
    a: f64,
    b: f64,
    inv_alpha: f64,
    vr: f64,
    ln_mu: f64,
}

impl PoissonSetup {
    const EMPTY: PoissonSetup =
        PoissonSetup { lambda_bits: u64::MAX, exp_neg: 0.0, a: 0.0, b: 0.0, inv_alpha: 0.0, vr: 0.0, ln_mu: 0.0 };

    fn new(mu: f64) -> PoissonSetup {
        if mu < 10.0 {
            return PoissonSetup { lambda_bits: mu.to_bits(), exp_neg: (-mu).exp(), ..PoissonSetup::EMPTY };
        }
        let smu = mu.sqrt();
        let b = 0.931 + 2.53 * smu;
        PoissonSetup {
            lambda_bits: mu.to_bits(),
            exp_neg: 0.0,
            a: -0.059 + 0.02483 * b,
            b,
            inv_alpha: 1.1239 + 1.1328 / (b - 3.4),
            vr: 0.9277 - 3.6224 / (b - 2.0),
            ln_mu: mu.ln(),
        }
    }
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl PathRng {
    /// The generator of path `path` under `seed`: a pure function of the two.
    pub fn new(seed: u64, path: u64) -> Self {
        let mut bytes = [0u8; 32];
        let mut s = splitmix64(seed) ^ splitmix64(path.wrapping_mul(0xD1B5_4A32_D192_ED03).wrapping_add(1));
        for chunk in bytes.chunks_mut(8) {
            s = splitmix64(s);
            chunk.copy_from_slice(&s.to_le_bytes());
        }
        PathRng {
            xoshiro: Xoshiro256PlusPlus::from_seed(bytes),
            poisson_memo: [PoissonSetup::EMPTY; MEMO],
            memo_next: 0,
        }
    }

    /// Uniform in [0, 1).
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        (self.xoshiro.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    #[inline]
    pub fn normal(&mut self) -> f64 {
        StandardNormal.sample(&mut self.xoshiro)
    }

    /// Poisson(λ), exact.
    pub fn poisson(&mut self, lambda: f64) -> u32 {
        if lambda <= 0.0 || lambda.is_nan() {
            return 0;
        }
        let c = self.poisson_setup(lambda);
        if lambda < 10.0 {
            // Inversion by sequential search.
            let mut p = c.exp_neg;
            let mut f = p;
            let u = self.uniform();
            let mut k = 0u32;
            while u > f && k < 1000 {
                k += 1;
                p *= lambda * recip(k);
                f += p;
            }
            return k;
        }
        self.ptrs(lambda, &c)
    }

    /// The quantities of λ both Poisson branches need, from the memo when λ is one of the
    /// last [`MEMO`] asked for: the same values either way, computed once instead of per draw.
    #[inline]
    fn poisson_setup(&mut self, lambda: f64) -> PoissonSetup {
        let bits = lambda.to_bits();
        if let Some(c) = self.poisson_memo.iter().find(|c| c.lambda_bits == bits) {
            return *c;
        }
        let c = PoissonSetup::new(lambda);
        self.poisson_memo[self.memo_next] = c;
        self.memo_next = (self.memo_next + 1) % MEMO;
        c
    }

    fn ptrs(&mut self, mu: f64, c: &PoissonSetup) -> u32 {
        let PoissonSetup { a, b, inv_alpha, vr, ln_mu, .. } = *c;
        loop {
            let u = self.uniform() - 0.5;
            let v = self.uniform();
            let us = 0.5 - u.abs();
            let x = (2.0 * a / us + b) * u + mu + 0.43;
            if x < 0.0 {
                continue;
            }
            // x ≥ 0, so truncation is floor.
            let k = (x as u64) as f64;
            if us >= 0.07 && v <= vr {
                return k as u32;
            }
            if us < 0.013 && v > us {
                continue;
            }
            if (v * inv_alpha / (a / (us * us) + b)).ln() <= -mu + k * ln_mu - ln_factorial(k) {
                return k as u32;
            }
        }
    }

    /// Binomial(n, p): exact for small variance, normal approximation above
    /// [`NORMAL_APPROX_MIN_VARIANCE`].
    pub fn binomial(&mut self, n: u32, p: f64) -> u32 {
        self.binomial_p(n, &Prob::untabled(p))
    }

    /// Binomial(n, p) with the quantities of p precomputed (the model's rates are fixed).
    ///
    /// Always inlined: the model draws about 22 of these per path and day, and as a call each
    /// one spilled its frame and serialised on the next; the exact branch stays out of line
    /// (`binomial_exact`) so the inlined part is small. Same operations, same numbers.
    #[inline(always)]
    pub fn binomial_p(&mut self, n: u32, p: &Prob) -> u32 {
        if n == 0 || p.p <= 0.0 {
            return 0;
        }
        if p.p >= 1.0 {
            return n;
        }
        let nf = f64::from(n);
        let var = nf * p.pq;
        if var >= NORMAL_APPROX_MIN_VARIANCE {
            // Round half up by truncation after clamping (no libm call).
            return (nf * p.p + nf.sqrt() * p.sqrt_pq * self.normal() + 0.5).clamp(0.0, nf + 0.25) as u32;
        }
        self.binomial_exact(n, p)
    }

    /// The exact branch of [`binomial_p`](Self::binomial_p): search from the tabulated mode.
    ///
    /// For a tabulated n the first [`STEPS`] thresholds of the search each way are read from
    /// the table instead of computed: they are the very values the search computes (the same
    /// operations in the same order, done once in [`Prob::new`]), so every uniform gives the
    /// same X as [`binomial_from_mode`](Self::binomial_from_mode), which goes on from where the
    /// table ends (tested draw for draw). The comparisons no longer wait on a chain of
    /// multiplications.
    #[inline(never)]
    fn binomial_exact(&mut self, n: u32, p: &Prob) -> u32 {
        let Some(t) = p.modes.get(n as usize) else {
            return self.binomial_from_mode(n, p.up, p.down, ModeEntry::binomial(n, p.p));
        };
        loop {
            let u = self.uniform();
            match t.lookup(u, n) {
                Lookup::Found(x) => return x,
                Lookup::Again => continue,
                Lookup::Down => return search_down(u, n, p.down, t.down_at),
                Lookup::Up => {
                    if let Some(x) = search_up(u, n, p.up, t.up_at) {
                        return x;
                    }
                    // Rounding left a sliver of probability above n: draw again.
                }
            }
        }
    }

    /// Exact binomial by inversion that starts at the mode (Kemp's search from the mode;
    /// C. D. Kemp, "A modal method for generating binomial variables", Communications in
    /// Statistics 15, 1986): the same distribution as inversion from 0, in about 0.8
    /// standard deviations of steps instead of mean + 1. `up` = p/q, `down` = q/p.
    #[inline]
    fn binomial_from_mode(&mut self, n: u32, up: f64, down: f64, e: ModeEntry) -> u32 {
        loop {
            let u = self.uniform();
            let at_mode = (e.mode, e.pmf, e.cdf);
            if u < e.cdf {
                return search_down(u, n, down, at_mode);
            }
            if let Some(x) = search_up(u, n, up, at_mode) {
                return x;
            }
            // Rounding left a sliver of probability above n: draw again.
        }
    }

    /// Poisson(λ) for a λ fixed in advance, from its precomputed mode: exact.
    #[inline]
    pub fn poisson_fixed(&mut self, l: &FixedPoisson) -> u32 {
        match l.mode {
            None => self.poisson(l.lambda),
            Some(e) => loop {
                let u = self.uniform();
                let (mut x, mut pmf, mut cdf) = (e.mode, e.pmf, e.cdf);
                if u < cdf {
                    loop {
                        let below = cdf - pmf;
                        if x == 0 || u >= below {
                            return x;
                        }
                        pmf *= f64::from(x) * l.inv_lambda;
                        cdf = below;
                        x -= 1;
                    }
                }
                while x < 1000 {
                    x += 1;
                    pmf *= l.lambda * recip(x);
                    cdf += pmf;
                    if u < cdf {
                        return x;
                    }
                }
            },
        }
    }
}

/// The mode of a binomial or Poisson distribution, its probability and P(X ≤ mode).
#[derive(Clone, Copy, Debug)]
pub struct ModeEntry {
    mode: u32,
    pmf: f64,
    cdf: f64,
}

impl ModeEntry {
    /// Binomial(n, p), 0 < p < 1.
    fn binomial(n: u32, p: f64) -> ModeEntry {
        let q = 1.0 - p;
        let m = ((f64::from(n) + 1.0) * p).floor().min(f64::from(n)) as u32;
        let (nf, mf) = (f64::from(n), f64::from(m));
        let ln_pmf = ln_factorial(nf) - ln_factorial(mf) - ln_factorial(nf - mf) + mf * p.ln() + (nf - mf) * q.ln();
        let pmf = ln_pmf.exp();
        // P(X ≤ m) by the recurrence pmf(x − 1) = pmf(x) · x/(n − x + 1) · q/p.
        let (mut cdf, mut r) = (pmf, pmf);
        for x in (1..=m).rev() {
            r *= f64::from(x) / f64::from(n - x + 1) * (q / p);
            cdf += r;
        }
        ModeEntry { mode: m, pmf, cdf: cdf.min(1.0) }
    }

    /// Poisson(λ), λ > 0.
    fn poisson(lambda: f64) -> ModeEntry {
        let m = lambda.floor() as u32;
        let mf = f64::from(m);
        let pmf = (mf * lambda.ln() - lambda - ln_factorial(mf)).exp();
        let (mut cdf, mut r) = (pmf, pmf);
        for x in (1..=m).rev() {
            r *= f64::from(x) / lambda;
            cdf += r;
        }
        ModeEntry { mode: m, pmf, cdf: cdf.min(1.0) }
    }
}

/// Search steps each way read from the table in the exact binomial branch.
const STEPS: usize = 8;

/// One tabulated n of a [`Prob`]: the mode entry and the search's first [`STEPS`] thresholds
/// each way, computed by the search's own operations.
#[derive(Clone, Copy, Debug)]
pub struct Tabled {
    mode: ModeEntry,
    /// `below` at downward step j (P(X < mode − j) as the search computes it); −∞ where the
    /// search has reached 0 and returns it whatever u is.
    down: [f64; STEPS],
    /// The cumulative probability after upward step i (P(X ≤ mode + i + 1)); +∞ past n, so
    /// the thresholds stay monotone and u never counts as past them.
    up: [f64; STEPS],
    /// The search's state (x, pmf, cdf) after the tabulated steps, to go on from.
    down_at: (u32, f64, f64),
    up_at: (u32, f64, f64),
}

/// What a [`Tabled`] says about a uniform u.
enum Lookup {
    /// The search would stop at this value.
    Found(u32),
    /// u lies in the sliver of probability that rounding left above n: draw again.
    Again,
    /// Go on searching downward from `down_at`.
    Down,
    /// Go on searching upward from `up_at`.
    Up,
}

impl Tabled {
    /// Run the search of binomial(n, ·) from the mode `e` for [`STEPS`] steps each way without
    /// u, recording its thresholds: exactly the loops of `search_down` and `search_up`
    /// (`up` = p/q, `down` = q/p), the same operations in the same order.
    fn new(n: u32, up: f64, down: f64, e: ModeEntry) -> Tabled {
        let mut t = Tabled {
            mode: e,
            down: [f64::NEG_INFINITY; STEPS],
            up: [f64::INFINITY; STEPS],
            down_at: (0, 0.0, 0.0),
            up_at: (0, 0.0, 0.0),
        };
        let (mut x, mut pmf, mut cdf) = (e.mode, e.pmf, e.cdf);
        for j in 0..STEPS {
            if x == 0 {
                break;
            }
            let below = cdf - pmf;
            t.down[j] = below;
            pmf *= f64::from(x) * down * recip(n - x + 1);
            cdf = below;
            x -= 1;
        }
        t.down_at = (x, pmf, cdf);
        let (mut x, mut pmf, mut cdf) = (e.mode, e.pmf, e.cdf);
        for i in 0..STEPS {
            if x >= n {
                break;
            }
            x += 1;
            pmf *= f64::from(n - x + 1) * up * recip(x);
            cdf += pmf;
            t.up[i] = cdf;
        }
        t.up_at = (x, pmf, cdf);
        t
    }

    /// Where u falls among the thresholds of this table's n. They are monotone, so the number
    /// of them u has passed is the step the search stops at: counted without a branch, and one
    /// well-predicted branch then leaves the table only for the rarer long searches.
    #[inline(always)]
    fn lookup(&self, u: f64, n: u32) -> Lookup {
        let j: u32 = self.down.iter().map(|&below| u32::from(u < below)).sum();
        let i: u32 = self.up.iter().map(|&c| u32::from(c <= u)).sum();
        let below = u < self.mode.cdf;
        let steps = STEPS as u32;
        if below {
            if j < steps { Lookup::Found(self.mode.mode - j) } else { Lookup::Down }
        } else if i < steps {
            let x = self.mode.mode + 1 + i;
            if x <= n { Lookup::Found(x) } else { Lookup::Again }
        } else {
            Lookup::Up
        }
    }
}

/// A Poisson mean fixed for the whole run (family reunification per day), with its mode
/// precomputed for the exact search from the mode (means below 10; PTRS above).
#[derive(Clone, Debug)]
pub struct FixedPoisson {
    pub lambda: f64,
    inv_lambda: f64,
    mode: Option<ModeEntry>,
}

impl FixedPoisson {
    pub fn new(lambda: f64) -> FixedPoisson {
        let ok = lambda > 0.0 && lambda < 10.0;
        FixedPoisson {
            lambda,
            inv_lambda: if ok { 1.0 / lambda } else { 0.0 },
            mode: ok.then(|| ModeEntry::poisson(lambda)),
        }
    }
}

/// A probability with the quantities the binomial sampler needs, including the mode
/// entry for every n the exact branch can see (so no exp or log per draw).
#[derive(Clone, Debug)]
pub struct Prob {
    pub p: f64,
    pq: f64,
    sqrt_pq: f64,
    up: f64,
    down: f64,
    modes: Vec<Tabled>,
}

impl Prob {
    /// A probability for many draws: tabulates the mode entries.
    pub fn new(p: f64) -> Prob {
        let mut prob = Prob::untabled(p);
        let len =
            if prob.pq > 0.0 { ((NORMAL_APPROX_MIN_VARIANCE / prob.pq).ceil() as usize + 1).min(1 << 12) } else { 0 };
        prob.modes =
            (0..len as u32).map(|n| Tabled::new(n, prob.up, prob.down, ModeEntry::binomial(n, prob.p))).collect();
        prob
    }

    /// A probability for a few draws: the mode entry is computed per draw (same values).
    pub fn untabled(p: f64) -> Prob {
        let p = if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) };
        let q = 1.0 - p;
        let pq = p * q;
        let (up, down) = if pq > 0.0 { (p / q, q / p) } else { (0.0, 0.0) };
        Prob { p, pq, sqrt_pq: pq.sqrt(), up, down, modes: Vec::new() }
    }
}

/// The downward half of the binomial search from the mode, from the state `(x, pmf, cdf)`
/// with `u < cdf`: X is the smallest x with F(x) > u, and F(x − 1) = F(x) − pmf(x).
/// `down` = q/p.
#[inline(always)]
fn search_down(u: f64, n: u32, down: f64, (mut x, mut pmf, mut cdf): (u32, f64, f64)) -> u32 {
    loop {
        let below = cdf - pmf;
        if x == 0 || u >= below {
            return x;
        }
        pmf *= f64::from(x) * down * recip(n - x + 1);
        cdf = below;
        x -= 1;
    }
}

/// The upward half, from the state `(x, pmf, cdf)` with `u ≥ cdf`; None when u lies in the
/// sliver of probability that rounding left above n. `up` = p/q.
#[inline(always)]
fn search_up(u: f64, n: u32, up: f64, (mut x, mut pmf, mut cdf): (u32, f64, f64)) -> Option<u32> {
    while x < n {
        x += 1;
        pmf *= f64::from(n - x + 1) * up * recip(x);
        cdf += pmf;
        if u < cdf {
            return Some(x);
        }
    }
    None
}

/// 1/k from a table for small k (division is the slow step of the inversion loops).
#[inline]
fn recip(k: u32) -> f64 {
    const N: usize = 64;
    const TABLE: [f64; N] = {
        let mut t = [0.0; N];
        let mut i = 1;
        while i < N {
            t[i] = 1.0 / i as f64;
            i += 1;
        }
        t
    };
    if (k as usize) < N { TABLE[k as usize] } else { 1.0 / f64::from(k) }
}

/// ln(k!) for integer-valued k ≥ 0.
fn ln_factorial(k: f64) -> f64 {
    const TABLE: [f64; 10] = [
        0.0,
        0.0,
        std::f64::consts::LN_2,
        1.791_759_469_228_055,
        3.178_053_830_347_146,
        4.787_491_742_782_046,
        6.579_251_212_010_101,
        8.525_161_361_065_415,
        10.604_602_902_745_25,
        12.801_827_480_081_469,
    ];
    if k < 10.0 {
        return TABLE[k as usize];
    }
    // Stirling series for ln Γ(k + 1).
    let x = k + 1.0;
    (x - 0.5) * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI).ln() + 1.0 / (12.0 * x) - 1.0 / (360.0 * x * x * x)
        + 1.0 / (1260.0 * x.powi(5))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let m = xs.iter().sum::<f64>() / n;
        let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
        (m, v)
    }

    #[test]
    fn poisson_has_mean_and_variance_lambda() {
        for lambda in [0.3, 4.0, 9.9, 10.5, 37.0, 96.0, 2500.0] {
            let mut r = PathRng::new(7, 3);
            let xs: Vec<f64> = (0..40_000).map(|_| f64::from(r.poisson(lambda))).collect();
            let (m, v) = moments(&xs);
            let se = (lambda / 40_000.0).sqrt();
            assert!((m - lambda).abs() < 5.0 * se, "λ={lambda}: mean {m}");
            assert!((v / lambda - 1.0).abs() < 0.05, "λ={lambda}: variance {v}");
        }
    }

    #[test]
    fn binomial_has_mean_and_variance_np() {
        for (n, p) in [(10u32, 0.3), (200, 0.01), (50, 0.97), (5000, 0.004), (40_000, 1.0 / 180.0), (1000, 0.5)] {
            let mut r = PathRng::new(11, 5);
            let xs: Vec<f64> = (0..40_000).map(|_| f64::from(r.binomial(n, p))).collect();
            let (m, v) = moments(&xs);
            let (em, ev) = (f64::from(n) * p, f64::from(n) * p * (1.0 - p));
            assert!((m - em).abs() < 5.0 * (ev / 40_000.0).sqrt() + 1e-9, "n={n} p={p}: mean {m} vs {em}");
            assert!((v / ev - 1.0).abs() < 0.06, "n={n} p={p}: variance {v} vs {ev}");
            assert!(xs.iter().all(|&x| x <= f64::from(n)));
        }
    }

    /// The search from the mode gives the exact binomial and Poisson probabilities:
    /// every frequency within 5 standard errors of the probability mass function.
    /// The tabulated thresholds give the very draws of the plain search from the mode, for
    /// every tabulated n of several rates (same generator state in, same X and state out).
    #[test]
    fn tabulated_search_gives_the_same_draws_as_the_plain_search() {
        for p in [0.5, 0.25, 0.07, 0.013, 0.0021, 0.9] {
            let prob = Prob::new(p);
            assert!(!prob.modes.is_empty());
            for n in (1..prob.modes.len() as u32).step_by(7) {
                let e = ModeEntry::binomial(n, prob.p);
                let (mut a, mut b) = (PathRng::new(n.into(), 11), PathRng::new(n.into(), 11));
                for _ in 0..200 {
                    let x = a.binomial_exact(n, &prob);
                    let y = b.binomial_from_mode(n, prob.up, prob.down, e);
                    assert_eq!(x, y, "Binomial({n}, {p})");
                }
                assert_eq!(a.uniform().to_bits(), b.uniform().to_bits(), "the generators stay in step");
            }
        }
    }

    /// The memo hands out the set-up of the λ asked for, also when more means than it holds
    /// take turns (so a memo hit never changes a draw).
    #[test]
    fn poisson_memo_gives_the_set_up_of_the_mean_asked_for() {
        let means = [85.0, 11.2, 9.76, 85.000_000_000_001, 3.0, 250.0];
        let mut r = PathRng::new(2, 7);
        for k in 0..200 {
            let lambda = means[(k * 7 + k / 5) % means.len()];
            let (got, fresh) = (r.poisson_setup(lambda), PoissonSetup::new(lambda));
            let bits = |c: PoissonSetup| {
                [
                    c.lambda_bits,
                    c.exp_neg.to_bits(),
                    c.a.to_bits(),
                    c.b.to_bits(),
                    c.inv_alpha.to_bits(),
                    c.vr.to_bits(),
                    c.ln_mu.to_bits(),
                ]
            };
            assert_eq!(bits(got), bits(fresh), "λ={lambda}");
        }
    }

    #[test]
    fn search_from_the_mode_matches_the_exact_pmf() {
        let draws = 200_000usize;
        let check = |name: &str, counts: &[usize], pmf: &dyn Fn(usize) -> f64| {
            for (x, &c) in counts.iter().enumerate() {
                let p = pmf(x);
                let se = (p * (1.0 - p) / draws as f64).sqrt();
                let f = c as f64 / draws as f64;
                assert!((f - p).abs() <= 5.0 * se + 1e-6, "{name}: P(X={x}) = {p}, observed {f}");
            }
        };
        for (n, p) in [(30u32, 0.2), (12, 0.75), (400, 0.01)] {
            let prob = Prob::new(p);
            let mut r = PathRng::new(3, 1);
            let mut counts = vec![0usize; n as usize + 1];
            for _ in 0..draws {
                counts[r.binomial_p(n, &prob) as usize] += 1;
            }
            let ln_pmf = |x: usize| {
                let (nf, xf) = (f64::from(n), x as f64);
                ln_factorial(nf) - ln_factorial(xf) - ln_factorial(nf - xf) + xf * p.ln() + (nf - xf) * (1.0 - p).ln()
            };
            check(&format!("binomial({n}, {p})"), &counts, &|x| ln_pmf(x).exp());
        }
        let lambda = 9.76;
        let fixed = FixedPoisson::new(lambda);
        let mut r = PathRng::new(4, 2);
        let mut counts = vec![0usize; 60];
        for _ in 0..draws {
            counts[(r.poisson_fixed(&fixed) as usize).min(59)] += 1;
        }
        check("poisson(9.76)", &counts[..40], &|x| {
            let xf = x as f64;
            (xf * lambda.ln() - lambda - ln_factorial(xf)).exp()
        });
    }

    #[test]
    fn ln_factorial_is_continuous_at_the_table_edge() {
        let exact_10 = 15.104_412_573_075_516; // ln(10!)
        assert!((ln_factorial(10.0) - exact_10).abs() < 1e-9);
    }

    #[test]
    fn path_streams_depend_only_on_seed_and_path() {
        let a: Vec<u32> = (0..5).map(|_| PathRng::new(1, 9).poisson(50.0)).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let mut x = PathRng::new(1, 9);
        let mut y = PathRng::new(1, 10);
        let xs: Vec<u32> = (0..20).map(|_| x.poisson(50.0)).collect();
        let ys: Vec<u32> = (0..20).map(|_| y.poisson(50.0)).collect();
        assert_ne!(xs, ys);
    }
}
