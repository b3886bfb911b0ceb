//! Sign-in, sessions, CSRF tokens and sign-in lockout.
//!
//! Accounts and passwords (argon2id) live in spreiding-store; sessions are tower-sessions
//! in the database ([`crate::sessions`]) with axum-login 0.18. Every form carries a per-session CSRF token; JSON mutations send it in
//! the `X-CSRF-Token` header. Authorisation itself is [`Actor::may`], nothing else.

use axum_login::{AuthUser, AuthnBackend, UserId};
use spreiding_core::actor::{Action, Actor, Role};
use spreiding_store::{LoginOutcome, Principal, Store};
use tower_sessions::Session;

use crate::error::{Result, WebError};

pub type AuthSession = axum_login::AuthSession<Backend>;

/// Header carrying the CSRF token on JSON mutations.
pub const CSRF_HEADER: &str = "x-csrf-token";
const CSRF_KEY: &str = "csrf";

/// A signed-in account, as the session knows it.
#[derive(Clone)]
pub struct User {
    pub principal: Principal,
    pub username: String,
    pub role: Role,
    /// Bound to the password hash and the role: a change of either ends the session.
    session_hash: String,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User").field("username", &self.username).field("role", &self.role).finish()
    }
}

impl User {
    pub fn actor(&self) -> Actor {
        self.principal.actor()
    }
}

impl AuthUser for User {
    type Id = String;
    fn id(&self) -> String {
        self.username.clone()
    }
    fn session_auth_hash(&self) -> &[u8] {
        self.session_hash.as_bytes()
    }
}

#[derive(Clone)]
pub struct Backend {
    pub store: Store,
}

#[derive(Clone, serde::Deserialize)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl Backend {
    async fn user(&self, username: &str) -> Result<Option<User>> {
        Ok(self.store.principal(username).await?.map(|(p, session_hash)| User {
            username: p.username().to_string(),
            role: p.role(),
            principal: p,
            session_hash,
        }))
    }
}

impl AuthnBackend for Backend {
    type User = User;
    type Credentials = Credentials;
    type Error = WebError;

    /// The store's sign-in: the same answer, after the same argon2 work, whether or not the
    /// account exists.
    async fn authenticate(&self, c: Credentials) -> Result<Option<User>> {
        match self.store.login(&c.username, &c.password).await? {
            LoginOutcome::Ok(p) => self.user(p.username()).await,
            LoginOutcome::Refused => Ok(None),
        }
    }

    async fn get_user(&self, id: &UserId<Self>) -> Result<Option<User>> {
        self.user(id).await
    }
}

pub fn random_hex(bytes: usize) -> String {
    use rand::Rng;
    let mut b = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// The actor behind a request: the signed-in user, or the public.
pub fn actor(auth: &AuthSession) -> Actor {
    auth.user.as_ref().map(User::actor).unwrap_or(Actor { name: "public".into(), role: Role::Public })
}

/// The session's CSRF token, created on first use.
pub async fn csrf_token(session: &Session) -> Result<String> {
    if let Some(t) = session.get::<String>(CSRF_KEY).await.map_err(session_err)? {
        return Ok(t);
    }
    let t = random_hex(32);
    session.insert(CSRF_KEY, &t).await.map_err(session_err)?;
    Ok(t)
}

fn session_err(e: tower_sessions::session::Error) -> WebError {
    WebError::Internal(format!("session: {e}"))
}

/// Constant-time comparison of the submitted token with the session's.
pub async fn check_csrf(session: &Session, submitted: Option<&str>) -> Result<()> {
    let expected = session.get::<String>(CSRF_KEY).await.map_err(session_err)?;
    match (expected, submitted) {
        (Some(e), Some(s))
            if e.len() == s.len() && e.bytes().zip(s.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0 =>
        {
            Ok(())
        }
        _ => Err(WebError::Csrf),
    }
}

/// The gate of every mutation: not signed in → 401 (from `Actor::may`), no valid CSRF token
/// → 403, then the one authorisation rule. Returns the account that acts.
/// Signed in (401) with a valid CSRF token (403): checked before a request body is read, so an
/// anonymous caller learns nothing from the body's validation. [`authorize`] follows.
pub async fn signed_in(auth: &AuthSession, csrf: Option<&str>) -> Result<()> {
    if auth.user.is_none() {
        return Err(WebError::Unauthenticated("sign in first".into()));
    }
    check_csrf(&auth.session, csrf).await
}

pub async fn authorize(auth: &AuthSession, csrf: Option<&str>, action: Action) -> Result<Principal> {
    let actor = actor(auth);
    let Some(user) = auth.user.as_ref() else {
        actor.may(action)?;
        return Err(WebError::Unauthenticated("sign in first".into()));
    };
    check_csrf(&auth.session, csrf).await?;
    actor.may(action)?;
    Ok(user.principal.clone())
}

/// Sign-in lockout, keyed by account **and** client address (so nobody can lock another
/// person out from elsewhere), with backoff: after [`LOCK_AFTER`] failures the key is
/// locked for 1, 2, 4 … minutes, at most an hour. **(setting)**
pub const LOCK_AFTER: i64 = 5;

pub fn lock_minutes(failures: i64) -> Option<i64> {
    (failures >= LOCK_AFTER).then(|| 1i64 << (failures - LOCK_AFTER).min(6)).map(|m| m.min(60))
}

/// The lockout key of an account from an address.
pub fn lockout_key(username: &str, ip: Option<std::net::IpAddr>) -> String {
    format!("{}|{}", username.to_lowercase(), ip.map(|i| i.to_string()).unwrap_or_else(|| "local".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockout_backs_off_and_is_keyed_by_account_and_address() {
        assert_eq!(lock_minutes(4), None);
        assert_eq!(lock_minutes(5), Some(1));
        assert_eq!(lock_minutes(7), Some(4));
        assert_eq!(lock_minutes(40), Some(60));
        let ip: std::net::IpAddr = "10.0.0.1".parse().unwrap();
        assert_ne!(lockout_key("minister", Some(ip)), lockout_key("minister", None));
        assert_eq!(lockout_key("Minister", Some(ip)), lockout_key("minister", Some(ip)));
    }
}
