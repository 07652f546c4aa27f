//! The JSON body of every API error, and the error responses most
//! operations share as named sets (`GuildErrors`, `BodyErrors`,
//! `QueryErrors`, `SessionErrors`), so the OpenAPI document describes each
//! status once. `error.rs` produces these bodies.

use serde::Serialize;
use utoipa::{IntoResponses, ToSchema};

/// The body of every error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `not_found`, `unprocessable_entity`.
    pub code: String,
    /// For people.
    pub message: String,
    /// 422 only: the problems of each bad field.
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<std::collections::BTreeMap<String, Vec<String>>>,
    /// 429 only: seconds to wait (also in `Retry-After`).
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

/// The errors of every call about one guild (`/v1/guilds/{guild_id}/…`).
#[derive(IntoResponses)]
pub enum GuildErrors {
    #[response(status = 401, description = "No valid session cookie or API token")]
    Unauthorized(ErrorBody),
    #[response(
        status = 403,
        description = "The caller may not do this in this guild (not an admin of it, or a token without the scope), \
                       or a cookie write from another origin"
    )]
    Forbidden(ErrorBody),
    #[response(status = 404, description = "No such guild for this caller (or the bot is not in it), or no such item")]
    NotFound(ErrorBody),
    #[response(status = 429, description = "Too many requests: wait `retry_after` seconds (also in `Retry-After`)")]
    TooManyRequests(ErrorBody),
}

/// The errors of a call about the caller's own account (a session only).
#[derive(IntoResponses)]
pub enum SessionErrors {
    #[response(status = 401, description = "No valid session cookie")]
    Unauthorized(ErrorBody),
    #[response(status = 429, description = "Too many requests: wait `retry_after` seconds (also in `Retry-After`)")]
    TooManyRequests(ErrorBody),
}

/// The errors of a call that takes a JSON body.
#[derive(IntoResponses)]
pub enum BodyErrors {
    #[response(status = 400, description = "The body is not JSON, or not of the expected shape")]
    BadRequest(ErrorBody),
    #[response(status = 413, description = "The body is larger than the API accepts")]
    PayloadTooLarge(ErrorBody),
    #[response(status = 422, description = "Invalid fields: `fields` names each one and its problems")]
    Unprocessable(ErrorBody),
}

/// The errors of a call that takes query parameters.
#[derive(IntoResponses)]
pub enum QueryErrors {
    #[response(status = 400, description = "A query parameter that does not parse")]
    BadRequest(ErrorBody),
    #[response(status = 422, description = "Invalid query parameters: `fields` names each one and its problems")]
    Unprocessable(ErrorBody),
}
