//! Ticketeer's HTTP servers.
//!
//! * [`router`] is the API served by `ticketeer api`: probes and the `/v1`
//!   routes for admins (`v1/`, authenticated and authorised by `auth/`), all
//!   backed by [`ApiState`], with their OpenAPI document (`openapi.rs`).
//! * [`ops_router`] is the small operations server each gateway cluster, and
//!   the API process too ([`run`]), serves on its own port, so Prometheus can
//!   scrape it and an orchestrator can probe it. `/metrics` is never on the
//!   public API's port.
//!
//! Both get the same middleware (`layers`): tracing, per-route metrics and a body
//! size limit, and both answer unknown paths with the API's JSON 404.

pub mod auth;
pub mod client_ip;
pub mod csrf;
pub mod error;
pub mod error_body;
pub mod extract;
pub mod health;
pub mod ip_limit;
pub mod layers;
pub mod metrics_route;
pub mod openapi;
pub mod rate_limit;
pub mod v1;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::config::Config;
use crate::crypto::SecretKey;
use crate::redis::keys::Keys;
use crate::tickets::transcript::link::TranscriptLinks;
use crate::tickets::TicketService;
use anyhow::Context as _;
use axum::extract::{FromRef, State};
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use error::{Error, Result};

/// What the API's handlers share.
#[derive(Clone)]
pub struct ApiState {
    pub db: sqlx::PgPool,
    pub redis: deadpool_redis::Pool,
    pub metrics: PrometheusHandle,
    pub auth: Arc<AuthState>,
    /// The ticket core: writes go through the same actions as the bot's commands.
    pub tickets: Arc<TicketService>,
    pub billing: Arc<crate::config::BillingConfig>,
    /// Stripe, when billing is configured.
    pub stripe: Option<crate::billing::stripe_api::StripeApi>,
}

/// What authentication needs: Discord's OAuth2, the key scheme, the secret key.
pub struct AuthState {
    pub discord: auth::discord::DiscordOAuth,
    pub keys: Keys,
    pub secret_key: SecretKey,
    pub public_url: String,
    pub after_login_url: String,
    pub cookie_secure: bool,
    pub rate_limit_per_minute: u32,
    /// Checks the signed transcript links the bot puts in close DMs.
    pub transcript_links: TranscriptLinks,
    /// The bot's REST client: asks Discord whether a token's creator still
    /// manages its guild (`auth/authority.rs`).
    pub discord_http: Arc<twilight_http::Client>,
    /// How long that answer is cached.
    pub token_authority_cache: std::time::Duration,
    /// The process's own copy of those answers, for when Redis is down.
    pub authority_memo: auth::authority::Memo,
    /// Per-address budgets of the routes without a caller (`ip_limit.rs`).
    pub ip_rate_limit_per_minute: u32,
    pub webhook_rate_limit_per_minute: u32,
    /// Proxies trusted to append to `X-Forwarded-For` (`client_ip.rs`).
    pub trusted_proxy_hops: u8,
}

impl ApiState {
    /// Connects the API's dependencies: asks Discord who the bot is (one `GET
    /// /users/@me`: the application id is the OAuth2 client id and names the
    /// Redis keys), and opens the PostgreSQL and Redis pools lazily.
    pub async fn connect(config: &Config, metrics: PrometheusHandle) -> anyhow::Result<Self> {
        let secret_key = config.secret_key()?;
        let redis = crate::redis::connect(config.redis_url())?;
        let gate = crate::discord::RestGate::start(&config.discord, redis.clone())
            .await
            .context("could not start the REST gate")?;
        let http = Arc::new(crate::discord::build_http_client(&config.discord, &gate));
        let me = crate::discord::metered::metered("get_current_user", http.current_user())
            .await
            .context("could not reach Discord's API (GET /users/@me): check DISCORD_API_URL and DISCORD_TOKEN")?
            .model()
            .await?;
        let application_id = me.id.get();
        let oauth = config.oauth_client(application_id)?;
        let db = crate::db::connect_lazy(config.database_url(), config.database_pool_size)?;
        let keys = Keys::new(application_id);
        gate.count_invalid_requests(crate::redis::invalid_requests::InvalidRequests::new(redis.clone(), keys.clone()));
        // The API process sees no gateway events, so its cache stays empty and
        // the adapter reads what it needs from the guild facts in Redis or
        // over REST.
        let cache = Arc::new(twilight_cache_inmemory::DefaultInMemoryCache::builder().message_cache_size(0).build());
        let facts = Arc::new(crate::discord::facts::GuildFactsLookup::new(
            cache.clone(),
            http.clone(),
            redis.clone(),
            keys.clone(),
        ));
        let discord = Arc::new(
            crate::discord::TwilightDiscord::new(http.clone(), cache, facts, me.id).counting_invalid_requests(
                crate::redis::invalid_requests::InvalidRequests::new(redis.clone(), keys.clone()),
            ),
        );
        let links = TranscriptLinks::new(&config.api.public_url, secret_key.clone());
        let tickets = Arc::new(
            TicketService::new(db.clone(), redis.clone(), keys.clone(), discord).with_transcript_links(links.clone()),
        );
        let auth = Arc::new(AuthState {
            discord: auth::discord::DiscordOAuth::new(&config.discord.api_url, oauth),
            keys,
            secret_key,
            public_url: config.api.public_url.clone(),
            after_login_url: config.api.after_login_url.clone(),
            cookie_secure: config.api.cookie_secure,
            rate_limit_per_minute: config.api.rate_limit_per_minute,
            transcript_links: links,
            discord_http: http,
            token_authority_cache: config.api.token_authority_cache,
            authority_memo: auth::authority::Memo::new(config.api.token_authority_cache),
            ip_rate_limit_per_minute: config.api.ip_rate_limit_per_minute,
            webhook_rate_limit_per_minute: config.api.webhook_rate_limit_per_minute,
            trusted_proxy_hops: config.api.trusted_proxy_hops,
        });
        let stripe = crate::billing::stripe_api::StripeApi::from_config(&config.billing)?;
        Ok(Self { db, redis, metrics, auth, tickets, billing: Arc::new(config.billing.clone()), stripe })
    }
}

