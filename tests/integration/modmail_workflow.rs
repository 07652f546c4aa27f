//! The staff workflow: take and release, per-ticket staff access, alerts,
//! the activity log, tickets opened by staff, and blocking users. Every
//! command in both forms, and refused for non-staff.

use serde_json::json;

use crate::support::fixtures::{alice_ticket, modmail_guild, modmail_member, AliceTicket, ModmailGuild, ModmailMember};
use crate::support::{eventually, is_id, text_of};

fn user_option(user: u64) -> serde_json::Value {
    json!([{"name": "user", "type": 6, "value": user.to_string()}])
}

#[tokio::test]
async fn take_and_release_show_the_assignment_in_a_pinned_status_in_both_forms() {
    let ModmailMember { app, acme, alice } = modmail_member().await;
    let other_staff = app.member("second-staff", &[&acme]).await;
    app.control.put_member(acme.id, other_staff, &[acme.staff_role]).await.unwrap();
    let channel = app.open_ticket(&acme, alice, "hello").await;

    app.control.post_message(channel, acme.staff, "!take").await.unwrap();
    app.wait_for_channel_text(channel, "You took this ticket").await;
    let pins = eventually("the status is pinned", || async {
        let pins = app.control.pins(channel).await.ok()?;
        (!pins.is_empty()).then_some(pins)
    })
    .await;
    assert!(text_of(&pins[0]).contains(&format!("Assigned to <@{}>", acme.staff)), "{pins:?}");
    let assigned: Option<i64> =
        sqlx::query_scalar("SELECT assigned_to FROM tickets").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(assigned, Some(acme.staff as i64));

    // Someone else on staff may not take it over, nor release it.
    let refused = app.slash(other_staff, &acme, channel, "take", json!([])).await;
    assert!(refused.contains("has taken this ticket"), "{refused}");
    let refused = app.slash(other_staff, &acme, channel, "release", json!([])).await;
    assert!(refused.contains("Only <@"), "{refused}");

    let released = app.slash(acme.staff, &acme, channel, "release", json!([])).await;
    assert!(released.contains("no longer assigned"), "{released}");
    eventually("the pinned status is edited, not re-posted", || async {
        let pins = app.control.pins(channel).await.ok()?;
        (pins.len() == 1 && text_of(&pins[0]).contains("Not assigned")).then_some(())
    })
    .await;
    app.control.post_message(channel, other_staff, "!take").await.unwrap();
    app.wait_for_channel_count(channel, "You took this ticket", 2).await;
    app.control.post_message(channel, other_staff, "!release").await.unwrap();
    app.wait_for_channel_text(channel, "no longer assigned").await;
    let events: Vec<String> =
        sqlx::query_scalar("SELECT kind FROM ticket_events WHERE kind IN ('taken', 'released') ORDER BY event_id")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(events, ["taken", "released", "taken", "released"]);
    app.shutdown().await;
}

#[tokio::test]
async fn add_staff_and_remove_staff_change_the_channel_overwrites_in_both_forms() {
    let ModmailMember { app, acme, alice } = modmail_member().await;
    let helper = app.member("helper", &[&acme]).await;
    let outsider = app.control.create_user("outsider").await.unwrap();
    let channel = app.open_ticket(&acme, alice, "hello").await;
    let control = &app.control;
    let has_overwrite = |user: u64| async move {
        let c = control.channel(channel).await.unwrap();
        c["permission_overwrites"].as_array().unwrap().iter().any(|o| is_id(&o["id"], user))
    };

    app.control.post_message(channel, acme.staff, &format!("!add_staff {helper}")).await.unwrap();
    app.wait_for_channel_text(channel, "can now see and answer").await;
    assert!(has_overwrite(helper).await);
    let removed = app.command(acme.staff, &acme, channel, "remove_staff", user_option(helper)).await;
    assert!(removed["data"]["content"].as_str().unwrap().contains("no longer has"), "{removed}");
    assert!(!has_overwrite(helper).await);
    let added = app.slash(acme.staff, &acme, channel, "add_staff", user_option(helper)).await;
    assert!(added.contains("can now see"), "{added}");
    app.control.post_message(channel, acme.staff, &format!("!remove_staff <@{helper}>")).await.unwrap();
    eventually("the text form removes the overwrite", || async { (!has_overwrite(helper).await).then_some(()) }).await;

    let refused = app.slash(acme.staff, &acme, channel, "add_staff", user_option(outsider)).await;
    assert!(refused.contains("not a member of this server"), "{refused}");
    assert!(!has_overwrite(outsider).await);
    app.shutdown().await;
}

