//! Application state, the router and `serve`.
//!
//! The state holds the store and an immutable [`Snapshot`] of the current cycle as the
//! record holds it. A background task polls the audit head: any write — by this process,
//! another server process or the command line — shows within a second. Snapshots carry the
//! audit sequence they were built at and are swapped in that order, never an older one last.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use axum_login::AuthManagerLayerBuilder;
use chrono::NaiveDate;
use spreiding_core::actor::Role;
use spreiding_core::cycle::{CycleId, Origin};
use spreiding_core::decision::DecisionRule;
use spreiding_core::offer::{MAX_OFFER_PLACES, Offer as CoreOffer, OfferKind};
use spreiding_store::{Act, DbKind, IndicativeTask, NewCycle, Principal, PublicFacts, Store};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::auth::Backend;
use crate::error::{Result, WebError};
use crate::model::{Cycle, Offer, Realisation, Records, Snapshot, tasks_of};
use crate::sessions::DbSessions;

/// Content-Security-Policy of every response: nothing from another host, ever.
pub const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                       script-src 'self'; connect-src 'self'; font-src 'self' data:; object-src 'none'; \
                       frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

pub struct Inner {
    pub store: Store,
    pub snapshot: RwLock<Arc<Snapshot>>,
    /// Fixed date for tests; otherwise the store's today (Europe/Amsterdam, or the sandbox clock).
    pub today: Option<NaiveDate>,
    /// Mark session cookies `Secure` (behind TLS or a proxy that terminates it).
    pub secure_cookies: bool,
    /// One snapshot build at a time: concurrent writers wait and reuse a build that started
    /// after their write (see [`AppState::refresh`]).
    pub refresh_lock: tokio::sync::Mutex<()>,
    /// The latest signed checkpoint, for the dashboard.
    pub checkpoint: RwLock<Option<Arc<crate::model::CheckpointView>>>,
}

#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

/// The public facts a fresh legal database is seeded with: imports with their source, never
/// acts of a role (docs/DOMAIN-BRIEF.md §2).
pub fn public_facts() -> Vec<PublicFacts> {
    vec![
        PublicFacts {
            year: 2024,
            national_total: 96_000,
            amv_total: Some(8_140),
            durable_existing: None,
            published_on: date(2024, 1, 31),
            decided_on: Some(date(2024, 12, 23)),
            source: "Stcrt. 2024, 3320 (capaciteitsraming en indicatieve verdeling, 31 januari 2024); verdeelbesluit \
                     van 23 december 2024"
                .into(),
            notes: "Cycle 1: about 88,000 places found by November 2024; 7 of 12 provinces fell short; the decision made \
                    over-delivery binding; about three quarters realised by July 2025 (docs/DOMAIN-BRIEF.md §2, docs/SIMULATION-SOURCES.md \
                    §4.4). The binding task per municipality is not in spreiding's sources."
                .into(),
        },
        PublicFacts {
            year: 2026,
            national_total: 88_000,
            amv_total: None,
            durable_existing: Some(50_000),
            published_on: date(2026, 2, 1),
            decided_on: None,
            source: "Kamerbrief 2026D05614 (capaciteitsraming cyclus 2, februari 2026)".into(),
            notes: "Cycle 2: forecast 88,000 places, of which about 50,000 already durable and about 38,000 to realise; \
                    only long-term places count. The AMV sub-task of cycle 2 is not in spreiding's sources. The day of \
                    publication is not in the sources: 1 February 2026 is recorded."
                .into(),
        },
    ]
}

impl AppState {
    /// Open the database (creating and migrating it when new). A fresh legal record is
    /// seeded with the public facts of cycles 1 and 2, imported with their source; `demo`
    /// opens a demo database and fills it with clearly labelled synthetic data.
    pub async fn new(database_url: &str, demo: bool, today: Option<NaiveDate>) -> Result<AppState> {
        Self::with_options(database_url, demo, today, false).await
    }

    pub async fn with_options(
        database_url: &str,
        demo: bool,
        today: Option<NaiveDate>,
        secure_cookies: bool,
    ) -> Result<AppState> {
        let store = if demo {
            Store::initialise(database_url, DbKind::Demo).await?
        } else {
            Store::connect(database_url).await?
        };
        if store.kind() == DbKind::Legal && store.audit_head().await?.seq == 0 {
            for f in public_facts() {
                store.import_public_facts(&f).await?;
            }
        }
        let snapshot = load_snapshot(&store, None).await?;
        let checkpoint = crate::model::CheckpointView::latest(&store).await?.map(Arc::new);
        let state = AppState(Arc::new(Inner {
            store,
            snapshot: RwLock::new(Arc::new(snapshot)),
            today,
            secure_cookies,
            refresh_lock: tokio::sync::Mutex::new(()),
            checkpoint: RwLock::new(checkpoint),
        }));
        if demo {
            state.seed_demo().await?;
        }
        Ok(state)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.read().expect("snapshot lock").clone()
    }

