-- Getting data in from Kolada: its metadata, the raw values for any KPI × municipality ×
-- year × gender, comparison groups (Kolada's or custom lists) and which groups each
-- indicator is compared against. Outcomes of linked indicators are filled from the raw
-- values by the store (source 'kolada'); ranks and group averages are derived on read.

-- Which municipality is ours in Kolada (e.g. 0126 Huddinge) and where the API is.
CREATE TABLE kolada_settings (
    id INTEGER PRIMARY KEY,
    municipality TEXT NOT NULL DEFAULT '',
    api_url TEXT NOT NULL DEFAULT 'https://api.kolada.se/v3'
);
INSERT INTO kolada_settings (id) VALUES (1);

CREATE TABLE kolada_municipalities (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    -- K (kommun) or L (region).
    kind TEXT NOT NULL DEFAULT ''
);

CREATE TABLE kolada_kpis (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    operating_area TEXT NOT NULL DEFAULT '',
    divided_by_gender INTEGER NOT NULL DEFAULT 0,
    -- The day of the last complete fetch from the API: the next one asks only for values
    -- changed since (from_date).
    fetched_on TEXT
);

-- One value per KPI, municipality, year and gender. NULL value: Kolada publishes none
-- (missing, never zero); status keeps Kolada's flag.
CREATE TABLE kolada_values (
    kpi TEXT NOT NULL,
    municipality TEXT NOT NULL,
    year INTEGER NOT NULL,
    gender TEXT NOT NULL,
    value REAL,
    status TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (kpi, municipality, year, gender)
) WITHOUT ROWID;

-- A comparison group: a Kolada municipality group (kolada_id set) or a custom list.
CREATE TABLE comparison_groups (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    kolada_id TEXT UNIQUE
);

CREATE TABLE comparison_group_members (
    group_id INTEGER NOT NULL REFERENCES comparison_groups(id) ON DELETE CASCADE,
    municipality TEXT NOT NULL,
    PRIMARY KEY (group_id, municipality)
);

CREATE TABLE indicator_comparison_groups (
    indicator_id INTEGER NOT NULL REFERENCES indicators(id) ON DELETE CASCADE,
    group_id INTEGER NOT NULL REFERENCES comparison_groups(id) ON DELETE CASCADE,
    position INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (indicator_id, group_id)
);

-- Where an outcome came from: '' typed or imported from a file, 'kolada' filled from
-- kolada_values (and removed again when Kolada withdraws the value).
ALTER TABLE outcomes ADD COLUMN source TEXT NOT NULL DEFAULT '';
CREATE INDEX indicators_kolada_kpi ON indicators(kolada_kpi);
