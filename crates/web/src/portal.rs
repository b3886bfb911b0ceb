//! The portal: a screen for every role, each action a form that the server authorises
//! through the core's single rule (`Actor::may`, checked again by the store) and writes in
//! one transaction with its audit record.
//!
//! - municipality: offers of every kind, amend and withdraw, AMV places, realisation,
//!   objections, the payment application, its binding decision as a printable page;
//! - province (CdK): swaps, the report and its amendment;
//! - ministry: run and record a forecast run (`forecast_run`), publish a cycle (with a preview
//!   of the key and its inputs, from a recorded run or a number), preview and take the
//!   decision, revise it, decide on objections, close the cycle;
//! - COA: the location registry (add, edit, close, CSV import with a line-numbered error
//!   report) and quality assessments;
//! - administrator: accounts and tokens.
//!
//! Every action posts to `/portaal/{action}` with a CSRF token. On an error the form comes
//! back with what the user typed and the message in their language; nothing was written.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate};
use spreiding_core::GmCode;
use spreiding_core::actor::{Action, Role};
use spreiding_core::cycle::{Calendar, CycleId};
use spreiding_core::decision::{Decision, DecisionRule, Designation, OverDelivery};
use spreiding_core::offer::{Offer, OfferKind, Swap};
use spreiding_core::plan::Commitment;
use spreiding_store::{Account, ForecastRequest, Objection, Principal, TokenInfo};

use crate::auth::{AuthSession, authorize, csrf_token};
use crate::error::{Result, WebError};
use crate::model::{MunicipalityRow, Offer as OfferRow};
use crate::pages::{Chrome, LangQuery};
use crate::server::AppState;

/// What the portal shows a signed-in account.
#[derive(Template)]
#[template(path = "portal.html")]
pub struct PortalPage<'a> {
    pub c: &'a Chrome,
    pub username: String,
    pub role: String,
    pub kind: &'static str,
    pub flash: Option<String>,
    pub error: Option<String>,
    pub draft: HashMap<String, String>,
    pub today: String,
    pub cycle_id: String,
    pub cycle_origin: String,
    pub tables_open: bool,
    pub decided: bool,
    pub closed: bool,
    pub municipality: Option<MunicipalityRow>,
    pub offers: Vec<OfferRow>,
    pub binding: Option<String>,
    pub objections: Vec<Objection>,
    pub province: Option<String>,
    pub province_rows: Vec<MunicipalityRow>,
    pub reported: bool,
    pub indicator_sets: Vec<String>,
    /// The recorded forecast runs the minister may publish from, newest first.
    pub forecast_runs: Vec<spreiding_store::ForecastRun>,
    /// Whether the account may record a forecast run (`Action::RecordForecast`): then the
    /// portal shows the form, with the bundled scenarios to choose from.
    pub may_record_forecast: bool,
    pub scenarios: &'static [crate::forecast_run::ScenarioChoice],
    pub fc: FormBounds,
    /// The run the form just recorded (`?ok=forecast-run-N`), named with links.
    pub recorded_run: Option<spreiding_store::ForecastRun>,
    pub locations: Vec<spreiding_core::location::Location>,
    pub accounts: Vec<Account>,
    pub tokens: Vec<TokenInfo>,
    pub issued_token: Option<String>,
}

impl PortalPage<'_> {
    /// The value the user typed in field `k` (kept when a form comes back with an error).
    pub fn v(&self, k: &str) -> String {
        self.draft.get(k).cloned().unwrap_or_default()
    }

    /// [`PortalPage::v`], or `default` when nothing was typed.
    pub fn v_or(&self, k: &str, default: &str) -> String {
        Some(self.v(k)).filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_string())
    }
}

/// The bounds and defaults of the forecast-run form, for its labels and inputs.
pub struct FormBounds {
    pub min_paths: u64,
    pub max_paths: u64,
    pub default_paths: u64,
    pub max_years: u32,
    pub default_years: u32,
    pub max_note: usize,
}

const FORECAST_FORM: FormBounds = {
    use crate::forecast_run as f;
    FormBounds {
        min_paths: f::MIN_PATHS,
        max_paths: f::MAX_PATHS,
        default_paths: f::DEFAULT_PATHS,
        max_years: f::MAX_YEARS,
        default_years: f::DEFAULT_YEARS,
        max_note: f::MAX_NOTE,
    }
};

/// The message key of a recorded forecast run: `forecast-run-N`.
const RECORDED_RUN: &str = "forecast-run-";

