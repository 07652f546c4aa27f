//! A guild's modmail settings and their defaults.

use super::ids::{ChannelId, GuildId, RoleId};

/// A guild's modmail configuration, once `/modmail setup` has run.
#[derive(Debug, Clone)]
pub struct GuildSettings {
    pub guild: GuildId,
    pub command_prefix: String,
    pub modmail_enabled: bool,
    pub inbox_category: Option<ChannelId>,
    pub staff_role: Option<RoleId>,
    pub log_channel: Option<ChannelId>,
    /// Per-guild overrides of the message templates; `None` uses `templates/`.
    pub welcome_message: Option<String>,
    pub close_message: Option<String>,
    /// What anonymous replies show instead of the staff member's name.
    pub anonymous_label: String,
    /// Relay messages as embeds (`true`) or as plain text.
    pub embedded_message: bool,
    /// Quote relayed plain text with `> `.
    pub block_quote: bool,
    pub show_log_on_edit: bool,
    pub show_log_on_delete: bool,
    pub close_action: CloseAction,
    pub archive_category: Option<ChannelId>,
    /// The default delay of `/close`; `None` closes at once.
    pub time_to_close: Option<std::time::Duration>,
    pub close_on_leave: bool,
    pub create_ticket_by_create_channel: bool,
    /// Ask a user who DMs to pick a modmail category first.
    pub category_prompt: bool,
    /// How long the prompt waits before opening the ticket in the inbox.
    pub category_prompt_timeout: std::time::Duration,
}

/// What happens to a ticket's channel when the ticket closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseAction {
    Delete,
    /// Moved to the archive category, read-only for staff.
    Archive,
}

impl CloseAction {
    /// Every action's name, as `as_str` gives it.
    pub const NAMES: &'static [&'static str] = &["delete", "archive"];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Delete => "delete",
            Self::Archive => "archive",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "delete" => Some(Self::Delete),
            "archive" => Some(Self::Archive),
            _ => None,
        }
    }
}

impl GuildSettings {
    /// The settings of a guild that has configured nothing yet.
    pub fn defaults(guild: GuildId) -> Self {
        Self {
            guild,
            command_prefix: DEFAULT_PREFIX.to_owned(),
            modmail_enabled: false,
            inbox_category: None,
            staff_role: None,
            log_channel: None,
            welcome_message: None,
            close_message: None,
            anonymous_label: DEFAULT_ANONYMOUS_LABEL.to_owned(),
            embedded_message: true,
            block_quote: false,
            show_log_on_edit: true,
            show_log_on_delete: true,
            close_action: CloseAction::Delete,
            archive_category: None,
            time_to_close: None,
            close_on_leave: false,
            create_ticket_by_create_channel: false,
            category_prompt: false,
            category_prompt_timeout: DEFAULT_CATEGORY_PROMPT_TIMEOUT,
        }
    }
}

pub const DEFAULT_PREFIX: &str = "!";
/// How long a category prompt waits by default (the column's default too).
pub const DEFAULT_CATEGORY_PROMPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);
pub const DEFAULT_ANONYMOUS_LABEL: &str = "Staff Team";
