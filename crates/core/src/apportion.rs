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
//! binding decision must name its method (docs/DOMAIN-BRIEF.md §3) — every result here carries it.
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
use std::num::NonZeroU32;
use std::str::FromStr;

use num_bigint::BigUint;
use num_integer::Integer;
use num_traits::{ToPrimitive, Zero};
use serde::{Deserialize, Serialize};

use crate::decimal::ratio_to_decimal;
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
    /// Independent rounding: every exact quota is rounded on its own, half up. **Not an
    /// apportionment method** — the places need not add up to the total. Declared so that a
    /// published table made this way can be reproduced exactly: the first cycle's provincial
    /// totals as reported add up to slightly more than 96,000, which would fit it
    /// (docs/DOMAIN-BRIEF.md §3, uncertain). Never used where a sum must hold (the decision, the AMV
    /// split inside a decision): there [`Method::exact`] gives Hamilton instead.
    RoundEach,
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
            Method::RoundEach => "round-each",
        }
    }

    /// Whether the method's places always add up to the total (every method but
    /// [`Method::RoundEach`]).
    pub fn sums_to_total(self) -> bool {
        self != Method::RoundEach
    }

    /// The method to use where the places must add up exactly: this one, or Hamilton for
    /// [`Method::RoundEach`] (declared in the decision's explanation).
    pub fn exact(self) -> Method {
        if self.sums_to_total() { self } else { Method::Hamilton }
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
            Method::RoundEach => {
                "independent rounding: every exact share is rounded on its own (from .5 up); the places need not \
                 add up to the total"
            }
        }
    }

    pub fn is_divisor(self) -> bool {
        !matches!(self, Method::Hamilton | Method::RoundEach)
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
            "round-each" | "independent" | "round-half-up" => Method::RoundEach,
            other => {
                return Err(CoreError::invalid(format!(
                    "unknown method '{other}': use one of hamilton, webster, dhondt, huntington-hill, adams \
                     (or round-each: every share rounded on its own, the sum may differ from the total)"
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
        /// (4 bytes per unit: the ranks of 100,000s of units are kept.)
        leftover_rank: Vec<Option<NonZeroU32>>,
    },
    Divisor {
        /// The smallest average that still won a place (a valid divisor).
        last_awarded: Option<Average>,
        /// The largest average that did not win a place.
        first_refused: Option<Average>,
    },
    /// Independent rounding ([`Method::RoundEach`]): the places add up to `sum`, which may
    /// differ from the total.
    RoundEach { sum: u64 },
}

/// The result of apportioning `total` places over weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Apportionment {
    pub method: Method,
    pub total: u64,
    /// Whole-number weights actually used (decimals already scaled).
    #[serde(skip)]
    weights: Weights,
    #[serde(skip)]
    pub total_weight: BigUint,
    /// Places per unit, in input order; they sum to `total`.
    pub seats: Vec<u64>,
    pub step: Step,
}

impl Apportionment {
    /// The rounding step for unit `i` in words (`unit`/`units`: what the units are, e.g.
    /// "municipality"/"municipalities"), with the numbers a reader can check by hand.
    pub fn explain_rounding(&self, i: usize, unit: &str, units: &str) -> String {
        let a = self;
        let (qn, qd) = a.quota(i);
        let floor = a.quota_floor(i);
        let task = a.seats[i];
        match &a.step {
            Step::LargestRemainder { whole_parts, leftover_rank } => {
                let left = a.total - whole_parts;
                match leftover_rank[i] {
                    Some(r) => format!(
                        "Whole part {floor}. The whole parts of all {units} add up to {whole_parts}, leaving \
                             {left} places; these go to the {left} largest fractional parts. This {unit}'s \
                             fraction ranks {r}, so it gets one more: {}.",
                        task
                    ),
                    None => format!(
                        "Whole part {floor}. The whole parts add up to {whole_parts}; the {left} places left over \
                             went to larger fractional parts than this one, so the task stays {}.",
                        task
                    ),
                }
            }
            Step::RoundEach { sum } => format!(
                "Independent rounding: the exact quota {} is rounded on its own, from .5 up, to {}. The tasks of all \
                     {units} then add up to {sum}, not exactly to the total of {} (the declared method round-each).",
                ratio_to_decimal(&qn, &qd, 4),
                task,
                a.total
            ),
            Step::Divisor { last_awarded, first_refused } => {
                // Averages are in whole-weight units; express the divisor relative to the
                // quota (quota ÷ d), which is what a reader can check.
                let per_quota = a.total as f64 / num_traits::ToPrimitive::to_f64(&a.total_weight).unwrap_or(f64::NAN);
                let fmt_avg = |x: &Option<Average>| {
                    x.as_ref()
                        .and_then(|v| v.approx)
                        .map(|v| format!("{:.6}", v * per_quota))
                        .unwrap_or_else(|| "∞".into())
                };
                format!(
                    "{}. Dividing every exact quota by a common divisor between {} (the largest average that did \
                         not win a place) and {} (the smallest that did) and rounding gives {} for this {unit} \
                         (exact quota {}).",
                    a.method.describe(),
                    fmt_avg(first_refused),
                    fmt_avg(last_awarded),
                    task,
                    ratio_to_decimal(&qn, &qd, 4)
                )
            }
        }
    }

    /// The exact quota of unit `i` as a fraction `total·wᵢ / W` (not reduced).
    pub fn quota(&self, i: usize) -> (BigUint, BigUint) {
        (BigUint::from(self.total) * self.weight(i), self.total_weight.clone())
    }

    /// The whole-number weight of unit `i` as used.
    pub fn weight(&self, i: usize) -> BigUint {
        match &self.weights {
            Weights::Small64(w) => BigUint::from(w[i]),
            Weights::Small(w) => BigUint::from(w[i]),
            Weights::Big(w) => w[i].clone(),
            // A result read back from JSON carries no weights.
            Weights::None => BigUint::zero(),
        }
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

/// Whole-number weights: machine integers when they fit, arbitrary precision otherwise.
#[derive(Clone, Debug, PartialEq, Default)]
enum Weights {
    /// Not serialised: a deserialised result has no weights.
    #[default]
    None,
    Small64(Vec<u64>),
    Small(Vec<u128>),
    Big(Vec<BigUint>),
}

/// Unit identifiers looked up by index: only the tie order reads them, so a caller with
/// 100,000s of units can keep them in one buffer instead of a slice of strings.
/// Identifiers must be unique.
pub trait UnitIds {
    /// How many units there are.
    fn count(&self) -> usize;
    /// The identifier of unit `i`.
    fn id(&self, i: usize) -> &str;
}

impl<S: AsRef<str>> UnitIds for [S] {
    fn count(&self) -> usize {
        self.len()
    }
    fn id(&self, i: usize) -> &str {
        self[i].as_ref()
    }
}

/// Apportion `total` places over units with whole-number `weights` (identified by `ids`,
/// used only for the tie-break). Weights may be zero; a zero weight never receives a place.
///
/// Identifiers must be unique (the region parsers and the CLI reject duplicates).
///
/// Errors: mismatched lengths, no units, all weights zero while `total > 0`.
pub fn apportion<S: AsRef<str>>(
    method: Method,
    ids: &[S],
    weights: &[BigUint],
    total: u64,
) -> Result<Apportionment, CoreError> {
    apportion_big_ids(method, ids, weights, total)
}

pub(crate) fn apportion_big_ids<I: UnitIds + ?Sized>(
    method: Method,
    ids: &I,
    weights: &[BigUint],
    total: u64,
) -> Result<Apportionment, CoreError> {
    let total_weight: BigUint = weights.iter().sum();
    if fits_machine_integers(method, &total_weight, total, weights.len()) {
        let small = weights.iter().map(|x| x.to_u128().expect("checked bits")).collect();
        apportion_small_ids(method, ids, small, total)
    } else {
        check(ids.count(), weights.len(), &total_weight, total)?;
        let (seats, step) = run(method, ids, weights, total);
        Ok(Apportionment { method, total, weights: Weights::Big(weights.to_vec()), total_weight, seats, step })
    }
}

/// [`apportion`] for weights that are machine integers (the fast path for large inputs);
/// falls back to arbitrary precision when a product could overflow.
pub fn apportion_small<S: AsRef<str>>(
    method: Method,
    ids: &[S],
    weights: Vec<u128>,
    total: u64,
) -> Result<Apportionment, CoreError> {
    apportion_small_ids(method, ids, weights, total)
}

pub(crate) fn apportion_small_ids<I: UnitIds + ?Sized>(
    method: Method,
    ids: &I,
    weights: Vec<u128>,
    total: u64,
) -> Result<Apportionment, CoreError> {
    let sum = weights.iter().try_fold(0u128, |a, &b| a.checked_add(b));
    let total_weight = match sum {
        Some(s) => BigUint::from(s),
        None => weights.iter().map(|&w| BigUint::from(w)).sum(),
    };
    if !fits_machine_integers(method, &total_weight, total, weights.len()) {
        let big: Vec<BigUint> = weights.iter().map(|&w| BigUint::from(w)).collect();
        return apportion_big_ids(method, ids, &big, total);
    }
    check(ids.count(), weights.len(), &total_weight, total)?;
    // The same exact arithmetic in 64-bit words when every product fits (the common case:
    // populations and place counts): 128-bit division is a library call, 64-bit division
    // one instruction.
    let (seats, step) = if fits_bits(method, &total_weight, total, weights.len(), 63) {
        let narrow: Vec<u64> = weights.iter().map(|&w| w as u64).collect();
        run(method, ids, &narrow, total)
    } else {
        run(method, ids, &weights, total)
    };
    Ok(Apportionment { method, total, weights: Weights::Small(weights), total_weight, seats, step })
}

/// [`apportion_small`] for 64-bit weights, the usual size (populations, counts): when every
/// product fits in 64 bits the weights are used as given, without a wider copy (at 100,000s
/// of units the memory touched is a large share of the time); otherwise they are widened.
pub fn apportion_u64<I: UnitIds + ?Sized>(
    method: Method,
    ids: &I,
    weights: Vec<u64>,
    total: u64,
) -> Result<Apportionment, CoreError> {
    // At most u32::MAX units (`check`) of < 2^64 each: the sum fits in 128 bits.
    let sum: u128 = weights.iter().map(|&w| w as u128).sum();
    let total_weight = BigUint::from(sum);
    if !fits_bits(method, &total_weight, total, weights.len(), 63) {
        let wide: Vec<u128> = weights.iter().map(|&w| w as u128).collect();
        return apportion_small_ids(method, ids, wide, total);
    }
    check(ids.count(), weights.len(), &total_weight, total)?;
    let (seats, step) = run(method, ids, &weights, total);
    Ok(Apportionment { method, total, weights: Weights::Small64(weights), total_weight, seats, step })
}

/// Whether every product the methods form stays below 2^127 (see `divisor`, `hamilton`).
/// The threshold refinement in `divisor` may use an effective total up to `total + units`.
fn fits_machine_integers(method: Method, total_weight: &BigUint, total: u64, units: usize) -> bool {
    fits_bits(method, total_weight, total, units, 127)
}

/// Whether every product the methods form stays below 2^`bits`.
fn fits_bits(method: Method, total_weight: &BigUint, total: u64, units: usize, bits: u64) -> bool {
    let bits_w = total_weight.bits();
    if method == Method::Hamilton {
        // Hamilton forms only total·wᵢ < 2^bits(total) · 2^bits(W), and sums ≤ W: no margin
        // is needed (100,000 units of populations with 500,000 places stay in 64 bits).
        return (64 - total.leading_zeros() as u64) + bits_w <= bits;
    }
    let bits_n = 64 - (total.saturating_add(units as u64).saturating_mul(2).saturating_add(2)).leading_zeros() as u64;
    let needed = if method == Method::HuntingtonHill { 2 * (bits_w + bits_n) + 8 } else { bits_w + bits_n + 8 };
    needed <= bits
}

fn check(n_ids: usize, n_weights: usize, total_weight: &BigUint, total: u64) -> Result<(), CoreError> {
    if n_ids != n_weights {
        return Err(CoreError::invalid("internal: ids and weights differ in length"));
    }
    if n_ids == 0 {
        return Err(CoreError::invalid("nothing to apportion over: there are no units"));
    }
    if n_ids > u32::MAX as usize {
        return Err(CoreError::invalid(format!(
            "{n_ids} units: at most {} can be apportioned at once; split the file",
            u32::MAX
        )));
    }
    if total_weight.is_zero() && total > 0 {
        return Err(CoreError::invalid(format!(
            "impossible total: {total} places cannot be apportioned when every weight is zero"
        )));
    }
    Ok(())
}

/// The declared tie order: `Less` when unit `a` goes before unit `b` in an exact tie —
/// the larger weight first, then the identifier that sorts first. Only consulted on exact
/// ties. Identifiers must be unique (the region parsers and the CLI guarantee it).
fn tie_order<T: Int, I: UnitIds + ?Sized>(ids: &I, w: &[T], a: usize, b: usize) -> Ordering {
    w[b].cmp(&w[a]).then_with(|| ids.id(a).cmp(ids.id(b)))
}

/// The integer arithmetic the methods need; implemented by `u128` (fast) and `BigUint`.
trait Int: Clone + Ord + Integer + From<u64> + ToPrimitive + fmt::Debug {}
impl<T: Clone + Ord + Integer + From<u64> + ToPrimitive + fmt::Debug> Int for T {}

fn run<T: Int, I: UnitIds + ?Sized>(method: Method, ids: &I, w: &[T], total: u64) -> (Vec<u64>, Step) {
    match method {
        Method::Hamilton => hamilton(ids, w, total),
        Method::RoundEach => round_each(w, total),
        _ => divisor(method, ids, w, total),
    }
}

/// Every quota `total·wᵢ/W` rounded half up on its own: `⌊(2·total·wᵢ + W) / 2W⌋`.
fn round_each<T: Int>(w: &[T], total: u64) -> (Vec<u64>, Step) {
    let big_w: T = w.iter().cloned().fold(T::zero(), |a, b| a + b);
    if big_w.is_zero() {
        return (vec![0; w.len()], Step::RoundEach { sum: 0 });
    }
    let two = T::from(2u64);
    let seats: Vec<u64> = w
        .iter()
        .map(|wi| {
            let num = two.clone() * T::from(total) * wi.clone() + big_w.clone();
            (num / (two.clone() * big_w.clone())).to_u64().expect("a rounded quota never exceeds the total + 1")
        })
        .collect();
    let sum = seats.iter().sum();
    (seats, Step::RoundEach { sum })
}

fn hamilton<T: Int, I: UnitIds + ?Sized>(ids: &I, w: &[T], total: u64) -> (Vec<u64>, Step) {
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
        let better = |a: &u32, b: &u32| {
            let (a, b) = (*a as usize, *b as usize);
            rems[b].cmp(&rems[a]).then_with(|| tie_order(ids, w, a, b))
        };
        // Remainders alone are cheap to compare; the tie order is consulted only where
        // remainders are equal (rare): at the boundary of the places left over and inside
        // runs of equal remainders.
        let by_rem = |a: &u32, b: &u32| rems[*b as usize].cmp(&rems[*a as usize]);
        // Unit numbers as u32 (checked by `check`: at most u32::MAX units) — half the memory.
        let mut idx: Vec<u32> = (0..n as u32).collect();
        if leftover < n {
            idx.select_nth_unstable_by(leftover - 1, by_rem);
            let boundary = rems[idx[leftover - 1] as usize].clone();
            // Units with the boundary remainder may lie on either side of the cut: the
            // tie order decides which of them get a place.
            let mut tied: Vec<u32> = idx.iter().copied().filter(|&i| rems[i as usize] == boundary).collect();
            if tied.len() > 1 {
                tied.sort_unstable_by(better);
                let mut chosen: Vec<u32> =
                    idx[..leftover].iter().copied().filter(|&i| rems[i as usize] > boundary).collect();
                let need = leftover - chosen.len();
                chosen.extend_from_slice(&tied[..need]);
                idx = chosen;
            } else {
                idx.truncate(leftover);
            }
        }
        idx.sort_unstable_by(by_rem);
        let mut start = 0;
        while start < idx.len() {
            let r = &rems[idx[start] as usize];
            let end = start + idx[start..].iter().take_while(|&&i| rems[i as usize] == *r).count();
            if end - start > 1 {
                idx[start..end].sort_unstable_by(better); // a total order: ids are unique
            }
            start = end;
        }
        for (rank, &i) in idx.iter().enumerate() {
            seats[i as usize] += 1;
            leftover_rank[i as usize] = NonZeroU32::new(rank as u32 + 1); // rank < leftover < n ≤ u32::MAX
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
        Method::Hamilton | Method::RoundEach => unreachable!("not a divisor method"),
    }
}

/// Scale of the threshold so that `w·N·scale ≥ W·D(s)` means `w/D(s) ≥ W/N`.
fn threshold_scale(method: Method) -> u64 {
    if method == Method::Webster { 2 } else { 1 }
}

struct Ctx<'a, T, I: ?Sized> {
    method: Method,
    w: &'a [T],
    /// w² for Huntington–Hill, w otherwise: the numerator compared.
    num: Vec<T>,
    ids: &'a I,
}

impl<T: Int, I: UnitIds + ?Sized> Ctx<'_, T, I> {
    /// Compare the priorities of (i, a) and (j, b): Greater when (i, a) goes first.
    fn cmp(&self, i: usize, a: u64, j: usize, b: u64) -> Ordering {
        let p = match (scaled_d(self.method, a), scaled_d(self.method, b)) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(da), Some(db)) => (self.num[i].clone() * T::from(db)).cmp(&(self.num[j].clone() * T::from(da))),
        };
        p.then_with(|| tie_order(self.ids, self.w, j, i))
    }

    fn approx(&self, i: usize, s: u64) -> Option<f64> {
        let w = self.w[i].to_f64()?;
        match self.method {
            Method::Dhondt => Some(w / (s as f64 + 1.0)),
            Method::Webster => Some(w / (s as f64 + 0.5)),
            Method::Adams => (s > 0).then(|| w / s as f64),
            Method::HuntingtonHill => (s > 0).then(|| w / ((s as f64) * (s as f64 + 1.0)).sqrt()),
            Method::Hamilton | Method::RoundEach => None,
        }
    }
}

