//! How Discord words the core's refusals (`Display` of `Refusal` and
//! `Field`): the sentences staff and members read, with markdown and the
//! command to type. The HTTP API words them from the same data in
//! `api::v1::refusals`.

use std::fmt::{self, Display, Formatter};

use super::error::{CopyChange, CopyTrouble, Counted, Field, Missing, Named, Problem, Refusal};
use super::modmail::categories::{DESCRIPTION_MAX, NAME_MAX as CATEGORY_NAME_MAX};
use super::modmail::settings::{names, MESSAGE_MAX};
use super::panel::admin::{ANSWER_MAX, LABEL_MAX, NAME_MAX as TYPE_NAME_MAX, PLACEHOLDER_MAX};
use super::ports::UPLOAD_LIMIT;
use super::snippets::CONTENT_MAX;
use super::{duration, timers};
use crate::domain::ids::IdError;

impl Display for Refusal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotStaff => f.write_str("Only staff can do that here."),
            Self::NeedsManageGuild => f.write_str("You need the Manage Server permission to do that."),
            Self::NotATicket => f.write_str("This command only works inside a ticket channel."),
            Self::ModmailNotSetUp => {
                f.write_str("Modmail is not set up in this server yet: an admin can run `/modmail setup`.")
            }
            Self::EmptyReply { prefix } => write!(f, "Write something to send, for example `{prefix}reply Hello!`."),
            Self::NameTaken { what, name, prefix } => name_taken(f, *what, name, prefix.as_deref()),
            Self::NotFound { what } => missing(f, what),
            Self::Invalid { field, problem } => invalid(f, field, problem),
            Self::InvalidFields(problems) => {
                for (i, (field, problem)) in problems.iter().enumerate() {
                    if i > 0 {
                        f.write_str("\n")?;
                    }
                    invalid(f, field, problem)?;
                }
                Ok(())
            }
            Self::LimitReached { what, limit, premium: true } => {
                f.write_str(&crate::domain::plan::needs_premium(what.noun(), *limit))
            }
            Self::LimitReached { what, limit, premium: false } => match what {
                Counted::Snippets => {
                    write!(f, "This server has {limit} snippets, the most Ticketeer keeps. Delete one first.")
                }
                Counted::Categories => write!(
                    f,
                    "This server has {limit} categories, the most a Discord menu can offer. Delete one first."
                ),
                Counted::TicketTypes => write!(
                    f,
                    "This server has {limit} ticket types, the most a Discord menu can offer. Remove one first."
                ),
                Counted::Questions => write!(
                    f,
                    "A ticket type has at most {limit} questions (a Discord form holds 5). Remove one first."
                ),
            },
            Self::UserUnreachable => f.write_str(
                "The user does not accept direct messages from this server's members or the bot, so nothing was delivered.",
            ),
            Self::StaleChoice => {
                f.write_str("That choice is no longer available. Send me a new message to start again.")
            }
            Self::PanelNotSetUp => {
                f.write_str("The ticket menu is not set up in this server: an admin can run `/ticket setup`.")
            }
            Self::InboxFull => f.write_str(
                "The ticket inbox category is full (Discord allows 50 channels per category). Staff need to close or move some tickets.",
            ),
            Self::GuildFull => f.write_str(
                "This server has reached Discord's limit of 500 channels, so no ticket channel can be created.",
            ),
            Self::BotMissingPermissions => f.write_str(
                "I am missing a permission I need in this server (Manage Channels, Manage Roles, View Channel, Send Messages). Ask an admin to check my role.",
            ),
            Self::Busy => {
                f.write_str("Another request for the same ticket is in progress; try again in a few seconds.")
            }
            Self::UnknownStaffMessage(n) => write!(
                f,
                "There is no staff message #{n} in this ticket: the number is in the footer of each reply."
            ),
            Self::StaffMessageDeleted(n) => write!(f, "Staff message #{n} was deleted, so it can't be changed any more."),
            Self::EmptyEdit { number, prefix } => {
                write!(f, "Write the new text, for example `{prefix}edit {number} Corrected text`.")
            }
            Self::ReminderText { prefix } => write!(
                f,
                "Write what to be reminded of (up to {} characters), for example `{prefix}add_reminder 2h Check if the user answered`.",
                thousands(timers::REMINDER_MAX)
            ),
            Self::NoUserCopy { number } => {
                write!(f, "Message #{number} has no copy on record in the user's DMs, so it can't be changed.")
            }
            Self::UserCopyUnchanged { number, change, why } => {
                let done = match change {
                    CopyChange::Edited => "edited",
                    CopyChange::Deleted => "deleted",
                    CopyChange::Changed => "changed",
                };
                let why = match why {
                    CopyTrouble::Gone => "it is no longer in their DMs".to_owned(),
                    CopyTrouble::Unreachable => "the bot can no longer reach their DMs".to_owned(),
                    CopyTrouble::Discord(answer) => format!("Discord answered: {answer}"),
                };
                write!(
                    f,
                    "The user's copy of message #{number} could not be {done} ({why}), so nothing was changed. Try again later."
                )
            }
            Self::FileTooLarge { file, size } => write!(
                f,
                "{file} ({:.1} MB) is larger than the {} MB a bot may upload, so it could not be passed on. Nothing was sent.",
                *size as f64 / 1_048_576.0,
                UPLOAD_LIMIT / 1_048_576
            ),
            Self::TakenBy { staff, prefix } => write!(
                f,
                "<@{staff}> has taken this ticket. They can `{prefix}release` it, or someone with Manage Server can take it over."
            ),
            Self::OnlyTakerReleases { staff } => {
                write!(f, "Only <@{staff}>, who took this ticket, or someone with Manage Server can release it.")
            }
            Self::NotAMember { user } => write!(f, "<@{user}> (id `{user}`) is not a member of this server."),
            Self::IsOpener => f.write_str("That is the member who opened this ticket."),
            Self::BlockSelf => f.write_str("You can't block yourself."),
            Self::AlreadyOpen { channels } => {
                let links: Vec<String> = channels.iter().map(|c| format!("<#{c}>")).collect();
                write!(
                    f,
                    "You already have an open ticket: {}. Please continue there; a new one can open once it is closed.",
                    links.join(", ")
                )
            }
            Self::TicketClosed => f.write_str("This ticket is already closed."),
            Self::NotOpenerOrStaff => f.write_str("Only staff or the member who opened this ticket can close it."),
            Self::NothingToSwitchTo => f.write_str(
                "You have no open ticket and share no server with modmail with me, so there is nothing to switch to.",
            ),
            Self::DiscordCategoryFull { category } => write!(
                f,
                "The Discord category of **{category}** is full (Discord allows 50 channels). Close some of its tickets first."
            ),
            Self::DiscordCategoryGone { category, prefix } => write!(
                f,
                "The Discord category of **{category}** no longer exists: an admin can fix it with `{prefix}category edit`."
            ),
            Self::Unanswered { question } => {
                write!(f, "Please answer “{question}”: pick the ticket type again to fill in the form.")
            }
        }
    }
}

