//! Timers: scheduled closes, reminders, category-prompt and server-choice
//! timeouts, and menu refreshes, as the jobs that run them see them.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::ids::{GuildId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerKind {
    Close,
    Reminder,
    CategoryPrompt,
    /// Update a guild's ticket menu (coalesced: one waiting per guild).
    MenuRefresh,
    /// A user's server menu went unanswered (guild 0: the choice is between guilds).
    ServerChoice,
}

impl TimerKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Close => "close",
            Self::Reminder => "reminder",
            Self::CategoryPrompt => "category_prompt",
            Self::MenuRefresh => "menu_refresh",
            Self::ServerChoice => "server_choice",
        }
    }

    /// A kind as stored; the column's CHECK admits only these.
    pub fn parse(value: &str) -> Self {
        match value {
            "close" => Self::Close,
            "reminder" => Self::Reminder,
            "menu_refresh" => Self::MenuRefresh,
            "server_choice" => Self::ServerChoice,
            // The CHECK constraint admits only the five values.
            _ => Self::CategoryPrompt,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Timer {
    pub id: i64,
    pub kind: TimerKind,
    pub guild: GuildId,
    pub ticket_id: Option<i64>,
    pub number: Option<i32>,
    pub created_by: Option<UserId>,
    pub payload: Value,
    pub due_at: DateTime<Utc>,
    /// Runs started, this one included once claimed.
    pub attempts: i32,
}
