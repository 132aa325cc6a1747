-- The dispatcher console's sign-in (edge/src/db/sessions.rs). Times in ms since the epoch.

-- Every code asked for, roster phone or not (so the rate limits and the answer are the same
-- for both). `code_hash` is an HMAC of phone and code keyed with JWT_SECRET, NULL for a phone
-- not on the roster; `ip` is a SHA-256 of the client address. Deleted a day after they expire.
CREATE TABLE session_codes (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  phone       TEXT NOT NULL,
  ip          TEXT NOT NULL,
  code_hash   TEXT,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  tries       INTEGER NOT NULL DEFAULT 0,
  used        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX session_codes_by_phone ON session_codes (phone, created_at);
CREATE INDEX session_codes_by_ip ON session_codes (ip, created_at);

-- Wrong codes per client address, for its rate limit.
CREATE TABLE session_failures (
  ip   TEXT NOT NULL,
  at   INTEGER NOT NULL
);
CREATE INDEX session_failures_by_ip ON session_failures (ip, at);

-- Signed-in consoles: the SHA-256 of the cookie, never the cookie. Sign-out deletes the row.
CREATE TABLE sessions (
  id_hash        TEXT PRIMARY KEY,
  dispatcher_id  TEXT NOT NULL,
  phone          TEXT NOT NULL,
  created_at     INTEGER NOT NULL,
  expires_at     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
