//! The calls Ticketeer makes to Stripe, through async-stripe: a guild's
//! customer, a Checkout Session for Premium, and a Billing Portal session.
//! Requests are async-stripe's builders; answers are read into the few
//! fields we use (`customize`), so any Stripe-compatible server (and any API
//! version) that returns them works.

use std::collections::HashMap;

use anyhow::Context as _;
use secrecy::ExposeSecret as _;
use stripe::StripeRequest as _;
use stripe_billing::billing_portal_session::CreateBillingPortalSession;
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionSubscriptionData,
};
use stripe_checkout::CheckoutSessionMode;
use stripe_core::customer::CreateCustomer;

use crate::config::BillingConfig;
use crate::domain::ids::GuildId;

/// Stripe, for one bot.
#[derive(Clone)]
pub struct StripeApi {
    client: stripe::Client,
    premium_price: String,
}

#[derive(Debug, miniserde::Deserialize)]
struct Created {
    id: String,
}

#[derive(Debug, miniserde::Deserialize)]
struct WithUrl {
    url: Option<String>,
}

impl StripeApi {
    /// `None` when billing is not configured (no secret key or price).
    pub fn from_config(config: &BillingConfig) -> anyhow::Result<Option<Self>> {
        let (Some(key), Some(price)) = (&config.stripe_secret_key, &config.premium_price) else {
            return Ok(None);
        };
        // async-stripe joins "{base}v1/…": the base ends with a slash.
        let client = stripe::ClientBuilder::new(key.expose_secret())
            .url(format!("{}/", config.stripe_api_url))
            .build()
            .context("building the Stripe client")?;
        Ok(Some(Self { client, premium_price: price.clone() }))
    }

    fn guild_metadata(guild: GuildId) -> HashMap<String, String> {
        HashMap::from([("guild_id".to_owned(), guild.to_string())])
    }

    /// A new customer for the guild.
    #[tracing::instrument(skip(self))]
    pub async fn create_customer(&self, guild: GuildId, name: &str) -> anyhow::Result<String> {
        let created: Created = CreateCustomer::new()
            .name(name)
            .metadata(Self::guild_metadata(guild))
            .build()
            .customize::<Created>()
            .send(&self.client)
            .await
            .context("creating a Stripe customer")?;
        Ok(created.id)
    }

    /// A Checkout Session for Premium (subscription mode, the guild in the
    /// session's and the subscription's metadata); returns its URL.
    #[tracing::instrument(skip(self))]
    pub async fn checkout(
        &self,
        guild: GuildId,
        customer: &str,
        success_url: &str,
        cancel_url: &str,
    ) -> anyhow::Result<String> {
        let mut item = CreateCheckoutSessionLineItems::new();
        item.price = Some(self.premium_price.clone());
        item.quantity = Some(1);
        let mut subscription = CreateCheckoutSessionSubscriptionData::new();
        subscription.metadata = Some(Self::guild_metadata(guild));
        let session: WithUrl = CreateCheckoutSession::new()
            .mode(CheckoutSessionMode::Subscription)
            .customer(customer)
            .client_reference_id(format!("guild:{guild}"))
            .metadata(Self::guild_metadata(guild))
            .line_items(vec![item])
            .subscription_data(subscription)
            .success_url(success_url)
            .cancel_url(cancel_url)
            .build()
            .customize::<WithUrl>()
            .send(&self.client)
            .await
            .context("creating a Stripe Checkout Session")?;
        session.url.context("Stripe returned a Checkout Session without a URL")
    }

    /// A Billing Portal session for the customer; returns its URL.
    #[tracing::instrument(skip(self))]
    pub async fn portal(&self, customer: &str, return_url: &str) -> anyhow::Result<String> {
        let session: WithUrl = CreateBillingPortalSession::new()
            .customer(customer)
            .return_url(return_url)
            .build()
            .customize::<WithUrl>()
            .send(&self.client)
            .await
            .context("creating a Stripe Billing Portal session")?;
        session.url.context("Stripe returned a portal session without a URL")
    }
}
