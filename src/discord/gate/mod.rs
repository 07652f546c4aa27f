//! The REST gate: every request this process sends to Discord's API passes
//! through it, and it keeps the whole fleet inside the bot's one budget.
//!
//! Each process runs its own gate on a loopback port and points its twilight
//! client at it (twilight's proxy setting, the model of twilight's
//! http-proxy). The gate's state lives in Redis ([`budget`]), so the gates of
//! every cluster and API replica share one rolling second of Discord's 50,
//! one view of each route bucket and one pause after a 429; no process is a
//! single point of failure for the others.
//!
//! Why a hop and not a check inside `metered`: twilight's response future
//! consumes a 429 and sends the request again at once, inside the future
//! (for a global 429, before the wait it asked for), and hides the rate-limit
//! headers of every answer. Only something that sees the raw answer can
//! honour `retry_after` and learn the buckets, so the gate does both and
//! never hands a 429 to twilight: it waits and retries (at most
//! [`ATTEMPTS`] times), then answers 503 with the wait in the body
//! (`crate::discord::errors` reads it back as `PortError::RateLimited`).

pub mod budget;
pub mod queue;
pub mod routes;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::time::Instant;

use self::budget::FleetBudget;
use self::queue::Line;
use self::routes::{classify, Priority, RouteKey, PRIORITY_HEADER};
use crate::config::DiscordConfig;
use crate::redis::invalid_requests::InvalidRequests;
use crate::redis::keys::RestKeys;
use crate::redis::RedisPool;

/// Times a request is sent to Discord at most when it keeps getting 429s.
pub const ATTEMPTS: u32 = 3;

/// How long a request may wait for the budget, in all, before the gate
/// answers 503 for it: inside the client's timeout ([`CLIENT_TIMEOUT`]) with
/// room for one answer, so a request twilight gave up on is never sent
/// afterwards. Background work waits longer: it yields to everything else
/// while a storm lasts, and nobody is waiting on it.
const BUDGET_WAIT: Duration = Duration::from_secs(10);
const BACKGROUND_BUDGET_WAIT: Duration = Duration::from_secs(25);

/// One attempt's limit for Discord's answer.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(15);

/// The twilight client's timeout for a whole request through the gate.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(45);

/// Largest request body the gate forwards (files are at most 25 MiB, plus
/// the form around them).
const MAX_BODY: usize = 30 * 1024 * 1024;

/// Request headers that belong to one connection, not to the request.
const HOP_BY_HOP: &[&str] = &["host", "connection", "keep-alive", "transfer-encoding", "content-length", "upgrade"];

pub struct RestGate {
    addr: SocketAddr,
    state: Arc<Gate>,
}

struct Gate {
    line: Arc<Line>,
    /// `https://discord.com`, or a stand-in's `http://127.0.0.1:PORT`.
    upstream: String,
    http: reqwest::Client,
    /// Set once the process knows its application id (which names the key).
    invalid: OnceLock<InvalidRequests>,
}

impl RestGate {
    /// Starts this process's gate on a loopback port.
    pub async fn start(config: &DiscordConfig, redis: RedisPool) -> anyhow::Result<RestGate> {
        let budget = FleetBudget::new(
            redis,
            RestKeys::new(secrecy::ExposeSecret::expose_secret(&config.token)),
            config.rest_per_second,
            config.rest_fallback_per_second,
        );
        let http = reqwest::Client::builder().timeout(UPSTREAM_TIMEOUT).build()?;
        let state = Arc::new(Gate {
            line: Line::start(budget),
            upstream: config.api_url.trim_end_matches('/').to_owned(),
            http,
            invalid: OnceLock::new(),
        });
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let app = Router::new().fallback(forward).with_state(state.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "the REST gate stopped");
            }
        });
        Ok(RestGate { addr, state })
    }

    /// Where the process's twilight client sends its requests.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Counts the 429s the gate meets into the fleet's invalid-request total
    /// (Discord bans an IP at 10,000 per 10 minutes).
    pub fn count_invalid_requests(&self, invalid: InvalidRequests) {
        let _ = self.state.invalid.set(invalid);
    }
}