/// How Discord names a field in a sentence ("The {field} must be …").
impl Display for Field {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::DiscordCategory => f.write_str("Discord category"),
            Self::StaffRole => f.write_str("staff role"),
            Self::SupportRole => f.write_str("support role"),
            Self::Option(name) | Self::Setting(name) => f.write_str(name),
            Self::In(_, field) => field.fmt(f),
            other => f.write_str(&other.api_name()),
        }
    }
}

fn name_taken(f: &mut Formatter<'_>, what: Named, name: &str, prefix: Option<&str>) -> fmt::Result {
    match (what, prefix) {
        (Named::Snippet, Some(prefix)) => {
            write!(f, "A snippet `{name}` already exists: change it with `{prefix}snippet edit {name} <text>`.")
        }
        (Named::Snippet, None) => write!(f, "A snippet `{name}` already exists."),
        (Named::Category, Some(prefix)) => {
            write!(f, "A category **{name}** already exists: change it with `{prefix}category edit`.")
        }
        (Named::Category, None) => write!(f, "Another category is already called **{name}**."),
        (Named::TicketType, _) => write!(f, "There is already a ticket type called **{name}**. Pick another name."),
    }
}

fn missing(f: &mut Formatter<'_>, what: &Missing) -> fmt::Result {
    match what {
        Missing::Snippet { name, prefix } => {
            write!(f, "There is no snippet `{name}`: `{prefix}snippet list` shows them.")
        }
        Missing::Category { name, prefix } if name.is_empty() => write!(
            f,
            "Name the category, for example `{prefix}move_thread Billing`. `{prefix}category list` shows them."
        ),
        Missing::Category { name, prefix } => {
            write!(f, "There is no category **{name}**. `{prefix}category list` shows them.")
        }
        Missing::CategoryId { id } => write!(f, "There is no category with id {id}."),
        Missing::TicketType => f.write_str("That ticket type no longer exists. Open `/ticket admin` again."),
        Missing::PickedTicketType => f.write_str("That ticket type no longer exists; pick another one."),
        Missing::Question { number } => write!(f, "There is no question {number} any more."),
        Missing::Reminder { number } => {
            write!(f, "This ticket has no reminder #{number}: the number was shown when the reminder was set.")
        }
        Missing::Setting { name } => write!(
            f,
            "There is no setting `{name}`. The settings are: {}.",
            names().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        ),
        Missing::User { user } => write!(f, "There is no Discord user with id `{user}`."),
    }
}

