//! Errors of ticket actions: refusals the person acting must read, and
//! failures of our own infrastructure that they must not.
//!
//! A refusal carries data, never a sentence: what was refused and why, so
//! each transport words it its own way. Discord's wording is the `Display`
//! (`super::refusal_wording`); the HTTP API builds its error from the
//! fields (a taken name is a 409, a missing thing a 404, a bad value a 422
//! on that field, a plan limit a 402).

use super::ports::{ChannelKind, PortError};
use crate::domain::ids::{ChannelId, IdError, UserId};

/// A reason to say no.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotStaff,
    NeedsManageGuild,
    NotATicket,
    ModmailNotSetUp,
    /// A reply with neither text nor files; `prefix` for the example.
    EmptyReply {
        prefix: String,
    },
    /// Another of its kind has this name (names are unique in any case).
    /// `prefix` is set when creating, for the hint on changing the one that
    /// exists.
    NameTaken {
        what: Named,
        name: String,
        prefix: Option<String>,
    },
    /// What was named or numbered is not there (any more).
    NotFound {
        what: Missing,
    },
    /// A value that cannot be used, and why.
    Invalid {
        field: Field,
        problem: Problem,
    },
    /// Values given together (settings, a snippet's name and text), each
    /// bad one with its problem: nothing is stored.
    InvalidFields(Vec<(Field, Problem)>),
    /// The guild has as many as it may have; `premium` when the Premium
    /// plan allows more.
    LimitReached {
        what: Counted,
        limit: usize,
        premium: bool,
    },
    UserUnreachable,
    StaleChoice,
    PanelNotSetUp,
    InboxFull,
    GuildFull,
    BotMissingPermissions,
    Busy,
    UnknownStaffMessage(i32),
    StaffMessageDeleted(i32),
    /// `!edit n` without the new text.
    EmptyEdit {
        number: i32,
        prefix: String,
    },
    /// `!add_reminder` without (or with too long) a text.
    ReminderText {
        prefix: String,
    },
    /// The user's copy of staff message `number` is not on record.
    NoUserCopy {
        number: i32,
    },
    /// The user's copy could not be changed, so nothing was.
    UserCopyUnchanged {
        number: i32,
        change: CopyChange,
        why: CopyTrouble,
    },
    /// A staff reply's file is larger than a bot may upload.
    FileTooLarge {
        file: String,
        size: u64,
    },
    /// Another staff member has taken the ticket.
    TakenBy {
        staff: UserId,
        prefix: String,
    },
    /// Only who took the ticket (or a manager) may release it.
    OnlyTakerReleases {
        staff: UserId,
    },
    /// The user is not a member of the guild.
    NotAMember {
        user: UserId,
    },
    /// The member who opened the ticket cannot be removed from it.
    IsOpener,
    BlockSelf,
    /// The member has open tickets already (at the limit).
    AlreadyOpen {
        channels: Vec<ChannelId>,
    },
    TicketClosed,
    NotOpenerOrStaff,
    /// A "switch server" with nowhere to switch to.
    NothingToSwitchTo,
    /// A modmail category's Discord category is full (50 channels).
    DiscordCategoryFull {
        category: String,
    },
    /// A modmail category's Discord category was deleted.
    DiscordCategoryGone {
        category: String,
        prefix: String,
    },
    /// A required intake question left empty.
    Unanswered {
        question: String,
    },
}

/// What has a name unique in its guild.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    Snippet,
    Category,
    TicketType,
}

impl Named {
    /// Its name in a sentence ("a snippet named …").
    pub const fn noun(self) -> &'static str {
        match self {
            Self::Snippet => "snippet",
            Self::Category => "category",
            Self::TicketType => "ticket type",
        }
    }
}

/// What a guild counts against a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    Snippets,
    Categories,
    TicketTypes,
    /// Of one ticket type.
    Questions,
}

impl Counted {
    /// Their name in a sentence ("the Free plan allows 10 snippets").
    pub const fn noun(self) -> &'static str {
        match self {
            Self::Snippets => "snippets",
            Self::Categories => "modmail categories",
            Self::TicketTypes => "ticket types",
            Self::Questions => "questions",
        }
    }
}

/// What was looked for and not found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// `prefix` for the hint on listing them.
    Snippet {
        name: String,
        prefix: String,
    },
    /// An empty `name`: none was given.
    Category {
        name: String,
        prefix: String,
    },
    /// A category the API named by its id.
    CategoryId {
        id: i64,
    },
    /// A type an admin was changing.
    TicketType,
    /// A type a member picked from the menu.
    PickedTicketType,
    /// Counted from 1.
    Question {
        number: usize,
    },
    Reminder {
        number: i32,
    },
    Setting {
        name: String,
    },
    User {
        user: UserId,
    },
}

