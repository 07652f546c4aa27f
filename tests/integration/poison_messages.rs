//! Poison messages never block the ones behind them: a DM whose file can no
//! longer be fetched, a user who blocked the bot, and Discord's refusals are
//! each met once (permanent: recorded, moved on from; transient: retried a
//! bounded number of times), and the fleet counts the answers that lead to
//! Discord's IP ban.

use discord_standin::client::{FaultSpec, FileSpec};
use serde_json::Value;

use crate::support::fixtures::{alice_ticket, modmail_guild, AliceTicket, ModmailGuild};
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
    let AliceTicket { app, acme: _, alice, channel } = alice_ticket("hello").await;

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
    // The relay's record follows its message (it is written once Discord
    // answered), so it is waited for.
    crate::support::eventually("nothing is left behind the lost file", || async {
        let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM inbound_dms WHERE state = 'pending'")
            .fetch_one(&app.db.pool)
            .await
            .ok()?;
        (pending == 0).then_some(())
    })
    .await;
    app.shutdown().await;
}

#[tokio::test]
async fn a_file_the_cdn_fails_to_serve_twice_is_fetched_on_the_third_try_and_relayed() {
    let AliceTicket { app, acme: _, alice, channel } = alice_ticket("hello").await;

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
    use ticketeer::domain::ids::UserId;
    use ticketeer::redis::invalid_requests::InvalidRequests;
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

/// A modmail category `Billing` in `guild`, and the category prompt on.
async fn turn_category_prompt_on(app: &TestApp, guild: &crate::support::Guild) {
    let billing = app.control.create_channel(guild.id, "Billing", 4, None).await.unwrap();
    app.control.post_message(guild.general, guild.owner, &format!("!category create {billing} Billing")).await.unwrap();
    app.wait_for_channel_text(guild.general, "Category **Billing** created").await;
    app.control.post_message(guild.general, guild.owner, "!category on").await.unwrap();
    app.wait_for_channel_text(guild.general, "The category prompt is on").await;
}

/// Stores a DM of `user` as if its drain had died long ago, so that only
/// the inbox sweeper relays it: its arrival in the ticket proves a sweep
/// ran after everything before it.
async fn left_for_the_sweeper(app: &TestApp, user: u64, ticket_channel: u64, text: &str) {
    let (latest, dm_channel): (i64, i64) = sqlx::query_as(
        "SELECT message_id, dm_channel_id FROM inbound_dms WHERE user_id = $1 ORDER BY message_id DESC LIMIT 1",
    )
    .bind(user as i64)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO inbound_dms (message_id, user_id, dm_channel_id, author_name, content, attachments, received_at)
         VALUES ($1, $2, $3, 'bob', $4, '[]', now() - interval '1 hour')",
    )
    .bind(latest + 1)
    .bind(user as i64)
    .bind(dm_channel)
    .bind(text)
    .execute(&app.db.pool)
    .await
    .unwrap();
    app.wait_for_channel_text(ticket_channel, text).await;
}

