-- Internal control (intern kontroll, issue 18): a board's plan per year with its risks,
-- risk-reducing actions (with what each serves and its amendments), systematic controls
-- and contract follow-ups with their planned occurrences. Deleting a plan deletes what
-- it holds; the change log keeps its history.

-- A risk matrix version. Never updated: a changed template is a new version (same name,
-- next version), and a plan keeps the version its risks were scored in.
CREATE TABLE risk_matrices (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    -- JSON arrays of the labels, lowest first.
    probability TEXT NOT NULL,
    consequence TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    saved_by TEXT NOT NULL,
    UNIQUE (name, version)
);

-- A board's internal-control plan for a year. The adoption, the risk analysis and the
-- two overall assessments are each absent (NULL) until recorded.
CREATE TABLE control_plans (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES org_units(id) ON DELETE CASCADE,
    year INTEGER NOT NULL,
    rule_ref TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    matrix_id INTEGER REFERENCES risk_matrices(id),
    adoption_body TEXT,
    adoption_decided_on TEXT,
    adoption_paragraph TEXT,
    adoption_diary_number TEXT,
    risk_analysis_held_on TEXT,
    risk_analysis_participants TEXT,
    -- 1/0; NULL: no risk analysis recorded.
    risk_analysis_elected_members INTEGER,
    self_level TEXT,
    self_motivation TEXT,
    self_source TEXT,
    auditor_level TEXT,
    auditor_motivation TEXT,
    auditor_source TEXT,
    UNIQUE (org_id, year)
);
CREATE INDEX control_plans_matrix ON control_plans(matrix_id);

CREATE TABLE ic_risks (
    id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES control_plans(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    area TEXT NOT NULL,
    text TEXT NOT NULL,
    background TEXT NOT NULL,
    -- "2012", or "≤2012" for "2012 eller tidigare"; NULL: not known.
    first_documented TEXT,
    carried_from_id INTEGER REFERENCES ic_risks(id) ON DELETE SET NULL,
    common_from_id INTEGER REFERENCES ic_risks(id) ON DELETE SET NULL,
    common INTEGER NOT NULL DEFAULT 0,
    -- Scores in the plan's matrix (1-based); NULL: not assessed.
    gross_probability INTEGER,
    gross_consequence INTEGER,
    net_probability INTEGER,
    net_consequence INTEGER,
    -- 'action', 'control' or 'accept' (with its motivation); NULL: not chosen.
    handling TEXT,
    handling_motivation TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL,
    UNIQUE (plan_id, key)
);
CREATE INDEX ic_risks_carried_from ON ic_risks(carried_from_id);
CREATE INDEX ic_risks_common_from ON ic_risks(common_from_id);

CREATE TABLE ic_actions (
    id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES control_plans(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    text TEXT NOT NULL,
    responsible TEXT NOT NULL,
    -- 'not_done' or 'done'.
    status TEXT NOT NULL,
    done_on TEXT,
    comment TEXT NOT NULL,
    -- What it waits for: another action, or something outside the plans (text).
    blocked_by_action_id INTEGER REFERENCES ic_actions(id) ON DELETE SET NULL,
    blocked_by_text TEXT,
    -- Who verified its effect, how and when (all NULL: not verified).
    verified_by TEXT,
    verified_how TEXT,
    verified_on TEXT,
    carried_from_id INTEGER REFERENCES ic_actions(id) ON DELETE SET NULL,
    position INTEGER NOT NULL,
    UNIQUE (plan_id, key)
);
CREATE INDEX ic_actions_blocked_by ON ic_actions(blocked_by_action_id);
CREATE INDEX ic_actions_carried_from ON ic_actions(carried_from_id);

-- What an action serves: exactly one of a risk, a recommendation (diarienummer and
-- title) or a deviation per row; one action may serve several.
CREATE TABLE ic_action_sources (
    id INTEGER PRIMARY KEY,
    action_id INTEGER NOT NULL REFERENCES ic_actions(id) ON DELETE CASCADE,
    risk_id INTEGER REFERENCES ic_risks(id) ON DELETE CASCADE,
    case_ref TEXT,
    title TEXT,
    deviation_id INTEGER REFERENCES deviations(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    CHECK ((CASE WHEN risk_id IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN case_ref IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN deviation_id IS NULL THEN 0 ELSE 1 END) = 1)
);
CREATE INDEX ic_action_sources_action ON ic_action_sources(action_id);
CREATE INDEX ic_action_sources_risk ON ic_action_sources(risk_id);
CREATE INDEX ic_action_sources_deviation ON ic_action_sources(deviation_id);

-- A change of an action's content: the earlier text stays.
CREATE TABLE ic_action_amendments (
    id INTEGER PRIMARY KEY,
    action_id INTEGER NOT NULL REFERENCES ic_actions(id) ON DELETE CASCADE,
    on_date TEXT NOT NULL,
    previous_text TEXT NOT NULL,
    new_text TEXT NOT NULL,
    reason TEXT NOT NULL,
    amended_by TEXT NOT NULL
);
CREATE INDEX ic_action_amendments_action ON ic_action_amendments(action_id);

-- A systematic control or a contract follow-up (its four own fields empty otherwise).
CREATE TABLE ic_controls (
    id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES control_plans(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    -- 'systematic' or 'contract_follow_up'.
    kind TEXT NOT NULL,
    follow_up_kind TEXT NOT NULL DEFAULT '',
    schedule TEXT NOT NULL DEFAULT '',
    follow_up_interval TEXT NOT NULL DEFAULT '',
    recipients TEXT NOT NULL DEFAULT '',
    area TEXT NOT NULL,
    name TEXT NOT NULL,
    purpose TEXT NOT NULL,
    method TEXT NOT NULL,
    frequency TEXT NOT NULL,
    sample TEXT NOT NULL,
    planned_parameters TEXT NOT NULL,
    responsible TEXT NOT NULL,
    due TEXT NOT NULL,
    origin TEXT NOT NULL,
    comment TEXT NOT NULL,
    carried_from_id INTEGER REFERENCES ic_controls(id) ON DELETE SET NULL,
    common_from_id INTEGER REFERENCES ic_controls(id) ON DELETE SET NULL,
    common INTEGER NOT NULL DEFAULT 0,
    -- The decision not to continue it (all NULL: none).
    discontinued_on TEXT,
    discontinued_by TEXT,
    discontinued_reason TEXT,
    position INTEGER NOT NULL,
    UNIQUE (plan_id, key)
);
CREATE INDEX ic_controls_carried_from ON ic_controls(carried_from_id);
CREATE INDEX ic_controls_common_from ON ic_controls(common_from_id);

-- A planned occurrence of a control and what was recorded for it.
CREATE TABLE ic_occurrences (
    id INTEGER PRIMARY KEY,
    control_id INTEGER NOT NULL REFERENCES ic_controls(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    planned_on TEXT NOT NULL,
    -- NULL: nothing recorded; 'performed' or 'not_performed'.
    state TEXT,
    performed_on TEXT,
    parameters_used TEXT,
    -- 'without_remark' or 'with_remark'.
    result TEXT,
    findings TEXT,
    not_performed_reason TEXT,
    recorded_by TEXT,
    recorded_at TEXT,
    UNIQUE (control_id, seq)
);
