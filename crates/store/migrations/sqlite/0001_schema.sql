-- The uppsikt schema, version 1. One schema for both backends: this file is written with
-- the placeholders INTEGER PRIMARY KEY (primary key), REAL (floating point) and INTEGER (integer) and
-- expanded into sqlite/ and postgres/ by `gen.sh`; edit this file, not the generated ones.

CREATE TABLE org_units (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    short_name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    parent_id INTEGER REFERENCES org_units(id),
    position INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE visions (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL UNIQUE REFERENCES org_units(id),
    text TEXT NOT NULL
);

CREATE TABLE areas (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    police_class TEXT
);

CREATE TABLE assessment_scales (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    -- JSON array of level names, best first.
    levels TEXT NOT NULL,
    -- JSON array of minimum shares, one fewer than the levels.
    thresholds TEXT NOT NULL,
    commitment_weight REAL NOT NULL,
    unfinished_commitment_penalty INTEGER NOT NULL,
    active INTEGER NOT NULL DEFAULT 0
);

INSERT INTO assessment_scales (name, levels, thresholds, commitment_weight, unfinished_commitment_penalty, active)
VALUES ('Huddinge', '["Mycket god","God","Godtagbar","Ej godtagbar"]', '[0.9,0.6,0.4]', 1.0, 0, 1);

CREATE TABLE goals (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    org_id INTEGER NOT NULL REFERENCES org_units(id),
    parent_id INTEGER REFERENCES goals(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX goals_org ON goals(org_id);
CREATE INDEX goals_parent ON goals(parent_id);

CREATE TABLE goal_priorities (
    id INTEGER PRIMARY KEY,
    goal_id INTEGER NOT NULL REFERENCES goals(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX goal_priorities_goal ON goal_priorities(goal_id);

CREATE TABLE goal_analyses (
    id INTEGER PRIMARY KEY,
    goal_id INTEGER NOT NULL REFERENCES goals(id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    text TEXT NOT NULL,
    UNIQUE (goal_id, period)
);

CREATE TABLE indicators (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    goal_id INTEGER NOT NULL REFERENCES goals(id),
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    direction TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    kolada_kpi TEXT NOT NULL DEFAULT '',
    decimals INTEGER NOT NULL DEFAULT 0,
    frequency TEXT NOT NULL DEFAULT 'year',
    position INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX indicators_goal ON indicators(goal_id);

CREATE TABLE outcomes (
    id INTEGER PRIMARY KEY,
    indicator_id INTEGER NOT NULL REFERENCES indicators(id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    breakdown TEXT NOT NULL,
    value REAL NOT NULL,
    margin REAL,
    sample_size INTEGER,
    UNIQUE (indicator_id, period, breakdown)
);

CREATE TABLE milestones (
    id INTEGER PRIMARY KEY,
    indicator_id INTEGER NOT NULL REFERENCES indicators(id) ON DELETE CASCADE,
    year INTEGER NOT NULL,
    target TEXT NOT NULL,
    UNIQUE (indicator_id, year)
);

CREATE TABLE targets (
    id INTEGER PRIMARY KEY,
    indicator_id INTEGER NOT NULL REFERENCES indicators(id) ON DELETE CASCADE,
    year INTEGER NOT NULL,
    target TEXT NOT NULL,
    UNIQUE (indicator_id, year)
);

CREATE TABLE comparisons (
    id INTEGER PRIMARY KEY,
    indicator_id INTEGER NOT NULL REFERENCES indicators(id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    group_name TEXT NOT NULL,
    rank INTEGER,
    of_count INTEGER,
    average REAL,
    UNIQUE (indicator_id, period, group_name)
);

CREATE TABLE gap_judgements (
    id INTEGER PRIMARY KEY,
    indicator_id INTEGER NOT NULL REFERENCES indicators(id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    kind TEXT NOT NULL,
    unjustified INTEGER NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    UNIQUE (indicator_id, period, kind)
);

CREATE TABLE outcome_comments (
    id INTEGER PRIMARY KEY,
    indicator_id INTEGER NOT NULL REFERENCES indicators(id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    text TEXT NOT NULL,
    UNIQUE (indicator_id, period)
);

CREATE TABLE commitments (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    goal_id INTEGER NOT NULL REFERENCES goals(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    year INTEGER NOT NULL,
    carried_over_from_id INTEGER REFERENCES commitments(id),
    position INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX commitments_goal ON commitments(goal_id);

CREATE TABLE commitment_statuses (
    id INTEGER PRIMARY KEY,
    commitment_id INTEGER NOT NULL REFERENCES commitments(id) ON DELETE CASCADE,
    date TEXT NOT NULL,
    status TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT ''
);
CREATE INDEX commitment_statuses_commitment ON commitment_statuses(commitment_id);

-- What people decided or proposed; the system's own proposal is derived, never stored.
CREATE TABLE assessments (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES org_units(id),
    goal_id INTEGER REFERENCES goals(id),
    period TEXT NOT NULL,
    stage TEXT NOT NULL,
    level TEXT NOT NULL,
    motivation TEXT NOT NULL DEFAULT '',
    author TEXT NOT NULL DEFAULT '',
    date TEXT NOT NULL DEFAULT ''
);
CREATE INDEX assessments_org ON assessments(org_id, period);
CREATE INDEX assessments_goal ON assessments(goal_id, period);

-- Append-only: every write records who, when, what, before and after, in the same
-- transaction as the change.
CREATE TABLE change_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id INTEGER,
    before_value TEXT,
    after_value TEXT
);
CREATE INDEX change_log_object ON change_log(object_type, object_id);

-- Bumped by every write; readers use it to tell whether cached derived data is current.
CREATE TABLE data_version (
    id INTEGER PRIMARY KEY,
    version INTEGER NOT NULL
);
INSERT INTO data_version (id, version) VALUES (1, 0);
