//! Session checkpoints: every few seconds each shard writes where a
//! replacement may resume — `(session, sequence, resume URL)` — to the same
//! Redis key a graceful shutdown saves to, so a process that dies without
//! closing (`kill -9`, OOM, a lost node) is replaced by one that RESUMEs and
//! gets what it missed replayed, instead of identifying and losing it.
//!
//! The sequence written is not simply the last one received: an event whose
//! handler has not finished (a DM waiting in the spool, a ticket being
//! opened) may die with the process, so the checkpoint stays just before the
//! oldest event still in flight. Discord then replays that event and every
//! later one; every handler is idempotent, so what had already been done is
//! not done twice.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use twilight_gateway::Session;

use super::sessions::{self, SavedSession};
use crate::bot::Bot;

/// How often a shard writes its checkpoint.
pub const EVERY: Duration = Duration::from_secs(2);

/// An unchanged checkpoint is written again this often, so its key (which
/// expires with Discord's resume window) lives as long as the session does.
const REFRESH: Duration = Duration::from_secs(60);

/// A handler running longer than this no longer holds the checkpoint back:
/// resuming from minutes ago would replay a flood for one stuck task (and
/// Discord may no longer hold those events).
const HOLD_LIMIT: Duration = Duration::from_secs(60);

/// What one shard knows about its session and the events still in flight.
#[derive(Default)]
pub struct Checkpoint {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    session_id: Option<String>,
    resume_url: Option<String>,
    /// Counts sessions, so a hold from an earlier one never touches a later
    /// one's holds of the same sequence.
    generation: u64,
    /// The last sequence received.
    sequence: u64,
    /// Events whose handling has not finished: sequence → (how many, since).
    in_flight: BTreeMap<u64, (u32, Instant)>,
}

/// Holds the checkpoint before its event until dropped (when the event's
/// handling has finished, or its task ended in any other way).
pub struct InFlight {
    checkpoint: Arc<Checkpoint>,
    generation: u64,
    sequence: u64,
}

impl InFlight {
    /// A second hold on the same event, for a second task that handles it.
    pub fn again(&self) -> InFlight {
        let mut state = self.checkpoint.lock();
        if state.generation == self.generation {
            state.in_flight.entry(self.sequence).or_insert((0, Instant::now())).0 += 1;
        }
        InFlight { checkpoint: self.checkpoint.clone(), generation: self.generation, sequence: self.sequence }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut state = self.checkpoint.lock();
        if state.generation != self.generation {
            return;
        }
        if let Some((count, _)) = state.in_flight.get_mut(&self.sequence) {
            *count -= 1;
            if *count == 0 {
                state.in_flight.remove(&self.sequence);
            }
        }
    }
}

impl Checkpoint {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock leaves plain data behind; keep going.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records the shard's session after an event was received, and returns
    /// a hold on that event's sequence.
    pub fn received(self: &Arc<Self>, session: Option<&Session>, resume_url: Option<&str>) -> InFlight {
        let mut state = self.lock();
        match session {
            Some(session) => {
                if state.session_id.as_deref() != Some(session.id()) {
                    // A new session (READY after an identify): earlier holds
                    // belong to a session nobody can resume any more.
                    state.session_id = Some(session.id().to_owned());
                    state.generation += 1;
                    state.in_flight.clear();
                }
                state.sequence = session.sequence();
            }
            None => state.session_id = None,
        }
        if state.resume_url.as_deref() != resume_url {
            state.resume_url = resume_url.map(str::to_owned);
        }
        let sequence = state.sequence;
        state.in_flight.entry(sequence).or_insert((0, Instant::now())).0 += 1;
        InFlight { checkpoint: self.clone(), generation: state.generation, sequence }
    }

    /// Where a replacement may resume without losing an unfinished event.
    pub fn safe_point(&self) -> Option<SavedSession> {
        let state = self.lock();
        let (id, resume_url) = (state.session_id.clone()?, state.resume_url.clone()?);
        let oldest_held =
            state.in_flight.iter().find(|(_, (_, since))| since.elapsed() < HOLD_LIMIT).map(|(sequence, _)| *sequence);
        let sequence = match oldest_held {
            Some(held) => held.saturating_sub(1).min(state.sequence),
            None => state.sequence,
        };
        Some(SavedSession { session: Session::new(sequence, id), resume_url })
    }
}

/// Writes the shard's checkpoint every [`EVERY`] until `stop` is cancelled.
/// A failed write is only logged: losing a checkpoint costs an identify at
/// the next crash, never an event.
pub async fn run(bot: Arc<Bot>, checkpoint: Arc<Checkpoint>, shard: u32, total: u32, stop: CancellationToken) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut written: Option<(String, u64, Instant)> = None;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let Some(saved) = checkpoint.safe_point() else { continue };
        let unchanged = written.as_ref().is_some_and(|(id, sequence, at)| {
            id == saved.session.id() && *sequence == saved.session.sequence() && at.elapsed() < REFRESH
        });
        if unchanged {
            continue;
        }
        match sessions::save(&bot.redis, &bot.keys, shard, total, &saved).await {
            Ok(()) => {
                written = Some((saved.session.id().to_owned(), saved.session.sequence(), Instant::now()));
                crate::metrics::session_checkpoint(shard);
            }
            Err(e) => tracing::debug!(error = %e, "could not write the session checkpoint"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checkpoint_stays_before_the_oldest_event_still_in_flight() {
        let checkpoint = Arc::new(Checkpoint::default());
        let url = Some("ws://gateway/resume");
        let first = checkpoint.received(Some(&Session::new(5, "s".into())), url);
        let second = checkpoint.received(Some(&Session::new(6, "s".into())), url);
        let third = checkpoint.received(Some(&Session::new(7, "s".into())), url);
        drop(third);
        assert_eq!(checkpoint.safe_point().unwrap().session.sequence(), 4);
        drop(first);
        assert_eq!(checkpoint.safe_point().unwrap().session.sequence(), 5);
        drop(second);
        assert_eq!(checkpoint.safe_point().unwrap().session.sequence(), 7);
    }

    #[test]
    fn a_new_session_forgets_the_holds_of_the_old_one() {
        let checkpoint = Arc::new(Checkpoint::default());
        let url = Some("ws://gateway/resume");
        let old = checkpoint.received(Some(&Session::new(3, "old".into())), url);
        let new = checkpoint.received(Some(&Session::new(3, "new".into())), url);
        let later = checkpoint.received(Some(&Session::new(4, "new".into())), url);
        drop(old);
        let saved = checkpoint.safe_point().unwrap();
        assert_eq!((saved.session.id(), saved.session.sequence()), ("new", 2), "the new session's hold on 3 stays");
        drop((new, later));
        assert_eq!(checkpoint.safe_point().unwrap().session.sequence(), 4);
    }

    #[test]
    fn nothing_is_checkpointed_before_a_session_exists() {
        let checkpoint = Arc::new(Checkpoint::default());
        drop(checkpoint.received(None, None));
        assert!(checkpoint.safe_point().is_none());
    }
}
