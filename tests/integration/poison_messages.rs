//! Poison messages never block the ones behind them: a DM whose file can no
//! longer be fetched, a user who blocked the bot, and Discord's refusals are
//! each met once (permanent: recorded, moved on from; transient: retried a
//! bounded number of times), and the fleet counts the answers that lead to
//! Discord's IP ban.

use discord_standin::client::{FaultSpec, FileSpec};
use serde_json::Value;

use crate::support::{eventually, text_of, TestApp};

const DOWNLOAD_ROUTE: &str = "/attachments/{channel_id}/{attachment_id}/{filename}";

fn fault(method: &str, route: &str, status: u16, count: u32) -> FaultSpec {
    FaultSpec { method: method.into(), route: route.into(), status, count, retry_after_ms: None, scope: None }
}

fn receipt() -> FileSpec {
    FileSpec { filename: "receipt.png".into(), content_type: Some("image/png".into()), bytes: vec![7; 2_560] }
}

/// Waits until the channel shows each of `texts` once, in this order;
/// returns the channel's messages.
async fn wait_in_order(app: &TestApp, channel: u64, texts: &[&str]) -> Vec<Value> {
    let messages = eventually("every DM is in the ticket", || async {
        let messages = app.control.channel_messages(channel).await.ok()?;
        let all: Vec<String> = messages.iter().map(text_of).collect();
        texts.iter().all(|t| all.iter().any(|m| m.contains(t))).then_some(messages)
    })
    .await;
    let all: Vec<String> = messages.iter().map(text_of).collect();
    let positions: Vec<usize> = texts
        .iter()
        .map(|t| {
            let hits: Vec<usize> = all.iter().enumerate().filter(|(_, m)| m.contains(t)).map(|(i, _)| i).collect();
            assert_eq!(hits.len(), 1, "`{t}` is relayed exactly once: {all:?}");
            hits[0]
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "DMs keep their order: {all:?}");
    messages
}

#[tokio::test]
async fn a_dm_whose_file_expired_is_relayed_without_it_with_a_note_and_the_next_dms_follow_in_order() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;
    let alice = app.member("alice", &[&acme]).await;
    let channel = app.open_ticket(&acme, alice, "hello").await;

    // The CDN link expired: every download of it answers 404.
    app.control.inject_fault(fault("GET", DOWNLOAD_ROUTE, 404, 100)).await.unwrap();
    app.control.user_dm_with_files(alice, "here is my receipt", &[receipt()]).await.unwrap();
    app.control.user_dm(alice, "second message").await.unwrap();
    app.control.user_dm(alice, "third message").await.unwrap();

    let messages = wait_in_order(&app, channel, &["here is my receipt", "second message", "third message"]).await;
    let lost = messages.iter().find(|m| text_of(m).contains("here is my receipt")).unwrap();
    assert!(
        text_of(lost).contains("A file could not be fetched: receipt.png, 2.5 KB"),
        "staff are told which file is missing: {}",
        text_of(lost)
    );
    assert_eq!(lost["attachments"].as_array().map_or(0, Vec::len), 0, "nothing half-uploaded: {lost}");
    let downloads = app.control.downloads().await.unwrap();
    assert_eq!(downloads.len(), 1, "a 404 is final: fetched once, never again: {downloads:?}");
    assert_eq!(downloads[0]["status"], 404);
    let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM inbound_dms WHERE state = 'pending'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(pending, 0, "nothing is left behind the lost file");
    app.shutdown().await;
}

#[tokio::test]
async fn a_file_the_cdn_fails_to_serve_twice_is_fetched_on_the_third_try_and_relayed() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;
    let alice = app.member("alice", &[&acme]).await;
    let channel = app.open_ticket(&acme, alice, "hello").await;

    app.control.inject_fault(fault("GET", DOWNLOAD_ROUTE, 503, 2)).await.unwrap();
    app.control.user_dm_with_files(alice, "here is my receipt", &[receipt()]).await.unwrap();
    app.control.user_dm(alice, "second message").await.unwrap();

    let messages = wait_in_order(&app, channel, &["here is my receipt", "second message"]).await;
    let relayed = messages.iter().find(|m| text_of(m).contains("here is my receipt")).unwrap();
    assert_eq!(relayed["attachments"].as_array().map_or(0, Vec::len), 1, "the file came through: {relayed}");
    assert!(!text_of(relayed).contains("could not be fetched"), "{}", text_of(relayed));
    let statuses: Vec<u64> =
        app.control.downloads().await.unwrap().iter().filter_map(|d| d["status"].as_u64()).collect();
    assert_eq!(statuses, vec![503, 503, 200], "two transient failures, then the file");
    app.shutdown().await;
}

#[tokio::test]
async fn every_403_discord_answers_is_counted_once_in_the_fleets_invalid_request_window() {
    use ticketeer::redis::invalid_requests::InvalidRequests;
    use ticketeer::tickets::ids::UserId;
    use ticketeer::tickets::ports::DiscordPort;

    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let alice = app.member("alice", &[&acme]).await;
    let bot = app.bot();
    let counter = InvalidRequests::new(bot.redis.clone(), bot.keys.clone());
    let before = counter.last_ten_minutes().await.unwrap();
    app.control.clear_requests().await.unwrap();

    app.control.inject_fault(fault("GET", "/users/{user_id}", 403, 3)).await.unwrap();
    for _ in 0..3 {
        let refused = bot.discord.user_name(UserId(alice)).await.unwrap_err();
        assert!(!refused.is_transient(), "a 403 is permanent: {refused:?}");
    }
    // A 404 is no invalid request in Discord's sense: not counted.
    app.control.inject_fault(fault("GET", "/users/{user_id}", 404, 1)).await.unwrap();
    bot.discord.user_name(UserId(alice)).await.unwrap_err();
    assert_eq!(bot.discord.user_name(UserId(alice)).await.unwrap(), "alice");

    let answers: Vec<u64> = app
        .control
        .requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r["route"] == "GET /users/{user_id}")
        .filter_map(|r| r["status"].as_u64())
        .collect();
    assert_eq!(answers, vec![403, 403, 403, 404, 200], "each refusal was asked once, never retried");
    let after = counter.last_ten_minutes().await.unwrap();
    assert_eq!(after - before, 3, "exactly the 403s are counted");
    app.shutdown().await;
}
