//! What Premium unlocks, enforced alike by the bot and the API, with a
//! message that names the plan; and a webhook making a guild Premium and a
//! cancellation taking it back to Free.

use chrono::Utc;
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::json;

use ticketeer::domain::actor::Actor;
use ticketeer::domain::ids::{GuildId, UserId};
use ticketeer::tickets::panel::admin::TypeFields;
use ticketeer::tickets::{Refusal, TicketError};

use crate::panel_open::set_up_panel;
use crate::support::api::{Auth, TestApi};
use crate::support::fixtures::{modmail_guild, ModmailGuild};

const SECRET: &str = "whsec_premium_test";

async fn webhook(api: &TestApi, kind: &str, id: &str, guild: u64, created: i64) {
    let event = json!({"id": id, "type": kind, "created": created, "data": {"object": {
        "id": "sub_premium", "status": "active", "customer": "cus_premium",
        "metadata": {"guild_id": guild.to_string()}, "current_period_end": created + 30 * 86_400}}});
    let reply = api.deliver_stripe_event(&event, SECRET, Utc::now().timestamp()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

fn new_type(name: &str) -> TypeFields {
    TypeFields { name: name.into(), description: String::new(), emoji: None }
}

#[tokio::test]
async fn the_free_plan_limits_types_categories_snippets_and_tokens_naming_premium_until_a_subscription_lifts_them() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    let _panel = set_up_panel(&app, &acme).await;
    let api = app.api_with(|c| c.billing.webhook_secrets = vec![SecretString::from(SECRET.to_owned())]).await;
    let session = api.login(&app, acme.owner).await;
    let owner =
        Actor { user: UserId(acme.owner), name: "owner".into(), roles: vec![], manage_guild: true, api_token: None };
    let tickets = &app.bot().tickets;

    // Ticket types: the panel's three defaults are the Free plan's three.
    let refused = tickets.add_ticket_type(GuildId(acme.id), &owner, &new_type("Fourth")).await.unwrap_err();
    assert!(
        matches!(&refused, TicketError::Refused(Refusal::NeedsPremium(text)) if text.contains("Premium") && text.contains("3 ticket types")),
        "{refused:?}"
    );

    // Snippets (10) and categories (2), by text command.
    for i in 1..=10 {
        app.control.post_message(acme.general, acme.staff, &format!("!snippet create s{i} Answer {i}")).await.unwrap();
        app.wait_for_channel_text(acme.general, &format!("Snippet `s{i}` saved")).await;
    }
    app.control.post_message(acme.general, acme.staff, "!snippet create s11 One too many").await.unwrap();
    app.wait_for_channel_text(acme.general, "The Free plan allows 10 snippets; Premium allows more").await;
    for name in ["One", "Two", "Three"] {
        let category = app.control.create_channel(acme.id, name, 4, None).await.unwrap();
        app.control
            .post_message(acme.general, acme.owner, &format!("!category create {category} {name}"))
            .await
            .unwrap();
    }
    app.wait_for_channel_text(acme.general, "The Free plan allows 2 modmail categories; Premium allows more").await;

    // API tokens (2), by the API: a 402 naming the plan.
    api.token(&session, acme.id, &["settings:read"]).await;
    api.token(&session, acme.id, &["settings:read"]).await;
    let third = api
        .call(
            Method::POST,
            &format!("/v1/guilds/{}/tokens", acme.id),
            &Auth::Session(session.clone()),
            Some(json!({"name": "third", "scopes": ["settings:read"]})),
        )
        .await;
    assert_eq!(third.status, StatusCode::PAYMENT_REQUIRED, "{}", third.body);
    assert_eq!(third.body["error"]["code"], "plan_required");
    assert!(third.body["error"]["message"].as_str().unwrap().contains("Premium"));

    // A subscription (through Stripe's webhook) lifts every limit at once…
    let t = Utc::now().timestamp();
    webhook(&api, "customer.subscription.created", "evt_p1", acme.id, t).await;
    tickets.add_ticket_type(GuildId(acme.id), &owner, &new_type("Fourth")).await.expect("Premium allows a fourth type");
    app.control.post_message(acme.general, acme.staff, "!snippet create s11 Now it fits").await.unwrap();
    app.wait_for_channel_text(acme.general, "Snippet `s11` saved").await;
    api.token(&session, acme.id, &["settings:read"]).await;
    // Transcripts are kept a year on Premium (30 days on Free).
    let alice = app.member("alice", &[&acme]).await;
    let channel = app.open_ticket(&acme, alice, "kept for a year?").await;
    app.control.post_message(channel, acme.staff, "!close").await.unwrap();
    app.wait_for_bot_dm(alice, "transcript").await;
    let kept_days: f64 =
        sqlx::query_scalar("SELECT EXTRACT(EPOCH FROM expires_at - created_at)::FLOAT8 / 86400 FROM transcripts")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert!((364.0..=366.0).contains(&kept_days), "kept {kept_days} days");

    // …and its cancellation puts them back (what exists stays; nothing new beyond Free).
    webhook(&api, "customer.subscription.deleted", "evt_p2", acme.id, t + 1).await;
    let refused = tickets.add_ticket_type(GuildId(acme.id), &owner, &new_type("Fifth")).await.unwrap_err();
    assert!(matches!(refused, TicketError::Refused(Refusal::NeedsPremium(_))), "{refused:?}");
    let billing = api.get(&format!("/v1/guilds/{}/billing", acme.id), &Auth::Session(session)).await;
    assert_eq!(billing.body["plan"], "free", "{}", billing.body);
    let channel = app.open_ticket(&acme, alice, "and now?").await;
    app.control.post_message(channel, acme.staff, "!close").await.unwrap();
    let free_days = crate::support::eventually("the second transcript is stored", || async {
        let days: Vec<f64> = sqlx::query_scalar(
            "SELECT EXTRACT(EPOCH FROM expires_at - created_at)::FLOAT8 / 86400 FROM transcripts ORDER BY created_at",
        )
        .fetch_all(&app.db.pool)
        .await
        .ok()?;
        days.get(1).copied()
    })
    .await;
    assert!((29.0..=31.0).contains(&free_days), "kept {free_days} days on Free");
    app.shutdown().await;
}
