//! Reference data imported from CBS into the record, by vintage: population on a reference
//! date and indicator sets (SES-WOA of a period), each with its source, format and the
//! SHA-256 of the file it came from. Parsing and merger mapping are the core's (`cbs`).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use spreiding_core::actor::Action;
use spreiding_core::cbs::MappingNote;
use sqlx::Row;

use crate::audit::{self, Entry};
use crate::error::{Result, StoreError};
use crate::{Act, Store, date, now};

/// A population vintage in the record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredVintage {
    pub reference_date: NaiveDate,
    pub municipality_set: String,
    pub source: String,
    pub format: String,
    pub sha256: String,
    pub imported_at: String,
    pub imported_by: String,
    pub values: BTreeMap<String, u64>,
}

/// An indicator set in the record (e.g. `ses_woa:2022`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IndicatorSet {
    pub id: String,
    pub indicator: String,
    pub period: String,
    pub table_id: String,
    pub format: String,
    pub source: String,
    pub sha256: String,
    pub notes: Vec<MappingNote>,
    pub imported_at: String,
    pub imported_by: String,
    /// Exact decimal text per municipality code.
    pub values: BTreeMap<String, String>,
}

impl Store {
    /// Store a population vintage (ImportData). Refused when the date is already in the
    /// record with other figures (a different file); the same file again is a no-op.
    #[allow(clippy::too_many_arguments)]
    pub async fn import_population(
        &self,
        act: &Act,
        reference_date: NaiveDate,
        municipality_set: &str,
        source: &str,
        format: &str,
        sha256: &str,
        notes: &[MappingNote],
        values: &BTreeMap<String, u64>,
    ) -> Result<bool> {
        act.actor.may(Action::ImportData)?;
        let mut tx = self.begin().await?;
        let existing = sqlx::query("SELECT sha256 FROM population_vintages WHERE reference_date = $1")
            .bind(reference_date.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(r) = existing {
            let h: String = r.try_get("sha256")?;
            if h == sha256 {
                return Ok(false);
            }
            return Err(StoreError::Conflict(format!(
                "the population of {reference_date} is already in the record from another file (sha256 {h}); a \
                 vintage is imported once"
            )));
        }
        sqlx::query(
            "INSERT INTO population_vintages (reference_date, municipality_set, source, format, sha256, notes_json, \
             imported_at, imported_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(reference_date.to_string())
        .bind(municipality_set)
        .bind(source)
        .bind(format)
        .bind(sha256)
        .bind(serde_json::to_string(notes).expect("serialisable"))
        .bind(now())
        .bind(&act.actor.name)
        .execute(&mut *tx)
        .await?;
        for (g, n) in values {
            sqlx::query("INSERT INTO population_values (reference_date, gm_code, inwoners) VALUES ($1, $2, $3)")
                .bind(reference_date.to_string())
                .bind(g)
                .bind(*n as i64)
                .execute(&mut *tx)
                .await?;
        }
        self.fail("import:after-values")?;
        audit::append(
            &mut tx,
            act,
            Entry {
                action: "data.import.population",
                cycle_id: None,
                subject: format!(
                    "population of {reference_date} imported: {} municipalities, {} inhabitants ({source})",
                    values.len(),
                    values.values().sum::<u64>()
                ),
                reason: Some(format!("source: {source}; sha256 {sha256}")),
                before: serde_json::Value::Null,
                after: serde_json::json!({"reference_date": reference_date, "sha256": sha256, "format": format, "merged": notes.len()}),
                touches: vec![crate::replay::touch!("population_vintages", reference_date.to_string()), crate::replay::touch!("population_values", reference_date.to_string())],
            },
        )
        .await?;
        self.commit(tx, "data.import").await?;
        Ok(true)
    }

    /// Store an indicator set (ImportData); same rule as [`Store::import_population`].
    #[allow(clippy::too_many_arguments)]
    pub async fn import_indicator(
        &self,
        act: &Act,
        indicator: &str,
        period: &str,
        table_id: &str,
        source: &str,
        format: &str,
        sha256: &str,
        notes: &[MappingNote],
        values: &BTreeMap<String, String>,
    ) -> Result<(String, bool)> {
        act.actor.may(Action::ImportData)?;
        let id = format!("{indicator}:{period}");
        let mut tx = self.begin().await?;
        let existing =
            sqlx::query("SELECT sha256 FROM indicator_sets WHERE id = $1").bind(&id).fetch_optional(&mut *tx).await?;
        if let Some(r) = existing {
            let h: String = r.try_get("sha256")?;
            if h == sha256 {
                return Ok((id, false));
            }
            return Err(StoreError::Conflict(format!(
                "{id} is already in the record from another file (sha256 {h}); an indicator period is imported once"
            )));
        }
        sqlx::query(
            "INSERT INTO indicator_sets (id, indicator, period, table_id, format, source, sha256, notes_json, imported_at, \
             imported_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&id)
        .bind(indicator)
        .bind(period)
        .bind(table_id)
        .bind(format)
        .bind(source)
        .bind(sha256)
        .bind(serde_json::to_string(notes).expect("serialisable"))
        .bind(now())
        .bind(&act.actor.name)
        .execute(&mut *tx)
        .await?;
        for (g, v) in values {
            sqlx::query("INSERT INTO indicator_values (set_id, gm_code, value) VALUES ($1, $2, $3)")
                .bind(&id)
                .bind(g)
                .bind(v)
                .execute(&mut *tx)
                .await?;
        }
        self.fail("import:after-values")?;
        audit::append(
            &mut tx,
            act,
            Entry {
                action: "data.import.indicator",
                cycle_id: None,
                subject: format!(
                    "{indicator} of {period} imported from {table_id}: {} municipalities ({source})",
                    values.len()
                ),
                reason: Some(format!("source: {source}; sha256 {sha256}")),
                before: serde_json::Value::Null,
                after: serde_json::json!({"id": id, "sha256": sha256, "format": format, "merged": notes.len()}),
                touches: vec![
                    crate::replay::touch!("indicator_sets", id.as_str()),
                    crate::replay::touch!("indicator_values", id.as_str()),
                ],
            },
        )
        .await?;
        self.commit(tx, "data.import").await?;
        Ok((id, true))
    }

    /// The population vintages in the record (without values).
    pub async fn population_vintages(&self) -> Result<Vec<StoredVintage>> {
        let rows =
            sqlx::query("SELECT * FROM population_vintages ORDER BY reference_date").fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(StoredVintage {
                    reference_date: date(&r.try_get::<String, _>("reference_date")?)?,
                    municipality_set: r.try_get("municipality_set")?,
                    source: r.try_get("source")?,
                    format: r.try_get("format")?,
                    sha256: r.try_get("sha256")?,
                    imported_at: r.try_get("imported_at")?,
                    imported_by: r.try_get("imported_by")?,
                    values: BTreeMap::new(),
                })
            })
            .collect()
    }

    /// One population vintage with its values, if imported.
    pub async fn population_vintage(&self, on: NaiveDate) -> Result<Option<StoredVintage>> {
        let Some(mut v) = self.population_vintages().await?.into_iter().find(|v| v.reference_date == on) else {
            return Ok(None);
        };
        let rows = sqlx::query("SELECT gm_code, inwoners FROM population_values WHERE reference_date = $1")
            .bind(on.to_string())
            .fetch_all(&self.pool)
            .await?;
        for r in rows {
            v.values.insert(r.try_get("gm_code")?, r.try_get::<i64, _>("inwoners")? as u64);
        }
        Ok(Some(v))
    }

    /// The indicator sets in the record (without values).
    pub async fn indicator_sets(&self) -> Result<Vec<IndicatorSet>> {
        let rows = sqlx::query("SELECT * FROM indicator_sets ORDER BY id").fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let notes: String = r.try_get("notes_json")?;
                Ok(IndicatorSet {
                    id: r.try_get("id")?,
                    indicator: r.try_get("indicator")?,
                    period: r.try_get("period")?,
                    table_id: r.try_get("table_id")?,
                    format: r.try_get("format")?,
                    source: r.try_get("source")?,
                    sha256: r.try_get("sha256")?,
                    notes: serde_json::from_str(&notes)
                        .map_err(|e| StoreError::Database(format!("stored notes: {e}")))?,
                    imported_at: r.try_get("imported_at")?,
                    imported_by: r.try_get("imported_by")?,
                    values: BTreeMap::new(),
                })
            })
            .collect()
    }

    /// One indicator set with its values.
    pub async fn indicator_set(&self, id: &str) -> Result<IndicatorSet> {
        let mut s = self.indicator_sets().await?.into_iter().find(|s| s.id == id).ok_or_else(|| {
            StoreError::NotFound(format!(
                "there is no indicator set '{id}' in the record: import it with `spreiding data import`"
            ))
        })?;
        let rows = sqlx::query("SELECT gm_code, value FROM indicator_values WHERE set_id = $1")
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        for r in rows {
            s.values.insert(r.try_get("gm_code")?, r.try_get("value")?);
        }
        Ok(s)
    }
}
