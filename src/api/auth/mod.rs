//! Who is calling the API, and what they may touch.
//!
//! * [`Caller`]: a dashboard session (cookie) or an API token (`Authorization:
//!   Bearer tkt_…`), authenticated and rate limited. Every authenticated route
//!   takes one, directly or through [`access::Authorized`].
//! * `login.rs`: the Discord OAuth2 login, callback and logout.
//! * `guilds.rs`: which guilds a user manages, from Discord, cached briefly.
//! * `authority.rs`: whether a token's creator still manages its guild.
//! * `access.rs`: the per-guild check every `/v1/guilds/{guild_id}/…` route
//!   runs before anything else.

pub mod access;
pub mod authority;
pub mod cookies;
pub mod discord;
pub mod guilds;
pub mod login;
pub mod oauth_state;
pub mod scopes;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use super::{rate_limit, ApiState, Error};
use crate::crypto;
use crate::db;
use crate::db::audit_log::AuditActor;
pub use scopes::Scope;

/// API tokens start with this, so they are recognisable in logs and to
/// secret scanners.
pub const TOKEN_PREFIX: &str = "tkt_";

/// An authenticated caller.
#[derive(Debug, Clone)]
pub enum Caller {
    Session(SessionCaller),
    Token(TokenCaller),
}

#[derive(Debug, Clone)]
pub struct SessionCaller {
    pub session: db::api_sessions::SessionRow,
}

#[derive(Debug, Clone)]
pub struct TokenCaller {
    pub token_id: i64,
    pub guild_id: u64,
    pub scopes: Vec<Scope>,
    pub created_by: i64,
}

impl Caller {
    /// The audit log's record of who made a change.
    pub fn actor(&self) -> AuditActor {
        match self {
            Caller::Session(s) => AuditActor { user_id: Some(s.session.user_id), token_id: None },
            Caller::Token(t) => AuditActor { user_id: Some(t.created_by), token_id: Some(t.token_id) },
        }
    }

    /// The ticket core's actor for this caller: an admin of the guild (the
    /// access check has established that), named for the logs.
    pub fn as_actor(&self) -> crate::domain::actor::Actor {
        use crate::domain::ids::UserId;
        let (user, name, api_token) = match self {
            Caller::Session(s) => (s.session.user_id, s.session.user_name.clone(), None),
            Caller::Token(t) => (t.created_by, format!("API token {}", t.token_id), Some(t.token_id)),
        };
        crate::domain::actor::Actor {
            user: UserId(user as u64),
            name,
            roles: Vec::new(),
            manage_guild: true,
            api_token,
        }
    }

    /// The rate limit bucket: per session, per token.
    fn bucket(&self) -> (&'static str, String) {
        match self {
            Caller::Session(s) => ("session", format!("s:{}", hex::encode(&s.session.session_hash[..12]))),
            Caller::Token(t) => ("token", format!("t:{}", t.token_id)),
        }
    }

    /// The session, or a 403 for routes only a logged-in person may use.
    pub fn session(&self) -> Result<&SessionCaller, Error> {
        match self {
            Caller::Session(session) => Ok(session),
            Caller::Token(_) => Err(Error::Forbidden("this needs a dashboard login; API tokens cannot do it".into())),
        }
    }
}

impl FromRequestParts<ApiState> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Error> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let caller = authenticate(parts, state).await?;
        let (kind, bucket) = caller.bucket();
        rate_limit::check(state, kind, &bucket).await?;
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

async fn authenticate(parts: &Parts, state: &ApiState) -> Result<Caller, Error> {
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .filter(|t| t.starts_with(TOKEN_PREFIX))
            .ok_or(Error::Unauthorized)?;
        // Revoked, expired, or never issued: the same 401, so a leaked token
        // tells its holder nothing about why.
        let row = db::api_tokens::authenticate(&state.db, &crypto::hash_secret(token.trim()))
            .await?
            .ok_or(Error::Unauthorized)?;
        if !authority::creator_manages(state, row.guild_id as u64, row.created_by as u64).await? {
            tracing::info!(token = row.token_id, "API token refused: its creator no longer manages the guild");
            return Err(Error::Unauthorized);
        }
        db::api_tokens::mark_used(&state.db, &row).await?;
        return Ok(Caller::Token(TokenCaller {
            token_id: row.token_id,
            guild_id: row.guild_id as u64,
            scopes: row.scopes.iter().filter_map(|s| Scope::parse(s)).collect(),
            created_by: row.created_by,
        }));
    }
    let id = cookies::read(&parts.headers, cookies::session(state.auth.cookie_secure)).ok_or(Error::Unauthorized)?;
    let session = db::api_sessions::find(&state.db, &crypto::hash_secret(&id)).await?.ok_or(Error::Unauthorized)?;
    Ok(Caller::Session(SessionCaller { session }))
}
