//! Relaying a user's DM into their ticket channel, and the welcome message.

use super::super::error::TicketResult;
use super::super::ports::{OutgoingMessage, PortError};
use super::super::render::RelayStyle;
use super::super::{render, TicketService};
use crate::db;
use crate::domain::dm::Attachment;
use crate::domain::dm::IncomingDm;
use crate::domain::ids::GuildId;
use crate::domain::ids::MessageId;
use crate::domain::ticket::Ticket;
use crate::metrics;
use crate::templates::{self, Placeholders, Template};

/// Mixed into the too-large notice's nonce so it never equals the nonce of
/// another message in the DM channel.
const TOO_LARGE_NONCE: u64 = 0x4249_4746_494C_4500;
/// Mixed into the unreachable-user notice's nonce (a ticket id) so it never
/// equals a relayed message's (a DM id).
const UNREACHABLE_NONCE: u64 = 0x554E_5245_4143_4800;

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
        let copy = self.send_to_staff(ticket, dm, with_header, style).await?;
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
        let mut tx = self.db.begin().await?;
        db::relay_log::record_to_staff(&mut tx, ticket.id, dm, copy, with_header).await?;
        tx.commit().await?;
        metrics::relayed_message("to_staff");
        Ok(())
    }

    /// Sends the staff copy of a DM. A file the CDN no longer serves (a link
    /// that expired while the DM was held) would fail the send every time and
    /// block every later DM of the user: the copy goes without it, saying so
    /// to staff. Each lost file is dropped once, so this ends.
    async fn send_to_staff(
        &self,
        ticket: &Ticket,
        dm: &IncomingDm,
        with_header: bool,
        style: &RelayStyle,
    ) -> TicketResult<MessageId> {
        let mut shown = dm.clone();
        loop {
            let message =
                render::user_message_for_staff(&shown, ticket, with_header, style).with_nonce(dm.message.get());
            match self.discord.send_message(ticket.channel, &message).await {
                Err(PortError::FileUnavailable { filename, size }) => {
                    let Some(lost) = shown.attachments.iter().position(|a| a.filename == filename && a.size == size)
                    else {
                        return Err(PortError::FileUnavailable { filename, size }.into());
                    };
                    tracing::warn!(%filename, size, "an attachment could not be fetched; relaying without it");
                    let file = shown.attachments.remove(lost);
                    shown.content.push_str(&format!("\n📎 {}", lost_file_note(&file)));
                }
                sent => return Ok(sent?),
            }
        }
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
        match self.discord.send_message(first.dm_channel, &message).await {
            Ok(_) => {}
            Err(PortError::CannotMessageUser) => {
                crate::metrics::inbox_given_up("undeliverable");
                self.tell_staff_user_unreachable(ticket).await;
            }
            Err(e) => tracing::warn!(error = %e, ticket = ticket.id, "could not send the welcome message"),
        }
    }

    /// Tells a ticket's staff, once per ticket, that its user does not take
    /// DMs from the bot (they blocked it, or closed their DMs): their own
    /// messages still arrive, but nothing sent to them will. Once: a Redis
    /// mark for good, the nonce for a retry within minutes.
    pub(crate) async fn tell_staff_user_unreachable(&self, ticket: &Ticket) {
        match self.first_time(&self.keys.user_unreachable_told(ticket.id)).await {
            Ok(false) => return,
            Ok(true) => {}
            // Redis is away: telling twice beats not telling.
            Err(e) => tracing::warn!(error = %e, "could not mark the unreachable-user notice as sent"),
        }
        let text = format!(
            "⚠️ <@{}> does not accept direct messages from the bot (they blocked it or closed their DMs): \
             they got no welcome, and replies will not reach them. Their own messages still arrive here.",
            ticket.opener
        );
        let notice = OutgoingMessage::text(text).with_nonce(ticket.id as u64 ^ UNREACHABLE_NONCE);
        if let Err(e) = self.discord.send_message(ticket.channel, &notice).await {
            tracing::warn!(error = %e, ticket = ticket.id, "could not tell staff the user is unreachable");
        }
    }

    /// Sets `key` for 30 days if it was not set: `true` the first time.
    async fn first_time(&self, key: &str) -> Result<bool, crate::redis::RedisError> {
        let mut conn = self.redis.get().await?;
        let set: Option<String> = deadpool_redis::redis::cmd("SET")
            .arg(key)
            .arg(1)
            .arg("NX")
            .arg("EX")
            .arg(30 * 24 * 3600)
            .query_async(&mut conn)
            .await?;
        Ok(set.is_some())
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

/// What staff see in place of a file that could not be fetched.
pub fn lost_file_note(file: &Attachment) -> String {
    format!("A file could not be fetched: {}, {}. The message was relayed without it.", file.filename, size(file.size))
}

/// A file size as people read it.
fn size(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} bytes"),
        1024..1_048_576 => format!("{:.1} KB", bytes as f64 / 1024.0),
        _ => format!("{:.1} MB", bytes as f64 / 1_048_576.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_file_is_named_with_its_size_but_never_its_link() {
        let file = Attachment {
            filename: "receipt.png".into(),
            url: "https://cdn.discordapp.com/attachments/1/2/receipt.png?ex=1&hm=secret".into(),
            size: 2_560,
        };
        let note = lost_file_note(&file);
        assert_eq!(note, "A file could not be fetched: receipt.png, 2.5 KB. The message was relayed without it.");
        assert!(!note.contains("cdn.discordapp.com"));
        assert!(lost_file_note(&Attachment { size: 12, ..file.clone() }).contains("12 bytes"));
        assert!(lost_file_note(&Attachment { size: 3 * 1_048_576, ..file }).contains("3.0 MB"));
    }
}