/// Forecast and simulation runs from the portal take seconds of both cores each: they run one
/// at a time, in the order they arrive, so that two planners posting together each wait for
/// one run instead of both sharing the machine (and the web pages staying responsive meanwhile).
static HEAVY_RUNS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// The form fields, as posted.
type Fields = HashMap<String, String>;

fn field<'a>(f: &'a Fields, k: &str) -> &'a str {
    f.get(k).map(|s| s.trim()).unwrap_or("")
}

fn num<T: std::str::FromStr>(f: &Fields, k: &str, what: &str) -> Result<T> {
    field(f, k).parse::<T>().map_err(|_| WebError::Invalid(format!("{k}: '{}' is not {what}", field(f, k))))
}

fn opt_num(f: &Fields, k: &str) -> Result<Option<u64>> {
    match field(f, k) {
        "" => Ok(None),
        v => v.parse().map(Some).map_err(|_| WebError::Invalid(format!("{k}: '{v}' is not a whole number"))),
    }
}

fn gm(f: &Fields, k: &str) -> Result<GmCode> {
    field(f, k).parse().map_err(|e: spreiding_core::CoreError| WebError::Invalid(format!("{k}: {e}")))
}

fn opt_date(f: &Fields, k: &str) -> Result<Option<NaiveDate>> {
    match field(f, k) {
        "" => Ok(None),
        v => v.parse().map(Some).map_err(|_| WebError::Invalid(format!("{k}: '{v}' is not a date: use YYYY-MM-DD"))),
    }
}

fn reason(f: &Fields) -> Option<String> {
    Some(field(f, "reason").to_string()).filter(|r| !r.is_empty())
}

/// Commitments typed as lines `GM0014,120[,10]`.
fn commitments(text: &str) -> Result<Vec<(GmCode, Commitment)>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let parts: Vec<&str> = line.split([',', ';', '\t']).map(str::trim).collect();
        let at = |m: String| WebError::Invalid(format!("commitments, line {}: {m}", i + 1));
        let g: GmCode = parts[0].parse().map_err(|e: spreiding_core::CoreError| at(e.to_string()))?;
        let places: u64 =
            parts.get(1).unwrap_or(&"").parse().map_err(|_| at("give the commitment as a whole number".into()))?;
        let amv: u64 = match parts.get(2) {
            None | Some(&"") => 0,
            Some(a) => a.parse().map_err(|_| at("the AMV commitment is not a whole number".into()))?,
        };
        out.push((g, Commitment { places, amv }));
    }
    Ok(out)
}

/// The portal of the signed-in account.
pub async fn portal(
    State(s): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    uri: Uri,
    auth: AuthSession,
) -> Response {
    let Some(user) = auth.user.clone() else {
        return Redirect::to("/login").into_response();
    };
    let flash = q.ok.clone();
    render(&s, &q, &headers, &uri, &auth, &user.principal, flash, None, HashMap::new(), None).await
}

