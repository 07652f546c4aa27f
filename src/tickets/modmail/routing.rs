//! Which ticket a DM belongs to. A conversation in progress never moves to
//! another server behind the user's back:
//!
//! 1. a pending server menu holds everything until the user picks, or until
//!    it expires (`TICKETEER_SERVER_CHOICE_TIMEOUT_SECS`) and the user writes
//!    again, which asks anew; nothing held is refused;
//! 2. the server the user chose to talk to (`dm_conversations`: their DM
//!    opened a ticket there, or they picked it) keeps their DMs while it has
//!    their open ticket, or while their pick is newer than every open ticket;
//! 3. otherwise one open ticket takes them; several mean the user is asked;
//! 4. with none, a new ticket opens in the one modmail guild they share with
//!    the bot, or in the guild they pick from a menu, or (none) they are told
//!    why. Within the guild, the category prompt (`super::prompt`) may ask
//!    which team first.
//!
//! A ticket staff open *for* the user never changes where DMs go: the user is
//! told which server it is and how to reach it (`super::conversation`).
//!
//! Membership comes from the `guild_members` index kept by whichever cluster
//! owns each guild, so routing costs no REST call (see docs/ARCHITECTURE.md).

use super::super::duration;
use super::super::error::{Refusal, TicketError, TicketResult};
use super::super::open::{OpenRequest, Opened};
use super::super::outcome::Outcome;
use super::super::ports::OutgoingMessage;
use super::super::{render, TicketService};
use super::prompt::Placement;
use crate::db;
use crate::db::choices::{Expired, GuildChoice};
use crate::db::members::ModmailGuild;
use crate::domain::dm::IncomingDm;
use crate::domain::ids::{GuildId, UserId};
use crate::domain::ticket::{Ticket, TicketKind};
use crate::domain::timer::Timer;
use crate::templates::{self, Placeholders, Template};

/// How long a server menu holds the user's DMs unless
/// `TICKETEER_SERVER_CHOICE_TIMEOUT_SECS` says otherwise. One setting for the
/// whole bot, not per guild: the menu offers several guilds, so no single
/// guild's setting could decide for it.
pub const DEFAULT_SERVER_CHOICE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15 * 60);

pub(crate) enum Route {
    Existing(Ticket),
    Opened(Ticket),
    /// Waiting for the user to pick a guild or a category.
    Held,
    /// No guild to route to; the user was told why. Final: the messages
    /// are kept on record as refused.
    Refused,
    /// Not now, but not final either (another opening holds the user's
    /// lock; the guild's settings changed between routing and opening): the
    /// messages stay pending and are routed again: at once when `reroute`
    /// (the settings changed), else by the sweeper a few seconds later.
    Later {
        reroute: bool,
    },
}

