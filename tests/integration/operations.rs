//! What operators rely on: migrations that can run concurrently, metrics on
//! each gateway cluster, a clean refusal when Discord's limits are hit.

use sqlx::{Connection, PgConnection};

use crate::support::fixtures::{alice_ticket, modmail_guild, AliceTicket, ModmailGuild};
use crate::support::{database, eventually, is_id, text_of, TestApp};

#[tokio::test]
async fn migrations_can_run_twice_and_concurrently() {
    let name = format!("ticketeer_migrate_{:016x}", rand::random::<u64>());
    let server = database::server_url();
    let mut admin = PgConnection::connect(&server).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.unwrap();
    let url = format!("{}/{name}", server.rsplit_once('/').unwrap().0);
    let a = ticketeer::db::connect_lazy(&url, 2).unwrap();
    let b = ticketeer::db::connect_lazy(&url, 2).unwrap();

    let (first, second) = tokio::join!(ticketeer::db::migrate(&a), ticketeer::db::migrate(&b));
    first.unwrap();
    second.unwrap();
    ticketeer::db::migrate(&a).await.expect("a second run is a no-op");
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations").fetch_one(&a).await.unwrap();
    assert_eq!(applied as usize, ticketeer::db::MIGRATOR.iter().count());

    a.close().await;
    b.close().await;
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut admin).await.unwrap();
}

#[tokio::test]
async fn each_gateway_cluster_serves_metrics_with_shard_and_ticket_series() {
    let AliceTicket { app, acme: _, alice: _, channel: _ } = alice_ticket("metrics please").await;

    let ops = app.clusters[0].info.ops_addr;
    let body = reqwest::get(format!("http://{ops}/metrics")).await.unwrap().text().await.unwrap();
    for series in [
        "ticketeer_gateway_events_total{",
        // The recorder is process-wide and other tests' shards come and go,
        // so only the series' presence is checked here, not its value.
        "ticketeer_shard_status{shard=\"0\"}",
        "ticketeer_discord_requests_total{route=\"create_channel\",status=\"201\"}",
        "ticketeer_tickets_opened_total{kind=\"modmail\"}",
        "# HELP ticketeer_gateway_events_total",
    ] {
        assert!(body.contains(series), "/metrics lacks {series}:\n{body}");
    }
    let health = reqwest::get(format!("http://{ops}/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    app.shutdown().await;
}

#[tokio::test]
async fn a_full_inbox_overflows_into_a_new_private_category_that_later_tickets_share() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    for i in 0..50 {
        app.control.create_channel(acme.id, &format!("old-{i}"), 0, Some(acme.inbox)).await.unwrap();
    }
    let alice = app.member("alice", &[&acme]).await;
    let bob = app.member("bob", &[&acme]).await;

    // Both at once: the openings take turns on the guild's counter, so one
    // overflow category is made, not two.
    app.control.user_dm(alice, "is anyone there?").await.unwrap();
    app.control.user_dm(bob, "me too").await.unwrap();
    let first = app.open_ticket(&acme, alice, "still there?").await;
    let second = app.open_ticket(&acme, bob, "me too, again").await;
    let first = app.control.channel(first).await.unwrap();
    let second = app.control.channel(second).await.unwrap();
    assert_eq!(first["parent_id"], second["parent_id"], "one overflow category for both");
    let overflow = app.control.channel(first["parent_id"].as_str().unwrap().parse().unwrap()).await.unwrap();
    assert_eq!(overflow["name"], "Inbox 2");
    assert_eq!(overflow["type"], 4);
    let everyone =
        overflow["permission_overwrites"].as_array().unwrap().iter().find(|o| is_id(&o["id"], acme.id)).cloned();
    let deny: u64 = everyone.expect("@everyone is denied")["deny"].as_str().unwrap().parse().unwrap();
    assert!(deny & (1 << 10) != 0, "the overflow category is private");
    let stored: Vec<i64> = sqlx::query_scalar("SELECT category_id FROM overflow_categories WHERE kind = 'modmail'")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);

    // Closing both leaves it empty, but the inbox is still full: it is kept
    // for the next ticket rather than deleted and made again.
    let overflow_id: u64 = overflow["id"].as_str().unwrap().parse().unwrap();
    let (first, second) = (id_of(&first), id_of(&second));
    for channel in [first, second] {
        app.control.post_message(channel, acme.staff, "!close").await.unwrap();
        app.wait_until_closed(channel).await;
    }
    // Each close tidies the overflow categories last, in the `!close`
    // message's handler: both have ended once every event is handled.
    app.wait_until_events_handled().await;
    assert!(app.control.channel(overflow_id).await.is_ok(), "kept while the inbox is full");

    // Once the inbox has room, the next close deletes the empty overflow category.
    let old: Vec<u64> = app
        .control
        .guild_channels(acme.id)
        .await
        .unwrap()
        .iter()
        .filter(|c| c["name"].as_str().is_some_and(|n| n.starts_with("old-")))
        .map(id_of)
        .take(10)
        .collect();
    for channel in old {
        app.control.delete_channel(channel).await.unwrap();
    }
    let carol = app.member("carol", &[&acme]).await;
    let third = app.open_ticket(&acme, carol, "hello").await;
    assert!(is_id(&app.control.channel(third).await.unwrap()["parent_id"], acme.inbox), "the inbox has room again");
    app.control.post_message(third, acme.staff, "!close").await.unwrap();
    app.wait_until_closed(third).await;
    eventually("the empty overflow category is deleted", || async {
        app.control.channel(overflow_id).await.is_err().then_some(())
    })
    .await;
    // Deleted in Discord first, then forgotten (a failed delete keeps the row).
    eventually("and forgotten", || async {
        let stored: Vec<i64> = sqlx::query_scalar("SELECT category_id FROM overflow_categories WHERE kind = 'modmail'")
            .fetch_all(&app.db.pool)
            .await
            .ok()?;
        stored.is_empty().then_some(())
    })
    .await;
    app.shutdown().await;
}

