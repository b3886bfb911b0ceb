//! Apportionment: turning exact shares into whole places, exactly.
//!
//! Five classical methods (Balinski & Young, *Fair Representation*, 2nd ed. 2001):
//!
//! | method | rule | property |
//! |---|---|---|
//! | Hamilton (largest remainder, Hare–Niemeyer) | floor of the quota, leftover places to the largest remainders | satisfies the quota rule; Alabama and population paradoxes possible |
//! | Webster / Sainte-Laguë | divisor method, standard rounding (D(s) = s + ½) | house- and population-monotone, unbiased |
//! | Jefferson / D'Hondt | divisor method, rounding down (D(s) = s + 1) | monotone, favours large units |
//! | Huntington–Hill | divisor method, geometric rounding (D(s) = √(s(s+1))) | monotone, used for the US House |
//! | Adams | divisor method, rounding up (D(s) = s) | monotone, favours small units |
//!
//! No method is both quota-satisfying and monotone (Balinski–Young impossibility), so a
//! binding decision must name its method (DOMAIN.md §3) — every result here carries it.
//!
//! **Exactness.** Weights are whole numbers (decimals are scaled to a common
//! denominator first, see [`crate::decimal`]); every comparison is a cross-multiplication
//! of integers, never a float. Small inputs run on `u128`; when a product could overflow
//! the same code runs on arbitrary-precision integers.
//!
//! **Tie-break (declared, deterministic).** When two candidates are exactly equal — the
//! same remainder (Hamilton) or the same average (divisor methods) — the unit with the
//! larger weight goes first; if the weights are equal too, the unit whose identifier
//! sorts first (byte order) goes first. The law and the Besluit name no tie rule; this one
//! is independent of input order and of scaling all weights, and is published with
//! every result.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fmt;
use std::str::FromStr;

use num_bigint::BigUint;
use num_integer::Integer;
use num_traits::{ToPrimitive, Zero};
use serde::{Deserialize, Serialize};

use crate::error::CoreError;

/// An apportionment method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Largest remainder (Hamilton, Hare–Niemeyer).
    Hamilton,
    /// Webster / Sainte-Laguë: divisor method with standard rounding.
    Webster,
    /// Jefferson / D'Hondt: divisor method rounding down.
    Dhondt,
    /// Huntington–Hill: divisor method with geometric-mean rounding.
    HuntingtonHill,
    /// Adams: divisor method rounding up.
    Adams,
}

impl Method {
    pub const ALL: [Method; 5] =
        [Method::Hamilton, Method::Webster, Method::Dhondt, Method::HuntingtonHill, Method::Adams];

    /// The name used on the command line, in key files and in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Method::Hamilton => "hamilton",
            Method::Webster => "webster",
            Method::Dhondt => "dhondt",
            Method::HuntingtonHill => "huntington-hill",
            Method::Adams => "adams",
        }
    }

    /// A sentence for explanations, in plain language.
    pub fn describe(self) -> &'static str {
        match self {
            Method::Hamilton => {
                "largest remainder (Hamilton): everyone first gets the whole part of their exact share; \
                 the places left over go one each to the largest fractional parts"
            }
            Method::Webster => {
                "Webster/Sainte-Laguë: a common divisor is chosen so that rounding every share \
                 the usual way (from .5 up) adds up to the total"
            }
            Method::Dhondt => {
                "Jefferson/D'Hondt: a common divisor is chosen so that rounding every share down adds up to the total"
            }
            Method::HuntingtonHill => {
                "Huntington–Hill: a common divisor is chosen so that rounding every share at the geometric mean \
                 of the two nearest whole numbers adds up to the total"
            }
            Method::Adams => "Adams: a common divisor is chosen so that rounding every share up adds up to the total",
        }
    }

    pub fn is_divisor(self) -> bool {
        self != Method::Hamilton
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Method {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        Ok(match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "hamilton" | "largest-remainder" | "hare-niemeyer" | "hare" => Method::Hamilton,
            "webster" | "sainte-lague" | "saint-lague" => Method::Webster,
            "dhondt" | "d'hondt" | "jefferson" => Method::Dhondt,
            "huntington-hill" | "hill" => Method::HuntingtonHill,
            "adams" => Method::Adams,
            other => {
                return Err(CoreError::invalid(format!(
                    "unknown method '{other}': use one of hamilton, webster, dhondt, huntington-hill, adams"
                )));
            }
        })
    }
}

