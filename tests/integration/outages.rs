//! Nothing lost: DMs sent while PostgreSQL is unreachable wait in order and
//! are relayed once it is back; servers joined meanwhile are recorded.

use std::time::Duration;

use crate::support::fixtures::{modmail_member, ModmailMember};
use crate::support::{eventually_within, text_of, Options, TestApp};

/// Waits (60 s at most) until every user's ticket holds their DM
/// (`"{prefix} {i:02}"`) exactly once; fails at once on a second copy.
async fn each_relayed_once(app: &TestApp, users: &[u64], prefix: &str) {
    eventually_within(Duration::from_secs(60), "every DM is relayed", || async {
        for (i, user) in users.iter().enumerate() {
            let channel: i64 = sqlx::query_scalar("SELECT channel_id FROM tickets WHERE opener_id = $1")
                .bind(*user as i64)
                .fetch_one(&app.db.pool)
                .await
                .ok()?;
            let messages = app.control.channel_messages(channel as u64).await.ok()?;
            let needle = format!("{prefix} {i:02}");
            let copies = messages.iter().filter(|m| text_of(m).contains(&needle)).count();
            assert!(copies <= 1, "user {i:02}'s DM was relayed {copies} times");
            (copies == 1).then_some(())?;
        }
        Some(())
    })
    .await;
}

#[tokio::test]
async fn dms_sent_while_postgres_is_unreachable_for_five_seconds_are_each_relayed_once_after() {
    let app = TestApp::spawn_with(Options { postgres_proxy: true, ..Options::default() }).await;
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;
    let mut users = Vec::new();
    for i in 0..20 {
        users.push(app.member(&format!("user{i:02}"), &[&acme]).await);
    }

    // PostgreSQL goes away for the bot: open connections cut, new ones refused.
    let proxy = app.postgres_proxy.as_ref().unwrap();
    proxy.cut();
    for (i, user) in users.iter().enumerate() {
        app.control.user_dm(*user, &format!("first words of user {i:02}")).await.unwrap();
    }
    // The outage's length is the scenario (five seconds), not a wait for an effect.
    tokio::time::sleep(Duration::from_secs(5)).await;
    proxy.restore();
    let back = std::time::Instant::now();

    // Every first-time user gets one ticket with their DM in it exactly once.
    each_relayed_once(&app, &users, "first words of user").await;
    // A DM is marked relayed just after its copy is posted.
    crate::support::eventually("every DM is on record, relayed", || async {
        let relayed: i64 = sqlx::query_scalar("SELECT count(*) FROM inbound_dms WHERE state = 'relayed'")
            .fetch_one(&app.db.pool)
            .await
            .ok()?;
        (relayed == 20).then_some(())
    })
    .await;
    println!("outage 5 s, 20 DMs: all relayed {:.1} s after PostgreSQL returned, 0 lost", back.elapsed().as_secs_f64());
    app.shutdown().await;
}

