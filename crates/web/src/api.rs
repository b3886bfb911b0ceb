//! The open API: JSON (and CSV) for everything the dashboard shows, and the portal's
//! actions. Described as OpenAPI 3.1 at `/api/openapi.json` (utoipa).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use spreiding_core::GmCode;
use spreiding_core::actor::Action;
use spreiding_core::cycle::CycleId;
use spreiding_store::{OfferRecord, Principal};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{AuthSession, CSRF_HEADER, authorize, csrf_token, signed_in};
use crate::db::NewOffer;
use crate::error::{ErrorBody, Result, WebError};
use crate::model::{Cycle, ForecastRunView, MunicipalityRow, Offer, Provenance, ProvinceRow, Realisation, Totals};
use crate::pages::{parse_gm, parse_pv};
use crate::server::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "spreiding open API",
        description = "Spreidingswet (Wet gemeentelijke taak mogelijk maken asielopvangvoorzieningen): tasks, offers, \
                       decision and realisation per municipality and province. Public reads need no account; \
                       changes need a signed-in session and the X-CSRF-Token header from GET /api/session.",
        license(name = "EUPL-1.2")
    ),
    tags((name = "public", description = "Open data, no sign-in"), (name = "portal", description = "Signed-in actions"))
)]
struct ApiDoc;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(overview))
        .routes(routes!(provinces))
        .routes(routes!(province))
        .routes(routes!(municipalities))
        .routes(routes!(municipality))
        .routes(routes!(explain))
        .routes(routes!(offers_of))
        .routes(routes!(map))
        .routes(routes!(forecast_runs))
        .routes(routes!(forecast_run_result))
        .routes(routes!(crate::forecast_check::backtest_json))
        .routes(routes!(crate::forecast_check::explanation_json))
        .routes(routes!(audit_trail))
        .routes(routes!(audit_checkpoints))
        .routes(routes!(session))
        .routes(routes!(post_offer))
        .routes(routes!(put_offer))
        .routes(routes!(withdraw_offer))
        .routes(routes!(post_realisation))
}

/// `?format=csv` for a CSV download; JSON otherwise.
#[derive(Deserialize, IntoParams)]
pub struct FormatQuery {
    /// `json` (default) or `csv`.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

impl FormatQuery {
    fn csv(&self) -> Result<bool> {
        match self.format.as_deref() {
            None | Some("json") => Ok(false),
            Some("csv") => Ok(true),
            Some(o) => Err(WebError::Invalid(format!("format: '{o}' is not supported: use json or csv"))),
        }
    }
}

fn csv_response(name: &str, header_row: &str, rows: impl Iterator<Item = Vec<String>>) -> Response {
    let headers: Vec<&str> = header_row.split(',').collect();
    let rows: Vec<Vec<String>> = rows.collect();
    let out = spreiding_core::export::csv_text(&headers, &rows);
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.csv\"")),
        ],
        out,
    )
        .into_response()
}

/// A body serialised once in the snapshot (same shape as the schema's list types).
fn json_bytes(b: axum::body::Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], b).into_response()
}

fn opt(v: Option<u64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

const MUNICIPALITY_CSV: &str = "gm_code,gm_naam,pv_code,pv_naam,inwoners,quota,task,amv,per_1000,offered,offered_pct,decided,realised,realised_pct,definition";

fn municipality_csv(name: &str, rows: &[MunicipalityRow], def: &str) -> Response {
    csv_response(
        name,
        MUNICIPALITY_CSV,
        rows.iter().map(|m| {
            vec![
                m.gm_code.to_string(),
                m.gm_naam.clone(),
                m.pv_code.to_string(),
                m.pv_naam.clone(),
                m.inwoners.to_string(),
                m.quota.clone(),
                m.task.to_string(),
                opt(m.amv),
                m.per_1000.to_string(),
                m.offered.to_string(),
                m.offered_pct.to_string(),
                opt(m.decided),
                m.realised.to_string(),
                m.realised_pct.to_string(),
                def.to_string(),
            ]
        }),
    )
}

/// National overview: cycle, phase, totals and provenance of the tasks.
#[derive(Serialize, ToSchema)]
pub struct Overview {
    pub cycle: Cycle,
    /// The step in progress according to the record: forecast, provincial_table, cdk_report, decision, realisation, evaluation.
    pub phase: String,
    #[schema(value_type = String, format = Date)]
    pub today: NaiveDate,
    pub totals: Totals,
    pub provenance: Provenance,
}

#[utoipa::path(get, path = "/api/overview", tag = "public", responses((status = 200, body = Overview)))]
async fn overview(State(s): State<AppState>) -> Json<Overview> {
    let snap = s.snapshot();
    let today = s.today().await;
    Json(Overview {
        phase: snap.cycle.current_step().to_string(),
        cycle: snap.cycle.clone(),
        today,
        totals: snap.totals.clone(),
        provenance: snap.provenance.clone(),
    })
}

#[derive(Serialize, ToSchema)]
pub struct ProvinceList {
    pub provenance: Provenance,
    pub rows: Vec<ProvinceRow>,
}

#[utoipa::path(get, path = "/api/provinces", tag = "public", params(FormatQuery),
    responses((status = 200, description = "JSON, or CSV with ?format=csv", content((ProvinceList = "application/json"), (String = "text/csv"))),
              (status = 422, body = ErrorBody, description = "an unsupported format")))]