fn invalid(f: &mut Formatter<'_>, field: &Field, problem: &Problem) -> fmt::Result {
    match (field, problem) {
        (Field::In(_, field), problem) => invalid(f, field, problem),
        (field, Problem::NotVisible { kind: k }) => {
            write!(f, "I can't see the {field} you picked; choose {} I can view.", k.wanted())
        }
        (field, Problem::WrongKind { kind: k }) => write!(f, "The {field} must be {} in this server.", k.wanted()),
        (Field::Setting(name), Problem::Unknown) => missing(f, &Missing::Setting { name: name.clone() }),
        (Field::Setting(name), problem) => write!(f, "Invalid value for `{name}`: {}.", setting_problem(name, problem)),
        (Field::StaffRole, Problem::Everyone) => {
            f.write_str("The staff role can't be @everyone: pick the role your staff have.")
        }
        (Field::SupportRole, Problem::Everyone) => {
            f.write_str("The support role can't be @everyone: pick the role your support team has.")
        }
        (Field::SnippetName, _) => f.write_str(
            "A snippet name has 1 to 32 characters: letters, digits, `_` and `-` (for example `refund-policy`).",
        ),
        (Field::SnippetContent, _) => write!(f, "A snippet's text has 1 to {CONTENT_MAX} characters."),
        (Field::CategoryName, _) => write!(
            f,
            "A category name has 1 to {CATEGORY_NAME_MAX} characters and no `|`, for example `Billing`."
        ),
        (Field::Description, _) => write!(
            f,
            "Keep the description within {DESCRIPTION_MAX} characters (Discord's limit for a menu option)."
        ),
        (Field::Emoji, _) => f.write_str(
            "The emoji must be one emoji, like 💳, or a server emoji like `<:billing:123456789012345678>`.",
        ),
        (Field::DiscordCategory, Problem::NotAnId { given, error }) => {
            let why = match error {
                IdError::NotANumber => String::new(),
                IdError::Zero | IdError::TooLarge => format!(" ({error})"),
            };
            write!(f, "`{given}` is not a Discord category id{why}. Copy the category's id (Developer Mode) and try again.")
        }
        (Field::TypeName, _) => {
            write!(f, "A ticket type's name has 1 to {TYPE_NAME_MAX} characters (it is the form's title).")
        }
        (Field::QuestionLabel, _) => write!(f, "A question has 1 to {LABEL_MAX} characters."),
        (Field::QuestionStyle, Problem::NotOneOf { given }) => {
            write!(f, "The style is `short` or `paragraph`, not `{given}`.")
        }
        (Field::QuestionRequired, Problem::NotOneOf { given }) => {
            write!(f, "Required is `yes` or `no`, not `{given}`.")
        }
        (Field::AnswerLength, _) => write!(
            f,
            "Write the answer's length as `min-max` (for example `10-500`), each from 0 to {ANSWER_MAX}, min not above max."
        ),
        (Field::Placeholder, _) => write!(f, "Keep the placeholder within {PLACEHOLDER_MAX} characters."),
        (Field::BlockReason, _) => f.write_str("Keep the reason within 500 characters."),
        (field, Problem::NotAnId { error, .. }) => write!(f, "The {field} is not a Discord id: {error}."),
        (field, problem) => write!(f, "The {field} {}.", problem_words(problem)),
    }
}