#[allow(clippy::too_many_arguments)]
async fn render(
    s: &AppState,
    q: &LangQuery,
    headers: &HeaderMap,
    uri: &Uri,
    auth: &AuthSession,
    who: &Principal,
    flash: Option<String>,
    error: Option<String>,
    draft: Fields,
    issued_token: Option<String>,
) -> Response {
    let snap = s.snapshot();
    let mut c = Chrome::new(q, headers, uri, auth, &snap);
    match csrf_token(&auth.session).await {
        Ok(t) => c.csrf = t,
        Err(e) => return c.error(e),
    }
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let store = s.store();
    let role = who.role();
    let cycle = &snap.cycle;
    let may_record_forecast = who.actor().may(Action::RecordForecast).is_ok();
    // A recorded run is named by its own block, with links; no plain message for it.
    let recorded: Option<i64> = match flash.as_deref().map(|f| f.strip_prefix(RECORDED_RUN)) {
        Some(Some(n)) => n.parse().ok(),
        _ => None,
    };
    let flash = flash.filter(|f| !f.starts_with(RECORDED_RUN));
    let mut page = PortalPage {
        c: &c,
        username: who.username().to_string(),
        role: role.to_string(),
        kind: role.kind(),
        flash: flash.map(|f| flash_text(c.l, &f)),
        error,
        draft,
        today: s.today().await.to_string(),
        cycle_id: cycle.id.clone(),
        cycle_origin: cycle.origin.clone(),
        tables_open: cycle.origin == "ministry" && cycle.phase == "tables",
        decided: cycle.phase == "decided",
        closed: cycle.phase == "closed",
        municipality: None,
        offers: vec![],
        binding: None,
        objections: vec![],
        province: None,
        province_rows: vec![],
        reported: false,
        indicator_sets: vec![],
        forecast_runs: vec![],
        may_record_forecast,
        scenarios: crate::forecast_run::choices(),
        fc: FORECAST_FORM,
        recorded_run: None,
        locations: vec![],
        accounts: vec![],
        tokens: vec![],
        issued_token,
    };
    let id: Option<CycleId> = cycle.id.parse().ok().filter(|_| cycle.origin == "ministry");
    let load = async {
        match role {
            Role::Municipality(g) => {
                page.municipality = snap.municipality(g).cloned();
                page.offers = snap.offers_of(g).into_iter().cloned().collect();
                page.binding = snap.records.binding_explanations.get(&g).cloned();
                if let Some(id) = &id {
                    page.objections = store.objections(id).await?.into_iter().filter(|o| o.gm_code == g).collect();
                }
            }
            Role::Province(p) => {
                page.province = store.netherlands().province(p).map(|x| x.name.clone());
                page.province_rows = snap.municipalities.iter().filter(|m| m.pv_code == p).cloned().collect();
                if let Some(id) = &id {
                    page.reported = store.reports(id).await?.iter().any(|r| r.pv_code == p);
                }
            }
            Role::Ministry => {
                page.indicator_sets = store.indicator_sets().await?.into_iter().map(|x| x.id).collect();
                page.forecast_runs = store.forecast_runs().await?;
                if let Some(id) = &id {
                    page.objections = store.objections(id).await?;
                }
            }
            Role::Coa => page.locations = store.locations(&[]).await?,
            Role::Admin => {
                page.accounts = store.accounts().await?;
                page.tokens = store.tokens(None).await?;
            }
            Role::Public => {}
        }
        if let Some(id) = recorded.filter(|_| may_record_forecast) {
            // Only a run that is in the record is named (the message key comes from the URL).
            page.recorded_run = store.forecast_run(id).await.ok();
            if page.recorded_run.is_some() {
                // The publish form then offers this run first.
                page.draft.entry("forecast_run".into()).or_insert_with(|| id.to_string());
            }
        }
        Ok::<_, WebError>(())
    };
    if let Err(e) = load.await {
        return c.error(e);
    }
    c.render(&page, status)
}

fn flash_text(l: crate::i18n::Lang, key: &str) -> String {
    let t = |nl: &str, en: &str| l.tr_owned(nl, en);
    match key {
        "offer" => l.t("offer_saved").to_string(),
        "realisation" => l.t("realisation_saved").to_string(),
        "amended" => t("Het aanbod is gewijzigd.", "The offer was amended."),
        "withdrawn" => t("Het aanbod is ingetrokken.", "The offer was withdrawn."),
        "objection" => t("Het bezwaar is ingediend.", "The objection was filed."),
        "payment" => t("De aanvraag is vastgelegd.", "The application was recorded."),
        "swap" => t("De ruil is vastgelegd.", "The swap was recorded."),
        "report" => t("De rapportage is ingediend.", "The report was submitted."),
        "report-amended" => t("De rapportage is gewijzigd.", "The report was amended."),
        "published" => t(
            "De capaciteitsraming en de indicatieve taken zijn gepubliceerd.",
            "The forecast and indicative tasks were published.",
        ),
        "decided" => t("Het verdeelbesluit is genomen.", "The distribution decision was taken."),
        "revised" => t("Het verdeelbesluit is herzien.", "The distribution decision was revised."),
        "objection-decided" => t("Op het bezwaar is beslist.", "The objection was decided."),
        "closed" => t("De cyclus is gesloten.", "The cycle was closed."),
        "location" => t("De locatie is vastgelegd.", "The location was recorded."),
        "locations" => t("Het register is bijgewerkt.", "The registry was updated."),
        "assessed" => t("De kwaliteitsbeoordeling is vastgelegd.", "The quality assessment was recorded."),
        "account" => t("Het account is bijgewerkt.", "The account was updated."),
        other => other.to_string(),
    }
}

