//! API tokens (`api_tokens`): one guild, some scopes, an expiry, only the
//! secret's SHA-256 stored. Expired and revoked tokens are neither listed,
//! counted against the guild's limit, nor accepted.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

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
    pub expires_at: DateTime<Utc>,
}

/// `last_used_at` is written at most this often per token, so a busy token
/// does not write on every request.
pub const LAST_USED_PRECISION_SECS: i64 = 60;

#[tracing::instrument(skip(db, token_hash))]
pub async fn create(
    db: impl PgExecutor<'_>,
    guild_id: i64,
    name: &str,
    scopes: &[String],
    token_hash: &[u8],
    created_by: i64,
    expires_at: DateTime<Utc>,
) -> sqlx::Result<TokenRow> {
    sqlx::query_as!(
        TokenRow,
        "INSERT INTO api_tokens (guild_id, name, scopes, token_hash, created_by, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING token_id, guild_id, name, scopes, created_by, created_at, last_used_at, expires_at",
        guild_id,
        name,
        scopes,
        token_hash,
        created_by,
        expires_at
    )
    .fetch_one(db)
    .await
}

/// The live (unrevoked, unexpired) token with this hash.
#[tracing::instrument(skip_all)]
pub async fn authenticate(db: impl PgExecutor<'_>, token_hash: &[u8]) -> sqlx::Result<Option<TokenRow>> {
    sqlx::query_as!(
        TokenRow,
        "SELECT token_id, guild_id, name, scopes, created_by, created_at, last_used_at, expires_at
         FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()",
        token_hash
    )
    .fetch_optional(db)
    .await
}

/// Records that `token` was used, unless that was recorded within the last
/// [`LAST_USED_PRECISION_SECS`]: then nothing is sent at all, and of several
/// processes racing past that check only one writes.
#[tracing::instrument(skip_all, fields(token = token.token_id))]
pub async fn mark_used(db: impl PgExecutor<'_>, token: &TokenRow) -> sqlx::Result<()> {
    let recent = chrono::Duration::seconds(LAST_USED_PRECISION_SECS);
    if token.last_used_at.is_some_and(|at| Utc::now() - at < recent) {
        return Ok(());
    }
    sqlx::query!(
        "UPDATE api_tokens SET last_used_at = now()
         WHERE token_id = $1 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))",
        token.token_id,
        LAST_USED_PRECISION_SECS as f64
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The guild's live tokens, newest first.
#[tracing::instrument(skip(db))]
pub async fn list(db: impl PgExecutor<'_>, guild_id: i64) -> sqlx::Result<Vec<TokenRow>> {
    sqlx::query_as!(
        TokenRow,
        "SELECT token_id, guild_id, name, scopes, created_by, created_at, last_used_at, expires_at
         FROM api_tokens WHERE guild_id = $1 AND revoked_at IS NULL AND expires_at > now() ORDER BY token_id DESC",
        guild_id
    )
    .fetch_all(db)
    .await
}

/// Revokes one of the guild's tokens; returns it, or `None` if the guild has
/// no such live token. Revoking twice finds nothing the second time.
#[tracing::instrument(skip(db))]
pub async fn revoke(db: impl PgExecutor<'_>, guild_id: i64, token_id: i64) -> sqlx::Result<Option<TokenRow>> {
    sqlx::query_as!(
        TokenRow,
        "UPDATE api_tokens SET revoked_at = now()
         WHERE guild_id = $1 AND token_id = $2 AND revoked_at IS NULL
         RETURNING token_id, guild_id, name, scopes, created_by, created_at, last_used_at, expires_at",
        guild_id,
        token_id
    )
    .fetch_optional(db)
    .await
}

/// How many live tokens the guild has (bounded per guild; expired ones free
/// their place).
#[tracing::instrument(skip(db))]
pub async fn count(db: impl PgExecutor<'_>, guild_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM api_tokens WHERE guild_id = $1 AND revoked_at IS NULL AND expires_at > now()"#,
        guild_id
    )
    .fetch_one(db)
    .await
}
