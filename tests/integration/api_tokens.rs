//! API tokens end when their authority does: each expires (90 days unless
//! its creator chose 1 to 365), records when it was last used, and works only
//! while its creator still manages the guild, as Discord says at the time
//! (cached briefly).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::api::{Auth, TestApi};
use crate::support::{eventually, TestApp};

/// Makes a token with `body` (name and scopes added) as `session`.
async fn make_token(api: &TestApi, session: &Auth, guild: u64, extra: Value) -> (StatusCode, Value) {
    let mut body = json!({"name": "automation", "scopes": ["settings:read"]});
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    let reply = api.call(Method::POST, &format!("/v1/guilds/{guild}/tokens"), session, Some(body)).await;
    (reply.status, reply.body)
}

fn time(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap_or_else(|| panic!("not a time: {value}")).parse().unwrap()
}

fn days_from_now(at: DateTime<Utc>) -> f64 {
    (at - Utc::now()).num_seconds() as f64 / 86_400.0
}

#[tokio::test]
async fn a_token_lives_ninety_days_unless_told_otherwise_shows_its_last_use_and_is_refused_once_expired() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let api = app.api().await;
    let session = Auth::Session(api.login(&app, acme.owner).await);
    let tokens = format!("/v1/guilds/{}/tokens", acme.id);

    let (status, created) = make_token(&api, &session, acme.id, json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!((days_from_now(time(&created["expires_at"])) - 90.0).abs() < 0.01, "{created}");
    assert_eq!(created["last_used_at"], Value::Null, "never used yet: {created}");
    let token = Auth::Token(created["secret"].as_str().unwrap().to_owned());

    let (status, month) = make_token(&api, &session, acme.id, json!({"expires_in_days": 30})).await;
    assert_eq!(status, StatusCode::CREATED, "{month}");
    assert!((days_from_now(time(&month["expires_at"])) - 30.0).abs() < 0.01, "{month}");

    // A use is recorded, and shown in the list with the expiry.
    let settings = format!("/v1/guilds/{}/settings", acme.id);
    assert_eq!(api.get(&settings, &token).await.status, StatusCode::OK);
    let listed = api.get(&tokens, &session).await;
    let mine = listed.body.as_array().unwrap().iter().find(|t| t["id"] == created["id"]).unwrap().clone();
    let used = time(&mine["last_used_at"]);
    assert!((Utc::now() - used).num_seconds() < 60, "{mine}");
    assert_eq!(mine["expires_at"], created["expires_at"]);

    // Past its expiry: refused, no longer listed, and its place in the limit is free.
    sqlx::query("UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE token_id = $1")
        .bind(created["id"].as_str().unwrap().parse::<i64>().unwrap())
        .execute(&app.db.pool)
        .await
        .unwrap();
    let refused = api.get(&settings, &token).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
    assert_eq!(refused.body["error"]["code"], "unauthorized");
    let listed = api.get(&tokens, &session).await;
    assert!(listed.body.as_array().unwrap().iter().all(|t| t["id"] != created["id"]), "{}", listed.body);
    let chosen = (Utc::now() + chrono::Duration::days(200)).to_rfc3339();
    let (status, dated) = make_token(&api, &session, acme.id, json!({"expires_at": chosen})).await;
    assert_eq!(status, StatusCode::CREATED, "the Free plan has two places; the expired token's is free: {dated}");
    assert_eq!(time(&dated["expires_at"]).timestamp(), time(&json!(chosen)).timestamp());
}

