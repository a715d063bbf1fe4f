-- A board's decision on its verksamhetsplan for a year. It freezes that year's milestones
-- and long-term targets of the year, and the definitions of that year's commitments, for
-- the unit and every unit below it (`frozen.rs`), until a controller reopens the plan with
-- a reason (logged). Outcomes, analyses and commitment statuses stay open: they are the
-- follow-up, which period locks decide.
CREATE TABLE plan_decisions (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES org_units(id) ON DELETE CASCADE,
    year INTEGER NOT NULL,
    body TEXT NOT NULL,
    decided_on TEXT NOT NULL,
    paragraph TEXT NOT NULL,
    diary_number TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    UNIQUE (org_id, year)
);
-- Finding a commitment's carry-over (a roll-over does not carry one twice).
CREATE INDEX commitments_carried_over_from ON commitments (carried_over_from_id);
