//! The fleet's identify queue. Discord allows one IDENTIFY per bucket
//! (`shard_id % max_concurrency`) per 5 seconds for the whole bot, whichever
//! cluster the shard runs in, and `session_start_limit.total` identifies a day;
//! a bot that spends them all has its token reset (every session ends).
//!
//! - **Pacing.** A Redis key per bucket, set with `NX PX`, is that rule:
//!   whoever sets it may identify; the others wait for it to expire. The key
//!   lives 5 s plus a margin, because Discord's 5 s start when it *receives*
//!   the IDENTIFY, which comes after the permit (a connect and a HELLO), and
//!   the next shard's may come sooner after its permit.
//! - **The day's budget.** `GET /gateway/bot`'s `remaining` is kept in Redis
//!   for the whole fleet (`identify_budget`, expiring when Discord resets
//!   it); every permit takes one. Below the reserve
//!   (`TICKETEER_IDENTIFY_RESERVE`) no shard identifies: it waits for the
//!   reset, with an error line and `ticketeer_identify_budget_remaining`, and
//!   never crash-loops into the token reset. Resumes take nothing.
//! - **Without Redis.** Identifying stays possible while Redis is down: the
//!   process paces its own shards per bucket and counts down its last
//!   reading of the budget. (Two clusters falling back at once may identify
//!   in one bucket within 5 s; Discord then answers one with INVALID_SESSION
//!   and twilight identifies it again later: a slower start, not a ban.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deadpool_redis::redis;
use tokio::sync::oneshot;
use twilight_gateway::queue::Queue;

use crate::discord::metered::metered;
use crate::redis::{keys::Keys, RedisPool};

/// Discord's window per bucket, and what we add to it.
const IDENTIFY_WINDOW: Duration = Duration::from_secs(5);
const WINDOW_MARGIN: Duration = Duration::from_millis(1000);
/// After this long without Redis, a shard identifies on local pacing.
const REDIS_PATIENCE: Duration = Duration::from_secs(3);
/// The longest wait between two looks at a spent budget.
const BUDGET_RECHECK: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub struct RedisIdentifyQueue {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    redis: RedisPool,
    keys: Keys,
    http: Arc<twilight_http::Client>,
    max_concurrency: u32,
    /// Identifies never spent: kept for restarts an operator needs.
    reserve: u32,
    /// Used when Redis is down: the last bucket permits given here, and the
    /// budget as last read (remaining, when Discord resets it).
    local: Mutex<Local>,
}

#[derive(Debug, Default)]
struct Local {
    last_permit: HashMap<u32, Instant>,
    budget: Option<(u32, Instant)>,
}

/// What the fleet's budget allows now.
enum Budget {
    /// One identify taken; `remaining` left.
    Taken { remaining: u32 },
    /// At or below the reserve until `resets_in`.
    Spent { remaining: u32, resets_in: Duration },
    /// Nobody has read it since it last reset (or Redis lost it).
    Unknown,
}

impl RedisIdentifyQueue {
    pub fn new(
        redis: RedisPool,
        keys: Keys,
        http: Arc<twilight_http::Client>,
        max_concurrency: u32,
        reserve: u32,
    ) -> Self {
        let inner =
            Inner { redis, keys, http, max_concurrency: max_concurrency.max(1), reserve, local: Mutex::default() };
        Self { inner: Arc::new(inner) }
    }

    /// Records a reading of `session_start_limit` (from `GET /gateway/bot`):
    /// the fleet keeps the lowest `remaining` seen since the last reset, since
    /// another cluster may have identified after this reading was taken.
    pub async fn observe_budget(&self, remaining: u32, reset_after: Duration) {
        self.inner.observe(remaining, reset_after).await;
    }
}

