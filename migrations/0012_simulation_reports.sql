-- Published policy-simulation reports, shown on the public page "Wat de wet oplevert".
-- A report is analysis, not an act of the Wet; it is kept in the record so the page shows a
-- stored run (never recomputed per request) and says who published it and when. A report is
-- never changed or deleted: publishing another one makes it the latest.
CREATE TABLE simulation_reports (
    id             TEXT PRIMARY KEY,   -- first 16 hex digits of the SHA-256 of report_json
    title          TEXT NOT NULL,
    report_json    TEXT NOT NULL,      -- the report type of crates/simulate (schema inside)
    report_html    TEXT NOT NULL,      -- the self-contained HTML report of the same run
    published_at   TEXT NOT NULL,      -- RFC 3339 UTC, when it was recorded
    published_on   TEXT NOT NULL,      -- the date it took effect (the act's date)
    published_by   TEXT NOT NULL,      -- the account
    published_role TEXT NOT NULL       -- that account's role then (the public sees the organisation)
);
CREATE INDEX simulation_reports_published ON simulation_reports (published_at);
