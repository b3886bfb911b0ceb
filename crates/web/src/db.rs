//! Database access of the web layer: accounts (its own table, migrations/0010) and the
//! cycle's records (offers, realisation) with the audit trail.

use std::str::FromStr;

use chrono::NaiveDate;
use spreiding_core::GmCode;
use spreiding_core::actor::{Actor, Role};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Row};

use crate::error::{Result, WebError};
use crate::model::{Offer, Realisation, Records};

#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
}

/// An account as stored.
#[derive(Clone, Debug)]
pub struct UserRecord {
    pub username: String,
    pub password_hash: String,
    pub role: Role,
}

/// What a municipality offers: the form and the JSON body.
#[derive(Clone, Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct NewOffer {
    #[schema(value_type = String, example = "GM0014")]
    pub gm_code: GmCode,
    #[schema(minimum = 1, maximum = 100000)]
    pub places: u64,
    #[serde(default)]
    pub durable: bool,
    pub location: String,
    #[serde(default)]
    pub note: String,
}

impl NewOffer {
    /// Field checks with the fix in the message.
    pub fn validate(&self) -> Result<()> {
        if self.places == 0 || self.places > 100_000 {
            return Err(WebError::Invalid(format!(
                "places: {} is out of range: give a whole number of places from 1 to 100000",
                self.places
            )));
        }
        if self.location.trim().is_empty() || self.location.len() > 200 {
            return Err(WebError::Invalid("location: give the location's name (1 to 200 characters)".into()));
        }
        if self.note.len() > 500 {
            return Err(WebError::Invalid("note: at most 500 characters".into()));
        }
        Ok(())
    }
}

#[derive(rust_embed::Embed)]
#[folder = "../../migrations/"]
struct Migrations;

/// The numbered SQL files of migrations/, compiled in.
fn migrator() -> sqlx::migrate::Migrator {
    use sqlx::migrate::{Migration, MigrationType};
    use sqlx::{AssertSqlSafe, SqlSafeStr};
    use std::borrow::Cow;
    let mut list: Vec<Migration> = Migrations::iter()
        .filter(|n| n.ends_with(".sql"))
        .filter_map(|name| {
            let (num, rest) = name.split_once('_')?;
            let version: i64 = num.parse().ok()?;
            let sql = String::from_utf8(Migrations::get(&name)?.data.into_owned()).ok()?;
            let desc = rest.trim_end_matches(".sql").replace('_', " ");
            Some(Migration::new(
                version,
                Cow::Owned(desc),
                MigrationType::Simple,
                AssertSqlSafe(sql).into_sql_str(),
                false,
            ))
        })
        .collect();
    list.sort_by_key(|m| m.version);
    sqlx::migrate::Migrator { migrations: Cow::Owned(list), ..sqlx::migrate::Migrator::DEFAULT }
}

pub fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

impl Db {
    /// Connect, creating an SQLite file when missing, and run the migrations.
    pub async fn open(url: &str) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let url = if is_sqlite(url) && !url.contains("mode=") && !url.contains(":memory:") {
            format!("{url}{}mode=rwc", if url.contains('?') { "&" } else { "?" })
        } else {
            url.to_string()
        };
        let max = if is_sqlite(&url) { 4 } else { 8 };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .connect(&url)
            .await
            .map_err(|e| WebError::Internal(format!("cannot open database {url}: {e}")))?;
        migrator().run(&pool).await.map_err(|e| WebError::Internal(format!("migrations failed: {e}")))?;
        Ok(Db { pool })
    }

    // ---- accounts -------------------------------------------------------------------

    pub async fn add_user(&self, username: &str, password_hash: &str, role: Role, now: &str) -> Result<()> {
        if self.user(username).await?.is_some() {
            return Err(WebError::Conflict(format!("user '{username}' exists already: choose another name")));
        }
        let region = match role {
            Role::Province(p) => Some(p.to_string()),
            Role::Municipality(g) => Some(g.to_string()),
            _ => None,
        };
        sqlx::query(
            "INSERT INTO web_users (username, password_hash, role, region, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(username)
        .bind(password_hash)
        .bind(role.kind())
        .bind(region)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn user(&self, username: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query("SELECT username, password_hash, role, region FROM web_users WHERE username = $1")
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            None => Ok(None),
            Some(r) => {
                let kind: String = r.try_get("role")?;
                let region: Option<String> = r.try_get("region")?;
                let role = Role::parse(&kind, region.as_deref())
                    .map_err(|e| WebError::Internal(format!("web_users row for {username}: {e}")))?;
                Ok(Some(UserRecord {
                    username: r.try_get("username")?,
                    password_hash: r.try_get("password_hash")?,
                    role,
                }))
            }
        }
    }
}

