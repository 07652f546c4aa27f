//! Private by default: a retraction really retracts. Every reply path records
//! both copies in the core, and `edit` / `delete` change both, in modmail and
//! panel tickets; success is reported only when both changed.

use discord_standin::client::{FaultSpec, FileSpec};
use serde_json::json;

use crate::panel_open::{open_panel_ticket, set_up_panel, support_member};
use crate::support::fixtures::{alice_ticket, AliceTicket};
use crate::support::{eventually, text_of, TestApp};

/// The recorded copies of staff message `number`: (user copy channel, user
/// copy, staff copy).
async fn copies(app: &TestApp, number: i32) -> (Option<i64>, Option<i64>, Option<i64>) {
    eventually(&format!("reply #{number} is recorded"), || async {
        sqlx::query_as(
            "SELECT user_copy_channel_id, user_copy_message_id, staff_copy_message_id
             FROM ticket_messages WHERE staff_number = $1",
        )
        .bind(number)
        .fetch_optional(&app.db.pool)
        .await
        .ok()
        .flatten()
    })
    .await
}

async fn message_text(app: &TestApp, channel: i64, id: i64) -> Option<String> {
    let messages = app.control.channel_messages(channel as u64).await.ok()?;
    // The stand-in keeps deleted messages, flagged.
    messages.iter().find(|m| m["id"].as_str() == Some(&id.to_string()) && m["deleted"] != true).map(text_of)
}

#[tokio::test]
async fn every_reply_path_records_both_copies_and_edit_and_delete_change_both() {
    let AliceTicket { app, acme, alice, channel } = alice_ticket("help please").await;
    app.control.post_message(acme.general, acme.staff, "!snippet create hi Hello from the team").await.unwrap();
    app.wait_for_channel_text(acme.general, "hi").await;

    // Five paths: text, slash, snippet, anonymous, with a file.
    app.control.post_message(channel, acme.staff, "!reply path one").await.unwrap();
    app.wait_for_bot_dm(alice, "path one").await;
    app.slash(acme.staff, &acme, channel, "reply", json!([{"name": "content", "type": 3, "value": "path two"}])).await;
    app.wait_for_bot_dm(alice, "path two").await;
    app.control.post_message(channel, acme.staff, "!s hi").await.unwrap();
    app.wait_for_bot_dm(alice, "Hello from the team").await;
    app.control.post_message(channel, acme.staff, "!anonreply path four").await.unwrap();
    app.wait_for_bot_dm(alice, "path four").await;
    let file =
        FileSpec { filename: "steps.txt".into(), content_type: Some("text/plain".into()), bytes: b"1. 2.".to_vec() };
    app.control.post_message_with_files(channel, acme.staff, "!reply path five", &[file]).await.unwrap();
    app.wait_for_bot_dm(alice, "path five").await;

    for number in 1..=5 {
        let (dm, user_copy, staff_copy) = copies(&app, number).await;
        let (dm, user_copy) = (dm.expect("the DM channel is recorded"), user_copy.expect("the user copy"));
        let staff_copy = staff_copy.unwrap_or_else(|| panic!("reply #{number}'s staff copy is recorded"));
        // Edit with the slash command for even numbers, the text command for odd.
        let new = format!("corrected text {number}");
        if number % 2 == 0 {
            let options = json!([
                {"name": "message_id", "type": 4, "value": number},
                {"name": "new_content", "type": 3, "value": new},
            ]);
            let answer = app.slash(acme.staff, &acme, channel, "edit", options).await;
            // A log line when `show_log_on_edit` is on (the default), else a note.
            assert!(answer.contains(&format!("#{number} was edited by")) && !answer.contains("could not"), "{answer}");
        } else {
            app.control.post_message(channel, acme.staff, &format!("!edit {number} {new}")).await.unwrap();
            // The edit is over (its note follows the record) before the delete starts.
            app.wait_for_channel_text(channel, &format!("Staff message #{number} was edited by")).await;
        }
        eventually(&format!("both copies of #{number} are edited"), || async {
            let user = message_text(&app, dm, user_copy).await?;
            let staff = message_text(&app, channel as i64, staff_copy).await?;
            (user.contains(&new) && staff.contains(&new)).then_some(())
        })
        .await;
        if number % 2 == 0 {
            let answer = app
                .slash(
                    acme.staff,
                    &acme,
                    channel,
                    "delete",
                    json!([{"name": "message_id", "type": 4, "value": number}]),
                )
                .await;
            assert!(answer.contains(&format!("#{number} was deleted by")) && !answer.contains("could not"), "{answer}");
        } else {
            app.control.post_message(channel, acme.staff, &format!("!delete {number}")).await.unwrap();
        }
        eventually(&format!("both copies of #{number} are gone"), || async {
            let user = message_text(&app, dm, user_copy).await;
            let staff = message_text(&app, channel as i64, staff_copy).await;
            (user.is_none() && staff.is_none()).then_some(())
        })
        .await;
    }
    app.shutdown().await;
}