#[tokio::test]
async fn a_user_who_blocked_the_bot_still_reaches_staff_who_are_told_once_and_nothing_is_retried() {
    use crate::support::Options;

    let app = TestApp::spawn_with(Options { inbox_sweep_ms: 300, inbox_stale_ms: 1_000, ..Options::default() }).await;
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;
    turn_category_prompt_on(&app, &acme).await;
    let blue = app.guild("blue").await;
    app.setup_modmail(&blue).await;
    let alice = app.member("alice", &[&acme]).await;
    app.control.set_dms_closed(alice, true).await.unwrap();
    let bob = app.member("bob", &[&blue]).await;
    let bobs_ticket = app.open_ticket(&blue, bob, "bob says hello").await;

    app.control.user_dm(alice, "first message").await.unwrap();
    app.control.user_dm(alice, "second message").await.unwrap();
    let ticket: i64 = eventually("alice's ticket opens", || async {
        sqlx::query_scalar("SELECT channel_id FROM tickets WHERE opener_id = $1 AND status = 'open'")
            .bind(alice as i64)
            .fetch_optional(&app.db.pool)
            .await
            .ok()
            .flatten()
    })
    .await;
    let ticket = ticket as u64;
    wait_in_order(&app, ticket, &["first message", "second message"]).await;
    left_for_the_sweeper(&app, bob, bobs_ticket, "first sweep").await;
    app.control.user_dm(alice, "third message").await.unwrap();
    wait_in_order(&app, ticket, &["first message", "second message", "third message"]).await;
    left_for_the_sweeper(&app, bob, bobs_ticket, "second sweep").await;

    let in_inbox = app.ticket_channels(&acme).await.iter().any(|c| crate::support::is_id(&c["id"], ticket));
    assert!(in_inbox, "a prompt that cannot be shown opens the ticket in the inbox");
    let notices: Vec<String> = app
        .control
        .channel_messages(ticket)
        .await
        .unwrap()
        .iter()
        .map(text_of)
        .filter(|t| t.contains("does not accept direct messages from the bot"))
        .collect();
    assert_eq!(notices.len(), 1, "staff are told once: {notices:?}");
    let dm_channel: i64 = sqlx::query_scalar("SELECT DISTINCT dm_channel_id FROM inbound_dms WHERE user_id = $1")
        .bind(alice as i64)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let to_alice: Vec<u64> = app
        .control
        .requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r["method"] == "POST" && r["path"] == format!("/channels/{dm_channel}/messages"))
        .filter_map(|r| r["status"].as_u64())
        .collect();
    assert_eq!(to_alice, vec![403, 403], "the category prompt and the welcome were each tried once");
    let states: Vec<String> =
        sqlx::query_scalar("SELECT state FROM inbound_dms WHERE user_id = $1 ORDER BY message_id")
            .bind(alice as i64)
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(states, vec!["relayed"; 3], "nothing is left pending for the sweeper");
    app.shutdown().await;
}

/// The statuses of the bot's posts to `channel`, oldest first.
async fn posts_to(app: &TestApp, channel: u64) -> Vec<u64> {
    app.control
        .requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r["method"] == "POST" && r["path"] == format!("/channels/{channel}/messages"))
        .filter_map(|r| r["status"].as_u64())
        .collect()
}

async fn dm_record(app: &TestApp, text: &str) -> (String, i32, Option<String>) {
    sqlx::query_as("SELECT state, attempts, last_error FROM inbound_dms WHERE content = $1")
        .bind(text)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_dm_discord_keeps_failing_transiently_is_retried_five_times_with_backoff_then_recorded_as_failed() {
    use crate::support::Options;

    // No give-up window: the fifth failure alone gives the DM up (the
    // window, 10 minutes by default, is what a storm test relies on).
    let options = Options {
        inbox_sweep_ms: 200,
        inbox_stale_ms: 500,
        inbox_retry_ms: 100,
        config: vec![("TICKETEER_INBOX_GIVE_UP_MS", "0".into())],
        ..Options::default()
    };
    let app = TestApp::spawn_with(options).await;
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;
    let alice = app.member("alice", &[&acme]).await;
    let channel = app.open_ticket(&acme, alice, "hello").await;
    app.control.clear_requests().await.unwrap();

    app.control.inject_fault(fault("POST", "/channels/{channel_id}/messages", 503, 5)).await.unwrap();
    app.control.user_dm(alice, "the unlucky message").await.unwrap();
    app.control.user_dm(alice, "the next message").await.unwrap();

    let messages = wait_in_order(&app, channel, &["hello", "the next message"]).await;
    assert!(!messages.iter().any(|m| text_of(m).contains("the unlucky message")));
    assert_eq!(posts_to(&app, channel).await, vec![503, 503, 503, 503, 503, 200], "five tries, then on");
    let (state, attempts, error) = dm_record(&app, "the unlucky message").await;
    assert_eq!((state.as_str(), attempts), ("failed", 5));
    assert!(error.unwrap_or_default().contains("503"), "the reason is on record");
    // The relay is posted before its row is marked: wait for the mark.
    crate::support::eventually("the next message is on record as relayed", || async {
        (dm_record(&app, "the next message").await.0 == "relayed").then_some(())
    })
    .await;
    app.shutdown().await;
}

#[tokio::test]
async fn a_dm_discord_refuses_for_good_is_recorded_as_failed_at_once_and_the_next_one_follows() {
    let AliceTicket { app, acme: _, alice, channel } = alice_ticket("hello").await;
    app.control.clear_requests().await.unwrap();

    app.control.inject_fault(fault("POST", "/channels/{channel_id}/messages", 403, 1)).await.unwrap();
    app.control.user_dm(alice, "the refused message").await.unwrap();
    app.control.user_dm(alice, "the next message").await.unwrap();

    wait_in_order(&app, channel, &["hello", "the next message"]).await;
    assert_eq!(posts_to(&app, channel).await, vec![403, 200], "a 403 is never asked again");
    let (state, attempts, _) = dm_record(&app, "the refused message").await;
    assert_eq!((state.as_str(), attempts), ("failed", 0), "recorded at once, without retries");
    app.shutdown().await;
}

#[tokio::test]
async fn a_held_dm_whose_file_expired_while_the_user_chose_a_team_is_relayed_with_a_note_before_the_later_ones() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    turn_category_prompt_on(&app, &acme).await;
    let alice = app.member("alice", &[&acme]).await;

    app.control.user_dm_with_files(alice, "here is my receipt", &[receipt()]).await.unwrap();
    let prompt = eventually("the bot asks for a team", || async {
        app.bot_dms(alice).await.into_iter().find(|m| m["components"].as_array().is_some_and(|c| !c.is_empty()))
    })
    .await;
    app.control.user_dm(alice, "second message").await.unwrap();
    // Hours pass; the held message's CDN link expires.
    app.control.inject_fault(fault("GET", DOWNLOAD_ROUTE, 404, 100)).await.unwrap();
    let button = prompt["components"][0]["components"][0]["custom_id"].as_str().unwrap().to_owned();
    let id = |v: &Value| v.as_str().unwrap().parse::<u64>().unwrap();
    app.control.click(alice, id(&prompt["channel_id"]), id(&prompt["id"]), &button, 2, None).await.unwrap();
    let ticket: i64 = eventually("the ticket opens", || async {
        sqlx::query_scalar("SELECT channel_id FROM tickets WHERE opener_id = $1 AND status = 'open'")
            .bind(alice as i64)
            .fetch_optional(&app.db.pool)
            .await
            .ok()
            .flatten()
    })
    .await;
    app.control.user_dm(alice, "third message").await.unwrap();

    let texts = ["here is my receipt", "second message", "third message"];
    let messages = wait_in_order(&app, ticket as u64, &texts).await;
    let lost = messages.iter().find(|m| text_of(m).contains("here is my receipt")).unwrap();
    assert!(text_of(lost).contains("A file could not be fetched: receipt.png, 2.5 KB"), "{}", text_of(lost));
    assert_eq!(app.control.downloads().await.unwrap().len(), 1, "the expired link was fetched once");
    app.shutdown().await;
}

