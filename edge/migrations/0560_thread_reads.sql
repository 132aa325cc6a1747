-- How far each dispatcher has read each job's thread (ms since the epoch): the console's unread
-- markers, the same on every device a dispatcher signs in on. Inbound items (relay_messages and
-- calls of the job) after read_until are unread. Kept 90 days, like the thread.
CREATE TABLE thread_reads (
  dispatcher_id  TEXT NOT NULL,
  job_id         TEXT NOT NULL,
  read_until     INTEGER NOT NULL,
  PRIMARY KEY (dispatcher_id, job_id)
) WITHOUT ROWID;
