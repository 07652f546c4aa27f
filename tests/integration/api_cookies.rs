//! The session cookie: `__Host-` prefixed when secure, and good for writes
//! only from the API's own origin (`Origin` / `Sec-Fetch-Site`); API tokens
//! are not affected.

use reqwest::header::{COOKIE, LOCATION};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::api::{set_cookie, Auth, TestApi};
use crate::support::TestApp;

/// `method path` with the session cookie and exactly the given headers.
async fn cookie_call(
    api: &TestApi,
    method: Method,
    path: &str,
    session: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = api
        .http
        .request(method, format!("{}{path}", api.base))
        .header(COOKIE, format!("{}={session}", api.session_cookie()));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_cross_origin_write_with_a_session_cookie_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let api = app.api().await;
    let session = api.login(&app, acme.owner).await;
    let snippets = format!("/v1/guilds/{}/snippets", acme.id);
    let snippet = || Some(json!({"name": "refund", "content": "Refunds take 5 days."}));

    let refused: [&[(&str, &str)]; 6] = [
        &[("origin", "https://evil.example")],
        &[("origin", "null")],
        &[("sec-fetch-site", "cross-site")],
        &[("sec-fetch-site", "same-site")],
        &[("sec-fetch-site", "cross-site"), ("origin", api.base.as_str())],
        &[],
    ];
    for headers in refused {
        let (status, body) = cookie_call(&api, Method::POST, &snippets, &session, headers, snippet()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{headers:?}: {body}");
        assert_eq!(body["error"]["code"], "forbidden", "{body}");
        let (status, _) = cookie_call(&api, Method::POST, "/v1/auth/logout", &session, headers, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "logging out from another site: {headers:?}");
    }
    // Nothing was written, and the session still works.
    let made: i64 = sqlx::query_scalar("SELECT count(*) FROM snippets").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(made, 0);
    let entries: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(entries, 0);
    let (status, listed) =
        cookie_call(&api, Method::GET, &snippets, &session, &[("origin", "https://evil.example")], None).await;
    assert_eq!((status, listed), (StatusCode::OK, json!([])), "reads are not writes");

    // The same write from the API's own pages succeeds.
    let (status, body) =
        cookie_call(&api, Method::POST, &snippets, &session, &[("origin", &api.base)], snippet()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = cookie_call(
        &api,
        Method::PATCH,
        &format!("{snippets}/refund"),
        &session,
        &[("sec-fetch-site", "same-origin")],
        Some(json!({"content": "Refunds take 3 days."})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A token needs no Origin: a browser never attaches one to another site's request.
    let token = api.token(&session, acme.id, &["settings:write"]).await;
    let by_token = api
        .http
        .delete(format!("{}{snippets}/refund", api.base))
        .bearer_auth(&token)
        .header(COOKIE, format!("{}={session}", api.session_cookie()))
        .send()
        .await
        .unwrap();
    assert_eq!(by_token.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn secure_cookies_are_host_prefixed_and_an_unprefixed_cookie_is_no_session() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let api = app.api().await;
    app.control.sign_in(acme.owner).await.unwrap();

    let start = api.http.get(format!("{}/v1/auth/login", api.base)).send().await.unwrap();
    let (state, header) = set_cookie(start.headers(), "__Host-ticketeer_oauth_state").expect("a __Host- state cookie");
    for attribute in ["Path=/;", "Secure", "HttpOnly", "SameSite=Lax"] {
        assert!(header.contains(attribute), "{header}");
    }
    assert!(!header.contains("Domain"), "{header}");
    let consent = api.http.get(start.headers()[LOCATION].to_str().unwrap()).send().await.unwrap();
    let done = api
        .http
        .get(consent.headers()[LOCATION].to_str().unwrap())
        .header(COOKIE, format!("__Host-ticketeer_oauth_state={state}"))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let (session, header) = set_cookie(done.headers(), "__Host-ticketeer_session").expect("a __Host- session cookie");
    for attribute in ["Path=/;", "Secure", "HttpOnly", "SameSite=Lax"] {
        assert!(header.contains(attribute), "{header}");
    }
    assert!(!header.contains("Domain"), "{header}");

    let me = |cookie: String| {
        let api = &api;
        async move { api.http.get(format!("{}/v1/me", api.base)).header(COOKIE, cookie).send().await.unwrap().status() }
    };
    assert_eq!(me(format!("__Host-ticketeer_session={session}")).await, StatusCode::OK);
    // A cookie without the prefix (which a sibling subdomain could plant) is not read.
    assert_eq!(me(format!("ticketeer_session={session}")).await, StatusCode::UNAUTHORIZED);

    // Plain-HTTP local use (TICKETEER_COOKIE_SECURE=false): no prefix, no Secure.
    let local = app.api_with(|config| config.api.cookie_secure = false).await;
    let start = local.http.get(format!("{}/v1/auth/login", local.base)).send().await.unwrap();
    let (_, header) = set_cookie(start.headers(), "ticketeer_oauth_state").expect("an unprefixed state cookie");
    assert!(!header.contains("Secure"), "{header}");
    let session = local.login(&app, acme.owner).await;
    let reply = local.get("/v1/me", &Auth::Session(session)).await;
    assert_eq!(reply.status, StatusCode::OK);
}
