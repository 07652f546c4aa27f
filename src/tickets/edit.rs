//! Editing and deleting a numbered staff message: `!edit 3 …`, `/edit`,
//! `!delete 3`, `/delete`, in modmail and panel tickets alike. Both copies
//! change (the user's DM, where the relay log says it is, and the staff copy
//! in the ticket), and the history stays in PostgreSQL.
//!
//! The user's copy goes first: if it cannot change, nothing changes and the
//! refusal says why. Success is reported only when both copies changed; a
//! staff copy that could not follow is named in the answer.

use super::error::{CopyChange, CopyTrouble, Refusal, TicketResult};
use super::outcome::Outcome;
use super::ports::OutgoingMessage;
use super::ports::PortError;
use super::render::{self, RelayStyle, StaffReplyView};
use super::reply::StaffContext;
use super::TicketService;
use crate::db;
use crate::db::relay_log::StaffMessage;
use crate::domain::ids::{ChannelId, MessageId};
use crate::domain::ticket::Ticket;

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
            return Err(Refusal::EmptyEdit { number, prefix: settings.command_prefix }.into());
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
        let (dm, user_copy) = self.user_copy_of(&ticket, &message).await?;
        match self.discord.edit_message(dm, user_copy, &render::staff_reply_for_user(view, &style)).await {
            Ok(()) => {}
            Err(e) => return Err(user_copy_unchanged(number, CopyChange::Edited, &e)),
        }
        let staff_copy = match message.staff_copy {
            Some(copy) => {
                self.discord.edit_message(ticket.channel, copy, &render::staff_reply_for_staff(view, &style)).await
            }
            None => Err(PortError::NotFound),
        };
        let mut tx = self.db.begin().await?;
        db::relay_log::record_edit(&mut tx, message.id, &message.content, new_content, ctx.actor.user).await?;
        tx.commit().await?;
        if let Err(e) = staff_copy {
            return Ok(Outcome::Notice(format!(
                "Message #{number} was edited for the user, but its copy in this channel could not be changed ({}).",
                staff_copy_problem(&e)
            )));
        }
        if settings.show_log_on_edit {
            return Ok(Outcome::Post(OutgoingMessage::text(format!(
                "✏️ Staff message #{number} was edited by {}. Before: {}",
                ctx.actor.name,
                excerpt(&message.content)
            ))));
        }
        Ok(Outcome::Notice(format!("Message #{number} edited for the user and here.")))
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
        let (dm, user_copy) = self.user_copy_of(&ticket, &message).await?;
        match self.discord.delete_message(dm, user_copy).await {
            // Gone already is what we wanted.
            Ok(()) | Err(PortError::NotFound) => {}
            Err(e) => return Err(user_copy_unchanged(number, CopyChange::Deleted, &e)),
        }
        let staff_copy = match message.staff_copy {
            Some(copy) => match self.discord.delete_message(ticket.channel, copy).await {
                Ok(()) | Err(PortError::NotFound) => Ok(()),
                Err(e) => Err(e),
            },
            None => Err(PortError::NotFound),
        };
        db::relay_log::record_delete(&self.db, message.id, ctx.actor.user).await?;
        if let Err(e) = staff_copy {
            return Ok(Outcome::Notice(format!(
                "Message #{number} was deleted for the user, but its copy in this channel could not be removed ({}).",
                staff_copy_problem(&e)
            )));
        }
        if settings.show_log_on_delete {
            return Ok(Outcome::Post(OutgoingMessage::text(format!(
                "🗑️ Staff message #{number} was deleted by {}. It said: {}",
                ctx.actor.name,
                excerpt(&message.content)
            ))));
        }
        Ok(Outcome::Notice(format!("Message #{number} deleted for the user and here.")))
    }

    /// Where the user's copy of a staff message is: the channel the relay log
    /// recorded, else (older records) the ticket's DM channel, else the
    /// opener's DM channel (a panel ticket's member gets replies in DMs too).
    async fn user_copy_of(&self, ticket: &Ticket, message: &StaffMessage) -> TicketResult<(ChannelId, MessageId)> {
        let Some(copy) = message.user_copy else {
            return Err(Refusal::NoUserCopy { number: message.number }.into());
        };
        let channel = match message.user_copy_channel.or(ticket.dm_channel) {
            Some(channel) => channel,
            None => self
                .discord
                .open_dm(ticket.opener)
                .await
                .map_err(|e| user_copy_unchanged(message.number, CopyChange::Changed, &e))?,
        };
        Ok((channel, copy))
    }
}

/// The refusal when the user's copy could not change: nothing was changed.
fn user_copy_unchanged(number: i32, change: CopyChange, error: &PortError) -> super::TicketError {
    let why = match error {
        PortError::NotFound => CopyTrouble::Gone,
        PortError::CannotMessageUser => CopyTrouble::Unreachable,
        other => CopyTrouble::Discord(other.to_string()),
    };
    Refusal::UserCopyUnchanged { number, change, why }.into()
}

fn staff_copy_problem(error: &PortError) -> String {
    match error {
        PortError::NotFound => "it is not there any more, or was never recorded".to_owned(),
        other => format!("Discord answered: {other}"),
    }
}

/// The old text, quoted and short enough for a log line.
fn excerpt(text: &str) -> String {
    let short: String = text.chars().take(1500).collect();
    let more = if short.len() < text.len() { " …" } else { "" };
    format!("\n>>> {short}{more}")
}
