//! Opening a panel ticket from the menu: pick a type, answer its form, get a
//! private channel with the answers and the support role pinged; a second
//! attempt links the open ticket instead.

use serde_json::{json, Value};

use crate::support::{eventually, is_id, text_of, Guild, TestApp};

pub(crate) struct Panel {
    pub menu_channel: u64,
    pub category: u64,
    pub support_role: u64,
    pub log_channel: u64,
    pub menu: Value,
}

/// `/ticket setup` with a support role; returns the posted menu.
pub(crate) async fn set_up_panel(app: &TestApp, guild: &Guild) -> Panel {
    let c = &app.control;
    let menu_channel = c.create_channel(guild.id, "open-a-ticket", 0, None).await.unwrap();
    let category = c.create_channel(guild.id, "Tickets", 4, None).await.unwrap();
    let support_role = c.create_role(guild.id, "Support", 0).await.unwrap();
    let log_channel = c.create_channel(guild.id, "ticket-log", 0, None).await.unwrap();
    let options = json!([{"name": "setup", "type": 1, "options": [
        {"name": "menu-channel", "type": 7, "value": menu_channel.to_string()},
        {"name": "category", "type": 7, "value": category.to_string()},
        {"name": "support-role", "type": 8, "value": support_role.to_string()},
        {"name": "log-channel", "type": 7, "value": log_channel.to_string()},
    ]}]);
    app.slash(guild.owner, guild, guild.general, "ticket", options).await;
    let menu =
        c.channel_messages(menu_channel).await.unwrap().into_iter().find(|m| m["author"]["bot"] == true).unwrap();
    Panel { menu_channel, category, support_role, log_channel, menu }
}

pub(crate) fn id_of(value: &Value) -> u64 {
    value.as_str().unwrap().parse().unwrap()
}

/// The value of the menu option whose label is `name`.
fn type_value(menu: &Value, name: &str) -> String {
    let options = menu["components"][0]["components"][0]["options"].as_array().unwrap();
    options.iter().find(|o| o["label"] == name).unwrap()["value"].as_str().unwrap().to_owned()
}

pub(crate) async fn first_callback(app: &TestApp, interaction: u64) -> Value {
    eventually("the bot answers", || async {
        app.control.interaction(interaction).await.ok()?["callbacks"].as_array()?.first().cloned()
    })
    .await
}

pub(crate) async fn pick(app: &TestApp, panel: &Panel, member: u64, type_name: &str) -> Value {
    let value = type_value(&panel.menu, type_name);
    let click = app
        .control
        .click(member, panel.menu_channel, id_of(&panel.menu["id"]), "panel:open", 3, Some(vec![value]))
        .await
        .unwrap();
    first_callback(app, click.id).await
}

/// Waits until the menu's footer shows `open` open tickets.
/// The menu message as it is now.
pub(crate) async fn current_menu(app: &TestApp, panel: &Panel) -> Option<Value> {
    let messages = app.control.channel_messages(panel.menu_channel).await.ok()?;
    messages.into_iter().find(|m| m["id"] == panel.menu["id"])
}

/// The menu's dropdown options as they are now.
pub(crate) async fn menu_options(app: &TestApp, panel: &Panel) -> Option<Vec<Value>> {
    current_menu(app, panel).await?["components"][0]["components"][0]["options"].as_array().cloned()
}

pub(crate) async fn wait_for_menu_count(app: &TestApp, panel: &Panel, open: usize) {
    let footer = format!("Open tickets: {open}");
    eventually(&format!("the menu shows {open} open tickets"), || async {
        let menu = current_menu(app, panel).await?;
        (menu["embeds"][0]["footer"]["text"] == footer.as_str()).then_some(())
    })
    .await;
}

/// A member with the support role.
pub(crate) async fn support_member(app: &TestApp, guild: &Guild, panel: &Panel, name: &str) -> u64 {
    let user = app.control.create_user(name).await.unwrap();
    app.control.put_member(guild.id, user, &[panel.support_role]).await.unwrap();
    user
}

