//! Per-guild modmail settings: read and changed with `/modmail settings` and
//! `!modmail set`, by Manage Server only, and obeyed by the running bot.

use serde_json::json;

use crate::support::fixtures::{modmail_guild, modmail_member, ModmailGuild, ModmailMember};
use crate::support::{eventually, is_id, text_of};

#[tokio::test]
async fn settings_are_shown_and_changed_in_both_forms_by_managers_only() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    let settings = |options| json!([{"name": "settings", "type": 1, "options": options}]);

    // Staff without Manage Server are refused, in both forms.
    let refused = app.command(acme.staff, &acme, acme.general, "modmail", settings(json!([]))).await;
    assert_eq!(refused["data"]["flags"], 64, "{refused}");
    assert!(refused["data"]["content"].as_str().unwrap().contains("Manage Server"), "{refused}");
    app.control.post_message(acme.general, acme.staff, "!modmail set prefix ?").await.unwrap();
    app.wait_for_channel_text(acme.general, "Manage Server").await;

    // The owner reads them…
    let shown = app.slash(acme.owner, &acme, acme.general, "modmail", settings(json!([]))).await;
    assert!(shown.contains("`prefix`: `!`") && shown.contains("`close_on_leave`: off"), "{shown}");

    // …changes several at once with the slash form…
    let saved = app
        .slash(
            acme.owner,
            &acme,
            acme.general,
            "modmail",
            settings(json!([
                {"name": "anonymous_label", "type": 3, "value": "Support Crew"},
                {"name": "close_on_leave", "type": 5, "value": true},
                {"name": "time_to_close_thread", "type": 3, "value": "1d12h"},
            ])),
        )
        .await;
    assert!(saved.contains("Saved") && saved.contains("`time_to_close_thread`: 1d 12h"), "{saved}");

    // …and one with the text form; the new prefix works at once.
    app.control.post_message(acme.general, acme.owner, "!modmail set prefix ?").await.unwrap();
    app.wait_for_channel_text(acme.general, "`prefix`: `?`").await;
    app.control.post_message(acme.general, acme.owner, "?modmail set close_action burn").await.unwrap();
    app.wait_for_channel_text(acme.general, "use `archive` or `delete`").await;
    app.control.post_message(acme.general, acme.owner, "?modmail set close_action archive").await.unwrap();
    app.wait_for_channel_text(acme.general, "needs an `archive_category`").await;

    let row: (String, String, bool, Option<i32>, String) = sqlx::query_as(
        "SELECT command_prefix, anonymous_label, close_on_leave, time_to_close_seconds, close_action
         FROM guild_settings WHERE guild_id = $1",
    )
    .bind(acme.id as i64)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(row, ("?".into(), "Support Crew".into(), true, Some(129_600), "delete".into()));
    app.shutdown().await;
}

#[tokio::test]
async fn anonymous_replies_show_the_label_and_plain_text_relays_follow_the_settings() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    for (name, value) in [("anonymous_label", "Support Crew"), ("embedded_message", "off"), ("block_quote", "on")] {
        app.control.post_message(acme.general, acme.owner, &format!("!modmail set {name} {value}")).await.unwrap();
        app.wait_for_channel_text(acme.general, &format!("Saved: {name}")).await;
    }
    let alice = app.member("alice", &[&acme]).await;
    let channel = app.open_ticket(&acme, alice, "my order is late").await;

    let relayed = app.wait_for_channel_text(channel, "my order is late").await;
    let content = relayed["content"].as_str().unwrap();
    assert!(content.contains("> my order is late"), "plain text, block-quoted: {content}");

    app.control.post_message(channel, acme.staff, "!anonreply We are on it").await.unwrap();
    let reply = app.wait_for_bot_dm(alice, "We are on it").await;
    let shown = reply["content"].as_str().unwrap();
    assert!(shown.contains("Support Crew") && !shown.contains("acme-staff"), "{shown}");
    assert!(reply["embeds"].as_array().unwrap().is_empty(), "plain text, not an embed: {reply}");
    // Staff still see who sent it.
    let copy = app.wait_for_channel_text(channel, "(anonymous)").await;
    assert!(text_of(&copy).contains("We are on it"), "{copy}");
    app.shutdown().await;
}

