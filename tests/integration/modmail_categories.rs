//! Modmail categories: `/category` in both forms, the category prompt a DM
//! gets (buttons, a select menu above five), messages held meanwhile and
//! forwarded in order once, the timeout into the inbox, restarts and Redis
//! losing its data while a prompt waits, and `/move_thread`.

use deadpool_redis::redis;
use serde_json::{json, Value};

use crate::support::fixtures::{modmail_guild, ModmailGuild};
use crate::support::{eventually, is_id, text_of, Guild, TestApp};

/// A Discord category in `guild` for a modmail category to route into.
async fn discord_category(app: &TestApp, guild: &Guild, name: &str) -> u64 {
    app.control.create_channel(guild.id, name, 4, None).await.unwrap()
}

/// The owner creates a modmail category with the text command.
async fn create_category(app: &TestApp, guild: &Guild, discord: u64, spec: &str) {
    app.control.post_message(guild.general, guild.owner, &format!("!category create {discord} {spec}")).await.unwrap();
    let name = spec.split('|').next().unwrap().trim();
    app.wait_for_channel_text(guild.general, &format!("Category **{name}** created")).await;
}

async fn turn_prompt_on(app: &TestApp, guild: &Guild) {
    app.control.post_message(guild.general, guild.owner, "!category on").await.unwrap();
    app.wait_for_channel_text(guild.general, "The category prompt is on").await;
}

/// The bot's DM that carries components (the prompt).
async fn wait_for_prompt(app: &TestApp, user: u64) -> Value {
    eventually("the bot asks for a category", || async {
        app.bot_dms(user).await.into_iter().find(|m| m["components"].as_array().is_some_and(|c| !c.is_empty()))
    })
    .await
}

/// A guild with modmail, one category `Billing` and the prompt on, and a member.
async fn guild_with_prompt(app: &TestApp) -> (Guild, u64, u64) {
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;
    let billing = discord_category(app, &acme, "Billing").await;
    create_category(app, &acme, billing, "Billing").await;
    turn_prompt_on(app, &acme).await;
    let alice = app.member("alice", &[&acme]).await;
    (acme, billing, alice)
}

fn id_of(value: &Value) -> u64 {
    value.as_str().unwrap().parse().unwrap()
}

/// The guild's text channels under `parent`.
async fn channels_in(app: &TestApp, guild: &Guild, parent: u64) -> Vec<Value> {
    app.control
        .guild_channels(guild.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c["type"] == 0 && c["parent_id"].as_str() == Some(&parent.to_string()))
        .collect()
}

