//! The stand-in's model of Discord: users, guilds, roles, members, channels,
//! messages, commands and interactions, plus the shared server state that
//! REST, gateway and control handlers all reach through one lock.
//!
//! One `parking_lot::Mutex` guards the world *and* the gateway hub, so every
//! state change and the event that announces it happen in one critical
//! section: events reach sessions in exactly the order changes were made.

use crate::gateway::hub::Hub;
use crate::ids::IdGen;
use crate::ratelimit::RateLimiter;
use crate::Config;
use parking_lot::Mutex;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

/// Everything a handler needs; cloned cheaply into every request.
pub type App = Arc<Shared>;

pub struct Shared {
    pub config: Config,
    /// `http://127.0.0.1:PORT`, known once the listener is bound.
    pub base_url: String,
    pub ids: IdGen,
    pub state: Mutex<State>,
    pub ratelimit: Mutex<RateLimiter>,
    pub log: Mutex<Vec<LoggedRequest>>,
    /// Attachment downloads (the CDN's side: no token, no rate limit), kept
    /// apart from the REST log so REST budgets stay what Discord counts.
    pub downloads: Mutex<Vec<LoggedRequest>>,
    pub faults: Mutex<Vec<Fault>>,
    /// Every 429 answered and every request that came before its wait passed.
    pub throttles: Mutex<crate::throttles::Throttles>,
}

impl Shared {
    pub fn ws_url(&self) -> String {
        self.base_url.replacen("http://", "ws://", 1)
    }
    pub fn bot_id(&self) -> u64 {
        self.config.application_id
    }
}

/// The world and the gateway hub, behind one lock.
#[derive(Default)]
pub struct State {
    pub world: World,
    pub hub: Hub,
}

#[derive(Default)]
pub struct World {
    /// The bot user's id (= application id).
    pub bot_id: u64,
    pub users: HashMap<u64, User>,
    pub guilds: BTreeMap<u64, Guild>,
    /// All roles, including each guild's @everyone (id = guild id).
    pub roles: HashMap<u64, Role>,
    pub channels: HashMap<u64, Channel>,
    pub messages: HashMap<u64, Message>,
    /// Message ids per channel, oldest first (deleted ones stay, flagged).
    pub channel_messages: HashMap<u64, Vec<u64>>,
    /// user id → their DM channel with the bot.
    pub dm_channels: HashMap<u64, u64>,
    /// (channel, nonce) → (message, when) for `enforce_nonce`.
    pub nonces: HashMap<(u64, String), (u64, Instant)>,
    pub commands: BTreeMap<u64, Command>,
    pub interactions: HashMap<u64, Interaction>,
    pub interaction_tokens: HashMap<String, u64>,
    /// (user, modal custom_id) → the modal the bot showed that user.
    pub modals: HashMap<(u64, String), OpenModal>,
    pub files: HashMap<u64, StoredFile>,
    /// OAuth2: who is signed in to the stand-in's "browser", and the codes
    /// and user tokens handed out.
    pub oauth: OAuth,
}

/// The stand-in's OAuth2 state (authorization-code grant).
#[derive(Debug, Default)]
pub struct OAuth {
    /// The user `/oauth2/authorize` approves for (set through the control API).
    pub signed_in: Option<u64>,
    /// code → (user, redirect_uri, scope, issued).
    pub codes: HashMap<String, (u64, String, String, Instant)>,
    /// access token → (user, scope, expires).
    pub tokens: HashMap<String, (u64, String, Instant)>,
    /// refresh token → (user, scope).
    pub refresh_tokens: HashMap<String, (u64, String)>,
}

#[derive(Clone, Debug)]
pub struct User {
    pub id: u64,
    pub username: String,
    pub global_name: Option<String>,
    pub avatar: Option<String>,
    pub bot: bool,
    pub dms_closed: bool,
}

#[derive(Clone, Debug)]
pub struct Guild {
    pub id: u64,
    pub name: String,
    pub owner_id: u64,
    /// Role ids in position order; the first is @everyone (= guild id).
    pub roles: Vec<u64>,
    pub members: BTreeMap<u64, Member>,
    /// Channel ids in creation order.
    pub channels: Vec<u64>,
    /// The bot's managed role while the bot is in the guild.
    pub bot_role: Option<u64>,
}

impl Guild {
    pub fn has_member(&self, user_id: u64) -> bool {
        self.members.contains_key(&user_id)
    }
}