/// One handler for every portal action: CSRF and authorisation first, then the store; on
/// success back to the portal with a message, on an error the form again with what was typed.
pub async fn act(
    State(s): State<AppState>,
    Path(action): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    uri: Uri,
    auth: AuthSession,
    Form(f): Form<Fields>,
) -> Response {
    let csrf = f.get("csrf").cloned();
    let l = crate::i18n::Lang::detect(q.lang.as_deref(), &headers);
    let outcome = perform(&s, &auth, &action, csrf.as_deref(), &f, l).await;
    let _ = s.refresh().await;
    match outcome {
        Ok(Done::Redirect(to)) => Redirect::to(&to).into_response(),
        Ok(Done::Token(token)) => {
            let who = auth.user.clone().expect("authorised").principal;
            render(&s, &q, &headers, &uri, &auth, &who, Some("account".into()), None, HashMap::new(), Some(token)).await
        }
        Ok(Done::Page(r)) => r,
        Err(e) => match (&e, auth.user.clone()) {
            (WebError::Invalid(_) | WebError::Conflict(_) | WebError::NotFound(_), Some(u)) => {
                let mut draft = f.clone();
                draft.remove("csrf");
                draft.remove("password");
                render(&s, &q, &headers, &uri, &auth, &u.principal, None, Some(e.to_string()), draft, None).await
            }
            _ => {
                let snap = s.snapshot();
                Chrome::new(&q, &headers, &uri, &auth, &snap).error(e)
            }
        },
    }
}

enum Done {
    Redirect(String),
    Token(String),
    Page(Response),
}

fn back(flash: &str) -> Result<Done> {
    Ok(Done::Redirect(format!("/portaal?ok={flash}")))
}