async fn provinces(State(s): State<AppState>, Query(f): Query<FormatQuery>) -> Result<Response> {
    let snap = s.snapshot();
    if f.csv()? {
        let def = format!("{}@{}", snap.provenance.definition.id, snap.provenance.definition.version);
        return Ok(csv_response(
            "provincies",
            "pv_code,pv_naam,gemeenten,inwoners,task,per_1000,offered,offered_pct,decided,realised,realised_pct,municipalities_covered,definition",
            snap.provinces.iter().map(|p| {
                vec![
                    p.pv_code.to_string(),
                    p.pv_naam.clone(),
                    p.municipalities.to_string(),
                    p.inwoners.to_string(),
                    p.task.to_string(),
                    p.per_1000.to_string(),
                    p.offered.to_string(),
                    p.offered_pct.to_string(),
                    opt(p.decided),
                    p.realised.to_string(),
                    p.realised_pct.to_string(),
                    p.municipalities_covered.to_string(),
                    def.clone(),
                ]
            }),
        ));
    }
    Ok(json_bytes(snap.provinces_json.clone()))
}

#[derive(Serialize, ToSchema)]
pub struct ProvinceDetail {
    pub province: ProvinceRow,
    pub municipalities: Vec<MunicipalityRow>,
    pub provenance: Provenance,
}

#[utoipa::path(get, path = "/api/provinces/{pv_code}", tag = "public",
    params(("pv_code" = String, Path, description = "Province code, e.g. PV20"), FormatQuery),
    responses((status = 200, description = "JSON, or CSV with ?format=csv", content((ProvinceDetail = "application/json"), (String = "text/csv"))), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody, description = "an unsupported format")))]
async fn province(State(s): State<AppState>, Path(pv): Path<String>, Query(f): Query<FormatQuery>) -> Result<Response> {
    let snap = s.snapshot();
    let code = parse_pv(&pv)?;
    let p = snap.province(code).ok_or_else(|| WebError::NotFound(format!("no province {code}")))?;
    let ms: Vec<MunicipalityRow> = snap.municipalities.iter().filter(|m| m.pv_code == code).cloned().collect();
    if f.csv()? {
        let def = format!("{}@{}", snap.provenance.definition.id, snap.provenance.definition.version);
        return Ok(municipality_csv(&format!("gemeenten_{code}"), &ms, &def));
    }
    Ok(Json(ProvinceDetail { province: p.clone(), municipalities: ms, provenance: snap.provenance.clone() })
        .into_response())
}

#[derive(Serialize, ToSchema)]
pub struct MunicipalityList {
    pub provenance: Provenance,
    pub rows: Vec<MunicipalityRow>,
}

#[utoipa::path(get, path = "/api/municipalities", tag = "public", params(FormatQuery),
    responses((status = 200, description = "JSON, or CSV with ?format=csv", content((MunicipalityList = "application/json"), (String = "text/csv"))),
              (status = 422, body = ErrorBody, description = "an unsupported format")))]
async fn municipalities(State(s): State<AppState>, Query(f): Query<FormatQuery>) -> Result<Response> {
    let snap = s.snapshot();
    if f.csv()? {
        let def = format!("{}@{}", snap.provenance.definition.id, snap.provenance.definition.version);
        return Ok(municipality_csv("gemeenten", &snap.municipalities, &def));
    }
    Ok(json_bytes(snap.municipalities_json.clone()))
}

