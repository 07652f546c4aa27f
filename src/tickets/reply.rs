//! Staff answering a ticket: `!reply`, `/reply` (and, later, anonymous replies,
//! snippets and the API) all come here.

use super::error::{Refusal, TicketResult};
use super::outcome::Outcome;
use super::ports::PortError;
use super::render::{RelayStyle, StaffReplyView};
use super::{render, TicketService};
use crate::db;
use crate::db::relay_log::StaffReply;
use crate::domain::dm::Attachment;
use crate::domain::ids::{ChannelId, GuildId};
use crate::domain::{actor::Actor, settings::GuildSettings, ticket::Ticket};
use crate::metrics;

/// Where and by whom a staff action was invoked.
#[derive(Debug, Clone)]
pub struct StaffContext {
    pub guild: GuildId,
    pub channel: ChannelId,
    pub actor: Actor,
    /// The id of what invoked it (the command message, or the interaction): a
    /// replay of the same invocation carries the same id and does nothing.
    pub source: u64,
    /// Files attached to the command (`!reply` with an upload, `/reply attachment:`).
    pub attachments: Vec<Attachment>,
}

impl TicketService {
    /// The open ticket of this channel and the guild's settings, once the actor
    /// is known to be staff.
    pub(crate) async fn staff_ticket(&self, ctx: &StaffContext) -> TicketResult<(Ticket, GuildSettings)> {
        let settings = db::settings::get(&self.db, ctx.guild).await?;
        let ticket = db::tickets::open_by_channel(&self.db, ctx.channel)
            .await?
            .filter(|t| t.guild == ctx.guild)
            .ok_or(Refusal::NotATicket)?;
        if !self.is_ticket_staff(&ticket, &ctx.actor, &settings).await? {
            return Err(Refusal::NotStaff.into());
        }
        Ok((ticket, settings))
    }

    /// Staff of a ticket: Manage Server, or the guild's staff role (modmail)
    /// or the panel's support role (panel tickets).
    pub(crate) async fn is_ticket_staff(
        &self,
        ticket: &Ticket,
        actor: &crate::domain::actor::Actor,
        settings: &GuildSettings,
    ) -> TicketResult<bool> {
        Ok(match ticket.kind {
            crate::domain::ticket::TicketKind::Modmail => actor.is_staff(settings),
            crate::domain::ticket::TicketKind::Panel => {
                actor.manage_guild
                    || db::panel::settings(&self.db, ticket.guild)
                        .await?
                        .and_then(|p| p.support_role)
                        .is_some_and(|role| actor.roles.contains(&role))
            }
        })
    }

    #[tracing::instrument(skip(self, ctx, content), fields(guild = %ctx.guild, channel = %ctx.channel))]
    pub async fn reply(&self, ctx: &StaffContext, content: &str, anonymous: bool) -> TicketResult<Outcome> {
        let (ticket, settings) = self.staff_ticket(ctx).await?;
        let content = content.trim();
        if content.is_empty() && ctx.attachments.is_empty() {
            return Err(Refusal::EmptyReply { prefix: settings.command_prefix }.into());
        }
        if let Some(file) = render::uploadable(&ctx.attachments).1.first() {
            return Err(Refusal::InvalidInput(format!("{} Nothing was sent.", render::too_large_note(file))).into());
        }
        if db::relay_log::exists(&self.db, ctx.source).await? {
            return Ok(Outcome::Done);
        }
        let dm_channel = match ticket.dm_channel {
            Some(channel) => channel,
            None => self.discord.open_dm(ticket.opener).await?,
        };
        let guild_name = db::guilds::name(&self.db, ticket.guild).await?.unwrap_or_default();
        let number = db::relay_log::next_staff_number(&self.db, ticket.id).await?;
        let view = StaffReplyView { content, files: &ctx.attachments, author_name: &ctx.actor.name, anonymous, number };
        let style = RelayStyle::of(&settings, &guild_name);
        // The user's copy first: a reply that cannot reach them is refused
        // and nothing is posted for staff.
        let to_user = render::staff_reply_for_user(view, &style).with_nonce(ctx.source);
        let user_copy = self.discord.send_message(dm_channel, &to_user).await.map_err(|e| match e {
            PortError::CannotMessageUser => Refusal::UserUnreachable.into(),
            other => super::TicketError::from(other),
        })?;
        // Then the staff copy, posted here (not by the transport) so both ids
        // are recorded together and `edit`/`delete` reach both, from any
        // entry point. The nonce makes a retried send post it once.
        let to_staff = render::staff_reply_for_staff(view, &style).with_nonce(ctx.source);
        let staff_copy = self.discord.send_message(ticket.channel, &to_staff).await;
        let record = StaffReply {
            ticket_id: ticket.id,
            source: ctx.source,
            author: ctx.actor.user,
            author_name: &ctx.actor.name,
            anonymous,
            content,
            number,
            user_copy_channel: dm_channel,
            user_copy,
            staff_copy: staff_copy.as_ref().ok().copied(),
            files: &ctx.attachments,
        };
        db::relay_log::record_to_user(&self.db, &record).await?;
        metrics::relayed_message("to_user");
        match staff_copy {
            Ok(_) => Ok(Outcome::Delivered(format!("Reply #{number} sent to the user."))),
            Err(e) => {
                tracing::warn!(error = %e, ticket = ticket.id, "could not post the staff copy of a reply");
                Ok(Outcome::Notice(format!(
                    "Reply #{number} reached the user, but its copy could not be posted in this channel ({e}). \
                     `{}edit {number}` and `{}delete {number}` still change the user's copy.",
                    settings.command_prefix, settings.command_prefix
                )))
            }
        }
    }
}
