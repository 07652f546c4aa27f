//! The control panel pinned in every panel ticket: Claim, Add User, Close.

use serde_json::Value;

use crate::panel_open::{first_callback, id_of, open_panel_ticket, set_up_panel, support_member, wait_for_menu_count};
use crate::support::{eventually, is_id, text_of, TestApp};

/// The ticket's pinned control panel.
pub(crate) async fn control_panel(app: &TestApp, channel: u64) -> Value {
    eventually("the control panel is pinned", || async {
        app.control
            .pins(channel)
            .await
            .ok()?
            .into_iter()
            .find(|m| m["components"].as_array().is_some_and(|c| !c.is_empty()))
    })
    .await
}

async fn press(app: &TestApp, member: u64, channel: u64, message: &Value, custom_id: &str) -> Value {
    let click = app.control.click(member, channel, id_of(&message["id"]), custom_id, 2, None).await.unwrap();
    first_callback(app, click.id).await
}

/// `member` presses Close, then confirms; returns the confirmation asked.
pub(crate) async fn close_with_confirmation(app: &TestApp, member: u64, channel: u64, panel: &Value) -> Value {
    let click = app.control.click(member, channel, id_of(&panel["id"]), "panel:control:close", 2, None).await.unwrap();
    let asked = first_callback(app, click.id).await;
    let confirmation = app.control.interaction(click.id).await.unwrap()["original"].clone();
    app.control.click(member, channel, id_of(&confirmation["id"]), "panel:close-confirm:yes", 2, None).await.unwrap();
    asked
}

fn buttons(message: &Value) -> Vec<Value> {
    message["components"][0]["components"].as_array().unwrap().clone()
}

#[tokio::test]
async fn claim_disables_the_button_and_shows_the_claimer_and_is_refused_for_non_staff() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let panel = set_up_panel(&app, &acme).await;
    let alice = app.member("alice", &[&acme]).await;
    let sam = support_member(&app, &acme, &panel, "sam").await;
    let channel = open_panel_ticket(&app, &panel, alice).await;

    let shown = control_panel(&app, channel).await;
    let labels: Vec<String> = buttons(&shown).iter().map(|b| b["label"].as_str().unwrap().to_owned()).collect();
    assert_eq!(labels, ["Claim", "Add User", "Close"]);

    let refused = press(&app, alice, channel, &shown, "panel:control:claim").await;
    assert_eq!(refused["data"]["flags"], 64, "{refused}");
    assert!(text_of(&refused["data"]).contains("Only staff"), "{refused}");

    let claimed = press(&app, sam, channel, &shown, "panel:control:claim").await;
    assert!(text_of(&claimed["data"]).contains("You took this ticket"), "{claimed}");
    let after = eventually("the claim button greys out and names the claimer", || async {
        let panel = control_panel(&app, channel).await;
        (buttons(&panel)[0]["disabled"] == true).then_some(panel)
    })
    .await;
    assert_eq!(buttons(&after)[0]["label"], "Claimed by sam");
    assert!(text_of(&after).contains(&format!("Claimed by <@{sam}>")), "{after}");
    let assigned: Option<i64> =
        sqlx::query_scalar("SELECT assigned_to FROM tickets").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(assigned, Some(sam as i64));
    app.shutdown().await;
}

#[tokio::test]
async fn add_user_grants_a_member_access_and_refuses_a_non_member_and_non_staff() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let panel = set_up_panel(&app, &acme).await;
    let alice = app.member("alice", &[&acme]).await;
    let bob = app.member("bob", &[&acme]).await;
    let stranger = app.control.create_user("stranger").await.unwrap();
    let sam = support_member(&app, &acme, &panel, "sam").await;
    let channel = open_panel_ticket(&app, &panel, alice).await;
    let shown = control_panel(&app, channel).await;

    let refused = press(&app, alice, channel, &shown, "panel:control:add-user").await;
    assert!(text_of(&refused["data"]).contains("Only staff"), "the opener is not staff: {refused}");

    let form = press(&app, sam, channel, &shown, "panel:control:add-user").await;
    assert_eq!(form["type"], 9, "a form: {form}");
    assert_eq!(form["data"]["custom_id"], "panel:add-user");
    let added = app.control.submit_modal(sam, "panel:add-user", &[("user", &bob.to_string())]).await.unwrap();
    let answer = first_callback(&app, added.id).await;
    assert!(text_of(&answer["data"]).contains(&format!("<@{bob}> can now see")), "{answer}");
    let overwrites = app.control.channel(channel).await.unwrap()["permission_overwrites"].clone();
    assert!(overwrites.as_array().unwrap().iter().any(|o| is_id(&o["id"], bob)), "{overwrites}");

    let form = press(&app, sam, channel, &shown, "panel:control:add-user").await;
    assert_eq!(form["type"], 9);
    let not_member = app.control.submit_modal(sam, "panel:add-user", &[("user", &stranger.to_string())]).await.unwrap();
    let answer = first_callback(&app, not_member.id).await;
    assert!(text_of(&answer["data"]).contains("is not a member of this server"), "{answer}");
    app.shutdown().await;
}

