//! The OpenAPI 3 document, generated from the handlers' `#[utoipa::path]`
//! annotations and the types' `ToSchema` derives, served at
//! `/v1/openapi.json`. `docs/openapi.json` is the committed copy; a test fails
//! when the two drift (`UPDATE_OPENAPI=1` rewrites it). The error responses
//! most operations share are named sets here (`GuildErrors`, `BodyErrors`,
//! `QueryErrors`, `SessionErrors`), so each status is described once.

use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};

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

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ticketeer API",
        description = "Configure Ticketeer for a Discord server, read its tickets and transcripts, and manage billing. \
                       Log in with Discord (`/v1/auth/login`, a session cookie) or send an API token \
                       (`Authorization: Bearer tkt_…`). Errors are `{\"error\": {\"code\", \"message\"}}`.",
        version = "1.0.0"
    ),
    modifiers(&Security),
    components(schemas(ErrorBody, ErrorDetail)),
    tags(
        (name = "auth", description = "Logging in with Discord"),
        (name = "me", description = "The caller and their guilds"),
        (name = "tokens", description = "API tokens for automation"),
        (name = "settings", description = "Modmail and panel settings"),
        (name = "audit", description = "Who changed what"),
        (name = "tickets", description = "Tickets, their messages, transcripts and statistics"),
        (name = "billing", description = "Plans and Stripe"),
        (name = "data", description = "Export and erasure of a guild's data (the owner's rights)"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                super::auth::cookies::session(true),
                "Set by the Discord login (`ticketeer_session` where TICKETEER_COOKIE_SECURE is false). \
                 Writes with it (POST, PATCH, PUT, DELETE) must come from the API's own origin \
                 (`Origin`, or `Sec-Fetch-Site: same-origin`), else 403",
            ))),
        );
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token (`tkt_…`) made for one guild"))
                    .build(),
            ),
        );
    }
}
