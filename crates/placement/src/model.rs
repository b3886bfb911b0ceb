//! Households, the instance, hard constraints (admissibility) and the weighted objective.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use spreiding_core::CoreError;
use spreiding_core::location::{Location, LocationType};
use spreiding_core::quality::{Framework, Group, GroupSet, assess};

/// Age band of a household member (no birth dates: personal data stays minimal).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AgeBand {
    /// Under one year.
    #[serde(rename = "0")]
    Infant,
    #[serde(rename = "1-3")]
    Toddler,
    #[serde(rename = "4-11")]
    Child,
    #[serde(rename = "12-17")]
    Teen,
    #[serde(rename = "18-64")]
    Adult,
    #[serde(rename = "65+")]
    Senior,
}

impl AgeBand {
    pub const ALL: [AgeBand; 6] =
        [AgeBand::Infant, AgeBand::Toddler, AgeBand::Child, AgeBand::Teen, AgeBand::Adult, AgeBand::Senior];
    pub fn code(self) -> &'static str {
        match self {
            AgeBand::Infant => "0",
            AgeBand::Toddler => "1-3",
            AgeBand::Child => "4-11",
            AgeBand::Teen => "12-17",
            AgeBand::Adult => "18-64",
            AgeBand::Senior => "65+",
        }
    }
    pub fn is_minor(self) -> bool {
        !matches!(self, AgeBand::Adult | AgeBand::Senior)
    }
}

impl FromStr for AgeBand {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        AgeBand::ALL.into_iter().find(|a| a.code() == s.trim()).ok_or_else(|| {
            CoreError::invalid(format!("'{}' is not an age band: use 0, 1-3, 4-11, 12-17, 18-64 or 65+", s.trim()))
        })
    }
}

/// One member of a household: age band, declared Art. 24 needs (c, e, f, h, i, j, k; a, b,
/// d and g follow from the household's make-up) and school enrolment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub age: AgeBand,
    #[serde(default)]
    pub needs: Vec<Group>,
    #[serde(default)]
    pub in_school: bool,
}

/// A household (huishouden) with a pseudonymous id. It is never split.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Household {
    pub id: String,
    pub members: Vec<Member>,
    /// Location id where the household lives now; `None` = new arrival.
    #[serde(default)]
    pub current: Option<String>,
    /// Days at the current location.
    #[serde(default)]
    pub days_there: u32,
}

impl Household {
    pub fn persons(&self) -> u32 {
        self.members.len() as u32
    }
    /// No adult member: unaccompanied minors (AMV).
    pub fn is_unaccompanied(&self) -> bool {
        self.members.iter().all(|m| m.age.is_minor())
    }
    pub fn has_infant(&self) -> bool {
        self.members.iter().any(|m| m.age == AgeBand::Infant)
    }
    pub fn school_children(&self) -> u32 {
        self.members.iter().filter(|m| m.in_school).count() as u32
    }
    /// Art. 24 RCD groups present: declared needs plus (a) minors, (b) unaccompanied,
    /// (d) elderly (65+) and (g) single parent, derived from the make-up.
    pub fn groups(&self) -> GroupSet {
        let mut g: GroupSet = self.members.iter().flat_map(|m| m.needs.iter().copied()).collect();
        let minors = self.members.iter().filter(|m| m.age.is_minor()).count();
        let adults = self.members.len() - minors;
        if minors > 0 {
            g.insert(Group::Minor);
        }
        if minors > 0 && adults == 0 {
            g.insert(Group::Unaccompanied);
        }
        if adults == 1 && minors > 0 {
            g.insert(Group::SingleParent);
        }
        if self.members.iter().any(|m| m.age == AgeBand::Senior) {
            g.insert(Group::Elderly);
        }
        g
    }
    /// Needs a hospital within reach: (c, d, e, i, j, k).
    pub fn needs_hospital(&self) -> bool {
        let g = self.groups();
        [
            Group::Disability,
            Group::Elderly,
            Group::Pregnant,
            Group::SeriousIllness,
            Group::MentalDisorder,
            Group::Torture,
        ]
        .iter()
        .any(|x| g.contains(*x))
    }
}

