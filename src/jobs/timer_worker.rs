//! Fires due timers (scheduled closes, reminders, category-prompt and
//! server-menu timeouts, menu refreshes). Every
//! gateway process runs one: ids are popped from the Redis index atomically,
//! each timer is claimed in PostgreSQL with a lease before it runs, and marked
//! fired after. So a timer fires once however many workers there are; a
//! worker that dies mid-way leaves the lease to expire and another finishes
//! the job.
//!
//! Timers run side by side, up to `TICKETEER_TIMER_CONCURRENCY` per process,
//! each in its own task holding its own lease (renewed while it runs), so one
//! slow close (a long transcript) does not hold up other servers' timers. A
//! failed run is retried with a growing wait, then given up (`failed`).
//!
//! The index is rebuilt from PostgreSQL at start and then periodically (under
//! a lock, by one process at a time), which restores it after Redis lost its
//! data and catches timers whose indexing failed.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::bot::Bot;
use crate::db;
use crate::db::timers::AfterFailure;
use crate::domain::timer::{Timer, TimerKind};
use crate::redis::lock::Lock;
use crate::tickets::panel::menu::REFRESH_DELAY_MS;
use crate::tickets::timers::RetryPolicy;

/// How long a worker holds a timer it is running; renewed every third of it
/// while the run lasts.
const LEASE: Duration = Duration::from_secs(60);
/// Most timers taken per look.
const BATCH: usize = 100;
/// How long a stopping process lets running timers finish. One cut short
/// keeps its lease until it runs out; then another process runs it again
/// (every timer action is safe to repeat).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

pub async fn run(bot: Arc<Bot>, shutdown: CancellationToken) {
    let timers = bot.config.timers;
    let reindex_every = timers.reindex.max(Duration::from_millis(100));
    let mut reindex = tokio::time::interval(reindex_every);
    reindex.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut poll = tokio::time::interval(timers.poll.max(Duration::from_millis(10)));
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let slots = Arc::new(Semaphore::new(timers.concurrency.max(1)));
    let mut running = JoinSet::new();
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            _ = reindex.tick() => {
                if let Err(e) = rebuild_index(&bot, reindex_every).await {
                    tracing::warn!(error = %e, "could not rebuild the timer index");
                }
            }
            _ = poll.tick() => {
                if let Err(e) = fire_due(&bot, &slots, &mut running).await {
                    tracing::warn!(error = %e, "could not look for due timers");
                }
            }
            Some(done) = running.join_next(), if !running.is_empty() => {
                if let Err(e) = done {
                    tracing::error!(error = %e, "a timer task panicked; its lease will run out and it is run again");
                }
            }
        }
    }
    let finished = tokio::time::timeout(SHUTDOWN_GRACE, async { while running.join_next().await.is_some() {} }).await;
    if finished.is_err() {
        tracing::warn!(left = running.len(), "timers still running at shutdown; their leases will run out");
        running.abort_all();
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

/// Pops as many due ids as there are free slots, claims each and starts it.
async fn fire_due(bot: &Arc<Bot>, slots: &Arc<Semaphore>, running: &mut JoinSet<()>) -> anyhow::Result<()> {
    let free = slots.available_permits().min(BATCH);
    if free == 0 {
        // Every slot is busy: the due ids stay in the index for the next look.
        return Ok(());
    }
    let index = bot.tickets.timer_index();
    let ids = index.pop_due(Utc::now(), free).await?;
    for (n, &id) in ids.iter().enumerate() {
        let timer = match db::timers::claim(&bot.db, id, LEASE.as_secs_f64()).await {
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
                // PostgreSQL is unreachable: put this id and the ones not yet
                // claimed back for the next look.
                let now = Utc::now();
                let back: Vec<_> = ids[n..].iter().map(|&id| (id, now)).collect();
                index.add(&back).await?;
                return Err(e.into());
            }
        };
        // Only this loop takes slots, and it took no more ids than were free.
        let slot = slots.clone().try_acquire_owned()?;
        running.spawn(run_one(bot.clone(), timer, slot));
    }
    Ok(())
}

/// Runs one claimed timer under its lease, then records how it went.
async fn run_one(bot: Arc<Bot>, timer: Timer, _slot: OwnedSemaphorePermit) {
    let timers = bot.config.timers;
    let policy = RetryPolicy { base: timers.retry_base, max: timers.retry_max, max_attempts: timers.max_attempts };
    if timer.attempts > i32::try_from(policy.max_attempts).unwrap_or(i32::MAX) {
        // Claimed more often than it may run, and no run was ever recorded:
        // each one stopped with its process. Not run again.
        if let Err(e) = bot.tickets.timer_never_finished(&timer, &policy).await {
            tracing::warn!(error = %e, timer = timer.id, "could not record a timer that never finished");
        }
        return;
    }
    let renewing = tokio::spawn(renew_lease(bot.clone(), timer.id));
    // A menu refresh is background work: nobody waits on it, so its REST
    // requests give way to relays and replies when the budget is short.
    let result = if timer.kind == TimerKind::MenuRefresh {
        crate::discord::background::in_background(bot.tickets.fire_timer(&timer)).await
    } else {
        bot.tickets.fire_timer(&timer).await
    };
    renewing.abort();
    let index = bot.tickets.timer_index();
    let next = match result {
        Ok(()) => match db::timers::finish(&bot.db, timer.id, REFRESH_DELAY_MS).await {
            Ok(again) => again,
            Err(e) => {
                // The work is done but not recorded: once the lease runs out
                // it is run again, which every timer action tolerates.
                tracing::warn!(error = %e, timer = timer.id, "could not mark a timer fired");
                Some(Utc::now() + chrono::Duration::seconds(LEASE.as_secs() as i64))
            }
        },
        Err(error) => {
            crate::tickets::error::report("timer", &error);
            match bot.tickets.timer_run_failed(&timer, &error, &policy).await {
                Ok(AfterFailure::Retry(at)) => Some(at),
                Ok(AfterFailure::Failed | AfterFailure::Gone) => None,
                Err(e) => {
                    // The failure is not recorded: the lease runs out and the
                    // next run counts as the next attempt.
                    tracing::warn!(error = %e, timer = timer.id, "could not record a failed timer");
                    Some(Utc::now() + chrono::Duration::seconds(LEASE.as_secs() as i64))
                }
            }
        }
    };
    if let Some(at) = next {
        // If Redis is down the periodic rebuild indexes it.
        if let Err(e) = index.add(&[(timer.id, at)]).await {
            tracing::warn!(error = %e, timer = timer.id, "could not index a timer; the next rebuild will");
        }
    }
}

/// Renews the lease of a running timer until aborted, so a run longer than
/// one lease (a long transcript) is not taken up by a second worker.
async fn renew_lease(bot: Arc<Bot>, timer: i64) {
    let mut every = tokio::time::interval(LEASE / 3);
    every.tick().await;
    loop {
        every.tick().await;
        if let Err(e) = db::timers::extend_lease(&bot.db, timer, LEASE.as_secs_f64()).await {
            tracing::warn!(error = %e, timer, "could not renew a timer's lease");
        }
    }
}
