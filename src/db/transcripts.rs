//! Stored transcripts of closed tickets.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::tickets::ids::GuildId;

/// Stores a ticket's transcript; `false` if it already has one (a replayed
/// close), which is kept.
#[tracing::instrument(skip(db, html))]
pub async fn save(
    db: &PgPool,
    ticket_id: i64,
    guild: GuildId,
    html: &str,
    message_count: i32,
    expires_at: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"INSERT INTO transcripts (ticket_id, guild_id, html, message_count, expires_at)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (ticket_id) DO NOTHING"#,
        ticket_id,
        guild.db(),
        html,
        message_count,
        expires_at
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[tracing::instrument(skip(db))]
pub async fn exists(db: &PgPool, ticket_id: i64) -> sqlx::Result<bool> {
    sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM transcripts WHERE ticket_id = $1) AS "found!""#, ticket_id)
        .fetch_one(db)
        .await
}

/// Deletes up to `batch` transcripts past their expiry; returns how many.
#[tracing::instrument(skip(db))]
pub async fn delete_expired(db: &PgPool, batch: i64) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        r#"DELETE FROM transcripts WHERE ticket_id IN
               (SELECT ticket_id FROM transcripts WHERE expires_at < now() ORDER BY expires_at LIMIT $1)"#,
        batch
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// A transcript's page, unless it has expired.
#[tracing::instrument(skip(db))]
pub async fn html(db: &PgPool, ticket_id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!("SELECT html FROM transcripts WHERE ticket_id = $1 AND expires_at > now()", ticket_id)
        .fetch_optional(db)
        .await
}
