-- A version (HLC + device) belongs to one change: a second change id claiming it is
-- refused (`version_taken`), never merged as a repeat. `hlc` is the HLC as Hlc's Display
-- writes it (at least 13 and 5 digits); changes stored before this migration get theirs
-- from their body, and a version already claimed twice keeps it on the first change only.
ALTER TABLE changes ADD COLUMN hlc TEXT;
UPDATE changes SET hlc =
    CASE WHEN length(body::jsonb->'hlc'->>'ms') < 13
         THEN lpad(body::jsonb->'hlc'->>'ms', 13, '0') ELSE body::jsonb->'hlc'->>'ms' END
    || '-' ||
    CASE WHEN length(body::jsonb->'hlc'->>'count') < 5
         THEN lpad(body::jsonb->'hlc'->>'count', 5, '0') ELSE body::jsonb->'hlc'->>'count' END;
UPDATE changes SET hlc = NULL
 WHERE seq NOT IN (SELECT MIN(seq) FROM changes GROUP BY device, hlc);
CREATE UNIQUE INDEX changes_by_version ON changes (device, hlc);
