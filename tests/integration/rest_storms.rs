//! Fault test 4 of docs/RELIABILITY.md: Discord answers every REST route with
//! a storm of 429s and 5xx for ten seconds. Nothing is lost (every user ends
//! with one ticket holding each of their DMs once, in order), and no request
//! comes sooner than a 429's `retry_after` allows (the stand-in watches every
//! bucket it answered a 429 on).

use std::time::{Duration, Instant};

use discord_standin::client::{FileSpec, StormSpec};
use serde_json::Value;

use crate::support::{eventually_within, text_of, Options, TestApp};

const USERS: usize = 20;
/// Users 0..9 already have a ticket when the storm starts (their relays go
/// to channels of their own, so nothing but the bot's own schedule paces
/// their retries); users 10..19 write for the first time in it.
const WITH_TICKETS: usize = 10;
const DMS_PER_USER: usize = 5;
const STORM: Duration = Duration::from_secs(10);

/// The text of user `i`'s DM number `k`.
fn dm_text(i: usize, k: usize) -> String {
    format!("storm dm {k} of user {i:02}")
}

/// The file each user's first DM carries (its download is in the storm too).
fn receipt(i: usize) -> FileSpec {
    FileSpec { filename: format!("receipt-{i:02}.png"), content_type: Some("image/png".into()), bytes: vec![7; 2_048] }
}

fn has_file(message: &Value, i: usize) -> bool {
    let files = message["attachments"].as_array().into_iter().flatten();
    files.into_iter().any(|a| a["filename"].as_str() == Some(receipt(i).filename.as_str()))
}

/// User `i`'s storm DMs in their ticket channel, in channel order; `None`
/// while they have no ticket. Fails at once on a second copy of a DM, or the
/// first one without its file.
async fn relayed_dms(app: &TestApp, i: usize, user: u64) -> Option<Vec<usize>> {
    let channel: i64 = sqlx::query_scalar("SELECT channel_id FROM tickets WHERE opener_id = $1")
        .bind(user as i64)
        .fetch_optional(&app.db.pool)
        .await
        .ok()??;
    let mut messages = app.control.channel_messages(channel as u64).await.ok()?;
    messages.sort_by_key(|m| m["id"].as_str().and_then(|id| id.parse::<u64>().ok()));
    let mut seen = Vec::new();
    for m in &messages {
        let text = text_of(m);
        for k in 0..DMS_PER_USER {
            if text.contains(&dm_text(i, k)) {
                assert!(!seen.contains(&k), "user {i:02}'s DM {k} is in their ticket twice");
                assert!(k != 0 || has_file(m, i), "user {i:02}'s first DM came without its file: {m}");
                seen.push(k);
            }
        }
    }
    Some(seen)
}

#[tokio::test]
async fn a_ten_second_storm_of_5xx_and_429_on_every_route_loses_no_dm_and_no_retry_comes_early() {
    // Sweeps often and retries soon (the first wait 250 ms, then doubling),
    // so the bound below measures the bot's retry schedule rather than the
    // production sweep period (10 s), and the storm outlasts five tries.
    let options = Options { inbox_sweep_ms: 500, inbox_stale_ms: 1_000, inbox_retry_ms: 250, ..Options::default() };
    let app = TestApp::spawn_with(options).await;
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;
    let mut users = Vec::new();
    for i in 0..USERS {
        users.push(app.member(&format!("storm{i:02}"), &[&acme]).await);
    }
    for (i, user) in users.iter().enumerate().take(WITH_TICKETS) {
        app.open_ticket(&acme, *user, &format!("before the storm, user {i:02}")).await;
    }
    app.control.clear_early_retries().await.unwrap();

    // Every route, attachment downloads included: 429 (a 1 s wait, with
    // bucket headers), 500, 502, 503 in turn.
    let statuses = vec![429, 500, 502, 503];
    let retry_after_ms = 1_000;
    app.control
        .storm(StormSpec { statuses: statuses.clone(), for_ms: STORM.as_millis() as u64, retry_after_ms, scope: None })
        .await
        .unwrap();
    let started = Instant::now();
    // Each user writes five times across the storm, every two seconds; the
    // first DM carries a file.
    for k in 0..DMS_PER_USER {
        let at = STORM * k as u32 / DMS_PER_USER as u32;
        // Pacing of the workload: each round at its time in the storm.
        tokio::time::sleep(at.saturating_sub(started.elapsed())).await;
        for (i, user) in users.iter().enumerate() {
            let files = if k == 0 { vec![receipt(i)] } else { vec![] };
            app.control.user_dm_with_files(*user, &dm_text(i, k), &files).await.unwrap();
        }
    }
    // The storm runs its full length before the clock for delivery starts.
    tokio::time::sleep(STORM.saturating_sub(started.elapsed())).await;
    let storm_over = Instant::now();

    // Every user's three DMs are in their one ticket, once each, in order.
    eventually_within(Duration::from_secs(50), "every DM is relayed after the storm", || async {
        let failed: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT content, last_error FROM inbound_dms WHERE state <> 'pending' AND state <> 'relayed'",
        )
        .fetch_all(&app.db.pool)
        .await
        .ok()?;
        assert!(failed.is_empty(), "DMs given up in the storm: {failed:?}");
        for (i, user) in users.iter().enumerate() {
            let seen = relayed_dms(&app, i, *user).await?;
            if seen.len() < DMS_PER_USER {
                return None;
            }
            assert_eq!(seen, (0..DMS_PER_USER).collect::<Vec<_>>(), "user {i:02}'s DMs in order");
        }
        Some(())
    })
    .await;
    let recovered = storm_over.elapsed();

    let tickets: Vec<(i64, i32)> =
        sqlx::query_as("SELECT opener_id, number FROM tickets ORDER BY number").fetch_all(&app.db.pool).await.unwrap();
    let numbers: Vec<i32> = tickets.iter().map(|t| t.1).collect();
    assert_eq!(numbers, (1..=USERS as i32).collect::<Vec<_>>(), "one ticket per user, numbered without gaps");
    let mut openers: Vec<i64> = tickets.iter().map(|t| t.0).collect();
    openers.sort_unstable();
    openers.dedup();
    assert_eq!(openers.len(), USERS, "each user has exactly one ticket");
    let states: Vec<(String, i64)> =
        sqlx::query_as("SELECT state, count(*) FROM inbound_dms GROUP BY state ORDER BY state")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    let all = USERS * DMS_PER_USER + WITH_TICKETS;
    let lost = all - states.iter().find(|(state, _)| state == "relayed").map_or(0, |(_, n)| *n as usize);
    assert_eq!(states, vec![("relayed".to_owned(), all as i64)], "nothing failed or waits");

    let early = app.control.early_retries().await.unwrap();
    assert!(early.limited > 0, "the storm's 429s reached the bot");
    assert_eq!(early.early, 0, "requests sooner than a 429's retry_after: {:#?}", early.examples);
    println!(
        "storm {} s on every route ({statuses:?} in turn, 429s asking {retry_after_ms} ms), {USERS} users \
         ({WITH_TICKETS} with a ticket) x {DMS_PER_USER} DMs (one with a file): 429s answered {}, early \
         retries {}, all relayed {:.1} s after the storm, lost {lost}",
        STORM.as_secs(),
        early.limited,
        early.early,
        recovered.as_secs_f64()
    );
    app.shutdown().await;
}