#[tokio::test]
async fn close_asks_first_then_deletes_the_channel_and_the_menu_counts_it() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let panel = set_up_panel(&app, &acme).await;
    let alice = app.member("alice", &[&acme]).await;
    let bob = app.member("bob", &[&acme]).await;
    let channel = open_panel_ticket(&app, &panel, alice).await;
    app.grant_channel_access(channel, bob).await;
    let shown = control_panel(&app, channel).await;
    wait_for_menu_count(&app, &panel, 1).await;

    let refused = press(&app, bob, channel, &shown, "panel:control:close").await;
    assert!(text_of(&refused["data"]).contains("Only staff or the member who opened"), "{refused}");

    let click = app.control.click(alice, channel, id_of(&shown["id"]), "panel:control:close", 2, None).await.unwrap();
    let asked = first_callback(&app, click.id).await;
    assert_eq!(asked["data"]["flags"], 64, "asked privately: {asked}");
    assert_eq!(asked["data"]["components"][0]["components"][0]["custom_id"], "panel:close-confirm:yes");
    assert_eq!(app.ticket_status(channel).await, "open", "nothing closes before the confirmation");
    let state = app.control.interaction(click.id).await.unwrap();
    let confirmation = state["original"].clone();
    app.control.click(alice, channel, id_of(&confirmation["id"]), "panel:close-confirm:yes", 2, None).await.unwrap();

    app.wait_until_closed(channel).await;
    eventually("the channel is deleted", || async { app.control.channel(channel).await.is_err().then_some(()) }).await;
    wait_for_menu_count(&app, &panel, 0).await;
    let closed_by: Option<i64> =
        sqlx::query_scalar("SELECT closed_by FROM tickets").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(closed_by, Some(alice as i64));
    app.shutdown().await;
}

#[tokio::test]
async fn the_log_channel_records_the_opening_the_claim_an_added_member_and_the_closing() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let panel = set_up_panel(&app, &acme).await;
    let alice = app.member("alice", &[&acme]).await;
    let bob = app.member("bob", &[&acme]).await;
    let sam = support_member(&app, &acme, &panel, "sam").await;
    let channel = open_panel_ticket(&app, &panel, alice).await;
    let shown = control_panel(&app, channel).await;
    press(&app, sam, channel, &shown, "panel:control:claim").await;
    press(&app, sam, channel, &shown, "panel:control:add-user").await;
    let added = app.control.submit_modal(sam, "panel:add-user", &[("user", &bob.to_string())]).await.unwrap();
    first_callback(&app, added.id).await;
    close_with_confirmation(&app, alice, channel, &shown).await;

    let titles = eventually("four log entries", || async {
        let log = app.control.channel_messages(panel.log_channel).await.ok()?;
        let titles: Vec<String> =
            log.iter().filter_map(|m| m["embeds"][0]["title"].as_str().map(str::to_owned)).collect();
        (titles.len() == 4).then_some(titles)
    })
    .await;
    assert_eq!(titles, ["Ticket opened", "Ticket claimed", "Member added", "Ticket closed"]);
    let log = app.control.channel_messages(panel.log_channel).await.unwrap();
    let fields = |i: usize| log[i]["embeds"][0]["fields"].to_string();
    assert!(fields(1).contains(&format!("<@{sam}>")), "who claimed: {}", fields(1));
    assert!(fields(2).contains(&format!("<@{bob}>")), "who was added: {}", fields(2));
    assert!(fields(3).contains(&format!("<@{alice}>")), "who closed: {}", fields(3));
    app.shutdown().await;
}
