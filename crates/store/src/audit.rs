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
    /// The digests of the rows the act left behind (see [`crate::replay`]); '' in records
    /// written before the state was recorded.
    #[serde(default)]
    pub state_json: String,
}

impl AuditRecord {
    /// The record's hash over its previous hash and fields, separated by U+001F so no
    /// field can be shifted into another; the state digests follow when present (records
    /// from before migration 0013 keep their hash). `tools/verify_audit.py` computes the
    /// same hash independently.
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
        if !self.state_json.is_empty() {
            h.update(self.state_json.as_bytes());
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
            state_json: r.try_get("state_json")?,
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
    /// The scopes of the legal record this act wrote; their rows are captured after the
    /// act's writes (so append after writing) and replayed by `audit verify`.
    pub touches: Vec<crate::replay::Touch>,
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
        state_json: String::new(),
    };
    if !e.touches.is_empty() {
        let states = crate::replay::capture(tx, &e.touches).await?;
        rec.state_json = serde_json::to_string(&states).expect("state digests serialise");
    }
    rec.hash = rec.compute_hash();
    sqlx::query(
        "INSERT INTO audit_log (seq, recorded_at, effective_date, actor, role, action, cycle_id, subject, reason, \
         before_json, after_json, prev_hash, hash, state_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
         $13, $14)",
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
    .bind(&rec.state_json)
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

// ---- signed checkpoints ---------------------------------------------------------------

/// The private key that signs checkpoints (Ed25519).
pub use ed25519_dalek::{SigningKey, VerifyingKey};

/// The format tag of a checkpoint; part of the signed message.
pub const CHECKPOINT_FORMAT: &str = "spreiding-audit-checkpoint/1";

/// A signed statement "the audit chain had `seq` records ending in `hash` at `signed_at`",
/// made with an Ed25519 key that lives outside the database. Anyone who keeps a copy can
/// later prove that no record up to `seq` was changed, removed or re-sealed, even by
/// someone who can rewrite the whole database: the signature needs the private key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub format: String,
    pub seq: i64,
    pub hash: String,
    /// RFC 3339 UTC.
    pub signed_at: String,
    /// The signer's public key, hex (32 bytes). Informational: a verifier trusts the key it
    /// was given, not this field.
    pub public_key: String,
    /// Ed25519 signature over [`Checkpoint::message`], hex (64 bytes).
    pub signature: String,
    /// Why it was made (`decision`, `daily`, `manual`); not signed.
    #[serde(default)]
    pub reason: String,
}

impl Checkpoint {
    /// The exact bytes that are signed (also in `tools/verify_audit.py`).
    pub fn message(format: &str, seq: i64, hash: &str, signed_at: &str) -> Vec<u8> {
        format!("{format}\n{seq}\n{hash}\n{signed_at}\n").into_bytes()
    }

    /// Sign the head `seq`/`hash` now.
    pub fn sign(key: &ed25519_dalek::SigningKey, seq: i64, hash: &str, reason: &str) -> Checkpoint {
        use ed25519_dalek::Signer;
        let signed_at = crate::now();
        let sig = key.sign(&Checkpoint::message(CHECKPOINT_FORMAT, seq, hash, &signed_at));
        Checkpoint {
            format: CHECKPOINT_FORMAT.into(),
            seq,
            hash: hash.into(),
            signed_at,
            public_key: hex::encode(key.verifying_key().as_bytes()),
            signature: hex::encode(sig.to_bytes()),
            reason: reason.into(),
        }
    }

    /// Whether the signature holds for `key` (the caller's trusted public key).
    pub fn signature_holds(&self, key: &ed25519_dalek::VerifyingKey) -> std::result::Result<(), String> {
        if self.format != CHECKPOINT_FORMAT {
            return Err(format!("unknown checkpoint format '{}' (expected {CHECKPOINT_FORMAT})", self.format));
        }
        let sig = hex::decode(&self.signature)
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b.as_slice()).ok())
            .ok_or_else(|| "signature: not 64 bytes of hex".to_string())?;
        key.verify_strict(
            &Checkpoint::message(&self.format, self.seq, &self.hash, &self.signed_at),
            &ed25519_dalek::Signature::from_bytes(&sig),
        )
        .map_err(|_| {
            "the signature does not hold for this public key: the checkpoint was altered or made with another key"
                .to_string()
        })
    }

    /// The public key named in the checkpoint itself.
    pub fn embedded_key(&self) -> std::result::Result<ed25519_dalek::VerifyingKey, String> {
        let b = hex::decode(&self.public_key)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
            .ok_or_else(|| "public_key: not 32 bytes of hex".to_string())?;
        ed25519_dalek::VerifyingKey::from_bytes(&b).map_err(|_| "public_key: not an Ed25519 public key".to_string())
    }

    pub(crate) fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(Checkpoint {
            format: CHECKPOINT_FORMAT.into(),
            seq: r.try_get("seq")?,
            hash: r.try_get("hash")?,
            signed_at: r.try_get("signed_at")?,
            public_key: r.try_get("public_key")?,
            signature: r.try_get("signature")?,
            reason: r.try_get("reason")?,
        })
    }
}

