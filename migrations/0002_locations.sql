-- spreiding: the registry of reception locations (opvanglocaties) and quality assessments
-- against the kwaliteitskader, portable between SQLite and PostgreSQL (see 0001_cycle.sql:
-- only BIGINT and TEXT columns). Unknown data is NULL, never a default: the quality
-- framework turns NULL into *unknown*, never a pass.
-- Yes/no facilities are BIGINT 0/1; decimal quantities (m², metres, euro, years) are TEXT
-- in their shortest exact decimal form so that they round-trip without loss; dates are ISO.

-- One reception location: all fields of spreiding_core::location::Location.
CREATE TABLE locations (
    id                      TEXT PRIMARY KEY,
    name                    TEXT NOT NULL,
    municipality            TEXT NOT NULL,
    operator                TEXT NOT NULL,
    kind                    TEXT NOT NULL,
    beds                    BIGINT NOT NULL,
    occupied                BIGINT,
    bedrooms                BIGINT,
    m2_per_person           TEXT,
    persons_per_bedroom     BIGINT,
    ceiling_height_m        TEXT,
    lockable_bedrooms       BIGINT,
    separate_sanitary       BIGINT,
    play_space              BIGINT,
    open_air_space          BIGINT,
    private_meeting_room    BIGINT,
    step_free               BIGINT,
    medical_post            BIGINT,
    one_family_per_bedroom  BIGINT,
    bed_and_cupboard_each   BIGINT,
    sex_separated_bedrooms  BIGINT,
    separated_from_adults   BIGINT,
    school_min              BIGINT,
    gp_min                  BIGINT,
    hospital_min            BIGINT,
    legal_aid_min           BIGINT,
    shops_min               BIGINT,
    school_access_days      BIGINT,
    needs_assessment_days   BIGINT,
    max_stay_days           BIGINT,
    opened                  TEXT,
    closing                 TEXT,
    cost_per_place_day      TEXT,
    durability_years        TEXT,
    -- Who registered or last changed the location, and on which date (also in the audit trail).
    updated_on              TEXT NOT NULL,
    updated_by              TEXT NOT NULL
);

-- One assessment of one location in one run (`spreiding quality assess --store`): the
-- framework (id and version), the date, the assessor, the overall outcome and the Art. 24
-- RCD groups (letters a–k, comma-separated, '' = none) the location may house.
CREATE TABLE quality_assessments (
    run                BIGINT NOT NULL,
    location_id        TEXT NOT NULL REFERENCES locations(id),
    framework_id       TEXT NOT NULL,
    framework_version  BIGINT NOT NULL,
    assessed_on        TEXT NOT NULL,
    assessor           TEXT NOT NULL,
    recorded_by        TEXT NOT NULL,
    overall            TEXT NOT NULL CHECK (overall IN ('pass', 'fail', 'unknown', 'n/a')),
    may_house          TEXT NOT NULL,
    PRIMARY KEY (run, location_id)
);

-- The result of every criterion of that assessment, with the data that decided it.
CREATE TABLE quality_results (
    run          BIGINT NOT NULL,
    location_id  TEXT NOT NULL,
    position     BIGINT NOT NULL,
    criterion    TEXT NOT NULL,
    outcome      TEXT NOT NULL CHECK (outcome IN ('pass', 'fail', 'unknown', 'n/a')),
    detail       TEXT NOT NULL,
    PRIMARY KEY (run, location_id, criterion),
    FOREIGN KEY (run, location_id) REFERENCES quality_assessments(run, location_id)
);

CREATE INDEX locations_by_municipality ON locations (municipality, id);
CREATE INDEX assessments_by_location ON quality_assessments (location_id, assessed_on);
