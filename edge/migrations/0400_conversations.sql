-- Customers who opted out of automatic texts: by texting STOP (or another of Twilio's opt-out
-- keywords) to the company number, or found out when Twilio refused a send with 21610.
-- START removes the row. Times in ms since the epoch.
CREATE TABLE opt_outs (
  phone         TEXT PRIMARY KEY,
  opted_out_at  INTEGER NOT NULL,
  source        TEXT NOT NULL            -- keyword | twilio_21610
) WITHOUT ROWID;
