//! A DM becomes a ticket: routing, the channel, the welcome, and refusals.

use serde_json::json;

use crate::support::fixtures::{alice_ticket, AliceTicket};
use crate::support::{eventually, is_id, text_of, TestApp};

#[tokio::test]
async fn a_dm_opens_a_private_numbered_ticket_channel_and_welcomes_the_user() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let answer = app.setup_modmail(&acme).await;
    assert_eq!(answer["type"], 4);
    assert_eq!(answer["data"]["flags"], 64, "setup confirms ephemerally: {answer}");
    let alice = app.member("alice", &[&acme]).await;

    app.control.user_dm(alice, "Hello, my order never arrived").await.unwrap();

    let channel =
        eventually("the ticket channel appears", || async { app.ticket_channels(&acme).await.into_iter().next() })
            .await;
    assert_eq!(channel["name"], "0001-alice");
    let overwrites = channel["permission_overwrites"].as_array().unwrap();
    let everyone = overwrites.iter().find(|o| is_id(&o["id"], acme.id)).expect("an @everyone overwrite");
    assert_ne!(everyone["deny"].as_str().unwrap().parse::<u64>().unwrap() & (1 << 10), 0, "@everyone cannot view");
    let staff = overwrites.iter().find(|o| is_id(&o["id"], acme.staff_role)).expect("a staff overwrite");
    assert_ne!(staff["allow"].as_str().unwrap().parse::<u64>().unwrap() & (1 << 10), 0, "staff can view");

    let channel_id: u64 = channel["id"].as_str().unwrap().parse().unwrap();
    let relayed = eventually("the DM is relayed", || async {
        let messages = app.control.channel_messages(channel_id).await.ok()?;
        messages.into_iter().find(|m| text_of(m).contains("my order never arrived"))
    })
    .await;
    assert!(text_of(&relayed).contains("Hello, my order never arrived"));

    let welcome = eventually("the user is welcomed", || async {
        let dms = app.control.dm_messages(alice).await.ok()?;
        dms.into_iter().find(|m| !is_id(&m["author"]["id"], alice))
    })
    .await;
    assert!(text_of(&welcome).contains("acme"), "welcome names the guild: {welcome}");
    assert!(text_of(&welcome).contains("#1"), "welcome names the ticket number: {welcome}");

    let (number, status, kind): (i32, String, String) =
        sqlx::query_as("SELECT number, status, kind FROM tickets WHERE opener_id = $1")
            .bind(alice as i64)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!((number, status.as_str(), kind.as_str()), (1, "open", "modmail"));
    app.shutdown().await;
}

#[tokio::test]
async fn a_dm_from_someone_in_no_modmail_guild_gets_a_polite_explanation() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await; // modmail not set up here
    let dave = app.member("dave", &[&acme]).await;

    app.control.user_dm(dave, "anyone there?").await.unwrap();

    let answer = eventually("the bot explains", || async {
        let dms = app.control.dm_messages(dave).await.ok()?;
        dms.into_iter().find(|m| !is_id(&m["author"]["id"], dave))
    })
    .await;
    assert!(text_of(&answer).contains("modmail"), "{answer}");
    assert_eq!(app.ticket_count().await, 0);
    // The record follows the answer (it is written once Discord took it).
    eventually("the DM is kept on record as refused", || async {
        let state: String = sqlx::query_scalar("SELECT state FROM inbound_dms").fetch_one(&app.db.pool).await.ok()?;
        (state == "refused").then_some(())
    })
    .await;
    app.shutdown().await;
}

