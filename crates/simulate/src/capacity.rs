//! Capacity by type and municipality.
//!
//! National capacity per type is a whole number of places; it changes by openings (after a
//! lead time, from a pipeline), by contract ends that are not extended, and by COA closing
//! emergency or temporary places early when they are no longer needed. Who hosts the places
//! is kept per municipality as a documented aggregate: an opening adds to its host, and a
//! closure of a type removes the same share from every host of that type ("closures fall on
//! locations in proportion to their places"). That aggregate is what makes a daily national
//! path of ten years cheap; it is exact for national totals and for each municipality's
//! share of a type.

use serde::Serialize;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Type of reception capacity the simulator distinguishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CapacityType {
    /// Regular durable places (duurzame opvangplaatsen, available ≥ 5 years; Besluit art. 1.1).
    Durable,
    /// Regular places on shorter contracts (temporary azc, municipal operation < 5 years).
    Temporary,
    /// Small-scale housing for unaccompanied minors (kleinschalige woonvoorziening, 16–20 youths).
    AmvSmall,
    /// COA emergency locations (noodopvang: halls, hotels, ships, pavilions).
    Nood,
    /// Crisis emergency reception (crisisnoodopvang) of municipalities and safety regions.
    Crisis,
    /// The registration centre (aanmeldvoorziening, Ter Apel).
    Registration,
}

pub const NTYPES: usize = 6;

impl CapacityType {
    pub const ALL: [CapacityType; NTYPES] = [
        CapacityType::Durable,
        CapacityType::Temporary,
        CapacityType::AmvSmall,
        CapacityType::Nood,
        CapacityType::Crisis,
        CapacityType::Registration,
    ];
    pub fn index(self) -> usize {
        self as usize
    }
    pub fn code(self) -> &'static str {
        match self {
            CapacityType::Durable => "durable",
            CapacityType::Temporary => "temporary",
            CapacityType::AmvSmall => "amv_small_scale",
            CapacityType::Nood => "noodopvang",
            CapacityType::Crisis => "crisisnoodopvang",
            CapacityType::Registration => "registration_centre",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            CapacityType::Durable => "Regular durable",
            CapacityType::Temporary => "Regular temporary",
            CapacityType::AmvSmall => "AMV small-scale",
            CapacityType::Nood => "Noodopvang",
            CapacityType::Crisis => "Crisisnoodopvang",
            CapacityType::Registration => "Registration centre",
        }
    }
    pub fn is_emergency(self) -> bool {
        matches!(self, CapacityType::Nood | CapacityType::Crisis)
    }
}

/// An opening that is on its way: places of a type in a municipality, opening on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Opening {
    day: u32,
    seq: u32,
    kind: u8,
    muni: u16,
    places: u32,
}

/// Capacity of one path.
#[derive(Clone, Debug)]
pub struct Capacity {
    /// Open places per type (national).
    pub places: [u32; NTYPES],
    /// Places per municipality per type (aggregate attribution, see the module doc).
    pub hosts: Vec<[f64; NTYPES]>,
    /// Places in the pipeline per type (decided, not yet open).
    pub pipeline: [u32; NTYPES],
    queue: BinaryHeap<Reverse<Opening>>,
    seq: u32,
}

impl Capacity {
    pub fn new(municipalities: usize) -> Self {
        Capacity {
            places: [0; NTYPES],
            hosts: vec![[0.0; NTYPES]; municipalities],
            pipeline: [0; NTYPES],
            queue: BinaryHeap::new(),
            seq: 0,
        }
    }

    /// Open places now (the starting capacity).
    pub fn open_now(&mut self, t: CapacityType, muni: usize, places: u32) {
        self.places[t.index()] += places;
        self.hosts[muni][t.index()] += f64::from(places);
    }

    /// Schedule an opening on `day`.
    pub fn schedule(&mut self, day: u32, t: CapacityType, muni: usize, places: u32) {
        if places == 0 {
            return;
        }
        self.pipeline[t.index()] += places;
        self.seq += 1;
        self.queue.push(Reverse(Opening { day, seq: self.seq, kind: t.index() as u8, muni: muni as u16, places }));
    }

    /// Open everything scheduled up to and including `day`; returns places opened per type.
    pub fn open_due(&mut self, day: u32) -> [u32; NTYPES] {
        let mut opened = [0u32; NTYPES];
        while let Some(Reverse(o)) = self.queue.peek().copied() {
            if o.day > day {
                break;
            }
            self.queue.pop();
            let k = usize::from(o.kind);
            self.pipeline[k] -= o.places;
            self.places[k] += o.places;
            self.hosts[usize::from(o.muni)][k] += f64::from(o.places);
            opened[k] += o.places;
        }
        opened
    }

    /// Close `n` places of type `t` (at most what is open), spread over its hosts in
    /// proportion to their places. Returns the places closed.
    pub fn close(&mut self, t: CapacityType, n: u32) -> u32 {
        let k = t.index();
        let n = n.min(self.places[k]);
        if n == 0 {
            return 0;
        }
        let before = self.places[k];
        self.places[k] -= n;
        let f = f64::from(self.places[k]) / f64::from(before);
        for h in &mut self.hosts {
            h[k] *= f;
        }
        n
    }

    /// Places a municipality hosts now, all types together.
    pub fn hosted(&self, muni: usize) -> f64 {
        self.hosts[muni].iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openings_wait_for_their_day_and_closures_spread_over_hosts() {
        let mut c = Capacity::new(3);
        c.open_now(CapacityType::Nood, 0, 300);
        c.schedule(10, CapacityType::Nood, 1, 100);
        c.schedule(5, CapacityType::Durable, 2, 50);
        assert_eq!(c.open_due(4), [0; NTYPES]);
        assert_eq!(c.pipeline[CapacityType::Nood.index()], 100);
        assert_eq!(c.open_due(9)[CapacityType::Durable.index()], 50);
        assert_eq!(c.open_due(10)[CapacityType::Nood.index()], 100);
        assert_eq!(c.places[CapacityType::Nood.index()], 400);
        assert_eq!(c.pipeline, [0; NTYPES]);
        assert_eq!(c.close(CapacityType::Nood, 200), 200);
        assert!((c.hosts[0][CapacityType::Nood.index()] - 150.0).abs() < 1e-9);
        assert!((c.hosts[1][CapacityType::Nood.index()] - 50.0).abs() < 1e-9);
        assert_eq!(c.close(CapacityType::Nood, 1_000), 200);
        assert_eq!(c.places[CapacityType::Nood.index()], 0);
    }
}
