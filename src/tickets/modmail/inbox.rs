//! Where a DM becomes a ticket.
//!
//! Every DM is first written to the `inbound_dms` table (idempotent on Discord's
//! message id, so gateway replays store nothing twice), then the user's inbox is
//! drained by one worker at a time (a Redis lock per user) in message-id order:
//! routed to the user's open ticket, or to a newly opened one, or held while the
//! user picks a guild, or answered with an explanation. A DM whose drain died
//! with its process stays pending and is picked up by the sweeper. A DM
//! Discord refuses for good is recorded as failed and the drain goes on; one
//! that fails transiently is retried after a growing wait or when its author
//! writes again (never sooner than a 429 asked), and given up only after
//! five failures over at least ten minutes (see "Poison messages" in
//! docs/ARCHITECTURE.md).

use std::time::Duration;

use super::super::error::{TicketError, TicketResult};
use super::super::ports::PortError;
use super::super::TicketService;
use super::routing::Route;
use crate::db;
use crate::domain::dm::IncomingDm;
use crate::domain::ids::{MessageId, UserId};
use crate::redis::lock::Lock;

/// Long enough for a ticket to open under rate limits; extended per message.
const DRAIN_LOCK_TTL: Duration = Duration::from_secs(30);
const BATCH: i64 = 50;
/// Routing tries in one drain when the answer is "not now" (not final).
const MAX_REROUTES: u32 = 3;

/// Failures of one DM before it is given up (transient ones; a permanent
/// failure is final at once), if it has also been failing for the give-up
/// window.
const MAX_ATTEMPTS: i32 = 5;
/// How long a DM must have been failing transiently before it may be given
/// up (`TICKETEER_INBOX_GIVE_UP_MS`).
///
/// The cap is in time as well as in count because a count alone measures how
/// often the bot tried, not how long Discord failed: in a 429 or 5xx storm
/// every sweep, and every further DM of the same user, spends a try, so a
/// storm of a few seconds could use up five tries and lose DMs that would
/// have gone through a moment later. With the window, an outage or a storm
/// shorter than it costs retries, never a DM; a DM Discord keeps failing (a
/// true poison message) still ends, so it holds its user's later DMs back for
/// a bounded time.
pub(crate) const DEFAULT_GIVE_UP_AFTER: Duration = Duration::from_secs(600);
/// The first wait before a transient failure is retried, doubled per failure.
pub(crate) const DEFAULT_RETRY_WAIT: Duration = Duration::from_secs(5);
/// The longest wait between two tries.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(300);

/// What one batch of the drain came to.
enum Step {
    Done(Drained),
    /// Look again: more may be pending.
    Next,
    /// This DM could not be routed or relayed.
    Failed(MessageId, PortError),
    /// Routing answered "not now" because something changed under it:
    /// route anew.
    Reroute,
}

enum Drained {
    /// Nothing pending.
    Empty,
    /// Messages wait for the user to pick a guild.
    Held,
    /// The oldest pending DM is within the wait a 429 asked for: nothing may
    /// go before it. The sweeper takes it up when its retry is due.
    Waiting,
}

impl TicketService {
    /// Takes in one DM: stores it, then relays everything pending for its author.
    #[tracing::instrument(skip(self, dm), fields(user = %dm.user, message = %dm.message))]
    pub async fn receive_dm(&self, dm: IncomingDm) -> TicketResult<()> {
        db::inbound::insert(&self.db, &dm).await?;
        self.drain_inbox(dm.user).await
    }

    /// Relays, in order, every pending DM of `user`. Returns at once if another
    /// worker is draining this user: that worker will see the new DMs.
    #[tracing::instrument(skip(self))]
    pub async fn drain_inbox(&self, user: UserId) -> TicketResult<()> {
        self.drain(user, false).await
    }

    /// Drains after the user answered a prompt (or it timed out). A drain
    /// running now may have read the prompt before the answer and will stop
    /// at "held", so this one waits for it rather than leaving the work to it.
    #[tracing::instrument(skip(self))]
    pub(crate) async fn drain_inbox_after_answer(&self, user: UserId) -> TicketResult<()> {
        self.drain(user, true).await
    }

    /// Waits for the user's drain lock (a drain running now finishes its
    /// message first). `None` if it stayed taken: go on without it, as before
    /// locks existed, rather than drop the change.
    pub(crate) async fn wait_for_inbox(&self, user: UserId) -> TicketResult<Option<Lock>> {
        let lock = Lock::acquire(&self.redis, self.keys.dm_drain_lock(user), DRAIN_LOCK_TTL, DRAIN_LOCK_TTL).await?;
        if lock.is_none() {
            tracing::warn!("the DM drain lock stayed taken; going on without it");
        }
        Ok(lock)
    }

    /// Releases what [`Self::wait_for_inbox`] took. A DM that arrived
    /// meanwhile found the lock taken and left its relay to the holder: relay it.
    pub(crate) async fn release_inbox(&self, user: UserId, lock: Option<Lock>) -> TicketResult<()> {
        if let Some(lock) = lock {
            if let Err(e) = lock.release().await {
                tracing::warn!(error = %e, "could not release the DM drain lock; it will expire");
            }
        }
        if db::inbound::has_pending(&self.db, user).await? {
            self.drain_inbox(user).await?;
        }
        Ok(())
    }

