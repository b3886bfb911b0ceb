//! Application state, the router and `serve`.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use axum_login::AuthManagerLayerBuilder;
use chrono::{NaiveDate, Utc};
use spreiding_core::actor::{Actor, Role};
use spreiding_core::{Netherlands, bundled};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, MemoryStore, SessionManagerLayer};

use crate::auth::{Backend, LoginLimiter};
use spreiding_core::cycle::{CycleId, MAX_OFFER_PLACES, Offer as CoreOffer, OfferKind};
use spreiding_core::decision::DecisionRule;
use spreiding_store::{Act, IndicativeTask, NewCycle, Store, StoreError};

use crate::db::Db;
use crate::error::Result;
use crate::model::{Cycle, DEMO_ACTOR, Distribution, Offer, Realisation, Records, Snapshot, indicative_tasks};

/// Content-Security-Policy of every response: nothing from another host, ever.
pub const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                       script-src 'self'; connect-src 'self'; font-src 'self' data:; object-src 'none'; \
                       frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

pub struct Inner {
    pub db: Db,
    pub nl: Netherlands,
    /// The public view of the current cycle (cycle 2, forecast year 2026).
    pub cycle: Cycle,
    /// The store's id of that cycle.
    pub cycle_id: CycleId,
    pub distribution: Distribution,
    pub snapshot: RwLock<Arc<Snapshot>>,
    pub limiter: LoginLimiter,
    /// Fixed date for tests; otherwise today's date (UTC).
    pub today: Option<NaiveDate>,
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

impl AppState {
    /// Open the database (creating and migrating it when new), publish the current cycle's
    /// forecast and indicative tasks when the database has none, and build the first snapshot.
    pub async fn new(database_url: &str, demo: bool, today: Option<NaiveDate>) -> Result<AppState> {
        let db = Db::open(database_url).await?;
        let nl = bundled::netherlands()?;
        let cycle = Cycle::second();
        let cycle_id: CycleId = "2026".parse()?;
        let distribution = indicative_tasks(&nl, &cycle)?;
        ensure_cycle(&db.store, &cycle_id, &cycle, &distribution).await?;
        let records = load_records(&db.store, &cycle_id).await?;
        let snapshot = Snapshot::build(cycle.clone(), distribution.clone(), records)?;
        let state = AppState(Arc::new(Inner {
            db,
            nl,
            cycle,
            cycle_id,
            distribution,
            snapshot: RwLock::new(Arc::new(snapshot)),
            limiter: LoginLimiter::default(),
            today,
        }));
        if demo {
            state.seed_demo().await?;
        }
        Ok(state)
    }

    pub fn store(&self) -> &Store {
        &self.db.store
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.read().expect("snapshot lock").clone()
    }

    pub fn today(&self) -> NaiveDate {
        self.today.unwrap_or_else(|| Utc::now().date_naive())
    }

    pub fn now(&self) -> String {
        Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
    }

    /// The act of `actor` today, for the store's checks and audit records.
    pub fn act(&self, actor: &Actor) -> Act {
        Act::new(actor.clone(), self.today())
    }

    /// Re-read the records and swap in a new snapshot (after every change).
    pub async fn refresh(&self) -> Result<()> {
        let records = load_records(self.store(), &self.cycle_id).await?;
        let snap = Snapshot::build(self.cycle.clone(), self.distribution.clone(), records)?;
        *self.snapshot.write().expect("snapshot lock") = Arc::new(snap);
        Ok(())
    }

