//! Fires due timers (scheduled closes, reminders). Every gateway process runs
//! one: ids are popped from the Redis index atomically, each timer is claimed
//! in PostgreSQL with a lease before it runs, and marked fired after. So a
//! timer fires once however many workers there are; a worker that dies
//! mid-way leaves the lease to expire and another finishes the job.
//!
//! The index is rebuilt from PostgreSQL at start and then periodically (under
//! a lock, by one process at a time), which restores it after Redis lost its
//! data and catches timers whose indexing failed.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::bot::Bot;
use crate::db;
use crate::redis::lock::Lock;

/// How long a worker holds a timer it is running.
const LEASE_SECONDS: f64 = 60.0;
/// Most timers taken per look.
const BATCH: usize = 100;

pub async fn run(bot: Arc<Bot>, shutdown: CancellationToken) {
    let poll = bot.config.timers.poll.max(Duration::from_millis(10));
    let reindex_every = bot.config.timers.reindex.max(Duration::from_millis(100));
    let mut reindex = tokio::time::interval(reindex_every);
    reindex.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = reindex.tick() => {
                if let Err(e) = rebuild_index(&bot, reindex_every).await {
                    tracing::warn!(error = %e, "could not rebuild the timer index");
                }
            }
            () = tokio::time::sleep(poll) => {
                if let Err(e) = fire_due(&bot).await {
                    tracing::warn!(error = %e, "could not look for due timers");
                }
            }
        }
    }
}

async fn rebuild_index(bot: &Bot, every: Duration) -> anyhow::Result<()> {
    // One process rebuilds per period; the others would only repeat it.
    let Some(_lock) = Lock::try_acquire(&bot.redis, bot.keys.timer_reindex_lock(), every.mul_f32(0.9)).await? else {
        return Ok(());
    };
    let pending = bot.tickets.reindex_timers().await?;
    tracing::debug!(pending, "timer index rebuilt");
    Ok(())
}

async fn fire_due(bot: &Bot) -> anyhow::Result<()> {
    let index = bot.tickets.timer_index();
    let ids = index.pop_due(Utc::now(), BATCH).await?;
    for id in ids {
        let timer = match db::timers::claim(&bot.db, id, LEASE_SECONDS).await {
            Ok(Some(timer)) => timer,
            Ok(None) => {
                // Not due by PostgreSQL's clock yet, held by another worker, or
                // done: look again when it could next fire, if ever.
                if let Some(at) = db::timers::next_look(&bot.db, id).await? {
                    index.add(&[(id, at)]).await?;
                }
                continue;
            }
            Err(e) => {
                // PostgreSQL is unreachable: put the id back for the next look.
                index.add(&[(id, Utc::now())]).await?;
                return Err(e.into());
            }
        };
        match bot.tickets.fire_timer(&timer).await {
            Ok(()) => db::timers::finish(&bot.db, id).await?,
            Err(e) => {
                crate::handlers::report("timer", &e);
                // Try again once the lease has run out.
                let retry = Utc::now() + chrono::Duration::seconds(LEASE_SECONDS as i64);
                index.add(&[(id, retry)]).await?;
            }
        }
    }
    Ok(())
}
