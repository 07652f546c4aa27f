//! Errors of ticket actions: refusals the person acting must read, and
//! failures of our own infrastructure that they must not.

use super::ports::PortError;

/// A reason to say no, worded for the person who asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("Only staff can do that here.")]
    NotStaff,
    #[error("You need the Manage Server permission to do that.")]
    NeedsManageGuild,
    #[error("This command only works inside a ticket channel.")]
    NotATicket,
    #[error("Modmail is not set up in this server yet: an admin can run `/modmail setup`.")]
    ModmailNotSetUp,
    #[error("Write something to send, for example `{prefix}reply Hello!`.")]
    EmptyReply { prefix: String },
    #[error("{0}")]
    InvalidInput(String),
    /// The Free plan's limit; the message names the plan that lifts it.
    #[error("{0}")]
    NeedsPremium(String),
    /// Settings refused, each with what is wrong (setting name, message).
    #[error("{}", .0.iter().map(|(_, problem)| problem.as_str()).collect::<Vec<_>>().join("\n"))]
    InvalidSettings(Vec<(String, String)>),
    #[error(
        "The user does not accept direct messages from this server's members or the bot, so nothing was delivered."
    )]
    UserUnreachable,
    #[error("That choice is no longer available. Send me a new message to start again.")]
    StaleChoice,
    #[error("The ticket menu is not set up in this server: an admin can run `/ticket setup`.")]
    PanelNotSetUp,
    #[error("The ticket inbox category is full (Discord allows 50 channels per category). Staff need to close or move some tickets.")]
    InboxFull,
    #[error("This server has reached Discord's limit of 500 channels, so no ticket channel can be created.")]
    GuildFull,
    #[error("I am missing a permission I need in this server (Manage Channels, Manage Roles, View Channel, Send Messages). Ask an admin to check my role.")]
    BotMissingPermissions,
    #[error("Another request for the same ticket is in progress; try again in a few seconds.")]
    Busy,
    #[error("There is no staff message #{0} in this ticket: the number is in the footer of each reply.")]
    UnknownStaffMessage(i32),
    #[error("Staff message #{0} was deleted, so it can't be changed any more.")]
    StaffMessageDeleted(i32),
}

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