impl Db {
    // ---- the cycle's records ----------------------------------------------------------

    pub async fn records(&self, cycle: u32) -> Result<Records> {
        let mut rec = Records::default();
        let rows = sqlx::query(
            "SELECT id, gm_code, places, durable, location, note, submitted_by, submitted_at, synthetic \
             FROM web_offers WHERE cycle = $1 AND withdrawn = 0 ORDER BY id",
        )
        .bind(cycle as i64)
        .fetch_all(&self.pool)
        .await?;
        for r in rows {
            rec.offers.push(offer_from_row(&r)?);
        }
        let rows = sqlx::query("SELECT gm_code, date, places, synthetic FROM web_realisations WHERE cycle = $1")
            .bind(cycle as i64)
            .fetch_all(&self.pool)
            .await?;
        for r in rows {
            rec.realisations.push(Realisation {
                gm_code: parse_gm(&r.try_get::<String, _>("gm_code")?)?,
                date: parse_date(&r.try_get::<String, _>("date")?)?,
                places: r.try_get::<i64, _>("places")? as u64,
                synthetic: r.try_get::<i64, _>("synthetic")? != 0,
            });
        }
        Ok(rec)
    }

    pub async fn offer(&self, id: i64) -> Result<Option<Offer>> {
        let row = sqlx::query(
            "SELECT id, gm_code, places, durable, location, note, submitted_by, submitted_at, synthetic \
             FROM web_offers WHERE id = $1 AND withdrawn = 0",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| offer_from_row(&r)).transpose()
    }

    pub async fn add_offer(
        &self,
        actor: &Actor,
        cycle: u32,
        o: &NewOffer,
        now: &str,
        synthetic: bool,
    ) -> Result<Offer> {
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM web_offers")
            .fetch_one(&mut *tx)
            .await?
            .try_get("next")?;
        sqlx::query(
            "INSERT INTO web_offers (id, cycle, gm_code, places, durable, location, note, submitted_by, submitted_at, synthetic, withdrawn) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0)",
        )
        .bind(id)
        .bind(cycle as i64)
        .bind(o.gm_code.to_string())
        .bind(o.places as i64)
        .bind(o.durable as i64)
        .bind(o.location.trim())
        .bind(o.note.trim())
        .bind(&actor.name)
        .bind(now)
        .bind(synthetic as i64)
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({"offer": id, "gm_code": o.gm_code, "places": o.places, "durable": o.durable, "location": o.location.trim(), "synthetic": synthetic});
        audit(&mut tx, actor, "offer.create", &detail, now).await?;
        tx.commit().await?;
        Ok(Offer {
            id,
            gm_code: o.gm_code,
            places: o.places,
            durable: o.durable,
            location: o.location.trim().into(),
            note: o.note.trim().into(),
            submitted_by: actor.name.clone(),
            submitted_at: now.into(),
            synthetic,
        })
    }

