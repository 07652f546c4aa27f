//! Closing a ticket: `!close`, `/close`, and later timers, `close_on_leave`
//! and the API.

use super::error::TicketResult;
use super::ids::{ChannelId, UserId};
use super::model::Ticket;
use super::outcome::Outcome;
use super::ports::{OutgoingMessage, PortError};
use super::reply::StaffContext;
use super::TicketService;
use crate::db;
use crate::metrics;
use crate::templates::Template;

impl TicketService {
    /// A staff member closes the ticket of this channel.
    #[tracing::instrument(skip(self, ctx), fields(guild = %ctx.guild, channel = %ctx.channel))]
    pub async fn close(&self, ctx: &StaffContext, silent: bool) -> TicketResult<Outcome> {
        let (ticket, _settings) = self.staff_ticket(ctx).await?;
        self.close_ticket(&ticket, Some(ctx.actor.user), !silent).await
    }

    /// `force_close`: closes an orphaned ticket (the user left, or their DMs
    /// are closed) without messaging anyone.
    #[tracing::instrument(skip(self, ctx), fields(guild = %ctx.guild, channel = %ctx.channel))]
    pub async fn force_close(&self, ctx: &StaffContext) -> TicketResult<Outcome> {
        let (ticket, _settings) = self.staff_ticket(ctx).await?;
        self.close_ticket(&ticket, Some(ctx.actor.user), false).await
    }

    /// `id`: the ticket user's Discord id, for staff.
    #[tracing::instrument(skip(self, ctx), fields(guild = %ctx.guild, channel = %ctx.channel))]
    pub async fn opener_id(&self, ctx: &StaffContext) -> TicketResult<Outcome> {
        let (ticket, _settings) = self.staff_ticket(ctx).await?;
        Ok(Outcome::Notice(format!(
            "The user of ticket #{} is <@{}>, id `{}`.",
            ticket.number, ticket.opener, ticket.opener
        )))
    }

    /// Closes a ticket: the record first (the truth, and the guard that makes a
    /// replay a no-op), then the user's close message, then the channel.
    pub(crate) async fn close_ticket(
        &self,
        ticket: &Ticket,
        closed_by: Option<UserId>,
        notify_user: bool,
    ) -> TicketResult<Outcome> {
        if !db::tickets::close(&self.db, ticket.id, closed_by).await? {
            // Closed before (a replay, or a crash after the record changed):
            // only make sure the channel is gone.
            self.delete_ticket_channel(ticket).await;
            return Ok(Outcome::Done);
        }
        metrics::ticket_closed(ticket.kind.as_str());
        if notify_user {
            if let Some(dm_channel) = ticket.dm_channel {
                let text = self.guild_text(ticket, Template::Close, None, None).await?;
                match self.discord.send_message(dm_channel, &OutgoingMessage::text(text)).await {
                    Ok(_) | Err(PortError::CannotMessageUser) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, ticket = ticket.id, "could not send the close message")
                    }
                }
            }
        }
        self.delete_ticket_channel(ticket).await;
        tracing::info!(ticket = ticket.id, number = ticket.number, "ticket closed");
        Ok(Outcome::Done)
    }

    async fn delete_ticket_channel(&self, ticket: &Ticket) {
        match self.discord.delete_channel(ticket.channel).await {
            Ok(()) | Err(PortError::NotFound) => {}
            Err(e) => {
                tracing::warn!(error = %e, ticket = ticket.id, "could not delete the ticket channel")
            }
        }
    }

    /// A ticket channel was deleted by hand: the ticket is closed, nobody told.
    #[tracing::instrument(skip(self))]
    pub async fn ticket_channel_deleted(&self, channel: ChannelId) -> TicketResult<()> {
        if let Some(ticket) = db::tickets::open_by_channel(&self.db, channel).await? {
            if db::tickets::close(&self.db, ticket.id, None).await? {
                metrics::ticket_closed(ticket.kind.as_str());
            }
        }
        Ok(())
    }
}
