//! The API's login, sessions, tokens and the per-guild authorisation, end to
//! end: the real router against the Discord stand-in's OAuth2, PostgreSQL
//! and Redis.

use reqwest::header::{LOCATION, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::api::{set_cookie, Auth};
use crate::support::{TestApp, TEST_SECRET_KEY};

#[tokio::test]
async fn logging_in_with_discord_gives_an_http_only_session_that_logout_ends() {
    let app = TestApp::spawn().await;
    let guild = app.guild("Acme").await;
    let api = app.api().await;

    // The login page sends the browser to Discord with a state bound to a cookie.
    let start = api.http.get(format!("{}/v1/auth/login", api.base)).send().await.unwrap();
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    let location = start.headers()[LOCATION].to_str().unwrap();
    assert!(
        location.starts_with(&format!("{}/oauth2/authorize?", app.standin.as_ref().unwrap().base_url())),
        "{location}"
    );
    assert!(location.contains("scope=identify+guilds"), "{location}");
    let (state, header) = set_cookie(start.headers(), "__Host-ticketeer_oauth_state").unwrap();
    assert!(location.contains(&format!("state={state}")), "{location}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Secure"] {
        assert!(header.contains(attribute), "{header}");
    }

    let session = api.login(&app, guild.owner).await;
    let me = api.get("/v1/me", &Auth::Session(session.clone())).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.body["kind"], "session");
    assert_eq!(me.body["user_id"], guild.owner.to_string());

    // Only a hash of the cookie and encrypted Discord tokens are stored.
    let (hash, access): (Vec<u8>, Vec<u8>) =
        sqlx::query_as("SELECT session_hash, access_token FROM api_sessions").fetch_one(&app.db.pool).await.unwrap();
    assert_ne!(hash, session.as_bytes());
    let key = ticketeer::crypto::SecretKey::from_hex(TEST_SECRET_KEY).unwrap();
    let plain = key.decrypt(&access).expect("the access token decrypts with the secret key");
    assert!(!access.windows(plain.len()).any(|w| w == plain.as_slice()), "the token must not be stored in clear");

    let out = api.call(Method::POST, "/v1/auth/logout", &Auth::Session(session.clone()), None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(set_cookie(&out.headers, "__Host-ticketeer_session").unwrap().1.contains("Max-Age=0"));
    assert_eq!(api.get("/v1/me", &Auth::Session(session)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(api.get("/v1/me", &Auth::None).await.body["error"]["code"], "unauthorized");
}

#[tokio::test]
async fn a_callback_without_this_browsers_state_is_refused() {
    let app = TestApp::spawn().await;
    let guild = app.guild("Acme").await;
    let api = app.api().await;
    app.control.sign_in(guild.owner).await.unwrap();

    // An attacker's own login, finished in the victim's browser (which has no
    // or another state cookie), must not log the victim in.
    let start = api.http.get(format!("{}/v1/auth/login", api.base)).send().await.unwrap();
    let consent = api.http.get(start.headers()[LOCATION].to_str().unwrap()).send().await.unwrap();
    let callback = consent.headers()[LOCATION].to_str().unwrap().to_owned();
    for cookie in [None, Some("__Host-ticketeer_oauth_state=someone-elses")] {
        let mut request = api.http.get(&callback);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(set_cookie(response.headers(), "__Host-ticketeer_session").is_none());
        let body: Value = response.json().await.unwrap();
        assert!(body["error"]["message"].as_str().unwrap().contains("state"), "{body}");
    }
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM api_sessions").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(sessions, 0);
}

#[tokio::test]
async fn my_guilds_are_those_i_manage_with_the_bots_presence_and_an_invite_where_it_is_absent() {
    let app = TestApp::spawn().await;
    let owned = app.guild("Owned").await;
    let c = &app.control;
    let admin = owned.owner;
    // A guild without the bot that the admin owns, one where a role gives them
    // Manage Server, and one where they are a plain member.
    let without_bot = c.create_guild("No bot yet", admin).await.unwrap();
    let other = app.guild("Managed").await;
    let managers = c.create_role(other.id, "Managers", 1 << 5).await.unwrap();
    c.put_member(other.id, admin, &[managers]).await.unwrap();
    let plain = app.guild("Plain").await;
    c.put_member(plain.id, admin, &[]).await.unwrap();

    let api = app.api().await;
    let session = api.login(&app, admin).await;
    let reply = api.get("/v1/me/guilds", &Auth::Session(session)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let guilds = reply.body.as_array().unwrap();
    let find = |id: u64| guilds.iter().find(|g| g["id"].as_str().and_then(|s| s.parse::<u64>().ok()) == Some(id));
    assert_eq!(guilds.len(), 3, "{}", reply.body);
    assert_eq!(find(owned.id).unwrap()["bot_present"], true);
    assert_eq!(find(owned.id).unwrap()["owner"], true);
    assert!(find(owned.id).unwrap().get("invite_url").is_none());
    assert_eq!(find(other.id).unwrap()["bot_present"], true);
    let absent = find(without_bot).unwrap();
    assert_eq!(absent["bot_present"], false);
    let invite = absent["invite_url"].as_str().unwrap();
    assert!(invite.contains(&format!("guild_id={without_bot}")) && invite.contains("scope=bot"), "{invite}");
    assert!(find(plain.id).is_none(), "a plain member cannot manage the guild");
}

#[tokio::test]
async fn api_tokens_are_shown_once_listed_without_their_secret_scoped_and_revocable() {
    let app = TestApp::spawn().await;
    let guild = app.guild("Acme").await;
    let api = app.api().await;
    let session = api.login(&app, guild.owner).await;
    let as_admin = Auth::Session(session.clone());
    let tokens = format!("/v1/guilds/{}/tokens", guild.id);

    let bad = api.call(Method::POST, &tokens, &as_admin, Some(json!({"name": "", "scopes": ["root"]}))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body["error"]["fields"]["name"].is_array() && bad.body["error"]["fields"]["scopes"].is_array(),
        "{}",
        bad.body
    );

    let secret = api.token(&session, guild.id, &["settings:read"]).await;
    assert!(secret.starts_with("tkt_"));
    let listed = api.get(&tokens, &as_admin).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    assert!(!listed.body.to_string().contains(&secret), "the secret is never shown again");
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT token_hash FROM api_tokens").fetch_one(&app.db.pool).await.unwrap();
    assert_ne!(stored, secret.as_bytes());

    // The token reads settings, but its scope does not let it write them, and
    // it cannot manage tokens (people only).
    let as_token = Auth::Token(secret.clone());
    let settings = format!("/v1/guilds/{}/settings", guild.id);
    assert_eq!(api.get(&settings, &as_token).await.status, StatusCode::OK);
    let write = api.call(Method::PATCH, &settings, &as_token, Some(json!({"modmail": {"prefix": "?"}}))).await;
    assert_eq!(write.status, StatusCode::FORBIDDEN);
    assert!(write.body["error"]["message"].as_str().unwrap().contains("settings:write"), "{}", write.body);
    assert_eq!(api.get(&tokens, &as_token).await.status, StatusCode::FORBIDDEN);
    let me = api.get("/v1/me", &as_token).await;
    assert_eq!((me.body["kind"].clone(), me.body["guild_id"].clone()), (json!("token"), json!(guild.id.to_string())));

    let id = listed.body[0]["id"].as_str().unwrap();
    let revoked = api.call(Method::DELETE, &format!("{tokens}/{id}"), &as_admin, None).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(api.get(&settings, &as_token).await.status, StatusCode::UNAUTHORIZED);
    let again = api.call(Method::DELETE, &format!("{tokens}/{id}"), &as_admin, None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "revoking twice finds nothing");

    let log = api.get(&format!("/v1/guilds/{}/audit-log", guild.id), &as_admin).await;
    let actions: Vec<&str> =
        log.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["token.revoke", "token.create"]);
}

/// Every `/v1/guilds/{guild_id}/…` route of the OpenAPI document (so a new
/// route is walked without editing this test), for every method.
fn guild_routes() -> Vec<(Method, String)> {
    let document = serde_json::to_value(ticketeer::api::openapi()).unwrap();
    let mut routes = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        if !path.starts_with("/v1/guilds/{guild_id}") {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            routes.push((Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(), path.clone()));
        }
    }
    assert!(routes.len() >= 6, "the walk found the guild routes: {routes:?}");
    routes
}

/// `path` for `guild`, with every other parameter set to 1.
fn concrete(path: &str, guild: u64) -> String {
    let with_guild = path.replace("{guild_id}", &guild.to_string());
    regex::Regex::new(r"\{[a-z_]+\}").unwrap().replace_all(&with_guild, "1").into_owned()
}

#[tokio::test]
async fn every_guild_route_hides_other_guilds_from_sessions_and_from_tokens_of_another_guild() {
    let app = TestApp::spawn().await;
    let mine = app.guild("Mine").await;
    let theirs = app.guild("Theirs").await;
    // I am a plain member of their guild: I can see it in Discord, not manage it.
    app.control.put_member(theirs.id, mine.owner, &[]).await.unwrap();
    let api = app.api().await;
    let session = api.login(&app, mine.owner).await;
    let all_scopes = ["settings:read", "settings:write", "tickets:read", "audit_log:read"];
    let my_token = api.token(&session, mine.id, &all_scopes).await;
    let their_session = api.login(&app, theirs.owner).await;
    let their_token = api.token(&their_session, theirs.id, &all_scopes).await;
    let missing_guild = 4_242_424_242u64;

    for (method, path) in guild_routes() {
        let body = matches!(method, Method::POST | Method::PATCH | Method::PUT).then(|| json!({}));
        let refusals = [
            ("my session, their guild", Auth::Session(session.clone()), theirs.id),
            ("my session, a guild that does not exist", Auth::Session(session.clone()), missing_guild),
            ("my token, their guild", Auth::Token(my_token.clone()), theirs.id),
            ("their token, my guild", Auth::Token(their_token.clone()), mine.id),
        ];
        for (who, auth, guild) in refusals {
            let reply = api.call(method.clone(), &concrete(&path, guild), &auth, body.clone()).await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method} {path} with {who}: {}", reply.body);
            assert_eq!(reply.body["error"]["code"], "not_found", "{method} {path} with {who}");
            assert!(!reply.body.to_string().contains("Theirs"), "{method} {path} leaks the guild's name");
        }
        let anonymous = api.call(method.clone(), &concrete(&path, mine.id), &Auth::None, body.clone()).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{method} {path} without credentials");
    }
    // Nothing was written to their guild.
    let entries: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE guild_id = $1 AND action <> 'token.create'")
            .bind(theirs.id as i64)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(entries, 0);
}

#[tokio::test]
async fn each_session_and_token_is_rate_limited_with_retry_after() {
    let app = TestApp::spawn().await;
    let guild = app.guild("Acme").await;
    let api = app.api_with(|config| config.api.rate_limit_per_minute = 5).await;
    let session = api.login(&app, guild.owner).await;
    let as_admin = Auth::Session(session.clone());
    // The token is made within the session's budget: 1 request.
    let token = Auth::Token(api.token(&session, guild.id, &["settings:read"]).await);
    for _ in 0..4 {
        assert_eq!(api.get("/v1/me", &as_admin).await.status, StatusCode::OK);
    }
    let limited = api.get("/v1/me", &as_admin).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = limited.headers[RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert_eq!(limited.body["error"]["code"], "rate_limited");
    // The token has a budget of its own.
    assert_eq!(api.get("/v1/me", &token).await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_expiring_discord_token_is_refreshed_and_one_discord_refuses_ends_the_session() {
    let app = TestApp::spawn().await;
    let guild = app.guild("Acme").await;
    let api = app.api().await;
    let session = api.login(&app, guild.owner).await;
    let key = ticketeer::crypto::SecretKey::from_hex(TEST_SECRET_KEY).unwrap();
    let stored = |db: sqlx::PgPool| async move {
        let sealed: Vec<u8> = sqlx::query_scalar("SELECT access_token FROM api_sessions").fetch_one(&db).await.unwrap();
        sealed
    };
    let before = key.decrypt(&stored(app.db.pool.clone()).await).unwrap();

    // About to expire: the next call to Discord refreshes it first.
    sqlx::query("UPDATE api_sessions SET access_expires_at = now()").execute(&app.db.pool).await.unwrap();
    let guilds = api.get("/v1/me/guilds?refresh=true", &Auth::Session(session.clone())).await;
    assert_eq!(guilds.status, StatusCode::OK, "{}", guilds.body);
    let after = key.decrypt(&stored(app.db.pool.clone()).await).unwrap();
    assert_ne!(before, after, "a new access token is stored (encrypted)");

    // A token Discord no longer honours: the session ends.
    sqlx::query(
        "UPDATE api_sessions SET access_token = $1, refresh_token = NULL, access_expires_at = now() + interval '1 day'",
    )
    .bind(key.encrypt(b"revoked-token"))
    .execute(&app.db.pool)
    .await
    .unwrap();
    let refused = api.get("/v1/me/guilds?refresh=true", &Auth::Session(session.clone())).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM api_sessions").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(left, 0);
    assert_eq!(api.get("/v1/me", &Auth::Session(session)).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn expired_sessions_log_nobody_in_and_the_purge_deletes_them() {
    let app = TestApp::spawn().await;
    let guild = app.guild("Acme").await;
    let api = app.api().await;
    let expired = api.login(&app, guild.owner).await;
    let live = api.login(&app, guild.owner).await;
    sqlx::query("UPDATE api_sessions SET expires_at = now() - interval '1 second' WHERE session_hash = $1")
        .bind(ticketeer::crypto::hash_secret(&expired))
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(api.get("/v1/me", &Auth::Session(expired)).await.status, StatusCode::UNAUTHORIZED);

    // One pass of the API's hourly job (a cancelled token stops it after one).
    let stop = tokio_util::sync::CancellationToken::new();
    stop.cancel();
    ticketeer::jobs::session_purge::run(app.db.pool.clone(), stop).await;
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM api_sessions").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(left, 1, "only the expired session is deleted");
    assert_eq!(api.get("/v1/me", &Auth::Session(live)).await.status, StatusCode::OK);
}
