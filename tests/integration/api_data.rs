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
