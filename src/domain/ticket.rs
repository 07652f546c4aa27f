//! The one ticket model shared by modmail and panel tickets.

use chrono::{DateTime, Utc};

use super::ids::{ChannelId, GuildId, UserId};

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
