//! The inbox sweeper takes really stranded DMs first: users waiting on a
//! server menu take no slot, and users whose drain keeps stopping short take
//! turns instead of every slot. Sweeps are run by the test (the sweeper's own
//! period is set far away), so "within two sweeps" is counted, not timed.

use std::time::Duration;

use deadpool_redis::redis;
use ticketeer::domain::ids::UserId;
use ticketeer::jobs::inbox_sweeper::sweep_once;

use crate::support::{eventually, text_of, Guild, Options, TestApp};

/// Sweeps at most this many users at once in these tests.
const SWEEP_USERS: usize = 5;

async fn spawn() -> TestApp {
    TestApp::spawn_with(Options {
        // Only the test sweeps: the sweeper's own first sweep is 10 minutes away,
        // and no start-up recovery drains inboxes behind the test's back (it
        // runs 2 s after READY, which a slow setup can put mid-test).
        inbox_sweep_ms: 600_000,
        recover_on_start: false,
        inbox_stale_ms: 200,
        config: vec![("TICKETEER_INBOX_SWEEP_USERS", SWEEP_USERS.to_string())],
        ..Options::default()
    })
    .await
}

/// Stores a pending DM of `user` as a process that died before draining it
/// leaves it: nothing but a sweep will relay it. `age_ms` back in time.
async fn stranded_dm(app: &TestApp, user: u64, text: &str, age_ms: i64) -> i64 {
    use twilight_model::id::Id;
    let channel = app.bot().http.create_private_channel(Id::new(user)).await.unwrap().model().await.unwrap();
    // A snowflake of now, unique per user.
    let millis = chrono::Utc::now().timestamp_millis() - 1_420_070_400_000;
    let message = (millis << 22) | (user as i64 & 0x3f_ffff);
    sqlx::query(
        "INSERT INTO inbound_dms (message_id, user_id, dm_channel_id, author_name, content, attachments, received_at)
         VALUES ($1, $2, $3, 'someone', $4, '[]', now() - make_interval(secs => $5))",
    )
    .bind(message)
    .bind(user as i64)
    .bind(channel.id.get() as i64)
    .bind(text)
    .bind(age_ms as f64 / 1000.0)
    .execute(&app.db.pool)
    .await
    .unwrap();
    message
}

/// Waits until every pending DM is older than the stale threshold, by
/// PostgreSQL's clock (the one the sweeper reads).
async fn until_stale(app: &TestApp) {
    eventually("every pending DM is stale", || async {
        let fresh: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM inbound_dms WHERE state = 'pending' AND received_at > now() - interval '300 ms'",
        )
        .fetch_one(&app.db.pool)
        .await
        .ok()?;
        (fresh == 0).then_some(())
    })
    .await;
}

async fn sweep(app: &TestApp) -> Vec<u64> {
    let swept = sweep_once(app.bot()).await.unwrap().expect("no other process sweeps");
    swept.into_iter().map(|u| u.0).collect()
}

/// The open ticket channel of `user` in `guild`, and its texts.
async fn ticket_texts(app: &TestApp, guild: &Guild, user: u64) -> Option<Vec<String>> {
    let channel: i64 =
        sqlx::query_scalar("SELECT channel_id FROM tickets WHERE guild_id = $1 AND opener_id = $2 AND status = 'open'")
            .bind(guild.id as i64)
            .bind(user as i64)
            .fetch_optional(&app.db.pool)
            .await
            .unwrap()?;
    let messages = app.control.channel_messages(channel as u64).await.unwrap();
    Some(messages.iter().map(text_of).collect())
}

