//! Who acts, and what each role may do. The same rules serve the command line and the
//! web portal, and are checked on the server for every mutation.
//!
//! Roles follow the law's division of tasks (Wet gemeentelijke taak mogelijk maken
//! asielopvangvoorzieningen): the minister sets the forecast and takes the distribution
//! decision (art. 2, 3, 5–6); the King's Commissioner (CdK) chairs the provincial table and
//! reports the provincial plan; each municipality offers and realises its own places and may
//! object (bezwaar, Awb art. 6:4) to its binding task; COA runs the reception locations; an
//! account administrator (functioneel beheerder) manages the accounts — and nothing else, so
//! that who decides and who hands out accounts are different people; everyone may read the
//! public figures.
//!
//! A role is never self-declared: it is the role of an authenticated account (the store
//! looks it up). [`Actor::may`] is the single authorisation rule of the system.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::region::{GmCode, Netherlands, PvCode};

/// A role, bound to the region it acts for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "role", content = "region", rename_all = "snake_case")]
pub enum Role {
    /// Ministry of Asylum and Migration: forecast, cycle management, distribution decision.
    Ministry,
    /// King's Commissioner / provincial table of one province: report, swaps.
    Province(PvCode),
    /// One municipality: its own offers and realisation.
    Municipality(GmCode),
    /// COA (Centraal Orgaan opvang asielzoekers): reception locations and quality assessments.
    Coa,
    /// Account administrator (functioneel beheerder): accounts and tokens only.
    Admin,
    /// Read-only public access.
    Public,
}

/// Who performs an action: a role and a name for the audit trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub name: String,
    pub role: Role,
}

/// What can be done. Region-bound actions carry the region acted upon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Publish or revise the capacity forecast and indicative tasks; record a deviation;
    /// open or close a cycle.
    ManageCycle,
    /// Import public reference data (CBS population, SES-WOA) into the record.
    ImportData,
    /// Offer, change or withdraw places for a municipality.
    Offer(GmCode),
    /// Record realised places for a municipality.
    Realise(GmCode),
    /// File an objection (bezwaar) against the municipality's binding task.
    Object(GmCode),
    /// Apply for the specific payment for durable places (Regeling, Stcrt. 2024, 3349).
    ApplyPayment(GmCode),
    /// Agree a swap between municipalities of a province.
    Swap(PvCode),
    /// Submit or amend the provincial report (CdK report).
    Report(PvCode),
    /// Take or revise the distribution decision (verdeelbesluit); decide on objections.
    Decide,
    /// Register or change reception locations, assess quality, place households.
    ManageLocations,
    /// Create or change user accounts.
    ManageUsers,
    /// Publish a policy-simulation report on the public dashboard ("Wat de wet oplevert"). The
    /// report is analysis, not a legal act of the Wet; the ministry's planners publish it so the
    /// public page always names who stands behind the figures.
    PublishAnalysis,
    /// Verify the whole record (the audit chain, its checkpoints and every table row against
    /// the log): the keepers of the record, the ministry and the administrators. Read-only, but
    /// it reads everything, so it is not offered to anonymous visitors.
    VerifyRecord,
    /// Record a run of the capacity forecast (capaciteitsraming, Wet art. 2) in the record, so
    /// a cycle can be published from it and name it: the ministry's planners and the minister.
    /// Publishing a cycle from a run stays [`Action::ManageCycle`].
    RecordForecast,
    /// Read public figures.
    ReadPublic,
}

