//! What each operation costs in Discord REST calls, from the stand-in's
//! request log. Discord allows 50 requests per second per bot: these numbers
//! are our capacity.

use std::collections::BTreeMap;

use crate::support::fixtures::ModmailMember;
use crate::support::{eventually, Options, TestApp};

/// `acme` with modmail and its member `alice`, as `modmail_member`, but
/// without the start-up recovery: 2 s after READY it reads, in the
/// background, the DM channels of the users the bot knows, and on a loaded
/// machine lands on whichever operation is being counted.
async fn modmail_member_without_start_up_recovery() -> ModmailMember {
    let app = TestApp::spawn_with(Options { recover_on_start: false, ..Options::default() }).await;
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;
    let alice = app.member("alice", &[&acme]).await;
    ModmailMember { app, acme, alice }
}

/// Waits until the stand-in's request log shows a `method` request whose
/// path ends with `path_end`. The stand-in logs a request once it has
/// answered it, so what the request changed (a message, a deleted channel)
/// can show before its entry: counting starts once the operation's last
/// request is in the log.
async fn wait_until_logged(app: &TestApp, method: &str, path_end: &str) {
    eventually(&format!("{method} …{path_end} is in the request log"), || async {
        let log = app.control.requests().await.ok()?;
        let logged = |r: &serde_json::Value| r["path"].as_str().is_some_and(|p| p.ends_with(path_end));
        log.iter().any(|r| r["method"] == method && logged(r)).then_some(())
    })
    .await;
}

/// Requests per route since the last reset, interaction callbacks excluded
/// (Discord does not count them against the global limit).
async fn counted(app: &TestApp) -> BTreeMap<String, u64> {
    let log = app.control.requests().await.unwrap();
    let mut counts = BTreeMap::new();
    for request in log {
        let route = request["route"].as_str().unwrap_or("?").to_owned();
        if route.contains("/interactions/") || route.contains("/webhooks/") {
            continue;
        }
        *counts.entry(route).or_insert(0) += 1;
    }
    counts
}

#[tokio::test]
async fn opening_a_modmail_ticket_costs_three_rest_calls_and_a_further_dm_one() {
    let ModmailMember { app, acme, alice } = modmail_member_without_start_up_recovery().await;
    app.control.clear_requests().await.unwrap();

    let channel = app.open_ticket(&acme, alice, "first message").await;
    // The welcome is the opening's last request.
    let welcome = app.wait_for_bot_dm(alice, "ticket #").await;
    wait_until_logged(&app, "POST", &format!("/channels/{}/messages", welcome["channel_id"].as_str().unwrap())).await;
    let open = counted(&app).await;
    assert_eq!(open.values().sum::<u64>(), 3, "channel + first relay + welcome: {open:?}");
    assert_eq!(open.get("POST /guilds/{guild_id}/channels"), Some(&1), "{open:?}");
    assert_eq!(open.get("POST /channels/{channel_id}/messages"), Some(&2), "{open:?}");

    app.control.clear_requests().await.unwrap();
    app.control.user_dm(alice, "second message").await.unwrap();
    app.wait_for_channel_text(channel, "second message").await;
    wait_until_logged(&app, "POST", &format!("/channels/{channel}/messages")).await;
    let relay = counted(&app).await;
    assert_eq!(relay.values().sum::<u64>(), 1, "{relay:?}");

    app.control.clear_requests().await.unwrap();
    app.control.post_message(channel, acme.staff, "!close").await.unwrap();
    // The delete is the close's last request: nothing of it is still to come.
    app.wait_until_channel_gone(channel).await;
    wait_until_logged(&app, "DELETE", &format!("/channels/{channel}")).await;
    let close = counted(&app).await;
    assert_eq!(
        close.values().sum::<u64>(),
        3,
        "one page of the channel read for the transcript, the close DM carrying it, the channel delete: {close:?}"
    );
    assert_eq!(close.get("GET /channels/{channel_id}/messages"), Some(&1), "{close:?}");
    app.shutdown().await;
}

#[tokio::test]
async fn a_staff_reply_costs_three_rest_calls_as_a_text_command_and_two_as_a_slash_command() {
    let ModmailMember { app, acme, alice } = modmail_member_without_start_up_recovery().await;
    let channel = app.open_ticket(&acme, alice, "first message").await;

    app.control.clear_requests().await.unwrap();
    let command = app.control.post_message(channel, acme.staff, "!reply by text").await.unwrap();
    let command_id = command["id"].as_str().unwrap().to_owned();
    eventually("the command message is replaced by the staff copy", || async {
        let messages = app.control.channel_messages(channel).await.ok()?;
        messages.iter().any(|m| m["id"].as_str() == Some(&command_id) && m["deleted"] == true).then_some(())
    })
    .await;
    wait_until_logged(&app, "DELETE", &format!("/channels/{channel}/messages/{command_id}")).await;
    let text = counted(&app).await;
    assert_eq!(text.values().sum::<u64>(), 3, "the DM, the staff copy, deleting the command: {text:?}");

    app.control.clear_requests().await.unwrap();
    app.slash(
        acme.staff,
        &acme,
        channel,
        "reply",
        serde_json::json!([{"name": "content", "type": 3, "value": "by slash"}]),
    )
    .await;
    app.wait_for_channel_text(channel, "by slash").await;
    // Both of the reply's requests are in the log, whichever came last.
    wait_until_logged(&app, "POST", &format!("/channels/{channel}/messages")).await;
    let dm = app.wait_for_bot_dm(alice, "by slash").await;
    wait_until_logged(&app, "POST", &format!("/channels/{}/messages", dm["channel_id"].as_str().unwrap())).await;
    let slash = counted(&app).await;
    assert_eq!(slash.values().sum::<u64>(), 2, "the DM and the staff copy (the answer is free): {slash:?}");
    app.shutdown().await;
}