async fn perform(
    s: &AppState,
    auth: &AuthSession,
    action: &str,
    csrf: Option<&str>,
    f: &Fields,
    l: crate::i18n::Lang,
) -> Result<Done> {
    // Signed in with the session's CSRF token before any field is read: a forged post learns
    // nothing from the form's validation. Each action then asks the one rule (`authorize`).
    crate::auth::signed_in(auth, csrf).await?;
    let store = s.store();
    let snap = s.snapshot();
    let cycle = || -> Result<CycleId> {
        if snap.cycle.origin != "ministry" {
            return Err(WebError::Conflict(
                "there is no cycle published in this record yet: the minister publishes it first".into(),
            ));
        }
        s.cycle_id()
    };
    match action {
        // ---- municipality -------------------------------------------------------------
        "aanbod" => {
            let g = gm(f, "gm_code")?;
            let who = authorize(auth, csrf, Action::Offer(g)).await?;
            let kind: OfferKind = field(f, "kind")
                .parse()
                .map_err(|e: spreiding_core::CoreError| WebError::Invalid(format!("kind: {e}")))?;
            let places: u64 = num(f, "places", "a whole number of places")?;
            let offer = Offer {
                gm_code: g,
                location: field(f, "location").to_string(),
                kind,
                places,
                amv_places: opt_num(f, "amv_places")?.unwrap_or(if kind == OfferKind::AmvSmallScale {
                    places
                } else {
                    0
                }),
                years: num(f, "years", "a whole number of years")?,
                available_from: opt_date(f, "available_from")?.unwrap_or(s.today().await),
            };
            store.submit_offers(&s.act(&who, None).await?, &cycle()?, &[offer]).await?;
            back("offer")
        }
        "aanbod-wijzig" => {
            let g = gm(f, "gm_code")?;
            let who = authorize(auth, csrf, Action::Offer(g)).await?;
            let id = cycle()?;
            let no: i64 = num(f, "offer_no", "an offer number")?;
            let cur = store
                .offers(&id, Some(g))
                .await?
                .into_iter()
                .find(|o| o.offer_no == no)
                .ok_or_else(|| WebError::NotFound(format!("no offer {no} of {g}")))?;
            let kind: OfferKind = match field(f, "kind") {
                "" => cur.offer.kind,
                k => k.parse().map_err(|e: spreiding_core::CoreError| WebError::Invalid(format!("kind: {e}")))?,
            };
            let places = opt_num(f, "places")?.unwrap_or(cur.offer.places);
            let new = Offer {
                kind,
                places,
                amv_places: opt_num(f, "amv_places")?.unwrap_or(if kind == OfferKind::AmvSmallScale {
                    places
                } else {
                    cur.offer.amv_places.min(places)
                }),
                years: opt_num(f, "years")?.map(|y| y as u32).unwrap_or(cur.offer.years),
                available_from: opt_date(f, "available_from")?.unwrap_or(cur.offer.available_from),
                ..cur.offer.clone()
            };
            store.amend_offer(&s.act(&who, None).await?, &id, no, new).await?;
            back("amended")
        }
        "aanbod-intrekken" => {
            let g = gm(f, "gm_code")?;
            let who = authorize(auth, csrf, Action::Offer(g)).await?;
            store.withdraw_offer(&s.act(&who, None).await?, &cycle()?, num(f, "offer_no", "an offer number")?).await?;
            back("withdrawn")
        }
        "realisatie" => {
            let g = gm(f, "gm_code")?;
            let who = authorize(auth, csrf, Action::Realise(g)).await?;
            let places = num(f, "places", "a whole number of places")?;
            store
                .record_realisation(
                    &s.act(&who, None).await?,
                    &cycle()?,
                    g,
                    places,
                    opt_num(f, "amv_places")?.unwrap_or(0),
                )
                .await?;
            back("realisation")
        }
        "bezwaar" => {
            let g = gm(f, "gm_code")?;
            let who = authorize(auth, csrf, Action::Object(g)).await?;
            store
                .file_objection(
                    &s.act(&who, None).await?,
                    &cycle()?,
                    g,
                    field(f, "grounds"),
                    opt_num(f, "requested_task")?,
                    opt_num(f, "requested_amv")?,
                )
                .await?;
            back("objection")
        }
        "uitkering" => {
            let g = gm(f, "gm_code")?;
            let who = authorize(auth, csrf, Action::ApplyPayment(g)).await?;
            store
                .apply_payment(
                    &s.act(&who, None).await?,
                    &cycle()?,
                    g,
                    num(f, "places", "a whole number of places")?,
                    field(f, "note"),
                )
                .await?;
            back("payment")
        }
        // ---- province ------------------------------------------------------------------
        "ruil" => {
            let from = gm(f, "from")?;
            let pv = store
                .netherlands()
                .municipality(from)
                .map(|m| m.province)
                .ok_or_else(|| WebError::Invalid(format!("from: {from} is not a municipality")))?;
            let who = authorize(auth, csrf, Action::Swap(pv)).await?;
            let swap = Swap {
                from,
                to: gm(f, "to")?,
                places: num(f, "places", "a whole number of places")?,
                amv_places: opt_num(f, "amv_places")?.unwrap_or(0),
                note: field(f, "note").to_string(),
            };
            store.record_swap(&s.act(&who, None).await?, &cycle()?, swap).await?;
            back("swap")
        }
        "rapportage" | "rapportage-wijzig" => {
            let pv = match auth.user.as_ref().map(|u| u.role) {
                Some(Role::Province(p)) => p,
                _ => field(f, "province")
                    .parse()
                    .map_err(|e: spreiding_core::CoreError| WebError::Invalid(format!("province: {e}")))?,
            };
            let who = authorize(auth, csrf, Action::Report(pv)).await?;
            let lines = commitments(field(f, "commitments"))?;
            if action == "rapportage" {
                store.submit_report(&s.act(&who, None).await?, &cycle()?, pv, &lines, field(f, "note")).await?;
                back("report")
            } else {
                let r = field(f, "reason").to_string();
                store.amend_report(&s.act(&who, Some(r.clone())).await?, &cycle()?, pv, &lines, &r).await?;
                back("report-amended")
            }
        }
        // ---- ministry ------------------------------------------------------------------
        "raming" => {
            let who = authorize(auth, csrf, Action::RecordForecast).await?;
            let req = crate::forecast_run::Request::from_form(f, l)?;
            // The act first (it fixes the date and checks the account), so a refusal costs no run.
            let act = s.act(&who, None).await?;
            let _turn = HEAVY_RUNS.acquire().await.map_err(|e| WebError::Internal(format!("the run queue: {e}")))?;
            let new = tokio::task::spawn_blocking(move || req.run())
                .await
                .map_err(|e| WebError::Internal(format!("the forecast stopped: {e}")))??;
            let run = store.record_forecast_run(&act, new).await?;
            back(&format!("{RECORDED_RUN}{}", run.id))
        }
        "publiceer" => {
            let who = authorize(auth, csrf, Action::ManageCycle).await?;
            let year: i32 = num(f, "year", "a year")?;
            let ses = Some(field(f, "ses_woa").to_string()).filter(|x| !x.is_empty());
            let deviation = Some(field(f, "deviation").to_string()).filter(|x| !x.is_empty());
            let act = s.act(&who, reason(f)).await?;
            // From a recorded forecast run: its P50 is the national total (the store checks it again).
            let run = match field(f, "forecast_run") {
                "" => None,
                v => Some(
                    store
                        .forecast_run(v.parse().map_err(|_| {
                            WebError::Invalid(format!("forecast_run: '{v}' is not a forecast run number"))
                        })?)
                        .await?,
                ),
            };
            let national_total = match (&run, opt_num(f, "total")?) {
                (Some(r), None) => r.p50,
                (Some(r), Some(t)) if t == r.p50 => t,
                (Some(r), Some(t)) => {
                    return Err(WebError::Invalid(format!(
                        "total: forecast run {} gives {} places (P50), not {t}: choose the run or type a number, not both",
                        r.id, r.p50
                    )));
                }
                (None, _) => num(f, "total", "a whole number of places")?,
            };
            let req = ForecastRequest {
                id: year
                    .to_string()
                    .parse()
                    .map_err(|e: spreiding_core::CoreError| WebError::Invalid(e.to_string()))?,
                year,
                national_total,
                amv_total: opt_num(f, "amv")?,
                ses_woa: ses,
                deviation,
                on: act.on(),
                forecast_run: run.as_ref().map(|r| r.id),
            };
            let (new, d) = store.prepare_forecast(&req).await?;
            if field(f, "confirm") != "1" {
                let snapshot = s.snapshot();
                let c = Chrome::new(
                    &LangQuery::default(),
                    &HeaderMap::new(),
                    &Uri::from_static("/portaal"),
                    auth,
                    &snapshot,
                );
                let mut c = c;
                c.csrf = csrf.unwrap_or_default().to_string();
                let page = PublishPreview { c: &c, f: f.clone(), new: &new, d: &d };
                return Ok(Done::Page(c.render(&page, StatusCode::OK)));
            }
            store.create_cycle(&act, new).await?;
            back("published")
        }
        "besluit" | "herzien" => {
            let who = authorize(auth, csrf, Action::Decide).await?;
            let id = cycle()?;
            if action == "besluit" {
                let rule = rule_from(f, store.cycle(&id).await?.method)?;
                store.decide(&s.act(&who, reason(f)).await?, &id, rule).await?;
                back("decided")
            } else {
                store.revise_decision(&s.act(&who, reason(f)).await?, &id).await?;
                back("revised")
            }
        }
        "bezwaar-besluit" => {
            let who = authorize(auth, csrf, Action::Decide).await?;
            let upheld = match field(f, "outcome") {
                "upheld" => true,
                "rejected" => false,
                o => return Err(WebError::Invalid(format!("outcome: '{o}': choose upheld or rejected"))),
            };
            store
                .decide_objection(
                    &s.act(&who, reason(f)).await?,
                    &cycle()?,
                    num(f, "objection_no", "an objection number")?,
                    upheld,
                    opt_num(f, "granted_task")?,
                    opt_num(f, "granted_amv")?,
                )
                .await?;
            back("objection-decided")
        }
        "sluiten" => {
            let who = authorize(auth, csrf, Action::ManageCycle).await?;
            store.close_cycle(&s.act(&who, reason(f)).await?, &cycle()?).await?;
            back("closed")
        }
        "simulatie" => {
            let who = authorize(auth, csrf, Action::PublishAnalysis).await?;
            let years: u32 = num(f, "years", "a whole number of years")?;
            let runs: usize = num(f, "runs", "a whole number of paths")?;
            let seed: u64 = num(f, "seed", "a whole number")?;
            if !(1..=30).contains(&years) {
                return Err(WebError::Invalid(format!("years: {years} is outside 1 to 30")));
            }
            if !(10..=300).contains(&runs) {
                return Err(WebError::Invalid(format!(
                    "runs: {runs} is outside 10 to 300 (more paths: run `spreiding simulate` and publish its report)"
                )));
            }
            let act = s.act(&who, reason(f)).await?;
            let start = NaiveDate::from_ymd_opt(act.on().year() + 1, 1, 1).expect("a valid date");
            let _turn = HEAVY_RUNS.acquire().await.map_err(|e| WebError::Internal(format!("the run queue: {e}")))?;
            let report = tokio::task::spawn_blocking(move || {
                let req = spreiding_simulate::run::Request::bundled(start, years, runs, seed)?;
                spreiding_simulate::run::run(&req, &|_| {})
            })
            .await
            .map_err(|e| WebError::Internal(format!("the simulation stopped: {e}")))?
            .map_err(|e| WebError::Internal(format!("the simulation failed: {e}")))?;
            let title = match field(f, "title") {
                "" => report.title.clone(),
                t => t.to_string(),
            };
            let json = serde_json::to_string(&report).expect("serialisable");
            let page = spreiding_simulate::html::render(&report);
            store.publish_simulation(&act, &title, &json, &page).await?;
            Ok(Done::Redirect("/wat-de-wet-oplevert".into()))
        }
        // ---- COA -------------------------------------------------------------------------
        "locatie" => {
            let who = authorize(auth, csrf, Action::ManageLocations).await?;
            let header =
                spreiding_core::location::REQUIRED_FIELDS.join(",") + ",durability_years,opened,closing,cluster";
            let row = [
                "id",
                "name",
                "municipality",
                "operator",
                "type",
                "beds",
                "durability_years",
                "opened",
                "closing",
                "cluster",
            ]
            .iter()
            .map(|k| {
                let v = field(f, k);
                if v.contains([',', '"']) { format!("\"{}\"", v.replace('"', "\"\"")) } else { v.to_string() }
            })
            .collect::<Vec<_>>()
            .join(",");
            let mut loc = spreiding_core::location::parse_locations_csv("form", &format!("{header}\n{row}\n"))
                .map_err(WebError::from)?;
            let l = loc.remove(0);
            // Editing keeps the facilities and access data already in the registry.
            let l = match store.location(&l.id).await {
                Ok(old) => spreiding_core::location::Location {
                    facilities: old.facilities,
                    access: old.access,
                    occupied: old.occupied,
                    bedrooms: old.bedrooms,
                    m2_per_person: old.m2_per_person,
                    persons_per_bedroom: old.persons_per_bedroom,
                    ceiling_height_m: old.ceiling_height_m,
                    max_stay_days: old.max_stay_days,
                    cost_per_place_day: old.cost_per_place_day,
                    ..l
                },
                Err(_) => l,
            };
            store.import_locations(&s.act(&who, None).await?, &[l]).await?;
            back("location")
        }
        "locaties-import" => {
            let who = authorize(auth, csrf, Action::ManageLocations).await?;
            let text = field(f, "csv");
            let locs = spreiding_core::location::parse_locations_csv("ingeplakt CSV", text).map_err(WebError::from)?;
            store.import_locations(&s.act(&who, None).await?, &locs).await.map_err(|e| match e {
                spreiding_store::StoreError::InvalidRow { row, message } => {
                    WebError::Invalid(format!("ingeplakt CSV, line {}: {message}; nothing was imported", row + 1))
                }
                other => other.into(),
            })?;
            back("locations")
        }
        "kwaliteit" => {
            let who = authorize(auth, csrf, Action::ManageLocations).await?;
            let fw = spreiding_core::quality::Framework::bundled();
            store.assess_locations(&s.act(&who, None).await?, &fw, field(f, "assessor")).await?;
            back("assessed")
        }
        // ---- administrator ---------------------------------------------------------------
        "account" | "account-status" | "account-wachtwoord" | "account-rol" | "token" | "token-intrekken" => {
            let who = authorize(auth, csrf, Action::ManageUsers).await?;
            let a = s.act(&who, None).await?;
            let name = field(f, "username");
            let role = || -> Result<Role> {
                let region = Some(field(f, "region")).filter(|r| !r.is_empty());
                Role::parse(field(f, "role"), region).map_err(|e| WebError::Invalid(format!("role: {e}")))
            };
            match action {
                "account" => {
                    store.add_account(&a, name, field(f, "password"), role()?).await?;
                }
                "account-status" => {
                    store.set_account_disabled(&a, name, field(f, "disable") == "1").await?;
                }
                "account-wachtwoord" => store.reset_password(&a, name, field(f, "password")).await?,
                "account-rol" => {
                    store.change_role(&a, name, role()?).await?;
                }
                "token" => return Ok(Done::Token(store.issue_token(&a, name, field(f, "label")).await?.token)),
                _ => {
                    store.revoke_token(&a, field(f, "token_id")).await?;
                }
            }
            back("account")
        }
        _ => Err(WebError::NotFound(format!("no portal action '{action}'"))),
    }
}

