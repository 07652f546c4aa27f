//! What the ticket core needs from Discord, described without any Discord
//! client: the adapter in `crate::discord` implements [`DiscordPort`] with
//! twilight-http; the core only ever sees these types.

use async_trait::async_trait;

use crate::domain::ids::{ChannelId, GuildId, MessageId, RoleId, UserId};

/// A private ticket channel to create in a guild.
#[derive(Debug, Clone)]
pub struct TicketChannelSpec {
    pub guild: GuildId,
    /// The category the channel goes into.
    pub parent: ChannelId,
    pub name: String,
    pub topic: String,
    /// Staff who may see and write in the channel (a panel without a support
    /// role has none: Manage Server sees every channel anyway).
    pub staff_role: Option<RoleId>,
    /// Members (besides staff and the bot) who may see the channel: the opener
    /// of a panel ticket; nobody for modmail, where the user stays in DMs.
    pub members: Vec<UserId>,
}

/// A closed ticket's channel to archive.
#[derive(Debug, Clone)]
pub struct ArchiveSpec {
    pub guild: GuildId,
    pub channel: ChannelId,
    /// The archive category; `None` leaves the channel where it is.
    pub parent: Option<ChannelId>,
    /// Staff keep read access; nobody can write any more.
    pub staff_role: RoleId,
}

/// A message to send, in the core's words.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutgoingMessage {
    pub content: Option<String>,
    pub embeds: Vec<Embed>,
    pub menu: Option<Box<ChoiceMenu>>,
    /// Further rows of buttons or selects, below `menu` (Discord allows 5 rows).
    pub more_menus: Vec<ChoiceMenu>,
    /// Deduplicates the send at Discord (`nonce` + `enforce_nonce`): a retry with
    /// the same nonce within a few minutes returns the first message instead of
    /// posting a second one.
    pub nonce: Option<u64>,
    /// Roles this message may ping. Everything else (`@everyone`, `@here`, other
    /// roles, users) is never pinged, whatever the text says.
    pub ping_roles: Vec<RoleId>,
    /// Users this message may ping (a reminder's staff member, an alert).
    pub ping_users: Vec<UserId>,
    /// Answer to this message (Discord's message reference).
    pub reply_to: Option<MessageId>,
    /// Files to upload with the message, fetched from where they are now (the
    /// other side's attachment): re-uploaded, never linked. Each must be at
    /// most [`UPLOAD_LIMIT`].
    pub files: Vec<crate::domain::dm::Attachment>,
    /// Files made here (a transcript), uploaded with the message after `files`.
    pub uploads: Vec<Upload>,
}

/// A file to upload that we made ourselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// Channels a Discord category holds at most.
pub const CATEGORY_LIMIT: usize = 50;

/// The largest file a bot may upload to a channel without boosts (10 MiB).
pub const UPLOAD_LIMIT: u64 = 10 * 1024 * 1024;

impl OutgoingMessage {
    pub fn text(content: impl Into<String>) -> Self {
        Self { content: Some(content.into()), ..Self::default() }
    }

    pub fn embed(embed: Embed) -> Self {
        Self { embeds: vec![embed], ..Self::default() }
    }