#[tokio::test]
async fn in_a_panel_ticket_edit_and_delete_reach_the_members_dm_copy() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let panel = set_up_panel(&app, &acme).await;
    let alice = app.member("alice", &[&acme]).await;
    let sam = support_member(&app, &acme, &panel, "sam").await;
    let channel = open_panel_ticket(&app, &panel, alice).await;

    app.control.post_message(channel, sam, "!reply the answer is 42").await.unwrap();
    app.wait_for_bot_dm(alice, "the answer is 42").await;
    let (dm, user_copy, staff_copy) = copies(&app, 1).await;
    let (dm, user_copy, staff_copy) = (dm.unwrap(), user_copy.unwrap(), staff_copy.unwrap());

    app.control.post_message(channel, sam, "!edit 1 the answer is 43").await.unwrap();
    // The member's copy is edited first, then the staff copy.
    eventually("both copies are edited", || async {
        let user = message_text(&app, dm, user_copy).await?;
        let staff = message_text(&app, channel as i64, staff_copy).await?;
        (user.contains("the answer is 43") && staff.contains("the answer is 43")).then_some(())
    })
    .await;
    // The edit is over (its note follows the record) before the delete starts.
    app.wait_for_channel_text(channel, "Staff message #1 was edited by").await;
    app.control.post_message(channel, sam, "!delete 1").await.unwrap();
    eventually("the member's DM copy is gone", || async {
        message_text(&app, dm, user_copy).await.is_none().then_some(())
    })
    .await;
    let answer = app.wait_for_channel_text(channel, "Staff message #1 was deleted by").await;
    assert!(message_text(&app, channel as i64, staff_copy).await.is_none(), "{answer}");
    app.shutdown().await;
}

#[tokio::test]
async fn an_edit_the_users_copy_cannot_take_changes_nothing_and_says_so() {
    let AliceTicket { app, acme, alice, channel } = alice_ticket("help please").await;
    app.control.post_message(channel, acme.staff, "!reply original words").await.unwrap();
    app.wait_for_bot_dm(alice, "original words").await;
    let (dm, user_copy, staff_copy) = copies(&app, 1).await;
    let (dm, user_copy, staff_copy) = (dm.unwrap(), user_copy.unwrap(), staff_copy.unwrap());

    app.control
        .inject_fault(FaultSpec {
            method: "PATCH".into(),
            route: "/channels/{channel_id}/messages/{message_id}".into(),
            status: 500,
            count: 1,
            retry_after_ms: None,
            scope: None,
        })
        .await
        .unwrap();
    app.control.post_message(channel, acme.staff, "!edit 1 changed words").await.unwrap();
    let refusal = app.wait_for_channel_text(channel, "could not be edited").await;
    assert!(text_of(&refusal).contains("nothing was changed"), "{refusal}");
    assert!(message_text(&app, dm, user_copy).await.unwrap().contains("original words"));
    assert!(message_text(&app, channel as i64, staff_copy).await.unwrap().contains("original words"));
    let content: String = sqlx::query_scalar("SELECT content FROM ticket_messages WHERE staff_number = 1")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(content, "original words", "the record is unchanged");

    // Once Discord takes it again, the same edit goes through on both sides.
    app.control.post_message(channel, acme.staff, "!edit 1 changed words").await.unwrap();
    eventually("both copies change", || async {
        let user = message_text(&app, dm, user_copy).await?;
        let staff = message_text(&app, channel as i64, staff_copy).await?;
        (user.contains("changed words") && staff.contains("changed words")).then_some(())
    })
    .await;
    app.shutdown().await;
}