impl FromRef<ApiState> for PrometheusHandle {
    fn from_ref(state: &ApiState) -> Self {
        state.metrics.clone()
    }
}

/// The API served by `ticketeer api`.
pub fn router(state: ApiState) -> Router {
    let (v1, document) = v1::routes().split_for_parts();
    let document = Arc::new(merge_info(document));
    let routes = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/v1/openapi.json", get(move || async move { Json(document.as_ref().clone()) }))
        .merge(v1)
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), csrf::same_origin_writes));
    layers::apply(routes).with_state(state)
}

/// The OpenAPI document of every `/v1` route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    merge_info(v1::routes().split_for_parts().1)
}

fn merge_info(paths: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi as _;
    let mut document = openapi::ApiDoc::openapi();
    document.merge(paths);
    document
}

/// Runs `ticketeer api`: the public API on `api_listener`, and on
/// `ops_listener` the process's [`ops_router`] (`/metrics`, `/healthz`,
/// `/livez`), until `shutdown` is cancelled; then both drain.
pub async fn run(
    state: ApiState,
    api_listener: TcpListener,
    ops_listener: TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    // The API's readiness is `/readyz` on the public port (it checks the
    // dependencies); the ops `/healthz` only says the process serves.
    let health = HealthCheck::new();
    health.set_ready(true);
    let ops = ops_router(state.metrics.clone(), health);
    tokio::try_join!(serve(api_listener, router(state), shutdown.clone()), serve(ops_listener, ops, shutdown))?;
    Ok(())
}

/// Serves `router` on `listener` until `shutdown` is cancelled, then stops
/// accepting connections and waits for in-flight requests to finish.
pub async fn serve(listener: TcpListener, router: Router, shutdown: CancellationToken) -> anyhow::Result<()> {
    let address = listener.local_addr().context("reading the listening address")?;
    tracing::info!(%address, "HTTP server listening");
    // The peer address reaches handlers as `ConnectInfo` (per-address rate limits).
    axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
        .with_context(|| format!("HTTP server on {address} failed"))?;
    tracing::info!(%address, "HTTP server stopped");
    Ok(())
}

/// Whether a process is ready to work (served by [`ops_router`]'s `/healthz`).
///
/// The process creates one, hands a clone to [`ops_router`], and flips it with
/// [`HealthCheck::set_ready`]: a gateway cluster sets it once its shards are
/// connected and back to `false` when it loses them. It starts not ready.
#[derive(Clone, Debug, Default)]
pub struct HealthCheck {
    ready: Arc<AtomicBool>,
}

impl HealthCheck {
    /// A check that starts out not ready.
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks the process ready (`true`) or not (`false`).
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Release);
    }

    /// Whether the process is ready.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }
}

#[derive(Clone)]
struct OpsState {
    metrics: PrometheusHandle,
    health: HealthCheck,
}

impl FromRef<OpsState> for PrometheusHandle {
    fn from_ref(state: &OpsState) -> Self {
        state.metrics.clone()
    }
}

/// The operations server of a process (a gateway cluster, or the API beside
/// its public port):
///
/// * `GET /healthz`: 200 `{"status":"ok"}` when `health` is ready, else 503 with
///   the usual error body. Use it as the readiness/startup probe.
/// * `GET /livez`: always 200 while the process serves HTTP. Use it as the
///   liveness probe: identifying many shards can take minutes, and a liveness
///   probe on `/healthz` would kill the process before it gets there.
/// * `GET /metrics`: the Prometheus exposition.
pub fn ops_router(metrics: PrometheusHandle, health: HealthCheck) -> Router {
    let routes = Router::new()
        .route("/healthz", get(ops_healthz))
        .route("/livez", get(health::healthz))
        .route("/metrics", get(metrics_route::metrics))
        .fallback(not_found);
    layers::apply(routes).with_state(OpsState { metrics, health })
}

