//! The ticket menu as a guild configures it: its settings, its ticket
//! types and their intake questions.

use super::ids::{ChannelId, GuildId, MessageId, RoleId};

#[derive(Debug, Clone, PartialEq)]
pub struct PanelSettings {
    pub guild: GuildId,
    pub menu_channel: ChannelId,
    pub category: ChannelId,
    pub log_channel: Option<ChannelId>,
    pub support_role: Option<RoleId>,
    pub menu_message: Option<MessageId>,
    pub max_open_per_member: i32,
}

/// What `/ticket setup` chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelSetup {
    pub menu_channel: ChannelId,
    pub category: ChannelId,
    pub log_channel: Option<ChannelId>,
    pub support_role: Option<RoleId>,
    /// Open tickets a member may have at once; `None` keeps the current
    /// value (1 for a new panel).
    pub max_open_per_member: Option<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionStyle {
    Short,
    Paragraph,
}

impl QuestionStyle {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Short => "short",
            Self::Paragraph => "paragraph",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub label: String,
    pub style: QuestionStyle,
    pub required: bool,
    pub min_length: Option<i32>,
    pub max_length: Option<i32>,
    pub placeholder: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TicketType {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub emoji: Option<String>,
    pub questions: Vec<Question>,
}

/// A type to create: its fields and questions.
#[derive(Debug, Clone)]
pub struct NewType {
    pub name: String,
    pub description: String,
    pub emoji: Option<String>,
    pub questions: Vec<Question>,
}
