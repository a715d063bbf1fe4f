-- The economy (issue 21): cost types with the account plan's ranges, budget lines
-- (budget, outcome, forecast per unit, cost type and period), explanations of
-- deviations, tolerances, the ledger's dimension mapped to units, investment trees,
-- balance carry-overs, the equity rule, and grants with allocations and spend.
-- Amounts are whole öre (BIGINT in PostgreSQL). Sums are never stored: only leaves.

-- The municipality's cost types (kostnadsslag) and the accounts each collects.
CREATE TABLE cost_types (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE,
    -- A CostGroup code (intakter, personal, kostnader, finansiella).
    cost_group TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    -- JSON array of {from, to} account ranges.
    ranges TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE budget_lines (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES org_units(id) ON DELETE CASCADE,
    cost_type_id INTEGER REFERENCES cost_types(id) ON DELETE RESTRICT,
    year INTEGER NOT NULL,
    -- A Period code: 2019, 2019T2, 2019-03.
    period TEXT NOT NULL,
    -- A LineKind code: budget, utfall, prognos.
    kind TEXT NOT NULL,
    amount INTEGER NOT NULL,
    forecast_on TEXT,
    area TEXT,
    -- Where the line came from: manual, sie, file, demo. A ledger import replaces the
    -- lines of its own origin for the units and year it holds.
    origin TEXT NOT NULL DEFAULT 'manual'
);
CREATE INDEX budget_lines_unit_year ON budget_lines(unit_id, year);
CREATE UNIQUE INDEX budget_lines_leaf ON budget_lines(
    unit_id, COALESCE(cost_type_id, 0), period, kind, COALESCE(forecast_on, ''), COALESCE(area, ''));

-- The explanation of a unit's deviation in a year (per cost type, or the unit's).
CREATE TABLE budget_explanations (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES org_units(id) ON DELETE CASCADE,
    year INTEGER NOT NULL,
    cost_type_id INTEGER REFERENCES cost_types(id) ON DELETE CASCADE,
    text TEXT NOT NULL
);
CREATE UNIQUE INDEX budget_explanations_one ON budget_explanations(
    unit_id, year, COALESCE(cost_type_id, 0));

-- A unit's tolerance for budget deviations; none: the default (1 %).
CREATE TABLE budget_tolerances (
    unit_id INTEGER PRIMARY KEY REFERENCES org_units(id) ON DELETE CASCADE,
    -- 'amount' (öre) or 'permille'.
    tolerance_kind TEXT NOT NULL,
    tolerance_value INTEGER NOT NULL
);

-- The municipality's economy settings: one row (id 1); none means the defaults.
CREATE TABLE economy_settings (
    id INTEGER PRIMARY KEY,
    -- The ledger dimension that is the responsibility unit (#DIM 1 = kostnadsställe in
    -- SIE; municipalities often use their own number for ansvar).
    ledger_dimension INTEGER NOT NULL,
    -- A TotalsPolicy code: avvisa, flagga.
    totals_policy TEXT NOT NULL,
    totals_tolerance INTEGER NOT NULL
);

-- The ledger's objects of the responsibility dimension mapped to units.
CREATE TABLE ledger_units (
    object_code TEXT PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES org_units(id) ON DELETE CASCADE,
    -- The object's name in the ledger (#OBJEKT), for the mapping page.
    ledger_name TEXT NOT NULL DEFAULT ''
);

CREATE TABLE investment_nodes (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES org_units(id) ON DELETE CASCADE,
    year INTEGER NOT NULL,
    -- A TreeKind code: investering, exploatering.
    kind TEXT NOT NULL,
    parent_id INTEGER REFERENCES investment_nodes(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    budget INTEGER,
    outcome INTEGER,
    forecast INTEGER,
    forecast_on TEXT,
    carry_over INTEGER,
    -- JSON array of area names.
    areas TEXT NOT NULL DEFAULT '[]',
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX investment_nodes_unit_year ON investment_nodes(unit_id, year);
CREATE INDEX investment_nodes_parent ON investment_nodes(parent_id);

CREATE TABLE carry_overs (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES org_units(id) ON DELETE CASCADE,
    year INTEGER NOT NULL,
    group_name TEXT NOT NULL,
    project TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    budget INTEGER,
    outcome INTEGER,
    transfer INTEGER
);
CREATE INDEX carry_overs_unit_year ON carry_overs(unit_id, year);

CREATE TABLE equity_years (
    unit_id INTEGER NOT NULL REFERENCES org_units(id) ON DELETE CASCADE,
    year INTEGER NOT NULL,
    cap_permille INTEGER NOT NULL,
    opening INTEGER,
    withdrawal INTEGER NOT NULL DEFAULT 0,
    requested_carry_over INTEGER,
    reconciliation TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (unit_id, year)
);

CREATE TABLE grants (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- A Direction code: mottaget, lamnat.
    direction TEXT NOT NULL,
    grantor TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    -- A GrantKind code.
    kind TEXT NOT NULL,
    formula TEXT NOT NULL,
    reporting_duty TEXT NOT NULL,
    unit_id INTEGER REFERENCES org_units(id) ON DELETE SET NULL,
    allocate_by TEXT,
    rules TEXT NOT NULL,
    note TEXT NOT NULL,
    source TEXT NOT NULL,
    -- JSON array of {year, amount (öre or null), received_on, quoted, half_year}.
    years TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE grant_allocations (
    id INTEGER PRIMARY KEY,
    grant_id INTEGER NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    year INTEGER NOT NULL,
    decision_body TEXT NOT NULL,
    decision_date TEXT,
    paragraph TEXT NOT NULL,
    case_ref TEXT NOT NULL,
    purpose TEXT NOT NULL,
    amount INTEGER,
    -- Per mille the grant finances; NULL: unknown ("framkommer inte").
    share_permille INTEGER,
    unit_id INTEGER REFERENCES org_units(id) ON DELETE SET NULL,
    area TEXT,
    obligation_id INTEGER REFERENCES obligations(id) ON DELETE SET NULL,
    commitment_id INTEGER REFERENCES commitments(id) ON DELETE SET NULL,
    situation_report_id INTEGER REFERENCES situation_reports(id) ON DELETE SET NULL,
    recipient TEXT NOT NULL,
    -- JSON {date, status, text}; NULL: not followed up.
    follow_up TEXT,
    position INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX grant_allocations_grant ON grant_allocations(grant_id);
CREATE INDEX grant_allocations_unit ON grant_allocations(unit_id);

CREATE TABLE grant_spend (
    id INTEGER PRIMARY KEY,
    allocation_id INTEGER NOT NULL REFERENCES grant_allocations(id) ON DELETE CASCADE,
    year INTEGER NOT NULL,
    -- A Period code.
    period TEXT NOT NULL,
    amount INTEGER NOT NULL,
    booked_on TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX grant_spend_allocation ON grant_spend(allocation_id);