async fn states(app: &TestApp, user: u64) -> Vec<String> {
    sqlx::query_scalar("SELECT state FROM inbound_dms WHERE user_id = $1 ORDER BY message_id")
        .bind(user as i64)
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn users_waiting_on_a_server_menu_take_no_sweep_slot_and_a_stranded_dm_is_relayed_by_the_first_sweep() {
    let app = spawn().await;
    let acme = app.guild("acme").await;
    let blue = app.guild("blue").await;
    app.setup_modmail(&acme).await;
    app.setup_modmail(&blue).await;

    // Eight users in two modmail servers write and are asked which server:
    // more than one sweep takes, and each has DMs pending longer than the
    // stranded one below.
    let mut waiting = Vec::new();
    for n in 0..8 {
        let user = app.member(&format!("waiting{n}"), &[&acme, &blue]).await;
        app.control.user_dm(user, &format!("which server, {n}?")).await.unwrap();
        waiting.push(user);
    }
    for &user in &waiting {
        eventually("the user is asked which server", || async {
            let dms = app.bot_dms(user).await;
            dms.iter().any(|m| m["components"].to_string().contains("modmail:choose-guild")).then_some(())
        })
        .await;
    }
    let bob = app.member("bob", &[&acme]).await;
    stranded_dm(&app, bob, "my drain died with its process", 0).await;
    until_stale(&app).await;

    let swept = sweep(&app).await;
    assert_eq!(swept, vec![bob], "only the stranded user is swept; those waiting for their pick are left alone");
    let texts = ticket_texts(&app, &acme, bob).await.expect("the sweep opened bob's ticket");
    assert_eq!(texts.iter().filter(|t| t.contains("my drain died with its process")).count(), 1, "{texts:?}");
    assert_eq!(states(&app, bob).await, ["relayed"]);

    // A second sweep has nothing to do: the waiting users still wait, asked
    // once each, their DMs pending (held, not refused).
    assert_eq!(sweep(&app).await, Vec::<u64>::new());
    for &user in &waiting {
        let menus = app.bot_dms(user).await;
        assert_eq!(menus.len(), 1, "one menu each: {menus:?}");
        assert_eq!(states(&app, user).await, ["pending"]);
    }
    assert_eq!(app.ticket_count().await, 1);
    app.shutdown().await;
}

/// Holds `user`'s DM drain lock as a live process elsewhere would (a foreign
/// token, so nothing here takes it over), for `ttl`.
async fn hold_drain_lock(app: &TestApp, user: u64, ttl: Duration) {
    let key = app.bot().keys.dm_drain_lock(UserId(user));
    let mut conn = app.bot().redis.get().await.unwrap();
    let _: () = redis::cmd("SET")
        .arg(key)
        .arg("other-host/gateway-3@1/0123")
        .arg("PX")
        .arg(ttl.as_millis() as u64)
        .query_async(&mut conn)
        .await
        .unwrap();
}

async fn free_drain_lock(app: &TestApp, user: u64) {
    let key = app.bot().keys.dm_drain_lock(UserId(user));
    let mut conn = app.bot().redis.get().await.unwrap();
    let _: i64 = redis::cmd("DEL").arg(key).query_async(&mut conn).await.unwrap();
}

#[tokio::test]
async fn users_whose_drain_keeps_stopping_short_take_turns_and_a_stranded_dm_is_relayed_by_the_second_sweep() {
    let app = spawn().await;
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;

    // Eight wedged users, stranded a minute ago: every drain of theirs stops
    // at once (another process holds their drain lock), so their DMs stay
    // pending after each sweep.
    let mut wedged = Vec::new();
    for n in 0..8 {
        let user = app.member(&format!("wedged{n}"), &[&acme]).await;
        hold_drain_lock(&app, user, Duration::from_secs(60)).await;
        stranded_dm(&app, user, &format!("wedged {n}"), 60_000 - n * 1_000).await;
        wedged.push(user);
    }
    // Bob's drain died later: oldest-first alone would never reach him.
    let bob = app.member("bob", &[&acme]).await;
    stranded_dm(&app, bob, "stranded after the others", 1_000).await;
    until_stale(&app).await;

    let first = sweep(&app).await;
    assert_eq!(first, wedged[..SWEEP_USERS], "the oldest first, at most {SWEEP_USERS}");
    let second = sweep(&app).await;
    let mut untried = wedged[SWEEP_USERS..].to_vec();
    untried.push(bob);
    assert_eq!(second[..untried.len()], untried, "then those not tried yet, oldest first, before anyone twice");
    assert_eq!(second[untried.len()..], [wedged[0]], "and in the slot left, who was tried longest ago");
    let texts = ticket_texts(&app, &acme, bob).await.expect("the second sweep opened bob's ticket");
    assert!(texts.iter().any(|t| t.contains("stranded after the others")), "{texts:?}");

    // Once the wedged users' drains can run, the next two sweeps relay each
    // of their DMs once: nothing was lost.
    for &user in &wedged {
        free_drain_lock(&app, user).await;
    }
    let mut later = sweep(&app).await;
    assert_eq!(later.len(), SWEEP_USERS);
    later.extend(sweep(&app).await);
    later.sort_unstable();
    let mut all = wedged.clone();
    all.sort_unstable();
    assert_eq!(later, all, "each wedged user once in the next two sweeps");
    for (n, &user) in wedged.iter().enumerate() {
        let texts = ticket_texts(&app, &acme, user).await.expect("each wedged user's ticket opened");
        let needle = format!("wedged {n}");
        assert_eq!(texts.iter().filter(|t| t.contains(&needle)).count(), 1, "{texts:?}");
        assert_eq!(states(&app, user).await, ["relayed"]);
    }
    assert_eq!(sweep(&app).await, Vec::<u64>::new());
    app.shutdown().await;
}

#[tokio::test]
async fn a_user_whose_server_menu_expired_is_left_alone_until_they_write_again_and_then_swept_and_asked_again() {
    let app = spawn().await;
    let acme = app.guild("acme").await;
    let blue = app.guild("blue").await;
    app.setup_modmail(&acme).await;
    app.setup_modmail(&blue).await;
    let alice = app.member("alice", &[&acme, &blue]).await;

    app.control.user_dm(alice, "first").await.unwrap();
    let menu = eventually("the bot asks which server", || async {
        app.bot_dms(alice).await.into_iter().find(|m| m["components"].to_string().contains("modmail:choose-guild"))
    })
    .await;
    // The menu's deadline passes while its timer is late (it is not due for
    // 15 minutes): routing and the sweeper go by the deadline, not the timer.
    sqlx::query("UPDATE dm_guild_choices SET expires_at = now()").execute(&app.db.pool).await.unwrap();
    until_stale(&app).await;
    assert_eq!(sweep(&app).await, Vec::<u64>::new(), "expired, but nothing new: waiting for the user's next DM");

    // Alice writes again, and the drain of that DM dies with its process.
    stranded_dm(&app, alice, "again", 0).await;
    until_stale(&app).await;
    assert_eq!(sweep(&app).await, vec![alice], "a DM after the deadline is the sweeper's to drain");
    let menus: Vec<_> = app
        .bot_dms(alice)
        .await
        .into_iter()
        .filter(|m| m["components"].to_string().contains("modmail:choose-guild"))
        .collect();
    assert_eq!(menus.len(), 2, "asked again, with a new menu: {menus:?}");
    let again = menus.into_iter().find(|m| m["id"] != menu["id"]).unwrap();
    let dm_channel: u64 = again["channel_id"].as_str().unwrap().parse().unwrap();
    let again_id: u64 = again["id"].as_str().unwrap().parse().unwrap();
    app.control
        .click(alice, dm_channel, again_id, "modmail:choose-guild", 3, Some(vec![acme.id.to_string()]))
        .await
        .unwrap();
    let texts = eventually("both DMs follow the pick", || async {
        let texts = ticket_texts(&app, &acme, alice).await?;
        texts.iter().any(|t| t.contains("again")).then_some(texts)
    })
    .await;
    let first = texts.iter().position(|t| t.contains("first")).expect("the held DM is relayed");
    let second = texts.iter().position(|t| t.contains("again")).unwrap();
    assert!(first < second, "in order: {texts:?}");
    assert_eq!(texts.iter().filter(|t| t.contains("first") || t.contains("again")).count(), 2, "{texts:?}");
    app.shutdown().await;
}
