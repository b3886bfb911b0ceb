//! Portal sessions in the database (tower-sessions' `SessionStore` over spreiding-store), so
//! that a session made on one server process is valid on every other, survives a restart,
//! and expires. Only sessions that hold something are stored: an anonymous read creates none.

use async_trait::async_trait;
use spreiding_store::Store;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

#[derive(Clone)]
pub struct DbSessions {
    pub store: Store,
}

impl std::fmt::Debug for DbSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbSessions")
    }
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

/// The expiry as the store compares it (RFC 3339, UTC, microseconds).
fn expiry(r: &Record) -> String {
    let t = r.expiry_date;
    chrono::DateTime::from_timestamp(t.unix_timestamp(), t.nanosecond())
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

#[async_trait]
impl SessionStore for DbSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            let data = serde_json::to_string(record).map_err(backend)?;
            if self.store.session_save(&record.id.to_string(), &data, &expiry(record), true).await.map_err(backend)? {
                return Ok(());
            }
            record.id = Id::default(); // a collision: draw another id
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = serde_json::to_string(record).map_err(backend)?;
        self.store.session_save(&record.id.to_string(), &data, &expiry(record), false).await.map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self.store.session_load(&id.to_string()).await.map_err(backend)? {
            Some(data) => Ok(Some(serde_json::from_str(&data).map_err(backend)?)),
            None => Ok(None),
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.store.session_delete(&id.to_string()).await.map_err(backend)
    }
}

#[async_trait]
impl ExpiredDeletion for DbSessions {
    async fn delete_expired(&self) -> session_store::Result<()> {
        self.store.delete_expired_sessions().await.map_err(backend)?;
        Ok(())
    }
}
