//! A whole cycle done only in the portal, by the five roles — the administrator, the
//! ministry, a CdK, municipalities and COA — through the same forms a browser posts (in
//! process, with the session cookie and CSRF tokens), in a sandbox whose clock moves on.
//! Every step shows in the public pages; refusals come back as pages with the typed values.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use spreiding_core::actor::Role;
use spreiding_store::{DbKind, Store};
use spreiding_web::{AppState, router};
use tower::ServiceExt;

const PW: &str = "portal-test-password";

struct Client {
    app: Router,
    cookie: Option<String>,
}

struct Resp {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Client {
    async fn send(&mut self, method: Method, uri: &str, form: Option<String>) -> Resp {
        let mut b = Request::builder().method(method).uri(uri);
        if let Some(c) = &self.cookie {
            b = b.header(header::COOKIE, c);
        }
        if form.is_some() {
            b = b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        }
        let res = self.app.clone().oneshot(b.body(Body::from(form.unwrap_or_default())).unwrap()).await.unwrap();
        for v in res.headers().get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            if v.starts_with("spreiding_session=") {
                self.cookie = Some(v.split(';').next().unwrap().to_string());
            }
        }
        let status = res.status();
        let location = res.headers().get(header::LOCATION).map(|l| l.to_str().unwrap().to_string());
        let body = String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into_owned();
        Resp { status, location, body }
    }

    async fn get(&mut self, uri: &str) -> Resp {
        self.send(Method::GET, uri, None).await
    }

    async fn csrf(&mut self) -> String {
        let r = self.get("/api/session").await;
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        v["csrf_token"].as_str().unwrap().to_string()
    }

    async fn post(&mut self, uri: &str, fields: &[(&str, &str)]) -> Resp {
        let t = self.csrf().await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf", &t));
        let body = all.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect::<Vec<_>>().join("&");
        self.send(Method::POST, uri, Some(body)).await
    }

