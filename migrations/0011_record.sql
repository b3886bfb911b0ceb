-- spreiding: the database as the one record of the law (issue "One source of truth").
-- Portable between SQLite and PostgreSQL: BIGINT and TEXT only, dates ISO text, timestamps
-- RFC 3339 UTC text. Every record keeps who (an account, an import or the synthetic demo),
-- the date it took effect and the time it was recorded; `synthetic` = 1 marks demonstration
-- data (only ever written to a database created as a demo database).

-- Properties of the database itself: sandbox (dates may be chosen), synthetic (demo data),
-- the sandbox clock. Written once, when the database is initialised.
CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

-- Accounts (web_users, migration 0010 predates this one in name only): disabled accounts
-- cannot sign in or use tokens; an account is never deleted, so the record keeps its name.
ALTER TABLE web_users ADD COLUMN disabled_at TEXT;
ALTER TABLE web_users ADD COLUMN updated_at TEXT;

-- API tokens for the command line and scripts: only a SHA-256 of the secret is stored.
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    username     TEXT NOT NULL REFERENCES web_users(username),
    secret_hash  TEXT NOT NULL,
    label        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    revoked_at   TEXT
);

-- Portal sessions (tower-sessions records, JSON), shared by every server process.
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    data        TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- Failed sign-ins per (account, client address), for lockout with backoff.
CREATE TABLE login_failures (
    key           TEXT PRIMARY KEY,
    failures      BIGINT NOT NULL,
    last_at       TEXT NOT NULL,
    locked_until  TEXT
);

-- A cycle as a record: where it comes from, the key and the data behind its tasks.
ALTER TABLE cycles ADD COLUMN origin TEXT NOT NULL DEFAULT 'ministry';
ALTER TABLE cycles ADD COLUMN source TEXT;
ALTER TABLE cycles ADD COLUMN synthetic BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cycles ADD COLUMN key_status TEXT;
ALTER TABLE cycles ADD COLUMN key_toml TEXT;
ALTER TABLE cycles ADD COLUMN deviation TEXT;
ALTER TABLE cycles ADD COLUMN population_date TEXT;
ALTER TABLE cycles ADD COLUMN municipality_set TEXT;
ALTER TABLE cycles ADD COLUMN inputs_json TEXT;
ALTER TABLE cycles ADD COLUMN tasks_total BIGINT;
ALTER TABLE cycles ADD COLUMN tasks_origin TEXT;
ALTER TABLE cycles ADD COLUMN facts_json TEXT;
ALTER TABLE cycles ADD COLUMN published_by TEXT;
ALTER TABLE cycles ADD COLUMN recorded_at TEXT;

ALTER TABLE indicative_tasks ADD COLUMN inwoners BIGINT;
ALTER TABLE indicative_tasks ADD COLUMN credited_amv BIGINT NOT NULL DEFAULT 0;
ALTER TABLE indicative_tasks ADD COLUMN inputs_json TEXT;

-- Offers: a number per cycle, the AMV part, years of availability, amendments and
-- withdrawal (a withdrawn offer stays in the record).
ALTER TABLE offers ADD COLUMN offer_no BIGINT;
ALTER TABLE offers ADD COLUMN amv_places BIGINT NOT NULL DEFAULT 0;
ALTER TABLE offers ADD COLUMN years BIGINT NOT NULL DEFAULT 0;
ALTER TABLE offers ADD COLUMN withdrawn_on TEXT;
ALTER TABLE offers ADD COLUMN amended_on TEXT;
ALTER TABLE offers ADD COLUMN recorded_at TEXT;
ALTER TABLE offers ADD COLUMN synthetic BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX offers_by_number ON offers (cycle_id, offer_no);

ALTER TABLE swaps ADD COLUMN amv_places BIGINT NOT NULL DEFAULT 0;
ALTER TABLE swaps ADD COLUMN recorded_at TEXT;
ALTER TABLE swaps ADD COLUMN synthetic BIGINT NOT NULL DEFAULT 0;

ALTER TABLE reports ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
ALTER TABLE reports ADD COLUMN amended_on TEXT;
ALTER TABLE reports ADD COLUMN amend_reason TEXT;
ALTER TABLE reports ADD COLUMN recorded_at TEXT;
ALTER TABLE reports ADD COLUMN synthetic BIGINT NOT NULL DEFAULT 0;
ALTER TABLE report_lines ADD COLUMN amv_commitment BIGINT NOT NULL DEFAULT 0;

