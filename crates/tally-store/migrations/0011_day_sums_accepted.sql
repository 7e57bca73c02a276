-- What was accepted (验收): renovated houses and works items, per day like started and
-- completed; works items' accepted day. Day sums rebuilt from the rows after this.
ALTER TABLE day_sums ADD COLUMN accepted INTEGER NOT NULL DEFAULT 0;
INSERT OR REPLACE INTO meta (key, value) VALUES ('day_sums', 'rebuild');
