//! The staff workflow inside a ticket: `/take` and `/release`, `/add_staff`
//! and `/remove_staff`, `/alert`, `/logs`; and around tickets: `/new_thread`,
//! `/block` and `/unblock`.

use std::fmt::Write as _;
use std::time::Duration;

use chrono::Utc;

use super::duration;
use super::error::{Field, Missing, Problem, Refusal, TicketResult};
use super::open::{OpenRequest, Opened};
use super::outcome::Outcome;
use super::panel::log::PanelEvent;
use super::ports::{Embed, OutgoingMessage, PortError};
use super::reply::StaffContext;
use super::TicketService;
use crate::db;
use crate::domain::ids::{GuildId, UserId};
use crate::domain::{
    actor::Actor,
    ticket::{Ticket, TicketKind},
};

/// What `/logs` shows at most, to stay within one message.
const LOG_EVENTS: i64 = 15;
const LOG_EARLIER_TICKETS: i64 = 10;
const MESSAGE_BUDGET: usize = 1900;
/// Longest reason for a block.
pub const BLOCK_REASON_MAX: usize = 500;

impl TicketService {
    /// Whether `user` is a member of `guild`: yes if the membership index
    /// says so; else Discord is asked (one REST call), because the index is
    /// kept only for guilds with modmail on, and is filled a moment after
    /// modmail is turned on.
    pub(crate) async fn is_member(&self, guild: GuildId, user: UserId) -> TicketResult<bool> {
        if db::members::is_member(&self.db, guild, user).await? {
            return Ok(true);
        }
        Ok(self.discord.is_guild_member(guild, user).await?)
    }

    /// `/take`: the ticket becomes the actor's; a pinned status message shows it.
    #[tracing::instrument(skip(self, ctx), fields(guild = %ctx.guild, channel = %ctx.channel))]
    pub async fn take(&self, ctx: &StaffContext) -> TicketResult<Outcome> {
        let (ticket, settings) = self.staff_ticket(ctx).await?;
        match ticket.assigned_to {
            Some(staff) if staff == ctx.actor.user => {
                return Ok(Outcome::Notice("This ticket is already yours.".into()));
            }
            Some(staff) if !ctx.actor.manage_guild => {
                return Err(Refusal::TakenBy { staff, prefix: settings.command_prefix }.into());
            }
            _ => {}
        }
        let mut tx = self.db.begin().await?;
        db::tickets::set_assigned(&mut *tx, ticket.id, Some(ctx.actor.user)).await?;
        db::events::record(&mut *tx, ticket.id, "taken", Some(ctx.actor.user), "").await?;
        tx.commit().await?;
        self.log_panel_event(&ticket, PanelEvent::Claimed { by: ctx.actor.user }, None).await;
        self.show_assignment(&ticket, Some((ctx.actor.user, &ctx.actor.name))).await?;
        Ok(Outcome::Notice("You took this ticket; the pinned status shows it.".into()))
    }

    /// `/release`: nobody is assigned any more (the assignee, or Manage Server).
    #[tracing::instrument(skip(self, ctx), fields(guild = %ctx.guild, channel = %ctx.channel))]
    pub async fn release(&self, ctx: &StaffContext) -> TicketResult<Outcome> {
        let (ticket, _settings) = self.staff_ticket(ctx).await?;
        match ticket.assigned_to {
            None => return Ok(Outcome::Notice("Nobody has taken this ticket.".into())),
            Some(staff) if staff != ctx.actor.user && !ctx.actor.manage_guild => {
                return Err(Refusal::OnlyTakerReleases { staff }.into());
            }
            Some(_) => {}
        }
        let mut tx = self.db.begin().await?;
        db::tickets::set_assigned(&mut *tx, ticket.id, None).await?;
        db::events::record(&mut *tx, ticket.id, "released", Some(ctx.actor.user), "").await?;
        tx.commit().await?;
        self.show_assignment(&ticket, None).await?;
        Ok(Outcome::Notice("The ticket is no longer assigned.".into()))
    }

