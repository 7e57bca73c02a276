-- Per-day sums of the ledger's facts (tally_core::ledger::sums): a banner's ledger
-- reads one row per unit, metric, pile kind and day instead of every record. Amounts
-- in thousandths; pile '' = none, day '' = undated. Not synced and not data: every
-- write adds its difference in its own transaction, and the sums are rebuilt from the
-- rows when the store opens with meta 'day_sums' = 'rebuild' (set here, so a database
-- migrated with records in it starts with the right sums).
CREATE TABLE day_sum (
    unit      TEXT NOT NULL,
    metric    TEXT NOT NULL,
    pile      TEXT NOT NULL,
    day       TEXT NOT NULL,
    started   INTEGER NOT NULL,
    completed INTEGER NOT NULL,
    facts     INTEGER NOT NULL,
    PRIMARY KEY (unit, metric, pile, day)
) WITHOUT ROWID;

INSERT OR REPLACE INTO meta (key, value) VALUES ('day_sums', 'rebuild');

-- The ledger no longer aggregates the record projections.
DROP INDEX cleanup_facts;
DROP INDEX demolition_facts;
DROP INDEX household_facts;
