//! Guild settings through the API: read, changed (validated field by field,
//! audited), and acted on by the running bot at once.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::api::Auth;
use crate::support::{eventually_within, Options, TestApp};

#[tokio::test]
async fn a_settings_change_through_the_api_is_acted_on_by_the_running_bot_within_a_second_and_audited() {
    let app = TestApp::spawn_with(Options { shards: 2, clusters: 2, ..Options::default() }).await;
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;
    let api = app.api().await;
    let session = Auth::Session(api.login(&app, acme.owner).await);
    let settings = format!("/v1/guilds/{}/settings", acme.id);

    let before = api.get(&settings, &session).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.body);
    assert_eq!(before.body["modmail"]["prefix"], "!");
    assert_eq!(before.body["modmail"]["enabled"], true);
    assert_eq!(before.body["panel"], serde_json::Value::Null);

    let changed = api
        .call(
            Method::PATCH,
            &settings,
            &session,
            Some(json!({"modmail": {"prefix": "?", "time_to_close_thread": 7200}})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.body["modmail"]["prefix"], "?");
    assert_eq!(changed.body["modmail"]["time_to_close_thread"], 7200);

    // The bot answers the new prefix (and only it) at once, in whichever
    // cluster owns the guild.
    let asked = Instant::now();
    app.control.post_message(acme.general, acme.owner, "?modmail set anonymous_label Crew").await.unwrap();
    let control = app.control.clone();
    // 10 s: what a loaded CI machine keeps, far inside the prefix cache's 60 s
    // TTL, so a bot waiting for its cache to expire still fails.
    eventually_within(Duration::from_secs(10), "the bot uses the new prefix", || {
        let control = control.clone();
        async move {
            let messages = control.channel_messages(acme.general).await.ok()?;
            messages.iter().any(|m| crate::support::text_of(m).contains("Saved: anonymous_label")).then_some(())
        }
    })
    .await;
    println!("settings change acted on {:?} after the command", asked.elapsed());

    // Both changes are in the audit log, with who made them and old and new
    // values, after the `/modmail setup` command that came first.
    let log = api.get(&format!("/v1/guilds/{}/audit-log", acme.id), &session).await;
    let items = log.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{}", log.body);
    assert_eq!(items[2]["action"], "modmail.setup");
    assert_eq!(items[0]["changes"]["anonymous_label"]["new"], "Crew");
    assert_eq!(items[1]["action"], "settings.update");
    assert_eq!(items[1]["user_id"], acme.owner.to_string());
    assert_eq!(items[1]["changes"]["prefix"], json!({"old": "!", "new": "?"}));
    assert_eq!(items[1]["changes"]["time_to_close_thread"], json!({"old": null, "new": 7200}));
    app.shutdown().await;
}

#[tokio::test]
async fn bad_settings_are_refused_with_a_422_naming_every_bad_field_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let api = app.api().await;
    let session = Auth::Session(api.login(&app, acme.owner).await);
    let settings = format!("/v1/guilds/{}/settings", acme.id);

    let patch = json!({"modmail": {
        "prefix": "a b",
        "close_action": "burn",
        "welcome_message": "x".repeat(1801),
        "time_to_close_thread": 61,
        "anonymous_label": "Fine",
    }});
    let refused = api.call(Method::PATCH, &settings, &session, Some(patch)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    let fields = refused.body["error"]["fields"].as_object().unwrap();
    let mut names: Vec<&str> = fields.keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(
        names,
        ["modmail.close_action", "modmail.prefix", "modmail.time_to_close_thread", "modmail.welcome_message"]
    );

    // The archive category must be a category of this guild (checked with Discord).
    let wrong_kind = json!({"modmail": {"archive_category": acme.general.to_string(), "close_action": "archive"}});
    let refused = api.call(Method::PATCH, &settings, &session, Some(wrong_kind)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body["error"]["fields"]["modmail.archive_category"].is_array(), "{}", refused.body);

    // A NUL character (PostgreSQL cannot store one) is refused, not a 500.
    let nul =
        api.call(Method::PATCH, &settings, &session, Some(json!({"modmail": {"welcome_message": "hi\u{0}"}}))).await;
    assert_eq!(nul.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(nul.body["error"]["fields"]["modmail.welcome_message"].is_array(), "{}", nul.body);

    let unknown = api.call(Method::PATCH, &settings, &session, Some(json!({"modmail": {"colour": "red"}}))).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.body["error"]["message"].is_string());

    let after = api.get(&settings, &session).await;
    assert_eq!(after.body["modmail"]["anonymous_label"], "Staff Team", "nothing was written: {}", after.body);
    let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(audited, 0);
}

