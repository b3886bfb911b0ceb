//! Request bodies of the portal's writes. Everything is stored by spreiding-store, which
//! checks every step against the core's rules in one transaction with its audit record.

use chrono::NaiveDate;
use spreiding_core::GmCode;

use crate::error::{Result, WebError};

/// What a municipality offers: the portal form and the JSON body of `POST /api/offers`.
#[derive(Clone, Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct NewOffer {
    #[schema(value_type = String, example = "GM0014")]
    pub gm_code: GmCode,
    /// Name or address of the location (unique per municipality within a cycle).
    pub location: String,
    #[schema(minimum = 1, maximum = 5000)]
    pub places: u64,
    /// regular_durable, temporary, noodopvang, crisisnoodopvang, amv_small_scale or registration_centre.
    pub kind: String,
    /// Of the places, those for unaccompanied minors (AMV); all of them for amv_small_scale.
    #[serde(default)]
    pub amv_places: Option<u64>,
    /// Years the places are available (durable: at least five, Besluit art. 1.1).
    #[schema(minimum = 1, maximum = 50)]
    pub years: u32,
    /// First day the places are available; today when absent.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub available_from: Option<NaiveDate>,
}

impl NewOffer {
    /// The core's offer; the store validates it against the cycle (and names the field).
    pub fn to_core(&self, today: NaiveDate) -> Result<spreiding_core::offer::Offer> {
        let kind: spreiding_core::offer::OfferKind =
            self.kind.parse().map_err(|e: spreiding_core::CoreError| WebError::Invalid(format!("kind: {e}")))?;
        let amv_places = match (self.amv_places, kind) {
            (Some(a), _) => a,
            (None, spreiding_core::offer::OfferKind::AmvSmallScale) => self.places,
            (None, _) => 0,
        };
        Ok(spreiding_core::offer::Offer {
            gm_code: self.gm_code,
            location: self.location.trim().to_string(),
            kind,
            places: self.places,
            amv_places,
            years: self.years,
            available_from: self.available_from.unwrap_or(today),
        })
    }
}
