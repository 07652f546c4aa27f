//! Scheduled closes and reminders: kept in PostgreSQL, indexed in Redis,
//! fired once by any process, surviving restarts of the bot, of Redis and of
//! PostgreSQL.
//!
//! Tests do not wait hours: `advance_timers` moves pending timers' due time to
//! now in PostgreSQL (the truth), exactly what the passing of time would do.

use serde_json::json;

use crate::support::fixtures::{alice_ticket, modmail_guild, AliceTicket, ModmailGuild};
use crate::support::{eventually, text_of, Options, TestApp};

async fn timer_states(app: &TestApp) -> Vec<(String, String)> {
    sqlx::query_as("SELECT kind, state FROM timers ORDER BY timer_id").fetch_all(&app.db.pool).await.unwrap()
}

#[tokio::test]
async fn close_with_a_delay_schedules_the_close_and_it_fires_once_when_due() {
    let AliceTicket { app, acme, alice, channel } = alice_ticket("thanks, all good").await;

    app.control.post_message(channel, acme.staff, "!close 2h").await.unwrap();
    let notice = app.wait_for_channel_text(channel, "will close").await;
    let due: f64 = sqlx::query_scalar("SELECT extract(epoch FROM due_at - now())::float8 FROM timers")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert!((7100.0..=7200.0).contains(&due), "due in two hours, not {due} s");
    assert!(text_of(&notice).contains("<t:"), "{notice}");
    // The worker has looked for due timers since (and run one): not this one.
    app.wait_until_timers_looked().await;
    assert_eq!(app.ticket_status(channel).await, "open", "nothing fires early");

    assert_eq!(app.advance_timers().await, 1);
    app.wait_until_closed(channel).await;
    app.wait_for_bot_dm(alice, "has been closed").await;
    eventually("the timer is marked fired", || async {
        (timer_states(&app).await == vec![("close".to_owned(), "fired".to_owned())]).then_some(())
    })
    .await;
    // A later look of the worker, with no run left going: a second firing
    // would have sent its message by now.
    app.wait_until_timers_looked().await;
    let closes = app.bot_dms(alice).await.iter().filter(|m| text_of(m).contains("has been closed")).count();
    assert_eq!(closes, 1, "the close message is sent once");
    app.shutdown().await;
}

#[tokio::test]
async fn a_ticket_whose_channel_staff_delete_closes_with_its_scheduled_close_cancelled() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;
    let alice = app.member("alice", &[&acme]).await;
    let channel = app.open_ticket(&acme, alice, "thanks, all good").await;
    app.control.post_message(channel, acme.staff, "!close 2h").await.unwrap();
    app.wait_for_channel_text(channel, "will close").await;

    app.control.delete_channel(channel).await.unwrap();
    app.wait_until_closed(channel).await;
    // The close and its timer's end are one transaction: no pending close
    // is left to fire on a closed ticket, and the close is on record.
    assert_eq!(timer_states(&app).await, vec![("close".to_owned(), "cancelled".to_owned())]);
    let closed: Vec<String> = sqlx::query_scalar("SELECT detail FROM ticket_events WHERE kind = 'closed'")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(closed, ["channel deleted"]);
    app.shutdown().await;
}

#[tokio::test]
async fn a_bad_delay_is_refused_with_the_formats_in_both_forms() {
    let AliceTicket { app, acme, alice: _, channel } = alice_ticket("hello").await;

    app.control.post_message(channel, acme.staff, "!close 2x").await.unwrap();
    app.wait_for_channel_text(channel, "`1d12h`").await;
    let answer =
        app.command(acme.staff, &acme, channel, "close", json!([{"name": "time", "type": 3, "value": "soon"}])).await;
    assert_eq!(answer["data"]["flags"], 64, "{answer}");
    assert!(answer["data"]["content"].as_str().unwrap().contains("`30m`"), "{answer}");
    assert!(timer_states(&app).await.is_empty(), "nothing was scheduled");
    assert_eq!(app.ticket_status(channel).await, "open");
    app.shutdown().await;
}