#[tokio::test]
async fn a_user_in_two_modmail_guilds_picks_one_and_their_held_messages_follow() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let blue = app.guild("blue").await;
    app.setup_modmail(&acme).await;
    app.setup_modmail(&blue).await;
    let alice = app.member("alice", &[&acme, &blue]).await;

    app.control.user_dm(alice, "first").await.unwrap();
    let prompt = eventually("the bot asks which server", || async {
        let dms = app.control.dm_messages(alice).await.ok()?;
        dms.into_iter().find(|m| m["components"].as_array().is_some_and(|c| !c.is_empty()))
    })
    .await;
    app.control.user_dm(alice, "second").await.unwrap();
    // Nothing opens while the user has not chosen, once "second" has been
    // handled (routed and held, or left to the drain already holding).
    app.wait_until_events_handled().await;
    assert_eq!(app.ticket_count().await, 0);

    let options = &prompt["components"][0]["components"][0]["options"];
    assert_eq!(options.as_array().unwrap().len(), 2, "both guilds are offered: {prompt}");
    let prompt_id: u64 = prompt["id"].as_str().unwrap().parse().unwrap();
    let dm_channel: u64 = prompt["channel_id"].as_str().unwrap().parse().unwrap();
    app.control
        .click(alice, dm_channel, prompt_id, "modmail:choose-guild", 3, Some(vec![blue.id.to_string()]))
        .await
        .unwrap();

    let channel = eventually("the ticket opens in the chosen guild", || async {
        app.ticket_channels(&blue).await.into_iter().next()
    })
    .await;
    let channel_id: u64 = channel["id"].as_str().unwrap().parse().unwrap();
    let texts = eventually("both held messages arrive", || async {
        let texts: Vec<String> = app.control.channel_messages(channel_id).await.ok()?.iter().map(text_of).collect();
        (texts.iter().filter(|t| t.contains("first") || t.contains("second")).count() == 2).then_some(texts)
    })
    .await;
    let first = texts.iter().position(|t| t.contains("first")).unwrap();
    let second = texts.iter().position(|t| t.contains("second")).unwrap();
    assert!(first < second, "held messages keep their order: {texts:?}");
    assert!(app.ticket_channels(&acme).await.is_empty(), "nothing opens in the other guild");
    app.shutdown().await;
}

#[tokio::test]
async fn modmail_setup_is_refused_without_manage_server() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let options = json!([{
        "name": "setup", "type": 1,
        "options": [
            {"name": "inbox-category", "type": 7, "value": acme.inbox.to_string()},
            {"name": "staff-role", "type": 8, "value": acme.staff_role.to_string()},
        ]
    }]);
    let answer = app.command(acme.staff, &acme, acme.general, "modmail", options).await;
    assert_eq!(answer["data"]["flags"], 64, "the refusal is ephemeral");
    assert!(answer["data"]["content"].as_str().unwrap().contains("Manage Server"), "{answer}");
    let enabled: Option<bool> =
        sqlx::query_scalar("SELECT modmail_enabled FROM guild_settings").fetch_optional(&app.db.pool).await.unwrap();
    assert_eq!(enabled, None, "nothing was stored");
    app.shutdown().await;
}

#[tokio::test]
async fn a_user_editing_or_deleting_a_dm_is_mirrored_in_the_ticket_with_the_old_text_kept() {
    let AliceTicket { app, acme: _, alice, channel } = alice_ticket("first message").await;
    let dm = app.control.user_dm(alice, "my order id is 1234").await.unwrap();
    app.wait_for_channel_text(channel, "my order id is 1234").await;
    let dm_channel: u64 = dm["channel_id"].as_str().unwrap().parse().unwrap();
    let dm_id: u64 = dm["id"].as_str().unwrap().parse().unwrap();

    app.control.edit_message(dm_channel, dm_id, "my order id is 4321").await.unwrap();
    let edited = app.wait_for_channel_text(channel, "my order id is 4321").await;
    assert!(text_of(&edited).contains("edited this message") && text_of(&edited).contains("1234"), "{edited}");
    // The record is written right after the staff copy is edited.
    let history: Vec<(String, String)> = eventually("the edit is recorded", || async {
        let history: Vec<(String, String)> =
            sqlx::query_as("SELECT old_content, new_content FROM ticket_message_edits")
                .fetch_all(&app.db.pool)
                .await
                .ok()?;
        (!history.is_empty()).then_some(history)
    })
    .await;
    assert_eq!(history, vec![("my order id is 1234".to_owned(), "my order id is 4321".to_owned())]);

    app.control.delete_message(dm_channel, dm_id).await.unwrap();
    let deleted = app.wait_for_channel_text(channel, "deleted this message").await;
    assert!(text_of(&deleted).contains("my order id is 4321"), "the text is kept: {deleted}");
    eventually("the deletion is recorded", || async {
        let gone: bool = sqlx::query_scalar("SELECT deleted_at IS NOT NULL FROM ticket_messages WHERE source_id = $1")
            .bind(dm_id as i64)
            .fetch_one(&app.db.pool)
            .await
            .ok()?;
        gone.then_some(())
    })
    .await;
    app.shutdown().await;
}

