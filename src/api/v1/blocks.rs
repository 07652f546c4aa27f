//! Users blocked from opening tickets in a guild: list, block (optionally
//! for a time, with a reason), unblock. Through the core's `block` and
//! `unblock`, as `/block` and `/unblock`.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json as JsonResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::refusals::{api_error, id_problem};
use crate::api::auth::access::{Authorized, ReadSettings, WriteSettings};
use crate::api::error_body::{BodyErrors, ErrorBody, GuildErrors};
use crate::api::extract::{Json, Path};
use crate::api::{ApiState, Error, Result};
use crate::db;
use crate::domain::ids::UserId;

#[derive(Debug, Serialize, ToSchema)]
pub struct Block {
    pub user_id: String,
    pub blocked_by: String,
    pub reason: String,
    /// null: until unblocked.
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBlock {
    /// The user's id.
    pub user_id: String,
    /// Up to 500 characters.
    #[serde(default)]
    pub reason: String,
    /// How long, in seconds (60 to 31,536,000); absent: until unblocked.
    pub duration_seconds: Option<u64>,
}

/// The guild's blocks in force.
#[utoipa::path(get, path = "/v1/guilds/{guild_id}/blocks", tag = "settings",
    operation_id = "list_blocks",
    params(("guild_id" = String, Path, description = "The guild's id")),
    security(("session" = []), ("token" = ["settings:read"])),
    responses(
        (status = 200, description = "The blocked users", body = [Block]),
        GuildErrors,
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn list(State(state): State<ApiState>, access: Authorized<ReadSettings>) -> Result<JsonResponse<Vec<Block>>> {
    let blocks = db::blocks::list(&state.db, access.guild).await?;
    Ok(JsonResponse(
        blocks
            .into_iter()
            .map(|b| Block {
                user_id: b.user_id.to_string(),
                blocked_by: b.blocked_by.to_string(),
                reason: b.reason,
                expires_at: b.expires_at,
                created_at: b.created_at,
            })
            .collect(),
    ))
}

/// Blocks a user (again, with a new reason and expiry, if already blocked).
#[utoipa::path(post, path = "/v1/guilds/{guild_id}/blocks", tag = "settings", request_body = NewBlock,
    operation_id = "block_user",
    params(("guild_id" = String, Path, description = "The guild's id")),
    security(("session" = []), ("token" = ["settings:write"])),
    responses(
        (status = 204, description = "Blocked"),
        GuildErrors, BodyErrors,
        (status = 409, description = "The user is blocked already", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn create(
    State(state): State<ApiState>,
    access: Authorized<WriteSettings>,
    Json(new): Json<NewBlock>,
) -> Result<StatusCode> {
    let mut problems = Vec::new();
    let target = new.user_id.trim().parse::<UserId>();
    if let Err(e) = target {
        problems.push(("user_id", id_problem("a user id", e)));
    }
    if new.reason.chars().count() > 500 {
        problems.push(("reason", "must be at most 500 characters".to_owned()));
    }
    if new.duration_seconds.is_some_and(|s| !(60..=31_536_000).contains(&s)) {
        problems.push(("duration_seconds", "must be 60 to 31,536,000 seconds".to_owned()));
    }
    let Some(target) = target.ok().filter(|_| problems.is_empty()) else {
        return Err(Error::unprocessable(problems));
    };
    let length = new.duration_seconds.map(Duration::from_secs);
    state
        .tickets
        .block(access.guild, &access.caller.as_actor(), target, length, &new.reason)
        .await
        .map_err(|e| api_error(e, "user_id"))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unblocks a user.
#[utoipa::path(delete, path = "/v1/guilds/{guild_id}/blocks/{user_id}", tag = "settings",
    operation_id = "unblock_user",
    params(("guild_id" = String, Path, description = "The guild's id"), ("user_id" = String, Path, description = "The user's id")),
    security(("session" = []), ("token" = ["settings:write"])),
    responses(
        (status = 204, description = "Unblocked"),
        GuildErrors,
        (status = 404, description = "The user is not blocked", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn delete(
    State(state): State<ApiState>,
    access: Authorized<WriteSettings>,
    Path(ids): Path<(String, String)>,
) -> Result<StatusCode> {
    // No such user can be blocked: the same 404 as one who is not.
    let target = ids.1.trim().parse::<UserId>().map_err(|_| Error::NotFound)?;
    if !db::blocks::blocked_guilds(&state.db, target).await?.contains(&access.guild) {
        return Err(Error::NotFound);
    }
    state
        .tickets
        .unblock(access.guild, &access.caller.as_actor(), target)
        .await
        .map_err(|e| api_error(e, "user_id"))?;
    Ok(StatusCode::NO_CONTENT)
}
