-- The flags leaders set on villages (沿黄渗漏区, 重点村), and the ledger's household
-- breakdowns (分类统计) among the per-day sums (their `pile` column now holds a pile kind
-- or a household group). Day sums refilled from the merged rows right after this.
ALTER TABLE org_units ADD COLUMN seepage BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE org_units ADD COLUMN key_village BOOLEAN NOT NULL DEFAULT FALSE;

INSERT INTO server_meta (key, value) VALUES ('day_sums', 'rebuild')
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
