//! API tests on the Router in process (tower::ServiceExt::oneshot) with a temporary SQLite
//! database: every endpoint, the authorisation matrix role × action, CSRF and rate limits.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use spreiding_core::actor::Role;
use spreiding_store::{Act, DbKind, ForecastRequest, Store};
use spreiding_web::{AppState, router};
use tower::ServiceExt;

const PW: &str = "test-password-1";

/// Cycle 2026 as a ministry account publishes it in a sandbox, through the store's own
/// forecast preparation (population-only key with the deviation recorded, the population of
/// 1 January 2025, the registry's credits).
async fn publish_2026(store: &Store, act: &Act) {
    let request = ForecastRequest {
        id: "2026".parse().unwrap(),
        year: 2026,
        national_total: 88_000,
        amv_total: None,
        ses_woa: None,
        deviation: Some("SES-WOA not loaded: population-only key (test)".into()),
        on: act.on(),
        forecast_run: None,
    };
    let (cycle, _) = store.prepare_forecast(&request).await.unwrap();
    store.create_cycle(act, cycle).await.unwrap();
}

/// The accounts of the tests, added by a bootstrap administrator.
async fn accounts(store: &Store) {
    let admin = store.bootstrap_account("beheer", PW, Role::Admin).await.unwrap();
    let a = store.act(&admin, None, None).await.unwrap();
    for (name, role) in [
        ("ministry", "ministry"),
        ("cdk20", "province:PV20"),
        ("gm0014", "municipality:GM0014"),
        ("gm0034", "municipality:GM0034"),
        ("coa", "coa"),
    ] {
        store.add_account(&a, name, PW, role.parse::<Role>().unwrap()).await.unwrap();
    }
}

struct Env {
    app: Router,
    state: AppState,
    dir: std::sync::Arc<tempfile::TempDir>,
}

fn day(m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

/// A fresh database; `today` fixes the server's date (27 Nov 2026 is the decision phase,
/// 15 Oct 2026 the provincial tables).
async fn env_on(demo: bool, today: chrono::NaiveDate) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("t.db").display());
    if !demo {
        let store = Store::initialise(&format!("{url}?mode=rwc"), DbKind::Sandbox).await.unwrap();
        accounts(&store).await;
        let minister = store.authenticate_password("ministry", PW).await.unwrap();
        let act = store.act(&minister, Some(day(1, 30)), None).await.unwrap();
        publish_2026(&store, &act).await;
        store.close().await;
    }
    let state = AppState::new(&url, demo, Some(today)).await.unwrap();
    if demo {
        accounts(state.store()).await;
    }
    Env { app: router(state.clone()), state, dir: std::sync::Arc::new(dir) }
}

async fn env(demo: bool) -> Env {
    env_on(demo, day(10, 15)).await
}

/// The same database seen on another date (a new server process, as it were).
async fn reopen(e: &Env, today: chrono::NaiveDate) -> Env {
    let url = format!("sqlite:{}", e.dir.path().join("t.db").display());
    let state = AppState::new(&url, false, Some(today)).await.unwrap();
    Env { app: router(state.clone()), state, dir: e.dir.clone() }
}

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A browser-like client: keeps the session cookie.
struct Client<'a> {
    env: &'a Env,
    cookie: Option<String>,
}

impl<'a> Client<'a> {
    fn new(env: &'a Env) -> Self {
        Client { env, cookie: None }
    }

