//! Premium bought and cancelled for real: the API's checkout against
//! localstripe (through the test front that adds Checkout), Stripe's signed
//! webhooks back to the API, the bot enforcing the plan, and the portal.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use secrecy::SecretString;

use ticketeer::domain::actor::Actor;
use ticketeer::domain::ids::{GuildId, UserId};
use ticketeer::tickets::panel::admin::TypeFields;

use crate::panel_open::set_up_panel;
use crate::support::api::{Auth, TestApi};
use crate::support::stripe::{TestStripe, PREMIUM_PLAN, STRIPE_KEY};
use crate::support::{eventually_within, TestApp};

const WEBHOOK_SECRET: &str = "whsec_localstripe";

async fn plan_becomes(api: &TestApi, session: &Auth, guild: u64, plan: &'static str) -> serde_json::Value {
    eventually_within(Duration::from_secs(15), &format!("the guild's plan is {plan}"), || async {
        let reply = api.get(&format!("/v1/guilds/{guild}/billing"), session).await;
        (reply.body["plan"] == plan).then_some(reply.body)
    })
    .await
}

#[tokio::test]
async fn checkout_then_stripes_webhooks_make_the_guild_premium_and_a_cancellation_makes_it_free_again() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let _panel = set_up_panel(&app, &acme).await;
    let stripe = TestStripe::start().await;
    let api = app
        .api_with(|config| {
            config.billing.stripe_secret_key = Some(SecretString::from(STRIPE_KEY.to_owned()));
            config.billing.stripe_api_url = stripe.url.clone();
            config.billing.premium_price = Some(PREMIUM_PLAN.to_owned());
            config.billing.webhook_secrets = vec![SecretString::from(WEBHOOK_SECRET.to_owned())];
        })
        .await;
    stripe.send_webhooks_to(&format!("{}/v1/stripe/webhook", api.base), WEBHOOK_SECRET).await;
    let session = Auth::Session(api.login(&app, acme.owner).await);
    let owner =
        Actor { user: UserId(acme.owner), name: "owner".into(), roles: vec![], manage_guild: true, api_token: None };
    let fourth = TypeFields { name: "Fourth".into(), description: String::new(), emoji: None };

    // No billing account yet: the portal says to check out first.
    let portal = api.call(Method::POST, &format!("/v1/guilds/{}/billing/portal", acme.id), &session, None).await;
    assert_eq!(portal.status, StatusCode::CONFLICT, "{}", portal.body);

    let checkout = api.call(Method::POST, &format!("/v1/guilds/{}/billing/checkout", acme.id), &session, None).await;
    assert_eq!(checkout.status, StatusCode::OK, "{}", checkout.body);
    let url = checkout.body["url"].as_str().unwrap().to_owned();
    let customer: String = sqlx::query_scalar("SELECT stripe_customer_id FROM billing_customers WHERE guild_id = $1")
        .bind(acme.id as i64)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert!(customer.starts_with("cus_"), "the guild's customer exists at Stripe: {customer}");

    // The admin pays; Stripe sends the browser back to the dashboard.
    let paid = api.http.get(&url).send().await.unwrap();
    assert_eq!(paid.status(), StatusCode::SEE_OTHER);
    assert!(paid.headers()["location"].to_str().unwrap().contains("billing=success"));
    // Premium from checkout.session.completed at once; localstripe's own
    // customer.subscription.created (about a second later) brings the period.
    let billing = plan_becomes(&api, &session, acme.id, "premium").await;
    assert_eq!(billing["status"], "active", "{billing}");
    eventually_within(Duration::from_secs(15), "the renewal date arrives", || async {
        let reply = api.get(&format!("/v1/guilds/{}/billing", acme.id), &session).await;
        reply.body["renews_at"].is_string().then_some(())
    })
    .await;
    app.bot()
        .tickets
        .add_ticket_type(GuildId(acme.id), &owner, &fourth)
        .await
        .expect("the bot allows Premium's limits");
    let again = api.call(Method::POST, &format!("/v1/guilds/{}/billing/checkout", acme.id), &session, None).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "already Premium");
    let portal = api.call(Method::POST, &format!("/v1/guilds/{}/billing/portal", acme.id), &session, None).await;
    assert_eq!(portal.status, StatusCode::OK, "{}", portal.body);
    assert!(portal.body["url"].as_str().unwrap().contains(&customer));

    // Cancelled (as in the portal): localstripe reports the deletion.
    let subscription: String = sqlx::query_scalar("SELECT subscription_id FROM subscriptions WHERE guild_id = $1")
        .bind(acme.id as i64)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    stripe.cancel(&subscription).await;
    let billing = plan_becomes(&api, &session, acme.id, "free").await;
    assert_eq!(billing["status"], "canceled", "{billing}");
    let fifth = TypeFields { name: "Fifth".into(), ..fourth };
    assert!(
        app.bot().tickets.add_ticket_type(GuildId(acme.id), &owner, &fifth).await.is_err(),
        "back to Free's limits"
    );
    app.shutdown().await;
}
