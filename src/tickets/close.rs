//! Closing a ticket: the one implementation behind `/close` (at once, after a
//! delay, or cancelling a scheduled close; `timers.rs` fires scheduled ones),
//! `/force_close`, timers, `close_on_leave`, and a ticket channel deleted by
//! hand.

use std::time::Duration;

use chrono::Utc;
use serde_json::json;

use super::duration;
use super::error::TicketResult;
use super::outcome::Outcome;
use super::panel::log::PanelEvent;
use super::ports::{ArchiveSpec, OutgoingMessage, PortError, Upload, CATEGORY_LIMIT};
use super::reply::StaffContext;
use super::TicketService;
use crate::db;
use crate::domain::ids::{ChannelId, GuildId, UserId};
use crate::domain::settings::CloseAction;
use crate::domain::ticket::{Ticket, TicketKind};
use crate::metrics;
use crate::templates::Template;

/// Mixed into the leave notice's nonce so it never equals another nonce of
/// the channel (those are Discord message or interaction ids).
const LEAVE_NONCE: u64 = 0x4C45_4156_4500_0000;
/// Mixed into the close log entry's nonce, for the same reason.
const CLOSE_LOG_NONCE: u64 = 0x434C_4F53_4500_0000;

/// When `/close` should close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseWhen {
    /// The guild's `time_to_close_thread`, or at once if it has none.
    GuildDefault,
    Now,
    After(Duration),
    /// Cancel a scheduled close.
    Cancel,
}

impl TicketService {
    /// `/close`, `!close`, with or without a delay, or cancelling one.
    #[tracing::instrument(skip(self, ctx), fields(guild = %ctx.guild, channel = %ctx.channel))]
    pub async fn close(&self, ctx: &StaffContext, silent: bool, when: CloseWhen) -> TicketResult<Outcome> {
        let (ticket, settings) = self.staff_ticket(ctx).await?;
        let delay = match when {
            CloseWhen::Cancel => return self.cancel_scheduled_close(&ticket, ctx.actor.user).await,
            CloseWhen::Now => None,
            CloseWhen::After(delay) => Some(delay),
            CloseWhen::GuildDefault => settings.time_to_close,
        };
        let Some(delay) = delay else {
            return self.close_ticket(&ticket, Some(ctx.actor.user), !silent).await;
        };
        let due = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_else(|_| chrono::Duration::days(30));
        let payload = json!({ "silent": silent, "source": ctx.source.to_string() });
        let mut tx = self.db.begin().await?;
        let scheduled =
            db::timers::schedule_close(&mut tx, ticket.guild, ticket.id, ctx.actor.user, due, payload).await?;
        let due = match scheduled {
            db::timers::Scheduled::New(id) => {
                let detail = format!("in {}{}", duration::format(delay), if silent { ", silently" } else { "" });
                db::events::record(&mut *tx, ticket.id, "close_scheduled", Some(ctx.actor.user), &detail).await?;
                tx.commit().await?;
                // Indexed once committed, so the worker that takes it finds it.
                self.index_timer(id, due).await;
                due
            }
            // The same command delivered twice: it was scheduled the first time.
            db::timers::Scheduled::Replayed(due) => due,
        };
        let prefix = &settings.command_prefix;
        Ok(Outcome::Post(OutgoingMessage::text(format!(
            "⏰ This ticket will close <t:{ts}:R> (<t:{ts}:f>){}. A message from the user cancels it; so does `{prefix}close -c` or `/close cancel:true`.",
            if silent { ", without messaging the user" } else { "" },
            ts = due.timestamp()
        ))))
    }