/// `member` opens a General Support ticket; returns its channel.
pub(crate) async fn open_panel_ticket(app: &TestApp, panel: &Panel, member: u64) -> u64 {
    let shown = pick(app, panel, member, "General Support").await;
    let custom_id = shown["data"]["custom_id"].as_str().unwrap().to_owned();
    let submitted = app.control.submit_modal(member, &custom_id, &[("q0", "help")]).await.unwrap();
    let state = eventually("the ticket opens", || async {
        let state = app.control.interaction(submitted.id).await.ok()?;
        text_of(&state["original"]).contains("Your ticket is open").then_some(state)
    })
    .await;
    let text = text_of(&state["original"]);
    let start = text.find("<#").unwrap() + 2;
    text[start..start + text[start..].find('>').unwrap()].parse().unwrap()
}

#[tokio::test]
async fn a_member_picks_a_type_answers_its_form_and_gets_a_private_channel_with_the_answers() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let panel = set_up_panel(&app, &acme).await;
    let alice = app.member("alice", &[&acme]).await;

    // Picking Billing shows its form: two questions.
    let shown = pick(&app, &panel, alice, "Billing").await;
    assert_eq!(shown["type"], 9, "a modal: {shown}");
    assert_eq!(shown["data"]["title"], "Billing");
    let fields = shown["data"]["components"].as_array().unwrap();
    assert_eq!(fields.len(), 2, "{shown}");
    assert_eq!(fields[1]["label"], "What is the problem?");
    let custom_id = shown["data"]["custom_id"].as_str().unwrap().to_owned();

    let submitted = app
        .control
        .submit_modal(alice, &custom_id, &[("q0", "INV-2041"), ("q1", "I was charged twice <script>")])
        .await
        .unwrap();
    let channel = eventually("the ticket channel opens in the category", || async {
        let channels = app.control.guild_channels(acme.id).await.ok()?;
        channels.into_iter().find(|c| c["parent_id"].as_str() == Some(&panel.category.to_string()))
    })
    .await;
    assert_eq!(channel["name"], "billing-0001");
    let overwrites = channel["permission_overwrites"].as_array().unwrap();
    let find = |id: u64| overwrites.iter().find(|o| is_id(&o["id"], id)).cloned();
    let deny = |o: Value| o["deny"].as_str().unwrap().parse::<u64>().unwrap();
    let allow = |o: Value| o["allow"].as_str().unwrap().parse::<u64>().unwrap();
    assert_ne!(deny(find(acme.id).expect("@everyone")) & 1024, 0, "@everyone cannot see it");
    assert_ne!(allow(find(alice).expect("the opener")) & 1024, 0, "the opener can");
    assert_ne!(allow(find(panel.support_role).expect("the support role")) & 1024, 0, "support can");

    let channel_id = id_of(&channel["id"]);
    let intro = app.wait_for_channel_text(channel_id, "**Billing** ticket #1 opened by").await;
    assert!(intro["mention_roles"].as_array().unwrap().iter().any(|r| is_id(r, panel.support_role)), "{intro}");
    let answers = app.wait_for_channel_text(channel_id, "I was charged twice").await;
    let embeds = answers["embeds"].as_array().unwrap();
    assert_eq!(embeds[0]["title"], "Order or invoice number");
    assert_eq!(embeds[0]["description"], "INV-2041");
    assert_eq!(embeds[1]["description"], "I was charged twice <script>", "kept as text");

    // The member is told where, privately.
    let state = eventually("the deferred answer is filled in", || async {
        let state = app.control.interaction(submitted.id).await.ok()?;
        text_of(&state["original"]).contains("Your ticket is open").then_some(state)
    })
    .await;
    assert!(text_of(&state["original"]).contains(&format!("<#{channel_id}>")), "{state}");
    let stored: (String, i32, Value) = sqlx::query_as(
        "SELECT t.kind, t.number, t.answers FROM tickets t JOIN ticket_types y ON y.type_id = t.ticket_type_id
         WHERE y.name = 'Billing'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!((stored.0.as_str(), stored.1), ("panel", 1));
    assert_eq!(stored.2[1]["answer"], "I was charged twice <script>");

    // The menu counts it.
    wait_for_menu_count(&app, &panel, 1).await;
    app.shutdown().await;
}

