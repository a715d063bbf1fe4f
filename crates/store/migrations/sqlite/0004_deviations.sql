-- Deviations (avvikelser), the decision on each, its actions and their dated comments.

CREATE TABLE deviations (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES org_units(id) ON DELETE CASCADE,
    area TEXT,
    source TEXT NOT NULL,
    severity TEXT NOT NULL,
    period TEXT NOT NULL,
    description TEXT NOT NULL,
    -- Automatic deviations: one per cause and period.
    cause_key TEXT UNIQUE,
    raised_on TEXT NOT NULL,
    raised_by TEXT NOT NULL
);
CREATE INDEX deviations_org ON deviations(org_id);

CREATE TABLE deviation_decisions (
    deviation_id INTEGER PRIMARY KEY REFERENCES deviations(id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    decided_on TEXT NOT NULL,
    paragraph TEXT NOT NULL,
    diary_number TEXT NOT NULL,
    act INTEGER NOT NULL,
    motivation TEXT NOT NULL
);

CREATE TABLE deviation_actions (
    id INTEGER PRIMARY KEY,
    deviation_id INTEGER NOT NULL REFERENCES deviations(id) ON DELETE CASCADE,
    what TEXT NOT NULL,
    responsible_org_id INTEGER NOT NULL REFERENCES org_units(id),
    responsible_person TEXT NOT NULL,
    due TEXT NOT NULL,
    expected_effect TEXT NOT NULL,
    indicator_id INTEGER REFERENCES indicators(id) ON DELETE SET NULL,
    state TEXT NOT NULL,
    position INTEGER NOT NULL
);
CREATE INDEX deviation_actions_deviation ON deviation_actions(deviation_id);

CREATE TABLE deviation_action_comments (
    id INTEGER PRIMARY KEY,
    action_id INTEGER NOT NULL REFERENCES deviation_actions(id) ON DELETE CASCADE,
    on_date TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX deviation_action_comments_action ON deviation_action_comments(action_id);
