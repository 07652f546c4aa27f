//! Nothing lost, nothing doubled: the gateway traffic of a whole storm
//! delivered a second time changes nothing.

use std::time::Duration;

use crate::support::fixtures::{modmail_guild, ModmailGuild};
use crate::support::{eventually_within, text_of, TestApp};

#[tokio::test]
async fn a_storm_delivered_twice_opens_relays_answers_and_closes_nothing_twice() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    let mut users = Vec::new();
    for i in 0..10 {
        users.push(app.member(&format!("user{i:02}"), &[&acme]).await);
    }
    // The storm: every user opens a ticket and writes twice; staff answer
    // each; half the tickets are closed. Its traffic is what gets replayed
    // (the guild's setup before it is not: a stale member list delivered
    // after later joins is an ordering question, not a duplicate).
    let sessions = app.control.gateway_sessions().await.unwrap();
    let storm_from = sessions.iter().filter_map(|s| s["seq"].as_u64()).max().unwrap();
    let mut channels = Vec::new();
    for (i, user) in users.iter().enumerate() {
        let channel = app.open_ticket(&acme, *user, &format!("hello from {i:02}")).await;
        app.control.user_dm(*user, &format!("second from {i:02}")).await.unwrap();
        app.wait_for_channel_text(channel, &format!("second from {i:02}")).await;
        app.control.post_message(channel, acme.staff, &format!("!reply answer to {i:02}")).await.unwrap();
        app.wait_for_bot_dm(*user, &format!("answer to {i:02}")).await;
        channels.push(channel);
    }
    for (channel, user) in channels.iter().zip(&users).take(5) {
        app.control.post_message(*channel, acme.staff, "!close").await.unwrap();
        app.wait_until_closed(*channel).await;
        // The user's close message follows the record's change: counted
        // below only once it has arrived.
        app.wait_for_bot_dm(*user, "has been closed").await;
    }
    let counts = |app: &TestApp| {
        let pool = app.db.pool.clone();
        async move {
            let q = |sql: &'static str| {
                let pool = pool.clone();
                async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await.unwrap() }
            };
            (
                q("SELECT count(*) FROM tickets").await,
                q("SELECT count(*) FROM ticket_messages").await,
                q("SELECT count(*) FROM inbound_dms").await,
                q("SELECT count(*) FROM transcripts").await,
                q("SELECT count(*) FROM ticket_events").await,
            )
        }
    };
    let before = counts(&app).await;
    let dms_before: Vec<usize> = {
        let mut n = Vec::new();
        for user in &users {
            n.push(app.bot_dms(*user).await.len());
        }
        n
    };

    let replayed = app.control.gateway_replay(Some(0), storm_from).await.unwrap();
    assert!(replayed >= 60, "the whole storm is delivered again: {replayed} dispatches");
    // A later, positive event: a new user's DM, behind the replayed ones in
    // the shard's order, is relayed once.
    let late = app.member("late", &[&acme]).await;
    let late_channel = app.open_ticket(&acme, late, "after the replay").await;
    // The handlers of replayed events run concurrently: wait for a quiet
    // point where the counts can be compared (the late ticket adds one
    // ticket, one relayed message, one inbound DM and one `opened` event).
    let expected = (before.0 + 1, before.1 + 1, before.2 + 1, before.3, before.4 + 1);
    let settled = eventually_within(Duration::from_secs(30), "the late ticket is on record", || async {
        let now = counts(&app).await;
        (now.0 == expected.0 && now.3 == expected.3).then_some(now)
    })
    .await;
    let kinds: Vec<(String, i64)> =
        sqlx::query_as("SELECT kind, count(*) FROM ticket_events GROUP BY kind ORDER BY kind")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(
        settled, expected,
        "events by kind: {kinds:?}; (tickets, relay log, inbound DMs, transcripts, events) before: {before:?}"
    );
    for (i, channel) in channels.iter().enumerate().skip(5) {
        let messages = app.control.channel_messages(*channel).await.unwrap();
        for needle in [format!("hello from {i:02}"), format!("second from {i:02}"), format!("answer to {i:02}")] {
            let copies = messages.iter().filter(|m| m["deleted"] != true && text_of(m).contains(&needle)).count();
            assert_eq!(copies, 1, "{needle:?} is in ticket {i:02} once");
        }
    }
    for (user, before) in users.iter().zip(dms_before) {
        assert_eq!(app.bot_dms(*user).await.len(), before, "no DM to a user twice");
    }
    assert_eq!(
        app.control
            .channel_messages(late_channel)
            .await
            .unwrap()
            .iter()
            .filter(|m| text_of(m).contains("after the replay"))
            .count(),
        1
    );
    app.shutdown().await;
}
