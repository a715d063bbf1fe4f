-- Personal API tokens (issue 23): a signed-in person makes a token for a script, a BI tool
-- or Excel, with a scope, an expiry and a name; it is shown once and only its SHA-256 is
-- kept. Times are Unix milliseconds.

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- The label its owner gave it ("Power BI, ekonomi").
    name TEXT NOT NULL,
    -- read | read_import
    scope TEXT NOT NULL,
    -- SHA-256 (64 lower-case hex digits) of the whole secret. The secret is 256 random
    -- bits, so a fast hash is enough: nobody can guess it from its hash, and a slow
    -- password hash (argon2) would cost every API request for no gain.
    secret_hash TEXT NOT NULL UNIQUE,
    -- The secret's first characters (`upk_` and 6 more), not secret: to tell tokens apart.
    prefix TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER,
    -- Updated at most once a minute per token (see `api_token_uses`).
    last_used_at INTEGER,
    use_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

-- The uses its owner sees: at most one row per token and minute (the first request of that
-- minute), so a busy script cannot fill the database.
CREATE TABLE api_token_uses (
    id INTEGER PRIMARY KEY,
    token_id INTEGER NOT NULL REFERENCES api_tokens(id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL
);
CREATE INDEX api_token_uses_token ON api_token_uses(token_id, at);
