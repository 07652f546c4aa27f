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
    pub channel: ChannelId,
    pub dm_channel: Option<ChannelId>,
    pub status: TicketStatus,
    pub opened_at: DateTime<Utc>,
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
        }
    }
}

pub const DEFAULT_PREFIX: &str = "!";

/// Who is acting, as the transport saw them.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: UserId,
    pub name: String,
    pub roles: Vec<RoleId>,
    /// The member has Manage Server (or Administrator, or owns the guild).
    pub manage_guild: bool,
}

impl Actor {
    /// Staff are members with the guild's staff role, or with Manage Server.
    pub fn is_staff(&self, settings: &GuildSettings) -> bool {
        self.manage_guild || settings.staff_role.is_some_and(|role| self.roles.contains(&role))
    }
}
