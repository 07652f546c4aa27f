//! Server owners' data rights: `GET /v1/guilds/{guild_id}/export` (all of
//! the guild's data as JSON, streamed as it is read) and erasure in two steps, so one stray request
//! cannot wipe a guild: `POST /v1/guilds/{guild_id}/data/erasure` gives a
//! confirmation token valid for ten minutes, and `DELETE
//! /v1/guilds/{guild_id}/data` with that token erases everything.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json as JsonResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tracing::Instrument as _;
use utoipa::ToSchema;

use crate::api::auth::access::{Authorized, Session};
use crate::api::error_body::ErrorBody;
use crate::api::error_body::{BodyErrors, GuildErrors};
use crate::api::extract::Json;
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

/// All of the guild's data, as a JSON download. The document is written as
/// PostgreSQL reads it (see [`db::guild_data::export`]): a guild with a
/// million messages takes no more memory to export than one with ten. Should
/// the database fail midway, the connection is cut before the document's
/// end, so a client never mistakes a partial export for a whole one.
#[utoipa::path(get, path = "/v1/guilds/{guild_id}/export", tag = "data",
    operation_id = "export_guild_data",
    params(("guild_id" = String, Path, description = "The guild's id")), security(("session" = [])),
    responses(
        (status = 200, description = "Everything stored about the guild, as JSON", body = Export),
        GuildErrors,
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn export(State(state): State<ApiState>, access: Authorized<Session>) -> Result<Response> {
    require_owner(&access)?;
    let (items, mut received) = mpsc::channel(EXPORT_ROWS_IN_FLIGHT);
    let (db_pool, guild) = (state.db.clone(), access.guild_db());
    let producer = tokio::spawn(
        async move {
            let exported = async {
                let mut tx = db_pool.begin().await?;
                db::guild_data::export(&mut tx, guild, items).await?;
                // Read only: the commit only ends the snapshot.
                tx.commit().await?;
                Ok(())
            };
            match exported.await {
                Ok(()) | Err(db::guild_data::ExportError::ReaderGone) => Ok(()),
                Err(db::guild_data::ExportError::Database(e)) => {
                    tracing::error!(error = %e, "the export failed midway; the download is cut short");
                    Err(e)
                }
            }
        }
        .in_current_span(),
    );
    // Nothing is sent before the first table is read: a database that does not
    // answer gets a proper error status, not a broken download.
    let Some(first) = received.recv().await else {
        return Err(match producer.await {
            Ok(Err(e)) => e.into(),
            _ => Error::Internal(anyhow::anyhow!("the export ended before it began")),
        });
    };
    let head = format!(
        r#"{{"guild_id":{},"exported_at":{},"data":{{"#,
        serde_json::to_string(&access.guild.to_string()).unwrap_or_default(),
        serde_json::to_string(&Utc::now()).unwrap_or_default(),
    );
    let document = ExportDocument { received, pending: Some(first), head: Some(head), tables: 0, rows: 0 };
    let disposition = format!("attachment; filename=\"ticketeer-{}.json\"", access.guild);
    let headers = [(header::CONTENT_TYPE, "application/json".to_owned()), (header::CONTENT_DISPOSITION, disposition)];
    Ok((headers, Body::from_stream(document.into_stream())).into_response())
}

/// Rows read ahead of the client at most (each row a few KiB at most).
const EXPORT_ROWS_IN_FLIGHT: usize = 256;
/// Bytes gathered into one chunk of the response.
const EXPORT_CHUNK: usize = 64 * 1024;

/// Writes [`Export`]'s JSON from the rows as they come.
struct ExportDocument {
    received: mpsc::Receiver<db::guild_data::ExportItem>,
    /// An item taken from the channel and not written yet.
    pending: Option<db::guild_data::ExportItem>,
    /// The document's opening, until written.
    head: Option<String>,
    tables: usize,
    /// Rows of the current table so far.
    rows: usize,
}

impl ExportDocument {
    fn into_stream(self) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send {
        futures_util::stream::unfold(Some(self), |document| async move {
            let mut document = document?;
            match document.next_chunk().await {
                Ok((chunk, whole)) => Some((Ok(chunk), (!whole).then_some(document))),
                Err(e) => Some((Err(e), None)),
            }
        })
    }

    /// The next piece of the document, and whether it was the last.
    async fn next_chunk(&mut self) -> std::io::Result<(Bytes, bool)> {
        use db::guild_data::ExportItem;
        let mut out = self.head.take().unwrap_or_default();
        loop {
            let item = match self.pending.take() {
                Some(item) => item,
                None if out.len() >= EXPORT_CHUNK => return Ok((Bytes::from(out), false)),
                // Send what is gathered rather than wait with it.
                None if !out.is_empty() => match self.received.try_recv() {
                    Ok(item) => item,
                    Err(_) => return Ok((Bytes::from(out), false)),
                },
                None => self.received.recv().await.ok_or_else(|| {
                    std::io::Error::other("the export stopped before its end; the download is incomplete")
                })?,
            };
            match item {
                ExportItem::Table(name) => {
                    if self.tables > 0 {
                        out.push_str("],");
                    }
                    out.push_str(&serde_json::to_string(name).unwrap_or_default());
                    out.push_str(":[");
                    self.tables += 1;
                    self.rows = 0;
                }
                ExportItem::Row(row) => {
                    if self.rows > 0 {
                        out.push(',');
                    }
                    out.push_str(&row.to_string());
                    self.rows += 1;
                }
                ExportItem::End => {
                    if self.tables > 0 {
                        out.push(']');
                    }
                    out.push_str("}}");
                    return Ok((Bytes::from(out), true));
                }
            }
        }
    }
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
    operation_id = "confirm_erasure",
    params(("guild_id" = String, Path, description = "The guild's id")), security(("session" = [])),
    responses(
        (status = 200, description = "The confirmation to send with the erasure, and its expiry", body = ErasureConfirmation),
        GuildErrors,
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
    operation_id = "erase_guild_data",
    params(("guild_id" = String, Path, description = "The guild's id")), security(("session" = [])),
    responses(
        (status = 200, description = "What was erased", body = Erased),
        GuildErrors, BodyErrors,
        (status = 422, description = "The confirmation is missing, wrong or expired", body = ErrorBody),
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
    // The settings went with the rest (the prefix is the default again).
    state.tickets.settings_changed(access.guild).await;
    tracing::info!(tickets_erased, "guild data erased");
    Ok(JsonResponse(Erased { tickets_erased }))
}
