//! Which ticket a DM belongs to: the user's open ticket, else a new ticket in
//! the one modmail guild they share with the bot, else (several guilds) the
//! guild they pick from a menu, else (none) an explanation. Within the guild,
//! the category prompt (`super::prompt`) may ask which team first.
//!
//! Membership comes from the `guild_members` index kept by whichever cluster
//! owns each guild, so routing costs no REST call (see docs/ARCHITECTURE.md).

use super::error::{Refusal, TicketError, TicketResult};
use super::ids::{GuildId, UserId};
use super::inbox::IncomingDm;
use super::model::{Ticket, TicketKind};
use super::open::{OpenRequest, Opened};
use super::outcome::Outcome;
use super::ports::OutgoingMessage;
use super::prompt::Placement;
use super::{render, TicketService};
use crate::db;
use crate::db::members::ModmailGuild;
use crate::templates::{self, Placeholders, Template};

/// Custom id of the guild-choice select menu sent in DMs.
pub const GUILD_CHOICE_MENU: &str = "modmail:choose-guild";

pub(crate) enum Route {
    Existing(Ticket),
    Opened(Ticket),
    /// Waiting for the user to pick a guild or a category.
    Held,
    /// No guild to route to; the user was told why.
    Refused,
}

impl TicketService {
    pub(crate) async fn route_dm(&self, first: &IncomingDm) -> TicketResult<Route> {
        let blocked = db::blocks::blocked_guilds(&self.db, first.user).await?;
        if let Some(ticket) = db::tickets::open_modmail_for_user(&self.db, first.user).await? {
            if blocked.contains(&ticket.guild) {
                self.tell_blocked(first, &[ticket.guild]).await?;
                return Ok(Route::Refused);
            }
            return Ok(Route::Existing(ticket));
        }
        let mut guilds = db::members::modmail_guilds_of(&self.db, first.user).await?;
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
            several => self.route_by_choice(first, several).await,
        }
    }

    async fn route_by_choice(&self, first: &IncomingDm, guilds: &[ModmailGuild]) -> TicketResult<Route> {
        match db::choices::get(&self.db, first.user).await? {
            Some(choice) => match choice.chosen {
                Some(chosen) if guilds.iter().any(|g| g.guild == chosen) => {
                    let route = self.open_for_dm(chosen, first).await?;
                    // Kept while the guild's category prompt waits, so the
                    // next drain does not ask for the guild again.
                    if !matches!(route, Route::Held) {
                        db::choices::clear(&self.db, first.user).await?;
                    }
                    Ok(route)
                }
                None => Ok(Route::Held),
                Some(_gone) => {
                    // The chosen guild turned modmail off or the user left it.
                    db::choices::clear(&self.db, first.user).await?;
                    self.prompt_guild_choice(first, guilds).await
                }
            },
            None => self.prompt_guild_choice(first, guilds).await,
        }
    }

    async fn prompt_guild_choice(&self, first: &IncomingDm, guilds: &[ModmailGuild]) -> TicketResult<Route> {
        // Only the worker that creates the pending choice sends the prompt.
        if db::choices::start(&self.db, first.user).await? {
            let prompt = render::guild_choice_prompt(guilds).with_nonce(first.message.get());
            match self.discord.send_message(first.dm_channel, &prompt).await {
                Ok(id) => db::choices::set_prompt(&self.db, first.user, id).await?,
                Err(e) => {
                    db::choices::clear(&self.db, first.user).await?;
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
        self.discord.send_message(first.dm_channel, &message).await?;
        Ok(())
    }

    async fn explain_no_guild(&self, first: &IncomingDm) -> TicketResult<()> {
        let text = templates::render(
            Template::NoModmailGuild.default_text(),
            &Placeholders { user: Some(&first.author_name), ..Placeholders::default() },
        );
        let message = OutgoingMessage::text(text).with_nonce(first.message.get());
        self.discord.send_message(first.dm_channel, &message).await?;
        Ok(())
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
            Ok(Opened::New(ticket)) => Ok(Route::Opened(ticket)),
            Ok(Opened::Existing(ticket)) => Ok(Route::Existing(ticket)),
            Err(TicketError::Refused(refusal)) => {
                // The guild cannot take a ticket now (inbox full, permissions):
                // tell the user; their messages stay on record as refused.
                let text = format!("I couldn't open your ticket: {refusal}");
                let message = OutgoingMessage::text(text).with_nonce(first.message.get());
                self.discord.send_message(first.dm_channel, &message).await?;
                Ok(Route::Refused)
            }
            Err(e) => Err(e),
        }
    }

    /// The user picked a guild from the menu: remember it and relay what waits.
    #[tracing::instrument(skip(self))]
    pub async fn choose_guild(&self, user: UserId, guild: GuildId) -> TicketResult<Outcome> {
        let guilds = db::members::modmail_guilds_of(&self.db, user).await?;
        let Some(picked) = guilds.iter().find(|g| g.guild == guild) else {
            return Err(Refusal::StaleChoice.into());
        };
        let recorded = db::choices::choose(&self.db, user, guild).await?;
        let already_open = db::tickets::open_modmail_in_guild(&self.db, guild, user).await?.is_some();
        if !recorded && !already_open {
            return Err(Refusal::StaleChoice.into());
        }
        self.drain_inbox_after_answer(user).await?;
        Ok(Outcome::Notice(templates::render(
            Template::GuildChosen.default_text(),
            &Placeholders { guild: Some(&picked.name), ..Placeholders::default() },
        )))
    }
}