    pub fn with_nonce(mut self, nonce: u64) -> Self {
        self.nonce = Some(nonce);
        self
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Embed {
    pub author: Option<String>,
    pub author_icon_url: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub color: Option<u32>,
    pub fields: Vec<EmbedField>,
    pub footer: Option<String>,
    /// RFC 3339 timestamp shown by Discord in the footer.
    pub timestamp: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EmbedField {
    pub name: String,
    pub value: String,
    pub inline: bool,
}

/// Asks the reader to pick one option: as a select menu, or as a row of
/// buttons (at most [`MAX_BUTTONS`]; each button's custom id is
/// `{custom_id}:{value}`, since a button carries no value of its own).
#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceMenu {
    pub custom_id: String,
    pub placeholder: String,
    pub options: Vec<ChoiceOption>,
    pub buttons: bool,
}

/// Buttons in one action row (Discord's limit).
pub const MAX_BUTTONS: usize = 5;
/// Options in one select menu (Discord's limit).
pub const MAX_MENU_OPTIONS: usize = 25;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChoiceOption {
    pub label: String,
    pub value: String,
    pub description: Option<String>,
    /// A unicode emoji, or a custom one written `<:name:id>`.
    pub emoji: Option<String>,
    /// Buttons only: shown greyed out, cannot be pressed.
    pub disabled: bool,
    /// Buttons only: red, for what cannot be undone.
    pub danger: bool,
}

/// A form (Discord's modal) to show the person who clicked: a title and up
/// to five text fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    pub custom_id: String,
    pub title: String,
    pub fields: Vec<FormField>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FormField {
    /// Returned with the answer.
    pub custom_id: String,
    pub label: String,
    /// A paragraph box rather than one line.
    pub long: bool,
    pub required: bool,
    pub min_length: Option<u16>,
    pub max_length: Option<u16>,
    pub placeholder: Option<String>,
    /// Filled in already (editing what exists).
    pub value: Option<String>,
}

/// A message read back from a channel (recovery, transcripts).
#[derive(Debug, Clone)]
pub struct FetchedMessage {
    pub id: MessageId,
    pub author: UserId,
    pub author_name: String,
    pub author_is_bot: bool,
    /// The author's avatar picture, if they have one.
    pub author_avatar_url: Option<String>,
    pub content: String,
    pub attachments: Vec<crate::domain::dm::Attachment>,
    pub sent_at: chrono::DateTime<chrono::Utc>,
    pub edited_at: Option<chrono::DateTime<chrono::Utc>>,
    pub embeds: Vec<FetchedEmbed>,
    /// Names of the users the message mentions (for showing `<@id>`).
    pub mentions: Vec<(UserId, String)>,
}

/// What a transcript shows of an embed.
#[derive(Debug, Clone, Default)]
pub struct FetchedEmbed {
    pub title: Option<String>,
    pub description: Option<String>,
    pub fields: Vec<(String, String)>,
    pub footer: Option<String>,
    pub color: Option<u32>,
}

/// Role and channel names by id (for showing mentions).
#[derive(Debug, Clone, Default)]
pub struct KnownNames {
    pub roles: std::collections::HashMap<u64, String>,
    pub channels: std::collections::HashMap<u64, String>,
}

/// Kinds of channel the core cares about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    Category,
    Text,
    Other,
}

impl ChannelKind {
    /// What a setting that wants this kind asks for, with its article.
    pub const fn wanted(self) -> &'static str {
        match self {
            Self::Category => "a category",
            _ => "a text channel",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ChannelInfo {
    pub id: ChannelId,
    pub guild: Option<GuildId>,
    pub kind: ChannelKind,
    pub name: String,
}

/// Why Discord refused or failed a request, in terms the core can act on.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum PortError {
    #[error("the user does not accept direct messages from the bot")]
    CannotMessageUser,
    #[error("the bot lacks a permission it needs")]
    MissingPermissions,
    #[error("the category already holds 50 channels")]
    CategoryFull,
    #[error("the server already has 500 channels")]
    GuildFull,
    #[error("not found (deleted or never existed)")]
    NotFound,
    /// A file to relay could no longer be fetched (an expired or deleted
    /// attachment link): nothing will bring it back.
    #[error("the file {filename} ({size} bytes) could not be fetched")]
    FileUnavailable { filename: String, size: u64 },
    /// Discord refused the request for good (any other 4xx, an answer we
    /// cannot read): the same request will fail the same way.
    #[error("Discord request failed: {0}")]
    Other(String),
    /// Discord could not answer now (5xx, a timeout or a connection error):
    /// the same request may succeed later.
    #[error("Discord is unavailable: {0}")]
    Unavailable(String),
    /// Discord answered 429: the same request may succeed, but not before
    /// `retry_after` has passed. Every retry loop waits at least that long
    /// ([`PortError::retry_after`]); trying sooner is what Discord counts
    /// toward its invalid-request ban.
    #[error("Discord rate limited the request for {retry_after:?}: {detail}")]
    RateLimited { retry_after: std::time::Duration, detail: String },
}

/// What to do about a failed request, decided once per error
/// (`crate::discord::errors`) and acted on everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Record it and move on: repeating the request cannot help.
    Permanent,
    /// Retry with backoff, a bounded number of times.
    Transient,
}

impl ErrorClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Permanent => "permanent",
            ErrorClass::Transient => "transient",
        }
    }
}

