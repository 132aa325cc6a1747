//! The `alert_marks` table: when each kind of alert last went out.

use chrono::{DateTime, Utc};
use qdn_shared::relay::alert::AlertKind;
use worker::Env;

use super::{changes, db, ms, s};

/// Takes the right to send an alert of `kind` (at most one per `every`); false if one went out recently.
pub async fn claim(env: &Env, kind: AlertKind, now: DateTime<Utc>, every: chrono::Duration) -> worker::Result<bool> {
    let r = db(env)?
        .prepare(
            "INSERT INTO alert_marks (kind, last_at) VALUES (?1, ?2) \
             ON CONFLICT (kind) DO UPDATE SET last_at = excluded.last_at WHERE alert_marks.last_at <= ?3",
        )
        .bind(&[s(kind.as_str()), ms(now), ms(now - every)])?
        .run()
        .await?;
    Ok(changes(&r) == 1)
}
