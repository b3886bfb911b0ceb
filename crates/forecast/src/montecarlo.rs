//! Monte Carlo over many paths in parallel (rayon). Path `i` draws its numbers from a
//! generator derived from (seed, i) only and writes into its own slot of the result
//! buffers, so the result is the same bytes for any number of threads.

use chrono::{Datelike, NaiveDate};
use rayon::prelude::*;
use serde::Serialize;
use spreiding_core::CoreError;

use crate::model::{DayFlows, Model, PathState};
use crate::sample::PathRng;
use crate::scenario::Scenario;

/// The 1 January target dates of a forecast starting at `start` over `years` years: the
/// capacity forecast targets the need on 1 January of the following year(s)
/// (Regeling specifieke uitkeringen, Stcrt. 2024, 3349; Wet art. 2).
pub fn target_dates(start: NaiveDate, years: u32) -> Vec<NaiveDate> {
    (1..=years as i32).filter_map(|k| NaiveDate::from_ymd_opt(start.year() + k, 1, 1)).collect()
}

/// Simulate one path day by day, calling `observe(day, state, flows)` after every day
/// (day 0 is the starting state, with empty flows).
pub fn simulate_path(model: &Model, seed: u64, path: u64, mut observe: impl FnMut(usize, &PathState, &DayFlows)) {
    let mut rng = PathRng::new(seed, path);
    let mut st = model.initial_state(&mut rng);
    observe(0, &st, &DayFlows::default());
    for day in 1..=model.days {
        let f = model.step(day, &mut st, &mut rng);
        observe(day, &st, &f);
    }
}

/// P10, P50 and P90 of one quantity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Band {
    pub p10: u64,
    pub p50: u64,
    pub p90: u64,
}

/// Occupancy on one day: total and AMV.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DayBand {
    pub date: NaiveDate,
    pub total: Band,
    pub amv: Band,
}

/// Required places on a target date: occupancy ÷ occupancy target, rounded up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Required {
    pub date: NaiveDate,
    pub total: Band,
    pub amv: Band,
    pub occupancy: Band,
    pub amv_occupancy: Band,
    /// P50 of each stock (both streams) on that date.
    pub stocks_p50: StockP50,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StockP50 {
    pub registration: u64,
    pub overflow: u64,
    pub procedure: u64,
    pub awaiting_decision: u64,
    pub permit_holders: u64,
    pub return_phase: u64,
}

/// How often and how far the registration centre overflowed, over the whole horizon.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OverflowStats {
    /// Share of paths in which anyone had to wait outside the cap.
    pub share_of_paths: f64,
    /// Highest overflow on one day, per path.
    pub peak: Band,
    /// Person-days spent in overflow, per path.
    pub person_days: Band,
}

/// The result of a Monte Carlo forecast.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Forecast {
    pub start: NaiveDate,
    pub runs: usize,
    pub seed: u64,
    pub occupancy_target: f64,
    /// Every day from the start to the last target date.
    pub occupancy: Vec<DayBand>,
    pub required_places: Vec<Required>,
    pub registration_overflow: OverflowStats,
}

const STOCKS: usize = 6;

/// Run `runs` paths of `scenario` from `start` for `years` target years. `progress` is
/// called once per finished path (from any thread).
pub fn run(
    scenario: &Scenario,
    start: NaiveDate,
    years: u32,
    runs: usize,
    seed: u64,
    progress: &(dyn Fn() + Sync),
) -> Result<Forecast, CoreError> {
    if years == 0 {
        return Err(CoreError::invalid("--years must be at least 1"));
    }
    if runs == 0 {
        return Err(CoreError::invalid("--runs must be at least 1"));
    }
    let targets = target_dates(start, years);
    let last = *targets.last().ok_or_else(|| CoreError::invalid("no target date"))?;
    let days = (last - start).num_days() as usize;
    let model = Model::new(scenario, start, days)?;
    let target_days: Vec<usize> = targets.iter().map(|t| (*t - start).num_days() as usize).collect();
    Ok(run_model(&model, &target_days, runs, seed, progress))
}

/// Paths per parallel task. Fixed, so the work split never depends on the thread count
/// (and each path's numbers depend only on its own generator anyway).
const CHUNK: usize = 64;

/// What one chunk of paths records: occupancy per day laid out day-major (`[day][path]`),
/// so the percentiles of a day read contiguous memory.
struct ChunkOut {
    len: usize,
    total: Vec<u32>,
    amv: Vec<u32>,
    snaps: Vec<[u32; STOCKS]>,
    overflow: Vec<(u32, u64)>,
}