    pub fn checkpoint(&self) -> Option<Arc<crate::model::CheckpointView>> {
        self.checkpoint.read().expect("checkpoint lock").clone()
    }

    /// Re-read the latest checkpoint (one one-row query).
    pub async fn refresh_checkpoint(&self) -> Result<()> {
        let now = crate::model::CheckpointView::latest(&self.store).await?;
        if self.checkpoint().as_deref() != now.as_ref() {
            let mut cur = self.checkpoint.write().expect("checkpoint lock");
            *cur = now.map(Arc::new);
        }
        Ok(())
    }

    /// The current cycle's id in the snapshot, if the record has a cycle.
    pub fn cycle_id(&self) -> Result<CycleId> {
        let s = self.snapshot();
        s.cycle.id.parse().map_err(|_| WebError::Conflict("there is no cycle in the record yet".into()))
    }

    pub async fn today(&self) -> NaiveDate {
        match self.today {
            Some(d) => d,
            None => self.store.today().await.unwrap_or_else(|_| spreiding_store::today_in_amsterdam()),
        }
    }

    /// The act of a signed-in account today, for the store's checks and audit records.
    pub async fn act(&self, who: &Principal, reason: Option<String>) -> Result<Act> {
        let on = self.today.filter(|_| self.store.kind().sandbox());
        Ok(self.store.act(who, on, reason).await?)
    }

    /// Make the snapshot show at least everything committed so far. Builds are single-flight:
    /// a writer that finds a snapshot begun after its commit (its audit sequence is at or past
    /// the head the writer saw) uses it, so a burst of writes costs a few builds, not one each.
    pub async fn refresh(&self) -> Result<()> {
        let target = self.store.audit_head().await?.seq;
        let _one_build = self.refresh_lock.lock().await;
        if self.snapshot().audit_seq >= target {
            return Ok(());
        }
        let snap = load_snapshot(&self.store, None).await?;
        {
            let mut cur = self.snapshot.write().expect("snapshot lock");
            if snap.audit_seq >= cur.audit_seq {
                *cur = Arc::new(snap);
            }
        }
        self.refresh_checkpoint().await
    }

