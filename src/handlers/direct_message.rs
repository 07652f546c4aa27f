//! A DM to the bot (always on shard 0). Stored in the shard's event order by
//! [`ingest`], then relayed by the ticket core's inbox drain.

use twilight_model::channel::Message;

use crate::bot::Bot;
use crate::tickets::ids::{ChannelId, MessageId, UserId};
use crate::tickets::inbox::IncomingDm;

/// The core's view of a DM; `None` for messages that are not a user's DM.
pub fn incoming(message: &Message) -> Option<IncomingDm> {
    if message.guild_id.is_some() || message.author.bot {
        return None;
    }
    Some(IncomingDm {
        message: MessageId(message.id.get()),
        user: UserId(message.author.id.get()),
        dm_channel: ChannelId(message.channel_id.get()),
        author_name: message.author.global_name.clone().unwrap_or_else(|| message.author.name.clone()),
        content: message.content.clone(),
        attachments: message.attachments.iter().map(crate::discord::port::attachment).collect(),
    })
}

/// Stores the DM before the shard reads its next event, so DMs enter the inbox
/// in the order Discord sent them, whatever order their handlers finish in.
/// Retries briefly: a DM that cannot be stored is logged loudly.
pub async fn ingest(bot: &Bot, dm: &IncomingDm) -> bool {
    for attempt in 1..=3u64 {
        match crate::db::inbound::insert(&bot.db, dm).await {
            Ok(_) => return true,
            Err(e) => {
                tracing::warn!(attempt, error = %e, message = %dm.message, "could not store a DM; retrying");
                tokio::time::sleep(std::time::Duration::from_millis(200 * attempt)).await;
            }
        }
    }
    crate::metrics::handler_error("direct_message_ingest");
    tracing::error!(message = %dm.message, user = %dm.user, "a DM could not be stored; recovery will fetch it again");
    false
}

/// Relays whatever the user has pending (this DM and any before it).
pub async fn relay(bot: &Bot, user: UserId) {
    if let Err(e) = bot.tickets.drain_inbox(user).await {
        super::report("direct_message", &e);
    }
}

/// The user edited a DM: mirrored into their ticket.
pub async fn edited(bot: &Bot, message: &Message) {
    let result =
        bot.tickets.user_edited_dm(MessageId(message.id.get()), UserId(message.author.id.get()), &message.content);
    if let Err(e) = result.await {
        super::report("direct_message_edit", &e);
    }
}

/// A DM was deleted: mirrored into its ticket, if it was relayed.
pub async fn deleted(bot: &Bot, message: u64) {
    if let Err(e) = bot.tickets.user_deleted_dm(MessageId(message)).await {
        super::report("direct_message_delete", &e);
    }
}
