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
use crate::db::{Db, NewOffer};
use crate::error::Result;
use crate::model::{Cycle, Distribution, Realisation, Snapshot, indicative_tasks};

/// Content-Security-Policy of every response: nothing from another host, ever.
pub const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                       script-src 'self'; connect-src 'self'; font-src 'self' data:; object-src 'none'; \
                       frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

pub struct Inner {
    pub db: Db,
    pub nl: Netherlands,
    pub cycle: Cycle,
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

impl AppState {
    /// Open the database (creating and migrating it when new), compute the cycle's tasks
    /// and build the first snapshot.
    pub async fn new(database_url: &str, demo: bool, today: Option<NaiveDate>) -> Result<AppState> {
        let db = Db::open(database_url).await?;
        let nl = bundled::netherlands()?;
        let cycle = Cycle::second();
        let distribution = indicative_tasks(&nl, &cycle)?;
        let records = db.records(cycle.number).await?;
        let snapshot = Snapshot::build(cycle.clone(), distribution.clone(), records)?;
        let state = AppState(Arc::new(Inner {
            db,
            nl,
            cycle,
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

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.read().expect("snapshot lock").clone()
    }

    pub fn today(&self) -> NaiveDate {
        self.today.unwrap_or_else(|| Utc::now().date_naive())
    }

    pub fn now(&self) -> String {
        Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
    }

    /// Re-read the records and swap in a new snapshot (after every change).
    pub async fn refresh(&self) -> Result<()> {
        let records = self.db.records(self.cycle.number).await?;
        let snap = Snapshot::build(self.cycle.clone(), self.distribution.clone(), records)?;
        *self.snapshot.write().expect("snapshot lock") = Arc::new(snap);
        Ok(())
    }

    /// Synthetic demonstration offers and realisation, deterministic per municipality code,
    /// labelled synthetic in the database, the API and on every page. Added once.
    pub async fn seed_demo(&self) -> Result<()> {
        if self.snapshot().provenance.synthetic_data {
            return Ok(());
        }
        let actor = Actor { name: "synthetic-demo".into(), role: Role::Ministry };
        let now = self.now();
        let dates = [(2026, 4, 1), (2026, 7, 1), (2026, 10, 1)];
        for m in &self.distribution.municipalities {
            let h = fnv(m.gm_code.as_str());
            // Offered between 30 % and 130 % of the task; some offer nothing yet.
            if h % 7 == 0 || m.task == 0 {
                continue;
            }
            let pct = 30 + (h >> 8) % 101;
            let places = (m.task * pct / 100).max(1);
            let offer = NewOffer {
                gm_code: m.gm_code,
                places,
                durable: (h >> 16) % 3 != 0,
                location: format!("Synthetische locatie {}", m.gm_naam),
                note: "synthetic demo data".into(),
            };
            self.db.add_offer(&actor, self.cycle.number, &offer, &now, true).await?;
            let final_pct = (h >> 24) % 81;
            for (i, (y, mo, d)) in dates.iter().enumerate() {
                let realised = places * final_pct * (i as u64 + 1) / (100 * dates.len() as u64);
                let r = Realisation {
                    gm_code: m.gm_code,
                    date: NaiveDate::from_ymd_opt(*y, *mo, *d).expect("valid"),
                    places: realised,
                    synthetic: true,
                };
                self.db.record_realisation(&actor, self.cycle.number, &r, &now).await?;
            }
        }
        self.refresh().await
    }
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
