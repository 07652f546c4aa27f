//! Timers end: a timer whose action keeps failing is retried with growing
//! gaps and then marked failed (at once when retrying cannot help), menu
//! refreshes do not pile up behind a failing menu channel, and one slow timer
//! does not hold up the others.
//!
//! Retries are counted in the stand-in's request log: every attempt is one
//! REST request. Waits are shortened through configuration, never slept.

use std::time::Duration;

use chrono::{DateTime, Utc};
use discord_standin::client::FaultSpec;
use reqwest::StatusCode;
use serde_json::Value;

use crate::panel_open::{open_panel_ticket, set_up_panel, wait_for_menu_count};
use crate::support::api::Auth;
use crate::support::{eventually, Options, TestApp};

const SEND: &str = "/channels/{channel_id}/messages";

/// A test app whose failed timers are retried after `base_ms`, doubling up to
/// `max_ms`, and given up after `attempts` runs.
async fn spawn_retrying(base_ms: u64, max_ms: u64, attempts: u32) -> TestApp {
    TestApp::spawn_with(Options {
        config: vec![
            ("TICKETEER_TIMER_RETRY_BASE_MS", base_ms.to_string()),
            ("TICKETEER_TIMER_RETRY_MAX_MS", max_ms.to_string()),
            ("TICKETEER_TIMER_MAX_ATTEMPTS", attempts.to_string()),
        ],
        ..Options::default()
    })
    .await
}

fn server_error(method: &str, route: &str) -> FaultSpec {
    FaultSpec {
        method: method.into(),
        route: route.into(),
        status: 500,
        count: 10_000,
        retry_after_ms: None,
        scope: None,
    }
}

/// The state, attempts and last error of the timer of `kind`.
async fn timer(app: &TestApp, kind: &str) -> (String, i32, Option<String>) {
    sqlx::query_as("SELECT state, attempts, last_error FROM timers WHERE kind = $1 ORDER BY timer_id LIMIT 1")
        .bind(kind)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// The requests the bot made to `path` with `method`, oldest first.
async fn requests_to(app: &TestApp, method: &str, path: &str) -> Vec<Value> {
    let all = app.control.requests().await.unwrap();
    all.into_iter().filter(|r| r["method"] == method && r["path"] == path).collect()
}

fn at(request: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(request["at"].as_str().unwrap()).unwrap().with_timezone(&Utc)
}

/// The `timer_failed` events of the ticket in `channel`.
async fn failure_events(app: &TestApp, channel: u64) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT e.detail FROM ticket_events e JOIN tickets t USING (ticket_id)
         WHERE t.channel_id = $1 AND e.kind = 'timer_failed'",
    )
    .bind(channel as i64)
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_reminder_whose_send_keeps_failing_is_retried_with_growing_gaps_then_failed_and_later_timers_still_fire() {
    let app = spawn_retrying(300, 10_000, 4).await;
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;
    let alice = app.member("alice", &[&acme]).await;
    let bob = app.member("bob", &[&acme]).await;
    let failing = app.open_ticket(&acme, alice, "hello").await;
    let working = app.open_ticket(&acme, bob, "hi").await;
    app.control.post_message(failing, acme.staff, "!add_reminder 1h check the refund").await.unwrap();
    app.wait_for_channel_text(failing, "Reminder #1 set").await;

    // Discord answers 500 to every message sent in this one channel.
    let path = format!("/channels/{failing}/messages");
    app.control.inject_fault_on(server_error("POST", SEND), &path).await.unwrap();
    app.control.clear_requests().await.unwrap();
    assert_eq!(app.advance_timers().await, 1);
    eventually("the reminder is marked failed", || async {
        (timer(&app, "reminder").await.0 == "failed").then_some(())
    })
    .await;

    let attempts = requests_to(&app, "POST", &path).await;
    assert_eq!(attempts.len(), 4, "four attempts, then given up: {attempts:?}");
    assert!(attempts.iter().all(|r| r["status"] == 500));
    let gaps: Vec<i64> = attempts.windows(2).map(|w| (at(&w[1]) - at(&w[0])).num_milliseconds()).collect();
    println!("gaps between attempts (ms): {gaps:?}");
    for (n, gap) in gaps.iter().enumerate() {
        // The wait starts when the failure is recorded, after the answer.
        let wait = 300 << n;
        assert!(*gap >= wait * 9 / 10, "attempt {} came {gap} ms after the one before, not ≥ {wait} ms", n + 2);
    }
    assert!(gaps.windows(2).all(|w| w[1] > w[0]), "the gaps grow: {gaps:?}");
    let (_, count, error) = timer(&app, "reminder").await;
    assert_eq!(count, 4);
    assert!(error.as_deref().unwrap_or_default().contains("500"), "{error:?}");
    let events = failure_events(&app, failing).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(events[0].starts_with("reminder #1 after 4 attempts"), "{events:?}");

    // A later timer, in a channel that works, still fires; the failed one
    // is not tried again meanwhile.
    app.control.post_message(working, acme.staff, "!add_reminder 1h call back").await.unwrap();
    app.wait_for_channel_text(working, "Reminder #1 set").await;
    app.advance_timers().await;
    app.wait_for_channel_text(working, "reminder #1: call back").await;
    assert_eq!(requests_to(&app, "POST", &path).await.len(), 4, "no fifth attempt");
    app.shutdown().await;
}

