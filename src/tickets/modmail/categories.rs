//! Modmail categories: the actions behind `/category create|list|edit|delete|
//! on|off|timeout` (and `!category …`, worded in `commands/categories.rs`) and
//! the API, and `/move_thread` to move a ticket into one. How a DM picks one
//! is in `super::prompt`.

use std::time::Duration;

use serde_json::json;

use super::super::error::{Counted, Field, Missing, Named, Problem, Refusal, TicketResult};
use super::super::outcome::Outcome;
use super::super::ports::{ChannelKind, OutgoingMessage, PortError, MAX_MENU_OPTIONS};
use super::super::reply::StaffContext;
use super::super::TicketService;
use super::setting_specs::{Flag, SettingChange};
use crate::db;
use crate::domain::actor::Actor;
use crate::domain::category::CategoryFields;
pub use crate::domain::category::ModmailCategory;
use crate::domain::ids::{ChannelId, GuildId};
use crate::domain::settings::GuildSettings;

/// A new category's fields as staff typed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCategory {
    /// An id or `<#mention>` of a Discord category of the guild.
    pub discord_category: String,
    pub name: String,
    pub description: String,
    pub emoji: Option<String>,
}

/// Fields to change; `None` keeps one as it is, `none` (or `-`, `off`)
/// clears the description or emoji.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CategoryChange {
    pub name: Option<String>,
    pub description: Option<String>,
    pub emoji: Option<String>,
    pub discord_category: Option<String>,
}

/// Which category: by name (commands) or by id (the API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CategoryKey {
    Name(String),
    Id(i64),
}

impl CategoryKey {
    fn missing(&self, prefix: &str) -> Refusal {
        match self {
            Self::Name(name) => unknown(name, prefix),
            Self::Id(id) => Refusal::NotFound { what: Missing::CategoryId { id: *id } },
        }
    }
}

/// The guild's categories and how the prompt offers them.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryOverview {
    pub categories: Vec<ModmailCategory>,
    /// Whether a new DM is asked to pick a category before its ticket opens.
    pub prompt_on: bool,
    /// How long the prompt waits for a choice; then the ticket opens in the inbox.
    pub prompt_timeout: Duration,
}

/// Discord's limits for what a category becomes: a button label (80), a
/// select option's description (100).
pub const NAME_MAX: usize = 80;
pub const DESCRIPTION_MAX: usize = 100;

impl TicketService {
    /// The guild's categories and how the prompt offers them (staff).
    #[tracing::instrument(skip(self, actor))]
    pub async fn list_categories(&self, guild: GuildId, actor: &Actor) -> TicketResult<CategoryOverview> {
        let settings = db::settings::get(&self.db, guild).await?;
        if !actor.is_staff(&settings) {
            return Err(Refusal::NotStaff.into());
        }
        self.category_overview(guild, &settings).await
    }

    /// Turns the category prompt on or off (Manage Server); returns the
    /// categories and the prompt as they are now.
    #[tracing::instrument(skip(self, actor))]
    pub async fn turn_category_prompt(
        &self,
        guild: GuildId,
        actor: &Actor,
        on: bool,
    ) -> TicketResult<CategoryOverview> {
        self.category_manager(guild, actor).await?;
        let settings = self.change_setting(guild, actor, SettingChange::Flag(Flag::CategoryPrompt, on)).await?;
        self.category_overview(guild, &settings).await
    }

    /// Sets how long the category prompt waits for a choice, given as staff
    /// typed it (Manage Server); returns the categories and the prompt as
    /// they are now.
    #[tracing::instrument(skip(self, actor))]
    pub async fn set_category_prompt_timeout(
        &self,
        guild: GuildId,
        actor: &Actor,
        value: &str,
    ) -> TicketResult<CategoryOverview> {
        self.category_manager(guild, actor).await?;
        let change = SettingChange::parse("category_prompt_timeout", value).map_err(|problem| {
            Refusal::InvalidFields(vec![(Field::Setting("category_prompt_timeout".into()), problem)])
        })?;
        let settings = self.change_setting(guild, actor, change).await?;
        self.category_overview(guild, &settings).await
    }

