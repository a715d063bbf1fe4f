-- Sign-in back-off that cannot lock a person out for long (issue 14).
--
-- users.failed_logins now counts the failures of the current round (a wait that has
-- passed starts a new round); lock_level is how many waits in a row the account has had
-- (each doubles the next, up to a cap); both are forgotten after a quiet hour.
ALTER TABLE users ADD COLUMN lock_level BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_failed_at TEXT;

-- A browser in which an account has signed in before ("device"): its cookie's token is
-- stored only as a SHA-256. Failures from such a browser count here, not on the account,
-- so that strangers guessing a password never lock the owner out of their own browser.
CREATE TABLE sign_in_devices (
    device_hash TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    lock_level BIGINT NOT NULL DEFAULT 0,
    locked_until TEXT,
    last_failed_at TEXT,
    last_used_at TEXT NOT NULL,
    PRIMARY KEY (device_hash, user_id)
);
CREATE INDEX sign_in_devices_user ON sign_in_devices(user_id);
CREATE INDEX sign_in_devices_used ON sign_in_devices(last_used_at);

-- The periodic purge of expired sessions.
CREATE INDEX sessions_expires ON sessions(expires_at);
