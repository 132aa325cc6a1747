//! The `opt_outs` table: customers' phones that get no automatic texts.

use qdn_shared::opt_out::Source;
use worker::Env;

use super::{db, ms, s};

/// Records an opt-out; a repeated one keeps its first time and source.
pub async fn record(env: &Env, phone: &str, source: Source) -> worker::Result<()> {
    db(env)?
        .prepare(
            "INSERT INTO opt_outs (phone, opted_out_at, source) VALUES (?1, ?2, ?3) ON CONFLICT (phone) DO NOTHING",
        )
        .bind(&[s(phone), ms(crate::clock::now()), s(source.as_str())])?
        .run()
        .await?;
    Ok(())
}

/// START: the phone gets automatic texts again.
pub async fn clear(env: &Env, phone: &str) -> worker::Result<()> {
    db(env)?
        .prepare("DELETE FROM opt_outs WHERE phone = ?1")
        .bind(&[s(phone)])?
        .run()
        .await?;
    Ok(())
}

pub async fn is_opted_out(env: &Env, phone: &str) -> worker::Result<bool> {
    #[derive(serde::Deserialize)]
    struct Row {
        #[allow(dead_code)]
        phone: String,
    }
    let row: Option<Row> = db(env)?
        .prepare("SELECT phone FROM opt_outs WHERE phone = ?1")
        .bind(&[s(phone)])?
        .first(None)
        .await?;
    Ok(row.is_some())
}
