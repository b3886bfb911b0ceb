//! End-to-end in headless Chromium (fantoccini + chromedriver): the dashboard loads without
//! errors, the map has 342 shapes, clicking one opens its page, a municipality user signs
//! in and submits an offer that then shows on the public page, and no page makes a request
//! to any host but the loopback server. Screenshots go to artifacts/ (gitignored).
//!
//! Shared set-up and page checks are in support/. Without /usr/bin/chromedriver the test skips, unless
//! SPREIDING_REQUIRE_BROWSER=1 (as in .ci/run), which makes a missing browser a failure.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use fantoccini::Locator;
use spreiding_core::actor::Role;
use spreiding_web::{AppState, router};
use support::{assert_clean, shot};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_map_and_offer_in_a_real_browser() {
    let Some(browser) = support::start().await else { return };
    // The server, in process, on a free loopback port, with a fresh SQLite database.
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("e2e.db").display());
    {
        // A sandbox with an account per role and cycle 2026 published by the ministry.
        let store = spreiding_store::Store::initialise(&format!("{url}?mode=rwc"), spreiding_store::DbKind::Sandbox)
            .await
            .unwrap();
        let admin = store.bootstrap_account("beheer", "groningen-e2e-pass", Role::Admin).await.unwrap();
        let a = store.act(&admin, None, None).await.unwrap();
        store
            .add_account(&a, "gm0014", "groningen-e2e-pass", Role::Municipality("GM0014".parse().unwrap()))
            .await
            .unwrap();
        store.add_account(&a, "minister", "groningen-e2e-pass", Role::Ministry).await.unwrap();
        store
            .add_account(&a, "cdk-groningen", "groningen-e2e-pass", Role::Province("PV20".parse().unwrap()))
            .await
            .unwrap();
        store.add_account(&a, "coa", "groningen-e2e-pass", Role::Coa).await.unwrap();
        let m = store.authenticate_password("minister", "groningen-e2e-pass").await.unwrap();
        let act = store.act(&m, Some(chrono::NaiveDate::from_ymd_opt(2026, 1, 30).unwrap()), None).await.unwrap();
        // A recorded forecast run whose P50 is the published 88,000: the cycle is published from it.
        let result = serde_json::json!({
            "scenario": {"id": "official-2026", "version": 1, "from": "bundled:official-2026"},
            "seed": 1, "runs": 1000, "start": "2025-09-01", "years": 2,
            "required_places": [
                {"date": "2026-01-01", "p10": 80_000, "p50": 88_000, "p90": 97_000, "amv_p50": 7_000},
                {"date": "2027-01-01", "p10": 81_000, "p50": 89_000, "p90": 99_000, "amv_p50": 7_100}
            ]
        });
        let run = store
            .record_forecast_run(
                &act,
                spreiding_store::NewForecastRun {
                    scenario_from: "bundled:official-2026".into(),
                    scenario_toml: "[scenario]\nid = \"official-2026\"\n".into(),
                    result_json: result.to_string(),
                    note: None,
                    step: "month".into(),
                },
            )
            .await
            .unwrap();
        let request = spreiding_store::ForecastRequest {
            id: "2026".parse().unwrap(),
            year: 2026,
            national_total: 88_000,
            amv_total: None,
            ses_woa: None,
            deviation: Some("SES-WOA not loaded: population-only key (e2e)".into()),
            on: act.on(),
            forecast_run: Some(run.id),
        };
        let (cycle, _) = store.prepare_forecast(&request).await.unwrap();
        store.create_cycle(&act, cycle).await.unwrap();
        store.close().await;
    }
    let state = AppState::new(&url, false, chrono::NaiveDate::from_ymd_opt(2026, 10, 15)).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(state);
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    let origin = format!("http://{addr}");

    let c = &browser.client;

    // 1. The dashboard: loads clean, map with 342 shapes.
    c.goto(&format!("{origin}/")).await.unwrap();
    c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css("#map[data-shapes='342']")).await.unwrap();
    let shapes = c.find_all(Locator::Css("#map path.leaflet-interactive[data-gm]")).await.unwrap();
    assert_eq!(shapes.len(), 342, "the map must draw every municipality");
    let note = c.find(Locator::Id("key-note")).await.unwrap().text().await.unwrap();
    assert!(note.contains("SES-WOA not loaded: population-only key"), "{note}");
    shot(c, "dashboard.png").await;
    assert_clean(c, &origin, "dashboard").await;

    // The English switch.
    c.goto(&format!("{origin}/?lang=en")).await.unwrap();
    let h1 = c.find(Locator::Css("h1")).await.unwrap().text().await.unwrap();
    assert!(h1.starts_with("National overview"), "{h1}");
    c.goto(&format!("{origin}/?lang=nl")).await.unwrap();

    // 2. Clicking a shape opens that municipality's page.
    c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css("#map[data-shapes='342']")).await.unwrap();
    let shape = c.find(Locator::Css("#map path[data-gm='GM1680']")).await.unwrap();
    shape.click().await.unwrap();
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_url(&url::Url::parse(&format!("{origin}/gemeente/GM1680")).unwrap())
        .await
        .unwrap();
    let h1 = c.find(Locator::Css("h1")).await.unwrap().text().await.unwrap();
    assert!(h1.contains("Aa en Hunze"), "{h1}");
    shot(c, "municipality.png").await;
    assert_clean(c, &origin, "municipality page").await;

    // 3. A municipality signs in and offers places; the offer shows on the public page.
    c.goto(&format!("{origin}/login")).await.unwrap();
    c.find(Locator::Id("username")).await.unwrap().send_keys("gm0014").await.unwrap();
    c.find(Locator::Id("password")).await.unwrap().send_keys("groningen-e2e-pass").await.unwrap();
    c.find(Locator::Id("login-submit")).await.unwrap().click().await.unwrap();
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id("offer-form")).await.unwrap();
    c.find(Locator::Id("location")).await.unwrap().send_keys("Azc Zernike Campus (e2e)").await.unwrap();
    c.find(Locator::Id("places")).await.unwrap().send_keys("450").await.unwrap();
    shot(c, "portal.png").await;
    c.find(Locator::Id("offer-submit")).await.unwrap().click().await.unwrap();
    let flash = c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id("flash")).await.unwrap();
    assert!(!flash.text().await.unwrap().is_empty());
    assert_clean(c, &origin, "portal").await;
    c.goto(&format!("{origin}/gemeente/GM0014")).await.unwrap();
    let offers = c.find(Locator::Id("offers")).await.unwrap().text().await.unwrap();
    assert!(offers.contains("Azc Zernike Campus (e2e)") && offers.contains("450"), "{offers}");
    let offered = c.find(Locator::Id("offered")).await.unwrap().text().await.unwrap();
    assert_eq!(offered, "450");
    shot(c, "municipality_after_offer.png").await;
    assert_clean(c, &origin, "public page after the offer").await;

    // The table alternative and the API docs load clean as well.
    c.goto(&format!("{origin}/gemeenten")).await.unwrap();
    assert_eq!(c.find_all(Locator::Css("table.data tbody tr")).await.unwrap().len(), 342);
    assert_clean(c, &origin, "municipalities table").await;
    for (path, name) in [
        ("/provincies", "provinces table"),
        ("/ramingen", "forecast runs"),
        ("/ramingen?lang=en", "forecast runs in English"),
        ("/cyclus/2026", "the cycle page, naming its forecast run"),
        ("/wat-de-wet-oplevert", "what the law achieves"),
        ("/?lang=en", "dashboard in English"),
    ] {
        c.goto(&format!("{origin}{path}")).await.unwrap();
        assert_clean(c, &origin, name).await;
    }
    // The backtest and the explanation of the official raming: computed once per server start
    // (the first visit may get "being computed"), then checked like every other page.
    for (path, table, name) in [
        ("/ramingen/terugtoets", "backtest", "the backtest 2019–2025"),
        ("/ramingen/verklaring?lang=en", "explanation", "the explanation of the official raming"),
    ] {
        let mut ready = false;
        for _ in 0..60 {
            c.goto(&format!("{origin}{path}")).await.unwrap();
            if c.find(Locator::Id(table)).await.is_ok() {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        assert!(ready, "{name} was not computed within two minutes");
        assert_clean(c, &origin, name).await;
        shot(c, &format!("forecast_{table}.png")).await;
    }
    c.goto(&format!("{origin}/cyclus/2026?lang=nl")).await.unwrap();
    let run = c.find(Locator::Id("forecast-run")).await.unwrap().text().await.unwrap();
    assert!(run.contains("run 1") && run.contains("88.000"), "the cycle names its forecast run: {run}");
    c.goto(&format!("{origin}/ramingen")).await.unwrap();
    assert_eq!(c.find_all(Locator::Css("#forecast-runs tbody tr")).await.unwrap().len(), 1);
    shot(c, "forecast_runs.png").await;
    c.goto(&format!("{origin}/api/docs/")).await.unwrap();
    c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css(".swagger-ui .info")).await.unwrap();
    shot(c, "api_docs.png").await;
    let urls = c.execute("return performance.getEntriesByType('resource').map(e => e.name);", vec![]).await.unwrap();
    for u in urls.as_array().unwrap() {
        assert!(u.as_str().unwrap().starts_with(&origin), "API docs requested another host: {u}");
    }

    // A phone-sized screen.
    c.set_window_size(390, 844).await.unwrap();
    c.goto(&format!("{origin}/")).await.unwrap();
    c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css("#map[data-shapes='342']")).await.unwrap();
    shot(c, "dashboard_phone.png").await;
    c.set_window_size(1280, 1400).await.unwrap();

    // 4. Every role's portal screen, signed in for real, passes the same checks (axe-core too);
    // the ministry runs and publishes a policy simulation from its screen.
    for user in ["beheer", "minister", "cdk-groningen", "gm0014", "coa"] {
        c.delete_all_cookies().await.unwrap();
        c.goto(&format!("{origin}/login")).await.unwrap();
        c.find(Locator::Id("username")).await.unwrap().send_keys(user).await.unwrap();
        c.find(Locator::Id("password")).await.unwrap().send_keys("groningen-e2e-pass").await.unwrap();
        c.find(Locator::Id("login-submit")).await.unwrap().click().await.unwrap();
        c.wait()
            .at_most(Duration::from_secs(10))
            .for_url(&url::Url::parse(&format!("{origin}/portaal")).unwrap())
            .await
            .unwrap();
        shot(c, &format!("portal_{user}.png")).await;
        assert_clean(c, &origin, &format!("portal of {user}")).await;
    }
    c.delete_all_cookies().await.unwrap();
    c.goto(&format!("{origin}/login")).await.unwrap();
    c.find(Locator::Id("username")).await.unwrap().send_keys("minister").await.unwrap();
    c.find(Locator::Id("password")).await.unwrap().send_keys("groningen-e2e-pass").await.unwrap();
    c.find(Locator::Id("login-submit")).await.unwrap().click().await.unwrap();
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id("simulation-form")).await.unwrap();
    // The ministry records a forecast run from its screen: first a value the server refuses
    // (the browser's own min/max taken off), then a good one; both pages pass axe-core.
    c.execute("document.getElementById('fc-paths').removeAttribute('min');", vec![]).await.unwrap();
    let paths = c.find(Locator::Id("fc-paths")).await.unwrap();
    paths.clear().await.unwrap();
    paths.send_keys("0").await.unwrap();
    c.find(Locator::Id("forecast-submit")).await.unwrap().click().await.unwrap();
    let error = c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id("form-error")).await.unwrap();
    assert!(error.text().await.unwrap().contains("Paden: 0 ligt buiten"), "the field and the fix");
    assert_clean(c, &origin, "the forecast form with an error").await;
    for (id, value) in [("fc-paths", "100"), ("fc-years", "1")] {
        let field = c.find(Locator::Id(id)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }
    c.find(Locator::Id("fc-step-week")).await.unwrap().click().await.unwrap();
    c.find(Locator::Id("forecast-submit")).await.unwrap().click().await.unwrap();
    let done = c.wait().at_most(Duration::from_secs(60)).for_element(Locator::Id("forecast-recorded")).await.unwrap();
    assert!(done.text().await.unwrap().contains("Vastgelegd als capaciteitsraming run 2"), "named with its number");
    shot(c, "portal_forecast_recorded.png").await;
    assert_clean(c, &origin, "the portal after recording a forecast run").await;
    for (id, value) in [("sim-years", "1"), ("sim-runs", "10")] {
        let field = c.find(Locator::Id(id)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }
    c.find(Locator::Id("sim-title")).await.unwrap().send_keys("Browsertest").await.unwrap();
    c.find(Locator::Id("simulation-submit")).await.unwrap().click().await.unwrap();
    c.wait()
        .at_most(Duration::from_secs(60))
        .for_url(&url::Url::parse(&format!("{origin}/wat-de-wet-oplevert")).unwrap())
        .await
        .unwrap();
    let h2 = c.find(Locator::Id("about")).await.unwrap().text().await.unwrap();
    assert_eq!(h2, "Browsertest");
    assert!(c.find_all(Locator::Css("table.data tbody tr")).await.unwrap().len() >= 5, "the comparison table");
    shot(c, "what_the_law_achieves.png").await;
    assert_clean(c, &origin, "what the law achieves, with a published report").await;

    c.clone().close().await.unwrap();
}
