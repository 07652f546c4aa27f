//! Discord-like REST rate limits: a global per-token limit per rolling second
//! (Discord's window is its own, not one opened by the client's first
//! request, so no second of it may see more than the limit) and
//! per-route buckets keyed by the route plus its major parameter
//! (channel, guild or webhook), with Discord's headers on every response.
//!
//! Twilight only waits on a 429 when `x-ratelimit-scope` and the bucket
//! headers are present (user: bucket, limit, remaining, reset-after;
//! shared: bucket and an integer `retry-after`), so 429s always carry them.

use crate::ids::{now_unix_ms, opaque_hash};
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Response headers as (name, value).
pub type Headers = Vec<(&'static str, String)>;

/// A 429 to send.
#[derive(Debug, Clone)]
pub struct Limited {
    pub headers: Headers,
    pub retry_after: f64,
    pub global: bool,
}

struct Window {
    limit: u32,
    remaining: u32,
    reset_at: Instant,
    length: Duration,
}

impl Window {
    fn new(limit: u32, length: Duration) -> Self {
        Self { limit, remaining: limit, reset_at: Instant::now() + length, length }
    }

    /// Refills when the window has passed; then tries to take one.
    fn take(&mut self) -> bool {
        let now = Instant::now();
        if now >= self.reset_at {
            self.remaining = self.limit;
            self.reset_at = now + self.length;
        }
        if self.remaining == 0 {
            return false;
        }
        self.remaining -= 1;
        true
    }

    fn reset_after(&self) -> f64 {
        self.reset_at.saturating_duration_since(Instant::now()).as_secs_f64()
    }
}

/// The global limit: the arrival times of the requests of the last second,
/// so any one-second span, wherever it starts, holds at most `limit`.
struct RollingSecond {
    arrivals: VecDeque<Instant>,
}

impl RollingSecond {
    /// Takes one if fewer than `limit` arrived in the second before now;
    /// else the wait until the oldest of them leaves the second.
    fn take(&mut self, limit: u32) -> Result<(), Duration> {
        let now = Instant::now();
        let second = Duration::from_secs(1);
        while self.arrivals.front().is_some_and(|t| now.duration_since(*t) >= second) {
            self.arrivals.pop_front();
        }
        if self.arrivals.len() >= limit as usize {
            let oldest = self.arrivals[self.arrivals.len() - limit as usize];
            return Err((oldest + second).saturating_duration_since(now));
        }
        self.arrivals.push_back(now);
        Ok(())
    }
}

#[derive(Default)]
pub struct RateLimiter {
    buckets: HashMap<String, Window>,
    global: HashMap<String, RollingSecond>,
    /// Channel renames: Discord allows about 2 per 10 minutes per channel.
    renames: HashMap<u64, Window>,
}

/// Discord-like limits per route template: (requests, window).
pub fn route_limit(method: &str, route: &str) -> (u32, Duration) {
    let ms = Duration::from_millis;
    match (method, route) {
        ("POST", "/channels/{channel_id}/messages") => (5, ms(5_000)),
        ("PATCH", "/channels/{channel_id}/messages/{message_id}") => (5, ms(5_000)),
        ("DELETE", "/channels/{channel_id}/messages/{message_id}") => (5, ms(1_000)),
        ("POST", "/channels/{channel_id}/messages/bulk-delete") => (1, ms(1_000)),
        ("POST", "/guilds/{guild_id}/channels") => (5, ms(5_000)),
        ("PATCH", "/channels/{channel_id}") => (5, ms(5_000)),
        ("DELETE", "/channels/{channel_id}") => (5, ms(5_000)),
        (_, "/channels/{channel_id}/permissions/{overwrite_id}") => (5, ms(5_000)),
        (_, r) if r.contains("/reactions/") => (1, ms(250)),
        (_, r) if r.contains("/pins") => (5, ms(5_000)),
        ("POST", "/users/@me/channels") => (5, ms(5_000)),
        (_, r) if r.starts_with("/applications/") && r.ends_with("/commands") => (5, ms(20_000)),
        (_, r) if r.starts_with("/webhooks/") => (5, ms(2_000)),
        _ => (50, ms(1_000)),
    }
}

/// The major parameter's value in `path` for `route` (channel, guild or
/// webhook id + token), so each channel has its own message bucket.
pub fn major_param(route: &str, path: &str) -> String {
    let r: Vec<&str> = route.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    let mut major = String::new();
    for (i, seg) in r.iter().enumerate() {
        if matches!(*seg, "{channel_id}" | "{guild_id}" | "{interaction_token}") {
            if let Some(v) = p.get(i) {
                major.push_str(v);
                major.push('/');
            }
        }
    }
    major
}

impl RateLimiter {
    /// Counts one request. `Ok(headers)` to proceed, `Err` for a 429.
    #[allow(clippy::too_many_arguments)]
    pub fn check(
        &mut self,
        token: &str,
        method: &str,
        route: &str,
        path: &str,
        global_limit: u32,
        route_limits: bool,
        counts_global: bool,
    ) -> Result<Headers, Limited> {
        if counts_global && global_limit > 0 {
            let g = self.global.entry(token.to_string()).or_insert_with(|| RollingSecond { arrivals: VecDeque::new() });
            if let Err(wait) = g.take(global_limit) {
                let after = wait.as_secs_f64().max(0.001);
                return Err(Limited {
                    headers: vec![
                        ("x-ratelimit-global", "true".into()),
                        ("x-ratelimit-scope", "global".into()),
                        ("retry-after", retry_after_secs(after)),
                    ],
                    retry_after: after,
                    global: true,
                });
            }
        }
        let (limit, length) = if route_limits { route_limit(method, route) } else { (10_000, Duration::from_secs(1)) };
        let bucket = opaque_hash(&format!("{method} {route}"));
        let key = format!("{bucket}:{}", major_param(route, path));
        let w = self.buckets.entry(key).or_insert_with(|| Window::new(limit, length));
        let ok = w.take();
        let headers = bucket_headers(&bucket, w.limit, w.remaining, w.reset_after());
        if ok {
            return Ok(headers);
        }
        let after = w.reset_after().max(0.001);
        let mut headers = headers;
        headers.push(("x-ratelimit-scope", "user".into()));
        headers.push(("retry-after", retry_after_secs(after)));
        Err(Limited { headers, retry_after: after, global: false })
    }
}

impl RateLimiter {
    /// Counts a channel rename; `Err` for a 429 once the channel has been
    /// renamed twice in 10 minutes.
    pub fn rename(&mut self, channel_id: u64) -> Result<(), Limited> {
        let w = self.renames.entry(channel_id).or_insert_with(|| Window::new(2, Duration::from_secs(600)));
        if w.take() {
            return Ok(());
        }
        let after = w.reset_after().max(0.001);
        let bucket = opaque_hash("channel rename");
        let mut headers = bucket_headers(&bucket, w.limit, 0, after);
        headers.push(("x-ratelimit-scope", "shared".into()));
        headers.push(("retry-after", retry_after_secs(after)));
        Err(Limited { headers, retry_after: after, global: false })
    }
}

/// The five bucket headers Discord sends on every rate-limited route.
pub fn bucket_headers(bucket: &str, limit: u32, remaining: u32, reset_after: f64) -> Headers {
    let reset = now_unix_ms() as f64 / 1000.0 + reset_after;
    vec![
        ("x-ratelimit-limit", limit.to_string()),
        ("x-ratelimit-remaining", remaining.to_string()),
        ("x-ratelimit-reset", format!("{reset:.3}")),
        ("x-ratelimit-reset-after", format!("{reset_after:.3}")),
        ("x-ratelimit-bucket", bucket.to_string()),
    ]
}

/// `Retry-After` is whole seconds (twilight parses it as an integer).
pub fn retry_after_secs(secs: f64) -> String {
    (secs.ceil().max(1.0) as u64).to_string()
}

/// Headers for an injected 429 with the given scope. A `global` one is
/// shaped like the global limit's own (no bucket headers, as Discord sends
/// it); `user` and `shared` ones carry the route's bucket headers.
pub fn injected_429(method: &str, route: &str, scope: &str, retry_after_ms: u64) -> Limited {
    let after = retry_after_ms as f64 / 1000.0;
    if scope == "global" {
        return Limited {
            headers: vec![
                ("x-ratelimit-global", "true".into()),
                ("x-ratelimit-scope", "global".into()),
                ("retry-after", retry_after_secs(after)),
            ],
            retry_after: after,
            global: true,
        };
    }
    let bucket = opaque_hash(&format!("{method} {route}"));
    let mut headers = bucket_headers(&bucket, 5, 0, after);
    headers.push(("x-ratelimit-scope", scope.to_string()));
    headers.push(("retry-after", retry_after_secs(after)));
    Limited { headers, retry_after: after, global: false }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_create_allows_five_per_channel_then_limits() {
        let mut rl = RateLimiter::default();
        let route = "/channels/{channel_id}/messages";
        for _ in 0..5 {
            assert!(rl.check("t", "POST", route, "/channels/1/messages", 50, true, true).is_ok());
        }
        let err = rl.check("t", "POST", route, "/channels/1/messages", 50, true, true).unwrap_err();
        assert!(!err.global);
        assert!(err.headers.iter().any(|(k, v)| *k == "x-ratelimit-scope" && v == "user"));
        // Another channel has its own bucket.
        assert!(rl.check("t", "POST", route, "/channels/2/messages", 50, true, true).is_ok());
    }

    #[test]
    fn the_global_limit_applies_across_routes() {
        let mut rl = RateLimiter::default();
        for i in 0..3 {
            let path = format!("/channels/{i}");
            assert!(rl.check("t", "GET", "/channels/{channel_id}", &path, 3, false, true).is_ok());
        }
        let err = rl.check("t", "GET", "/users/@me", "/users/@me", 3, false, true).unwrap_err();
        assert!(err.global);
    }

    #[test]
    fn the_global_limit_is_a_rolling_second_not_a_window_opened_by_the_first_request() {
        let mut rl = RateLimiter::default();
        assert!(rl.check("t", "GET", "/users/@me", "/users/@me", 2, false, true).is_ok());
        std::thread::sleep(Duration::from_millis(600));
        assert!(rl.check("t", "GET", "/users/@me", "/users/@me", 2, false, true).is_ok());
        // 1.1 s after the first: a fixed window would have reset, but the
        // second request is still within the last second.
        std::thread::sleep(Duration::from_millis(500));
        assert!(rl.check("t", "GET", "/users/@me", "/users/@me", 2, false, true).is_ok());
        let err = rl.check("t", "GET", "/users/@me", "/users/@me", 2, false, true).unwrap_err();
        assert!(err.global);
        assert!(err.retry_after > 0.3 && err.retry_after <= 0.5, "{}", err.retry_after);
    }
}
