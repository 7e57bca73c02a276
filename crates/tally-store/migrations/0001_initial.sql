-- The device database: merged rows, the change log (outbox and audit trail), open
-- conflicts, and typed projections of the rows for search and the ledger.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- Merged state of every synced row: tally_core::Row as JSON.
CREATE TABLE row_state (
    tbl   TEXT NOT NULL,
    id    TEXT NOT NULL,
    unit  TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (tbl, id)
) WITHOUT ROWID;

-- Every change made here or received: local ones are the outbox until accepted.
CREATE TABLE change_log (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    tbl           TEXT NOT NULL,
    row_id        TEXT NOT NULL,
    unit          TEXT NOT NULL,
    body          TEXT NOT NULL,
    origin        TEXT NOT NULL CHECK (origin IN ('local', 'remote')),
    state         TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected', 'remote')),
    receipt       INTEGER,
    reject_code   TEXT,
    reject_reason TEXT,
    recorded_at   TEXT NOT NULL,
    utc_offset_min INTEGER NOT NULL
);
CREATE INDEX change_log_row ON change_log (tbl, row_id);
CREATE INDEX change_log_state ON change_log (state) WHERE state IN ('pending', 'rejected');

CREATE TABLE conflict (
    tbl      TEXT NOT NULL,
    row_id   TEXT NOT NULL,
    unit     TEXT NOT NULL,
    field    TEXT NOT NULL,
    loser_at TEXT NOT NULL,
    body     TEXT NOT NULL,
    PRIMARY KEY (tbl, row_id, field, loser_at)
) WITHOUT ROWID;

-- Projections, rebuilt from row_state on every write of a row.
CREATE TABLE org_unit (
    code   TEXT PRIMARY KEY,
    name   TEXT NOT NULL,
    level  TEXT NOT NULL,
    parent TEXT,
    deleted INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE household (
    id           TEXT PRIMARY KEY,
    unit         TEXT NOT NULL,
    head         TEXT NOT NULL,
    initials     TEXT NOT NULL,
    spelled      TEXT NOT NULL,
    members      INTEGER NOT NULL,
    phone        TEXT,
    categories   TEXT NOT NULL,
    seepage      INTEGER NOT NULL,
    rating       TEXT,
    renovation   TEXT,
    planned_on   TEXT,
    started_on   TEXT,
    completed_on TEXT,
    accepted_on  TEXT,
    cadre        TEXT,
    deleted      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX household_unit ON household (unit);

CREATE TABLE visit (
    id        TEXT PRIMARY KEY,
    unit      TEXT NOT NULL,
    household TEXT NOT NULL,
    date      TEXT NOT NULL,
    note      TEXT NOT NULL,
    deleted   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX visit_household ON visit (household, date);

CREATE TABLE demolition (
    id        TEXT PRIMARY KEY,
    unit      TEXT NOT NULL,
    household TEXT,
    area_m2   REAL,
    date      TEXT NOT NULL,
    deleted   INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE cleanup (
    id      TEXT PRIMARY KEY,
    unit    TEXT NOT NULL,
    kind    TEXT NOT NULL,
    tonnes  REAL NOT NULL,
    piles   INTEGER NOT NULL,
    date    TEXT NOT NULL,
    deleted INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE works (
    id           TEXT PRIMARY KEY,
    unit         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    quantity     REAL NOT NULL,
    people       INTEGER,
    status       TEXT NOT NULL,
    started_on   TEXT,
    completed_on TEXT,
    deleted      INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE target (
    id       TEXT PRIMARY KEY,
    unit     TEXT NOT NULL,
    metric   TEXT NOT NULL,
    quantity REAL NOT NULL,
    deadline TEXT NOT NULL,
    deleted  INTEGER NOT NULL
) WITHOUT ROWID;
