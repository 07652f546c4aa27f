//! What Discord remembers about the 429s it answered: for each one, the
//! bucket (method and route template plus its major parameter), when it was
//! answered and the `retry_after` it gave. A later request to the same bucket
//! (for a global 429: any request by the bot that counts toward the global
//! limit) arriving before that wait has passed is an *early retry* — what
//! Discord counts toward its invalid-request ban and Cloudflare bans for.
//! Tests read the count and examples through the control API.

use crate::ratelimit::major_param;
use serde::Serialize;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How many early retries are kept in full (the count goes on).
const KEPT_EXAMPLES: usize = 50;

/// A wait Discord asked for and that has not passed yet.
#[derive(Clone, Debug)]
struct Wait {
    until: Instant,
    limited_at: String,
    retry_after_ms: f64,
}

/// One request that came before the wait a 429 asked for had passed.
#[derive(Clone, Debug, Serialize)]
pub struct EarlyRetry {
    /// `"POST /channels/{channel_id}/messages"`, or `"global"`.
    pub bucket: String,
    /// The bucket's major parameter (`"42/"`), empty for none.
    pub major: String,
    /// The early request: `"POST /channels/42/messages"`.
    pub request: String,
    /// When the 429 was answered, and when the early request came.
    pub limited_at: String,
    pub at: String,
    /// The wait the 429 gave, and how much of it was left.
    pub retry_after_ms: f64,
    pub early_by_ms: f64,
}

#[derive(Default)]
pub struct Throttles {
    /// Per bucket key (`"METHOD /route|major"`): the latest wait given.
    waits: HashMap<String, Wait>,
    /// The latest global wait given.
    global: Option<Wait>,
    /// 429s answered, in total, and of them the global ones (the bot's
    /// whole budget spent: what a fleet-wide limiter must never cause).
    pub limited: u64,
    pub limited_global: u64,
    /// Early retries seen, in total, and the first few in full.
    pub early: u64,
    pub examples: Vec<EarlyRetry>,
}

fn key(method: &str, route: &str, major: &str) -> String {
    format!("{method} {route}|{major}")
}

impl Throttles {
    /// Records a 429 answered at `at` to a request of `method route` on
    /// `path`, asking for `retry_after` seconds.
    pub fn limited(&mut self, method: &str, route: &str, path: &str, retry_after: f64, global: bool, at: Instant) {
        self.limited += 1;
        self.limited_global += u64::from(global);
        let now = Instant::now();
        self.waits.retain(|_, w| w.until > now);
        let wait = Wait {
            until: at + Duration::from_secs_f64(retry_after.max(0.0)),
            limited_at: crate::ids::timestamp_now(),
            retry_after_ms: retry_after * 1000.0,
        };
        let current = if global {
            self.global.get_or_insert_with(|| wait.clone())
        } else {
            self.waits.entry(key(method, route, &major_param(route, path))).or_insert_with(|| wait.clone())
        };
        // The longest wait given stands.
        if wait.until > current.until {
            *current = wait;
        }
    }

    /// Checks a request that arrived at `at`; `counts_global` is whether it
    /// counts toward the global limit (interaction callbacks do not).
    pub fn arrived(&mut self, method: &str, route: &str, path: &str, counts_global: bool, at: Instant) {
        let major = major_param(route, path);
        let mut found = Vec::new();
        if let Some(w) = self.waits.get(&key(method, route, &major)).filter(|w| at < w.until) {
            found.push((format!("{method} {route}"), major.clone(), w.clone()));
        }
        if let Some(w) = self.global.as_ref().filter(|w| counts_global && at < w.until) {
            found.push(("global".to_string(), String::new(), w.clone()));
        }
        for (bucket, major, w) in found {
            self.early += 1;
            if self.examples.len() < KEPT_EXAMPLES {
                self.examples.push(EarlyRetry {
                    bucket,
                    major,
                    request: format!("{method} {path}"),
                    limited_at: w.limited_at,
                    at: crate::ids::timestamp_now(),
                    retry_after_ms: w.retry_after_ms,
                    early_by_ms: w.until.saturating_duration_since(at).as_secs_f64() * 1000.0,
                });
            }
        }
    }

    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTE: &str = "/channels/{channel_id}/messages";

    #[test]
    fn a_request_to_the_same_bucket_before_the_wait_is_early_and_after_it_or_elsewhere_is_not() {
        let mut t = Throttles::default();
        let at = Instant::now();
        t.limited("POST", ROUTE, "/channels/1/messages", 1.0, false, at);
        t.arrived("POST", ROUTE, "/channels/2/messages", true, at + Duration::from_millis(10));
        t.arrived("GET", ROUTE, "/channels/1/messages", true, at + Duration::from_millis(10));
        t.arrived("POST", ROUTE, "/channels/1/messages", true, at + Duration::from_millis(1000));
        assert_eq!(t.early, 0, "another channel, another method, or after the wait");
        t.arrived("POST", ROUTE, "/channels/1/messages", true, at + Duration::from_millis(400));
        assert_eq!(t.early, 1);
        assert_eq!(t.examples[0].bucket, format!("POST {ROUTE}"));
        assert!((t.examples[0].early_by_ms - 600.0).abs() < 1.0, "{:?}", t.examples[0]);
        assert_eq!(t.limited, 1);
    }

    #[test]
    fn after_a_global_429_any_request_counting_toward_the_global_limit_is_early() {
        let mut t = Throttles::default();
        let at = Instant::now();
        t.limited("GET", "/users/@me", "/users/@me", 0.5, true, at);
        t.arrived("POST", "/interactions/{interaction_id}/{interaction_token}/callback", "/x", false, at);
        assert_eq!(t.early, 0, "interaction callbacks are outside the global limit");
        t.arrived("POST", ROUTE, "/channels/1/messages", true, at + Duration::from_millis(100));
        assert_eq!((t.early, t.examples[0].bucket.as_str()), (1, "global"));
    }
}