#[derive(PartialEq, Eq)]
struct Entry {
    i: usize,
    s: u64,
}

fn divisor<T: Int, I: UnitIds + ?Sized>(method: Method, ids: &I, w: &[T], total: u64) -> (Vec<u64>, Step) {
    let n = w.len();
    let num: Vec<T> =
        if method == Method::HuntingtonHill { w.iter().map(|x| x.clone() * x.clone()).collect() } else { w.to_vec() };
    let ctx = Ctx { method, w, num, ids };
    let mut seats = vec![0u64; n];
    let big_w: T = w.iter().cloned().fold(T::zero(), |a, b| a + b);
    if total == 0 || big_w.is_zero() {
        return (seats, Step::Divisor { last_awarded: None, first_refused: None });
    }
    // 1. Count, per unit, the places whose average is at least a common threshold W/N'.
    //    All units use the same threshold, so the places taken are a prefix of the global
    //    order of averages — the heap below then only finishes the prefix. N' starts at N
    //    and is corrected once or twice by the observed surplus or deficit (D'Hondt, for
    //    one, lands about n/2 short at W/N), so the heap has little left to do.
    let scale = T::from(threshold_scale(method));
    let big_w2 = if method == Method::HuntingtonHill { big_w.clone() * big_w.clone() } else { T::zero() };
    let wf = big_w.to_f64().unwrap_or(f64::INFINITY);
    let mut n_eff = total;
    let mut sum = 0u64;
    for pass in 0..3 {
        let (lhs_n, rhs_w) = if method == Method::HuntingtonHill {
            (T::from(n_eff) * T::from(n_eff), big_w2.clone())
        } else {
            (T::from(n_eff) * scale.clone(), big_w.clone())
        };
        let counts = |i: usize, s: u64| -> bool {
            match scaled_d(method, s) {
                None => true,
                Some(d) => ctx.num[i].clone() * lhs_n.clone() >= rhs_w.clone() * T::from(d),
            }
        };
        sum = 0;
        for i in 0..n {
            if w[i].is_zero() {
                seats[i] = 0;
                continue;
            }
            let x = w[i].to_f64().unwrap_or(0.0) * n_eff as f64 / wf;
            let guess = match method {
                Method::Dhondt => x.floor(),
                Method::Webster => (x + 0.5).floor(),
                Method::Adams => x.floor() + 1.0,
                Method::HuntingtonHill => ((1.0 + 4.0 * x * x).sqrt() - 1.0) / 2.0 + 1.0,
                Method::Hamilton | Method::RoundEach => unreachable!("not a divisor method"),
            };
            let cap = n_eff + 1;
            let mut c = if guess.is_finite() && guess > 0.0 { (guess as u64).min(cap) } else { 0 };
            while c > 0 && !counts(i, c - 1) {
                c -= 1;
            }
            while c <= cap && counts(i, c) {
                c += 1;
            }
            seats[i] = c;
            sum += c;
        }
        let off = sum.abs_diff(total);
        if pass == 2 || off * off <= n as u64 {
            break;
        }
        // Move the threshold by the surplus/deficit and count again.
        n_eff = if sum < total { n_eff + (total - sum) } else { n_eff.saturating_sub(sum - total).max(1) };
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
