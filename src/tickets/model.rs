//! The one ticket model shared by modmail and panel tickets.

use chrono::{DateTime, Utc};

use super::ids::{ChannelId, GuildId, RoleId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketKind {
    /// Opened by a DM to the bot (or by staff for a user); the user stays in DMs.
    Modmail,
    /// Opened from a guild's ticket menu; the opener sees the channel.
    Panel,
}

impl TicketKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Modmail => "modmail",
            Self::Panel => "panel",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "modmail" => Some(Self::Modmail),
            "panel" => Some(Self::Panel),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketStatus {
    Open,
    Closed,
}

#[derive(Debug, Clone)]
pub struct Ticket {
    /// Internal id (stable across guilds); staff see `number`.
    pub id: i64,
    pub guild: GuildId,
    /// Per-guild, gapless, starting at 1.
    pub number: i32,
    pub kind: TicketKind,
    pub opener: UserId,
    /// The opener's name when the ticket opened.
    pub opener_name: String,
    pub channel: ChannelId,
    pub dm_channel: Option<ChannelId>,
    pub status: TicketStatus,
    pub opened_at: DateTime<Utc>,
    /// The staff member who took the ticket (`/take`).
    pub assigned_to: Option<UserId>,
}

impl Ticket {
    pub fn is_open(&self) -> bool {
        self.status == TicketStatus::Open
    }
}

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

/// Who is acting, as the transport saw them.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: UserId,
    pub name: String,
    pub roles: Vec<RoleId>,
    /// The member has Manage Server (or Administrator, or owns the guild).
    pub manage_guild: bool,
    /// The API token acting for `user` (its creator), when one is.
    pub api_token: Option<i64>,
}

impl Actor {
    /// How the audit log names this person.
    pub fn audit(&self) -> crate::db::audit_log::AuditActor {
        crate::db::audit_log::AuditActor { user_id: Some(self.user.db()), token_id: self.api_token }
    }

    /// Staff are members with the guild's staff role, or with Manage Server.
    pub fn is_staff(&self, settings: &GuildSettings) -> bool {
        self.manage_guild || settings.staff_role.is_some_and(|role| self.roles.contains(&role))
    }
}
