//! `spreiding user`: accounts and API tokens — the same accounts as the portal. Every change
//! needs the ManageUsers right (the administrator role), except the very first account of an
//! empty database (the bootstrap), and is audited.

use std::io::BufRead;

use spreiding_core::actor::Role;

use crate::error::{CliError, Result};
use crate::output::{Format, Rows, emit};
use crate::session::{Identity, connect, runtime, store_err};

/// Manage accounts and API tokens.
///
/// The new password of `add` and `reset` is read from SPREIDING_NEW_PASSWORD or, with
/// --password-stdin, from the first line of stdin. You sign in as an administrator with
/// --user NAME and SPREIDING_PASSWORD, or SPREIDING_TOKEN. The first account of an empty
/// database needs no sign-in (the bootstrap) and takes its password from
/// SPREIDING_NEW_PASSWORD or SPREIDING_PASSWORD.
///
/// Examples:
///   SPREIDING_PASSWORD='…' spreiding user add beheer --role admin          (bootstrap)
///   SPREIDING_NEW_PASSWORD='…' spreiding user add amsterdam --role municipality --municipality GM0363 --user beheer
///   spreiding user list --user beheer
///   spreiding user token amsterdam --label laptop --user beheer             prints the token once
///   spreiding user revoke 3fa81c2e0d1b --user beheer
///   spreiding user disable amsterdam --user beheer
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(subcommand)]
    cmd: Sub,
    /// Database URL (as for `serve`).
    #[arg(long, env = "DATABASE_URL", global = true)]
    database: Option<String>,
    #[command(flatten)]
    who: Identity,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Add an account.
    Add {
        /// User name (letters, digits, . _ -): a login name, not a person's real name.
        username: String,
        /// ministry, province, municipality, coa or admin.
        #[arg(long)]
        role: String,
        /// Municipality code for --role municipality, e.g. GM0014.
        #[arg(long)]
        municipality: Option<String>,
        /// Province code for --role province, e.g. PV20.
        #[arg(long)]
        province: Option<String>,
        /// Read the new password from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the accounts (names, roles, state).
    List {
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Disable an account: it can no longer sign in; its sessions and tokens stop working.
    Disable { username: String },
    /// Enable a disabled account again.
    Enable { username: String },
    /// Set a new password (SPREIDING_NEW_PASSWORD or --password-stdin).
    Reset {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change an account's role.
    Role {
        username: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        municipality: Option<String>,
        #[arg(long)]
        province: Option<String>,
    },
    /// Issue an API token for an account (printed once; only its hash is stored).
    Token {
        username: String,
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List tokens (never their secrets).
    Tokens { username: Option<String> },
    /// Revoke a token by its id.
    Revoke { id: String },
}

fn role_of(kind: &str, municipality: Option<&str>, province: Option<&str>) -> Result<Role> {
    let role = Role::parse(kind, municipality.or(province))?;
    match role {
        Role::Municipality(_) if province.is_some() => {
            Err(CliError::Input("--province does not apply to --role municipality: use --municipality GM…".into()))
        }
        Role::Province(_) if municipality.is_some() => {
            Err(CliError::Input("--municipality does not apply to --role province: use --province PV…".into()))
        }
        Role::Ministry | Role::Coa | Role::Admin | Role::Public if municipality.or(province).is_some() => {
            Err(CliError::Input(format!("--role {} takes no --municipality or --province", role.kind())))
        }
        r => Ok(r),
    }
}

/// Reading the accounts also needs the ManageUsers right.
async fn may_manage(store: &spreiding_store::Store, who: &Identity) -> Result<()> {
    let p = who.principal(store).await?;
    p.actor().may(spreiding_core::actor::Action::ManageUsers).map_err(|e| CliError::Refused(e.to_string()))
}

fn new_password(stdin: bool, bootstrap: bool) -> Result<String> {
    if stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| CliError::io("<stdin>", e))?;
        return Ok(line.trim_end_matches(['\n', '\r']).to_string());
    }
    if let Ok(p) = std::env::var("SPREIDING_NEW_PASSWORD") {
        return Ok(p);
    }
    if bootstrap && let Ok(p) = std::env::var("SPREIDING_PASSWORD") {
        return Ok(p);
    }
    Err(CliError::Input("no new password: set SPREIDING_NEW_PASSWORD or pass --password-stdin".into()))
}

pub fn run(args: Args) -> Result<()> {
    runtime()?.block_on(async move {
        let store = connect(args.database.as_deref()).await?;
        let out = run_with(&store, &args.who, args.cmd).await;
        store.close().await;
        out
    })
}

async fn run_with(store: &spreiding_store::Store, who: &Identity, cmd: Sub) -> Result<()> {
    match cmd {
        Sub::Add { username, role, municipality, province, password_stdin } => {
            let role = role_of(&role, municipality.as_deref(), province.as_deref())?;
            if store.account_count().await.map_err(store_err)? == 0 {
                let pw = new_password(password_stdin, true)?;
                store.bootstrap_account(&username, &pw, role).await.map_err(store_err)?;
                println!("added {username} ({role}) — the first account of this database");
                if role != Role::Admin {
                    eprintln!("note: only an administrator (--role admin) can add further accounts");
                }
                return Ok(());
            }
            let pw = new_password(password_stdin, false)?;
            let act = who.act(store).await?;
            let a = store.add_account(&act, &username, &pw, role).await.map_err(store_err)?;
            println!("added {} ({})", a.username, a.role);
        }
        Sub::List { format } => {
            may_manage(store, who).await?;
            let accounts = store.accounts().await.map_err(store_err)?;
            if format == Format::Json {
                return emit(None, &(serde_json::to_string_pretty(&accounts).expect("json") + "\n"));
            }
            let mut rows = Rows::new(&["username", "role", "created_at", "disabled_at"]);
            for a in accounts {
                rows.push(vec![a.username, a.role.to_string(), a.created_at, a.disabled_at.unwrap_or_default()]);
            }
            emit(None, &rows.render(format))?;
        }
        Sub::Disable { username } => {
            let act = who.act(store).await?;
            store.set_account_disabled(&act, &username, true).await.map_err(store_err)?;
            println!("disabled {username}");
        }
        Sub::Enable { username } => {
            let act = who.act(store).await?;
            store.set_account_disabled(&act, &username, false).await.map_err(store_err)?;
            println!("enabled {username}");
        }
        Sub::Reset { username, password_stdin } => {
            let pw = new_password(password_stdin, false)?;
            let act = who.act(store).await?;
            store.reset_password(&act, &username, &pw).await.map_err(store_err)?;
            println!("password of {username} reset");
        }
        Sub::Role { username, role, municipality, province } => {
            let role = role_of(&role, municipality.as_deref(), province.as_deref())?;
            let act = who.act(store).await?;
            let a = store.change_role(&act, &username, role).await.map_err(store_err)?;
            println!("{} is now {}", a.username, a.role);
        }
        Sub::Token { username, label } => {
            let act = who.act(store).await?;
            let t = store.issue_token(&act, &username, &label).await.map_err(store_err)?;
            eprintln!("token {} for {username}: shown once, store it safely (SPREIDING_TOKEN)", t.id);
            println!("{}", t.token);
        }
        Sub::Tokens { username } => {
            may_manage(store, who).await?;
            let mut rows = Rows::new(&["id", "username", "label", "created_at", "created_by", "revoked_at"]);
            for t in store.tokens(username.as_deref()).await.map_err(store_err)? {
                rows.push(vec![
                    t.id,
                    t.username,
                    t.label,
                    t.created_at,
                    t.created_by,
                    t.revoked_at.unwrap_or_default(),
                ]);
            }
            emit(None, &rows.render(Format::Table))?;
        }
        Sub::Revoke { id } => {
            let act = who.act(store).await?;
            let t = store.revoke_token(&act, &id).await.map_err(store_err)?;
            println!("token {} of {} revoked", t.id, t.username);
        }
    }
    Ok(())
}
