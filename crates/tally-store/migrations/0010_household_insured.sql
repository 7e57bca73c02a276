-- A household's members with pension and medical insurance (养老 / 医疗保险), counted by
-- the ledger's pension and medical rows. Households recorded before have neither.
ALTER TABLE household ADD COLUMN pension INTEGER;
ALTER TABLE household ADD COLUMN medical INTEGER;
