-- Evaluation a controller can trust (issue 16).
--
-- How an indicator's uncertainty is known ('' = as its source implies: see
-- uppsikt_domain::uncertainty) and over which outcomes its trend is judged.
ALTER TABLE indicators ADD COLUMN margin_basis TEXT NOT NULL DEFAULT '';
ALTER TABLE indicators ADD COLUMN trend_window TEXT NOT NULL DEFAULT 'last_two';

-- The rules, versioned: every save adds a version with who saved it and why; the newest
-- version applies. The first version is the rules of the active scale as they stood, with
-- a relative threshold of 1 % for exact figures.
CREATE TABLE rule_versions (
    id INTEGER PRIMARY KEY,
    scale_id INTEGER NOT NULL REFERENCES assessment_scales(id),
    -- JSON array of minimum shares, one fewer than the scale's levels.
    thresholds TEXT NOT NULL,
    commitment_weight REAL NOT NULL,
    unfinished_commitment_penalty INTEGER NOT NULL,
    -- 'ignored' or 'not_achieved' (uppsikt_domain::assessment::MissingOutcomes).
    missing_outcomes TEXT NOT NULL,
    -- A change below this share of the earlier value is no change (0.01 = 1 %).
    relative_threshold REAL NOT NULL,
    saved_at TEXT NOT NULL,
    saved_by TEXT NOT NULL,
    motivation TEXT NOT NULL DEFAULT ''
);
INSERT INTO rule_versions (scale_id, thresholds, commitment_weight, unfinished_commitment_penalty,
    missing_outcomes, relative_threshold, saved_at, saved_by, motivation)
SELECT id, thresholds, commitment_weight, unfinished_commitment_penalty, 'ignored', 0.01, '',
    'uppsikt (uppgradering)', 'Reglerna som gällde före versionshanteringen'
FROM assessment_scales WHERE active = 1;

-- A board's threshold for automatic deviations (none stored: the default, every
-- significant result raises one).
CREATE TABLE deviation_thresholds (
    org_id INTEGER PRIMARY KEY REFERENCES org_units(id) ON DELETE CASCADE,
    negative_trend INTEGER NOT NULL,
    min_shortfall REAL NOT NULL,
    saved_at TEXT NOT NULL,
    saved_by TEXT NOT NULL
);
