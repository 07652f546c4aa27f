//! The HTTP API in tests: `TestApp::api()` serves the real router (the same
//! `ApiState::connect` as `ticketeer api`) on port 0 against the app's
//! database, Redis and Discord stand-in; `TestApi::login` goes through the
//! whole Discord OAuth2 login the way a browser does, following redirects by
//! hand so each hop and cookie can be checked. Session calls send `Origin`
//! as the API's own pages would (cookie writes from elsewhere are refused).

use reqwest::header::{COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::TestApp;

pub struct TestApi {
    pub base: String,
    pub http: reqwest::Client,
    /// Whether cookies are `Secure` (and so `__Host-` prefixed).
    pub secure: bool,
    shutdown: CancellationToken,
}

impl Drop for TestApi {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// How a request authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    /// The session cookie's value.
    Session(String),
    /// An API token's secret.
    Token(String),
}

/// A response: status, headers and the JSON body (`Value::Null` if none).
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl TestApp {
    /// Starts the API with the app's configuration.
    pub async fn api(&self) -> TestApi {
        self.api_with(|_| {}).await
    }

    /// Starts the API with the configuration changed by `change`.
    pub async fn api_with(&self, change: impl FnOnce(&mut ticketeer::config::Config)) -> TestApi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut config = self.config.clone();
        // Discord sends the browser back to where the API really listens.
        config.api.public_url = base.clone();
        config.api.after_login_url = format!("{base}/v1/me");
        change(&mut config);
        let state =
            ticketeer::api::ApiState::connect(&config, ticketeer::metrics::install()).await.expect("API connects");
        let shutdown = CancellationToken::new();
        tokio::spawn(ticketeer::api::serve(listener, ticketeer::api::router(state), shutdown.clone()));
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        TestApi { base, http, secure: config.api.cookie_secure, shutdown }
    }
}

/// The value of cookie `name` among a response's `Set-Cookie` headers, with
/// the whole header.
pub fn set_cookie(headers: &reqwest::header::HeaderMap, name: &str) -> Option<(String, String)> {
    headers.get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|header| {
        let (pair, _) = header.split_once(';').unwrap_or((header, ""));
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| (value.to_owned(), header.to_owned()))
    })
}

impl TestApi {
    /// The session cookie's name.
    pub fn session_cookie(&self) -> &'static str {
        ticketeer::api::auth::cookies::session(self.secure)
    }

    /// The OAuth2 state cookie's name.
    pub fn state_cookie(&self) -> &'static str {
        ticketeer::api::auth::cookies::oauth_state(self.secure)
    }

    /// Logs `user` in through Discord OAuth2 (the stand-in approves for the
    /// user signed in to it) and returns the session cookie's value.
    pub async fn login(&self, app: &TestApp, user: u64) -> String {
        app.control.sign_in(user).await.unwrap();
        let start = self.http.get(format!("{}/v1/auth/login", self.base)).send().await.unwrap();
        assert_eq!(start.status(), StatusCode::SEE_OTHER, "login redirects to Discord");
        let (state_cookie, _) = set_cookie(start.headers(), self.state_cookie()).expect("a state cookie");
        let authorize = start.headers()[LOCATION].to_str().unwrap().to_owned();
        let consent = self.http.get(&authorize).send().await.unwrap();
        assert!(consent.status().is_redirection(), "the stand-in approves: {}", consent.status());
        let callback = consent.headers()[LOCATION].to_str().unwrap().to_owned();
        let done = self
            .http
            .get(&callback)
            .header(COOKIE, format!("{}={state_cookie}", self.state_cookie()))
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), StatusCode::SEE_OTHER, "{}", done.text().await.unwrap_or_default());
        set_cookie(done.headers(), self.session_cookie()).expect("a session cookie").0
    }

    pub async fn call(&self, method: Method, path: &str, auth: &Auth, body: Option<Value>) -> Reply {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        request = match auth {
            Auth::None => request,
            Auth::Session(cookie) => {
                request.header(COOKIE, format!("{}={cookie}", self.session_cookie())).header(ORIGIN, &self.base)
            }
            Auth::Token(secret) => request.bearer_auth(secret),
        };
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        Reply { status, headers, body }
    }

    pub async fn get(&self, path: &str, auth: &Auth) -> Reply {
        self.call(Method::GET, path, auth, None).await
    }

    /// Posts a Stripe `event` to the webhook as Stripe would: the raw JSON,
    /// signed with `secret` at `signed_at` (Unix seconds).
    pub async fn deliver_stripe_event(&self, event: &Value, secret: &str, signed_at: i64) -> Reply {
        let body = serde_json::to_vec(event).unwrap();
        let signature = ticketeer::billing::signature::sign(&body, secret, signed_at);
        let response = self
            .http
            .post(format!("{}/v1/stripe/webhook", self.base))
            .header("content-type", "application/json")
            .header("stripe-signature", signature)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        Reply { status, headers, body: response.json().await.unwrap_or(Value::Null) }
    }

    /// Makes an API token for `guild` with `scopes` as the logged-in `session`.
    pub async fn token(&self, session: &str, guild: u64, scopes: &[&str]) -> String {
        let reply = self
            .call(
                Method::POST,
                &format!("/v1/guilds/{guild}/tokens"),
                &Auth::Session(session.to_owned()),
                Some(serde_json::json!({"name": "test automation", "scopes": scopes})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.body["secret"].as_str().unwrap().to_owned()
    }
}