/// Forwards one request, within the budget, retrying 429s.
async fn forward(State(gate): State<Arc<Gate>>, request: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(body) => body,
        Err(e) => return refusal(StatusCode::PAYLOAD_TOO_LARGE, &format!("request body refused: {e}"), None),
    };
    let target = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let marked = parts.headers.get(PRIORITY_HEADER).and_then(|v| v.to_str().ok());
    let key = classify(parts.method.as_str(), &target, marked);
    let mut headers = parts.headers.clone();
    for name in HOP_BY_HOP.iter().chain(&[PRIORITY_HEADER]) {
        headers.remove(*name);
    }
    let url = format!("{}{}", gate.upstream, target);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let queued = Instant::now();
        let patience = if key.priority == Priority::Background { BACKGROUND_BUDGET_WAIT } else { BUDGET_WAIT };
        let left = (started + patience).saturating_duration_since(queued);
        let member = gate.line.budget().new_member();
        if tokio::time::timeout(left, gate.line.wait_turn(key.clone(), member.clone())).await.is_err() {
            crate::metrics::rest_gate_refused("budget");
            return refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                "the bot's REST budget had no room for this request in time",
                Some(Duration::from_secs(1)),
            );
        }
        crate::metrics::rest_gate_sent(key.priority.as_str(), queued.elapsed());
        let answer =
            gate.http.request(parts.method.clone(), &url).headers(headers.clone()).body(body.clone()).send().await;
        let answer = match answer {
            Ok(answer) => answer,
            Err(e) => {
                gate.line.budget().done(&key, &member, None).await;
                return refusal(StatusCode::BAD_GATEWAY, &format!("Discord could not be reached: {e}"), None);
            }
        };
        let status = answer.status();
        let answer_headers = answer.headers().clone();
        gate.line.budget().done(&key, &member, bucket_of(&answer_headers)).await;
        let bytes = match answer.bytes().await {
            Ok(bytes) => bytes,
            Err(e) => return refusal(StatusCode::BAD_GATEWAY, &format!("Discord's answer broke off: {e}"), None),
        };
        if status != StatusCode::TOO_MANY_REQUESTS {
            return pass_on(status, &answer_headers, bytes);
        }
        let wait = rate_limited(&gate, &key, &answer_headers, &bytes).await;
        // Retry only while the wait, the line and one more answer all fit in
        // the client's patience.
        let fits = started.elapsed() + wait + UPSTREAM_TIMEOUT < CLIENT_TIMEOUT - Duration::from_secs(2);
        if attempt >= ATTEMPTS || !fits {
            crate::metrics::rest_gate_refused("limited");
            return refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("Discord kept answering 429 ({attempt} attempts)"),
                Some(wait),
            );
        }
        tracing::debug!(route = %key.route, attempt, wait_ms = wait.as_millis() as u64, "429: waiting, then again");
    }
}

/// What an answer's rate-limit headers say of its bucket: `remaining` and
/// the time until it resets.
fn bucket_of(headers: &HeaderMap) -> Option<(u32, Duration)> {
    let remaining = header(headers, "x-ratelimit-remaining")?.parse::<u32>().ok()?;
    let reset_after = header(headers, "x-ratelimit-reset-after")?.parse::<f64>().ok()?;
    (reset_after.is_finite() && reset_after >= 0.0)
        .then(|| (remaining, Duration::from_secs_f64(reset_after.min(3600.0))))
}

/// Records a 429: its wait for the whole fleet (global) or for its bucket,
/// and toward the invalid-request count. Returns the wait.
async fn rate_limited(gate: &Gate, key: &RouteKey, headers: &HeaderMap, body: &Bytes) -> Duration {
    let scope = match header(headers, "x-ratelimit-scope") {
        Some("global") => "global",
        Some("shared") => "shared",
        _ if header(headers, "x-ratelimit-global") == Some("true") => "global",
        _ => "user",
    };
    let wait = super::errors::retry_after_of(body, header(headers, "retry-after")).unwrap_or(Duration::from_secs(1));
    crate::metrics::rest_rate_limited(scope);
    tracing::warn!(route = %key.route, scope, wait_ms = wait.as_millis() as u64, "Discord answered 429");
    gate.line.budget().limited(key, scope == "global" && key.counts_global, wait).await;
    if let Some(invalid) = gate.invalid.get() {
        match invalid.record().await {
            Ok(total) => crate::metrics::discord_invalid_requests(total),
            Err(e) => tracing::warn!(error = %e, "could not count an invalid request in Redis"),
        }
    }
    wait
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Discord's answer, as it came (less what belonged to the connection).
fn pass_on(status: StatusCode, headers: &HeaderMap, body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    for (name, value) in headers {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            response.headers_mut().append(name.clone(), value.clone());
        }
    }
    response
}

/// The gate's own answer, shaped like Discord's errors; `retry_after`
/// (seconds) when waiting will help.
fn refusal(status: StatusCode, message: &str, retry_after: Option<Duration>) -> Response {
    let mut body = serde_json::json!({"message": format!("REST gate: {message}"), "code": 0});
    if let Some(wait) = retry_after {
        body["retry_after"] = serde_json::json!(wait.as_secs_f64());
    }
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert("x-ticketeer-gate", HeaderValue::from_static("1"));
    response
}
