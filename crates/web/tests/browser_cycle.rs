//! A whole cycle of the Spreidingswet done only in the portal, in headless Chromium, by the
//! five roles signed in with their own accounts: the administrator adds the accounts, COA
//! registers a location and assesses quality, the minister publishes the forecast (preview,
//! then confirmation), municipalities offer, amend and withdraw, the King's Commissioner
//! records a swap and reports (and amends), the minister previews and takes the decision,
//! Groningen reads its beschikking and objects, the minister upholds and revises, Groningen
//! records realisation and applies for the payment, and the minister closes the cycle. Every
//! form is filled and submitted in the page (the browser's own validation runs), every role's
//! screen passes axe-core and the page checks, and the audit trail holds every act.
//!
//! The sandbox clock is moved between the phases by the test (a setting of the sandbox, not an
//! act of a role). Skips without Chromium unless SPREIDING_REQUIRE_BROWSER=1 (as in .ci/run).

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use spreiding_core::actor::Role;
use spreiding_store::{DbKind, Store};
use spreiding_web::{AppState, router};
use support::{assert_clean, shot};

const PW: &str = "portal-browser-pass";

/// Fill and submit the form posting to `/portaal/{action}` — the first whose hidden fields
/// match the given values — as a user would: values into its fields, then `requestSubmit`, so
/// the browser's constraint validation runs. Waits for the next page and returns its URL.
async fn submit(c: &Client, action: &str, fields: &[(&str, &str)]) -> String {
    let args =
        vec![serde_json::json!(action), serde_json::json!(fields.iter().map(|(k, v)| [*k, *v]).collect::<Vec<_>>())];
    let r = c
        .execute(
            "const [action, fields] = arguments;
             const forms = [...document.querySelectorAll('form')]
               .filter(f => new URL(f.action, location.href).pathname === '/portaal/' + action);
             const form = forms.find(f => fields.every(([k, v]) => {
               const e = f.elements[k]; return !(e && e.type === 'hidden') || e.value === v; }));
             if (!form) return 'no form /portaal/' + action + ' matching the hidden fields (' + forms.length + ' forms)';
             for (const [k, v] of fields) {
               const e = form.elements[k];
               if (!e) return 'the form /portaal/' + action + ' has no field ' + k;
               if (e.type === 'hidden') continue;
               if (typeof RadioNodeList !== 'undefined' && e instanceof RadioNodeList) {
                 for (const r of e) r.checked = r.value === v; continue; }
               if (e.type === 'radio' || e.type === 'checkbox') { e.checked = e.value === v; continue; }
               e.value = v;
             }
             if (!form.checkValidity()) return 'the browser refuses the form: ' + [...form.elements]
               .filter(e => e.willValidate && !e.checkValidity()).map(e => e.name + ': ' + e.validationMessage).join('; ');
             window.__spreidingSubmitted = true;
             form.requestSubmit();
             return 'ok';",
            args,
        )
        .await
        .unwrap();
    assert_eq!(r.as_str(), Some("ok"), "/portaal/{action} {fields:?}");
    next_page(c, action).await;
    c.current_url().await.unwrap().to_string()
}