/// The short fingerprint of a public key people compare by eye: the first 16 hex digits of
/// the SHA-256 of its 32 bytes.
pub fn key_fingerprint(key: &ed25519_dalek::VerifyingKey) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..8])
}

/// Whether `records` (the whole chain, in order) contain the record a checkpoint signed.
pub fn check_against(records: &[AuditRecord], cp: &Checkpoint) -> std::result::Result<(), String> {
    if cp.seq <= 0 {
        return Ok(());
    }
    match records.get(cp.seq as usize - 1) {
        Some(r) if r.seq == cp.seq && r.hash == cp.hash => Ok(()),
        Some(_) => Err(format!(
            "record {} does not match the checkpoint signed at {}: records up to {} were changed, removed or re-sealed",
            cp.seq, cp.signed_at, cp.seq
        )),
        None => Err(format!(
            "the checkpoint of {} signs {} records but the trail has only {}: records were removed",
            cp.signed_at,
            cp.seq,
            records.len()
        )),
    }
}

/// The outcome of a full verification: the chain, the checkpoints and the state replay.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RecordReport {
    pub records: i64,
    pub head_hash: String,
    /// Stored checkpoints checked (signature and chain).
    pub checkpoints: usize,
    /// The outside checkpoint that was checked, if any.
    pub external: Option<i64>,
    /// Rows checked against the replayed log.
    pub rows: usize,
    /// Everything that does not hold, first the chain, then checkpoints, then rows.
    pub problems: Vec<String>,
}

impl RecordReport {
    /// One line for an error message: the first problem and how many more there are, or
    /// None when the record holds.
    pub fn failure(&self) -> Option<String> {
        let first = self.problems.first()?;
        Some(match self.problems.len() - 1 {
            0 => first.clone(),
            n => format!("{first} (and {n} more problems)"),
        })
    }
}

/// A new Ed25519 key pair from the operating system's random source, as PEM text: the
/// private key (PKCS#8) and the public key (SubjectPublicKeyInfo), readable by OpenSSL.
pub fn generate_key_pem() -> Result<(String, String)> {
    use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
    use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey};
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)
        .map_err(|e| StoreError::Database(format!("the operating system gave no random bytes for the key: {e}")))?;
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    let private = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| StoreError::Database(format!("cannot encode the private key: {e}")))?;
    let public = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| StoreError::Database(format!("cannot encode the public key: {e}")))?;
    Ok((private.to_string(), public))
}

/// Read a private key written by [`generate_key_pem`]; `file` names it in the error.
pub fn signing_key_from_pem(file: &str, pem: &str) -> Result<ed25519_dalek::SigningKey> {
    use ed25519_dalek::pkcs8::DecodePrivateKey;
    ed25519_dalek::SigningKey::from_pkcs8_pem(pem).map_err(|e| {
        StoreError::Invalid(format!(
            "{file}: not an Ed25519 private key in PEM (PKCS#8) ({e}); make one with `spreiding audit keygen --out \
             PREFIX`"
        ))
    })
}

/// Read a public key (`PREFIX.pub`); `file` names it in the error.
pub fn public_key_from_pem(file: &str, pem: &str) -> Result<ed25519_dalek::VerifyingKey> {
    use ed25519_dalek::pkcs8::DecodePublicKey;
    ed25519_dalek::VerifyingKey::from_public_key_pem(pem).map_err(|e| {
        StoreError::Invalid(format!(
            "{file}: not an Ed25519 public key in PEM ({e}); use the PREFIX.pub file `spreiding audit keygen` wrote"
        ))
    })
}

