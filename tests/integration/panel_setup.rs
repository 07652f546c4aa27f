//! `/ticket setup`: the ticket menu is posted with the default ticket types,
//! updated (never duplicated) when setup runs again, and posted again when
//! it was deleted.

use serde_json::{json, Value};

use crate::support::{is_id, Guild, TestApp};

struct Panel {
    menu_channel: u64,
    category: u64,
    log_channel: u64,
    support_role: u64,
}

async fn panel_channels(app: &TestApp, guild: &Guild) -> Panel {
    let c = &app.control;
    Panel {
        menu_channel: c.create_channel(guild.id, "open-a-ticket", 0, None).await.unwrap(),
        category: c.create_channel(guild.id, "Tickets", 4, None).await.unwrap(),
        log_channel: c.create_channel(guild.id, "ticket-log", 0, None).await.unwrap(),
        support_role: c.create_role(guild.id, "Support", 0).await.unwrap(),
    }
}

fn setup_options(menu_channel: u64, category: u64, extra: &[Value]) -> Value {
    let mut options = vec![
        json!({"name": "menu-channel", "type": 7, "value": menu_channel.to_string()}),
        json!({"name": "category", "type": 7, "value": category.to_string()}),
    ];
    options.extend(extra.iter().cloned());
    json!([{"name": "setup", "type": 1, "options": options}])
}

/// The bot's messages in the menu channel.
async fn menus(app: &TestApp, channel: u64) -> Vec<Value> {
    let messages = app.control.channel_messages(channel).await.unwrap();
    messages.into_iter().filter(|m| m["author"]["bot"] == true && m["deleted"] != true).collect()
}

#[tokio::test]
async fn ticket_setup_posts_the_menu_with_default_types_and_running_it_again_updates_the_same_menu() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let panel = panel_channels(&app, &acme).await;
    let extra = [
        json!({"name": "log-channel", "type": 7, "value": panel.log_channel.to_string()}),
        json!({"name": "support-role", "type": 8, "value": panel.support_role.to_string()}),
        json!({"name": "max-open-tickets", "type": 4, "value": 2}),
    ];

    // Only Manage Server may set it up; a wrong channel kind gets a clear answer.
    let refused = app
        .command(acme.staff, &acme, acme.general, "ticket", setup_options(panel.menu_channel, panel.category, &[]))
        .await;
    assert_eq!(refused["data"]["flags"], 64, "{refused}");
    assert!(refused["data"]["content"].as_str().unwrap().contains("Manage Server"), "{refused}");
    let wrong = app
        .slash(acme.owner, &acme, acme.general, "ticket", setup_options(panel.menu_channel, acme.general, &[]))
        .await;
    assert!(wrong.contains("The category must be a category in this server"), "{wrong}");
    assert!(menus(&app, panel.menu_channel).await.is_empty(), "nothing is posted on a refusal");

    let answer = app
        .command(acme.owner, &acme, acme.general, "ticket", setup_options(panel.menu_channel, panel.category, &extra))
        .await;
    assert_eq!(answer["data"]["flags"], 64, "the confirmation is ephemeral: {answer}");
    let text = answer["data"]["content"].as_str().unwrap();
    assert!(text.contains("3 ticket types") && text.contains("General Support, Billing, Report a user"), "{text}");
    assert!(
        text.contains(&format!("<@&{}>", panel.support_role)) && text.contains(&format!("<#{}>", panel.log_channel))
    );

    assert!(text.contains("Each member may have 2 open tickets at once"), "{text}");
    let posted = menus(&app, panel.menu_channel).await;
    assert_eq!(posted.len(), 1, "one menu: {posted:?}");
    let menu = &posted[0];
    let embed = &menu["embeds"][0];
    let fields: Vec<&str> = embed["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(fields, ["💬 General Support", "💳 Billing", "🚩 Report a user"]);
    assert_eq!(embed["footer"]["text"], "Open tickets: 0");
    let select = &menu["components"][0]["components"][0];
    assert_eq!(select["type"], 3, "a dropdown: {menu}");
    assert_eq!(select["options"].as_array().unwrap().len(), 3);

    // Again, with another support role: the same menu is edited, the types
    // are not created twice, the configuration is updated.
    let seniors = app.control.create_role(acme.id, "Seniors", 0).await.unwrap();
    let again = [json!({"name": "support-role", "type": 8, "value": seniors.to_string()})];
    let text = app
        .slash(acme.owner, &acme, acme.general, "ticket", setup_options(panel.menu_channel, panel.category, &again))
        .await;
    assert!(text.contains("3 ticket types") && !text.contains("defaults"), "{text}");
    let after = menus(&app, panel.menu_channel).await;
    assert_eq!(after.len(), 1, "still one menu: {after:?}");
    assert_eq!(after[0]["id"], menu["id"], "the same message");
    let types: i64 = sqlx::query_scalar("SELECT count(*) FROM ticket_types").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(types, 3);
    let questions: i64 =
        sqlx::query_scalar("SELECT count(*) FROM ticket_type_questions").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(questions, 6);
    let (role, log): (Option<i64>, Option<i64>) =
        sqlx::query_as("SELECT support_role_id, log_channel_id FROM panel_settings")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!((role, log), (Some(seniors as i64), None));
    let limit: i32 =
        sqlx::query_scalar("SELECT max_open_per_member FROM panel_settings").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(limit, 2, "kept when setup runs again without it");
    app.shutdown().await;
}

