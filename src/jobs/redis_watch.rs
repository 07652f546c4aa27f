//! Watches Redis from the singleton lease holder (`singleton_lease`). While Redis is down, DMs are still stored
//! (PostgreSQL) but cannot be drained (the per-user lock lives in Redis), and
//! a shard that must identify waits for the shared identify queue. When
//! Redis answers again, recovery runs at once: it relays what was stored and
//! reads back from Discord what no session delivered — rather than leaving
//! it to the inbox sweeper's next pass over stale DMs.

use std::sync::Arc;
use std::time::Duration;

use deadpool_redis::redis;
use tokio_util::sync::CancellationToken;

use crate::bot::Bot;

/// Between two pings.
const EVERY: Duration = Duration::from_secs(1);
/// A ping that takes longer counts as Redis being down.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn run(bot: Arc<Bot>, shutdown: CancellationToken) {
    let mut up = true;
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let answered = ping(&bot).await;
        crate::metrics::redis_up(answered);
        match (up, answered) {
            (true, false) => tracing::warn!("Redis does not answer; DMs are stored and wait to be relayed"),
            (false, true) => {
                tracing::info!("Redis answers again; recovering what waited meanwhile");
                if bot.config.recover_on_start {
                    tokio::spawn(crate::jobs::recovery::recover_now(bot.clone()));
                }
            }
            _ => {}
        }
        up = answered;
    }
}

async fn ping(bot: &Bot) -> bool {
    let attempt = async {
        let mut conn = bot.redis.get().await.ok()?;
        redis::cmd("PING").query_async::<String>(&mut conn).await.ok()
    };
    matches!(tokio::time::timeout(PING_TIMEOUT, attempt).await, Ok(Some(_)))
}
