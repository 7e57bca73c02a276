-- Changes the server refused and the cadre then withdrew: out of the outbox, kept here
-- with the server's reason (nothing a person typed is dropped without a trace).
CREATE TABLE withdrawn_change (
    id               TEXT PRIMARY KEY,
    tbl              TEXT NOT NULL,
    row_id           TEXT NOT NULL,
    body             TEXT NOT NULL,
    reject_code      TEXT,
    reject_reason    TEXT,
    reject_reason_zh TEXT,
    withdrawn_at     TEXT NOT NULL
) WITHOUT ROWID;