#[tokio::test]
async fn a_token_expiry_outside_one_to_365_days_is_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let api = app.api().await;
    let session = Auth::Session(api.login(&app, acme.owner).await);
    let past = (Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let too_far = (Utc::now() + chrono::Duration::days(366)).to_rfc3339();
    let cases = [
        (json!({"expires_in_days": 0}), "expires_in_days"),
        (json!({"expires_in_days": 366}), "expires_in_days"),
        (json!({"expires_in_days": -5}), "expires_in_days"),
        (json!({"expires_in_days": "ten"}), "expires_in_days"),
        (json!({"expires_in_days": 1e30}), "expires_in_days"),
        (json!({"expires_at": past}), "expires_at"),
        (json!({"expires_at": too_far}), "expires_at"),
        (json!({"expires_at": "next tuesday"}), "expires_at"),
        (json!({"expires_in_days": 10, "expires_at": too_far}), "expires_at"),
    ];
    for (extra, field) in cases {
        let (status, body) = make_token(&api, &session, acme.id, extra.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{extra}: {body}");
        assert!(body["error"]["fields"][field].is_array(), "{extra} names {field}: {body}");
    }
    let made: i64 = sqlx::query_scalar("SELECT count(*) FROM api_tokens").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(made, 0);
}

#[tokio::test]
async fn a_token_stops_working_once_its_creator_no_longer_manages_the_server() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let c = &app.control;
    let managers = c.create_role(acme.id, "Managers", 1 << 5).await.unwrap();
    let admins = c.create_role(acme.id, "Admins", 1 << 3).await.unwrap();
    let manager = app.member("manager", &[&acme]).await;
    c.put_member(acme.id, manager, &[managers]).await.unwrap();
    let cache = Duration::from_secs(1);
    let api = app.api_with(|config| config.api.token_authority_cache = cache).await;
    let session = api.login(&app, manager).await;
    let token = Auth::Token(api.token(&session, acme.id, &["settings:read"]).await);
    let settings = format!("/v1/guilds/{}/settings", acme.id);
    let status_is = |wanted: StatusCode| {
        let (api, token, settings) = (&api, &token, &settings);
        move || async move { (api.get(settings, token).await.status == wanted).then_some(()) }
    };
    assert_eq!(api.get(&settings, &token).await.status, StatusCode::OK);

    // Demoted: Manage Server taken away. Refused within the cache time.
    c.put_member(acme.id, manager, &[]).await.unwrap();
    let demoted = Instant::now();
    eventually("the demoted creator's token is refused", status_is(StatusCode::UNAUTHORIZED)).await;
    let took = demoted.elapsed();
    // Within the configured cache, with room for a loaded machine: the
    // default cache (a minute) or no expiry at all would fail here.
    assert!(took <= cache + Duration::from_secs(4), "refused after {took:?}");
    println!("a demoted creator's token was refused {took:?} after the demotion (cache {cache:?})");
    let me = api.get("/v1/me", &token).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED, "every use is refused, not only guild routes");

    // Authority back (Administrator this time): the token works again.
    c.put_member(acme.id, manager, &[admins]).await.unwrap();
    eventually("the token works again for an administrator", status_is(StatusCode::OK)).await;

    // The creator leaves the server: refused.
    c.remove_member(acme.id, manager).await.unwrap();
    eventually("the token of a creator who left is refused", status_is(StatusCode::UNAUTHORIZED)).await;
    let used: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT last_used_at FROM api_tokens").fetch_one(&app.db.pool).await.unwrap();
    assert!(used.is_some());
}

#[tokio::test]
async fn a_tokens_creator_is_checked_with_discord_at_most_once_a_cache_period() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let managers = app.control.create_role(acme.id, "Managers", 1 << 5).await.unwrap();
    let manager = app.member("manager", &[&acme]).await;
    app.control.put_member(acme.id, manager, &[managers]).await.unwrap();
    let api = app.api().await;
    let owner_token = Auth::Token(api.token(&api.login(&app, acme.owner).await, acme.id, &["settings:read"]).await);
    let manager_token = Auth::Token(api.token(&api.login(&app, manager).await, acme.id, &["settings:read"]).await);
    let settings = format!("/v1/guilds/{}/settings", acme.id);

    app.control.clear_requests().await.unwrap();
    for _ in 0..10 {
        assert_eq!(api.get(&settings, &owner_token).await.status, StatusCode::OK);
        assert_eq!(api.get(&settings, &manager_token).await.status, StatusCode::OK);
    }
    let counts = app.control.request_counts().await.unwrap();
    let count = |route: &str| counts.get(route).copied().unwrap_or(0);
    // The owner is known from the guild alone; the manager's roles need their member.
    assert_eq!(count("GET /guilds/{guild_id}"), 2, "{counts:?}");
    assert_eq!(count("GET /guilds/{guild_id}/members/{user_id}"), 1, "{counts:?}");
}

#[tokio::test]
async fn while_redis_is_down_each_api_process_still_asks_discord_once_a_period() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    // A token made earlier, while everything was up.
    let secret = "tkt_made-before-the-redis-outage";
    sqlx::query(
        "INSERT INTO api_tokens (guild_id, name, scopes, token_hash, created_by) VALUES ($1, 'ci', $2, $3, $4)",
    )
    .bind(acme.id as i64)
    .bind(vec!["settings:read".to_owned()])
    .bind(ticketeer::crypto::hash_secret(secret))
    .bind(acme.owner as i64)
    .execute(&app.db.pool)
    .await
    .unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let api = app
        .api_with(|config| config.redis_url = secrecy::SecretString::from(format!("redis://127.0.0.1:{closed}")))
        .await;
    let token = Auth::Token(secret.to_owned());
    let settings = format!("/v1/guilds/{}/settings", acme.id);

    app.control.clear_requests().await.unwrap();
    for _ in 0..10 {
        let reply = api.get(&settings, &token).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
    let counts = app.control.request_counts().await.unwrap();
    assert_eq!(counts.get("GET /guilds/{guild_id}").copied(), Some(1), "{counts:?}");
}
