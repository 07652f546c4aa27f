//! The category prompt: before a DM opens a ticket in a guild that has it on,
//! the user picks a modmail category (buttons, or a select menu above five).
//!
//! While they choose, their messages stay pending in `inbound_dms` and are
//! held, in order, in a Redis queue (`crate::redis::held_queue`). The prompt
//! itself is a `category_prompts` row plus a `category_prompt` timer, made in
//! one transaction; a choice or the timer's firing changes the row, then drains
//! the user's inbox, which opens the ticket where the row says and forwards
//! everything held. A process dying anywhere in between leaves a row and
//! pending messages that the next drain (a new DM, the sweeper, the timer)
//! finishes; the relay log, keyed by message id, forwards nothing twice.

use chrono::Utc;

use super::super::duration;
use super::super::error::{Refusal, TicketResult};
use super::super::outcome::Outcome;
use super::super::ports::{ChoiceMenu, ChoiceOption, OutgoingMessage, MAX_BUTTONS, MAX_MENU_OPTIONS};
use super::super::render::truncate;
use super::super::TicketService;
use crate::db;
use crate::db::prompts::PromptState;
use crate::domain::category::ModmailCategory;
use crate::domain::dm::IncomingDm;
use crate::domain::ids::{ChannelId, GuildId, UserId};
use crate::domain::timer::Timer;
use crate::templates::{self, Placeholders, Template};

/// Custom id of the prompt's menu; each button's is `modmail:category:{id}`.
pub const CATEGORY_MENU: &str = "modmail:category";

/// Where a DM's new ticket opens.
pub(crate) enum Placement {
    Inbox,
    Category(ModmailCategory),
    /// The user is choosing; their messages wait.
    Held,
}

impl TicketService {
    /// Decides where `first`'s new ticket in `guild` opens, asking the user
    /// first if the guild's category prompt is on.
    pub(crate) async fn place_new_ticket(&self, guild: GuildId, first: &IncomingDm) -> TicketResult<Placement> {
        if let Some(prompt) = db::prompts::get(&self.db, first.user).await? {
            if prompt.guild == guild {
                return Ok(match prompt.state {
                    PromptState::Waiting => Placement::Held,
                    PromptState::Chosen(Some(id)) => match db::categories::by_id(&self.db, id).await? {
                        Some(category) if category.guild == guild => Placement::Category(category),
                        _ => Placement::Inbox,
                    },
                    PromptState::Chosen(None) | PromptState::TimedOut => Placement::Inbox,
                });
            }
            // A prompt of another guild (the user changed guilds since): drop it.
            let mut tx = self.db.begin().await?;
            db::prompts::discard(&mut tx, first.user).await?;
            tx.commit().await?;
        }
        let settings = db::settings::get(&self.db, guild).await?;
        if !settings.category_prompt {
            return Ok(Placement::Inbox);
        }
        let categories = db::categories::list(&self.db, guild).await?;
        if categories.is_empty() {
            return Ok(Placement::Inbox);
        }
        let timeout = settings.category_prompt_timeout;
        let due = Utc::now() + chrono::Duration::from_std(timeout).unwrap_or_else(|_| chrono::Duration::minutes(5));
        // Only the worker that creates the prompt sends it.
        let mut tx = self.db.begin().await?;
        let started = db::prompts::start(&mut tx, first.user, guild, due).await?;
        tx.commit().await?;
        let Some(timer) = started else {
            return Ok(Placement::Held);
        };
        self.index_timer(timer, due).await;
        let guild_name = db::guilds::name(&self.db, guild).await?.unwrap_or_default();
        let prompt =
            category_prompt(&guild_name, &duration::format(timeout), &categories).with_nonce(first.message.get());
        match self.discord.send_message(first.dm_channel, &prompt).await {
            Ok(id) => db::prompts::set_message(&self.db, first.user, id, first.dm_channel).await?,
            Err(e) if !e.is_transient() => {
                // The user cannot be asked (they blocked the bot, or closed
                // their DMs): asking again would fail the same way on every
                // drain, and their messages would wait for ever. The ticket
                // opens in the inbox, as if the prompt had timed out.
                tracing::info!(error = %e, "the category prompt cannot reach the user; opening in the inbox");
                crate::metrics::inbox_given_up("undeliverable");
                let mut tx = self.db.begin().await?;
                db::prompts::discard(&mut tx, first.user).await?;
                tx.commit().await?;
                return Ok(Placement::Inbox);
            }
            Err(e) => {
                // Nothing was asked: the next drain starts over.
                let mut tx = self.db.begin().await?;
                db::prompts::discard(&mut tx, first.user).await?;
                tx.commit().await?;
                return Err(e.into());
            }
        }
        Ok(Placement::Held)
    }

    /// The user picked a category from the prompt: the ticket opens there and
    /// what they wrote meanwhile follows.
    #[tracing::instrument(skip(self))]
    pub async fn choose_category(&self, user: UserId, category: i64) -> TicketResult<Outcome> {
        let Some(category) = db::categories::by_id(&self.db, category).await? else {
            return Err(Refusal::StaleChoice.into());
        };
        let mut tx = self.db.begin().await?;
        let chosen = db::prompts::choose(&mut tx, user, category.guild, category.id).await?;
        tx.commit().await?;
        if !chosen {
            // A second click, or a click after the timeout opened the ticket.
            return match db::tickets::open_modmail_in_guild(&self.db, category.guild, user).await? {
                Some(_) => Ok(Outcome::Notice("Your ticket is already open: just keep writing here.".into())),
                None => Err(Refusal::StaleChoice.into()),
            };
        }
        self.drain_inbox_after_answer(user).await?;
        Ok(Outcome::Notice(templates::render(
            Template::CategoryChosen.default_text(),
            &Placeholders { category: Some(&category.name), ..Placeholders::default() },
        )))
    }