/// What the run should do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Place new arrivals (daily batch): households without a location or at a
    /// registration centre; everyone else stays.
    Arrivals,
    /// Plan the closure of one location: only its residents move (new arrivals in the
    /// household list are left for an arrivals run).
    Close(String),
    /// Rebalance: move households whose stay breaks a hard rule, whose location closes on or
    /// before the date, or who stayed in crisisnoodopvang beyond its maximum stay.
    Rebalance,
}

/// Weights of the objective (all in points; see docs/PLACEMENT.md for the why).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    /// Per person moved away from where they live.
    pub move_person: f64,
    /// Extra per child enrolled in school who has to move (weighs most: a school change).
    pub move_school_child: f64,
    /// Per minute of travel to a needed service (school per school child, GP and legal aid
    /// per household, hospital when the household needs one).
    pub travel_minute: f64,
    /// Travel minutes assumed when the registry does not know them.
    pub unknown_travel_min: f64,
    /// Per euro of cost per place per day.
    pub cost_euro: f64,
    /// Per bed filled above `spread_threshold` of a location's beds.
    pub spread_bed: f64,
    /// Occupancy share above which a location counts as crowded.
    pub spread_threshold: f64,
    /// Per person staying in crisisnoodopvang beyond its maximum stay (rebalance).
    pub overstay_person: f64,
    /// Per person left without a place (only when no admissible bed exists).
    pub unplaced_person: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            move_person: 100.0,
            move_school_child: 400.0,
            travel_minute: 1.0,
            unknown_travel_min: 60.0,
            cost_euro: 0.5,
            spread_bed: 20.0,
            spread_threshold: 0.85,
            overstay_person: 500.0,
            unplaced_person: 1_000_000.0,
        }
    }
}

/// Cost per place per day when the registry does not know it, from the 2023 cost per
/// resident per year (docs/DOMAIN-BRIEF.md §5): regular €30,400, noodopvang €69,400 (÷ 365);
/// crisisnoodopvang €130–175 per night (midpoint).
pub fn default_cost_per_day(kind: LocationType) -> f64 {
    match kind {
        LocationType::Noodopvang => 69_400.0 / 365.0,
        LocationType::Crisisnoodopvang => 152.5,
        _ => 30_400.0 / 365.0,
    }
}

/// Crisisnoodopvang is meant for at most about a week (Handreiking crisisnoodopvang, 2 Dec
/// 2020, as quoted in ECLI:NL:GHDHA:2022:2429); used when the location states no maximum
/// stay. Uncertain ("about a week"): a setting.
pub const CRISIS_MAX_STAY_DAYS: u32 = 7;

/// Everything a run needs. Pure: the date is handed in, not read from a clock.
#[derive(Clone, Debug)]
pub struct Instance {
    pub locations: Vec<Location>,
    pub households: Vec<Household>,
    pub framework: Framework,
    pub date: NaiveDate,
    pub mode: Mode,
    pub weights: Weights,
}

/// A hard rule that keeps a household out of a location.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Violation {
    /// Not open on the date, closing, a registration centre, or the location being closed.
    NotAvailable,
    /// Unaccompanied minors only in AMV housing; others never in AMV housing (EUAA 2016:
    /// unaccompanied children separated from adults).
    AmvRule,
    /// Children under one and their family not in crisisnoodopvang (Handreiking
    /// crisisnoodopvang, 2 Dec 2020, as quoted in ECLI:NL:GHDHA:2022:2429).
    InfantInCrisis,
    /// Vulnerable persons and children not in (crisis)noodopvang unless it passes the
    /// criteria for their needs (ECLI:NL:GHDHA:2022:2429; RCD 2024/1346 art. 24).
    NeedsNotMet,
    /// The household is larger than the free beds.
    Capacity,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Violation::NotAvailable => "not available (closed, closing, registration centre)",
            Violation::AmvRule => "AMV rule (unaccompanied minors only and always in AMV housing)",
            Violation::InfantInCrisis => "child under one: no crisisnoodopvang",
            Violation::NeedsNotMet => "emergency reception not shown to meet their needs",
            Violation::Capacity => "not enough free beds",
        })
    }
}

