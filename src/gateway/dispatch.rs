//! Routes each gateway event to its handler. Runs on its own task per event.

use std::sync::Arc;

use twilight_gateway::Event;

use super::member_requests::MemberRequester;

use crate::bot::Bot;
use crate::handlers::{direct_message, guild_message, interaction, membership};
use crate::tickets::ids::UserId;

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
        Event::GuildCreate(event) => membership::guild_create(&bot, &members, &event).await,
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
