//! The OpenAPI 3 document, generated from the handlers' `#[utoipa::path]`
//! annotations and the types' `ToSchema` derives, served at
//! `/v1/openapi.json`. `docs/openapi.json` is the committed copy; a test fails
//! when the two drift (`UPDATE_OPENAPI=1` rewrites it). The error bodies and
//! the shared sets of error responses are in `error_body.rs`.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

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
    components(schemas(super::error_body::ErrorBody, super::error_body::ErrorDetail)),
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
