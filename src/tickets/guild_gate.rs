//! At most a few openings of one guild at a time in this process hold a
//! database connection. Openings of a guild queue on its counter row lock
//! anyway (gapless numbers), each holding a pooled connection while it
//! waits, so a raid on one server's ticket menu could take every connection
//! of the process from every other server. Here they wait without one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::domain::ids::GuildId;

/// Openings of one guild holding a connection at once, per process: one
/// holds the counter row, one is ready to take it next.
pub const OPENINGS_PER_GUILD: usize = 2;

#[derive(Debug, Default)]
pub struct GuildGate {
    gates: Mutex<HashMap<GuildId, Arc<Semaphore>>>,
}

/// A place among the guild's openings; freed when dropped.
#[derive(Debug)]
pub struct GuildPermit<'a> {
    gate: &'a GuildGate,
    guild: GuildId,
    permit: Option<OwnedSemaphorePermit>,
}

impl GuildGate {
    /// Waits for a place among the guild's openings.
    pub async fn enter(&self, guild: GuildId) -> GuildPermit<'_> {
        let semaphore = {
            let mut gates = self.gates.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            gates.entry(guild).or_insert_with(|| Arc::new(Semaphore::new(OPENINGS_PER_GUILD))).clone()
        };
        // The semaphore is never closed, so acquiring cannot fail.
        let permit = semaphore.acquire_owned().await.ok();
        GuildPermit { gate: self, guild, permit }
    }
}

impl Drop for GuildPermit<'_> {
    fn drop(&mut self) {
        drop(self.permit.take());
        // Forget an idle guild's semaphore (the map's copy is the only one
        // left), so the map holds only guilds opening tickets right now.
        let mut gates = self.gate.gates.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if gates.get(&self.guild).is_some_and(|s| Arc::strong_count(s) == 1) {
            gates.remove(&self.guild);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_guild_gets_at_most_its_share_and_other_guilds_are_not_held_up() {
        let gate = GuildGate::default();
        let a1 = gate.enter(GuildId(1)).await;
        let _a2 = gate.enter(GuildId(1)).await;
        let third = tokio::time::timeout(std::time::Duration::from_millis(50), gate.enter(GuildId(1))).await;
        assert!(third.is_err(), "a third opening of the guild waits");
        let other = tokio::time::timeout(std::time::Duration::from_millis(50), gate.enter(GuildId(2))).await;
        assert!(other.is_ok(), "another guild does not wait");
        drop(other);
        drop(a1);
        let third = tokio::time::timeout(std::time::Duration::from_millis(50), gate.enter(GuildId(1))).await;
        assert!(third.is_ok(), "a freed place is taken");
        drop(third);
        drop(_a2);
        assert!(gate.gates.lock().unwrap().is_empty(), "idle guilds are forgotten");
    }
}
