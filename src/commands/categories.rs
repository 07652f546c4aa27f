//! `/category create|list|edit|delete|on|off|timeout` and `!category …`: runs
//! the core's category actions and words what they return for the chat.

use std::fmt::Write as _;

use crate::domain::actor::Actor;
use crate::domain::ids::GuildId;
use crate::tickets::duration;
use crate::tickets::modmail::categories::{CategoryChange, CategoryKey, CategoryOverview, NewCategory};
use crate::tickets::{Outcome, TicketResult, TicketService};

/// What to do with the guild's categories. Values are as staff typed them;
/// the core validates them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CategoryAction {
    Create {
        discord_category: String,
        name: String,
        description: String,
        emoji: Option<String>,
    },
    List,
    /// Changes the fields given; `None` keeps a field as it is.
    Edit {
        name: String,
        new_name: Option<String>,
        description: Option<String>,
        emoji: Option<String>,
        discord_category: Option<String>,
    },
    Delete {
        name: String,
    },
    On,
    Off,
    Timeout {
        value: String,
    },
}

/// Runs a category command and answers the actor alone. Listing is for
/// staff; changes need Manage Server (the core checks both).
pub async fn manage(
    tickets: &TicketService,
    guild: GuildId,
    actor: &Actor,
    action: CategoryAction,
) -> TicketResult<Outcome> {
    let text = match action {
        CategoryAction::Create { discord_category, name, description, emoji } => {
            let new = NewCategory { discord_category, name, description, emoji };
            let category = tickets.create_category(guild, actor, &new).await?;
            let mut text = format!(
                "Category **{}** created: its tickets open in <#{}>.",
                category.name, category.discord_category
            );
            if !tickets.list_categories(guild, actor).await?.prompt_on {
                let prefix = tickets.command_prefix(guild).await?;
                let _ = write!(text, " Turn the prompt on with `{prefix}category on`.");
            }
            text
        }
        CategoryAction::List => {
            let overview = tickets.list_categories(guild, actor).await?;
            let prefix = tickets.command_prefix(guild).await?;
            list(&overview, &prefix)
        }
        CategoryAction::Edit { name, new_name, description, emoji, discord_category } => {
            let change = CategoryChange { name: new_name, description, emoji, discord_category };
            let updated = tickets.edit_category(guild, actor, &CategoryKey::Name(name), change).await?;
            format!("Category **{}** updated.", updated.name)
        }
        CategoryAction::Delete { name } => {
            let category = tickets.delete_category(guild, actor, &CategoryKey::Name(name)).await?;
            format!(
                "Category **{}** deleted. Its open tickets stay where they are; its Discord category was not touched.",
                category.name
            )
        }
        CategoryAction::On | CategoryAction::Off => {
            let overview = tickets.turn_category_prompt(guild, actor, action == CategoryAction::On).await?;
            match (overview.prompt_on, overview.categories.len()) {
                (false, _) => "The category prompt is off: new tickets open in the inbox.".to_owned(),
                (true, 0) => {
                    let prefix = tickets.command_prefix(guild).await?;
                    format!(
                        "The category prompt is on, but there are no categories yet: create one with `{prefix}category create`."
                    )
                }
                (true, count) => format!(
                    "The category prompt is on: users pick one of {count} categories before their ticket opens."
                ),
            }
        }
        CategoryAction::Timeout { value } => {
            let overview = tickets.set_category_prompt_timeout(guild, actor, &value).await?;
            format!(
                "Users now have {} to pick a category; then their ticket opens in the inbox.",
                duration::format(overview.prompt_timeout)
            )
        }
    };
    Ok(Outcome::Notice(text))
}

/// The prompt's state, then each category with its emoji, its Discord
/// category and its description.
fn list(overview: &CategoryOverview, prefix: &str) -> String {
    let categories = &overview.categories;
    let mut out = format!(
        "**Modmail categories** ({}): the prompt is **{}**, waiting {} for a choice.\n",
        categories.len(),
        if overview.prompt_on { "on" } else { "off" },
        duration::format(overview.prompt_timeout)
    );
    if categories.is_empty() {
        let _ = write!(
            out,
            "None yet. Create one with `{prefix}category create <discord_category_id> <name> | <description> | <emoji>`."
        );
        return out;
    }
    for c in categories {
        let emoji = c.emoji.as_deref().map(|e| format!("{e} ")).unwrap_or_default();
        let description = if c.description.is_empty() { String::new() } else { format!(": {}", c.description) };
        let _ = writeln!(out, "{emoji}**{}** → <#{}>{description}", c.name, c.discord_category);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::domain::ids::ChannelId;
    use crate::tickets::modmail::categories::ModmailCategory;

    fn overview(categories: Vec<ModmailCategory>) -> CategoryOverview {
        CategoryOverview { categories, prompt_on: true, prompt_timeout: Duration::from_secs(90) }
    }

    #[test]
    fn the_list_shows_the_prompt_then_each_category_with_what_it_has() {
        let billing = ModmailCategory {
            id: 1,
            guild: GuildId(1),
            discord_category: ChannelId(10),
            name: "Billing".into(),
            description: "Payments".into(),
            emoji: Some("💳".into()),
        };
        let bare =
            ModmailCategory { id: 2, name: "Other".into(), description: String::new(), emoji: None, ..billing.clone() };
        let text = list(&overview(vec![billing, bare]), "!");
        assert!(text.starts_with("**Modmail categories** (2): the prompt is **on**, waiting "), "{text}");
        assert!(text.ends_with("\n💳 **Billing** → <#10>: Payments\n**Other** → <#10>\n"), "{text}");
    }

    #[test]
    fn an_empty_list_says_how_to_create_one_with_the_guilds_prefix() {
        let text = list(&overview(Vec::new()), "?");
        assert!(text.contains("`?category create <discord_category_id> "), "{text}");
    }
}