#[derive(Clone, Debug)]
pub struct Role {
    pub id: u64,
    pub guild_id: u64,
    pub name: String,
    pub permissions: u64,
    pub position: i64,
    pub color: u32,
    pub hoist: bool,
    pub managed: bool,
    pub mentionable: bool,
    /// For a bot's managed role: `tags.bot_id`.
    pub bot_id: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct Member {
    pub user_id: u64,
    pub roles: Vec<u64>,
    pub nick: Option<String>,
    pub joined_at: String,
}

#[derive(Clone, Debug)]
pub struct Overwrite {
    pub id: u64,
    /// 0 role, 1 member.
    pub kind: u8,
    pub allow: u64,
    pub deny: u64,
}

#[derive(Clone, Debug)]
pub struct Channel {
    pub id: u64,
    /// 0 text, 1 DM, 2 voice, 4 category, 5 announcement, 15 forum.
    pub kind: u8,
    pub guild_id: Option<u64>,
    pub name: Option<String>,
    pub topic: Option<String>,
    pub parent_id: Option<u64>,
    pub position: i64,
    pub nsfw: bool,
    pub rate_limit_per_user: u64,
    pub overwrites: Vec<Overwrite>,
    /// DM channels: the user on the other side.
    pub recipient: Option<u64>,
    pub last_message_id: Option<u64>,
    pub last_pin_timestamp: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Attachment {
    pub id: u64,
    pub filename: String,
    pub content_type: Option<String>,
    pub size: u64,
    pub description: Option<String>,
}

/// Bytes of an uploaded file, served under `/attachments/…`.
#[derive(Clone, Debug)]
pub struct StoredFile {
    pub channel_id: u64,
    pub filename: String,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

#[derive(Clone, Debug)]
pub struct Reaction {
    pub emoji: String,
    pub users: Vec<u64>,
}

#[derive(Clone, Debug)]
pub struct Message {
    pub id: u64,
    pub channel_id: u64,
    pub guild_id: Option<u64>,
    pub author_id: u64,
    pub kind: u8,
    pub content: String,
    pub embeds: Vec<Value>,
    pub components: Vec<Value>,
    pub attachments: Vec<Attachment>,
    pub timestamp: String,
    pub edited_timestamp: Option<String>,
    pub pinned: bool,
    pub pinned_at: Option<String>,
    pub tts: bool,
    pub flags: u64,
    pub mentions: Vec<u64>,
    pub mention_roles: Vec<u64>,
    pub mention_everyone: bool,
    pub nonce: Option<Value>,
    pub message_reference: Option<Value>,
    pub webhook_id: Option<u64>,
    /// The interaction this message answers (type 4/5 responses, follow-ups).
    pub interaction_id: Option<u64>,
    /// Ephemeral interaction responses: recorded, never in the channel.
    pub ephemeral: bool,
    pub deleted: bool,
    /// Earlier versions: (content, embeds, when replaced).
    pub history: Vec<Value>,
    pub reactions: Vec<Reaction>,
}

#[derive(Clone, Debug)]
pub struct Command {
    pub id: u64,
    pub guild_id: Option<u64>,
    pub name: String,
    pub kind: u8,
    /// The command as the bot registered it (options and all).
    pub data: Value,
}

#[derive(Clone, Debug)]
pub struct Interaction {
    pub id: u64,
    pub token: String,
    /// 2 command, 3 component, 4 autocomplete, 5 modal submit.
    pub kind: u8,
    pub user_id: u64,
    pub guild_id: Option<u64>,
    pub channel_id: u64,
    /// The message a component sits on.
    pub message_id: Option<u64>,
    pub acknowledged: bool,
    pub callbacks: Vec<Value>,
    pub followups: Vec<u64>,
    /// The interaction's original response message, once there is one.
    pub original_id: Option<u64>,
    /// Type 6 and 7 responses edit the component's message in place.
    pub deferred_update: bool,
    pub created: Instant,
}

#[derive(Clone, Debug)]
pub struct OpenModal {
    pub interaction_id: u64,
    pub channel_id: u64,
    pub guild_id: Option<u64>,
    pub data: Value,
}

/// One entry of the control API's request log.
#[derive(Clone, Debug, serde::Serialize)]
pub struct LoggedRequest {
    pub method: String,
    pub route: String,
    pub path: String,
    pub status: u16,
    pub at: String,
}

/// An injected REST failure, or a slow answer: for the next `remaining`
/// matching requests, or (a storm) for every matching request until `until`.
#[derive(Clone, Debug)]
pub struct Fault {
    pub method: String,
    /// A route template, or `"*"`: every route (any method), attachment
    /// downloads included.
    pub route: String,
    /// Only requests to this concrete path (`/channels/42/messages`), if set.
    pub path: Option<String>,
    /// Held this long before answering (Discord being slow).
    pub delay_ms: u64,
    /// The failure to answer with; `None`: answered normally after the delay.
    pub status: Option<u16>,
    pub remaining: u32,
    pub retry_after_ms: u64,
    /// "user", "shared" or "global" for 429s.
    pub scope: String,
    /// A storm: the fault holds until then, whatever `remaining` says.
    pub until: Option<Instant>,
    /// A storm's answers, in turn (`status` is the one given this time).
    pub statuses: Vec<u16>,
    /// Requests this fault has answered so far (picks the next of `statuses`).
    pub served: u64,
}

impl Fault {
    /// Whether the fault applies to `method route` on `path` at `now`.
    pub fn matches(&self, method: &str, route: &str, path: &str, now: Instant) -> bool {
        if self.until.is_some_and(|until| now >= until) || (self.until.is_none() && self.remaining == 0) {
            return false;
        }
        let route_ok = self.route == "*" || (self.method == method && self.route == route);
        route_ok && self.path.as_deref().is_none_or(|p| p == path)
    }

    /// Whether it is used up (a count spent, or a storm over).
    pub fn spent(&self, now: Instant) -> bool {
        match self.until {
            Some(until) => now >= until,
            None => self.remaining == 0,
        }
    }
}

impl World {
    pub fn channel(&self, id: u64) -> Option<&Channel> {
        self.channels.get(&id)
    }
    /// The guild a channel belongs to, if it is a guild channel.
    pub fn channel_guild(&self, channel_id: u64) -> Option<u64> {
        self.channels.get(&channel_id).and_then(|c| c.guild_id)
    }
    /// Whether the bot is currently a member of the guild.
    pub fn bot_in(&self, guild_id: u64, bot_id: u64) -> bool {
        self.guilds.get(&guild_id).is_some_and(|g| g.members.contains_key(&bot_id))
    }
    /// Children of a category.
    pub fn children_of(&self, guild_id: u64, parent: u64) -> usize {
        self.guilds.get(&guild_id).map_or(0, |g| {
            g.channels.iter().filter(|c| self.channels.get(c).and_then(|c| c.parent_id) == Some(parent)).count()
        })
    }
}
