//! The specific payments (specifieke uitkeringen, Wet art. 9; Regeling, Stcrt. 2024, 3349):
//! per place, the amount that applies by kind and phase — durable or not; offered early,
//! after provincial prompting, or imposed by the decision.
//!
//! The amounts are a declared, dated and versioned table (`payments/*.toml`), because
//! docs/DOMAIN-BRIEF.md §3 marks them uncertain: every output names the table's id, version and status.
//! Money is exact: whole euro cents.

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Located};
use crate::offer::{Offer, OfferKind};
use crate::plan::count_offer;
use crate::region::GmCode;

/// Amounts in euro per place.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Amounts {
    pub durable_early: u64,
    pub non_durable_early: u64,
    pub durable_after_prompting: u64,
    pub non_durable_after_prompting: u64,
    pub imposed: u64,
    pub registration_centre_existing: u64,
    /// Emergency reception: no amount in the sources; the table says what it assumes.
    pub emergency: u64,
}

/// A payment table as read from `payments/<id>.toml`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentTable {
    pub id: String,
    pub version: String,
    pub title: String,
    /// `official` or `uncertain`.
    pub status: String,
    pub source: String,
    pub valid_from: NaiveDate,
    /// Offers made within this many months of the forecast's publication are early.
    pub early_months: u32,
    pub amounts: Amounts,
}

impl PaymentTable {
    /// Parse and check a table; errors name the file and line.
    pub fn parse(source: &str, text: &str) -> Result<Self, CoreError> {
        let t: PaymentTable = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start].lines().count().max(1)).unwrap_or(0);
            CoreError::invalid(e.message().to_string()).at(Located::new(source, line, ""))
        })?;
        if !matches!(t.status.as_str(), "official" | "uncertain") {
            return Err(CoreError::invalid(format!("status: '{}' must be official or uncertain", t.status))
                .at(Located::new(source, 0, "status")));
        }
        if t.early_months == 0 || t.early_months > 12 {
            return Err(CoreError::invalid("early_months: give 1 to 12 months").at(Located::new(
                source,
                0,
                "early_months",
            )));
        }
        Ok(t)
    }

    /// `id vversion (status)`, carried with every payment shown.
    pub fn label(&self) -> String {
        format!("{} v{} ({})", self.id, self.version, self.status)
    }

    /// The last day an offer is early: `early_months` after the publication.
    pub fn early_until(&self, published_on: NaiveDate) -> NaiveDate {
        published_on.checked_add_months(Months::new(self.early_months)).expect("date in range")
    }
}

/// The phase an offer was made in, for the payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Offered within the early months after the forecast.
    Early,
    /// Offered later, after the province prompted.
    AfterPrompting,
}

/// An offer with the date it was first made (amendments keep that date).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatedOffer<'a> {
    pub offer: &'a Offer,
    pub offered_on: NaiveDate,
}

/// One line of a municipality's payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentItem {
    pub what: String,
    pub places: u64,
    pub euro_per_place: u64,
    pub cents: u64,
    /// The amount rests on an assumption of the table (emergency reception).
    pub assumption: bool,
}

/// A municipality's payment: its items and their total.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub gm_code: GmCode,
    pub table: String,
    pub items: Vec<PaymentItem>,
    pub total_cents: u64,
}

impl Payment {
    /// A sentence for the decision's explanation and the status.
    pub fn explanation(&self) -> String {
        if self.items.is_empty() {
            return format!("Specific payment ({}): none so far.", self.table);
        }
        let parts: Vec<String> = self
            .items
            .iter()
            .map(|i| {
                format!(
                    "{} × €{} for {}{}",
                    crate::decision::n(i.places),
                    crate::decision::n(i.euro_per_place),
                    i.what,
                    if i.assumption { " (assumption)" } else { "" }
                )
            })
            .collect();
        format!("Specific payment (Wet art. 9; {}): {} = {}.", self.table, parts.join(" + "), euro(self.total_cents))
    }
}

/// `€1,234,500.00` from cents.
pub fn euro(cents: u64) -> String {
    format!("€{}.{:02}", crate::decision::n(cents / 100), cents % 100)
}

