//! `spreiding audit`: read and verify the hash-chained audit trail.

use spreiding_store::AuditRecord;

use crate::cycle::{connect, runtime, store_err};
use crate::error::Result;
use crate::output::{Format, emit, table};

/// The audit trail: who did what, when and why, hash-chained.
///
/// Examples:
///   spreiding audit verify                 check every record and link (exit 1 when broken)
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
    /// Recompute every record's hash and link; fail naming the first edited or deleted record.
    Verify,
    /// Print the trail (all cycles, or one).
    Log {
        #[arg(long)]
        cycle: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

pub fn run(args: Args) -> Result<()> {
    runtime()?.block_on(async move {
        let store = connect(args.database.as_deref()).await?;
        let out = match args.command {
            Sub::Verify => match store.verify_audit().await {
                Ok(r) => {
                    println!("audit trail intact: {} records, head {}", r.records, r.head_hash);
                    Ok(())
                }
                Err(e) => Err(store_err(e)),
            },
            Sub::Log { cycle, format } => {
                let log = store.audit_log(cycle.as_deref()).await.map_err(store_err)?;
                emit(None, &render_log(&log, format))
            }
        };
        store.close().await;
        out
    })
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
