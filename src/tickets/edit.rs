//! Editing and deleting a numbered staff message: `!edit 3 …`, `/edit`,
//! `!delete 3`, `/delete`. Both copies change (the user's DM and the staff
//! copy in the ticket), and the history stays in PostgreSQL.

use super::error::{Refusal, TicketResult};
use super::outcome::Outcome;
use super::ports::OutgoingMessage;
use super::ports::PortError;
use super::render::{self, RelayStyle, StaffReplyView};
use super::reply::StaffContext;
use super::TicketService;
use crate::db;

impl TicketService {
    #[tracing::instrument(skip(self, ctx, new_content), fields(guild = %ctx.guild, channel = %ctx.channel))]
    pub async fn edit_staff_message(
        &self,
        ctx: &StaffContext,
        number: i32,
        new_content: &str,
    ) -> TicketResult<Outcome> {
        let (ticket, settings) = self.staff_ticket(ctx).await?;
        let new_content = new_content.trim();
        if new_content.is_empty() {
            return Err(Refusal::InvalidInput(format!(
                "Write the new text, for example `{}edit {number} Corrected text`.",
                settings.command_prefix
            ))
            .into());
        }
        let message = db::relay_log::staff_message(&self.db, ticket.id, number)
            .await?
            .ok_or(Refusal::UnknownStaffMessage(number))?;
        if message.deleted {
            return Err(Refusal::StaffMessageDeleted(number).into());
        }
        if message.content == new_content {
            // A replayed edit, or no change: nothing to do.
            return Ok(Outcome::Notice(format!("Message #{number} already says that.")));
        }
        let view = StaffReplyView {
            content: new_content,
            files: &[],
            author_name: &message.author_name,
            anonymous: message.anonymous,
            number,
        };
        let guild_name = db::guilds::name(&self.db, ticket.guild).await?.unwrap_or_default();
        let style = RelayStyle::of(&settings, &guild_name);
        if let (Some(dm), Some(copy)) = (ticket.dm_channel, message.user_copy) {
            match self.discord.edit_message(dm, copy, &render::staff_reply_for_user(view, &style)).await {
                Ok(()) | Err(PortError::NotFound | PortError::CannotMessageUser) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if let Some(copy) = message.staff_copy {
            match self.discord.edit_message(ticket.channel, copy, &render::staff_reply_for_staff(view, &style)).await {
                Ok(()) | Err(PortError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        db::relay_log::record_edit(&self.db, message.id, &message.content, new_content, ctx.actor.user).await?;
        if settings.show_log_on_edit {
            return Ok(Outcome::Post(OutgoingMessage::text(format!(
                "✏️ Staff message #{number} was edited by {}. Before: {}",
                ctx.actor.name,
                excerpt(&message.content)
            ))));
        }
        Ok(Outcome::Notice(format!("Message #{number} edited for the user.")))
    }

    #[tracing::instrument(skip(self, ctx), fields(guild = %ctx.guild, channel = %ctx.channel))]
    pub async fn delete_staff_message(&self, ctx: &StaffContext, number: i32) -> TicketResult<Outcome> {
        let (ticket, settings) = self.staff_ticket(ctx).await?;
        let message = db::relay_log::staff_message(&self.db, ticket.id, number)
            .await?
            .ok_or(Refusal::UnknownStaffMessage(number))?;
        if message.deleted {
            return Ok(Outcome::Notice(format!("Message #{number} was already deleted.")));
        }
        // The user's copy goes if Discord still allows it; gone already is fine.
        if let (Some(dm), Some(copy)) = (ticket.dm_channel, message.user_copy) {
            match self.discord.delete_message(dm, copy).await {
                Ok(()) | Err(PortError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if let Some(copy) = message.staff_copy {
            match self.discord.delete_message(ticket.channel, copy).await {
                Ok(()) | Err(PortError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        db::relay_log::record_delete(&self.db, message.id, ctx.actor.user).await?;
        if settings.show_log_on_delete {
            return Ok(Outcome::Post(OutgoingMessage::text(format!(
                "🗑️ Staff message #{number} was deleted by {}. It said: {}",
                ctx.actor.name,
                excerpt(&message.content)
            ))));
        }
        Ok(Outcome::Notice(format!("Message #{number} deleted for the user.")))
    }
}

/// The old text, quoted and short enough for a log line.
fn excerpt(text: &str) -> String {
    let short: String = text.chars().take(1500).collect();
    let more = if short.len() < text.len() { " …" } else { "" };
    format!("\n>>> {short}{more}")
}
