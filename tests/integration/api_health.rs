//! The API's probes and its operations port (metrics), against a test
//! database of its own (the shared `TestDatabase`), the real Redis on its
//! default local port (`.ci/run` makes sure it is up) and the Discord stand-in
//! (the API asks Discord who the bot is at start-up). The server runs through
//! `api::run`, as `ticketeer api` does.

use discord_standin::StandIn;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use ticketeer::api::{self, ApiState};
use ticketeer::config::{Config, Sources};

use crate::support::database::TestDatabase;

const REDIS_URL: &str = "redis://127.0.0.1:6379";

/// An API server on a free port, with its operations port, stopped when dropped.
struct TestApi {
    base: String,
    ops: String,
    shutdown: CancellationToken,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    _standin: StandIn,
    /// The database the API is pointed at (kept until the API stops, then
    /// dropped with it).
    _database: TestDatabase,
}

impl TestApi {
    async fn start(redis_url: &str) -> Self {
        Self::start_with(None, redis_url).await
    }

    /// Starts the API against `database_url`, or against its own test
    /// database when `None`.
    async fn start_with(database_url: Option<&str>, redis_url: &str) -> Self {
        let database = TestDatabase::create().await;
        let database_url = database_url.unwrap_or(&database.url).to_owned();
        let standin = StandIn::start(discord_standin::Config {
            bot_token: "health-token".into(),
            ..discord_standin::Config::default()
        })
        .await
        .expect("stand-in starts");
        let config = Config::from_sources(&Sources::from_pairs([
            ("DISCORD_TOKEN", "health-token".to_owned()),
            ("DISCORD_API_URL", standin.base_url()),
            ("DATABASE_URL", database_url),
            ("REDIS_URL", redis_url.to_owned()),
            ("DISCORD_CLIENT_SECRET", "unused".to_owned()),
            ("TICKETEER_SECRET_KEY", crate::support::TEST_SECRET_KEY.to_owned()),
        ]))
        .unwrap();
        let state = ApiState::connect(&config, ticketeer::metrics::install()).await.expect("API connects");

        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let ops_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let ops = format!("http://{}", ops_listener.local_addr().unwrap());
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(api::run(state, listener, ops_listener, shutdown.clone()));
        Self { base, ops, shutdown, server: Some(server), _standin: standin, _database: database }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        reqwest::get(format!("{}{path}", self.base)).await.unwrap()
    }

    async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
    }
}

impl Drop for TestApi {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A port on which nothing listens.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn closed_redis_url() -> String {
    format!("redis://127.0.0.1:{}", closed_port())
}

/// Words a driver's error text would carry (and a probe's answer must not).
const DRIVER_WORDS: [&str; 5] = ["refused", "os error", "127.0.0.1", "Connection", "timed out"];

#[tokio::test]
async fn healthz_is_ok() {
    let api = TestApi::start(REDIS_URL).await;
    let response = api.get("/healthz").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), json!({ "status": "ok" }));
    api.stop().await;
}

#[tokio::test]
async fn readyz_is_ready_when_postgres_and_redis_answer() {
    let api = TestApi::start(REDIS_URL).await;
    let response = api.get("/readyz").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), json!({ "status": "ready", "postgres": "up", "redis": "up" }));
    api.stop().await;
}

#[tokio::test]
async fn readyz_names_the_dependency_that_is_down_but_never_the_drivers_error_text() {
    for (database_url, redis_url, down, up) in [
        (None, closed_redis_url(), "redis", "postgres"),
        (
            Some(format!("postgres://postgres@127.0.0.1:{}/postgres", closed_port())),
            REDIS_URL.to_owned(),
            "postgres",
            "redis",
        ),
    ] {
        let api = TestApi::start_with(database_url.as_deref(), &redis_url).await;
        let response = api.get("/readyz").await;
        assert_eq!(response.status(), 503);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body[down], "down", "{body}");
        assert_eq!(body[up], "up", "{body}");
        assert_eq!(body["status"], "not_ready", "{body}");
        assert_eq!(body["error"]["code"], "service_unavailable", "{body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(down) && !message.contains(up), "{body}");
        for word in DRIVER_WORDS {
            assert!(!body.to_string().contains(word), "the driver's error ({word:?}) leaks: {body}");
        }
        api.stop().await;
    }
}

#[tokio::test]
async fn metrics_are_served_on_the_ops_port_and_the_public_api_answers_404_for_them() {
    let api = TestApi::start(REDIS_URL).await;
    assert_eq!(api.get("/healthz").await.status(), 200);

    let public = api.get("/metrics").await;
    assert_eq!(public.status(), 404);
    let body: Value = public.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found", "{body}");

    let response = reqwest::get(format!("{}/metrics", api.ops)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"].to_str().unwrap(), "text/plain; version=0.0.4");
    let text = response.text().await.unwrap();
    assert!(text.contains("# HELP ticketeer_http_requests_total"), "{text}");
    assert!(text.contains(r#"ticketeer_http_requests_total{route="/healthz",status="200"}"#), "{text}");
    let live = reqwest::get(format!("{}/livez", api.ops)).await.unwrap();
    assert_eq!(live.status(), 200);
    api.stop().await;
}

#[tokio::test]
async fn unknown_paths_get_a_json_404() {
    let api = TestApi::start(REDIS_URL).await;
    let response = api.get("/no/such/thing").await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found", "{body}");
    api.stop().await;
}
