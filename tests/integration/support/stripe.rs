//! Stripe in tests: a real localstripe (from PyPI; `scripts/services.sh`
//! installs it) per test on a free port, and a small front in front of it
//! that adds what localstripe lacks: Checkout Sessions (with a page that
//! "pays": it makes the subscription on localstripe and sends the signed
//! `checkout.session.completed`) and Billing Portal sessions. Everything else
//! passes through to localstripe, which keeps customers, plans,
//! subscriptions and invoices and sends its own signed webhooks.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Mutex;

pub const STRIPE_KEY: &str = "sk_test_ticketeer";
pub const PREMIUM_PLAN: &str = "premium-monthly";

/// A localstripe process and the front before it; both stop when dropped.
pub struct TestStripe {
    /// What the API is configured with (`STRIPE_API_URL`).
    pub url: String,
    pub localstripe: String,
    _process: tokio::process::Child,
    front: Arc<Front>,
    http: reqwest::Client,
}

struct Front {
    localstripe: String,
    base: Mutex<String>,
    webhook: Mutex<Option<(String, String)>>,
    sessions: Mutex<HashMap<String, Value>>,
    http: reqwest::Client,
}

impl TestStripe {
    pub async fn start() -> TestStripe {
        let binary = std::env::var("LOCALSTRIPE")
            .unwrap_or_else(|_| format!("{}/.cache/ticketeer/venv/bin/localstripe", std::env::var("HOME").unwrap()));
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let process = tokio::process::Command::new(&binary)
            .args(["--port", &port.to_string(), "--from-scratch"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("localstripe ({binary}) starts: {e}; `bash scripts/test.sh` installs it"));
        let localstripe = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..200 {
            if http.get(format!("{localstripe}/v1/customers")).basic_auth(STRIPE_KEY, Some("")).send().await.is_ok() {
                break;
            }
            // Poll interval while localstripe starts (200 tries at most).
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Premium's price: localstripe has plans, not prices (a plan id works
        // where a price id goes).
        let product = form(&http, &localstripe, "/v1/products", &[("name", "Ticketeer Premium")]).await;
        form(
            &http,
            &localstripe,
            "/v1/plans",
            &[
                ("id", PREMIUM_PLAN),
                ("product", product["id"].as_str().unwrap()),
                ("amount", "500"),
                ("currency", "usd"),
                ("interval", "month"),
            ],
        )
        .await;

        let front = Arc::new(Front {
            localstripe: localstripe.clone(),
            base: Mutex::new(String::new()),
            webhook: Mutex::new(None),
            sessions: Mutex::new(HashMap::new()),
            http: http.clone(),
        });
        let app = Router::new()
            .route("/v1/checkout/sessions", post(create_checkout))
            .route("/v1/billing_portal/sessions", post(create_portal))
            .route("/pay/{session}", get(pay))
            .fallback(any(pass_through))
            .with_state(front.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        *front.base.lock().unwrap() = url.clone();
        tokio::spawn(async move { axum::serve(listener, app).await });
        TestStripe { url, localstripe, _process: process, front, http }
    }

    /// Where Stripe's events go, signed with `secret` (both localstripe's
    /// own and the front's `checkout.session.completed`).
    pub async fn send_webhooks_to(&self, url: &str, secret: &str) {
        *self.front.webhook.lock().unwrap() = Some((url.to_owned(), secret.to_owned()));
        let registered = self
            .http
            .post(format!("{}/_config/webhooks/ticketeer", self.localstripe))
            .json(&json!({"url": url, "secret": secret}))
            .send()
            .await
            .unwrap();
        assert!(registered.status().is_success(), "localstripe registers the webhook");
    }

    /// The customer cancels (as in the Billing Portal): localstripe deletes
    /// the subscription and reports it.
    pub async fn cancel(&self, subscription: &str) {
        let response = self
            .http
            .delete(format!("{}/v1/subscriptions/{subscription}", self.localstripe))
            .basic_auth(STRIPE_KEY, Some(""))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.text().await.unwrap_or_default());
    }
}

async fn form(http: &reqwest::Client, base: &str, path: &str, fields: &[(&str, &str)]) -> Value {
    let response =
        http.post(format!("{base}{path}")).basic_auth(STRIPE_KEY, Some("")).form(fields).send().await.unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "localstripe {path}: {status} {body}");
    body
}

fn parse_form(body: &[u8]) -> HashMap<String, String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).unwrap_or_default().into_iter().collect()
}

