-- Every version of the relay roster, from when it was stored (ms since the epoch), so the relay
-- metrics judge each moment of a past day by the roster of that moment: a dispatcher who
-- switched off, changed hours or left shows so on that day (GET /api/metrics/relay). Written in
-- the same batch as relay_roster; kept 90 days, and always the version in effect 90 days ago.
CREATE TABLE roster_history (
  changed_at INTEGER NOT NULL,
  roster TEXT NOT NULL
);
CREATE INDEX roster_history_changed_at ON roster_history (changed_at);

-- The roster stored before this table existed is its first version.
INSERT INTO roster_history (changed_at, roster) SELECT updated_at, roster FROM relay_roster;