#[tokio::test]
async fn a_scheduled_close_is_cancelled_by_staff_in_both_forms_and_by_the_user_writing() {
    let AliceTicket { app, acme, alice, channel } = alice_ticket("hello").await;

    let scheduled =
        app.slash(acme.staff, &acme, channel, "close", json!([{"name": "time", "type": 3, "value": "30m"}])).await;
    assert!(scheduled.contains("will close"), "{scheduled}");
    let cancelled =
        app.slash(acme.staff, &acme, channel, "close", json!([{"name": "cancel", "type": 5, "value": true}])).await;
    assert!(cancelled.contains("cancelled"), "{cancelled}");

    app.control.post_message(channel, acme.staff, "!close 1h").await.unwrap();
    eventually("a second close is scheduled", || async {
        (timer_states(&app).await.last().map(|(_, state)| state.as_str()) == Some("pending")).then_some(())
    })
    .await;
    app.control.post_message(channel, acme.staff, "!close -c").await.unwrap();
    app.wait_for_channel_count(channel, "The scheduled close was cancelled", 2).await;

    app.control.post_message(channel, acme.staff, "!close 1d").await.unwrap();
    eventually("a third close is scheduled", || async {
        let states = timer_states(&app).await;
        (states.len() == 3 && states[2].1 == "pending").then_some(())
    })
    .await;
    app.control.user_dm(alice, "wait, one more thing").await.unwrap();
    app.wait_for_channel_text(channel, "The user wrote again").await;
    assert_eq!(
        timer_states(&app).await,
        vec![
            ("close".into(), "cancelled".into()),
            ("close".into(), "cancelled".into()),
            ("close".into(), "cancelled".into())
        ]
    );
    app.advance_timers().await;
    app.wait_until_timers_looked().await;
    assert_eq!(app.ticket_status(channel).await, "open", "a cancelled close never fires");
    app.shutdown().await;
}

#[tokio::test]
async fn time_to_close_thread_makes_close_wait_unless_staff_say_now() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    app.control.post_message(acme.general, acme.owner, "!modmail set time_to_close_thread 30m").await.unwrap();
    app.wait_for_channel_text(acme.general, "Saved: time_to_close_thread").await;
    let alice = app.member("alice", &[&acme]).await;
    let channel = app.open_ticket(&acme, alice, "hello").await;

    app.control.post_message(channel, acme.staff, "!close").await.unwrap();
    app.wait_for_channel_text(channel, "will close").await;
    let due: f64 = sqlx::query_scalar("SELECT extract(epoch FROM due_at - now())::float8 FROM timers")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert!((1700.0..=1800.0).contains(&due), "the guild's default delay: {due}");
    app.control.post_message(channel, acme.staff, "!close now").await.unwrap();
    app.wait_until_closed(channel).await;
    assert_eq!(timer_states(&app).await, vec![("close".into(), "cancelled".into())], "closing cancels the timer");
    app.shutdown().await;
}

