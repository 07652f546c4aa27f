//! `GET /v1/me` and `GET /v1/me/guilds`: who is calling, and which guilds a
//! logged-in admin can configure (with an invite link where the bot is not).

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::auth::{guilds, Caller};
use crate::api::error_body::{ErrorBody, SessionErrors};
use crate::api::extract::Query;
use crate::api::{ApiState, Result};
use crate::db;

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// `session` (a Discord login) or `token`.
    pub kind: String,
    /// The user (for a token: who created it).
    pub user_id: String,
    /// The Discord user's display name (sessions only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// For a token: its guild and scopes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<crate::api::auth::Scope>>,
}

/// The caller.
#[utoipa::path(get, path = "/v1/me", tag = "me", security(("session" = []), ("token" = [])),
    operation_id = "get_me",
    responses(
        (status = 200, description = "Who the caller is", body = Me),
        SessionErrors,
    ))]
#[tracing::instrument(skip_all)]
pub async fn me(caller: Caller) -> Json<Me> {
    Json(match caller {
        Caller::Session(s) => Me {
            kind: "session".into(),
            user_id: s.session.user_id.to_string(),
            user_name: Some(s.session.user_name),
            guild_id: None,
            scopes: None,
        },
        Caller::Token(t) => Me {
            kind: "token".into(),
            user_id: t.created_by.to_string(),
            user_name: None,
            guild_id: Some(t.guild_id.to_string()),
            scopes: Some(t.scopes),
        },
    })
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct GuildsQuery {
    /// Ask Discord again instead of using the list cached for a minute.
    #[serde(default)]
    refresh: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ManagedGuild {
    pub id: String,
    pub name: String,
    pub icon: Option<String>,
    pub owner: bool,
    /// Whether Ticketeer is in the guild (only then can it be configured).
    pub bot_present: bool,
    /// Where to add Ticketeer, when it is not there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invite_url: Option<String>,
}

/// The guilds the logged-in user owns or has Administrator or Manage Server in.
#[utoipa::path(get, path = "/v1/me/guilds", tag = "me", params(GuildsQuery), security(("session" = [])),
    operation_id = "list_my_guilds",
    responses(
        (status = 200, description = "The guilds the caller may manage", body = [ManagedGuild]),
        SessionErrors,
        (status = 400, description = "A query parameter that does not parse", body = ErrorBody),
        (status = 403, description = "API tokens cannot list guilds", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn guilds(
    State(state): State<ApiState>,
    caller: Caller,
    Query(query): Query<GuildsQuery>,
) -> Result<Json<Vec<ManagedGuild>>> {
    let session = caller.session()?;
    let managed = guilds::manageable(&state, session, query.refresh).await?;
    let ids: Vec<i64> = managed.iter().map(|g| g.id as i64).collect();
    let present = db::guilds::present(&state.db, &ids).await?;
    Ok(Json(
        managed
            .into_iter()
            .map(|g| {
                let bot_present = present.contains(&(g.id as i64));
                ManagedGuild {
                    id: g.id.to_string(),
                    invite_url: (!bot_present).then(|| state.auth.discord.invite_url(g.id)),
                    name: g.name,
                    icon: g.icon,
                    owner: g.owner,
                    bot_present,
                }
            })
            .collect(),
    ))
}