/// Waits until `user`'s ticket channel shows each of `texts` exactly once, in order.
async fn wait_for_relays_in_order(app: &TestApp, user: u64, channel: u64, texts: &[&str]) {
    let seen = eventually("every held message is in the ticket", || async {
        let messages = app.control.channel_messages(channel).await.ok()?;
        let all: Vec<String> = messages.iter().map(text_of).collect();
        texts.iter().all(|t| all.iter().any(|m| m.contains(t))).then_some(all)
    })
    .await;
    // A later DM of the user relayed after them: the user's DMs are relayed
    // by one drain at a time, oldest first, so a second copy of a held
    // message would be in the channel by now.
    app.dm_barrier(user, channel).await;
    let all: Vec<String> = app.control.channel_messages(channel).await.unwrap().iter().map(text_of).collect();
    let positions: Vec<usize> = texts
        .iter()
        .map(|t| {
            let hits: Vec<usize> = all.iter().enumerate().filter(|(_, m)| m.contains(t)).map(|(i, _)| i).collect();
            assert_eq!(hits.len(), 1, "`{t}` is relayed exactly once: {all:?}");
            hits[0]
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "held messages keep their order: {seen:?}");
}

#[tokio::test]
async fn categories_are_managed_in_both_forms_by_managers_and_listed_for_staff() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    // More categories than the Free plan's two.
    app.make_premium(&acme).await;
    app.setup_modmail(&acme).await;
    let billing = discord_category(&app, &acme, "Billing").await;
    let escalations = discord_category(&app, &acme, "Escalations").await;
    let outsider = app.member("mallory", &[&acme]).await;

    // Staff without Manage Server may list but not change; others may do neither.
    app.control.post_message(acme.general, acme.staff, &format!("!category create {billing} Billing")).await.unwrap();
    app.wait_for_channel_text(acme.general, "Manage Server").await;
    let refused = app
        .command(acme.staff, &acme, acme.general, "category", json!([{"name": "on", "type": 1, "options": []}]))
        .await;
    assert_eq!(refused["data"]["flags"], 64, "{refused}");
    assert!(refused["data"]["content"].as_str().unwrap().contains("Manage Server"), "{refused}");
    app.control.post_message(acme.general, outsider, "!category list").await.unwrap();
    app.wait_for_channel_text(acme.general, "Only staff").await;

    // Created with the text form (name | description | emoji) and the slash form.
    create_category(&app, &acme, billing, "Billing | Payments and refunds | 💳").await;
    let created = app
        .slash(
            acme.owner,
            &acme,
            acme.general,
            "category",
            json!([{"name": "create", "type": 1, "options": [
                {"name": "discord_category", "type": 7, "value": escalations.to_string()},
                {"name": "name", "type": 3, "value": "Escalations"},
            ]}]),
        )
        .await;
    assert!(created.contains("Category **Escalations** created"), "{created}");

    // Clear refusals: a duplicate name, a channel that is not a category, a bad emoji.
    app.control.post_message(acme.general, acme.owner, &format!("!category create {billing} billing")).await.unwrap();
    app.wait_for_channel_text(acme.general, "already exists").await;
    app.control
        .post_message(acme.general, acme.owner, &format!("!category create {} Sales", acme.general))
        .await
        .unwrap();
    app.wait_for_channel_text(acme.general, "must be a category in this server").await;
    app.control
        .post_message(acme.general, acme.owner, &format!("!category create {billing} Sales | | cash"))
        .await
        .unwrap();
    app.wait_for_channel_text(acme.general, "The emoji must be one emoji").await;

    // Edited in both forms; the prompt turned on and its timeout set.
    let edited = app
        .slash(
            acme.owner,
            &acme,
            acme.general,
            "category",
            json!([{"name": "edit", "type": 1, "options": [
                {"name": "name", "type": 3, "value": "escalations"},
                {"name": "new_name", "type": 3, "value": "Escalated"},
            ]}]),
        )
        .await;
    assert!(edited.contains("Category **Escalated** updated"), "{edited}");
    app.control
        .post_message(acme.general, acme.owner, "!category edit Billing | description | Invoices")
        .await
        .unwrap();
    app.wait_for_channel_text(acme.general, "Category **Billing** updated").await;
    turn_prompt_on(&app, &acme).await;
    let timeout = app
        .slash(
            acme.owner,
            &acme,
            acme.general,
            "category",
            json!([{"name": "timeout", "type": 1, "options": [{"name": "seconds", "type": 4, "value": 90}]}]),
        )
        .await;
    assert!(timeout.contains("1m 30s"), "{timeout}");
    app.control.post_message(acme.general, acme.owner, "!category timeout 5").await.unwrap();
    app.wait_for_channel_text(acme.general, "use 10 to 86400 seconds").await;

    // Staff list them in both forms.
    app.control.post_message(acme.general, acme.staff, "!category list").await.unwrap();
    let listed = app.wait_for_channel_text(acme.general, "**Modmail categories** (2)").await;
    let listed = text_of(&listed);
    assert!(listed.contains("💳 **Billing**") && listed.contains("Invoices") && listed.contains("**Escalated**"));
    assert!(listed.contains("prompt is **on**") && listed.contains("1m 30s"), "{listed}");

    // Deleted with the slash form; turned off with the text form.
    let deleted = app
        .slash(
            acme.owner,
            &acme,
            acme.general,
            "category",
            json!([{"name": "delete", "type": 1, "options": [{"name": "name", "type": 3, "value": "Escalated"}]}]),
        )
        .await;
    assert!(deleted.contains("Category **Escalated** deleted"), "{deleted}");
    app.control.post_message(acme.general, acme.owner, "!category off").await.unwrap();
    app.wait_for_channel_text(acme.general, "The category prompt is off").await;

    let rows: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT name, description, emoji FROM modmail_categories ORDER BY category_id")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(rows, vec![("Billing".into(), "Invoices".into(), Some("💳".into()))]);
    let settings: (bool, i32) = sqlx::query_as(
        "SELECT category_prompt, category_prompt_timeout_seconds FROM guild_settings WHERE guild_id = $1",
    )
    .bind(acme.id as i64)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(settings, (false, 90));
    app.shutdown().await;
}