#[derive(Serialize, ToSchema)]
pub struct MunicipalityDetail {
    pub municipality: MunicipalityRow,
    pub offers: Vec<Offer>,
    pub realisations: Vec<Realisation>,
    pub provenance: Provenance,
}

#[utoipa::path(get, path = "/api/municipalities/{gm_code}", tag = "public",
    params(("gm_code" = String, Path, description = "Municipality code, e.g. GM0014")),
    responses((status = 200, body = MunicipalityDetail), (status = 404, body = ErrorBody)))]
async fn municipality(State(s): State<AppState>, Path(gm): Path<String>) -> Result<Json<MunicipalityDetail>> {
    let snap = s.snapshot();
    let code = parse_gm(&gm)?;
    let m = snap.municipality(code).ok_or_else(|| WebError::NotFound(format!("no municipality {code}")))?;
    Ok(Json(MunicipalityDetail {
        municipality: m.clone(),
        offers: snap.offers_of(code).into_iter().cloned().collect(),
        realisations: snap.realisations_of(code).into_iter().cloned().collect(),
        provenance: snap.provenance.clone(),
    }))
}

#[utoipa::path(get, path = "/api/municipalities/{gm_code}/explain", tag = "public",
    params(("gm_code" = String, Path, description = "Municipality code, e.g. GM0014")),
    responses((status = 200, description = "How the task was computed: inputs, share, exact quota, rounding (as `spreiding key explain`)", body = Object),
              (status = 404, body = ErrorBody)))]
async fn explain(State(s): State<AppState>, Path(gm): Path<String>) -> Result<Response> {
    let snap = s.snapshot();
    let code = parse_gm(&gm)?;
    snap.municipality(code).ok_or_else(|| WebError::NotFound(format!("no municipality {code}")))?;
    Ok(Json(snap.explain(code)?).into_response())
}

#[utoipa::path(get, path = "/api/municipalities/{gm_code}/offers", tag = "public",
    params(("gm_code" = String, Path, description = "Municipality code, e.g. GM0014"), FormatQuery),
    responses((status = 200, description = "JSON, or CSV with ?format=csv", content((Vec<Offer> = "application/json"), (String = "text/csv"))), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody, description = "an unsupported format")))]
async fn offers_of(
    State(s): State<AppState>,
    Path(gm): Path<String>,
    Query(f): Query<FormatQuery>,
) -> Result<Response> {
    let snap = s.snapshot();
    let code = parse_gm(&gm)?;
    snap.municipality(code).ok_or_else(|| WebError::NotFound(format!("no municipality {code}")))?;
    let offers: Vec<Offer> = snap.offers_of(code).into_iter().cloned().collect();
    if f.csv()? {
        return Ok(csv_response(
            &format!("aanbod_{code}"),
            "offer_no,gm_code,location,kind,places,amv_places,years,available_from,counted,reason,submitted_on,withdrawn_on,synthetic",
            offers.iter().map(|o| {
                vec![
                    o.offer_no.to_string(),
                    o.gm_code.to_string(),
                    o.location.clone(),
                    o.kind.clone(),
                    o.places.to_string(),
                    o.amv_places.to_string(),
                    o.years.to_string(),
                    o.available_from.to_string(),
                    o.counted.to_string(),
                    o.reason.clone(),
                    o.submitted_on.to_string(),
                    o.withdrawn_on.map(|d| d.to_string()).unwrap_or_default(),
                    o.synthetic.to_string(),
                ]
            }),
        ));
    }
    Ok(Json(offers).into_response())
}

#[utoipa::path(get, path = "/api/forecast-runs", tag = "public", params(FormatQuery),
    responses((status = 200, description = "The recorded runs of the capacity forecast (capaciteitsraming, Wet art. 2), newest first: scenario, seed, paths, P10/P50/P90 of required places on the first target date, who (organisation) and when; JSON, or CSV with ?format=csv",
               content((Vec<ForecastRunView> = "application/json"), (String = "text/csv"))),
              (status = 422, body = ErrorBody, description = "an unsupported format")))]
