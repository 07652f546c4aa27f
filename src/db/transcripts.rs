//! Stored transcripts of closed tickets.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use crate::domain::ids::GuildId;

/// A transcript to store.
pub struct NewTranscript<'a> {
    pub ticket_id: i64,
    pub guild: GuildId,
    /// The staff channel's full page.
    pub html: &'a str,
    /// A modmail user's own page (`None` for panel tickets, whose member saw
    /// the channel).
    pub member_html: Option<&'a str>,
    pub message_count: i32,
    pub expires_at: DateTime<Utc>,
}

/// Stores a ticket's transcripts; `false` if it already has them (a replayed
/// close), which are kept.
#[tracing::instrument(skip(db, new), fields(ticket = new.ticket_id))]
pub async fn save(db: impl PgExecutor<'_>, new: &NewTranscript<'_>) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"INSERT INTO transcripts (ticket_id, guild_id, html, member_html, message_count, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (ticket_id) DO NOTHING"#,
        new.ticket_id,
        new.guild.db(),
        new.html,
        new.member_html,
        new.message_count,
        new.expires_at
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[tracing::instrument(skip(db))]
pub async fn exists(db: impl PgExecutor<'_>, ticket_id: i64) -> sqlx::Result<bool> {
    sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM transcripts WHERE ticket_id = $1) AS "found!""#, ticket_id)
        .fetch_one(db)
        .await
}

/// Deletes up to `batch` transcripts past their expiry; returns how many.
#[tracing::instrument(skip(db))]
pub async fn delete_expired(db: impl PgExecutor<'_>, batch: i64) -> sqlx::Result<u64> {
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
pub async fn html(db: impl PgExecutor<'_>, ticket_id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!("SELECT html FROM transcripts WHERE ticket_id = $1 AND expires_at > now()", ticket_id)
        .fetch_optional(db)
        .await
}

/// The page a ticket's user may read through the signed link: a modmail
/// user's own transcript, or a panel ticket's channel page (its member saw
/// the channel). `None` when expired, or for a modmail transcript made before
/// user transcripts existed (never the staff page instead).
#[tracing::instrument(skip(db))]
pub async fn member_html(db: impl PgExecutor<'_>, ticket_id: i64) -> sqlx::Result<Option<String>> {
    let page = sqlx::query_scalar!(
        r#"SELECT CASE WHEN t.kind = 'panel' THEN x.html ELSE x.member_html END AS page
           FROM transcripts x JOIN tickets t USING (ticket_id)
           WHERE x.ticket_id = $1 AND x.expires_at > now()"#,
        ticket_id
    )
    .fetch_optional(db)
    .await?;
    Ok(page.flatten())
}
