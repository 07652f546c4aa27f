//! Modmail under load and faults: concurrency, bursts, 429s, reconnects.

use std::time::Duration;

use discord_standin::client::FaultSpec;
use futures_util::future::join_all;

use crate::support::fixtures::{alice_ticket, modmail_guild, modmail_member, AliceTicket, ModmailGuild, ModmailMember};
use crate::support::{eventually, eventually_within, text_of};

#[tokio::test]
async fn fifty_users_dming_at_once_get_fifty_tickets_numbered_one_to_fifty() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    let mut users = Vec::new();
    for i in 0..50 {
        users.push(app.member(&format!("user{i}"), &[&acme]).await);
    }

    join_all(users.iter().map(|u| app.control.user_dm(*u, "I need help"))).await;

    let numbers: Vec<i32> = eventually_within(Duration::from_secs(60), "fifty tickets open", || async {
        let numbers: Vec<i32> =
            sqlx::query_scalar("SELECT number FROM tickets ORDER BY number").fetch_all(&app.db.pool).await.ok()?;
        (numbers.len() == 50).then_some(numbers)
    })
    .await;
    assert_eq!(numbers, (1..=50).collect::<Vec<_>>());
    let channels = app.ticket_channels(&acme).await;
    assert_eq!(channels.len(), 50, "one channel per ticket");
    app.shutdown().await;
}

#[tokio::test]
async fn twenty_dms_in_a_burst_make_one_ticket_with_all_twenty_in_order() {
    let ModmailMember { app, acme: _, alice } = modmail_member().await;

    for i in 1..=20 {
        app.control.user_dm(alice, &format!("burst message {i:02}")).await.unwrap();
    }

    let channel: i64 = eventually("the ticket opens", || async {
        sqlx::query_scalar("SELECT channel_id FROM tickets").fetch_optional(&app.db.pool).await.ok().flatten()
    })
    .await;
    let relayed = eventually("all twenty arrive", || async {
        let texts: Vec<String> = app
            .control
            .channel_messages(channel as u64)
            .await
            .ok()?
            .iter()
            .map(text_of)
            .filter(|t| t.contains("burst message"))
            .collect();
        (texts.len() >= 20).then_some(texts)
    })
    .await;
    let expected: Vec<String> = (1..=20).map(|i| format!("burst message {i:02}")).collect();
    let order: Vec<String> =
        relayed.iter().map(|t| expected.iter().find(|e| t.contains(e.as_str())).unwrap().clone()).collect();
    assert_eq!(order, expected, "in order, none doubled");
    assert_eq!(app.ticket_count().await, 1);
    app.shutdown().await;
}

#[tokio::test]
async fn a_rate_limited_channel_creation_still_opens_exactly_one_ticket() {
    let ModmailMember { app, acme, alice } = modmail_member().await;
    app.control
        .inject_fault(FaultSpec {
            method: "POST".into(),
            route: "/guilds/{guild_id}/channels".into(),
            status: 429,
            count: 2,
            retry_after_ms: Some(300),
            scope: None,
        })
        .await
        .unwrap();

    let channel = app.open_ticket(&acme, alice, "rate limited hello").await;
    // A later DM of alice relayed into the ticket: her DMs are drained one
    // drain at a time, so the opening's every attempt is over and logged.
    app.dm_barrier(alice, channel).await;

    assert_eq!(app.ticket_count().await, 1);
    assert_eq!(app.ticket_channels(&acme).await.len(), 1);
    let log = app.control.requests().await.unwrap();
    let attempts: Vec<_> = log
        .iter()
        .filter(|r| {
            r["method"] == "POST" && r["route"].as_str().unwrap_or_default().ends_with("/guilds/{guild_id}/channels")
        })
        .map(|r| r["status"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(attempts.iter().filter(|s| **s == 429).count(), 2, "both 429s were met: {attempts:?}");
    assert_eq!(attempts.len(), 3, "then one successful creation: {attempts:?}");
    assert!((200..300).contains(attempts.last().unwrap()), "{attempts:?}");
    app.shutdown().await;
}

#[tokio::test]
async fn a_gateway_reconnect_mid_conversation_loses_and_doubles_no_dm() {
    let AliceTicket { app, acme: _, alice, channel } = alice_ticket("message 00").await;

    for i in 1..=5 {
        app.control.user_dm(alice, &format!("message {i:02}")).await.unwrap();
    }
    app.control.gateway_reconnect(Some(0)).await.unwrap();
    for i in 6..=8 {
        app.control.user_dm(alice, &format!("message {i:02}")).await.unwrap();
    }
    app.control.gateway_drop(Some(0)).await.unwrap();
    for i in 9..=10 {
        app.control.user_dm(alice, &format!("message {i:02}")).await.unwrap();
    }

    let texts = eventually("all eleven DMs arrive", || async {
        let texts: Vec<String> = app
            .control
            .channel_messages(channel)
            .await
            .ok()?
            .iter()
            .map(text_of)
            .filter(|t| t.contains("message "))
            .collect();
        (texts.len() >= 11).then_some(texts)
    })
    .await;
    // A replayed duplicate would come before a DM sent after it.
    app.dm_barrier(alice, channel).await;
    let texts_after: Vec<String> = app
        .control
        .channel_messages(channel)
        .await
        .unwrap()
        .iter()
        .map(text_of)
        .filter(|t| t.contains("message "))
        .collect();
    assert_eq!(texts_after.len(), 11, "none doubled: {texts_after:?}");
    for (i, text) in texts.iter().enumerate() {
        assert!(text.contains(&format!("message {i:02}")), "in order: {texts:?}");
    }
    let stats = app.control.gateway_stats().await.unwrap();
    assert!(stats.resumes >= 1, "the shard resumed rather than re-identified: {stats:?}");
    app.shutdown().await;
}
