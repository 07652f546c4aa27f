//! The bot's REST budget, shared by every process of the fleet through Redis:
//! Discord's global limit counted over a rolling second (as Discord counts
//! it, so no second of Discord's ever sees more than the budget), each route
//! bucket's `remaining` as Discord's headers last told it, and the pause a
//! 429 asks for. One Lua script decides each request atomically, on Redis's
//! clock, so processes on hosts with skewed clocks still agree. A request
//! enters the window when it starts and is moved to the moment its answer
//! came back: Discord received it somewhere in between, so however late it
//! arrived (a slow network, a busy process), the window never lets more
//! requests into one of Discord's seconds than the budget (unless one is
//! in flight for longer than a second).
//!
//! When Redis cannot be reached the process paces itself alone at
//! `TICKETEER_REST_FALLBACK_PER_SECOND`, a share small enough that the whole
//! fleet together stays inside Discord's 50; it goes back to the shared
//! budget as soon as Redis answers.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use deadpool_redis::redis::Script;

use super::routes::RouteKey;
use crate::redis::keys::RestKeys;
use crate::redis::{RedisError, RedisPool};

/// What the budget says to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Go,
    /// Not before `Duration` has passed. `whole_budget`: the global limit or
    /// a global pause (every request of this priority waits), rather than
    /// this request's route bucket (only requests to that bucket wait).
    Wait(Duration, WaitFor),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitFor {
    Global,
    Bucket,
}

/// The rolling second is this long: a request leaves the window 1 s after it
/// was counted.
const WINDOW_MS: u64 = 1000;

/// Takes one request out of the budget, or says how long to wait.
/// KEYS: window, pause, bucket. ARGV: share, counts_global (0/1), member.
/// Returns {0, 0} to go, {1, ms} for a global wait, {2, ms} for a bucket's.
const TAKE: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[3], 'remaining', 'reset_at')
local remaining = tonumber(b[1])
local reset_at = tonumber(b[2])
local live = remaining ~= nil and reset_at ~= nil and reset_at > now
if live and remaining <= 0 then
    return {2, reset_at - now}
end
if ARGV[2] == '1' then
    local pause = redis.call('PTTL', KEYS[2])
    if pause > 0 then
        return {1, pause}
    end
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 1000)
    local n = redis.call('ZCARD', KEYS[1])
    local share = tonumber(ARGV[1])
    if n >= share then
        local e = redis.call('ZRANGE', KEYS[1], n - share, n - share, 'WITHSCORES')
        return {1, math.max(1, tonumber(e[2]) + 1000 - now + 1)}
    end
    redis.call('ZADD', KEYS[1], now, ARGV[3])
    redis.call('PEXPIRE', KEYS[1], 2000)
end
if live then
    redis.call('HINCRBY', KEYS[3], 'remaining', -1)
end
return {0, 0}
"#;

/// A request came back: it counts in the window from now (Discord received
/// it at some moment between its start and now, so no second of Discord's
/// can hold more requests than a second of the window), and its bucket is
/// kept as the answer's headers describe it (ARGV[3] = 1 when they did).
/// KEYS: window, bucket. ARGV: member, counts_global (0/1), has_bucket
/// (0/1), remaining, reset_after_ms.
const DONE: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[2] == '1' then
    redis.call('ZADD', KEYS[1], 'GT', now, ARGV[1])
    redis.call('PEXPIRE', KEYS[1], 2000)
end
if ARGV[3] == '1' then
    local remaining = tonumber(ARGV[4])
    local reset_at = now + tonumber(ARGV[5])
    local b = redis.call('HMGET', KEYS[2], 'remaining', 'reset_at')
    local old_remaining = tonumber(b[1])
    local old_reset = tonumber(b[2])
    if old_remaining ~= nil and old_reset ~= nil and old_reset > now and reset_at < old_reset + 250 then
        remaining = math.min(remaining, old_remaining)
        reset_at = math.max(reset_at, old_reset)
    end
    redis.call('HSET', KEYS[2], 'remaining', remaining, 'reset_at', reset_at)
    redis.call('PEXPIRE', KEYS[2], reset_at - now + 1000)
end
return 1
"#;

/// Records a 429's wait. KEYS: pause, bucket. ARGV: global (0/1), ms.
const LIMITED: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ms = tonumber(ARGV[2])
if ARGV[1] == '1' then
    if redis.call('PTTL', KEYS[1]) < ms then
        redis.call('SET', KEYS[1], '1', 'PX', ms)
    end
