//! Snowflake ids and Discord-format timestamps.
//!
//! Ids are `(ms_since_discord_epoch << 22) | counter`, like Discord's, so a
//! client can read a creation time out of them and they sort by age. The
//! generator never hands out the same id twice, even within one millisecond.

use std::sync::atomic::{AtomicU64, Ordering};

/// Discord's epoch (2015-01-01T00:00:00Z) in Unix milliseconds.
pub const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// Hands out strictly increasing snowflakes.
#[derive(Debug, Default)]
pub struct IdGen {
    last: AtomicU64,
}

impl IdGen {
    /// A new snowflake, greater than every one handed out before.
    pub fn next(&self) -> u64 {
        let now = (now_unix_ms().saturating_sub(DISCORD_EPOCH_MS)) << 22;
        let mut prev = self.last.load(Ordering::Relaxed);
        loop {
            // Either the current millisecond with counter 0, or one past the
            // previous id when several ids share a millisecond.
            let candidate = now.max(prev + 1);
            match self.last.compare_exchange_weak(prev, candidate, Ordering::SeqCst, Ordering::Relaxed) {
                Ok(_) => return candidate,
                Err(actual) => prev = actual,
            }
        }
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_unix_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// The current time in the exact format twilight-model parses
/// (`2026-11-21T05:00:00.000000+00:00`; a `Z` suffix is rejected).
pub fn timestamp_now() -> String {
    format_ts(chrono::Utc::now())
}

/// Formats a UTC time the way Discord does.
pub fn format_ts(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

/// Parses a snowflake from a path segment or JSON string.
pub fn parse(s: &str) -> Option<u64> {
    s.parse::<u64>().ok().filter(|v| *v > 0)
}

/// The Discord-style hex hash used for an opaque rate-limit bucket name.
pub fn opaque_hash(s: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    format!("{:016x}", h.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_increase_and_carry_the_time() {
        let g = IdGen::default();
        let a = g.next();
        let b = g.next();
        assert!(b > a);
        let ms = (a >> 22) + DISCORD_EPOCH_MS;
        assert!(now_unix_ms() - ms < 10_000);
    }

    #[test]
    fn timestamps_use_six_decimals_and_an_offset() {
        let t = timestamp_now();
        assert!(t.ends_with("+00:00"), "{t}");
        assert_eq!(t.split('.').nth(1).map(|s| s.len()), Some(6 + 6));
    }
}