#[tokio::test]
async fn dms_sent_while_redis_is_killed_and_restarted_empty_are_each_relayed_once_after() {
    let mut app = TestApp::spawn_with(Options { private_redis: true, ..Options::default() }).await;
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;
    let mut users = Vec::new();
    for i in 0..20 {
        users.push(app.member(&format!("user{i:02}"), &[&acme]).await);
    }

    // A storm of first DMs; Redis dies half a second in and comes back empty
    // three seconds later (locks, identify pacing and the timer index lost).
    let storm = {
        let control = app.control.clone();
        let users = users.clone();
        tokio::spawn(async move {
            for (i, user) in users.iter().enumerate() {
                control.user_dm(*user, &format!("storm message of user {i:02}")).await.unwrap();
                // The storm's pacing: it spans the outage.
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    // Pacing of the scenario: Redis dies half a second into the storm and
    // stays down three seconds.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let redis = app.private_redis.as_mut().unwrap();
    redis.kill().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    redis.restart().await;
    let back = std::time::Instant::now();
    storm.await.unwrap();

    each_relayed_once(&app, &users, "storm message of user").await;
    let tickets: i64 = sqlx::query_scalar("SELECT count(*) FROM tickets").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(tickets, 20, "one ticket per user");
    println!("redis killed 3 s, 20 DMs: all relayed {:.1} s after it returned, 0 lost", back.elapsed().as_secs_f64());
    app.shutdown().await;
}

#[tokio::test]
async fn a_dm_no_session_received_while_redis_was_down_is_read_back_when_redis_returns() {
    let mut app = TestApp::spawn_with(Options { private_redis: true, ..Options::default() }).await;
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;
    let alice = app.member("alice", &[&acme]).await;
    let channel = app.open_ticket(&acme, alice, "before the outage").await;

    // Redis dies, and Discord ends shard 0's session: the shard must identify
    // anew, which waits for the fleet's identify queue (in Redis). Alice
    // writes meanwhile; no session receives it, and none will replay it.
    app.private_redis.as_mut().unwrap().kill().await;
    app.control.gateway_invalidate(Some(0), false).await.unwrap();
    crate::support::eventually("shard 0 has no session", || async {
        app.control.gateway_sessions().await.ok()?.is_empty().then_some(())
    })
    .await;
    app.control.user_dm(alice, "sent while no session ran").await.unwrap();
    // The outage goes on a while after the DM (the shard keeps failing to
    // identify): the scenario's pacing, not a wait for an effect.
    tokio::time::sleep(Duration::from_secs(1)).await;
    app.private_redis.as_mut().unwrap().restart().await;
    let back = std::time::Instant::now();

    app.wait_for_channel_text(channel, "sent while no session ran").await;
    println!("a DM no session received: relayed {:.1} s after Redis returned", back.elapsed().as_secs_f64());
    app.shutdown().await;
}

#[tokio::test]
async fn a_dm_is_stored_while_every_connection_of_the_main_pool_is_taken() {
    let ModmailMember { app, acme: _, alice } = modmail_member().await;

    // Something holds every connection of the bot's main pool (a raid of
    // openings, a slow query): DM storage has its own few.
    let size = app.config.database_pool_size as usize;
    let mut held = Vec::with_capacity(size);
    for _ in 0..size {
        held.push(app.bot().db.acquire().await.unwrap());
    }
    app.control.user_dm(alice, "stored anyway").await.unwrap();
    crate::support::eventually("the DM is stored while the main pool is exhausted", || async {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM inbound_dms WHERE user_id = $1")
            .bind(alice as i64)
            .fetch_one(&app.db.pool)
            .await
            .ok()?;
        (n == 1).then_some(())
    })
    .await;
    drop(held);
    let channel = crate::support::eventually("the ticket opens once connections are free", || async {
        sqlx::query_scalar::<_, i64>("SELECT channel_id FROM tickets WHERE opener_id = $1")
            .bind(alice as i64)
            .fetch_optional(&app.db.pool)
            .await
            .ok()
            .flatten()
    })
    .await;
    app.wait_for_channel_text(channel as u64, "stored anyway").await;
    app.shutdown().await;
}

#[tokio::test]
async fn a_dm_its_author_deletes_while_it_waits_for_a_server_choice_is_never_relayed() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let blue = app.guild("blue").await;
    app.setup_modmail(&acme).await;
    app.setup_modmail(&blue).await;
    let alice = app.member("alice", &[&acme, &blue]).await;

    app.control.user_dm(alice, "first, kept").await.unwrap();
    let secret = app.control.user_dm(alice, "my password is hunter2").await.unwrap();
    app.control.user_dm(alice, "third, kept").await.unwrap();
    let menu = crate::support::eventually("the server menu", || async {
        let dms = app.control.dm_messages(alice).await.ok()?;
        dms.into_iter().find(|m| m["components"].to_string().contains("modmail:choose-guild"))
    })
    .await;
    let dm_channel: u64 = secret["channel_id"].as_str().unwrap().parse().unwrap();
    let secret_id: u64 = secret["id"].as_str().unwrap().parse().unwrap();
    app.control.delete_message(dm_channel, secret_id).await.unwrap();
    crate::support::eventually("the deleted DM is withdrawn", || async {
        let state: String = sqlx::query_scalar("SELECT state FROM inbound_dms WHERE message_id = $1")
            .bind(secret_id as i64)
            .fetch_one(&app.db.pool)
            .await
            .ok()?;
        (state == "withdrawn").then_some(())
    })
    .await;

    let menu_id: u64 = menu["id"].as_str().unwrap().parse().unwrap();
    app.control
        .click(alice, dm_channel, menu_id, "modmail:choose-guild", 3, Some(vec![acme.id.to_string()]))
        .await
        .unwrap();
    let channel: i64 = crate::support::eventually("the ticket opens", || async {
        sqlx::query_scalar("SELECT channel_id FROM tickets WHERE opener_id = $1")
            .bind(alice as i64)
            .fetch_optional(&app.db.pool)
            .await
            .ok()
            .flatten()
    })
    .await;
    app.wait_for_channel_text(channel as u64, "third, kept").await;
    let texts: Vec<String> = app.control.channel_messages(channel as u64).await.unwrap().iter().map(text_of).collect();
    assert!(texts.iter().any(|t| t.contains("first, kept")), "{texts:?}");
    assert!(!texts.iter().any(|t| t.contains("hunter2")), "the deleted DM never reaches staff: {texts:?}");
    app.shutdown().await;
}

#[tokio::test]
async fn servers_that_add_the_bot_while_postgres_is_unreachable_for_a_moment_are_all_recorded_after() {
    let app = TestApp::spawn_with(Options { postgres_proxy: true, ..Options::default() }).await;
    let owner = app.control.create_user("owner").await.unwrap();
    let proxy = app.postgres_proxy.as_ref().unwrap();
    proxy.cut();
    let mut guilds = Vec::new();
    for i in 0..20 {
        let guild = app.control.create_guild(&format!("server{i:02}"), owner).await.unwrap();
        app.control.add_bot(guild, None).await.unwrap();
        guilds.push(guild);
    }
    // Every GUILD_CREATE has reached the bot (its cache holds the guild), so
    // its handler ran into the outage.
    let bot = app.clusters[0].bot.clone();
    crate::support::eventually("the bot has seen every guild", || async {
        guilds.iter().all(|g| bot.cache.guild(twilight_model::id::Id::new(*g)).is_some()).then_some(())
    })
    .await;
    // The outage lasts "a moment" more, within the handlers' retry budget:
    // the scenario's length, not a wait for an effect.
    tokio::time::sleep(Duration::from_millis(500)).await;
    proxy.restore();

    // Each handler tried again once PostgreSQL was back: no guild is missing.
    eventually_within(Duration::from_secs(30), "every guild is recorded", || async {
        let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM guilds WHERE guild_id = ANY($1)")
            .bind(guilds.iter().map(|g| *g as i64).collect::<Vec<_>>())
            .fetch_one(&app.db.pool)
            .await
            .ok()?;
        (recorded == 20).then_some(())
    })
    .await;
    app.shutdown().await;
}