/// The payment of one municipality: per offer that is there in time, the amount for its kind
/// and phase (durable places at the durable rate, temporary and short-lived places at the
/// non-durable rate, emergency reception at the table's emergency amount); its share of the
/// shortfall imposed by the decision at the imposed rate; and the existing durable places of
/// a registration centre credited against its task.
pub fn payment(
    table: &PaymentTable,
    gm_code: GmCode,
    published_on: NaiveDate,
    realisation_deadline: NaiveDate,
    offers: &[DatedOffer<'_>],
    imposed_places: u64,
    registration_centre_credit: u64,
) -> Payment {
    let a = &table.amounts;
    let early_until = table.early_until(published_on);
    // (what, assumption) → (places, rate)
    let mut items: BTreeMap<(u8, &'static str), (u64, u64, bool)> = BTreeMap::new();
    let mut add = |order: u8, what: &'static str, places: u64, rate: u64, assumption: bool| {
        if places > 0 {
            let e = items.entry((order, what)).or_insert((0, rate, assumption));
            e.0 += places;
        }
    };
    for d in offers.iter().filter(|d| d.offer.gm_code == gm_code) {
        let o = d.offer;
        if o.available_from > realisation_deadline {
            continue; // not there in time: no payment
        }
        let phase = if d.offered_on <= early_until { Phase::Early } else { Phase::AfterPrompting };
        if o.kind.is_emergency() {
            add(9, "emergency reception places", o.places, a.emergency, true);
        } else if count_offer(o, realisation_deadline).counted {
            match phase {
                Phase::Early => add(1, "durable places offered early", o.places, a.durable_early, false),
                Phase::AfterPrompting => add(
                    2,
                    "durable places offered after provincial prompting",
                    o.places,
                    a.durable_after_prompting,
                    false,
                ),
            }
        } else if o.kind == OfferKind::Temporary || o.years < crate::distribution::DURABLE_MIN_YEARS {
            match phase {
                Phase::Early => add(3, "non-durable places offered early", o.places, a.non_durable_early, false),
                Phase::AfterPrompting => add(
                    4,
                    "non-durable places offered after provincial prompting",
                    o.places,
                    a.non_durable_after_prompting,
                    false,
                ),
            }
        }
    }
    add(5, "places imposed by the distribution decision", imposed_places, a.imposed, false);
    add(
        6,
        "existing registration-centre places credited",
        registration_centre_credit,
        a.registration_centre_existing,
        false,
    );
    let items: Vec<PaymentItem> = items
        .into_iter()
        .map(|((_, what), (places, rate, assumption))| PaymentItem {
            what: what.to_string(),
            places,
            euro_per_place: rate,
            cents: places * rate * 100,
            assumption,
        })
        .collect();
    let total_cents = items.iter().map(|i| i.cents).sum();
    Payment { gm_code, table: table.label(), items, total_cents }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> PaymentTable {
        crate::bundled::payment_table().unwrap()
    }

    fn offer(kind: OfferKind, places: u64, years: u32) -> Offer {
        Offer {
            gm_code: "GM0014".parse().unwrap(),
            location: "L".into(),
            kind,
            places,
            amv_places: if kind == OfferKind::AmvSmallScale { places } else { 0 },
            years,
            available_from: "2024-09-01".parse().unwrap(),
        }
    }

    /// docs/DOMAIN-BRIEF.md §3 (uncertain amounts): durable early €5,000, non-durable early €2,500,
    /// after prompting €4,000 / €1,500, imposed €1,500, Ter Apel existing places €2,000.
    #[test]
    fn amounts_by_kind_and_phase() {
        let t = table();
        let gm: GmCode = "GM0014".parse().unwrap();
        let published: NaiveDate = "2024-01-31".parse().unwrap();
        let deadline: NaiveDate = "2025-06-23".parse().unwrap();
        let durable = offer(OfferKind::RegularDurable, 100, 10);
        let temp = offer(OfferKind::Temporary, 50, 2);
        let nood = offer(OfferKind::Noodopvang, 300, 1);
        let late = offer(OfferKind::RegularDurable, 10, 10);
        let offers = [
            DatedOffer { offer: &durable, offered_on: "2024-03-01".parse().unwrap() },
            DatedOffer { offer: &temp, offered_on: "2024-03-01".parse().unwrap() },
            DatedOffer { offer: &nood, offered_on: "2024-03-01".parse().unwrap() },
            DatedOffer { offer: &late, offered_on: "2024-09-01".parse().unwrap() },
        ];
        let p = payment(&t, gm, published, deadline, &offers, 20, 0);
        let cents = |what: &str| p.items.iter().find(|i| i.what.starts_with(what)).map(|i| i.cents).unwrap();
        assert_eq!(cents("durable places offered early"), 100 * 5000 * 100);
        assert_eq!(cents("non-durable places offered early"), 50 * 2500 * 100);
        assert_eq!(cents("durable places offered after"), 10 * 4000 * 100);
        assert_eq!(cents("places imposed"), 20 * 1500 * 100);
        assert!(p.items.iter().any(|i| i.assumption && i.what.starts_with("emergency")));
        assert_eq!(p.total_cents, p.items.iter().map(|i| i.cents).sum::<u64>());
        assert!(p.explanation().contains("uncertain"), "{}", p.explanation());
        let rc = payment(&t, gm, published, deadline, &[], 0, 2000);
        assert_eq!(rc.total_cents, 2000 * 2000 * 100);
        assert_eq!(euro(123_456_789), "€1,234,567.89");
    }
}
