-- The documents boards decided (issue 17): when a period is locked, the board version of
-- the report it decided is stored as it was, with its SHA-256 and the decision. `kind`
-- names the document (verksamhetsberattelse, delarsrapport; verksamhetsplan later), so
-- every decided document is stored the same way. A reopened period keeps its documents:
-- the decision's details are copied here, and `lock_id` is cleared when the lock goes.
CREATE TABLE decided_documents (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    org_id INTEGER NOT NULL REFERENCES org_units(id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    lock_id INTEGER REFERENCES period_locks(id) ON DELETE SET NULL,
    body TEXT NOT NULL,
    decided_on TEXT NOT NULL,
    paragraph TEXT NOT NULL,
    diary_number TEXT NOT NULL,
    title TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content BLOB NOT NULL,
    sha256 TEXT NOT NULL,
    data_version INTEGER NOT NULL,
    stored_by TEXT NOT NULL,
    stored_at TEXT NOT NULL
);
CREATE INDEX decided_documents_org_period ON decided_documents (org_id, period);
-- The steering model (styrmodell) described beside the vision; empty when the data has none.
ALTER TABLE visions ADD COLUMN steering_model TEXT NOT NULL DEFAULT '';
