//! Published policy-simulation reports (migration 0012): the stored run behind the public page
//! "Wat de wet oplevert". Publishing needs `Action::PublishAnalysis` (the core's rule); a report
//! is never changed or deleted, and publishing is audited like every other mutation.

use sha2::{Digest, Sha256};
use sqlx::Row;

use spreiding_core::actor::{Action, Role};

use crate::audit::{self, Entry};
use crate::error::{Result, StoreError};
use crate::{Act, Store, now};

/// A published report without its bodies.
#[derive(Clone, Debug, PartialEq)]
pub struct PublishedReport {
    pub id: String,
    pub title: String,
    pub published_at: String,
    pub published_on: String,
    /// The account that published it (shown to signed-in users only, never on public pages).
    pub published_by: String,
    pub published_role: Role,
}

fn published(r: &sqlx::any::AnyRow) -> Result<PublishedReport> {
    let role: String = r.try_get("published_role")?;
    Ok(PublishedReport {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        published_at: r.try_get("published_at")?,
        published_on: r.try_get("published_on")?,
        published_by: r.try_get("published_by")?,
        published_role: role
            .parse()
            .map_err(|e| StoreError::Database(format!("simulation_reports.published_role '{role}': {e}")))?,
    })
}

impl Store {
    /// Publish a simulation report (`PublishAnalysis`). `report_json` must be a JSON document
    /// (the simulator's report type); the same report published twice is refused as a conflict.
    pub async fn publish_simulation(
        &self,
        act: &Act,
        title: &str,
        report_json: &str,
        report_html: &str,
    ) -> Result<PublishedReport> {
        act.actor.may(Action::PublishAnalysis)?;
        if title.trim().is_empty() {
            return Err(StoreError::Invalid("the report needs a title".into()));
        }
        serde_json::from_str::<serde_json::Value>(report_json).map_err(|e| {
            StoreError::Invalid(format!("the report is not JSON ({e}): publish the output of `spreiding simulate`"))
        })?;
        let id = hex::encode(&Sha256::digest(report_json.as_bytes())[..8]);
        let mut tx = self.begin().await?;
        if sqlx::query("SELECT id FROM simulation_reports WHERE id = $1")
            .bind(&id)
            .fetch_optional(&mut *tx)
            .await?
            .is_some()
        {
            return Err(StoreError::Conflict(format!("this report is already published (report {id})")));
        }
        let report = PublishedReport {
            id: id.clone(),
            title: title.trim().to_string(),
            published_at: now(),
            published_on: act.on.to_string(),
            published_by: act.actor.name.clone(),
            published_role: act.actor.role,
        };
        sqlx::query(
            "INSERT INTO simulation_reports (id, title, report_json, report_html, published_at, published_on, \
             published_by, published_role) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&report.id)
        .bind(&report.title)
        .bind(report_json)
        .bind(report_html)
        .bind(&report.published_at)
        .bind(&report.published_on)
        .bind(&report.published_by)
        .bind(report.published_role.to_string())
        .execute(&mut *tx)
        .await?;
        self.fail("simulation:after-insert")?;
        audit::append(
            &mut tx,
            act,
            Entry {
                action: "simulation.publish",
                cycle_id: None,
                subject: format!("simulation report {id} published: {}", report.title),
                reason: act.reason.clone(),
                before: serde_json::Value::Null,
                after: serde_json::json!({"id": id, "title": report.title, "bytes_json": report_json.len(), "bytes_html": report_html.len()}),
                touches: vec![crate::replay::touch!("simulation_reports", id.as_str())],
            },
        )
        .await?;
        self.commit(tx, "simulation.publish").await?;
        Ok(report)
    }

    /// Every published report, newest first.
    pub async fn published_simulations(&self) -> Result<Vec<PublishedReport>> {
        let rows = sqlx::query(
            "SELECT id, title, published_at, published_on, published_by, published_role FROM simulation_reports \
             ORDER BY published_at DESC, id DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(published).collect()
    }

    /// The newest published report with its JSON body.
    pub async fn latest_simulation(&self) -> Result<Option<(PublishedReport, String)>> {
        let row = sqlx::query(
            "SELECT id, title, published_at, published_on, published_by, published_role, report_json \
             FROM simulation_reports ORDER BY published_at DESC, id DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((published(&r)?, r.try_get("report_json")?))).transpose()
    }

    /// The newest published report, without its bodies (one small row: what a page checks
    /// before it reads a body it may have parsed already).
    pub async fn latest_simulation_meta(&self) -> Result<Option<PublishedReport>> {
        let row = sqlx::query(
            "SELECT id, title, published_at, published_on, published_by, published_role FROM simulation_reports \
             ORDER BY published_at DESC, id DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(published).transpose()
    }

    /// The JSON report of a published run.
    pub async fn simulation_json(&self, id: &str) -> Result<String> {
        let row = sqlx::query("SELECT report_json FROM simulation_reports WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no published simulation report {id}")))?;
        Ok(row.try_get("report_json")?)
    }

    /// The HTML report of a published run.
    pub async fn simulation_html(&self, id: &str) -> Result<String> {
        let row = sqlx::query("SELECT report_html FROM simulation_reports WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no published simulation report {id}")))?;
        Ok(row.try_get("report_html")?)
    }
}