    /// The prompt's timer fired with no choice made: the ticket opens in the
    /// inbox, and the prompt's buttons are replaced by a note saying so.
    pub(crate) async fn category_prompt_timed_out(&self, timer: &Timer) -> TicketResult<()> {
        let Some(user) = timer.payload["user"].as_str().and_then(|u| u.parse::<u64>().ok()).map(UserId) else {
            tracing::warn!(timer = timer.id, "a category prompt timer without a user");
            return Ok(());
        };
        let prompt = db::prompts::get(&self.db, user).await?;
        if db::prompts::time_out(&self.db, user, timer.id).await? {
            if let Some(prompt) = prompt.filter(|p| p.state == PromptState::Waiting) {
                self.retire_prompt(prompt.guild, prompt.message, prompt.dm_channel).await;
            }
        }
        // Also after a crash between marking and draining: the drain is idempotent.
        self.drain_inbox_after_answer(user).await
    }

    async fn retire_prompt(
        &self,
        guild: GuildId,
        message: Option<crate::domain::ids::MessageId>,
        dm_channel: Option<ChannelId>,
    ) {
        let (Some(message), Some(dm_channel)) = (message, dm_channel) else {
            return;
        };
        let guild_name = db::guilds::name(&self.db, guild).await.ok().flatten().unwrap_or_default();
        let waited = match db::settings::get(&self.db, guild).await {
            Ok(settings) => settings.category_prompt_timeout,
            Err(_) => crate::domain::settings::DEFAULT_CATEGORY_PROMPT_TIMEOUT,
        };
        let text = templates::render(
            Template::CategoryTimedOut.default_text(),
            &Placeholders {
                guild: Some(&guild_name),
                timeout: Some(&duration::format(waited)),
                ..Placeholders::default()
            },
        );
        if let Err(e) = self.discord.edit_message(dm_channel, message, &OutgoingMessage::text(text)).await {
            tracing::warn!(error = %e, "could not take the buttons off a timed-out category prompt");
        }
    }
}

/// The prompt: buttons for up to five categories, a select menu for more
/// (Discord shows at most 25 options; the guild cannot create more).
pub fn category_prompt(guild_name: &str, timeout: &str, categories: &[ModmailCategory]) -> OutgoingMessage {
    let text = templates::render(
        Template::ChooseCategory.default_text(),
        &Placeholders { guild: Some(guild_name), timeout: Some(timeout), ..Placeholders::default() },
    );
    OutgoingMessage {
        content: Some(text),
        menu: Some(Box::new(ChoiceMenu {
            custom_id: CATEGORY_MENU.to_owned(),
            placeholder: "Choose a team".to_owned(),
            options: categories
                .iter()
                .take(MAX_MENU_OPTIONS)
                .map(|c| ChoiceOption {
                    label: truncate(&c.name, 80),
                    value: c.id.to_string(),
                    description: Some(c.description.clone()).filter(|d| !d.is_empty()),
                    emoji: c.emoji.clone(),
                    ..ChoiceOption::default()
                })
                .collect(),
            buttons: categories.len() <= MAX_BUTTONS,
        })),
        ..OutgoingMessage::default()
    }
}

/// The category a click names: a button's custom id carries it, a select
/// menu's value does.
pub fn chosen_category(custom_id: &str, values: &[String]) -> Option<i64> {
    let rest = custom_id.strip_prefix(CATEGORY_MENU)?;
    match rest.strip_prefix(':') {
        Some(id) => id.parse().ok(),
        None if rest.is_empty() => values.first()?.parse().ok(),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn category(id: i64, name: &str) -> ModmailCategory {
        ModmailCategory {
            id,
            guild: GuildId(1),
            discord_category: ChannelId(2),
            name: name.into(),
            description: String::new(),
            emoji: None,
        }
    }

    #[test]
    fn five_categories_are_buttons_and_six_a_select_menu() {
        let five: Vec<_> = (1..=5).map(|i| category(i, "Team")).collect();
        assert!(category_prompt("Acme", "5m", &five).menu.unwrap().buttons);
        let six: Vec<_> = (1..=6).map(|i| category(i, "Team")).collect();
        let menu = category_prompt("Acme", "5m", &six).menu.unwrap();
        assert!(!menu.buttons);
        assert_eq!(menu.options.len(), 6);
    }

    #[test]
    fn a_click_names_its_category_by_button_or_by_menu_value() {
        assert_eq!(chosen_category("modmail:category:42", &[]), Some(42));
        assert_eq!(chosen_category("modmail:category", &["7".into()]), Some(7));
        assert_eq!(chosen_category("modmail:categoryx", &["7".into()]), None);
        assert_eq!(chosen_category("modmail:choose-guild", &["7".into()]), None);
    }
}
