-- Portal accounts (spreiding-web). Passwords are argon2id PHC strings, never plain text.
-- role: ministry | province | municipality | coa | public; region: PVnn or GMnnnn where the role needs one.
CREATE TABLE web_users (
    username      TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    region        TEXT,
    created_at    TEXT NOT NULL
);
