//! Free and Premium, per guild, and what each allows. A guild is Premium while
//! one of its subscriptions is active or trialing, or past due for less than
//! the grace period; otherwise Free. Derived from `subscriptions` at each
//! check (no cache), so a webhook's change applies everywhere at once.

use std::time::Duration;

use serde::Serialize;
use utoipa::ToSchema;

/// How long a subscription whose payment failed stays Premium.
pub const GRACE: Duration = Duration::from_secs(7 * 86_400);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    Free,
    Premium,
}

/// What a plan allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub ticket_types: usize,
    pub modmail_categories: usize,
    pub snippets: usize,
    pub api_tokens: i64,
    pub transcript_days: i64,
}

impl Plan {
    pub fn limits(self) -> Limits {
        match self {
            Plan::Free => {
                Limits { ticket_types: 3, modmail_categories: 2, snippets: 10, api_tokens: 2, transcript_days: 30 }
            }
            Plan::Premium => {
                Limits { ticket_types: 25, modmail_categories: 25, snippets: 200, api_tokens: 25, transcript_days: 365 }
            }
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Plan::Free => "Free",
            Plan::Premium => "Premium",
        }
    }
}

/// The sentence a refusal ends with when the Free plan's limit is reached.
pub fn needs_premium(what: &str, free_limit: usize) -> String {
    format!(
        "The Free plan allows {free_limit} {what}; Premium allows more. A server admin can upgrade in the dashboard."
    )
}