#[tokio::test]
async fn a_scheduled_close_survives_a_restart_of_the_bot() {
    let AliceTicket { mut app, acme, alice, channel } = alice_ticket("hello").await;
    app.control.post_message(channel, acme.staff, "!close -s 1h").await.unwrap();
    app.wait_for_channel_text(channel, "will close").await;

    app.stop_cluster(0).await;
    assert_eq!(app.advance_timers().await, 1, "the timer is due while no bot runs");
    app.start_cluster(0).await;
    app.wait_until_closed(channel).await;
    assert!(
        !app.bot_dms(alice).await.iter().any(|m| text_of(m).contains("has been closed")),
        "a silent close messages nobody"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn timers_survive_redis_losing_its_data() {
    use deadpool_redis::redis;

    let AliceTicket { app, acme, alice: _, channel } = alice_ticket("hello").await;
    app.control.post_message(channel, acme.staff, "!add_reminder 1h check the refund").await.unwrap();
    app.wait_for_channel_text(channel, "Reminder #1 set").await;

    // What a Redis restart without persistence does to this bot's data: the
    // index is gone. (Only this test's keys: other tests share the server.)
    let index = app.bot().keys.timer_index();
    let mut conn = app.bot().redis.get().await.unwrap();
    let removed: i64 = redis::cmd("DEL").arg(&index).query_async(&mut conn).await.unwrap();
    assert_eq!(removed, 1, "the index existed");
    app.advance_timers().await;
    let reminder = app.wait_for_channel_text(channel, "reminder #1: check the refund").await;
    assert!(reminder["mentions"].as_array().unwrap().iter().any(|u| crate::support::is_id(&u["id"], acme.staff)));
    app.shutdown().await;
}

#[tokio::test]
async fn reminders_ping_their_staff_member_and_removed_ones_never_fire() {
    let AliceTicket { app, acme, alice: _, channel } = alice_ticket("hello").await;

    app.control.post_message(channel, acme.staff, "!add_reminder 2h follow up on the invoice").await.unwrap();
    app.wait_for_channel_text(channel, "Reminder #1 set").await;
    let second = app
        .slash(
            acme.staff,
            &acme,
            channel,
            "add_reminder",
            json!([{"name": "time", "type": 3, "value": "1d"}, {"name": "content", "type": 3, "value": "never shown"}]),
        )
        .await;
    assert!(second.contains("Reminder #2 set"), "{second}");
    let removed = app
        .slash(acme.staff, &acme, channel, "remove_reminder", json!([{"name": "reminder_id", "type": 4, "value": 2}]))
        .await;
    assert!(removed.contains("Reminder #2 removed"), "{removed}");
    app.control.post_message(channel, acme.staff, "!remove_reminder 9").await.unwrap();
    app.wait_for_channel_text(channel, "no reminder #9").await;

    app.advance_timers().await;
    let fired = app.wait_for_channel_text(channel, "reminder #1: follow up on the invoice").await;
    assert!(
        fired["mentions"].as_array().unwrap().iter().any(|u| crate::support::is_id(&u["id"], acme.staff)),
        "the staff member is pinged: {fired}"
    );
    app.wait_until_timers_looked().await;
    let messages = app.control.channel_messages(channel).await.unwrap();
    assert!(!messages.iter().any(|m| text_of(m).contains("never shown")), "a removed reminder never fires");
    app.shutdown().await;
}

#[tokio::test]
async fn each_timer_fires_exactly_once_with_two_clusters_racing() {
    let app = TestApp::spawn_with(Options { shards: 2, clusters: 2, ..Options::default() }).await;
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;
    let alice = app.member("alice", &[&acme]).await;
    let channel = app.open_ticket(&acme, alice, "hello").await;
    for n in 0..20 {
        let at = app.staff_invocation(&acme, channel, 9_000 + n);
        let command = ticketeer::commands::Command::AddReminder {
            delay: std::time::Duration::from_secs(3600),
            content: format!("race {n}"),
        };
        ticketeer::commands::execute(&app.bot().tickets, command, &at).await.unwrap();
    }
    app.advance_timers().await;
    eventually("every reminder fired", || async {
        let fired: i64 = sqlx::query_scalar("SELECT count(*) FROM timers WHERE state = 'fired'")
            .fetch_one(&app.db.pool)
            .await
            .ok()?;
        (fired == 20).then_some(())
    })
    .await;
    // No run of either cluster is still going (a second run of a fired
    // timer would need a claim, which only a pending timer gives).
    app.wait_until_timers_looked().await;
    let messages = app.control.channel_messages(channel).await.unwrap();
    for n in 0..20 {
        let copies = messages.iter().filter(|m| text_of(m).ends_with(&format!("race {n}"))).count();
        assert_eq!(copies, 1, "reminder {n} fired {copies} times");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn the_same_timer_command_delivered_twice_schedules_once() {
    let AliceTicket { app, acme, alice: _, channel } = alice_ticket("hello").await;
    let at = app.staff_invocation(&acme, channel, 777);
    let close = ticketeer::commands::Command::Close {
        silent: false,
        when: ticketeer::commands::CloseWhen::After(std::time::Duration::from_secs(7200)),
    };
    let tickets = &app.bot().tickets;
    ticketeer::commands::execute(tickets, close.clone(), &at).await.unwrap();
    ticketeer::commands::execute(tickets, close, &at).await.unwrap();
    let reminder =
        ticketeer::commands::Command::AddReminder { delay: std::time::Duration::from_secs(60), content: "once".into() };
    let at = app.staff_invocation(&acme, channel, 778);
    ticketeer::commands::execute(tickets, reminder.clone(), &at).await.unwrap();
    ticketeer::commands::execute(tickets, reminder, &at).await.unwrap();
    assert_eq!(
        timer_states(&app).await,
        vec![("close".into(), "pending".into()), ("reminder".into(), "pending".into())],
        "one close, one reminder"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_timer_due_while_postgres_is_unreachable_fires_once_it_is_back() {
    use sqlx::{Connection, PgConnection};

    let AliceTicket { app, acme, alice: _, channel } = alice_ticket("hello").await;
    app.control.post_message(channel, acme.staff, "!add_reminder 1h check the refund").await.unwrap();
    app.wait_for_channel_text(channel, "Reminder #1 set").await;
    // Due in three seconds: after PostgreSQL goes, a moment from now.
    let (timer, due_ms): (i64, i64) = sqlx::query_as(
        "UPDATE timers SET due_at = now() + interval '3 seconds' WHERE state = 'pending'
         RETURNING timer_id, (extract(epoch FROM due_at) * 1000)::int8",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();

    // What a PostgreSQL restart looks like to the bot, for this test's
    // database only: every connection is cut and new ones are refused while
    // the timer falls due.
    let mut admin = PgConnection::connect(&crate::support::database::server_url()).await.unwrap();
    let name = &app.db.name;
    sqlx::query(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false")).execute(&mut admin).await.unwrap();
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
        .bind(name)
        .execute(&mut admin)
        .await
        .unwrap();
    // The index says when it is due (the rebuild that would tell it reads
    // PostgreSQL, and may not have run since the change). Once it is due the
    // worker takes it up, cannot claim it, and puts it back for its next
    // look: scored with the time of that look, after the due time.
    let index = app.bot().keys.timer_index();
    let score = || async {
        use deadpool_redis::redis;
        let mut conn = app.bot().redis.get().await.ok()?;
        let score: Option<f64> = redis::cmd("ZSCORE").arg(&index).arg(timer).query_async(&mut conn).await.ok()?;
        score
    };
    {
        use deadpool_redis::redis;
        let mut conn = app.bot().redis.get().await.unwrap();
        let _: i64 = redis::cmd("ZADD").arg(&index).arg(due_ms).arg(timer).query_async(&mut conn).await.unwrap();
    }
    crate::support::eventually_within(
        std::time::Duration::from_secs(30),
        "the worker takes the due timer up and cannot claim it",
        || async { (score().await? > due_ms as f64).then_some(()) },
    )
    .await;
    let messages = app.control.channel_messages(channel).await.unwrap();
    assert!(!messages.iter().any(|m| text_of(m).contains("reminder #1:")), "nothing fires without PostgreSQL");
    sqlx::query(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).execute(&mut admin).await.unwrap();

    app.wait_for_channel_text(channel, "reminder #1: check the refund").await;
    // The timer is marked fired after its message is posted.
    crate::support::eventually("the reminder is marked fired", || async {
        (timer_states(&app).await == vec![("reminder".to_owned(), "fired".to_owned())]).then_some(())
    })
    .await;
    app.wait_until_timers_looked().await;
    let fired = app.control.channel_messages(channel).await.unwrap();
    assert_eq!(fired.iter().filter(|m| text_of(m).contains("reminder #1:")).count(), 1, "it fired once");
    app.shutdown().await;
}
