//! Every Redis key Ticketeer uses, built in one place so the scheme in
//! docs/ARCHITECTURE.md stays true. Keys are namespaced by the bot's
//! application id (`ticketeer:{app}:…`), so two bots (or two test runs) sharing
//! a Redis never see each other's locks or sessions.

use crate::domain::ids::{GuildId, UserId};

#[derive(Debug, Clone)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    pub fn new(application_id: u64) -> Self {
        Self { prefix: format!("ticketeer:{application_id}") }
    }

    /// Held while one process drains a user's DM inbox, so a user's messages
    /// are relayed by one worker at a time, in order.
    pub fn dm_drain_lock(&self, user: UserId) -> String {
        format!("{}:lock:dm-drain:{user}", self.prefix)
    }

    /// Set by a DM that found its user's drain lock taken: the drain holding
    /// it looks at the inbox again once it is done (a hint only; the inbox
    /// sweeper finishes any drain it misses).
    pub fn dm_drain_again(&self, user: UserId) -> String {
        format!("{}:dm-drain-again:{user}", self.prefix)
    }

    /// Held while a ticket is being opened for a user in a guild: the first
    /// guard against duplicate tickets (the unique index is the final one).
    pub fn ticket_open_lock(&self, guild: GuildId, user: UserId) -> String {
        format!("{}:lock:ticket-open:{guild}:{user}", self.prefix)
    }

    /// Identify pacing: set with a 5 s expiry when a shard of this bucket
    /// (`shard_id % max_concurrency`) identifies, across every cluster.
    pub fn identify_bucket(&self, bucket: u32) -> String {
        format!("{}:identify:{bucket}", self.prefix)
    }

    /// The bot's identifies left today (`session_start_limit.remaining`),
    /// shared by the fleet; expires when Discord resets the count.
    pub fn identify_budget(&self) -> String {
        format!("{}:identify-budget", self.prefix)
    }

    /// A shard's gateway session and resume URL, saved on shutdown so the next
    /// start resumes instead of identifying.
    pub fn shard_session(&self, shard: u32, total: u32) -> String {
        format!("{}:gateway:session:{total}:{shard}", self.prefix)
    }

    /// Held by the process currently sweeping DM inboxes for stragglers.
    pub fn inbox_sweeper_lock(&self) -> String {
        format!("{}:lock:inbox-sweeper", self.prefix)
    }

    /// The sorted set of pending timer ids, scored by due time in milliseconds.
    /// Rebuilt from PostgreSQL's `timers` table.
    pub fn timer_index(&self) -> String {
        format!("{}:timers:due", self.prefix)
    }

    /// Held by the process rebuilding the timer index.
    pub fn timer_reindex_lock(&self) -> String {
        format!("{}:lock:timer-reindex", self.prefix)
    }

    /// Held by the process recovering missed DMs at start-up.
    pub fn recovery_lock(&self) -> String {
        format!("{}:lock:recovery", self.prefix)
    }

    /// The pub/sub channel every writer of what the in-process prefix cache
    /// holds publishes a guild's id to after its commit (`redis/invalidation.rs`).
    pub fn invalidation_channel(&self) -> String {
        format!("{}:invalidate", self.prefix)
    }

    /// Set for 6 hours once staff of a guild were warned it nears 500 channels.
    pub fn guild_full_warning(&self, guild: GuildId) -> String {
        format!("{}:warned:guild-channels:{guild}", self.prefix)
    }

    /// A user's messages held while they pick a guild or a category, in order
    /// (a sorted set; see `crate::redis::held_queue`). Rebuilt from the pending
    /// rows of `inbound_dms` by every drain.
    pub fn held_messages(&self, user: UserId) -> String {
        format!("{}:held:{user}", self.prefix)
    }

    /// The guild's channel count, written by the cluster that owns the guild
    /// (`crate::redis::channel_counts`).
    pub fn guild_channel_count(&self, guild: GuildId) -> String {
        format!("{}:guild-channels:{guild}", self.prefix)
    }

    /// The guild's owner, roles and channels (a hash; `crate::redis::guild_facts`),
    /// written by the cluster owning the guild from its events, refilled over
    /// REST on a miss.
    pub fn guild_facts(&self, guild: GuildId) -> String {
        format!("{}:guild-facts:{guild}", self.prefix)
    }

    /// Held while one process refills a guild's facts over REST, so a burst of
    /// commands costs one refill, not one each.
    pub fn guild_facts_refill_lock(&self, guild: GuildId) -> String {
        format!("{}:lock:guild-facts-refill:{guild}", self.prefix)
    }

    /// Held while one process posts or edits a guild's ticket menu.
    pub fn menu_refresh_lock(&self, guild: GuildId) -> String {
        format!("{}:lock:menu-refresh:{guild}", self.prefix)
    }

    /// Requests of one API caller (a session or a token) in the current
    /// minute; expires with the window.
    pub fn api_rate(&self, caller: &str) -> String {
        format!("{}:api:rate:{caller}", self.prefix)
    }

    /// A user's Discord guilds with their permissions, cached for a minute so
    /// each API request does not ask Discord (`crate::api::auth::guilds`).
    pub fn api_user_guilds(&self, user: UserId) -> String {
        format!("{}:api:user-guilds:{user}", self.prefix)
    }

    /// Whether an API token's creator still manages the guild (`1` or `0`),
    /// cached briefly so each request does not ask Discord
    /// (`crate::api::auth::authority`).
    pub fn api_token_authority(&self, guild: GuildId, user: UserId) -> String {
        format!("{}:api:token-authority:{guild}:{user}", self.prefix)
    }

    /// An OAuth2 `state` the API issued and not yet used, by its SHA-256
    /// (`crate::api::auth::login`): single use, 10 minutes.
    pub fn api_oauth_state(&self, state_hash: &str) -> String {
        format!("{}:api:oauth-state:{state_hash}", self.prefix)
    }

    /// Requests of one client address to one route without a caller in the
    /// current minute (`crate::api::ip_limit`).
    pub fn api_ip_rate(&self, route: &str, address: &str) -> String {
        format!("{}:api:ip-rate:{route}:{address}", self.prefix)
    }

    /// Set once staff of a ticket were told its user cannot get DMs from the
    /// bot (`crate::tickets::modmail::relay`), so they are told once, not per message.
    pub fn user_unreachable_told(&self, ticket: i64) -> String {
        format!("{}:told:user-unreachable:{ticket}", self.prefix)
    }

    /// Set for 30 s when any process sends a full member list request for
    /// the guild (`crate::redis::member_request_slot`): Discord answers one
    /// per guild per 30 s, fleet-wide.
    pub fn member_request_slot(&self, guild: GuildId) -> String {
        format!("{}:member-request:{guild}", self.prefix)
    }

    /// The singleton lease: its holder, one gateway process, runs the jobs
    /// that need to run once in the fleet (`crate::jobs::singleton_lease`).
    pub fn singleton_lease(&self) -> String {
        format!("{}:lock:singleton-lease", self.prefix)
    }

    /// Held while one process purges past-retention records (transcripts,
    /// refused DMs, finished timers, unindexed members), so two lease holders
    /// overlapping for a moment do not both do the same pass.
    pub fn purge_lock(&self, job: &str) -> String {
        format!("{}:lock:purge:{job}", self.prefix)
    }

    /// Invalid requests (401, 403, 429 answers) the whole fleet got from
    /// Discord in one minute (`minute` since the Unix epoch); expires after
    /// the 10-minute window it counts toward (`crate::redis::invalid_requests`).
    pub fn discord_invalid_requests(&self, minute: u64) -> String {
        format!("{}:discord:invalid-requests:{minute}", self.prefix)
    }
}

/// The REST gate's keys (`crate::discord::gate`). Named by a hash of the bot
/// token, not the application id: the gate carries the very first request
/// (`GET /users/@me`, which tells the bot its id), and Discord's budget is
/// per token.
#[derive(Debug, Clone)]
pub struct RestKeys {
    prefix: String,
}

impl RestKeys {
    pub fn new(token: &str) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
        Self { prefix: format!("ticketeer:rest:{}", hex::encode(&digest.as_ref()[..8])) }
    }

    /// The fleet's requests of the last second: a sorted set scored by
    /// Redis's clock in milliseconds.
    pub fn global_window(&self) -> String {
        format!("{}:global", self.prefix)
    }

    /// Set, with the wait as its TTL, after a global 429: nobody sends.
    pub fn global_pause(&self) -> String {
        format!("{}:global-pause", self.prefix)
    }

    /// One route bucket's `remaining` and `reset_at` as Discord's headers
    /// last gave them (`bucket` is route template plus major parameter).
    pub fn bucket(&self, bucket: &str) -> String {
        format!("{}:bucket:{bucket}", self.prefix)
    }
}