    /// Refresh when the audit head moved (a write anywhere).
    pub async fn refresh_if_changed(&self) -> Result<bool> {
        let head = self.store.audit_head().await?;
        if head.seq != self.snapshot().audit_seq {
            self.refresh().await?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Synthetic demonstration data in the demo database only, every record flagged
    /// synthetic: a cycle 2026 published by the synthetic ministry (population key, with the
    /// deviation recorded), offers in June 2026, the CdK reports and, when the sandbox clock
    /// is past November, a decision and realisation. Added once.
    pub async fn seed_demo(&self) -> Result<()> {
        let store = self.store();
        if store.audit_head().await?.seq > 0 {
            return Ok(());
        }
        let nl = store.netherlands().clone();
        let (vnl, vintage) =
            spreiding_core::reference::bundled_netherlands_on(spreiding_core::reference::vintage_for_cycle(2026))?;
        let def = spreiding_core::bundled::key(spreiding_core::bundled::POPULATION_KEY).expect("shipped")?;
        let key =
            spreiding_core::key::run_key(&def, &vnl.set, &spreiding_core::key::Indicators::default(), 88_000, None)?;
        let d = spreiding_core::distribution::distribute(&vnl, key, Some(7_480), &[], None)?;
        let id: CycleId = "2026".parse().expect("id");
        let minister = store.synthetic_act(Role::Ministry, date(2026, 1, 30))?;
        store
            .create_cycle(
                &minister,
                NewCycle {
                    id: id.clone(),
                    year: 2026,
                    national_total: 88_000,
                    amv_total: Some(7_480),
                    definition: format!("{}@{}", d.definition.id, d.definition.version),
                    key_status: d.definition.status.clone(),
                    key_toml: spreiding_core::bundled::KEYS[1].2.to_string(),
                    method: d.key.apportionment.method,
                    deviation: Some("SYNTHETIC demonstration: SES-WOA not loaded".into()),
                    population_date: Some(vintage.reference_date),
                    municipality_set: nl.set.source.clone(),
                    inputs: vec![],
                    note: Some("SYNTHETIC demonstration data".into()),
                    tasks: IndicativeTask::from_distribution(&d),
                    forecast_run_id: None,
                },
            )
            .await?;
        for m in &d.municipalities {
            let h = fnv(m.gm_code.as_str());
            if h % 7 == 0 || m.task == 0 {
                continue;
            }
            let places = (m.task * (30 + (h >> 8) % 101) / 100).clamp(1, MAX_OFFER_PLACES);
            let kind = if (h >> 16) % 3 == 0 { OfferKind::Noodopvang } else { OfferKind::RegularDurable };
            let offer = CoreOffer {
                gm_code: m.gm_code,
                location: format!("Synthetische locatie {}", m.gm_naam),
                kind,
                places,
                amv_places: 0,
                years: if kind == OfferKind::Noodopvang { 1 } else { 10 },
                available_from: date(2026, 9, 1),
            };
            store
                .submit_offers(&store.synthetic_act(Role::Municipality(m.gm_code), date(2026, 6, 1))?, &id, &[offer])
                .await?;
        }
        for p in &nl.provinces {
            store
                .submit_report(
                    &store.synthetic_act(Role::Province(p.code), date(2026, 10, 20))?,
                    &id,
                    p.code,
                    &[],
                    "SYNTHETIC",
                )
                .await?;
        }
        let decided_on = date(2026, 11, 16);
        let steps = [date(2026, 11, 18), date(2026, 11, 23), date(2026, 11, 26)];
        let today = self.today().await;
        if today > steps[0] {
            let decision =
                store.decide(&store.synthetic_act(Role::Ministry, decided_on)?, &id, DecisionRule::default()).await?;
            for b in &decision.municipalities {
                let h = fnv(b.gm_code.as_str());
                let final_pct = (h >> 24) % 61;
                for (i, on) in steps.iter().enumerate().filter(|(_, d)| **d <= today) {
                    let realised = b.binding_task * final_pct * (i as u64 + 1) / (100 * steps.len() as u64);
                    let amv = (b.binding_amv() * final_pct * (i as u64 + 1) / (100 * steps.len() as u64)).min(realised);
                    store
                        .record_realisation(
                            &store.synthetic_act(Role::Municipality(b.gm_code), *on)?,
                            &id,
                            b.gm_code,
                            realised,
                            amv,
                        )
                        .await?;
                }
            }
        }
        self.refresh().await
    }
}

/// Build the public picture of a cycle (the current one when `which` is None) from the store.
pub async fn load_snapshot(store: &Store, which: Option<&CycleId>) -> Result<Snapshot> {
    let head = store.audit_head().await?;
    let all = store.cycles().await?;
    let current = match which {
        Some(id) => Some(store.cycle(id).await?),
        None => store.current_cycle().await?,
    };
    let provinces = store.netherlands().provinces.len();
    let runs: Vec<crate::model::ForecastRunView> =
        store.forecast_runs().await?.iter().map(|r| forecast_run_view(store, &all, r)).collect();
    let mut views = Vec::new();
    for c in &all {
        let reports = if c.origin == Origin::Ministry { store.reports(&c.id).await?.len() } else { 0 };
        views.push(with_run(&runs, Cycle::from_store(c, reports, provinces), c.forecast_run_id));
    }
    let Some(c) = current else {
        // An empty database (a new sandbox): nothing to show but the empty record.
        let empty = spreiding_store::Cycle {
            id: "none".parse().expect("id"),
            year: 2026,
            phase: spreiding_core::cycle::Phase::Tables,
            origin: Origin::Import,
            source: Some("no cycle in this database yet".into()),
            synthetic: false,
            national_total: 0,
            amv_total: None,
            definition: "none".into(),
            key_status: None,
            method: spreiding_core::Method::Hamilton,
            key_toml: None,
            deviation: None,
            population_date: None,
            municipality_set: None,
            inputs: vec![],
            tasks_total: None,
            tasks_origin: None,
            facts: None,
            revision: 0,
            published_on: date(2026, 2, 1),
            published_by: None,
            revised_on: None,
            decided_on: None,
            closed_on: None,
            note: None,
            recorded_at: None,
            forecast_run_id: None,
        };
        let d = tasks_of(&empty, &[])?;
        let view = Cycle::from_store(&empty, 0, provinces);
        let kind = store.kind();
        let records = Records { forecast_runs: runs, ..Records::default() };
        return Snapshot::build(head.seq, views, view, d, records, kind.sandbox(), kind == DbKind::Demo);
    };
    let published = if c.origin == Origin::Ministry { store.indicative_tasks(&c.id).await? } else { vec![] };
    let distribution = tasks_of(&c, &published)?;
    let mut records = Records { forecast_runs: runs.clone(), ..Records::default() };
    if c.origin == Origin::Ministry {
        let deadline = match c.decided_on {
            Some(d) => spreiding_core::cycle::Calendar::realisation_deadline(d),
            None => c.calendar().expected_realisation_deadline(),
        };
        records.offers = store.offers(&c.id, None).await?.iter().map(|o| Offer::from_record(o, deadline)).collect();
        records.realisations = store.realisations(&c.id).await?.into_iter().map(Realisation::from).collect();
        if let Some(d) = store.decision(&c.id).await? {
            records.decided = d.municipalities.iter().map(|b| (b.gm_code, (b.binding_task, b.binding_amv()))).collect();
            records.binding_explanations =
                d.municipalities.iter().map(|b| (b.gm_code, b.explanation.clone())).collect();
            records.decision_summary = Some(d.summary.clone());
        }
    }
    let reports = if c.origin == Origin::Ministry { store.reports(&c.id).await?.len() } else { 0 };
    let view = with_run(&runs, Cycle::from_store(&c, reports, provinces), c.forecast_run_id);
    let kind = store.kind();
    Snapshot::build(head.seq, views, view, distribution, records, kind.sandbox(), kind == DbKind::Demo)
}

/// A cycle's view with the forecast run its total was taken from, when there is one.
fn with_run(runs: &[crate::model::ForecastRunView], view: Cycle, run: Option<i64>) -> Cycle {
    match run.and_then(|id| runs.iter().find(|r| r.id == id)) {
        Some(r) => view.with_forecast_run(r.clone()),
        None => view,
    }
}

/// The public view of a recorded forecast run, with the cycles published from it.
pub fn forecast_run_view(
    store: &Store,
    all: &[spreiding_store::Cycle],
    r: &spreiding_store::ForecastRun,
) -> crate::model::ForecastRunView {
    let cycles = all.iter().filter(|c| c.forecast_run_id == Some(r.id)).map(|c| c.id.to_string()).collect();
    crate::model::ForecastRunView::from_store(r, store.netherlands(), cycles)
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3))
}

