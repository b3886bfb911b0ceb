//! Accounts, passwords, API tokens, portal sessions and sign-in failures.
//!
//! One set of accounts for the portal and the command line: a role is the role of an
//! account, never a self-declared one. Passwords are argon2id PHC strings; API tokens are
//! random secrets of which only a SHA-256 is stored, revocable. Every account change
//! (add, disable, enable, reset password, change role, issue or revoke a token) is audited,
//! without secrets. Authorisation is the core's rule (`Action::ManageUsers`); the first
//! account of an empty database is the bootstrap and needs no rights.
//!
//! Personal data is minimal and pseudonymous (GDPR art. 5(1)(c)): a login name and a role,
//! no real names, e-mail or addresses; the public sees roles and organisations, never login
//! names.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::Serialize;
use sha2::{Digest, Sha256};
use spreiding_core::actor::{Action, Denied, Role};
use sqlx::Row;

use crate::audit::{self, Entry};
use crate::error::{Result, StoreError};
use crate::{Act, ActorKind, Principal, Store, now};

/// Shortest password accepted (NCSC guidance favours length over composition).
pub const MIN_PASSWORD_CHARS: usize = 12;

/// An account as the administrator sees it (no password hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Account {
    pub username: String,
    pub role: Role,
    pub created_at: String,
    pub disabled_at: Option<String>,
}

/// A token's public facts (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    pub id: String,
    pub username: String,
    pub label: String,
    pub created_at: String,
    pub created_by: String,
    pub revoked_at: Option<String>,
}

/// A newly issued token: the secret is shown once and never stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedToken {
    pub id: String,
    /// `spr_<id>_<secret>`: what the user puts in `SPREIDING_TOKEN`.
    pub token: String,
}

/// The answer to a sign-in, the same whether the account does not exist, is disabled or
/// the password is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoginOutcome {
    Ok(Principal),
    Refused,
}

/// The refusal message of every failed authentication: it never says which part was wrong.
pub const REFUSED: &str = "sign-in refused: the user name or password is wrong, or the account is disabled";

fn random_hex(bytes: usize) -> String {
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
    let salt = SaltString::encode_b64(&salt).map_err(|e| StoreError::Database(format!("salt: {e}")))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| StoreError::Database(format!("hash: {e}")))?
        .to_string())
}

/// Check a password against a PHC hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// Concurrent argon2 verifications: one per available core.
static VERIFY_SLOTS: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2))
});

/// A fixed argon2id hash of a random string, verified when the account does not exist so
/// that a refusal takes the same time either way.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password(&random_hex(16)).expect("hashing works"));

/// Check a login name: 1–64 of `a–z A–Z 0–9 . _ -`.
pub fn check_username(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 64 || !name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) {
        return Err(StoreError::Invalid(format!(
            "username: '{name}' is not a user name: use 1 to 64 letters, digits, '.', '_' or '-'"
        )));
    }
    Ok(())
}

/// Check a new password: at least [`MIN_PASSWORD_CHARS`] characters.
pub fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(StoreError::Invalid(format!("password: use at least {MIN_PASSWORD_CHARS} characters")));
    }
    Ok(())
}

fn region_of(role: Role) -> Option<String> {
    match role {
        Role::Province(p) => Some(p.to_string()),
        Role::Municipality(g) => Some(g.to_string()),
        _ => None,
    }
}

fn role_of(kind: &str, region: Option<&str>, user: &str) -> Result<Role> {
    Role::parse(kind, region).map_err(|e| StoreError::Database(format!("account {user}: {e}")))
}

impl Store {
    fn check_role(&self, role: Role) -> Result<()> {
        match role {
            Role::Public => Err(StoreError::Invalid("role: the public needs no account; choose another role".into())),
            Role::Municipality(g) if self.nl.municipality(g).is_none() => Err(StoreError::Invalid(format!(
                "role: {g} is not one of the {} municipalities",
                self.nl.municipalities.len()
            ))),
            Role::Province(p) if self.nl.province(p).is_none() => {
                Err(StoreError::Invalid(format!("role: {p} is not one of the 12 provinces")))
            }
            _ => Ok(()),
        }
    }

    /// How many accounts exist (0: the next account is the bootstrap).
    pub async fn account_count(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM web_users").fetch_one(&self.pool).await?.try_get("n")?)
    }