/// The average (priority) at which one place was, or was not, awarded in a divisor
/// method: `weight / D(seat_index)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Average {
    /// Index of the unit.
    pub unit: usize,
    /// The place in question is the unit's `seat_index + 1`-th.
    pub seat_index: u64,
    /// Float rendering for display only; `None` when infinite (Adams/Huntington–Hill first place).
    pub approx: Option<f64>,
}

/// How the rounding step went, for explanations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Step {
    LargestRemainder {
        /// Sum of the whole parts of the quotas.
        whole_parts: u64,
        /// For each unit that received a leftover place: its rank (1 = largest remainder).
        leftover_rank: Vec<Option<u64>>,
    },
    Divisor {
        /// The smallest average that still won a place (a valid divisor).
        last_awarded: Option<Average>,
        /// The largest average that did not win a place.
        first_refused: Option<Average>,
    },
}

/// The result of apportioning `total` places over weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Apportionment {
    pub method: Method,
    pub total: u64,
    /// Whole-number weights actually used (decimals already scaled).
    #[serde(skip)]
    pub weights: Vec<BigUint>,
    #[serde(skip)]
    pub total_weight: BigUint,
    /// Places per unit, in input order; they sum to `total`.
    pub seats: Vec<u64>,
    pub step: Step,
}

impl Apportionment {
    /// The exact quota of unit `i` as a fraction `total·wᵢ / W` (not reduced).
    pub fn quota(&self, i: usize) -> (BigUint, BigUint) {
        (BigUint::from(self.total) * &self.weights[i], self.total_weight.clone())
    }

    /// The quota as a decimal string with `digits` decimals (rounded half up), exactly.
    pub fn quota_decimal(&self, i: usize, digits: u32) -> String {
        let (n, d) = self.quota(i);
        crate::decimal::ratio_to_decimal(&n, &d, digits)
    }

    /// Whole part and fractional part (as numerator over `total_weight`).
    pub fn quota_floor(&self, i: usize) -> u64 {
        let (n, d) = self.quota(i);
        (n / d).to_u64().unwrap_or(u64::MAX)
    }
}

/// Apportion `total` places over units with whole-number `weights` (identified by `ids`,
/// used only for the tie-break). Weights may be zero; a zero weight never receives a place.
///
/// Errors: mismatched lengths, no units, all weights zero while `total > 0`, duplicate ids.
pub fn apportion<S: AsRef<str>>(
    method: Method,
    ids: &[S],
    weights: &[BigUint],
    total: u64,
) -> Result<Apportionment, CoreError> {
    if ids.len() != weights.len() {
        return Err(CoreError::invalid("internal: ids and weights differ in length"));
    }
    if ids.is_empty() {
        return Err(CoreError::invalid("nothing to apportion over: there are no units"));
    }
    let total_weight: BigUint = weights.iter().sum();
    if total_weight.is_zero() && total > 0 {
        return Err(CoreError::invalid(format!(
            "impossible total: {total} places cannot be apportioned when every weight is zero"
        )));
    }
    // Tie order: larger weight first, then smaller id. Computed once; position = preference.
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.sort_by(|&a, &b| weights[b].cmp(&weights[a]).then_with(|| ids[a].as_ref().cmp(ids[b].as_ref())));
    for w in order.windows(2) {
        if weights[w[0]] == weights[w[1]] && ids[w[0]].as_ref() == ids[w[1]].as_ref() {
            return Err(CoreError::invalid(format!(
                "duplicate id '{}': every unit needs its own identifier",
                ids[w[0]].as_ref()
            )));
        }
    }
    let mut tie_pos = vec![0usize; ids.len()];
    for (pos, &i) in order.iter().enumerate() {
        tie_pos[i] = pos;
    }
    let bits_w = total_weight.bits();
    let bits_n = 64 - (total + 2).leading_zeros() as u64;
    let needed = if method == Method::HuntingtonHill { 2 * (bits_w + bits_n) + 6 } else { bits_w + bits_n + 6 };
    let (seats, step) = if needed <= 127 {
        let w: Vec<u128> = weights.iter().map(|x| x.to_u128().expect("checked bits")).collect();
        run(method, &w, &tie_pos, total)
    } else {
        run(method, weights, &tie_pos, total)
    };
    Ok(Apportionment { method, total, weights: weights.to_vec(), total_weight, seats, step })
}

