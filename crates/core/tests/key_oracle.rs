//! The key engine against an independent model: on random keys (one to three terms with
//! signed fractional weights, decimal and negative indicators, an optional correction, with
//! and without flooring) and random region sets, `run_key` must give the same whole weights
//! and the same places as the definition evaluated directly in exact rationals here — the
//! weighted sum of shares, the correction, the floor, the least common multiple of the
//! denominators (the module doc of `spreiding_core::key`) — and fail exactly when that model has no valid answer.
//!
//! `run_key` computes in 128-bit integers when it can and falls back to arbitrary
//! precision; the huge-value cases force the fallback, so both paths are covered.

use num_bigint::{BigInt, BigUint};
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Signed, Zero};
use proptest::prelude::*;
use spreiding_core::key::{Indicators, KeyDefinition, run_key};
use spreiding_core::{Method, RegionSet, apportion};

#[derive(Clone, Debug)]
struct Case {
    populations: Vec<u64>,
    /// Per indicator column: values as decimal text.
    columns: Vec<Vec<String>>,
    /// (column index or None for population, weight as "p/q" text)
    terms: Vec<(Option<usize>, String)>,
    correction: Option<(usize, String, String)>,
    floor: bool,
    method: Method,
    total: u64,
}

fn decimal() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (-2_000_000i64..20_000_000, 0u32..4).prop_map(|(m, k)| text(m as i128, k)),
        1 => (1i128..1_000_000_000_000_000_000_000_000_000, 0u32..3).prop_map(|(m, k)| text(m, k)),
        1 => Just("0".to_string()),
    ]
}

fn text(m: i128, k: u32) -> String {
    let neg = m < 0;
    let digits = format!("{:0>width$}", m.unsigned_abs(), width = k as usize + 1);
    let (int, frac) = digits.split_at(digits.len() - k as usize);
    let body = if frac.is_empty() { int.to_string() } else { format!("{int}.{frac}") };
    if neg { format!("-{body}") } else { body }
}

fn fraction() -> impl Strategy<Value = String> {
    (-5i64..=5, 1i64..=7).prop_map(|(p, q)| format!("{p}/{q}"))
}

fn case() -> impl Strategy<Value = Case> {
    (1usize..25, 0usize..3).prop_flat_map(|(n, k)| {
        (
            prop::collection::vec(1u64..5_000_000, n),
            prop::collection::vec(prop::collection::vec(decimal(), n), k),
            prop::collection::vec((prop::option::of(0..k.max(1)), fraction()), 1..4),
            prop::option::of((0..k.max(1), fraction(), fraction())),
            any::<bool>(),
            prop::sample::select(vec![
                Method::Hamilton,
                Method::Webster,
                Method::Dhondt,
                Method::HuntingtonHill,
                Method::Adams,
            ]),
            0u64..5_000,
        )
            .prop_map(move |(populations, columns, terms, correction, floor, method, total)| {
                let terms = terms.into_iter().map(|(c, w)| (c.filter(|_| k > 0), w)).collect();
                let correction = correction.filter(|_| k > 0);
                Case { populations, columns, terms, correction, floor, method, total }
            })
    })
}

fn name(c: Option<usize>) -> String {
    c.map_or("inwoners".to_string(), |c| format!("x{c}"))
}

fn inputs(case: &Case) -> (KeyDefinition, RegionSet, Indicators) {
    let n = case.populations.len();
    let mut toml = format!(
        "id='t'\nversion='1'\ntitle='t'\njurisdiction='X'\nstatus='illustrative'\nsource='test'\nmethod='{}'\nfloor_at_zero={}\n",
        case.method.name(),
        case.floor
    );
    for (c, w) in &case.terms {
        toml.push_str(&format!("[[terms]]\nindicator='{}'\nweight='{w}'\n", name(*c)));
    }
    if let Some((c, o, f)) = &case.correction {
        toml.push_str(&format!("[correction]\nindicator='x{c}'\noffset='{o}'\nfactor='{f}'\n"));
    }
    let def = KeyDefinition::parse("t.toml", &toml).unwrap();
    let mut csv = "code,name,group,group_name,population\n".to_string();
    for (i, p) in case.populations.iter().enumerate() {
        csv.push_str(&format!("r{i},R {i},G,G,{p}\n"));
    }
    let set = RegionSet::parse_csv("t.csv", &csv).unwrap();
    let mut ind = Indicators::default();
    if !case.columns.is_empty() {
        let mut t = "code".to_string();
        for c in 0..case.columns.len() {
            t.push_str(&format!(",x{c}"));
        }
        t.push('\n');
        for i in 0..n {
            t.push_str(&format!("R{i}"));
            for col in &case.columns {
                t.push_str(&format!(",{}", col[i]));
            }
            t.push('\n');
        }
        ind.add_csv("i.csv", &t).unwrap();
    }
    (def, set, ind)
}

