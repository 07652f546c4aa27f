//! Billing state (`subscriptions`, `billing_customers`, `stripe_events`).
//! The upsert in [`apply`] is where out-of-order and repeated webhook events
//! converge: an older event never overwrites a newer state, a deleted
//! subscription stays ended, and ids fill in whichever event brings them.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

use crate::domain::ids::GuildId;
use crate::domain::plan::Plan;
use crate::domain::plan::GRACE;

/// Records a webhook event; `false` if it was processed before (then its
/// effect is already stored: same transaction).
#[tracing::instrument(skip(tx))]
pub async fn record_event(
    tx: &mut PgConnection,
    event_id: &str,
    event_type: &str,
    created_at: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let inserted = sqlx::query!(
        "INSERT INTO stripe_events (event_id, event_type, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        event_id,
        event_type,
        created_at
    )
    .execute(&mut *tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// What one event says about a subscription; `None` fields say nothing.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionUpdate {
    pub subscription_id: String,
    pub guild_id: Option<i64>,
    pub customer_id: Option<String>,
    pub status: String,
    pub current_period_end: Option<DateTime<Utc>>,
    pub cancel_at_period_end: Option<bool>,
    /// The event's `created`.
    pub at: DateTime<Utc>,
    /// The subscription was deleted: final.
    pub ended: bool,
}

/// Merges `update` into the stored state (see the module's doc).
#[tracing::instrument(skip(tx))]
pub async fn apply(tx: &mut PgConnection, update: &SubscriptionUpdate) -> sqlx::Result<()> {
    sqlx::query!(
        r#"INSERT INTO subscriptions AS s (subscription_id, guild_id, customer_id, status, current_period_end,
                                           cancel_at_period_end, past_due_since, state_at, ended)
           VALUES ($1, $2, $3, $4, $5, COALESCE($6, false), CASE WHEN $4 = 'past_due' THEN $7::TIMESTAMPTZ END, $7, $8)
           ON CONFLICT (subscription_id) DO UPDATE SET
               guild_id = COALESCE(s.guild_id, EXCLUDED.guild_id),
               customer_id = COALESCE(s.customer_id, EXCLUDED.customer_id),
               status = CASE WHEN s.ended THEN s.status
                             WHEN EXCLUDED.ended OR EXCLUDED.state_at >= s.state_at THEN EXCLUDED.status
                             ELSE s.status END,
               current_period_end = CASE WHEN NOT s.ended AND (EXCLUDED.ended OR EXCLUDED.state_at >= s.state_at)
                                         THEN COALESCE(EXCLUDED.current_period_end, s.current_period_end)
                                         ELSE COALESCE(s.current_period_end, EXCLUDED.current_period_end) END,
               cancel_at_period_end = CASE WHEN NOT s.ended AND EXCLUDED.state_at >= s.state_at AND $6::BOOLEAN IS NOT NULL
                                           THEN $6 ELSE s.cancel_at_period_end END,
               past_due_since = CASE WHEN s.ended THEN s.past_due_since
                                     WHEN EXCLUDED.ended OR EXCLUDED.state_at >= s.state_at THEN
                                         CASE WHEN EXCLUDED.status = 'past_due'
                                              THEN LEAST(COALESCE(s.past_due_since, EXCLUDED.state_at), EXCLUDED.state_at)
                                         END
                                     ELSE s.past_due_since END,
               state_at = GREATEST(s.state_at, EXCLUDED.state_at),
               ended = s.ended OR EXCLUDED.ended,
               updated_at = now()"#,
        update.subscription_id,
        update.guild_id,
        update.customer_id,
        update.status,
        update.current_period_end,
        update.cancel_at_period_end,
        update.at,
        update.ended
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The guild's plan now.
#[tracing::instrument(skip(db))]
pub async fn plan(db: impl PgExecutor<'_>, guild: GuildId) -> sqlx::Result<Plan> {
    let grace_secs = GRACE.as_secs_f64();
    let premium = sqlx::query_scalar!(
        r#"SELECT EXISTS (
               SELECT 1 FROM subscriptions
               WHERE guild_id = $1 AND NOT ended
                 AND (status IN ('active', 'trialing')
                      OR (status = 'past_due' AND past_due_since > now() - make_interval(secs => $2)))
           ) AS "premium!""#,
        guild.db(),
        grace_secs
    )
    .fetch_one(db)
    .await?;
    Ok(if premium { Plan::Premium } else { Plan::Free })
}

#[derive(Debug, Clone)]
pub struct SubscriptionRow {
    pub subscription_id: String,
    pub customer_id: Option<String>,
    pub status: String,
    pub current_period_end: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
    pub past_due_since: Option<DateTime<Utc>>,
    pub ended: bool,
}

/// The guild's subscription that matters: a live one if any, else the latest.
#[tracing::instrument(skip(db))]
pub async fn current_subscription(db: impl PgExecutor<'_>, guild: GuildId) -> sqlx::Result<Option<SubscriptionRow>> {
    sqlx::query_as!(
        SubscriptionRow,
        "SELECT subscription_id, customer_id, status, current_period_end, cancel_at_period_end, past_due_since, ended
         FROM subscriptions WHERE guild_id = $1 ORDER BY ended, state_at DESC LIMIT 1",
        guild.db()
    )
    .fetch_optional(db)
    .await
}

/// The guild's Stripe customer, if it has one.
#[tracing::instrument(skip(db))]
pub async fn customer(db: impl PgExecutor<'_>, guild: GuildId) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!("SELECT stripe_customer_id FROM billing_customers WHERE guild_id = $1", guild.db())
        .fetch_optional(db)
        .await
}

/// Remembers the guild's Stripe customer (the first one wins).
#[tracing::instrument(skip(db))]
pub async fn set_customer(db: impl PgExecutor<'_>, guild: GuildId, customer: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO billing_customers (guild_id, stripe_customer_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        guild.db(),
        customer
    )
    .execute(db)
    .await?;
    Ok(())
}
