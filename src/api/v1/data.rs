//! Server owners' data rights: `GET /v1/guilds/{guild_id}/export` (all of
//! the guild's data as JSON) and erasure in two steps, so one stray request
//! cannot wipe a guild: `POST /v1/guilds/{guild_id}/data/erasure` gives a
//! confirmation token valid for ten minutes, and `DELETE
//! /v1/guilds/{guild_id}/data` with that token erases everything.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json as JsonResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::api::auth::access::{Authorized, Session};
use crate::api::extract::Json;
use crate::api::openapi::ErrorBody;
use crate::api::{ApiState, Error, Result};
use crate::db;

const CONFIRMATION_PURPOSE: &str = "ticketeer/erase-guild/v1";
const CONFIRMATION_MINUTES: i64 = 10;

/// Only the guild's owner exercises its data rights.
fn require_owner(access: &Authorized<Session>) -> Result<i64> {
    let session = access.caller.session()?;
    if !access.owner {
        return Err(Error::Forbidden("only the server's owner can export or erase its data".into()));
    }
    Ok(session.session.user_id)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Export {
    pub guild_id: String,
    pub exported_at: DateTime<Utc>,
    /// Every table's rows of the guild, by table name.
    #[schema(value_type = Object)]
    pub data: serde_json::Map<String, Value>,
}

/// All of the guild's data, as a JSON download.
#[utoipa::path(get, path = "/v1/guilds/{guild_id}/export", tag = "data",
    params(("guild_id" = String, Path, description = "The guild's id")), security(("session" = [])),
    responses(
        (status = 200, body = Export),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn export(State(state): State<ApiState>, access: Authorized<Session>) -> Result<Response> {
    require_owner(&access)?;
    let data = db::guild_data::export(&state.db, access.guild_db()).await?;
    let body = Export { guild_id: access.guild.to_string(), exported_at: Utc::now(), data };
    let disposition = format!("attachment; filename=\"ticketeer-{}.json\"", access.guild);
    Ok(([(header::CONTENT_DISPOSITION, disposition)], JsonResponse(body)).into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErasureConfirmation {
    /// Send this in `DELETE /v1/guilds/{guild_id}/data` to erase.
    pub confirmation: String,
    pub expires_at: DateTime<Utc>,
}

fn confirmation_message(guild: i64, user: i64, expires: i64) -> String {
    format!("{guild}.{user}.{expires}")
}

/// Step one of erasure: a confirmation token, valid for ten minutes.
#[utoipa::path(post, path = "/v1/guilds/{guild_id}/data/erasure", tag = "data",
    params(("guild_id" = String, Path, description = "The guild's id")), security(("session" = [])),
    responses(
        (status = 200, body = ErasureConfirmation),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn confirm_erasure(
    State(state): State<ApiState>,
    access: Authorized<Session>,
) -> Result<JsonResponse<ErasureConfirmation>> {
    let user = require_owner(&access)?;
    let expires_at = Utc::now() + chrono::Duration::minutes(CONFIRMATION_MINUTES);
    let expires = expires_at.timestamp();
    let signature = state
        .auth
        .secret_key
        .sign(CONFIRMATION_PURPOSE, confirmation_message(access.guild_db(), user, expires).as_bytes());
    Ok(JsonResponse(ErasureConfirmation { confirmation: format!("{expires}.{signature}"), expires_at }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Erase {
    /// From `POST /v1/guilds/{guild_id}/data/erasure`.
    pub confirmation: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Erased {
    pub tickets_erased: u64,
}

/// Step two: erases all of the guild's data (settings, tickets, messages,
/// transcripts, tokens, the audit log), keeping one audit entry of the erasure.
#[utoipa::path(delete, path = "/v1/guilds/{guild_id}/data", tag = "data", request_body = Erase,
    params(("guild_id" = String, Path, description = "The guild's id")), security(("session" = [])),
    responses(
        (status = 200, body = Erased),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, description = "The confirmation is missing, wrong or expired", body = ErrorBody),
        (status = 429, body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn erase(
    State(state): State<ApiState>,
    access: Authorized<Session>,
    Json(body): Json<Erase>,
) -> Result<JsonResponse<Erased>> {
    let user = require_owner(&access)?;
    let valid = body.confirmation.split_once('.').is_some_and(|(expires, signature)| {
        expires.parse::<i64>().is_ok_and(|expires| {
            expires > Utc::now().timestamp()
                && state.auth.secret_key.verify(
                    CONFIRMATION_PURPOSE,
                    confirmation_message(access.guild_db(), user, expires).as_bytes(),
                    signature,
                )
        })
    });
    if !valid {
        return Err(Error::unprocessable([(
            "confirmation",
            "is not valid for this guild and user, or has expired: ask for a new one",
        )]));
    }
    let mut tx = state.db.begin().await?;
    let tickets_erased = db::guild_data::erase(&mut tx, access.guild_db()).await?;
    db::audit_log::record(
        &mut *tx,
        access.guild_db(),
        access.caller.actor(),
        "data.erase",
        "guild",
        &json!({ "tickets_erased": tickets_erased }),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(tickets_erased, "guild data erased");
    Ok(JsonResponse(Erased { tickets_erased }))
}
