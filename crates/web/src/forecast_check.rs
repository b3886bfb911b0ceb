//! Two public pages that say how far the capacity forecast can be trusted, for planners who
//! work in a browser: the backtest 2019–2025 against every published stock
//! (`/ramingen/terugtoets`, the same table as `spreiding forecast backtest`) and the
//! decomposition of the official cycle-2 raming into named drivers (`/ramingen/verklaring`,
//! as `spreiding forecast explain`). Both are computed by the forecast engine from the
//! bundled scenarios with the documented seed and paths, so they are the very numbers
//! docs/FORECAST.md shows. They are deterministic, so each is computed once per process, off
//! the request path (the explanation runs 64 forecasts): the first visit starts the
//! computation and waits a few seconds; if it is not ready by then the page says so and asks
//! to reload.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use serde::Serialize;
use spreiding_forecast::explain::{self, DURABLE_NOTE};
use spreiding_forecast::{Backtest, CoreError, scenario};
use utoipa::ToSchema;

use crate::error::WebError;
use crate::i18n::Lang;
use crate::pages::{Chrome, Page};

/// Paths and seed of the backtest page: those of the table in docs/FORECAST.md.
pub const BACKTEST_RUNS: usize = 10_000;
/// Paths per run and seed of the explanation page: those of the table in docs/FORECAST.md.
pub const EXPLAIN_RUNS: usize = 2_000;
pub const SEED: u64 = 1;
const BACKTEST_SCENARIO: &str = "backtest-2019-2025";
const REFERENCE: &str = "base";
const TARGET: &str = "official-2026";
/// How long a visit waits for a computation it started (or found running) before answering
/// "being computed".
const WAIT: Duration = Duration::from_secs(8);

/// A computation done at most once per process, started by the first visit.
struct Once<T> {
    compute: fn() -> Result<T, CoreError>,
    /// Names the result in the English "being computed" answer of the API.
    what: &'static str,
    cell: OnceLock<Result<Arc<T>, String>>,
    started: AtomicBool,
}

