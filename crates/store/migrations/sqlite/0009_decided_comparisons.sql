-- A decision freezes the comparison figures it published. Ranks and group averages of
-- Kolada-linked indicators are derived from Kolada's raw values on every read; when a
-- period is locked, the figures the decided pages showed for the periods it covers are
-- copied here, and pages read them instead of deriving them again, so a later Kolada
-- fetch, a changed group or a new link cannot change what was decided. Reopening the
-- period (deleting its lock) removes its copies.
CREATE TABLE decided_comparisons (
    lock_id INTEGER NOT NULL REFERENCES period_locks(id) ON DELETE CASCADE,
    indicator_id INTEGER NOT NULL REFERENCES indicators(id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    group_name TEXT NOT NULL,
    rank INTEGER,
    of_count INTEGER,
    average REAL,
    PRIMARY KEY (lock_id, indicator_id, period, group_name)
);
CREATE INDEX decided_comparisons_indicator ON decided_comparisons (indicator_id);
-- Whether a decision's figures were copied; decisions recorded before this migration are
-- frozen once when the store is opened (`Store::migrate`).
ALTER TABLE period_locks ADD COLUMN comparisons_frozen INTEGER NOT NULL DEFAULT 0;
