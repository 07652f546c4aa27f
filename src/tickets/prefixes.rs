//! Each guild's command prefix, cached in the process: the one thing a guild
//! message needs before the bot knows whether it is a command. With it, a
//! message that is not a command costs no PostgreSQL or Redis round trip.
//!
//! PostgreSQL stays the truth. An entry is used only while this process is
//! subscribed to the invalidation channel (`redis/invalidation.rs`): every
//! change of a prefix publishes the guild's id there after its commit, so
//! every process drops its entry and reads the new value on the next
//! message. Entries also expire after [`TTL`], a backstop for a publish that
//! was lost. Losing the subscription (or making it anew) empties the cache,
//! since changes may have been missed meanwhile; until it is back, every
//! lookup reads PostgreSQL, as before the cache existed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::error::TicketResult;
use super::TicketService;
use crate::db;
use crate::domain::ids::GuildId;

/// How long an entry is used without being read again.
pub const TTL: Duration = Duration::from_secs(60);

/// The cache proper (one per process, shared by its shards' handlers).
#[derive(Debug)]
pub struct PrefixCache {
    inner: Mutex<Inner>,
    ttl: Duration,
}

#[derive(Debug, Default)]
struct Inner {
    /// Whether the invalidation channel is subscribed: without it, nothing
    /// is served from (or stored into) the cache.
    listening: bool,
    /// Bumped by every invalidation. A value read from PostgreSQL is stored
    /// only if no invalidation came between the start of its read and its
    /// end, so a read that raced a change never stores the old prefix.
    generation: u64,
    prefixes: HashMap<GuildId, (String, Instant)>,
}

impl Default for PrefixCache {
    fn default() -> Self {
        Self::with_ttl(TTL)
    }
}

impl PrefixCache {
    pub fn with_ttl(ttl: Duration) -> Self {
        Self { inner: Mutex::default(), ttl }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Plain data: a panic elsewhere while holding it leaves nothing half-done.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The guild's prefix, if cached, fresh, and the cache is listening.
    pub fn get(&self, guild: GuildId) -> Option<String> {
        let inner = self.lock();
        if !inner.listening {
            return None;
        }
        let (prefix, at) = inner.prefixes.get(&guild)?;
        (at.elapsed() < self.ttl).then(|| prefix.clone())
    }

    /// Where a read from PostgreSQL starts: `None` when nothing may be
    /// stored (not listening).
    pub fn read_starts(&self) -> Option<u64> {
        let inner = self.lock();
        inner.listening.then_some(inner.generation)
    }

    /// Stores what a read that started at `generation` found, unless an
    /// invalidation came meanwhile.
    pub fn store(&self, guild: GuildId, prefix: String, generation: u64) {
        let mut inner = self.lock();
        if inner.listening && inner.generation == generation {
            // Expired entries are dropped here, so the map holds at most the
            // guilds that spoke within the last TTL (plus this one).
            let ttl = self.ttl;
            if inner.prefixes.len() >= 1024 {
                inner.prefixes.retain(|_, (_, at)| at.elapsed() < ttl);
            }
            inner.prefixes.insert(guild, (prefix, Instant::now()));
        }
    }

    /// Drops the guild's entry (its prefix changed, here or in another process).
    pub fn forget(&self, guild: GuildId) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.prefixes.remove(&guild);
    }

    /// Drops every entry: an invalidation we cannot read, or a subscription
    /// made anew (what was published while it was down is lost).
    pub fn forget_all(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.prefixes.clear();
    }

    /// The subscription is up (`true`) or lost (`false`); either way the
    /// cache starts empty.
    pub fn set_listening(&self, listening: bool) {
        let mut inner = self.lock();
        inner.listening = listening;
        inner.generation += 1;
        inner.prefixes.clear();
        crate::metrics::prefix_cache_listening(listening);
    }

    pub fn is_listening(&self) -> bool {
        self.lock().listening
    }
}

impl crate::redis::invalidation::InvalidatedCache for PrefixCache {
    fn set_listening(&self, listening: bool) {
        PrefixCache::set_listening(self, listening);
    }

    fn forget(&self, guild: GuildId) {
        PrefixCache::forget(self, guild);
    }

    fn forget_all(&self) {
        PrefixCache::forget_all(self);
    }
}

impl TicketService {
    /// The guild's command prefix: from the cache when it may be used (no
    /// round trip at all), otherwise read from PostgreSQL (and cached).
    pub async fn command_prefix(&self, guild: GuildId) -> TicketResult<String> {
        if let Some(prefix) = self.prefixes.get(guild) {
            crate::metrics::prefix_lookup("cached");
            return Ok(prefix);
        }
        let started = self.prefixes.read_starts();
        let prefix = db::settings::get(&self.db, guild).await?.command_prefix;
        match started {
            Some(generation) => {
                crate::metrics::prefix_lookup("read");
                self.prefixes.store(guild, prefix.clone(), generation);
            }
            None => crate::metrics::prefix_lookup("not_listening"),
        }
        Ok(prefix)
    }

    /// Tells every process that the guild's settings changed (call after the
    /// commit): this process's entry goes at once, the others' when the
    /// invalidation reaches them (milliseconds). A publish that fails is
    /// logged; the others then use the old prefix until their entry expires.
    pub async fn settings_changed(&self, guild: GuildId) {
        self.prefixes.forget(guild);
        crate::redis::invalidation::publish(&self.redis, &self.keys, guild).await;
    }

    /// The process's prefix cache, for the task that keeps it subscribed.
    pub fn prefix_cache(&self) -> &std::sync::Arc<PrefixCache> {
        &self.prefixes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const G: GuildId = GuildId(7);

    #[test]
    fn nothing_is_served_or_stored_while_not_listening() {
        let cache = PrefixCache::default();
        assert_eq!(cache.read_starts(), None);
        cache.store(G, "?".into(), 0);
        assert_eq!(cache.get(G), None);
        cache.set_listening(true);
        let at = cache.read_starts().unwrap();
        cache.store(G, "?".into(), at);
        assert_eq!(cache.get(G).as_deref(), Some("?"));
        cache.set_listening(false);
        assert_eq!(cache.get(G), None, "a lost subscription empties the cache");
    }

    #[test]
    fn a_read_that_raced_an_invalidation_is_not_stored() {
        let cache = PrefixCache::default();
        cache.set_listening(true);
        let at = cache.read_starts().unwrap();
        cache.forget(G);
        cache.store(G, "!".into(), at);
        assert_eq!(cache.get(G), None);
        let at = cache.read_starts().unwrap();
        cache.store(G, "?".into(), at);
        assert_eq!(cache.get(G).as_deref(), Some("?"));
    }

    #[test]
    fn entries_expire() {
        let cache = PrefixCache::with_ttl(Duration::from_millis(0));
        cache.set_listening(true);
        let at = cache.read_starts().unwrap();
        cache.store(G, "?".into(), at);
        assert_eq!(cache.get(G), None);
    }
}