/// The integer arithmetic the methods need; implemented by `u128` (fast) and `BigUint`.
trait Int: Clone + Ord + Integer + From<u64> + ToPrimitive + fmt::Debug {}
impl<T: Clone + Ord + Integer + From<u64> + ToPrimitive + fmt::Debug> Int for T {}

fn run<T: Int>(method: Method, w: &[T], tie_pos: &[usize], total: u64) -> (Vec<u64>, Step) {
    match method {
        Method::Hamilton => hamilton(w, tie_pos, total),
        _ => divisor(method, w, tie_pos, total),
    }
}

fn hamilton<T: Int>(w: &[T], tie_pos: &[usize], total: u64) -> (Vec<u64>, Step) {
    let n = w.len();
    let big_w: T = w.iter().cloned().fold(T::zero(), |a, b| a + b);
    let mut seats = vec![0u64; n];
    let mut rems: Vec<T> = Vec::with_capacity(n);
    if big_w.is_zero() {
        return (seats, Step::LargestRemainder { whole_parts: 0, leftover_rank: vec![None; n] });
    }
    let nt = T::from(total);
    let mut whole = 0u64;
    for (i, wi) in w.iter().enumerate() {
        let (q, r) = (nt.clone() * wi.clone()).div_rem(&big_w);
        let q = q.to_u64().expect("whole part of a quota never exceeds the total");
        seats[i] = q;
        whole += q;
        rems.push(r);
    }
    let leftover = (total - whole) as usize; // < n: the remainders sum to less than n·W
    let mut leftover_rank = vec![None; n];
    if leftover > 0 {
        // Larger remainder first; ties: tie order (larger weight, then smaller id).
        let better = |a: &usize, b: &usize| rems[*b].cmp(&rems[*a]).then(tie_pos[*a].cmp(&tie_pos[*b]));
        let mut idx: Vec<usize> = (0..n).collect();
        if leftover < n {
            idx.select_nth_unstable_by(leftover - 1, better);
            idx.truncate(leftover);
        }
        idx.sort_by(better);
        for (rank, &i) in idx.iter().enumerate() {
            seats[i] += 1;
            leftover_rank[i] = Some(rank as u64 + 1);
        }
    }
    (seats, Step::LargestRemainder { whole_parts: whole, leftover_rank })
}

/// Scaled divisor D(s) of a divisor method, as an integer: comparisons of
/// `w / D(s)` are done as cross-products. For Huntington–Hill this is D(s)² = s(s+1)
/// and weights are squared before comparing. `None` means D = 0 (infinite priority).
fn scaled_d(method: Method, s: u64) -> Option<u64> {
    match method {
        Method::Dhondt => Some(s + 1),
        Method::Webster => Some(2 * s + 1),
        Method::Adams => (s > 0).then_some(s),
        Method::HuntingtonHill => (s > 0).then(|| s * (s + 1)),
        Method::Hamilton => unreachable!("Hamilton is not a divisor method"),
    }
}

/// Scale of the threshold so that `w·N·scale ≥ W·D(s)` means `w/D(s) ≥ W/N`.
fn threshold_scale(method: Method) -> u64 {
    if method == Method::Webster { 2 } else { 1 }
}

struct Ctx<'a, T> {
    method: Method,
    w: &'a [T],
    /// w² for Huntington–Hill, w otherwise: the numerator compared.
    num: Vec<T>,
    tie_pos: &'a [usize],
}

impl<T: Int> Ctx<'_, T> {
    /// Compare the priorities of (i, a) and (j, b): Greater when (i, a) goes first.
    fn cmp(&self, i: usize, a: u64, j: usize, b: u64) -> Ordering {
        let p = match (scaled_d(self.method, a), scaled_d(self.method, b)) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(da), Some(db)) => (self.num[i].clone() * T::from(db)).cmp(&(self.num[j].clone() * T::from(da))),
        };
        p.then(self.tie_pos[j].cmp(&self.tie_pos[i]))
    }

    fn approx(&self, i: usize, s: u64) -> Option<f64> {
        let w = self.w[i].to_f64()?;
        match self.method {
            Method::Dhondt => Some(w / (s as f64 + 1.0)),
            Method::Webster => Some(w / (s as f64 + 0.5)),
            Method::Adams => (s > 0).then(|| w / s as f64),
            Method::HuntingtonHill => (s > 0).then(|| w / ((s as f64) * (s as f64 + 1.0)).sqrt()),
            Method::Hamilton => None,
        }
    }
}

