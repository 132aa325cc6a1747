-- Jobs, trailers and location fixes. Times are milliseconds since the epoch (INTEGER).

CREATE TABLE jobs (
  job_id          TEXT PRIMARY KEY,
  customer_name   TEXT NOT NULL,
  customer_phone  TEXT NOT NULL,
  dest_lat        REAL NOT NULL,
  dest_lon        REAL NOT NULL,
  dest_address    TEXT,
  status          TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
-- A customer's text is linked to their newest open job.
CREATE INDEX jobs_by_phone ON jobs (customer_phone, created_at);

CREATE TABLE trailers (
  trailer_id  TEXT PRIMARY KEY,
  device_id   TEXT UNIQUE,
  updated_at  INTEGER NOT NULL
);

CREATE TABLE job_trailers (
  job_id      TEXT NOT NULL,
  trailer_id  TEXT NOT NULL,
  PRIMARY KEY (job_id, trailer_id)
) WITHOUT ROWID;
-- A tracker's fix goes to its trailer's active job.
CREATE INDEX job_trailers_by_trailer ON job_trailers (trailer_id);

-- One row per (job, trailer, instant): a re-sent fix is a duplicate by construction, and the
-- key's order serves "latest per trailer" and "trail" as index range scans.
-- trailer_id is '' for fixes not tied to a trailer (a driver's phone posting for the job).
CREATE TABLE fixes (
  job_id       TEXT NOT NULL,
  trailer_id   TEXT NOT NULL DEFAULT '',
  recorded_at  INTEGER NOT NULL,
  lat          REAL NOT NULL,
  lon          REAL NOT NULL,
  speed_mps    REAL,
  heading_deg  REAL,
  accuracy_m   REAL,
  received_at  INTEGER NOT NULL,
  PRIMARY KEY (job_id, trailer_id, recorded_at)
) WITHOUT ROWID;
-- Retention deletes by age.
CREATE INDEX fixes_by_age ON fixes (recorded_at);