    async fn drain(&self, user: UserId, mut wait: bool) -> TicketResult<()> {
        loop {
            let key = self.keys.dm_drain_lock(user);
            let lock = if wait {
                Lock::acquire(&self.redis, key.clone(), DRAIN_LOCK_TTL, DRAIN_LOCK_TTL).await?
            } else {
                Lock::try_acquire(&self.redis, key.clone(), DRAIN_LOCK_TTL).await?
            };
            let lock = match lock {
                Some(lock) => lock,
                None if wait => {
                    tracing::warn!("the DM drain lock stayed taken; the inbox sweeper will finish this drain");
                    return Ok(());
                }
                None => {
                    // Another drain is running: ask it to look again when it
                    // is done, then try once more in case it released the
                    // lock before it could see the request.
                    self.ask_drain_again(user).await?;
                    match Lock::try_acquire(&self.redis, key, DRAIN_LOCK_TTL).await? {
                        Some(lock) => lock,
                        None => return Ok(()),
                    }
                }
            };
            wait = false;
            let drained = self.drain_locked(user, &lock).await;
            if let Err(e) = lock.release().await {
                tracing::warn!(error = %e, "could not release the DM drain lock; it will expire");
            }
            let look_again = match drained? {
                // DMs still wait (a guild to pick, a 429's retry), so pending
                // rows say nothing new: a DM stored meanwhile asked by mark.
                // After a 429 nothing may go before the oldest, so no mark
                // is needed there: the sweeper drains them in order.
                Drained::Held => self.drain_asked_again(user).await?,
                Drained::Waiting => false,
                // A DM stored while we held the lock saw it taken and left the
                // work to us; look once more now that it is released.
                Drained::Empty => db::inbound::has_pending(&self.db, user).await?,
            };
            if !look_again {
                return Ok(());
            }
        }
    }

    async fn ask_drain_again(&self, user: UserId) -> TicketResult<()> {
        let mut conn = self.redis.get().await.map_err(crate::redis::RedisError::from)?;
        let key = self.keys.dm_drain_again(user);
        // Expires with the lock: a request older than any drain means nothing.
        let ttl = DRAIN_LOCK_TTL.as_millis() as u64;
        let _: () = deadpool_redis::redis::cmd("SET")
            .arg(&key)
            .arg(1)
            .arg("PX")
            .arg(ttl)
            .query_async(&mut conn)
            .await
            .map_err(crate::redis::RedisError::from)?;
        Ok(())
    }

    /// Whether a DM asked for another look (the request is taken).
    async fn drain_asked_again(&self, user: UserId) -> TicketResult<bool> {
        let mut conn = self.redis.get().await.map_err(crate::redis::RedisError::from)?;
        let asked: Option<String> = deadpool_redis::redis::cmd("GETDEL")
            .arg(self.keys.dm_drain_again(user))
            .query_async(&mut conn)
            .await
            .map_err(crate::redis::RedisError::from)?;
        Ok(asked.is_some())
    }

    async fn drain_locked(&self, user: UserId, lock: &Lock) -> TicketResult<Drained> {
        let mut reroutes = 0;
        loop {
            match self.drain_batch(user, lock).await? {
                Step::Done(drained) => return Ok(drained),
                Step::Next => {}
                Step::Failed(message, error) => self.after_failure(message, error).await?,
                Step::Reroute => {
                    reroutes += 1;
                    if reroutes >= MAX_REROUTES {
                        // Still not final: the DMs stay pending for the
                        // sweeper, which retries them every few seconds.
                        tracing::info!("the DMs cannot be routed yet; they stay pending");
                        return Ok(Drained::Held);
                    }
                }
            }
        }
    }

    /// What a DM's failure means for the drain. Permanent (Discord refused
    /// for good), or transient too many times over too long: the DM is
    /// recorded as failed and the drain goes on, so one poison message never
    /// blocks its user's later ones. Otherwise transient: counted, given a
    /// growing wait (never shorter than a 429's `retry_after`; the sweeper
    /// retries it then), and the drain stops here, keeping the user's order.
    async fn after_failure(&self, message: MessageId, error: PortError) -> TicketResult<()> {
        let reason = error.to_string();
        if error.is_transient() {
            let first = self.inbox_retry.as_secs_f64();
            let least = error.retry_after().unwrap_or_default().as_secs_f64();
            let count = db::inbound::note_transient_failure(
                &self.db,
                message,
                &reason,
                first,
                MAX_RETRY_WAIT.as_secs_f64(),
                least,
            )
            .await?;
            // Both: five tries *and* the window (see DEFAULT_GIVE_UP_AFTER).
            if count.attempts < MAX_ATTEMPTS || count.failing_for < self.inbox_give_up_after {
                tracing::info!(
                    %message,
                    attempts = count.attempts,
                    failing_for = ?count.failing_for,
                    error = %reason,
                    "relaying a DM failed; it will be retried"
                );
                return Err(error.into());
            }
        }
        tracing::warn!(%message, error = %reason, class = error.class().as_str(), "giving up on a DM");
        crate::metrics::inbox_given_up(if error.is_transient() { "failed" } else { "permanent" });
        db::inbound::mark_failed(&self.db, message, &reason).await?;
        Ok(())
    }

