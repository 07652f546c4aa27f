//! Snippets (saved answers) of a guild: list, create, change, delete. Writes
//! go through the core's snippet actions, as `/snippet` does, so the same
//! checks and the Free plan's limit apply; each answers with the snippet it
//! stored, or a refusal this file maps to a status.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json as JsonResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::refusals::api_error;
use crate::api::auth::access::{Authorized, ReadSettings, WriteSettings};
use crate::api::error_body::ErrorBody;
use crate::api::error_body::{BodyErrors, GuildErrors};
use crate::api::extract::{Json, Path};
use crate::api::{ApiState, Error, Result};
use crate::db;
use crate::tickets::error::TicketError;
use crate::tickets::Refusal;

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
    let saved = state
        .tickets
        .create_snippet(access.guild, &access.caller.as_actor(), &new.name, &new.content)
        .await
        .map_err(api_error)?;
    Ok((StatusCode::CREATED, JsonResponse(Snippet { name: saved.name, content: saved.content })))
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
    let saved = state
        .tickets
        .edit_snippet(access.guild, &access.caller.as_actor(), &ids.1, &change.content)
        .await
        .map_err(not_found_by_name)?;
    Ok(JsonResponse(Snippet { name: saved.name, content: saved.content }))
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
    state.tickets.delete_snippet(access.guild, &access.caller.as_actor(), &ids.1).await.map_err(not_found_by_name)?;
    Ok(StatusCode::NO_CONTENT)
}

/// A refusal of a snippet named in the path: a name no snippet can have
/// names none, so it is a 404 like one that does not exist.
fn not_found_by_name(error: TicketError) -> Error {
    match error {
        TicketError::Refused(Refusal::Invalid { field: crate::tickets::error::Field::SnippetName, .. }) => {
            Error::NotFound
        }
        TicketError::Refused(Refusal::InvalidFields(problems))
            if problems.iter().any(|(field, _)| *field == crate::tickets::error::Field::SnippetName) =>
        {
            Error::NotFound
        }
        other => api_error(other),
    }
}