    /// Every account, by name.
    pub async fn accounts(&self) -> Result<Vec<Account>> {
        let rows =
            sqlx::query("SELECT username, role, region, created_at, disabled_at FROM web_users ORDER BY username")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                let u: String = r.try_get("username")?;
                Ok(Account {
                    role: role_of(
                        &r.try_get::<String, _>("role")?,
                        r.try_get::<Option<String>, _>("region")?.as_deref(),
                        &u,
                    )?,
                    created_at: r.try_get("created_at")?,
                    disabled_at: r.try_get("disabled_at")?,
                    username: u,
                })
            })
            .collect()
    }

    /// One account.
    pub async fn account(&self, username: &str) -> Result<Account> {
        self.accounts()
            .await?
            .into_iter()
            .find(|a| a.username == username)
            .ok_or_else(|| StoreError::NotFound(format!("there is no account '{username}'")))
    }

    /// The first account of an empty database: needs no rights (there is nobody to grant
    /// them), audited as the bootstrap. Refused once any account exists.
    pub async fn bootstrap_account(&self, username: &str, password: &str, role: Role) -> Result<Principal> {
        check_username(username)?;
        check_password(password)?;
        self.check_role(role)?;
        let hash = hash_password(password)?;
        let today = self.today().await?;
        let mut tx = self.begin().await?;
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM web_users").fetch_one(&mut *tx).await?.try_get("n")?;
        if n > 0 {
            return Err(StoreError::Denied(Denied::Unauthenticated(
                "accounts exist already: sign in as an account administrator (--user NAME with SPREIDING_PASSWORD, or \
                 SPREIDING_TOKEN) to add one"
                    .into(),
            )));
        }
        insert_account(&mut tx, username, &hash, role).await?;
        let principal = Principal::new(username.to_string(), role);
        let act = Act { actor: principal.actor(), kind: ActorKind::Account, on: today, reason: None };
        audit::append(
            &mut tx,
            &act,
            Entry {
                action: "account.bootstrap",
                cycle_id: None,
                subject: format!("first account {username} ({role}) created in an empty database"),
                reason: None,
                before: serde_json::Value::Null,
                after: serde_json::json!({"username": username, "role": role.to_string()}),
                touches: vec![crate::replay::touch!("web_users", username)],
            },
        )
        .await?;
        self.commit(tx, "account.bootstrap").await?;
        Ok(principal)
    }

    /// Add an account (`ManageUsers`).
    pub async fn add_account(&self, act: &Act, username: &str, password: &str, role: Role) -> Result<Account> {
        act.actor.may(Action::ManageUsers)?;
        check_username(username)?;
        check_password(password)?;
        self.check_role(role)?;
        let hash = hash_password(password)?;
        let mut tx = self.begin().await?;
        let exists = sqlx::query("SELECT username FROM web_users WHERE username = $1")
            .bind(username)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_some() {
            return Err(StoreError::Conflict(format!("username: '{username}' exists already: choose another name")));
        }
        insert_account(&mut tx, username, &hash, role).await?;
        audit::append(
            &mut tx,
            act,
            Entry {
                action: "account.add",
                cycle_id: None,
                subject: format!("account {username} added with role {role}"),
                reason: None,
                before: serde_json::Value::Null,
                after: serde_json::json!({"username": username, "role": role.to_string()}),
                touches: vec![crate::replay::touch!("web_users", username)],
            },
        )
        .await?;
        self.commit(tx, "account.add").await?;
        self.account(username).await
    }

    /// Disable (or enable again) an account (`ManageUsers`): a disabled account cannot sign
    /// in, its sessions end and its tokens stop working. Accounts are never deleted.
    pub async fn set_account_disabled(&self, act: &Act, username: &str, disabled: bool) -> Result<Account> {
        act.actor.may(Action::ManageUsers)?;
        if disabled && act.actor.name == username {
            return Err(StoreError::Conflict("you cannot disable your own account".into()));
        }
        let before = self.account(username).await?;
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE web_users SET disabled_at = $1, updated_at = $2 WHERE username = $3")
            .bind(disabled.then(now))
            .bind(now())
            .bind(username)
            .execute(&mut *tx)
            .await?;
        audit::append(
            &mut tx,
            act,
            Entry {
                action: if disabled { "account.disable" } else { "account.enable" },
                cycle_id: None,
                subject: format!("account {username} {}", if disabled { "disabled" } else { "enabled" }),
                reason: None,
                before: serde_json::json!({"disabled": before.disabled_at.is_some()}),
                after: serde_json::json!({"disabled": disabled}),
                touches: vec![crate::replay::touch!("web_users", username)],
            },
        )
        .await?;
        self.commit(tx, "account.disable").await?;
        self.account(username).await
    }

    /// Set a new password (`ManageUsers`, or the account itself). Existing sessions end.
    pub async fn reset_password(&self, act: &Act, username: &str, password: &str) -> Result<()> {
        if act.actor.name != username {
            act.actor.may(Action::ManageUsers)?;
        }
        check_password(password)?;
        self.account(username).await?;
        let hash = hash_password(password)?;
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE web_users SET password_hash = $1, updated_at = $2 WHERE username = $3")
            .bind(&hash)
            .bind(now())
            .bind(username)
            .execute(&mut *tx)
            .await?;
        audit::append(
            &mut tx,
            act,
            Entry {
                action: "account.password",
                cycle_id: None,
                subject: format!("password of {username} reset"),
                reason: None,
                before: serde_json::Value::Null,
                after: serde_json::Value::Null,
                touches: vec![crate::replay::touch!("web_users", username)],
            },
        )
        .await?;
        self.commit(tx, "account.password").await
    }

    /// Change an account's role (`ManageUsers`); its sessions end.
    pub async fn change_role(&self, act: &Act, username: &str, role: Role) -> Result<Account> {
        act.actor.may(Action::ManageUsers)?;
        self.check_role(role)?;
        let before = self.account(username).await?;
        if act.actor.name == username && role != before.role {
            return Err(StoreError::Conflict("you cannot change your own role: ask another administrator".into()));
        }
        let mut tx = self.begin().await?;
        // Changing the stored hash's companion column ends sessions: see `session_auth_hash`.
        sqlx::query("UPDATE web_users SET role = $1, region = $2, updated_at = $3 WHERE username = $4")
            .bind(role.kind())
            .bind(region_of(role))
            .bind(now())
            .bind(username)
            .execute(&mut *tx)
            .await?;
        audit::append(
            &mut tx,
            act,
            Entry {
                action: "account.role",
                cycle_id: None,
                subject: format!("role of {username} changed from {} to {role}", before.role),
                reason: None,
                before: serde_json::json!({"role": before.role.to_string()}),
                after: serde_json::json!({"role": role.to_string()}),
                touches: vec![crate::replay::touch!("web_users", username)],
            },
        )
        .await?;
        self.commit(tx, "account.role").await?;
        self.account(username).await
    }

    /// Issue an API token for `username` (`ManageUsers`, or the account itself). The secret
    /// is returned once; only its SHA-256 is kept.
    pub async fn issue_token(&self, act: &Act, username: &str, label: &str) -> Result<IssuedToken> {
        if act.actor.name != username {
            act.actor.may(Action::ManageUsers)?;
        }
        let acc = self.account(username).await?;
        if acc.disabled_at.is_some() {
            return Err(StoreError::Conflict(format!("account {username} is disabled: enable it first")));
        }
        let label = label.trim();
        if label.chars().count() > 100 {
            return Err(StoreError::Invalid("label: at most 100 characters".into()));
        }
        let id = random_hex(6);
        let secret = random_hex(24);
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO api_tokens (id, username, secret_hash, label, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(username)
        .bind(hex::encode(Sha256::digest(secret.as_bytes())))
        .bind(label)
        .bind(now())
        .bind(&act.actor.name)
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            act,
            Entry {
                action: "token.issue",
                cycle_id: None,
                subject: format!(
                    "API token {id} issued for {username}{}",
                    if label.is_empty() { String::new() } else { format!(" ({label})") }
                ),
                reason: None,
                before: serde_json::Value::Null,
                after: serde_json::json!({"token": id, "username": username}),
                touches: vec![crate::replay::touch!("api_tokens", id.as_str())],
            },
        )
        .await?;
        self.commit(tx, "token.issue").await?;
        Ok(IssuedToken { token: format!("spr_{id}_{secret}"), id })
    }

    /// Revoke a token (`ManageUsers`, or its owner).
    pub async fn revoke_token(&self, act: &Act, id: &str) -> Result<TokenInfo> {
        let t = self
            .tokens(None)
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or_else(|| StoreError::NotFound(format!("there is no token '{id}'")))?;
        if t.username != act.actor.name {
            act.actor.may(Action::ManageUsers)?;
        }
        if t.revoked_at.is_some() {
            return Err(StoreError::Conflict(format!("token {id} was already revoked")));
        }
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2")
            .bind(now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit::append(
            &mut tx,
            act,
            Entry {
                action: "token.revoke",
                cycle_id: None,
                subject: format!("API token {id} of {} revoked", t.username),
                reason: None,
                before: serde_json::json!({"revoked": false}),
                after: serde_json::json!({"revoked": true}),
                touches: vec![crate::replay::touch!("api_tokens", id)],
            },
        )
        .await?;
        self.commit(tx, "token.revoke").await?;
        Ok(self.tokens(None).await?.into_iter().find(|x| x.id == id).expect("just revoked"))
    }

    /// Tokens, of one account or all.
    pub async fn tokens(&self, username: Option<&str>) -> Result<Vec<TokenInfo>> {
        let rows = sqlx::query(
            "SELECT id, username, label, created_at, created_by, revoked_at FROM api_tokens ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let t = TokenInfo {
                id: r.try_get("id")?,
                username: r.try_get("username")?,
                label: r.try_get("label")?,
                created_at: r.try_get("created_at")?,
                created_by: r.try_get("created_by")?,
                revoked_at: r.try_get("revoked_at")?,
            };
            if username.is_none_or(|u| u == t.username) {
                out.push(t);
            }
        }
        Ok(out)
    }

    /// Sign in with a password. The answer (and its timing: argon2 runs either way) does
    /// not tell whether the account exists.
    pub async fn login(&self, username: &str, password: &str) -> Result<LoginOutcome> {
        let row =
            sqlx::query("SELECT username, password_hash, role, region, disabled_at FROM web_users WHERE username = $1")
                .bind(username)
                .fetch_optional(&self.pool)
                .await?;
        let (hash, found) = match &row {
            Some(r) => (r.try_get::<String, _>("password_hash")?, true),
            None => (DUMMY_HASH.clone(), false),
        };
        let pw = password.to_string();
        // At most one argon2 verification per core at a time: a burst of sign-ins is served
        // in order instead of all at once (each takes 19 MiB; hundreds in parallel would
        // exhaust memory and make every one of them time out).
        let _slot = VERIFY_SLOTS.acquire().await.map_err(|e| StoreError::Database(format!("password check: {e}")))?;
        let ok = tokio::task::spawn_blocking(move || verify_password(&pw, &hash))
            .await
            .map_err(|e| StoreError::Database(format!("password check: {e}")))?;
        match row {
            Some(r) if ok && found && r.try_get::<Option<String>, _>("disabled_at")?.is_none() => {
                let role = role_of(
                    &r.try_get::<String, _>("role")?,
                    r.try_get::<Option<String>, _>("region")?.as_deref(),
                    username,
                )?;
                Ok(LoginOutcome::Ok(Principal::new(username.to_string(), role)))
            }
            _ => Ok(LoginOutcome::Refused),
        }
    }

    /// Authenticate a password for the command line: the principal, or the one refusal.
    pub async fn authenticate_password(&self, username: &str, password: &str) -> Result<Principal> {
        match self.login(username, password).await? {
            LoginOutcome::Ok(p) => Ok(p),
            LoginOutcome::Refused => Err(StoreError::Denied(Denied::Unauthenticated(REFUSED.into()))),
        }
    }

    /// Authenticate an API token `spr_<id>_<secret>`: unknown, revoked, malformed or of a
    /// disabled account — the same refusal.
    pub async fn authenticate_token(&self, token: &str) -> Result<Principal> {
        let refused = || {
            StoreError::Denied(Denied::Unauthenticated(
                "the API token is not valid: it is unknown, revoked or malformed, or its account is disabled".into(),
            ))
        };
        let rest = token.trim().strip_prefix("spr_").ok_or_else(refused)?;
        let (id, secret) = rest.split_once('_').ok_or_else(refused)?;
        let row = sqlx::query(
            "SELECT t.secret_hash, t.revoked_at, u.username, u.role, u.region, u.disabled_at FROM api_tokens t \
             JOIN web_users u ON u.username = t.username WHERE t.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(refused)?;
        let stored: String = row.try_get("secret_hash")?;
        let given = hex::encode(Sha256::digest(secret.as_bytes()));
        let same =
            stored.len() == given.len() && stored.bytes().zip(given.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0;
        if !same
            || row.try_get::<Option<String>, _>("revoked_at")?.is_some()
            || row.try_get::<Option<String>, _>("disabled_at")?.is_some()
        {
            return Err(refused());
        }
        let username: String = row.try_get("username")?;
        let role = role_of(
            &row.try_get::<String, _>("role")?,
            row.try_get::<Option<String>, _>("region")?.as_deref(),
            &username,
        )?;
        Ok(Principal::new(username, role))
    }

    /// The principal of a signed-in portal user (the session keeps the name): the account as
    /// it is now, or `None` when it is gone or disabled.
    pub async fn principal(&self, username: &str) -> Result<Option<(Principal, String)>> {
        let row = sqlx::query("SELECT role, region, password_hash, disabled_at FROM web_users WHERE username = $1")
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
        let Some(r) = row else { return Ok(None) };
        if r.try_get::<Option<String>, _>("disabled_at")?.is_some() {
            return Ok(None);
        }
        let role_kind: String = r.try_get("role")?;
        let region: Option<String> = r.try_get("region")?;
        let role = role_of(&role_kind, region.as_deref(), username)?;
        // Sessions are bound to the password hash and the role: a change of either ends them.
        let session_hash = format!("{}|{}", r.try_get::<String, _>("password_hash")?, role);
        Ok(Some((Principal::new(username.to_string(), role), session_hash)))
    }

    // ---- portal sessions ---------------------------------------------------------------

    /// Load a session record (JSON) unless it expired.
    pub async fn session_load(&self, id: &str) -> Result<Option<String>> {
        let r = sqlx::query("SELECT data, expires_at FROM sessions WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        match r {
            Some(r) if r.try_get::<String, _>("expires_at")? > now() => Ok(Some(r.try_get("data")?)),
            _ => Ok(None),
        }
    }

    /// Create or replace a session record. Returns false when `create_only` and the id exists.
    pub async fn session_save(&self, id: &str, data: &str, expires_at: &str, create_only: bool) -> Result<bool> {
        // One statement each (an upsert), never read-then-write: in SQLite a deferred
        // transaction that reads and then writes fails at once when another writer got in
        // between, whatever the busy timeout.
        let sql = if create_only {
            "INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING"
        } else {
            "INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at"
        };
        let n = sqlx::query(sql).bind(id).bind(data).bind(expires_at).execute(&self.pool).await?.rows_affected();
        Ok(n > 0)
    }

    pub async fn session_delete(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(())
    }

    /// Remove expired sessions; returns how many.
    pub async fn delete_expired_sessions(&self) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now())
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// How many sessions are stored (for tests and monitoring).
    pub async fn session_count(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM sessions").fetch_one(&self.pool).await?.try_get("n")?)
    }

    // ---- sign-in failures --------------------------------------------------------------

    /// Failures and lock of a key (`account|address`).
    pub async fn login_failures(&self, key: &str) -> Result<Option<(i64, Option<String>)>> {
        let r = sqlx::query("SELECT failures, locked_until FROM login_failures WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        r.map(|r| Ok((r.try_get("failures")?, r.try_get("locked_until")?))).transpose()
    }

    /// Record a failure and the lock that follows from it (computed by the caller's policy).
    pub async fn record_login_failure(&self, key: &str, failures: i64, locked_until: Option<&str>) -> Result<()> {
        sqlx::query(
            "INSERT INTO login_failures (key, failures, last_at, locked_until) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, last_at = excluded.last_at, \
             locked_until = excluded.locked_until",
        )
        .bind(key)
        .bind(failures)
        .bind(now())
        .bind(locked_until)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn clear_login_failures(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE key = $1").bind(key).execute(&self.pool).await?;
        Ok(())
    }
}

async fn insert_account(tx: &mut crate::Tx, username: &str, hash: &str, role: Role) -> Result<()> {
    sqlx::query("INSERT INTO web_users (username, password_hash, role, region, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)")
        .bind(username)
        .bind(hash)
        .bind(role.kind())
        .bind(region_of(role))
        .bind(now())
        .execute(&mut **tx)
        .await?;
    Ok(())
}