#[tokio::test]
async fn a_second_ticket_is_refused_with_a_link_to_the_open_one_and_nothing_is_created() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let panel = set_up_panel(&app, &acme).await;
    let alice = app.member("alice", &[&acme]).await;
    let shown = pick(&app, &panel, alice, "General Support").await;
    let custom_id = shown["data"]["custom_id"].as_str().unwrap().to_owned();
    app.control.submit_modal(alice, &custom_id, &[("q0", "help")]).await.unwrap();
    let channel = eventually("the ticket opens", || async {
        let channels = app.control.guild_channels(acme.id).await.ok()?;
        channels.into_iter().find(|c| c["parent_id"].as_str() == Some(&panel.category.to_string()))
    })
    .await;
    let channel_id = id_of(&channel["id"]);

    // Picking again: refused at once, privately, with the link.
    let again = pick(&app, &panel, alice, "Billing").await;
    assert_eq!(again["type"], 4, "{again}");
    assert_eq!(again["data"]["flags"], 64, "{again}");
    assert!(text_of(&again["data"]).contains(&format!("<#{channel_id}>")), "{again}");

    // The same form delivered again (a replayed interaction reaches the same
    // entry point): linked, not opened twice.
    let type_id: i64 = custom_id.strip_prefix("panel:form:").unwrap().parse().unwrap();
    let opener =
        ticketeer::tickets::panel::open::Opener { user: ticketeer::domain::ids::UserId(alice), name: "alice".into() };
    let replay = app
        .bot()
        .tickets
        .open_from_menu(ticketeer::domain::ids::GuildId(acme.id), &opener, type_id, &[("q0".into(), "help".into())])
        .await;
    let refusal = replay.expect_err("a second ticket is refused").user_message();
    assert!(
        refusal.contains("already have an open ticket") && refusal.contains(&format!("<#{channel_id}>")),
        "{refusal}"
    );
    // The form's own submission and the second pick have been handled to the end.
    app.wait_until_events_handled().await;
    let tickets: i64 = sqlx::query_scalar("SELECT count(*) FROM tickets").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(tickets, 1);
    let channels = app.control.guild_channels(acme.id).await.unwrap();
    assert_eq!(channels.iter().filter(|c| c["parent_id"].as_str() == Some(&panel.category.to_string())).count(), 1);
    app.shutdown().await;
}

#[tokio::test]
async fn two_hundred_members_opening_at_once_get_tickets_one_to_two_hundred_and_the_menu_few_edits() {
    use futures_util::future::join_all;

    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let panel = set_up_panel(&app, &acme).await;
    let mut members = Vec::new();
    for i in 0..200 {
        let user = app.control.create_user(&format!("member{i}")).await.unwrap();
        app.control.put_member(acme.id, user, &[]).await.unwrap();
        members.push(user);
    }
    app.control.clear_requests().await.unwrap();
    let started = std::time::Instant::now();

    let open = |member: u64| {
        let panel = &panel;
        let app = &app;
        async move {
            let shown = pick(app, panel, member, "General Support").await;
            let custom_id = shown["data"]["custom_id"].as_str().unwrap().to_owned();
            app.control.submit_modal(member, &custom_id, &[("q0", "help")]).await.unwrap();
        }
    };
    join_all(members.iter().map(|m| open(*m))).await;

    let numbers: Vec<i32> =
        crate::support::eventually_within(std::time::Duration::from_secs(90), "200 tickets open", || async {
            let numbers: Vec<i32> =
                sqlx::query_scalar("SELECT number FROM tickets ORDER BY number").fetch_all(&app.db.pool).await.ok()?;
            (numbers.len() == 200).then_some(numbers)
        })
        .await;
    assert_eq!(numbers, (1..=200).collect::<Vec<_>>(), "numbered exactly 1..200");
    let channels = app.control.guild_channels(acme.id).await.unwrap();
    let tickets = channels
        .iter()
        .filter(|c| c["type"] == 0 && c["name"].as_str().unwrap().starts_with("general-support-"))
        .count();
    assert_eq!(tickets, 200, "one channel each, spread over overflow categories of 50");
    let overflow: Vec<i64> = sqlx::query_scalar("SELECT category_id FROM overflow_categories WHERE kind = 'panel'")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(overflow.len(), 3, "the category and three overflow categories hold 200");

    wait_for_menu_count(&app, &panel, 200).await;
    let counts = app.control.request_counts().await.unwrap();
    let edits = counts.get("PATCH /channels/{channel_id}/messages/{message_id}").copied().unwrap_or(0);
    let took = started.elapsed();
    println!("menu edits for 200 openings in {:.1} s: {edits}", took.as_secs_f64());
    // At most one refresh per refresh delay (3 s) while openings go on, and
    // one after them: how many depends on how long 200 openings take at the
    // bot's REST pace (the fleet's budget, see discord/gate/), not
    // on how many tickets opened.
    let bound = (took.as_secs_f64() * 1000.0 / ticketeer::tickets::panel::menu::REFRESH_DELAY_MS).ceil() as u64 + 2;
    assert!((1..=bound.min(30)).contains(&edits), "coalesced menu edits, not one per ticket: {edits} > {bound}");
    app.shutdown().await;
}

