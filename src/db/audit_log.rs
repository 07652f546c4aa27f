//! The audit log (`audit_log`): every write made through the API, with who
//! made it. Written in the same transaction as the change it records.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgExecutor;

pub use crate::domain::actor::AuditActor;

#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub entry_id: i64,
    pub actor_user_id: Option<i64>,
    pub actor_token_id: Option<i64>,
    pub action: String,
    pub target: String,
    pub changes: Value,
    pub created_at: DateTime<Utc>,
}

#[tracing::instrument(skip(db, changes))]
pub async fn record(
    db: impl PgExecutor<'_>,
    guild_id: i64,
    actor: AuditActor,
    action: &str,
    target: &str,
    changes: &Value,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO audit_log (guild_id, actor_user_id, actor_token_id, action, target, changes)
         VALUES ($1, $2, $3, $4, $5, $6)",
        guild_id,
        actor.user_id,
        actor.token_id,
        action,
        target,
        changes
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A page of the guild's log, newest first, before entry `before` if given.
#[tracing::instrument(skip(db))]
pub async fn page(
    db: impl PgExecutor<'_>,
    guild_id: i64,
    before: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<AuditEntry>> {
    sqlx::query_as!(
        AuditEntry,
        "SELECT entry_id, actor_user_id, actor_token_id, action, target, changes, created_at
         FROM audit_log WHERE guild_id = $1 AND ($2::BIGINT IS NULL OR entry_id < $2)
         ORDER BY entry_id DESC LIMIT $3",
        guild_id,
        before,
        limit
    )
    .fetch_all(db)
    .await
}