/// Monte Carlo over a compiled model; `target_days` are day indices (1..=days).
pub fn run_model(
    model: &Model,
    target_days: &[usize],
    runs: usize,
    seed: u64,
    progress: &(dyn Fn() + Sync),
) -> Forecast {
    let n = model.days + 1;
    let k = target_days.len().max(1);
    let mut target_of_day = vec![usize::MAX; n];
    for (j, &d) in target_days.iter().enumerate() {
        if d < n {
            target_of_day[d] = j;
        }
    }
    let chunks: Vec<ChunkOut> = (0..runs.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let first = c * CHUNK;
            let len = CHUNK.min(runs - first);
            let mut out = ChunkOut {
                len,
                total: vec![0; n * len],
                amv: vec![0; n * len],
                snaps: vec![[0; STOCKS]; k * len],
                overflow: vec![(0, 0); len],
            };
            for i in 0..len {
                let ov = &mut out.overflow[i];
                let (t, a, sn) = (&mut out.total, &mut out.amv, &mut out.snaps);
                simulate_path(model, seed, (first + i) as u64, |day, st, _| {
                    let [g, m] = &st.streams;
                    let amv_occ = m.occupancy() as u32;
                    t[day * len + i] = g.occupancy() as u32 + amv_occ;
                    a[day * len + i] = amv_occ;
                    let o = g.overflow + m.overflow;
                    ov.0 = ov.0.max(o);
                    ov.1 += u64::from(o);
                    let j = target_of_day[day];
                    if j != usize::MAX {
                        sn[j * len + i] = [
                            g.registration + m.registration,
                            g.overflow + m.overflow,
                            (g.procedure_total() + m.procedure_total()) as u32,
                            g.awaiting_decision + m.awaiting_decision,
                            (g.permit_holders() + m.permit_holders()) as u32,
                            (g.return_total() + m.return_total()) as u32,
                        ];
                    }
                });
                progress();
            }
            out
        })
        .collect();

    // Percentiles per day: gather the day's slice of every chunk (contiguous), then select.
    let gather = |col: &mut Vec<u32>, pick: &dyn Fn(&ChunkOut) -> &[u32]| {
        col.clear();
        for ch in &chunks {
            col.extend_from_slice(pick(ch));
        }
        percentiles(col)
    };
    let occupancy: Vec<DayBand> = (0..n)
        .into_par_iter()
        .map_init(
            || Vec::with_capacity(runs),
            |col, d| DayBand {
                date: model.date(d),
                total: gather(col, &|ch| &ch.total[d * ch.len..(d + 1) * ch.len]),
                amv: gather(col, &|ch| &ch.amv[d * ch.len..(d + 1) * ch.len]),
            },
        )
        .collect();
    let overflow: Vec<(u32, u64)> = chunks.iter().flat_map(|ch| ch.overflow.iter().copied()).collect();
    let target = model.occupancy_target;
    let required_places = target_days
        .iter()
        .enumerate()
        .map(|(j, &d)| {
            let occ = occupancy[d].total;
            let amv_occ = occupancy[d].amv;
            let s: Vec<u64> = (0..STOCKS)
                .map(|c| {
                    let mut col: Vec<u32> = chunks
                        .iter()
                        .flat_map(|ch| ch.snaps[j * ch.len..(j + 1) * ch.len].iter().map(move |x| x[c]))
                        .collect();
                    percentiles(&mut col).p50
                })
                .collect();
            Required {
                date: model.date(d),
                total: required(occ, target),
                amv: required(amv_occ, target),
                occupancy: occ,
                amv_occupancy: amv_occ,
                stocks_p50: StockP50 {
                    registration: s[0],
                    overflow: s[1],
                    procedure: s[2],
                    awaiting_decision: s[3],
                    permit_holders: s[4],
                    return_phase: s[5],
                },
            }
        })
        .collect();
    let mut peaks: Vec<u32> = overflow.iter().map(|o| o.0).collect();
    let mut pdays: Vec<u64> = overflow.iter().map(|o| o.1).collect();
    let share = overflow.iter().filter(|o| o.0 > 0).count() as f64 / runs as f64;
    Forecast {
        start: model.start,
        runs,
        seed,
        occupancy_target: target,
        occupancy,
        required_places,
        registration_overflow: OverflowStats {
            share_of_paths: share,
            peak: percentiles(&mut peaks),
            person_days: percentiles(&mut pdays),
        },
    }
}

/// P10/P50/P90 on one observed day: everyone, permit holders waiting for a home, and AMV.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ObservedBands {
    pub day: usize,
    pub total: Band,
    pub permit_holders: Band,
    pub amv: Band,
}

