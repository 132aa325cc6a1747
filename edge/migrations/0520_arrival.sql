-- Arrival automation (issue 15). Times in ms since the epoch.

-- One job's geofence state (qdn_shared::arrival::Arrival, without its kept fixes, which are read
-- back from fix_buckets) and the ETAs kept to measure them, as JSON. Written only when a decision
-- changes, with a compare-and-swap on `version`: two ingests of one job never both send a text.
CREATE TABLE arrival_states (
  job_id      TEXT PRIMARY KEY,
  version     INTEGER NOT NULL,
  state       TEXT NOT NULL,
  updated_at  INTEGER NOT NULL
) WITHOUT ROWID;

-- Predicted vs actual seconds to arrival, per job and stop, written when the trailer arrived:
-- a JSON array of [predicted_s, actual_s]. GET /api/metrics/eta reads those of completed jobs.
CREATE TABLE eta_outcomes (
  job_id      TEXT NOT NULL,
  stop_index  INTEGER NOT NULL,
  arrived_at  INTEGER NOT NULL,
  pairs       TEXT NOT NULL,
  PRIMARY KEY (job_id, stop_index)
) WITHOUT ROWID;
CREATE INDEX eta_outcomes_by_arrival ON eta_outcomes (arrived_at);

-- A trailer of an en_route job that went silent: `since` is the time of its newest fix (or of
-- the job's start, if it sent none). One alert per (job, trailer, since): a new silence has a new
-- `since`, a recovered tracker's row is simply superseded or deleted with the job's end.
CREATE TABLE silent_trackers (
  job_id      TEXT NOT NULL,
  trailer_id  TEXT NOT NULL,
  since       INTEGER NOT NULL,
  alerted_at  INTEGER NOT NULL,
  PRIMARY KEY (job_id, trailer_id)
) WITHOUT ROWID;
