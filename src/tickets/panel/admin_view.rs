//! What `/ticket admin` shows: the list of types, one type with its
//! questions, one question, and the forms that add or edit them. Every
//! control's custom id starts with [`ADMIN`] and names what it acts on:
//!
//! - `padmin:home`, `padmin:pick` (select: a type), `padmin:add`
//! - `padmin:t:{type}:open|edit|addq|delete`, `padmin:t:{type}:q` (select: a question)
//! - `padmin:q:{type}:{index}:edit|up|down|remove`
//! - forms: `padmin:tf:new`, `padmin:tf:{type}`, `padmin:qf:{type}:new`, `padmin:qf:{type}:{index}`

use std::fmt::Write as _;

use super::super::ports::{ChoiceMenu, ChoiceOption, Embed, Form, FormField, OutgoingMessage};
use super::super::render::truncate;
use super::admin::{question_fields, MAX_QUESTIONS, MAX_TYPES};
use crate::domain::panel::{Question, QuestionStyle, TicketType};

pub const ADMIN: &str = "padmin";
const COLOR: u32 = 0x5865F2;

/// What a pressed control or a submitted form asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminAction {
    Home,
    /// The select of types: the value is the type.
    PickType,
    AddType,
    OpenType(i64),
    EditType(i64),
    AddQuestion(i64),
    DeleteType(i64),
    /// The select of a type's questions: the value is the index.
    PickQuestion(i64),
    EditQuestion(i64, usize),
    MoveUp(i64, usize),
    MoveDown(i64, usize),
    RemoveQuestion(i64, usize),
    /// Forms.
    TypeForm(Option<i64>),
    QuestionForm(i64, Option<usize>),
}

impl AdminAction {
    pub fn parse(custom_id: &str) -> Option<Self> {
        let rest = custom_id.strip_prefix(ADMIN)?.strip_prefix(':')?;
        let parts: Vec<&str> = rest.split(':').collect();
        let num = |s: &str| s.parse::<i64>().ok();
        let idx = |s: &str| s.parse::<usize>().ok();
        Some(match parts.as_slice() {
            ["home"] => Self::Home,
            ["pick"] => Self::PickType,
            ["add"] => Self::AddType,
            ["t", id, "open"] => Self::OpenType(num(id)?),
            ["t", id, "edit"] => Self::EditType(num(id)?),
            ["t", id, "addq"] => Self::AddQuestion(num(id)?),
            ["t", id, "delete"] => Self::DeleteType(num(id)?),
            ["t", id, "q"] => Self::PickQuestion(num(id)?),
            ["q", id, i, "edit"] => Self::EditQuestion(num(id)?, idx(i)?),
            ["q", id, i, "up"] => Self::MoveUp(num(id)?, idx(i)?),
            ["q", id, i, "down"] => Self::MoveDown(num(id)?, idx(i)?),
            ["q", id, i, "remove"] => Self::RemoveQuestion(num(id)?, idx(i)?),
            ["tf", "new"] => Self::TypeForm(None),
            ["tf", id] => Self::TypeForm(Some(num(id)?)),
            ["qf", id, "new"] => Self::QuestionForm(num(id)?, None),
            ["qf", id, i] => Self::QuestionForm(num(id)?, Some(idx(i)?)),
            _ => return None,
        })
    }
}

fn button(label: &str, value: String, danger: bool) -> ChoiceOption {
    ChoiceOption { label: label.to_owned(), value, danger, ..ChoiceOption::default() }
}

fn buttons(options: Vec<ChoiceOption>) -> ChoiceMenu {
    ChoiceMenu { custom_id: ADMIN.to_owned(), placeholder: String::new(), options, buttons: true }
}

