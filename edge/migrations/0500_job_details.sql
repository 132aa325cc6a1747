-- What a dispatcher gives a job beyond its destination, and the job's status history.
-- Times in ms since the epoch.

-- The job's assigned dispatcher (a roster dispatcher_id): tried first for the customer's texts.
ALTER TABLE jobs ADD COLUMN dispatcher_id TEXT;
-- The promised latest arrival; "running late" is measured against it.
ALTER TABLE jobs ADD COLUMN window_end INTEGER;
-- 0: no automatic texts for this job at all.
ALTER TABLE jobs ADD COLUMN notify INTEGER NOT NULL DEFAULT 1;
-- Radius of the arrival geofence around the current stop.
ALTER TABLE jobs ADD COLUMN geofence_m REAL NOT NULL DEFAULT 150;
-- Ordered stops as JSON [{"kind","address","lat","lon"}], or NULL for a single destination.
-- dest_* always hold stops[stop_index], the stop the trailer is heading for or at.
ALTER TABLE jobs ADD COLUMN stops TEXT;
ALTER TABLE jobs ADD COLUMN stop_index INTEGER NOT NULL DEFAULT 0;

-- Every status the job took, when, and who moved it (dispatch | geofence).
CREATE TABLE job_history (
  job_id  TEXT NOT NULL,
  at      INTEGER NOT NULL,
  status  TEXT NOT NULL,
  source  TEXT NOT NULL,
  PRIMARY KEY (job_id, at, status)
) WITHOUT ROWID;
