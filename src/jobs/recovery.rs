//! Recovery: DMs sent while no bot was listening are read back from Discord
//! and relayed in order. It runs whenever shard 0 (which receives every DM)
//! starts a new gateway session — at start-up, or after a session Discord
//! would not let it resume — since Discord replays nothing across sessions;
//! when storing DMs works again after PostgreSQL was unreachable; and when
//! Redis answers again after an outage (`jobs::redis_watch`). One process at
//! a time (a Redis lock); safe to repeat, because the inbox is keyed by
//! message id.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::bot::Bot;
use crate::redis::lock::Lock;

/// Users who DMed within this window are checked (besides every open ticket).
const WINDOW_DAYS: i64 = 7;
/// After a new session, the DMs Discord delivers right away are stored
/// first; recovery then only reads back what no session delivered.
const AFTER_READY: Duration = Duration::from_secs(2);

/// Shard 0 has a new session (READY): what the previous one missed will
/// never be replayed, so it is read back.
pub async fn after_new_session(bot: Arc<Bot>, shutdown: CancellationToken) {
    tokio::select! {
        () = shutdown.cancelled() => return,
        () = tokio::time::sleep(AFTER_READY) => {}
    }
    recover(bot, shutdown).await;
}

/// Recovery again, now: storing DMs works again after PostgreSQL was
/// unreachable (see `gateway::dm_spool`), or Redis answers again, so DMs
/// Discord could not deliver meanwhile are read back and those stored but
/// not relayed are relayed.
pub async fn recover_now(bot: Arc<Bot>) {
    recover(bot, CancellationToken::new()).await;
}

async fn recover(bot: Arc<Bot>, shutdown: CancellationToken) {
    let lock = match Lock::try_acquire(&bot.redis, bot.keys.recovery_lock(), Duration::from_secs(600)).await {
        Ok(Some(lock)) => lock,
        Ok(None) => return tracing::info!("another process is recovering missed DMs"),
        Err(e) => return tracing::warn!(error = %e, "could not start recovery"),
    };
    // Background work: its history reads and relays give way to what
    // people are waiting on when the REST budget is short.
    let work = crate::discord::background::in_background(bot.tickets.recover_all(chrono::Duration::days(WINDOW_DAYS)));
    tokio::select! {
        () = shutdown.cancelled() => tracing::info!("recovery interrupted by shutdown; the next start repeats it"),
        result = work => match result {
            Ok(recovered) => tracing::info!(recovered, "recovery of missed DMs done"),
            Err(e) => crate::tickets::error::report("recovery", &e),
        },
    }
    let _ = lock.release().await;
}