    /// Synthetic demonstration data, deterministic per municipality code and submitted as
    /// `synthetic-demo` through the store's ordinary checks and audit trail: offers in the
    /// provincial-table phase (June 2026); when today is past the CdK deadline also a
    /// synthetic decision (16 Nov 2026) and realisation after it. Labelled synthetic in the
    /// API and on every page. Added once.
    pub async fn seed_demo(&self) -> Result<()> {
        if self.snapshot().provenance.synthetic_data {
            return Ok(());
        }
        let store = self.store();
        for m in &self.distribution.municipalities {
            let h = fnv(m.gm_code.as_str());
            // Offered between 30 % and 130 % of the task; one in seven offers nothing.
            if h % 7 == 0 || m.task == 0 {
                continue;
            }
            let places = (m.task * (30 + (h >> 8) % 101) / 100).clamp(1, MAX_OFFER_PLACES);
            let actor = Actor { name: DEMO_ACTOR.into(), role: Role::Municipality(m.gm_code) };
            let offer = CoreOffer {
                gm_code: m.gm_code,
                location: format!("Synthetische locatie {}", m.gm_naam),
                places,
                kind: OfferKind::Municipal,
                durable: (h >> 16) % 3 != 0,
                available_from: date(2026, 9, 1),
            };
            store.submit_offers(&Act::new(actor, date(2026, 6, 1)), &self.cycle_id, &[offer]).await?;
        }
        let decided_on = date(2026, 11, 16);
        let steps = [date(2026, 11, 18), date(2026, 11, 23), date(2026, 11, 26)];
        if self.today() > steps[0] && store.decision(&self.cycle_id).await?.is_none() {
            let minister = Actor { name: DEMO_ACTOR.into(), role: Role::Ministry };
            let decision =
                store.decide(&Act::new(minister, decided_on), &self.cycle_id, DecisionRule::default()).await?;
            for b in &decision.municipalities {
                let h = fnv(b.gm_code.as_str());
                let final_pct = (h >> 24) % 61;
                let actor = Actor { name: DEMO_ACTOR.into(), role: Role::Municipality(b.gm_code) };
                for (i, on) in steps.iter().enumerate().filter(|(_, d)| **d <= self.today()) {
                    let realised = b.binding_task * final_pct * (i as u64 + 1) / (100 * steps.len() as u64);
                    store
                        .record_realisation(&Act::new(actor.clone(), *on), &self.cycle_id, b.gm_code, realised)
                        .await?;
                }
            }
        }
        self.refresh().await
    }
}

/// Publish the cycle's forecast and indicative tasks in the store when it has none yet.
async fn ensure_cycle(store: &Store, id: &CycleId, cycle: &Cycle, d: &Distribution) -> Result<()> {
    match store.cycle(id).await {
        Ok(_) => return Ok(()),
        Err(StoreError::NotFound(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let seed = Actor { name: "spreiding-serve".into(), role: Role::Ministry };
    let act = Act::new(seed, date(2026, 2, 1)).because(
        "cycle 2 forecast of 88,000 places, published February 2026 (DOMAIN.md §2); recorded by spreiding serve at first start",
    );
    store
        .create_cycle(
            &act,
            NewCycle {
                id: id.clone(),
                year: 2026,
                national_total: cycle.forecast_total,
                amv_total: cycle.amv_total,
                definition: format!("{}@{}", d.definition.id, d.definition.version),
                method: d.key.apportionment.method,
                note: d.definition.note.clone(),
                tasks: IndicativeTask::from_distribution(d),
            },
        )
        .await?;
    Ok(())
}

/// Offers, realisation and binding tasks of a cycle, from the store.
async fn load_records(store: &Store, id: &CycleId) -> Result<Records> {
    let offers = store.offers(id, None).await?.into_iter().map(Offer::from).collect();
    let realisations = store.realisations(id).await?.into_iter().map(Realisation::from).collect();
    let decided = store
        .decision(id)
        .await?
        .map(|d| d.municipalities.iter().map(|b| (b.gm_code, b.binding_task)).collect())
        .unwrap_or_default();
    Ok(Records { offers, realisations, decided })
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3))
}

/// The whole application: pages, API, static files, sessions and security headers.
pub fn router(state: AppState) -> Router {
    let session_layer = SessionManagerLayer::new(MemoryStore::default())
        .with_secure(false)
        .with_same_site(SameSite::Lax)
        .with_name("spreiding_session")
        .with_expiry(Expiry::OnInactivity(tower_sessions::cookie::time::Duration::hours(8)));
    let auth_layer = AuthManagerLayerBuilder::new(Backend { db: state.db.clone() }, session_layer).build();
    let (api, openapi) = crate::api::routes().split_for_parts();
    let openapi_json = Arc::new(openapi.clone());
    Router::new()
        .route("/", get(crate::pages::index))
        .route("/gemeenten", get(crate::pages::municipalities))
        .route("/provincies", get(crate::pages::provinces))
        .route("/provincie/{pv}", get(crate::pages::province))
        .route("/gemeente/{gm}", get(crate::pages::municipality))
        .route("/login", get(crate::pages::login_form).post(crate::pages::login))
        .route("/logout", post(crate::pages::logout))
        .route("/portaal", get(crate::pages::portal))
        .route("/portaal/aanbod", post(crate::pages::submit_offer))
        .route("/portaal/realisatie", post(crate::pages::submit_realisation))
        .route("/static/{*path}", get(crate::assets::serve_static))
        .route("/api/openapi.json", get(move || async move { axum::Json((*openapi_json).clone()) }))
        .merge(utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/openapi-docs.json", openapi))
        .merge(api)
        .fallback(crate::pages::not_found)
        .layer(auth_layer)
        .layer(RequestBodyLimitLayer::new(64 * 1024))
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
}

/// Run the server until interrupted.
pub async fn serve(opts: ServeOptions) -> Result<()> {
    let state = AppState::new(&opts.database_url, opts.demo, None).await?;
    let app = router(state);
    let listener = tokio::net::TcpListener::bind(opts.addr)
        .await
        .map_err(|e| crate::WebError::Internal(format!("cannot listen on {}: {e}", opts.addr)))?;
    let addr = listener.local_addr().map_err(|e| crate::WebError::Internal(e.to_string()))?;
    println!("spreiding serves the dashboard on http://{addr}/ (database {})", opts.database_url);
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| crate::WebError::Internal(format!("server: {e}")))
}
