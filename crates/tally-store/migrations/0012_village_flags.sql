-- The flags leaders set on villages (沿黄渗漏区, 重点村), and the ledger's household
-- breakdowns (分类统计) among the per-day sums (their `pile` column now holds a pile kind
-- or a household group): day sums rebuilt from the rows after this.
ALTER TABLE org_unit ADD COLUMN seepage INTEGER NOT NULL DEFAULT 0;
ALTER TABLE org_unit ADD COLUMN key_village INTEGER NOT NULL DEFAULT 0;
INSERT OR REPLACE INTO meta (key, value) VALUES ('day_sums', 'rebuild');
