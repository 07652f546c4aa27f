//! Numbered staff messages: `!edit` / `/edit` and `!delete` / `/delete`
//! change both copies and keep the history.

use serde_json::json;

use crate::support::fixtures::{modmail_guild, ModmailGuild};
use crate::support::{eventually, text_of, TestApp};

/// Opens a ticket and sends one `!reply`; returns (alice, ticket channel).
async fn ticket_with_reply(app: &TestApp, acme: &crate::support::Guild, reply: &str) -> (u64, u64) {
    let alice = app.member("alice", &[acme]).await;
    let channel = app.open_ticket(acme, alice, "help please").await;
    app.control.post_message(channel, acme.staff, &format!("!reply {reply}")).await.unwrap();
    eventually("the reply is logged in the ticket", || async {
        let messages = app.control.channel_messages(channel).await.ok()?;
        messages.iter().any(|m| m["author"]["bot"] == true && text_of(m).contains(reply)).then_some(())
    })
    .await;
    (alice, channel)
}

#[tokio::test]
async fn replies_are_numbered_in_both_footers_and_numbers_are_never_reused() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    let (alice, channel) = ticket_with_reply(&app, &acme, "first answer").await;
    app.control.post_message(channel, acme.staff, "!reply second answer").await.unwrap();

    let dms = eventually("both replies reach the user", || async {
        let dms = app.bot_dms(alice).await;
        let first = dms.iter().find(|m| text_of(m).contains("first answer"))?.clone();
        let second = dms.iter().find(|m| text_of(m).contains("second answer"))?.clone();
        Some([first, second])
    })
    .await;
    assert!(dms[0]["embeds"][0]["footer"]["text"].as_str().unwrap().ends_with("#1"), "{}", dms[0]);
    assert!(dms[1]["embeds"][0]["footer"]["text"].as_str().unwrap().ends_with("#2"), "{}", dms[1]);
    // The staff copy is posted after the user's copy is delivered.
    let staff_copy = eventually("the staff copy is posted", || async {
        let messages = app.control.channel_messages(channel).await.ok()?;
        messages.into_iter().find(|m| text_of(m).contains("second answer") && m["author"]["bot"] == true)
    })
    .await;
    assert!(staff_copy["embeds"][0]["footer"]["text"].as_str().unwrap().contains("#2"));

    app.control.post_message(channel, acme.staff, "!delete 2").await.unwrap();
    app.control.post_message(channel, acme.staff, "!reply third answer").await.unwrap();
    let third = app.wait_for_bot_dm(alice, "third answer").await;
    assert!(third["embeds"][0]["footer"]["text"].as_str().unwrap().ends_with("#3"), "a deleted number is not reused");
    app.shutdown().await;
}

#[tokio::test]
async fn editing_a_reply_changes_both_copies_and_keeps_the_old_text() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    let (alice, channel) = ticket_with_reply(&app, &acme, "Your refund is 10 euros").await;

    app.control.post_message(channel, acme.staff, "!edit 1 Your refund is 12 euros").await.unwrap();

    eventually("the user's copy is edited", || async {
        let dms = app.bot_dms(alice).await;
        dms.iter().any(|m| text_of(m).contains("12 euros") && !text_of(m).contains("10 euros")).then_some(())
    })
    .await;
    eventually("the staff copy is edited", || async {
        let messages = app.control.channel_messages(channel).await.ok()?;
        messages.iter().any(|m| m["author"]["bot"] == true && text_of(m).contains("12 euros")).then_some(())
    })
    .await;
    // The history is recorded once both copies changed: wait for it.
    let history: Vec<(String, String)> = eventually("the edit is on record", || async {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT old_content, new_content FROM ticket_message_edits")
            .fetch_all(&app.db.pool)
            .await
            .ok()?;
        (!rows.is_empty()).then_some(rows)
    })
    .await;
    assert_eq!(history, vec![("Your refund is 10 euros".to_owned(), "Your refund is 12 euros".to_owned())]);

    // The slash form does the same.
    let answer = app
        .command(
            acme.staff,
            &acme,
            channel,
            "edit",
            json!([{"name": "message_id", "type": 4, "value": 1}, {"name": "new_content", "type": 3, "value": "Refund: 15 euros"}]),
        )
        .await;
    // `show_log_on_edit` is on by default: the answer is a public log line
    // with the text as it was.
    let log = answer["data"]["content"].as_str().unwrap_or_default();
    assert!(log.contains("#1 was edited") && log.contains("12 euros"), "{answer}");
    assert!(answer["data"]["flags"].is_null(), "the log line is public: {answer}");
    eventually("the slash edit reaches the user", || async {
        app.bot_dms(alice).await.iter().any(|m| text_of(m).contains("15 euros")).then_some(())
    })
    .await;
    app.shutdown().await;
}

#[tokio::test]
async fn deleting_a_reply_removes_both_copies_and_keeps_the_record() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    let (alice, channel) = ticket_with_reply(&app, &acme, "oops, wrong ticket").await;

    let answer =
        app.command(acme.staff, &acme, channel, "delete", json!([{"name": "message_id", "type": 4, "value": 1}])).await;
    assert!(answer["data"]["content"].as_str().unwrap().contains("deleted"), "{answer}");

    let dms = app.control.dm_messages(alice).await.unwrap();
    let user_copy = dms.iter().find(|m| text_of(m).contains("wrong ticket")).unwrap();
    assert_eq!(user_copy["deleted"], true, "the user's copy is deleted: {user_copy}");
    let staff_copy = app
        .control
        .channel_messages(channel)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m["author"]["bot"] == true && text_of(m).contains("wrong ticket"))
        .unwrap();
    assert_eq!(staff_copy["deleted"], true, "the staff copy is deleted");
    let (content, deleted): (String, bool) =
        sqlx::query_as("SELECT content, deleted_at IS NOT NULL FROM ticket_messages WHERE staff_number = 1")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!((content.as_str(), deleted), ("oops, wrong ticket", true));
    app.shutdown().await;
}

#[tokio::test]
async fn edit_and_delete_are_refused_for_non_staff_and_unknown_numbers() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    let (alice, channel) = ticket_with_reply(&app, &acme, "original text").await;
    let mallory = app.member("mallory", &[&acme]).await;
    app.grant_channel_access(channel, mallory).await;

    app.control.post_message(channel, mallory, "!edit 1 hacked").await.unwrap();
    app.wait_for_channel_text(channel, "Only staff").await;
    let answer =
        app.command(mallory, &acme, channel, "delete", json!([{"name": "message_id", "type": 4, "value": 1}])).await;
    assert_eq!(answer["data"]["flags"], 64);
    assert!(answer["data"]["content"].as_str().unwrap().contains("Only staff"));

    app.control.post_message(channel, acme.staff, "!edit 7 nothing here").await.unwrap();
    app.wait_for_channel_text(channel, "no staff message #7").await;
    let dms = app.bot_dms(alice).await;
    assert!(dms.iter().any(|m| text_of(m).contains("original text")), "the user's copy is untouched");
    assert!(!dms.iter().any(|m| text_of(m).contains("hacked")));
    app.shutdown().await;
}
