-- Login attempts are kept per account and source (the peer's address): a stranger
-- elsewhere cannot lock an account out, and one source cannot try every account.
-- Attempts recorded before this knew no source.
ALTER TABLE login_failures ADD COLUMN source TEXT NOT NULL DEFAULT '';
DROP INDEX IF EXISTS login_failures_by_user;
CREATE INDEX login_failures_by_account ON login_failures (user_name, source, at_ms);
CREATE INDEX login_failures_by_source ON login_failures (source, at_ms);
CREATE INDEX login_failures_by_time ON login_failures (at_ms);
