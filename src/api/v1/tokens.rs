//! API tokens of a guild: made by a logged-in admin for automation, shown
//! once, stored only as a hash, listed without the secret, revocable. Each
//! expires (90 days by default, at most 365), and works only while its
//! creator still manages the guild (`auth/authority.rs`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json as JsonResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::api::auth::access::{Authorized, Session};
use crate::api::auth::{Scope, TOKEN_PREFIX};
use crate::api::error_body::{BodyErrors, ErrorBody, GuildErrors};
use crate::api::extract::{Json, Path};
use crate::api::{ApiState, Error, Result};
use crate::crypto;
use crate::db;

/// Live tokens a guild may have at once.
pub const MAX_TOKENS_PER_GUILD: i64 = 25;
/// A token's lifetime when its creator names none.
pub const DEFAULT_TOKEN_DAYS: i64 = 90;
/// The longest lifetime a token may be given: a forgotten token dies within a year.
pub const MAX_TOKEN_DAYS: i64 = 365;

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewToken {
    /// What the token is for (1 to 100 characters).
    pub name: String,
    /// At least one of `settings:read`, `settings:write`, `tickets:read`, `audit_log:read`.
    pub scopes: Vec<String>,
    /// Days until the token expires: 1 to 365; 90 when neither this nor
    /// `expires_at` is given.
    #[serde(default)]
    pub expires_in_days: Option<i64>,
    /// When the token expires (RFC 3339), at most 365 days ahead; instead of
    /// `expires_in_days`.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// When the token last authenticated a request (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// After this the token is refused (401).
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub token: TokenView,
    /// The secret, shown this once: send it as `Authorization: Bearer …`.
    pub secret: String,
}

impl From<db::api_tokens::TokenRow> for TokenView {
    fn from(row: db::api_tokens::TokenRow) -> Self {
        TokenView {
            id: row.token_id.to_string(),
            name: row.name,
            scopes: row.scopes,
            created_by: row.created_by.to_string(),
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            expires_at: row.expires_at,
        }
    }
}

/// The guild's live tokens (never their secrets).
#[utoipa::path(get, path = "/v1/guilds/{guild_id}/tokens", tag = "tokens",
    operation_id = "list_tokens",
    params(("guild_id" = String, Path, description = "The guild's id")), security(("session" = [])),
    responses(
        (status = 200, description = "The guild's API tokens (never their secrets)", body = [TokenView]),
        GuildErrors,
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn list(State(state): State<ApiState>, access: Authorized<Session>) -> Result<JsonResponse<Vec<TokenView>>> {
    let tokens = db::api_tokens::list(&state.db, access.guild_db()).await?;
    Ok(JsonResponse(tokens.into_iter().map(TokenView::from).collect()))
}

/// Makes a token; its secret is in this answer only.
#[utoipa::path(post, path = "/v1/guilds/{guild_id}/tokens", tag = "tokens", request_body = NewToken,
    operation_id = "create_token",
    params(("guild_id" = String, Path, description = "The guild's id")), security(("session" = [])),
    responses(
        (status = 201, description = "The token made, with its secret (shown only this once)", body = CreatedToken),
        GuildErrors, BodyErrors,
        (status = 402, description = "The Free plan's token limit; Premium allows more", body = ErrorBody),
        (status = 409, description = "Refused by the ticket core (see its message)", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn create(
    State(state): State<ApiState>,
    access: Authorized<Session>,
    Json(new): Json<NewToken>,
) -> Result<(StatusCode, JsonResponse<CreatedToken>)> {
    let name = new.name.trim();
    let mut problems = Vec::new();
    if name.is_empty() || name.chars().count() > 100 {
        problems.push(("name", "must be 1 to 100 characters".to_owned()));
    }
    let mut scopes: Vec<Scope> = Vec::new();
    for raw in &new.scopes {
        match Scope::parse(raw) {
            Some(scope) if !scopes.contains(&scope) => scopes.push(scope),
            Some(_) => {}
            None => problems.push(("scopes", format!("unknown scope {raw:?}"))),
        }
    }
    if new.scopes.is_empty() {
        problems.push(("scopes", "name at least one scope".to_owned()));
    }
    let now = Utc::now();
    let expires_at = match expiry(&new, now) {
        Ok(at) => Some(at),
        Err(problem) => {
            problems.push(problem);
            None
        }
    };
    if !problems.is_empty() {
        return Err(Error::unprocessable(problems));
    }

    let secret = format!("{TOKEN_PREFIX}{}", crypto::random_secret(32));
    let scope_names: Vec<String> = scopes.iter().map(|s| s.as_str().to_owned()).collect();
    let mut tx = state.db.begin().await?;
    // One writer per guild at a time, so the limit holds under concurrency.
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended('api_tokens:' || $1::TEXT, 0))",
        access.guild_db().to_string()
    )
    .execute(&mut *tx)
    .await?;
    let limit = db::billing::plan(&mut *tx, access.guild).await?.limits().api_tokens.min(MAX_TOKENS_PER_GUILD);
    if db::api_tokens::count(&mut *tx, access.guild_db()).await? >= limit {
        if limit < MAX_TOKENS_PER_GUILD {
            return Err(Error::PlanRequired(crate::domain::plan::needs_premium("API tokens", limit as usize).into()));
        }
        return Err(Error::Conflict(format!("a guild can have {limit} tokens; revoke one first").into()));
    }
    let actor = access.caller.actor();
    let row = db::api_tokens::create(
        &mut *tx,
        access.guild_db(),
        name,
        &scope_names,
        &crypto::hash_secret(&secret),
        actor.user_id.unwrap_or_default(),
        expires_at.unwrap_or(now),
    )
    .await?;
    db::audit_log::record(
        &mut *tx,
        access.guild_db(),
        actor,
        "token.create",
        &format!("token:{}", row.token_id),
        &json!({ "name": name, "scopes": scope_names, "expires_at": row.expires_at }),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, JsonResponse(CreatedToken { token: row.into(), secret })))
}

