//! Server owners' data rights through the API: export everything, erase
//! everything after a confirmation.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::api::Auth;
use crate::support::TestApp;

#[tokio::test]
async fn the_owner_exports_all_guild_data_and_erases_it_after_confirming() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let other = app.guild("other").await;
    app.setup_modmail(&acme).await;
    app.setup_modmail(&other).await;
    let alice = app.member("alice", &[&acme]).await;
    let bob = app.member("bob", &[&other]).await;
    let channel = app.open_ticket(&acme, alice, "please delete my data too").await;
    app.control.post_message(channel, acme.staff, "!reply Sure").await.unwrap();
    app.wait_for_bot_dm(alice, "Sure").await;
    let elsewhere = app.open_ticket(&other, bob, "a ticket in another guild").await;
    assert_ne!(elsewhere, channel);

    let api = app.api().await;
    let owner = api.login(&app, acme.owner).await;
    let as_owner = Auth::Session(owner.clone());
    let secret = api.token(&owner, acme.id, &["settings:read"]).await;

    let export = api.get(&format!("/v1/guilds/{}/export", acme.id), &as_owner).await;
    assert_eq!(export.status, StatusCode::OK, "{}", export.body);
    assert!(export.headers["content-disposition"].to_str().unwrap().contains("attachment"));
    let data = &export.body["data"];
    assert_eq!(data["tickets"].as_array().unwrap().len(), 1);
    let texts = data["ticket_messages"].to_string();
    assert!(texts.contains("please delete my data too") && texts.contains("Sure"), "{texts}");
    assert!(!export.body.to_string().contains("a ticket in another guild"), "only this guild's data");
    assert!(data["api_tokens"][0].get("token_hash").is_none(), "no secrets in the export");
    assert_eq!(data["settings"][0]["staff_role_id"], acme.staff_role);

    // An admin who is not the owner cannot; tokens cannot.
    let admin = app.member("admin", &[&acme]).await;
    let admins = app.control.create_role(acme.id, "Admins", 1 << 3).await.unwrap();
    app.control.put_member(acme.id, admin, &[admins]).await.unwrap();
    let as_admin = Auth::Session(api.login(&app, admin).await);
    assert_eq!(api.get(&format!("/v1/guilds/{}/export", acme.id), &as_admin).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        api.get(&format!("/v1/guilds/{}/export", acme.id), &Auth::Token(secret)).await.status,
        StatusCode::FORBIDDEN
    );

    // Erasure needs a confirmation made for this owner and guild.
    let data_path = format!("/v1/guilds/{}/data", acme.id);
    let refused = api.call(Method::DELETE, &data_path, &as_owner, Some(json!({"confirmation": "123.abc"}))).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let confirm = api.call(Method::POST, &format!("{data_path}/erasure"), &as_owner, None).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    let token = confirm.body["confirmation"].as_str().unwrap();
    let other_guild = api
        .call(
            Method::DELETE,
            &format!("/v1/guilds/{}/data", other.id),
            &Auth::Session(api.login(&app, other.owner).await),
            Some(json!({"confirmation": token})),
        )
        .await;
    assert_eq!(other_guild.status, StatusCode::UNPROCESSABLE_ENTITY, "a confirmation is for one guild and owner");
    let erased = api.call(Method::DELETE, &data_path, &as_owner, Some(json!({"confirmation": token}))).await;
    assert_eq!(erased.status, StatusCode::OK, "{}", erased.body);
    assert_eq!(erased.body["tickets_erased"], 1);

    let db = &app.db.pool;
    let count = |sql: &'static str, guild: u64| async move {
        sqlx::query_scalar::<_, i64>(sql).bind(guild as i64).fetch_one(db).await.unwrap()
    };
    assert_eq!(count("SELECT count(*) FROM tickets WHERE guild_id = $1", acme.id).await, 0);
    assert_eq!(count("SELECT count(*) FROM guild_settings WHERE guild_id = $1", acme.id).await, 0);
    assert_eq!(count("SELECT count(*) FROM api_tokens WHERE guild_id = $1", acme.id).await, 0);
    assert_eq!(count("SELECT count(*) FROM dm_conversations WHERE guild_id = $1", acme.id).await, 0);
    assert_eq!(count("SELECT count(*) FROM dm_conversations WHERE guild_id = $1", other.id).await, 1);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM ticket_messages WHERE content LIKE '%delete my data%'")
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!(left, 0);
    assert_eq!(
        count("SELECT count(*) FROM tickets WHERE guild_id = $1", other.id).await,
        1,
        "other guilds keep theirs"
    );
    // The erasure itself is the one thing the log keeps.
    let log = api.get(&format!("/v1/guilds/{}/audit-log", acme.id), &as_owner).await;
    let actions: Vec<&str> =
        log.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["data.erase"]);
    app.shutdown().await;
}