#[tokio::test]
async fn a_deleted_menu_is_posted_again_at_the_next_update() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let panel = panel_channels(&app, &acme).await;
    app.slash(acme.owner, &acme, acme.general, "ticket", setup_options(panel.menu_channel, panel.category, &[])).await;
    let first = menus(&app, panel.menu_channel).await.remove(0);
    let first_id: u64 = first["id"].as_str().unwrap().parse().unwrap();
    app.control.delete_message(panel.menu_channel, first_id).await.unwrap();

    let refreshed = app.bot().tickets.refresh_menu(ticketeer::domain::ids::GuildId(acme.id)).await.unwrap();
    let now = menus(&app, panel.menu_channel).await;
    assert_eq!(now.len(), 1, "{now:?}");
    assert!(!is_id(&now[0]["id"], first_id), "a new message");
    assert_eq!(refreshed.map(|m| m.get()), now[0]["id"].as_str().unwrap().parse().ok());
    let stored: Option<i64> =
        sqlx::query_scalar("SELECT menu_message_id FROM panel_settings").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(stored, Some(refreshed.unwrap().get() as i64), "the new id is remembered");
    app.shutdown().await;
}

#[tokio::test]
async fn the_support_role_cannot_be_everyone_and_nothing_is_set_up() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let panel = panel_channels(&app, &acme).await;
    // A guild's @everyone role has the guild's id.
    let everyone = [json!({"name": "support-role", "type": 8, "value": acme.id.to_string()})];
    let answer = app
        .command(
            acme.owner,
            &acme,
            acme.general,
            "ticket",
            setup_options(panel.menu_channel, panel.category, &everyone),
        )
        .await;
    assert_eq!(answer["data"]["flags"], 64, "refused privately: {answer}");
    assert!(answer["data"]["content"].as_str().unwrap().contains("can't be @everyone"), "{answer}");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM panel_settings").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(stored, 0, "nothing was saved");
    assert!(menus(&app, panel.menu_channel).await.is_empty(), "no menu was posted");

    // With a real role the same setup works.
    let support = [json!({"name": "support-role", "type": 8, "value": panel.support_role.to_string()})];
    let text = app
        .slash(acme.owner, &acme, acme.general, "ticket", setup_options(panel.menu_channel, panel.category, &support))
        .await;
    assert!(text.contains("The ticket menu is in"), "{text}");
    app.shutdown().await;
}
