//! Drains DM inboxes whose drain died with its process (a crash, a deploy, a
//! Redis blip): any DM pending for more than a few seconds is relayed here.
//!
//! Each sweep takes at most `TICKETEER_INBOX_SWEEP_USERS` users, those
//! stranded longest first, and skips users who are waiting for something
//! that will drain them anyway (their pick in a menu, a retry's time): see
//! `db::inbound::users_to_sweep`. A user whose drain keeps ending with DMs
//! pending goes behind users not tried yet, so neither waiting nor wedged
//! users can take every slot from really stranded DMs.

use std::sync::Arc;
use tokio_util::sync::CancellationToken;

use crate::bot::Bot;
use crate::db;
use crate::domain::ids::UserId;
use crate::redis::lock::Lock;

pub async fn run(bot: Arc<Bot>, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(bot.config.inbox.sweep_every) => {}
        }
        report_invalid_requests(&bot).await;
        if let Err(e) = sweep(&bot).await {
            tracing::warn!(error = %e, "inbox sweep failed");
        }
    }
}

/// Refreshes this process's view of the fleet's invalid requests, which
/// otherwise changes only when this process gets one: a burst must also be
/// seen to end.
async fn report_invalid_requests(bot: &Bot) {
    let invalid = crate::redis::invalid_requests::InvalidRequests::new(bot.redis.clone(), bot.keys.clone());
    match invalid.last_ten_minutes().await {
        Ok(total) => crate::metrics::discord_invalid_requests(total),
        Err(e) => tracing::debug!(error = %e, "could not read the fleet's invalid requests"),
    }
}

async fn sweep(bot: &Bot) -> anyhow::Result<()> {
    sweep_once(bot).await.map(|_| ())
}

/// One sweep: drains, in turn, the users [`db::inbound::users_to_sweep`]
/// picks. Returns them, in the order drained; `None` if another process is
/// sweeping. Public so tests can count sweeps instead of timing them.
pub async fn sweep_once(bot: &Bot) -> anyhow::Result<Option<Vec<UserId>>> {
    let every = bot.config.inbox.sweep_every;
    let Some(lock) = Lock::try_acquire(&bot.redis, bot.keys.inbox_sweeper_lock(), every).await? else {
        return Ok(None);
    };
    let stale_after = bot.config.inbox.stale_after.as_secs_f64();
    let users = db::inbound::users_to_sweep(&bot.db, stale_after, bot.config.inbox.sweep_users).await?;
    for &user in &users {
        if let Err(e) = bot.tickets.drain_inbox(user).await {
            crate::tickets::error::report("inbox_sweeper", &e);
        }
    }
    lock.release().await?;
    Ok(Some(users))
}