    async fn cancel_scheduled_close(&self, ticket: &Ticket, by: UserId) -> TicketResult<Outcome> {
        let mut tx = self.db.begin().await?;
        match db::timers::cancel_close(&mut *tx, ticket.id).await? {
            Some(_) => {
                db::events::record(&mut *tx, ticket.id, "close_cancelled", Some(by), "").await?;
                tx.commit().await?;
                Ok(Outcome::Post(OutgoingMessage::text("⏰ The scheduled close was cancelled.")))
            }
            None => Ok(Outcome::Notice("No close is scheduled for this ticket.".into())),
        }
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

    /// Closes a ticket: the transcript first (while the channel can be read),
    /// then the record (the truth, and the guard that makes a replay a
    /// no-op), then the user's close message, which carries the transcript
    /// (one DM, not two), then the channel.
    pub(crate) async fn close_ticket(
        &self,
        ticket: &Ticket,
        closed_by: Option<UserId>,
        notify_user: bool,
    ) -> TicketResult<Outcome> {
        self.close_ticket_because(ticket, closed_by, notify_user, None).await
    }

    /// `close_ticket`, recording `cause` (an event's kind and detail) in the
    /// close's own transaction: the ticket is never closed without its
    /// cause, nor the cause recorded for a ticket left open.
    pub(crate) async fn close_ticket_because(
        &self,
        ticket: &Ticket,
        closed_by: Option<UserId>,
        notify_user: bool,
        cause: Option<(&str, &str)>,
    ) -> TicketResult<Outcome> {
        // A silent (or forced) modmail close sends the user nothing; a panel
        // ticket's opener always gets the transcript.
        let deliver = notify_user || ticket.kind == TicketKind::Panel;
        // The transcript first, while the channel can be read: if that fails,
        // nothing has changed yet and the close can simply be tried again.
        let transcript = self.ensure_transcript(ticket).await?;
        // The record and its pending timers change together: a ticket is
        // never closed with a scheduled close still pending, or the reverse.
        let mut tx = self.db.begin().await?;
        let detail = if notify_user { "" } else { "silently" };
        let closed_now = db::tickets::close(&mut tx, ticket.id, closed_by, detail).await?;
        if let Some((kind, cause)) = cause.filter(|_| closed_now) {
            db::events::record(&mut *tx, ticket.id, kind, None, cause).await?;
        }
        tx.commit().await?;
        if !closed_now {
            // Closed before (a replay, or a crash after the record changed):
            // only make sure the transcript reached the user and the channel
            // is retired.
            if let Some(transcript) = transcript.filter(|_| deliver) {
                self.deliver_transcript(ticket, &transcript.member, None).await;
            }
            self.retire_ticket_channel(ticket).await?;
            return Ok(Outcome::Done);
        }
        metrics::ticket_closed(ticket.kind.as_str());
        if deliver {
            let close_text = match ticket.kind {
                TicketKind::Modmail => {
                    Some(self.guild_text(ticket, Template::Close, Some(&ticket.opener_name), None).await?)
                }
                TicketKind::Panel => None,
            };
            match &transcript {
                Some(files) => self.deliver_transcript(ticket, &files.member, close_text).await,
                None => {
                    if let (Some(text), Some(dm_channel)) = (close_text, ticket.dm_channel) {
                        match self.discord.send_message(dm_channel, &OutgoingMessage::text(text)).await {
                            Ok(_) | Err(PortError::CannotMessageUser) => {}
                            Err(e) => {
                                tracing::warn!(error = %e, ticket = ticket.id, "could not send the close message")
                            }
                        }
                    }
                }
            }
        }
        self.retire_ticket_channel(ticket).await?;
        let staff_transcript = transcript.map(|files| files.staff);
        match ticket.kind {
            TicketKind::Panel => {
                self.log_panel_event(ticket, PanelEvent::Closed { by: closed_by }, staff_transcript).await;
                self.menu_changed(ticket.guild).await;
            }
            TicketKind::Modmail => self.log_modmail_close(ticket, closed_by, staff_transcript).await,
        }
        tracing::info!(ticket = ticket.id, number = ticket.number, "ticket closed");
        Ok(Outcome::Done)
    }

    /// Posts the full staff transcript (internal notes included) in the
    /// guild's modmail log channel, if it has one. Best effort: the close is
    /// done either way; a failure is logged.
    async fn log_modmail_close(&self, ticket: &Ticket, closed_by: Option<UserId>, transcript: Option<Upload>) {
        let log = match db::settings::get(&self.db, ticket.guild).await {
            Ok(settings) => settings.log_channel,
            Err(e) => {
                tracing::warn!(error = %e, ticket = ticket.id, "could not read the log channel");
                return;
            }
        };
        let Some(log) = log else {
            return;
        };
        let by = closed_by.map(|u| format!(" by <@{u}>")).unwrap_or_default();
        let mut message = OutgoingMessage::text(format!(
            "🔒 Modmail ticket #{} of <@{}> ({}) was closed{by}. The staff transcript is attached.",
            ticket.number, ticket.opener, ticket.opener_name
        ))
        // One entry however often the close is replayed.
        .with_nonce(ticket.id.unsigned_abs() ^ CLOSE_LOG_NONCE);
        message.uploads.extend(transcript);
        if let Err(e) = self.discord.send_message(log, &message).await {
            tracing::warn!(error = %e, ticket = ticket.id, "could not post the close in the log channel");
        }
    }

    /// Deletes the closed ticket's channel, or archives it: moved to the
    /// archive category, read-only for staff. If the archive category is full
    /// (50 channels) the channel is locked where it is rather than lost.
    /// A panel ticket's channel is always deleted (its transcript keeps it).
    async fn retire_ticket_channel(&self, ticket: &Ticket) -> TicketResult<()> {
        let home = match ticket.kind {
            TicketKind::Modmail => {
                let settings = db::settings::get(&self.db, ticket.guild).await?;
                self.move_or_delete_channel(ticket, &settings).await;
                settings.inbox_category
            }
            TicketKind::Panel => {
                self.delete_ticket_channel(ticket).await;
                db::panel::settings(&self.db, ticket.guild).await?.map(|panel| panel.category)
            }
        };
        let overflow = db::overflow_categories::list(&self.db, ticket.guild, ticket.kind).await?;
        if !overflow.is_empty() {
            if let Err(e) = self.drop_empty_overflow_categories(ticket.guild, ticket.kind, home, &overflow).await {
                tracing::warn!(error = %e, guild = %ticket.guild, "could not tidy the overflow categories");
            }
        }
        Ok(())
    }

    /// Deletes the overflow categories the inbox no longer needs (empty now
    /// that a ticket left), so `Inbox 2`, `Inbox 3`… do not pile up. While the
    /// inbox is still full, one empty overflow category is kept for the next
    /// ticket rather than deleted and made again. Runs with the guild's
    /// counter row locked, as openings do when they pick a category: an
    /// opening never puts a channel in a category being deleted.
    async fn drop_empty_overflow_categories(
        &self,
        guild: GuildId,
        kind: TicketKind,
        inbox: Option<ChannelId>,
        overflow: &[ChannelId],
    ) -> TicketResult<()> {
        let mut tx = self.db.begin().await?;
        db::tickets::lock_counter(&mut tx, guild).await?;
        let categories: Vec<ChannelId> = inbox.into_iter().chain(overflow.iter().copied()).collect();
        let sizes = self.discord.category_sizes(guild, &categories).await?;
        let inbox_full = inbox.is_some() && sizes.first().is_some_and(|n| *n >= CATEGORY_LIMIT);
        let overflow_sizes = &sizes[usize::from(inbox.is_some())..];
        let mut empty: Vec<ChannelId> =
            overflow.iter().zip(overflow_sizes).filter(|(_, n)| **n == 0).map(|(c, _)| *c).collect();
        let has_room = overflow_sizes.iter().any(|n| *n > 0 && *n < CATEGORY_LIMIT);
        if inbox_full && !has_room {
            // Keep the oldest empty one: the next ticket goes there.
            empty.drain(..empty.len().min(1));
        }
        if empty.is_empty() {
            return Ok(());
        }
        for category in &empty {
            match self.discord.delete_channel(*category).await {
                Ok(()) | Err(PortError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        db::overflow_categories::remove(&mut *tx, guild, kind, &empty).await?;
        tx.commit().await?;
        tracing::info!(%guild, removed = empty.len(), "deleted empty overflow categories");
        Ok(())
    }

    async fn move_or_delete_channel(&self, ticket: &Ticket, settings: &crate::domain::settings::GuildSettings) {
        let (CloseAction::Archive, Some(archive), Some(staff_role)) =
            (settings.close_action, settings.archive_category, settings.staff_role)
        else {
            self.delete_ticket_channel(ticket).await;
            return;
        };
        let mut spec = ArchiveSpec { guild: ticket.guild, channel: ticket.channel, parent: Some(archive), staff_role };
        let mut archived = self.discord.archive_channel(&spec).await;
        if archived == Err(PortError::CategoryFull) {
            tracing::warn!(ticket = ticket.id, "the archive category is full; locking the channel in place");
            spec.parent = None;
            archived = self.discord.archive_channel(&spec).await;
        }
        match archived {
            Ok(()) | Err(PortError::NotFound) => {}
            Err(e) => tracing::warn!(error = %e, ticket = ticket.id, "could not archive the ticket channel"),
        }
    }

    async fn delete_ticket_channel(&self, ticket: &Ticket) {
        match self.discord.delete_channel(ticket.channel).await {
            Ok(()) | Err(PortError::NotFound) => {}
            Err(e) => {
                tracing::warn!(error = %e, ticket = ticket.id, "could not delete the ticket channel")
            }
        }
    }

    /// The user of an open modmail ticket left the guild: with `close_on_leave`
    /// the ticket closes (staff are told in the channel first); without it
    /// staff are only told, so they know replies may not arrive.
    #[tracing::instrument(skip(self))]
    pub async fn user_left_guild(&self, guild: GuildId, user: UserId) -> TicketResult<()> {
        let Some(ticket) = db::tickets::open_modmail_in_guild(&self.db, guild, user).await? else {
            return Ok(());
        };
        let settings = db::settings::get(&self.db, guild).await?;
        let text = if settings.close_on_leave {
            "👋 The user left the server, so this ticket is closing (`close_on_leave`)."
        } else {
            "👋 The user left the server. Replies may not reach them; `force_close` closes the ticket without messaging anyone."
        };
        // The notice carries a nonce: a replayed leave event posts it once.
        let notice = OutgoingMessage::text(text).with_nonce(ticket.id.unsigned_abs() ^ LEAVE_NONCE);
        match self.discord.send_message(ticket.channel, &notice).await {
            Ok(_) | Err(PortError::NotFound) => {}
            Err(e) => tracing::warn!(error = %e, ticket = ticket.id, "could not tell staff the user left"),
        }
        if settings.close_on_leave {
            self.close_ticket_because(&ticket, None, false, Some(("user_left", "close_on_leave"))).await?;
        } else {
            db::events::record(&self.db, ticket.id, "user_left", None, "").await?;
        }
        Ok(())
    }

    /// A ticket channel was deleted by hand: the ticket is closed, nobody told.
    #[tracing::instrument(skip(self))]
    pub async fn ticket_channel_deleted(&self, channel: ChannelId) -> TicketResult<()> {
        if let Some(ticket) = db::tickets::open_by_channel(&self.db, channel).await? {
            let mut tx = self.db.begin().await?;
            let closed_now = db::tickets::close(&mut tx, ticket.id, None, "channel deleted").await?;
            tx.commit().await?;
            if closed_now {
                metrics::ticket_closed(ticket.kind.as_str());
            }
        }
        Ok(())
    }
}
