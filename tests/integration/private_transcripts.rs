//! Private by default: a modmail user's transcript is their conversation, as
//! they lived it, and nothing staff wrote only for staff.

use reqwest::StatusCode;

use crate::support::api::Auth;
use crate::support::fixtures::{modmail_guild, ModmailGuild};
use crate::support::{eventually, text_of, TestApp};
use crate::transcripts::attached_html;

#[tokio::test]
async fn the_users_transcript_shows_both_sides_but_no_staff_note_real_name_or_retracted_reply() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    app.control.post_message(acme.general, acme.owner, "!modmail set embedded_message off").await.unwrap();
    app.wait_for_channel_text(acme.general, "Saved: embedded_message").await;
    let alice = app.member("alice", &[&acme]).await;
    let channel = app.open_ticket(&acme, alice, "my parcel never came").await;

    // An internal note: staff typing in the ticket without a command.
    app.control.post_message(channel, acme.staff, "NOTE she ordered twice, check for refund fraud").await.unwrap();
    app.control.post_message(channel, acme.staff, "!anonreply We are looking into your parcel").await.unwrap();
    app.wait_for_bot_dm(alice, "We are looking into your parcel").await;
    app.control.post_message(channel, acme.staff, "!reply Your refund of 500 dollars is approved").await.unwrap();
    app.wait_for_bot_dm(alice, "500 dollars").await;
    // The reply is recorded (as #2) after its copies are sent: delete it once
    // its handling has ended, as staff seeing it would.
    app.wait_until_events_handled().await;
    app.control.post_message(channel, acme.staff, "!delete 2").await.unwrap();
    eventually("the retracted reply is gone from the user's DMs", || async {
        let dms = app.bot_dms(alice).await;
        (!dms.iter().any(|m| m["deleted"] != true && text_of(m).contains("500 dollars"))).then_some(())
    })
    .await;
    // The user's copy goes first; the staff copy and the relay log's record
    // of the retraction follow, then this note: the delete is over.
    app.wait_for_channel_text(channel, "Staff message #2 was deleted by").await;
    app.control.user_dm(alice, "thanks, I will wait").await.unwrap();
    app.wait_for_channel_text(channel, "thanks, I will wait").await;
    // The relayed copy shows before the relay log records it (and the
    // user's transcript is made from the relay log): close once the DM's
    // handling has ended, as staff reading it would.
    app.wait_until_events_handled().await;
    app.control.post_message(channel, acme.staff, "!close").await.unwrap();
    app.wait_until_closed(channel).await;

    let dm = app.wait_for_bot_dm(alice, "The transcript of your ticket #1").await;
    let file = attached_html(&dm).await;
    let api = app.api().await;
    let text = text_of(&dm);
    let link = text.split_whitespace().find(|w| w.contains("/v1/transcripts/")).expect("the DM carries a link");
    let by_link = api.get(&link[link.find("/v1/").unwrap()..], &Auth::None).await;
    assert_eq!(by_link.status, StatusCode::OK);
    let linked = by_link.body.as_str().unwrap().to_owned();
    for (what, page) in [("file", &file), ("link", &linked)] {
        for said in ["my parcel never came", "We are looking into your parcel", "thanks, I will wait", "Staff Team"] {
            assert!(page.contains(said), "the {what} shows {said:?}");
        }
        for secret in ["refund fraud", "500 dollars", "acme-staff", "anonymous", "was deleted by"] {
            assert!(!page.contains(secret), "the {what} must not show {secret:?}");
        }
    }

    // Staff keep the whole channel, note and real names included.
    let session = Auth::Session(api.login(&app, acme.owner).await);
    let staff = api.get(&format!("/v1/guilds/{}/tickets/1/transcript", acme.id), &session).await;
    let staff = staff.body.as_str().unwrap();
    assert!(staff.contains("refund fraud") && staff.contains("acme-staff"), "the staff transcript is complete");
    app.shutdown().await;
}

#[tokio::test]
async fn the_modmail_log_channel_gets_the_full_staff_transcript_when_a_ticket_closes() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let log = app.control.create_channel(acme.id, "modmail-log", 0, None).await.unwrap();
    let options = serde_json::json!([{
        "name": "setup", "type": 1,
        "options": [
            {"name": "inbox-category", "type": 7, "value": acme.inbox.to_string()},
            {"name": "staff-role", "type": 8, "value": acme.staff_role.to_string()},
            {"name": "log-channel", "type": 7, "value": log.to_string()},
        ]
    }]);
    app.command(acme.owner, &acme, acme.general, "modmail", options).await;
    let alice = app.member("alice", &[&acme]).await;
    let channel = app.open_ticket(&acme, alice, "hello there").await;
    app.control.post_message(channel, acme.staff, "NOTE for staff only").await.unwrap();
    app.control.post_message(channel, acme.staff, "!close").await.unwrap();
    app.wait_until_closed(channel).await;

    let entry = app.wait_for_channel_text(log, "Modmail ticket #1").await;
    let page = attached_html(&entry).await;
    assert!(page.contains("NOTE for staff only") && page.contains("hello there"), "{page}");
    let dm = app.wait_for_bot_dm(alice, "The transcript of your ticket #1").await;
    assert!(!attached_html(&dm).await.contains("NOTE for staff only"), "the user's copy has no note");
    app.shutdown().await;
}
