//! The ticket menu: an embed in the menu channel listing the guild's ticket
//! types and how many tickets are open, with a select menu to open one.
//! Posted once and edited after; posted again if Discord says it is gone.

use std::time::Duration;

use super::super::error::{Refusal, TicketResult};
use super::super::ports::{ChoiceMenu, ChoiceOption, Embed, EmbedField, OutgoingMessage, PortError};
use super::super::render::truncate;
use super::super::TicketService;
use crate::db;
use crate::domain::ids::{GuildId, MessageId};
use crate::domain::panel::TicketType;
use crate::redis::lock::Lock;

/// Custom id of the menu's select; its values are ticket type ids.
pub const TYPE_MENU: &str = "panel:open";
const MENU_COLOR: u32 = 0x5865F2;
const REFRESH_LOCK_TTL: Duration = Duration::from_secs(30);

/// How long a change waits before the menu shows it: every change in this
/// window is shown by one edit (Discord rate limits message edits).
pub const REFRESH_DELAY_MS: f64 = 3000.0;

impl TicketService {
    /// The guild's open tickets changed: the menu is refreshed shortly, once
    /// for every change until then. Kept as a timer in PostgreSQL, so a
    /// process dying in between delays the refresh, never loses it.
    pub async fn menu_changed(&self, guild: GuildId) {
        match db::timers::schedule_menu_refresh(&self.db, guild, REFRESH_DELAY_MS).await {
            Ok(Some((timer, due))) => self.index_timer(timer, due).await,
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, %guild, "could not schedule a ticket menu refresh"),
        }
    }

    /// Brings the guild's menu up to date: edits it, or posts it if it was
    /// never posted or was deleted. One refresh at a time per guild, so two
    /// refreshes never post two menus. `None` if the guild has no menu set up.
    #[tracing::instrument(skip(self))]
    pub async fn refresh_menu(&self, guild: GuildId) -> TicketResult<Option<MessageId>> {
        let key = self.keys.menu_refresh_lock(guild);
        let lock = Lock::acquire(&self.redis, key, REFRESH_LOCK_TTL, REFRESH_LOCK_TTL).await?.ok_or(Refusal::Busy)?;
        let refreshed = self.refresh_menu_locked(guild).await;
        if let Err(e) = lock.release().await {
            tracing::warn!(error = %e, "could not release the menu lock; it will expire");
        }
        refreshed
    }

    async fn refresh_menu_locked(&self, guild: GuildId) -> TicketResult<Option<MessageId>> {
        let Some(settings) = db::panel::settings(&self.db, guild).await? else {
            return Ok(None);
        };
        let types = db::panel::types(&self.db, guild).await?;
        let open = db::panel::open_count(&self.db, guild).await?;
        let menu = render(&types, open);
        if let Some(existing) = settings.menu_message {
            match self.discord.edit_message(settings.menu_channel, existing, &menu).await {
                Ok(()) => return Ok(Some(existing)),
                // Deleted by hand: posted again below.
                Err(PortError::NotFound) => tracing::info!(%guild, "the ticket menu was deleted; posting it again"),
                Err(e) => return Err(e.into()),
            }
        }
        let posted = self.discord.send_message(settings.menu_channel, &menu).await?;
        db::panel::set_menu_message(&self.db, guild, posted).await?;
        Ok(Some(posted))
    }
}

/// The menu message.
pub fn render(types: &[TicketType], open: i64) -> OutgoingMessage {
    let description = if types.is_empty() {
        "No ticket types yet: an admin can add them with `/ticket admin`.".to_owned()
    } else {
        "Pick what you need help with below. A private channel opens for you and the support team.".to_owned()
    };
    let embed = Embed {
        title: Some("🎫 Support tickets".to_owned()),
        description: Some(description),
        color: Some(MENU_COLOR),
        fields: types
            .iter()
            .map(|t| EmbedField {
                name: label(t),
                value: if t.description.is_empty() { "\u{200b}".to_owned() } else { t.description.clone() },
                inline: false,
            })
            .collect(),
        footer: Some(format!("Open tickets: {open}")),
        ..Embed::default()
    };
    let menu = (!types.is_empty()).then(|| {
        Box::new(ChoiceMenu {
            custom_id: TYPE_MENU.to_owned(),
            placeholder: "Open a ticket…".to_owned(),
            options: types
                .iter()
                .map(|t| ChoiceOption {
                    label: truncate(&t.name, 100),
                    value: t.id.to_string(),
                    description: Some(t.description.clone()).filter(|d| !d.is_empty()),
                    emoji: t.emoji.clone(),
                    ..ChoiceOption::default()
                })
                .collect(),
            buttons: false,
        })
    });
    OutgoingMessage { embeds: vec![embed], menu, ..OutgoingMessage::default() }
}

fn label(t: &TicketType) -> String {
    match &t.emoji {
        Some(emoji) => format!("{emoji} {}", t.name),
        None => t.name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_menu_lists_every_type_and_the_open_count() {
        let types: Vec<TicketType> = crate::tickets::panel::defaults::types()
            .into_iter()
            .enumerate()
            .map(|(i, t)| TicketType {
                id: i as i64 + 1,
                name: t.name,
                description: t.description,
                emoji: t.emoji,
                questions: t.questions,
            })
            .collect();
        let menu = render(&types, 7);
        assert_eq!(menu.embeds[0].fields.len(), 3);
        assert_eq!(menu.embeds[0].fields[1].name, "💳 Billing");
        assert_eq!(menu.embeds[0].footer.as_deref(), Some("Open tickets: 7"));
        let select = menu.menu.unwrap();
        assert_eq!(select.options.iter().map(|o| o.value.as_str()).collect::<Vec<_>>(), ["1", "2", "3"]);
        assert!(render(&[], 0).menu.is_none(), "no empty select menu (Discord refuses one)");
    }
}