#[tokio::test]
async fn a_channel_that_cannot_be_created_gets_the_member_a_clear_answer_and_leaves_nothing_half_made() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let panel = set_up_panel(&app, &acme).await;
    // The bot loses Manage Channels (it can still read and post).
    app.control.add_bot(acme.id, Some(1024 | 2048 | 16384 | 65536)).await.unwrap();
    let alice = app.member("alice", &[&acme]).await;

    let shown = pick(&app, &panel, alice, "General Support").await;
    let custom_id = shown["data"]["custom_id"].as_str().unwrap().to_owned();
    let submitted = app.control.submit_modal(alice, &custom_id, &[("q0", "help")]).await.unwrap();
    let state = eventually("the member is told", || async {
        let state = app.control.interaction(submitted.id).await.ok()?;
        text_of(&state["original"]).contains("missing a permission").then_some(state)
    })
    .await;
    assert_eq!(state["original"]["flags"], 64, "privately: {state}");
    let tickets: i64 = sqlx::query_scalar("SELECT count(*) FROM tickets").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(tickets, 0, "no ticket row");
    let counter: Option<i32> =
        sqlx::query_scalar("SELECT last_number FROM ticket_counters").fetch_optional(&app.db.pool).await.unwrap();
    assert_eq!(counter, None, "the number was given back");
    let channels = app.control.guild_channels(acme.id).await.unwrap();
    assert!(!channels.iter().any(|c| c["parent_id"].as_str() == Some(&panel.category.to_string())), "no channel");
    app.shutdown().await;
}

#[tokio::test]
async fn a_burst_of_openings_in_one_guild_holds_at_most_two_database_connections_waiting_on_it() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let panel = set_up_panel(&app, &acme).await;
    let mut members = Vec::new();
    for i in 0..30 {
        members.push(app.member(&format!("raider{i:02}"), &[&acme]).await);
    }
    // Sample how many of the bot's connections wait on a lock (the guild's
    // counter row) while 30 members open tickets at once.
    let database = app.db.name.clone();
    let sampling = tokio_util::sync::CancellationToken::new();
    let sampler = {
        let pool = app.db.pool.clone();
        let stop = sampling.clone();
        tokio::spawn(async move {
            let mut most = 0i64;
            while !stop.is_cancelled() {
                let waiting: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
                )
                .bind(&database)
                .fetch_one(&pool)
                .await
                .unwrap_or(0);
                most = most.max(waiting);
                // The sampling interval while the openings run, not a wait for an effect.
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            most
        })
    };
    let opens: Vec<_> = members.iter().map(|m| open_panel_ticket(&app, &panel, *m)).collect();
    futures_util::future::join_all(opens).await;
    sampling.cancel();
    let most_waiting = sampler.await.unwrap();
    let numbers: Vec<i32> =
        sqlx::query_scalar("SELECT number FROM tickets ORDER BY number").fetch_all(&app.db.pool).await.unwrap();
    assert_eq!(numbers, (1..=30).collect::<Vec<_>>(), "every opening got its number, gapless");
    assert!(most_waiting <= 1, "at most one opening waits on the counter row at a time: {most_waiting}");
    app.shutdown().await;
}
