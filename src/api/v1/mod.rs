//! The `/v1` routes, one file per resource. Each handler is annotated for the
//! OpenAPI document and registered in [`routes`].

pub mod audit_log;
pub mod billing;
pub mod blocks;
pub mod categories;
pub mod data;
pub mod me;
pub mod refusals;
pub mod settings;
pub mod snippets;
pub mod stats;
pub mod ticket_types;
pub mod tickets;
pub mod tokens;
pub mod transcripts;

use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::login;
use super::ApiState;

/// Every `/v1` route.
pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(login::login))
        .routes(routes!(login::callback))
        .routes(routes!(login::logout))
        .routes(routes!(me::me))
        .routes(routes!(me::guilds))
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::revoke))
        .routes(routes!(settings::get, settings::patch))
        .routes(routes!(audit_log::list))
        .routes(routes!(tickets::list))
        .routes(routes!(tickets::get))
        .routes(routes!(stats::get))
        .routes(routes!(transcripts::for_admins))
        .routes(routes!(transcripts::by_link))
        .routes(routes!(data::export))
        .routes(routes!(data::confirm_erasure))
        .routes(routes!(data::erase))
        .routes(routes!(snippets::list, snippets::create))
        .routes(routes!(snippets::update, snippets::delete))
        .routes(routes!(blocks::list, blocks::create))
        .routes(routes!(blocks::delete))
        .routes(routes!(categories::list, categories::create))
        .routes(routes!(categories::update, categories::delete))
        .routes(routes!(ticket_types::list, ticket_types::create))
        .routes(routes!(ticket_types::update, ticket_types::delete))
        .routes(routes!(ticket_types::add_question))
        .routes(routes!(ticket_types::replace_question, ticket_types::remove_question))
        .routes(routes!(billing::get))
        .routes(routes!(billing::checkout))
        .routes(routes!(billing::portal))
        .routes(routes!(billing::webhook))
}

/// A page of a list, with the cursor for the next one.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    /// Pass as `before` for the next page; absent on the last one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}
