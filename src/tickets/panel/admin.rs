//! Managing ticket types without re-running setup (`/ticket admin`): add,
//! edit and remove types; add, edit, remove and reorder their questions.
//! Every change is checked against Discord's limits here, with a message that
//! says what to do, and refreshes the menu.

use super::super::error::{Counted, Field, Missing, Named, Problem, Refusal, TicketResult};
use super::super::TicketService;
use crate::db;
use crate::db::panel::TypeCreated;
use crate::domain::actor::Actor;
use crate::domain::ids::GuildId;
use crate::domain::panel::{NewType, Question, QuestionStyle, TicketType};
use serde_json::json;

/// A select menu holds 25 options.
pub const MAX_TYPES: usize = 25;
/// A modal holds 5 inputs.
pub const MAX_QUESTIONS: usize = 5;
/// A modal's title and an input's label.
pub const NAME_MAX: usize = 45;
pub const LABEL_MAX: usize = 45;
pub const PLACEHOLDER_MAX: usize = 100;
/// A text input's longest answer.
pub const ANSWER_MAX: i32 = 4000;

/// A type's fields as an admin typed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeFields {
    pub name: String,
    pub description: String,
    pub emoji: Option<String>,
}

/// The fields of a type to change; `None` keeps one as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypeChange {
    pub name: Option<String>,
    pub description: Option<String>,
    /// `Some(None)` removes the emoji.
    pub emoji: Option<Option<String>>,
}

impl From<&TypeFields> for TypeChange {
    /// Every field, as the admin form sends them.
    fn from(fields: &TypeFields) -> Self {
        TypeChange {
            name: Some(fields.name.clone()),
            description: Some(fields.description.clone()),
            emoji: Some(fields.emoji.clone()),
        }
    }
}

/// A question's fields as an admin typed them (the form is all text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionFields {
    pub label: String,
    /// `short` or `paragraph`.
    pub style: String,
    /// `yes` or `no`.
    pub required: String,
    /// `min-max`, `-max`, `min-` or empty.
    pub length: String,
    pub placeholder: String,
}

/// What to do to one question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuestionChange {
    Add(QuestionFields),
    Edit(usize, QuestionFields),
    Remove(usize),
    MoveUp(usize),
    MoveDown(usize),
}

impl TicketService {
    /// The guild's types, for the admin panel (Manage Server only).
    pub async fn admin_types(&self, guild: GuildId, actor: &Actor) -> TicketResult<Vec<TicketType>> {
        require_manager(actor)?;
        Ok(db::panel::types(&self.db, guild).await?)
    }

    /// Adds a type at the end of the menu; returns it as stored.
    #[tracing::instrument(skip(self, actor, fields))]
    pub async fn add_ticket_type(
        &self,
        guild: GuildId,
        actor: &Actor,
        fields: &TypeFields,
    ) -> TicketResult<TicketType> {
        require_manager(actor)?;
        db::panel::settings(&self.db, guild).await?.ok_or(Refusal::PanelNotSetUp)?;
        let new = NewType {
            name: valid_type_name(&fields.name)?,
            description: super::super::modmail::categories::valid_description(&fields.description)?,
            emoji: super::super::modmail::categories::valid_emoji(fields.emoji.as_deref())?,
            questions: Vec::new(),
        };
        let limit = db::billing::plan(&self.db, guild).await?.limits().ticket_types.min(MAX_TYPES);
        let mut tx = self.db.begin().await?;
        let id = match db::panel::create_type(&mut tx, guild, &new, limit).await? {
            TypeCreated::Yes(id) => id,
            TypeCreated::NameTaken => return Err(name_taken(&new.name).into()),
            TypeCreated::Full => {
                let premium = limit < MAX_TYPES;
                return Err(Refusal::LimitReached { what: Counted::TicketTypes, limit, premium }.into());
            }
        };
        let target = format!("ticket_type:{id}");
        self.audit(&mut tx, guild, actor, "ticket_type.create", &target, json!({ "name": new.name })).await?;
        tx.commit().await?;
        self.menu_changed(guild).await;
        let NewType { name, description, emoji, questions } = new;
        Ok(TicketType { id, name, description, emoji, questions })
    }

