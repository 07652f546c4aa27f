//! The ticket core: one model and one implementation per action (open, relay,
//! reply, close, …) for modmail and panel tickets alike, called the same way by
//! gateway events, slash and text commands, buttons, timers and the API.
//!
//! It knows no transport: no gateway, no HTTP API, no twilight types. It talks
//! to Discord only through [`ports::DiscordPort`] and to storage through
//! `crate::db` and `crate::redis`.
//!
//! Each action owns its transaction: it opens one (`self.db.begin()`), writes
//! its change, its audit entry ([`TicketService::audit`]) and its ticket event
//! in it, and commits before the Discord calls that depend on the change.
//! Discord calls stay outside, so a transaction never waits on Discord (the
//! exceptions hold a lock that must span them, and say so).

pub mod close;
pub mod duration;
pub mod edit;
pub mod error;
pub mod guild_gate;
pub mod guild_settings;
pub mod modmail;
pub mod open;
pub mod outcome;
pub mod panel;
pub mod ports;
pub mod prefixes;
mod refusal_wording;
pub mod render;
pub mod reply;
pub mod snippets;
pub mod staff;
pub mod timers;
pub mod transcript;

use std::sync::Arc;

use sqlx::PgPool;

use crate::domain::actor::Actor;
use crate::domain::ids::GuildId;
use crate::redis::channel_counts::ChannelCounts;
use crate::redis::held_queue::HeldQueue;
use crate::redis::keys::Keys;
use crate::redis::timer_index::TimerIndex;
use crate::redis::RedisPool;
pub use error::{Refusal, TicketError, TicketResult};
pub use outcome::Outcome;
use ports::DiscordPort;

use crate::db;

/// The ticket core's entry point: cheap to clone, shared by every handler.
#[derive(Clone)]
pub struct TicketService {
    db: PgPool,
    redis: RedisPool,
    keys: Keys,
    discord: Arc<dyn DiscordPort>,
    timer_index: TimerIndex,
    held: HeldQueue,
    channel_counts: ChannelCounts,
    /// Signed transcript links for close DMs, when a secret key is configured.
    transcript_links: Option<transcript::link::TranscriptLinks>,
    /// Messages a transcript keeps at most (memory and page size stay bounded).
    transcript_max_messages: usize,
    /// Openings of one guild holding a database connection at once.
    openings: Arc<guild_gate::GuildGate>,
    /// The wait before retrying a DM whose relay failed transiently (doubled
    /// per failure, see `inbox`).
    inbox_retry: std::time::Duration,
    /// How long a server menu holds a user's DMs before it expires
    /// (`TICKETEER_SERVER_CHOICE_TIMEOUT_SECS`; see `routing`).
    server_choice_timeout: std::time::Duration,
    /// How long a DM must have been failing transiently, besides failing
    /// five times, before it is given up (see `inbox`).
    inbox_give_up_after: std::time::Duration,
    /// Each guild's command prefix, kept while the process listens for
    /// invalidations (see `prefixes`).
    prefixes: Arc<prefixes::PrefixCache>,
}

impl TicketService {
    pub fn new(db: PgPool, redis: RedisPool, keys: Keys, discord: Arc<dyn DiscordPort>) -> Self {
        let timer_index = TimerIndex::new(redis.clone(), keys.timer_index());
        let held = HeldQueue::new(redis.clone(), keys.clone());
        let channel_counts = ChannelCounts::new(redis.clone(), keys.clone());
        Self {
            db,
            redis,
            keys,
            discord,
            timer_index,
            held,
            channel_counts,
            transcript_links: None,
            transcript_max_messages: transcript::make::DEFAULT_MAX_MESSAGES,
            openings: Arc::default(),
            inbox_retry: modmail::inbox::DEFAULT_RETRY_WAIT,
            server_choice_timeout: modmail::routing::DEFAULT_SERVER_CHOICE_TIMEOUT,
            inbox_give_up_after: modmail::inbox::DEFAULT_GIVE_UP_AFTER,
            prefixes: Arc::default(),
        }
    }

    /// Transcripts keep at most `max` messages (the first ones, with a note).
    pub fn with_transcript_limit(mut self, max: usize) -> Self {
        self.transcript_max_messages = max.max(1);
        self
    }

    /// The first wait before a DM whose relay failed transiently is retried.
    pub fn with_inbox_retry_wait(mut self, wait: std::time::Duration) -> Self {
        self.inbox_retry = wait;
        self
    }

    /// How long a server menu holds a user's DMs before it expires.
    pub fn with_server_choice_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.server_choice_timeout = timeout;
        self
    }

    /// How long a DM must have been failing transiently before its fifth
    /// failure gives it up (zero: the fifth failure alone does).
    pub fn with_inbox_give_up_after(mut self, window: std::time::Duration) -> Self {
        self.inbox_give_up_after = window;
        self
    }

    /// Close DMs also carry a signed link to the transcript page.
    pub fn with_transcript_links(mut self, links: transcript::link::TranscriptLinks) -> Self {
        self.transcript_links = Some(links);
        self
    }

    pub fn db(&self) -> &PgPool {
        &self.db
    }

    /// Records a change to a guild's configuration in its audit log, for
    /// every entry point alike (commands, buttons, the API), in the
    /// transaction that makes the change: both are kept, or neither.
    pub(crate) async fn audit(
        &self,
        tx: &mut sqlx::PgConnection,
        guild: GuildId,
        actor: &Actor,
        action: &str,
        target: &str,
        changes: serde_json::Value,
    ) -> TicketResult<()> {
        db::audit_log::record(&mut *tx, guild.db(), actor.audit(), action, target, &changes).await?;
        Ok(())
    }
}
