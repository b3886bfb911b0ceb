//! `spreiding audit`: read, export, sign and verify the hash-chained audit trail.

use std::path::{Path, PathBuf};

use spreiding_store::audit::{generate_key_pem, key_fingerprint, public_key_from_pem, signing_key_from_pem};
use spreiding_store::{AuditRecord, Checkpoint};

use crate::cycle::{connect, runtime, store_err};
use crate::error::{CliError, Result};
use crate::output::{Format, emit, table};

/// The audit trail: who did what, when and why, hash-chained and signed.
///
/// Examples:
///   spreiding audit verify                 chain, published checkpoints and state tables (exit 1 when broken)
///   spreiding audit keygen --out keys/audit        private key keys/audit (0600), public key keys/audit.pub
///   spreiding audit checkpoint --key keys/audit > cp.json   sign the head; keep cp.json elsewhere
///   spreiding audit verify --checkpoint cp.json --public-key keys/audit.pub
///   spreiding audit export --format jsonl > trail.jsonl     python3 tools/verify_audit.py trail.jsonl
///   spreiding audit log --cycle 2024 --format csv
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
    /// Database URL (see `spreiding cycle --help`).
    #[arg(long, env = "DATABASE_URL", global = true)]
    database: Option<String>,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Check every record's hash and link, the published checkpoints, an outside checkpoint,
    /// and every row of the record's tables against the replayed log; fail naming each
    /// record, checkpoint or table row that does not hold.
    Verify {
        /// A checkpoint kept outside the database (the JSON `audit checkpoint` printed).
        #[arg(long, requires = "public_key")]
        checkpoint: Option<PathBuf>,
        /// The public key you trust for that checkpoint (PREFIX.pub from `audit keygen`).
        #[arg(long, requires = "checkpoint")]
        public_key: Option<PathBuf>,
        /// `json` prints the full report.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Make an Ed25519 key pair for checkpoints: the private key to PREFIX (mode 0600),
    /// the public key to PREFIX.pub. Keep the private key outside the database's machine
    /// backups; publish the public key.
    Keygen {
        #[arg(long)]
        out: PathBuf,
        /// Overwrite existing files.
        #[arg(long)]
        force: bool,
    },
    /// Sign the current head with the private key, publish the checkpoint in the record
    /// (dashboard, API) and print it as JSON: keep a copy outside the database.
    Checkpoint {
        /// The private key file (PREFIX from `audit keygen`).
        #[arg(long)]
        key: PathBuf,
        /// Why (shown with the checkpoint).
        #[arg(long, default_value = "manual")]
        reason: String,
    },
    /// Export the trail for third parties: one JSON record per line (`jsonl`), with every
    /// field the hash covers.
    Export {
        #[arg(long, value_enum, default_value = "jsonl")]
        format: ExportFormat,
        /// Write to this file instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print the trail (all cycles, or one).
    Log {
        #[arg(long)]
        cycle: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ExportFormat {
    Jsonl,
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| CliError::io(path, e))
}

pub fn run(args: Args) -> Result<()> {
    if let Sub::Keygen { out, force } = &args.command {
        return keygen(out, *force);
    }
    runtime()?.block_on(async move {
        let store = connect(args.database.as_deref()).await?;
        let out = match args.command {
            Sub::Keygen { .. } => unreachable!("handled above"),
            Sub::Verify { checkpoint, public_key, format } => {
                verify(&store, checkpoint.as_deref(), public_key.as_deref(), format).await
            }
            Sub::Checkpoint { key, reason } => {
                let sk = signing_key_from_pem(&key.display().to_string(), &read(&key)?).map_err(store_err)?;
                let cp = store.checkpoint(&sk, &reason).await.map_err(store_err)?;
                emit(None, &(serde_json::to_string_pretty(&cp).expect("json") + "\n"))
            }
            Sub::Export { format: ExportFormat::Jsonl, out } => {
                let log = store.audit_log(None).await.map_err(store_err)?;
                let mut text = String::new();
                for r in &log {
                    text.push_str(&serde_json::to_string(r).expect("json"));
                    text.push('\n');
                }
                emit(out.as_deref(), &text)
            }
            Sub::Log { cycle, format } => {
                let log = store.audit_log(cycle.as_deref()).await.map_err(store_err)?;
                emit(None, &render_log(&log, format))
            }
        };
        store.close().await;
        out
    })
}

async fn verify(
    store: &spreiding_store::Store,
    checkpoint: Option<&Path>,
    public_key: Option<&Path>,
    format: Format,
) -> Result<()> {
    let external = match (checkpoint, public_key) {
        (Some(c), Some(k)) => {
            let cp: Checkpoint = serde_json::from_str(&read(c)?).map_err(|e| {
                CliError::Input(format!(
                    "{}: not a checkpoint ({e}); use the JSON `spreiding audit checkpoint` printed",
                    c.display()
                ))
            })?;
            let pk = public_key_from_pem(&k.display().to_string(), &read(k)?).map_err(store_err)?;
            Some((cp, pk))
        }
        _ => None,
    };
    let report = store.verify_record(external.as_ref().map(|(c, k)| (c, k))).await.map_err(store_err)?;
    if matches!(format, Format::Json) {
        emit(None, &(serde_json::to_string_pretty(&report).expect("json") + "\n"))?;
    } else {
        for p in &report.problems {
            eprintln!("NOT OK: {p}");
        }
    }
    if let Some(f) = report.failure() {
        return Err(CliError::Other(format!("audit trail does not hold: {f}")));
    }
    if !matches!(format, Format::Json) {
        let ext = match &external {
            Some((cp, key)) => {
                format!("; checkpoint {} of {} holds for key {}", cp.seq, cp.signed_at, key_fingerprint(key))
            }
            None => String::new(),
        };
        println!(
            "audit trail intact: {} records, head {}; {} published checkpoints hold; {} rows of the record match the \
             log{ext}",
            report.records, report.head_hash, report.checkpoints, report.rows
        );
    }
    Ok(())
}

fn keygen(out: &Path, force: bool) -> Result<()> {
    let public = PathBuf::from(format!("{}.pub", out.display()));
    for p in [out, public.as_path()] {
        if p.exists() && !force {
            return Err(CliError::Refused(format!(
                "{}: exists already; choose another --out or add --force to replace the key (old checkpoints stay \
                 verifiable with the old public key only)",
                p.display()
            )));
        }
    }
    let (private_pem, public_pem) = generate_key_pem().map_err(store_err)?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| CliError::io(dir, e))?;
    }
    write_private(out, &private_pem)?;
    std::fs::write(&public, &public_pem).map_err(|e| CliError::io(&public, e))?;
    let pk = public_key_from_pem(&public.display().to_string(), &public_pem).map_err(store_err)?;
    println!(
        "private key: {} (keep it secret, outside the database and its backups)\npublic key:  {} (publish it; \
         fingerprint {})",
        out.display(),
        public.display(),
        key_fingerprint(&pk)
    );
    Ok(())
}