-- The decision: its current revision here, every revision (0 = the decision) in
-- decision_revisions.
ALTER TABLE decisions ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
ALTER TABLE decisions ADD COLUMN revised_on TEXT;
ALTER TABLE decisions ADD COLUMN revision_reason TEXT;
ALTER TABLE decisions ADD COLUMN amv_total BIGINT;
ALTER TABLE decisions ADD COLUMN binding_amv_total BIGINT;
ALTER TABLE decisions ADD COLUMN recorded_at TEXT;
ALTER TABLE decisions ADD COLUMN synthetic BIGINT NOT NULL DEFAULT 0;
ALTER TABLE binding_tasks ADD COLUMN binding_amv BIGINT NOT NULL DEFAULT 0;
ALTER TABLE binding_tasks ADD COLUMN amv_commitment BIGINT NOT NULL DEFAULT 0;
ALTER TABLE binding_tasks ADD COLUMN payment_cents BIGINT NOT NULL DEFAULT 0;

CREATE TABLE decision_revisions (
    cycle_id     TEXT NOT NULL REFERENCES cycles(id),
    revision     BIGINT NOT NULL,
    decided_on   TEXT NOT NULL,
    decided_by   TEXT NOT NULL,
    reason       TEXT,
    document     TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    synthetic    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (cycle_id, revision)
);

-- Objections (bezwaar, Awb art. 6:4) against a binding task, and the minister's decision.
CREATE TABLE objections (
    cycle_id           TEXT NOT NULL REFERENCES cycles(id),
    objection_no       BIGINT NOT NULL,
    gm_code            TEXT NOT NULL,
    decision_revision  BIGINT NOT NULL,
    filed_on           TEXT NOT NULL,
    filed_by           TEXT NOT NULL,
    grounds            TEXT NOT NULL,
    requested_task     BIGINT,
    requested_amv      BIGINT,
    status             TEXT NOT NULL CHECK (status IN ('pending', 'upheld', 'rejected')),
    decided_on         TEXT,
    decided_by         TEXT,
    decision_reason    TEXT,
    granted_task       BIGINT,
    granted_amv        BIGINT,
    recorded_at        TEXT NOT NULL,
    synthetic          BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (cycle_id, objection_no)
);
CREATE INDEX objections_by_municipality ON objections (cycle_id, gm_code);

ALTER TABLE realisations ADD COLUMN amv_realised BIGINT NOT NULL DEFAULT 0;
ALTER TABLE realisations ADD COLUMN recorded_at TEXT;
ALTER TABLE realisations ADD COLUMN synthetic BIGINT NOT NULL DEFAULT 0;

-- Applications for the durable-places payment (Regeling, Stcrt. 2024, 3349).
CREATE TABLE payment_applications (
    cycle_id        TEXT NOT NULL REFERENCES cycles(id),
    application_no  BIGINT NOT NULL,
    gm_code         TEXT NOT NULL,
    applied_on      TEXT NOT NULL,
    places          BIGINT NOT NULL,
    note            TEXT NOT NULL,
    applied_by      TEXT NOT NULL,
    recorded_at     TEXT NOT NULL,
    synthetic       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (cycle_id, application_no)
);

-- Reference data imported from CBS, by vintage, with its source and content hash.
CREATE TABLE population_vintages (
    reference_date    TEXT PRIMARY KEY,
    municipality_set  TEXT NOT NULL,
    source            TEXT NOT NULL,
    format            TEXT NOT NULL,
    sha256            TEXT NOT NULL,
    notes_json        TEXT NOT NULL,
    imported_at       TEXT NOT NULL,
    imported_by       TEXT NOT NULL
);
CREATE TABLE population_values (
    reference_date  TEXT NOT NULL REFERENCES population_vintages(reference_date),
    gm_code         TEXT NOT NULL,
    inwoners        BIGINT NOT NULL,
    PRIMARY KEY (reference_date, gm_code)
);
CREATE TABLE indicator_sets (
    id           TEXT PRIMARY KEY,
    indicator    TEXT NOT NULL,
    period       TEXT NOT NULL,
    table_id     TEXT NOT NULL,
    format       TEXT NOT NULL,
    source       TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    notes_json   TEXT NOT NULL,
    imported_at  TEXT NOT NULL,
    imported_by  TEXT NOT NULL
);
CREATE TABLE indicator_values (
    set_id   TEXT NOT NULL REFERENCES indicator_sets(id),
    gm_code  TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (set_id, gm_code)
);

ALTER TABLE locations ADD COLUMN cluster TEXT;
