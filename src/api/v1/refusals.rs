//! The ticket core's refusals as API errors, built from each refusal's
//! fields (never from the sentence Discord shows): a taken name is a 409, a
//! missing thing a 404, a bad value a 422 naming its field, a limit the
//! Premium plan lifts a 402 (one no plan lifts, Discord's, a 422 naming the
//! full list); any other refusal a 409 saying what stands in the way.
//! Failures of ours stay 500s.

use crate::api::Error;
use crate::domain::ids::IdError;
use crate::tickets::error::{Field, Problem, Refusal, TicketError};

/// `error` of a core action, its fields named as in the request body.
pub fn api_error(error: TicketError) -> Error {
    api_error_in(error, None)
}

/// `error` of a core action whose body fields sit under `group`
/// (`modmail.prefix`).
pub fn api_error_in(error: TicketError, group: Option<&str>) -> Error {
    let refusal = match error {
        TicketError::Refused(refusal) => refusal,
        other => return Error::Internal(other.into()),
    };
    let name = |field: &Field| match group {
        Some(group) => format!("{group}.{}", field.api_name()),
        None => field.api_name(),
    };
    match refusal {
        Refusal::NameTaken { what, name: taken, .. } => {
            Error::Conflict(format!("a {} named {taken} exists", what.noun()).into())
        }
        Refusal::NotFound { .. } => Error::NotFound,
        Refusal::Invalid { field, problem } => Error::unprocessable([(name(&field), problem_text(&field, &problem))]),
        Refusal::InvalidFields(problems) => Error::unprocessable(
            problems.iter().map(|(field, problem)| (name(field), problem_text(field, problem))).collect::<Vec<_>>(),
        ),
        Refusal::LimitReached { what, limit, premium: true } => {
            Error::PlanRequired(crate::domain::plan::needs_premium(what.noun(), limit).into())
        }
        // No plan lifts it (Discord's own limit): a 422 on the list that is full.
        Refusal::LimitReached { what, limit, premium: false } => {
            let list = what.noun().replace(' ', "_");
            Error::unprocessable([(list, format!("at most {limit}: remove one first"))])
        }
        Refusal::NotStaff | Refusal::NeedsManageGuild => {
            Error::Forbidden("the caller may not change this guild's settings".into())
        }
        other => Error::Conflict(conflict(&other).into()),
    }
}

/// A value's problem in plain words, read after the field's name.
pub fn problem_text(field: &Field, problem: &Problem) -> String {
    match (field, problem) {
        (Field::In("modmail", _), Problem::SetupIncomplete) => {
            "setting modmail up needs both inbox_category and staff_role".into()
        }
        (Field::In("panel", _), Problem::SetupIncomplete) => {
            "setting the ticket menu up needs both menu_channel and category".into()
        }
        (Field::In(_, field), problem) => problem_text(field, problem),
        (Field::SnippetName, _) => "must be 1 to 32 characters: letters, digits, _ and -".into(),
        (Field::CategoryName, Problem::Length { min, max }) => {
            format!("must be {min} to {max} characters, without |")
        }
        (Field::Setting(name), Problem::Length { min, max }) if name == "prefix" => {
            format!("must be {min} to {max} characters without spaces")
        }
        (Field::Setting(name), Problem::NotOneOf { .. }) if name == "close_action" => {
            "must be archive or delete".into()
        }
        (Field::Setting(_), Problem::NotOneOf { .. }) => "must be on or off".into(),
        (Field::QuestionStyle, _) => "must be short or paragraph".into(),
        (Field::QuestionRequired, _) => "must be true or false".into(),
        (Field::AnswerLength, _) => format!(
            "min_length and max_length must be 0 to {}, max_length above 0, min_length not above max_length",
            crate::tickets::panel::admin::ANSWER_MAX
        ),
        (_, Problem::Length { min: 0, max }) => format!("must be at most {max} characters"),
        (_, Problem::Length { min, max }) => format!("must be {min} to {max} characters"),
        (_, Problem::NotOneOf { given }) => format!("cannot be {given}"),
        (_, Problem::NotAnEmoji) => "must be one emoji, or a server emoji as <:name:id>".into(),
        (_, Problem::Form) => "is not in the expected form".into(),
        (Field::DiscordCategory, Problem::NotAnId { error, .. }) => id_problem("a category id", *error),
        (Field::Setting(_), Problem::NotAnId { error: IdError::NotANumber, .. }) => {
            "must be a category id (digits) or null".into()
        }
        (Field::Setting(_), Problem::NotAnId { error, .. }) => {
            format!("must be a category id (digits) or null: {error}")
        }
        (_, Problem::NotAnId { error, .. }) => id_problem("an id", *error),
        (_, Problem::NotVisible { kind }) => format!("must be {} the bot can view", kind.wanted()),
        (_, Problem::WrongKind { kind }) => format!("must be {} in this guild", kind.wanted()),
        (_, Problem::Everyone) => "cannot be @everyone".into(),
        (_, Problem::Empty) => "must not be empty".into(),
        (_, Problem::NotADuration { .. }) => {
            "must be a delay such as 30m, 2h, 1d or 1d12h (days d, hours h, minutes m), at most 30 days".into()
        }
        (_, Problem::OutOfRange { min, max }) => format!("must be {min} to {max} seconds"),
        (_, Problem::Reserved) => "cannot start with /, which Discord's slash commands use".into(),
        (_, Problem::NeedsArchiveCategory) => "archive needs an archive_category".into(),
        (_, Problem::Unknown) => "is not a setting".into(),
        (_, Problem::WrongType { detail }) => detail.clone(),
        (_, Problem::Count { min, max }) => format!("must be {min} to {max}"),
        (_, Problem::SetupIncomplete) => "needs the other fields of its setup too".into(),
        (_, Problem::NotWholeMinutes) => {
            "must be a positive whole number of minutes, in seconds (e.g. 3600), or null".into()
        }
    }
}

