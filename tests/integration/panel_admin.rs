//! Managing ticket types and their questions (the operations behind
//! `/ticket admin`), within Discord's limits, refreshing the menu.

use ticketeer::domain::actor::Actor;
use ticketeer::domain::ids::{GuildId, RoleId, UserId};
use ticketeer::tickets::panel::admin::{QuestionChange, QuestionFields, TypeFields};

use crate::panel_open::{set_up_panel, wait_for_menu_count};
use crate::support::{eventually, TestApp};

fn manager(user: u64) -> Actor {
    Actor { user: UserId(user), name: "owner".into(), roles: vec![], manage_guild: true, api_token: None }
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
    // Up to Discord's 25 types: more than the Free plan's three.
    app.make_premium(&acme).await;
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
        api_token: None,
    };
    let refused = tickets.add_ticket_type(guild, &staff, &type_fields("Partnerships")).await.unwrap_err();
    assert!(refused.user_message().contains("Manage Server"), "{}", refused.user_message());

    // Add a type: it appears in the menu.
    let added = tickets.add_ticket_type(guild, &owner, &type_fields("Partnerships")).await.unwrap();
    assert_eq!((added.name.as_str(), added.questions.len()), ("Partnerships", 0), "the type as stored");
    let id = added.id;
    let menu_lists = |name: &'static str| {
        let app = &app;
        let panel = &panel;
        async move {
            eventually(&format!("the menu lists {name}"), || async {
                let options = crate::panel_open::menu_options(app, panel).await?;
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
    tickets.edit_ticket_type(guild, &owner, id, &(&type_fields("Partners")).into()).await.unwrap();
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
    let labels: Vec<&str> = now.questions.iter().map(|q| q.label.as_str()).collect();
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
    let menu = crate::panel_open::current_menu(&app, &panel).await.unwrap();
    let current = crate::panel_open::Panel { menu, ..panel };
    let shown = crate::panel_open::pick(&app, &current, member, "Partners").await;
    let panel = current;
    let fields = shown["data"]["components"].as_array().unwrap();
    assert_eq!(fields.len(), 4, "{shown}");
    assert_eq!(fields[0]["label"], "Order number");

    // Remove the type: the menu drops it.
    tickets.remove_ticket_type(guild, &owner, id).await.unwrap();
    eventually("the menu drops it", || async {
        let options = crate::panel_open::menu_options(&app, &panel).await?;
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

/// The message a callback of `interaction` put in the channel (its original).
async fn original(app: &TestApp, interaction: u64) -> serde_json::Value {
    eventually("the answer is posted", || async {
        let state = app.control.interaction(interaction).await.ok()?;
        state["original"]["id"].is_string().then(|| state["original"].clone())
    })
    .await
}

fn custom_ids(message: &serde_json::Value) -> Vec<String> {
    let mut ids = Vec::new();
    for row in message["components"].as_array().into_iter().flatten() {
        for c in row["components"].as_array().into_iter().flatten() {
            ids.push(c["custom_id"].as_str().unwrap_or_default().to_owned());
        }
    }
    ids
}

#[tokio::test]
async fn the_admin_panel_adds_edits_and_removes_types_and_questions_through_buttons_selects_and_forms() {
    use crate::panel_open::first_callback;

    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    app.make_premium(&acme).await;
    let panel = set_up_panel(&app, &acme).await;
    let admin = serde_json::json!([{"name": "admin", "type": 1, "options": []}]);
    let channel = acme.general;
    let owner = acme.owner;

    let refused = app.command(acme.staff, &acme, channel, "ticket", admin.clone()).await;
    assert!(refused["data"]["content"].as_str().unwrap().contains("Manage Server"), "{refused}");

    // The list of types, privately.
    let opened = app.control.run_command(owner, Some(acme.id), Some(channel), "ticket", admin).await.unwrap();
    let shown = first_callback(&app, opened.id).await;
    assert_eq!(shown["data"]["flags"], 64, "{shown}");
    assert_eq!(shown["data"]["embeds"][0]["title"], "Ticket types (3/25)");
    let home = original(&app, opened.id).await;
    assert_eq!(custom_ids(&home), ["padmin:add", "padmin:pick"]);
    let click = |member: u64, message: serde_json::Value, custom_id: String, kind: u8, values: Option<Vec<String>>| {
        let app = &app;
        async move {
            let click = app
                .control
                .click(member, channel, crate::panel_open::id_of(&message["id"]), &custom_id, kind, values)
                .await
                .unwrap();
            (first_callback(app, click.id).await, click.id)
        }
    };

    // Add a type through its form.
    let (form, _) = click(owner, home.clone(), "padmin:add".into(), 2, None).await;
    assert_eq!((form["type"].as_u64(), form["data"]["custom_id"].as_str()), (Some(9), Some("padmin:tf:new")));
    let added = app
        .control
        .submit_modal(owner, "padmin:tf:new", &[("name", "Partners"), ("description", "Work with us"), ("emoji", "🤝")])
        .await
        .unwrap();
    let answer = first_callback(&app, added.id).await;
    assert!(text(&answer).contains("Type added"), "{answer}");
    assert_eq!(answer["data"]["embeds"][0]["title"], "🤝 Partners");
    let type_id: i64 = sqlx::query_scalar("SELECT type_id FROM ticket_types WHERE name = 'Partners'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let type_view = original(&app, added.id).await;

    // Add a question through its form.
    let (form, _) = click(owner, type_view.clone(), format!("padmin:t:{type_id}:addq"), 2, None).await;
    assert_eq!(form["data"]["components"].as_array().unwrap().len(), 5, "label, style, required, length, placeholder");
    let qform = format!("padmin:qf:{type_id}:new");
    let bad = app.control.submit_modal(owner, &qform, &[("label", "Company"), ("style", "huge")]).await.unwrap();
    assert!(text(&first_callback(&app, bad.id).await).contains("`short` or `paragraph`"));
    let (form, _) = click(owner, type_view.clone(), format!("padmin:t:{type_id}:addq"), 2, None).await;
    assert_eq!(form["type"], 9);
    let saved = app
        .control
        .submit_modal(
            owner,
            &qform,
            &[("label", "Company"), ("style", "short"), ("required", "yes"), ("length", "2-100")],
        )
        .await
        .unwrap();
    let answer = first_callback(&app, saved.id).await;
    assert!(
        text(&answer).contains("1.") && text(&answer).contains("Company (short, required, 2–100 characters)"),
        "{answer}"
    );
    let type_view = original(&app, saved.id).await;

    // A second question; then edit the first and move it down, all from the panel.
    let (_, _) = click(owner, type_view.clone(), format!("padmin:t:{type_id}:addq"), 2, None).await;
    let second = app.control.submit_modal(owner, &qform, &[("label", "Website"), ("required", "no")]).await.unwrap();
    assert!(text(&first_callback(&app, second.id).await).contains("**2.** Website (short, optional)"));
    let type_view = original(&app, second.id).await;
    let (question, _) =
        click(owner, type_view.clone(), format!("padmin:t:{type_id}:q"), 3, Some(vec!["0".into()])).await;
    assert_eq!(question["type"], 7, "the question's own view: {question}");
    let ids = custom_ids(&question["data"]);
    assert!(
        ids.contains(&format!("padmin:q:{type_id}:0:down")) && !ids.iter().any(|i| i.ends_with(":0:up")),
        "{ids:?}"
    );
    let (form, _) = click(owner, type_view.clone(), format!("padmin:q:{type_id}:0:edit"), 2, None).await;
    assert_eq!(form["data"]["components"][3]["component"]["value"], "2-100", "filled in: {form}");
    let edited = app
        .control
        .submit_modal(
            owner,
            &format!("padmin:qf:{type_id}:0"),
            &[("label", "Company name"), ("style", "short"), ("required", "yes"), ("length", "2-100")],
        )
        .await
        .unwrap();
    assert!(text(&first_callback(&app, edited.id).await).contains("**1.** Company name"));
    let (moved, _) = click(owner, type_view.clone(), format!("padmin:q:{type_id}:0:down"), 2, None).await;
    assert!(text(&moved).contains("**1.** Website") && text(&moved).contains("**2.** Company name"), "{moved}");
    // The panel shows the type again: pick the moved question, move it back up, then remove the other.
    click(owner, type_view.clone(), format!("padmin:t:{type_id}:q"), 3, Some(vec!["1".into()])).await;
    let (moved, _) = click(owner, type_view.clone(), format!("padmin:q:{type_id}:1:up"), 2, None).await;
    assert!(text(&moved).contains("**1.** Company name"), "{moved}");
    click(owner, type_view.clone(), format!("padmin:t:{type_id}:q"), 3, Some(vec!["1".into()])).await;
    let (removed, _) = click(owner, type_view.clone(), format!("padmin:q:{type_id}:1:remove"), 2, None).await;
    assert!(!text(&removed).contains("Website"), "{removed}");

    // Edit the type: the form comes filled in.
    let (form, _) = click(owner, type_view.clone(), format!("padmin:t:{type_id}:edit"), 2, None).await;
    assert_eq!(form["data"]["components"][0]["component"]["value"], "Partners", "{form}");
    let renamed = app
        .control
        .submit_modal(
            owner,
            &format!("padmin:tf:{type_id}"),
            &[("name", "Partner program"), ("description", "Work with us"), ("emoji", "🤝")],
        )
        .await
        .unwrap();
    assert_eq!(first_callback(&app, renamed.id).await["data"]["embeds"][0]["title"], "🤝 Partner program");
    let type_view = original(&app, renamed.id).await;

    // Pick the question, then remove it: the panel updates in place.
    let (question, _) =
        click(owner, type_view.clone(), format!("padmin:t:{type_id}:q"), 3, Some(vec!["0".into()])).await;
    assert_eq!(question["type"], 7, "{question}");
    let (removed, _) = click(owner, type_view.clone(), format!("padmin:q:{type_id}:0:remove"), 2, None).await;
    assert_eq!(removed["type"], 7, "{removed}");
    assert!(text(&removed).contains("Question removed") && text(&removed).contains("No questions"), "{removed}");
    let questions: i64 = sqlx::query_scalar("SELECT count(*) FROM ticket_type_questions WHERE type_id = $1")
        .bind(type_id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(questions, 0);

    // The menu offers the renamed type, which asks nothing now: picking it
    // opens the ticket at once. Deleting the type takes it away.
    let menu = eventually("the menu offers the renamed type", || async {
        let menu = crate::panel_open::current_menu(&app, &panel).await?;
        let options = menu["components"][0]["components"][0]["options"].as_array()?.clone();
        options.iter().any(|o| o["label"] == "Partner program").then_some(menu)
    })
    .await;
    let member = app.member("alice", &[&acme]).await;
    let current = crate::panel_open::Panel { menu, ..panel };
    let opened = crate::panel_open::pick(&app, &current, member, "Partner program").await;
    assert_eq!(opened["type"], 5, "no form: deferred while the ticket opens: {opened}");
    eventually("the ticket opens without a form", || async {
        let channels = app.control.guild_channels(acme.id).await.ok()?;
        channels.iter().any(|c| c["name"] == "partner-program-0001").then_some(())
    })
    .await;
    let (deleted, _) = click(owner, type_view, format!("padmin:t:{type_id}:delete"), 2, None).await;
    assert!(
        text(&deleted).contains("was deleted") && deleted["data"]["embeds"][0]["title"] == "Ticket types (3/25)",
        "{deleted}"
    );
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM ticket_types").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(left, 3);
    app.shutdown().await;
}

fn text(callback: &serde_json::Value) -> String {
    crate::support::text_of(&callback["data"])
}