impl Role {
    pub fn kind(&self) -> &'static str {
        match self {
            Role::Ministry => "ministry",
            Role::Province(_) => "province",
            Role::Municipality(_) => "municipality",
            Role::Coa => "coa",
            Role::Admin => "admin",
            Role::Public => "public",
        }
    }

    /// The organisation the role acts for, as the public may see it (never a login name).
    pub fn organisation(&self, nl: &Netherlands) -> String {
        match self {
            Role::Ministry => "Ministerie van Asiel en Migratie".into(),
            Role::Province(p) => match nl.province(*p) {
                Some(pv) => format!("Provincie {} (CdK)", pv.name),
                None => format!("Provincie {p}"),
            },
            Role::Municipality(g) => match nl.municipality(*g) {
                Some(m) => format!("Gemeente {}", m.name),
                None => format!("Gemeente {g}"),
            },
            Role::Coa => "COA".into(),
            Role::Admin => "Functioneel beheer".into(),
            Role::Public => "Publiek".into(),
        }
    }

    /// Parse `ministry`, `province:PV27`, `municipality:GM0363`, `coa`, `public`.
    pub fn parse(kind: &str, region: Option<&str>) -> Result<Role, CoreError> {
        let need = |what: &str| region.ok_or_else(|| CoreError::invalid(format!("role {kind} needs a {what} code")));
        Ok(match kind.trim().to_ascii_lowercase().as_str() {
            "ministry" | "minister" | "ministerie" => Role::Ministry,
            "province" | "provincie" | "cdk" => Role::Province(need("province (PVnn)")?.parse()?),
            "municipality" | "gemeente" => Role::Municipality(need("municipality (GMnnnn)")?.parse()?),
            "coa" => Role::Coa,
            "admin" | "beheerder" => Role::Admin,
            "public" | "publiek" => Role::Public,
            other => {
                return Err(CoreError::invalid(format!(
                    "unknown role '{other}': use ministry, province, municipality, coa, admin or public"
                )));
            }
        })
    }

    /// The province this role belongs to, if any (a municipality belongs to its province).
    pub fn province(&self, nl: &Netherlands) -> Option<PvCode> {
        match self {
            Role::Province(p) => Some(*p),
            Role::Municipality(g) => nl.municipality(*g).map(|m| m.province),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Role::Province(p) => write!(f, "province:{p}"),
            Role::Municipality(g) => write!(f, "municipality:{g}"),
            other => f.write_str(other.kind()),
        }
    }
}

impl FromStr for Role {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        match s.split_once(':') {
            Some((k, r)) => Role::parse(k, Some(r)),
            None => Role::parse(s, None),
        }
    }
}

/// Why an action is refused: not signed in (401) or not allowed (403).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("sign in first: {0}")]
    Unauthenticated(String),
    #[error("not allowed: {0}")]
    Forbidden(String),
}

impl Actor {
    /// Check that this actor may perform `action`. The single authorisation rule of the system.
    pub fn may(&self, action: Action) -> Result<(), Denied> {
        use Action::*;
        let ok = match (self.role, action) {
            (_, ReadPublic) => true,
            (Role::Public, _) => {
                return Err(Denied::Unauthenticated("the public can read but not change anything".into()));
            }
            (Role::Ministry, ManageCycle | Decide | ImportData | PublishAnalysis | RecordForecast | VerifyRecord) => {
                true
            }
            (Role::Ministry, _) => false,
            (Role::Municipality(own), Offer(g) | Realise(g) | Object(g) | ApplyPayment(g)) => own == g,
            (Role::Province(own), Swap(p) | Report(p)) => own == p,
            (Role::Coa, ManageLocations) => true,
            (Role::Admin, ManageUsers | VerifyRecord) => true,
            _ => false,
        };
        if ok { Ok(()) } else { Err(Denied::Forbidden(format!("{} may not {}", self.role, describe(action)))) }
    }
}

