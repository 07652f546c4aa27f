//! What users write is shown as data, never as the bot's own markup: a DM
//! cannot pass for a staff reply in the ticket, and a display name that looks
//! like a placeholder is not filled in.

use serde_json::{json, Value};

use crate::support::fixtures::{modmail_guild, ModmailGuild};
use crate::support::{eventually, is_id, TestApp};

/// A staff reply as staff see it in plain text, split into its parts:
/// `**author:**`, the text, `-# Staff reply #n · sent to the user`.
fn staff_reply_layout(content: &str) -> Option<(String, String, i32)> {
    let lines: Vec<&str> = content.lines().collect();
    let (first, last) = (lines.first()?, lines.last()?);
    let author = first.strip_prefix("**")?.strip_suffix(":**")?;
    let number = last.strip_prefix("-# Staff reply #")?.strip_suffix(" · sent to the user")?.parse().ok()?;
    let body = lines.get(1..lines.len() - 1)?.join("\n");
    Some((author.to_owned(), body, number))
}

/// The content of the bot's plain-text message in `channel` containing `needle`.
async fn plain_message(app: &TestApp, channel: u64, needle: &str) -> String {
    eventually(&format!("a plain message with {needle:?}"), || async {
        let messages = app.control.channel_messages(channel).await.ok()?;
        let by_bot = messages.iter().filter(|m| m["author"]["bot"] == true);
        by_bot.filter_map(|m| m["content"].as_str()).find(|c| c.contains(needle)).map(str::to_owned)
    })
    .await
}

#[tokio::test]
async fn a_users_plain_text_dm_cannot_pass_for_a_staff_reply_in_the_ticket() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    app.control.post_message(acme.general, acme.owner, "!modmail set embedded_message off").await.unwrap();
    app.wait_for_channel_text(acme.general, "Saved: embedded_message").await;
    let alice = app.member("alice", &[&acme]).await;
    let channel = app.open_ticket(&acme, alice, "hello").await;

    // A real reply has the staff layout, exactly.
    app.control.post_message(channel, acme.staff, "!reply We are looking into it").await.unwrap();
    let real = plain_message(&app, channel, "We are looking into it").await;
    assert_eq!(staff_reply_layout(&real), Some(("acme-staff".into(), "We are looking into it".into(), 1)), "{real}");

    // The user writes what that reply looks like, twice over.
    let forged = "thanks!\n**acme-staff:**\nRefund approved, 500 EUR.\n-# Staff reply #2 · sent to the user\n\
                  # Approved\n> **acme-staff:** confirmed";
    app.control.user_dm(alice, forged).await.unwrap();
    let relayed = plain_message(&app, channel, "Refund approved").await;

    assert_eq!(staff_reply_layout(&relayed), None, "the whole message is no staff reply: {relayed}");
    let lines: Vec<&str> = relayed.lines().collect();
    assert_eq!(lines.first(), Some(&"**alice:**"), "{relayed}");
    assert!(lines.last().is_some_and(|l| l.starts_with("-# User · message ")), "{relayed}");
    // No run of lines inside it is one either: every line the user wrote is
    // quoted, and none starts with markup that would leave the quote.
    for line in &lines[1..lines.len() - 1] {
        let inner = line.strip_prefix("> ").unwrap_or_else(|| panic!("an unquoted user line {line:?}: {relayed}"));
        assert!(!inner.starts_with(['#', '>']) && !inner.starts_with("-#"), "{line:?}");
    }
    for start in 1..lines.len() - 1 {
        for end in start + 1..lines.len() - 1 {
            let window = lines[start..=end].join("\n");
            assert_eq!(staff_reply_layout(&window), None, "{window}");
        }
    }
    // Yet it still reads as what she wrote.
    assert!(relayed.contains("> **acme-staff:**\n> Refund approved, 500 EUR.\n> \\-# Staff reply #2"), "{relayed}");
    app.shutdown().await;
}

#[tokio::test]
async fn a_display_name_that_looks_like_a_placeholder_stays_literal_in_the_welcome_and_close_messages() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    for (name, value) in [
        ("welcome_message", "Hi {user}, welcome to {guild}: ticket #{ticket_number} is open."),
        ("close_message", "Bye {user}, ticket #{ticket_number} at {guild} is closed."),
    ] {
        app.control.post_message(acme.general, acme.owner, &format!("!modmail set {name} {value}")).await.unwrap();
        app.wait_for_channel_text(acme.general, &format!("Saved: {name}")).await;
    }
    let user: Value =
        app.control.create_user_with(json!({"username": "curly", "global_name": "{guild}"})).await.unwrap();
    let curly: u64 = user["id"].as_str().unwrap().parse().unwrap();
    app.control.put_member(acme.id, curly, &[]).await.unwrap();
    eventually("the bot has indexed the membership", || async {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM guild_members WHERE user_id = $1")
            .bind(curly as i64)
            .fetch_one(&app.db.pool)
            .await
            .ok()?;
        (n == 1).then_some(())
    })
    .await;

    let channel = app.open_ticket(&acme, curly, "hello").await;
    let welcome = app.wait_for_bot_dm(curly, "welcome to").await;
    assert_eq!(welcome["content"], "Hi {guild}, welcome to acme: ticket #1 is open.", "{welcome}");

    app.control.post_message(channel, acme.staff, "!close").await.unwrap();
    let closed = app.wait_for_bot_dm(curly, "is closed").await;
    let first_line = closed["content"].as_str().unwrap().lines().next().unwrap_or_default().to_owned();
    assert_eq!(first_line, "Bye {guild}, ticket #1 at acme is closed.", "{closed}");
    assert!(!is_id(&closed["author"]["id"], curly));
    app.shutdown().await;
}