/// Wait until the page that set `window.__spreidingSubmitted` has been replaced and loaded.
async fn next_page(c: &Client, what: &str) {
    let start = Instant::now();
    loop {
        let loaded = c
            .execute("return window.__spreidingSubmitted === undefined && document.readyState === 'complete';", vec![])
            .await
            .unwrap_or(serde_json::Value::Bool(false));
        if loaded == serde_json::Value::Bool(true) {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{what}: no new page after 60 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Submit and expect the portal's confirmation (the redirect back with a message).
async fn ok(c: &Client, action: &str, fields: &[(&str, &str)]) {
    let url = submit(c, action, fields).await;
    if c.find(Locator::Id("flash")).await.is_err() {
        let error = match c.find(Locator::Id("form-error")).await {
            Ok(e) => e.text().await.unwrap(),
            Err(_) => c.find(Locator::Css("main")).await.unwrap().text().await.unwrap(),
        };
        panic!("/portaal/{action} {fields:?} was not confirmed ({url}): {error}");
    }
}

/// Submit and expect the form back with the portal's error message containing `needle`.
async fn refused(c: &Client, action: &str, fields: &[(&str, &str)], needle: &str) {
    submit(c, action, fields).await;
    let e = c.find(Locator::Id("form-error")).await.expect("an error message on the page");
    let text = e.text().await.unwrap();
    assert!(text.contains(needle), "/portaal/{action}: '{text}' lacks '{needle}'");
}

async fn sign_in(c: &Client, origin: &str, user: &str) {
    c.delete_all_cookies().await.unwrap();
    c.goto(&format!("{origin}/login")).await.unwrap();
    c.find(Locator::Id("username")).await.unwrap().send_keys(user).await.unwrap();
    c.find(Locator::Id("password")).await.unwrap().send_keys(PW).await.unwrap();
    c.execute("window.__spreidingSubmitted = true;", vec![]).await.unwrap();
    c.find(Locator::Id("login-submit")).await.unwrap().click().await.unwrap();
    next_page(c, "sign-in").await;
    let url = c.current_url().await.unwrap();
    assert_eq!(url.path(), "/portaal", "{user} signed in");
}

async fn clock(store: &Store, state: &AppState, d: &str) {
    let admin = store.authenticate_password("beheer", PW).await.unwrap();
    store.set_clock(&admin, d.parse().unwrap()).await.unwrap();
    state.refresh().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_cycle_by_the_five_roles_in_a_real_browser() {
    let Some(browser) = support::start().await else { return };
    let c = &browser.client;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("cycle.db").display());
    let store = Store::initialise(&url, DbKind::Sandbox).await.unwrap();
    store.bootstrap_account("beheer", PW, Role::Admin).await.unwrap();
    let state = AppState::new(&url, false, None).await.unwrap();
    clock(&store, &state, "2026-01-20").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let app = router(state.clone());
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });

    // The administrator adds the accounts.
    sign_in(c, &origin, "beheer").await;
    for (name, role, region) in [
        ("minister", "ministry", ""),
        ("cdk-groningen", "province", "PV20"),
        ("groningen", "municipality", "GM0014"),
        ("stadskanaal", "municipality", "GM0037"),
        ("coa", "coa", ""),
    ] {
        ok(c, "account", &[("username", name), ("role", role), ("region", region), ("password", PW)]).await;
    }
    assert_clean(c, &origin, "the administrator's screen").await;

    // COA registers a durable location in Groningen and assesses the registry.
    sign_in(c, &origin, "coa").await;
    ok(
        c,
        "locatie",
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
    ok(c, "kwaliteit", &[("assessor", "COA kwaliteit")]).await;
    assert_clean(c, &origin, "COA's screen").await;

    // The minister publishes cycle 2026: the preview, then the confirmation.
    sign_in(c, &origin, "minister").await;
    let publish = [
        ("year", "2026"),
        ("total", "88000"),
        ("amv", "7480"),
        ("ses_woa", ""),
        ("deviation", "SES-WOA per municipality is not in the record yet"),
    ];
    submit(c, "publiceer", &publish).await;
    c.find(Locator::Id("publish-confirm")).await.expect("the preview with its confirmation");
    assert_clean(c, &origin, "the publication preview").await;
    submit(c, "publiceer", &[("confirm", "1")]).await;
    c.find(Locator::Id("flash")).await.expect("published");
    assert_clean(c, &origin, "the minister's screen").await;
    state.refresh().await.unwrap();
    let groningen_task = state.snapshot().municipality("GM0014".parse().unwrap()).unwrap().task;

    // Municipalities offer, amend and withdraw; a bad number comes back with the message.
    clock(&store, &state, "2026-03-01").await;
    sign_in(c, &origin, "groningen").await;
    for (location, kind, places, years, from) in [
        ("Zernike", "regular_durable", "300", "10", "2026-09-01"),
        ("Kleinschalig", "amv_small_scale", "40", "10", "2026-09-01"),
        ("Hal", "noodopvang", "200", "1", "2026-04-01"),
    ] {
        ok(
            c,
            "aanbod",
            &[
                ("gm_code", "GM0014"),
                ("location", location),
                ("kind", kind),
                ("places", places),
                ("years", years),
                ("available_from", from),
            ],
        )
        .await;
    }
    ok(c, "aanbod-wijzig", &[("gm_code", "GM0014"), ("offer_no", "1"), ("places", "350")]).await;
    ok(c, "aanbod-intrekken", &[("gm_code", "GM0014"), ("offer_no", "3")]).await;
    assert_clean(c, &origin, "Groningen's screen with offers").await;
    sign_in(c, &origin, "stadskanaal").await;
    ok(
        c,
        "aanbod",
        &[("gm_code", "GM0037"), ("location", "Pand"), ("kind", "regular_durable"), ("places", "20"), ("years", "6")],
    )
    .await;

    // The King's Commissioner of Groningen: a swap, the report, an amendment with a reason.
    clock(&store, &state, "2026-09-15").await;
    sign_in(c, &origin, "cdk-groningen").await;
    ok(
        c,
        "ruil",
        &[
            ("from", "GM0037"),
            ("to", "GM0014"),
            ("places", "10"),
            ("amv_places", "0"),
            ("note", "Groningen neemt over"),
        ],
    )
    .await;
    ok(c, "rapportage", &[("commitments", ""), ("note", "")]).await;
    assert_clean(c, &origin, "the provincial table's screen").await;
    sign_in(c, &origin, "groningen").await;
    refused(
        c,
        "aanbod",
        &[("gm_code", "GM0014"), ("location", "Laat"), ("kind", "regular_durable"), ("places", "5"), ("years", "10")],
        "submitted its report",
    )
    .await;
    clock(&store, &state, "2026-11-10").await;
    sign_in(c, &origin, "cdk-groningen").await;
    ok(c, "rapportage-wijzig", &[("commitments", "GM0037,25"), ("reason", "Stadskanaal vond 5 plaatsen extra")]).await;

    // The minister previews the decision and takes it.
    clock(&store, &state, "2026-12-20").await;
    sign_in(c, &origin, "minister").await;
    submit(c, "besluit-voorbeeld", &[("designation", "proportional-gap"), ("over_delivery", "binding")]).await;
    c.find(Locator::Id("preview-table")).await.expect("the decision preview");
    assert_clean(c, &origin, "the decision preview").await;
    ok(c, "besluit", &[("designation", "proportional-gap"), ("over_delivery", "binding"), ("reason", "")]).await;
    state.refresh().await.unwrap();
    let binding = state.snapshot().municipality("GM0014".parse().unwrap()).unwrap().decided.unwrap();
    assert!(binding >= groningen_task);

    // Groningen reads its beschikking and objects; the minister upholds and revises.
    clock(&store, &state, "2027-01-05").await;
    sign_in(c, &origin, "groningen").await;
    c.goto(&format!("{origin}/portaal/beschikking")).await.unwrap();
    let text = c.find(Locator::Id("beschikking")).await.unwrap().text().await.unwrap();
    assert!(text.contains("6:7"), "the beschikking names the objection period: {text}");
    assert_clean(c, &origin, "the beschikking").await;
    c.goto(&format!("{origin}/portaal")).await.unwrap();
    let asked = (binding - 10).to_string();
    ok(
        c,
        "bezwaar",
        &[
            ("gm_code", "GM0014"),
            ("grounds", "the swap with Stadskanaal was counted twice"),
            ("requested_task", &asked),
        ],
    )
    .await;
    clock(&store, &state, "2027-01-20").await;
    sign_in(c, &origin, "minister").await;
    ok(
        c,
        "bezwaar-besluit",
        &[
            ("objection_no", "1"),
            ("outcome", "upheld"),
            ("granted_task", &asked),
            ("reason", "the swap was indeed counted twice"),
        ],
    )
    .await;
    ok(c, "herzien", &[("reason", "objection 1 of Groningen upheld")]).await;
    // The minister verifies the record from the portal (the link, then the page).
    c.find(Locator::Id("verify-link")).await.expect("the verify link").click().await.unwrap();
    let result = c.find(Locator::Id("verify-result")).await.unwrap().text().await.unwrap();
    assert!(result.contains("intact"), "the record verifies in the browser: {result}");
    assert_clean(c, &origin, "the record verification").await;
    c.goto(&format!("{origin}/portaal")).await.unwrap();
    state.refresh().await.unwrap();
    assert!(state.snapshot().municipality("GM0014".parse().unwrap()).unwrap().decided.unwrap() <= binding - 10);

    // Realisation and the payment application; the public page explains the binding task.
    clock(&store, &state, "2027-03-01").await;
    sign_in(c, &origin, "groningen").await;
    ok(c, "realisatie", &[("gm_code", "GM0014"), ("places", "300"), ("amv_places", "30")]).await;
    ok(c, "uitkering", &[("gm_code", "GM0014"), ("places", "300"), ("note", "Zernike")]).await;
    assert_clean(c, &origin, "Groningen's screen after the decision").await;
    c.goto(&format!("{origin}/gemeente/GM0014")).await.unwrap();
    c.find(Locator::Id("binding-explanation")).await.expect("the binding task explained on the public page");
    shot(c, "cycle_public_groningen.png").await;
    assert_clean(c, &origin, "Groningen's public page after the cycle").await;

    // The minister closes the cycle after the realisation period.
    clock(&store, &state, "2027-08-01").await;
    sign_in(c, &origin, "minister").await;
    ok(c, "sluiten", &[("reason", "")]).await;
    state.refresh().await.unwrap();
    assert_eq!(state.snapshot().cycles.iter().find(|c| c.id == "2026").unwrap().phase, "closed");

    // Every act is in the audit trail under the account that did it, and the chain verifies.
    let log = store.audit_log(None).await.unwrap();
    for (action, actor) in [
        ("account.add", "beheer"),
        ("location.register", "coa"),
        ("quality.assess", "coa"),
        ("cycle.publish", "minister"),
        ("offer.amend", "groningen"),
        ("offer.withdraw", "groningen"),
        ("swap.record", "cdk-groningen"),
        ("report.amend", "cdk-groningen"),
        ("decision.take", "minister"),
        ("objection.file", "groningen"),
        ("objection.decide", "minister"),
        ("decision.revise", "minister"),
        ("realisation.record", "groningen"),
        ("payment.apply", "groningen"),
        ("cycle.close", "minister"),
    ] {
        assert!(
            log.iter().any(|r| r.action == action && r.actor == actor),
            "{action} by {actor} missing from the audit trail"
        );
    }
    store.verify_audit().await.unwrap();
    c.clone().close().await.unwrap();
}