impl<T: Serialize + Send + Sync + 'static> Once<T> {
    const fn new(compute: fn() -> Result<T, CoreError>, what: &'static str) -> Self {
        Once { compute, what, cell: OnceLock::new(), started: AtomicBool::new(false) }
    }

    /// The result, waiting up to [`WAIT`]; None while it is still being computed.
    async fn get(&'static self) -> Option<Result<Arc<T>, String>> {
        if !self.started.swap(true, Ordering::SeqCst) {
            tokio::task::spawn_blocking(move || {
                let _ = self.cell.set((self.compute)().map(Arc::new).map_err(|e| e.to_string()));
            });
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(r) = self.cell.get() {
                return Some(r.clone());
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The API's answer: the JSON, or 503 while it is being computed.
    async fn json(&'static self) -> Response {
        match self.get().await {
            None => computing(None, "", self.what),
            Some(Err(e)) => WebError::Internal(e).into_response(),
            Some(Ok(r)) => Json(&*r).into_response(),
        }
    }
}

static BACKTEST: Once<BacktestResult> = Once::new(compute_backtest, "The backtest 2019-2025");
static EXPLANATION: Once<ExplanationResult> = Once::new(compute_explanation, "The explanation of the official raming");

fn bundled(id: &str) -> Result<scenario::Scenario, CoreError> {
    scenario::bundled(id).expect("a bundled scenario")
}

/// The backtest as the API gives it: the scenario's identity, the run and one row per
/// published point (the rows are those of `spreiding forecast backtest --format json`).
#[derive(Serialize, ToSchema)]
pub struct BacktestResult {
    pub scenario: String,
    pub scenario_version: u32,
    pub title: String,
    pub start: String,
    pub runs: u64,
    pub seed: u64,
    /// Observations on or after this date are held out of the fit.
    pub holdout_from: Option<String>,
    /// Where every input and observation comes from.
    pub sources: String,
    /// The score over all points, the in-sample points and the held-out points.
    pub summary: Vec<BacktestScore>,
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<spreiding_forecast::Comparison>,
}

/// How many points of a group the model met (the goal: all inside P10–P90, P50 within ±10 %).
#[derive(Serialize, ToSchema)]
pub struct BacktestScore {
    /// `all`, `in_sample` or `held_out`.
    pub points: &'static str,
    pub count: usize,
    pub inside_p10_p90: usize,
    pub p50_within_10_percent: usize,
    /// Mean of |P50 − observed| ÷ observed.
    pub mean_absolute_relative_error: f64,
}

fn compute_backtest() -> Result<BacktestResult, CoreError> {
    let s = bundled(BACKTEST_SCENARIO)?;
    let b: Backtest = spreiding_forecast::backtest(&s, BACKTEST_RUNS, SEED)?;
    let score = |points, pick: &dyn Fn(&spreiding_forecast::Comparison) -> bool| {
        let (inside, close, count) = b.score(pick);
        BacktestScore {
            points,
            count,
            inside_p10_p90: inside,
            p50_within_10_percent: close,
            mean_absolute_relative_error: b.mape(pick),
        }
    };
    let summary =
        vec![score("all", &|_| true), score("in_sample", &|r| r.in_sample), score("held_out", &|r| !r.in_sample)];
    Ok(BacktestResult {
        summary,
        scenario: s.scenario.id.clone(),
        scenario_version: s.scenario.version,
        title: s.scenario.title.clone(),
        start: b.start.to_string(),
        runs: b.runs as u64,
        seed: b.seed,
        holdout_from: b.holdout_from.map(|d| d.to_string()),
        sources: format!("scenarios/{BACKTEST_SCENARIO}.toml; docs/FORECAST.md, Backtest; data/SOURCES.md"),
        rows: b.rows,
    })
}

/// One driver's share of the difference between the base scenario and official-2026.
#[derive(Serialize, ToSchema)]
pub struct DriverShare {
    pub driver: String,
    pub title: String,
    /// Shapley value: places on the target date.
    pub places: f64,
    /// Effect of switching this driver alone.
    pub alone: f64,
}

/// The decomposition as the API gives it (the JSON of `spreiding forecast explain`).
#[derive(Serialize, ToSchema)]
pub struct ExplanationResult {
    pub date: String,
    pub runs: u64,
    pub seed: u64,
    pub reference_scenario: String,
    pub reference_p50: u64,
    pub target_scenario: String,
    pub target_p50: u64,
    pub method: String,
    pub contributions: Vec<DriverShare>,
    pub already_durable_places_note: String,
    /// The published raming on the date, with its source.
    pub published: Option<f64>,
    pub published_source: Option<String>,
    /// Published − the model's official-2026.
    pub not_explained: Option<f64>,
}

fn compute_explanation() -> Result<ExplanationResult, CoreError> {
    let r = bundled(REFERENCE)?;
    let t = bundled(TARGET)?;
    let e = explain::explain(&r, &t, t.start_date()?, EXPLAIN_RUNS, SEED)?;
    let published = explain::published_raming(&t, e.date);
    Ok(ExplanationResult {
        date: e.date.to_string(),
        runs: e.runs as u64,
        seed: e.seed,
        reference_scenario: r.scenario.id.clone(),
        reference_p50: e.reference,
        target_scenario: t.scenario.id.clone(),
        target_p50: e.target,
        method: "Shapley values over all 2^6 subsets of drivers, common random numbers".into(),
        contributions: e
            .contributions
            .iter()
            .map(|c| DriverShare { driver: c.driver.into(), title: c.title.into(), places: c.places, alone: c.alone })
            .collect(),
        already_durable_places_note: DURABLE_NOTE.into(),
        not_explained: published.as_ref().map(|(v, _)| v - e.target as f64),
        published_source: published.as_ref().map(|(_, s)| s.clone()),
        published: published.map(|(v, _)| v),
    })
}

/// The answer while a result is still being computed: 503 with Retry-After, page or JSON.
fn computing(c: Option<&Chrome>, what_nl: &str, what_en: &str) -> Response {
    let msg_nl = format!(
        "{what_nl} wordt berekend (dat gebeurt één keer per serverstart en duurt hooguit enkele tientallen seconden). Laad de pagina over enkele seconden opnieuw."
    );
    let msg_en = format!(
        "{what_en} is being computed (this happens once per server start and takes at most a few tens of seconds). Reload the page in a few seconds."
    );
    let mut r = match c {
        Some(c) => c.render(
            &Computing { c, heading: c.l.tr_owned(what_nl, what_en), message: c.l.tr_owned(&msg_nl, &msg_en) },
            StatusCode::SERVICE_UNAVAILABLE,
        ),
        None => WebError::Unavailable(msg_en).into_response(),
    };
    r.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
    r
}

#[derive(Template)]
#[template(path = "message.html")]
struct Computing<'a> {
    c: &'a Chrome,
    heading: String,
    message: String,
}

fn series_label(l: Lang, series: &str) -> &'static str {
    match series {
        "total" => l.tr("Totaal in opvang", "Total in reception"),
        "permit_holders" => l.tr("Vergunninghouders in de opvang", "Permit holders in reception"),
        "amv" => l.tr("Alleenstaande minderjarigen (amv)", "Unaccompanied minors (AMV)"),
        _ => l.tr("Overig", "Other"),
    }
}

