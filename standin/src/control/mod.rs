//! The control API under `/_standin/` (JSON, no auth): set up the world,
//! act as people, inspect what the bot did and inject faults. Ids are
//! strings in JSON, like Discord's.

pub mod acting;
pub mod faults;
pub mod inspect;
pub mod interactions;
pub mod setup;

use crate::error::ApiError;
use crate::state::App;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use serde_json::{json, Value};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/users", post(setup::create_user))
        .route("/users/{user_id}", patch(setup::patch_user))
        .route("/users/{user_id}/dm", post(acting::dm))
        .route("/users/{user_id}/dm/messages", get(inspect::dm_messages))
        .route("/guilds", post(setup::create_guild))
        .route("/guilds/{guild_id}", get(inspect::guild).patch(setup::update_guild))
        .route("/guilds/{guild_id}/roles", post(setup::create_role))
        .route("/guilds/{guild_id}/roles/{role_id}", patch(setup::update_role).delete(setup::delete_role))
        .route("/guilds/{guild_id}/channels", post(setup::create_channel).get(inspect::guild_channels))
        .route("/guilds/{guild_id}/members/{user_id}", put(setup::put_member).delete(setup::remove_member))
        .route("/guilds/{guild_id}/bot", put(setup::add_bot).delete(setup::remove_bot))
        .route(
            "/channels/{channel_id}",
            get(inspect::channel).patch(setup::modify_channel).delete(setup::delete_channel),
        )
        .route("/channels/{channel_id}/messages", post(acting::post).get(inspect::channel_messages))
        .route("/channels/{channel_id}/messages/{message_id}", patch(acting::edit).delete(acting::delete_message))
        .route("/channels/{channel_id}/pins", get(inspect::pins))
        .route("/commands", get(inspect::commands))
        .route("/interactions/command", post(interactions::command))
        .route("/interactions/component", post(interactions::component))
        .route("/interactions/modal", post(interactions::modal))
        .route("/interactions/{interaction_id}", get(inspect::interaction))
        .route("/requests", get(inspect::requests).delete(inspect::clear_requests))
        .route("/requests/counts", get(inspect::request_counts))
        .route("/downloads", get(inspect::downloads))
        .route("/gateway/sessions", get(inspect::sessions))
        .route("/gateway/stats", get(inspect::stats))
        .route("/gateway/reconnect", post(faults::reconnect))
        .route("/gateway/invalidate", post(faults::invalidate))
        .route("/gateway/drop", post(faults::drop_sockets))
        .route("/gateway/close", post(faults::close_sessions))
        .route("/gateway/replay", post(faults::replay))
        .route("/gateway/recommended-shards", put(setup::recommend_shards))
        .route("/faults", post(faults::add).delete(faults::clear))
        .route("/ratelimits/early", get(faults::early_retries).delete(faults::clear_early_retries))
        .route("/oauth2/user", put(setup::sign_in))
}

/// A control-API error: `{"error": "…"}` plus, when it came from the
/// Discord side, the Discord error body.
#[derive(Debug)]
pub struct CtlError(pub StatusCode, pub Value);

pub type CtlResult<T = Json<Value>> = Result<T, CtlError>;

impl CtlError {
    pub fn bad(msg: impl Into<String>) -> Self {
        Self(StatusCode::BAD_REQUEST, json!({"error": msg.into()}))
    }
    pub fn not_found(msg: impl Into<String>) -> Self {
        Self(StatusCode::NOT_FOUND, json!({"error": msg.into()}))
    }
}

impl From<ApiError> for CtlError {
    fn from(e: ApiError) -> Self {
        let mut body = e.body();
        body["error"] = json!(e.message);
        Self(e.status, body)
    }
}

impl IntoResponse for CtlError {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

/// Parses a JSON body for the control API.
pub fn body(bytes: &[u8]) -> CtlResult<Value> {
    if bytes.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(bytes).map_err(|e| CtlError::bad(format!("invalid JSON: {e}")))
}

/// A snowflake from a path segment.
pub fn sf(s: &str, what: &str) -> CtlResult<u64> {
    crate::ids::parse(s).ok_or_else(|| CtlError::bad(format!("{what} is not a snowflake: {s:?}")))
}

/// A required snowflake field of a body (string or number).
pub fn need_id(v: &Value, key: &str) -> CtlResult<u64> {
    crate::ops::id_field(v, key).ok_or_else(|| CtlError::bad(format!("missing or invalid {key:?}")))
}

/// Decodes `attachments: [{filename, content_base64, content_type?}]`.
pub fn attachments(v: &Value) -> CtlResult<Vec<crate::ops::messages::NewFile>> {
    use base64::Engine;
    let Some(list) = v.get("attachments").and_then(Value::as_array) else {
        return Ok(Vec::new());
    };
    list.iter()
        .map(|a| {
            let filename = a.get("filename").and_then(Value::as_str).unwrap_or("file.bin").to_string();
            let data = a.get("content_base64").and_then(Value::as_str).unwrap_or("");
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data)
                .map_err(|e| CtlError::bad(format!("attachment {filename}: bad base64: {e}")))?;
            Ok(crate::ops::messages::NewFile {
                filename,
                description: None,
                content_type: a.get("content_type").and_then(Value::as_str).map(str::to_string),
                bytes,
            })
        })
        .collect()
}