#[tokio::test]
async fn a_user_picks_a_category_by_button_and_every_held_message_follows_once_in_order() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    let billing = discord_category(&app, &acme, "Billing").await;
    let general_help = discord_category(&app, &acme, "General").await;
    create_category(&app, &acme, billing, "Billing | Payments | 💳").await;
    create_category(&app, &acme, general_help, "General help").await;
    turn_prompt_on(&app, &acme).await;
    let alice = app.member("alice", &[&acme]).await;

    app.control.user_dm(alice, "first").await.unwrap();
    let prompt = wait_for_prompt(&app, alice).await;
    app.control.user_dm(alice, "second").await.unwrap();
    app.control.user_dm(alice, "third").await.unwrap();

    // Two categories: two buttons, each naming its category.
    let buttons = prompt["components"][0]["components"].as_array().unwrap().clone();
    assert_eq!(buttons.len(), 2, "{prompt}");
    assert!(buttons.iter().all(|b| b["type"] == 2), "buttons, not a menu: {prompt}");
    assert_eq!(buttons[0]["label"], "Billing");
    assert_eq!(buttons[0]["emoji"]["name"], "💳");
    // Held, in Redis as in PostgreSQL; nothing opens before a choice.
    eventually("all three messages are held", || async { (app.held_queue_length(alice).await == 3).then_some(()) })
        .await;
    assert_eq!(app.ticket_count().await, 0);
    assert_eq!(app.bot_dms(alice).await.len(), 1, "one prompt, however many messages");

    let custom_id = buttons[0]["custom_id"].as_str().unwrap().to_owned();
    let (dm_channel, prompt_id) = (id_of(&prompt["channel_id"]), id_of(&prompt["id"]));
    let click = app.control.click(alice, dm_channel, prompt_id, &custom_id, 2, None).await.unwrap();
    let channel = eventually("the ticket opens in the Billing category", || async {
        channels_in(&app, &acme, billing).await.into_iter().next()
    })
    .await;
    let channel = id_of(&channel["id"]);
    wait_for_relays_in_order(&app, alice, channel, &["first", "second", "third"]).await;
    // The answer updates the prompt message: at once (7), or, when the work
    // outlasts Discord's 3 s (a loaded machine), deferred (6) and edited after.
    let answer = app.interaction_answer(click.id).await;
    assert!(answer["type"] == 7 || answer["type"] == 6, "the prompt message is updated: {answer}");
    let updated = eventually("the prompt names the choice", || async {
        let dms = app.bot_dms(alice).await;
        dms.into_iter().find(|m| m["id"] == prompt["id"] && text_of(m).contains("**Billing**"))
    })
    .await;
    assert_eq!(updated["components"], json!([]), "its buttons go: {updated}");

    // The same choice delivered again (a replayed interaction; Discord has
    // taken the buttons off, so it reaches the bot only as a replay) opens
    // nothing more and forwards nothing twice.
    let category_id: i64 = sqlx::query_scalar("SELECT category_id FROM modmail_categories WHERE name = 'Billing'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let user = ticketeer::domain::ids::UserId(alice);
    let again = app.bot().tickets.choose_category(user, category_id).await.unwrap();
    assert!(format!("{again:?}").contains("already open"), "{again:?}");
    assert_eq!(app.ticket_count().await, 1);
    wait_for_relays_in_order(&app, alice, channel, &["first", "second", "third"]).await;

    let category: Option<String> = sqlx::query_scalar(
        "SELECT c.name FROM tickets t JOIN modmail_categories c ON c.category_id = t.modmail_category_id",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(category.as_deref(), Some("Billing"));
    assert_eq!(app.held_queue_length(alice).await, 0, "the queue is cleared once forwarded");
    let prompts: i64 =
        sqlx::query_scalar("SELECT count(*) FROM category_prompts").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(prompts, 0, "the prompt is answered by the ticket");

    // Later messages go straight to the open ticket, without a prompt.
    app.control.user_dm(alice, "fourth").await.unwrap();
    app.wait_for_channel_text(channel, "fourth").await;
    let dms = app.bot_dms(alice).await;
    let prompts = dms.iter().filter(|m| text_of(m).contains("Which team") || text_of(m).contains("go to **")).count();
    assert_eq!(prompts, 1, "one prompt in all: {dms:?}");
    app.shutdown().await;
}

#[tokio::test]
async fn six_categories_are_offered_in_a_select_menu() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    app.make_premium(&acme).await;
    app.setup_modmail(&acme).await;
    let mut discord = Vec::new();
    for i in 1..=6 {
        let category = discord_category(&app, &acme, &format!("Team {i}")).await;
        create_category(&app, &acme, category, &format!("Team {i} | Questions for team {i}")).await;
        discord.push(category);
    }
    turn_prompt_on(&app, &acme).await;
    let alice = app.member("alice", &[&acme]).await;

    app.control.user_dm(alice, "which team?").await.unwrap();
    let prompt = wait_for_prompt(&app, alice).await;
    let menu = &prompt["components"][0]["components"][0];
    assert_eq!(menu["type"], 3, "a select menu: {prompt}");
    let options = menu["options"].as_array().unwrap();
    assert_eq!(options.len(), 6);
    assert_eq!(options[5]["description"], "Questions for team 6");

    let value = options[5]["value"].as_str().unwrap().to_owned();
    let custom_id = menu["custom_id"].as_str().unwrap().to_owned();
    app.control
        .click(alice, id_of(&prompt["channel_id"]), id_of(&prompt["id"]), &custom_id, 3, Some(vec![value]))
        .await
        .unwrap();
    let channel = eventually("the ticket opens in team 6's category", || async {
        channels_in(&app, &acme, discord[5]).await.into_iter().next()
    })
    .await;
    wait_for_relays_in_order(&app, alice, id_of(&channel["id"]), &["which team?"]).await;
    app.shutdown().await;
}