/// When a new token expires: from `expires_in_days` or `expires_at` (not
/// both), else [`DEFAULT_TOKEN_DAYS`] from `now`; or the field and its problem.
fn expiry(new: &NewToken, now: DateTime<Utc>) -> Result<DateTime<Utc>, (&'static str, String)> {
    let latest = now + chrono::Duration::days(MAX_TOKEN_DAYS);
    match (new.expires_in_days, new.expires_at) {
        (Some(_), Some(_)) => Err(("expires_at", "give expires_in_days or expires_at, not both".to_owned())),
        (Some(days), None) if (1..=MAX_TOKEN_DAYS).contains(&days) => Ok(now + chrono::Duration::days(days)),
        (Some(_), None) => Err(("expires_in_days", format!("must be 1 to {MAX_TOKEN_DAYS} days"))),
        (None, Some(at)) if at <= now => Err(("expires_at", "must be in the future".to_owned())),
        (None, Some(at)) if at > latest => Err(("expires_at", format!("must be at most {MAX_TOKEN_DAYS} days ahead"))),
        (None, Some(at)) => Ok(at),
        (None, None) => Ok(now + chrono::Duration::days(DEFAULT_TOKEN_DAYS)),
    }
}

/// Revokes a token at once.
#[utoipa::path(delete, path = "/v1/guilds/{guild_id}/tokens/{token_id}", tag = "tokens",
    operation_id = "revoke_token",
    params(("guild_id" = String, Path, description = "The guild's id"), ("token_id" = String, Path, description = "The token's id")),
    security(("session" = [])),
    responses(
        (status = 204, description = "Revoked"),
        GuildErrors,
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn revoke(
    State(state): State<ApiState>,
    access: Authorized<Session>,
    Path(ids): Path<(String, i64)>,
) -> Result<StatusCode> {
    let token_id = ids.1;
    let mut tx = state.db.begin().await?;
    let revoked = db::api_tokens::revoke(&mut *tx, access.guild_db(), token_id).await?.ok_or(Error::NotFound)?;
    db::audit_log::record(
        &mut *tx,
        access.guild_db(),
        access.caller.actor(),
        "token.revoke",
        &format!("token:{token_id}"),
        &json!({ "name": revoked.name }),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