    async fn category_overview(&self, guild: GuildId, settings: &GuildSettings) -> TicketResult<CategoryOverview> {
        Ok(CategoryOverview {
            categories: db::categories::list(&self.db, guild).await?,
            prompt_on: settings.category_prompt,
            prompt_timeout: settings.category_prompt_timeout,
        })
    }

    /// Creates a category (Manage Server; the plan's limit holds) and returns
    /// it as stored.
    #[tracing::instrument(skip(self, actor, new))]
    pub async fn create_category(
        &self,
        guild: GuildId,
        actor: &Actor,
        new: &NewCategory,
    ) -> TicketResult<ModmailCategory> {
        let settings = self.category_manager(guild, actor).await?;
        let fields = CategoryFields {
            discord_category: self.discord_category(guild, &new.discord_category).await?,
            name: valid_name(&new.name)?,
            description: valid_description(&new.description)?,
            emoji: valid_emoji(new.emoji.as_deref())?,
        };
        let plan = db::billing::plan(&self.db, guild).await?;
        let limit = plan.limits().modmail_categories.min(MAX_MENU_OPTIONS);
        let mut tx = self.db.begin().await?;
        match db::categories::create(&mut tx, guild, &fields, actor.user, limit).await? {
            db::categories::Created::Yes(category) => {
                let target = format!("category:{}", category.id);
                let changes = json!({ "name": category.name });
                self.audit(&mut tx, guild, actor, "category.create", &target, changes).await?;
                tx.commit().await?;
                Ok(category)
            }
            db::categories::Created::NameTaken => {
                let (name, prefix) = (fields.name, Some(settings.command_prefix));
                Err(Refusal::NameTaken { what: Named::Category, name, prefix }.into())
            }
            db::categories::Created::Full => {
                let premium = limit < MAX_MENU_OPTIONS;
                Err(Refusal::LimitReached { what: Counted::Categories, limit, premium }.into())
            }
        }
    }

