//! A guild's facts (owner, roles, channels) for permission checks and names,
//! wherever this process learned them: its own gateway cache when it saw the
//! guild's GUILD_CREATE, else the fleet's store in Redis, else Discord's REST
//! API (a refill, stored for everyone). A process that resumed its sessions
//! has an empty gateway cache (no GUILD_CREATE follows a resume) and is
//! correct through Redis.

pub mod convert;
mod refill;

use std::sync::Arc;

use twilight_cache_inmemory::DefaultInMemoryCache;
use twilight_http::Client;
use twilight_model::guild::Permissions;
use twilight_model::id::marker::{GuildMarker, RoleMarker, UserMarker};
use twilight_model::id::Id;
use twilight_util::permission_calculator::PermissionCalculator;

use crate::domain::ids::GuildId;
use crate::redis::guild_facts::{GuildFactStore, GuildFacts, PermissionFacts};
use crate::redis::keys::Keys;
use crate::redis::RedisPool;
use crate::tickets::ports::KnownNames;
use refill::Refill;

pub struct GuildFactsLookup {
    cache: Arc<DefaultInMemoryCache>,
    store: GuildFactStore,
    http: Arc<Client>,
    redis: RedisPool,
    keys: Keys,
}

impl GuildFactsLookup {
    pub fn new(cache: Arc<DefaultInMemoryCache>, http: Arc<Client>, redis: RedisPool, keys: Keys) -> Self {
        let store = GuildFactStore::new(redis.clone(), keys.clone());
        Self { cache, store, http, redis, keys }
    }

    /// Whether the member is the owner or has Administrator or Manage Server
    /// through @everyone and their roles. Unknown (Redis and Discord both
    /// unreachable) is a no.
    pub async fn can_manage_guild(
        &self,
        guild: Id<GuildMarker>,
        user: Id<UserMarker>,
        roles: &[Id<RoleMarker>],
    ) -> bool {
        let facts = match self.permission_facts(guild, roles).await {
            Ok(facts) => facts,
            Err(e) => {
                tracing::warn!(error = %e, %guild, "could not learn the guild's roles; the member is refused");
                return false;
            }
        };
        let member_roles: Vec<(Id<RoleMarker>, Permissions)> = facts
            .roles
            .iter()
            .filter_map(|(id, bits)| Some((Id::new_checked(*id)?, Permissions::from_bits_truncate((*bits)?))))
            .collect();
        let everyone = Permissions::from_bits_truncate(facts.everyone);
        let mut calculator = PermissionCalculator::new(guild, user, everyone, &member_roles);
        if let Some(owner) = Id::new_checked(facts.owner_id) {
            calculator = calculator.owner_id(owner);
        }
        calculator.root().intersects(Permissions::ADMINISTRATOR | Permissions::MANAGE_GUILD)
    }

    async fn permission_facts(
        &self,
        guild: Id<GuildMarker>,
        roles: &[Id<RoleMarker>],
    ) -> anyhow::Result<PermissionFacts> {
        if let Some(facts) = self.permission_facts_in_memory(guild, roles) {
            crate::metrics::guild_facts_lookup("memory");
            return Ok(facts);
        }
        let id = GuildId(guild.get());
        let asked: Vec<u64> = roles.iter().map(|r| r.get()).collect();
        if let Some(facts) = self.store.permission_facts(id, &asked).await? {
            crate::metrics::guild_facts_lookup("redis");
            return Ok(facts);
        }
        crate::metrics::guild_facts_lookup("refill");
        match self.refill(id).await? {
            Refill::Fetched(facts) => Ok(permission_facts_of(&facts, id, &asked)),
            Refill::Stored => self
                .store
                .permission_facts(id, &asked)
                .await?
                .ok_or_else(|| anyhow::anyhow!("guild {id}'s facts vanished right after their refill")),
        }
    }

    /// From the gateway cache, if this process saw the guild's GUILD_CREATE
    /// (the guild is there only then; a role event alone does not add it).
    fn permission_facts_in_memory(&self, guild: Id<GuildMarker>, roles: &[Id<RoleMarker>]) -> Option<PermissionFacts> {
        let owner = self.cache.guild(guild)?.owner_id();
        let permissions = |role: Id<RoleMarker>| self.cache.role(role).map(|r| r.resource().permissions.bits());
        Some(PermissionFacts {
            owner_id: owner.get(),
            everyone: permissions(guild.cast()).unwrap_or(0),
            roles: roles.iter().map(|r| (r.get(), permissions(*r))).collect(),
        })
    }

    /// The guild's role and channel names; empty if they cannot be learned.
    pub async fn names(&self, guild: GuildId) -> KnownNames {
        if let Some(names) = self.names_in_memory(guild) {
            return names;
        }
        match self.facts(guild).await {
            Ok(facts) => KnownNames {
                roles: facts.roles.iter().map(|(id, r)| (*id, r.name.clone())).collect(),
                channels: facts.channels.iter().filter_map(|(id, c)| Some((*id, c.name.clone()?))).collect(),
            },
            Err(e) => {
                tracing::warn!(error = %e, %guild, "could not learn the guild's role and channel names");
                KnownNames::default()
            }
        }
    }

    fn names_in_memory(&self, guild: GuildId) -> Option<KnownNames> {
        let guild = Id::new_checked(guild.get())?;
        self.cache.guild(guild)?;
        let roles = self.cache.guild_roles(guild).map(|ids| {
            ids.iter().filter_map(|r| self.cache.role(*r).map(|role| (r.get(), role.name.clone()))).collect()
        });
        let channels = self.cache.guild_channels(guild).map(|ids| {
            ids.iter()
                .filter_map(|c| self.cache.channel(*c).and_then(|ch| ch.name.clone()).map(|name| (c.get(), name)))
                .collect()
        });
        Some(KnownNames { roles: roles.unwrap_or_default(), channels: channels.unwrap_or_default() })
    }

    /// Everything stored for the guild, refilled on a miss.
    async fn facts(&self, guild: GuildId) -> anyhow::Result<GuildFacts> {
        if let Some(facts) = self.store.get(guild).await? {
            crate::metrics::guild_facts_lookup("redis");
            return Ok(facts);
        }
        crate::metrics::guild_facts_lookup("refill");
        match self.refill(guild).await? {
            Refill::Fetched(facts) => Ok(facts),
            Refill::Stored => self
                .store
                .get(guild)
                .await?
                .ok_or_else(|| anyhow::anyhow!("guild {guild}'s facts vanished right after their refill")),
        }
    }
}

fn permission_facts_of(facts: &GuildFacts, guild: GuildId, roles: &[u64]) -> PermissionFacts {
    let permissions = |role: u64| facts.roles.get(&role).map(|r| r.permissions);
    PermissionFacts {
        owner_id: facts.guild.owner_id,
        everyone: permissions(guild.get()).unwrap_or(0),
        roles: roles.iter().map(|r| (*r, permissions(*r))).collect(),
    }
}
