//! `/snippet create|edit|delete|list` and `!snippet …`: runs the core's
//! snippet actions and words what they return for the chat.

use std::fmt::Write as _;

use crate::domain::actor::Actor;
use crate::domain::ids::GuildId;
use crate::tickets::snippets::Snippet;
use crate::tickets::{Outcome, TicketResult, TicketService};

/// What to do with snippets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnippetAction {
    Create { name: String, content: String },
    Edit { name: String, content: String },
    Delete { name: String },
    List,
}

/// Discord allows 2000 characters a message; the list stops short of it.
const LIST_MAX: usize = 1900;

/// Runs a snippet command and answers the actor alone.
pub async fn manage(
    tickets: &TicketService,
    guild: GuildId,
    actor: &Actor,
    action: SnippetAction,
) -> TicketResult<Outcome> {
    let text = match action {
        SnippetAction::Create { name, content } => {
            let saved = tickets.create_snippet(guild, actor, &name, &content).await?;
            let prefix = tickets.command_prefix(guild).await?;
            format!("Snippet `{0}` saved. Send it in a ticket with `{prefix}s {0}`.", saved.name)
        }
        SnippetAction::Edit { name, content } => {
            let saved = tickets.edit_snippet(guild, actor, &name, &content).await?;
            format!("Snippet `{}` updated.", saved.name)
        }
        SnippetAction::Delete { name } => {
            let name = tickets.delete_snippet(guild, actor, &name).await?;
            format!("Snippet `{name}` deleted.")
        }
        SnippetAction::List => {
            let snippets = tickets.list_snippets(guild, actor).await?;
            if snippets.is_empty() {
                let prefix = tickets.command_prefix(guild).await?;
                format!("No snippets yet. Create one with `{prefix}snippet create <name> <text>`.")
            } else {
                list(&snippets)
            }
        }
    };
    Ok(Outcome::Notice(text))
}

/// Each snippet's name and the start of its text, one a line, within one
/// message.
fn list(snippets: &[Snippet]) -> String {
    let mut out = format!("**Snippets** ({}):\n", snippets.len());
    for (i, s) in snippets.iter().enumerate() {
        let preview: String = s.content.chars().take(60).collect();
        let line = format!("`{}`: {}\n", s.name, preview.replace('\n', " "));
        if out.len() + line.len() > LIST_MAX {
            let _ = write!(out, "… and {} more.", snippets.len() - i);
            break;
        }
        out.push_str(&line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snippet(name: &str, content: &str) -> Snippet {
        Snippet { name: name.to_owned(), content: content.to_owned() }
    }

    #[test]
    fn the_list_previews_each_snippet_on_one_line() {
        let text = list(&[snippet("refund", "We refund\nwithin 14 days."), snippet("hi", "Hello!")]);
        assert_eq!(text, "**Snippets** (2):\n`refund`: We refund within 14 days.\n`hi`: Hello!\n");
    }

    #[test]
    fn a_long_list_stops_within_one_message_and_counts_the_rest() {
        let snippets: Vec<Snippet> = (0..100).map(|i| snippet(&format!("s{i}"), &"x".repeat(200))).collect();
        let text = list(&snippets);
        assert!(text.len() <= 2000, "{} characters", text.len());
        let shown = text.lines().filter(|l| l.starts_with('`')).count();
        assert!(text.ends_with(&format!("… and {} more.", 100 - shown)), "{text}");
    }
}
