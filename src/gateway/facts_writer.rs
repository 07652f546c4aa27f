//! Keeps the fleet's guild facts (`crate::redis::guild_facts`) current from
//! this shard's events: GUILD_CREATE writes a guild whole, GUILD_UPDATE and
//! role and channel events change one field, GUILD_DELETE forgets it.
//!
//! One task per shard writes them in the order Discord sent them (handler
//! tasks run concurrently, and two quick updates of one role must not land
//! the wrong way round), off the shard loop, so Redis never slows the
//! gateway. Each write holds the session checkpoint before its event until
//! it is written, so a process that dies first is replaced by one that
//! resumes before the event and writes it. A write that keeps failing (Redis
//! down) or finds the queue full marks the guild stale: its facts are deleted
//! as soon as Redis answers, and the next read refills them over REST.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc;
use twilight_gateway::Event;
use twilight_model::gateway::payload::incoming::GuildCreate;

use super::checkpoint::InFlight;
use crate::discord::facts::convert;
use crate::domain::ids::GuildId;
use crate::redis::guild_facts::{Change, GuildFact, GuildFactStore, GuildFacts};

/// Writes waiting at most: a burst of GUILD_CREATEs after an identify while
/// Redis is slow; past it, guilds are marked stale instead.
const CAPACITY: usize = 1_000;
/// Tries of one write before its guild is marked stale.
const TRIES: u32 = 3;
const RETRY_WAIT: Duration = Duration::from_millis(200);

enum Write {
    Replace(GuildFacts),
    Apply(Change),
    Remove,
}

/// The shard loop's side of the writer.
pub struct FactsWriter {
    queue: mpsc::Sender<(GuildId, Write, InFlight)>,
    stale: Arc<Mutex<HashSet<GuildId>>>,
}

impl FactsWriter {
    /// Starts the writing task; it ends once the writer is dropped and what
    /// is queued is written.
    pub fn start(store: GuildFactStore) -> (Self, tokio::task::JoinHandle<()>) {
        let (queue, receiver) = mpsc::channel(CAPACITY);
        let stale = Arc::new(Mutex::new(HashSet::new()));
        let task = tokio::spawn(write_in_order(store, receiver, stale.clone()));
        (Self { queue, stale }, task)
    }

    /// Queues the write an event calls for, if any (never waits).
    pub fn observe(&self, event: &Event, hold: &InFlight) {
        let Some((guild, write)) = write_for(event) else {
            return;
        };
        if self.queue.try_send((guild, write, hold.again())).is_err() {
            crate::metrics::guild_facts_write_failure();
            self.stale.lock().unwrap_or_else(PoisonError::into_inner).insert(guild);
        }
    }
}

fn write_for(event: &Event) -> Option<(GuildId, Write)> {
    let (guild, write) = match event {
        Event::GuildCreate(created) => match created.as_ref() {
            GuildCreate::Available(g) => {
                (g.id, Write::Replace(convert::guild(g.owner_id, &g.name, &g.roles, &g.channels)))
            }
            GuildCreate::Unavailable(_) => return None,
        },
        Event::GuildUpdate(update) => {
            let fact = GuildFact { owner_id: update.owner_id.get(), name: update.name.clone() };
            (update.id, Write::Apply(Change::Guild(fact)))
        }
        // An outage makes a guild unavailable; its facts still hold.
        Event::GuildDelete(deleted) if deleted.unavailable != Some(true) => (deleted.id, Write::Remove),
        Event::RoleCreate(role) => {
            (role.guild_id, Write::Apply(Change::Role(role.role.id.get(), convert::role(&role.role))))
        }
        Event::RoleUpdate(role) => {
            (role.guild_id, Write::Apply(Change::Role(role.role.id.get(), convert::role(&role.role))))
        }
        Event::RoleDelete(role) => (role.guild_id, Write::Apply(Change::RoleDeleted(role.role_id.get()))),
        Event::ChannelCreate(channel) => {
            (channel.guild_id?, Write::Apply(Change::Channel(channel.id.get(), convert::channel(channel))))
        }
        Event::ChannelUpdate(channel) => {
            (channel.guild_id?, Write::Apply(Change::Channel(channel.id.get(), convert::channel(channel))))
        }
        Event::ChannelDelete(channel) => (channel.guild_id?, Write::Apply(Change::ChannelDeleted(channel.id.get()))),
        _ => return None,
    };
    Some((GuildId(guild.get()), write))
}

async fn write_in_order(
    store: GuildFactStore,
    mut receiver: mpsc::Receiver<(GuildId, Write, InFlight)>,
    stale: Arc<Mutex<HashSet<GuildId>>>,
) {
    while let Some((guild, write, hold)) = receiver.recv().await {
        forget_stale(&store, &stale).await;
        let mut tries = 0;
        loop {
            let written = match &write {
                Write::Replace(facts) => store.replace(guild, facts).await,
                // A guild whose facts are missing gets them whole at its
                // next read: nothing to change now.
                Write::Apply(change) => store.apply(guild, change).await.map(drop),
                Write::Remove => store.remove(guild).await,
            };
            let Err(e) = written else { break };
            tries += 1;
            if tries == TRIES {
                tracing::warn!(error = %e, %guild, "could not write a guild's facts; they are dropped once Redis answers");
                crate::metrics::guild_facts_write_failure();
                stale.lock().unwrap_or_else(PoisonError::into_inner).insert(guild);
                break;
            }
            tokio::time::sleep(RETRY_WAIT).await;
        }
        drop(hold);
    }
    forget_stale(&store, &stale).await;
}

/// Deletes the facts of guilds whose writes were lost, so they are refilled
/// rather than read stale. Those still failing stay marked.
async fn forget_stale(store: &GuildFactStore, stale: &Mutex<HashSet<GuildId>>) {
    let guilds: Vec<GuildId> = stale.lock().unwrap_or_else(PoisonError::into_inner).drain().collect();
    for guild in guilds {
        if store.remove(guild).await.is_err() {
            stale.lock().unwrap_or_else(PoisonError::into_inner).insert(guild);
        }
    }
}

#[cfg(test)]
mod tests {
    use twilight_model::gateway::payload::incoming::{GuildDelete, RoleDelete};
    use twilight_model::id::Id;

    use super::*;

    #[test]
    fn an_outage_keeps_a_guilds_facts_and_a_removal_or_role_deletion_changes_them() {
        let guild = Id::new(7);
        let outage = Event::GuildDelete(GuildDelete { id: guild, unavailable: Some(true) });
        assert!(write_for(&outage).is_none());
        let left = Event::GuildDelete(GuildDelete { id: guild, unavailable: None });
        assert!(matches!(write_for(&left), Some((GuildId(7), Write::Remove))));
        let role = Event::RoleDelete(RoleDelete { guild_id: guild, role_id: Id::new(9) });
        assert!(matches!(write_for(&role), Some((GuildId(7), Write::Apply(Change::RoleDeleted(9))))));
    }
}
