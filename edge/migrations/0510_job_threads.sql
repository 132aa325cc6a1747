-- A job's thread: every text and call with its customer, read as one list from the tables that
-- already hold them (relay_messages: their texts and voicemails; notifications: ours, one row per
-- send attempt; calls: their calls). Nothing is written twice: the thread costs one index row per
-- job-linked text, not a row of its own. Times in ms since the epoch.

-- The number the customer wrote to (the company number, or a backup number); NULL before 0510.
ALTER TABLE relay_messages ADD COLUMN to_phone TEXT;
CREATE INDEX relay_messages_by_job ON relay_messages (job_id, created_at) WHERE job_id IS NOT NULL;

-- Our texts: the attempts of one message share its message_id (n = 1, 2, ... in the order tried;
-- a fallback after a failed delivery is the next n). A refused attempt has no Twilio SID: its key
-- is "<message_id>-<n>". Who sent it (dispatcher_id, NULL for automatic texts) and why (source:
-- notify | dispatcher | reply | status | automatic), stamped at the send.
ALTER TABLE notifications ADD COLUMN message_id TEXT;
ALTER TABLE notifications ADD COLUMN n INTEGER NOT NULL DEFAULT 1;
ALTER TABLE notifications ADD COLUMN dispatcher_id TEXT;
ALTER TABLE notifications ADD COLUMN error_code INTEGER;
ALTER TABLE notifications ADD COLUMN source TEXT NOT NULL DEFAULT 'notify';
CREATE INDEX notifications_by_job ON notifications (job_id, created_at) WHERE job_id IS NOT NULL;

-- Calls to the company number: who called, which job, who took it, and each tier rung
-- (attempts: JSON [{"n","dispatcher_id","to","at","status"}]).
CREATE TABLE calls (
  call_sid       TEXT PRIMARY KEY,
  job_id         TEXT,
  from_phone     TEXT NOT NULL,
  to_phone       TEXT NOT NULL,
  at             INTEGER NOT NULL,
  status         TEXT NOT NULL,          -- ringing | answered | voicemail | missed
  dispatcher_id  TEXT,
  attempts       TEXT NOT NULL DEFAULT '[]',
  updated_at     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX calls_by_job ON calls (job_id, at) WHERE job_id IS NOT NULL;
CREATE INDEX calls_by_time ON calls (at);
