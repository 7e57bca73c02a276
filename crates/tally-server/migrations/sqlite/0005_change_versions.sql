-- A version (HLC + device) belongs to one change: a second change id claiming it is
-- refused (`version_taken`), never merged as a repeat. `hlc` is the HLC as Hlc's Display
-- writes it; changes stored before this migration get theirs from their body, and a
-- version already claimed twice keeps it on the first change only.
ALTER TABLE changes ADD COLUMN hlc TEXT;
UPDATE changes SET hlc = printf('%013d-%05d', json_extract(body, '$.hlc.ms'),
                                json_extract(body, '$.hlc.count'));
UPDATE changes SET hlc = NULL
 WHERE seq NOT IN (SELECT MIN(seq) FROM changes GROUP BY device, hlc);
CREATE UNIQUE INDEX changes_by_version ON changes (device, hlc);
