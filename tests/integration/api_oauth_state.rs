//! The OAuth2 callback accepts only a `state` the API issued (kept in Redis,
//! used once) besides the browser's state cookie, and checks it before it
//! calls Discord: forged callbacks cost Discord's token endpoint nothing.

use futures_util::StreamExt as _;
use reqwest::header::{COOKIE, LOCATION};
use reqwest::StatusCode;

use crate::support::api::{set_cookie, Auth};
use crate::support::TestApp;

/// Discord's token endpoint as the stand-in's request log names it.
const TOKEN_ENDPOINT: &str = "POST /oauth2/token";

async fn token_calls(app: &TestApp) -> u64 {
    app.control.request_counts().await.unwrap().get(TOKEN_ENDPOINT).copied().unwrap_or(0)
}

#[tokio::test]
async fn a_forged_oauth_callback_never_reaches_discords_token_endpoint() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    // The per-address limit would stop a flood first; lift it to see the state check alone.
    let api = app.api_with(|config| config.api.ip_rate_limit_per_minute = 100_000).await;
    app.control.sign_in(acme.owner).await.unwrap();
    app.control.clear_requests().await.unwrap();

    // 500 forged callbacks, 16 at a time, each with a random state and code;
    // every other one carries a cookie holding the same state, as any script
    // can (only the server-side record tells it from a genuine one).
    let statuses: Vec<(StatusCode, bool)> = futures_util::stream::iter(0..500)
        .map(|n| {
            let api = &api;
            async move {
                let state = ticketeer::crypto::random_secret(32);
                let url = format!("{}/v1/auth/callback?code=forged{n}&state={state}", api.base);
                let mut request = api.http.get(url);
                if n % 2 == 0 {
                    request = request.header(COOKIE, format!("{}={state}", api.state_cookie()));
                }
                let response = request.send().await.unwrap();
                (response.status(), set_cookie(response.headers(), api.session_cookie()).is_some())
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    assert_eq!(statuses.len(), 500);
    for (status, session) in &statuses {
        assert_eq!(*status, StatusCode::BAD_REQUEST);
        assert!(!session, "no forged callback logs anyone in");
    }

    // The positive event that bounds the wait: a genuine login afterwards
    // works, and its single exchange is the only one Discord saw.
    let session = api.login(&app, acme.owner).await;
    let me = api.get("/v1/me", &Auth::Session(session)).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(token_calls(&app).await, 1, "only the genuine login reached the token endpoint");
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM api_sessions").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(sessions, 1);
}

#[tokio::test]
async fn an_oauth_state_works_once() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let api = app.api().await;
    app.control.sign_in(acme.owner).await.unwrap();
    app.control.clear_requests().await.unwrap();

    let start = api.http.get(format!("{}/v1/auth/login", api.base)).send().await.unwrap();
    let (state, _) = set_cookie(start.headers(), api.state_cookie()).unwrap();
    let consent = api.http.get(start.headers()[LOCATION].to_str().unwrap()).send().await.unwrap();
    let callback = consent.headers()[LOCATION].to_str().unwrap().to_owned();
    let cookie = format!("{}={state}", api.state_cookie());

    let first = api.http.get(&callback).header(COOKIE, &cookie).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    // The same callback again (a replay, or a second tab): refused here, not by Discord.
    let replay = api.http.get(&callback).header(COOKIE, &cookie).send().await.unwrap();
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = replay.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("used already"), "{body}");
    assert_eq!(token_calls(&app).await, 1);
}