    /// Changes the fields given of a category and returns it as stored.
    #[tracing::instrument(skip(self, actor, change))]
    pub async fn edit_category(
        &self,
        guild: GuildId,
        actor: &Actor,
        key: &CategoryKey,
        change: CategoryChange,
    ) -> TicketResult<ModmailCategory> {
        let settings = self.category_manager(guild, actor).await?;
        let category = self.category_by(guild, key, &settings.command_prefix).await?;
        let fields = CategoryFields {
            discord_category: match change.discord_category {
                Some(raw) => self.discord_category(guild, &raw).await?,
                None => category.discord_category,
            },
            name: match change.name {
                Some(raw) => valid_name(&raw)?,
                None => category.name.clone(),
            },
            description: match change.description {
                Some(raw) if is_none(&raw) => String::new(),
                Some(raw) => valid_description(&raw)?,
                None => category.description.clone(),
            },
            emoji: match change.emoji {
                Some(raw) if is_none(&raw) => None,
                Some(raw) => valid_emoji(Some(&raw))?,
                None => category.emoji.clone(),
            },
        };
        let mut tx = self.db.begin().await?;
        match db::categories::update(&mut *tx, category.id, &fields).await {
            Ok(Some(updated)) => {
                let target = format!("category:{}", updated.id);
                let changes = json!({ "name": updated.name });
                self.audit(&mut tx, guild, actor, "category.update", &target, changes).await?;
                tx.commit().await?;
                Ok(updated)
            }
            Ok(None) => Err(key.missing(&settings.command_prefix).into()),
            Err(e) if db::is_unique_violation(&e) => {
                Err(Refusal::NameTaken { what: Named::Category, name: fields.name, prefix: None }.into())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes a category (its open tickets stay where they are) and returns
    /// it as it was.
    #[tracing::instrument(skip(self, actor))]
    pub async fn delete_category(
        &self,
        guild: GuildId,
        actor: &Actor,
        key: &CategoryKey,
    ) -> TicketResult<ModmailCategory> {
        let settings = self.category_manager(guild, actor).await?;
        let category = self.category_by(guild, key, &settings.command_prefix).await?;
        let mut tx = self.db.begin().await?;
        db::categories::delete(&mut *tx, category.id).await?;
        let target = format!("category:{}", category.id);
        self.audit(&mut tx, guild, actor, "category.delete", &target, json!({ "name": category.name })).await?;
        tx.commit().await?;
        Ok(category)
    }

    /// The guild's settings, once the actor may change its categories.
    async fn category_manager(&self, guild: GuildId, actor: &Actor) -> TicketResult<GuildSettings> {
        let settings = db::settings::get(&self.db, guild).await?;
        if !actor.is_staff(&settings) {
            return Err(Refusal::NotStaff.into());
        }
        if !actor.manage_guild {
            return Err(Refusal::NeedsManageGuild.into());
        }
        Ok(settings)
    }

    async fn category_by(&self, guild: GuildId, key: &CategoryKey, prefix: &str) -> TicketResult<ModmailCategory> {
        match key {
            CategoryKey::Name(name) => self.category_named(guild, name, prefix).await,
            CategoryKey::Id(id) => db::categories::by_id(&self.db, *id)
                .await?
                .filter(|c| c.guild == guild)
                .ok_or_else(|| key.missing(prefix).into()),
        }
    }

    /// `/move_thread category:<name>`: moves the ticket's channel into the
    /// category's Discord category and syncs its permissions with it (members
    /// added to this ticket keep their access).
    #[tracing::instrument(skip(self, ctx), fields(guild = %ctx.guild, channel = %ctx.channel))]
    pub async fn move_ticket(&self, ctx: &StaffContext, name: &str) -> TicketResult<Outcome> {
        let (ticket, settings) = self.staff_ticket(ctx).await?;
        let category = self.category_named(ctx.guild, name, &settings.command_prefix).await?;
        if db::categories::of_ticket(&self.db, ticket.id).await?.is_some_and(|c| c.id == category.id) {
            return Ok(Outcome::Notice(format!("This ticket is already in **{}**.", category.name)));
        }
        match self.discord.move_ticket_channel(ticket.channel, category.discord_category).await {
            Ok(()) => {}
            Err(PortError::CategoryFull) => return Err(Refusal::DiscordCategoryFull { category: category.name }.into()),
            Err(PortError::NotFound) => {
                let prefix = settings.command_prefix;
                return Err(Refusal::DiscordCategoryGone { category: category.name, prefix }.into());
            }
            Err(e) => return Err(e.into()),
        }
        let mut tx = self.db.begin().await?;
        db::categories::set_for_ticket(&mut *tx, ticket.id, Some(category.id)).await?;
        db::events::record(&mut *tx, ticket.id, "moved", Some(ctx.actor.user), &category.name).await?;
        tx.commit().await?;
        Ok(Outcome::Post(OutgoingMessage::text(format!(
            "📂 Moved to **{}** by {}; the channel's permissions now follow that category.",
            category.name, ctx.actor.name
        ))))
    }

    async fn category_named(&self, guild: GuildId, name: &str, prefix: &str) -> TicketResult<ModmailCategory> {
        let name = name.trim();
        if name.is_empty() {
            // An empty name is worded as "name one".
            return Err(unknown("", prefix).into());
        }
        match db::categories::by_name(&self.db, guild, name).await? {
            Some(category) => Ok(category),
            None => Err(unknown(name, prefix).into()),
        }
    }

    /// A Discord category of this guild, given as an id or a `<#mention>`.
    async fn discord_category(&self, guild: GuildId, raw: &str) -> TicketResult<ChannelId> {
        let id = ChannelId::from_mention(raw).map_err(|error| Refusal::Invalid {
            field: Field::DiscordCategory,
            problem: Problem::NotAnId { given: raw.to_owned(), error },
        })?;
        self.expect_channel(guild, id, ChannelKind::Category, Field::DiscordCategory).await?;
        Ok(id)
    }

    /// Applies one setting through the settings' one validation.
    async fn change_setting(
        &self,
        guild: GuildId,
        actor: &Actor,
        change: SettingChange,
    ) -> TicketResult<GuildSettings> {
        self.change_modmail_settings(guild, actor.audit(), &[change]).await
    }
}

fn unknown(name: &str, prefix: &str) -> Refusal {
    Refusal::NotFound { what: Missing::Category { name: name.to_owned(), prefix: prefix.to_owned() } }
}

fn is_none(value: &str) -> bool {
    matches!(value.trim().to_ascii_lowercase().as_str(), "none" | "-" | "off")
}

fn valid_name(raw: &str) -> Result<String, Refusal> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX || name.contains('|') {
        return Err(Refusal::Invalid {
            field: Field::CategoryName,
            problem: Problem::Length { min: 1, max: NAME_MAX },
        });
    }
    Ok(name.to_owned())
}

/// A description shown under an option of a select menu.
pub(crate) fn valid_description(raw: &str) -> Result<String, Refusal> {
    let description = raw.trim();
    if description.chars().count() > DESCRIPTION_MAX {
        let problem = Problem::Length { min: 0, max: DESCRIPTION_MAX };
        return Err(Refusal::Invalid { field: Field::Description, problem });
    }
    Ok(description.to_owned())
}

/// A unicode emoji (a few code points, no letters or digits) or a custom
/// emoji as Discord writes it, `<:name:id>` or `<a:name:id>`.
pub(crate) fn valid_emoji(raw: Option<&str>) -> Result<Option<String>, Refusal> {
    let Some(emoji) = raw.map(str::trim).filter(|e| !e.is_empty()) else {
        return Ok(None);
    };
    let custom = emoji.strip_prefix('<').and_then(|e| e.strip_suffix('>')).is_some_and(|inner| {
        let inner = inner.strip_prefix('a').unwrap_or(inner);
        let mut parts = inner.split(':');
        matches!(
            (parts.next(), parts.next(), parts.next(), parts.next()),
            (Some(""), Some(name), Some(id), None)
                if !name.is_empty() && name.len() <= 32 && id.parse::<u64>().is_ok()
        )
    });
    let unicode = emoji.chars().count() <= 8
        && !emoji.chars().any(|c| c.is_ascii_alphanumeric() || c.is_whitespace() || c == '<' || c == ':');
    if custom || unicode {
        Ok(Some(emoji.to_owned()))
    } else {
        Err(Refusal::Invalid { field: Field::Emoji, problem: Problem::NotAnEmoji })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_are_unicode_or_discord_custom_ones() {
        assert_eq!(valid_emoji(Some("💳")).unwrap().as_deref(), Some("💳"));
        assert!(valid_emoji(Some("<:billing:123456789012345678>")).is_ok());
        assert!(valid_emoji(Some("<a:spin:123>")).is_ok());
        assert!(valid_emoji(Some(":billing:")).is_err());
        assert!(valid_emoji(Some("billing")).is_err());
        assert!(valid_emoji(Some("<:x:notanid>")).is_err());
        assert_eq!(valid_emoji(Some("  ")).unwrap(), None);
    }

    #[test]
    fn names_fit_a_button_and_keep_the_separator_free() {
        assert_eq!(valid_name("  Billing ").unwrap(), "Billing");
        assert!(valid_name("").is_err());
        assert!(valid_name("a | b").is_err());
        assert!(valid_name(&"x".repeat(81)).is_err());
    }
}