impl Inner {
    fn lock_local(&self) -> std::sync::MutexGuard<'_, Local> {
        self.local.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn observe(&self, remaining: u32, reset_after: Duration) {
        self.lock_local().budget = Some((remaining, Instant::now() + reset_after));
        let result: Result<i64, crate::redis::RedisError> = async {
            let mut conn = self.redis.get().await?;
            let script = redis::Script::new(
                r"local cur = redis.call('GET', KEYS[1])
                  if (not cur) or tonumber(ARGV[1]) < tonumber(cur) then
                    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
                  end
                  return tonumber(redis.call('GET', KEYS[1]))",
            );
            let ttl = reset_after.as_millis().max(1) as u64;
            Ok(script.key(self.keys.identify_budget()).arg(remaining).arg(ttl).invoke_async(&mut conn).await?)
        }
        .await;
        // The gauge shows the fleet's count, not this reading: a reading
        // taken before another shard's identify arrived would put it back up.
        match result {
            Ok(fleet) => crate::metrics::identify_budget(u32::try_from(fleet).unwrap_or(remaining)),
            Err(e) => {
                crate::metrics::identify_budget(remaining);
                tracing::warn!(error = %e, "could not share the identify budget; counting it in this process");
            }
        }
    }

    /// Reads the budget from Discord again (it reset, or Redis forgot it).
    async fn read_budget(&self) -> bool {
        let info = match metered("get_gateway_bot", self.http.gateway().authed()).await {
            Ok(response) => match response.model().await {
                Ok(info) => info,
                Err(e) => return warn_unread(&e),
            },
            Err(e) => return warn_unread(&e),
        };
        let limit = info.session_start_limit;
        self.observe(limit.remaining as u32, Duration::from_millis(limit.reset_after)).await;
        true
    }

    /// Takes one identify from the fleet's budget, unless it is at the reserve.
    async fn take_budget(&self) -> Result<Budget, crate::redis::RedisError> {
        let mut conn = self.redis.get().await?;
        let script = redis::Script::new(
            r"local cur = redis.call('GET', KEYS[1])
              if not cur then return {-1, 0} end
              cur = tonumber(cur)
              if cur <= tonumber(ARGV[1]) then return {cur, redis.call('PTTL', KEYS[1])} end
              return {redis.call('DECR', KEYS[1]), -2}",
        );
        let (remaining, ttl): (i64, i64) =
            script.key(self.keys.identify_budget()).arg(self.reserve).invoke_async(&mut conn).await?;
        Ok(match (remaining, ttl) {
            (-1, _) => Budget::Unknown,
            (remaining, -2) => Budget::Taken { remaining: remaining.max(0) as u32 },
            (remaining, ttl) => Budget::Spent {
                remaining: remaining.max(0) as u32,
                resets_in: Duration::from_millis(ttl.max(0) as u64),
            },
        })
    }

    /// The same without Redis, from this process's last reading.
    fn take_local_budget(&self) -> Budget {
        let mut local = self.lock_local();
        match &mut local.budget {
            Some((_, resets)) if *resets <= Instant::now() => Budget::Unknown,
            Some((remaining, resets)) if *remaining <= self.reserve => {
                Budget::Spent { remaining: *remaining, resets_in: resets.saturating_duration_since(Instant::now()) }
            }
            Some((remaining, _)) => {
                *remaining -= 1;
                Budget::Taken { remaining: *remaining }
            }
            None => Budget::Unknown,
        }
    }

    /// `None` if this bucket may identify now; otherwise how long to wait.
    async fn claim_bucket(&self, bucket: u32) -> Result<Option<Duration>, crate::redis::RedisError> {
        let key = self.keys.identify_bucket(bucket);
        let mut conn = self.redis.get().await?;
        let window = (IDENTIFY_WINDOW + WINDOW_MARGIN).as_millis() as u64;
        let set: Option<String> =
            redis::cmd("SET").arg(&key).arg(1).arg("NX").arg("PX").arg(window).query_async(&mut conn).await?;
        if set.is_some() {
            self.lock_local().last_permit.insert(bucket, Instant::now());
            return Ok(None);
        }
        let ttl: i64 = redis::cmd("PTTL").arg(&key).query_async(&mut conn).await?;
        Ok(Some(Duration::from_millis(ttl.clamp(10, window as i64) as u64)))
    }

