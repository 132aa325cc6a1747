-- Each past trip's bounding box, so an ETA to a place learns from every trip that went past it
-- on the way somewhere else, not only from those that ended there (db::arrival::trips_to).
ALTER TABLE past_trips ADD COLUMN min_lat REAL;
ALTER TABLE past_trips ADD COLUMN max_lat REAL;
ALTER TABLE past_trips ADD COLUMN min_lon REAL;
ALTER TABLE past_trips ADD COLUMN max_lon REAL;
UPDATE past_trips SET
  min_lat = (SELECT MIN(json_extract(p.value, '$.lat')) FROM json_each(past_trips.trip, '$.points') p),
  max_lat = (SELECT MAX(json_extract(p.value, '$.lat')) FROM json_each(past_trips.trip, '$.points') p),
  min_lon = (SELECT MIN(json_extract(p.value, '$.lon')) FROM json_each(past_trips.trip, '$.points') p),
  max_lon = (SELECT MAX(json_extract(p.value, '$.lon')) FROM json_each(past_trips.trip, '$.points') p);
CREATE INDEX past_trips_by_bounds ON past_trips (min_lat, max_lat);
