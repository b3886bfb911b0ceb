//! Reception locations (opvanglocaties): the kinds the law and COA distinguish.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::CoreError;

/// Type of a reception location.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationType {
    /// Regular asylum seekers' centre (azc), run by COA.
    RegularAzc,
    /// Municipal operation (gemeentelijke exploitatie), Wet art. 1 / Besluit art. 1.1.
    MunicipalOperation,
    /// Small-scale location.
    SmallScale,
    /// Family location (gezinslocatie).
    FamilyLocation,
    /// Small-scale housing for unaccompanied minors (AMV kleinschalig).
    AmvSmallScale,
    /// Protected/guarded housing for unaccompanied minors (beschermde opvang).
    AmvGuarded,
    /// Emergency reception (noodopvang): temporary, does not count as durable (DOMAIN.md §3).
    Noodopvang,
    /// Crisis emergency reception (crisisnoodopvang): at most about a week (ECLI:NL:GHDHA:2022:2429).
    Crisisnoodopvang,
    /// Registration centre (aanmeldvoorziening, Besluit art. 1.1), e.g. Ter Apel.
    RegistrationCentre,
    Other,
}

impl LocationType {
    pub const ALL: [LocationType; 10] = [
        LocationType::RegularAzc,
        LocationType::MunicipalOperation,
        LocationType::SmallScale,
        LocationType::FamilyLocation,
        LocationType::AmvSmallScale,
        LocationType::AmvGuarded,
        LocationType::Noodopvang,
        LocationType::Crisisnoodopvang,
        LocationType::RegistrationCentre,
        LocationType::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            LocationType::RegularAzc => "azc",
            LocationType::MunicipalOperation => "gemeentelijk",
            LocationType::SmallScale => "kleinschalig",
            LocationType::FamilyLocation => "gezinslocatie",
            LocationType::AmvSmallScale => "amv-kleinschalig",
            LocationType::AmvGuarded => "amv-beschermd",
            LocationType::Noodopvang => "noodopvang",
            LocationType::Crisisnoodopvang => "crisisnoodopvang",
            LocationType::RegistrationCentre => "aanmeldcentrum",
            LocationType::Other => "overig",
        }
    }

    /// Temporary emergency reception never counts as durable (DOMAIN.md §3).
    pub fn is_emergency(self) -> bool {
        matches!(self, LocationType::Noodopvang | LocationType::Crisisnoodopvang)
    }

    pub fn is_amv(self) -> bool {
        matches!(self, LocationType::AmvSmallScale | LocationType::AmvGuarded)
    }
}

impl fmt::Display for LocationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for LocationType {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        let k = s.trim().to_ascii_lowercase().replace(['_', ' '], "-");
        Ok(match k.as_str() {
            "azc" | "regular-azc" | "regulier" => LocationType::RegularAzc,
            "gemeentelijk" | "exploitatie" | "municipal-operation" | "municipal" => LocationType::MunicipalOperation,
            "kleinschalig" | "small-scale" => LocationType::SmallScale,
            "gezinslocatie" | "family-location" | "family" => LocationType::FamilyLocation,
            "amv-kleinschalig" | "amv-small-scale" | "amv" => LocationType::AmvSmallScale,
            "amv-beschermd" | "amv-guarded" => LocationType::AmvGuarded,
            "noodopvang" | "emergency" => LocationType::Noodopvang,
            "crisisnoodopvang" | "crisis-emergency" => LocationType::Crisisnoodopvang,
            "aanmeldcentrum" | "aanmeldvoorziening" | "registration-centre" | "registration-center" => {
                LocationType::RegistrationCentre
            }
            "overig" | "other" => LocationType::Other,
            _ => {
                return Err(CoreError::invalid(format!(
                    "unknown location type '{}': use one of {}",
                    s.trim(),
                    LocationType::ALL.map(|t| t.code()).join(", ")
                )));
            }
        })
    }
}
