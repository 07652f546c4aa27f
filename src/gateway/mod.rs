//! The gateway: where Discord's events enter. A cluster runs a consecutive
//! range of shards (`twilight_gateway::bucket`), one task per shard; each event
//! is handed to [`dispatch`] on its own task, tracked so shutdown can drain.

pub mod checkpoint;
pub mod cluster;
pub mod dispatch;
pub mod dm_spool;
pub mod event_lanes;
pub mod facts_writer;
pub mod member_fill;
pub mod member_requests;
pub mod queue;
pub mod rate_limited;
pub mod readiness;
pub mod receive_error;
pub mod sessions;
pub mod shard_runner;

use twilight_gateway::{EventTypeFlags, Intents};

/// What the bot asks Discord for. MESSAGE_CONTENT and GUILD_MEMBERS are
/// privileged: enable both in the developer portal.
pub const INTENTS: Intents = Intents::GUILDS
    .union(Intents::GUILD_MEMBERS)
    .union(Intents::GUILD_MESSAGES)
    .union(Intents::DIRECT_MESSAGES)
    .union(Intents::MESSAGE_CONTENT);

/// The events we deserialize; all others are skipped unparsed.
pub const WANTED_EVENTS: EventTypeFlags = EventTypeFlags::READY
    .union(EventTypeFlags::RESUMED)
    .union(EventTypeFlags::GATEWAY_RECONNECT)
    .union(EventTypeFlags::GATEWAY_INVALIDATE_SESSION)
    .union(EventTypeFlags::GATEWAY_HEARTBEAT_ACK)
    .union(EventTypeFlags::GUILD_CREATE)
    .union(EventTypeFlags::GUILD_UPDATE)
    .union(EventTypeFlags::GUILD_DELETE)
    .union(EventTypeFlags::CHANNEL_CREATE)
    .union(EventTypeFlags::CHANNEL_UPDATE)
    .union(EventTypeFlags::CHANNEL_DELETE)
    .union(EventTypeFlags::ROLE_CREATE)
    .union(EventTypeFlags::ROLE_UPDATE)
    .union(EventTypeFlags::ROLE_DELETE)
    .union(EventTypeFlags::MEMBER_ADD)
    .union(EventTypeFlags::MEMBER_REMOVE)
    .union(EventTypeFlags::MEMBER_CHUNK)
    .union(EventTypeFlags::MESSAGE_CREATE)
    .union(EventTypeFlags::MESSAGE_UPDATE)
    .union(EventTypeFlags::MESSAGE_DELETE)
    .union(EventTypeFlags::INTERACTION_CREATE)
    .union(EventTypeFlags::RATE_LIMITED);
