//! Refilling a guild's facts over REST (GET guild + GET guild channels) when
//! Redis has none: after Redis lost its data, after they expired, or for a
//! guild whose cluster has not written them yet. Single-flight across the
//! fleet: the first asker takes a short Redis lock and fetches; the others
//! wait for the facts to appear, so a burst of commands costs one refill.

use std::time::Duration;

use anyhow::Context as _;
use twilight_model::id::Id;

use super::convert;
use super::GuildFactsLookup;
use crate::discord::metered::metered;
use crate::domain::ids::GuildId;
use crate::redis::guild_facts::GuildFacts;
use crate::redis::lock::Lock;

/// Longer than two REST calls take, even slowed by rate limits; a holder
/// that dies leaves it to expire this soon.
const LOCK_TTL: Duration = Duration::from_secs(10);
/// How long a waiter waits for another process's refill.
const WAIT: Duration = Duration::from_secs(8);
const POLL: Duration = Duration::from_millis(50);

/// How a miss was settled.
pub enum Refill {
    /// This process fetched the facts (and stored them).
    Fetched(GuildFacts),
    /// Another refill (or a GUILD_CREATE) stored them: read them again.
    Stored,
}

impl GuildFactsLookup {
    pub(super) async fn refill(&self, guild: GuildId) -> anyhow::Result<Refill> {
        let key = self.keys.guild_facts_refill_lock(guild);
        let Some(lock) = Lock::try_acquire(&self.redis, key, LOCK_TTL).await? else {
            crate::metrics::lock_contended("guild_facts_refill");
            return self.wait_for_refill(guild).await;
        };
        // Another refill may have finished between our miss and the lock.
        let result =
            if self.store.exists(guild).await? { Ok(Refill::Stored) } else { self.fetch_and_store(guild).await };
        if let Err(e) = lock.release().await {
            tracing::debug!(error = %e, "could not release the guild facts refill lock; it expires");
        }
        result
    }

    async fn fetch_and_store(&self, guild: GuildId) -> anyhow::Result<Refill> {
        let id = Id::new_checked(guild.get()).context("guild id 0")?;
        let fetched = metered("get_guild", self.http.guild(id)).await.context("GET guild")?;
        let model = fetched.model().await.context("GET guild's body")?;
        let channels = metered("get_guild_channels", self.http.guild_channels(id)).await.context("GET channels")?;
        let channels = channels.models().await.context("GET channels' body")?;
        let facts = convert::guild(model.owner_id, &model.name, &model.roles, &channels);
        // Only if still missing: a GUILD_CREATE or event written meanwhile is
        // newer than what we read.
        self.store.fill(guild, &facts).await?;
        crate::metrics::guild_facts_refill();
        Ok(Refill::Fetched(facts))
    }

    async fn wait_for_refill(&self, guild: GuildId) -> anyhow::Result<Refill> {
        let deadline = tokio::time::Instant::now() + WAIT;
        while tokio::time::Instant::now() < deadline {
            tokio::time::sleep(POLL).await;
            if self.store.exists(guild).await? {
                return Ok(Refill::Stored);
            }
        }
        anyhow::bail!("another process's refill of guild {guild}'s facts did not finish in {WAIT:?}")
    }
}
