//! Dashboard sessions (`api_sessions`): keyed by the SHA-256 of the cookie's
//! random id, holding Discord's OAuth2 tokens encrypted.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// A live session as the API reads it.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub session_hash: Vec<u8>,
    pub user_id: i64,
    pub user_name: String,
    pub access_token: Vec<u8>,
    pub refresh_token: Option<Vec<u8>>,
    pub access_expires_at: DateTime<Utc>,
}

/// What a login stores.
pub struct NewSession<'a> {
    pub session_hash: &'a [u8],
    pub user_id: i64,
    pub user_name: &'a str,
    pub access_token: &'a [u8],
    pub refresh_token: Option<&'a [u8]>,
    pub access_expires_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[tracing::instrument(skip_all, fields(user = session.user_id))]
pub async fn create(db: impl PgExecutor<'_>, session: NewSession<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO api_sessions (session_hash, user_id, user_name, access_token, refresh_token, access_expires_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        session.session_hash,
        session.user_id,
        session.user_name,
        session.access_token,
        session.refresh_token,
        session.access_expires_at,
        session.expires_at
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The session with this hash, unless it has expired.
#[tracing::instrument(skip_all)]
pub async fn find(db: impl PgExecutor<'_>, session_hash: &[u8]) -> sqlx::Result<Option<SessionRow>> {
    sqlx::query_as!(
        SessionRow,
        "SELECT session_hash, user_id, user_name, access_token, refresh_token, access_expires_at
         FROM api_sessions WHERE session_hash = $1 AND expires_at > now()",
        session_hash
    )
    .fetch_optional(db)
    .await
}

/// Stores the tokens Discord gave on a refresh.
#[tracing::instrument(skip_all)]
pub async fn update_tokens(
    db: impl PgExecutor<'_>,
    session_hash: &[u8],
    access_token: &[u8],
    refresh_token: Option<&[u8]>,
    access_expires_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE api_sessions SET access_token = $2, refresh_token = COALESCE($3, refresh_token), access_expires_at = $4
         WHERE session_hash = $1",
        session_hash,
        access_token,
        refresh_token,
        access_expires_at
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Ends a session (logout, or Discord refused its token).
#[tracing::instrument(skip_all)]
pub async fn delete(db: impl PgExecutor<'_>, session_hash: &[u8]) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM api_sessions WHERE session_hash = $1", session_hash).execute(db).await?;
    Ok(())
}

/// Removes expired sessions; returns how many.
#[tracing::instrument(skip_all)]
pub async fn purge_expired(db: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    Ok(sqlx::query!("DELETE FROM api_sessions WHERE expires_at <= now()").execute(db).await?.rows_affected())
}
