//! `spreiding user add`: bootstrap portal accounts.

use std::io::BufRead;

use spreiding_core::actor::Role;

use crate::error::{CliError, Result};

/// Manage portal accounts.
///
/// Examples:
///   spreiding user add alice --role municipality --municipality GM0014
///   spreiding user add cdk-groningen --role province --province PV20
///   echo 's3cret-pass' | spreiding user add minister --role ministry --password-stdin
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(subcommand)]
    cmd: Sub,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Add an account (the password is read from SPREIDING_PASSWORD or, with --password-stdin, from stdin).
    Add {
        /// User name (letters, digits, . _ -).
        username: String,
        /// ministry, province, municipality, coa or public.
        #[arg(long)]
        role: String,
        /// Municipality code for --role municipality, e.g. GM0014.
        #[arg(long)]
        municipality: Option<String>,
        /// Province code for --role province, e.g. PV20.
        #[arg(long)]
        province: Option<String>,
        /// Read the password from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
        /// Database URL (as for `serve`).
        #[arg(long, env = "DATABASE_URL")]
        database: Option<String>,
    },
}

pub fn run(args: Args) -> Result<()> {
    let Sub::Add { username, role, municipality, province, password_stdin, database } = args.cmd;
    if username.is_empty()
        || username.len() > 64
        || !username.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(CliError::Input(format!("user name '{username}': use 1 to 64 letters, digits, '.', '_' or '-'")));
    }
    let region = municipality.as_deref().or(province.as_deref());
    let role = Role::parse(&role, region)?;
    match role {
        Role::Municipality(_) if province.is_some() => {
            return Err(CliError::Input(
                "--province does not apply to --role municipality: use --municipality GM…".into(),
            ));
        }
        Role::Province(_) if municipality.is_some() => {
            return Err(CliError::Input("--municipality does not apply to --role province: use --province PV…".into()));
        }
        Role::Ministry | Role::Coa | Role::Public if region.is_some() => {
            return Err(CliError::Input(format!("--role {} takes no --municipality or --province", role.kind())));
        }
        _ => {}
    }
    if let Role::Municipality(g) = role {
        let nl = spreiding_core::bundled::netherlands()?;
        if nl.municipality(g).is_none() {
            return Err(CliError::Input(format!(
                "--municipality {g}: not one of the 342 municipalities (see `spreiding key`)"
            )));
        }
    }
    let password = if password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| CliError::io("<stdin>", e))?;
        line.trim_end_matches(['\n', '\r']).to_string()
    } else {
        std::env::var("SPREIDING_PASSWORD")
            .map_err(|_| CliError::Input("no password: set SPREIDING_PASSWORD or pass --password-stdin".into()))?
    };
    if password.chars().count() < 10 {
        return Err(CliError::Input("password: use at least 10 characters".into()));
    }
    let rt = tokio::runtime::Runtime::new().map_err(|e| CliError::Other(format!("cannot start the runtime: {e}")))?;
    rt.block_on(async {
        let database = database.unwrap_or_else(spreiding_store::Store::default_url);
        let db = spreiding_web::db::Db::open(&database).await?;
        let hash = spreiding_web::auth::hash_password(&password)?;
        let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        db.add_user(&username, &hash, role, &now).await
    })
    .map_err(|e| match e {
        spreiding_web::WebError::Conflict(m) => CliError::Input(m),
        other => CliError::Other(other.to_string()),
    })?;
    println!("added {username} ({role})");
    Ok(())
}
