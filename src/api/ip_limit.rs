//! Per-address rate limits on the routes that have no caller to count: the
//! login, the OAuth2 callback, the signed transcript link and Stripe's
//! webhook. Each route has its own budget per client address (`client_ip.rs`)
//! and minute, counted in Redis so the whole fleet shares it; past it, a 429
//! with `Retry-After` and `ticketeer_api_ip_rate_limited_total{route}`.
//!
//! A handler opts in by taking [`PerIp`] first, naming its route in the type,
//! so the count happens before anything else the request would cost (a
//! database read, a call to Discord).

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::rate_limit;
use super::{client_ip, ApiState, AuthState, Error};

/// A route limited per address.
pub trait IpRoute: Send + Sync + 'static {
    /// The route's name in Redis keys and in the metric's `route` label.
    const NAME: &'static str;
    /// Requests per minute one address may make.
    fn per_minute(auth: &AuthState) -> u32;
}

macro_rules! ip_routes {
    ($($(#[$doc:meta])* $name:ident => $label:literal, $budget:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;
        impl IpRoute for $name {
            const NAME: &'static str = $label;
            fn per_minute(auth: &AuthState) -> u32 {
                auth.$budget
            }
        }
    )*};
}

ip_routes! {
    /// `GET /v1/auth/login`.
    Login => "login", ip_rate_limit_per_minute;
    /// `GET /v1/auth/callback`.
    Callback => "callback", ip_rate_limit_per_minute;
    /// `GET /v1/transcripts/{ticket_id}` (the signed link).
    TranscriptLink => "transcript_link", ip_rate_limit_per_minute;
    /// `POST /v1/stripe/webhook`: Stripe sends bursts from a few addresses.
    StripeWebhook => "stripe_webhook", webhook_rate_limit_per_minute;
}

/// Proof that the request's address was within `R`'s budget.
#[derive(Debug)]
pub struct PerIp<R: IpRoute>(PhantomData<R>);

impl<R: IpRoute> FromRequestParts<ApiState> for PerIp<R> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Error> {
        let address = client_ip::client_address(parts, state.auth.trusted_proxy_hops);
        let key = state.auth.keys.api_ip_rate(R::NAME, &client_ip::bucket(address));
        match rate_limit::spend(state, &key, R::per_minute(&state.auth)).await {
            Some(retry_after) => {
                crate::metrics::api_ip_rate_limited(R::NAME);
                Err(Error::RateLimited { retry_after })
            }
            None => Ok(Self(PhantomData)),
        }
    }
}