async fn create_checkout(State(front): State<Arc<Front>>, body: Bytes) -> Json<Value> {
    let fields = parse_form(&body);
    let id = format!("cs_test_{}", rand::random::<u64>());
    let session = json!({
        "id": id, "object": "checkout.session", "mode": fields.get("mode"),
        "customer": fields.get("customer"), "client_reference_id": fields.get("client_reference_id"),
        "metadata": {"guild_id": fields.get("metadata[guild_id]")},
        "subscription_guild": fields.get("subscription_data[metadata][guild_id]"),
        "price": fields.get("line_items[0][price]"),
        "success_url": fields.get("success_url"), "cancel_url": fields.get("cancel_url"),
        "url": format!("{}/pay/{id}", front.base.lock().unwrap()),
    });
    front.sessions.lock().unwrap().insert(id, session.clone());
    Json(session)
}

async fn create_portal(State(front): State<Arc<Front>>, body: Bytes) -> Json<Value> {
    let fields = parse_form(&body);
    let customer = fields.get("customer").cloned().unwrap_or_default();
    Json(json!({
        "id": format!("bps_test_{}", rand::random::<u64>()), "object": "billing_portal.session",
        "customer": customer, "return_url": fields.get("return_url"),
        "url": format!("{}/portal/{customer}", front.base.lock().unwrap()),
    }))
}

/// The customer completes Checkout: a card, the subscription, and the event.
async fn pay(State(front): State<Arc<Front>>, Path(id): Path<String>) -> Response {
    let Some(session) = front.sessions.lock().unwrap().get(&id).cloned() else {
        return (StatusCode::NOT_FOUND, "no such checkout session").into_response();
    };
    let (http, base) = (&front.http, front.localstripe.as_str());
    let customer = session["customer"].as_str().unwrap().to_owned();
    let guild = session["subscription_guild"].as_str().unwrap().to_owned();
    let card = form(
        http,
        base,
        "/v1/payment_methods",
        &[
            ("type", "card"),
            ("card[number]", "4242424242424242"),
            ("card[exp_month]", "12"),
            ("card[exp_year]", "2030"),
            ("card[cvc]", "123"),
        ],
    )
    .await;
    let card = card["id"].as_str().unwrap().to_owned();
    form(http, base, &format!("/v1/payment_methods/{card}/attach"), &[("customer", &customer)]).await;
    form(http, base, &format!("/v1/customers/{customer}"), &[("invoice_settings[default_payment_method]", &card)])
        .await;
    let subscription = form(
        http,
        base,
        "/v1/subscriptions",
        &[
            ("customer", &customer),
            ("items[0][plan]", session["price"].as_str().unwrap()),
            ("metadata[guild_id]", &guild),
        ],
    )
    .await;
    let (url, secret) = front.webhook.lock().unwrap().clone().expect("the webhook is registered");
    let event = json!({
        "id": format!("evt_cs_{}", rand::random::<u64>()), "type": "checkout.session.completed", "object": "event",
        "created": chrono::Utc::now().timestamp(),
        "data": {"object": {
            "id": id, "object": "checkout.session", "mode": "subscription", "payment_status": "paid",
            "customer": customer, "subscription": subscription["id"], "client_reference_id": session["client_reference_id"],
            "metadata": session["metadata"],
        }}
    });
    let body = serde_json::to_vec(&event).unwrap();
    let signature = ticketeer::billing::signature::sign(&body, &secret, chrono::Utc::now().timestamp());
    let delivered = http.post(&url).header("stripe-signature", signature).body(body).send().await.unwrap();
    assert!(delivered.status().is_success(), "the API takes checkout.session.completed");
    Redirect::to(session["success_url"].as_str().unwrap()).into_response()
}

async fn pass_through(
    State(front): State<Arc<Front>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let url = format!("{}{}", front.localstripe, uri.path_and_query().map_or("", |p| p.as_str()));
    let mut request = front.http.request(method, url).body(body);
    for name in ["authorization", "content-type", "stripe-version", "idempotency-key"] {
        if let Some(value) = headers.get(name) {
            request = request.header(name, value);
        }
    }
    let response = request.send().await.unwrap();
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
    let bytes = response.bytes().await.unwrap();
    (status, [("content-type", "application/json")], bytes).into_response()
}