#[tokio::test]
async fn an_alert_pings_its_staff_member_once_on_the_users_next_message() {
    let AliceTicket { app, acme, alice, channel } = alice_ticket("hello").await;

    let set = app.slash(acme.staff, &acme, channel, "alert", json!([])).await;
    assert!(set.contains("ping you"), "{set}");
    app.control.user_dm(alice, "are you there?").await.unwrap();
    let ping = app.wait_for_channel_text(channel, "the user replied").await;
    assert!(ping["mentions"].as_array().unwrap().iter().any(|u| is_id(&u["id"], acme.staff)), "{ping}");
    app.control.user_dm(alice, "hello again").await.unwrap();
    app.wait_for_channel_text(channel, "hello again").await;
    // The relay shows before its drain pings the alerted (`user_wrote` runs
    // after the batch): only once the DM's handling has ended is a second
    // ping, or an alert it would take, settled.
    app.wait_until_events_handled().await;
    let pings = app.control.channel_messages(channel).await.unwrap();
    assert_eq!(pings.iter().filter(|m| text_of(m).contains("the user replied")).count(), 1, "an alert fires once");

    // Cancelled alerts do not fire (text form).
    app.control.post_message(channel, acme.staff, "!alert").await.unwrap();
    app.wait_for_channel_text(channel, "I'll ping you").await;
    app.control.post_message(channel, acme.staff, "!alert cancel").await.unwrap();
    app.wait_for_channel_text(channel, "Alert cancelled").await;
    app.control.user_dm(alice, "third message").await.unwrap();
    app.wait_for_channel_text(channel, "third message").await;
    app.wait_until_events_handled().await;
    let pings = app.control.channel_messages(channel).await.unwrap();
    assert_eq!(pings.iter().filter(|m| text_of(m).contains("the user replied")).count(), 1);
    app.shutdown().await;
}

#[tokio::test]
async fn logs_show_the_activity_and_the_users_earlier_tickets_in_both_forms() {
    let AliceTicket { app, acme, alice, channel: first } = alice_ticket("first problem").await;
    app.control.post_message(first, acme.staff, "!close").await.unwrap();
    app.wait_until_closed(first).await;
    let second = app.open_ticket(&acme, alice, "second problem").await;
    app.control.post_message(second, acme.staff, "!take").await.unwrap();
    app.wait_for_channel_text(second, "You took").await;

    let logs = app.slash(acme.staff, &acme, second, "logs", json!([])).await;
    assert!(logs.contains("**Ticket #2**") && logs.contains("1 messages from the user"), "{logs}");
    assert!(logs.contains("opened") && logs.contains("taken by"), "{logs}");
    assert!(logs.contains("#1 opened") && logs.contains("closed"), "the earlier ticket: {logs}");
    app.control.post_message(second, acme.staff, "!logs").await.unwrap();
    app.wait_for_channel_text(second, "**Earlier tickets**").await;
    app.shutdown().await;
}

#[tokio::test]
async fn staff_open_a_ticket_for_a_member_who_is_welcomed_or_whose_closed_dms_are_reported() {
    let ModmailMember { app, acme, alice } = modmail_member().await;
    let bob = app.member("bob", &[&acme]).await;
    app.control.set_dms_closed(bob, true).await.unwrap();

    let opened = app.slash(acme.staff, &acme, acme.general, "new_thread", user_option(alice)).await;
    assert!(opened.contains("Opened <#") && opened.contains("welcome"), "{opened}");
    app.wait_for_bot_dm(alice, "ticket #1").await;
    let channel: i64 = sqlx::query_scalar("SELECT channel_id FROM tickets WHERE opener_id = $1")
        .bind(alice as i64)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    app.wait_for_channel_text(channel as u64, "for <@").await;
    // Her answer goes to that ticket.
    app.control.user_dm(alice, "thanks for reaching out").await.unwrap();
    app.wait_for_channel_text(channel as u64, "thanks for reaching out").await;

    app.control.post_message(acme.general, acme.staff, &format!("!new_thread {bob}")).await.unwrap();
    app.wait_for_channel_text(acme.general, "Their DMs are closed").await;
    assert_eq!(app.ticket_count().await, 2, "the ticket opens anyway");

    let again = app.slash(acme.staff, &acme, acme.general, "new_thread", user_option(alice)).await;
    assert!(again.contains("already has an open ticket"), "{again}");
    app.shutdown().await;
}

