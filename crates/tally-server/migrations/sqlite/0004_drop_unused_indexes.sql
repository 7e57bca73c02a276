-- Nothing reads changes by row or merged rows by unit on the server (pulls read
-- changes by unit and seq; a push reads rows by id): two B-tree writes less per change.
DROP INDEX IF EXISTS changes_by_row;
DROP INDEX IF EXISTS rows_by_unit;