/// Write the private key readable by its owner only.
fn write_private(path: &Path, pem: &str) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| CliError::io(path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(|e| CliError::io(path, e))?;
    }
    f.write_all(pem.as_bytes()).map_err(|e| CliError::io(path, e))
}

pub fn render_log(log: &[AuditRecord], format: Format) -> String {
    match format {
        Format::Json => serde_json::to_string_pretty(log).expect("json") + "\n",
        Format::Csv => {
            let rows: Vec<Vec<String>> = log
                .iter()
                .map(|r| {
                    vec![
                        r.seq.to_string(),
                        r.recorded_at.clone(),
                        r.effective_date.clone(),
                        r.actor.clone(),
                        r.role.clone(),
                        r.action.clone(),
                        r.cycle_id.clone().unwrap_or_default(),
                        r.subject.clone(),
                        r.reason.clone().unwrap_or_default(),
                        r.before_json.clone(),
                        r.after_json.clone(),
                        r.prev_hash.clone(),
                        r.hash.clone(),
                    ]
                })
                .collect();
            crate::output::csv_text(
                &[
                    "seq",
                    "recorded_at",
                    "effective_date",
                    "actor",
                    "role",
                    "action",
                    "cycle_id",
                    "subject",
                    "reason",
                    "before",
                    "after",
                    "prev_hash",
                    "hash",
                ],
                &rows,
            )
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = log
                .iter()
                .map(|r| {
                    vec![
                        r.seq.to_string(),
                        r.effective_date.clone(),
                        format!("{} ({})", r.actor, r.role),
                        r.action.clone(),
                        r.subject.clone(),
                        r.reason.clone().unwrap_or_default(),
                        r.hash[..12].to_string(),
                    ]
                })
                .collect();
            table(&["seq", "date", "who", "action", "what", "why", "hash"], &rows)
        }
    }
}
