//! Cross-process invalidation of the prefix cache (`tickets/prefixes.rs`)
//! over Redis pub/sub: `…:invalidate` carries a guild's id (decimal) after
//! its settings changed (anything else empties the whole cache).
//!
//! Each bot process keeps one subscription on a connection of its own (a
//! subscribed connection can do nothing else, so not from the pool). Pub/sub
//! delivers only to who is subscribed at the time, so every (re)subscription
//! empties the cache, and a lost one turns the cache off until it is back.
//! A ping every few seconds finds a connection that died silently.

use std::sync::Weak;
use std::time::Duration;

use deadpool_redis::redis;
use futures_util::StreamExt as _;

use super::keys::Keys;
use super::RedisPool;
use crate::domain::ids::GuildId;

/// A process-local cache that the invalidation channel keeps true: told when
/// a guild's entry is stale, when everything may be, and whether it is being
/// told at all (a cache that hears nothing must not be trusted). The prefix
/// cache (`tickets/prefixes.rs`) implements it; Redis knows no ticket types.
pub trait InvalidatedCache: Send + Sync + 'static {
    fn set_listening(&self, listening: bool);
    fn forget(&self, guild: GuildId);
    fn forget_all(&self);
}

/// The first wait before subscribing again, doubled per failure up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Connecting and subscribing must answer within this.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Between two pings on the subscribed connection, and how long one may take.
/// A connection that died without a close is found within their sum, and the
/// cache is off from then on (entries meanwhile are at most this old).
const PING_EVERY: Duration = Duration::from_secs(5);
const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// Publishes that `guild`'s settings changed. Never fails the caller (whose
/// change is committed): a lost publish is logged and counted, and the
/// other processes' entries expire within the cache's TTL.
pub async fn publish(pool: &RedisPool, keys: &Keys, guild: GuildId) {
    let sent = async {
        let mut conn = pool.get().await?;
        redis::cmd("PUBLISH")
            .arg(keys.invalidation_channel())
            .arg(guild.to_string())
            .query_async::<i64>(&mut conn)
            .await?;
        Ok::<_, super::RedisError>(())
    }
    .await;
    match sent {
        Ok(()) => crate::metrics::cache_invalidation("published"),
        Err(error) => {
            crate::metrics::cache_invalidation("publish_failed");
            tracing::warn!(%error, %guild, "could not publish a settings change; other processes see it within a minute");
        }
    }
}

/// Keeps `cache` subscribed to the invalidation channel for as long as the
/// cache exists (the task holds it weakly, and ends once it is gone).
pub fn spawn_listener<C: InvalidatedCache>(url: String, keys: &Keys, cache: Weak<C>) {
    tokio::spawn(listen(url, keys.invalidation_channel(), cache));
}

async fn listen<C: InvalidatedCache>(url: String, channel: String, cache: Weak<C>) {
    let client = match redis::Client::open(url) {
        Ok(client) => client,
        Err(error) => {
            // Only a malformed URL gets here (the pool would have refused it
            // first); the cache stays off and every lookup reads PostgreSQL.
            tracing::error!(%error, "the prefix cache cannot subscribe to invalidations");
            return;
        }
    };
    let mut backoff = MIN_BACKOFF;
    let mut failing = false;
    while cache.strong_count() > 0 {
        match subscribe(&client, &channel).await {
            Ok(pubsub) => {
                if failing {
                    tracing::info!("subscribed to cache invalidations again; the prefix cache starts empty");
                }
                backoff = MIN_BACKOFF;
                let ended = listen_on(pubsub, &cache).await;
                let Some(live) = cache.upgrade() else { return };
                live.set_listening(false);
                tracing::warn!(
                    why = ended,
                    "lost the cache invalidation subscription; prefixes are read from PostgreSQL until it is back"
                );
                // Logged once until subscribed again.
                failing = true;
            }
            Err(error) => {
                if !failing {
                    tracing::warn!(%error, "could not subscribe to cache invalidations; prefixes are read from PostgreSQL");
                }
                failing = true;
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

async fn subscribe(client: &redis::Client, channel: &str) -> redis::RedisResult<redis::aio::PubSub> {
    let timed_out = || redis::RedisError::from((redis::ErrorKind::Io, "timed out"));
    let mut pubsub =
        tokio::time::timeout(CONNECT_TIMEOUT, client.get_async_pubsub()).await.map_err(|_| timed_out())??;
    tokio::time::timeout(CONNECT_TIMEOUT, pubsub.subscribe(channel)).await.map_err(|_| timed_out())??;
    Ok(pubsub)
}

/// Applies invalidations until the connection fails or the cache is gone;
/// says why it stopped.
async fn listen_on<C: InvalidatedCache>(pubsub: redis::aio::PubSub, cache: &Weak<C>) -> &'static str {
    let (mut sink, mut stream) = pubsub.split();
    match cache.upgrade() {
        // Subscribed (the SUBSCRIBE was confirmed): from here on no change is
        // missed, and whatever was cached before may be stale.
        Some(live) => live.set_listening(true),
        None => return "the cache is gone",
    }
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ping.tick().await;
    loop {
        tokio::select! {
            message = stream.next() => {
                let Some(message) = message else { return "the connection closed" };
                let Some(live) = cache.upgrade() else { return "the cache is gone" };
                crate::metrics::cache_invalidation("received");
                match std::str::from_utf8(message.get_payload_bytes()).ok().and_then(|s| s.parse::<u64>().ok()) {
                    Some(guild) => live.forget(GuildId(guild)),
                    // Anything else: forgetting everything is always safe.
                    None => live.forget_all(),
                }
            }
            _ = ping.tick() => {
                if cache.strong_count() == 0 {
                    return "the cache is gone";
                }
                match tokio::time::timeout(PING_TIMEOUT, sink.ping::<redis::Value>()).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(_)) => return "a ping failed",
                    Err(_) => return "a ping timed out",
                }
            }
        }
    }
}