async fn forecast_runs(State(s): State<AppState>, Query(f): Query<FormatQuery>) -> Result<Response> {
    let snap = s.snapshot();
    let runs = &snap.records.forecast_runs;
    if f.csv()? {
        return Ok(csv_response(
            "ramingen",
            "run,scenario,scenario_version,scenario_sha256,seed,runs,start,first_target,p10,p50,p90,amv_p50,result_sha256,recorded_on,organisation,cycles",
            runs.iter().map(|r| {
                vec![
                    r.id.to_string(),
                    r.scenario.clone(),
                    r.scenario_version.to_string(),
                    r.scenario_sha256.clone(),
                    r.seed.to_string(),
                    r.runs.to_string(),
                    r.start.to_string(),
                    r.first_target.to_string(),
                    r.p10.to_string(),
                    r.p50.to_string(),
                    r.p90.to_string(),
                    r.amv_p50.to_string(),
                    r.result_sha256.clone(),
                    r.recorded_on.to_string(),
                    r.organisation.clone(),
                    r.cycles.join(" "),
                ]
            }),
        ));
    }
    Ok(Json(runs).into_response())
}

#[utoipa::path(get, path = "/api/forecast-runs/{id}/result", tag = "public",
    params(("id" = String, Path, description = "The run's number, e.g. 1")),
    responses((status = 200, description = "The run's result exactly as stored: the JSON of `spreiding forecast --format json` (its SHA-256 is the run's result_sha256)", body = Object),
              (status = 404, body = ErrorBody)))]
async fn forecast_run_result(State(s): State<AppState>, Path(id): Path<String>) -> Result<Response> {
    let id: i64 = id
        .parse()
        .map_err(|_| WebError::NotFound(format!("no forecast run '{id}': use a run number from /api/forecast-runs")))?;
    let run = s.store().forecast_run(id).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], run.result_json).into_response())
}

#[utoipa::path(get, path = "/api/map.geojson", tag = "public",
    responses((status = 200, content_type = "application/geo+json", description = "342 municipality boundaries (CBS/PDOK 2023, CC BY 4.0) with task, per_1000, offered, offered_pct, decided, realised, realised_pct in the properties", body = Object)))]
async fn map(State(s): State<AppState>) -> Response {
    let snap = s.snapshot();
    ([(header::CONTENT_TYPE, "application/geo+json")], snap.geojson.clone()).into_response()
}

/// One record of the public audit view: who by role and organisation, never a login name.
#[derive(Serialize, ToSchema)]
pub struct PublicAuditRecord {
    pub seq: i64,
    pub recorded_at: String,
    pub effective_date: String,
    /// ministry, province:PV27, municipality:GM0363, coa, admin, or import.
    pub role: String,
    /// The organisation the role acts for.
    pub organisation: String,
    pub action: String,
    pub subject: String,
    pub reason: Option<String>,
    /// The record's hash in the chain (anyone can check the chain's links).
    pub hash: String,
    pub prev_hash: String,
}

#[utoipa::path(get, path = "/api/audit", tag = "public",
    responses((status = 200, description = "The hash-chained audit trail of the current cycle, oldest first, with roles and organisations (no login names)", body = Vec<PublicAuditRecord>)))]
async fn audit_trail(State(s): State<AppState>) -> Result<Json<Vec<PublicAuditRecord>>> {
    let snap = s.snapshot();
    let nl = s.store().netherlands();
    let recs = s.store().audit_log(Some(&snap.cycle.id)).await?;
    Ok(Json(
        recs.into_iter()
            .map(|r| {
                let organisation = match r.role.parse::<spreiding_core::actor::Role>() {
                    Ok(role) => role.organisation(nl),
                    Err(_) if r.role == "import" => "Openbare bron (import)".to_string(),
                    Err(_) => r.role.clone(),
                };
                PublicAuditRecord {
                    seq: r.seq,
                    recorded_at: r.recorded_at,
                    effective_date: r.effective_date,
                    role: r.role,
                    organisation,
                    action: r.action,
                    subject: r.subject,
                    reason: r.reason,
                    hash: r.hash,
                    prev_hash: r.prev_hash,
                }
            })
            .collect(),
    ))
}

/// A signed checkpoint of the audit chain (Ed25519): keep copies to hold the record to it.
#[derive(Serialize, ToSchema)]
pub struct PublicCheckpoint {
    /// `spreiding-audit-checkpoint/1`.
    pub format: String,
    /// The number of records it signs.
    pub seq: i64,
    /// The hash of record `seq`.
    pub hash: String,
    pub signed_at: String,
    /// Ed25519 public key, hex.
    pub public_key: String,
    /// The first 16 hex digits of the SHA-256 of the public key.
    pub key_fingerprint: String,
    /// Ed25519 signature, hex, over "format\nseq\nhash\nsigned_at\n".
    pub signature: String,
    /// decision, daily or manual.
    pub reason: String,
}

