-- Areas and community safety (issue 20): areas gain a kind, a parent, a note and the
-- police's classifications per year; the municipality's level scale; situation reports
-- (lägesbilder) with each area's level, the law's content checklist and to whom they
-- were presented; forums; agreements with focus areas and activities; statutes and
-- their duties with evidence and status assessments.
-- Value lists that are never queried on their own are JSON text (classifications,
-- members, meetings, parties, checklists, unnamed levels, the scale's definitions);
-- whatever is queried or referenced has a table.

ALTER TABLE areas ADD COLUMN kind TEXT;
ALTER TABLE areas ADD COLUMN parent_id INTEGER REFERENCES areas(id);
ALTER TABLE areas ADD COLUMN note TEXT NOT NULL DEFAULT '';
-- JSON array of {year, class, source, as_of}, oldest first (class: a PoliceClass code).
ALTER TABLE areas ADD COLUMN classifications TEXT NOT NULL DEFAULT '[]';
CREATE INDEX areas_parent ON areas(parent_id);

-- The class recorded before areas had classifications becomes one without a year or
-- source; `police_class` is no longer read.
UPDATE areas SET classifications = CASE police_class
    WHEN 'utsatt' THEN '[{"year":null,"class":"utsatt","source":"","as_of":null}]'
    WHEN 'risk' THEN '[{"year":null,"class":"risk","source":"","as_of":null}]'
    WHEN 'sarskilt-utsatt' THEN '[{"year":null,"class":"sarskilt-utsatt","source":"","as_of":null}]'
    ELSE '[]' END
WHERE police_class IS NOT NULL;

-- The municipality's level scale: one row (id 1); none means the defaults.
CREATE TABLE level_scale (
    id INTEGER PRIMARY KEY,
    max_level INTEGER NOT NULL,
    threshold INTEGER NOT NULL,
    present_within_days INTEGER NOT NULL,
    board_id INTEGER REFERENCES org_units(id) ON DELETE SET NULL,
    -- JSON object level → definition ({"1": "…"}).
    definitions TEXT NOT NULL
);

CREATE TABLE forums (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    purpose TEXT NOT NULL,
    chair TEXT NOT NULL,
    -- JSON array of {organisation, role}.
    members TEXT NOT NULL,
    cadence TEXT NOT NULL,
    reports_to_unit INTEGER REFERENCES org_units(id) ON DELETE SET NULL,
    reports_to_forum INTEGER REFERENCES forums(id) ON DELETE SET NULL,
    reports_what TEXT NOT NULL,
    -- A Documented code.
    documented TEXT NOT NULL,
    evaluated_on TEXT,
    evaluation TEXT NOT NULL,
    -- JSON {decision, led_by_municipality, partners_in_leading_positions,
    -- strategic_remit}; NULL: not designated the strategic council.
    council TEXT,
    -- JSON array of {date, reference, note}.
    meetings TEXT NOT NULL,
    note TEXT NOT NULL
);

CREATE TABLE forum_areas (
    forum_id INTEGER NOT NULL REFERENCES forums(id) ON DELETE CASCADE,
    area_id INTEGER NOT NULL REFERENCES areas(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (forum_id, area_id)
);
CREATE INDEX forum_areas_area ON forum_areas(area_id);

CREATE TABLE situation_reports (
    id INTEGER PRIMARY KEY,
    -- A SituationKind code.
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    producer TEXT NOT NULL,
    producer_forum_id INTEGER REFERENCES forums(id) ON DELETE SET NULL,
    -- A ReportStatus code.
    status TEXT NOT NULL,
    -- JSON array of levels given for areas the source does not name.
    unnamed_levels TEXT NOT NULL,
    -- JSON array of ChecklistItem codes.
    checklist TEXT NOT NULL,
    summary TEXT NOT NULL,
    public INTEGER NOT NULL,
    synthetic INTEGER NOT NULL
);
CREATE INDEX situation_reports_kind_end ON situation_reports(kind, period_end);
CREATE INDEX situation_reports_end ON situation_reports(period_end);

-- Each named area's level in a report; an area's history reads it by area.
CREATE TABLE situation_levels (
    report_id INTEGER NOT NULL REFERENCES situation_reports(id) ON DELETE CASCADE,
    area_id INTEGER NOT NULL REFERENCES areas(id) ON DELETE CASCADE,
    level INTEGER NOT NULL,
    -- The order the report gives them in.
    position INTEGER NOT NULL,
    PRIMARY KEY (report_id, area_id)
);
CREATE INDEX situation_levels_area ON situation_levels(area_id, report_id, level);

-- To whom a report was presented: a board or a forum.
CREATE TABLE situation_presentations (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES situation_reports(id) ON DELETE CASCADE,
    unit_id INTEGER REFERENCES org_units(id) ON DELETE CASCADE,
    forum_id INTEGER REFERENCES forums(id) ON DELETE CASCADE,
    date TEXT NOT NULL,
    reference TEXT NOT NULL,
    position INTEGER NOT NULL
);
CREATE INDEX situation_presentations_report ON situation_presentations(report_id);

CREATE TABLE agreements (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL,
    -- An AgreementKind code.
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    -- JSON array of {name, kind} (kind: a PartyKind code).
    parties TEXT NOT NULL,
    valid_from TEXT,
    valid_to TEXT,
    purpose TEXT NOT NULL,
    governing_forum_id INTEGER REFERENCES forums(id) ON DELETE SET NULL,
    situation_report_id INTEGER REFERENCES situation_reports(id) ON DELETE SET NULL,
    -- JSON array of SFS numbers.
    statutes TEXT NOT NULL,
    note TEXT NOT NULL
);

CREATE TABLE agreement_areas (
    agreement_id INTEGER NOT NULL REFERENCES agreements(id) ON DELETE CASCADE,
    area_id INTEGER NOT NULL REFERENCES areas(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (agreement_id, area_id)
);
CREATE INDEX agreement_areas_area ON agreement_areas(area_id);

CREATE TABLE agreement_focus_areas (
    id INTEGER PRIMARY KEY,
    agreement_id INTEGER NOT NULL REFERENCES agreements(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    has_plan INTEGER NOT NULL
);
CREATE INDEX agreement_focus_areas_agreement ON agreement_focus_areas(agreement_id);

CREATE TABLE agreement_activities (
    id INTEGER PRIMARY KEY,
    focus_area_id INTEGER NOT NULL REFERENCES agreement_focus_areas(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    problem TEXT NOT NULL,
    goal_short TEXT NOT NULL,
    goal_long TEXT NOT NULL,
    owner TEXT NOT NULL,
    frequency TEXT NOT NULL,
    follow_up TEXT NOT NULL,
    effect_indicator_id INTEGER REFERENCES indicators(id) ON DELETE SET NULL
);
CREATE INDEX agreement_activities_focus_area ON agreement_activities(focus_area_id);

CREATE TABLE statutes (
    id INTEGER PRIMARY KEY,
    sfs TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    in_force TEXT,
    leading_unit_id INTEGER REFERENCES org_units(id) ON DELETE SET NULL,
    url TEXT NOT NULL,
    note TEXT NOT NULL
);

CREATE TABLE obligations (
    id INTEGER PRIMARY KEY,
    statute_id INTEGER NOT NULL REFERENCES statutes(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    section TEXT NOT NULL,
    duty TEXT NOT NULL,
    -- JSON array of texts.
    checklist TEXT NOT NULL,
    requirement TEXT,
    first_due TEXT,
    every_months INTEGER,
    responsible_unit_id INTEGER REFERENCES org_units(id) ON DELETE SET NULL,
    -- An EvidenceKind code; NULL: any.
    fulfilled_by TEXT,
    note TEXT NOT NULL,
    UNIQUE (statute_id, code)
);

-- Evidence for a duty: `ref_id` names the situation report, agreement or forum of those
-- kinds (not a foreign key: the kind says which table).
CREATE TABLE obligation_evidence (
    id INTEGER PRIMARY KEY,
    obligation_id INTEGER NOT NULL REFERENCES obligations(id) ON DELETE CASCADE,
    -- An EvidenceKind code.
    kind TEXT NOT NULL,
    ref_id INTEGER,
    date TEXT,
    text TEXT NOT NULL
);
CREATE INDEX obligation_evidence_obligation ON obligation_evidence(obligation_id);

CREATE TABLE obligation_assessments (
    id INTEGER PRIMARY KEY,
    obligation_id INTEGER NOT NULL REFERENCES obligations(id) ON DELETE CASCADE,
    -- A ComplianceStatus code.
    status TEXT NOT NULL,
    assessed_by TEXT NOT NULL,
    by_auditors INTEGER NOT NULL,
    assessed_on TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX obligation_assessments_obligation ON obligation_assessments(obligation_id);
