//! Billing through the webhook: signatures (good, bad, stale, a rolled
//! secret), replays, out-of-order sequences, the grace period, and the plan
//! the API reports.

use chrono::Utc;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{json, Value};

use crate::support::api::{Auth, TestApi};
use crate::support::TestApp;

const SECRET: &str = "whsec_current";
const OLD_SECRET: &str = "whsec_previous";

async fn billing_api(app: &TestApp) -> TestApi {
    app.api_with(|config| {
        config.billing.webhook_secrets =
            vec![SecretString::from(SECRET.to_owned()), SecretString::from(OLD_SECRET.to_owned())];
    })
    .await
}

/// Posts `event` signed with `secret` at `signed_at` (Unix seconds).
async fn deliver(api: &TestApi, event: &Value, secret: &str, signed_at: i64) -> (StatusCode, Value) {
    let reply = api.deliver_stripe_event(event, secret, signed_at).await;
    (reply.status, reply.body)
}

fn subscription_event(id: &str, kind: &str, created: i64, guild: u64, status: &str) -> Value {
    json!({
        "id": id, "type": kind, "created": created, "object": "event",
        "data": {"object": {
            "id": "sub_1", "object": "subscription", "status": status, "customer": "cus_1",
            "metadata": {"guild_id": guild.to_string()}, "cancel_at_period_end": false,
            "current_period_end": created + 30 * 86_400,
        }}
    })
}

async fn plan(api: &TestApi, session: &Auth, guild: u64) -> Value {
    let reply = api.get(&format!("/v1/guilds/{guild}/billing"), session).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body
}

#[tokio::test]
async fn the_webhook_accepts_only_fresh_events_signed_with_a_current_or_rolled_secret() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let api = billing_api(&app).await;
    let now = Utc::now().timestamp();
    let event = subscription_event("evt_a", "customer.subscription.created", now, acme.id, "active");

    let (status, body) = deliver(&api, &event, "whsec_someone_else", now).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a bad signature: {body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("signature"), "{body}");
    let (status, _) = deliver(&api, &event, SECRET, now - 301).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a stale signature");
    let unsigned = api.http.post(format!("{}/v1/stripe/webhook", api.base)).body("{}").send().await.unwrap();
    assert_eq!(unsigned.status(), StatusCode::BAD_REQUEST);
    let processed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM stripe_events").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(processed, 0, "nothing refused was processed");

    // Signed with the secret being rolled out, or the one being retired.
    let (status, body) = deliver(&api, &event, OLD_SECRET, now).await;
    assert_eq!((status, body["result"].as_str()), (StatusCode::OK, Some("applied")), "{body}");
    let second = subscription_event("evt_b", "customer.subscription.updated", now + 1, acme.id, "active");
    let (status, _) = deliver(&api, &second, SECRET, now).await;
    assert_eq!(status, StatusCode::OK);

    // A replay changes nothing.
    let (status, body) = deliver(&api, &event, SECRET, now).await;
    assert_eq!((status, body["result"].as_str()), (StatusCode::OK, Some("duplicate")));
}

#[tokio::test]
async fn out_of_order_and_repeated_events_end_in_the_right_state() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let api = billing_api(&app).await;
    let session = Auth::Session(api.login(&app, acme.owner).await);
    let t = Utc::now().timestamp() - 120;
    assert_eq!(plan(&api, &session, acme.id).await["plan"], "free");

    // Created, then payment failed, then paid again, delivered newest first
    // and each twice: the newest state (active) wins.
    let created = subscription_event("evt_1", "customer.subscription.created", t, acme.id, "active");
    let failed = json!({"id": "evt_2", "type": "invoice.payment_failed", "created": t + 10,
        "data": {"object": {"id": "in_1", "subscription": "sub_1", "customer": "cus_1"}}});
    let paid = json!({"id": "evt_3", "type": "invoice.paid", "created": t + 20,
        "data": {"object": {"id": "in_2", "subscription": "sub_1", "customer": "cus_1"}}});
    for event in [&paid, &failed, &paid, &created, &failed, &created] {
        let (status, body) = deliver(&api, event, SECRET, Utc::now().timestamp()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let billing = plan(&api, &session, acme.id).await;
    assert_eq!((billing["plan"].as_str(), billing["status"].as_str()), (Some("premium"), Some("active")), "{billing}");
    assert!(billing["renews_at"].is_string(), "{billing}");
    assert_eq!(billing["limits"]["ticket_types"], 25);

    // Deleted, then a late "updated" from before the deletion: still ended.
    let deleted = subscription_event("evt_4", "customer.subscription.deleted", t + 30, acme.id, "canceled");
    let late = subscription_event("evt_5", "customer.subscription.updated", t + 25, acme.id, "active");
    for event in [&deleted, &late] {
        deliver(&api, event, SECRET, Utc::now().timestamp()).await;
    }
    let billing = plan(&api, &session, acme.id).await;
    assert_eq!((billing["plan"].as_str(), billing["status"].as_str()), (Some("free"), Some("canceled")), "{billing}");
    assert_eq!(billing["limits"]["ticket_types"], 3);
    // Even an "updated" dated after the deletion does not revive it.
    let revival = subscription_event("evt_6", "customer.subscription.updated", t + 40, acme.id, "active");
    deliver(&api, &revival, SECRET, Utc::now().timestamp()).await;
    assert_eq!(plan(&api, &session, acme.id).await["plan"], "free");
}

#[tokio::test]
async fn a_failed_payment_keeps_premium_through_the_grace_period_then_falls_back_to_free() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let api = billing_api(&app).await;
    let session = Auth::Session(api.login(&app, acme.owner).await);
    let t = Utc::now().timestamp() - 60;
    let created = subscription_event("evt_1", "customer.subscription.created", t, acme.id, "active");
    let failed = json!({"id": "evt_2", "type": "invoice.payment_failed", "created": t + 10,
        "data": {"object": {"id": "in_1", "subscription": "sub_1", "customer": "cus_1"}}});
    for event in [&created, &failed] {
        deliver(&api, event, SECRET, Utc::now().timestamp()).await;
    }
    let billing = plan(&api, &session, acme.id).await;
    assert_eq!(
        (billing["plan"].as_str(), billing["status"].as_str()),
        (Some("premium"), Some("past_due")),
        "{billing}"
    );
    assert!(billing["grace_until"].is_string(), "{billing}");

    // Eight days later (the grace period is seven), with no payment: Free.
    sqlx::query("UPDATE subscriptions SET past_due_since = past_due_since - interval '8 days'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(plan(&api, &session, acme.id).await["plan"], "free");
}
