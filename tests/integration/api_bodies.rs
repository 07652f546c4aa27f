//! Request bodies at the API's edge: a body of the wrong shape is a 422
//! naming the field at fault, and each route has its body limit (Stripe's
//! webhook a larger one than the rest).

use chrono::Utc;
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::json;

use crate::support::api::Auth;
use crate::support::TestApp;

#[tokio::test]
async fn a_settings_field_of_the_wrong_type_is_named_in_the_422() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let api = app.api().await;
    let token = Auth::Token(api.token(&api.login(&app, acme.owner).await, acme.id, &["settings:write"]).await);
    let settings = format!("/v1/guilds/{}/settings", acme.id);

    let wrong_type =
        api.call(Method::PATCH, &settings, &token, Some(json!({"modmail": {"welcome_message": 12345}}))).await;
    assert_eq!(wrong_type.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wrong_type.body);
    let fields = &wrong_type.body["error"]["fields"];
    let problem = fields["modmail.welcome_message"][0].as_str().unwrap_or_else(|| panic!("{}", wrong_type.body));
    assert!(problem.contains("invalid type: integer `12345`"), "{problem}");
    assert!(fields.get("body").is_none(), "the field is named, not the whole body: {}", wrong_type.body);

    // The same field one level too high is unknown there, and named too.
    let misplaced = api.call(Method::PATCH, &settings, &token, Some(json!({"welcome_message": 12345}))).await;
    assert_eq!(misplaced.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(misplaced.body["error"]["fields"]["welcome_message"].is_array(), "{}", misplaced.body);

    // A list item of the wrong type is named with its index.
    let session = Auth::Session(api.login(&app, acme.owner).await);
    let scopes = api
        .call(
            Method::POST,
            &format!("/v1/guilds/{}/tokens", acme.id),
            &session,
            Some(json!({"name": "x", "scopes": ["settings:read", 7]})),
        )
        .await;
    assert_eq!(scopes.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(scopes.body["error"]["fields"]["scopes[1]"].is_array(), "{}", scopes.body);

    // Nothing was changed by the refused bodies.
    let now = api.get(&settings, &token).await;
    assert_eq!(now.body["modmail"]["welcome_message"], serde_json::Value::Null, "{}", now.body);
}

#[tokio::test]
async fn the_stripe_webhook_takes_events_over_64_kib_while_other_routes_keep_their_limit() {
    const SECRET: &str = "whsec_large";
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let api = app.api_with(|config| config.billing.webhook_secrets = vec![SecretString::from(SECRET.to_owned())]).await;
    let now = Utc::now().timestamp();

    // An invoice with many lines, as Stripe sends it: well over 64 KiB.
    let lines: Vec<_> = (0..1000)
        .map(|n| json!({"id": format!("il_{n:04}"), "object": "line_item", "description": "Premium × 1 (at €5.00 / month)"}))
        .collect();
    let event = json!({
        "id": "evt_large", "type": "invoice.finalized", "created": now, "object": "event",
        "data": {"object": {"id": "in_1", "object": "invoice", "lines": {"object": "list", "data": lines}}}
    });
    let size = serde_json::to_vec(&event).unwrap().len();
    assert!(size > 64 * 1024 && size < 1024 * 1024, "the event is {size} bytes");
    let delivered = api.deliver_stripe_event(&event, SECRET, now).await;
    assert_eq!(delivered.status, StatusCode::OK, "{}", delivered.body);
    assert_eq!(delivered.body["result"], "ignored", "read and checked, not refused for its size");

    // Over a mebibyte is still refused, in the API's error shape.
    let huge = json!({"id": "evt_huge", "type": "invoice.finalized", "padding": "x".repeat(1024 * 1024)});
    let refused = api.deliver_stripe_event(&huge, SECRET, now).await;
    assert_eq!(refused.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(refused.body["error"]["code"], "payload_too_large");

    // Every other route keeps 64 KiB: a settings change of the webhook's size is refused.
    let token = Auth::Token(api.token(&api.login(&app, acme.owner).await, acme.id, &["settings:write"]).await);
    let settings = format!("/v1/guilds/{}/settings", acme.id);
    let body = json!({"modmail": {"welcome_message": "x".repeat(size)}});
    let too_large = api.call(Method::PATCH, &settings, &token, Some(body)).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", too_large.body);
    assert_eq!(too_large.body["error"]["code"], "payload_too_large");
}