/// The audit chain's head and every published checkpoint.
#[derive(Serialize, ToSchema)]
pub struct Integrity {
    /// The number of records in the chain now.
    pub head_seq: i64,
    pub head_hash: String,
    /// Oldest first.
    pub checkpoints: Vec<PublicCheckpoint>,
}

#[utoipa::path(get, path = "/api/audit/checkpoints", tag = "public",
    responses((status = 200, description = "The audit chain's head and its signed checkpoints with their public keys (verify with tools/verify_audit.py or `spreiding audit verify --checkpoint`)", body = Integrity)))]
async fn audit_checkpoints(State(s): State<AppState>) -> Result<Json<Integrity>> {
    let head = s.store().audit_head().await?;
    let checkpoints = s
        .store()
        .checkpoints()
        .await?
        .into_iter()
        .map(|c| PublicCheckpoint {
            key_fingerprint: c
                .embedded_key()
                .map(|k| spreiding_store::audit::key_fingerprint(&k))
                .unwrap_or_else(|e| format!("invalid: {e}")),
            format: c.format,
            seq: c.seq,
            hash: c.hash,
            signed_at: c.signed_at,
            public_key: c.public_key,
            signature: c.signature,
            reason: c.reason,
        })
        .collect();
    Ok(Json(Integrity { head_seq: head.seq, head_hash: head.hash, checkpoints }))
}

/// The caller's session: who is signed in, and the CSRF token to send as `X-CSRF-Token`.
#[derive(Serialize, ToSchema)]
pub struct SessionInfo {
    pub signed_in: bool,
    pub username: Option<String>,
    /// e.g. municipality:GM0014
    pub role: String,
    pub csrf_token: String,
}

#[utoipa::path(get, path = "/api/session", tag = "portal", responses((status = 200, body = SessionInfo)))]
async fn session(auth: AuthSession) -> Result<Json<SessionInfo>> {
    let actor = crate::auth::actor(&auth);
    Ok(Json(SessionInfo {
        signed_in: auth.user.is_some(),
        username: auth.user.as_ref().map(|u| u.username.clone()),
        role: actor.role.to_string(),
        csrf_token: csrf_token(&auth.session).await?,
    }))
}

fn csrf_header(h: &HeaderMap) -> Option<&str> {
    h.get(CSRF_HEADER).and_then(|v| v.to_str().ok())
}

/// Submit an offer through the store (which checks the actor, the phase and the deadline,
/// and writes the audit record), then refresh the public figures. Shared by form and API.
pub async fn create_offer(s: &AppState, who: &Principal, o: &NewOffer) -> Result<Offer> {
    let offer = o.to_core(s.today().await)?;
    let id = s.cycle_id()?;
    let recs = s.store().submit_offers(&s.act(who, None).await?, &id, &[offer]).await?;
    offer_reply(s, &id, &recs[0]).await
}

/// After a change to an offer: refresh the public figures, then the offer as the API shows
/// it (with its verdict against the cycle's realisation deadline).
async fn offer_reply(s: &AppState, id: &CycleId, rec: &OfferRecord) -> Result<Offer> {
    s.refresh().await?;
    let deadline = s.store().cycle(id).await?.calendar().expected_realisation_deadline();
    Ok(Offer::from_record(rec, deadline))
}

/// Record realised places (cumulative, as of today) through the store, then refresh.
pub async fn save_realisation(
    s: &AppState,
    who: &Principal,
    gm_code: GmCode,
    places: u64,
    amv: u64,
) -> Result<Realisation> {
    let r = s.store().record_realisation(&s.act(who, None).await?, &s.cycle_id()?, gm_code, places, amv).await?;
    s.refresh().await?;
    Ok(Realisation::from(r))
}

#[utoipa::path(post, path = "/api/offers", tag = "portal", request_body = NewOffer,
    params(("X-CSRF-Token" = String, Header, description = "from GET /api/session")),
    responses((status = 201, body = Offer), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "the provincial tables are closed (from 1 November) or the location was offered already"),
              (status = 422, body = ErrorBody)),
    description = "A municipality offers places for itself only (Actor::may: Offer(own code)), while the provincial tables are open.")]
