-- Issue 17: a unit's current period, and corrections of a deviation's decision.
--
-- The period a unit's pages, forms and reports start from, chosen by a controller. No row:
-- the nearest choice above the unit, else the latest decided period
-- (uppsikt_domain::current_period).
CREATE TABLE current_periods (
    org_id INTEGER PRIMARY KEY REFERENCES org_units(id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    saved_by TEXT NOT NULL
);

-- Each correction of a deviation's recorded decision keeps, whole, the decision it
-- replaced (the first one's is the decision originally recorded), with the reason, who
-- corrected it and the day. deviation_decisions holds the decision in force, so every
-- query of standings counts the corrected decision.
CREATE TABLE deviation_decision_corrections (
    id INTEGER PRIMARY KEY,
    deviation_id INTEGER NOT NULL REFERENCES deviations(id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    decided_on TEXT NOT NULL,
    paragraph TEXT NOT NULL,
    diary_number TEXT NOT NULL,
    act INTEGER NOT NULL,
    motivation TEXT NOT NULL,
    reason TEXT NOT NULL,
    corrected_on TEXT NOT NULL,
    corrected_by TEXT NOT NULL
);
CREATE INDEX deviation_decision_corrections_deviation ON deviation_decision_corrections(deviation_id);
