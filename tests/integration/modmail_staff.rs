//! Staff answer and close tickets; only staff may; replays do nothing twice.

use serde_json::json;

use crate::support::fixtures::{alice_ticket, modmail_member, AliceTicket, ModmailMember};
use crate::support::{eventually, text_of};

#[tokio::test]
async fn staff_reply_with_the_text_command_reaches_the_user_and_is_logged_in_the_channel() {
    let AliceTicket { app, acme, alice, channel } = alice_ticket("help please").await;

    let command = app.control.post_message(channel, acme.staff, "!reply We are on it!").await.unwrap();

    let dm = app.wait_for_bot_dm(alice, "We are on it!").await;
    assert_eq!(dm["embeds"][0]["author"]["name"], "acme-staff", "the user sees who answered");
    let logged = eventually("the reply is logged in the ticket", || async {
        let messages = app.control.channel_messages(channel).await.ok()?;
        messages.into_iter().find(|m| m["author"]["bot"] == true && text_of(m).contains("We are on it!"))
    })
    .await;
    assert!(logged["embeds"][0]["footer"]["text"].as_str().unwrap().contains("sent to the user"));
    let command_id = command["id"].as_str().unwrap();
    eventually("the command message is replaced by the formatted copy", || async {
        let messages = app.control.channel_messages(channel).await.ok()?;
        messages.iter().find(|m| m["id"] == command_id).map(|m| m["deleted"] == true).filter(|d| *d)
    })
    .await;
    let relayed: i64 = sqlx::query_scalar("SELECT count(*) FROM ticket_messages WHERE direction = 'to_user'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(relayed, 1);
    app.shutdown().await;
}

#[tokio::test]
async fn a_slash_reply_posts_a_recorded_staff_copy_and_answers_the_sender_privately() {
    let AliceTicket { app, acme, alice, channel } = alice_ticket("help please").await;

    let answer = app
        .command(acme.staff, &acme, channel, "reply", json!([{"name": "content", "value": "Slash hello", "type": 3}]))
        .await;
    assert_eq!(answer["type"], 4);
    assert_eq!(answer["data"]["flags"], 64, "the confirmation is for the sender: {answer}");
    assert!(text_of(&answer["data"]).contains("Reply #1 sent"), "{answer}");
    let copy = app.wait_for_channel_text(channel, "Slash hello").await;
    app.wait_for_bot_dm(alice, "Slash hello").await;
    let recorded: Option<i64> =
        sqlx::query_scalar("SELECT staff_copy_message_id FROM ticket_messages WHERE staff_number = 1")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(recorded.map(|id| id.to_string()), copy["id"].as_str().map(str::to_owned), "both copies on record");
    app.shutdown().await;
}

#[tokio::test]
async fn a_non_staff_member_cannot_reply_and_nothing_reaches_the_user() {
    let ModmailMember { app, acme, alice } = modmail_member().await;
    let mallory = app.member("mallory", &[&acme]).await;
    let channel = app.open_ticket(&acme, alice, "help please").await;
    app.grant_channel_access(channel, mallory).await;
    let before = app.bot_dms(alice).await.len();

    app.control.post_message(channel, mallory, "!reply I am not staff").await.unwrap();
    let refusal = eventually("the bot refuses", || async {
        let messages = app.control.channel_messages(channel).await.ok()?;
        messages.into_iter().find(|m| text_of(m).contains("Only staff"))
    })
    .await;
    assert!(refusal["message_reference"].is_object(), "the refusal answers the command: {refusal}");

    let answer =
        app.command(mallory, &acme, channel, "reply", json!([{"name": "content", "value": "sneaky", "type": 3}])).await;
    assert_eq!(answer["data"]["flags"], 64, "slash refusals are ephemeral");
    assert_eq!(app.bot_dms(alice).await.len(), before, "nothing was sent to the user");
    app.shutdown().await;
}

#[tokio::test]
async fn closing_sends_the_close_message_deletes_the_channel_and_keeps_the_record() {
    let AliceTicket { app, acme, alice, channel } = alice_ticket("help please").await;

    app.control.post_message(channel, acme.staff, "!close").await.unwrap();

    eventually("the channel is deleted", || async { app.control.channel(channel).await.is_err().then_some(()) }).await;
    let close = app.wait_for_bot_dm(alice, "closed").await;
    assert!(text_of(&close).contains("#1"));
    let (status, closed_by): (String, Option<i64>) =
        sqlx::query_as("SELECT status, closed_by FROM tickets").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!((status.as_str(), closed_by), ("closed", Some(acme.staff as i64)));

    // A new DM after closing opens ticket #2.
    let second = app.open_ticket(&acme, alice, "one more thing").await;
    assert_ne!(second, channel);
    app.shutdown().await;
}

#[tokio::test]
async fn a_silent_slash_close_sends_the_user_nothing() {
    let AliceTicket { app, acme, alice, channel } = alice_ticket("help please").await;
    let before = app.bot_dms(alice).await.len();

    let ack =
        app.command(acme.staff, &acme, channel, "close", json!([{"name": "silent", "value": true, "type": 5}])).await;
    assert_eq!(ack["type"], 5, "close acknowledges before the channel goes: {ack}");
    // The barrier: the channel goes after any close message would have.
    app.wait_until_channel_gone(channel).await;
    assert_eq!(app.bot_dms(alice).await.len(), before);
    app.shutdown().await;
}

#[tokio::test]
async fn the_same_dm_or_command_delivered_twice_does_nothing_twice() {
    use ticketeer::commands::{execute, Command, Invocation};
    use ticketeer::domain::actor::Actor;
    use ticketeer::domain::dm::IncomingDm;
    use ticketeer::domain::ids::{ChannelId, GuildId, MessageId, RoleId, UserId};

    let AliceTicket { app, acme, alice, channel } = alice_ticket("first").await;
    let dm = app.control.user_dm(alice, "replayed message").await.unwrap();
    app.wait_for_channel_text(channel, "replayed message").await;

    // The gateway delivers the same MESSAGE_CREATE again (a resume replay).
    let replay = IncomingDm {
        message: MessageId(dm["id"].as_str().unwrap().parse().unwrap()),
        user: UserId(alice),
        dm_channel: ChannelId(dm["channel_id"].as_str().unwrap().parse().unwrap()),
        author_name: "alice".into(),
        content: "replayed message".into(),
        attachments: vec![],
    };
    app.bot().tickets.receive_dm(replay.clone()).await.unwrap();
    app.bot().tickets.receive_dm(replay).await.unwrap();

    // The same staff command twice (same source id).
    let at = Invocation {
        guild: GuildId(acme.id),
        channel: ChannelId(channel),
        actor: Actor {
            user: UserId(acme.staff),
            name: "staff".into(),
            roles: vec![RoleId(acme.staff_role)],
            manage_guild: false,
            api_token: None,
        },
        source: 4242,
        attachments: vec![],
    };
    let reply = Command::Reply { content: "only once".into(), anonymous: false };
    execute(&app.bot().tickets, reply.clone(), &at).await.unwrap();
    execute(&app.bot().tickets, reply, &at).await.unwrap();

    let copies = app
        .control
        .channel_messages(channel)
        .await
        .unwrap()
        .iter()
        .filter(|m| text_of(m).contains("replayed message"))
        .count();
    assert_eq!(copies, 1, "the replayed DM was relayed once");
    let replies = app.bot_dms(alice).await.iter().filter(|m| text_of(m).contains("only once")).count();
    assert_eq!(replies, 1, "the replayed command replied once");
    app.shutdown().await;
}

#[tokio::test]
async fn force_close_closes_an_orphaned_ticket_without_messaging_anyone() {
    let AliceTicket { app, acme, alice, channel } = alice_ticket("help please").await;
    app.control.remove_member(acme.id, alice).await.unwrap();
    let before = app.bot_dms(alice).await.len();

    app.control.post_message(channel, acme.staff, "!force_close").await.unwrap();

    // The barrier: the channel goes after any close message would have.
    app.wait_until_channel_gone(channel).await;
    let status: String = sqlx::query_scalar("SELECT status FROM tickets").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(status, "closed");
    assert_eq!(app.bot_dms(alice).await.len(), before, "nobody was messaged");
    app.shutdown().await;
}

#[tokio::test]
async fn id_shows_staff_the_ticket_users_discord_id_in_both_forms() {
    let AliceTicket { app, acme, alice, channel } = alice_ticket("help please").await;

    app.control.post_message(channel, acme.staff, "!id").await.unwrap();
    eventually("the id is shown", || async {
        let messages = app.control.channel_messages(channel).await.ok()?;
        messages.iter().any(|m| text_of(m).contains(&format!("`{alice}`"))).then_some(())
    })
    .await;
    let answer = app.command(acme.staff, &acme, channel, "id", json!([])).await;
    assert_eq!(answer["data"]["flags"], 64);
    assert!(answer["data"]["content"].as_str().unwrap().contains(&alice.to_string()), "{answer}");
    app.shutdown().await;
}