#[derive(PartialEq, Eq)]
struct Entry {
    i: usize,
    s: u64,
}

fn divisor<T: Int>(method: Method, w: &[T], tie_pos: &[usize], total: u64) -> (Vec<u64>, Step) {
    let n = w.len();
    let num: Vec<T> =
        if method == Method::HuntingtonHill { w.iter().map(|x| x.clone() * x.clone()).collect() } else { w.to_vec() };
    let ctx = Ctx { method, w, num, tie_pos };
    let mut seats = vec![0u64; n];
    let big_w: T = w.iter().cloned().fold(T::zero(), |a, b| a + b);
    if total == 0 || big_w.is_zero() {
        return (seats, Step::Divisor { last_awarded: None, first_refused: None });
    }
    // 1. Count, per unit, the places whose average is at least the threshold W/N. All
    //    units use the same threshold, so the places taken are a prefix of the global
    //    order of averages — the heap below then only finishes the prefix.
    let scale = T::from(threshold_scale(method));
    let (lhs_n, rhs_w) = if method == Method::HuntingtonHill {
        (T::from(total) * T::from(total), big_w.clone() * big_w.clone())
    } else {
        (T::from(total) * scale, big_w.clone())
    };
    let counts = |i: usize, s: u64| -> bool {
        if w[i].is_zero() {
            return false;
        }
        match scaled_d(method, s) {
            None => true,
            Some(d) => ctx.num[i].clone() * lhs_n.clone() >= rhs_w.clone() * T::from(d),
        }
    };
    let wf = big_w.to_f64().unwrap_or(f64::INFINITY);
    let mut sum = 0u64;
    for i in 0..n {
        if w[i].is_zero() {
            continue;
        }
        let x = w[i].to_f64().unwrap_or(0.0) * total as f64 / wf;
        let guess = match method {
            Method::Dhondt => x.floor(),
            Method::Webster => (x + 0.5).floor(),
            Method::Adams => x.floor() + 1.0,
            Method::HuntingtonHill => ((1.0 + 4.0 * x * x).sqrt() - 1.0) / 2.0 + 1.0,
            Method::Hamilton => unreachable!(),
        };
        let mut c = if guess.is_finite() && guess > 0.0 { (guess as u64).min(total + 1) } else { 0 };
        while c > 0 && !counts(i, c - 1) {
            c -= 1;
        }
        while c <= total && counts(i, c) {
            c += 1;
        }
        seats[i] = c;
        sum += c;
    }
    // 2. Finish: hand out or take back the places nearest the threshold.
    let by_priority = |a: &Entry, b: &Entry| ctx.cmp(a.i, a.s, b.i, b.s);
    if sum < total {
        let mut heap = BinaryHeap::from_iter(
            (0..n).filter(|&i| !w[i].is_zero()).map(|i| Keyed { e: Entry { i, s: seats[i] }, cmp: &by_priority }),
        );
        while sum < total {
            let top = heap.pop().expect("positive weights always have a next place");
            seats[top.e.i] += 1;
            sum += 1;
            heap.push(Keyed { e: Entry { i: top.e.i, s: top.e.s + 1 }, cmp: &by_priority });
        }
    } else if sum > total {
        let rev = |a: &Entry, b: &Entry| by_priority(b, a);
        let mut heap = BinaryHeap::from_iter(
            (0..n).filter(|&i| seats[i] > 0).map(|i| Keyed { e: Entry { i, s: seats[i] - 1 }, cmp: &rev }),
        );
        while sum > total {
            let last = heap.pop().expect("more places than the total means some unit has one");
            seats[last.e.i] -= 1;
            sum -= 1;
            if last.e.s > 0 {
                heap.push(Keyed { e: Entry { i: last.e.i, s: last.e.s - 1 }, cmp: &rev });
            }
        }
    }
    // 3. The boundary averages, for explanations.
    let last_awarded = (0..n)
        .filter(|&i| seats[i] > 0)
        .min_by(|&a, &b| ctx.cmp(a, seats[a] - 1, b, seats[b] - 1))
        .map(|i| Average { unit: i, seat_index: seats[i] - 1, approx: ctx.approx(i, seats[i] - 1) });
    let first_refused = (0..n)
        .filter(|&i| !w[i].is_zero())
        .max_by(|&a, &b| ctx.cmp(a, seats[a], b, seats[b]))
        .map(|i| Average { unit: i, seat_index: seats[i], approx: ctx.approx(i, seats[i]) });
    (seats, Step::Divisor { last_awarded, first_refused })
}

