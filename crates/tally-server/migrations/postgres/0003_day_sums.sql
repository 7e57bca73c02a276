-- Per-day sums of the ledger's facts (tally_core::ledger::sums), so the ledger reads a
-- row per unit, metric, pile kind and day instead of every merged row's JSON. Amounts
-- in thousandths; pile '' = none, day '' = undated. Each push adds its difference in
-- its own transaction; filled from the rows right after this migration.
CREATE TABLE day_sums (
    unit      TEXT NOT NULL,
    metric    TEXT NOT NULL,
    pile      TEXT NOT NULL,
    day       TEXT NOT NULL,
    started   BIGINT NOT NULL,
    completed BIGINT NOT NULL,
    facts     BIGINT NOT NULL,
    PRIMARY KEY (unit, metric, pile, day)
);

-- The ledger reads every target; there are few among the rows.
CREATE INDEX rows_targets ON rows (id) WHERE tbl = 'target';

INSERT INTO server_meta (key, value) VALUES ('day_sums', 'rebuild')
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