/// A location as the engine sees it.
#[derive(Clone, Debug)]
pub struct Site {
    pub index: usize,
    pub available: bool,
    pub kind: LocationType,
    pub beds: u32,
    /// Persons who stay here in this run (not movable), including unlisted residents.
    pub base_load: u32,
    /// Groups this location may house per the quality framework.
    pub may_house: GroupSet,
    pub cost_per_day: f64,
    pub max_stay_days: u32,
}

impl Site {
    pub fn free(&self) -> u32 {
        self.beds.saturating_sub(self.base_load)
    }
    pub fn spread_mark(&self, w: &Weights) -> f64 {
        w.spread_threshold * self.beds as f64
    }
}

/// The prepared problem: sites, which households move, and lookups.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub sites: Vec<Site>,
    /// Indices (into `households`) of the households this run places.
    pub movable: Vec<usize>,
    /// Current site index per household (None: arrival or unknown location).
    pub current: Vec<Option<usize>>,
    pub by_id: BTreeMap<String, usize>,
}

/// Check the instance and work out who moves and how many beds stay taken.
pub fn prepare(inst: &Instance) -> Result<Prepared, CoreError> {
    let mut by_id = BTreeMap::new();
    for (i, l) in inst.locations.iter().enumerate() {
        if by_id.insert(l.id.clone(), i).is_some() {
            return Err(CoreError::invalid(format!("duplicate location id '{}'", l.id)));
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for h in &inst.households {
        if !seen.insert(h.id.as_str()) {
            return Err(CoreError::invalid(format!("duplicate household id '{}': each household once", h.id)));
        }
        if h.members.is_empty() {
            return Err(CoreError::invalid(format!("household '{}' has no members", h.id)));
        }
        if let Some(c) = &h.current
            && !by_id.contains_key(c)
        {
            return Err(CoreError::invalid(format!(
                "household '{}' lives at location '{c}', which is not in the location registry: add it or correct the id",
                h.id
            )));
        }
    }
    let closing = match &inst.mode {
        Mode::Close(id) => Some(*by_id.get(id).ok_or_else(|| {
            CoreError::invalid(format!("cannot plan the closure of '{id}': no location with that id in the registry"))
        })?),
        _ => None,
    };
    let mut sites: Vec<Site> = inst
        .locations
        .iter()
        .enumerate()
        .map(|(i, l)| Site {
            index: i,
            available: l.is_open_on(inst.date) && l.kind != LocationType::RegistrationCentre && Some(i) != closing,
            kind: l.kind,
            beds: l.beds,
            base_load: 0,
            may_house: assess(&inst.framework, l).may_house,
            cost_per_day: l.cost_per_place_day.unwrap_or_else(|| default_cost_per_day(l.kind)),
            max_stay_days: l.max_stay_days.unwrap_or(if l.kind == LocationType::Crisisnoodopvang {
                CRISIS_MAX_STAY_DAYS
            } else {
                u32::MAX
            }),
        })
        .collect();
    let current: Vec<Option<usize>> =
        inst.households.iter().map(|h| h.current.as_ref().map(|c| by_id[c.as_str()])).collect();
    let mut listed = vec![0u32; sites.len()];
    let mut movable = Vec::new();
    for (hi, h) in inst.households.iter().enumerate() {
        let cur = current[hi];
        if let Some(c) = cur {
            listed[c] += h.persons();
        }
        let moves = match (&inst.mode, cur) {
            // A closure plan moves only the residents of the closing location.
            (Mode::Close(_), None) => false,
            (_, None) => true,
            (Mode::Arrivals, Some(c)) => sites[c].kind == LocationType::RegistrationCentre,
            (Mode::Close(_), Some(c)) => Some(c) == closing,
            (Mode::Rebalance, Some(c)) => {
                let s = &sites[c];
                s.kind == LocationType::RegistrationCentre
                    || !s.available
                    || admissible(h, s).is_err()
                    || (h.days_there > s.max_stay_days)
            }
        };
        if moves {
            movable.push(hi);
        } else if let Some(c) = cur {
            sites[c].base_load += h.persons();
        }
    }
    // Residents the registry counts but the household list does not name stay where they are.
    for (i, l) in inst.locations.iter().enumerate() {
        sites[i].base_load += l.occupied.unwrap_or(0).saturating_sub(listed[i]);
    }
    Ok(Prepared { sites, movable, current, by_id })
}

/// The hard rules for household `h` at site `s` (capacity aside).
pub fn admissible(h: &Household, s: &Site) -> Result<(), Violation> {
    admissible_sig(h.is_unaccompanied(), h.has_infant(), h.groups(), s)
}

pub(crate) fn admissible_sig(unaccompanied: bool, infant: bool, groups: GroupSet, s: &Site) -> Result<(), Violation> {
    if !s.available {
        return Err(Violation::NotAvailable);
    }
    if unaccompanied != s.kind.is_amv() {
        return Err(Violation::AmvRule);
    }
    if infant && s.kind == LocationType::Crisisnoodopvang {
        return Err(Violation::InfantInCrisis);
    }
    if s.kind.is_emergency() && !groups.subset_of(s.may_house) {
        return Err(Violation::NeedsNotMet);
    }
    Ok(())
}

/// Parts of a household's cost at one location.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct CostParts {
    pub relocation: f64,
    pub travel: f64,
    pub cost: f64,
    pub overstay: f64,
}

impl CostParts {
    pub fn total(&self) -> f64 {
        self.relocation + self.travel + self.cost + self.overstay
    }
}

/// What of a household matters for cost (kept small so households aggregate into classes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CostSig {
    pub persons: u32,
    pub school_children: u32,
    pub hospital: bool,
    /// Current site if staying there is possible and moving away costs a relocation.
    pub current: Option<usize>,
    pub overstaying: bool,
}

