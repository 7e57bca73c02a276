-- A pull within a few org units (a cadre's village) can read their changes through
-- this index instead of scanning every change after the cursor.
CREATE INDEX changes_by_unit ON changes (unit, txid, seq);