    pub async fn update_offer(&self, actor: &Actor, id: i64, o: &NewOffer, now: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE web_offers SET places = $1, durable = $2, location = $3, note = $4 WHERE id = $5")
            .bind(o.places as i64)
            .bind(o.durable as i64)
            .bind(o.location.trim())
            .bind(o.note.trim())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let detail = serde_json::json!({"offer": id, "gm_code": o.gm_code, "places": o.places, "durable": o.durable, "location": o.location.trim()});
        audit(&mut tx, actor, "offer.update", &detail, now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn withdraw_offer(&self, actor: &Actor, offer: &Offer, now: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE web_offers SET withdrawn = 1 WHERE id = $1").bind(offer.id).execute(&mut *tx).await?;
        let detail = serde_json::json!({"offer": offer.id, "gm_code": offer.gm_code});
        audit(&mut tx, actor, "offer.withdraw", &detail, now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn record_realisation(&self, actor: &Actor, cycle: u32, r: &Realisation, now: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM web_realisations WHERE cycle = $1 AND gm_code = $2 AND date = $3")
            .bind(cycle as i64)
            .bind(r.gm_code.to_string())
            .bind(r.date.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO web_realisations (cycle, gm_code, date, places, synthetic) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(cycle as i64)
        .bind(r.gm_code.to_string())
        .bind(r.date.to_string())
        .bind(r.places as i64)
        .bind(r.synthetic as i64)
        .execute(&mut *tx)
        .await?;
        let detail =
            serde_json::json!({"gm_code": r.gm_code, "date": r.date, "places": r.places, "synthetic": r.synthetic});
        audit(&mut tx, actor, "realisation.record", &detail, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The audit trail, oldest first: (seq, at, actor, role, action, detail, hash).
    pub async fn audit_trail(&self) -> Result<Vec<AuditEntry>> {
        let rows =
            sqlx::query("SELECT seq, at, actor, role, action, detail, prev_hash, hash FROM web_audit ORDER BY seq")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    seq: r.try_get("seq")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    role: r.try_get("role")?,
                    action: r.try_get("action")?,
                    detail: r.try_get("detail")?,
                    prev_hash: r.try_get("prev_hash")?,
                    hash: r.try_get("hash")?,
                })
            })
            .collect()
    }
}

/// One entry of the audit trail; `hash` = sha256(prev_hash | seq | at | actor | role | action | detail).
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    pub fn compute_hash(prev: &str, seq: i64, at: &str, actor: &str, role: &str, action: &str, detail: &str) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for part in [prev, &seq.to_string(), at, actor, role, action, detail] {
            h.update(part.as_bytes());
            h.update([0u8]);
        }
        hex::encode(h.finalize())
    }
}

async fn audit(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    actor: &Actor,
    action: &str,
    detail: &serde_json::Value,
    now: &str,
) -> Result<()> {
    let last =
        sqlx::query("SELECT seq, hash FROM web_audit ORDER BY seq DESC LIMIT 1").fetch_optional(&mut **tx).await?;
    let (seq, prev) = match last {
        Some(r) => (r.try_get::<i64, _>("seq")? + 1, r.try_get::<String, _>("hash")?),
        None => (1, "0".repeat(64)),
    };
    let detail = detail.to_string();
    let role = actor.role.to_string();
    let hash = AuditEntry::compute_hash(&prev, seq, now, &actor.name, &role, action, &detail);
    sqlx::query("INSERT INTO web_audit (seq, at, actor, role, action, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(seq)
        .bind(now)
        .bind(&actor.name)
        .bind(role)
        .bind(action)
        .bind(detail)
        .bind(prev)
        .bind(hash)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn offer_from_row(r: &sqlx::any::AnyRow) -> Result<Offer> {
    Ok(Offer {
        id: r.try_get("id")?,
        gm_code: parse_gm(&r.try_get::<String, _>("gm_code")?)?,
        places: r.try_get::<i64, _>("places")? as u64,
        durable: r.try_get::<i64, _>("durable")? != 0,
        location: r.try_get("location")?,
        note: r.try_get("note")?,
        submitted_by: r.try_get("submitted_by")?,
        submitted_at: r.try_get("submitted_at")?,
        synthetic: r.try_get::<i64, _>("synthetic")? != 0,
    })
}

pub(crate) fn parse_gm(s: &str) -> Result<GmCode> {
    GmCode::from_str(s).map_err(|e| WebError::Internal(format!("stored municipality code: {e}")))
}

pub(crate) fn parse_date(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(&s[..s.len().min(10)], "%Y-%m-%d")
        .map_err(|e| WebError::Internal(format!("stored date '{s}': {e}")))
}