#[tokio::test]
async fn a_blocked_user_opens_nothing_and_is_told_once_until_unblocked() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    let spammer = app.member("spammer", &[&acme]).await;

    let blocked = app
        .slash(
            acme.staff,
            &acme,
            acme.general,
            "block",
            json!([{"name": "user", "type": 6, "value": spammer.to_string()}, {"name": "reason", "type": 3, "value": "spam"}]),
        )
        .await;
    assert!(blocked.contains("is blocked until unblocked"), "{blocked}");
    app.control.user_dm(spammer, "buy my stuff").await.unwrap();
    app.wait_for_bot_dm(spammer, "can't open support tickets in **acme**").await;
    app.control.user_dm(spammer, "buy my stuff again").await.unwrap();
    eventually("the second DM is handled", || async {
        let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM inbound_dms WHERE state = 'refused'")
            .fetch_one(&app.db.pool)
            .await
            .ok()?;
        (pending == 2).then_some(())
    })
    .await;
    let told = app.bot_dms(spammer).await.iter().filter(|m| text_of(m).contains("can't open")).count();
    assert_eq!(told, 1, "told once");
    assert_eq!(app.ticket_count().await, 0);

    app.control.post_message(acme.general, acme.staff, &format!("!unblock {spammer}")).await.unwrap();
    app.wait_for_channel_text(acme.general, "is unblocked").await;
    app.control.user_dm(spammer, "sorry, a real question").await.unwrap();
    eventually("the ticket opens", || async { (app.ticket_count().await == 1).then_some(()) }).await;

    // The text form with a duration.
    app.control.post_message(acme.general, acme.staff, &format!("!block {spammer} 7d repeat")).await.unwrap();
    app.wait_for_channel_text(acme.general, "blocked for 7d").await;
    app.shutdown().await;
}

#[tokio::test]
async fn workflow_commands_are_refused_for_non_staff_in_both_forms() {
    let ModmailMember { app, acme, alice } = modmail_member().await;
    let mallory = app.member("mallory", &[&acme]).await;
    let channel = app.open_ticket(&acme, alice, "hello").await;
    app.grant_channel_access(channel, mallory).await;

    for (name, options) in [
        ("take", json!([])),
        ("release", json!([])),
        ("logs", json!([])),
        ("alert", json!([])),
        ("add_staff", user_option(mallory)),
        ("remove_staff", user_option(acme.staff)),
        ("new_thread", user_option(alice)),
        ("block", user_option(alice)),
        ("unblock", user_option(alice)),
        ("close", json!([{"name": "time", "type": 3, "value": "2h"}])),
        (
            "add_reminder",
            json!([{"name": "time", "type": 3, "value": "2h"}, {"name": "content", "type": 3, "value": "x"}]),
        ),
        ("remove_reminder", json!([{"name": "reminder_id", "type": 4, "value": 1}])),
        ("move_thread", json!([{"name": "category", "type": 3, "value": "Billing"}])),
        ("category", json!([{"name": "list", "type": 1, "options": []}])),
    ] {
        let answer = app.command(mallory, &acme, channel, name, options).await;
        assert_eq!(answer["data"]["flags"], 64, "{name}: {answer}");
        assert!(answer["data"]["content"].as_str().unwrap().contains("Only staff"), "{name}: {answer}");
    }
    for text in [
        "!take",
        "!release",
        "!logs",
        "!alert",
        "!close 2h",
        "!add_reminder 2h x",
        "!remove_reminder 1",
        "!move_thread Billing",
        "!category list",
    ]
    .into_iter()
    .map(String::from)
    .chain([
        format!("!add_staff {mallory}"),
        format!("!new_thread {alice}"),
        format!("!block {alice}"),
        format!("!unblock {alice}"),
    ]) {
        let sent = app.control.post_message(channel, mallory, &text).await.unwrap();
        let id = sent["id"].as_str().unwrap_or_else(|| panic!("{text}: {sent}")).to_owned();
        eventually(&format!("{text} is refused"), || async {
            let messages = app.control.channel_messages(channel).await.ok()?;
            messages
                .iter()
                .any(|m| {
                    m["message_reference"]["message_id"].as_str() == Some(&id) && text_of(m).contains("Only staff")
                })
                .then_some(())
        })
        .await;
    }
    assert_eq!(app.ticket_count().await, 1);
    let timers: i64 = sqlx::query_scalar("SELECT count(*) FROM timers").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(timers, 0);
    app.shutdown().await;
}