    /// Post a portal form and expect the redirect back with a message.
    async fn ok(&mut self, uri: &str, fields: &[(&str, &str)]) -> Resp {
        let r = self.post(uri, fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{uri} {fields:?}: {}", &r.body[..r.body.len().min(2000)]);
        r
    }

    async fn login(app: &Router, user: &str) -> Client {
        let mut c = Client { app: app.clone(), cookie: None };
        let r = c.post("/login", &[("username", user), ("password", PW)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "login {user}: {}", r.body);
        c
    }
}

async fn clock(store: &Store, d: &str) {
    let admin = store.authenticate_password("beheer", PW).await.unwrap();
    store.set_clock(&admin, d.parse().unwrap()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_cycle_in_the_portal_by_the_five_roles() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("portal.db").display());
    let store = Store::initialise(&url, DbKind::Sandbox).await.unwrap();
    store.bootstrap_account("beheer", PW, Role::Admin).await.unwrap();
    clock(&store, "2026-01-20").await;
    let state = AppState::new(&url, false, None).await.unwrap();
    let app = router(state.clone());

    // The administrator adds the accounts in the portal.
    let mut admin = Client::login(&app, "beheer").await;
    for (name, role, region) in [
        ("minister", "ministry", ""),
        ("cdk-groningen", "province", "PV20"),
        ("groningen", "municipality", "GM0014"),
        ("stadskanaal", "municipality", "GM0037"),
        ("coa", "coa", ""),
    ] {
        admin.ok("/portaal/account", &[("username", name), ("role", role), ("region", region), ("password", PW)]).await;
    }
    let r = admin
        .post(
            "/portaal/account",
            &[("username", "x"), ("role", "municipality"), ("region", "GM9999"), ("password", PW)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("GM9999") && r.body.contains("value=\"x\""), "the form comes back with what was typed");
    let r = admin.post("/portaal/token", &[("username", "groningen")]).await;
    assert!(r.body.contains("id=\"issued-token\"") && r.body.contains("spr_"), "a token is shown once");

    // COA fills the registry: one location by form (a durable credit for Groningen), the rest by CSV.
    let mut coa = Client::login(&app, "coa").await;
    coa.ok(
        "/portaal/locatie",
        &[
            ("id", "AZC-GR-1"),
            ("name", "Azc Groningen"),
            ("municipality", "GM0014"),
            ("operator", "coa"),
            ("type", "azc"),
            ("beds", "400"),
            ("durability_years", "10"),
            ("opened", "2020-01-01"),
        ],
    )
    .await;
    let bad = "id,name,municipality,operator,type,beds\nL1,A,GM0037,coa,azc,120\nL2,B,GM9999,coa,azc,80\n";
    let r = coa.post("/portaal/locaties-import", &[("csv", bad)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("line 3") || r.body.contains(":3"),
        "line-numbered error: {}",
        &r.body[..r.body.len().min(3000)]
    );
    coa.ok(
        "/portaal/locaties-import",
        &[("csv", "id,name,municipality,operator,type,beds\nL1,A,GM0037,coa,azc,120\n")],
    )
    .await;
    coa.ok("/portaal/kwaliteit", &[("assessor", "COA kwaliteit")]).await;

    // The minister publishes cycle 2026: a preview first, then the publication.
    let mut minister = Client::login(&app, "minister").await;
    let fields = [
        ("year", "2026"),
        ("total", "88000"),
        ("amv", "7480"),
        ("ses_woa", ""),
        ("deviation", "SES-WOA per municipality is not in the record yet"),
        ("reason", ""),
    ];
    let r = minister.post("/portaal/publiceer", &fields).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("id=\"publish-confirm\"") && r.body.contains("nl-population") && r.body.contains("sha256"),
        "the preview shows the key and its inputs"
    );
    let mut confirm = fields.to_vec();
    confirm.push(("confirm", "1"));
    minister.ok("/portaal/publiceer", &confirm).await;
    state.refresh().await.unwrap();
    let public = Client { app: app.clone(), cookie: None }.get("/").await.body;
    assert!(public.contains("id=\"deviation\""), "the deviation shows wherever the tasks appear");
    let groningen_task = state.snapshot().municipality("GM0014".parse().unwrap()).unwrap().task;

    // Municipalities offer, amend and withdraw.
    clock(&store, "2026-03-01").await;
    let mut gr = Client::login(&app, "groningen").await;
    gr.ok(
        "/portaal/aanbod",
        &[
            ("gm_code", "GM0014"),
            ("location", "Zernike"),
            ("kind", "regular_durable"),
            ("places", "300"),
            ("years", "10"),
            ("available_from", "2026-09-01"),
        ],
    )
    .await;
    gr.ok(
        "/portaal/aanbod",
        &[
            ("gm_code", "GM0014"),
            ("location", "Kleinschalig"),
            ("kind", "amv_small_scale"),
            ("places", "40"),
            ("years", "10"),
            ("available_from", "2026-09-01"),
        ],
    )
    .await;
    gr.ok(
        "/portaal/aanbod",
        &[
            ("gm_code", "GM0014"),
            ("location", "Hal"),
            ("kind", "noodopvang"),
            ("places", "200"),
            ("years", "1"),
            ("available_from", "2026-04-01"),
        ],
    )
    .await;
    gr.ok("/portaal/aanbod-wijzig", &[("gm_code", "GM0014"), ("offer_no", "1"), ("places", "350")]).await;
    gr.ok("/portaal/aanbod-intrekken", &[("gm_code", "GM0014"), ("offer_no", "3")]).await;
    let r = gr
        .post(
            "/portaal/aanbod",
            &[
                ("gm_code", "GM0014"),
                ("location", "Te veel"),
                ("kind", "regular_durable"),
                ("places", "veel"),
                ("years", "10"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("value=\"Te veel\""), "kept what was typed");
    let mut sk = Client::login(&app, "stadskanaal").await;
    let r = sk.post("/portaal/aanbod-intrekken", &[("gm_code", "GM0014"), ("offer_no", "1")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a municipality cannot withdraw another's offer");
    sk.ok(
        "/portaal/aanbod",
        &[("gm_code", "GM0037"), ("location", "Pand"), ("kind", "regular_durable"), ("places", "20"), ("years", "6")],
    )
    .await;

    // The CdK of Groningen: a swap, the report, an amendment with a reason.
    clock(&store, "2026-09-15").await;
    let mut cdk = Client::login(&app, "cdk-groningen").await;
    cdk.ok(
        "/portaal/ruil",
        &[
            ("from", "GM0037"),
            ("to", "GM0014"),
            ("places", "10"),
            ("amv_places", "0"),
            ("note", "Groningen neemt over"),
        ],
    )
    .await;
    cdk.ok("/portaal/rapportage", &[("commitments", ""), ("note", "")]).await;
    let r = gr
        .post(
            "/portaal/aanbod",
            &[
                ("gm_code", "GM0014"),
                ("location", "Laat"),
                ("kind", "regular_durable"),
                ("places", "5"),
                ("years", "10"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("submitted its report"), "{}", &r.body[..r.body.len().min(2000)]);
    clock(&store, "2026-11-10").await;
    cdk.ok(
        "/portaal/rapportage-wijzig",
        &[("commitments", "GM0037,25"), ("reason", "Stadskanaal vond 5 plaatsen extra")],
    )
    .await;

    // The minister previews and takes the decision.
    clock(&store, "2026-12-20").await;
    let r = minister.get("/portaal/besluit-voorbeeld?designation=proportional-gap&over_delivery=binding").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("id=\"preview-table\"") && r.body.contains("Groningen"));
    minister
        .ok("/portaal/besluit", &[("designation", "proportional-gap"), ("over_delivery", "binding"), ("reason", "")])
        .await;
    state.refresh().await.unwrap();
    let snap = state.snapshot();
    let row = snap.municipality("GM0014".parse().unwrap()).unwrap();
    assert!(row.decided.unwrap() >= groningen_task);
    assert_eq!(snap.records.decided.values().map(|d| d.1).sum::<u64>(), 7_480, "the binding AMV tasks add up");

    // Groningen reads its beschikking and objects; the minister upholds and revises.
    clock(&store, "2027-01-05").await;
    let b = gr.get("/portaal/beschikking").await;
    assert_eq!(b.status, StatusCode::OK);
    assert!(b.body.contains("id=\"beschikking\"") && b.body.contains("Awb art. 6:7"));
    let binding = row.decided.unwrap();
    let asked = (binding - 10).to_string();
    gr.ok(
        "/portaal/bezwaar",
        &[
            ("gm_code", "GM0014"),
            ("grounds", "the swap with Stadskanaal was counted twice"),
            ("requested_task", &asked),
        ],
    )
    .await;
    clock(&store, "2027-01-20").await;
    minister
        .ok(
            "/portaal/bezwaar-besluit",
            &[
                ("objection_no", "1"),
                ("outcome", "upheld"),
                ("granted_task", &asked),
                ("reason", "the swap was indeed counted twice"),
            ],
        )
        .await;
    minister.ok("/portaal/herzien", &[("reason", "objection 1 of Groningen upheld")]).await;
    state.refresh().await.unwrap();
    assert!(state.snapshot().municipality("GM0014".parse().unwrap()).unwrap().decided.unwrap() <= binding - 10);

    // Realisation and the payment application; the public page shows the binding explanation.
    clock(&store, "2027-03-01").await;
    gr.ok("/portaal/realisatie", &[("gm_code", "GM0014"), ("places", "300"), ("amv_places", "30")]).await;
    gr.ok("/portaal/uitkering", &[("gm_code", "GM0014"), ("places", "300"), ("note", "Zernike")]).await;
    let page = Client { app: app.clone(), cookie: None }.get("/gemeente/GM0014").await.body;
    assert!(page.contains("id=\"binding-explanation\"") && page.contains("upheld"), "{}", &page[..page.len().min(500)]);

    // The minister closes the cycle after the realisation period.
    clock(&store, "2027-08-01").await;
    minister.ok("/portaal/sluiten", &[("reason", "")]).await;
    state.refresh().await.unwrap();
    assert_eq!(state.snapshot().cycles.iter().find(|c| c.id == "2026").unwrap().phase, "closed");
    // Everything was audited, by role, and the chain verifies.
    let log = store.audit_log(None).await.unwrap();
    for action in [
        "account.add",
        "location.register",
        "quality.assess",
        "cycle.publish",
        "offer.amend",
        "offer.withdraw",
        "swap.record",
        "report.amend",
        "decision.take",
        "objection.decide",
        "decision.revise",
        "realisation.record",
        "payment.apply",
        "cycle.close",
    ] {
        assert!(log.iter().any(|r| r.action == action), "{action} missing from the audit trail");
    }
    store.verify_audit().await.unwrap();
    let _ = admin.get("/portaal").await;
}

/// The ministry runs and publishes a policy simulation from the portal; the public page "Wat
/// de wet oplevert" shows the stored report's comparison and serves the full report; no other
/// role may publish, and nothing is shown before anything is published.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ministry_publishes_a_simulation_and_the_public_page_shows_the_stored_report() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("sim.db").display());
    let store = Store::initialise(&url, DbKind::Sandbox).await.unwrap();
    let admin = store.bootstrap_account("beheer", PW, Role::Admin).await.unwrap();
    let a = store.act(&admin, None, None).await.unwrap();
    store.add_account(&a, "minister", PW, Role::Ministry).await.unwrap();
    store.add_account(&a, "groningen", PW, Role::Municipality("GM0014".parse().unwrap())).await.unwrap();
    let state = AppState::new(&url, false, None).await.unwrap();
    let app = router(state.clone());

    let mut public = Client { app: app.clone(), cookie: None };
    let r = public.get("/wat-de-wet-oplevert").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("nog geen simulatierapport gepubliceerd") || r.body.contains("No simulation report"));

    let form = [("years", "2"), ("runs", "10"), ("seed", "7"), ("title", "Proefrapport")];
    let mut gm = Client::login(&app, "groningen").await;
    let r = gm.post("/portaal/simulatie", &form).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a municipality cannot publish: {}", r.body);
    let mut minister = Client::login(&app, "minister").await;
    assert!(minister.get("/portaal").await.body.contains("id=\"simulation-form\""));
    let r = minister.post("/portaal/simulatie", &[("years", "2"), ("runs", "5000"), ("seed", "7")]).await;
    assert!(r.body.contains("outside 10 to 300"), "{}", r.body);
    assert!(store.latest_simulation().await.unwrap().is_none(), "a refused form stores nothing");

    let r = minister.post("/portaal/simulatie", &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some("/wat-de-wet-oplevert"));
    let (meta, json) = store.latest_simulation().await.unwrap().expect("published");
    assert_eq!(meta.title, "Proefrapport");
    let report: spreiding_simulate::Report = serde_json::from_str(&json).unwrap();
    assert_eq!(report.settings.seed, 7);
    assert_eq!(report.settings.runs, 10);

    let page = public.get("/wat-de-wet-oplevert?lang=nl").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Proefrapport"));
    assert!(page.body.contains("Ministerie van Asiel en Migratie"), "the publisher's organisation is named");
    assert!(!page.body.contains("minister<"), "no login name on the public page");
    // Every comparison of the stored report is a row, with the report's own labels.
    for cmp in &report.comparison {
        let label = &report.metrics.iter().find(|m| m.id == cmp.metric).unwrap().label;
        assert!(page.body.contains(&label.replace('&', "&amp;")), "the page lacks {label}");
    }
    let assumptions = report.assumptions.iter().filter(|a| a.assumption).count();
    assert!(page.body.contains(&format!("zijn er {assumptions} aannames")));
    let full = public.get(&format!("/wat-de-wet-oplevert/rapport/{}", meta.id)).await;
    assert_eq!(full.status, StatusCode::OK);
    assert_eq!(full.body, store.simulation_html(&meta.id).await.unwrap(), "served as stored");
    assert!(full.body.contains("<svg"));
    assert_eq!(public.get("/wat-de-wet-oplevert/rapport/onbekend").await.status, StatusCode::NOT_FOUND);
    let log = store.audit_log(None).await.unwrap();
    let rec = log.iter().find(|r| r.action == "simulation.publish").expect("audited");
    assert_eq!(rec.actor, "minister");
}

/// A forecast run recorded in the store, in the shape of `spreiding forecast --format json`.
fn forecast_result(p50: u64) -> String {
    serde_json::json!({
        "scenario": {"id": "base", "version": 3, "from": "bundled:base"},
        "seed": 11, "runs": 400, "start": "2025-09-01", "years": 2,
        "required_places": [
            {"date": "2026-01-01", "p10": p50 - 5_000, "p50": p50, "p90": p50 + 6_000, "amv_p50": 7_000},
            {"date": "2027-01-01", "p10": 1, "p50": 2, "p90": 3, "amv_p50": 1}
        ]
    })
    .to_string()
}

/// Issue 13, "Forecast → cycle": the public list of recorded forecast runs (page and API), and
/// the minister publishing cycle 2026 from a run in the portal; the cycle then names the run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_minister_publishes_from_a_recorded_forecast_run_and_the_cycle_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("runs.db").display());
    let store = Store::initialise(&url, DbKind::Sandbox).await.unwrap();
    let admin = store.bootstrap_account("beheer", PW, Role::Admin).await.unwrap();
    let a = store.act(&admin, None, None).await.unwrap();
    store.add_account(&a, "minister", PW, Role::Ministry).await.unwrap();
    store.add_account(&a, "groningen", PW, Role::Municipality("GM0014".parse().unwrap())).await.unwrap();
    clock(&store, "2026-01-20").await;
    let minister_p = store.authenticate_password("minister", PW).await.unwrap();
    let act = store.act(&minister_p, None, None).await.unwrap();
    let json = forecast_result(87_654);
    let run = store
        .record_forecast_run(
            &act,
            spreiding_store::NewForecastRun {
                scenario_from: "bundled:base".into(),
                scenario_toml: "[scenario]\nid = \"base\"\n".into(),
                result_json: json.clone(),
                note: None,
                step: "month".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(run.id, 1);
    let state = AppState::new(&url, false, None).await.unwrap();
    let app = router(state.clone());
    let mut public = Client { app: app.clone(), cookie: None };

    // The public page and the open API list the run, with the organisation, never the login.
    let r = public.get("/ramingen").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("id=\"run-1\"") && r.body.contains("87.654") && r.body.contains("82.654"), "{}", r.body);
    assert!(r.body.contains("Ministerie van Asiel en Migratie") && !r.body.contains(">minister<"));
    assert!(public.get("/").await.body.contains("href=\"/ramingen\""), "the forecasts are in the navigation");
    let r = public.get("/api/forecast-runs").await;
    assert_eq!(r.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!((v[0]["id"].as_i64(), v[0]["p50"].as_u64(), v[0]["seed"].as_u64()), (Some(1), Some(87_654), Some(11)));
    assert_eq!(v[0]["cycles"], serde_json::json!([]));
    let r = public.get("/api/forecast-runs?format=csv").await;
    assert!(r.body.starts_with("run,scenario") && r.body.contains(",87654,"), "{}", r.body);
    let r = public.get("/api/forecast-runs/1/result").await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, json.as_str()), "the result as stored");
    assert_eq!(public.get("/api/forecast-runs/9/result").await.status, StatusCode::NOT_FOUND);
    assert_eq!(public.get("/api/forecast-runs/x/result").await.status, StatusCode::NOT_FOUND);

    // Only the minister's portal offers the runs; a municipality's does not.
    let mut gm = Client::login(&app, "groningen").await;
    assert!(!gm.get("/portaal").await.body.contains("id=\"forecast_run\""));
    let mut minister = Client::login(&app, "minister").await;
    let page = minister.get("/portaal").await.body;
    assert!(page.contains("id=\"forecast_run\"") && page.contains("Publiceer vanuit run 1"), "{page}");

    let base = [
        ("year", "2026"),
        ("amv", "7000"),
        ("ses_woa", ""),
        ("deviation", "SES-WOA per municipality is not in the record yet"),
        ("reason", ""),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut v = base.to_vec();
        v.extend_from_slice(extra);
        v
    };
    // A run that does not exist, and a run with another total: the form comes back, nothing written.
    let r = minister.post("/portaal/publiceer", &with(&[("forecast_run", "9"), ("total", "")])).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("forecast run 9"), "{}", r.body);
    let r = minister.post("/portaal/publiceer", &with(&[("forecast_run", "1"), ("total", "90000")])).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("choose the run or type a number"), "{}", r.body);
    // The preview names the run and takes its P50; then the publication.
    let r = minister.post("/portaal/publiceer", &with(&[("forecast_run", "1"), ("total", "")])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("id=\"preview-run\"") && r.body.contains("87.654"), "{}", r.body);
    assert!(r.body.contains("forecast run 1"), "the run is among the inputs");
    minister.ok("/portaal/publiceer", &with(&[("forecast_run", "1"), ("total", ""), ("confirm", "1")])).await;
    let cycle = store.cycle(&"2026".parse().unwrap()).await.unwrap();
    assert_eq!((cycle.forecast_run_id, cycle.national_total), (Some(1), 87_654));

    // The dashboard, the cycle's page and the API name the run.
    state.refresh().await.unwrap();
    for path in ["/", "/cyclus/2026"] {
        let body = public.get(path).await.body;
        assert!(body.contains("id=\"forecast-run\"") && body.contains("href=\"/ramingen#run-1\""), "{path}");
        assert!(body.contains("raming: run 1 (scenario base v3, seed 11, P50 87654"), "{path}");
    }
    let v: serde_json::Value = serde_json::from_str(&public.get("/api/overview").await.body).unwrap();
    assert_eq!(v["cycle"]["forecast_run"]["id"], 1);
    assert_eq!(v["cycle"]["forecast_total"], 87_654);
    let v: serde_json::Value = serde_json::from_str(&public.get("/api/forecast-runs").await.body).unwrap();
    assert_eq!(v[0]["cycles"], serde_json::json!(["2026"]));
    assert!(public.get("/ramingen").await.body.contains("href=\"/cyclus/2026\""));

    // A run recorded later (by another process, say) shows once the snapshot is rebuilt.
    let later = spreiding_store::NewForecastRun { result_json: forecast_result(90_000), ..new_run_text() };
    store.record_forecast_run(&act, later).await.unwrap();
    state.refresh().await.unwrap();
    let body = public.get("/ramingen").await.body;
    assert!(body.contains("id=\"run-2\"") && body.find("id=\"run-2\"") < body.find("id=\"run-1\""), "newest first");
    assert!(store.verify_record(None).await.unwrap().problems.is_empty());
}

fn new_run_text() -> spreiding_store::NewForecastRun {
    spreiding_store::NewForecastRun {
        scenario_from: "bundled:base".into(),
        scenario_toml: "[scenario]\nid = \"base\"\n".into(),
        result_json: String::new(),
        note: None,
        step: "month".into(),
    }
}

/// A fresh SQLite database, and a fresh PostgreSQL database when SPREIDING_TEST_PG_URL is set
/// (e.g. postgres://postgres@127.0.0.1:5432/test): (name, url, what to drop afterwards).
async fn databases(dir: &std::path::Path) -> Vec<(&'static str, String, Option<(String, String)>)> {
    let mut v = vec![("sqlite", format!("sqlite://{}?mode=rwc", dir.join("form.db").display()), None)];
    if let Some(admin) = std::env::var("SPREIDING_TEST_PG_URL").ok().filter(|u| !u.is_empty()) {
        use sqlx::Executor;
        sqlx::any::install_default_drivers();
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let name = format!("spreiding_web_{}_{nanos}", std::process::id());
        let pool = sqlx::AnyPool::connect(&admin).await.expect("connect to SPREIDING_TEST_PG_URL");
        pool.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
        pool.close().await;
        let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
        v.push(("postgres", url, Some((admin, name))));
    }
    v
}

async fn drop_database(pg: Option<(String, String)>) {
    if let Some((admin, name)) = pg {
        use sqlx::Executor;
        let pool = sqlx::AnyPool::connect(&admin).await.unwrap();
        let _ = pool.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).await;
        pool.close().await;
    }
}

/// The result `spreiding forecast --format json` gives for a bundled scenario, computed here
/// with the engine and the shared report, independently of the portal.
fn independent_result(
    id: &str,
    start: Option<&str>,
    years: u32,
    paths: usize,
    seed: u64,
    step: spreiding_forecast::report::Step,
) -> String {
    let s = spreiding_forecast::scenario::bundled(id).unwrap().unwrap();
    let start = start.map(|d| d.parse().unwrap()).unwrap_or_else(|| s.start_date().unwrap());
    let f = spreiding_forecast::run(&s, start, years, paths, seed, &|| {}).unwrap();
    spreiding_forecast::report::result_json(&s, &format!("bundled:{id}"), &f, years, step)
}

/// The ministry records a forecast run from the portal (the browser's `spreiding forecast
/// --record`), on SQLite and PostgreSQL: the run is stored under the signed-in account, its
/// result is byte for byte what the engine and the shared report give for the same inputs, and
/// the portal names it with links to Ramingen and the publish form. A municipality is refused,
/// a post without the CSRF token is refused, and a bad value names its field; none writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ministry_records_a_forecast_run_from_the_portal() {
    use spreiding_forecast::report::Step;
    let dir = tempfile::tempdir().unwrap();
    for (name, url, pg) in databases(dir.path()).await {
        let store = Store::initialise(&url, DbKind::Sandbox).await.unwrap();
        let admin = store.bootstrap_account("beheer", PW, Role::Admin).await.unwrap();
        let a = store.act(&admin, None, None).await.unwrap();
        store.add_account(&a, "minister", PW, Role::Ministry).await.unwrap();
        store.add_account(&a, "groningen", PW, Role::Municipality("GM0014".parse().unwrap())).await.unwrap();
        let state = AppState::new(&url, false, None).await.unwrap();
        let app = router(state.clone());
        let st = &store;
        let none_recorded = move || async move { st.forecast_runs().await.unwrap().is_empty() };
        let form = [
            ("scenario", "base"),
            ("seed", "5"),
            ("paths", "100"),
            ("start", ""),
            ("years", "1"),
            ("step", "week"),
            ("note", "raming via het portaal"),
        ];

        // Not signed in, a municipality, a forged post: refused, nothing written.
        let mut public = Client { app: app.clone(), cookie: None };
        let r = public.post("/portaal/raming", &form).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{name}: {}", r.body);
        let mut gm = Client::login(&app, "groningen").await;
        assert!(!gm.get("/portaal").await.body.contains("id=\"forecast-form\""), "{name}: only the ministry sees it");
        let r = gm.post("/portaal/raming", &form).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{name}: a municipality may not record: {}", r.body);
        assert!(r.body.contains("may not record a forecast run"), "{name}: {}", r.body);
        let mut minister = Client::login(&app, "minister").await;
        let body = form.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect::<Vec<_>>().join("&");
        let r = minister.send(Method::POST, "/portaal/raming", Some(body)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{name}: no CSRF token: {}", r.body);
        assert!(none_recorded().await, "{name}: a refused post writes nothing");

        // The minister's portal has the form: every bundled scenario, the bounds said on it.
        let page = minister.get("/portaal").await.body;
        assert!(page.contains("id=\"forecast-form\"") && page.contains("action=\"/portaal/raming\""), "{name}");
        for (id, _) in spreiding_forecast::scenario::BUNDLED {
            assert!(page.contains(&format!("<option value=\"{id}\"")), "{name}: scenario {id} is offered");
        }
        assert!(page.contains("Paden (100–10.000)") && page.contains("min=\"100\" max=\"10000\""), "{name}");

        // Bad values: the form comes back with the field, the fix and what was typed; nothing written.
        let with = |k: &'static str, v: &'static str| {
            let mut f = form.to_vec();
            f.retain(|(key, _)| *key != k);
            f.push((k, v));
            f
        };
        let r = minister.post("/portaal/raming", &with("paths", "0")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(r.body.contains("Paden: 0 ligt buiten 100 tot en met 10.000"), "{name}: {}", r.body);
        assert!(r.body.contains("id=\"fc-paths\"") && r.body.contains("value=\"0\""), "{name}: the typed value stays");
        let r = minister.post("/portaal/raming?lang=en", &with("scenario", "onbekend")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(r.body.contains("onbekend") && r.body.contains("is not a bundled scenario"), "{name}: {}", r.body);
        let r = minister.post("/portaal/raming", &with("years", "4")).await;
        assert!(r.body.contains("Jaren: ") && r.body.contains("is geen 1, 2 of 3"), "{name}: {}", r.body);
        let r = minister.post("/portaal/raming", &with("start", "morgen")).await;
        assert!(
            r.body.contains("morgen") && r.body.contains("is geen datum; gebruik JJJJ-MM-DD"),
            "{name}: {}",
            r.body
        );
        assert!(none_recorded().await, "{name}: a bad value writes nothing");

        // Recorded as run 1 under the minister's account; back to the portal, which names it.
        let r = minister.ok("/portaal/raming", &form).await;
        assert_eq!(r.location.as_deref(), Some("/portaal?ok=forecast-run-1"), "{name}");
        let run = store.forecast_run(1).await.unwrap();
        assert_eq!((run.recorded_by.as_str(), run.recorded_role), ("minister", Role::Ministry), "{name}");
        assert_eq!((run.scenario_id.as_str(), run.seed, run.runs, run.years), ("base", 5, 100, 1), "{name}");
        assert_eq!((run.step.as_str(), run.note.as_deref()), ("week", Some("raming via het portaal")), "{name}");
        assert_eq!(run.scenario_from, "bundled:base");
        assert_eq!(run.scenario_toml, spreiding_forecast::scenario::BUNDLED[0].1, "{name}: the scenario as run");
        let expected = independent_result("base", None, 1, 100, 5, Step::Week);
        assert_eq!(run.result_json, expected, "{name}: the same bytes as the command line's");
        let page = minister.get("/portaal?ok=forecast-run-1").await.body;
        assert!(page.contains("id=\"forecast-recorded\"") && page.contains("Vastgelegd als capaciteitsraming run"));
        assert!(page.contains("href=\"/ramingen#run-1\"") && page.contains("href=\"#publish-form\""), "{name}");
        assert!(page.contains("<option value=\"1\" selected>"), "{name}: the publish form offers run 1");
        assert!(!minister.get("/portaal?ok=forecast-run-9").await.body.contains("id=\"forecast-recorded\""));

        // Another scenario with a start date, two years and months: run 2, again the same bytes.
        let second = [
            ("scenario", "high-inflow"),
            ("seed", "2"),
            ("paths", "120"),
            ("start", "2026-01-01"),
            ("years", "2"),
            ("step", "month"),
            ("note", ""),
        ];
        let r = minister.ok("/portaal/raming?lang=en", &second).await;
        assert_eq!(r.location.as_deref(), Some("/portaal?ok=forecast-run-2"), "{name}");
        let run = store.forecast_run(2).await.unwrap();
        assert_eq!((run.start.to_string().as_str(), run.note), ("2026-01-01", None), "{name}");
        assert_eq!(run.result_json, independent_result("high-inflow", Some("2026-01-01"), 2, 120, 2, Step::Month));

        // Public: on Ramingen; the record: audited under the minister, and it verifies.
        state.refresh().await.unwrap();
        let body = public.get("/ramingen").await.body;
        assert!(body.contains("id=\"run-1\"") && body.contains("id=\"run-2\""), "{name}");
        let log = store.audit_log(None).await.unwrap();
        let recs: Vec<_> = log.iter().filter(|r| r.action == "forecast.record").collect();
        assert_eq!(recs.len(), 2, "{name}");
        assert!(recs.iter().all(|r| r.actor == "minister"), "{name}");
        assert!(store.verify_record(None).await.unwrap().problems.is_empty(), "{name}");
        store.close().await;
        drop(state);
        drop_database(pg).await;
    }
}