#[tracing::instrument(level = "debug", skip_all)]
async fn ops_healthz(State(state): State<OpsState>) -> Result<Json<Value>> {
    if state.health.is_ready() {
        Ok(Json(json!({ "status": "ok" })))
    } else {
        Err(Error::ServiceUnavailable { reason: "not ready: the gateway cluster is still connecting".to_owned() })
    }
}

/// Unknown paths get the API's JSON 404 instead of an empty body.
async fn not_found() -> Error {
    Error::NotFound
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    /// Serves `router` on a real socket (which also exercises [`serve`] and its
    /// graceful shutdown), sends `GET path`, and returns status and body.
    async fn get(router: Router, path: &str) -> (StatusCode, String) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(serve(listener, router, shutdown.clone()));

        let reply = reqwest::get(format!("http://{address}{path}")).await.unwrap();
        let status = StatusCode::from_u16(reply.status().as_u16()).unwrap();
        let body = reply.text().await.unwrap();

        shutdown.cancel();
        server.await.unwrap().unwrap();
        (status, body)
    }

    #[tokio::test]
    async fn ops_healthz_follows_the_health_check() {
        let health = HealthCheck::new();
        let router = ops_router(crate::metrics::install(), health.clone());

        let (status, body) = get(router.clone(), "/healthz").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body.contains("\"service_unavailable\""), "{body}");

        let (status, _) = get(router.clone(), "/livez").await;
        assert_eq!(status, StatusCode::OK);

        health.set_ready(true);
        let (status, body) = get(router, "/healthz").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, r#"{"status":"ok"}"#);
    }

    #[tokio::test]
    async fn ops_metrics_and_unknown_paths() {
        let router = ops_router(crate::metrics::install(), HealthCheck::new());

        let (status, body) = get(router.clone(), "/nope/123").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.contains("\"not_found\""), "{body}");

        let (status, body) = get(router, "/metrics").await;
        assert_eq!(status, StatusCode::OK);
        // Requests are recorded under bounded route labels, never raw paths.
        assert!(body.contains("ticketeer_http_requests_total"), "{body}");
        assert!(body.contains("route=\"unmatched\""), "{body}");
        assert!(!body.contains("/nope/123"), "{body}");
    }

    #[tokio::test]
    async fn a_path_called_with_the_wrong_method_gets_the_json_405_with_allow() {
        let router = ops_router(crate::metrics::install(), HealthCheck::new());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/livez", listener.local_addr().unwrap());
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(serve(listener, router, shutdown.clone()));

        let response = reqwest::Client::new().post(&url).send().await.unwrap();
        assert_eq!(response.status(), 405);
        assert!(response.headers().contains_key("allow"));
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "method_not_allowed");

        shutdown.cancel();
        server.await.unwrap().unwrap();
    }

    fn listener_address(url: &str) -> String {
        url.trim_start_matches("http://").split('/').next().unwrap().to_owned()
    }

    /// POSTs `size` bytes in 4 KiB chunks (no Content-Length) over a raw
    /// connection; returns the whole answer.
    async fn chunked_post(address: String, path: &str, size: usize) -> String {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let head =
            format!("POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
        stream.write_all(head.as_bytes()).await.unwrap();
        let chunk = format!("1000\r\n{}\r\n", "x".repeat(4096));
        for _ in 0..size.div_ceil(4096) {
            // The server may answer and close before everything is sent.
            if stream.write_all(chunk.as_bytes()).await.is_err() {
                break;
            }
        }
        let _ = stream.write_all(b"0\r\n\r\n").await;
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        String::from_utf8_lossy(&answer).into_owned()
    }

    #[tokio::test]
    async fn bodies_over_the_limit_are_refused() {
        let echo = Router::new()
            .route("/echo", axum::routing::post(|body: axum::body::Bytes| async move { body.len().to_string() }));
        let router = layers::apply(echo);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/echo", listener.local_addr().unwrap());
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(serve(listener, router, shutdown.clone()));

        let client = reqwest::Client::new();
        let small = client.post(&url).body(vec![b'x'; 1024]).send().await.unwrap();
        assert_eq!(small.status(), 200);
        let large = client.post(&url).body(vec![b'x'; layers::BODY_LIMIT_BYTES + 1]).send().await.unwrap();
        assert_eq!(large.status(), 413);
        let body: Value = large.json().await.unwrap();
        assert_eq!(body["error"]["code"], "payload_too_large", "the API's JSON error, not the layer's text");
        // Without a Content-Length (chunked), the limit holds while reading.
        let answer = chunked_post(listener_address(&url), "/echo", layers::BODY_LIMIT_BYTES + 4096).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("\"payload_too_large\""), "{answer}");

        shutdown.cancel();
        server.await.unwrap().unwrap();
    }
}