fn rule_from(f: &Fields, method: spreiding_core::Method) -> Result<DecisionRule> {
    let designation: Designation = match field(f, "designation") {
        "" => Designation::ProportionalGap,
        d => d.parse().map_err(|e: spreiding_core::CoreError| WebError::Invalid(format!("designation: {e}")))?,
    };
    let over_delivery: OverDelivery = match field(f, "over_delivery") {
        "" => OverDelivery::Binding,
        o => o.parse().map_err(|e: spreiding_core::CoreError| WebError::Invalid(format!("over_delivery: {e}")))?,
    };
    Ok(DecisionRule { designation, over_delivery, method: method.exact() })
}

/// The minister sees the key, its inputs and the provincial totals before publishing.
#[derive(Template)]
#[template(path = "publish_preview.html")]
pub struct PublishPreview<'a> {
    pub c: &'a Chrome,
    pub f: Fields,
    pub new: &'a spreiding_store::NewCycle,
    pub d: &'a spreiding_core::distribution::Distribution,
}

impl PublishPreview<'_> {
    pub fn v(&self, k: &str) -> String {
        self.f.get(k).cloned().unwrap_or_default()
    }
}

/// The minister's preview of the decision: who gets what, and why, before taking it.
#[derive(Template)]
#[template(path = "decision_preview.html")]
pub struct DecisionPreview<'a> {
    pub c: &'a Chrome,
    pub d: Decision,
    pub designation: String,
    pub over_delivery: String,
}

