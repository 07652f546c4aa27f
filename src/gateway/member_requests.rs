//! Full member list requests (REQUEST_GUILD_MEMBERS, empty query, no limit)
//! for the membership index, sent over the shard that owns the guild.
//!
//! Discord answers one per guild per 30 s and refuses the rest with a
//! `RATE_LIMITED` dispatch, so a request is sent only after taking the
//! guild's fleet-wide slot (`redis::member_request_slot`); while it is taken
//! the request waits for it (bounded). A refusal anyway (another bot
//! process outside the slot, a clock skew) is retried after its
//! `retry_after`, at most [`MAX_REFUSALS`] times. Each request starts a sync
//! (`db::members::start_sync`) under its nonce, so the chunks reconcile the
//! index when the last one arrives.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng as _;
use tokio_util::sync::CancellationToken;
use twilight_gateway::MessageSender;
use twilight_model::gateway::payload::outgoing::RequestGuildMembers;
use twilight_model::id::Id;

use super::rate_limited::RefusedMemberRequest;
use crate::bot::Bot;
use crate::db;
use crate::domain::ids::GuildId;
use crate::redis::member_request_slot;

/// Tries to take the guild's slot (each failure waits for the slot to free,
/// or backs off while Redis does not answer) before giving up.
const SLOT_ATTEMPTS: u32 = 5;
/// Refusals by Discord retried for one fill before giving up (the fill pass
/// asks again after its stale time).
pub const MAX_REFUSALS: u32 = 3;
/// Bounds on a refusal's `retry_after` (a wild value neither spins nor stalls).
const MIN_RETRY: Duration = Duration::from_millis(500);
const MAX_RETRY: Duration = Duration::from_secs(60);
/// Backoff while Redis does not answer, doubled per attempt.
const REDIS_BACKOFF: Duration = Duration::from_secs(1);
/// Nonces of our requests start with this, then the refusals so far.
const NONCE_PREFIX: &str = "fill-";

/// The senders of one cluster's shards, to request member lists of the
/// guilds they own.
pub struct MemberRequester {
    bot: Arc<Bot>,
    total: u32,
    senders: HashMap<u32, MessageSender>,
    shutdown: CancellationToken,
}

impl MemberRequester {
    pub fn new(bot: Arc<Bot>, total: u32, shutdown: CancellationToken) -> Self {
        Self { bot, total, senders: HashMap::new(), shutdown }
    }

    pub fn add_shard(&mut self, shard: u32, sender: MessageSender) {
        self.senders.insert(shard, sender);
    }

    /// The shards this cluster runs.
    pub fn shards(&self) -> Vec<u32> {
        let mut shards: Vec<u32> = self.senders.keys().copied().collect();
        shards.sort_unstable();
        shards
    }

    pub fn total(&self) -> u32 {
        self.total
    }

    /// Requests the guild's full member list in the background.
    pub fn request(self: &Arc<Self>, guild: GuildId) {
        self.spawn_request(guild, 0, Duration::ZERO);
    }

    /// Discord refused one of our requests: asks again after its
    /// `retry_after`, unless this fill was refused too often already.
    pub fn refused(self: &Arc<Self>, refusal: &RefusedMemberRequest) {
        let Some(refusals) = refusal.nonce.as_deref().and_then(refusals_in) else {
            // Not a request of ours (no nonce, or someone else's).
            return;
        };
        crate::metrics::member_request("refused");
        if refusals >= MAX_REFUSALS {
            crate::metrics::member_request("gave_up");
            tracing::warn!(guild = %refusal.guild, refusals, "Discord keeps refusing the member list; the next fill pass asks again");
            return;
        }
        let wait = Duration::try_from_secs_f64(refusal.retry_after).unwrap_or(MAX_RETRY).clamp(MIN_RETRY, MAX_RETRY);
        tracing::info!(guild = %refusal.guild, retry_in = ?wait, "member list request rate limited; asking again");
        let this = self.clone();
        let guild = refusal.guild;
        tokio::spawn(async move {
            if let Err(error) = member_request_slot::ends_in(&this.bot.redis, &this.bot.keys, guild, wait).await {
                // The retry then waits for the slot's own expiry instead.
                tracing::debug!(%error, %guild, "could not align the member request slot with Discord's window");
            }
            let margin = Duration::from_millis(rand::rng().random_range(50..=250));
            this.spawn_request(guild, refusals + 1, wait + margin);
        });
    }

    fn spawn_request(self: &Arc<Self>, guild: GuildId, refusals: u32, delay: Duration) {
        let this = self.clone();
        tokio::spawn(async move {
            if !this.pause(delay).await {
                return;
            }
            this.send_when_allowed(guild, refusals).await;
        });
    }

    /// Waits for the guild's slot (bounded), then sends.
    async fn send_when_allowed(&self, guild: GuildId, refusals: u32) {
        let Some(sender) = self.sender_of(guild) else {
            tracing::debug!(%guild, "not a guild of this cluster's shards");
            return;
        };
        for attempt in 0..SLOT_ATTEMPTS {
            let wait = match member_request_slot::take(&self.bot.redis, &self.bot.keys, guild).await {
                Ok(Ok(())) => return self.send(sender, guild, refusals).await,
                Ok(Err(wait)) => {
                    crate::metrics::member_request("deferred");
                    wait + Duration::from_millis(rand::rng().random_range(0..=250))
                }
                Err(error) => {
                    // Without the slot the fleet-wide limit cannot be kept:
                    // wait for Redis rather than risk a refusal.
                    tracing::warn!(%error, %guild, "could not take the member request slot");
                    REDIS_BACKOFF * 2u32.pow(attempt)
                }
            };
            if !self.pause(wait).await {
                return;
            }
        }
        crate::metrics::member_request("gave_up");
        tracing::warn!(%guild, "no member request slot after {SLOT_ATTEMPTS} tries; the next fill pass asks again");
    }

    async fn send(&self, sender: &MessageSender, guild: GuildId, refusals: u32) {
        let nonce = format!("{NONCE_PREFIX}{refusals}-{:016x}", rand::rng().random::<u64>());
        if let Err(e) = db::members::start_sync(&self.bot.db, guild, &nonce).await {
            return crate::handlers::report("member_request", &e.into());
        }
        let request = RequestGuildMembers::builder(Id::new(guild.get())).nonce(&nonce).query("", None);
        match sender.command(&request) {
            Ok(()) => crate::metrics::member_request("sent"),
            Err(e) => tracing::warn!(error = %e, %guild, "could not request the member list"),
        }
    }

    fn sender_of(&self, guild: GuildId) -> Option<&MessageSender> {
        let shard = ((guild.get() >> 22) % u64::from(self.total.max(1))) as u32;
        self.senders.get(&shard)
    }

    /// Sleeps unless the cluster stops first; `false` if it did.
    async fn pause(&self, wait: Duration) -> bool {
        if wait.is_zero() {
            return !self.shutdown.is_cancelled();
        }
        tokio::select! {
            () = self.shutdown.cancelled() => false,
            () = tokio::time::sleep(wait) => true,
        }
    }
}

/// How many refusals a nonce of ours says its fill had (`fill-N-…`).
fn refusals_in(nonce: &str) -> Option<u32> {
    nonce.strip_prefix(NONCE_PREFIX)?.split_once('-')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_carries_its_fills_refusals() {
        assert_eq!(refusals_in("fill-0-00ab"), Some(0));
        assert_eq!(refusals_in("fill-2-00ab"), Some(2));
        assert_eq!(refusals_in("sync-00ab"), None);
        assert_eq!(refusals_in("fill-x-00ab"), None);
    }
}
