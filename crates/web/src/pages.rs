//! HTML pages (askama). Public pages need no session; the portal's forms carry a CSRF token.

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use spreiding_core::distribution::Explanation;
use spreiding_core::{GmCode, PvCode};

use crate::auth::{AuthSession, Credentials, csrf_token};
use crate::error::{Result, WebError};
use crate::i18n::Lang;
use std::sync::Arc;

use crate::model::{
    CheckpointView, Cycle, MunicipalityRow, Offer, Provenance, ProvinceRow, Realisation, Snapshot, Totals,
};
use crate::server::AppState;

#[derive(Deserialize, Default, Clone)]
pub struct LangQuery {
    pub lang: Option<String>,
    pub ok: Option<String>,
}

/// What every page handler starts from, extracted once: the state, the snapshot the page is
/// built on, the query (language, flash), the session, and the page chrome made from them.
pub struct Page {
    pub s: AppState,
    pub snap: std::sync::Arc<Snapshot>,
    pub q: LangQuery,
    pub auth: AuthSession,
    pub c: Chrome,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        s: &AppState,
    ) -> std::result::Result<Self, Response> {
        let Query(q) = Query::<LangQuery>::from_request_parts(parts, s).await.unwrap_or_default();
        let auth = AuthSession::from_request_parts(parts, s).await.map_err(IntoResponse::into_response)?;
        let snap = s.snapshot();
        let c = Chrome::new(&q, &parts.headers, &parts.uri, &auth, &snap);
        Ok(Page { s: s.clone(), snap, q, auth, c })
    }
}

/// What every page shows around its content.
pub struct Chrome {
    pub l: Lang,
    pub path: String,
    pub user: Option<String>,
    pub synthetic: bool,
    pub sandbox: bool,
    pub csrf: String,
    set_lang: bool,
}

impl Chrome {
    pub fn new(q: &LangQuery, headers: &HeaderMap, uri: &Uri, auth: &AuthSession, snap: &Snapshot) -> Chrome {
        Chrome {
            l: Lang::detect(q.lang.as_deref(), headers),
            path: uri.path().to_string(),
            user: auth.user.as_ref().map(|u| u.username.clone()),
            synthetic: snap.provenance.synthetic_data,
            sandbox: snap.provenance.sandbox,
            csrf: String::new(),
            set_lang: q.lang.is_some(),
        }
    }

    pub fn render(&self, t: &impl Template, status: StatusCode) -> Response {
        match t.render() {
            Ok(body) => {
                let mut r = (status, Html(body)).into_response();
                if self.set_lang {
                    let c = format!("lang={}; Path=/; Max-Age=31536000; SameSite=Lax", self.l.code());
                    if let Ok(v) = HeaderValue::from_str(&c) {
                        r.headers_mut().insert(header::SET_COOKIE, v);
                    }
                }
                r
            }
            Err(e) => WebError::from(e).into_response(),
        }
    }