#[tokio::test]
async fn an_unanswered_prompt_times_out_into_the_inbox_across_a_restart_with_messages_sent_meanwhile() {
    let mut app = TestApp::spawn().await;
    let (acme, billing, alice) = guild_with_prompt(&app).await;

    app.control.user_dm(alice, "before the restart").await.unwrap();
    let prompt = wait_for_prompt(&app, alice).await;

    // The bot goes down; the user writes again; the prompt's time runs out.
    app.stop_and_lose_sessions().await;
    app.control.user_dm(alice, "while the bot was down").await.unwrap();
    assert_eq!(app.advance_timers().await, 1, "the prompt's timeout is pending in PostgreSQL");
    app.start_cluster(0).await;

    let channel =
        eventually("the ticket opens in the inbox", || async { app.ticket_channels(&acme).await.into_iter().next() })
            .await;
    wait_for_relays_in_order(&app, alice, id_of(&channel["id"]), &["before the restart", "while the bot was down"])
        .await;
    assert!(channels_in(&app, &acme, billing).await.is_empty(), "nothing opens in the category nobody picked");

    // The prompt's buttons are replaced by a note; a late click opens nothing.
    let edited = eventually("the prompt says what happened", || async {
        let dms = app.bot_dms(alice).await;
        dms.into_iter().find(|m| m["id"] == prompt["id"] && text_of(m).contains("general inbox"))
    })
    .await;
    assert_eq!(edited["components"], json!([]), "{edited}");
    let custom_id = prompt["components"][0]["components"][0]["custom_id"].as_str().unwrap().to_owned();
    let late = app.control.click(alice, id_of(&prompt["channel_id"]), id_of(&prompt["id"]), &custom_id, 2, None).await;
    // Once the bot has answered the click, it has done all it will for it
    // (a click the stand-in refuses never reaches the bot).
    if let Ok(late) = late {
        app.interaction_answer(late.id).await;
    }
    assert_eq!(app.ticket_count().await, 1);
    let fired: Vec<String> = sqlx::query_scalar("SELECT state FROM timers WHERE kind = 'category_prompt'")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(fired, vec!["fired".to_owned()], "the timeout fired once");
    app.shutdown().await;
}

