-- The relay: roster, heartbeats, relayed messages and every attempt (the audit log, 90 days),
-- alert rate limits, customer notifications, screened call legs. Times in ms since the epoch.

-- The stored roster (one row); until it exists the *_HANDLER_PHONE settings are the roster.
CREATE TABLE relay_roster (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  roster      TEXT NOT NULL,
  updated_at  INTEGER NOT NULL
);

CREATE TABLE dispatcher_heartbeats (
  dispatcher_id   TEXT PRIMARY KEY,
  last_heartbeat  INTEGER NOT NULL
);

CREATE TABLE relay_messages (
  message_sid  TEXT PRIMARY KEY,
  ref          TEXT NOT NULL UNIQUE,
  kind         TEXT NOT NULL,           -- sms | voicemail
  from_phone   TEXT NOT NULL,
  body         TEXT NOT NULL,
  job_id       TEXT,
  state        TEXT NOT NULL,           -- open | acked | exhausted
  acked_by     TEXT,
  failovers    INTEGER NOT NULL DEFAULT 0,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
CREATE INDEX relay_messages_by_time ON relay_messages (created_at);

CREATE TABLE relay_attempts (
  message_sid    TEXT NOT NULL,
  n              INTEGER NOT NULL,
  dispatcher_id  TEXT NOT NULL,
  to_phone       TEXT NOT NULL,
  at             INTEGER NOT NULL,
  twilio_sid     TEXT,
  outcome        TEXT NOT NULL,
  error_code     INTEGER,
  updated_at     INTEGER NOT NULL,
  PRIMARY KEY (message_sid, n)
) WITHOUT ROWID;
-- A bare "ACK" finds the dispatcher's latest open relay.
CREATE INDEX relay_attempts_by_phone ON relay_attempts (to_phone, at);
CREATE INDEX relay_attempts_by_time ON relay_attempts (at);

-- At most one alert per kind per 10 minutes.
CREATE TABLE alert_marks (
  kind     TEXT PRIMARY KEY,
  last_at  INTEGER NOT NULL
);

CREATE TABLE notifications (
  twilio_sid   TEXT PRIMARY KEY,
  job_id       TEXT,
  to_phone     TEXT NOT NULL,
  from_phone   TEXT NOT NULL,
  body         TEXT NOT NULL,
  status       TEXT NOT NULL,
  fell_back    INTEGER NOT NULL DEFAULT 0,   -- 1 once a fallback send was made for it
  created_at   INTEGER NOT NULL
) WITHOUT ROWID;

-- Call legs whose dispatcher pressed 1 (a voicemail box cannot).
CREATE TABLE voice_screens (
  call_sid       TEXT PRIMARY KEY,
  dispatcher_id  TEXT NOT NULL,
  accepted_at    INTEGER NOT NULL
) WITHOUT ROWID;