    /// The HTML face of [`WebError`]: same status, a readable page.
    pub fn error(&self, e: WebError) -> Response {
        let body = e.body();
        let status = StatusCode::from_u16(body.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let heading = if status == StatusCode::NOT_FOUND { self.l.t("not_found") } else { self.l.t("error") };
        self.render(&MessagePage { c: self, heading: heading.into(), message: body.message }, status)
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    c: &'a Chrome,
    heading: String,
    message: String,
}

pub struct Step {
    pub label: &'static str,
    pub deadline: String,
    pub state: String,
    pub source: String,
}

/// The cycle's steps with their state from the record (not from the calendar).
fn steps(l: Lang, cycle: &Cycle) -> Vec<Step> {
    cycle
        .milestones
        .iter()
        .map(|m| {
            let deadline = match l {
                Lang::Nl => m.deadline.format("%d-%m-%Y").to_string(),
                Lang::En => m.deadline.format("%Y-%m-%d").to_string(),
            };
            Step { label: l.t(&format!("ms_{}", m.id)), deadline, state: m.status.clone(), source: m.source.clone() }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage<'a> {
    c: &'a Chrome,
    cycle: &'a Cycle,
    t: &'a Totals,
    p: &'a Provenance,
    provinces: &'a [ProvinceRow],
    steps: Vec<Step>,
    cycles: &'a [Cycle],
    summary: Option<&'a str>,
    /// The length of the audit chain the snapshot was built at.
    records: i64,
    checkpoint: Option<Arc<CheckpointView>>,
}

fn render_index(c: &Chrome, snap: &Snapshot, checkpoint: Option<Arc<CheckpointView>>) -> Response {
    let page = IndexPage {
        c,
        cycle: &snap.cycle,
        t: &snap.totals,
        p: &snap.provenance,
        provinces: &snap.provinces,
        steps: steps(c.l, &snap.cycle),
        cycles: &snap.cycles,
        summary: snap.records.decision_summary.as_deref(),
        records: snap.audit_seq,
        checkpoint,
    };
    c.render(&page, StatusCode::OK)
}

pub async fn index(page: Page) -> Response {
    let Page { s, snap, c, .. } = page;
    render_index(&c, &snap, s.checkpoint())
}

/// Any cycle of the record at its own address (`/cyclus/2024`), built from the store.
pub async fn cycle_page(Path(id): Path<String>, page: Page) -> Response {
    let Page { s, c, .. } = page;
    let id = match id.parse::<spreiding_core::cycle::CycleId>() {
        Ok(id) => id,
        Err(_) => return c.error(WebError::NotFound(format!("no cycle '{id}'"))),
    };
    match crate::server::load_snapshot(s.store(), Some(&id)).await {
        Ok(snap) => render_index(&c, &snap, s.checkpoint()),
        Err(e) => c.error(e),
    }
}

#[derive(Template)]
#[template(path = "municipalities.html")]
struct MunicipalitiesPage<'a> {
    c: &'a Chrome,
    cycle: &'a Cycle,
    p: &'a Provenance,
    municipalities: &'a [MunicipalityRow],
}

pub async fn municipalities(page: Page) -> Response {
    let Page { snap, c, .. } = page;
    let page =
        MunicipalitiesPage { c: &c, cycle: &snap.cycle, p: &snap.provenance, municipalities: &snap.municipalities };
    c.render(&page, StatusCode::OK)
}

#[derive(Template)]
#[template(path = "provinces.html")]
struct ProvincesPage<'a> {
    c: &'a Chrome,
    t: &'a Totals,
    provinces: &'a [ProvinceRow],
}

pub async fn provinces(page: Page) -> Response {
    let Page { snap, c, .. } = page;
    c.render(&ProvincesPage { c: &c, t: &snap.totals, provinces: &snap.provinces }, StatusCode::OK)
}

#[derive(Template)]
#[template(path = "province.html")]
struct ProvincePage<'a> {
    c: &'a Chrome,
    pv: &'a ProvinceRow,
    p: &'a Provenance,
    municipalities: Vec<MunicipalityRow>,
}

pub fn parse_pv(s: &str) -> Result<PvCode> {
    s.parse::<PvCode>().map_err(|_| {
        WebError::NotFound(format!("no province '{s}': use a code like PV20 (Groningen) to PV31 (Limburg)"))
    })
}

pub fn parse_gm(s: &str) -> Result<GmCode> {
    s.parse::<GmCode>().map_err(|_| WebError::NotFound(format!("no municipality '{s}': use a code like GM0014")))
}

pub async fn province(Path(pv): Path<String>, page: Page) -> Response {
    let Page { snap, c, .. } = page;
    let found = parse_pv(&pv).and_then(|code| {
        snap.province(code).ok_or_else(|| WebError::NotFound(format!("no province {code} in the reference data")))
    });
    match found {
        Ok(pvrow) => {
            let ms = snap.municipalities.iter().filter(|m| m.pv_code == pvrow.pv_code).cloned().collect();
            c.render(&ProvincePage { c: &c, pv: pvrow, p: &snap.provenance, municipalities: ms }, StatusCode::OK)
        }
        Err(e) => c.error(e),
    }
}

#[derive(Template)]
#[template(path = "ramingen.html")]
struct ForecastRunsPage<'a> {
    c: &'a Chrome,
    runs: &'a [crate::model::ForecastRunView],
}

/// The recorded forecast runs (capaciteitsramingen), newest first: public, like the forecast
/// (from the snapshot, as every public page).
pub async fn forecast_runs(page: Page) -> Response {
    let Page { snap, c, .. } = page;
    c.render(&ForecastRunsPage { c: &c, runs: &snap.records.forecast_runs }, StatusCode::OK)
}

