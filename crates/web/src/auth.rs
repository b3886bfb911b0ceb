//! Sign-in, sessions, CSRF tokens and login rate limiting.
//!
//! Passwords are argon2id hashes; sessions are tower-sessions (memory store) with
//! axum-login 0.18. Every form carries a per-session CSRF token; JSON mutations send it in
//! the `X-CSRF-Token` header. Authorisation itself is [`Actor::may`], nothing else.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum_login::{AuthUser, AuthnBackend, UserId};
use spreiding_core::actor::{Action, Actor, Role};
use tower_sessions::Session;

use crate::db::Db;
use crate::error::{Result, WebError};

pub type AuthSession = axum_login::AuthSession<Backend>;

/// Header carrying the CSRF token on JSON mutations.
pub const CSRF_HEADER: &str = "x-csrf-token";
const CSRF_KEY: &str = "csrf";

#[derive(Clone)]
pub struct User {
    pub username: String,
    pub role: Role,
    password_hash: String,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User").field("username", &self.username).field("role", &self.role).finish()
    }
}

impl User {
    pub fn actor(&self) -> Actor {
        Actor { name: self.username.clone(), role: self.role }
    }
}

impl AuthUser for User {
    type Id = String;
    fn id(&self) -> String {
        self.username.clone()
    }
    /// Changing the password invalidates existing sessions.
    fn session_auth_hash(&self) -> &[u8] {
        self.password_hash.as_bytes()
    }
}

#[derive(Clone)]
pub struct Backend {
    pub db: Db,
}

#[derive(Clone, serde::Deserialize)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl AuthnBackend for Backend {
    type User = User;
    type Credentials = Credentials;
    type Error = WebError;

    async fn authenticate(&self, c: Credentials) -> Result<Option<User>> {
        let Some(rec) = self.db.user(&c.username).await? else {
            return Ok(None);
        };
        let hash = rec.password_hash.clone();
        let ok = tokio::task::spawn_blocking(move || verify_password(&c.password, &hash))
            .await
            .map_err(|e| WebError::Internal(format!("password check: {e}")))?;
        Ok(ok.then_some(User { username: rec.username, role: rec.role, password_hash: rec.password_hash }))
    }

    async fn get_user(&self, id: &UserId<Self>) -> Result<Option<User>> {
        Ok(self.db.user(id).await?.map(|r| User { username: r.username, role: r.role, password_hash: r.password_hash }))
    }
}

pub fn random_hex(bytes: usize) -> String {
    use rand::Rng;
    let mut b = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// argon2id with the crate's default parameters and a random salt.
pub fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    {
        use rand::Rng;
        rand::rng().fill_bytes(&mut salt);
    }
    let salt = SaltString::encode_b64(&salt).map_err(|e| WebError::Internal(format!("salt: {e}")))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| WebError::Internal(format!("hash: {e}")))?
        .to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
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
/// → 403, then the one authorisation rule.
pub async fn authorize(auth: &AuthSession, csrf: Option<&str>, action: Action) -> Result<Actor> {
    let actor = actor(auth);
    if actor.role == Role::Public {
        actor.may(action)?;
    }
    check_csrf(&auth.session, csrf).await?;
    actor.may(action)?;
    Ok(actor)
}

/// Failed sign-ins per user name and per client address: at most [`LoginLimiter::MAX`] in
/// [`LoginLimiter::WINDOW`]; a success clears the user name's count.
#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginLimiter {
    pub const MAX: u32 = 5;
    pub const WINDOW: Duration = Duration::from_secs(15 * 60);

    pub fn check(&self, keys: &[String]) -> Result<()> {
        let map = self.failures.lock().expect("limiter lock");
        for k in keys {
            if let Some((n, since)) = map.get(k)
                && *n >= Self::MAX
                && since.elapsed() < Self::WINDOW
            {
                let left = (Self::WINDOW - since.elapsed()).as_secs().div_ceil(60);
                return Err(WebError::TooManyAttempts(left));
            }
        }
        Ok(())
    }

    pub fn failed(&self, keys: &[String]) {
        let mut map = self.failures.lock().expect("limiter lock");
        for k in keys {
            let e = map.entry(k.clone()).or_insert((0, Instant::now()));
            if e.1.elapsed() >= Self::WINDOW {
                *e = (0, Instant::now());
            }
            e.0 += 1;
        }
    }

    pub fn succeeded(&self, username_key: &str) {
        self.failures.lock().expect("limiter lock").remove(username_key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2_hashes_verify_and_differ_per_salt() {
        let a = hash_password("correct horse").unwrap();
        let b = hash_password("correct horse").unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b);
        assert!(verify_password("correct horse", &a));
        assert!(!verify_password("wrong", &a));
    }

    #[test]
    fn the_limiter_blocks_after_five_failures() {
        let l = LoginLimiter::default();
        let k = vec!["user:x".to_string()];
        for _ in 0..LoginLimiter::MAX {
            assert!(l.check(&k).is_ok());
            l.failed(&k);
        }
        assert!(matches!(l.check(&k), Err(WebError::TooManyAttempts(_))));
        l.succeeded("user:x");
        assert!(l.check(&k).is_ok());
    }
}