fn describe(a: Action) -> String {
    match a {
        Action::ManageCycle => "manage the cycle or the forecast".into(),
        Action::ImportData => "import reference data".into(),
        Action::Offer(g) => format!("offer, amend or withdraw places for {g}"),
        Action::Realise(g) => format!("record realised places for {g}"),
        Action::Object(g) => format!("object to the binding task of {g}"),
        Action::ApplyPayment(g) => format!("apply for the specific payment of {g}"),
        Action::Swap(p) => format!("record swaps in {p}"),
        Action::Report(p) => format!("submit the report of {p}"),
        Action::Decide => "take or revise the distribution decision or decide on objections".into(),
        Action::ManageLocations => "manage reception locations".into(),
        Action::ManageUsers => "manage user accounts".into(),
        Action::PublishAnalysis => "publish a policy-simulation report".into(),
        Action::VerifyRecord => "verify the record".into(),
        Action::RecordForecast => "record a forecast run".into(),
        Action::ReadPublic => "read".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: &str) -> Actor {
        Actor { name: "t".into(), role: role.parse().unwrap() }
    }

    #[test]
    fn a_municipality_acts_only_for_itself() {
        let gm14 = actor("municipality:GM0014");
        assert!(gm14.may(Action::Offer("GM0014".parse().unwrap())).is_ok());
        assert!(matches!(gm14.may(Action::Offer("GM0034".parse().unwrap())), Err(Denied::Forbidden(_))));
        assert!(matches!(gm14.may(Action::Decide), Err(Denied::Forbidden(_))));
    }

    #[test]
    fn the_public_reads_but_never_writes() {
        let p = actor("public");
        assert!(p.may(Action::ReadPublic).is_ok());
        assert!(matches!(p.may(Action::Offer("GM0014".parse().unwrap())), Err(Denied::Unauthenticated(_))));
    }

    #[test]
    fn only_the_minister_decides_and_only_the_cdk_reports_for_its_province() {
        assert!(actor("ministry").may(Action::Decide).is_ok());
        assert!(actor("province:PV27").may(Action::Report("PV27".parse().unwrap())).is_ok());
        assert!(actor("province:PV27").may(Action::Report("PV28".parse().unwrap())).is_err());
        assert!(actor("coa").may(Action::ManageLocations).is_ok());
        assert!(actor("coa").may(Action::Decide).is_err());
    }

    /// Separation of duties: the administrator hands out accounts and does nothing else;
    /// the minister decides and hands out no accounts.
    #[test]
    fn accounts_are_managed_by_the_administrator_only() {
        assert!(actor("admin").may(Action::ManageUsers).is_ok());
        assert!(actor("admin").may(Action::Decide).is_err());
        assert!(actor("admin").may(Action::Offer("GM0014".parse().unwrap())).is_err());
        assert!(actor("ministry").may(Action::ManageUsers).is_err());
        assert!(actor("ministry").may(Action::PublishAnalysis).is_ok());
        assert!(actor("coa").may(Action::PublishAnalysis).is_err());
        assert!(actor("public").may(Action::PublishAnalysis).is_err());
        assert!(actor("ministry").may(Action::VerifyRecord).is_ok());
        assert!(actor("admin").may(Action::VerifyRecord).is_ok());
        assert!(actor("coa").may(Action::VerifyRecord).is_err());
        assert!(actor("public").may(Action::VerifyRecord).is_err());
    }

    /// A forecast run is recorded by the ministry only; publishing from it is the cycle's act.
    #[test]
    fn only_the_ministry_records_forecast_runs() {
        assert!(actor("ministry").may(Action::RecordForecast).is_ok());
        for r in ["admin", "coa", "province:PV27", "municipality:GM0014"] {
            assert!(matches!(actor(r).may(Action::RecordForecast), Err(Denied::Forbidden(_))), "{r}");
        }
        assert!(matches!(actor("public").may(Action::RecordForecast), Err(Denied::Unauthenticated(_))));
        assert!(actor("coa").may(Action::ManageCycle).is_err());
    }

    #[test]
    fn a_municipality_objects_only_to_its_own_task() {
        let gm = actor("municipality:GM0014");
        assert!(gm.may(Action::Object("GM0014".parse().unwrap())).is_ok());
        assert!(gm.may(Action::Object("GM0034".parse().unwrap())).is_err());
        assert!(actor("ministry").may(Action::Object("GM0014".parse().unwrap())).is_err());
    }
}