pub async fn decision_preview(
    State(s): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    uri: Uri,
    auth: AuthSession,
) -> Response {
    let snap = s.snapshot();
    let lq = LangQuery { lang: q.get("lang").cloned(), ok: None };
    let mut c = Chrome::new(&lq, &headers, &uri, &auth, &snap);
    let out = async {
        let user = auth.user.as_ref().ok_or_else(|| WebError::Unauthenticated("sign in first".into()))?;
        user.actor().may(Action::Decide)?;
        c.csrf = csrf_token(&auth.session).await?;
        let id = s.cycle_id()?;
        let rule = rule_from(&q, s.store().cycle(&id).await?.method)?;
        Ok::<_, WebError>(s.store().preview_decision(&id, rule, s.today().await).await?)
    }
    .await;
    match out {
        Ok(d) => {
            let page = DecisionPreview {
                c: &c,
                d,
                designation: q.get("designation").cloned().unwrap_or_default(),
                over_delivery: q.get("over_delivery").cloned().unwrap_or_default(),
            };
            c.render(&page, StatusCode::OK)
        }
        Err(e) => c.error(e),
    }
}

/// "Register controleren": the whole record verified in the browser, for the ministry and
/// the administrators (`Action::VerifyRecord`): the same check as `spreiding audit verify`
/// (the chain, the published checkpoints, every table row against the replayed log).
#[derive(Template)]
#[template(path = "verify_record.html")]
struct VerifyRecordPage<'a> {
    c: &'a Chrome,
    report: spreiding_store::RecordReport,
}