#[tokio::test]
async fn a_channel_staff_create_in_the_inbox_named_with_a_member_id_becomes_their_ticket() {
    let ModmailMember { app, acme, alice } = modmail_member().await;

    // Off by default: the channel stays an ordinary channel.
    app.control.create_channel(acme.id, &alice.to_string(), 0, Some(acme.inbox)).await.unwrap();
    // The bot handles that channel while the setting is still off: with the
    // setting off the handler leaves no trace, and guild events run
    // concurrently, so the barrier is every event handled (the checkpoint).
    app.wait_until_events_handled().await;
    app.control
        .post_message(acme.general, acme.owner, "!modmail set create_ticket_by_create_channel on")
        .await
        .unwrap();
    app.wait_for_channel_text(acme.general, "Saved: create_ticket_by_create_channel").await;
    assert_eq!(app.ticket_count().await, 0);

    let channel = app.control.create_channel(acme.id, &alice.to_string(), 0, Some(acme.inbox)).await.unwrap();
    app.wait_for_channel_text(channel, "is now the ticket of").await;
    app.wait_for_bot_dm(alice, "ticket #1").await;
    let (opener, number): (i64, i32) = sqlx::query_as("SELECT opener_id, number FROM tickets WHERE channel_id = $1")
        .bind(channel as i64)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!((opener as u64, number), (alice, 1));
    app.control.user_dm(alice, "thanks for the ping").await.unwrap();
    app.wait_for_channel_text(channel, "thanks for the ping").await;

    // A name that is no member's id gets an explanation, and no ticket.
    let stray = app.control.create_channel(acme.id, "123456789", 0, Some(acme.inbox)).await.unwrap();
    app.wait_for_channel_text(stray, "No member of this server has the id").await;
    assert_eq!(app.ticket_count().await, 1);
    app.shutdown().await;
}

#[tokio::test]
async fn snippets_are_managed_in_both_forms_and_sent_as_numbered_replies() {
    let ModmailMember { app, acme, alice } = modmail_member().await;
    let mallory = app.member("mallory", &[&acme]).await;
    let channel = app.open_ticket(&acme, alice, "where is my refund?").await;
    let sub = |name: &str, options: serde_json::Value| json!([{"name": name, "type": 1, "options": options}]);

    let created = app
        .slash(
            acme.staff,
            &acme,
            acme.general,
            "snippet",
            sub(
                "create",
                json!([
                    {"name": "name", "type": 3, "value": "refund"},
                    {"name": "content", "type": 3, "value": "Hi {user}, refunds take 5 days (ticket {ticket_number})."}
                ]),
            ),
        )
        .await;
    assert!(created.contains("Snippet `refund` saved"), "{created}");
    app.control.post_message(acme.general, acme.staff, "!snippet create hello Hello from {guild}!").await.unwrap();
    app.wait_for_channel_text(acme.general, "Snippet `hello` saved").await;
    app.control.post_message(acme.general, acme.staff, "!snippet create hello again").await.unwrap();
    app.wait_for_channel_text(acme.general, "already exists").await;
    let listed = app.slash(acme.staff, &acme, acme.general, "snippet", sub("list", json!([]))).await;
    assert!(listed.contains("`hello`") && listed.contains("`refund`"), "{listed}");

    app.control.post_message(channel, acme.staff, "!s refund").await.unwrap();
    let sent = app.wait_for_bot_dm(alice, "refunds take 5 days").await;
    assert!(text_of(&sent).contains("Hi alice") && text_of(&sent).contains("ticket 1"), "{sent}");
    let answer = app
        .command(
            acme.staff,
            &acme,
            channel,
            "snippet",
            sub("send", json!([{"name": "name", "type": 3, "value": "hello"}])),
        )
        .await;
    assert!(text_of(&answer["data"]).contains("Reply #2 sent"), "the sender is told privately: {answer}");
    assert_eq!(answer["data"]["flags"], 64, "{answer}");
    app.wait_for_channel_text(channel, "Hello from acme").await;
    app.wait_for_bot_dm(alice, "Hello from acme!").await;
    let numbers: Vec<i32> =
        sqlx::query_scalar("SELECT staff_number FROM ticket_messages WHERE staff_number IS NOT NULL ORDER BY 1")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(numbers, [1, 2], "snippets are numbered replies");

    app.control.post_message(acme.general, acme.staff, "!snippet edit hello Hello again").await.unwrap();
    app.wait_for_channel_text(acme.general, "Snippet `hello` updated").await;
    let deleted = app
        .slash(
            acme.staff,
            &acme,
            acme.general,
            "snippet",
            sub("delete", json!([{"name": "name", "type": 3, "value": "hello"}])),
        )
        .await;
    assert!(deleted.contains("deleted"), "{deleted}");
    app.control.post_message(channel, acme.staff, "!s hello").await.unwrap();
    app.wait_for_channel_text(channel, "There is no snippet `hello`").await;

    let refused = app.slash(mallory, &acme, acme.general, "snippet", sub("list", json!([]))).await;
    assert!(refused.contains("Only staff"), "{refused}");
    app.control.post_message(acme.general, mallory, "!snippet delete refund").await.unwrap();
    app.wait_for_channel_text(acme.general, "Only staff").await;
    app.shutdown().await;
}
