-- spreiding: a tamper-evident record (issue "Trust").
--
-- state_json: the rows an act left behind, per tracked table and scope, as row digests
-- (SHA-256 over the row's canonical text; see crates/store/src/replay.rs). Part of the
-- record's hash when not empty, so `audit verify` can replay the log and compare it with the
-- state tables: a row the log does not explain is reported with its table and key. Records
-- written before this migration carry '' and are hashed as before.
ALTER TABLE audit_log ADD COLUMN state_json TEXT NOT NULL DEFAULT '';

-- Signed checkpoints of the chain head (Ed25519). The private key never enters the
-- database; a checkpoint is published here, on the dashboard and in the API so anyone can
-- keep copies and later prove that records up to `seq` were not changed or re-sealed.
CREATE TABLE audit_checkpoints (
    seq         BIGINT NOT NULL,
    hash        TEXT NOT NULL,
    signed_at   TEXT NOT NULL,   -- RFC 3339 UTC, part of the signed message
    public_key  TEXT NOT NULL,   -- hex, 32 bytes
    signature   TEXT NOT NULL,   -- hex, 64 bytes
    reason      TEXT NOT NULL,   -- why it was made: decision, daily, manual
    PRIMARY KEY (seq, public_key, signed_at)
);
CREATE INDEX audit_checkpoints_by_time ON audit_checkpoints (signed_at);
