-- spreiding: forecast runs in the record (issue 13, "Forecast → cycle").
--
-- The capacity forecast (capaciteitsraming, Wet art. 2) is the first act of every cycle. A
-- forecast run is stored with everything needed to run it again and get the same bytes: the
-- scenario's TOML text (and its SHA-256), the seed, the number of paths, the start and the
-- horizon. The result is the JSON of `spreiding forecast --format json` for that scenario
-- and seed, stored as produced; the P10/P50/P90 of required places on the first target date
-- are kept beside it so lists and the cycle can name them without parsing the JSON. A run is
-- never changed or deleted. Numbers that may exceed a signed 64-bit integer (the seed) are
-- text; dates are ISO text; recorded_at is RFC 3339 UTC.
CREATE TABLE forecast_runs (
    id               BIGINT PRIMARY KEY,   -- 1, 2, … in the order recorded
    scenario_id      TEXT NOT NULL,        -- the scenario's own id, e.g. base
    scenario_version BIGINT NOT NULL,      -- the scenario file's version
    scenario_from    TEXT NOT NULL,        -- where it came from: bundled:base or the file's name
    scenario_sha256  TEXT NOT NULL,        -- SHA-256 of scenario_toml
    scenario_toml    TEXT NOT NULL,        -- the scenario as run (every input of the model)
    seed             TEXT NOT NULL,        -- decimal u64
    runs             BIGINT NOT NULL,      -- Monte Carlo paths
    start_date       TEXT NOT NULL,        -- the date of the starting stocks as run
    years            BIGINT NOT NULL,      -- number of 1 January target dates
    step             TEXT NOT NULL,        -- the occupancy rows in the result: month, week or day
    target_dates     TEXT NOT NULL,        -- the target dates, comma-separated, ISO
    first_target     TEXT NOT NULL,        -- the first target date
    p10              BIGINT NOT NULL,      -- required places on first_target, P10
    p50              BIGINT NOT NULL,      -- … P50 (what a cycle takes as its national total)
    p90              BIGINT NOT NULL,      -- … P90
    amv_p50          BIGINT NOT NULL,      -- AMV required places on first_target, P50
    result_json      TEXT NOT NULL,        -- the output of `spreiding forecast --format json`
    result_sha256    TEXT NOT NULL,        -- SHA-256 of result_json
    note             TEXT,
    recorded_on      TEXT NOT NULL,        -- the date the act took effect
    recorded_at      TEXT NOT NULL,        -- when it was recorded
    recorded_by      TEXT NOT NULL,        -- the account
    recorded_role    TEXT NOT NULL,        -- that account's role then
    synthetic        BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX forecast_runs_recorded ON forecast_runs (recorded_at);

-- The run a cycle's forecast was published (or last revised) from; NULL when the national
-- total was given by hand or from a forecast file. Left out of the cycle row's state digest
-- while NULL, so rows written before this column existed keep their digest (replay.rs).
ALTER TABLE cycles ADD COLUMN forecast_run_id BIGINT REFERENCES forecast_runs (id);
