-- The head's resident identity card number (身份证号), as rosters carry it: a re-import
-- matches a household by it. Households recorded before have none.
ALTER TABLE household ADD COLUMN id_number TEXT;
