//! The public page "Wat de wet oplevert": the latest published policy-simulation report
//! (stored in the record by `spreiding simulate publish`), shown as stored — the simulation is
//! never rerun per request. The comparison table comes from the report's own numbers; the full
//! self-contained report is served next to it.

use std::sync::{Arc, Mutex};

use askama::Template;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use spreiding_simulate::Report;

use crate::error::{Result, WebError};
use crate::i18n::Lang;
use crate::pages::{Chrome, Page};
use crate::server::AppState;

/// The last report parsed, keyed by its id — the SHA-256 of its JSON, so one entry is right
/// for any database holding it. A visit reads one small row; the (large) JSON body is read and
/// parsed again only when a newer report has been published.
static PARSED: Mutex<Option<(String, Arc<Report>)>> = Mutex::new(None);

async fn parsed_report(s: &AppState, id: &str) -> Result<Arc<Report>> {
    if let Some((cached, r)) = PARSED.lock().expect("report cache").as_ref()
        && cached == id
    {
        return Ok(r.clone());
    }
    let json = s.store().simulation_json(id).await?;
    let report = Arc::new(serde_json::from_str::<Report>(&json).map_err(|e| {
        WebError::Internal(format!(
            "the stored simulation report {id} cannot be read by this version ({e}); publish it again"
        ))
    })?);
    *PARSED.lock().expect("report cache") = Some((id.to_string(), report.clone()));
    Ok(report)
}

/// One line of the comparison: a metric, both policies' means and the difference with its
/// 95 % interval, as the report states them.
pub struct ComparisonRow {
    pub label: String,
    pub unit: String,
    pub headline: bool,
    pub policy: String,
    pub baseline: String,
    pub policy_mean: String,
    pub baseline_mean: String,
    pub difference: String,
    pub interval: String,
    pub verdict: &'static str,
    pub verdict_class: &'static str,
}

pub struct PolicyLine {
    pub id: String,
    pub title: String,
    pub binding_decision: bool,
}

pub struct Published {
    pub id: String,
    pub title: String,
    pub published_on: String,
    pub organisation: String,
    pub years: u32,
    pub runs: u64,
    pub seed: u64,
    pub start: String,
    pub scenario: String,
    pub model: String,
    pub policies: Vec<PolicyLine>,
    pub rows: Vec<ComparisonRow>,
    pub assumptions: usize,
    pub values: usize,
    pub notes: Vec<String>,
}

#[derive(Template)]
#[template(path = "wat_de_wet_oplevert.html")]
struct OutcomePage<'a> {
    c: &'a Chrome,
    report: Option<Published>,
}

/// A figure in the page's language: whole numbers above 100 with thousands separators, smaller
/// ones with two decimals; a sign when asked (differences).
fn figure(l: Lang, v: f64, signed: bool) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let body = if v.abs() >= 100.0 { l.n(v.abs().round() as u64) } else { l.d2(v.abs()) };
    let sign = if v < 0.0 && body.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "−"
    } else if signed && v > 0.0 {
        "+"
    } else {
        ""
    };
    format!("{sign}{body}")
}

fn verdict(l: Lang, v: &str) -> (&'static str, &'static str) {
    match v {
        "better" => (l.tr("beter", "better"), "better"),
        "worse" => (l.tr("slechter", "worse"), "worse"),
        _ => (l.tr("geen duidelijk verschil", "no clear difference"), "unclear"),
    }
}

fn published(l: Lang, meta: spreiding_store::PublishedReport, r: &Report, organisation: String) -> Published {
    let mut rows = Vec::new();
    for cmp in &r.comparison {
        let Some(metric) = r.metrics.iter().find(|m| m.id == cmp.metric) else { continue };
        let (v, class) = verdict(l, &cmp.verdict);
        rows.push(ComparisonRow {
            label: metric.label.clone(),
            unit: metric.unit.clone(),
            headline: metric.headline,
            policy: cmp.policy.clone(),
            baseline: cmp.baseline.clone(),
            policy_mean: figure(l, cmp.policy_mean, false),
            baseline_mean: figure(l, cmp.baseline_mean, false),
            difference: figure(l, cmp.difference.mean, true),
            interval: format!(
                "{} {} {}",
                figure(l, cmp.difference.ci95[0], true),
                l.tr("tot", "to"),
                figure(l, cmp.difference.ci95[1], true)
            ),
            verdict: v,
            verdict_class: class,
        });
    }
    rows.sort_by_key(|row| !row.headline);
    Published {
        id: meta.id,
        title: meta.title,
        published_on: meta.published_on,
        organisation,
        years: r.settings.years,
        runs: r.settings.runs as u64,
        seed: r.settings.seed,
        start: r.settings.start.to_string(),
        scenario: r.settings.scenario.clone(),
        model: r.settings.model.clone(),
        policies: r
            .policies
            .iter()
            .map(|p| PolicyLine { id: p.id.clone(), title: p.title.clone(), binding_decision: p.binding_decision })
            .collect(),
        rows,
        assumptions: r.assumptions.iter().filter(|a| a.assumption).count(),
        values: r.assumptions.len(),
        notes: r.notes.clone(),
    }
}

/// GET /wat-de-wet-oplevert
pub async fn outcome(page: Page) -> Response {
    let Page { s, c, .. } = page;
    let report = async {
        let Some(meta) = s.store().latest_simulation_meta().await? else { return Ok(None) };
        let r = parsed_report(&s, &meta.id).await?;
        let organisation = meta.published_role.organisation(s.store().netherlands());
        Ok::<_, WebError>(Some(published(c.l, meta, &r, organisation)))
    };
    match report.await {
        Ok(report) => c.render(&OutcomePage { c: &c, report }, StatusCode::OK),
        Err(e) => c.error(e),
    }
}

/// GET /wat-de-wet-oplevert/rapport/{id}: the full self-contained HTML report, as stored.
pub async fn full_report(Path(id): Path<String>, page: Page) -> Response {
    match page.s.store().simulation_html(&id).await {
        Ok(html) => {
            let mut r = html.into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            r
        }
        Err(e) => page.c.error(e.into()),
    }
}
