//! Snippets: saved answers. Staff manage them with `/snippet create|edit|
//! delete|list` (or `!snippet …`, worded in `commands/snippets.rs`) and send
//! one with `!s <name>` or `/snippet send`, which is an ordinary numbered
//! staff reply.

use serde_json::json;

use super::error::{Counted, Field, Missing, Named, Problem, Refusal, TicketResult};
use super::outcome::Outcome;
use super::reply::StaffContext;
use super::TicketService;
use crate::db;
use crate::domain::actor::Actor;
use crate::domain::ids::GuildId;
use crate::domain::settings::GuildSettings;
pub use crate::domain::snippet::Snippet;
use crate::templates::{self, Placeholders};

/// Longest snippet: a staff reply's limit.
pub const CONTENT_MAX: usize = 4000;

impl TicketService {
    /// The guild's snippets, by name (staff only).
    #[tracing::instrument(skip(self, actor))]
    pub async fn list_snippets(&self, guild: GuildId, actor: &Actor) -> TicketResult<Vec<Snippet>> {
        self.snippet_staff(guild, actor).await?;
        Ok(db::snippets::list(&self.db, guild).await?)
    }

    /// Saves a new snippet (staff only; the plan's limit holds) and returns it
    /// as stored.
    #[tracing::instrument(skip(self, actor, content))]
    pub async fn create_snippet(
        &self,
        guild: GuildId,
        actor: &Actor,
        name: &str,
        content: &str,
    ) -> TicketResult<Snippet> {
        let settings = self.snippet_staff(guild, actor).await?;
        let (name, content) = valid_snippet(name, content)?;
        let limit = db::billing::plan(&self.db, guild).await?.limits().snippets;
        let mut tx = self.db.begin().await?;
        match db::snippets::create(&mut tx, guild, &name, &content, actor.user, limit).await? {
            db::snippets::Created::Yes => {}
            db::snippets::Created::NameTaken => {
                let prefix = Some(settings.command_prefix);
                return Err(Refusal::NameTaken { what: Named::Snippet, name, prefix }.into());
            }
            db::snippets::Created::Full => {
                let premium = limit < crate::domain::plan::Plan::Premium.limits().snippets;
                return Err(Refusal::LimitReached { what: Counted::Snippets, limit, premium }.into());
            }
        }
        self.audit(&mut tx, guild, actor, "snippet.create", &name, json!({ "content": content })).await?;
        tx.commit().await?;
        Ok(Snippet { name, content })
    }

    /// Changes a snippet's text and returns it as stored.
    #[tracing::instrument(skip(self, actor, content))]
    pub async fn edit_snippet(
        &self,
        guild: GuildId,
        actor: &Actor,
        name: &str,
        content: &str,
    ) -> TicketResult<Snippet> {
        let settings = self.snippet_staff(guild, actor).await?;
        let (name, content) = valid_snippet(name, content)?;
        let mut tx = self.db.begin().await?;
        if !db::snippets::update(&mut *tx, guild, &name, &content, actor.user).await? {
            return Err(unknown(&name, &settings.command_prefix).into());
        }
        self.audit(&mut tx, guild, actor, "snippet.update", &name, json!({ "content": content })).await?;
        tx.commit().await?;
        Ok(Snippet { name, content })
    }

    /// Deletes a snippet; returns its name as it was stored.
    #[tracing::instrument(skip(self, actor))]
    pub async fn delete_snippet(&self, guild: GuildId, actor: &Actor, name: &str) -> TicketResult<String> {
        let settings = self.snippet_staff(guild, actor).await?;
        let name = valid_name(name)?;
        let mut tx = self.db.begin().await?;
        if !db::snippets::delete(&mut *tx, guild, &name).await? {
            return Err(unknown(&name, &settings.command_prefix).into());
        }
        self.audit(&mut tx, guild, actor, "snippet.delete", &name, json!({})).await?;
        tx.commit().await?;
        Ok(name)
    }

    /// The guild's settings, once the actor is known to be staff.
    async fn snippet_staff(&self, guild: GuildId, actor: &Actor) -> TicketResult<GuildSettings> {
        let settings = db::settings::get(&self.db, guild).await?;
        if actor.is_staff(&settings) {
            Ok(settings)
        } else {
            Err(Refusal::NotStaff.into())
        }
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
        Err(Refusal::Invalid { field: Field::SnippetName, problem: Problem::Length { min: 1, max: 32 } })
    }
}

/// A name and text as stored, or what is wrong with them (both, when both
/// are).
fn valid_snippet(name: &str, content: &str) -> Result<(String, String), Refusal> {
    match (valid_name(name), valid_content(content)) {
        (Ok(name), Ok(content)) => Ok((name, content)),
        (Err(refusal), Ok(_)) | (Ok(_), Err(refusal)) => Err(refusal),
        (Err(Refusal::Invalid { field, problem }), Err(Refusal::Invalid { field: other, problem: its })) => {
            Err(Refusal::InvalidFields(vec![(field, problem), (other, its)]))
        }
        (Err(refusal), Err(_)) => Err(refusal),
    }
}

/// A snippet text as stored, or what is wrong with it.
pub fn valid_content(content: &str) -> Result<String, Refusal> {
    let content = content.trim();
    if content.is_empty() || content.chars().count() > CONTENT_MAX {
        return Err(Refusal::Invalid {
            field: Field::SnippetContent,
            problem: Problem::Length { min: 1, max: CONTENT_MAX },
        });
    }
    Ok(content.to_owned())
}

fn unknown(name: &str, prefix: &str) -> Refusal {
    Refusal::NotFound { what: Missing::Snippet { name: name.to_owned(), prefix: prefix.to_owned() } }
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