/// A guild with one ticket of `messages` messages, written straight into
/// PostgreSQL (what years of a busy server leave behind).
async fn guild_with_a_long_ticket(app: &TestApp, messages: i64) -> (crate::support::Guild, u64) {
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;
    let alice = app.member("alice", &[&acme]).await;
    app.open_ticket(&acme, alice, "the first of many").await;
    sqlx::query(
        "INSERT INTO ticket_messages (ticket_id, direction, source_id, author_id, content)
         SELECT (SELECT ticket_id FROM tickets WHERE opener_id = $1), 'to_staff', 9000000000 + n, $1,
                'message ' || n || ' ' || repeat('x', 200)
         FROM generate_series(1, $2) AS n",
    )
    .bind(alice as i64)
    .bind(messages)
    .execute(&app.db.pool)
    .await
    .unwrap();
    (acme, alice)
}

#[tokio::test]
async fn an_export_of_twenty_thousand_messages_is_streamed_and_arrives_whole() {
    let app = TestApp::spawn().await;
    let (acme, _) = guild_with_a_long_ticket(&app, 20_000).await;
    let api = app.api().await;
    let as_owner = Auth::Session(api.login(&app, acme.owner).await);

    let export = api.get(&format!("/v1/guilds/{}/export", acme.id), &as_owner).await;
    assert_eq!(export.status, StatusCode::OK);
    assert!(
        export.headers.get("content-length").is_none(),
        "the document is sent as it is read, so its length is not known up front"
    );
    let messages = export.body["data"]["ticket_messages"].as_array().expect("the document is whole JSON");
    assert_eq!(messages.len(), 20_001);
    assert!(messages[20_000]["content"].as_str().unwrap().starts_with("message 20000 "), "in order, to the last");
    assert_eq!(export.body["guild_id"], acme.id.to_string());
    assert_eq!(export.body["data"]["tickets"].as_array().unwrap().len(), 1);
    app.shutdown().await;
}

#[tokio::test]
async fn an_export_whose_database_goes_away_midway_ends_in_an_error_not_a_short_document() {
    let app = TestApp::spawn_with(crate::support::Options { postgres_proxy: true, ..Default::default() }).await;
    let (acme, _) = guild_with_a_long_ticket(&app, 50_000).await;
    let api = app.api().await;
    let cookie = api.login(&app, acme.owner).await;

    let mut response = api
        .http
        .get(format!("{}/v1/guilds/{}/export", api.base, acme.id))
        .header("cookie", format!("{}={cookie}", api.session_cookie()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let first = response.chunk().await.unwrap().expect("the export has begun");
    assert!(first.starts_with(br#"{"guild_id":"#));
    // PostgreSQL goes away while the client is still reading.
    app.postgres_proxy.as_ref().unwrap().cut();
    let mut received = first.len();
    let ended = loop {
        match response.chunk().await {
            Ok(Some(chunk)) => received += chunk.len(),
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    app.postgres_proxy.as_ref().unwrap().restore();
    assert!(ended.is_err(), "the download is cut off, never finished as if whole ({received} bytes received)");
    app.shutdown().await;
}