    /// Shows the assignment in the ticket's pinned status message: posted and
    /// pinned the first time (2 calls), edited after (1 call). Never a channel
    /// rename: Discord allows only 2 per 10 minutes.
    pub(crate) async fn show_assignment(&self, ticket: &Ticket, staff: Option<(UserId, &str)>) -> TicketResult<()> {
        let text = match staff {
            Some((id, name)) => format!("📌 Assigned to <@{id}> ({name}) since <t:{}:f>.", Utc::now().timestamp()),
            None => "📌 Not assigned: anyone on staff may `take` it.".to_owned(),
        };
        // A panel ticket's status is its control panel.
        let message = match ticket.kind {
            TicketKind::Modmail => OutgoingMessage::text(text),
            TicketKind::Panel => super::panel::control::control_panel(ticket, staff),
        };
        if let Some(status) = db::tickets::status_message(&self.db, ticket.id).await? {
            match self.discord.edit_message(ticket.channel, status, &message).await {
                Ok(()) => return Ok(()),
                // Deleted by hand: post a new one below.
                Err(PortError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let status = self.discord.send_message(ticket.channel, &message).await?;
        db::tickets::set_status_message(&self.db, ticket.id, status).await?;
        if let Err(e) = self.discord.pin_message(ticket.channel, status).await {
            // Pins are capped at 50 per channel; the message is there either way.
            tracing::warn!(error = %e, ticket = ticket.id, "could not pin the status message");
        }
        Ok(())
    }

    /// `/add_staff user`: one more member sees this ticket (a permission overwrite).
    #[tracing::instrument(skip(self, ctx), fields(guild = %ctx.guild, channel = %ctx.channel))]
    pub async fn add_staff(&self, ctx: &StaffContext, user: UserId) -> TicketResult<Outcome> {
        let (ticket, _settings) = self.staff_ticket(ctx).await?;
        if !self.is_member(ticket.guild, user).await? {
            return Err(Refusal::NotAMember { user }.into());
        }
        self.discord.grant_member(ticket.channel, user).await?;
        db::events::record(&self.db, ticket.id, "staff_added", Some(ctx.actor.user), &user.to_string()).await?;
        self.log_panel_event(&ticket, PanelEvent::UserAdded { by: ctx.actor.user, user }, None).await;
        Ok(Outcome::Post(OutgoingMessage::text(format!("➕ <@{user}> can now see and answer this ticket."))))
    }

    /// `/remove_staff user`: takes back what `/add_staff` gave.
    #[tracing::instrument(skip(self, ctx), fields(guild = %ctx.guild, channel = %ctx.channel))]
    pub async fn remove_staff(&self, ctx: &StaffContext, user: UserId) -> TicketResult<Outcome> {
        let (ticket, _settings) = self.staff_ticket(ctx).await?;
        if ticket.kind == TicketKind::Panel && user == ticket.opener {
            return Err(Refusal::IsOpener.into());
        }
        match self.discord.revoke_member(ticket.channel, user).await {
            Ok(()) | Err(PortError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
        db::events::record(&self.db, ticket.id, "staff_removed", Some(ctx.actor.user), &user.to_string()).await?;
        Ok(Outcome::Post(OutgoingMessage::text(format!(
            "➖ <@{user}> no longer has their own access to this ticket (the staff role still does)."
        ))))
    }

    /// `/alert`: ping me on the user's next message; `/alert cancel:true` stops it.
    #[tracing::instrument(skip(self, ctx), fields(guild = %ctx.guild, channel = %ctx.channel))]
    pub async fn alert(&self, ctx: &StaffContext, cancel: bool) -> TicketResult<Outcome> {
        let (ticket, _settings) = self.staff_ticket(ctx).await?;
        let text = if cancel {
            if db::alerts::remove(&self.db, ticket.id, ctx.actor.user).await? {
                "🔕 Alert cancelled."
            } else {
                "You had no alert on this ticket."
            }
        } else {
            db::alerts::add(&self.db, ticket.id, ctx.actor.user).await?;
            "🔔 I'll ping you here when the user next writes."
        };
        Ok(Outcome::Notice(text.into()))
    }

    /// `/logs`: this ticket's activity and the user's earlier tickets.
    #[tracing::instrument(skip(self, ctx), fields(guild = %ctx.guild, channel = %ctx.channel))]
    pub async fn logs(&self, ctx: &StaffContext) -> TicketResult<Outcome> {
        let (ticket, _settings) = self.staff_ticket(ctx).await?;
        let events = db::events::latest(&self.db, ticket.id, LOG_EVENTS).await?;
        let timers = db::timers::pending_for_ticket(&self.db, ticket.id).await?;
        let history = db::tickets::history_of(&self.db, ticket.guild, ticket.opener, LOG_EARLIER_TICKETS + 1).await?;
        let counts = db::relay_log::counts(&self.db, ticket.id).await?;
        let mut out = format!(
            "**Ticket #{}** for <@{}>, opened <t:{}:f>. {} messages from the user, {} staff replies.\n",
            ticket.number,
            ticket.opener,
            ticket.opened_at.timestamp(),
            counts.to_staff,
            counts.to_user
        );
        if let Some(staff) = ticket.assigned_to {
            let _ = writeln!(out, "Assigned to <@{staff}>.");
        }
        for timer in &timers {
            let what = match timer.kind {
                crate::domain::timer::TimerKind::Close => "close".to_owned(),
                crate::domain::timer::TimerKind::Reminder => format!("reminder #{}", timer.number.unwrap_or_default()),
                crate::domain::timer::TimerKind::CategoryPrompt => "category prompt".to_owned(),
                crate::domain::timer::TimerKind::MenuRefresh => "menu refresh".to_owned(),
                crate::domain::timer::TimerKind::ServerChoice => "server menu".to_owned(),
            };
            let _ = writeln!(out, "⏰ Scheduled: {what} <t:{}:R>", timer.due_at.timestamp());
        }
        let mut lines = Vec::new();
        for event in &events {
            let by = event.actor.map(|a| format!(" by <@{a}>")).unwrap_or_default();
            let detail = if event.detail.is_empty() { String::new() } else { format!(" ({})", event.detail) };
            lines.push(format!("<t:{}:f> {}{by}{detail}", event.at.timestamp(), event.kind.replace('_', " ")));
        }
        push_section(&mut out, "**Activity**", &lines);
        let earlier: Vec<String> = history
            .iter()
            .filter(|t| t.id != ticket.id)
            .take(LOG_EARLIER_TICKETS as usize)
            .map(|t| {
                format!(
                    "#{} opened <t:{}:d>, {}",
                    t.number,
                    t.opened_at.timestamp(),
                    if t.is_open() { "open" } else { "closed" }
                )
            })
            .collect();
        if earlier.is_empty() {
            out.push_str("\nNo earlier tickets from this user.");
        } else {
            push_section(&mut out, "**Earlier tickets**", &earlier);
        }
        Ok(Outcome::Notice(out))
    }

    /// `/new_thread user`: staff open a ticket for a member. The member gets
    /// the welcome message; if their DMs are closed, staff are told and the
    /// ticket stays open.
    #[tracing::instrument(skip(self, actor))]
    pub async fn new_ticket_for(&self, guild: GuildId, actor: &Actor, user: UserId) -> TicketResult<Outcome> {
        let settings = db::settings::get(&self.db, guild).await?;
        if !actor.is_staff(&settings) {
            return Err(Refusal::NotStaff.into());
        }
        if !self.is_member(guild, user).await? {
            return Err(Refusal::NotAMember { user }.into());
        }
        let name = match self.discord.user_name(user).await {
            Ok(name) => name,
            Err(PortError::NotFound) => return Err(Refusal::NotFound { what: Missing::User { user } }.into()),
            Err(e) => return Err(e.into()),
        };
        let dm_channel = self.discord.open_dm(user).await.ok();
        let request = OpenRequest {
            guild,
            opener: user,
            opener_name: name.clone(),
            opened_by: actor.user,
            kind: TicketKind::Modmail,
            dm_channel,
            category: None,
            panel: None,
        };
        let ticket = match self.open_ticket(&request).await? {
            Opened::Existing(ticket) => {
                return Ok(Outcome::Notice(format!("<@{user}> already has an open ticket: <#{}>.", ticket.channel)))
            }
            Opened::New(ticket) => ticket,
        };
        let header = OutgoingMessage::embed(Embed {
            title: Some(format!("New modmail ticket #{}", ticket.number)),
            description: Some(format!("Opened by <@{}> for <@{user}> ({name}).", actor.user)),
            color: Some(super::render::HEADER_COLOR),
            ..Embed::default()
        });
        self.discord.send_message(ticket.channel, &header).await?;
        let text = self.staff_opened_message(&ticket, &name, Some(&actor.name)).await?;
        let delivered = match dm_channel {
            Some(dm) => self.discord.send_message(dm, &text).await,
            None => Err(PortError::CannotMessageUser),
        };
        let note = match delivered {
            Ok(_) => "They got the welcome message.".to_owned(),
            Err(PortError::CannotMessageUser) => {
                let warning = "⚠️ This user does not accept DMs from the bot: replies will not reach them until they open their DMs.";
                self.discord.send_message(ticket.channel, &OutgoingMessage::text(warning)).await?;
                "Their DMs are closed, so they did not get the welcome message; the ticket is open anyway.".to_owned()
            }
            Err(e) => return Err(e.into()),
        };
        Ok(Outcome::Notice(format!("Opened <#{}> for <@{user}>. {note}", ticket.channel)))
    }

    /// `/block user [duration] [reason]`: the user's DMs open nothing in this
    /// guild (they are told once).
    #[tracing::instrument(skip(self, actor, reason))]
    pub async fn block(
        &self,
        guild: GuildId,
        actor: &Actor,
        user: UserId,
        length: Option<Duration>,
        reason: &str,
    ) -> TicketResult<Outcome> {
        let settings = db::settings::get(&self.db, guild).await?;
        if !actor.is_staff(&settings) {
            return Err(Refusal::NotStaff.into());
        }
        if user == actor.user {
            return Err(Refusal::BlockSelf.into());
        }
        if reason.chars().count() > BLOCK_REASON_MAX {
            let problem = Problem::Length { min: 0, max: BLOCK_REASON_MAX };
            return Err(Refusal::Invalid { field: Field::BlockReason, problem }.into());
        }
        let expires = length.map(|d| Utc::now() + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::days(30)));
        let mut tx = self.db.begin().await?;
        db::blocks::block(&mut *tx, guild, user, actor.user, reason.trim(), expires).await?;
        let details = serde_json::json!({ "reason": reason.trim(), "expires_at": expires });
        self.audit(&mut tx, guild, actor, "block.create", &format!("user:{user}"), details).await?;
        tx.commit().await?;
        let until = match (length, expires) {
            (Some(d), Some(at)) => format!(" for {} (until <t:{}:f>)", duration::format(d), at.timestamp()),
            _ => " until unblocked".to_owned(),
        };
        Ok(Outcome::Notice(format!(
            "⛔ <@{user}> is blocked{until}: their DMs will open no ticket here. Undo with `{}unblock {user}`.",
            settings.command_prefix
        )))
    }

    #[tracing::instrument(skip(self, actor))]
    pub async fn unblock(&self, guild: GuildId, actor: &Actor, user: UserId) -> TicketResult<Outcome> {
        let text = if self.lift_block(guild, actor, user).await? {
            format!("✅ <@{user}> is unblocked and can open tickets again.")
        } else {
            format!("<@{user}> was not blocked.")
        };
        Ok(Outcome::Notice(text))
    }

    /// Unblocks a user (staff only); `false` when they were not blocked.
    #[tracing::instrument(skip(self, actor))]
    pub async fn lift_block(&self, guild: GuildId, actor: &Actor, user: UserId) -> TicketResult<bool> {
        let settings = db::settings::get(&self.db, guild).await?;
        if !actor.is_staff(&settings) {
            return Err(Refusal::NotStaff.into());
        }
        let mut tx = self.db.begin().await?;
        if !db::blocks::unblock(&mut *tx, guild, user).await? {
            return Ok(false);
        }
        self.audit(&mut tx, guild, actor, "block.delete", &format!("user:{user}"), serde_json::json!({})).await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// Adds a titled list, stopping (and saying how many were left out) before
/// the message would exceed Discord's limit.
fn push_section(out: &mut String, title: &str, lines: &[String]) {
    let _ = write!(out, "\n{title}\n");
    for (i, line) in lines.iter().enumerate() {
        if out.len() + line.len() + 40 > MESSAGE_BUDGET {
            let _ = writeln!(out, "… and {} more.", lines.len() - i);
            return;
        }
        let _ = writeln!(out, "{line}");
    }
}