impl PortError {
    pub fn class(&self) -> ErrorClass {
        match self {
            PortError::Unavailable(_) | PortError::RateLimited { .. } => ErrorClass::Transient,
            _ => ErrorClass::Permanent,
        }
    }

    pub fn is_transient(&self) -> bool {
        self.class() == ErrorClass::Transient
    }

    /// The least a retry must wait: what a 429 asked for; `None` when the
    /// answer named no wait (the caller's own backoff applies alone).
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            PortError::RateLimited { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }
}

/// Discord, as the ticket core uses it. Every method is one REST request.
#[async_trait]
pub trait DiscordPort: Send + Sync + 'static {
    async fn create_ticket_channel(&self, spec: &TicketChannelSpec) -> Result<ChannelId, PortError>;
    async fn delete_channel(&self, channel: ChannelId) -> Result<(), PortError>;
    /// A category only staff and the bot see (for overflowing tickets).
    async fn create_private_category(
        &self,
        guild: GuildId,
        name: &str,
        staff_role: Option<RoleId>,
    ) -> Result<ChannelId, PortError>;
    /// How many channels the guild has, if this process knows without asking
    /// Discord (its gateway cache); `None` otherwise.
    fn known_channel_count(&self, guild: GuildId) -> Option<usize>;
    /// The guild's role and channel names: from the gateway cache, the
    /// fleet's guild facts in Redis, or (on a miss) Discord; empty if none
    /// answers.
    async fn known_names(&self, guild: GuildId) -> KnownNames;
    async fn channel_info(&self, channel: ChannelId) -> Result<ChannelInfo, PortError>;
    async fn send_message(&self, channel: ChannelId, message: &OutgoingMessage) -> Result<MessageId, PortError>;
    async fn edit_message(&self, channel: ChannelId, message: MessageId, to: &OutgoingMessage)
        -> Result<(), PortError>;
    async fn delete_message(&self, channel: ChannelId, message: MessageId) -> Result<(), PortError>;
    /// The DM channel with a user (created by Discord on first use).
    async fn open_dm(&self, user: UserId) -> Result<ChannelId, PortError>;
    /// Lets a member see and write in a channel (a permission overwrite).
    async fn grant_member(&self, channel: ChannelId, user: UserId) -> Result<(), PortError>;
    /// Removes a member's own overwrite from a channel.
    async fn revoke_member(&self, channel: ChannelId, user: UserId) -> Result<(), PortError>;
    /// Moves a closed ticket's channel to the archive category (or keeps it
    /// where it is, with `parent: None`) and makes it read-only for staff, in
    /// one request.
    async fn archive_channel(&self, archive: &ArchiveSpec) -> Result<(), PortError>;

    /// Moves a ticket's channel into another category and syncs its
    /// permissions with that category's, keeping what makes it a ticket: the
    /// channel stays hidden from `@everyone`, the bot keeps its access, and
    /// members given access to this ticket alone keep it. One PATCH, plus a
    /// read of each channel the cache does not hold.
    async fn move_ticket_channel(&self, channel: ChannelId, parent: ChannelId) -> Result<(), PortError>;

    /// How many channels each of `categories` holds now (0 for one that no
    /// longer exists), read from Discord with one GET of the guild's
    /// channels, not from a cache that may lag a deletion.
    async fn category_sizes(&self, guild: GuildId, categories: &[ChannelId]) -> Result<Vec<usize>, PortError>;
    /// Up to `limit` (≤ 100) messages of a channel sent after `after`, oldest
    /// first.
    async fn messages_after(
        &self,
        channel: ChannelId,
        after: MessageId,
        limit: u16,
    ) -> Result<Vec<FetchedMessage>, PortError>;
    /// A user's display name (global name, else username).
    async fn user_name(&self, user: UserId) -> Result<String, PortError>;
    /// Whether the user is a member of the guild, asked of Discord (for
    /// guilds without modmail, which keep no membership index).
    async fn is_guild_member(&self, guild: GuildId, user: UserId) -> Result<bool, PortError>;
    async fn pin_message(&self, channel: ChannelId, message: MessageId) -> Result<(), PortError>;
}