fn id_of(channel: &serde_json::Value) -> u64 {
    channel["id"].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_guild_at_discords_channel_limit_tells_the_user_and_leaves_nothing_half_made() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    for i in 0..50 {
        app.control.create_channel(acme.id, &format!("old-{i}"), 0, Some(acme.inbox)).await.unwrap();
    }
    // inbox + general + 50 = 52; fill the guild to Discord's 500.
    for i in 0..448 {
        app.control.create_channel(acme.id, &format!("filler-{i}"), 0, None).await.unwrap();
    }
    let alice = app.member("alice", &[&acme]).await;
    app.control.user_dm(alice, "is anyone there?").await.unwrap();

    let answer = eventually("the user is told", || async {
        let dms = app.control.dm_messages(alice).await.ok()?;
        dms.into_iter().find(|m| !is_id(&m["author"]["id"], alice))
    })
    .await;
    assert!(text_of(&answer).contains("500 channels"), "{answer}");
    assert_eq!(app.ticket_count().await, 0, "no ticket row");
    let counter: Option<i32> =
        sqlx::query_scalar("SELECT last_number FROM ticket_counters").fetch_optional(&app.db.pool).await.unwrap();
    assert_eq!(counter, None, "the number was given back");
    assert_eq!(app.control.guild_channels(acme.id).await.unwrap().len(), 500, "no extra channel");
    app.shutdown().await;
}

#[tokio::test]
async fn staff_are_warned_in_new_tickets_when_the_guild_nears_500_channels_even_when_another_cluster_owns_it() {
    // The DM opens the ticket on cluster 0; the guild's channels are in
    // cluster 1's cache, which shares their count through Redis.
    let app = TestApp::spawn_with(crate::support::Options { shards: 4, clusters: 2, ..Default::default() }).await;
    let mut acme = app.guild("acme").await;
    let mut n = 1;
    while !matches!((acme.id >> 22) % 4, 2 | 3) {
        acme = app.guild(&format!("acme{n}")).await;
        n += 1;
    }
    app.setup_modmail(&acme).await;
    for i in 0..450 {
        app.control.create_channel(acme.id, &format!("filler-{i}"), 0, None).await.unwrap();
    }
    let alice = app.member("alice", &[&acme]).await;
    let bob = app.member("bob", &[&acme]).await;
    let channel = app.open_ticket(&acme, alice, "hello").await;
    app.wait_for_channel_text(channel, "of the 500 channels Discord allows").await;
    let later = app.open_ticket(&acme, bob, "hi").await;
    let messages = app.control.channel_messages(later).await.unwrap();
    assert!(!messages.iter().any(|m| text_of(m).contains("500 channels")), "warned once per 6 hours, not per ticket");
    app.shutdown().await;
}