fn exact(text: &str) -> BigRational {
    let (sign, body) = text.strip_prefix('-').map_or((1, text), |b| (-1, b));
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let digits: BigInt = format!("{int}{frac}").parse().unwrap();
    BigRational::new(digits * sign, BigInt::from(10u8).pow(frac.len() as u32))
}

fn frac(text: &str) -> BigRational {
    let (p, q) = text.split_once('/').unwrap();
    BigRational::new(p.parse::<BigInt>().unwrap(), q.parse::<BigInt>().unwrap())
}

/// The model: whole weights per region, or None when the key has no valid answer
/// (a non-positive column total, or a negative value without flooring).
fn model(case: &Case) -> Option<Vec<BigUint>> {
    let n = case.populations.len();
    let column = |c: Option<usize>| -> Vec<BigRational> {
        match c {
            None => case.populations.iter().map(|&p| BigRational::from_integer(p.into())).collect(),
            Some(c) => case.columns[c].iter().map(|v| exact(v)).collect(),
        }
    };
    let mut v = vec![BigRational::zero(); n];
    for (c, w) in &case.terms {
        let xs = column(*c);
        let sum: BigRational = xs.iter().sum();
        if !sum.is_positive() {
            return None;
        }
        for i in 0..n {
            v[i] += frac(w) * &xs[i] / &sum;
        }
    }
    if let Some((c, o, f)) = &case.correction {
        let cs = column(Some(*c));
        for i in 0..n {
            v[i] *= frac(o) + frac(f) * &cs[i];
        }
    }
    for x in &mut v {
        if x.is_negative() {
            if !case.floor {
                return None;
            }
            *x = BigRational::zero();
        }
    }
    let lcm = v.iter().fold(BigInt::one(), |a, x| a.lcm(x.denom()));
    Some(v.iter().map(|x| (x.numer() * (&lcm / x.denom())).to_biguint().unwrap()).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn run_key_matches_the_exact_model(case in case()) {
        let (def, set, ind) = inputs(&case);
        let got = run_key(&def, &set, &ind, case.total, None);
        match model(&case) {
            None => prop_assert!(got.is_err(), "the model has no answer, run_key gave one"),
            Some(weights) => {
                let all_zero = weights.iter().all(Zero::is_zero);
                if all_zero && case.total > 0 {
                    prop_assert!(got.is_err());
                    return Ok(());
                }
                let got = got.unwrap();
                let n = weights.len();
                let got_weights: Vec<BigUint> = (0..n).map(|i| got.apportionment.weight(i)).collect();
                prop_assert_eq!(&got_weights, &weights);
                let ids: Vec<String> = (0..n).map(|i| format!("r{i}")).collect();
                let expected = apportion(case.method, &ids, &weights, case.total).unwrap();
                prop_assert_eq!(got.seats(), &expected.seats[..]);
            }
        }
    }
}

/// The explanation values are the definition's: value(i) is the weighted share sum times
/// the correction, exactly.
#[test]
fn value_and_inputs_explain_the_weights() {
    let case = Case {
        populations: vec![123_457, 98_765, 54_321],
        columns: vec![vec!["-0.27".into(), "0.13".into(), "0.41".into()]],
        terms: vec![(None, "1/1".into())],
        correction: Some((0, "1/1".into(), "1/1".into())),
        floor: false,
        method: Method::Hamilton,
        total: 1000,
    };
    let (def, set, ind) = inputs(&case);
    let r = run_key(&def, &set, &ind, 1000, None).unwrap();
    let total: u64 = case.populations.iter().sum();
    let expected = BigRational::new(123_457.into(), total.into()) * exact("0.73");
    assert_eq!(r.value(0), expected);
    let inp = r.inputs(0);
    assert_eq!(inp[0].value, "123457");
    assert_eq!(inp[1].value, "-0.27");
    assert_eq!(r.correction(0), Some(exact("0.73")));
}
