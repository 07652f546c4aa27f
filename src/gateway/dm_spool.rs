//! DMs the shard loop could not store at once (PostgreSQL down, a pool
//! exhausted) wait here, in order, until they are stored. A DM is never
//! dropped: a first-time user's DM cannot be read back later (Discord offers
//! bots no list of DM channels), and a live resume does not replay an event
//! the shard already received. (Each waiting DM holds the shard's session
//! checkpoint before its event, so if the process dies with DMs still here,
//! its replacement resumes before them and Discord replays them.)
//!
//! The shard loop stores each DM itself while the spool is empty (the fast
//! path, in Discord's order). Once one store fails, that DM and every later
//! one go through the spool, so order is kept; one task stores them oldest
//! first, retrying with a capped backoff until PostgreSQL answers, then
//! relays each user's inbox. The queue is bounded: when it is full the shard
//! loop waits (back-pressure on shard 0: Discord holds the events, and a
//! resume replays them) rather than grow memory without limit. When storing
//! works again after failures, recovery runs once more, for DMs sent while a
//! session was down.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::checkpoint::InFlight;
use crate::bot::Bot;
use crate::domain::dm::IncomingDm;
use crate::handlers::direct_message;
use crate::metrics;

/// DMs held at most (about 1 KiB each): minutes of a busy bot's DMs.
pub const CAPACITY: usize = 10_000;
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// The longest wait between two tries, so storing resumes soon after
/// PostgreSQL does.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// The shard loop's side of the spool.
#[derive(Clone)]
pub struct DmSpool {
    queue: mpsc::Sender<(IncomingDm, InFlight)>,
    /// DMs handed to the spool and not yet stored.
    waiting: Arc<AtomicUsize>,
}

impl DmSpool {
    /// Starts the task that stores spooled DMs. It ends once `shutdown` is
    /// cancelled and the queue is empty (or, after `drain_for`, with the
    /// number left logged).
    pub fn start(
        bot: Arc<Bot>,
        handlers: TaskTracker,
        shutdown: CancellationToken,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (queue, receiver) = mpsc::channel(CAPACITY);
        let waiting = Arc::new(AtomicUsize::new(0));
        let task = tokio::spawn(store_spooled(bot, receiver, waiting.clone(), handlers, shutdown));
        (Self { queue, waiting }, task)
    }

    /// Stores the DM, in Discord's order: at once if nothing waits before it
    /// and PostgreSQL answers, else behind the DMs already waiting. Returns
    /// once the DM is stored or queued (waiting for room when the queue is
    /// full).
    /// `hold` keeps the session checkpoint before the DM's event until it is
    /// stored and relayed.
    pub async fn store_in_order(&self, bot: &Bot, dm: IncomingDm, hold: InFlight) {
        if self.waiting.load(Ordering::Acquire) == 0 && direct_message::store(bot, &dm).await.is_ok() {
            return;
        }
        self.waiting.fetch_add(1, Ordering::AcqRel);
        metrics::dm_spooled();
        if self.queue.send((dm, hold)).await.is_err() {
            // Only after the storing task ended (shutdown): nothing can store it now.
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            tracing::error!("a DM arrived after the DM spool stopped; recovery must fetch it");
        }
    }

    /// DMs waiting to be stored.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }
}

async fn store_spooled(
    bot: Arc<Bot>,
    mut receiver: mpsc::Receiver<(IncomingDm, InFlight)>,
    waiting: Arc<AtomicUsize>,
    handlers: TaskTracker,
    shutdown: CancellationToken,
) {
    loop {
        let dm = tokio::select! {
            dm = receiver.recv() => dm,
            // After shutdown, keep storing what is queued; stop when empty.
            () = shutdown.cancelled(), if waiting.load(Ordering::Acquire) == 0 => None,
        };
        let Some((dm, hold)) = dm else {
            return;
        };
        let mut backoff = FIRST_BACKOFF;
        let mut failures = 0u32;
        while let Err(e) = direct_message::store(&bot, &dm).await {
            failures += 1;
            if failures == 1 || failures.is_multiple_of(20) {
                tracing::warn!(
                    error = %e,
                    message = %dm.message,
                    waiting = waiting.load(Ordering::Acquire),
                    "a DM cannot be stored yet; it waits in the spool"
                );
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
        waiting.fetch_sub(1, Ordering::AcqRel);
        let user = dm.user;
        let relay_bot = bot.clone();
        handlers.spawn(async move {
            direct_message::relay(&relay_bot, user).await;
            drop(hold);
        });
        if failures > 0 {
            tracing::info!(message = %dm.message, failures, "a spooled DM is stored");
            if waiting.load(Ordering::Acquire) == 0 && bot.config.recover_on_start {
                // Storing works again: read back what Discord may not have
                // delivered while things were down (one process at a time).
                handlers.spawn(crate::jobs::recovery::recover_now(bot.clone()));
            }
        }
    }
}
