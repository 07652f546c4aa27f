//! Panel ticket types and their intake questions: list, create, change,
//! delete; questions added, changed and removed one at a time. Through the
//! core's admin actions, as the `/ticket admin` panel: Discord's limits (25
//! types, 5 questions, field lengths) and the Free plan's hold, and the
//! ticket menu follows every change.

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
use crate::domain::panel::TicketType as TypeRow;
use crate::tickets::panel::admin::{QuestionChange, QuestionFields, TypeChange, TypeFields};

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketType {
    pub id: String,
    /// 1 to 45 characters (the intake form's title).
    pub name: String,
    pub description: String,
    pub emoji: Option<String>,
    pub questions: Vec<Question>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// 1 to 45 characters.
    pub label: String,
    /// `short` or `paragraph`.
    pub style: String,
    #[serde(default = "yes")]
    pub required: bool,
    pub min_length: Option<i32>,
    pub max_length: Option<i32>,
    pub placeholder: Option<String>,
}

fn yes() -> bool {
    true
}

impl From<TypeRow> for TicketType {
    fn from(t: TypeRow) -> Self {
        TicketType {
            id: t.id.to_string(),
            name: t.name,
            description: t.description,
            emoji: t.emoji,
            questions: t
                .questions
                .into_iter()
                .map(|q| Question {
                    label: q.label,
                    style: q.style.as_str().to_owned(),
                    required: q.required,
                    min_length: q.min_length,
                    max_length: q.max_length,
                    placeholder: q.placeholder,
                })
                .collect(),
        }
    }
}