/// The 422 text for an id field that did not parse: `what` is "a user id",
/// "a category id" or "an id". A number that cannot be an id (0, or too
/// large to store) says why, as it looks like the right shape.
pub fn id_problem(what: &str, error: IdError) -> String {
    match error {
        IdError::NotANumber => format!("must be {what} (digits)"),
        IdError::Zero | IdError::TooLarge => format!("must be {what} (digits): {error}"),
    }
}

/// What stands in the way of a refusal the API answers with a 409.
fn conflict(refusal: &Refusal) -> String {
    match refusal {
        Refusal::ModmailNotSetUp => "modmail is not set up in this guild".into(),
        Refusal::PanelNotSetUp => "the ticket menu is not set up in this guild".into(),
        Refusal::Busy => "another request for the same ticket is in progress; try again in a few seconds".into(),
        Refusal::BlockSelf => "the caller cannot block themselves".into(),
        Refusal::BotMissingPermissions => "the bot lacks a permission it needs in this guild".into(),
        Refusal::TicketClosed => "the ticket is closed".into(),
        Refusal::UserUnreachable => "the user does not accept direct messages from the bot".into(),
        Refusal::NotAMember { user } => format!("user {user} is not a member of this guild"),
        _ => "the guild's current state does not allow this".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tickets::error::{Counted, Named};
    use axum::http::StatusCode;

    fn status(refusal: Refusal) -> StatusCode {
        api_error(TicketError::Refused(refusal)).status()
    }

    #[test]
    fn each_kind_of_refusal_has_its_status() {
        let taken = Refusal::NameTaken { what: Named::Snippet, name: "x".into(), prefix: Some("!".into()) };
        assert_eq!(status(taken), StatusCode::CONFLICT);
        let gone = Refusal::NotFound { what: crate::tickets::error::Missing::TicketType };
        assert_eq!(status(gone), StatusCode::NOT_FOUND);
        let bad = Refusal::Invalid { field: Field::Emoji, problem: Problem::NotAnEmoji };
        assert_eq!(status(bad), StatusCode::UNPROCESSABLE_ENTITY);
        let premium = Refusal::LimitReached { what: Counted::Snippets, limit: 10, premium: true };
        assert_eq!(status(premium), StatusCode::PAYMENT_REQUIRED);
    }

    #[test]
    fn a_bad_value_names_its_field_in_plain_words() {
        let bad = Refusal::Invalid { field: Field::SnippetName, problem: Problem::Length { min: 1, max: 32 } };
        let Error::Unprocessable { errors } = api_error_in(TicketError::Refused(bad), Some("snippet")) else {
            panic!("not a 422")
        };
        let problems = &errors["snippet.name"];
        assert_eq!(problems.len(), 1);
        assert!(!problems[0].contains('`') && !problems[0].contains('*'), "{problems:?}");
    }
}
