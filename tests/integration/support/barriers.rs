//! Barriers for "nothing happened" assertions that no single later message
//! can prove: guild events are handled concurrently (a later event is no
//! barrier for an earlier one), and timers run off the gateway altogether.
//! Each helper waits for a positive, observed fact after which the earlier
//! non-effect is certain, never for a fixed time.

use std::time::Duration;

use deadpool_redis::redis;
use serde_json::Value;

use super::{eventually, eventually_within, TestApp};

impl TestApp {
    /// Waits until the bot has finished handling every gateway event the
    /// stand-in has sent so far. Each shard's session checkpoint (written to
    /// Redis every 2 s) stays before the oldest event whose handler has not
    /// finished (`gateway/checkpoint.rs`), so once it reaches the sequence the
    /// stand-in had sent when this was called, every one of those events has
    /// been handled to the end: a DM relayed (and its `/alert`s pinged), a
    /// command answered, a member stored. Work a handler leaves to another
    /// task (timers, the member fill, the inbox sweeper) is not covered.
    pub async fn wait_until_events_handled(&self) {
        let sent: Vec<(u32, u32, String, u64)> = self
            .control
            .gateway_sessions()
            .await
            .expect("the stand-in lists its sessions")
            .iter()
            .map(|s| {
                let number = |key: &str| s[key].as_u64().unwrap_or_else(|| panic!("a session has a {key}: {s}"));
                let id = s["session_id"].as_str().unwrap_or_else(|| panic!("a session has an id: {s}")).to_owned();
                (number("shard") as u32, number("shard_count") as u32, id, number("seq"))
            })
            .collect();
        assert!(!sent.is_empty(), "a shard is connected");
        let keys = ticketeer::redis::keys::Keys::new(self.application_id);
        let redis_url = self.env.iter().find(|(k, _)| *k == "REDIS_URL").map(|(_, v)| v.clone()).unwrap();
        let pool = ticketeer::redis::connect(&redis_url).unwrap();
        // A handler may run long on a loaded machine; the checkpoint itself
        // lags at most 2 s behind.
        eventually_within(Duration::from_secs(30), "every gateway event sent so far has been handled", || async {
            let mut conn = pool.get().await.ok()?;
            for (shard, total, session, sequence) in &sent {
                let saved: Option<String> =
                    redis::cmd("GET").arg(keys.shard_session(*shard, *total)).query_async(&mut conn).await.ok()?;
                let saved: Value = serde_json::from_str(&saved?).ok()?;
                let same_session = saved["session"]["id"].as_str() == Some(session.as_str());
                (same_session && saved["session"]["sequence"].as_u64()? >= *sequence).then_some(())?;
            }
            Some(())
        })
        .await;
    }

    /// Waits until the timer worker has looked for due timers after this
    /// call and no timer run is still going: a marker timer (a reminder of
    /// no ticket, which does nothing when it runs) is made due now and must
    /// be run and marked fired, and no pending timer may be claimed. Any
    /// timer due before the marker was taken in that look or an earlier one
    /// (the index pops due ids oldest first), so whatever it was going to do
    /// is done. The marker is removed again, so `timers` shows only the
    /// test's own. Needs a working PostgreSQL and the test configuration's
    /// index rebuild (500 ms), which indexes the marker.
    pub async fn wait_until_timers_looked(&self) {
        let marker: i64 = sqlx::query_scalar(
            "INSERT INTO timers (kind, guild_id, payload, due_at)
             VALUES ('reminder', 1, '{\"content\": \"the timer barrier of a test\"}', now()) RETURNING timer_id",
        )
        .fetch_one(&self.db.pool)
        .await
        .unwrap();
        eventually("the timer worker has run a timer due after the last look, and runs none", || async {
            let settled: bool = sqlx::query_scalar(
                "SELECT (SELECT state = 'fired' FROM timers WHERE timer_id = $1)
                    AND NOT EXISTS (SELECT 1 FROM timers WHERE state = 'pending' AND claimed_until > now())",
            )
            .bind(marker)
            .fetch_one(&self.db.pool)
            .await
            .ok()?;
            settled.then_some(())
        })
        .await;
        sqlx::query("DELETE FROM timers WHERE timer_id = $1").bind(marker).execute(&self.db.pool).await.unwrap();
    }

    /// Waits until the bot has answered interaction `id`; returns its first
    /// answer. For a click that may not reach the bot (`click(..).ok()`), the
    /// barrier that it was handled.
    pub async fn interaction_answer(&self, id: u64) -> Value {
        eventually("the bot answers the interaction", || async {
            let state = self.control.interaction(id).await.ok()?;
            state["callbacks"].as_array()?.first().cloned()
        })
        .await
    }

    /// How many of `user`'s DMs wait in the held queue (Redis) while they
    /// choose a server or a category: a DM is put there by the drain that
    /// routed it and decided to hold it.
    pub async fn held_queue_length(&self, user: u64) -> i64 {
        let key = self.bot().keys.held_messages(ticketeer::domain::ids::UserId(user));
        let mut conn = self.bot().redis.get().await.unwrap();
        redis::cmd("ZCARD").arg(key).query_async(&mut conn).await.unwrap()
    }
}
