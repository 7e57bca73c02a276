-- Household search over tens of thousands of households: the list's order and what a
-- search looks at (name, pinyin initials and spelling) in one index, so a search reads
-- no household row but the ones it shows; and each household's last visit straight
-- from an index of the visits not deleted.
CREATE INDEX IF NOT EXISTS household_search ON household (deleted, unit, spelled, id, initials, head);
CREATE INDEX IF NOT EXISTS visit_last ON visit (household, date) WHERE deleted = 0;