#[tokio::test]
async fn relayed_text_pings_nobody_and_long_texts_arrive_whole_in_both_directions() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    app.control.post_message(acme.general, acme.owner, "!modmail set embedded_message off").await.unwrap();
    app.wait_for_channel_text(acme.general, "Saved: embedded_message").await;
    let alice = app.member("alice", &[&acme]).await;
    let channel = app.open_ticket(&acme, alice, "hello").await;

    // Plain text carrying every kind of ping pings nobody.
    let pings = format!("@everyone @here <@&{}> <@{}> look", acme.staff_role, acme.staff);
    app.control.user_dm(alice, &pings).await.unwrap();
    let relayed = app.wait_for_channel_text(channel, "look").await;
    assert!(relayed["content"].as_str().unwrap().contains("@everyone"), "the text is kept: {relayed}");
    assert_eq!(relayed["mention_everyone"], false, "{relayed}");
    assert_eq!(relayed["mention_roles"], json!([]), "{relayed}");
    assert_eq!(relayed["mentions"], json!([]), "{relayed}");

    // A DM that no longer fits a plain message with its header and footer is
    // sent as an embed, whole.
    let long: String = (0..220).map(|i| format!("line{i:04} ")).collect();
    assert_eq!(long.chars().count(), 1980);
    app.control.user_dm(alice, &long).await.unwrap();
    let relayed = app.wait_for_channel_text(channel, "line0219").await;
    let description = relayed["embeds"][0]["description"].as_str().unwrap_or_default();
    assert!(description.contains(long.trim_end()), "the whole text: {relayed}");

    // Staff may write 4,000 characters (twice a message): the user gets all of it.
    let reply: String = (0..400).map(|i| format!("word{i:04}. ")).collect::<String>()[..3990].to_owned();
    let options = json!([{"name": "content", "type": 3, "value": reply}]);
    app.command(acme.staff, &acme, channel, "reply", options).await;
    let delivered = app.wait_for_bot_dm(alice, "word0000").await;
    let shown = delivered["embeds"][0]["description"].as_str().unwrap_or_default();
    assert!(shown.contains(reply.trim_end()), "the user gets the whole reply: {delivered}");
    app.shutdown().await;
}

#[tokio::test]
async fn closing_archives_the_channel_read_only_when_the_guild_archives() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    let archive = app.control.create_channel(acme.id, "Archive", 4, None).await.unwrap();
    app.control
        .post_message(acme.general, acme.owner, &format!("!modmail set archive_category {archive}"))
        .await
        .unwrap();
    app.wait_for_channel_text(acme.general, "Saved: archive_category").await;
    app.control.post_message(acme.general, acme.owner, "!modmail set close_action archive").await.unwrap();
    app.wait_for_channel_text(acme.general, "Saved: close_action").await;
    let alice = app.member("alice", &[&acme]).await;
    let channel = app.open_ticket(&acme, alice, "archive me").await;

    app.control.post_message(channel, acme.staff, "!close").await.unwrap();
    app.wait_until_closed(channel).await;
    let archived = eventually("the channel is in the archive", || async {
        let c = app.control.channel(channel).await.ok()?;
        is_id(&c["parent_id"], archive).then_some(c)
    })
    .await;
    let staff = archived["permission_overwrites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| is_id(&o["id"], acme.staff_role))
        .cloned()
        .unwrap();
    let deny: u64 = staff["deny"].as_str().unwrap().parse().unwrap();
    let allow: u64 = staff["allow"].as_str().unwrap().parse().unwrap();
    assert!(deny & (1 << 11) != 0, "staff can no longer send: {staff}");
    assert!(allow & (1 << 10) != 0, "staff can still read: {staff}");
    assert!(app.wait_for_bot_dm(alice, "closed").await["content"].is_string());
    app.shutdown().await;
}

