//! Modmail categories of a guild (the teams a user picks at the category
//! prompt): list, create, change, delete. Through the core's category
//! actions, as `/category`: the Discord category is checked with Discord,
//! names are unique in any case, and the Free plan's limit holds. Each
//! answers with the category as stored.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json as JsonResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::refusals::{api_error, id_problem};
use crate::api::auth::access::{Authorized, ReadSettings, WriteSettings};
use crate::api::error_body::ErrorBody;
use crate::api::error_body::{BodyErrors, GuildErrors};
use crate::api::extract::{Json, Path};
use crate::api::{ApiState, Error, Result};
use crate::db;
use crate::domain::category::ModmailCategory;
use crate::domain::ids::ChannelId;
use crate::tickets::modmail::categories::{CategoryChange as Change, CategoryKey, NewCategory as New};

#[derive(Debug, Serialize, ToSchema)]
pub struct Category {
    pub id: String,
    /// The Discord category its tickets open in.
    pub discord_category_id: String,
    pub name: String,
    pub description: String,
    pub emoji: Option<String>,
}

impl From<ModmailCategory> for Category {
    fn from(c: ModmailCategory) -> Self {
        Category {
            id: c.id.to_string(),
            discord_category_id: c.discord_category.to_string(),
            name: c.name,
            description: c.description,
            emoji: c.emoji,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    /// A category channel of this guild.
    pub discord_category_id: String,
    /// 1 to 80 characters, unique in the guild.
    pub name: String,
    /// Up to 100 characters.
    #[serde(default)]
    pub description: String,
    /// One unicode emoji or `<:name:id>`.
    pub emoji: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryChange {
    pub discord_category_id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub emoji: Option<String>,
}

/// The guild's categories.
#[utoipa::path(get, path = "/v1/guilds/{guild_id}/categories", tag = "settings",
    operation_id = "list_categories",
    params(("guild_id" = String, Path, description = "The guild's id")),
    security(("session" = []), ("token" = ["settings:read"])),
    responses(
        (status = 200, description = "The modmail categories", body = [Category]),
        GuildErrors,
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn list(
    State(state): State<ApiState>,
    access: Authorized<ReadSettings>,
) -> Result<JsonResponse<Vec<Category>>> {
    let categories = db::categories::list(&state.db, access.guild).await?;
    Ok(JsonResponse(categories.into_iter().map(Category::from).collect()))
}

/// Creates a category.
#[utoipa::path(post, path = "/v1/guilds/{guild_id}/categories", tag = "settings", request_body = NewCategory,
    operation_id = "create_category",
    params(("guild_id" = String, Path, description = "The guild's id")),
    security(("session" = []), ("token" = ["settings:write"])),
    responses(
        (status = 201, description = "The category made", body = Category),
        GuildErrors, BodyErrors,
        (status = 402, description = "The Free plan's category limit", body = ErrorBody),
        (status = 409, description = "Refused by the ticket core (see its message), e.g. a name in use", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn create(
    State(state): State<ApiState>,
    access: Authorized<WriteSettings>,
    Json(new): Json<NewCategory>,
) -> Result<(StatusCode, JsonResponse<Category>)> {
    // Only an id: a `<#mention>`, which the core also reads, is chat syntax.
    let discord_category = new
        .discord_category_id
        .trim()
        .parse::<ChannelId>()
        .map_err(|e| Error::unprocessable([("discord_category_id", id_problem("a category id", e))]))?;
    let new = New {
        discord_category: discord_category.to_string(),
        name: new.name,
        description: new.description,
        emoji: new.emoji,
    };
    let created =
        state.tickets.create_category(access.guild, &access.caller.as_actor(), &new).await.map_err(api_error)?;
    Ok((StatusCode::CREATED, JsonResponse(created.into())))
}

/// The category named by the path (a 404 for what cannot be an id).
fn key(raw: &str) -> Result<CategoryKey> {
    raw.parse::<i64>().map(CategoryKey::Id).map_err(|_| Error::NotFound)
}

/// Changes a category's fields (those given).
#[utoipa::path(patch, path = "/v1/guilds/{guild_id}/categories/{category_id}", tag = "settings", request_body = CategoryChange,
    operation_id = "update_category",
    params(("guild_id" = String, Path, description = "The guild's id"), ("category_id" = String, Path, description = "The category's id")),
    security(("session" = []), ("token" = ["settings:write"])),
    responses(
        (status = 200, description = "The category after the change", body = Category),
        GuildErrors, BodyErrors,
        (status = 409, description = "Refused by the ticket core (see its message), e.g. a name in use", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn update(
    State(state): State<ApiState>,
    access: Authorized<WriteSettings>,
    Path(ids): Path<(String, String)>,
    Json(change): Json<CategoryChange>,
) -> Result<JsonResponse<Category>> {
    let change = Change {
        name: change.name,
        description: change.description,
        emoji: change.emoji,
        discord_category: change.discord_category_id,
    };
    let updated = state
        .tickets
        .edit_category(access.guild, &access.caller.as_actor(), &key(&ids.1)?, change)
        .await
        .map_err(api_error)?;
    Ok(JsonResponse(updated.into()))
}

/// Deletes a category (its open tickets stay where they are).
#[utoipa::path(delete, path = "/v1/guilds/{guild_id}/categories/{category_id}", tag = "settings",
    operation_id = "delete_category",
    params(("guild_id" = String, Path, description = "The guild's id"), ("category_id" = String, Path, description = "The category's id")),
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
    state.tickets.delete_category(access.guild, &access.caller.as_actor(), &key(&ids.1)?).await.map_err(api_error)?;
    Ok(StatusCode::NO_CONTENT)
}
