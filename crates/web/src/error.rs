//! The one place where failures become HTTP responses (docs/ARCHITECTURE.md: one error type per crate,
//! one mapping). Authorisation refusals from [`Actor::may`](spreiding_core::actor::Actor::may)
//! map to 401 (not signed in) and 403 (signed in, not allowed); internal errors are logged
//! and never shown.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use spreiding_core::CoreError;
use spreiding_core::actor::Denied;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// Bad input: the message names the field and the fix.
    #[error("{0}")]
    Invalid(String),
    #[error("missing or wrong CSRF token: reload the page and try again")]
    Csrf,
    #[error("too many failed sign-in attempts: wait {0} minutes and try again")]
    TooManyAttempts(u64),
    #[error("{0}")]
    Conflict(String),
    /// A result that is still being computed (503; the response says when to try again).
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// The body of every error response.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// HTTP status code.
    pub status: u16,
    /// One of unauthenticated, forbidden, not_found, invalid, csrf, rate_limited, conflict, computing, internal.
    pub error: &'static str,
    /// What went wrong and what to do, in the user's words.
    pub message: String,
}

impl WebError {
    pub fn status(&self) -> (StatusCode, &'static str) {
        match self {
            WebError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            WebError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            WebError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            WebError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            WebError::Csrf => (StatusCode::FORBIDDEN, "csrf"),
            WebError::TooManyAttempts(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            WebError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            WebError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "computing"),
            WebError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    pub fn body(&self) -> ErrorBody {
        let (status, error) = self.status();
        let message = match self {
            WebError::Internal(m) => {
                tracing::error!("{m}");
                "internal error: the server logged the details".to_string()
            }
            other => other.to_string(),
        };
        ErrorBody { status: status.as_u16(), error, message }
    }
}

impl From<Denied> for WebError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::Unauthenticated(m) => WebError::Unauthenticated(format!("sign in first: {m}")),
            Denied::Forbidden(m) => WebError::Forbidden(format!("not allowed: {m}")),
        }
    }
}

impl From<CoreError> for WebError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Invalid { .. } => WebError::Invalid(e.to_string()),
            other => WebError::Conflict(other.to_string()),
        }
    }
}

/// The store's errors in HTTP terms: bad input 422, a rule of the cycle 409, the
/// authorisation rule 401/403, missing 404; database failures are logged, not shown.
impl From<spreiding_store::StoreError> for WebError {
    fn from(e: spreiding_store::StoreError) -> Self {
        use spreiding_store::StoreError as S;
        match e {
            S::Invalid(_) | S::InvalidRow { .. } => WebError::Invalid(e.to_string()),
            S::Conflict(m) => WebError::Conflict(m),
            S::Denied(d) => d.into(),
            S::NotFound(m) => WebError::NotFound(m),
            S::Tampered { .. } | S::Database(_) => WebError::Internal(e.to_string()),
        }
    }
}

impl From<sqlx::Error> for WebError {
    fn from(e: sqlx::Error) -> Self {
        WebError::Internal(format!("database: {e}"))
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::Internal(format!("template: {e}"))
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let body = self.body();
        let status = StatusCode::from_u16(body.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(body)).into_response()
    }
}

pub type Result<T> = std::result::Result<T, WebError>;