/// A relative error as "+9,8 %" (Dutch) or "+9.8 %".
fn percent(l: Lang, x: f64) -> String {
    let s = format!("{:+.1} %", x * 100.0);
    if l == Lang::Nl { s.replace('.', ",") } else { s }
}

pub struct BacktestRowView {
    pub date: String,
    pub series: &'static str,
    pub observed: String,
    pub p10: String,
    pub p50: String,
    pub p90: String,
    pub relative: String,
    pub close: bool,
    pub in_band: bool,
    pub in_sample: bool,
    pub source: String,
}

pub struct Summary {
    pub label: &'static str,
    pub inside: usize,
    pub close: usize,
    pub count: usize,
    pub mae: String,
}

#[derive(Template)]
#[template(path = "terugtoets.html")]
struct BacktestPage<'a> {
    c: &'a Chrome,
    b: &'a BacktestResult,
    rows: Vec<BacktestRowView>,
    summaries: Vec<Summary>,
}

/// `/ramingen/terugtoets`: the backtest 2019–2025, every published point next to the model's band.
pub async fn backtest_page(page: Page) -> Response {
    let c = &page.c;
    let l = c.l;
    match BACKTEST.get().await {
        None => computing(Some(c), "De terugtoets 2019–2025", "The backtest 2019–2025"),
        Some(Err(e)) => c.error(WebError::Internal(e)),
        Some(Ok(b)) => {
            let rows = b
                .rows
                .iter()
                .map(|r| BacktestRowView {
                    date: r.date.to_string(),
                    series: series_label(l, r.series),
                    observed: l.n(r.observed.round() as u64),
                    p10: l.n(r.p10),
                    p50: l.n(r.p50),
                    p90: l.n(r.p90),
                    relative: percent(l, r.relative_error),
                    close: r.relative_error.abs() <= 0.10,
                    in_band: r.within_p10_p90,
                    in_sample: r.in_sample,
                    source: r.source.clone(),
                })
                .collect();
            let summaries = b
                .summary
                .iter()
                .map(|s| Summary {
                    label: match s.points {
                        "in_sample" => {
                            l.tr("In de fit (vóór de toetsperiode)", "In sample (before the held-out period)")
                        }
                        "held_out" => l.tr("Buiten de fit (toetsperiode)", "Out of sample (held out)"),
                        _ => l.tr("Alle punten", "All points"),
                    },
                    inside: s.inside_p10_p90,
                    close: s.p50_within_10_percent,
                    count: s.count,
                    mae: percent(l, s.mean_absolute_relative_error).replace('+', ""),
                })
                .collect();
            c.render(&BacktestPage { c, b: &b, rows, summaries }, StatusCode::OK)
        }
    }
}

pub struct DriverView {
    pub title: &'static str,
    pub places: String,
    pub alone: String,
}

