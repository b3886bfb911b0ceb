//! The store's one error type. Messages are written for the planner, province or
//! municipality that has to act on them; database details stay in `Database`.

use spreiding_core::CoreError;
use spreiding_core::actor::Denied;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Bad input (unknown code, implausible number, malformed field). HTTP 422 / exit 2.
    #[error("{0}")]
    Invalid(String),
    /// Bad input in one row of a bulk submission; `row` is 1-based in the submitted list.
    /// Nothing of the submission was written.
    #[error("row {row}: {message}")]
    InvalidRow { row: usize, message: String },
    /// A rule of the law or the cycle forbids it now (deadline, phase, duplicate). HTTP 409 / exit 3.
    #[error("{0}")]
    Conflict(String),
    /// The actor may not do this (a municipality acting for another, the public writing). HTTP 401/403 / exit 3.
    #[error("{0}")]
    Denied(#[from] Denied),
    /// No such cycle or record. HTTP 404 / exit 2.
    #[error("{0}")]
    NotFound(String),
    /// The audit trail does not verify: a record was edited, deleted or inserted.
    #[error("audit trail broken at record {seq}: {message}")]
    Tampered { seq: i64, message: String },
    /// The database failed (connection, SQL). Logged; shown without internals where possible.
    #[error("database error: {0}")]
    Database(String),
}

impl From<CoreError> for StoreError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Invalid { .. } => StoreError::Invalid(e.to_string()),
            CoreError::Conflict(m) => StoreError::Conflict(m),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(e.to_string())
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Database(format!("migrating the database schema failed: {e}"))
    }
}

impl StoreError {
    /// Attach a row number to an error of a bulk submission (bad input becomes
    /// [`StoreError::InvalidRow`]; refusals keep their kind and gain a `row N:` prefix).
    pub fn in_row(self, row: usize) -> StoreError {
        match self {
            StoreError::Invalid(message) => StoreError::InvalidRow { row, message },
            StoreError::Conflict(message) => StoreError::Conflict(format!("row {row}: {message}")),
            StoreError::Denied(Denied::Forbidden(m)) => {
                StoreError::Denied(Denied::Forbidden(format!("row {row}: {m}")))
            }
            StoreError::Denied(Denied::Unauthenticated(m)) => {
                StoreError::Denied(Denied::Unauthenticated(format!("row {row}: {m}")))
            }
            other => other,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