    async fn send(&mut self, method: Method, uri: &str, ctype: Option<&str>, body: String, csrf: Option<&str>) -> Resp {
        let mut b = Request::builder().method(method).uri(uri);
        if let Some(c) = &self.cookie {
            b = b.header(header::COOKIE, c);
        }
        if let Some(t) = ctype {
            b = b.header(header::CONTENT_TYPE, t);
        }
        if let Some(t) = csrf {
            b = b.header("x-csrf-token", t);
        }
        let res = self.env.app.clone().oneshot(b.body(Body::from(body)).unwrap()).await.unwrap();
        for v in res.headers().get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            if v.starts_with("spreiding_session=") {
                self.cookie = Some(v.split(';').next().unwrap().to_string());
            }
        }
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        Resp { status, headers, body }
    }

    async fn get(&mut self, uri: &str) -> Resp {
        self.send(Method::GET, uri, None, String::new(), None).await
    }

    async fn csrf(&mut self) -> String {
        self.get("/api/session").await.json()["csrf_token"].as_str().unwrap().to_string()
    }

    async fn form(&mut self, uri: &str, fields: &[(&str, &str)]) -> Resp {
        let body = fields.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect::<Vec<_>>().join("&");
        self.send(Method::POST, uri, Some("application/x-www-form-urlencoded"), body, None).await
    }

    async fn json(&mut self, method: Method, uri: &str, body: Value, csrf: Option<&str>) -> Resp {
        self.send(method, uri, Some("application/json"), body.to_string(), csrf).await
    }

    async fn login(&mut self, user: &str, password: &str) -> Resp {
        let token = self.csrf().await;
        self.form("/login", &[("username", user), ("password", password), ("csrf", &token)]).await
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn every_public_page_and_endpoint_answers() {
    let e = env_on(false, day(11, 27)).await;
    let mut c = Client::new(&e);
    for (uri, needle) in [
        ("/", "Landelijk overzicht"),
        ("/?lang=en", "National overview"),
        ("/gemeenten", "GM1680"),
        ("/provincies", "Fryslân"),
        ("/provincie/PV20", "Groningen"),
        ("/gemeente/GM0014", "Uitleg van de taak"),
        ("/login", "name=\"csrf\""),
    ] {
        let r = c.get(uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert!(r.text().contains(needle), "{uri} lacks {needle}");
        assert!(
            r.text().contains("SES-WOA not loaded: population-only key") || uri == "/login" || uri == "/provincies",
            "{uri}"
        );
        let csp = r.headers.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap();
        assert!(csp.starts_with("default-src 'self'"), "{uri}: {csp}");
    }
    // Overview: cycle 2, 88,000; on 27 Nov 2026 the record says the tables are still open
    // (nobody reported): the phase comes from the record, not the calendar.
    let o = c.get("/api/overview").await.json();
    assert_eq!(o["cycle"]["forecast_total"], 88000);
    assert_eq!(o["cycle"]["origin"], "ministry");
    assert_eq!(o["phase"], "provincial_table");
    assert_eq!(o["totals"]["task"], 88000);
    assert_eq!(o["totals"]["municipalities"], 342);
    assert_eq!(
        o["provenance"]["note"],
        "deviation from the key the law requires: SES-WOA not loaded: population-only key (test)"
    );
    assert_eq!(o["provenance"]["tasks_origin"], "published");
    assert_eq!(o["provenance"]["sandbox"], true);
    assert_eq!(o["provenance"]["definition"]["id"], "nl-population");

    let p = c.get("/api/provinces").await.json();
    assert_eq!(p["rows"].as_array().unwrap().len(), 12);
    assert_eq!(p["rows"].as_array().unwrap().iter().map(|r| r["task"].as_u64().unwrap()).sum::<u64>(), 88000);
    let csv = c.get("/api/provinces?format=csv").await;
    assert_eq!(csv.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert_eq!(csv.text().lines().count(), 13);
    assert!(csv.text().starts_with("pv_code,pv_naam,"));

    let pv = c.get("/api/provinces/PV20").await.json();
    assert_eq!(pv["municipalities"].as_array().unwrap().len(), 10);
    assert_eq!(c.get("/api/provinces/PV20?format=csv").await.text().lines().count(), 11);

    let ms = c.get("/api/municipalities").await.json();
    assert_eq!(ms["rows"].as_array().unwrap().len(), 342);
    let csv = c.get("/api/municipalities?format=csv").await.text();
    assert_eq!(csv.lines().count(), 343);
    assert!(csv.lines().nth(1).unwrap().ends_with(",nl-population@1"));

    let m = c.get("/api/municipalities/GM0014").await.json();
    assert_eq!(m["municipality"]["gm_naam"], "Groningen");
    let task = m["municipality"]["task"].as_u64().unwrap();
    let tasks = e.state.store().indicative_tasks(&"2026".parse().unwrap()).await.unwrap();
    let published = tasks.into_iter().find(|t| t.gm_code.as_str() == "GM0014").unwrap().task;
    assert_eq!(task, published, "the page shows the published task");
    let ex = c.get("/api/municipalities/GM0014/explain").await.json();
    assert_eq!(ex["municipality"]["task"], task);
    assert!(ex["rounding"].as_str().unwrap().contains(&task.to_string()));
    assert_eq!(c.get("/api/municipalities/GM0014/offers").await.json(), json!([]));
    assert_eq!(c.get("/api/municipalities/GM0014/offers?format=csv").await.text().lines().count(), 1);

    let g = c.get("/api/map.geojson").await;
    assert_eq!(g.headers[header::CONTENT_TYPE], "application/geo+json");
    let g = g.json();
    let features = g["features"].as_array().unwrap();
    assert_eq!(features.len(), 342);
    assert!(features.iter().all(|f| f["properties"]["task"].is_u64() && f["geometry"].is_object()));

    let api = c.get("/api/openapi.json").await.json();
    assert!(api["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/overview",
        "/api/provinces",
        "/api/municipalities/{gm_code}",
        "/api/offers",
        "/api/municipalities/{gm_code}/realisation",
        "/api/audit",
        "/api/map.geojson",
    ] {
        assert!(api["paths"][path].is_object(), "OpenAPI lacks {path}");
    }
    assert_eq!(c.get("/api/docs/").await.status, StatusCode::OK);
    let audit = c.get("/api/audit").await.json();
    assert_eq!(audit[0]["action"], "cycle.publish");
    assert_eq!(audit[0]["role"], "ministry");
    assert_eq!(audit[0]["organisation"], "Ministerie van Asiel en Migratie");
    assert!(audit[0].get("actor").is_none(), "the public audit view shows no login names");
    let s = c.get("/api/session").await.json();
    assert_eq!(s["signed_in"], false);
    assert_eq!(s["role"], "public");

    let leaflet = c.get("/static/vendor/leaflet/leaflet.js").await;
    assert_eq!(leaflet.status, StatusCode::OK);
    assert!(leaflet.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/javascript"));
    assert_eq!(c.get("/static/vendor/uplot/uPlot.iife.min.js").await.status, StatusCode::OK);
    assert_eq!(c.get("/static/app.js").await.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_things_are_404_and_bad_formats_422() {
    let e = env(false).await;
    let mut c = Client::new(&e);
    assert_eq!(c.get("/gemeente/GM9999").await.status, StatusCode::NOT_FOUND);
    assert_eq!(c.get("/gemeente/Amsterdam").await.status, StatusCode::NOT_FOUND);
    assert_eq!(c.get("/provincie/PV99").await.status, StatusCode::NOT_FOUND);
    assert_eq!(c.get("/nothing-here").await.status, StatusCode::NOT_FOUND);
    let r = c.get("/api/municipalities/GM9999").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"], "not_found");
    assert_eq!(c.get("/api/nope").await.status, StatusCode::NOT_FOUND);
    let r = c.get("/api/municipalities?format=xml").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json()["message"].as_str().unwrap().contains("use json or csv"));
}

fn offer(gm: &str, places: u64, location: &str) -> Value {
    json!({"gm_code": gm, "places": places, "years": 10, "location": location, "kind": "regular_durable"})
}

async fn signed_in<'a>(e: &'a Env, user: Option<&str>) -> (Client<'a>, String) {
    let mut c = Client::new(e);
    if let Some(u) = user {
        let r = c.login(u, "test-password-1").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "login {u}");
    }
    let t = c.csrf().await;
    (c, t)
}

/// Role × action, as the law divides the tasks (crates/core/src/actor.rs): a municipality
/// offers and realises for itself only; the minister, the CdK and COA do not act for a
/// municipality; the public reads only (401). The cycle's calendar comes on top (409).
#[tokio::test]
async fn authorisation_matrix_role_by_action() {
    use StatusCode as S;
    let users = [None, Some("ministry"), Some("cdk20"), Some("coa"), Some("gm0014"), Some("gm0034")];
    // 15 October 2026: the provincial tables are open. (offer for GM0014, offer for GM0034, realise GM0014)
    let e = env(false).await;
    let expected = [
        (S::UNAUTHORIZED, S::UNAUTHORIZED, S::UNAUTHORIZED),
        (S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN),
        (S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN),
        (S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN),
        // GM0014 offers for itself, not for GM0034; realisation waits for the decision.
        (S::CREATED, S::FORBIDDEN, S::CONFLICT),
        (S::FORBIDDEN, S::CREATED, S::FORBIDDEN),
    ];
    for (user, (o14, o34, r14)) in users.iter().zip(expected) {
        let (mut c, t) = signed_in(&e, *user).await;
        let who = user.unwrap_or("public");
        let r = c.json(Method::POST, "/api/offers", offer("GM0014", 50, &format!("Locatie van {who}")), Some(&t)).await;
        assert_eq!(r.status, o14, "{who} offers for GM0014: {}", r.text());
        let r = c.json(Method::POST, "/api/offers", offer("GM0034", 80, &format!("Locatie van {who}")), Some(&t)).await;
        assert_eq!(r.status, o34, "{who} offers for GM0034: {}", r.text());
        let r = c.json(Method::POST, "/api/municipalities/GM0014/realisation", json!({"places": 10}), Some(&t)).await;
        assert_eq!(r.status, r14, "{who} records realisation for GM0014: {}", r.text());
        if r14 == S::UNAUTHORIZED {
            assert_eq!(r.json()["error"], "unauthenticated");
        }
    }
    // The same location twice is a duplicate submission (the store's rule; bad input, 422).
    let (mut c, t) = signed_in(&e, Some("gm0014")).await;
    let r = c.json(Method::POST, "/api/offers", offer("GM0014", 50, "Locatie van gm0014"), Some(&t)).await;
    assert_eq!(r.status, S::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.json()["message"].as_str().unwrap().contains("duplicate submission"));
    let mut p = Client::new(&e);
    assert_eq!(p.get("/api/municipalities/GM0014").await.json()["municipality"]["offered"], 50);
    assert_eq!(p.get("/api/municipalities/GM0034").await.json()["municipality"]["offered"], 80);

    // The minister decides on 16 November; on 27 November the tables are closed and
    // realisation is open. (offer for GM0014, realise GM0014, realise GM0034)
    let store = e.state.store();
    let minister = store.authenticate_password("ministry", PW).await.unwrap();
    let act = store
        .act(&minister, Some(day(11, 16)), Some("the provinces did not report in this test".into()))
        .await
        .unwrap();
    store.decide(&act, &e.state.cycle_id().unwrap(), spreiding_core::decision::DecisionRule::default()).await.unwrap();
    let later = reopen(&e, day(11, 27)).await;
    let expected = [
        (S::UNAUTHORIZED, S::UNAUTHORIZED, S::UNAUTHORIZED),
        (S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN),
        (S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN),
        (S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN),
        (S::CONFLICT, S::CREATED, S::FORBIDDEN),
        (S::FORBIDDEN, S::FORBIDDEN, S::CREATED),
    ];
    for (user, (o14, r14, r34)) in users.iter().zip(expected) {
        let (mut c, t) = signed_in(&later, *user).await;
        let who = user.unwrap_or("public");
        let r = c.json(Method::POST, "/api/offers", offer("GM0014", 5, &format!("Laat aanbod {who}")), Some(&t)).await;
        assert_eq!(r.status, o14, "{who} offers for GM0014 after 1 November: {}", r.text());
        let r = c.json(Method::POST, "/api/municipalities/GM0014/realisation", json!({"places": 20}), Some(&t)).await;
        assert_eq!(r.status, r14, "{who} records realisation for GM0014: {}", r.text());
        let r = c.json(Method::POST, "/api/municipalities/GM0034/realisation", json!({"places": 30}), Some(&t)).await;
        assert_eq!(r.status, r34, "{who} records realisation for GM0034: {}", r.text());
    }
    let mut p = Client::new(&later);
    let m = p.get("/api/municipalities/GM0014").await.json();
    assert_eq!(m["municipality"]["realised"], 20);
    assert!(m["municipality"]["decided"].is_u64(), "binding task shown after the decision");
    // Every change is in the store's hash-chained audit trail, which verifies.
    let trail = p.get("/api/audit").await.json();
    let actions: Vec<(String, String)> = trail
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap().to_string(), e["role"].as_str().unwrap().to_string()))
        .collect();
    for (a, who) in [("offer.submit", "municipality:GM0014"), ("offer.submit", "municipality:GM0034")] {
        assert!(actions.iter().any(|(x, y)| x == a && y == who), "{a} by {who} missing from {actions:?}");
    }
    assert_eq!(actions.iter().filter(|(x, _)| x.starts_with("offer")).count(), 2, "refused actions write nothing");
    later.state.store().verify_audit().await.unwrap();
}

#[tokio::test]
async fn mutations_without_a_valid_csrf_token_fail() {
    let e = env(false).await;
    let mut c = Client::new(&e);
    c.login("gm0014", "test-password-1").await;
    // JSON without the header, and with a wrong one.
    let r = c.json(Method::POST, "/api/offers", offer("GM0014", 10, "X"), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["error"], "csrf");
    let r = c.json(Method::POST, "/api/offers", offer("GM0014", 10, "X"), Some("00ff")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Form posts without the field.
    let r = c.form("/portaal/aanbod", &[("gm_code", "GM0014"), ("places", "10"), ("location", "X")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c.form("/portaal/realisatie", &[("gm_code", "GM0014"), ("places", "10")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Sign-in itself needs the token.
    let mut fresh = Client::new(&e);
    let r = fresh.form("/login", &[("username", "gm0014"), ("password", "test-password-1")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Nothing was stored.
    assert_eq!(c.get("/api/municipalities/GM0014").await.json()["municipality"]["offered"], 0);
    // With the token the same form works and the offer is public.
    let t = c.csrf().await;
    let r = c
        .form(
            "/portaal/aanbod",
            &[
                ("gm_code", "GM0014"),
                ("places", "75"),
                ("location", "Azc Noord"),
                ("kind", "regular_durable"),
                ("years", "10"),
                ("csrf", &t),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page = Client::new(&e).get("/gemeente/GM0014").await.text();
    assert!(page.contains("Azc Noord"));
    let portal = c.get("/portaal?ok=offer").await;
    assert!(portal.text().contains("id=\"flash\""));
}

#[tokio::test]
async fn invalid_offers_are_refused_with_the_field_and_the_fix() {
    let e = env(false).await;
    let mut c = Client::new(&e);
    c.login("gm0014", "test-password-1").await;
    let t = c.csrf().await;
    let r = c.json(Method::POST, "/api/offers", offer("GM0014", 0, "X"), Some(&t)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json()["message"].as_str().unwrap().contains("places: an offer needs at least 1 place"));
    let r = c.json(Method::POST, "/api/offers", offer("GM0014", 9000, "X"), Some(&t)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = c
        .json(
            Method::POST,
            "/api/offers",
            json!({"gm_code": "GM0014", "places": 5, "years": 10, "location": "Y", "kind": "hotel"}),
            Some(&t),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json()["message"].as_str().unwrap().starts_with("kind:"));
    let r = c
        .json(
            Method::POST,
            "/api/offers",
            json!({"gm_code": "GM0014", "places": 5, "years": 10, "kind": "regular_durable", "location": "  "}),
            Some(&t),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r =
        c.json(Method::POST, "/api/offers", json!({"gm_code": "nope", "places": 5, "location": "x"}), Some(&t)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = c
        .form(
            "/portaal/aanbod",
            &[
                ("gm_code", "GM0014"),
                ("places", "veel"),
                ("years", "10"),
                ("kind", "regular_durable"),
                ("location", "X"),
                ("csrf", &t),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn sign_in_is_rate_limited_and_sign_out_works() {
    let e = env(false).await;
    let mut c = Client::new(&e);
    for _ in 0..5 {
        let r = c.login("gm0014", "wrong-password").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = c.login("gm0014", "test-password-1").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "after five failures the account is locked from this address");
    // The same answer for an account that does not exist.
    let mut n = Client::new(&e);
    assert_eq!(n.login("nobody", "wrong-password").await.status, StatusCode::UNAUTHORIZED);
    // An anonymous read stores no session.
    let before = e.state.store().session_count().await.unwrap();
    Client::new(&e).get("/gemeenten").await;
    assert_eq!(e.state.store().session_count().await.unwrap(), before);
    // Another account is unaffected.
    let mut d = Client::new(&e);
    assert_eq!(d.login("gm0034", "test-password-1").await.status, StatusCode::SEE_OTHER);
    let s = d.get("/api/session").await.json();
    assert_eq!(s["signed_in"], true);
    assert_eq!(s["role"], "municipality:GM0034");
    assert!(d.get("/portaal").await.text().contains("offer-form"));
    let t = d.csrf().await;
    assert_eq!(d.form("/logout", &[("csrf", &t)]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(d.get("/api/session").await.json()["signed_in"], false);
    assert_eq!(d.get("/portaal").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn demo_data_is_labelled_synthetic_everywhere() {
    let e = env_on(true, day(11, 27)).await;
    let mut c = Client::new(&e);
    let o = c.get("/api/overview").await.json();
    assert_eq!(o["provenance"]["synthetic_data"], true);
    assert!(o["totals"]["offered"].as_u64().unwrap() > 0);
    assert!(o["totals"]["realised"].as_u64().unwrap() > 0);
    assert!(o["totals"]["decided"].as_u64().unwrap() > 0);
    assert!(c.get("/").await.text().contains("synthetische gegevens"));
    let m = c.get("/api/municipalities?format=json").await.json();
    let with_offer = m["rows"].as_array().unwrap().iter().find(|r| r["offered"].as_u64().unwrap() > 0).unwrap();
    let code = with_offer["gm_code"].as_str().unwrap();
    let d = c.get(&format!("/api/municipalities/{code}")).await.json();
    assert!(d["offers"].as_array().unwrap().iter().all(|o| o["synthetic"] == true));
    assert!(d["offers"][0]["location"].as_str().unwrap().starts_with("Synthetische"));
    // Seeding twice adds nothing.
    let before = e.state.snapshot().totals.offered;
    e.state.seed_demo().await.unwrap();
    assert_eq!(e.state.snapshot().totals.offered, before);
}

// ---- security (issue "Trust", item 8; docs/SECURITY.md) -----------------------------------

/// Session fixation: signing in issues a new session id; the id the visitor had before is
/// not signed in afterwards.
#[tokio::test]
async fn signing_in_rotates_the_session_id() {
    let e = env(false).await;
    let mut c = Client::new(&e);
    let token = c.csrf().await;
    let before = c.cookie.clone().expect("a session for the CSRF token");
    let r = c.form("/login", &[("username", "gm0014"), ("password", "test-password-1"), ("csrf", &token)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let after = c.cookie.clone().unwrap();
    assert_ne!(before, after, "the session id changes at sign-in");
    let mut old = Client { env: &e, cookie: Some(before) };
    assert_eq!(old.get("/api/session").await.json()["signed_in"], false, "the old id is not signed in");
    assert_eq!(c.get("/api/session").await.json()["signed_in"], true);
}

/// Every form of the portal refuses a post without the session's CSRF token, whoever is
/// signed in, before anything else is looked at.
#[tokio::test]
async fn every_portal_form_needs_the_csrf_token() {
    let e = env(false).await;
    let actions = [
        "aanbod",
        "aanbod-wijzig",
        "aanbod-intrekken",
        "realisatie",
        "bezwaar",
        "uitkering",
        "ruil",
        "rapportage",
        "rapportage-wijzig",
        "publiceer",
        "besluit",
        "herzien",
        "bezwaar-besluit",
        "sluiten",
        "simulatie",
        "raming",
        "locatie",
        "locaties-import",
        "kwaliteit",
        "account",
        "account-status",
        "account-wachtwoord",
        "account-rol",
        "token",
        "token-intrekken",
    ];
    for user in ["ministry", "gm0014", "beheer"] {
        let (mut c, _) = signed_in(&e, Some(user)).await;
        for a in actions {
            for csrf in [None, Some("00ff00ff")] {
                let mut fields = vec![("gm_code", "GM0014"), ("places", "10"), ("location", "X")];
                if let Some(t) = csrf {
                    fields.push(("csrf", t));
                }
                let r = c.form(&format!("/portaal/{a}"), &fields).await;
                assert_eq!(r.status, StatusCode::FORBIDDEN, "{user} {a} without a valid token: {}", r.text());
                assert!(r.text().contains("CSRF"), "{user} {a}: {}", r.text());
            }
        }
        let r = c.form("/logout", &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "sign-out needs the token too");
    }
    assert_eq!(Client::new(&e).get("/api/municipalities/GM0014").await.json()["municipality"]["offered"], 0);
}

/// The lockout is keyed by account and client address: failures from one address do not
/// lock the account's owner out elsewhere (no denial of service by guessing).
#[tokio::test]
async fn failed_sign_ins_elsewhere_do_not_lock_an_account_out() {
    let e = env(false).await;
    async fn login_from(e: &Env, ip: [u8; 4], password: &str) -> StatusCode {
        let mut c = Client::new(e);
        let token = c.csrf().await;
        let body = format!("username=gm0014&password={}&csrf={token}", urlencode(password));
        let mut req = Request::builder()
            .method(Method::POST)
            .uri("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, c.cookie.clone().unwrap())
            .body(Body::from(body))
            .unwrap();
        req.extensions_mut().insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((ip, 40000))));
        e.app.clone().oneshot(req).await.unwrap().status()
    }
    for _ in 0..5 {
        assert_eq!(login_from(&e, [192, 0, 2, 66], "guess-guess-guess").await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(login_from(&e, [192, 0, 2, 66], "test-password-1").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        login_from(&e, [198, 51, 100, 7], "test-password-1").await,
        StatusCode::SEE_OTHER,
        "the owner elsewhere"
    );
}

/// Bodies over 64 KiB are refused before they are read into memory.
#[tokio::test]
async fn oversized_bodies_are_refused() {
    let e = env(false).await;
    let (mut c, t) = signed_in(&e, Some("gm0014")).await;
    let big =
        json!({"gm_code": "GM0014", "places": 10, "years": 10, "kind": "temporary", "location": "x".repeat(100_000)});
    let r = c.json(Method::POST, "/api/offers", big, Some(&t)).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let r = c.form("/portaal/aanbod", &[("location", &"y".repeat(100_000)), ("csrf", &t)]).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
}

/// A location name written as a spreadsheet formula is downloaded as text, not as a formula.
#[tokio::test]
async fn csv_downloads_defuse_spreadsheet_formulas() {
    let e = env(false).await;
    let (mut c, t) = signed_in(&e, Some("gm0014")).await;
    let r = c
        .json(Method::POST, "/api/offers", offer("GM0014", 10, "=HYPERLINK(\"http://example.org\",\"x\")"), Some(&t))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let csv = Client::new(&e).get("/api/municipalities/GM0014/offers?format=csv").await.text();
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(!csv.lines().any(|l| l.split(',').any(|cell| cell.trim_start_matches('"').starts_with('='))), "{csv}");
}

/// "Register controleren" in the portal: the ministry and the administrators see the whole
/// record verified in the browser; a row changed behind the trail's back is named there (the
/// replay's finding, not the page's own arithmetic); other roles may not run it.
#[tokio::test]
async fn the_record_is_verified_in_the_portal_and_a_direct_edit_is_named() {
    let e = env(false).await;
    let (mut c, _) = signed_in(&e, Some("ministry")).await;
    assert!(c.get("/portaal").await.text().contains("/portaal/register-controle"));
    let page = c.get("/portaal/register-controle").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("id=\"verify-result\"") && page.text().contains("intact"), "{}", page.text());
    use sqlx::Executor;
    e.state
        .store()
        .pool()
        .execute("UPDATE indicative_tasks SET task = task + 1 WHERE gm_code = 'GM0014'")
        .await
        .unwrap();
    let (mut admin, _) = signed_in(&e, Some("beheer")).await;
    let page = admin.get("/portaal/register-controle").await.text();
    assert!(
        page.contains("id=\"verify-problems\"") && page.contains("indicative_tasks") && page.contains("GM0014"),
        "{page}"
    );
    let (mut m, _) = signed_in(&e, Some("gm0014")).await;
    assert_eq!(m.get("/portaal/register-controle").await.status, StatusCode::FORBIDDEN);
    assert_ne!(Client::new(&e).get("/portaal/register-controle").await.status, StatusCode::OK);
}

/// Polls a page or endpoint that is computed once per process: 503 with Retry-After while it
/// is being computed, then 200.
async fn when_computed(c: &mut Client<'_>, uri: &str) -> Resp {
    for _ in 0..60 {
        let r = c.get(uri).await;
        if r.status != StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text());
            return r;
        }
        assert_eq!(r.headers[header::RETRY_AFTER], "5", "{uri}");
        assert!(r.text().contains("berekend") || r.text().contains("computing"), "{uri}: {}", r.text());
    }
    panic!("{uri} was not computed within 60 waits");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_backtest_and_the_explanation_of_the_raming_are_public() {
    let e = env(false).await;
    let mut c = Client::new(&e);

    // The backtest: the engine's own result for the bundled scenario, seed and paths of
    // docs/FORECAST.md, one row per published point, the held-out period marked.
    let b = when_computed(&mut c, "/api/forecast/backtest").await.json();
    let scenario = spreiding_forecast::scenario::bundled("backtest-2019-2025").unwrap().unwrap();
    let expected = spreiding_forecast::backtest(&scenario, 10_000, 1).unwrap();
    // (Both through the same JSON text and parser, so floats compare exactly.)
    let expected: Value = serde_json::from_str(&serde_json::to_string(&expected.rows).unwrap()).unwrap();
    assert_eq!(b["rows"], expected, "the page shows what the CLI prints");
    let rows = b["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 21, "every published point 2019–2025");
    let holdout = b["holdout_from"].as_str().unwrap();
    for r in rows {
        let held_out = r["date"].as_str().unwrap() >= holdout;
        assert_eq!(r["in_sample"], !held_out, "{r}");
    }
    // The summary counts the rows it summarises.
    let counted = |pick: &dyn Fn(&Value) -> bool| rows.iter().filter(|r| pick(r)).count();
    for s in b["summary"].as_array().unwrap() {
        let pick: Box<dyn Fn(&Value) -> bool> = match s["points"].as_str().unwrap() {
            "all" => Box::new(|_| true),
            "in_sample" => Box::new(|r| r["in_sample"] == true),
            "held_out" => Box::new(|r| r["in_sample"] == false),
            other => panic!("unknown summary {other}"),
        };
        assert_eq!(s["count"], counted(&*pick), "{s}");
        assert_eq!(s["inside_p10_p90"], counted(&|r| pick(r) && r["within_p10_p90"] == true), "{s}");
        let close = counted(&|r| {
            let (o, p50) = (r["observed"].as_f64().unwrap(), r["p50"].as_f64().unwrap());
            pick(r) && (p50 - o).abs() <= 0.10 * o
        });
        assert_eq!(s["p50_within_10_percent"], close, "{s}");
    }
    let page = when_computed(&mut c, "/ramingen/terugtoets").await.text();
    assert_eq!(page.matches("<tr class=\"holdout\">").count(), counted(&|r| r["in_sample"] == false));
    let first = &rows[0];
    let p50 = first["p50"].as_u64().unwrap();
    let dutch = format!("{}.{:03}", p50 / 1000, p50 % 1000);
    assert!(page.contains(&format!("<strong>{dutch}</strong>")), "the page shows the P50 {dutch}");
    assert!(c.get("/ramingen").await.text().contains("href=\"/ramingen/terugtoets\""));

    // The explanation: base → official-2026 by named drivers that add up to the difference,
    // then what no public assumption explains of the published 88,000.
    let x = when_computed(&mut c, "/api/forecast/explain").await.json();
    let (reference, target) = (x["reference_p50"].as_f64().unwrap(), x["target_p50"].as_f64().unwrap());
    let sum: f64 = x["contributions"].as_array().unwrap().iter().map(|d| d["places"].as_f64().unwrap()).sum();
    assert!((reference + sum - target).abs() < 1.0, "{reference} + {sum} ≠ {target}");
    assert_eq!(x["published"], 88_000.0);
    assert_eq!(x["not_explained"].as_f64().unwrap(), 88_000.0 - target);
    let page = when_computed(&mut c, "/ramingen/verklaring?lang=en").await.text();
    assert!(page.contains("Published raming") && page.contains("Not explained by public assumptions"), "{page}");
    assert!(page.contains("Return phase") || page.contains("return phase"));

    let api = c.get("/api/openapi.json").await.json();
    for path in ["/api/forecast/backtest", "/api/forecast/explain"] {
        assert!(api["paths"][path]["get"]["responses"]["503"].is_object(), "OpenAPI documents {path}'s 503");
    }
}