#[derive(Template)]
#[template(path = "municipality.html")]
struct MunicipalityPage<'a> {
    c: &'a Chrome,
    m: &'a MunicipalityRow,
    e: Explanation,
    binding: Option<&'a String>,
    tasks_origin: &'a str,
    offers: Vec<&'a Offer>,
    realisations: Vec<&'a Realisation>,
}

pub async fn municipality(Path(gm): Path<String>, page: Page) -> Response {
    let Page { snap, c, .. } = page;
    let found = parse_gm(&gm).and_then(|code| {
        let m = snap
            .municipality(code)
            .ok_or_else(|| WebError::NotFound(format!("no municipality {code} in the reference data")))?;
        Ok((m, snap.explain(code)?))
    });
    match found {
        Ok((m, e)) => {
            let page = MunicipalityPage {
                c: &c,
                m,
                e,
                binding: snap.records.binding_explanations.get(&m.gm_code),
                tasks_origin: &snap.cycle.tasks_origin,
                offers: snap.offers_of(m.gm_code),
                realisations: snap.realisations_of(m.gm_code),
            };
            c.render(&page, StatusCode::OK)
        }
        Err(e) => c.error(e),
    }
}

pub async fn not_found(uri: Uri, page: Page) -> Response {
    if uri.path().starts_with("/api/") {
        return WebError::NotFound(format!("no API endpoint {}: see /api/openapi.json", uri.path())).into_response();
    }
    page.c.error(WebError::NotFound(format!("no page {}", uri.path())))
}

// ---- sign-in and portal -------------------------------------------------------------

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    c: &'a Chrome,
    error: Option<String>,
}

pub async fn login_form(page: Page) -> Response {
    let Page { auth, mut c, .. } = page;
    match csrf_token(&auth.session).await {
        Ok(t) => c.csrf = t,
        Err(e) => return c.error(e),
    }
    c.render(&LoginPage { c: &c, error: None }, StatusCode::OK)
}

/// The client's address when the server knows it (absent in in-process tests).
pub struct ClientIp(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> std::result::Result<Self, Self::Rejection> {
        Ok(ClientIp(parts.extensions.get::<ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip())))
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub csrf: String,
}

pub async fn login(
    State(s): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    uri: Uri,
    ClientIp(ip): ClientIp,
    mut auth: AuthSession,
    Form(f): Form<LoginForm>,
) -> Response {
    let snap = s.snapshot();
    let mut c = Chrome::new(&q, &headers, &uri, &auth, &snap);
    if let Err(e) = crate::auth::check_csrf(&auth.session, Some(&f.csrf)).await {
        return c.error(e);
    }
    let key = crate::auth::lockout_key(&f.username, ip);
    let now = chrono::Utc::now();
    let prior = match s.store().login_failures(&key).await {
        Ok(p) => p,
        Err(e) => return c.error(e.into()),
    };
    if let Some((_, Some(until))) = &prior
        && let Ok(t) = chrono::DateTime::parse_from_rfc3339(until)
        && t > now
    {
        let left = (t.with_timezone(&chrono::Utc) - now).num_minutes() + 1;
        return c.error(WebError::TooManyAttempts(left as u64));
    }
    match auth.authenticate(Credentials { username: f.username.clone(), password: f.password }).await {
        Ok(Some(user)) => {
            let _ = s.store().clear_login_failures(&key).await;
            if let Err(e) = auth.login(&user).await {
                return c.error(WebError::Internal(format!("login: {e}")));
            }
            Redirect::to("/portaal").into_response()
        }
        Ok(None) => {
            let failures = prior.map(|p| p.0).unwrap_or(0) + 1;
            let until = crate::auth::lock_minutes(failures)
                .map(|m| (now + chrono::Duration::minutes(m)).to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
            let _ = s.store().record_login_failure(&key, failures, until.as_deref()).await;
            tracing::info!("failed sign-in ({failures} from this address)");
            c.csrf = csrf_token(&auth.session).await.unwrap_or_default();
            c.render(&LoginPage { c: &c, error: Some(c.l.t("login_failed").into()) }, StatusCode::UNAUTHORIZED)
        }
        Err(e) => c.error(WebError::Internal(format!("login: {e}"))),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

pub async fn logout(mut auth: AuthSession, Form(f): Form<CsrfForm>) -> Response {
    if let Err(e) = crate::auth::check_csrf(&auth.session, Some(&f.csrf)).await {
        return e.into_response();
    }
    let _ = auth.logout().await;
    Redirect::to("/").into_response()
}
