-- Revoked tokens (issue 13). Times in seconds since the epoch, the unit of a token's claims.
-- The Worker loads both tables into each isolate at least once a minute and checks every token
-- against them.

-- One token, by its jti. `expires_at` bounds how long the row matters: the latest any token we
-- mint can expire (revocation time + the longest lifetime); the cron deletes the row after it.
CREATE TABLE revoked_tokens (
  jti         TEXT PRIMARY KEY,
  revoked_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  revoked_by  TEXT
);
CREATE INDEX revoked_tokens_by_expiry ON revoked_tokens (expires_at);

-- Every token bound to a job (claim job_id) issued at or before `revoked_at`.
CREATE TABLE revoked_jobs (
  job_id      TEXT PRIMARY KEY,
  revoked_at  INTEGER NOT NULL,
  revoked_by  TEXT
);