/// A heap entry ordered by a borrowed comparator.
struct Keyed<'c, F: Fn(&Entry, &Entry) -> Ordering> {
    e: Entry,
    cmp: &'c F,
}
impl<F: Fn(&Entry, &Entry) -> Ordering> PartialEq for Keyed<'_, F> {
    fn eq(&self, o: &Self) -> bool {
        (self.cmp)(&self.e, &o.e) == Ordering::Equal
    }
}
impl<F: Fn(&Entry, &Entry) -> Ordering> Eq for Keyed<'_, F> {}
impl<F: Fn(&Entry, &Entry) -> Ordering> PartialOrd for Keyed<'_, F> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<F: Fn(&Entry, &Entry) -> Ordering> Ord for Keyed<'_, F> {
    fn cmp(&self, o: &Self) -> Ordering {
        (self.cmp)(&self.e, &o.e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_u(method: Method, w: &[u64], total: u64) -> Vec<u64> {
        let ids: Vec<String> = (0..w.len()).map(|i| format!("u{i:05}")).collect();
        let ws: Vec<BigUint> = w.iter().map(|&x| BigUint::from(x)).collect();
        apportion(method, &ids, &ws, total).unwrap().seats
    }

    #[test]
    fn textbook_example_balinski_young() {
        // Weights 5117, 4400, 162, 161 with 10 places: the small units get a place only
        // under the methods that favour small units (values checked with the PyPI
        // `apportionment` package, methods.compute).
        let w = [5117, 4400, 162, 161];
        assert_eq!(run_u(Method::Hamilton, &w, 10), vec![5, 5, 0, 0]);
        assert_eq!(run_u(Method::Dhondt, &w, 10), vec![5, 5, 0, 0]);
        assert_eq!(run_u(Method::Webster, &w, 10), vec![5, 5, 0, 0]);
        assert_eq!(run_u(Method::Adams, &w, 10), vec![4, 4, 1, 1]);
        assert_eq!(run_u(Method::HuntingtonHill, &w, 10), vec![4, 4, 1, 1]);
    }

    #[test]
    fn exact_ties_go_to_the_larger_weight_then_the_smaller_id() {
        // 1 place over two identical weights: the id that sorts first wins, whatever the order.
        let ids = ["b", "a"];
        let w = [BigUint::from(1u8), BigUint::from(1u8)];
        for m in Method::ALL {
            assert_eq!(apportion(m, &ids, &w, 1).unwrap().seats, vec![0, 1], "{m}");
        }
    }

    #[test]
    fn zero_weight_never_gets_a_place() {
        for m in Method::ALL {
            assert_eq!(run_u(m, &[0, 3, 1], 4)[0], 0, "{m}");
        }
    }

    #[test]
    fn all_zero_weights_is_an_impossible_total() {
        let e = apportion(Method::Hamilton, &["a"], &[BigUint::zero()], 3).unwrap_err();
        assert!(e.to_string().contains("impossible total"));
    }

    #[test]
    fn big_weights_take_the_arbitrary_precision_path_and_agree() {
        let small = run_u(Method::HuntingtonHill, &[7, 5, 3], 11);
        let big: Vec<BigUint> = [7u64, 5, 3].iter().map(|&x| BigUint::from(x) << 200u32).collect();
        let got = apportion(Method::HuntingtonHill, &["a", "b", "c"], &big, 11).unwrap().seats;
        assert_eq!(got, small);
    }
}
