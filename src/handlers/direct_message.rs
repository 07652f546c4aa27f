//! A DM to the bot (always on shard 0). Stored in the shard's event order by
//! [`ingest`], then relayed by the ticket core's inbox drain.

use twilight_model::channel::Message;

use crate::bot::Bot;
use crate::domain::dm::IncomingDm;
use crate::domain::ids::{ChannelId, MessageId, UserId};

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

/// Stores the DM once (idempotent on its id). The shard loop calls it through
/// `gateway::dm_spool`, which keeps Discord's order and never drops a DM
/// that could not be stored.
pub async fn store(bot: &Bot, dm: &IncomingDm) -> Result<(), sqlx::Error> {
    crate::db::inbound::insert(&bot.ingest_db, dm).await.map(|_| ())
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