/// The whole application: pages, API, static files, sessions and security headers.
pub fn router(state: AppState) -> Router {
    let sessions = DbSessions { store: state.store.clone() };
    let session_layer = SessionManagerLayer::new(sessions)
        .with_secure(state.secure_cookies)
        .with_same_site(SameSite::Lax)
        .with_name("spreiding_session")
        .with_expiry(Expiry::OnInactivity(tower_sessions::cookie::time::Duration::hours(8)));
    let auth_layer = AuthManagerLayerBuilder::new(Backend { store: state.store.clone() }, session_layer).build();
    let (api, openapi) = crate::api::routes().split_for_parts();
    let openapi_json = Arc::new(openapi.clone());
    Router::new()
        .route("/", get(crate::pages::index))
        .route("/cyclus/{id}", get(crate::pages::cycle_page))
        .route("/gemeenten", get(crate::pages::municipalities))
        .route("/provincies", get(crate::pages::provinces))
        .route("/provincie/{pv}", get(crate::pages::province))
        .route("/gemeente/{gm}", get(crate::pages::municipality))
        .route("/ramingen", get(crate::pages::forecast_runs))
        .route("/ramingen/terugtoets", get(crate::forecast_check::backtest_page))
        .route("/ramingen/verklaring", get(crate::forecast_check::explanation_page))
        .route("/wat-de-wet-oplevert", get(crate::analysis::outcome))
        .route("/wat-de-wet-oplevert/rapport/{id}", get(crate::analysis::full_report))
        .route("/login", get(crate::pages::login_form).post(crate::pages::login))
        .route("/logout", post(crate::pages::logout))
        .route("/portaal", get(crate::portal::portal))
        .route("/portaal/besluit-voorbeeld", get(crate::portal::decision_preview))
        .route("/portaal/beschikking", get(crate::portal::beschikking))
        .route("/portaal/register-controle", get(crate::portal::verify_record))
        .route("/portaal/{action}", post(crate::portal::act))
        .route("/static/{*path}", get(crate::assets::serve_static))
        .route("/api/openapi.json", get(move || async move { axum::Json((*openapi_json).clone()) }))
        .merge(utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/openapi-docs.json", openapi))
        .merge(api)
        .fallback(crate::pages::not_found)
        .layer(auth_layer)
        .layer(RequestBodyLimitLayer::new(64 * 1024))
        // A request that takes longer than this is answered 408 (slow clients cannot hold a worker).
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .with_state(state)
}

/// Options of `spreiding serve`.
pub struct ServeOptions {
    pub addr: SocketAddr,
    pub database_url: String,
    pub demo: bool,
    pub secure_cookies: bool,
    /// Sign checkpoints of the audit chain with this key (kept outside the database):
    /// after every decision and at least hourly while there are new records.
    pub checkpoint_key: Option<spreiding_store::audit::SigningKey>,
}

/// How often the server looks whether a checkpoint is due, and the longest it lets new
/// records go unsigned (so every day with writes gets one).
const CHECKPOINT_POLL: Duration = Duration::from_secs(30);
const CHECKPOINT_MAX_AGE: chrono::Duration = chrono::Duration::hours(1);

/// Run the server until interrupted: the router, a poll of the audit head (live updates
/// from any writer) and a periodic clean-up of expired sessions.
pub async fn serve(opts: ServeOptions) -> Result<()> {
    let state = AppState::with_options(&opts.database_url, opts.demo, None, opts.secure_cookies).await?;
    let poller = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        let mut sweep = 0u32;
        loop {
            tick.tick().await;
            if let Err(e) = poller.refresh_if_changed().await {
                tracing::warn!("refreshing the snapshot failed: {e}");
            }
            if let Err(e) = poller.refresh_checkpoint().await {
                tracing::warn!("reading the checkpoints failed: {e}");
            }
            sweep += 1;
            if sweep % 600 == 0 {
                let _ = poller.store().delete_expired_sessions().await;
            }
        }
    });
    if let Some(key) = opts.checkpoint_key {
        let store = state.store().clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(CHECKPOINT_POLL);
            loop {
                tick.tick().await;
                match store.checkpoint_due(CHECKPOINT_MAX_AGE).await {
                    Ok(Some(reason)) => match store.checkpoint(&key, reason).await {
                        Ok(cp) => tracing::info!("signed checkpoint {} ({reason})", cp.seq),
                        Err(e) => tracing::warn!("signing a checkpoint failed: {e}"),
                    },
                    Ok(None) => {}
                    Err(e) => tracing::warn!("checking for a due checkpoint failed: {e}"),
                }
            }
        });
    }
    let kind = state.store().kind();
    let app = router(state);
    let listener = tokio::net::TcpListener::bind(opts.addr)
        .await
        .map_err(|e| WebError::Internal(format!("cannot listen on {}: {e}", opts.addr)))?;
    let addr = listener.local_addr().map_err(|e| WebError::Internal(e.to_string()))?;
    println!(
        "spreiding serves the dashboard on http://{addr}/ (database {}, {})",
        spreiding_store::redact(&opts.database_url),
        match kind {
            DbKind::Legal => "the legal record",
            DbKind::Sandbox => "SANDBOX: not the legal record",
            DbKind::Demo => "DEMO: synthetic data",
        }
    );
    accept_loop(listener, app).await
}

/// How long a client may take to send a request's headers (slow-loris protection).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Serve connections with hyper directly, so that the header read timeout applies; each
/// request carries the client address (for the sign-in lockout).
async fn accept_loop(listener: tokio::net::TcpListener, app: Router) -> Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto::Builder;
    use tower::ServiceExt;
    let shutdown = tokio::signal::ctrl_c();
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!("accept: {e}");
                    continue;
                }
            },
            _ = &mut shutdown => return Ok(()),
        };
        let svc = app.clone().map_request(move |mut req: axum::http::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(axum::extract::ConnectInfo(remote));
            req
        });
        let svc = hyper_util::service::TowerToHyperService::new(svc);
        tokio::spawn(async move {
            let mut b = Builder::new(TokioExecutor::new());
            b.http1().timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT);
            if let Err(e) = b.serve_connection_with_upgrades(TokioIo::new(stream), svc).await {
                tracing::debug!("connection from {remote}: {e}");
            }
        });
    }
}
