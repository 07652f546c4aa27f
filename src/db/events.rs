//! The ticket activity log (`ticket_events`): what happened to a ticket
//! besides relayed messages, shown by `/logs` and served by the API.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use crate::domain::ids::UserId;

#[derive(Debug, Clone)]
pub struct TicketEvent {
    pub kind: String,
    pub actor: Option<UserId>,
    pub detail: String,
    pub at: DateTime<Utc>,
}

#[tracing::instrument(skip(db, detail))]
pub async fn record(
    db: impl PgExecutor<'_>,
    ticket_id: i64,
    kind: &str,
    actor: Option<UserId>,
    detail: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO ticket_events (ticket_id, kind, actor_id, detail) VALUES ($1, $2, $3, $4)",
        ticket_id,
        kind,
        actor.map(UserId::db),
        detail
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The ticket's latest events, oldest first.
#[tracing::instrument(skip(db))]
pub async fn latest(db: impl PgExecutor<'_>, ticket_id: i64, limit: i64) -> sqlx::Result<Vec<TicketEvent>> {
    let mut rows = sqlx::query!(
        r#"SELECT kind, actor_id, detail, created_at FROM ticket_events
           WHERE ticket_id = $1 ORDER BY event_id DESC LIMIT $2"#,
        ticket_id,
        limit
    )
    .fetch_all(db)
    .await?;
    rows.reverse();
    Ok(rows
        .into_iter()
        .map(|r| TicketEvent {
            kind: r.kind,
            actor: r.actor_id.map(UserId::from_db),
            detail: r.detail,
            at: r.created_at,
        })
        .collect())
}