/// A setting's problem, read after "Invalid value for `name`: ".
fn setting_problem(name: &str, problem: &Problem) -> String {
    match (name, problem) {
        ("prefix", Problem::Reserved) => "`/` is taken by Discord's slash commands".into(),
        ("prefix", _) => "use 1 to 5 characters without spaces, for example `!` or `?mm`".into(),
        ("anonymous_label", _) => "use 1 to 64 characters, for example `Staff Team`".into(),
        (_, Problem::Empty) => "write the text, or `default` to use the built-in one".into(),
        (_, Problem::Length { .. }) => format!("keep it within {MESSAGE_MAX} characters"),
        (_, Problem::NotOneOf { .. }) if name == "close_action" => "use `archive` or `delete`".into(),
        (_, Problem::NotOneOf { .. }) => "use `on` or `off`".into(),
        (_, Problem::NotADuration { given, reset_word }) => {
            let why = duration::parse(given).err().unwrap_or_default();
            if *reset_word {
                format!("{why} Or `off` to close at once")
            } else {
                why
            }
        }
        (_, Problem::OutOfRange { min, max }) => {
            format!("use {min} to {max} seconds (or a duration like `5m`)")
        }
        (_, Problem::NotAnId { error: IdError::NotANumber, .. }) => "give a category id or #mention".into(),
        (_, Problem::NotAnId { error, .. }) => format!("give a category id or #mention ({error})"),
        (_, Problem::NeedsArchiveCategory) => {
            "`close_action archive` needs an `archive_category`: set that first (or in the same command)".into()
        }
        (_, problem) => problem_words(problem),
    }
}

/// A problem in plain words, read after the field's name.
fn problem_words(problem: &Problem) -> String {
    match problem {
        Problem::Length { min, max } => format!("has {min} to {max} characters"),
        Problem::NotOneOf { given } => format!("cannot be `{given}`"),
        Problem::NotAnEmoji => "must be one emoji".into(),
        Problem::Form => "is not in the expected form".into(),
        Problem::NotAnId { error, .. } => format!("is not a Discord id: {error}"),
        Problem::NotVisible { kind: k } => format!("must be {} I can view", k.wanted()),
        Problem::WrongKind { kind: k } => format!("must be {} in this server", k.wanted()),
        Problem::Everyone => "can't be @everyone".into(),
        Problem::Empty => "is empty".into(),
        Problem::NotADuration { given, .. } => duration::parse(given).err().unwrap_or_default(),
        Problem::OutOfRange { min, max } => format!("must be {min} to {max}"),
        Problem::Reserved => "is taken by Discord".into(),
        Problem::NeedsArchiveCategory => "needs an `archive_category`".into(),
        Problem::Unknown => "does not exist".into(),
        Problem::WrongType { detail } => format!("is of the wrong type ({detail})"),
        Problem::NotWholeMinutes => "must be a whole number of minutes".into(),
        Problem::Count { min, max } => format!("must be {min} to {max}"),
        Problem::SetupIncomplete => "needs the other fields of its setup too".into(),
    }
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_bad_settings_are_told_one_per_line() {
        let refusal = Refusal::InvalidFields(vec![
            (Field::Setting("prefix".into()), Problem::Reserved),
            (Field::Setting("colour".into()), Problem::Unknown),
        ]);
        let text = refusal.to_string();
        assert!(text.starts_with("Invalid value for `prefix`: `/` is taken"), "{text}");
        assert!(text.contains("\nThere is no setting `colour`"), "{text}");
    }

    #[test]
    fn a_free_limit_names_premium_and_a_hard_one_says_what_to_do() {
        let free = Refusal::LimitReached { what: Counted::Snippets, limit: 10, premium: true }.to_string();
        assert!(free.contains("The Free plan allows 10 snippets; Premium allows more"), "{free}");
        let hard = Refusal::LimitReached { what: Counted::TicketTypes, limit: 25, premium: false }.to_string();
        assert!(hard.contains("Remove one first"), "{hard}");
    }

    #[test]
    fn large_numbers_are_grouped_as_in_prose() {
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(31_536_000), "31,536,000");
    }
}
