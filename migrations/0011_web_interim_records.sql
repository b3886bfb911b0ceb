-- Offers and realisation as recorded through the portal (interim tables of spreiding-web,
-- until the store's cycle repositories take them over).
CREATE TABLE web_offers (
    id           BIGINT PRIMARY KEY,
    cycle        INTEGER NOT NULL,
    gm_code      TEXT NOT NULL,
    places       BIGINT NOT NULL,
    durable      INTEGER NOT NULL,
    location     TEXT NOT NULL,
    note         TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    synthetic    INTEGER NOT NULL,
    withdrawn    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE web_realisations (
    cycle     INTEGER NOT NULL,
    gm_code   TEXT NOT NULL,
    date      TEXT NOT NULL,
    places    BIGINT NOT NULL,
    synthetic INTEGER NOT NULL,
    PRIMARY KEY (cycle, gm_code, date)
);
CREATE TABLE web_audit (
    seq       BIGINT PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    role      TEXT NOT NULL,
    action    TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