    /// One batch of the user's pending DMs, routed by the first.
    async fn drain_batch(&self, user: UserId, lock: &Lock) -> TicketResult<Step> {
        // A new DM of the user (or a prompt's answer) drains at once and so
        // tries a failed DM before its backoff is over (the user is waiting;
        // the give-up window makes such tries harmless), but never within
        // the wait a 429 asked for.
        if db::inbound::head_is_rate_limited(&self.db, user).await? {
            return Ok(Step::Done(Drained::Waiting));
        }
        let batch = db::inbound::pending(&self.db, user, BATCH).await?;
        let Some(first) = batch.first() else {
            return Ok(Step::Done(Drained::Empty));
        };
        let route = match self.route_dm(first).await {
            Ok(route) => route,
            Err(TicketError::Discord(e)) => return Ok(Step::Failed(first.message, e)),
            Err(e) => return Err(e),
        };
        let (ticket, opened) = match route {
            Route::Existing(ticket) => (ticket, false),
            Route::Opened(ticket) => (ticket, true),
            Route::Held => {
                self.hold(user, &batch).await;
                return Ok(Step::Done(Drained::Held));
            }
            Route::Refused => {
                let ids: Vec<MessageId> = batch.iter().map(|dm| dm.message).collect();
                db::inbound::mark_refused(&self.db, &ids).await?;
                return Ok(Step::Next);
            }
            // Settings changed since routing: route anew at once.
            Route::Later { reroute: true } => return Ok(Step::Reroute),
            // Another opening holds the user's lock: the DMs stay pending and
            // the sweeper tries again in a few seconds.
            Route::Later { reroute: false } => {
                tracing::info!("the DMs cannot be routed yet; they stay pending");
                return Ok(Step::Done(Drained::Held));
            }
        };
        let batch = if opened { self.with_held(user, batch).await? } else { batch };
        let style = self.relay_style(ticket.guild).await?;
        let mut relayed = false;
        let mut failed = None;
        for (i, dm) in batch.iter().enumerate() {
            match self.relay_to_staff(&ticket, dm, opened && i == 0, &style).await {
                Ok(()) => relayed = true,
                Err(TicketError::Discord(PortError::NotFound)) => {
                    // Staff deleted the ticket channel by hand: the ticket is
                    // over; route what is left anew.
                    tracing::info!(ticket = ticket.id, "ticket channel is gone; closing the ticket record");
                    let mut tx = self.db.begin().await?;
                    db::tickets::close(&mut tx, ticket.id, None, "channel deleted").await?;
                    tx.commit().await?;
                    relayed = false;
                    break;
                }
                Err(TicketError::Discord(e)) => {
                    failed = Some(Step::Failed(dm.message, e));
                    break;
                }
                Err(e) => return Err(e),
            }
            if opened && i == 0 {
                self.welcome(&ticket, dm).await;
            }
            if !lock.extend().await? {
                tracing::warn!("lost the DM drain lock; stopping so another worker can continue");
                return Ok(Step::Done(Drained::Empty));
            }
        }
        if relayed && !opened {
            // Once per batch: cancel a scheduled close, ping `/alert`ers.
            self.user_wrote(&ticket).await?;
        }
        if opened && failed.is_none() {
            // Everything held is in the ticket now.
            if let Err(e) = self.held.clear(user).await {
                tracing::warn!(error = %e, "could not clear the held-message queue; it expires");
            }
        }
        Ok(failed.unwrap_or(Step::Next))
    }

    /// Puts the pending messages of a user who is choosing in the held queue.
    /// Every drain adds them all again, so a queue Redis lost is whole again.
    async fn hold(&self, user: UserId, batch: &[IncomingDm]) {
        let ids: Vec<MessageId> = batch.iter().map(|dm| dm.message).collect();
        if let Err(e) = self.held.hold(user, &ids).await {
            // They are still pending in PostgreSQL, which the forward reads too.
            tracing::warn!(error = %e, "could not queue held messages in Redis");
        }
    }

    /// The messages to forward into a just-opened ticket: the held queue, in
    /// order, together with the pending rows (the truth), each once.
    async fn with_held(&self, user: UserId, batch: Vec<IncomingDm>) -> TicketResult<Vec<IncomingDm>> {
        let held = match self.held.held(user).await {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the held-message queue; forwarding from PostgreSQL");
                return Ok(batch);
            }
        };
        let missing: Vec<MessageId> = held.into_iter().filter(|id| !batch.iter().any(|dm| dm.message == *id)).collect();
        if missing.is_empty() {
            return Ok(batch);
        }
        let mut all = batch;
        // Only rows still pending: a held id already relayed is never sent again.
        all.extend(db::inbound::pending_among(&self.db, &missing).await?);
        all.sort_by_key(|dm| dm.message);
        all.dedup_by_key(|dm| dm.message);
        Ok(all)
    }
}