/// The list of types, with a note on top (what just happened) if any.
pub fn home(types: &[TicketType], note: Option<&str>) -> OutgoingMessage {
    let mut description = String::new();
    for t in types {
        let emoji = t.emoji.as_deref().map(|e| format!("{e} ")).unwrap_or_default();
        let _ = writeln!(description, "{emoji}**{}** · {} question(s)", t.name, t.questions.len());
    }
    if types.is_empty() {
        description.push_str("No ticket types yet.");
    }
    let embed = Embed {
        title: Some(format!("Ticket types ({}/{MAX_TYPES})", types.len())),
        description: Some(description),
        color: Some(COLOR),
        footer: Some("Pick a type to edit it and its questions, or add one.".into()),
        ..Embed::default()
    };
    let mut more_menus = Vec::new();
    if !types.is_empty() {
        more_menus.push(ChoiceMenu {
            custom_id: format!("{ADMIN}:pick"),
            placeholder: "Manage a ticket type…".into(),
            options: types
                .iter()
                .map(|t| ChoiceOption {
                    label: truncate(&t.name, 100),
                    value: t.id.to_string(),
                    emoji: t.emoji.clone(),
                    ..ChoiceOption::default()
                })
                .collect(),
            buttons: false,
        });
    }
    OutgoingMessage {
        content: note.map(str::to_owned),
        embeds: vec![embed],
        menu: Some(Box::new(buttons(vec![button("Add a type", "add".into(), false)]))),
        more_menus,
        ..OutgoingMessage::default()
    }
}

/// One type with its questions.
pub fn type_view(t: &TicketType, note: Option<&str>) -> OutgoingMessage {
    let mut description =
        format!("{}\n\n", if t.description.is_empty() { "*No description.*" } else { &t.description });
    if t.questions.is_empty() {
        description.push_str("No questions: the ticket opens as soon as the type is picked.");
    }
    for (i, q) in t.questions.iter().enumerate() {
        let _ = writeln!(description, "**{}.** {}", i + 1, question_line(q));
    }
    let embed = Embed {
        title: Some(format!("{}{}", t.emoji.as_deref().map(|e| format!("{e} ")).unwrap_or_default(), t.name)),
        description: Some(description),
        color: Some(COLOR),
        footer: Some(format!("{}/{MAX_QUESTIONS} questions", t.questions.len())),
        ..Embed::default()
    };
    let id = t.id;
    let mut actions = vec![button("Edit type", format!("t:{id}:edit"), false)];
    if t.questions.len() < MAX_QUESTIONS {
        actions.push(button("Add question", format!("t:{id}:addq"), false));
    }
    actions.push(button("Delete type", format!("t:{id}:delete"), true));
    actions.push(button("Back", "home".into(), false));
    let mut more_menus = Vec::new();
    if !t.questions.is_empty() {
        more_menus.push(ChoiceMenu {
            custom_id: format!("{ADMIN}:t:{id}:q"),
            placeholder: "Edit, move or remove a question…".into(),
            options: t
                .questions
                .iter()
                .enumerate()
                .map(|(i, q)| ChoiceOption {
                    label: truncate(&format!("{}. {}", i + 1, q.label), 100),
                    value: i.to_string(),
                    ..ChoiceOption::default()
                })
                .collect(),
            buttons: false,
        });
    }
    OutgoingMessage {
        content: note.map(str::to_owned),
        embeds: vec![embed],
        menu: Some(Box::new(buttons(actions))),
        more_menus,
        ..OutgoingMessage::default()
    }
}

/// One question of a type.
pub fn question_view(t: &TicketType, index: usize) -> OutgoingMessage {
    let Some(q) = t.questions.get(index) else {
        return type_view(t, Some("That question no longer exists."));
    };
    let embed = Embed {
        title: Some(format!("{} · question {}", t.name, index + 1)),
        description: Some(question_line(q)),
        color: Some(COLOR),
        ..Embed::default()
    };
    let id = t.id;
    let mut actions = vec![button("Edit", format!("q:{id}:{index}:edit"), false)];
    if index > 0 {
        actions.push(button("Move up", format!("q:{id}:{index}:up"), false));
    }
    if index + 1 < t.questions.len() {
        actions.push(button("Move down", format!("q:{id}:{index}:down"), false));
    }
    actions.push(button("Remove", format!("q:{id}:{index}:remove"), true));
    actions.push(button("Back", format!("t:{id}:open"), false));
    OutgoingMessage { embeds: vec![embed], menu: Some(Box::new(buttons(actions))), ..OutgoingMessage::default() }
}

