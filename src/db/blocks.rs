//! Users blocked from opening tickets in a guild (`/block`, `/unblock`).

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use crate::domain::ids::{GuildId, UserId};

/// Blocks (or re-blocks, with a new reason and expiry) a user in a guild. A
/// new block is told to the user again.
#[tracing::instrument(skip(db, reason))]
pub async fn block(
    db: impl PgExecutor<'_>,
    guild: GuildId,
    user: UserId,
    by: UserId,
    reason: &str,
    expires_at: Option<DateTime<Utc>>,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"INSERT INTO blocked_users (guild_id, user_id, blocked_by, reason, expires_at)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (guild_id, user_id) DO UPDATE
           SET blocked_by = EXCLUDED.blocked_by, reason = EXCLUDED.reason, expires_at = EXCLUDED.expires_at,
               notified_at = NULL, created_at = now()"#,
        guild.db(),
        user.db(),
        by.db(),
        reason,
        expires_at
    )
    .execute(db)
    .await?;
    Ok(())
}

/// `false` if the user was not blocked there (or the block had run out).
#[tracing::instrument(skip(db))]
pub async fn unblock(db: impl PgExecutor<'_>, guild: GuildId, user: UserId) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"DELETE FROM blocked_users WHERE guild_id = $1 AND user_id = $2
           RETURNING (expires_at IS NULL OR expires_at > now()) AS "active!""#,
        guild.db(),
        user.db()
    )
    .fetch_optional(db)
    .await?;
    Ok(done.is_some_and(|r| r.active))
}

/// The guilds where the user is blocked right now.
#[tracing::instrument(skip(db))]
pub async fn blocked_guilds(db: impl PgExecutor<'_>, user: UserId) -> sqlx::Result<Vec<GuildId>> {
    let ids = sqlx::query_scalar!(
        "SELECT guild_id FROM blocked_users WHERE user_id = $1 AND (expires_at IS NULL OR expires_at > now())",
        user.db()
    )
    .fetch_all(db)
    .await?;
    Ok(ids.into_iter().map(GuildId::from_db).collect())
}

/// Marks the user as told about their blocks; returns the guilds they had not
/// been told about yet (so each block is told once).
#[tracing::instrument(skip(db))]
pub async fn take_untold(db: impl PgExecutor<'_>, user: UserId, guilds: &[GuildId]) -> sqlx::Result<Vec<GuildId>> {
    let ids: Vec<i64> = guilds.iter().map(|g| g.db()).collect();
    let told = sqlx::query_scalar!(
        r#"UPDATE blocked_users SET notified_at = now()
           WHERE user_id = $1 AND guild_id = ANY($2) AND notified_at IS NULL
           RETURNING guild_id"#,
        user.db(),
        &ids
    )
    .fetch_all(db)
    .await?;
    Ok(told.into_iter().map(GuildId::from_db).collect())
}

#[derive(Debug, Clone)]
pub struct BlockRow {
    pub user_id: i64,
    pub blocked_by: i64,
    pub reason: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// The guild's blocks in force, newest first.
#[tracing::instrument(skip(db))]
pub async fn list(db: impl PgExecutor<'_>, guild: GuildId) -> sqlx::Result<Vec<BlockRow>> {
    sqlx::query_as!(
        BlockRow,
        "SELECT user_id, blocked_by, reason, expires_at, created_at FROM blocked_users
         WHERE guild_id = $1 AND (expires_at IS NULL OR expires_at > now()) ORDER BY created_at DESC",
        guild.db()
    )
    .fetch_all(db)
    .await
}
