-- Arrival automation (issue 15). Times in ms since the epoch.

-- One job's geofence state (qdn_shared::arrival::Arrival as JSON, without its kept fixes, which
-- are read back from fix_buckets). Written only when a decision changes, with a compare-and-swap
-- on `version`: two ingests of one job never both send a text.
CREATE TABLE arrival_states (
  job_id      TEXT PRIMARY KEY,
  version     INTEGER NOT NULL,
  state       TEXT NOT NULL,
  updated_at  INTEGER NOT NULL
) WITHOUT ROWID;

-- Predicted vs actual seconds to arrival, per job and stop, written when the trailer arrived (the
-- ETA replayed every 5 minutes of the trip on its stored fixes): a JSON array of
-- [predicted_s, actual_s]. GET /api/metrics/eta reads those of completed jobs.
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

-- A finished trip to a stop, thinned (qdn_shared::eta::PastTrip as JSON): later ETAs to about
-- the same place learn how long the rest of the road took. Found by the destination's box.
CREATE TABLE past_trips (
  job_id      TEXT NOT NULL,
  stop_index  INTEGER NOT NULL,
  dest_lat    REAL NOT NULL,
  dest_lon    REAL NOT NULL,
  arrived_at  INTEGER NOT NULL,
  trip        TEXT NOT NULL,
  PRIMARY KEY (job_id, stop_index)
) WITHOUT ROWID;
CREATE INDEX past_trips_by_dest ON past_trips (dest_lat, dest_lon);
