-- One name for the per-day sums on the device and the server: the server's table, the
-- meta key 'day_sums' and the core type DaySums all say day_sums. Same rows, same key.
ALTER TABLE day_sum RENAME TO day_sums;
