//! Stripe webhook events → subscription state. Each event is processed
//! exactly once: its id is recorded in the same transaction as its effect.
//! Events come late, twice and out of order; the merge in
//! `db::billing::apply` makes the stored state end right whatever the order.
//!
//! Events are read with our own small structs rather than a full Stripe
//! model: only a few fields matter, and they are read from both the current
//! API's shapes and older ones (e.g. `current_period_end` on the
//! subscription or on its items; an invoice's subscription at the top or
//! under `parent.subscription_details`).

use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;
use serde_json::Value;
use sqlx::PgPool;

use crate::db;
use crate::db::billing::SubscriptionUpdate;
use crate::domain::ids::GuildId;

#[derive(Debug, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub created: i64,
    pub data: EventData,
}

#[derive(Debug, Deserialize)]
pub struct EventData {
    pub object: Value,
}

/// What processing an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Processed {
    Applied,
    /// Seen before: nothing changed.
    Duplicate,
    /// A type we do not act on (recorded, so not processed again).
    Ignored,
}

/// An id that may come as a string or as an expanded object with an `id`.
fn id_of(value: &Value) -> Option<String> {
    match value {
        Value::String(id) => Some(id.clone()),
        Value::Object(map) => map.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

fn guild_of(metadata: &Value) -> Option<i64> {
    metadata.get("guild_id").and_then(Value::as_str).and_then(|id| id.parse::<i64>().ok()).filter(|id| *id > 0)
}

fn time(seconds: Option<i64>) -> Option<DateTime<Utc>> {
    seconds.and_then(|s| Utc.timestamp_opt(s, 0).single())
}

/// The state update an event carries, if it carries one.
pub fn update_of(event: &Event) -> Option<SubscriptionUpdate> {
    let object = &event.data.object;
    let at = time(Some(event.created))?;
    match event.kind.as_str() {
        "customer.subscription.created" | "customer.subscription.updated" | "customer.subscription.deleted" => {
            let period_end = object
                .get("current_period_end")
                .and_then(Value::as_i64)
                .or_else(|| object.pointer("/items/data/0/current_period_end").and_then(Value::as_i64));
            let ended = event.kind == "customer.subscription.deleted";
            Some(SubscriptionUpdate {
                subscription_id: id_of(object.get("id")?)?,
                guild_id: object.get("metadata").and_then(guild_of),
                customer_id: object.get("customer").and_then(id_of),
                status: if ended { "canceled".to_owned() } else { object.get("status")?.as_str()?.to_owned() },
                current_period_end: time(period_end),
                cancel_at_period_end: object.get("cancel_at_period_end").and_then(Value::as_bool),
                at,
                ended,
            })
        }
        "checkout.session.completed" => {
            if object.get("mode").and_then(Value::as_str) != Some("subscription") {
                return None;
            }
            let paid =
                matches!(object.get("payment_status").and_then(Value::as_str), Some("paid" | "no_payment_required"));
            let guild = object.get("metadata").and_then(guild_of).or_else(|| {
                object
                    .get("client_reference_id")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix("guild:"))
                    .and_then(|id| id.parse().ok())
            });
            Some(SubscriptionUpdate {
                subscription_id: id_of(object.get("subscription")?)?,
                guild_id: guild,
                customer_id: object.get("customer").and_then(id_of),
                status: if paid { "active" } else { "incomplete" }.to_owned(),
                at,
                ..SubscriptionUpdate::default()
            })
        }
        "invoice.paid" | "invoice.payment_succeeded" | "invoice.payment_failed" => {
            let subscription = object
                .get("subscription")
                .and_then(id_of)
                .or_else(|| object.pointer("/parent/subscription_details/subscription").and_then(id_of))?;
            let guild = object.pointer("/parent/subscription_details/metadata").and_then(guild_of);
            let failed = event.kind == "invoice.payment_failed";
            Some(SubscriptionUpdate {
                subscription_id: subscription,
                guild_id: guild,
                customer_id: object.get("customer").and_then(id_of),
                status: if failed { "past_due" } else { "active" }.to_owned(),
                at,
                ..SubscriptionUpdate::default()
            })
        }
        _ => None,
    }
}

/// Processes one verified event, exactly once.
#[tracing::instrument(skip(db, event), fields(event = %event.id, kind = %event.kind))]
pub async fn process(db: &PgPool, event: &Event) -> sqlx::Result<Processed> {
    let created = time(Some(event.created)).unwrap_or_else(Utc::now);
    let mut tx = db.begin().await?;
    if !db::billing::record_event(&mut tx, &event.id, &event.kind, created).await? {
        return Ok(Processed::Duplicate);
    }
    let Some(update) = update_of(event) else {
        tx.commit().await?;
        return Ok(Processed::Ignored);
    };
    db::billing::apply(&mut tx, &update).await?;
    if let (Some(guild), Some(customer)) = (update.guild_id, &update.customer_id) {
        db::billing::set_customer(&mut *tx, GuildId(guild as u64), customer).await?;
    }
    tx.commit().await?;
    tracing::info!(subscription = %update.subscription_id, status = %update.status, "billing event applied");
    Ok(Processed::Applied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(kind: &str, object: Value) -> Event {
        serde_json::from_value(
            json!({"id": "evt_1", "type": kind, "created": 1_800_000_000, "data": {"object": object}}),
        )
        .unwrap()
    }

    #[test]
    fn subscription_events_are_read_in_old_and_new_shapes() {
        let old = event(
            "customer.subscription.created",
            json!({"id": "sub_1", "status": "active", "customer": "cus_1", "metadata": {"guild_id": "42"}, "current_period_end": 1_800_100_000}),
        );
        let update = update_of(&old).unwrap();
        assert_eq!((update.guild_id, update.status.as_str(), update.ended), (Some(42), "active", false));
        assert_eq!(update.current_period_end.unwrap().timestamp(), 1_800_100_000);
        let new = event(
            "customer.subscription.deleted",
            json!({"id": "sub_1", "status": "active", "customer": {"id": "cus_1"}, "metadata": {},
                   "items": {"data": [{"current_period_end": 1_800_200_000}]}}),
        );
        let update = update_of(&new).unwrap();
        assert_eq!(
            (update.status.as_str(), update.ended, update.customer_id.as_deref()),
            ("canceled", true, Some("cus_1"))
        );
        assert_eq!(update.current_period_end.unwrap().timestamp(), 1_800_200_000);
    }

    #[test]
    fn invoices_and_checkouts_name_their_subscription() {
        let failed = event(
            "invoice.payment_failed",
            json!({"parent": {"subscription_details": {"subscription": "sub_9", "metadata": {"guild_id": "7"}}}}),
        );
        let update = update_of(&failed).unwrap();
        assert_eq!(
            (update.subscription_id.as_str(), update.status.as_str(), update.guild_id),
            ("sub_9", "past_due", Some(7))
        );
        let checkout = event(
            "checkout.session.completed",
            json!({"mode": "subscription", "subscription": "sub_3", "customer": "cus_3", "client_reference_id": "guild:5", "payment_status": "paid"}),
        );
        let update = update_of(&checkout).unwrap();
        assert_eq!((update.guild_id, update.status.as_str()), (Some(5), "active"));
        assert!(update_of(&event("checkout.session.completed", json!({"mode": "payment"}))).is_none());
        assert!(update_of(&event("customer.created", json!({"id": "cus_1"}))).is_none());
    }
}
