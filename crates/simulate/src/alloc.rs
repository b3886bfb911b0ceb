//! Who sleeps where today: persons in reception are allocated to the capacity that is open,
//! best place first, as COA does when it moves people out of emergency reception as soon as
//! a regular place frees up.
//!
//! Order of places: unaccompanied minors (AMV) first to AMV small-scale units; then the
//! regular places (durable before temporary), where children and vulnerable adults who get
//! priority (the court rule, ECLI:NL:GHDHA:2022:2429, to the extent `court_priority` says)
//! go first and everyone else shares the rest in proportion to their numbers; then
//! noodopvang, then crisisnoodopvang; whoever is left waits in the registration centre.

/// Groups of persons, in this order in every array.
pub const OTHER: usize = 0;
pub const VULNERABLE: usize = 1;
pub const CHILD: usize = 2;
pub const AMV: usize = 3;
pub const NGROUPS: usize = 4;

/// Places that can be occupied today, per kind (already multiplied by the usable share).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usable {
    pub durable: u32,
    pub temporary: u32,
    pub amv_small: u32,
    pub nood: u32,
    pub crisis: u32,
}

/// The allocation of one day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Allocation {
    pub amv_small: u32,
    pub durable: u32,
    pub temporary: u32,
    /// Persons per group in regular places (durable + temporary + AMV small-scale).
    pub regular_by_group: [u32; NGROUPS],
    pub nood_by_group: [u32; NGROUPS],
    pub crisis_by_group: [u32; NGROUPS],
    /// Persons without a place, waiting in the registration centre.
    pub waiting_by_group: [u32; NGROUPS],
}

impl Allocation {
    pub fn nood(&self) -> u32 {
        self.nood_by_group.iter().sum()
    }
    pub fn crisis(&self) -> u32 {
        self.crisis_by_group.iter().sum()
    }
    pub fn waiting(&self) -> u32 {
        self.waiting_by_group.iter().sum()
    }
    pub fn total(&self) -> u64 {
        u64::from(self.amv_small)
            + u64::from(self.durable)
            + u64::from(self.temporary)
            + u64::from(self.nood())
            + u64::from(self.crisis())
            + u64::from(self.waiting())
    }
}

/// Split `total` over parts in proportion to `avail`, never giving a part more than it
/// has (largest remainder; ties to the lower index). `total` above `Σ avail` gives `avail`.
pub fn split<const N: usize>(total: u32, avail: [u32; N]) -> [u32; N] {
    let sum: u64 = avail.iter().map(|&a| u64::from(a)).sum();
    if sum == 0 || total == 0 {
        return [0; N];
    }
    if u64::from(total) >= sum {
        return avail;
    }
    let mut out = [0u32; N];
    let mut rem = [0u64; N];
    let mut given = 0u64;
    for g in 0..N {
        let exact = u64::from(total) * u64::from(avail[g]);
        out[g] = (exact / sum) as u32;
        rem[g] = exact % sum;
        given += u64::from(out[g]);
    }
    let mut left = u64::from(total) - given;
    while left > 0 {
        let mut best = usize::MAX;
        for g in 0..N {
            if out[g] < avail[g] && (best == usize::MAX || rem[g] > rem[best]) {
                best = g;
            }
        }
        out[best] += 1;
        rem[best] = 0;
        left -= 1;
    }
    out
}

fn take(total: u32, want: &mut [u32; NGROUPS]) -> [u32; NGROUPS] {
    let s: u32 = want.iter().sum();
    let got = split(total.min(s), *want);
    for g in 0..NGROUPS {
        want[g] -= got[g];
    }
    got
}

/// Allocate persons (`persons[group]`, downstream of registration) to today's places.
/// `priority` is the share of children and vulnerable adults placed in regular places
/// before everyone else.
pub fn allocate(persons: [u32; NGROUPS], usable: Usable, priority: f64) -> Allocation {
    let mut left = persons;
    // 1. AMV small-scale units, for unaccompanied minors only.
    let mut a = Allocation { amv_small: left[AMV].min(usable.amv_small), ..Default::default() };
    left[AMV] -= a.amv_small;
    // 2. Regular places: the priority group first, then everyone in proportion.
    let regular = usable.durable + usable.temporary;
    let mut prio = [0u32; NGROUPS];
    prio[CHILD] = round_share(left[CHILD], priority);
    prio[VULNERABLE] = round_share(left[VULNERABLE], priority);
    let mut room = regular;
    let first = take(room, &mut prio);
    for g in 0..NGROUPS {
        left[g] -= first[g];
        room -= first[g];
    }
    let rest = take(room, &mut left);
    let mut placed_regular = 0;
    for g in 0..NGROUPS {
        a.regular_by_group[g] = first[g] + rest[g];
        placed_regular += a.regular_by_group[g];
    }
    a.durable = placed_regular.min(usable.durable);
    a.temporary = placed_regular - a.durable;
    a.regular_by_group[AMV] += a.amv_small;
    // 3. Noodopvang, 4. crisisnoodopvang, 5. the rest waits.
    a.nood_by_group = take(usable.nood, &mut left);
    a.crisis_by_group = take(usable.crisis, &mut left);
    a.waiting_by_group = left;
    a
}

fn round_share(n: u32, share: f64) -> u32 {
    ((f64::from(n) * share.clamp(0.0, 1.0)) + 0.5).floor().min(f64::from(n)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_proportional_and_exact() {
        assert_eq!(split(10, [10, 10, 0, 0]), [5, 5, 0, 0]);
        assert_eq!(split(3, [1, 1, 1, 1]), [1, 1, 1, 0]);
        assert_eq!(split(7, [2, 100, 0, 0]).iter().sum::<u32>(), 7);
        assert_eq!(split(0, [2, 3, 4, 5]), [0; 4]);
        assert_eq!(split(14, [2, 3, 4, 5]), [2, 3, 4, 5]);
    }

    #[test]
    fn regular_first_then_nood_then_crisis_then_waiting() {
        let u = Usable { durable: 50, temporary: 10, amv_small: 5, nood: 20, crisis: 10 };
        let a = allocate([60, 10, 20, 10], u, 0.0);
        assert_eq!(a.amv_small, 5);
        assert_eq!(a.durable + a.temporary, 60);
        assert_eq!(a.nood(), 20);
        assert_eq!(a.crisis(), 10);
        assert_eq!(a.waiting(), 100 - 5 - 60 - 20 - 10);
        assert_eq!(a.total(), 100);
    }

    #[test]
    fn full_priority_keeps_children_out_of_emergency_when_regular_places_suffice_for_them() {
        let u = Usable { durable: 30, temporary: 0, amv_small: 0, nood: 100, crisis: 0 };
        let a = allocate([70, 0, 30, 0], u, 1.0);
        assert_eq!(a.regular_by_group[CHILD], 30);
        assert_eq!(a.nood_by_group[CHILD], 0);
        let b = allocate([70, 0, 30, 0], u, 0.0);
        assert_eq!(b.regular_by_group[CHILD], 9);
    }
}