impl TicketService {
    pub(crate) async fn route_dm(&self, first: &IncomingDm) -> TicketResult<Route> {
        let user = first.user;
        // A server menu the user has not answered yet holds everything: the
        // answer decides, not the order in which tickets were opened.
        let asked_again;
        let first = match db::choices::get(&self.db, user).await? {
            None => first,
            Some(choice) if choice.chosen.is_some() => {
                // Answered: `choose_guild` recorded the pick as the conversation.
                let mut tx = self.db.begin().await?;
                db::choices::clear(&mut tx, user).await?;
                tx.commit().await?;
                first
            }
            // Unanswered and open; or expired, and the user has not written
            // since: everything waits (the timer told them to write again).
            Some(GuildChoice { expired: false, .. } | GuildChoice { written_since_expiry: None, .. }) => {
                return Ok(Route::Held)
            }
            Some(GuildChoice { written_since_expiry: Some(newest), .. }) => {
                // Expired, and the user wrote again: route everything anew,
                // which asks again if they still have several servers. The
                // new menu's nonce is their newest DM (the old menu carried
                // the oldest, and Discord would answer a repeated nonce with
                // the old message instead of sending a new one).
                let mut tx = self.db.begin().await?;
                db::choices::clear(&mut tx, user).await?;
                tx.commit().await?;
                match db::inbound::get(&self.db, newest).await? {
                    Some(dm) => {
                        asked_again = dm;
                        &asked_again
                    }
                    None => first,
                }
            }
        };
        let blocked = db::blocks::blocked_guilds(&self.db, user).await?;
        let open = db::tickets::open_modmail_of_user(&self.db, user).await?;
        if let Some(conversation) = db::conversations::get(&self.db, user).await? {
            if let Some(ticket) = open.iter().find(|t| t.guild == conversation.guild) {
                if blocked.contains(&ticket.guild) {
                    self.tell_blocked(first, &[ticket.guild]).await?;
                    return Ok(Route::Refused);
                }
                return Ok(Route::Existing(ticket.clone()));
            }
            // Picked after every open ticket was opened: the user means a new
            // ticket there, not one staff opened elsewhere before.
            let newest_pick = open.iter().all(|t| t.opened_at < conversation.chosen_at);
            if newest_pick && !blocked.contains(&conversation.guild) {
                let guilds = db::members::modmail_guilds_of(&self.db, user).await?;
                if guilds.iter().any(|g| g.guild == conversation.guild) {
                    return self.open_for_dm(conversation.guild, first).await;
                }
            }
        }
        let reachable: Vec<&Ticket> = open.iter().filter(|t| !blocked.contains(&t.guild)).collect();
        match reachable.as_slice() {
            [only] => {
                db::conversations::set(&self.db, user, only.guild).await?;
                return Ok(Route::Existing((*only).clone()));
            }
            [] if !open.is_empty() => {
                let guilds: Vec<GuildId> = open.iter().map(|t| t.guild).collect();
                self.tell_blocked(first, &guilds).await?;
                return Ok(Route::Refused);
            }
            [] => {}
            several => {
                let choices = self.server_choices(user, several).await?;
                return self.prompt_guild_choice(first, &choices).await;
            }
        }
        let mut guilds = db::members::modmail_guilds_of(&self.db, user).await?;
        let before = guilds.len();
        guilds.retain(|g| !blocked.contains(&g.guild));
        match guilds.as_slice() {
            [] if before > 0 => {
                self.tell_blocked(first, &blocked).await?;
                Ok(Route::Refused)
            }
            [] => {
                self.explain_no_guild(first).await?;
                Ok(Route::Refused)
            }
            [only] => self.open_for_dm(only.guild, first).await,
            several => self.prompt_guild_choice(first, several).await,
        }
    }

    /// The servers a user with several open tickets picks from: those with
    /// an open ticket first, then their other modmail servers.
    pub(crate) async fn server_choices(&self, user: UserId, open: &[&Ticket]) -> TicketResult<Vec<ModmailGuild>> {
        let blocked = db::blocks::blocked_guilds(&self.db, user).await?;
        let mut choices = Vec::new();
        for ticket in open {
            let name = db::guilds::name(&self.db, ticket.guild).await?.unwrap_or_else(|| ticket.guild.to_string());
            choices.push(ModmailGuild { guild: ticket.guild, name });
        }
        for guild in db::members::modmail_guilds_of(&self.db, user).await? {
            if !blocked.contains(&guild.guild) && !choices.iter().any(|c| c.guild == guild.guild) {
                choices.push(guild);
            }
        }
        Ok(choices)
    }

    async fn prompt_guild_choice(&self, first: &IncomingDm, guilds: &[ModmailGuild]) -> TicketResult<Route> {
        let timeout =
            chrono::Duration::from_std(self.server_choice_timeout).unwrap_or_else(|_| chrono::Duration::minutes(15));
        let expires_at = chrono::Utc::now() + timeout;
        // Only the worker that creates the pending choice sends the prompt.
        let mut tx = self.db.begin().await?;
        let started = db::choices::start(&mut tx, first.user, first.dm_channel, expires_at).await?;
        tx.commit().await?;
        if let Some(timer) = started {
            self.index_timer(timer, expires_at).await;
            let prompt = render::guild_choice_prompt(guilds).with_nonce(first.message.get());
            match self.discord.send_message(first.dm_channel, &prompt).await {
                Ok(id) => db::choices::set_prompt(&self.db, first.user, id).await?,
                Err(e) if !e.is_transient() => {
                    // The user cannot see a menu (they blocked the bot): no
                    // server can be picked, and picking one for them would
                    // move their conversation behind their back. Their
                    // messages stay on record as refused instead of waiting
                    // for an answer that cannot come.
                    tracing::info!(error = %e, "the server menu cannot reach the user; their messages are refused");
                    crate::metrics::inbox_given_up("undeliverable");
                    let mut tx = self.db.begin().await?;
                    db::choices::clear(&mut tx, first.user).await?;
                    tx.commit().await?;
                    return Ok(Route::Refused);
                }
                Err(e) => {
                    let mut tx = self.db.begin().await?;
                    db::choices::clear(&mut tx, first.user).await?;
                    tx.commit().await?;
                    return Err(e.into());
                }
            }
        }
        Ok(Route::Held)
    }

