-- spreiding: the legal cycle (Spreidingswet), portable between SQLite and PostgreSQL.
-- Only BIGINT and TEXT columns: the sqlx `any` driver carries numbers, text and blobs.
-- Dates are ISO text (YYYY-MM-DD), timestamps RFC 3339 text in UTC.

-- One cycle: forecast (capaciteitsraming) and indicative tasks, Wet art. 2–3.
CREATE TABLE cycles (
    id              TEXT PRIMARY KEY,
    year            BIGINT NOT NULL,
    phase           TEXT NOT NULL,
    national_total  BIGINT NOT NULL,
    amv_total       BIGINT,
    definition      TEXT NOT NULL,
    method          TEXT NOT NULL,
    revision        BIGINT NOT NULL,
    published_on    TEXT NOT NULL,
    revised_on      TEXT,
    decided_on      TEXT,
    closed_on       TEXT,
    note            TEXT
);

-- Indicative task per municipality (current revision).
CREATE TABLE indicative_tasks (
    cycle_id   TEXT NOT NULL REFERENCES cycles(id),
    gm_code    TEXT NOT NULL,
    gm_naam    TEXT NOT NULL,
    pv_code    TEXT NOT NULL,
    task       BIGINT NOT NULL,
    amv        BIGINT,
    credited   BIGINT NOT NULL,
    quota      TEXT NOT NULL,
    PRIMARY KEY (cycle_id, gm_code)
);

-- Places offered by a municipality: one row per location. A second offer for the same
-- location is a duplicate submission.
CREATE TABLE offers (
    cycle_id        TEXT NOT NULL REFERENCES cycles(id),
    gm_code         TEXT NOT NULL,
    location        TEXT NOT NULL,
    pv_code         TEXT NOT NULL,
    places          BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    durable         BIGINT NOT NULL,
    available_from  TEXT NOT NULL,
    submitted_on    TEXT NOT NULL,
    submitted_by    TEXT NOT NULL,
    PRIMARY KEY (cycle_id, gm_code, location)
);

-- Swaps inside a province: `to_gm` takes over `places` of `from_gm`'s task.
CREATE TABLE swaps (
    cycle_id    TEXT NOT NULL REFERENCES cycles(id),
    pv_code     TEXT NOT NULL,
    from_gm     TEXT NOT NULL,
    to_gm       TEXT NOT NULL,
    places      BIGINT NOT NULL,
    note        TEXT NOT NULL,
    agreed_on   TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (cycle_id, from_gm, to_gm)
);

-- CdK report (provincial plan): one per province, with a commitment per municipality.
CREATE TABLE reports (
    cycle_id      TEXT NOT NULL REFERENCES cycles(id),
    pv_code       TEXT NOT NULL,
    submitted_on  TEXT NOT NULL,
    submitted_by  TEXT NOT NULL,
    note          TEXT NOT NULL,
    PRIMARY KEY (cycle_id, pv_code)
);

CREATE TABLE report_lines (
    cycle_id    TEXT NOT NULL REFERENCES cycles(id),
    pv_code     TEXT NOT NULL,
    gm_code     TEXT NOT NULL,
    commitment  BIGINT NOT NULL,
    PRIMARY KEY (cycle_id, gm_code)
);

-- The distribution decision (verdeelbesluit, Wet art. 5–6); `document` is the full JSON.
CREATE TABLE decisions (
    cycle_id              TEXT PRIMARY KEY REFERENCES cycles(id),
    decided_on            TEXT NOT NULL,
    decided_by            TEXT NOT NULL,
    designation           TEXT NOT NULL,
    over_delivery         TEXT NOT NULL,
    method                TEXT NOT NULL,
    national_total        BIGINT NOT NULL,
    binding_total         BIGINT NOT NULL,
    realisation_deadline  TEXT NOT NULL,
    override_reason       TEXT,
    summary               TEXT NOT NULL,
    document              TEXT NOT NULL
);

CREATE TABLE binding_tasks (
    cycle_id         TEXT NOT NULL REFERENCES cycles(id),
    gm_code          TEXT NOT NULL,
    pv_code          TEXT NOT NULL,
    indicative_task  BIGINT NOT NULL,
    commitment       BIGINT NOT NULL,
    shortfall_share  BIGINT NOT NULL,
    binding_task     BIGINT NOT NULL,
    explanation      TEXT NOT NULL,
    PRIMARY KEY (cycle_id, gm_code)
);

-- Realised places (cumulative, as of a date) per municipality.
CREATE TABLE realisations (
    cycle_id     TEXT NOT NULL REFERENCES cycles(id),
    gm_code      TEXT NOT NULL,
    on_date      TEXT NOT NULL,
    realised     BIGINT NOT NULL,
    late         BIGINT NOT NULL,
    recorded_by  TEXT NOT NULL,
    PRIMARY KEY (cycle_id, gm_code, on_date)
);

-- Append-only audit trail, hash-chained: hash = sha256(prev_hash || canonical record).
CREATE TABLE audit_log (
    seq             BIGINT PRIMARY KEY,
    recorded_at     TEXT NOT NULL,
    effective_date  TEXT NOT NULL,
    actor           TEXT NOT NULL,
    role            TEXT NOT NULL,
    action          TEXT NOT NULL,
    cycle_id        TEXT,
    subject         TEXT NOT NULL,
    reason          TEXT,
    before_json     TEXT NOT NULL,
    after_json      TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL
);

-- The head of the chain. Every mutation updates this row first: it serialises writers
-- (a row lock in PostgreSQL, the write lock in SQLite) and lets `audit verify` detect
-- records deleted from the end.
CREATE TABLE audit_head (
    id    BIGINT PRIMARY KEY,
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);

INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, 'genesis');

CREATE INDEX offers_by_province ON offers (cycle_id, pv_code);
CREATE INDEX audit_by_cycle ON audit_log (cycle_id, seq);
