-- A unit's review of a period beside its assessments: the most important events and
-- the improvement areas, each a JSON array of texts.
CREATE TABLE period_reviews (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES org_units(id),
    period TEXT NOT NULL,
    events TEXT NOT NULL,
    improvement_areas TEXT NOT NULL,
    UNIQUE (org_id, period)
);