#[tokio::test]
async fn a_pending_prompt_survives_a_restart_and_redis_losing_its_held_queue() {
    let mut app = TestApp::spawn().await;
    let (acme, billing, alice) = guild_with_prompt(&app).await;

    app.control.user_dm(alice, "one").await.unwrap();
    let prompt = wait_for_prompt(&app, alice).await;
    app.control.user_dm(alice, "two").await.unwrap();
    eventually("both are held", || async { (app.held_queue_length(alice).await == 2).then_some(()) }).await;

    // A restart of the bot and of Redis (which keeps nothing): the queue and
    // the timer index are gone.
    let (keys, redis_pool) = (app.bot().keys.clone(), app.bot().redis.clone());
    app.stop_cluster(0).await;
    let mut conn = redis_pool.get().await.unwrap();
    let user = ticketeer::domain::ids::UserId(alice);
    let removed: i64 =
        redis::cmd("DEL").arg(keys.held_messages(user)).arg(keys.timer_index()).query_async(&mut conn).await.unwrap();
    assert_eq!(removed, 2, "the queue and the timer index existed");
    app.start_cluster(0).await;

    // The prompt is still answered where the user left it.
    app.control.user_dm(alice, "three").await.unwrap();
    eventually("the queue is whole again", || async { (app.held_queue_length(alice).await == 3).then_some(()) }).await;
    assert_eq!(app.ticket_count().await, 0);
    let custom_id = prompt["components"][0]["components"][0]["custom_id"].as_str().unwrap().to_owned();
    app.control.click(alice, id_of(&prompt["channel_id"]), id_of(&prompt["id"]), &custom_id, 2, None).await.unwrap();
    let channel = eventually("the ticket opens in the Billing category", || async {
        channels_in(&app, &acme, billing).await.into_iter().next()
    })
    .await;
    wait_for_relays_in_order(&app, alice, id_of(&channel["id"]), &["one", "two", "three"]).await;
    // The click is answered (the prompt's buttons replaced) after the work
    // it started, the forwarding above, is done.
    eventually("one prompt was sent, and its buttons are gone", || async {
        let dms = app.bot_dms(alice).await;
        let with_buttons = dms.iter().filter(|m| m["components"].as_array().is_some_and(|c| !c.is_empty()));
        (with_buttons.count() == 0).then_some(())
    })
    .await;
    app.shutdown().await;
}

