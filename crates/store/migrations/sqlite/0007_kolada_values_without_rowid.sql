-- SQLite: Kolada's raw values are looked up and written by their key only, so the key is
-- the table (WITHOUT ROWID): one B-tree instead of a rowid table plus the key's index,
-- which makes the bulk import about a third faster. PostgreSQL has no such distinction.
CREATE TABLE kolada_values_by_key (
    kpi TEXT NOT NULL,
    municipality TEXT NOT NULL,
    year INTEGER NOT NULL,
    gender TEXT NOT NULL,
    value REAL,
    status TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (kpi, municipality, year, gender)
) WITHOUT ROWID;
INSERT INTO kolada_values_by_key (kpi, municipality, year, gender, value, status)
    SELECT kpi, municipality, year, gender, value, status FROM kolada_values;
DROP TABLE kolada_values;
ALTER TABLE kolada_values_by_key RENAME TO kolada_values;