#[tokio::test]
async fn the_openapi_document_is_served_and_matches_the_committed_copy() {
    let app = TestApp::spawn().await;
    let api = app.api().await;
    let served = api.get("/v1/openapi.json", &Auth::None).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.body["openapi"].as_str().map(|v| v.starts_with("3.")), Some(true));
    let generated = serde_json::to_string_pretty(&ticketeer::api::openapi()).unwrap() + "\n";
    assert_eq!(serde_json::from_str::<serde_json::Value>(&generated).unwrap(), served.body);

    let committed_path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(committed_path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(committed_path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json is not what the code generates: run `UPDATE_OPENAPI=1 bash scripts/test.sh -- openapi` and commit it"
    );
}

#[test]
fn every_openapi_operation_has_a_unique_id_and_every_response_a_description() {
    // Client generators name a method after each operationId: two alike
    // collide; a response without a description is invalid OpenAPI 3.
    let document = serde_json::to_value(ticketeer::api::openapi()).unwrap();
    let mut ids = std::collections::BTreeMap::<String, String>::new();
    let mut operations = 0;
    for (path, item) in document["paths"].as_object().expect("the document has paths") {
        for (method, operation) in item.as_object().unwrap() {
            let Some(responses) = operation["responses"].as_object() else { continue };
            operations += 1;
            let at = format!("{} {path}", method.to_uppercase());
            let id = operation["operationId"].as_str().unwrap_or_default().to_owned();
            assert!(!id.is_empty(), "{at} has no operationId");
            if let Some(other) = ids.insert(id.clone(), at.clone()) {
                panic!("operationId {id:?} is used by both {other} and {at}");
            }
            assert!(!responses.is_empty(), "{at} lists no responses");
            for (status, response) in responses {
                let description = response["description"].as_str().unwrap_or_default();
                assert!(!description.trim().is_empty(), "{at} answers {status} without a description");
            }
        }
    }
    assert!(operations >= 40, "every operation was looked at ({operations})");
}

#[tokio::test]
async fn modmail_and_the_ticket_menu_are_set_up_through_the_api_with_every_channel_checked_first() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let api = app.api().await;
    let session = Auth::Session(api.login(&app, acme.owner).await);
    let settings = format!("/v1/guilds/{}/settings", acme.id);
    let tickets_category = app.control.create_channel(acme.id, "Tickets", 4, None).await.unwrap();

    // Wrong kinds of channel, a bad limit: every field named, nothing written.
    let wrong = json!({
        "modmail": {"inbox_category": acme.general.to_string(), "staff_role": acme.staff_role.to_string()},
        "panel": {"menu_channel": acme.inbox.to_string(), "category": tickets_category.to_string(), "max_open_per_member": 11},
    });
    let refused = api.call(Method::PATCH, &settings, &session, Some(wrong)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    let mut names: Vec<&str> =
        refused.body["error"]["fields"].as_object().unwrap().keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(names, ["modmail.inbox_category", "panel.max_open_per_member", "panel.menu_channel"]);
    let untouched = api.get(&settings, &session).await;
    assert_eq!(
        (untouched.body["modmail"]["enabled"].clone(), untouched.body["panel"].clone()),
        (json!(false), Value::Null)
    );

    let right = json!({
        "modmail": {"inbox_category": acme.inbox.to_string(), "staff_role": acme.staff_role.to_string()},
        "panel": {"menu_channel": acme.general.to_string(), "category": tickets_category.to_string(), "max_open_per_member": 2},
    });
    let done = api.call(Method::PATCH, &settings, &session, Some(right)).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(done.body["modmail"]["enabled"], true);
    assert_eq!(done.body["panel"]["max_open_per_member"], 2);

    // The bot works with it: a DM opens a ticket, and the menu is posted.
    let alice = app.member("alice", &[&acme]).await;
    app.open_ticket(&acme, alice, "set up through the API").await;
    crate::support::eventually("the ticket menu is posted", || async {
        let messages = app.control.channel_messages(acme.general).await.ok()?;
        messages.iter().any(|m| !m["components"].as_array().is_none_or(Vec::is_empty)).then_some(())
    })
    .await;
    app.shutdown().await;
}