/// The value a refusal is about. `api_name` is its name in the HTTP API's
/// bodies; `Display` (in `super::refusal_wording`) how Discord names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    SnippetName,
    SnippetContent,
    CategoryName,
    Description,
    Emoji,
    /// A modmail category's Discord category.
    DiscordCategory,
    TypeName,
    QuestionLabel,
    QuestionStyle,
    QuestionRequired,
    AnswerLength,
    Placeholder,
    BlockReason,
    StaffRole,
    SupportRole,
    /// A command's option (`inbox-category`) or an API field
    /// (`modmail.inbox_category`), by that name.
    Option(String),
    /// A modmail setting, by its name (`prefix`, `close_action`, …).
    Setting(String),
    /// A field of one part of a change that spans several
    /// (`change_guild_settings`): `modmail` or `panel`.
    In(&'static str, Box<Field>),
}

impl Field {
    /// The field's name in the API's bodies.
    pub fn api_name(&self) -> String {
        match self {
            Self::SnippetName | Self::CategoryName | Self::TypeName => "name".into(),
            Self::SnippetContent => "content".into(),
            Self::Description => "description".into(),
            Self::Emoji => "emoji".into(),
            Self::DiscordCategory => "discord_category_id".into(),
            Self::QuestionLabel => "label".into(),
            Self::QuestionStyle => "style".into(),
            Self::QuestionRequired => "required".into(),
            Self::AnswerLength => "max_length".into(),
            Self::Placeholder => "placeholder".into(),
            Self::BlockReason => "reason".into(),
            Self::StaffRole => "staff_role".into(),
            Self::SupportRole => "support_role".into(),
            Self::Option(name) => name.replace('-', "_"),
            Self::Setting(name) => name.clone(),
            Self::In(group, field) => format!("{group}.{}", field.api_name()),
        }
    }
}

/// What is wrong with a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Not `min` to `max` characters long (or not in the field's shape, for
    /// names with rules of their own).
    Length {
        min: usize,
        max: usize,
    },
    /// Not one of the words the field takes.
    NotOneOf {
        given: String,
    },
    NotAnEmoji,
    /// Not in the field's form (an answer length `min-max`).
    Form,
    NotAnId {
        given: String,
        error: IdError,
    },
    /// A channel the bot cannot see, of the kind wanted.
    NotVisible {
        kind: ChannelKind,
    },
    /// Not a channel of this kind in this guild.
    WrongKind {
        kind: ChannelKind,
    },
    /// A role that is @everyone.
    Everyone,
    /// Empty where a value is needed.
    Empty,
    /// Not a delay (`duration::parse` says why).
    NotADuration {
        given: String,
        reset_word: bool,
    },
    /// A number of seconds outside these bounds.
    OutOfRange {
        min: u64,
        max: u64,
    },
    /// Taken by Discord (a prefix starting with `/`).
    Reserved,
    /// `close_action archive` without an archive category.
    NeedsArchiveCategory,
    /// No setting of that name.
    Unknown,
    /// A JSON value of another type than the field takes (serde's words).
    WrongType {
        detail: String,
    },
    /// A delay in seconds that is not a positive whole number of minutes.
    NotWholeMinutes,
    /// A count outside these bounds.
    Count {
        min: i64,
        max: i64,
    },
    /// A setup that lacks one of the fields it needs (none stored yet).
    SetupIncomplete,
}

/// Which change of a user's copy failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyChange {
    Edited,
    Deleted,
    /// Reached before knowing which (opening the user's DM channel).
    Changed,
}

/// Why a user's copy could not be changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyTrouble {
    Gone,
    Unreachable,
    /// Discord's answer, as the port reported it.
    Discord(String),
}

impl std::error::Error for Refusal {}

#[derive(Debug, thiserror::Error)]
pub enum TicketError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("discord: {0}")]
    Discord(#[from] PortError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("redis: {0}")]
    Redis(#[from] crate::redis::RedisError),
}

impl TicketError {
    /// What to tell the person who acted.
    pub fn user_message(&self) -> String {
        match self {
            Self::Refused(refusal) => refusal.to_string(),
            Self::Discord(PortError::MissingPermissions) => Refusal::BotMissingPermissions.to_string(),
            _ => "Something went wrong on our side. Please try again in a moment.".to_owned(),
        }
    }

    /// Whether this is our fault (logged as an error and counted) rather than
    /// an ordinary refusal.
    pub fn is_internal(&self) -> bool {
        !matches!(self, Self::Refused(_))
    }
}

pub type TicketResult<T> = Result<T, TicketError>;

/// Logs and counts a failed action run by a handler, job or timer (`handler`
/// names it); refusals are ordinary and only logged at debug level.
pub fn report(handler: &'static str, error: &TicketError) {
    if error.is_internal() {
        crate::metrics::handler_error(handler);
        tracing::error!(handler, error = %error, "handler failed");
    } else {
        tracing::debug!(handler, error = %error, "request refused");
    }
}
