-- Fixes stored per (job, trailer, hour): one row per bucket, updated in place as fixes arrive and
-- deleted whole once its hour is 7 days old, so a fix costs about one D1 row written over its
-- life instead of three (its row and its age-index entry on insert, the row on delete).
-- See COST.md and edge/src/db/fixes.rs.
--
-- fixes: a JSON array of [recorded_at, lat, lon, speed_mps, heading_deg, accuracy_m,
--   received_at - recorded_at], unique by recorded_at (the (job, trailer, instant) key of old),
--   in arrival order: readers sort.
-- bucket_start: recorded_at rounded down to the hour (3,600,000 ms, fixes::BUCKET_MS: part of
--   the stored format, so changing it takes a migration like this one).
-- n, first_at, last_at: the fixes' count and oldest and newest recorded_at, so that reads pick
--   buckets and retention trims without opening the array.
-- last_change: fixes the last write added (retention: minus those it removed); RETURNING sees
--   only the new row, and this is how a write tells how many fixes were new.
CREATE TABLE fix_buckets (
  job_id        TEXT NOT NULL,
  trailer_id    TEXT NOT NULL DEFAULT '',
  bucket_start  INTEGER NOT NULL,
  n             INTEGER NOT NULL,
  first_at      INTEGER NOT NULL,
  last_at       INTEGER NOT NULL,
  last_change   INTEGER NOT NULL,
  fixes         TEXT NOT NULL,
  PRIMARY KEY (job_id, trailer_id, bucket_start)
) WITHOUT ROWID;
-- Retention finds old buckets by their start. No other index: an update in place then writes
-- exactly one row.
CREATE INDEX fix_buckets_by_start ON fix_buckets (bucket_start);

-- The fixes already stored move over, grouped by hour; the old table goes. A Worker still on the
-- old code fails its fix writes with a 500 until the new one is deployed, and trackers retry.
-- Reals are written with 15 significant digits, or 17 (SQLite's printf needs '!' past 16) where
-- 15 would not read back the same double: SQLite's own JSON rendering stops at 15.
INSERT INTO fix_buckets (job_id, trailer_id, bucket_start, n, first_at, last_at, last_change, fixes)
SELECT job_id, trailer_id, recorded_at - recorded_at % 3600000, COUNT(*), MIN(recorded_at),
       MAX(recorded_at), COUNT(*),
       json_group_array(json_array(recorded_at,
         CASE WHEN lat IS NULL THEN NULL WHEN CAST(printf('%.15g', lat) AS REAL) = lat
           THEN json(printf('%.15g', lat)) ELSE json(printf('%!.17g', lat)) END,
         CASE WHEN lon IS NULL THEN NULL WHEN CAST(printf('%.15g', lon) AS REAL) = lon
           THEN json(printf('%.15g', lon)) ELSE json(printf('%!.17g', lon)) END,
         CASE WHEN speed_mps IS NULL THEN NULL WHEN CAST(printf('%.15g', speed_mps) AS REAL) = speed_mps
           THEN json(printf('%.15g', speed_mps)) ELSE json(printf('%!.17g', speed_mps)) END,
         CASE WHEN heading_deg IS NULL THEN NULL WHEN CAST(printf('%.15g', heading_deg) AS REAL) = heading_deg
           THEN json(printf('%.15g', heading_deg)) ELSE json(printf('%!.17g', heading_deg)) END,
         CASE WHEN accuracy_m IS NULL THEN NULL WHEN CAST(printf('%.15g', accuracy_m) AS REAL) = accuracy_m
           THEN json(printf('%.15g', accuracy_m)) ELSE json(printf('%!.17g', accuracy_m)) END,
         received_at - recorded_at))
FROM fixes
GROUP BY job_id, trailer_id, recorded_at - recorded_at % 3600000;
DROP TABLE fixes;
