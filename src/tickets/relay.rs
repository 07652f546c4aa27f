//! Relaying a user's DM into their ticket channel, and the welcome message.

use super::error::TicketResult;
use super::ids::GuildId;
use super::inbox::IncomingDm;
use super::model::Ticket;
use super::ports::OutgoingMessage;
use super::render::RelayStyle;
use super::{render, TicketService};
use crate::db;
use crate::metrics;
use crate::templates::{self, Placeholders, Template};

/// Mixed into the too-large notice's nonce so it never equals the nonce of
/// another message in the DM channel.
const TOO_LARGE_NONCE: u64 = 0x4249_4746_494C_4500;

impl TicketService {
    /// Posts one DM in the ticket channel and records it. Safe to repeat: the
    /// send carries the DM's id as nonce, so Discord keeps one copy, and the
    /// record is keyed by the DM's id.
    pub(crate) async fn relay_to_staff(
        &self,
        ticket: &Ticket,
        dm: &IncomingDm,
        with_header: bool,
        style: &RelayStyle,
    ) -> TicketResult<()> {
        let message = render::user_message_for_staff(dm, ticket, with_header, style).with_nonce(dm.message.get());
        let copy = self.discord.send_message(ticket.channel, &message).await?;
        let too_large = render::uploadable(&dm.attachments).1;
        if !too_large.is_empty() {
            // Tell the user their file did not reach staff (once: the nonce).
            let notes: Vec<String> = too_large.into_iter().map(render::too_large_note).collect();
            let text = format!("{}\nYour message itself was passed on.", notes.join("\n"));
            let notice = OutgoingMessage::text(text).with_nonce(dm.message.get() ^ TOO_LARGE_NONCE);
            if let Err(e) = self.discord.send_message(dm.dm_channel, &notice).await {
                tracing::warn!(error = %e, "could not tell the user a file was too large");
            }
        }
        db::relay_log::record_to_staff(&self.db, ticket.id, dm, copy, with_header).await?;
        metrics::relayed_message("to_staff");
        Ok(())
    }

    /// How the guild wants relayed messages to look.
    pub(crate) async fn relay_style(&self, guild: GuildId) -> TicketResult<RelayStyle> {
        let settings = db::settings::get(&self.db, guild).await?;
        let guild_name = db::guilds::name(&self.db, guild).await?.unwrap_or_default();
        Ok(RelayStyle::of(&settings, &guild_name))
    }

    /// Sends the guild's welcome message to a user whose ticket just opened.
    /// Best effort: the ticket is open either way.
    pub(crate) async fn welcome(&self, ticket: &Ticket, first: &IncomingDm) {
        let text = match self.guild_text(ticket, Template::Welcome, Some(&first.author_name), None).await {
            Ok(text) => text,
            Err(e) => {
                tracing::warn!(error = %e, "could not render the welcome message");
                return;
            }
        };
        let mut message = OutgoingMessage::text(text);
        // A user in several modmail servers can move their conversation.
        match db::members::modmail_guilds_of(&self.db, first.user).await {
            Ok(guilds) if guilds.len() > 1 => message.more_menus.push(super::conversation::switch_button()),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not read the user's servers for the welcome"),
        }
        if let Err(e) = self.discord.send_message(first.dm_channel, &message).await {
            tracing::warn!(error = %e, ticket = ticket.id, "could not send the welcome message");
        }
    }

    /// A guild's text for a template: its override if set, else the default.
    pub(crate) async fn guild_text(
        &self,
        ticket: &Ticket,
        template: Template,
        user: Option<&str>,
        staff: Option<&str>,
    ) -> TicketResult<String> {
        let settings = db::settings::get(&self.db, ticket.guild).await?;
        let guild_name = db::guilds::name(&self.db, ticket.guild).await?.unwrap_or_default();
        let custom = match template {
            Template::Welcome => settings.welcome_message,
            Template::Close => settings.close_message,
            _ => None,
        };
        let text = custom.as_deref().unwrap_or(template.default_text());
        Ok(templates::render(
            text,
            &Placeholders {
                user,
                guild: Some(&guild_name),
                ticket_number: Some(ticket.number),
                staff,
                ..Placeholders::default()
            },
        ))
    }
}
