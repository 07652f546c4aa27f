//! Snippets and blocked users through the API: the same checks and limits
//! as the commands, and the bot acting on what the API changed.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::api::Auth;
use crate::support::fixtures::{modmail_guild, ModmailGuild};
use crate::support::TestApp;

#[tokio::test]
async fn snippets_are_created_changed_and_deleted_through_the_api_and_staff_send_them() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    let api = app.api().await;
    let session = api.login(&app, acme.owner).await;
    let token = Auth::Token(api.token(&session, acme.id, &["settings:read", "settings:write"]).await);
    let snippets = format!("/v1/guilds/{}/snippets", acme.id);

    let created = api
        .call(Method::POST, &snippets, &token, Some(json!({"name": "Refund", "content": "Refunds take 5 days."})))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["name"], "refund", "names are stored in lower case");
    let again = api.call(Method::POST, &snippets, &token, Some(json!({"name": "refund", "content": "x"}))).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let bad =
        api.call(Method::POST, &snippets, &token, Some(json!({"name": "no spaces allowed", "content": ""}))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = bad.body["error"]["fields"].as_object().unwrap();
    assert!(fields.contains_key("name") && fields.contains_key("content"), "{}", bad.body);

    let changed = api
        .call(Method::PATCH, &format!("{snippets}/refund"), &token, Some(json!({"content": "Refunds take 3 days."})))
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(
        api.call(Method::PATCH, &format!("{snippets}/nope"), &token, Some(json!({"content": "x"}))).await.status,
        StatusCode::NOT_FOUND
    );

    // Staff send it in a ticket, as changed through the API.
    let alice = app.member("alice", &[&acme]).await;
    let channel = app.open_ticket(&acme, alice, "money back?").await;
    app.control.post_message(channel, acme.staff, "!s refund").await.unwrap();
    app.wait_for_bot_dm(alice, "Refunds take 3 days.").await;

    let listed = api.get(&snippets, &token).await;
    assert_eq!(listed.body, json!([{"name": "refund", "content": "Refunds take 3 days."}]));
    assert_eq!(
        api.call(Method::DELETE, &format!("{snippets}/refund"), &token, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.call(Method::DELETE, &format!("{snippets}/refund"), &token, None).await.status,
        StatusCode::NOT_FOUND
    );

    // The Free plan's ten, then a 402 naming Premium.
    for i in 1..=10 {
        let made =
            api.call(Method::POST, &snippets, &token, Some(json!({"name": format!("s{i}"), "content": "x"}))).await;
        assert_eq!(made.status, StatusCode::CREATED);
    }
    let over = api.call(Method::POST, &snippets, &token, Some(json!({"name": "s11", "content": "x"}))).await;
    assert_eq!(over.status, StatusCode::PAYMENT_REQUIRED, "{}", over.body);
    assert!(over.body["error"]["message"].as_str().unwrap().contains("Premium"));

    let log = api.get(&format!("/v1/guilds/{}/audit-log?limit=100", acme.id), &Auth::Session(session)).await;
    let actions: Vec<&str> =
        log.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for action in ["snippet.create", "snippet.update", "snippet.delete"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    // Made with a token: the entry names the token and its creator.
    let entry = log.body["items"].as_array().unwrap().iter().find(|e| e["action"] == "snippet.update").unwrap();
    assert!(entry["token_id"].is_string() && entry["user_id"] == acme.owner.to_string().as_str(), "{entry}");
    app.shutdown().await;
}

#[tokio::test]
async fn a_user_blocked_through_the_api_opens_no_ticket_until_unblocked() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    let mallory = app.member("mallory", &[&acme]).await;
    let api = app.api().await;
    let session = Auth::Session(api.login(&app, acme.owner).await);
    let blocks = format!("/v1/guilds/{}/blocks", acme.id);

    let bad =
        api.call(Method::POST, &blocks, &session, Some(json!({"user_id": "nobody", "duration_seconds": 5}))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = bad.body["error"]["fields"].as_object().unwrap();
    assert!(fields.contains_key("user_id") && fields.contains_key("duration_seconds"), "{}", bad.body);

    let blocked = api
        .call(Method::POST, &blocks, &session, Some(json!({"user_id": mallory.to_string(), "reason": "spam"})))
        .await;
    assert_eq!(blocked.status, StatusCode::NO_CONTENT, "{}", blocked.body);
    let listed = api.get(&blocks, &session).await;
    assert_eq!(listed.body[0]["user_id"], mallory.to_string());
    assert_eq!(listed.body[0]["reason"], "spam");

    app.control.user_dm(mallory, "let me in").await.unwrap();
    app.wait_for_bot_dm(mallory, "can't open support tickets in **acme**").await;
    assert_eq!(app.ticket_count().await, 0);

    assert_eq!(
        api.call(Method::DELETE, &format!("{blocks}/{mallory}"), &session, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.call(Method::DELETE, &format!("{blocks}/{mallory}"), &session, None).await.status,
        StatusCode::NOT_FOUND
    );
    app.open_ticket(&acme, mallory, "sorry, may I ask something").await;
    app.shutdown().await;
}

/// Ids are stored as BIGINT: a number above `i64::MAX` used to be stored
/// wrapped to a negative id. Through the API and through `!block` it is now
/// refused, saying why, and nothing is stored.
#[tokio::test]
async fn an_id_too_large_to_store_is_refused_by_the_api_and_the_block_command_and_nothing_is_blocked() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    let api = app.api().await;
    let session = Auth::Session(api.login(&app, acme.owner).await);
    let blocks = format!("/v1/guilds/{}/blocks", acme.id);
    let too_large = (i64::MAX as u64 + 1).to_string();

    let refused = api.call(Method::POST, &blocks, &session, Some(json!({"user_id": too_large, "reason": "x"}))).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    let problem = refused.body["error"]["fields"]["user_id"][0].as_str().unwrap_or_default();
    assert!(problem.contains("larger than any Discord id"), "{}", refused.body);

    app.control.post_message(acme.general, acme.owner, &format!("!block {too_large} spam")).await.unwrap();
    app.wait_for_channel_text(acme.general, "is not a Discord id: the number is larger than any Discord id").await;

    let listed = api.get(&blocks, &session).await;
    assert_eq!(listed.body, json!([]), "nothing was blocked, under any id");
    app.shutdown().await;
}

#[tokio::test]
async fn modmail_categories_are_managed_through_the_api_with_discords_checks_and_the_free_limit() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    let api = app.api().await;
    let session = Auth::Session(api.login(&app, acme.owner).await);
    let categories = format!("/v1/guilds/{}/categories", acme.id);
    let billing = app.control.create_channel(acme.id, "Billing", 4, None).await.unwrap();
    let tech = app.control.create_channel(acme.id, "Tech", 4, None).await.unwrap();

    let not_a_category = api
        .call(
            Method::POST,
            &categories,
            &session,
            Some(json!({"discord_category_id": acme.general.to_string(), "name": "Billing"})),
        )
        .await;
    assert_eq!(not_a_category.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", not_a_category.body);

    let created = api
        .call(
            Method::POST,
            &categories,
            &session,
            Some(json!({"discord_category_id": billing.to_string(), "name": "Billing", "description": "Invoices", "emoji": "💳"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.body["discord_category_id"], billing.to_string());
    let taken = api
        .call(
            Method::POST,
            &categories,
            &session,
            Some(json!({"discord_category_id": tech.to_string(), "name": "billing"})),
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "names are unique in any case: {}", taken.body);
    api.call(
        Method::POST,
        &categories,
        &session,
        Some(json!({"discord_category_id": tech.to_string(), "name": "Tech"})),
    )
    .await;
    let third = api
        .call(
            Method::POST,
            &categories,
            &session,
            Some(json!({"discord_category_id": tech.to_string(), "name": "Sales"})),
        )
        .await;
    assert_eq!(third.status, StatusCode::PAYMENT_REQUIRED, "{}", third.body);

    let changed = api
        .call(
            Method::PATCH,
            &format!("{categories}/{id}"),
            &session,
            Some(json!({"description": "Invoices and refunds"})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.body["description"], "Invoices and refunds");
    assert_eq!(changed.body["name"], "Billing");
    let listed = api.get(&categories, &session).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 2);
    assert_eq!(
        api.call(Method::DELETE, &format!("{categories}/{id}"), &session, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.call(Method::DELETE, &format!("{categories}/{id}"), &session, None).await.status,
        StatusCode::NOT_FOUND
    );
    app.shutdown().await;
}

#[tokio::test]
async fn ticket_types_and_questions_are_managed_through_the_api_and_the_menu_follows() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let panel = crate::panel_open::set_up_panel(&app, &acme).await;
    let api = app.api().await;
    let session = Auth::Session(api.login(&app, acme.owner).await);
    let types = format!("/v1/guilds/{}/ticket-types", acme.id);

    let listed = api.get(&types, &session).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 3, "the panel's defaults: {}", listed.body);
    let fourth = api.call(Method::POST, &types, &session, Some(json!({"name": "Billing"}))).await;
    assert_eq!(fourth.status, StatusCode::PAYMENT_REQUIRED, "the Free plan's three: {}", fourth.body);
    let first = listed.body[0]["id"].as_str().unwrap();
    assert_eq!(
        api.call(Method::DELETE, &format!("{types}/{first}"), &session, None).await.status,
        StatusCode::NO_CONTENT
    );
    let created = api
        .call(
            Method::POST,
            &types,
            &session,
            Some(json!({"name": "Partnerships", "description": "Invoices", "emoji": "🤝"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let long = api.call(Method::PATCH, &format!("{types}/{id}"), &session, Some(json!({"name": "x".repeat(46)}))).await;
    assert_eq!(long.status, StatusCode::UNPROCESSABLE_ENTITY, "45 characters at most: {}", long.body);
    let renamed =
        api.call(Method::PATCH, &format!("{types}/{id}"), &session, Some(json!({"name": "Partners & sponsors"}))).await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert_eq!(renamed.body["description"], "Invoices", "fields not given are kept");

    let questions = format!("{types}/{id}/questions");
    let added = api
        .call(
            Method::POST,
            &questions,
            &session,
            Some(json!({"label": "Invoice number", "style": "short", "max_length": 20})),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert_eq!(added.body["questions"][0]["max_length"], 20);
    let bad =
        api.call(Method::POST, &questions, &session, Some(json!({"label": "What happened?", "style": "huge"}))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    for i in 2..=5 {
        let more = api
            .call(Method::POST, &questions, &session, Some(json!({"label": format!("Q{i}"), "style": "paragraph"})))
            .await;
        assert_eq!(more.status, StatusCode::OK, "{}", more.body);
    }
    let sixth = api.call(Method::POST, &questions, &session, Some(json!({"label": "Q6", "style": "short"}))).await;
    assert_eq!(sixth.status, StatusCode::UNPROCESSABLE_ENTITY, "a Discord form holds 5: {}", sixth.body);
    let replaced = api
        .call(
            Method::PUT,
            &format!("{questions}/0"),
            &session,
            Some(json!({"label": "Order number", "style": "short", "required": false})),
        )
        .await;
    assert_eq!(replaced.body["questions"][0]["label"], "Order number", "{}", replaced.body);
    assert_eq!(replaced.body["questions"][0]["required"], false);
    let removed = api.call(Method::DELETE, &format!("{questions}/4"), &session, None).await;
    assert_eq!(removed.body["questions"].as_array().unwrap().len(), 4, "{}", removed.body);
    assert_eq!(api.call(Method::DELETE, &format!("{questions}/4"), &session, None).await.status, StatusCode::NOT_FOUND);

    // The ticket menu in Discord shows the renamed type.
    crate::support::eventually("the menu shows the new type", || async {
        let options = crate::panel_open::menu_options(&app, &panel).await?;
        options.iter().any(|o| o["label"] == "Partners & sponsors").then_some(())
    })
    .await;
    app.shutdown().await;
}

#[tokio::test]
async fn two_partial_changes_of_one_ticket_type_at_once_both_land_and_another_guilds_type_is_not_found() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let globex = app.guild("globex").await;
    crate::panel_open::set_up_panel(&app, &acme).await;
    crate::panel_open::set_up_panel(&app, &globex).await;
    let api = app.api().await;
    let session = Auth::Session(api.login(&app, acme.owner).await);
    let types = format!("/v1/guilds/{}/ticket-types", acme.id);
    let listed = api.get(&types, &session).await;
    let id = listed.body[0]["id"].as_str().unwrap().to_owned();
    let description = listed.body[0]["description"].clone();
    let one = format!("{types}/{id}");

    // Each change is applied under the type's row lock to what is stored
    // then, so neither overwrites the other's field with an old value.
    for round in 0..5 {
        let name = format!("Renamed {round}");
        let emoji = ["🤝", "💳", "🛠️", "📦", "❓"][round];
        let (renamed, decorated) = tokio::join!(
            api.call(Method::PATCH, &one, &session, Some(json!({"name": name}))),
            api.call(Method::PATCH, &one, &session, Some(json!({"emoji": emoji}))),
        );
        assert_eq!((renamed.status, decorated.status), (StatusCode::OK, StatusCode::OK), "{}", renamed.body);
        let now = api.get(&types, &session).await;
        let stored = now.body.as_array().unwrap().iter().find(|t| t["id"] == id.as_str()).unwrap().clone();
        assert_eq!((stored["name"].as_str(), stored["emoji"].as_str()), (Some(name.as_str()), Some(emoji)), "{stored}");
        assert_eq!(stored["description"], description, "a field neither change gave is kept");
    }

    // Globex's type through Acme's path: not Acme's, so not found, and unchanged.
    let globex_owner = Auth::Session(api.login(&app, globex.owner).await);
    let globex_types = format!("/v1/guilds/{}/ticket-types", globex.id);
    let theirs = api.get(&globex_types, &globex_owner).await.body[0].clone();
    let foreign = format!("{types}/{}", theirs["id"].as_str().unwrap());
    let refused = api.call(Method::PATCH, &foreign, &session, Some(json!({"name": "Stolen"}))).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.body);
    assert_eq!(api.call(Method::DELETE, &foreign, &session, None).await.status, StatusCode::NOT_FOUND);
    let after = api.get(&globex_types, &globex_owner).await.body[0].clone();
    assert_eq!(after, theirs);
    app.shutdown().await;
}