impl crate::Store {
    /// Sign the current head with `key` and publish the checkpoint in the record's
    /// checkpoint table (not an act: it says something about the chain, not about the law).
    pub async fn checkpoint(&self, key: &ed25519_dalek::SigningKey, reason: &str) -> Result<Checkpoint> {
        let head = self.audit_head().await?;
        if head.seq == 0 {
            return Err(StoreError::Conflict("the audit trail is empty: there is nothing to sign yet".into()));
        }
        let cp = Checkpoint::sign(key, head.seq, &head.hash, reason);
        sqlx::query(
            "INSERT INTO audit_checkpoints (seq, hash, signed_at, public_key, signature, reason) VALUES ($1, $2, $3, $4, \
             $5, $6)",
        )
        .bind(cp.seq)
        .bind(&cp.hash)
        .bind(&cp.signed_at)
        .bind(&cp.public_key)
        .bind(&cp.signature)
        .bind(&cp.reason)
        .execute(self.pool())
        .await?;
        Ok(cp)
    }

    /// The published checkpoints, oldest first.
    pub async fn checkpoints(&self) -> Result<Vec<Checkpoint>> {
        let rows =
            sqlx::query("SELECT * FROM audit_checkpoints ORDER BY signed_at, seq").fetch_all(self.pool()).await?;
        rows.iter().map(Checkpoint::from_row).collect()
    }

    /// The most recently signed checkpoint, if any.
    pub async fn latest_checkpoint(&self) -> Result<Option<Checkpoint>> {
        let row = sqlx::query("SELECT * FROM audit_checkpoints ORDER BY signed_at DESC, seq DESC LIMIT 1")
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(Checkpoint::from_row).transpose()
    }

    /// Whether a new checkpoint is due: the head moved past the last checkpoint and either a
    /// decision (or its revision) was recorded since, or the last checkpoint is older than
    /// `max_age` (so every day with writes gets one). Returns the reason.
    pub async fn checkpoint_due(&self, max_age: chrono::Duration) -> Result<Option<&'static str>> {
        let head = self.audit_head().await?;
        let last = sqlx::query("SELECT seq, signed_at FROM audit_checkpoints ORDER BY seq DESC, signed_at DESC")
            .fetch_optional(self.pool())
            .await?;
        let (last_seq, last_at): (i64, Option<String>) = match last {
            Some(r) => (r.try_get("seq")?, Some(r.try_get("signed_at")?)),
            None => (0, None),
        };
        if head.seq <= last_seq {
            return Ok(None);
        }
        let decisions: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM audit_log WHERE seq > $1 AND action IN ('decision.take', 'decision.revise')",
        )
        .bind(last_seq)
        .fetch_one(self.pool())
        .await?
        .try_get("n")?;
        if decisions > 0 {
            return Ok(Some("decision"));
        }
        let old = match last_at.and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok()) {
            Some(t) => chrono::Utc::now().signed_duration_since(t) >= max_age,
            None => true,
        };
        Ok(old.then_some("daily"))
    }

    /// Verify the whole record: the chain and its head, every published checkpoint, the
    /// outside checkpoint `external` with the key the verifier trusts, and the state tables
    /// against the replayed log. Every problem is listed; none means the record holds.
    pub async fn verify_record(
        &self,
        external: Option<(&Checkpoint, &ed25519_dalek::VerifyingKey)>,
    ) -> Result<RecordReport> {
        let records = self.audit_log(None).await?;
        let head = self.audit_head().await?;
        let mut report = RecordReport { records: records.len() as i64, ..RecordReport::default() };
        match verify_chain(&records, head.seq, &head.hash) {
            Ok(r) => report.head_hash = r.head_hash,
            Err(e) => report.problems.push(e.to_string()),
        }
        if let Some((cp, key)) = external {
            report.external = Some(cp.seq);
            if let Err(e) = cp.signature_holds(key) {
                report.problems.push(format!("checkpoint {}: {e}", cp.seq));
            } else if let Err(e) = check_against(&records, cp) {
                report.problems.push(e);
            }
        }
        for cp in self.checkpoints().await? {
            report.checkpoints += 1;
            let holds = cp.embedded_key().and_then(|k| cp.signature_holds(&k));
            if let Err(e) = holds {
                report.problems.push(format!("published checkpoint {} of {}: {e}", cp.seq, cp.signed_at));
            } else if let Err(e) = check_against(&records, &cp) {
                report.problems.push(format!("published {e}"));
            }
        }
        let mut expected = crate::replay::Expected::default();
        for r in &records {
            if let Err(e) = expected.apply(r.seq, &r.state_json) {
                report.problems.push(e);
            }
        }
        let (rows, mismatches) = crate::replay::compare(self.pool(), &expected).await?;
        report.rows = rows;
        report.problems.extend(mismatches.iter().map(|m| m.to_string()));
        Ok(report)
    }
}