pub(crate) fn cost_sig(inst: &Instance, p: &Prepared, hi: usize) -> CostSig {
    let h = &inst.households[hi];
    let cur = p.current[hi].filter(|c| p.sites[*c].kind != LocationType::RegistrationCentre);
    CostSig {
        persons: h.persons(),
        school_children: h.school_children(),
        hospital: h.needs_hospital(),
        current: cur,
        overstaying: cur.is_some_and(|c| h.days_there > p.sites[c].max_stay_days),
    }
}

fn minutes(v: Option<u32>, w: &Weights) -> f64 {
    v.map(|m| m as f64).unwrap_or(w.unknown_travel_min)
}

/// Cost of a household with signature `sig` at location `l`.
pub fn cost_at(sig: &CostSig, l: &Location, s: &Site, w: &Weights) -> CostParts {
    let a = &l.access;
    let mut travel = minutes(a.gp_min, w) + minutes(a.legal_aid_min, w);
    travel += sig.school_children as f64 * minutes(a.school_min, w);
    if sig.hospital {
        travel += minutes(a.hospital_min, w);
    }
    let stays = sig.current == Some(s.index);
    let relocation = if sig.current.is_some() && !stays {
        w.move_person * sig.persons as f64 + w.move_school_child * sig.school_children as f64
    } else {
        0.0
    };
    CostParts {
        relocation,
        travel: w.travel_minute * travel,
        cost: w.cost_euro * s.cost_per_day * sig.persons as f64,
        overstay: if stays && sig.overstaying { w.overstay_person * sig.persons as f64 } else { 0.0 },
    }
}