    /// Tells a blocked user, once per block, that their messages open nothing.
    async fn tell_blocked(&self, first: &IncomingDm, guilds: &[GuildId]) -> TicketResult<()> {
        let untold = db::blocks::take_untold(&self.db, first.user, guilds).await?;
        if untold.is_empty() {
            return Ok(());
        }
        let mut names = Vec::with_capacity(untold.len());
        for guild in untold {
            names.push(db::guilds::name(&self.db, guild).await?.unwrap_or_else(|| guild.to_string()));
        }
        let text = format!(
            "You can't open support tickets in **{}** at the moment, so your messages were not passed on to its staff.",
            names.join("**, **")
        );
        let message = OutgoingMessage::text(text).with_nonce(first.message.get());
        self.tell_user(first, &message).await
    }

    /// Sends the user a notice about their DMs. A notice that cannot reach
    /// them for good (they blocked the bot) is given up, once: their DMs
    /// are recorded as refused either way, and retrying would fail alike on
    /// every drain. A transient failure is the drain's to retry.
    async fn tell_user(&self, first: &IncomingDm, message: &OutgoingMessage) -> TicketResult<()> {
        match self.discord.send_message(first.dm_channel, message).await {
            Ok(_) => Ok(()),
            Err(e) if !e.is_transient() => {
                tracing::info!(error = %e, "a notice cannot reach the user; giving it up");
                crate::metrics::inbox_given_up("undeliverable");
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn explain_no_guild(&self, first: &IncomingDm) -> TicketResult<()> {
        let text = templates::render(
            Template::NoModmailGuild.default_text(),
            &Placeholders { user: Some(&first.author_name), ..Placeholders::default() },
        );
        let message = OutgoingMessage::text(text).with_nonce(first.message.get());
        self.tell_user(first, &message).await
    }

    async fn open_for_dm(&self, guild: GuildId, first: &IncomingDm) -> TicketResult<Route> {
        let category = match self.place_new_ticket(guild, first).await? {
            Placement::Held => return Ok(Route::Held),
            Placement::Inbox => None,
            Placement::Category(category) => Some(category),
        };
        let request = OpenRequest {
            guild,
            opener: first.user,
            opener_name: first.author_name.clone(),
            opened_by: first.user,
            kind: TicketKind::Modmail,
            dm_channel: Some(first.dm_channel),
            category,
            panel: None,
        };
        match self.open_ticket(&request).await {
            Ok(Opened::New(ticket)) => {
                // The user's own message opened it: this is who they talk to.
                db::conversations::set(&self.db, first.user, guild).await?;
                Ok(Route::Opened(ticket))
            }
            Ok(Opened::Existing(ticket)) => {
                db::conversations::set(&self.db, first.user, guild).await?;
                Ok(Route::Existing(ticket))
            }
            // Another opening holds this user's lock (perhaps one a killed
            // process left, until it expires), or modmail changed since
            // routing: not an answer to give the user. Their messages stay
            // pending and are routed again.
            Err(TicketError::Refused(Refusal::Busy)) => Ok(Route::Later { reroute: false }),
            Err(TicketError::Refused(Refusal::ModmailNotSetUp)) => Ok(Route::Later { reroute: true }),
            Err(TicketError::Refused(refusal)) => {
                // The guild cannot take a ticket now (inbox full, permissions):
                // tell the user; their messages stay on record as refused.
                let text = format!("I couldn't open your ticket: {refusal}");
                let message = OutgoingMessage::text(text).with_nonce(first.message.get());
                self.tell_user(first, &message).await?;
                Ok(Route::Refused)
            }
            Err(e) => Err(e),
        }
    }

    /// The user picked a server (the server menu, or "switch server"): their
    /// DMs go there from now on, and what waits is relayed there.
    #[tracing::instrument(skip(self))]
    pub async fn choose_guild(&self, user: UserId, guild: GuildId) -> TicketResult<Outcome> {
        let blocked = db::blocks::blocked_guilds(&self.db, user).await?;
        let open = db::tickets::open_modmail_of_user(&self.db, user).await?;
        let open: Vec<&Ticket> = open.iter().collect();
        let choices = self.server_choices(user, &open).await?;
        let Some(picked) = choices.iter().find(|g| g.guild == guild && !blocked.contains(&g.guild)) else {
            return Err(Refusal::StaleChoice.into());
        };
        // The pick and the end of the menu's timeout, together.
        let mut tx = self.db.begin().await?;
        db::conversations::choose(&mut *tx, user, guild).await?;
        db::choices::choose(&mut tx, user, guild).await?;
        tx.commit().await?;
        self.drain_inbox_after_answer(user).await?;
        Ok(Outcome::Notice(templates::render(
            Template::GuildChosen.default_text(),
            &Placeholders { guild: Some(&picked.name), ..Placeholders::default() },
        )))
    }

    /// The server menu's timer fired with no pick made. The user's messages
    /// stay pending, held, never refused (refusing would make them write it
    /// all again; picking a server for them would move their conversation
    /// behind their back): the menu is replaced by a note saying it expired
    /// and that writing again asks anew, and their next DM does (see
    /// `route_dm`), after which everything held follows in order. Safe to run
    /// twice: the note is written once (`expiry_told_at`), and the drain is
    /// idempotent.
    pub(crate) async fn server_choice_timed_out(&self, timer: &Timer) -> TicketResult<()> {
        let Some(user) = timer.payload["user"].as_str().and_then(|u| u.parse::<u64>().ok()).map(UserId) else {
            tracing::warn!(timer = timer.id, "a server choice timer without a user");
            return Ok(());
        };
        if let Some(expired) = db::choices::expire(&self.db, user, timer.id).await? {
            if !expired.told {
                self.tell_choice_expired(timer, &expired).await?;
                db::choices::mark_expiry_told(&self.db, user, timer.id).await?;
            }
        }
        // A DM stored while the choice ended may have been held by a drain
        // that still read it open: a drain after that one asks again.
        self.drain_inbox_after_answer(user).await
    }

    /// Edits the expired menu into the note (an edit repeated shows the same
    /// message, and a stale menu can no longer be picked from); without a
    /// known menu message (a process died before recording it), the note is
    /// sent, its nonce the timer's, so a repeat within Discord's nonce window
    /// is not shown twice. A transient failure is the timer's to retry.
    async fn tell_choice_expired(&self, timer: &Timer, expired: &Expired) -> TicketResult<()> {
        let Some(dm_channel) = expired.dm_channel else {
            tracing::info!(timer = timer.id, "no DM channel known for an expired server menu; nothing to tell");
            return Ok(());
        };
        let text = templates::render(
            Template::GuildChoiceExpired.default_text(),
            &Placeholders { timeout: Some(&duration::format(self.server_choice_timeout)), ..Placeholders::default() },
        );
        let note = OutgoingMessage::text(text);
        let sent = match expired.prompt_message {
            Some(menu) => self.discord.edit_message(dm_channel, menu, &note).await,
            None => self.discord.send_message(dm_channel, &note.with_nonce(timer.id.unsigned_abs())).await.map(|_| ()),
        };
        match sent {
            Ok(()) => Ok(()),
            Err(e) if !e.is_transient() => {
                // The user blocked the bot: nothing can tell them; their
                // messages wait for their next DM all the same.
                tracing::info!(error = %e, "the server menu's expiry cannot reach the user; giving it up");
                crate::metrics::inbox_given_up("undeliverable");
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The "switch server" button: the server menu again, to pick where the
    /// user's next messages go. Nothing changes until they pick.
    #[tracing::instrument(skip(self))]
    pub async fn switch_guild_menu(&self, user: UserId) -> TicketResult<Outcome> {
        let open = db::tickets::open_modmail_of_user(&self.db, user).await?;
        let open: Vec<&Ticket> = open.iter().collect();
        let choices = self.server_choices(user, &open).await?;
        if choices.is_empty() {
            return Err(Refusal::NothingToSwitchTo.into());
        }
        let current = db::conversations::get(&self.db, user).await?.map(|c| c.guild);
        Ok(Outcome::Post(super::conversation::switch_guild_prompt(&choices, current)))
    }
}