else
    redis.call('HSET', KEYS[2], 'remaining', 0, 'reset_at', now + ms)
    redis.call('PEXPIRE', KEYS[2], ms + 1000)
end
return 1
"#;

pub struct FleetBudget {
    redis: RedisPool,
    keys: RestKeys,
    per_second: u32,
    take: Script,
    done: Script,
    limited: Script,
    alone: Mutex<LocalBudget>,
    /// Whether the last Redis call failed (the process paces alone).
    fallen_back: AtomicBool,
    /// Makes each request's member of the window unique.
    nonce: u64,
    counter: AtomicU64,
}

impl FleetBudget {
    pub fn new(redis: RedisPool, keys: RestKeys, per_second: u32, fallback_per_second: u32) -> Self {
        Self {
            redis,
            keys,
            per_second,
            take: Script::new(TAKE),
            done: Script::new(DONE),
            limited: Script::new(LIMITED),
            alone: Mutex::new(LocalBudget::new(fallback_per_second)),
            fallen_back: AtomicBool::new(false),
            nonce: rand::random(),
            counter: AtomicU64::new(0),
        }
    }

    /// A name for one attempt of one request, unique in the fleet.
    pub fn new_member(&self) -> String {
        format!("{:x}-{}", self.nonce, self.counter.fetch_add(1, Ordering::Relaxed))
    }

    /// Takes one request of `key` out of the fleet's budget, or the wait.
    /// `member` names it in the window ([`FleetBudget::new_member`]).
    pub async fn take(&self, key: &RouteKey, member: &str) -> Answer {
        let share = key.priority.share_of(self.per_second);
        let result: Result<(u8, u64), RedisError> = async {
            let mut conn = self.redis.get().await?;
            let answer = self
                .take
                .key(self.keys.global_window())
                .key(self.keys.global_pause())
                .key(self.keys.bucket(&key.bucket))
                .arg(share)
                .arg(u8::from(key.counts_global))
                .arg(member)
                .invoke_async(&mut *conn)
                .await?;
            Ok(answer)
        }
        .await;
        match result {
            Ok(answer) => {
                self.redis_answered();
                match answer {
                    (0, _) => Answer::Go,
                    (1, ms) => Answer::Wait(Duration::from_millis(ms), WaitFor::Global),
                    (_, ms) => Answer::Wait(Duration::from_millis(ms), WaitFor::Bucket),
                }
            }
            Err(e) => {
                self.redis_failed(&e);
                let mut alone = self.alone();
                let share = key.priority.share_of(alone.per_second);
                alone.take(key, share)
            }
        }
    }

    /// The request named `member` came back, with its bucket's state if
    /// the answer's headers gave it (`remaining`, `reset_after`).
    pub async fn done(&self, key: &RouteKey, member: &str, bucket: Option<(u32, Duration)>) {
        if let Some((remaining, reset_after)) = bucket {
            self.alone().learn(key, remaining, reset_after);
        }
        let (has_bucket, remaining, reset_after) = match bucket {
            Some((remaining, reset_after)) => (1u8, remaining, reset_after.as_millis() as u64),
            None => (0, 0, 0),
        };
        let result: Result<i64, RedisError> = async {
            let mut conn = self.redis.get().await?;
            Ok(self
                .done
                .key(self.keys.global_window())
                .key(self.keys.bucket(&key.bucket))
                .arg(member)
                .arg(u8::from(key.counts_global))
                .arg(has_bucket)
                .arg(remaining)
                .arg(reset_after)
                .invoke_async(&mut *conn)
                .await?)
        }
        .await;
        if let Err(e) = result {
            self.redis_failed(&e);
        }
    }

    /// Keeps the wait a 429 asked for: the whole fleet's (`global`) or its
    /// bucket's.
    pub async fn limited(&self, key: &RouteKey, global: bool, wait: Duration) {
        self.alone().limited(key, global, wait);
        let ms = wait.as_millis().max(1) as u64;
        let result: Result<i64, RedisError> = async {
            let mut conn = self.redis.get().await?;
            Ok(self
                .limited
                .key(self.keys.global_pause())
                .key(self.keys.bucket(&key.bucket))
                .arg(u8::from(global))
                .arg(ms)
                .invoke_async(&mut *conn)
                .await?)
        }
        .await;
        if let Err(e) = result {
            self.redis_failed(&e);
        }
    }

