//! `create_ticket_by_create_channel`: staff create a text channel in the inbox
//! category named with a member's id, and it becomes that member's ticket
//! (numbered like any other; the member is welcomed in DMs).

use super::super::error::TicketResult;
use super::super::open::{OpenRequest, Opened};
use super::super::ports::{Embed, OutgoingMessage, PortError};
use super::super::TicketService;
use crate::db;
use crate::domain::ids::{ChannelId, GuildId, UserId};
use crate::domain::ticket::TicketKind;

impl TicketService {
    /// A text channel was created in `guild` under `parent`, named `name`.
    /// Does nothing unless the guild turned the feature on, the channel is in
    /// the inbox category and its name is a user id. Safe to run twice: a
    /// channel already a ticket is left alone.
    #[tracing::instrument(skip(self))]
    pub async fn channel_created(
        &self,
        guild: GuildId,
        channel: ChannelId,
        parent: ChannelId,
        name: &str,
    ) -> TicketResult<()> {
        // Most channels are not named with an id: decide that before any query.
        // A number too large to be an id is a name like any other.
        let Ok(user) = name.trim().parse::<UserId>() else {
            return Ok(());
        };
        let settings = db::settings::get(&self.db, guild).await?;
        if !settings.modmail_enabled || !settings.create_ticket_by_create_channel {
            return Ok(());
        }
        let Some(inbox) = settings.inbox_category else {
            return Ok(());
        };
        if parent != inbox || db::tickets::any_by_channel(&self.db, channel).await? {
            return Ok(());
        }
        if !self.is_member(guild, user).await? {
            let text = format!("No member of this server has the id `{user}`, so this channel is not a ticket.");
            self.discord.send_message(channel, &OutgoingMessage::text(text).with_nonce(channel.get())).await?;
            return Ok(());
        }
        let name = match self.discord.user_name(user).await {
            Ok(name) => name,
            Err(PortError::NotFound) => user.to_string(),
            Err(e) => return Err(e.into()),
        };
        let dm_channel = self.discord.open_dm(user).await.ok();
        let request = OpenRequest {
            guild,
            opener: user,
            opener_name: name.clone(),
            opened_by: user,
            kind: TicketKind::Modmail,
            dm_channel,
            category: None,
            panel: None,
        };
        let ticket = match self.adopt_channel(&request, channel).await? {
            Opened::New(ticket) => ticket,
            Opened::Existing(existing) => {
                let text = format!("<@{user}> already has an open ticket: <#{}>.", existing.channel);
                self.discord.send_message(channel, &OutgoingMessage::text(text).with_nonce(channel.get())).await?;
                return Ok(());
            }
        };
        let welcome = self.staff_opened_message(&ticket, &name, None).await?;
        let delivered = match dm_channel {
            Some(dm) => self.discord.send_message(dm, &welcome).await.is_ok(),
            None => false,
        };
        let header = OutgoingMessage::embed(Embed {
            title: Some(format!("Modmail ticket #{}", ticket.number)),
            description: Some(format!(
                "This channel is now the ticket of <@{user}> ({name}). {}",
                if delivered {
                    "They got the welcome message."
                } else {
                    "⚠️ Their DMs are closed: replies will not reach them until they open them."
                }
            )),
            color: Some(super::super::render::HEADER_COLOR),
            ..Embed::default()
        });
        self.discord.send_message(channel, &header.with_nonce(channel.get())).await?;
        Ok(())
    }
}