#[tokio::test]
async fn a_user_in_two_servers_who_blocked_the_bot_has_each_dm_refused_after_one_menu_attempt() {
    use crate::support::Options;

    let app = TestApp::spawn_with(Options { inbox_sweep_ms: 300, inbox_stale_ms: 1_000, ..Options::default() }).await;
    let acme = app.guild("acme").await;
    let blue = app.guild("blue").await;
    app.setup_modmail(&acme).await;
    app.setup_modmail(&blue).await;
    let alice = app.member("alice", &[&acme, &blue]).await;
    app.control.set_dms_closed(alice, true).await.unwrap();
    let bob = app.member("bob", &[&blue]).await;
    let bobs_ticket = app.open_ticket(&blue, bob, "bob says hello").await;

    app.control.user_dm(alice, "first message").await.unwrap();
    app.control.user_dm(alice, "second message").await.unwrap();
    let states = eventually("both DMs are settled", || async {
        let states: Vec<String> =
            sqlx::query_scalar("SELECT state FROM inbound_dms WHERE user_id = $1 ORDER BY message_id")
                .bind(alice as i64)
                .fetch_all(&app.db.pool)
                .await
                .ok()?;
        (states.len() == 2 && states.iter().all(|s| s != "pending")).then_some(states)
    })
    .await;
    assert_eq!(states, vec!["refused"; 2], "a server menu that cannot be shown refuses, on record");
    left_for_the_sweeper(&app, bob, bobs_ticket, "first sweep").await;
    left_for_the_sweeper(&app, bob, bobs_ticket, "second sweep").await;

    let dm_channel: i64 = sqlx::query_scalar("SELECT DISTINCT dm_channel_id FROM inbound_dms WHERE user_id = $1")
        .bind(alice as i64)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let attempts = posts_to(&app, dm_channel as u64).await;
    assert!(
        !attempts.is_empty() && attempts.len() <= 2 && attempts.iter().all(|s| *s == 403),
        "at most one menu per DM, none by the sweeper: {attempts:?}"
    );
    assert_eq!(app.ticket_count().await, 1, "only bob's ticket: nothing opened behind alice's back");
    app.shutdown().await;
}
