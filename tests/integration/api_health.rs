//! The API's probes and metrics endpoint, against real PostgreSQL and Redis on
//! their default local ports (`.ci/run` makes sure both are up) and the
//! Discord stand-in (the API asks Discord who the bot is at start-up).

use discord_standin::StandIn;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use ticketeer::api::{self, ApiState};
use ticketeer::config::{Config, Sources};

const DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const REDIS_URL: &str = "redis://127.0.0.1:6379";

/// An API server on a free port, stopped when dropped.
struct TestApi {
    base: String,
    shutdown: CancellationToken,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    _standin: StandIn,
}

impl TestApi {
    async fn start(redis_url: &str) -> Self {
        let standin = StandIn::start(discord_standin::Config {
            bot_token: "health-token".into(),
            ..discord_standin::Config::default()
        })
        .await
        .expect("stand-in starts");
        let config = Config::from_sources(&Sources::from_pairs([
            ("DISCORD_TOKEN", "health-token".to_owned()),
            ("DISCORD_API_URL", standin.base_url()),
            ("DATABASE_URL", DATABASE_URL.to_owned()),
            ("REDIS_URL", redis_url.to_owned()),
            ("DISCORD_CLIENT_SECRET", "unused".to_owned()),
            ("TICKETEER_SECRET_KEY", crate::support::TEST_SECRET_KEY.to_owned()),
        ]))
        .unwrap();
        let state = ApiState::connect(&config, ticketeer::metrics::install()).await.expect("API connects");

        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(api::serve(listener, api::router(state), shutdown.clone()));
        Self { base, shutdown, server: Some(server), _standin: standin }
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

/// A Redis URL on which nothing listens.
fn closed_redis_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    format!("redis://127.0.0.1:{port}")
}

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
    assert_eq!(response.json::<Value>().await.unwrap(), json!({ "status": "ready", "postgres": "ok", "redis": "ok" }));
    api.stop().await;
}

#[tokio::test]
async fn readyz_names_redis_when_it_is_down() {
    let api = TestApi::start(&closed_redis_url()).await;
    let response = api.get("/readyz").await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "service_unavailable", "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("redis is down"), "{body}");
    assert!(!message.contains("postgres is down"), "{body}");
    api.stop().await;
}

#[tokio::test]
async fn metrics_are_exposed_in_prometheus_text_format() {
    let api = TestApi::start(REDIS_URL).await;
    assert_eq!(api.get("/healthz").await.status(), 200);

    let response = api.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"].to_str().unwrap(), "text/plain; version=0.0.4");
    let text = response.text().await.unwrap();
    assert!(text.contains("# HELP ticketeer_http_requests_total"), "{text}");
    assert!(text.contains(r#"ticketeer_http_requests_total{route="/healthz",status="200"}"#), "{text}");
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
