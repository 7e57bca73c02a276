-- The central server's schema on PostgreSQL. Changes carry the id of the transaction
-- that wrote them (txid): concurrent transactions commit seq values out of order, so
-- pull orders by (txid, seq) and only reads below the oldest running transaction.

CREATE TABLE server_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE org_units (
    code   TEXT PRIMARY KEY,
    name   TEXT NOT NULL,
    level  TEXT NOT NULL,
    parent TEXT,
    -- A deleted unit stays for scope (its rows remain readable) but takes no new rows.
    deleted BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_ms    BIGINT NOT NULL
);

CREATE TABLE user_units (
    user_id BIGINT NOT NULL REFERENCES users (id),
    unit    TEXT NOT NULL,
    PRIMARY KEY (user_id, unit)
);

CREATE TABLE devices (
    id           TEXT PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_ms   BIGINT NOT NULL,
    last_seen_ms BIGINT,
    revoked_ms   BIGINT
);

CREATE TABLE login_failures (
    user_name TEXT NOT NULL,
    at_ms     BIGINT NOT NULL
);
CREATE INDEX login_failures_by_user ON login_failures (user_name, at_ms);

CREATE TABLE changes (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    txid        xid8 NOT NULL DEFAULT pg_current_xact_id(),
    id          TEXT NOT NULL UNIQUE,
    tbl         TEXT NOT NULL,
    row_id      TEXT NOT NULL,
    unit        TEXT NOT NULL,
    device      TEXT NOT NULL,
    author      TEXT NOT NULL,
    body        TEXT NOT NULL,
    received_ms BIGINT NOT NULL
);
CREATE INDEX changes_by_txid_seq ON changes (txid, seq);
CREATE INDEX changes_by_row ON changes (row_id);

CREATE TABLE rows (
    id   TEXT PRIMARY KEY,
    tbl  TEXT NOT NULL,
    unit TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX rows_by_unit ON rows (unit);

CREATE TABLE conflicts (
    row_id TEXT NOT NULL,
    unit   TEXT NOT NULL,
    field  TEXT NOT NULL,
    body   TEXT NOT NULL
);
CREATE INDEX conflicts_by_row ON conflicts (row_id);
CREATE INDEX conflicts_by_unit ON conflicts (unit);
