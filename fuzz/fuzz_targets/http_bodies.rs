//! The HTTP request bodies of the portal and the API, as the handlers in spreiding-web read
//! them: `POST /api/offers` (JSON `db::NewOffer`, then `NewOffer::to_core` and the core's
//! `Offer::validate`), `POST /api/municipalities/{gm}/realisation` (JSON
//! `api::NewRealisation`), and the URL-encoded forms (`pages::LoginForm`, `pages::CsrfForm`,
//! the portal's field map) as axum's `Form` decodes them (serde_urlencoded), and the
//! ministry's forecast form (`forecast_run::Request::from_form`, in both languages; the run
//! itself is not started).
//!
//! The input is split at the first NUL: JSON body before it, form body after it.
#![no_main]
#[path = "common.rs"]
mod common;

use std::collections::HashMap;

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use spreiding_core::GmCode;
use spreiding_core::cycle::Calendar;
use spreiding_web::api::NewRealisation;
use spreiding_web::db::NewOffer;
use spreiding_web::forecast_run;
use spreiding_web::i18n::Lang;
use spreiding_web::pages::{CsrfForm, LoginForm};

fuzz_target!(|data: &[u8]| {
    let (json, form) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &data[..0]),
    };
    if let Ok(o) = serde_json::from_slice::<NewOffer>(json) {
        let today = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
        if let Ok(offer) = o.to_core(today) {
            let _ = offer.validate(Calendar { year: 2024 });
            let _ = common::NL.municipality(offer.gm_code);
        }
    }
    let _ = serde_json::from_slice::<NewRealisation>(json);
    let _ = serde_urlencoded::from_bytes::<LoginForm>(form);
    let _ = serde_urlencoded::from_bytes::<CsrfForm>(form);
    if let Ok(fields) = serde_urlencoded::from_bytes::<HashMap<String, String>>(form) {
        for l in [Lang::Nl, Lang::En] {
            if let Ok(r) = forecast_run::Request::from_form(&fields, l) {
                assert!((forecast_run::MIN_PATHS..=forecast_run::MAX_PATHS).contains(&r.paths));
                assert!((1..=forecast_run::MAX_YEARS).contains(&r.years));
            }
        }
        // The portal's own field readers are private; what they call is public.
        for (k, v) in &fields {
            let v = v.trim();
            match k.as_str() {
                "gm_code" => drop(v.parse::<GmCode>()),
                "kind" => drop(v.parse::<spreiding_core::offer::OfferKind>()),
                "available_from" => drop(v.parse::<NaiveDate>()),
                _ => drop(v.parse::<u64>()),
            }
        }
    }
});
