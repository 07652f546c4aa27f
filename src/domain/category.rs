//! Modmail categories: named routes to Discord categories that a user
//! picks from when the guild's category prompt is on.

use super::ids::{ChannelId, GuildId};

#[derive(Debug, Clone, PartialEq)]
pub struct ModmailCategory {
    pub id: i64,
    pub guild: GuildId,
    pub discord_category: ChannelId,
    pub name: String,
    pub description: String,
    pub emoji: Option<String>,
}

/// The fields staff set.
#[derive(Debug, Clone)]
pub struct CategoryFields {
    pub discord_category: ChannelId,
    pub name: String,
    pub description: String,
    pub emoji: Option<String>,
}