async fn post_offer(
    State(s): State<AppState>,
    auth: AuthSession,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response> {
    signed_in(&auth, csrf_header(&headers)).await?;
    let o: NewOffer = parse_json(&body)?;
    let actor = authorize(&auth, csrf_header(&headers), Action::Offer(o.gm_code)).await?;
    let offer = create_offer(&s, &actor, &o).await?;
    Ok((StatusCode::CREATED, Json(offer)).into_response())
}

#[utoipa::path(put, path = "/api/offers/{offer_no}", tag = "portal", request_body = NewOffer,
    params(("offer_no" = i64, Path, description = "the offer's number in the cycle"),
           ("X-CSRF-Token" = String, Header, description = "from GET /api/session")),
    responses((status = 200, body = Offer), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody, description = "no such offer"),
              (status = 409, body = ErrorBody, description = "the province has reported, the offer was withdrawn, or the tables are closed"),
              (status = 422, body = ErrorBody)),
    description = "Amend one of the municipality's own offers (places, kind, AMV part, years, date); the location keeps its name. Audited with before and after.")]
async fn put_offer(
    State(s): State<AppState>,
    auth: AuthSession,
    headers: HeaderMap,
    Path(offer_no): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response> {
    signed_in(&auth, csrf_header(&headers)).await?;
    let offer_no = parse_offer_no(&offer_no)?;
    let o: NewOffer = parse_json(&body)?;
    let actor = authorize(&auth, csrf_header(&headers), Action::Offer(o.gm_code)).await?;
    let new = o.to_core(s.today().await)?;
    let id = s.cycle_id()?;
    let rec = s.store().amend_offer(&s.act(&actor, None).await?, &id, offer_no, new).await?;
    Ok(Json(offer_reply(&s, &id, &rec).await?).into_response())
}

#[utoipa::path(post, path = "/api/offers/{offer_no}/withdraw", tag = "portal",
    params(("offer_no" = i64, Path, description = "the offer's number in the cycle"),
           ("X-CSRF-Token" = String, Header, description = "from GET /api/session")),
    responses((status = 200, body = Offer, description = "the offer, now marked withdrawn (it stays in the record)"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody, description = "no such offer"),
              (status = 409, body = ErrorBody, description = "the province has reported or the offer was withdrawn already")),
    description = "Withdraw one of the municipality's own offers until its province reports.")]
async fn withdraw_offer(
    State(s): State<AppState>,
    auth: AuthSession,
    headers: HeaderMap,
    Path(offer_no): Path<String>,
) -> Result<Response> {
    signed_in(&auth, csrf_header(&headers)).await?;
    let offer_no = parse_offer_no(&offer_no)?;
    let id = s.cycle_id()?;
    let gm = s.store().offer(&id, offer_no).await?.offer.gm_code;
    let actor = authorize(&auth, csrf_header(&headers), Action::Offer(gm)).await?;
    let rec = s.store().withdraw_offer(&s.act(&actor, None).await?, &id, offer_no).await?;
    Ok(Json(offer_reply(&s, &id, &rec).await?).into_response())
}

/// An offer number from the path: anything that is not one is an offer that does not exist.
fn parse_offer_no(s: &str) -> Result<i64> {
    s.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| WebError::NotFound(format!("there is no offer '{s}': offer numbers are 1, 2, 3, …")))
}

/// JSON bodies are parsed after the content is read so that a bad field gives 422 with the fix.
fn parse_json<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| WebError::Invalid(format!("request body: {e}")))
}

#[derive(Deserialize, ToSchema)]
pub struct NewRealisation {
    /// Cumulative places realised as of today.
    pub places: u64,
    /// Of those, AMV places.
    #[serde(default)]
    pub amv_places: u64,
}

#[utoipa::path(post, path = "/api/municipalities/{gm_code}/realisation", tag = "portal", request_body = NewRealisation,
    params(("gm_code" = String, Path), ("X-CSRF-Token" = String, Header)),
    responses((status = 201, body = Realisation), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody, description = "no such municipality"),
              (status = 409, body = ErrorBody, description = "no distribution decision yet: realisation counts against binding tasks"),
              (status = 422, body = ErrorBody)))]
async fn post_realisation(
    State(s): State<AppState>,
    auth: AuthSession,
    headers: HeaderMap,
    Path(gm): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response> {
    signed_in(&auth, csrf_header(&headers)).await?;
    let code = parse_gm(&gm)?;
    let r: NewRealisation = parse_json(&body)?;
    let actor = authorize(&auth, csrf_header(&headers), Action::Realise(code)).await?;
    let saved = save_realisation(&s, &actor, code, r.places, r.amv_places).await?;
    Ok((StatusCode::CREATED, Json(saved)).into_response())
}
