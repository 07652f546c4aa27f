//! The check every `/v1/guilds/{guild_id}/…` route runs before anything else.
//!
//! A handler cannot learn its guild without taking [`Authorized`], and
//! `Authorized<N>` names in its type what the route needs (`N`), so a route
//! cannot forget its check or ask for the wrong one:
//!
//! * a session passes if its user owns the guild or has Administrator or
//!   Manage Server there (from Discord, see `guilds.rs`);
//! * a token passes if it was made for this guild and carries `N`'s scope;
//!   routes for people only ([`Session`]) refuse tokens;
//! * and either way the bot must be in the guild.
//!
//! A guild the caller may not see is a 404, exactly as a guild that does not
//! exist, so nobody can probe which guilds use Ticketeer. A token with the
//! right guild but not the scope gets a 403 naming the scope.

use std::collections::HashMap;
use std::marker::PhantomData;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;

use super::{guilds, Caller, Scope};
use crate::api::{ApiState, Error};
use crate::db;
use crate::domain::ids::GuildId;

/// What a route needs of its caller.
pub trait Need: Send + Sync + 'static {
    /// The token scope, or `None` for routes only a logged-in person may use.
    const SCOPE: Option<Scope>;
}

macro_rules! needs {
    ($($(#[$doc:meta])* $name:ident => $scope:expr;)*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;
        impl Need for $name {
            const SCOPE: Option<Scope> = $scope;
        }
    )*};
}

needs! {
    /// Reading settings, types, categories, snippets, blocks.
    ReadSettings => Some(Scope::SettingsRead);
    /// Changing them.
    WriteSettings => Some(Scope::SettingsWrite);
    /// Reading tickets, transcripts and statistics.
    ReadTickets => Some(Scope::TicketsRead);
    /// Reading the audit log.
    ReadAuditLog => Some(Scope::AuditLogRead);
    /// Managing tokens, billing, export and erasure: people only.
    Session => None;
}

/// A caller allowed `N` in `guild`.
#[derive(Debug)]
pub struct Authorized<N: Need> {
    pub guild: GuildId,
    pub caller: Caller,
    /// A session whose user owns the guild (tokens: `false`).
    pub owner: bool,
    need: PhantomData<N>,
}

impl<N: Need> Authorized<N> {
    pub fn guild_db(&self) -> i64 {
        self.guild.db()
    }
}

impl<N: Need> FromRequestParts<ApiState> for Authorized<N> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Error> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let Path(params) =
            Path::<HashMap<String, String>>::from_request_parts(parts, state).await.map_err(|_| Error::NotFound)?;
        // Not an id (or one too large to be stored): no such guild, 404.
        let guild = params.get("guild_id").and_then(|raw| raw.parse::<GuildId>().ok()).ok_or(Error::NotFound)?;
        let owner = match &caller {
            Caller::Token(token) => {
                if token.guild_id != guild.get() {
                    return Err(Error::NotFound);
                }
                match N::SCOPE {
                    None => {
                        caller.session()?;
                    }
                    Some(scope) if !token.scopes.contains(&scope) => {
                        return Err(Error::Forbidden(format!("this token lacks the `{}` scope", scope.as_str()).into()))
                    }
                    Some(_) => {}
                }
                false
            }
            Caller::Session(session) => {
                let managed = guilds::manageable(state, session, false).await?;
                managed.iter().find(|g| g.id == guild.get()).ok_or(Error::NotFound)?.owner
            }
        };
        if db::guilds::present(&state.db, &[guild.db()]).await?.is_empty() {
            return Err(Error::NotFound);
        }
        Ok(Self { guild, caller, owner, need: PhantomData })
    }
}
