//! Snippets (saved answers) of a guild: list, create, change, delete. Writes
//! go through the core's `manage_snippets`, as `/snippet` does, so the same
//! checks and the Free plan's limit apply.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json as JsonResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::refusals::{api_error, plain};
use crate::api::auth::access::{Authorized, ReadSettings, WriteSettings};
use crate::api::error_body::{BodyErrors, ErrorBody, GuildErrors};
use crate::api::extract::{Json, Path};
use crate::api::{ApiState, Error, Result};
use crate::db;
use crate::tickets::snippets::{valid_content, valid_name, SnippetAction};

#[derive(Debug, Serialize, ToSchema)]
pub struct Snippet {
    pub name: String,
    pub content: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSnippet {
    /// 1 to 32 characters: letters, digits, `_` and `-`.
    pub name: String,
    /// 1 to 4,000 characters.
    pub content: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SnippetChange {
    pub content: String,
}

/// The guild's snippets, by name.
#[utoipa::path(get, path = "/v1/guilds/{guild_id}/snippets", tag = "settings",
    operation_id = "list_snippets",
    params(("guild_id" = String, Path, description = "The guild's id")),
    security(("session" = []), ("token" = ["settings:read"])),
    responses(
        (status = 200, description = "The snippets", body = [Snippet]),
        GuildErrors,
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn list(
    State(state): State<ApiState>,
    access: Authorized<ReadSettings>,
) -> Result<JsonResponse<Vec<Snippet>>> {
    let snippets = db::snippets::list(&state.db, access.guild).await?;
    Ok(JsonResponse(snippets.into_iter().map(|s| Snippet { name: s.name, content: s.content }).collect()))
}

/// Creates a snippet.
#[utoipa::path(post, path = "/v1/guilds/{guild_id}/snippets", tag = "settings", request_body = NewSnippet,
    operation_id = "create_snippet",
    params(("guild_id" = String, Path, description = "The guild's id")),
    security(("session" = []), ("token" = ["settings:write"])),
    responses(
        (status = 201, description = "The snippet made", body = Snippet),
        GuildErrors, BodyErrors,
        (status = 402, description = "The Free plan's snippet limit", body = ErrorBody),
        (status = 409, description = "A snippet of that name exists", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn create(
    State(state): State<ApiState>,
    access: Authorized<WriteSettings>,
    Json(new): Json<NewSnippet>,
) -> Result<(StatusCode, JsonResponse<Snippet>)> {
    let mut problems = Vec::new();
    let name = valid_name(&new.name).map_err(|e| problems.push(("name", plain(&e.to_string())))).ok();
    let content = valid_content(&new.content).map_err(|e| problems.push(("content", plain(&e.to_string())))).ok();
    let (Some(name), Some(content)) = (name, content) else {
        return Err(Error::unprocessable(problems));
    };
    if db::snippets::get(&state.db, access.guild, &name).await?.is_some() {
        return Err(Error::Conflict(format!("a snippet named {name} exists").into()));
    }
    let action = SnippetAction::Create { name: name.clone(), content: content.clone() };
    state
        .tickets
        .manage_snippets(access.guild, &access.caller.as_actor(), action)
        .await
        .map_err(|e| api_error(e, "name"))?;
    Ok((StatusCode::CREATED, JsonResponse(Snippet { name, content })))
}

/// Changes a snippet's text.
#[utoipa::path(patch, path = "/v1/guilds/{guild_id}/snippets/{name}", tag = "settings", request_body = SnippetChange,
    operation_id = "update_snippet",
    params(("guild_id" = String, Path, description = "The guild's id"), ("name" = String, Path, description = "The snippet's name")),
    security(("session" = []), ("token" = ["settings:write"])),
    responses(
        (status = 200, description = "The snippet after the change", body = Snippet),
        GuildErrors, BodyErrors,
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn update(
    State(state): State<ApiState>,
    access: Authorized<WriteSettings>,
    Path(ids): Path<(String, String)>,
    Json(change): Json<SnippetChange>,
) -> Result<JsonResponse<Snippet>> {
    let name = valid_name(&ids.1).map_err(|_| Error::NotFound)?;
    let content =
        valid_content(&change.content).map_err(|e| Error::unprocessable([("content", plain(&e.to_string()))]))?;
    if db::snippets::get(&state.db, access.guild, &name).await?.is_none() {
        return Err(Error::NotFound);
    }
    let action = SnippetAction::Edit { name: name.clone(), content: content.clone() };
    state
        .tickets
        .manage_snippets(access.guild, &access.caller.as_actor(), action)
        .await
        .map_err(|e| api_error(e, "content"))?;
    Ok(JsonResponse(Snippet { name, content }))
}

/// Deletes a snippet.
#[utoipa::path(delete, path = "/v1/guilds/{guild_id}/snippets/{name}", tag = "settings",
    operation_id = "delete_snippet",
    params(("guild_id" = String, Path, description = "The guild's id"), ("name" = String, Path, description = "The snippet's name")),
    security(("session" = []), ("token" = ["settings:write"])),
    responses(
        (status = 204, description = "Deleted"),
        GuildErrors,
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn delete(
    State(state): State<ApiState>,
    access: Authorized<WriteSettings>,
    Path(ids): Path<(String, String)>,
) -> Result<StatusCode> {
    let name = valid_name(&ids.1).map_err(|_| Error::NotFound)?;
    if db::snippets::get(&state.db, access.guild, &name).await?.is_none() {
        return Err(Error::NotFound);
    }
    state
        .tickets
        .manage_snippets(access.guild, &access.caller.as_actor(), SnippetAction::Delete { name: name.clone() })
        .await
        .map_err(|e| api_error(e, "name"))?;
    Ok(StatusCode::NO_CONTENT)
}