    /// Changes the fields of a type that `change` gives, under the type's
    /// row lock (so a partial change keeps what another admin just set);
    /// returns the type as stored.
    #[tracing::instrument(skip(self, actor, change))]
    pub async fn edit_ticket_type(
        &self,
        guild: GuildId,
        actor: &Actor,
        type_id: i64,
        change: &TypeChange,
    ) -> TicketResult<TicketType> {
        require_manager(actor)?;
        let mut tx = self.db.begin().await?;
        let current = db::panel::type_locked(&mut tx, guild, type_id).await?.ok_or_else(gone)?;
        let name = valid_type_name(change.name.as_deref().unwrap_or(&current.name))?;
        let description = change.description.as_deref().unwrap_or(&current.description);
        let description = super::super::modmail::categories::valid_description(description)?;
        let emoji = change.emoji.as_ref().unwrap_or(&current.emoji).as_deref();
        let emoji = super::super::modmail::categories::valid_emoji(emoji)?;
        match db::panel::update_type(&mut *tx, guild, type_id, &name, &description, emoji.as_deref()).await {
            Ok(true) => {}
            Ok(false) => return Err(gone().into()),
            Err(e) if db::is_unique_violation(&e) => return Err(name_taken(&name).into()),
            Err(e) => return Err(e.into()),
        }
        let target = format!("ticket_type:{type_id}");
        self.audit(&mut tx, guild, actor, "ticket_type.update", &target, json!({ "name": name })).await?;
        tx.commit().await?;
        self.menu_changed(guild).await;
        Ok(TicketType { name, description, emoji, ..current })
    }

    #[tracing::instrument(skip(self, actor))]
    pub async fn remove_ticket_type(&self, guild: GuildId, actor: &Actor, type_id: i64) -> TicketResult<()> {
        require_manager(actor)?;
        let mut tx = self.db.begin().await?;
        if !db::panel::delete_type(&mut *tx, guild, type_id).await? {
            return Err(gone().into());
        }
        self.audit(&mut tx, guild, actor, "ticket_type.delete", &format!("ticket_type:{type_id}"), json!({})).await?;
        tx.commit().await?;
        self.menu_changed(guild).await;
        Ok(())
    }

    /// Changes one question of a type; returns the questions as they are now.
    #[tracing::instrument(skip(self, actor, change))]
    pub async fn change_question(
        &self,
        guild: GuildId,
        actor: &Actor,
        type_id: i64,
        change: QuestionChange,
    ) -> TicketResult<TicketType> {
        require_manager(actor)?;
        let parsed = match &change {
            QuestionChange::Add(fields) | QuestionChange::Edit(_, fields) => Some(parse_question(fields)?),
            _ => None,
        };
        let mut tx = self.db.begin().await?;
        let changed = db::panel::change_questions(&mut tx, guild, type_id, |questions| {
            let count = questions.len();
            let at = |i: usize| {
                if i < count {
                    Ok(i)
                } else {
                    Err(Refusal::NotFound { what: Missing::Question { number: i + 1 } })
                }
            };
            match change {
                QuestionChange::Add(_) => {
                    if count >= MAX_QUESTIONS {
                        let limit = MAX_QUESTIONS;
                        return Err(Refusal::LimitReached { what: Counted::Questions, limit, premium: false });
                    }
                    questions.extend(parsed);
                }
                QuestionChange::Edit(i, _) => {
                    let i = at(i)?;
                    if let Some(q) = parsed {
                        questions[i] = q;
                    }
                }
                QuestionChange::Remove(i) => {
                    questions.remove(at(i)?);
                }
                QuestionChange::MoveUp(i) => {
                    let i = at(i)?;
                    if i > 0 {
                        questions.swap(i, i - 1);
                    }
                }
                QuestionChange::MoveDown(i) => {
                    let i = at(i)?;
                    if i + 1 < count {
                        questions.swap(i, i + 1);
                    }
                }
            }
            Ok(questions.clone())
        })
        .await?;
        let questions = changed.ok_or_else(gone)??;
        let labels: Vec<&str> = questions.iter().map(|q| q.label.as_str()).collect();
        let target = format!("ticket_type:{type_id}");
        self.audit(&mut tx, guild, actor, "ticket_type.questions", &target, json!({ "questions": labels })).await?;
        // Still under the type's row lock: the type as this change left it.
        let stored = db::panel::type_locked(&mut tx, guild, type_id).await?.ok_or_else(gone)?;
        tx.commit().await?;
        self.menu_changed(guild).await;
        Ok(stored)
    }
}

fn require_manager(actor: &Actor) -> Result<(), Refusal> {
    if actor.manage_guild {
        Ok(())
    } else {
        Err(Refusal::NeedsManageGuild)
    }
}

fn gone() -> Refusal {
    Refusal::NotFound { what: Missing::TicketType }
}

fn name_taken(name: &str) -> Refusal {
    Refusal::NameTaken { what: Named::TicketType, name: name.to_owned(), prefix: None }
}

fn valid_type_name(raw: &str) -> Result<String, Refusal> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        return Err(Refusal::Invalid { field: Field::TypeName, problem: Problem::Length { min: 1, max: NAME_MAX } });
    }
    Ok(name.to_owned())
}

