-- The central server's schema on SQLite. Changes are the log (seq = commit order,
-- because SQLite serialises writers); rows hold the merged state of each synced row.

CREATE TABLE server_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The org-unit tree as merged from org_unit changes, for validation and scope.
CREATE TABLE org_units (
    code   TEXT PRIMARY KEY,
    name   TEXT NOT NULL,
    level  TEXT NOT NULL,
    parent TEXT,
    -- A deleted unit stays for scope (its rows remain readable) but takes no new rows.
    deleted INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_ms    INTEGER NOT NULL
);

CREATE TABLE user_units (
    user_id INTEGER NOT NULL REFERENCES users (id),
    unit    TEXT NOT NULL,
    PRIMARY KEY (user_id, unit)
);

CREATE TABLE devices (
    id           TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_ms   INTEGER NOT NULL,
    last_seen_ms INTEGER,
    revoked_ms   INTEGER
);

CREATE TABLE login_failures (
    user_name TEXT NOT NULL,
    at_ms     INTEGER NOT NULL
);
CREATE INDEX login_failures_by_user ON login_failures (user_name, at_ms);

CREATE TABLE changes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    tbl         TEXT NOT NULL,
    row_id      TEXT NOT NULL,
    unit        TEXT NOT NULL,
    device      TEXT NOT NULL,
    author      TEXT NOT NULL,
    body        TEXT NOT NULL,
    received_ms INTEGER NOT NULL
);
CREATE INDEX changes_by_row ON changes (row_id);

CREATE TABLE rows (
    id   TEXT PRIMARY KEY,
    tbl  TEXT NOT NULL,
    unit TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX rows_by_unit ON rows (unit);

-- Open conflicts, replaced whenever their row is merged (from Row::conflicts()).
CREATE TABLE conflicts (
    row_id TEXT NOT NULL,
    unit   TEXT NOT NULL,
    field  TEXT NOT NULL,
    body   TEXT NOT NULL
);
CREATE INDEX conflicts_by_row ON conflicts (row_id);
CREATE INDEX conflicts_by_unit ON conflicts (unit);
