//! Database access of the web layer. The cycle's facts (forecast, offers, decision,
//! realisation, audit trail) live in spreiding-store, which checks every step against the
//! core's rules in one transaction with its audit record. This module adds only the
//! portal accounts (migrations/0010_web_users.sql), queried on the store's pool.

use chrono::NaiveDate;
use spreiding_core::GmCode;
use spreiding_core::actor::Role;
use spreiding_store::Store;
use sqlx::Row;

use crate::error::{Result, WebError};

#[derive(Clone)]
pub struct Db {
    pub store: Store,
}

/// An account as stored.
#[derive(Clone, Debug)]
pub struct UserRecord {
    pub username: String,
    pub password_hash: String,
    pub role: Role,
}

/// What a municipality offers: the portal form and the JSON body of `POST /api/offers`.
#[derive(Clone, Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct NewOffer {
    #[schema(value_type = String, example = "GM0014")]
    pub gm_code: GmCode,
    /// Name or address of the location (unique per municipality within a cycle).
    pub location: String,
    #[schema(minimum = 1, maximum = 5000)]
    pub places: u64,
    /// coa, municipal, amv or other (default municipal).
    #[serde(default)]
    pub kind: Option<String>,
    /// Available for at least five years (duurzaam, Besluit art. 1.1).
    #[serde(default)]
    pub durable: bool,
    /// First day the places are available; today when absent.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub available_from: Option<NaiveDate>,
}

impl NewOffer {
    /// The core's offer; the store validates it against the cycle (and names the field).
    pub fn to_core(&self, today: NaiveDate) -> Result<spreiding_core::cycle::Offer> {
        let kind = match self.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            None => spreiding_core::cycle::OfferKind::Municipal,
            Some(k) => k.parse().map_err(|e: spreiding_core::CoreError| WebError::Invalid(format!("kind: {e}")))?,
        };
        Ok(spreiding_core::cycle::Offer {
            gm_code: self.gm_code,
            location: self.location.trim().to_string(),
            places: self.places,
            kind,
            durable: self.durable,
            available_from: self.available_from.unwrap_or(today),
        })
    }
}

impl Db {
    /// Connect (an SQLite file is created when missing) and run every migration.
    pub async fn open(url: &str) -> Result<Db> {
        let url = if url.starts_with("sqlite:") && !url.contains("mode=") && !url.contains(":memory:") {
            format!("{url}{}mode=rwc", if url.contains('?') { "&" } else { "?" })
        } else {
            url.to_string()
        };
        Ok(Db { store: Store::connect(&url).await? })
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
        .execute(self.store.pool())
        .await?;
        Ok(())
    }

    pub async fn user(&self, username: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query("SELECT username, password_hash, role, region FROM web_users WHERE username = $1")
            .bind(username)
            .fetch_optional(self.store.pool())
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
