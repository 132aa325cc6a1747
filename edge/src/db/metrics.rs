//! What `GET /api/metrics/relay` reads of the relay's audit log (`relay_messages`,
//! `relay_attempts`): one row per message and one per delivered attempt since a time.

use chrono::{DateTime, Utc};
use qdn_shared::metrics::{DeliveryFact, MessageFact};
use serde::Deserialize;
use worker::Env;

use super::{db, ms, time};

pub async fn relay_facts(env: &Env, since: DateTime<Utc>) -> worker::Result<(Vec<MessageFact>, Vec<DeliveryFact>)> {
    #[derive(Deserialize)]
    struct Msg {
        created_at: f64,
        state: String,
        failovers: f64,
        acked_at: Option<f64>,
    }
    #[derive(Deserialize)]
    struct Delivered {
        at: f64,
        updated_at: f64,
    }
    let d = db(env)?;
    // The ACK's time is when an attempt turned `acked`; a message acknowledged by someone it was
    // not sent to has no such attempt, and then its own last change is the ACK.
    let r = d
        .batch(vec![
            d.prepare(
                "SELECT m.created_at, m.state, m.failovers, CASE WHEN m.state = 'acked' THEN \
                   COALESCE((SELECT max(a.updated_at) FROM relay_attempts a WHERE a.message_sid = m.message_sid \
                   AND a.outcome = 'acked'), m.updated_at) END AS acked_at \
                 FROM relay_messages m WHERE m.created_at >= ?1",
            )
            .bind(&[ms(since)])?,
            // An attempt's last change is its `delivered` callback while nothing came after it.
            d.prepare("SELECT at, updated_at FROM relay_attempts WHERE at >= ?1 AND outcome = 'delivered'")
                .bind(&[ms(since)])?,
        ])
        .await?;
    let (Some(msgs), Some(delivered)) = (r.first(), r.get(1)) else {
        return Err(worker::Error::RustError("D1 answered a batch of two with fewer".into()));
    };
    let messages = msgs
        .results::<Msg>()?
        .into_iter()
        .map(|m| MessageFact {
            created_at: time(m.created_at),
            state: m.state,
            failovers: m.failovers as u32,
            acked_at: m.acked_at.map(time),
        })
        .collect();
    let deliveries = delivered
        .results::<Delivered>()?
        .into_iter()
        .map(|d| DeliveryFact {
            sent_at: time(d.at),
            delivered_at: time(d.updated_at),
        })
        .collect();
    Ok((messages, deliveries))
}
