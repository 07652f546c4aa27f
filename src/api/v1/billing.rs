//! Billing: `GET /v1/guilds/{guild_id}/billing` (plan, status, renewal) and
//! `POST /v1/stripe/webhook`, where Stripe reports what happened. The
//! webhook checks `Stripe-Signature` on the raw body before reading it, and
//! hands the event to `billing::events`, which applies it exactly once.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::auth::access::{Authorized, ReadSettings, Session};
use crate::api::error_body::{ErrorBody, GuildErrors};
use crate::api::ip_limit::{self, PerIp};
use crate::api::{ApiState, Error, Result};
use crate::billing::events::{self, Processed};
use crate::billing::signature;
use crate::db;
use crate::domain::plan::Plan;
use crate::domain::plan::GRACE;

#[derive(Debug, Serialize, ToSchema)]
pub struct Billing {
    pub plan: Plan,
    /// The subscription's Stripe status (`active`, `past_due`, `canceled`, …); null without one.
    pub status: Option<String>,
    /// When the current period ends (the renewal date).
    pub renews_at: Option<DateTime<Utc>>,
    /// The subscription ends at `renews_at` instead of renewing.
    pub cancel_at_period_end: bool,
    /// A failed payment keeps Premium until this time.
    pub grace_until: Option<DateTime<Utc>>,
    pub limits: PlanLimits,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanLimits {
    pub ticket_types: usize,
    pub modmail_categories: usize,
    pub snippets: usize,
    pub api_tokens: i64,
    pub transcript_days: i64,
}

/// The guild's plan and subscription.
#[utoipa::path(get, path = "/v1/guilds/{guild_id}/billing", tag = "billing",
    operation_id = "get_billing",
    params(("guild_id" = String, Path, description = "The guild's id")),
    security(("session" = []), ("token" = ["settings:read"])),
    responses(
        (status = 200, description = "The guild's plan, limits and subscription", body = Billing),
        GuildErrors,
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn get(State(state): State<ApiState>, access: Authorized<ReadSettings>) -> Result<Json<Billing>> {
    let (plan, subscription) = tokio::try_join!(
        db::billing::plan(&state.db, access.guild),
        db::billing::current_subscription(&state.db, access.guild)
    )?;
    let limits = plan.limits();
    let grace = chrono::Duration::from_std(GRACE).unwrap_or_default();
    Ok(Json(Billing {
        plan,
        status: subscription.as_ref().map(|s| s.status.clone()),
        renews_at: subscription.as_ref().filter(|s| !s.ended).and_then(|s| s.current_period_end),
        cancel_at_period_end: subscription.as_ref().is_some_and(|s| s.cancel_at_period_end),
        grace_until: subscription
            .as_ref()
            .filter(|s| !s.ended && s.status == "past_due")
            .and_then(|s| s.past_due_since)
            .map(|since| since + grace),
        limits: PlanLimits {
            ticket_types: limits.ticket_types,
            modmail_categories: limits.modmail_categories,
            snippets: limits.snippets,
            api_tokens: limits.api_tokens,
            transcript_days: limits.transcript_days,
        },
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RedirectUrl {
    /// Send the browser here.
    pub url: String,
}

/// Stripe, or a 409: an instance run without billing (self-hosted, the demo)
/// offers no checkout, which is the caller's situation to know, not our outage.
fn stripe(state: &ApiState) -> Result<&crate::billing::stripe_api::StripeApi> {
    state.stripe.as_ref().ok_or_else(|| Error::Conflict("billing is not enabled on this Ticketeer instance".into()))
}

/// The dashboard URL with `billing=<outcome>` added.
fn back_to_dashboard(state: &ApiState, outcome: &str) -> String {
    let base = &state.auth.after_login_url;
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}billing={outcome}")
}

/// Starts Premium: a Stripe Checkout Session for the guild.
#[utoipa::path(post, path = "/v1/guilds/{guild_id}/billing/checkout", tag = "billing",
    operation_id = "start_checkout",
    params(("guild_id" = String, Path, description = "The guild's id")), security(("session" = [])),
    responses(
        (status = 200, description = "Where to send the browser: a Stripe Checkout page", body = RedirectUrl),
        GuildErrors,
        (status = 409, description = "Already on Premium, or billing is not enabled on this instance", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn checkout(State(state): State<ApiState>, access: Authorized<Session>) -> Result<Json<RedirectUrl>> {
    let stripe = stripe(&state)?;
    if db::billing::plan(&state.db, access.guild).await? == Plan::Premium {
        return Err(Error::Conflict("this server is already on Premium: manage it in the billing portal".into()));
    }
    let customer = match db::billing::customer(&state.db, access.guild).await? {
        Some(customer) => customer,
        None => {
            let name = db::guilds::name(&state.db, access.guild).await?.unwrap_or_else(|| access.guild.to_string());
            let created = stripe.create_customer(access.guild, &name).await?;
            // Two checkouts at once: the first customer stored wins, both use it.
            db::billing::set_customer(&state.db, access.guild, &created).await?;
            db::billing::customer(&state.db, access.guild).await?.unwrap_or(created)
        }
    };
    let url = stripe
        .checkout(
            access.guild,
            &customer,
            &back_to_dashboard(&state, "success"),
            &back_to_dashboard(&state, "cancelled"),
        )
        .await?;
    Ok(Json(RedirectUrl { url }))
}

/// Manage the subscription (card, invoices, cancel) in Stripe's Billing Portal.
#[utoipa::path(post, path = "/v1/guilds/{guild_id}/billing/portal", tag = "billing",
    operation_id = "open_billing_portal",
    params(("guild_id" = String, Path, description = "The guild's id")), security(("session" = [])),
    responses(
        (status = 200, description = "Where to send the browser: the Stripe billing portal", body = RedirectUrl),
        GuildErrors,
        (status = 409, description = "No billing account yet (start with checkout), or billing is not enabled", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn portal(State(state): State<ApiState>, access: Authorized<Session>) -> Result<Json<RedirectUrl>> {
    let stripe = stripe(&state)?;
    let customer = db::billing::customer(&state.db, access.guild)
        .await?
        .ok_or_else(|| Error::Conflict("this server has no billing account yet: start with checkout".into()))?;
    let url = stripe.portal(&customer, &back_to_dashboard(&state, "portal")).await?;
    Ok(Json(RedirectUrl { url }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookReceipt {
    pub received: bool,
    /// `applied`, `duplicate` (seen before, nothing changed) or `ignored` (a type we do not act on).
    pub result: String,
}

/// Stripe's webhook.
#[utoipa::path(post, path = "/v1/stripe/webhook", tag = "billing",
    operation_id = "receive_stripe_webhook",
    request_body(content = String, description = "The event, exactly as Stripe signed it", content_type = "application/json"),
    params(("Stripe-Signature" = String, Header, description = "t=<unix>,v1=<hex HMAC-SHA256>")),
    responses(
        (status = 200, description = "The event was received (and handled, or known already)", body = WebhookReceipt),
        (status = 400, description = "A missing, bad or stale signature, or not an event", body = ErrorBody),
        (status = 404, description = "Billing is not enabled on this instance (no webhook secret)", body = ErrorBody),
        (status = 413, description = "The body is larger than the API accepts", body = ErrorBody),
        (status = 429, description = "Too many deliveries from this address", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn webhook(
    State(state): State<ApiState>,
    _: PerIp<ip_limit::StripeWebhook>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<WebhookReceipt>> {
    if state.billing.webhook_secrets.is_empty() {
        return Err(Error::NotFound);
    }
    let header = headers.get("stripe-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
    signature::verify(header, &body, &state.billing.webhook_secrets, Utc::now().timestamp())
        .map_err(|e| Error::BadRequest(e.to_string()))?;
    let event: events::Event =
        serde_json::from_slice(&body).map_err(|e| Error::BadRequest(format!("not a Stripe event: {e}")))?;
    let result = match events::process(&state.db, &event).await? {
        Processed::Applied => "applied",
        Processed::Duplicate => "duplicate",
        Processed::Ignored => "ignored",
    };
    crate::metrics::stripe_event(&event.kind, result);
    Ok(Json(WebhookReceipt { received: true, result: result.to_owned() }))
}