#[derive(Template)]
#[template(path = "verklaring.html")]
struct ExplanationPage<'a> {
    c: &'a Chrome,
    e: &'a ExplanationResult,
    drivers: Vec<DriverView>,
    published: Option<String>,
    not_explained: Option<String>,
}

fn driver_title(l: Lang, id: &str) -> &'static str {
    match id {
        "inflow" => l.tr(
            "Instroom: eerste en herhaalde asielaanvragen, nareizigers, hervestiging, hun verloop en schokken",
            "Inflow: first and repeat applications, family reunification, resettlement, their shape and shocks",
        ),
        "decision_times" => l.tr(
            "Beslistijden: voorbereiding, besliscapaciteit van de IND, inwilligingspercentage, voorraad bij de start",
            "Decision times: preparation, IND decision capacity, grant rate, backlog at the start",
        ),
        "housing_outflow" => l.tr(
            "Uitstroom naar huisvesting: koppeltijd en woningaanbod voor vergunninghouders",
            "Housing outflow: matching time, housing supply for permit holders",
        ),
        "occupancy_norm" => l.tr(
            "Bezettingsnorm: benodigde plaatsen = bezetting ÷ norm",
            "Occupancy norm: required places = occupancy ÷ norm",
        ),
        "starting_stocks" => l.tr(
            "Beginvoorraden behalve de IND-voorraad (aanmelding, procedure, vergunninghouders, terugkeer)",
            "Starting stocks other than the IND backlog (registration, procedure, permit holders, return)",
        ),
        "return_phase" => l.tr(
            "Vertrek na afwijzing: gemiddelde duur van de terugkeerfase (gekalibreerd met de terugtoets 2019–2025)",
            "Departure after a rejection: mean time in the return phase (calibrated by the 2019–2025 backtest)",
        ),
        _ => l.tr("Overige factor", "Other driver"),
    }
}

fn signed(l: Lang, x: f64) -> String {
    let n = l.n(x.abs().round() as u64);
    if x.round() < 0.0 { format!("−{n}") } else { format!("+{n}") }
}

/// `/ramingen/verklaring`: base → official-2026 → the published 88,000, by named driver.
pub async fn explanation_page(page: Page) -> Response {
    let c = &page.c;
    let l = c.l;
    match EXPLANATION.get().await {
        None => computing(Some(c), "De verklaring van de officiële raming", "The explanation of the official raming"),
        Some(Err(e)) => c.error(WebError::Internal(e)),
        Some(Ok(e)) => {
            let drivers = e
                .contributions
                .iter()
                .map(|d| DriverView {
                    title: driver_title(l, &d.driver),
                    places: signed(l, d.places),
                    alone: signed(l, d.alone),
                })
                .collect();
            let page = ExplanationPage {
                c,
                e: &e,
                drivers,
                published: e.published.map(|v| l.n(v.round() as u64)),
                not_explained: e.not_explained.map(|x| signed(l, x)),
            };
            c.render(&page, StatusCode::OK)
        }
    }
}

#[utoipa::path(get, path = "/api/forecast/backtest", tag = "public",
    responses((status = 200, body = BacktestResult, description = "The backtest 2019-2025 of the capacity forecast (scenario backtest-2019-2025, 10,000 paths, seed 1): every published stock next to the model's P10/P50/P90, with in_sample false for the held-out period; the rows are those of `spreiding forecast backtest --format json`"),
              (status = 503, body = crate::error::ErrorBody, description = "still being computed (once per server start): try again after Retry-After seconds")))]
pub async fn backtest_json() -> Response {
    BACKTEST.json().await
}

#[utoipa::path(get, path = "/api/forecast/explain", tag = "public",
    responses((status = 200, body = ExplanationResult, description = "The difference between the base scenario and official-2026 (P50 of required places on 1 January 2027, 2,000 paths per run, seed 1) as Shapley values of named drivers, and what no public assumption explains of the published 88,000: the same numbers as `spreiding forecast explain`"),
              (status = 503, body = crate::error::ErrorBody, description = "still being computed (once per server start): try again after Retry-After seconds")))]
pub async fn explanation_json() -> Response {
    EXPLANATION.json().await
}
