-- How long before the trailer reached a stop its "arriving soon" text was decided (device time
-- of the fix that decided it), in seconds; NULL when none was sent for that arrival. Read by
-- GET /api/metrics/eta for the notice's timing.
ALTER TABLE eta_outcomes ADD COLUMN notice_lead_s REAL;
