//! Keyed random numbers for behaviour. A draw is a pure function of (seed, path, purpose,
//! a, b): the same municipality in the same cycle gets the same number under every policy,
//! so two policies on one path are compared on common random numbers, and a draw that one
//! policy makes and another does not never shifts the others.

/// What a draw is for; part of its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    Heterogeneity = 1,
    Wealth = 2,
    Offer = 3,
    OfferDate = 4,
    OfferDelay = 5,
    Realise = 6,
    LeadTime = 7,
    LeadTail = 8,
    Comply = 9,
    ForecastError = 10,
    HostPick = 11,
    HostAccept = 12,
    LocationSize = 13,
    InitialHost = 14,
    InitialAccept = 15,
    InitialSize = 16,
    AdhocPick = 17,
    AdhocAccept = 18,
    AdhocSize = 19,
    DesignationDelay = 20,
}

#[inline]
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The key of one path's behaviour draws.
#[derive(Clone, Copy, Debug)]
pub struct Keyed {
    base: u64,
}

impl Keyed {
    pub fn new(seed: u64, path: u64) -> Self {
        Keyed { base: splitmix64(splitmix64(seed ^ 0x005E_ED0F_5107) ^ path.wrapping_mul(0xD1B5_4A32_D192_ED03)) }
    }

    #[inline]
    fn bits(&self, p: Purpose, a: u64, b: u64) -> u64 {
        splitmix64(splitmix64(splitmix64(self.base ^ (p as u64).wrapping_mul(0xA24B_AED4_963E_E407)) ^ a) ^ b)
    }

    /// Uniform in [0, 1).
    #[inline]
    pub fn uniform(&self, p: Purpose, a: u64, b: u64) -> f64 {
        (self.bits(p, a, b) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal (Box–Muller on two keyed uniforms).
    pub fn normal(&self, p: Purpose, a: u64, b: u64) -> f64 {
        let u1 = self.uniform(p, a, b.wrapping_mul(2)).max(1e-300);
        let u2 = self.uniform(p, a, b.wrapping_mul(2) + 1);
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_pure_functions_of_their_key() {
        let k = Keyed::new(7, 3);
        assert_eq!(k.uniform(Purpose::Offer, 1, 2), Keyed::new(7, 3).uniform(Purpose::Offer, 1, 2));
        assert_ne!(k.uniform(Purpose::Offer, 1, 2), k.uniform(Purpose::Offer, 2, 1));
        assert_ne!(k.uniform(Purpose::Offer, 1, 2), Keyed::new(7, 4).uniform(Purpose::Offer, 1, 2));
        assert_ne!(k.uniform(Purpose::Offer, 1, 2), k.uniform(Purpose::Realise, 1, 2));
    }

    #[test]
    fn uniforms_and_normals_have_the_right_moments() {
        let k = Keyed::new(1, 0);
        let n = 200_000;
        let (mut s, mut s2, mut m, mut m2) = (0.0, 0.0, 0.0, 0.0);
        for i in 0..n {
            let u = k.uniform(Purpose::Offer, i, 0);
            assert!((0.0..1.0).contains(&u));
            s += u;
            s2 += u * u;
            let z = k.normal(Purpose::Wealth, i, 0);
            m += z;
            m2 += z * z;
        }
        let n = n as f64;
        assert!((s / n - 0.5).abs() < 0.005);
        assert!((s2 / n - 1.0 / 3.0).abs() < 0.005);
        assert!((m / n).abs() < 0.01);
        assert!((m2 / n - 1.0).abs() < 0.02);
    }
}
