//! Routes each gateway event to its handler. Runs on its own task per event.

use std::sync::Arc;

use twilight_gateway::Event;
use twilight_model::gateway::payload::incoming::GuildCreate;

use super::member_requests::MemberRequester;

use crate::bot::Bot;
use crate::domain::ids::UserId;
use crate::handlers::{direct_message, guild_message, interaction, membership};

/// The event as its handler needs it, given to it once the shard loop has
/// put it in the cache and the guild facts. A GUILD_CREATE keeps only what
/// `membership::guild_create` reads (id, name, members, member count):
/// after an identify thousands of them wait for a handler at once, and the
/// channels, roles, emojis and the rest of each would be held meanwhile
/// (they were most of a cluster's memory at identify; see
/// `loadtests/README.md`, guild_memory).
pub fn for_handler(mut event: Event) -> Event {
    if let Event::GuildCreate(created) = &mut event {
        if let GuildCreate::Available(guild) = created.as_mut() {
            guild.channels = Vec::new();
            guild.threads = Vec::new();
            guild.roles = Vec::new();
            guild.emojis = Vec::new();
            guild.stickers = Vec::new();
            guild.presences = Vec::new();
            guild.voice_states = Vec::new();
            guild.stage_instances = Vec::new();
            guild.guild_scheduled_events = Vec::new();
            guild.features = Vec::new();
        }
    }
    event
}

pub async fn dispatch(bot: Arc<Bot>, members: Arc<MemberRequester>, event: Event) {
    match event {
        // The DM was stored in order by the shard loop; relay what is pending.
        Event::MessageCreate(message) if message.guild_id.is_none() && !message.author.bot => {
            direct_message::relay(&bot, UserId(message.author.id.get())).await;
        }
        Event::MessageCreate(message) if message.guild_id.is_none() => {}
        Event::MessageCreate(message) => guild_message::handle(&bot, &message).await,
        Event::MessageUpdate(message) if message.guild_id.is_none() && !message.author.bot => {
            direct_message::edited(&bot, &message).await;
        }
        Event::MessageDelete(event) if event.guild_id.is_none() => {
            direct_message::deleted(&bot, event.id.get()).await;
        }
        Event::InteractionCreate(event) => interaction::handle(&bot, &event).await,
        Event::GuildCreate(event) => membership::guild_create(&bot, |guild| members.request(guild), &event).await,
        Event::GuildDelete(event) => membership::guild_delete(&bot, event.id, event.unavailable.unwrap_or(false)).await,
        Event::MemberAdd(event) => membership::member_add(&bot, event.guild_id, event.member.user.id.get()).await,
        Event::MemberRemove(event) => membership::member_remove(&bot, event.guild_id, event.user.id.get()).await,
        Event::MemberChunk(chunk) => membership::member_chunk(&bot, &chunk).await,
        Event::ChannelCreate(channel) => membership::channel_create(&bot, &channel).await,
        Event::ChannelDelete(channel) => membership::channel_delete(&bot, &channel).await,
        Event::RateLimited(limited) => {
            if let Some(refusal) = super::rate_limited::from_event(&limited) {
                members.refused(&refusal);
            }
        }
        _ => {}
    }
}