    /// Local pacing, for when Redis does not answer.
    fn claim_local_bucket(&self, bucket: u32) -> Option<Duration> {
        let mut local = self.lock_local();
        let window = IDENTIFY_WINDOW + WINDOW_MARGIN;
        match local.last_permit.get(&bucket) {
            Some(last) if last.elapsed() < window => Some(window - last.elapsed()),
            _ => {
                local.last_permit.insert(bucket, Instant::now());
                None
            }
        }
    }

    /// Waits until `shard_id` may identify: one of the day's identifies is
    /// taken, then its bucket's turn.
    async fn permit(&self, shard_id: u32, closed: impl Fn() -> bool) -> bool {
        let bucket = shard_id % self.max_concurrency;
        let mut redis_down_since: Option<Instant> = None;
        let mut told_spent = false;
        // The day's budget first.
        loop {
            if closed() {
                return false;
            }
            let budget = match self.take_budget().await {
                Ok(budget) => {
                    redis_down_since = None;
                    budget
                }
                Err(e) => {
                    let since = *redis_down_since.get_or_insert_with(Instant::now);
                    if since.elapsed() < REDIS_PATIENCE {
                        tracing::warn!(error = %e, shard_id, "identify queue: Redis unavailable; retrying");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        continue;
                    }
                    self.take_local_budget()
                }
            };
            match budget {
                Budget::Taken { remaining } => {
                    crate::metrics::identify_budget(remaining);
                    break;
                }
                Budget::Unknown => {
                    if !self.read_budget().await {
                        tokio::time::sleep(Duration::from_secs(5)).await;
                    }
                }
                Budget::Spent { remaining, resets_in } => {
                    crate::metrics::identify_budget(remaining);
                    if !told_spent {
                        crate::metrics::identify_refused();
                        tracing::error!(
                            shard_id,
                            remaining,
                            reserve = self.reserve,
                            resets_in_s = resets_in.as_secs(),
                            "not identifying: the bot's daily identifies are at the reserve \
                             (TICKETEER_IDENTIFY_RESERVE); spending them resets the token. \
                             The shard waits for Discord's reset"
                        );
                        told_spent = true;
                    }
                    tokio::time::sleep(resets_in.clamp(Duration::from_millis(100), BUDGET_RECHECK)).await;
                }
            }
        }
        // Then the bucket's turn.
        loop {
            if closed() {
                return false;
            }
            let wait = match self.claim_bucket(bucket).await {
                Ok(wait) => {
                    redis_down_since = None;
                    wait
                }
                Err(e) => {
                    let since = *redis_down_since.get_or_insert_with(Instant::now);
                    if since.elapsed() < REDIS_PATIENCE {
                        tracing::warn!(error = %e, shard_id, "identify queue: Redis unavailable; retrying");
                        Some(Duration::from_millis(500))
                    } else {
                        let wait = self.claim_local_bucket(bucket);
                        if wait.is_none() {
                            tracing::warn!(shard_id, "identifying on this process's own pacing: Redis is down");
                        }
                        wait
                    }
                }
            };
            match wait {
                None => return true,
                Some(wait) => tokio::time::sleep(wait).await,
            }
        }
    }
}

fn warn_unread(error: &dyn std::fmt::Display) -> bool {
    tracing::warn!(%error, "could not read the identify budget from Discord; trying again");
    false
}

impl Queue for RedisIdentifyQueue {
    fn enqueue(&self, shard_id: u32) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        let inner = self.inner.clone();
        tokio::spawn(async move {
            let granted = inner.permit(shard_id, || tx.is_closed()).await;
            if granted {
                let _ = tx.send(());
            }
        });
        rx
    }
}