#[tokio::test]
async fn move_thread_moves_the_ticket_and_syncs_its_permissions_in_both_forms() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    let seniors = app.control.create_role(acme.id, "Seniors", 0).await.unwrap();
    let escalated = app
        .control
        .create_channel_with(
            acme.id,
            json!({"name": "Escalated", "type": 4, "permission_overwrites": [
                {"id": acme.id.to_string(), "type": 0, "allow": "0", "deny": "1024"},
                {"id": seniors.to_string(), "type": 0, "allow": "3072", "deny": "0"},
            ]}),
        )
        .await
        .unwrap();
    let escalated = id_of(&escalated["id"]);
    let billing = discord_category(&app, &acme, "Billing").await;
    create_category(&app, &acme, escalated, "Escalated").await;
    create_category(&app, &acme, billing, "Billing").await;
    let alice = app.member("alice", &[&acme]).await;
    let helper = app.member("helper", &[&acme]).await;
    let channel = app.open_ticket(&acme, alice, "please escalate").await;
    app.control.post_message(channel, acme.staff, &format!("!add_staff {helper}")).await.unwrap();
    app.wait_for_channel_text(channel, "can now see and answer").await;

    // Refused: an unknown category (with what to do), and anyone not on staff.
    app.control.post_message(channel, acme.staff, "!move_thread Nowhere").await.unwrap();
    app.wait_for_channel_text(channel, "There is no category **Nowhere**").await;
    let refused = app
        .command(alice, &acme, channel, "move_thread", json!([{"name": "category", "type": 3, "value": "Billing"}]))
        .await;
    assert!(refused["data"]["content"].as_str().unwrap().contains("Only staff"), "{refused}");

    // The text form moves it and syncs the permissions with the category.
    app.control.post_message(channel, acme.staff, "!move_thread escalated").await.unwrap();
    app.wait_for_channel_text(channel, "Moved to **Escalated**").await;
    let moved = app.control.channel(channel).await.unwrap();
    assert!(is_id(&moved["parent_id"], escalated), "{moved}");
    let overwrites = moved["permission_overwrites"].as_array().unwrap();
    let find = |id: u64| overwrites.iter().find(|o| is_id(&o["id"], id)).cloned();
    let everyone = find(acme.id).expect("@everyone stays denied");
    assert_eq!(everyone["deny"].as_str().unwrap().parse::<u64>().unwrap() & 1024, 1024, "{moved}");
    assert_eq!(find(seniors).expect("the category's role")["allow"], "3072", "{moved}");
    assert!(find(acme.staff_role).is_none(), "the inbox's staff overwrite is replaced by the category's: {moved}");
    assert!(find(helper).is_some(), "a member added to this ticket keeps access: {moved}");

    // The slash form; and moving again to where it is changes nothing.
    let answer = app
        .command(
            acme.owner,
            &acme,
            channel,
            "move_thread",
            json!([{"name": "category", "type": 3, "value": "Billing"}]),
        )
        .await;
    assert_eq!(answer["type"], 4, "{answer}");
    eventually("the channel is in Billing", || async {
        let c = app.control.channel(channel).await.ok()?;
        is_id(&c["parent_id"], billing).then_some(())
    })
    .await;
    let again = app
        .slash(acme.owner, &acme, channel, "move_thread", json!([{"name": "category", "type": 3, "value": "billing"}]))
        .await;
    assert!(again.contains("already in **Billing**"), "{again}");
    let events: Vec<String> = sqlx::query_scalar("SELECT detail FROM ticket_events WHERE kind = 'moved' ORDER BY 1")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(events, vec!["Billing".to_owned(), "Escalated".to_owned()]);
    app.shutdown().await;
}

#[tokio::test]
async fn dms_taken_in_at_once_while_a_prompt_waits_are_all_held_without_the_inbox_sweeper() {
    // The sweeper never runs here: every DM must be held by a drain, even
    // one stored while another drain of the same user held the lock (as
    // when two processes take in one user's DMs at once).
    let app = TestApp::spawn_with(crate::support::Options { inbox_sweep_ms: 3_600_000, ..Default::default() }).await;
    let (_acme, _billing, alice) = guild_with_prompt(&app).await;
    app.control.user_dm(alice, "first").await.unwrap();
    let prompt = wait_for_prompt(&app, alice).await;
    let dm_channel = ticketeer::domain::ids::ChannelId(id_of(&prompt["channel_id"]));
    let after = id_of(&prompt["id"]);

    const BURST: u64 = 20;
    let tickets = app.bot().tickets.clone();
    let takes = (1..=BURST).map(|i| {
        let tickets = tickets.clone();
        let dm = ticketeer::domain::dm::IncomingDm {
            message: ticketeer::domain::ids::MessageId(after + i),
            user: ticketeer::domain::ids::UserId(alice),
            dm_channel,
            author_name: "alice".into(),
            content: format!("more {i}"),
            attachments: Vec::new(),
        };
        tokio::spawn(async move { tickets.receive_dm(dm).await })
    });
    for taken in futures_util::future::join_all(takes).await {
        taken.unwrap().unwrap();
    }
    let all = i64::try_from(BURST).unwrap() + 1;
    eventually("every DM is held", || async { (app.held_queue_length(alice).await == all).then_some(()) }).await;
    assert_eq!(app.ticket_count().await, 0, "nothing opens before a category is picked");
    app.shutdown().await;
}
