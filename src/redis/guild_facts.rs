//! The guild facts store: what permission checks and names need of a guild
//! (its owner, its roles with permissions and names, its channels with name,
//! parent, kind and overwrites), in one Redis hash per guild, so a process
//! that resumed a session (no GUILD_CREATE follows a resume) or that does not
//! own the guild finds them without asking Discord.
//!
//! A cache only: the cluster owning the guild writes it from gateway events,
//! and a miss is refilled over REST (`crate::discord::guild_facts`). The hash
//! has a field `guild` (owner and name) plus `role:{id}` and `channel:{id}`
//! fields; the `guild` field marks it complete. A single role or channel
//! change is applied only to a complete hash, so an event never creates a
//! partial one that would read as complete-but-wrong.

use std::collections::{BTreeMap, HashMap};

use deadpool_redis::redis::{self, Script};
use serde::{Deserialize, Serialize};

use super::keys::Keys;
use super::{RedisError, RedisPool};
use crate::domain::ids::GuildId;

/// A quiet guild's facts expire after a week (every write pushes it out);
/// the next command refills them over REST.
const EXPIRY_SECONDS: u64 = 7 * 24 * 3600;

/// The guild-level fact: who owns it and what it is called.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuildFact {
    pub owner_id: u64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleFact {
    pub name: String,
    /// Permission bits (Discord's `permissions`).
    pub permissions: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelFact {
    pub name: Option<String>,
    pub parent_id: Option<u64>,
    /// Discord's channel type number.
    pub kind: u8,
    pub overwrites: Vec<OverwriteFact>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverwriteFact {
    pub id: u64,
    /// 0 for a role, 1 for a member (Discord's overwrite type).
    pub kind: u8,
    pub allow: u64,
    pub deny: u64,
}

/// Everything stored for one guild.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuildFacts {
    pub guild: GuildFact,
    pub roles: BTreeMap<u64, RoleFact>,
    pub channels: BTreeMap<u64, ChannelFact>,
}

/// What a permission check reads: the guild fact and the asked roles (a role
/// gone from the hash is `None`). `None` as a whole when the guild is missing.
#[derive(Debug, Clone)]
pub struct PermissionFacts {
    pub owner_id: u64,
    /// @everyone's permissions (its role id is the guild id).
    pub everyone: u64,
    pub roles: Vec<(u64, Option<u64>)>,
}

/// One change from a gateway event.
#[derive(Debug, Clone)]
pub enum Change {
    Guild(GuildFact),
    Role(u64, RoleFact),
    RoleDeleted(u64),
    Channel(u64, ChannelFact),
    ChannelDeleted(u64),
}

/// Writes every field given after the TTL, either replacing the hash
/// (`replace`) or only if it does not exist yet (`fill`: a REST refill never
/// overwrites what an event wrote meanwhile).
const WRITE_ALL: &str = r#"
if ARGV[1] == 'fill' and redis.call('EXISTS', KEYS[1]) == 1 then
    return 0
end
redis.call('DEL', KEYS[1])
for i = 3, #ARGV, 2 do
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"#;

/// Sets (a value given) or deletes (none) one field of a complete hash.
const APPLY: &str = r#"
if redis.call('HEXISTS', KEYS[1], 'guild') == 0 then
    return 0
end
if ARGV[3] then
    redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
else
    redis.call('HDEL', KEYS[1], ARGV[2])
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
"#;

const GUILD_FIELD: &str = "guild";

fn role_field(role: u64) -> String {
    format!("role:{role}")
}

fn channel_field(channel: u64) -> String {
    format!("channel:{channel}")
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

#[derive(Clone)]
pub struct GuildFactStore {
    pool: RedisPool,
    keys: Keys,
}

impl GuildFactStore {
    pub fn new(pool: RedisPool, keys: Keys) -> Self {
        Self { pool, keys }
    }

    /// Replaces the guild's facts (GUILD_CREATE: the whole guild, fresh).
    pub async fn replace(&self, guild: GuildId, facts: &GuildFacts) -> Result<(), RedisError> {
        self.write_all(guild, facts, "replace").await.map(drop)
    }

    /// Writes the guild's facts unless they exist; whether they were written.
    pub async fn fill(&self, guild: GuildId, facts: &GuildFacts) -> Result<bool, RedisError> {
        self.write_all(guild, facts, "fill").await
    }

    async fn write_all(&self, guild: GuildId, facts: &GuildFacts, mode: &str) -> Result<bool, RedisError> {
        let script = Script::new(WRITE_ALL);
        let mut script = script.prepare_invoke();
        script.key(self.keys.guild_facts(guild)).arg(mode).arg(EXPIRY_SECONDS);
        script.arg(GUILD_FIELD).arg(to_json(&facts.guild));
        for (id, role) in &facts.roles {
            script.arg(role_field(*id)).arg(to_json(role));
        }
        for (id, channel) in &facts.channels {
            script.arg(channel_field(*id)).arg(to_json(channel));
        }
        let mut conn = self.pool.get().await?;
        let written: i64 = script.invoke_async(&mut conn).await?;
        Ok(written == 1)
    }

    /// Applies one event's change; `false` if the guild's facts are missing
    /// (they will be refilled whole, with the change, on the next read).
    pub async fn apply(&self, guild: GuildId, change: &Change) -> Result<bool, RedisError> {
        let (field, value) = match change {
            Change::Guild(fact) => (GUILD_FIELD.to_owned(), Some(to_json(fact))),
            Change::Role(id, role) => (role_field(*id), Some(to_json(role))),
            Change::RoleDeleted(id) => (role_field(*id), None),
            Change::Channel(id, channel) => (channel_field(*id), Some(to_json(channel))),
            Change::ChannelDeleted(id) => (channel_field(*id), None),
        };
        let script = Script::new(APPLY);
        let mut script = script.prepare_invoke();
        script.key(self.keys.guild_facts(guild)).arg(EXPIRY_SECONDS).arg(field);
        if let Some(value) = value {
            script.arg(value);
        }
        let mut conn = self.pool.get().await?;
        let applied: i64 = script.invoke_async(&mut conn).await?;
        Ok(applied == 1)
    }

    /// Forgets the guild (the bot left it, or a write failed and the facts
    /// may be stale: the next read refills them).
    pub async fn remove(&self, guild: GuildId) -> Result<(), RedisError> {
        let mut conn = self.pool.get().await?;
        let _: i64 = redis::cmd("DEL").arg(self.keys.guild_facts(guild)).query_async(&mut conn).await?;
        Ok(())
    }

    /// Whether the guild's facts are there (complete).
    pub async fn exists(&self, guild: GuildId) -> Result<bool, RedisError> {
        let mut conn = self.pool.get().await?;
        let exists: bool =
            redis::cmd("HEXISTS").arg(self.keys.guild_facts(guild)).arg(GUILD_FIELD).query_async(&mut conn).await?;
        Ok(exists)
    }

    /// The owner, @everyone and the given roles, in one round trip (a few
    /// fields, not the whole hash with every channel).
    pub async fn permission_facts(&self, guild: GuildId, roles: &[u64]) -> Result<Option<PermissionFacts>, RedisError> {
        let mut fields = vec![GUILD_FIELD.to_owned(), role_field(guild.get())];
        fields.extend(roles.iter().map(|r| role_field(*r)));
        let mut conn = self.pool.get().await?;
        let values: Vec<Option<String>> =
            redis::cmd("HMGET").arg(self.keys.guild_facts(guild)).arg(&fields).query_async(&mut conn).await?;
        let mut values = values.into_iter();
        let Some(guild_fact) = values.next().flatten().and_then(|v| serde_json::from_str::<GuildFact>(&v).ok()) else {
            return Ok(None);
        };
        let permissions = |value: Option<String>| {
            value.and_then(|v| serde_json::from_str::<RoleFact>(&v).ok()).map(|role| role.permissions)
        };
        let everyone = permissions(values.next().flatten()).unwrap_or(0);
        let roles = roles.iter().copied().zip(values.map(permissions)).collect();
        Ok(Some(PermissionFacts { owner_id: guild_fact.owner_id, everyone, roles }))
    }

    /// Everything stored for the guild, `None` if it is missing.
    pub async fn get(&self, guild: GuildId) -> Result<Option<GuildFacts>, RedisError> {
        let mut conn = self.pool.get().await?;
        let fields: HashMap<String, String> =
            redis::cmd("HGETALL").arg(self.keys.guild_facts(guild)).query_async(&mut conn).await?;
        Ok(parse(&fields))
    }
}

/// A hash's fields as facts; a field that does not parse is skipped (a
/// newer process's format, say), a hash without its guild field is missing.
fn parse(fields: &HashMap<String, String>) -> Option<GuildFacts> {
    let guild = serde_json::from_str(fields.get(GUILD_FIELD)?).ok()?;
    let mut facts = GuildFacts { guild, roles: BTreeMap::new(), channels: BTreeMap::new() };
    for (field, value) in fields {
        if let Some(id) = field.strip_prefix("role:").and_then(|id| id.parse().ok()) {
            if let Ok(role) = serde_json::from_str(value) {
                facts.roles.insert(id, role);
            }
        } else if let Some(id) = field.strip_prefix("channel:").and_then(|id| id.parse().ok()) {
            if let Ok(channel) = serde_json::from_str(value) {
                facts.channels.insert(id, channel);
            }
        }
    }
    Some(facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_without_its_guild_field_is_missing_and_unknown_fields_are_skipped() {
        let mut fields = HashMap::new();
        fields.insert("role:5".to_owned(), r#"{"name":"Mods","permissions":8}"#.to_owned());
        assert_eq!(parse(&fields), None);
        fields.insert("guild".to_owned(), r#"{"owner_id":7,"name":"acme"}"#.to_owned());
        fields.insert("channel:9".to_owned(), "not json".to_owned());
        fields.insert("something:1".to_owned(), "{}".to_owned());
        let facts = parse(&fields).unwrap();
        assert_eq!(facts.guild.owner_id, 7);
        assert_eq!(facts.roles[&5].permissions, 8);
        assert!(facts.channels.is_empty());
    }
}