#[tokio::test]
async fn a_user_leaving_closes_their_ticket_with_close_on_leave_and_only_tells_staff_without() {
    let ModmailMember { app, acme, alice } = modmail_member().await;
    let bob = app.member("bob", &[&acme]).await;

    // Off (the default): staff are told, the ticket stays open.
    let alice_channel = app.open_ticket(&acme, alice, "hello").await;
    app.control.remove_member(acme.id, alice).await.unwrap();
    app.wait_for_channel_text(alice_channel, "left the server").await;
    assert_eq!(app.ticket_status(alice_channel).await, "open");

    // On: staff are told and the ticket closes without messaging the user.
    app.control.post_message(acme.general, acme.owner, "!modmail set close_on_leave on").await.unwrap();
    app.wait_for_channel_text(acme.general, "Saved: close_on_leave").await;
    let bob_channel = app.open_ticket(&acme, bob, "hi there").await;
    let dms_before = app.bot_dms(bob).await.len();
    app.control.remove_member(acme.id, bob).await.unwrap();
    app.wait_until_closed(bob_channel).await;
    let notice = app.wait_for_channel_text(bob_channel, "this ticket is closing").await;
    assert!(text_of(&notice).contains("close_on_leave"));
    assert_eq!(app.bot_dms(bob).await.len(), dms_before, "nobody messages a user who left");
    // The close and its cause were recorded together, once each.
    let events: Vec<(String, String)> = sqlx::query_as(
        "SELECT e.kind, e.detail FROM ticket_events e JOIN tickets t USING (ticket_id)
         WHERE t.channel_id = $1 AND e.kind IN ('user_left', 'closed') ORDER BY e.event_id",
    )
    .bind(i64::try_from(bob_channel).unwrap())
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    let kinds: Vec<&str> = events.iter().map(|(kind, _)| kind.as_str()).collect();
    assert_eq!(kinds, ["closed", "user_left"], "{events:?}");
    assert_eq!(events[1].1, "close_on_leave");
    app.shutdown().await;
}

#[tokio::test]
async fn welcome_and_close_texts_use_the_guild_overrides() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    app.control
        .post_message(
            acme.general,
            acme.owner,
            "!modmail set welcome_message Hi {user}, this is ticket {ticket_number}.",
        )
        .await
        .unwrap();
    app.wait_for_channel_text(acme.general, "Saved: welcome_message").await;
    app.control.post_message(acme.general, acme.owner, "!modmail set close_message See you, {user}!").await.unwrap();
    app.wait_for_channel_text(acme.general, "Saved: close_message").await;
    let alice = app.member("alice", &[&acme]).await;
    app.control.user_dm(alice, "hello").await.unwrap();
    app.wait_for_bot_dm(alice, "Hi alice, this is ticket 1.").await;
    let channel = app.ticket_channels(&acme).await[0]["id"].as_str().unwrap().parse().unwrap();
    app.control.post_message(channel, acme.staff, "!close").await.unwrap();
    app.wait_for_bot_dm(alice, "See you, alice!").await;
    app.shutdown().await;
}

#[tokio::test]
async fn edit_and_delete_logs_follow_show_log_on_edit_and_on_delete() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    for name in ["show_log_on_edit", "show_log_on_delete"] {
        app.control.post_message(acme.general, acme.owner, &format!("!modmail set {name} off")).await.unwrap();
        app.wait_for_channel_text(acme.general, &format!("Saved: {name}")).await;
    }
    let alice = app.member("alice", &[&acme]).await;
    let channel = app.open_ticket(&acme, alice, "hello").await;
    app.control.post_message(channel, acme.staff, "!reply first version").await.unwrap();
    app.wait_for_bot_dm(alice, "first version").await;

    let edit =
        json!([{"name": "message_id", "type": 4, "value": 1}, {"name": "new_content", "type": 3, "value": "second"}]);
    let answer = app.command(acme.staff, &acme, channel, "edit", edit).await;
    assert_eq!(answer["data"]["flags"], 64, "without the log, only the editor is told: {answer}");
    let answer =
        app.command(acme.staff, &acme, channel, "delete", json!([{"name": "message_id", "type": 4, "value": 1}])).await;
    assert_eq!(answer["data"]["flags"], 64, "{answer}");
    let messages = app.control.channel_messages(channel).await.unwrap();
    assert!(!messages.iter().any(|m| text_of(m).contains("was edited") || text_of(m).contains("was deleted")));
    app.shutdown().await;
}