/// Monte Carlo that records only the given days (a backtest's observation dates), for
/// long horizons where keeping every day of every path would not fit in memory. Same paths
/// and generators as [`run_model`]: path `i` uses (seed, i) only, and the chunks are fixed,
/// so the result does not depend on the thread count.
pub fn run_days(model: &Model, days: &[usize], runs: usize, seed: u64) -> Vec<ObservedBands> {
    let k = days.len();
    let mut slot_of_day = vec![usize::MAX; model.days + 1];
    for (j, &d) in days.iter().enumerate() {
        if d <= model.days && slot_of_day[d] == usize::MAX {
            slot_of_day[d] = j;
        }
    }
    // One value triple per (requested day, path), chunk by chunk.
    let chunks: Vec<(usize, Vec<[u32; 3]>)> = (0..runs.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let first = c * CHUNK;
            let len = CHUNK.min(runs - first);
            let mut out = vec![[0u32; 3]; k * len];
            for i in 0..len {
                simulate_path(model, seed, (first + i) as u64, |day, st, _| {
                    let j = slot_of_day[day];
                    if j != usize::MAX {
                        let [g, a] = &st.streams;
                        out[j * len + i] = [
                            (g.occupancy() + a.occupancy()) as u32,
                            (g.permit_holders() + a.permit_holders()) as u32,
                            a.occupancy() as u32,
                        ];
                    }
                });
            }
            (len, out)
        })
        .collect();
    days.iter()
        .map(|&d| {
            let j = slot_of_day[d.min(model.days)];
            let band = |c: usize| {
                let mut col: Vec<u32> = chunks
                    .iter()
                    .flat_map(|(len, out)| out[j * len..(j + 1) * len].iter().map(move |x| x[c]))
                    .collect();
                percentiles(&mut col)
            };
            ObservedBands { day: d, total: band(0), permit_holders: band(1), amv: band(2) }
        })
        .collect()
}

/// Places needed for an occupancy at the target rate: ⌈occupancy ÷ target⌉
/// (cycle 1 planned at 91 % occupancy, COA's planning norm and not a rule of the Wet;
/// docs/DOMAIN-BRIEF.md §2).
pub fn required_places(occupancy: u64, target: f64) -> u64 {
    let x = occupancy as f64 / target;
    // Guard against 0.91 not being exact in binary: 91,000 / 0.91 is 100,000, not 100,001.
    (x - 1e-7).ceil().max(0.0) as u64
}

/// Required places for each percentile of an occupancy band (monotone, so still ordered).
pub fn required(b: Band, target: f64) -> Band {
    Band {
        p10: required_places(b.p10, target),
        p50: required_places(b.p50, target),
        p90: required_places(b.p90, target),
    }
}

/// Nearest-rank P10, P50, P90 (the value below which at least that share of paths lies).
pub fn percentiles<T: Copy + Ord + Into<u64>>(xs: &mut [T]) -> Band {
    let n = xs.len();
    if n == 0 {
        return Band::default();
    }
    let rank = |q: f64| ((q * n as f64).ceil() as usize).clamp(1, n) - 1;
    let (i10, i50, i90) = (rank(0.1), rank(0.5), rank(0.9));
    let (lo, m, hi) = xs.select_nth_unstable(i50);
    let p50 = (*m).into();
    let p10 = if i10 == i50 { p50 } else { (*lo.select_nth_unstable(i10).1).into() };
    let p90 = if i90 == i50 { p50 } else { (*hi.select_nth_unstable(i90 - i50 - 1).1).into() };
    Band { p10, p50, p90 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut v: Vec<u32> = (1..=10).rev().collect();
        assert_eq!(percentiles(&mut v), Band { p10: 1, p50: 5, p90: 9 });
        let mut one = vec![7u32];
        assert_eq!(percentiles(&mut one), Band { p10: 7, p50: 7, p90: 7 });
    }

    #[test]
    fn required_places_divides_by_the_occupancy_target() {
        assert_eq!(required_places(91_000, 0.91), 100_000);
        assert_eq!(required_places(91_001, 0.91), 100_002);
        assert_eq!(required_places(0, 0.91), 0);
    }

    #[test]
    fn targets_are_first_of_january_of_the_next_years() {
        let s = NaiveDate::from_ymd_opt(2026, 3, 15).unwrap();
        let t = target_dates(s, 2);
        assert_eq!(t, vec![NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(), NaiveDate::from_ymd_opt(2028, 1, 1).unwrap()]);
    }
}
