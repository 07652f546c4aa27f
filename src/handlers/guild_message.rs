//! A message in a guild channel: a text command (`!reply …`) if it starts with
//! the guild's prefix (cached in the process, see `tickets/prefixes.rs`).
//! Answers go to the channel; refusals as a reply.

use twilight_model::channel::Message;

use crate::bot::Bot;
use crate::commands::{self, text, Invocation};
use crate::discord::metered::metered;
use crate::domain::actor::Actor;
use crate::domain::ids::{ChannelId, GuildId, MessageId, RoleId, UserId};
use crate::tickets::ports::DiscordPort;
use crate::tickets::ports::OutgoingMessage;
use crate::tickets::Outcome;

pub async fn handle(bot: &Bot, message: &Message) {
    let Some(guild_id) = message.guild_id else {
        return;
    };
    if message.author.bot
        || message.webhook_id.is_some()
        || (message.content.is_empty() && message.attachments.is_empty())
    {
        return;
    }
    let guild = GuildId(guild_id.get());
    // Usually from the in-process cache: a message that is not a command
    // (most of them, ticket channels included) ends here with no PostgreSQL
    // or Redis round trip. Whether the channel is a ticket is asked only of
    // commands, by the core, from PostgreSQL.
    let prefix = match bot.tickets.command_prefix(guild).await {
        Ok(prefix) => prefix,
        Err(e) => return super::report("guild_message", &e),
    };
    let Some(parsed) = text::parse(&prefix, &message.content) else {
        return;
    };
    let channel = ChannelId(message.channel_id.get());
    let command_message = MessageId(message.id.get());
    let command = match parsed {
        Ok(command) => command,
        Err(usage) => return answer(bot, channel, command_message, &usage).await,
    };
    let roles: Vec<_> = message.member.as_ref().map(|m| m.roles.clone()).unwrap_or_default();
    let actor = Actor {
        user: UserId(message.author.id.get()),
        name: message
            .member
            .as_ref()
            .and_then(|m| m.nick.clone())
            .or_else(|| message.author.global_name.clone())
            .unwrap_or_else(|| message.author.name.clone()),
        roles: roles.iter().map(|r| RoleId(r.get())).collect(),
        // A command: Redis (and on a miss REST) may be asked, unlike for
        // ordinary messages, which ended above.
        manage_guild: bot.guild_facts.can_manage_guild(guild_id, message.author.id, &roles).await,
        api_token: None,
    };
    let attachments = message.attachments.iter().map(crate::discord::port::attachment).collect();
    let at = Invocation { guild, channel, actor, source: message.id.get(), attachments };
    match commands::execute(&bot.tickets, command, &at).await {
        Ok(Outcome::Post(post)) => match bot.discord.send_message(channel, &post.with_nonce(message.id.get())).await {
            // The bot's post replaces the command in the channel.
            Ok(_) => delete_command(bot, message).await,
            Err(e) => tracing::warn!(error = %e, "could not post a command's result"),
        },
        // The core posted the formatted copy itself: the command goes.
        Ok(Outcome::Delivered(_)) => delete_command(bot, message).await,
        Ok(Outcome::Notice(text)) => answer(bot, channel, command_message, &text).await,
        Ok(Outcome::Done) => {}
        Err(error) => {
            super::report("text_command", &error);
            answer(bot, channel, command_message, &error.user_message()).await;
        }
    }
}

async fn delete_command(bot: &Bot, message: &Message) {
    if let Err(e) = metered("delete_message", bot.http.delete_message(message.channel_id, message.id)).await {
        tracing::debug!(error = %e, "could not delete a text command (it may be gone already)");
    }
}

/// Replies to the command message (no pings: allowed mentions are empty).
async fn answer(bot: &Bot, channel: ChannelId, to: MessageId, text: &str) {
    let mut reply = OutgoingMessage::text(text);
    reply.reply_to = Some(to);
    if let Err(e) = bot.discord.send_message(channel, &reply).await {
        tracing::warn!(error = %e, "could not answer a text command");
    }
}
