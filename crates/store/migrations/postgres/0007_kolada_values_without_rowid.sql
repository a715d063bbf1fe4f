-- SQLite: Kolada's raw values are looked up and written by their key only, so the key is
-- the table (WITHOUT ROWID): one B-tree instead of a rowid table plus the key's index,
-- which makes the bulk import about a third faster. PostgreSQL has no such distinction.
SELECT 1;
