-- Trackers in the field (issue 12): OwnTracks keys per trailer, device ids nobody registered,
-- devices a dispatcher must look at, media of relayed MMS. Numbered 0100 so that the next
-- sequential migration of another branch (0003, ...) cannot take the same name.

-- The device's OwnTracks encryption secret (the app's "Encryption key"). A secret: never
-- answered or logged, only used to open the device's messages.
ALTER TABLE trailers ADD COLUMN owntracks_key TEXT;

-- Ids that trackers sent but no trailer has, for a dispatcher to assign (kept 7 days after
-- they were last seen).
CREATE TABLE unknown_devices (
  device_id   TEXT PRIMARY KEY,
  protocol    TEXT NOT NULL,            -- osmand | owntracks (the last one seen)
  first_seen  INTEGER NOT NULL,
  last_seen   INTEGER NOT NULL,
  count       INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX unknown_devices_by_last_seen ON unknown_devices (last_seen);

-- Why a registered device's reports are acknowledged but not stored, when only a person can
-- fix it (encrypted_no_key, encrypted_wrong_key, clock_ahead). Cleared by the device's next
-- stored fix (and the encrypted_* reasons by a new key); kept 7 days after last seen.
CREATE TABLE device_flags (
  device_id   TEXT NOT NULL,
  reason      TEXT NOT NULL,
  first_seen  INTEGER NOT NULL,
  last_seen   INTEGER NOT NULL,
  count       INTEGER NOT NULL,
  PRIMARY KEY (device_id, reason)
) WITHOUT ROWID;
CREATE INDEX device_flags_by_last_seen ON device_flags (last_seen);

-- Attachments of an inbound MMS: a JSON array of URLs (NULL for a plain text or voicemail).
ALTER TABLE relay_messages ADD COLUMN media TEXT;
