//! API tokens (`api_tokens`): one guild, some scopes, only the secret's
//! SHA-256 stored.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// A token as listed (never with its secret, which is not stored).
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub token_id: i64,
    pub guild_id: i64,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

#[tracing::instrument(skip(db, token_hash))]
pub async fn create(
    db: impl sqlx::PgExecutor<'_>,
    guild_id: i64,
    name: &str,
    scopes: &[String],
    token_hash: &[u8],
    created_by: i64,
) -> sqlx::Result<TokenRow> {
    sqlx::query_as!(
        TokenRow,
        "INSERT INTO api_tokens (guild_id, name, scopes, token_hash, created_by) VALUES ($1, $2, $3, $4, $5)
         RETURNING token_id, guild_id, name, scopes, created_by, created_at, last_used_at",
        guild_id,
        name,
        scopes,
        token_hash,
        created_by
    )
    .fetch_one(db)
    .await
}

/// The unrevoked token with this hash, marking it used (at most once a minute,
/// so a busy token does not write on every request).
#[tracing::instrument(skip_all)]
pub async fn authenticate(db: &PgPool, token_hash: &[u8]) -> sqlx::Result<Option<TokenRow>> {
    let row = sqlx::query_as!(
        TokenRow,
        "SELECT token_id, guild_id, name, scopes, created_by, created_at, last_used_at
         FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
        token_hash
    )
    .fetch_optional(db)
    .await?;
    if let Some(token) = &row {
        if token.last_used_at.is_none_or(|at| Utc::now() - at > chrono::Duration::minutes(1)) {
            sqlx::query!("UPDATE api_tokens SET last_used_at = now() WHERE token_id = $1", token.token_id)
                .execute(db)
                .await?;
        }
    }
    Ok(row)
}

/// The guild's unrevoked tokens, newest first.
#[tracing::instrument(skip(db))]
pub async fn list(db: &PgPool, guild_id: i64) -> sqlx::Result<Vec<TokenRow>> {
    sqlx::query_as!(
        TokenRow,
        "SELECT token_id, guild_id, name, scopes, created_by, created_at, last_used_at
         FROM api_tokens WHERE guild_id = $1 AND revoked_at IS NULL ORDER BY token_id DESC",
        guild_id
    )
    .fetch_all(db)
    .await
}

/// Revokes one of the guild's tokens; returns it, or `None` if the guild has
/// no such live token. Revoking twice finds nothing the second time.
#[tracing::instrument(skip(db))]
pub async fn revoke(db: impl sqlx::PgExecutor<'_>, guild_id: i64, token_id: i64) -> sqlx::Result<Option<TokenRow>> {
    sqlx::query_as!(
        TokenRow,
        "UPDATE api_tokens SET revoked_at = now()
         WHERE guild_id = $1 AND token_id = $2 AND revoked_at IS NULL
         RETURNING token_id, guild_id, name, scopes, created_by, created_at, last_used_at",
        guild_id,
        token_id
    )
    .fetch_optional(db)
    .await
}

/// How many live tokens the guild has (bounded per guild).
#[tracing::instrument(skip(db))]
pub async fn count(db: impl sqlx::PgExecutor<'_>, guild_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM api_tokens WHERE guild_id = $1 AND revoked_at IS NULL"#,
        guild_id
    )
    .fetch_one(db)
    .await
}