fn question_line(q: &Question) -> String {
    let style = if q.style == QuestionStyle::Paragraph { "paragraph" } else { "short" };
    let required = if q.required { "required" } else { "optional" };
    let length = match (q.min_length, q.max_length) {
        (None, None) => String::new(),
        (min, max) => {
            format!(", {}–{} characters", min.unwrap_or(0), max.map_or_else(|| "4000".to_owned(), |m| m.to_string()))
        }
    };
    format!("{} ({style}, {required}{length})", q.label)
}

fn field(custom_id: &str, label: &str, max: u16, required: bool, value: Option<String>, hint: &str) -> FormField {
    FormField {
        custom_id: custom_id.to_owned(),
        label: label.to_owned(),
        long: false,
        required,
        min_length: None,
        max_length: Some(max),
        placeholder: Some(hint.to_owned()),
        value,
    }
}

/// Adding (`None`) or editing a type.
pub fn type_form(existing: Option<&TicketType>) -> Form {
    Form {
        custom_id: format!("{ADMIN}:tf:{}", existing.map_or_else(|| "new".to_owned(), |t| t.id.to_string())),
        title: if existing.is_some() { "Edit the ticket type" } else { "Add a ticket type" }.to_owned(),
        fields: vec![
            field("name", "Name", 45, true, existing.map(|t| t.name.clone()), "For example: Partnerships"),
            field(
                "description",
                "Description",
                100,
                false,
                existing.map(|t| t.description.clone()),
                "Shown in the menu",
            ),
            field("emoji", "Emoji", 64, false, existing.and_then(|t| t.emoji.clone()), "One emoji, like 🤝"),
        ],
    }
}

/// Adding (`index: None`) or editing a question.
pub fn question_form(type_id: i64, index: Option<usize>, existing: Option<&Question>) -> Form {
    let values = existing.map(question_fields);
    let value = |f: fn(&super::admin::QuestionFields) -> String| values.as_ref().map(f);
    Form {
        custom_id: format!("{ADMIN}:qf:{type_id}:{}", index.map_or_else(|| "new".to_owned(), |i| i.to_string())),
        title: if existing.is_some() { "Edit the question" } else { "Add a question" }.to_owned(),
        fields: vec![
            field("label", "Question", 45, true, value(|q| q.label.clone()), "What members are asked"),
            field("style", "Answer box: short or paragraph", 9, false, value(|q| q.style.clone()), "short"),
            field("required", "Required: yes or no", 3, false, value(|q| q.required.clone()), "yes"),
            field("length", "Answer length: min-max", 9, false, value(|q| q.length.clone()), "for example 10-500"),
            field("placeholder", "Placeholder", 100, false, value(|q| q.placeholder.clone()), "Hint shown in the box"),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_ids_round_trip() {
        assert_eq!(AdminAction::parse("padmin:home"), Some(AdminAction::Home));
        assert_eq!(AdminAction::parse("padmin:t:42:addq"), Some(AdminAction::AddQuestion(42)));
        assert_eq!(AdminAction::parse("padmin:q:42:3:down"), Some(AdminAction::MoveDown(42, 3)));
        assert_eq!(AdminAction::parse("padmin:tf:new"), Some(AdminAction::TypeForm(None)));
        assert_eq!(AdminAction::parse("padmin:qf:42:1"), Some(AdminAction::QuestionForm(42, Some(1))));
        assert_eq!(AdminAction::parse("padmin:t:x:edit"), None);
        assert_eq!(AdminAction::parse("panel:open"), None);
    }
}
