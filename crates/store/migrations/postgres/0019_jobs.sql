-- Background jobs (report builds, imports) and uploaded files between preview and commit
-- (issue 22): rows any app process can claim, follow and serve, so that they survive a
-- restart and a job's page answers on every process. Times are Unix milliseconds.

CREATE TABLE jobs (
    -- A random 256-bit token (64 lower-case hex digits), made by the web layer.
    id TEXT PRIMARY KEY,
    -- What runs it: report, import-table, import-sie, import-kolada.
    kind TEXT NOT NULL,
    -- Who started it (the actor name of the signed-in user).
    owner TEXT NOT NULL,
    title TEXT NOT NULL,
    -- The page to go back to.
    back TEXT NOT NULL,
    -- What the job needs besides its file (JSON, the kind's own shape).
    params TEXT NOT NULL DEFAULT '{}',
    -- The file an import needs (bounded by the upload limit), dropped when it finishes.
    input BYTEA,
    -- waiting, running, done, failed, cancelled.
    state TEXT NOT NULL DEFAULT 'waiting',
    -- What it does now, in Swedish ("Skapar filen").
    phase TEXT NOT NULL DEFAULT '',
    progress_done BIGINT NOT NULL DEFAULT 0,
    progress_total BIGINT NOT NULL DEFAULT 0,
    cancel_requested BIGINT NOT NULL DEFAULT 0,
    -- A report's file.
    result BYTEA,
    result_name TEXT,
    result_type TEXT,
    -- A summary or a list of errors (JSON).
    result_json TEXT,
    -- Bytes the finished job's result holds (counted against the kept bytes).
    kept_bytes BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    -- The claim of the worker that runs it, and until when it holds (renewed by its
    -- heartbeat); a lapsed lease lets another worker take the job over.
    lease_owner TEXT,
    lease_until BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    -- 1 once an import's data was committed (in the same transaction): it never runs again.
    committed BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX jobs_kind_state ON jobs(kind, state);
CREATE INDEX jobs_owner ON jobs(owner);

-- An uploaded file between its preview and its commit, with what its owner chose.
CREATE TABLE uploads (
    -- A random 256-bit token.
    token TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    file_name TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    size BIGINT NOT NULL,
    -- The chosen sheet (none: the first) and columns (JSON; none: guessed).
    sheet TEXT,
    mapping TEXT,
    created_at BIGINT NOT NULL
);
