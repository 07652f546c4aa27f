//! DMs sent while no bot was listening are recovered in order — at start-up
//! and with `/recover` — and never relayed twice.

use serde_json::json;

use crate::support::fixtures::{modmail_member, ModmailMember};
use crate::support::{eventually, text_of, Options, TestApp};

#[tokio::test]
async fn dms_sent_while_the_bot_was_down_are_relayed_in_order_at_start_up() {
    let ModmailMember { mut app, acme, alice } = modmail_member().await;
    let carol = app.member("carol", &[&acme]).await;
    let channel = app.open_ticket(&acme, alice, "before the outage").await;
    let carol_first = app.open_ticket(&acme, carol, "an old question").await;
    app.control.post_message(carol_first, acme.staff, "!close").await.unwrap();
    app.wait_until_closed(carol_first).await;

    app.stop_and_lose_sessions().await;
    for text in ["sent while away 1", "sent while away 2", "sent while away 3"] {
        app.control.user_dm(alice, text).await.unwrap();
    }
    app.control.user_dm(carol, "a new question, while you were away").await.unwrap();
    app.start_cluster(0).await;

    eventually("alice's missed DMs are in her ticket, in order", || async {
        let messages = app.control.channel_messages(channel).await.ok()?;
        let order: Vec<usize> = messages
            .iter()
            .filter_map(|m| {
                let text = text_of(m);
                (1..=3).find(|n| text.contains(&format!("sent while away {n}")))
            })
            .collect();
        (order == [1, 2, 3]).then_some(())
    })
    .await;
    eventually("carol's missed DM opened a new ticket", || async {
        let open: i64 = sqlx::query_scalar("SELECT count(*) FROM tickets WHERE opener_id = $1 AND status = 'open'")
            .bind(carol as i64)
            .fetch_one(&app.db.pool)
            .await
            .ok()?;
        (open == 1).then_some(())
    })
    .await;
    app.shutdown().await;
}

#[tokio::test]
async fn recover_fetches_missed_dms_in_both_forms_and_relays_nothing_twice() {
    let mut app = TestApp::spawn_with(Options { recover_on_start: false, ..Options::default() }).await;
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;
    let alice = app.member("alice", &[&acme]).await;
    let channel = app.open_ticket(&acme, alice, "hello").await;

    app.stop_and_lose_sessions().await;
    app.control.user_dm(alice, "lost message one").await.unwrap();
    app.control.user_dm(alice, "lost message two").await.unwrap();
    app.start_cluster(0).await;
    // Not a later DM of alice's (it would itself make the bot recover the
    // gap, what the test leaves to `/recover`): every event the new session
    // was sent has been handled, and neither DM is among what it did.
    app.wait_until_events_handled().await;
    let missing = app.control.channel_messages(channel).await.unwrap();
    assert!(!missing.iter().any(|m| text_of(m).contains("lost message")), "the gateway never delivered them");

    let answer = app.slash(acme.staff, &acme, channel, "recover", json!([])).await;
    assert!(answer.contains("Recovered 2 messages"), "{answer}");
    app.wait_for_channel_text(channel, "lost message two").await;
    app.control.post_message(channel, acme.staff, "!recover").await.unwrap();
    app.wait_for_channel_text(channel, "No missing messages").await;
    let copies = app.control.channel_messages(channel).await.unwrap();
    assert_eq!(copies.iter().filter(|m| text_of(m).contains("lost message one")).count(), 1);

    let mallory = app.member("mallory", &[&acme]).await;
    let refused = app.slash(mallory, &acme, channel, "recover", json!([])).await;
    assert!(refused.contains("Only staff"), "{refused}");
    app.shutdown().await;
}
