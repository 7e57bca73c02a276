-- What was accepted (验收): renovated houses and works items, per day like started and
-- completed. Filled from the merged rows right after this migration.
ALTER TABLE day_sums ADD COLUMN accepted BIGINT NOT NULL DEFAULT 0;

INSERT INTO server_meta (key, value) VALUES ('day_sums', 'rebuild')
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
