//! The server menu (a user in several modmail servers picks one) times out:
//! the menu turns into a note, once, the user's messages stay held (nothing
//! refused, nothing lost), and their next message asks again; after the
//! pick everything follows in order, each message once.

use serde_json::{json, Value};

use crate::support::{eventually, text_of, TestApp};

fn id_of(value: &Value) -> u64 {
    value.as_str().unwrap().parse().unwrap()
}

fn is_menu(message: &Value) -> bool {
    message["components"].to_string().contains("modmail:choose-guild")
}

async fn states(app: &TestApp, user: u64) -> Vec<String> {
    sqlx::query_scalar("SELECT state FROM inbound_dms WHERE user_id = $1 ORDER BY message_id")
        .bind(user as i64)
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
}

/// The state and runs of the server menu timers, oldest first.
async fn choice_timers(app: &TestApp) -> Vec<(String, i32)> {
    sqlx::query_as("SELECT state, attempts FROM timers WHERE kind = 'server_choice' ORDER BY timer_id")
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
}

/// How many times the bot edited `message` in `channel`.
async fn edits_of(app: &TestApp, channel: u64, message: u64) -> usize {
    let path = format!("/channels/{channel}/messages/{message}");
    app.control.requests().await.unwrap().iter().filter(|r| r["method"] == "PATCH" && r["path"] == path).count()
}

#[tokio::test]
async fn an_unanswered_server_menu_expires_once_keeps_the_messages_and_the_next_dm_asks_again() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let blue = app.guild("blue").await;
    app.setup_modmail(&acme).await;
    app.setup_modmail(&blue).await;
    let alice = app.member("alice", &[&acme, &blue]).await;

    app.control.user_dm(alice, "first").await.unwrap();
    app.control.user_dm(alice, "second").await.unwrap();
    let menu =
        eventually("the bot asks which server", || async { app.bot_dms(alice).await.into_iter().find(is_menu) }).await;
    let (dm_channel, menu_id) = (id_of(&menu["channel_id"]), id_of(&menu["id"]));
    eventually("both DMs are stored", || async { (states(&app, alice).await.len() == 2).then_some(()) }).await;

    // The menu's time runs out (TICKETEER_SERVER_CHOICE_TIMEOUT_SECS, 15
    // minutes by default, moved to now).
    assert_eq!(app.advance_timers().await, 1, "the menu's timeout is pending in PostgreSQL");
    let note = eventually("the menu says it expired", || async {
        app.bot_dms(alice).await.into_iter().find(|m| m["id"] == menu["id"] && text_of(m).contains("has expired"))
    })
    .await;
    assert!(text_of(&note).contains("within 15m") && text_of(&note).contains("Your messages are kept"), "{note}");
    assert_eq!(note["components"], json!([]), "nothing left to pick from: {note}");
    eventually("the timeout has fired", || async {
        (choice_timers(&app).await == [("fired".to_owned(), 1)]).then_some(())
    })
    .await;

    // The timer runs a second time (a worker that died before recording
    // it): the user is not told again.
    sqlx::query(
        "UPDATE timers SET state = 'pending', due_at = now(), claimed_until = NULL, finished_at = NULL
         WHERE kind = 'server_choice'",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
    eventually("the timeout has fired a second time", || async {
        (choice_timers(&app).await == [("fired".to_owned(), 2)]).then_some(())
    })
    .await;
    assert_eq!(edits_of(&app, dm_channel, menu_id).await, 1, "the menu was turned into the note once");
    assert_eq!(app.bot_dms(alice).await.len(), 1, "no other message to the user");
    assert_eq!(states(&app, alice).await, ["pending", "pending"], "held, not refused");
    assert_eq!(app.ticket_count().await, 0);

    // The user writes again: they are asked again, with a new menu.
    app.control.user_dm(alice, "third").await.unwrap();
    let again = eventually("the bot asks again", || async {
        app.bot_dms(alice).await.into_iter().find(|m| is_menu(m) && m["id"] != menu["id"])
    })
    .await;
    app.control
        .click(alice, dm_channel, id_of(&again["id"]), "modmail:choose-guild", 3, Some(vec![blue.id.to_string()]))
        .await
        .unwrap();
    let channel = eventually("the ticket opens in the chosen server", || async {
        app.ticket_channels(&blue).await.into_iter().next()
    })
    .await;
    let channel = id_of(&channel["id"]);
    let texts = eventually("every held message follows", || async {
        let texts: Vec<String> = app.control.channel_messages(channel).await.ok()?.iter().map(text_of).collect();
        texts.iter().any(|t| t.contains("third")).then_some(texts)
    })
    .await;
    let positions: Vec<usize> = ["first", "second", "third"]
        .iter()
        .map(|needle| {
            let found: Vec<usize> =
                texts.iter().enumerate().filter(|(_, t)| t.contains(needle)).map(|(i, _)| i).collect();
            assert_eq!(found.len(), 1, "{needle:?} relayed once: {texts:?}");
            found[0]
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "in the order written: {texts:?}");
    // Each DM is recorded relayed right after its post.
    eventually("every DM is on record, relayed", || async {
        (states(&app, alice).await == ["relayed", "relayed", "relayed"]).then_some(())
    })
    .await;
    assert!(app.ticket_channels(&acme).await.is_empty(), "nothing opens in the other server");
    let first_menu = app.bot_dms(alice).await.into_iter().find(|m| m["id"] == menu["id"]).unwrap();
    assert!(text_of(&first_menu).contains("has expired") && !is_menu(&first_menu), "{first_menu}");
    assert_eq!(
        choice_timers(&app).await,
        [("fired".to_owned(), 2), ("cancelled".to_owned(), 0)],
        "the second menu's timeout ended with the pick"
    );
    app.shutdown().await;
}
