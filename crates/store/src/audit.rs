//! The append-only, hash-chained audit trail.
//!
//! Every mutation writes, in its own transaction, one or more records: who (actor and
//! role), when (wall-clock time and the date acted on), what (action and subject), why
//! (the override reason or note) and the state before and after as JSON. Each record's
//! hash is SHA-256 over the previous record's hash and the record's fields, so editing or
//! deleting any record breaks the chain from there on; the head row (`audit_head`) holds
//! the last sequence number and hash, so deleting records from the end is caught too.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::{Result, StoreError};
use crate::{Act, Tx};

/// The hash of the empty chain.
pub const GENESIS: &str = "genesis";

/// One audit record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub seq: i64,
    /// Wall-clock time of writing, RFC 3339 UTC.
    pub recorded_at: String,
    /// The date the actor acted on (`--date`), ISO.
    pub effective_date: String,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub cycle_id: Option<String>,
    pub subject: String,
    pub reason: Option<String>,
    pub before_json: String,
    pub after_json: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRecord {
    /// The record's hash over its previous hash and fields, separated by U+001F so no
    /// field can be shifted into another.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        let fields = [
            self.prev_hash.as_str(),
            &self.seq.to_string(),
            &self.recorded_at,
            &self.effective_date,
            &self.actor,
            &self.role,
            &self.action,
            self.cycle_id.as_deref().unwrap_or("\u{0}"),
            &self.subject,
            self.reason.as_deref().unwrap_or("\u{0}"),
            &self.before_json,
            &self.after_json,
        ];
        for f in fields {
            h.update(f.as_bytes());
            h.update([0x1f]);
        }
        hex::encode(h.finalize())
    }

    pub(crate) fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(AuditRecord {
            seq: r.try_get("seq")?,
            recorded_at: r.try_get("recorded_at")?,
            effective_date: r.try_get("effective_date")?,
            actor: r.try_get("actor")?,
            role: r.try_get("role")?,
            action: r.try_get("action")?,
            cycle_id: r.try_get("cycle_id")?,
            subject: r.try_get("subject")?,
            reason: r.try_get("reason")?,
            before_json: r.try_get("before_json")?,
            after_json: r.try_get("after_json")?,
            prev_hash: r.try_get("prev_hash")?,
            hash: r.try_get("hash")?,
        })
    }
}

/// The head of the chain: how many records, and the hash of the last one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
}

/// The outcome of a successful verification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditReport {
    pub records: i64,
    pub head_hash: String,
}

/// What to record: the action, its subject, and the state before and after.
pub(crate) struct Entry<'a> {
    pub action: &'a str,
    pub cycle_id: Option<&'a str>,
    pub subject: String,
    pub reason: Option<String>,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

/// Append one record inside the mutation's transaction.
pub(crate) async fn append(tx: &mut Tx, act: &Act, e: Entry<'_>) -> Result<AuditRecord> {
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(&mut **tx).await?;
    let (seq, prev): (i64, String) = (head.try_get("seq")?, head.try_get("hash")?);
    let mut rec = AuditRecord {
        seq: seq + 1,
        recorded_at: crate::now(),
        effective_date: act.on.to_string(),
        actor: act.actor.name.clone(),
        role: act.role_label(),
        action: e.action.to_string(),
        cycle_id: e.cycle_id.map(str::to_string),
        subject: e.subject,
        reason: e.reason.or_else(|| act.reason.clone()).or_else(|| match &act.kind {
            crate::ActorKind::Import { source } => Some(format!("source: {source}")),
            _ => None,
        }),
        before_json: e.before.to_string(),
        after_json: e.after.to_string(),
        prev_hash: prev,
        hash: String::new(),
    };
    rec.hash = rec.compute_hash();
    sqlx::query(
        "INSERT INTO audit_log (seq, recorded_at, effective_date, actor, role, action, cycle_id, subject, reason, \
         before_json, after_json, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(rec.seq)
    .bind(&rec.recorded_at)
    .bind(&rec.effective_date)
    .bind(&rec.actor)
    .bind(&rec.role)
    .bind(&rec.action)
    .bind(&rec.cycle_id)
    .bind(&rec.subject)
    .bind(&rec.reason)
    .bind(&rec.before_json)
    .bind(&rec.after_json)
    .bind(&rec.prev_hash)
    .bind(&rec.hash)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(rec.seq)
        .bind(&rec.hash)
        .execute(&mut **tx)
        .await?;
    Ok(rec)
}

/// Check a sequence of records (ordered by seq) and the head against each other.
pub fn verify_chain(records: &[AuditRecord], head_seq: i64, head_hash: &str) -> Result<AuditReport> {
    let mut prev = GENESIS.to_string();
    for (i, r) in records.iter().enumerate() {
        let expected_seq = i as i64 + 1;
        if r.seq != expected_seq {
            return Err(StoreError::Tampered {
                seq: expected_seq,
                message: format!("record {expected_seq} is missing (the next one found is {})", r.seq),
            });
        }
        if r.prev_hash != prev {
            return Err(StoreError::Tampered {
                seq: r.seq,
                message: format!(
                    "its link to the previous record does not match: record {} was changed or removed",
                    r.seq - 1
                ),
            });
        }
        let h = r.compute_hash();
        if h != r.hash {
            return Err(StoreError::Tampered {
                seq: r.seq,
                message: format!(
                    "its content does not match its hash: the record ({} by {} on {}, {}) was edited",
                    r.action, r.actor, r.effective_date, r.subject
                ),
            });
        }
        prev = h;
    }
    let last = records.len() as i64;
    if head_seq != last || head_hash != prev {
        return Err(StoreError::Tampered {
            seq: head_seq.max(last),
            message: format!(
                "the chain head says {head_seq} records but {last} were found: records were deleted from the end or \
                 the head was altered"
            ),
        });
    }
    Ok(AuditReport { records: last, head_hash: prev })
}
