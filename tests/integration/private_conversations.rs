//! Private by default: a conversation in progress never moves to another
//! server. Only the user decides where their DMs go.

use serde_json::{json, Value};

use crate::support::{eventually, text_of, Guild, TestApp};

/// The DM message carrying a component whose custom id starts with `prefix`.
async fn dm_with_component(app: &TestApp, user: u64, prefix: &str, after: Option<&str>) -> Value {
    eventually(&format!("a DM with {prefix}"), || async {
        let dms = app.control.dm_messages(user).await.ok()?;
        dms.into_iter().rev().find(|m| {
            let newer = after.is_none_or(|id| m["id"].as_str().unwrap_or("").parse::<u64>().ok() > id.parse().ok());
            newer && m["components"].to_string().contains(prefix)
        })
    })
    .await
}

fn id(v: &Value) -> u64 {
    v.as_str().unwrap().parse().unwrap()
}

/// The user picks `guild` from the server menu in `menu`.
async fn pick(app: &TestApp, user: u64, menu: &Value, guild: &Guild) {
    app.control
        .click(
            user,
            id(&menu["channel_id"]),
            id(&menu["id"]),
            "modmail:choose-guild",
            3,
            Some(vec![guild.id.to_string()]),
        )
        .await
        .unwrap();
}

async fn open_channel(app: &TestApp, guild: &Guild, user: u64) -> u64 {
    let channel: i64 = eventually("the ticket is open", || async {
        sqlx::query_scalar("SELECT channel_id FROM tickets WHERE guild_id = $1 AND opener_id = $2 AND status = 'open'")
            .bind(guild.id as i64)
            .bind(user as i64)
            .fetch_optional(&app.db.pool)
            .await
            .ok()
            .flatten()
    })
    .await;
    channel as u64
}

async fn channel_has(app: &TestApp, channel: u64, needle: &str) -> bool {
    app.control.channel_messages(channel).await.unwrap().iter().any(|m| text_of(m).contains(needle))
}

/// Two servers with modmail, and alice, a member of both.
async fn two_modmail_servers() -> (TestApp, Guild, Guild, u64) {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let blue = app.guild("blue").await;
    app.setup_modmail(&acme).await;
    app.setup_modmail(&blue).await;
    let alice = app.member("alice", &[&acme, &blue]).await;
    (app, acme, blue, alice)
}

#[tokio::test]
async fn a_ticket_another_server_opens_for_the_user_does_not_capture_their_conversation_until_they_switch() {
    let (app, acme, blue, alice) = two_modmail_servers().await;

    // Alice talks to acme.
    app.control.user_dm(alice, "hello acme").await.unwrap();
    let menu = dm_with_component(&app, alice, "modmail:choose-guild", None).await;
    pick(&app, alice, &menu, &acme).await;
    let acme_channel = open_channel(&app, &acme, alice).await;
    app.wait_for_channel_text(acme_channel, "hello acme").await;

    // Blue's staff open a ticket for her: she is told which server it is
    // and how to answer it, and her DMs stay with acme.
    let answer = app
        .slash(
            blue.staff,
            &blue,
            blue.general,
            "new_thread",
            json!([{"name": "user", "type": 6, "value": alice.to_string()}]),
        )
        .await;
    assert!(answer.contains("Opened"), "{answer}");
    let blue_channel = open_channel(&app, &blue, alice).await;
    let note = app.wait_for_bot_dm(alice, "Staff of **blue** opened ticket #1").await;
    assert!(text_of(&note).contains("still go to **acme**"), "{note}");
    assert!(note["components"].to_string().contains("modmail:switch-guild"), "with a switch button: {note}");

    app.control.user_dm(alice, "my reset code is 123456").await.unwrap();
    app.wait_for_channel_text(acme_channel, "123456").await;
    assert!(!channel_has(&app, blue_channel, "123456").await, "nothing reached blue");

    // She switches to blue: from then on her DMs go there, and stay there.
    app.control
        .click(alice, id(&note["channel_id"]), id(&note["id"]), "modmail:switch-guild:menu", 2, None)
        .await
        .unwrap();
    let switch_menu = dm_with_component(&app, alice, "modmail:choose-guild", note["id"].as_str()).await;
    assert!(text_of(&switch_menu).contains("go to **acme** now"), "{switch_menu}");
    pick(&app, alice, &switch_menu, &blue).await;
    app.wait_for_bot_dm(alice, "your messages go to **blue**").await;
    app.control.user_dm(alice, "answering blue").await.unwrap();
    app.control.user_dm(alice, "still blue").await.unwrap();
    app.wait_for_channel_text(blue_channel, "still blue").await;
    assert!(channel_has(&app, blue_channel, "answering blue").await);
    assert!(!channel_has(&app, acme_channel, "answering blue").await, "acme no longer gets her DMs");
    assert!(!channel_has(&app, acme_channel, "still blue").await);
    app.shutdown().await;
}

#[tokio::test]
async fn a_user_with_tickets_in_two_servers_and_no_conversation_is_asked_and_the_choice_sticks() {
    let (app, acme, blue, alice) = two_modmail_servers().await;
    // Both servers' staff open a ticket for her; she has chosen nothing.
    for guild in [&acme, &blue] {
        let options = json!([{"name": "user", "type": 6, "value": alice.to_string()}]);
        app.slash(guild.staff, guild, guild.general, "new_thread", options).await;
    }
    let acme_channel = open_channel(&app, &acme, alice).await;
    let blue_channel = open_channel(&app, &blue, alice).await;

    app.control.user_dm(alice, "which one gets this?").await.unwrap();
    let menu = dm_with_component(&app, alice, "modmail:choose-guild", None).await;
    let offered = menu["components"].to_string();
    assert!(offered.contains(&acme.id.to_string()) && offered.contains(&blue.id.to_string()), "{menu}");
    pick(&app, alice, &menu, &blue).await;
    app.wait_for_channel_text(blue_channel, "which one gets this?").await;
    app.control.user_dm(alice, "and this one").await.unwrap();
    app.wait_for_channel_text(blue_channel, "and this one").await;
    assert!(!channel_has(&app, acme_channel, "which one gets this?").await);
    assert!(!channel_has(&app, acme_channel, "and this one").await, "the choice sticks");
    app.shutdown().await;
}
