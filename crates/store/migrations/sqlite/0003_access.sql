-- Accounts, sessions, editors' scope, period locks, and an append-only change log.

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    -- argon2id PHC string; NULL for accounts that sign in only through OpenID Connect.
    password_hash TEXT,
    oidc_subject TEXT UNIQUE,
    disabled INTEGER NOT NULL DEFAULT 0,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL
);

-- An editor edits these units and their children.
CREATE TABLE user_units (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    org_id INTEGER NOT NULL REFERENCES org_units(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, org_id)
);

-- Only a hash of the cookie's token is stored.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

-- A board's decision on a report locks that period's outcomes, analyses and assessments
-- of the unit and its children until a controller reopens it (with a logged reason).
CREATE TABLE period_locks (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES org_units(id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    body TEXT NOT NULL,
    decided_on TEXT NOT NULL,
    paragraph TEXT NOT NULL,
    diary_number TEXT NOT NULL,
    locked_by TEXT NOT NULL,
    locked_at TEXT NOT NULL,
    UNIQUE (org_id, period)
);

CREATE INDEX change_log_at ON change_log(at);

-- The change log is append-only: the database itself refuses updates and deletes.
CREATE TRIGGER change_log_no_update BEFORE UPDATE ON change_log BEGIN SELECT RAISE(ABORT, 'change_log is append-only'); END;
CREATE TRIGGER change_log_no_delete BEFORE DELETE ON change_log BEGIN SELECT RAISE(ABORT, 'change_log is append-only'); END;