impl Question {
    /// The fields as the admin form has them (the core's one parser).
    fn fields(&self) -> QuestionFields {
        let length = match (self.min_length, self.max_length) {
            (None, None) => String::new(),
            (min, max) => format!(
                "{}-{}",
                min.map(|m| m.to_string()).unwrap_or_default(),
                max.map(|m| m.to_string()).unwrap_or_default()
            ),
        };
        QuestionFields {
            label: self.label.clone(),
            style: self.style.clone(),
            required: if self.required { "yes" } else { "no" }.to_owned(),
            length,
            placeholder: self.placeholder.clone().unwrap_or_default(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicketType {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub emoji: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketTypeChange {
    pub name: Option<String>,
    pub description: Option<String>,
    /// An empty string removes the emoji.
    pub emoji: Option<String>,
}

/// A type id from the path: one that cannot be an id names no type (404).
fn type_id(raw: &str) -> Result<i64> {
    raw.parse::<i64>().map_err(|_| Error::NotFound)
}

/// The guild's ticket types, in menu order, with their questions.
#[utoipa::path(get, path = "/v1/guilds/{guild_id}/ticket-types", tag = "settings",
    operation_id = "list_ticket_types",
    params(("guild_id" = String, Path, description = "The guild's id")),
    security(("session" = []), ("token" = ["settings:read"])),
    responses(
        (status = 200, description = "The ticket types", body = [TicketType]),
        GuildErrors,
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn list(
    State(state): State<ApiState>,
    access: Authorized<ReadSettings>,
) -> Result<JsonResponse<Vec<TicketType>>> {
    let types = db::panel::types(&state.db, access.guild).await?;
    Ok(JsonResponse(types.into_iter().map(TicketType::from).collect()))
}

/// Adds a ticket type at the end of the menu.
#[utoipa::path(post, path = "/v1/guilds/{guild_id}/ticket-types", tag = "settings", request_body = NewTicketType,
    operation_id = "create_ticket_type",
    params(("guild_id" = String, Path, description = "The guild's id")),
    security(("session" = []), ("token" = ["settings:write"])),
    responses(
        (status = 201, description = "The ticket type made", body = TicketType),
        GuildErrors, BodyErrors,
        (status = 402, description = "The Free plan's type limit", body = ErrorBody),
        (status = 409, description = "The ticket menu is not set up", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn create(
    State(state): State<ApiState>,
    access: Authorized<WriteSettings>,
    Json(new): Json<NewTicketType>,
) -> Result<(StatusCode, JsonResponse<TicketType>)> {
    let fields =
        TypeFields { name: new.name, description: new.description, emoji: new.emoji.filter(|e| !e.is_empty()) };
    let created =
        state.tickets.add_ticket_type(access.guild, &access.caller.as_actor(), &fields).await.map_err(api_error)?;
    Ok((StatusCode::CREATED, JsonResponse(created.into())))
}

/// Changes a ticket type's name, description or emoji.
#[utoipa::path(patch, path = "/v1/guilds/{guild_id}/ticket-types/{type_id}", tag = "settings", request_body = TicketTypeChange,
    operation_id = "update_ticket_type",
    params(("guild_id" = String, Path, description = "The guild's id"), ("type_id" = String, Path, description = "The type's id")),
    security(("session" = []), ("token" = ["settings:write"])),
    responses(
        (status = 200, description = "The ticket type after the change", body = TicketType),
        GuildErrors, BodyErrors,
        (status = 409, description = "Refused by the ticket core (see its message)", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn update(
    State(state): State<ApiState>,
    access: Authorized<WriteSettings>,
    Path(ids): Path<(String, String)>,
    Json(change): Json<TicketTypeChange>,
) -> Result<JsonResponse<TicketType>> {
    let change = TypeChange {
        name: change.name,
        description: change.description,
        emoji: change.emoji.map(|emoji| Some(emoji).filter(|e| !e.is_empty())),
    };
    let actor = access.caller.as_actor();
    let stored =
        state.tickets.edit_ticket_type(access.guild, &actor, type_id(&ids.1)?, &change).await.map_err(api_error)?;
    Ok(JsonResponse(stored.into()))
}

/// Removes a ticket type from the menu (its tickets keep their history).
#[utoipa::path(delete, path = "/v1/guilds/{guild_id}/ticket-types/{type_id}", tag = "settings",
    operation_id = "delete_ticket_type",
    params(("guild_id" = String, Path, description = "The guild's id"), ("type_id" = String, Path, description = "The type's id")),
    security(("session" = []), ("token" = ["settings:write"])),
    responses(
        (status = 204, description = "Removed"),
        GuildErrors,
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn delete(
    State(state): State<ApiState>,
    access: Authorized<WriteSettings>,
    Path(ids): Path<(String, String)>,
) -> Result<StatusCode> {
    let actor = access.caller.as_actor();
    state.tickets.remove_ticket_type(access.guild, &actor, type_id(&ids.1)?).await.map_err(api_error)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn change_question(
    state: &ApiState,
    access: &Authorized<WriteSettings>,
    raw_type: &str,
    change: QuestionChange,
) -> Result<TicketType> {
    let actor = access.caller.as_actor();
    let stored =
        state.tickets.change_question(access.guild, &actor, type_id(raw_type)?, change).await.map_err(api_error)?;
    Ok(stored.into())
}

/// Adds a question at the end of the type's form (at most 5).
#[utoipa::path(post, path = "/v1/guilds/{guild_id}/ticket-types/{type_id}/questions", tag = "settings", request_body = Question,
    operation_id = "add_question",
    params(("guild_id" = String, Path, description = "The guild's id"), ("type_id" = String, Path, description = "The type's id")),
    security(("session" = []), ("token" = ["settings:write"])),
    responses(
        (status = 200, description = "The type with its questions", body = TicketType),
        GuildErrors, BodyErrors,
        (status = 409, description = "Refused by the ticket core (see its message), e.g. too many questions", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn add_question(
    State(state): State<ApiState>,
    access: Authorized<WriteSettings>,
    Path(ids): Path<(String, String)>,
    Json(question): Json<Question>,
) -> Result<JsonResponse<TicketType>> {
    let change = QuestionChange::Add(question.fields());
    Ok(JsonResponse(change_question(&state, &access, &ids.1, change).await?))
}

/// Replaces question `position` (0 to 4).
#[utoipa::path(put, path = "/v1/guilds/{guild_id}/ticket-types/{type_id}/questions/{position}", tag = "settings", request_body = Question,
    operation_id = "replace_question",
    params(("guild_id" = String, Path, description = "The guild's id"), ("type_id" = String, Path, description = "The type's id"),
        ("position" = usize, Path, description = "The question's position, from 0")),
    security(("session" = []), ("token" = ["settings:write"])),
    responses(
        (status = 200, description = "The type with its questions", body = TicketType),
        GuildErrors, BodyErrors,
        (status = 409, description = "Refused by the ticket core (see its message)", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn replace_question(
    State(state): State<ApiState>,
    access: Authorized<WriteSettings>,
    Path(ids): Path<(String, String, usize)>,
    Json(question): Json<Question>,
) -> Result<JsonResponse<TicketType>> {
    let change = QuestionChange::Edit(ids.2, question.fields());
    Ok(JsonResponse(change_question(&state, &access, &ids.1, change).await?))
}

/// Removes question `position`.
#[utoipa::path(delete, path = "/v1/guilds/{guild_id}/ticket-types/{type_id}/questions/{position}", tag = "settings",
    operation_id = "remove_question",
    params(("guild_id" = String, Path, description = "The guild's id"), ("type_id" = String, Path, description = "The type's id"),
        ("position" = usize, Path, description = "The question's position, from 0")),
    security(("session" = []), ("token" = ["settings:write"])),
    responses(
        (status = 200, description = "The type with its questions", body = TicketType),
        GuildErrors,
        (status = 409, description = "Refused by the ticket core (see its message)", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn remove_question(
    State(state): State<ApiState>,
    access: Authorized<WriteSettings>,
    Path(ids): Path<(String, String, usize)>,
) -> Result<JsonResponse<TicketType>> {
    let change = QuestionChange::Remove(ids.2);
    Ok(JsonResponse(change_question(&state, &access, &ids.1, change).await?))
}
