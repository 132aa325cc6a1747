//! The cron trigger: fixes are kept 7 days.

use worker::Env;

pub async fn run(env: &Env) -> worker::Result<()> {
    let now = crate::clock::now();
    let deleted = crate::db::fixes::delete_older_than(env, now - qdn_shared::fix::MAX_AGE).await?;
    worker::console_log!("retention: deleted {deleted} fixes older than 7 days");
    Ok(())
}
