//! `GET /v1/guilds/{guild_id}/audit-log`: who changed which setting when,
//! newest first, a page at a time.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Page;
use crate::api::auth::access::{Authorized, ReadAuditLog};
use crate::api::error_body::{GuildErrors, QueryErrors};
use crate::api::extract::Query;
use crate::api::{ApiState, Error, Result};
use crate::db;

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Entries older than this cursor (from the previous page's `next`).
    before: Option<String>,
    /// Entries per page, 1 to 100 (default 50).
    limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: String,
    /// The user who made the change (for a token: the token's creator).
    pub user_id: Option<String>,
    /// The API token that made it, if one did.
    pub token_id: Option<String>,
    /// What was done, e.g. `settings.update`, `token.create`.
    pub action: String,
    /// What it was done to, e.g. `settings`, `token:12`.
    pub target: String,
    /// The change: for settings, each field's old and new value.
    pub changes: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// The guild's audit log, newest first.
#[utoipa::path(get, path = "/v1/guilds/{guild_id}/audit-log", tag = "audit",
    operation_id = "list_audit_log",
    params(("guild_id" = String, Path, description = "The guild's id"), AuditQuery),
    security(("session" = []), ("token" = ["audit_log:read"])),
    responses(
        (status = 200, description = "A page of audit log entries, newest first", body = Page<AuditEntry>),
        GuildErrors, QueryErrors,
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn list(
    State(state): State<ApiState>,
    access: Authorized<ReadAuditLog>,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Page<AuditEntry>>> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(Error::unprocessable([("limit", "must be 1 to 100")]));
    }
    let before = match query.before.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(raw.parse::<i64>().map_err(|_| Error::unprocessable([("before", "is not a cursor")]))?),
    };
    let rows = db::audit_log::page(&state.db, access.guild_db(), before, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    let items: Vec<AuditEntry> = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| AuditEntry {
            id: r.entry_id.to_string(),
            user_id: r.actor_user_id.map(|id| id.to_string()),
            token_id: r.actor_token_id.map(|id| id.to_string()),
            action: r.action,
            target: r.target,
            changes: r.changes,
            created_at: r.created_at,
        })
        .collect();
    let next = if more { items.last().map(|e| e.id.clone()) } else { None };
    Ok(Json(Page { items, next }))
}