#[tokio::test]
async fn a_reminder_whose_runs_never_finished_is_marked_failed_without_running_again() {
    let app = spawn_retrying(300, 10_000, 3).await;
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;
    let alice = app.member("alice", &[&acme]).await;
    let channel = app.open_ticket(&acme, alice, "hello").await;
    app.control.post_message(channel, acme.staff, "!add_reminder 1h check the refund").await.unwrap();
    app.wait_for_channel_text(channel, "Reminder #1 set").await;

    // Three runs were started and none ended: each time the process running
    // it died (as a timer that crashes its process would), leaving only the
    // attempt count and a lease that ran out.
    sqlx::query("UPDATE timers SET attempts = 3, claimed_until = now() - interval '1 second' WHERE kind = 'reminder'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    app.control.clear_requests().await.unwrap();
    assert_eq!(app.advance_timers().await, 1);
    eventually("the reminder is marked failed", || async {
        (timer(&app, "reminder").await.0 == "failed").then_some(())
    })
    .await;

    let (_, attempts, error) = timer(&app, "reminder").await;
    assert_eq!(attempts, 4, "claimed once more, to be given up");
    assert!(error.as_deref().unwrap_or_default().contains("never finished"), "{error:?}");
    let events = failure_events(&app, channel).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(events[0].contains("never finished"), "{events:?}");
    let path = format!("/channels/{channel}/messages");
    assert!(requests_to(&app, "POST", &path).await.is_empty(), "the reminder was not run a fourth time");
    app.shutdown().await;
}

#[tokio::test]
async fn a_reminder_the_bot_may_no_longer_send_fails_after_one_attempt_and_shows_in_logs_and_the_api() {
    use twilight_model::guild::Permissions;
    use twilight_model::http::permission_overwrite::{PermissionOverwrite, PermissionOverwriteType};
    use twilight_model::id::Id;

    let app = spawn_retrying(300, 10_000, 6).await;
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;
    let alice = app.member("alice", &[&acme]).await;
    let bob = app.member("bob", &[&acme]).await;
    let failing = app.open_ticket(&acme, alice, "hello").await;
    let working = app.open_ticket(&acme, bob, "hi").await;
    app.control.post_message(failing, acme.staff, "!add_reminder 1h check the refund").await.unwrap();
    app.wait_for_channel_text(failing, "Reminder #1 set").await;

    // Someone takes the bot's right to write in the ticket: Discord answers
    // 403 (50013), which no retry can fix.
    let deny = PermissionOverwrite {
        allow: None,
        deny: Some(Permissions::SEND_MESSAGES),
        id: Id::new(app.bot().bot_user.get()),
        kind: PermissionOverwriteType::Member,
    };
    app.bot().http.update_channel_permission(Id::new(failing), &deny).await.expect("overwrite is set");
    app.control.clear_requests().await.unwrap();
    app.advance_timers().await;
    eventually("the reminder is marked failed", || async {
        (timer(&app, "reminder").await.0 == "failed").then_some(())
    })
    .await;
    let path = format!("/channels/{failing}/messages");
    let attempts = requests_to(&app, "POST", &path).await;
    assert_eq!(attempts.len(), 1, "one attempt: {attempts:?}");
    assert_eq!(attempts[0]["status"], 403);
    assert_eq!(timer(&app, "reminder").await.1, 1);

    app.control.post_message(working, acme.staff, "!add_reminder 1h call back").await.unwrap();
    app.wait_for_channel_text(working, "Reminder #1 set").await;
    app.advance_timers().await;
    app.wait_for_channel_text(working, "reminder #1: call back").await;
    assert_eq!(requests_to(&app, "POST", &path).await.len(), 1, "never tried again");

    // Staff see it in /logs (answered to the interaction, which still works)…
    let logs = app.slash(acme.staff, &acme, failing, "logs", serde_json::json!([])).await;
    assert!(logs.contains("timer failed (reminder #1 after 1 attempt"), "{logs}");
    // …and the API shows it among the ticket's events.
    let api = app.api().await;
    let session = api.login(&app, acme.owner).await;
    let token = Auth::Token(api.token(&session, acme.id, &["tickets:read"]).await);
    let number: i32 = sqlx::query_scalar("SELECT number FROM tickets WHERE channel_id = $1")
        .bind(failing as i64)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let one = api.get(&format!("/v1/guilds/{}/tickets/{number}", acme.id), &token).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    let failed: Vec<&Value> =
        one.body["events"].as_array().unwrap().iter().filter(|e| e["kind"] == "timer_failed").collect();
    assert_eq!(failed.len(), 1, "{}", one.body);
    assert!(failed[0]["detail"].as_str().unwrap().contains("reminder #1 after 1 attempt"), "{}", one.body);
    app.shutdown().await;
}

/// The most menu refreshes of one guild not yet finished.
async fn unfinished_refreshes(app: &TestApp) -> i64 {
    sqlx::query_scalar(
        "SELECT COALESCE(max(n), 0) FROM (SELECT count(*) AS n FROM timers
         WHERE kind = 'menu_refresh' AND state = 'pending' GROUP BY guild_id) per_guild",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_menu_channel_that_keeps_failing_holds_one_unfinished_refresh_and_the_menu_catches_up() {
    let app = spawn_retrying(200, 400, 1000).await;
    let acme = app.guild("acme").await;
    let panel = set_up_panel(&app, &acme).await;
    let menu_id = crate::panel_open::id_of(&panel.menu["id"]);
    let menu_path = format!("/channels/{}/messages/{menu_id}", panel.menu_channel);
    app.control
        .inject_fault_on(server_error("PATCH", "/channels/{channel_id}/messages/{message_id}"), &menu_path)
        .await
        .unwrap();
    app.control.clear_requests().await.unwrap();

    // Watch the table the whole time, not only at the end.
    let watching = tokio_util::sync::CancellationToken::new();
    let most = tokio::spawn({
        let pool = app.db.pool.clone();
        let watching = watching.clone();
        async move {
            let mut most = 0;
            while !watching.is_cancelled() {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COALESCE(max(n), 0) FROM (SELECT count(*) AS n FROM timers
                     WHERE kind = 'menu_refresh' AND state = 'pending' GROUP BY guild_id) per_guild",
                )
                .fetch_one(&pool)
                .await
                .unwrap();
                most = most.max(n);
                // The sampling interval of the watch, not a wait for an effect.
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            most
        }
    });

    let mut members = Vec::new();
    for i in 0..20 {
        let member = app.control.create_user(&format!("member{i}")).await.unwrap();
        app.control.put_member(acme.id, member, &[]).await.unwrap();
        members.push(member);
    }
    for member in &members[..10] {
        open_panel_ticket(&app, &panel, *member).await;
    }
    // A refresh has failed; more tickets open while it is retried.
    eventually("a menu edit failed", || async {
        (!requests_to(&app, "PATCH", &menu_path).await.is_empty()).then_some(())
    })
    .await;
    for member in &members[10..] {
        open_panel_ticket(&app, &panel, *member).await;
    }
    let before = requests_to(&app, "PATCH", &menu_path).await.len();
    eventually("the menu edit failed again after the last opening", || async {
        (requests_to(&app, "PATCH", &menu_path).await.len() > before).then_some(())
    })
    .await;
    watching.cancel();
    let most = most.await.unwrap();
    println!("most unfinished menu refreshes of the guild at once: {most}");
    assert_eq!(most, 1, "one unfinished refresh per guild, however many tickets opened");
    assert_eq!(unfinished_refreshes(&app).await, 1);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM timers WHERE kind = 'menu_refresh'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    println!("menu_refresh rows after 20 openings with the menu failing: {rows}");

    app.control.clear_faults().await.unwrap();
    wait_for_menu_count(&app, &panel, 20).await;
    eventually("no refresh is left unfinished", || async { (unfinished_refreshes(&app).await == 0).then_some(()) })
        .await;
    app.shutdown().await;
}

#[tokio::test]
async fn a_slow_close_does_not_hold_up_another_servers_reminder_due_at_the_same_time() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let globex = app.guild("globex").await;
    app.setup_modmail(&acme).await;
    app.setup_modmail(&globex).await;
    let alice = app.member("alice", &[&acme]).await;
    let bob = app.member("bob", &[&globex]).await;
    let slow = app.open_ticket(&acme, alice, "hello").await;
    let other = app.open_ticket(&globex, bob, "hi").await;
    app.control.post_message(slow, acme.staff, "!close 1h").await.unwrap();
    app.wait_for_channel_text(slow, "will close").await;
    app.control.post_message(other, globex.staff, "!add_reminder 1h call back").await.unwrap();
    app.wait_for_channel_text(other, "Reminder #1 set").await;

    // Reading the slow ticket's messages for its transcript takes 4 s.
    let path = format!("/channels/{slow}/messages");
    app.control.slow_down("GET", SEND, &path, 4_000, 1).await.unwrap();
    // Both fall due; the close first, so one worker firing in order would
    // run it before the reminder.
    sqlx::query(
        "UPDATE timers SET due_at = CASE WHEN kind = 'close' THEN now() - interval '1 second' ELSE now() END
         WHERE state = 'pending'",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();

    app.wait_for_channel_text(other, "reminder #1: call back").await;
    assert_eq!(app.ticket_status(slow).await, "open", "the reminder fired while the slow close still ran");
    eventually("the slow transcript read was made", || async {
        (!requests_to(&app, "GET", &path).await.is_empty()).then_some(())
    })
    .await;
    app.wait_until_closed(slow).await;
    app.shutdown().await;
}
