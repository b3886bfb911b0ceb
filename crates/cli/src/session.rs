//! Who acts on the command line: an account, never a self-declared role. Writes sign in
//! with `--user NAME` and the password in `SPREIDING_PASSWORD`, or with an API token in
//! `SPREIDING_TOKEN` (`spreiding user token NAME` issues one). `--as` may remain, but only
//! as an assertion that must match the account's role. `--date` is honoured only in a
//! sandbox database.

use chrono::NaiveDate;
use spreiding_core::actor::Role;
use spreiding_store::{Act, DbKind, Principal, Store, StoreError};

use crate::error::{CliError, Result};

/// Identity and date options of every command that writes.
#[derive(clap::Args, Clone, Default)]
pub struct Identity {
    /// Sign in as this account; the password comes from SPREIDING_PASSWORD (or use
    /// SPREIDING_TOKEN instead).
    #[arg(long, env = "SPREIDING_USER", global = true)]
    pub user: Option<String>,
    /// Assert the account's role, e.g. municipality:GM0363 (refused when it differs; the
    /// role always comes from the account).
    #[arg(long = "as", value_name = "ROLE[:CODE]", global = true)]
    pub as_role: Option<String>,
    /// The date the act takes effect, YYYY-MM-DD: only in a sandbox database (the legal
    /// record takes today's date in Europe/Amsterdam).
    #[arg(long, global = true)]
    pub date: Option<NaiveDate>,
    /// Reason recorded with the act; a deadline override, an amendment, a revision and a
    /// decision on an objection need one.
    #[arg(long, global = true)]
    pub reason: Option<String>,
}

pub(crate) fn store_err(e: StoreError) -> CliError {
    match e {
        StoreError::Invalid(_) | StoreError::InvalidRow { .. } | StoreError::NotFound(_) => {
            CliError::Input(e.to_string())
        }
        StoreError::Conflict(_) | StoreError::Denied(_) => CliError::Refused(e.to_string()),
        StoreError::Tampered { .. } | StoreError::Database(_) => CliError::Other(e.to_string()),
    }
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Other(format!("cannot start the async runtime: {e}")))
}

/// Open the database (DATABASE_URL or ./spreiding.db) and say on stderr when it is not the
/// legal record.
pub(crate) async fn connect(database: Option<&str>) -> Result<Store> {
    let url = database.map(str::to_string).unwrap_or_else(Store::default_url);
    let store = Store::connect(&url).await.map_err(store_err)?;
    match store.kind() {
        DbKind::Legal => {}
        DbKind::Sandbox => eprintln!("SANDBOX database: not the legal record; dates may be chosen (--date)"),
        DbKind::Demo => eprintln!("DEMO database: synthetic demonstration data, not the legal record"),
    }
    Ok(store)
}

impl Identity {
    /// The authenticated account: a token, else `--user` with SPREIDING_PASSWORD.
    pub async fn principal(&self, store: &Store) -> Result<Principal> {
        let token = std::env::var("SPREIDING_TOKEN").ok().filter(|t| !t.trim().is_empty());
        let p = match (token, &self.user) {
            (Some(t), _) => store.authenticate_token(&t).await.map_err(store_err)?,
            (None, Some(u)) => {
                let pw = std::env::var("SPREIDING_PASSWORD").map_err(|_| {
                    CliError::Refused(format!(
                        "sign in: set SPREIDING_PASSWORD for --user {u} (or use SPREIDING_TOKEN)"
                    ))
                })?;
                store.authenticate_password(u, &pw).await.map_err(store_err)?
            }
            (None, None) => {
                return Err(CliError::Refused(
                    "sign in first: this command writes to the record. Give --user NAME with SPREIDING_PASSWORD, or set \
                     SPREIDING_TOKEN (spreiding user token NAME issues one)"
                        .into(),
                ));
            }
        };
        if let Some(a) = &self.as_role {
            let claimed: Role = a.parse()?;
            if claimed != p.role() {
                return Err(CliError::Refused(format!(
                    "--as {claimed} does not match the account {}: its role is {}",
                    p.username(),
                    p.role()
                )));
            }
        }
        Ok(p)
    }

    /// The act of the signed-in account on `--date` (sandbox) or today.
    pub async fn act(&self, store: &Store) -> Result<Act> {
        let p = self.principal(store).await?;
        store.act(&p, self.date, self.reason.clone()).await.map_err(store_err)
    }

    /// The date a read (status) is for: `--date`, else the record's today.
    pub async fn on(&self, store: &Store) -> Result<NaiveDate> {
        match self.date {
            Some(d) => Ok(d),
            None => store.today().await.map_err(store_err),
        }
    }
}
