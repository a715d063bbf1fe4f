-- Which part of the data each write changed (issue 22), so that a write invalidates the
-- cached pages it can change rather than every page. Scope 0 is what no one unit owns (the
-- organisation, rules, decisions, accounts, imports across units, anything not mapped);
-- scope N is organisation unit N (see the store's scope.rs for which writes are a unit's).
-- `version` is the data version of the last write that changed the scope, so scopes and
-- the data version move together and never go back (a restore moves scope 0 past both).
CREATE TABLE scope_versions (
    scope INTEGER PRIMARY KEY,
    version INTEGER NOT NULL
);
INSERT INTO scope_versions (scope, version) SELECT 0, version FROM data_version WHERE id = 1;
