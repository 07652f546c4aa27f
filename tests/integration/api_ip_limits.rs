//! The routes without a caller (login, OAuth2 callback, signed transcript
//! link, Stripe's webhook) are rate limited per client address, counted in
//! Redis; the address is the socket's peer unless proxies are trusted.

use reqwest::header::RETRY_AFTER;
use reqwest::{Method, StatusCode};
use secrecy::SecretString;

use crate::support::api::TestApi;
use crate::support::TestApp;

/// Sends `method path` with `X-Forwarded-For: forwarded` (if any); returns
/// the status and, for a 429, `Retry-After` and the body.
async fn send(
    api: &TestApi,
    method: Method,
    path: &str,
    forwarded: Option<&str>,
) -> (StatusCode, Option<u64>, serde_json::Value) {
    let mut request = api.http.request(method, format!("{}{path}", api.base));
    if let Some(forwarded) = forwarded {
        request = request.header("x-forwarded-for", forwarded);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let retry = response.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()?.parse().ok());
    let body = response.json().await.unwrap_or(serde_json::Value::Null);
    (status, retry, body)
}

#[tokio::test]
async fn each_route_without_a_caller_is_rate_limited_per_address_with_retry_after_and_a_metric() {
    let app = TestApp::spawn().await;
    let api = app
        .api_with(|config| {
            config.api.ip_rate_limit_per_minute = 3;
            config.api.webhook_rate_limit_per_minute = 5;
            config.billing.webhook_secrets = vec![SecretString::from("whsec_limits".to_owned())];
        })
        .await;
    let routes = [
        (Method::GET, "/v1/auth/login", 3, "login"),
        (Method::GET, "/v1/auth/callback?code=c&state=s", 3, "callback"),
        (Method::GET, "/v1/transcripts/1?expires=1&signature=x", 3, "transcript_link"),
        (Method::POST, "/v1/stripe/webhook", 5, "stripe_webhook"),
    ];
    // Each route has its own budget: the first ones spent do not touch the next.
    for (method, path, budget, _) in &routes {
        for n in 0..*budget {
            let (status, _, body) = send(&api, method.clone(), path, None).await;
            assert_ne!(status, StatusCode::TOO_MANY_REQUESTS, "{method} {path} request {n}: {body}");
        }
        let (status, retry, body) = send(&api, method.clone(), path, None).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{method} {path} past its budget: {body}");
        assert!(retry.is_some_and(|s| (1..=60).contains(&s)), "{method} {path}: Retry-After {retry:?}");
        assert_eq!(body["error"]["code"], "rate_limited", "{body}");
        assert_eq!(body["error"]["retry_after"].as_u64(), retry, "{body}");
    }
    let metrics = ticketeer::metrics::install().render();
    for (_, _, _, label) in &routes {
        let series = format!("ticketeer_api_ip_rate_limited_total{{route=\"{label}\"}}");
        assert!(metrics.contains(&series), "{series} missing:\n{metrics}");
    }
    // The count is in Redis, shared by every API process: a second one
    // refuses this address too.
    let second = app.api_with(|config| config.api.ip_rate_limit_per_minute = 3).await;
    let (status, _, _) = send(&second, Method::GET, "/v1/auth/login", None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the fleet shares the count");
}

#[tokio::test]
async fn a_forwarded_for_header_is_ignored_unless_proxy_hops_are_configured() {
    let app = TestApp::spawn().await;
    let api = app.api_with(|config| config.api.ip_rate_limit_per_minute = 2).await;
    for n in 0..2 {
        let (status, _, _) = send(&api, Method::GET, "/v1/auth/login", Some(&format!("198.51.100.{n}"))).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
    }
    // A new claimed address each time changes nothing: the peer is counted.
    let (status, _, _) = send(&api, Method::GET, "/v1/auth/login", Some("198.51.100.77")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_address_it_appended_is_counted_and_the_clients_own_claims_are_not() {
    let app = TestApp::spawn().await;
    let api = app
        .api_with(|config| {
            config.api.ip_rate_limit_per_minute = 2;
            config.api.trusted_proxy_hops = 1;
        })
        .await;
    // The client 203.0.113.5 claims another address each time; the proxy
    // appends what it really is.
    for claimed in ["192.0.2.1", "192.0.2.2"] {
        let forwarded = format!("{claimed}, 203.0.113.5");
        let (status, _, _) = send(&api, Method::GET, "/v1/auth/login", Some(&forwarded)).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
    }
    let (status, _, _) = send(&api, Method::GET, "/v1/auth/login", Some("192.0.2.3, 203.0.113.5")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "203.0.113.5 spent its budget");
    // Another client behind the same proxy has its own.
    let (status, _, _) = send(&api, Method::GET, "/v1/auth/login", Some("203.0.113.5, 203.0.113.6")).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "203.0.113.6 is another client");
}