/// A question from the form's text fields, or what is wrong with it.
pub fn parse_question(fields: &QuestionFields) -> Result<Question, Refusal> {
    let label = fields.label.trim();
    if label.is_empty() || label.chars().count() > LABEL_MAX {
        return Err(Refusal::Invalid {
            field: Field::QuestionLabel,
            problem: Problem::Length { min: 1, max: LABEL_MAX },
        });
    }
    let style = match fields.style.trim().to_ascii_lowercase().as_str() {
        "" | "short" | "line" => QuestionStyle::Short,
        "paragraph" | "long" => QuestionStyle::Paragraph,
        other => return Err(not_one_of(Field::QuestionStyle, other)),
    };
    let required = match fields.required.trim().to_ascii_lowercase().as_str() {
        "" | "yes" | "y" | "true" | "required" => true,
        "no" | "n" | "false" | "optional" => false,
        other => return Err(not_one_of(Field::QuestionRequired, other)),
    };
    let (min_length, max_length) = parse_lengths(&fields.length)?;
    let placeholder = fields.placeholder.trim();
    if placeholder.chars().count() > PLACEHOLDER_MAX {
        let problem = Problem::Length { min: 0, max: PLACEHOLDER_MAX };
        return Err(Refusal::Invalid { field: Field::Placeholder, problem });
    }
    Ok(Question {
        label: label.to_owned(),
        style,
        required,
        min_length,
        max_length,
        placeholder: Some(placeholder.to_owned()).filter(|p| !p.is_empty()),
    })
}

fn not_one_of(field: Field, given: &str) -> Refusal {
    Refusal::Invalid { field, problem: Problem::NotOneOf { given: given.to_owned() } }
}

/// `10-500`, `-500`, `10-` or empty: the answer's length bounds.
fn parse_lengths(raw: &str) -> Result<(Option<i32>, Option<i32>), Refusal> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok((None, None));
    }
    let bad = || Refusal::Invalid { field: Field::AnswerLength, problem: Problem::Form };
    let (min, max) = raw.split_once('-').ok_or_else(bad)?;
    let number = |s: &str| -> Result<Option<i32>, Refusal> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(None);
        }
        s.parse::<i32>().ok().filter(|n| (0..=ANSWER_MAX).contains(n)).map(Some).ok_or_else(bad)
    };
    let (min, max) = (number(min)?, number(max)?);
    if max == Some(0) || matches!((min, max), (Some(a), Some(b)) if a > b) {
        return Err(bad());
    }
    Ok((min, max))
}

/// A question as the edit form shows it again.
pub fn question_fields(q: &Question) -> QuestionFields {
    let length = match (q.min_length, q.max_length) {
        (None, None) => String::new(),
        (min, max) => format!(
            "{}-{}",
            min.map(|n| n.to_string()).unwrap_or_default(),
            max.map(|n| n.to_string()).unwrap_or_default()
        ),
    };
    QuestionFields {
        label: q.label.clone(),
        style: q.style.as_str().to_owned(),
        required: if q.required { "yes" } else { "no" }.to_owned(),
        length,
        placeholder: q.placeholder.clone().unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(label: &str, style: &str, required: &str, length: &str) -> QuestionFields {
        QuestionFields {
            label: label.into(),
            style: style.into(),
            required: required.into(),
            length: length.into(),
            placeholder: String::new(),
        }
    }

    #[test]
    fn a_question_form_is_read_and_written_back_the_same() {
        let q = parse_question(&fields("Order number", "short", "no", "5-20")).unwrap();
        assert_eq!((q.style, q.required, q.min_length, q.max_length), (QuestionStyle::Short, false, Some(5), Some(20)));
        assert_eq!(parse_question(&question_fields(&q)).unwrap(), q);
        let open = parse_question(&fields("What happened?", "paragraph", "", "-1000")).unwrap();
        assert_eq!((open.required, open.min_length, open.max_length), (true, None, Some(1000)));
    }

    #[test]
    fn bad_question_fields_say_what_to_write() {
        for (f, hint) in [
            (fields("", "short", "yes", ""), "1 to 45"),
            (fields(&"x".repeat(46), "short", "yes", ""), "1 to 45"),
            (fields("Q", "huge", "yes", ""), "`short` or `paragraph`"),
            (fields("Q", "short", "maybe", ""), "`yes` or `no`"),
            (fields("Q", "short", "yes", "50-10"), "min not above max"),
            (fields("Q", "short", "yes", "0-5000"), "min-max"),
            (fields("Q", "short", "yes", "ten"), "min-max"),
        ] {
            let e = parse_question(&f).unwrap_err().to_string();
            assert!(e.contains(hint), "{f:?}: {e}");
        }
    }
}