    /// The in-process budget (its lock is never held across an await; a
    /// panic while holding it leaves plain numbers, safe to go on with).
    fn alone(&self) -> MutexGuard<'_, LocalBudget> {
        self.alone.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn redis_answered(&self) {
        if self.fallen_back.swap(false, Ordering::Relaxed) {
            tracing::info!("Redis answers again: REST requests share the fleet's budget again");
            crate::metrics::rest_budget_fallback(false);
        }
    }

    fn redis_failed(&self, error: &RedisError) {
        if !self.fallen_back.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                %error,
                per_second = self.alone().per_second,
                "Redis, which holds the fleet's REST budget, cannot be reached: \
                 this process paces itself alone (TICKETEER_REST_FALLBACK_PER_SECOND)"
            );
            crate::metrics::rest_budget_fallback(true);
        }
    }
}

/// The same rules in this process alone, for while Redis is unreachable.
/// Buckets and pauses learnt meanwhile are kept here too, so a 429 is
/// honoured even then.
struct LocalBudget {
    per_second: u32,
    sent: VecDeque<Instant>,
    pause_until: Option<Instant>,
    buckets: HashMap<String, (u32, Instant)>,
}

/// Buckets kept in process at most (expired ones are dropped first).
const LOCAL_BUCKETS: usize = 10_000;

impl LocalBudget {
    fn new(per_second: u32) -> Self {
        Self { per_second, sent: VecDeque::new(), pause_until: None, buckets: HashMap::new() }
    }

    fn take(&mut self, key: &RouteKey, share: u32) -> Answer {
        let now = Instant::now();
        if let Some((remaining, reset_at)) = self.buckets.get_mut(&key.bucket).filter(|(_, at)| *at > now) {
            if *remaining == 0 {
                return Answer::Wait(*reset_at - now, WaitFor::Bucket);
            }
            *remaining -= 1;
        }
        if !key.counts_global {
            return Answer::Go;
        }
        if let Some(until) = self.pause_until.filter(|until| *until > now) {
            return Answer::Wait(until - now, WaitFor::Global);
        }
        let window = Duration::from_millis(WINDOW_MS);
        while self.sent.front().is_some_and(|t| now.duration_since(*t) >= window) {
            self.sent.pop_front();
        }
        let share = share as usize;
        if self.sent.len() >= share {
            let leaves = self.sent[self.sent.len() - share] + window;
            return Answer::Wait(leaves.saturating_duration_since(now) + Duration::from_millis(1), WaitFor::Global);
        }
        self.sent.push_back(now);
        Answer::Go
    }

    fn learn(&mut self, key: &RouteKey, remaining: u32, reset_after: Duration) {
        let now = Instant::now();
        if self.buckets.len() >= LOCAL_BUCKETS {
            self.buckets.retain(|_, (_, at)| *at > now);
            if self.buckets.len() >= LOCAL_BUCKETS {
                self.buckets.clear();
            }
        }
        self.buckets.insert(key.bucket.clone(), (remaining, now + reset_after));
    }

    fn limited(&mut self, key: &RouteKey, global: bool, wait: Duration) {
        let until = Instant::now() + wait;
        if global {
            self.pause_until = Some(self.pause_until.map_or(until, |p| p.max(until)));
        } else {
            self.learn(key, 0, wait);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discord::gate::routes::classify;

    #[test]
    fn alone_a_process_keeps_to_its_share_of_a_rolling_second() {
        let mut local = LocalBudget::new(3);
        let key = classify("GET", "/api/v10/users/@me", None);
        for _ in 0..3 {
            assert_eq!(local.take(&key, 3), Answer::Go);
        }
        match local.take(&key, 3) {
            Answer::Wait(wait, WaitFor::Global) => assert!(wait > Duration::from_millis(900), "{wait:?}"),
            other => panic!("expected a global wait, got {other:?}"),
        }
    }

    #[test]
    fn alone_a_spent_bucket_waits_but_other_buckets_go() {
        let mut local = LocalBudget::new(50);
        let a = classify("POST", "/api/v10/channels/1/messages", None);
        let b = classify("POST", "/api/v10/channels/2/messages", None);
        local.learn(&a, 0, Duration::from_secs(2));
        assert!(matches!(local.take(&a, 50), Answer::Wait(_, WaitFor::Bucket)));
        assert_eq!(local.take(&b, 50), Answer::Go);
        local.limited(&b, true, Duration::from_secs(1));
        assert!(matches!(local.take(&b, 50), Answer::Wait(_, WaitFor::Global)));
    }
}
