//! Snippets: saved answers. Staff manage them with `/snippet create|edit|
//! delete|list` (or `!snippet …`) and send one with `!s <name>` or
//! `/snippet send`, which is an ordinary numbered staff reply.

use std::fmt::Write as _;

use serde_json::json;

use super::error::{Refusal, TicketResult};
use super::outcome::Outcome;
use super::reply::StaffContext;
use super::TicketService;
use crate::db;
use crate::domain::actor::Actor;
use crate::domain::ids::GuildId;
use crate::templates::{self, Placeholders};

/// Longest snippet: a staff reply's limit.
pub const CONTENT_MAX: usize = 4000;

/// What to do with snippets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnippetAction {
    Create { name: String, content: String },
    Edit { name: String, content: String },
    Delete { name: String },
    List,
}

impl TicketService {
    #[tracing::instrument(skip(self, actor, action))]
    pub async fn manage_snippets(&self, guild: GuildId, actor: &Actor, action: SnippetAction) -> TicketResult<Outcome> {
        let settings = db::settings::get(&self.db, guild).await?;
        if !actor.is_staff(&settings) {
            return Err(Refusal::NotStaff.into());
        }
        let prefix = &settings.command_prefix;
        let text = match action {
            SnippetAction::Create { name, content } => {
                let (name, content) = (valid_name(&name)?, valid_content(&content)?);
                let limit = db::billing::plan(&self.db, guild).await?.limits().snippets;
                let mut tx = self.db.begin().await?;
                match db::snippets::create(&mut tx, guild, &name, &content, actor.user, limit).await? {
                    db::snippets::Created::Yes => {}
                    db::snippets::Created::NameTaken => {
                        return Err(Refusal::InvalidInput(format!(
                            "A snippet `{name}` already exists: change it with `{prefix}snippet edit {name} <text>`."
                        ))
                        .into());
                    }
                    db::snippets::Created::Full if limit < crate::domain::plan::Plan::Premium.limits().snippets => {
                        return Err(Refusal::NeedsPremium(crate::domain::plan::needs_premium("snippets", limit)).into());
                    }
                    db::snippets::Created::Full => {
                        return Err(Refusal::InvalidInput(format!(
                            "This server has {limit} snippets, the most Ticketeer keeps. Delete one first."
                        ))
                        .into());
                    }
                }
                self.audit(&mut tx, guild, actor, "snippet.create", &name, json!({ "content": content })).await?;
                tx.commit().await?;
                format!("Snippet `{name}` saved. Send it in a ticket with `{prefix}s {name}`.")
            }
            SnippetAction::Edit { name, content } => {
                let (name, content) = (valid_name(&name)?, valid_content(&content)?);
                let mut tx = self.db.begin().await?;
                if !db::snippets::update(&mut *tx, guild, &name, &content, actor.user).await? {
                    return Err(unknown(&name, prefix).into());
                }
                self.audit(&mut tx, guild, actor, "snippet.update", &name, json!({ "content": content })).await?;
                tx.commit().await?;
                format!("Snippet `{name}` updated.")
            }
            SnippetAction::Delete { name } => {
                let name = valid_name(&name)?;
                let mut tx = self.db.begin().await?;
                if !db::snippets::delete(&mut *tx, guild, &name).await? {
                    return Err(unknown(&name, prefix).into());
                }
                self.audit(&mut tx, guild, actor, "snippet.delete", &name, json!({})).await?;
                tx.commit().await?;
                format!("Snippet `{name}` deleted.")
            }
            SnippetAction::List => {
                let snippets = db::snippets::list(&self.db, guild).await?;
                if snippets.is_empty() {
                    format!("No snippets yet. Create one with `{prefix}snippet create <name> <text>`.")
                } else {
                    let mut out = format!("**Snippets** ({}):\n", snippets.len());
                    for (i, s) in snippets.iter().enumerate() {
                        let preview: String = s.content.chars().take(60).collect();
                        let line = format!("`{}`: {}\n", s.name, preview.replace('\n', " "));
                        if out.len() + line.len() > 1900 {
                            let _ = write!(out, "… and {} more.", snippets.len() - i);
                            break;
                        }
                        out.push_str(&line);
                    }
                    out
                }
            }
        };
        Ok(Outcome::Notice(text))
    }

    /// `!s <name>`: sends the snippet to the ticket's user as a staff reply
    /// (numbered, editable), with its placeholders filled in.
    #[tracing::instrument(skip(self, ctx), fields(guild = %ctx.guild, channel = %ctx.channel))]
    pub async fn send_snippet(&self, ctx: &StaffContext, name: &str, anonymous: bool) -> TicketResult<Outcome> {
        let (ticket, settings) = self.staff_ticket(ctx).await?;
        let name = valid_name(name)?;
        let snippet = db::snippets::get(&self.db, ctx.guild, &name)
            .await?
            .ok_or_else(|| unknown(&name, &settings.command_prefix))?;
        let guild_name = db::guilds::name(&self.db, ctx.guild).await?.unwrap_or_default();
        let content = templates::render(
            &snippet.content,
            &Placeholders {
                user: Some(&ticket.opener_name),
                guild: Some(&guild_name),
                ticket_number: Some(ticket.number),
                staff: Some(&ctx.actor.name),
                ..Placeholders::default()
            },
        );
        self.reply(ctx, &content, anonymous).await
    }
}

/// A snippet name as stored, or what is wrong with it (the one check, shared by
/// the commands and the API).
pub fn valid_name(name: &str) -> Result<String, Refusal> {
    let name = name.trim().to_lowercase();
    let ok = (1..=32).contains(&name.chars().count())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if ok {
        Ok(name)
    } else {
        Err(Refusal::InvalidInput(
            "A snippet name has 1 to 32 characters: letters, digits, `_` and `-` (for example `refund-policy`).".into(),
        ))
    }
}

/// A snippet text as stored, or what is wrong with it.
pub fn valid_content(content: &str) -> Result<String, Refusal> {
    let content = content.trim();
    if content.is_empty() || content.chars().count() > CONTENT_MAX {
        return Err(Refusal::InvalidInput(format!("A snippet's text has 1 to {CONTENT_MAX} characters.")));
    }
    Ok(content.to_owned())
}

fn unknown(name: &str, prefix: &str) -> Refusal {
    Refusal::InvalidInput(format!("There is no snippet `{name}`: `{prefix}snippet list` shows them."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_names_are_short_lowercase_words() {
        assert_eq!(valid_name(" Refund-Policy ").unwrap(), "refund-policy");
        for bad in ["", "two words", "émoji", &"x".repeat(33)] {
            assert!(valid_name(bad).is_err(), "{bad:?}");
        }
    }
}