#[tokio::test]
async fn attachments_are_re_uploaded_both_ways_and_files_too_large_are_explained() {
    use discord_standin::client::FileSpec;

    let AliceTicket { app, acme, alice, channel } = alice_ticket("hello").await;

    // User → staff: the file is uploaded again into the ticket channel.
    let file = FileSpec {
        filename: "receipt.txt".into(),
        content_type: Some("text/plain".into()),
        bytes: b"total: 12 EUR".to_vec(),
    };
    app.control.user_dm_with_files(alice, "here is my receipt", &[file]).await.unwrap();
    let relayed = app.wait_for_channel_text(channel, "here is my receipt").await;
    let attachment = &relayed["attachments"][0];
    assert_eq!(attachment["filename"], "receipt.txt", "{relayed}");
    assert!(
        attachment["url"].as_str().unwrap().contains(&channel.to_string()),
        "re-uploaded, not linked: {attachment}"
    );
    let bytes = reqwest::get(attachment["url"].as_str().unwrap()).await.unwrap().bytes().await.unwrap();
    assert_eq!(&bytes[..], b"total: 12 EUR");

    // Staff → user: `!reply` with a file.
    let file = FileSpec {
        filename: "invoice.txt".into(),
        content_type: Some("text/plain".into()),
        bytes: b"invoice 42".to_vec(),
    };
    app.control.post_message_with_files(channel, acme.staff, "!reply Your invoice", &[file]).await.unwrap();
    let delivered = app.wait_for_bot_dm(alice, "Your invoice").await;
    assert_eq!(delivered["attachments"][0]["filename"], "invoice.txt", "{delivered}");
    let copy = eventually("the staff copy carries the file", || async {
        let messages = app.control.channel_messages(channel).await.ok()?;
        messages.into_iter().find(|m| m["author"]["bot"] == true && text_of(m).contains("Your invoice"))
    })
    .await;
    assert_eq!(copy["attachments"][0]["filename"], "invoice.txt", "{copy}");

    // Staff → user: `/reply attachment:` (the interaction carries the file in
    // `resolved.attachments`; the bot fetches and re-uploads it).
    let file = FileSpec {
        filename: "refund.txt".into(),
        content_type: Some("text/plain".into()),
        bytes: b"refund approved".to_vec(),
    };
    let options = json!([
        {"name": "content", "type": 3, "value": "Your refund"},
        {"name": "attachment", "type": 11, "value": 0},
    ]);
    app.control.run_command_with_files(acme.staff, acme.id, channel, "reply", options, &[file]).await.unwrap();
    let delivered = app.wait_for_bot_dm(alice, "Your refund").await;
    let sent = &delivered["attachments"][0];
    assert_eq!(sent["filename"], "refund.txt", "{delivered}");
    assert!(sent["url"].as_str().unwrap().contains(delivered["channel_id"].as_str().unwrap()), "re-uploaded: {sent}");
    let bytes = reqwest::get(sent["url"].as_str().unwrap()).await.unwrap().bytes().await.unwrap();
    assert_eq!(&bytes[..], b"refund approved");
    let copy = eventually("the staff copy of /reply carries the file", || async {
        let messages = app.control.channel_messages(channel).await.ok()?;
        messages.into_iter().find(|m| m["author"]["bot"] == true && text_of(m).contains("Your refund"))
    })
    .await;
    assert_eq!(copy["attachments"][0]["filename"], "refund.txt", "{copy}");

    // A file larger than a bot may upload: staff and the user are told.
    let url = attachment["url"].as_str().unwrap().to_owned();
    let dm = ticketeer::domain::dm::IncomingDm {
        message: ticketeer::domain::ids::MessageId(relayed["id"].as_str().unwrap().parse::<u64>().unwrap() + 1),
        user: ticketeer::domain::ids::UserId(alice),
        dm_channel: ticketeer::domain::ids::ChannelId(delivered["channel_id"].as_str().unwrap().parse().unwrap()),
        author_name: "alice".into(),
        content: "a huge video".into(),
        attachments: vec![ticketeer::domain::dm::Attachment {
            filename: "video.mp4".into(),
            url,
            size: 50 * 1024 * 1024,
        }],
    };
    app.bot().tickets.receive_dm(dm).await.unwrap();
    let shown = app.wait_for_channel_text(channel, "a huge video").await;
    assert!(text_of(&shown).contains("video.mp4 (50.0 MB) is larger than the 10 MB"), "{shown}");
    assert!(shown["attachments"].as_array().unwrap().is_empty());
    app.wait_for_bot_dm(alice, "video.mp4 (50.0 MB) is larger").await;
    app.shutdown().await;
}
