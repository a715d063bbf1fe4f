-- Audit recommendations (revisionens granskningar, issue 19): the auditors' audits with
-- their questions and numbered recommendations, each addressed board's response with a
-- stance per recommendation, the auditors' verdict per recommendation and year, the
-- boards' links to internal control, and the audit report itself (PDF).
-- A case number is stored as written plus its parsed parts, so that loading needs no
-- format.

CREATE TABLE audits (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    plan_year INTEGER NOT NULL,
    -- 'review', 'in_depth' or 'follow_up'.
    kind TEXT NOT NULL,
    commissioned_by TEXT NOT NULL,
    performed_by TEXT NOT NULL,
    case_ref TEXT,
    case_body TEXT,
    case_year INTEGER,
    case_serial INTEGER,
    case_class TEXT,
    issued_on TEXT,
    response_due TEXT,
    purpose TEXT NOT NULL,
    scope TEXT NOT NULL,
    method TEXT NOT NULL,
    fact_checked INTEGER NOT NULL,
    -- An assessment code; NULL: none given.
    overall TEXT,
    overall_text TEXT NOT NULL
);
CREATE INDEX audits_plan_year ON audits(plan_year);

-- The audited bodies, in order (the first owns the audit).
CREATE TABLE audit_units (
    audit_id INTEGER NOT NULL REFERENCES audits(id) ON DELETE CASCADE,
    org_id INTEGER NOT NULL REFERENCES org_units(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (audit_id, org_id)
);
CREATE INDEX audit_units_org ON audit_units(org_id);

CREATE TABLE audit_criteria (
    id INTEGER PRIMARY KEY,
    audit_id INTEGER NOT NULL REFERENCES audits(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    -- 'statute' or 'rule' with its id ("2017:725", "HKF 9410"); NULL: none read.
    ref_kind TEXT,
    ref_id TEXT
);
CREATE INDEX audit_criteria_audit ON audit_criteria(audit_id);

CREATE TABLE audit_signatories (
    id INTEGER PRIMARY KEY,
    audit_id INTEGER NOT NULL REFERENCES audits(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL
);
CREATE INDEX audit_signatories_audit ON audit_signatories(audit_id);

-- A follow-up audit's audits followed up.
CREATE TABLE audit_follows_up (
    audit_id INTEGER NOT NULL REFERENCES audits(id) ON DELETE CASCADE,
    followed_id INTEGER NOT NULL REFERENCES audits(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (audit_id, followed_id)
);
CREATE INDEX audit_follows_up_followed ON audit_follows_up(followed_id);

CREATE TABLE audit_questions (
    id INTEGER PRIMARY KEY,
    audit_id INTEGER NOT NULL REFERENCES audits(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    text TEXT NOT NULL,
    assessment TEXT,
    reasoning TEXT NOT NULL,
    UNIQUE (audit_id, number)
);

CREATE TABLE audit_sub_questions (
    id INTEGER PRIMARY KEY,
    question_id INTEGER NOT NULL REFERENCES audit_questions(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    assessment TEXT
);
CREATE INDEX audit_sub_questions_question ON audit_sub_questions(question_id);

CREATE TABLE audit_recommendations (
    id INTEGER PRIMARY KEY,
    audit_id INTEGER NOT NULL REFERENCES audits(id) ON DELETE CASCADE,
    number TEXT NOT NULL,
    text TEXT NOT NULL,
    -- The earlier recommendation this one issues again.
    reissues_id INTEGER REFERENCES audit_recommendations(id) ON DELETE SET NULL,
    position INTEGER NOT NULL,
    UNIQUE (audit_id, number)
);
CREATE INDEX audit_recommendations_reissues ON audit_recommendations(reissues_id);

CREATE TABLE audit_rec_addressees (
    rec_id INTEGER NOT NULL REFERENCES audit_recommendations(id) ON DELETE CASCADE,
    org_id INTEGER NOT NULL REFERENCES org_units(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (rec_id, org_id)
);
CREATE INDEX audit_rec_addressees_org ON audit_rec_addressees(org_id);

-- The numbers of the questions a recommendation answers.
CREATE TABLE audit_rec_questions (
    rec_id INTEGER NOT NULL REFERENCES audit_recommendations(id) ON DELETE CASCADE,
    question_number INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (rec_id, question_number)
);

CREATE TABLE audit_verdicts (
    id INTEGER PRIMARY KEY,
    rec_id INTEGER NOT NULL REFERENCES audit_recommendations(id) ON DELETE CASCADE,
    year INTEGER NOT NULL,
    grade TEXT NOT NULL,
    text TEXT NOT NULL,
    evidence TEXT NOT NULL,
    closes INTEGER NOT NULL,
    UNIQUE (rec_id, year)
);

-- A board's link from a recommendation to an item of internal control ('ic_action',
-- 'ic_control' or 'ic_risk' with its id).
CREATE TABLE audit_ic_links (
    id INTEGER PRIMARY KEY,
    rec_id INTEGER NOT NULL REFERENCES audit_recommendations(id) ON DELETE CASCADE,
    org_id INTEGER NOT NULL REFERENCES org_units(id) ON DELETE CASCADE,
    target_kind TEXT NOT NULL,
    target_id INTEGER NOT NULL,
    UNIQUE (rec_id, org_id, target_kind, target_id)
);
CREATE INDEX audit_ic_links_target ON audit_ic_links(target_kind, target_id);

-- A board's decided response to an audit: one per board and audit.
CREATE TABLE audit_responses (
    id INTEGER PRIMARY KEY,
    audit_id INTEGER NOT NULL REFERENCES audits(id) ON DELETE CASCADE,
    org_id INTEGER NOT NULL REFERENCES org_units(id) ON DELETE CASCADE,
    -- A deciding body's code: 'board', 'committee' or 'administration'.
    body TEXT NOT NULL,
    document TEXT NOT NULL,
    decided_on TEXT NOT NULL,
    paragraph TEXT NOT NULL,
    case_ref TEXT,
    case_body TEXT,
    case_year INTEGER,
    case_serial INTEGER,
    case_class TEXT,
    UNIQUE (audit_id, org_id)
);

CREATE TABLE audit_response_items (
    id INTEGER PRIMARY KEY,
    response_id INTEGER NOT NULL REFERENCES audit_responses(id) ON DELETE CASCADE,
    rec_id INTEGER NOT NULL REFERENCES audit_recommendations(id) ON DELETE CASCADE,
    -- A stance code with its reservation or motivation ('' for the others).
    stance TEXT NOT NULL,
    stance_text TEXT NOT NULL,
    comment TEXT NOT NULL,
    position INTEGER NOT NULL,
    UNIQUE (response_id, rec_id)
);
CREATE INDEX audit_response_items_rec ON audit_response_items(rec_id);

-- The audit report (PDF) as uploaded, with its SHA-256.
CREATE TABLE audit_reports (
    audit_id INTEGER PRIMARY KEY REFERENCES audits(id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    bytes BLOB NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    stored_by TEXT NOT NULL,
    stored_at TEXT NOT NULL
);
