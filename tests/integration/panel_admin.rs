//! Managing ticket types and their questions (the operations behind
//! `/ticket admin`), within Discord's limits, refreshing the menu.

use ticketeer::tickets::ids::{GuildId, RoleId, UserId};
use ticketeer::tickets::model::Actor;
use ticketeer::tickets::panel::admin::{QuestionChange, QuestionFields, TypeFields};

use crate::panel_open::{set_up_panel, wait_for_menu_count};
use crate::support::{eventually, TestApp};

fn manager(user: u64) -> Actor {
    Actor { user: UserId(user), name: "owner".into(), roles: vec![], manage_guild: true }
}

fn type_fields(name: &str) -> TypeFields {
    TypeFields { name: name.into(), description: format!("About {name}"), emoji: Some("🛠️".into()) }
}

fn question(label: &str) -> QuestionFields {
    QuestionFields {
        label: label.into(),
        style: "paragraph".into(),
        required: "yes".into(),
        length: "10-500".into(),
        placeholder: "Tell us more".into(),
    }
}

#[tokio::test]
async fn ticket_types_and_their_questions_are_managed_within_discords_limits_and_the_menu_follows() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let panel = set_up_panel(&app, &acme).await;
    let tickets = &app.bot().tickets;
    let guild = GuildId(acme.id);
    let owner = manager(acme.owner);

    // Only Manage Server.
    let staff = Actor {
        user: UserId(acme.staff),
        name: "staff".into(),
        roles: vec![RoleId(panel.support_role)],
        manage_guild: false,
    };
    let refused = tickets.add_ticket_type(guild, &staff, &type_fields("Partnerships")).await.unwrap_err();
    assert!(refused.user_message().contains("Manage Server"), "{}", refused.user_message());

    // Add a type: it appears in the menu.
    let id = tickets.add_ticket_type(guild, &owner, &type_fields("Partnerships")).await.unwrap();
    let menu_lists = |name: &'static str| {
        let app = &app;
        let panel = &panel;
        async move {
            eventually(&format!("the menu lists {name}"), || async {
                let menu = app
                    .control
                    .channel_messages(panel.menu_channel)
                    .await
                    .ok()?
                    .into_iter()
                    .find(|m| m["id"] == panel.menu["id"])?;
                let options = menu["components"][0]["components"][0]["options"].as_array()?.clone();
                options.iter().any(|o| o["label"] == name).then_some(options.len())
            })
            .await
        }
    };
    assert_eq!(menu_lists("Partnerships").await, 4);

    // Clear refusals: a duplicate name, a name too long for a form title, a bad emoji.
    let dup = tickets.add_ticket_type(guild, &owner, &type_fields("billing")).await.unwrap_err().user_message();
    assert!(dup.contains("already a ticket type called"), "{dup}");
    let long = tickets.add_ticket_type(guild, &owner, &type_fields(&"x".repeat(46))).await.unwrap_err().user_message();
    assert!(long.contains("1 to 45"), "{long}");
    let mut bad_emoji = type_fields("Sales");
    bad_emoji.emoji = Some("sales".into());
    assert!(tickets.add_ticket_type(guild, &owner, &bad_emoji).await.unwrap_err().user_message().contains("one emoji"));

    // Edit it.
    tickets.edit_ticket_type(guild, &owner, id, &type_fields("Partners")).await.unwrap();
    assert_eq!(menu_lists("Partners").await, 4);

    // Questions: add up to five, the sixth is refused; edit, move, remove.
    for label in ["One", "Two", "Three", "Four", "Five"] {
        tickets.change_question(guild, &owner, id, QuestionChange::Add(question(label))).await.unwrap();
    }
    let sixth = tickets.change_question(guild, &owner, id, QuestionChange::Add(question("Six"))).await.unwrap_err();
    assert!(sixth.user_message().contains("at most 5 questions"), "{}", sixth.user_message());
    let mut short = question("Order number");
    short.style = "short".into();
    short.required = "no".into();
    short.length = "-20".into();
    tickets.change_question(guild, &owner, id, QuestionChange::Edit(1, short)).await.unwrap();
    tickets.change_question(guild, &owner, id, QuestionChange::MoveUp(1)).await.unwrap();
    tickets.change_question(guild, &owner, id, QuestionChange::MoveDown(2)).await.unwrap();
    let now = tickets.change_question(guild, &owner, id, QuestionChange::Remove(4)).await.unwrap();
    let labels: Vec<&str> = now.iter().map(|q| q.label.as_str()).collect();
    assert_eq!(labels, ["Order number", "One", "Four", "Three"]);
    let bad = tickets.change_question(guild, &owner, id, QuestionChange::Remove(9)).await.unwrap_err();
    assert!(bad.user_message().contains("no question 10"), "{}", bad.user_message());
    let stored: Vec<(i32, String, String, bool, Option<i32>)> = sqlx::query_as(
        "SELECT position, label, style, required, max_length FROM ticket_type_questions WHERE type_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(stored[0], (0, "Order number".into(), "short".into(), false, Some(20)));
    assert_eq!(stored.len(), 4);

    // The form members see follows the questions.
    let member = app.member("alice", &[&acme]).await;
    let menu = app
        .control
        .channel_messages(panel.menu_channel)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m["id"] == panel.menu["id"])
        .unwrap();
    let current = crate::panel_open::Panel { menu, ..panel };
    let shown = crate::panel_open::pick(&app, &current, member, "Partners").await;
    let panel = current;
    let fields = shown["data"]["components"].as_array().unwrap();
    assert_eq!(fields.len(), 4, "{shown}");
    assert_eq!(fields[0]["label"], "Order number");

    // Remove the type: the menu drops it.
    tickets.remove_ticket_type(guild, &owner, id).await.unwrap();
    eventually("the menu drops it", || async {
        let menu = app
            .control
            .channel_messages(panel.menu_channel)
            .await
            .ok()?
            .into_iter()
            .find(|m| m["id"] == panel.menu["id"])?;
        let options = menu["components"][0]["components"][0]["options"].as_array()?.clone();
        (options.len() == 3).then_some(())
    })
    .await;
    wait_for_menu_count(&app, &panel, 0).await;

    // At most 25 types.
    for i in 0..22 {
        tickets.add_ticket_type(guild, &owner, &type_fields(&format!("Type {i}"))).await.unwrap();
    }
    let full = tickets.add_ticket_type(guild, &owner, &type_fields("One too many")).await.unwrap_err();
    assert!(full.user_message().contains("25 ticket types"), "{}", full.user_message());
    app.shutdown().await;
}