pub async fn verify_record(
    State(s): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    uri: Uri,
    auth: AuthSession,
) -> Response {
    let snap = s.snapshot();
    let c = Chrome::new(&q, &headers, &uri, &auth, &snap);
    let out = async {
        let user = auth.user.as_ref().ok_or_else(|| WebError::Unauthenticated("sign in first".into()))?;
        user.actor().may(Action::VerifyRecord)?;
        Ok::<_, WebError>(s.store().verify_record(None).await?)
    }
    .await;
    match out {
        Ok(report) => c.render(&VerifyRecordPage { c: &c, report }, StatusCode::OK),
        Err(e) => c.error(e),
    }
}

/// The municipality's binding decision as a printable page (beschikking).
#[derive(Template)]
#[template(path = "beschikking.html")]
pub struct Beschikking<'a> {
    pub c: &'a Chrome,
    pub m: MunicipalityRow,
    pub cycle_id: String,
    pub explanation: String,
    pub decided_on: String,
    pub deadline: String,
    pub objection_deadline: String,
}

pub async fn beschikking(page: crate::pages::Page) -> Response {
    let crate::pages::Page { s, snap, auth, c, .. } = page;
    let out = async {
        let user = auth.user.as_ref().ok_or_else(|| WebError::Unauthenticated("sign in first".into()))?;
        let Role::Municipality(g) = user.role else {
            return Err(WebError::Forbidden("not allowed: the binding decision is addressed to a municipality".into()));
        };
        let id = s.cycle_id()?;
        let d = s
            .store()
            .decision(&id)
            .await?
            .ok_or_else(|| WebError::NotFound("there is no distribution decision yet".into()))?;
        let b = d
            .municipalities
            .iter()
            .find(|m| m.gm_code == g)
            .ok_or_else(|| WebError::NotFound(format!("{g} has no binding task")))?;
        let m = snap.municipality(g).cloned().ok_or_else(|| WebError::NotFound(format!("{g}")))?;
        Ok::<_, WebError>((m, b.explanation.clone(), d.decided_on, d.realisation_deadline))
    }
    .await;
    match out {
        Ok((m, explanation, decided_on, deadline)) => {
            let page = Beschikking {
                c: &c,
                m,
                cycle_id: snap.cycle.id.clone(),
                explanation,
                decided_on: decided_on.to_string(),
                deadline: deadline.to_string(),
                objection_deadline: Calendar::objection_deadline(decided_on).to_string(),
            };
            c.render(&page, StatusCode::OK)
        }
        Err(e) => c.error(e),
    }
}
