//! Which guilds a logged-in user manages: from Discord's `/users/@me/guilds`
//! with the session's token, cached in Redis for a minute (Discord limits that
//! endpoint tightly, and every guild route needs the answer). A refresh skips
//! the cache. A token Discord refuses ends the session.

use std::time::Duration;

use chrono::Utc;
use deadpool_redis::redis::AsyncCommands as _;
use secrecy::{ExposeSecret as _, SecretString};

use super::discord::{OAuthError, UserGuild};
use super::SessionCaller;
use crate::api::{ApiState, Error};
use crate::db;
use crate::domain::ids::UserId;

/// How long a user's guild list is trusted.
pub const CACHE_TTL: Duration = Duration::from_secs(60);

/// The guilds the session's user may manage (owner, Administrator or Manage
/// Server), from the cache unless `refresh`.
#[tracing::instrument(skip_all, fields(user = caller.session.user_id, refresh))]
pub async fn manageable(state: &ApiState, caller: &SessionCaller, refresh: bool) -> Result<Vec<UserGuild>, Error> {
    let key = state.auth.keys.api_user_guilds(UserId(caller.session.user_id as u64));
    if !refresh {
        if let Some(cached) = read_cache(state, &key).await {
            return Ok(cached);
        }
    }
    let access = access_token(state, caller).await?;
    let guilds = match state.auth.discord.guilds(access.expose_secret()).await {
        Ok(guilds) => guilds,
        Err(OAuthError::Refused) => return Err(end_session(state, caller).await),
        Err(OAuthError::Other(error)) => return Err(Error::Internal(error)),
    };
    let manageable: Vec<UserGuild> = guilds.into_iter().filter(UserGuild::manageable).collect();
    write_cache(state, &key, &manageable).await;
    Ok(manageable)
}

async fn read_cache(state: &ApiState, key: &str) -> Option<Vec<UserGuild>> {
    let mut conn = state.redis.get().await.ok()?;
    let text: Option<String> = conn.get(key).await.ok()?;
    serde_json::from_str(&text?).ok()
}

async fn write_cache(state: &ApiState, key: &str, guilds: &[UserGuild]) {
    let Ok(text) = serde_json::to_string(guilds) else { return };
    let written: Result<(), Error> = async {
        let mut conn = state.redis.get().await?;
        let () = conn.set_ex(key, text, CACHE_TTL.as_secs()).await?;
        Ok(())
    }
    .await;
    if let Err(error) = written {
        tracing::warn!(%error, "could not cache a user's guilds");
    }
}

/// The session's Discord access token, refreshed first if it is about to expire.
async fn access_token(state: &ApiState, caller: &SessionCaller) -> Result<SecretString, Error> {
    let session = &caller.session;
    let key = &state.auth.secret_key;
    let decrypt = |sealed: &[u8]| -> Result<String, Error> {
        let plain = key.decrypt(sealed).map_err(|e| Error::Internal(e.into()))?;
        String::from_utf8(plain).map_err(|e| Error::Internal(e.into()))
    };
    let fresh = session.access_expires_at > Utc::now() + chrono::Duration::minutes(1);
    let refresh_token = match (&session.refresh_token, fresh) {
        (Some(sealed), false) => decrypt(sealed)?,
        _ => return Ok(SecretString::from(decrypt(&session.access_token)?)),
    };
    let tokens = match state.auth.discord.refresh(&refresh_token).await {
        Ok(tokens) => tokens,
        Err(OAuthError::Refused) => return Err(end_session(state, caller).await),
        Err(OAuthError::Other(error)) => return Err(Error::Internal(error)),
    };
    let expires = tokens.access_expires_at(Utc::now());
    db::api_sessions::update_tokens(
        &state.db,
        &session.session_hash,
        &key.encrypt(tokens.access_token.as_bytes()),
        tokens.refresh_token.as_ref().map(|t| key.encrypt(t.as_bytes())).as_deref(),
        expires,
    )
    .await?;
    Ok(SecretString::from(tokens.access_token))
}

/// Discord no longer honours the session's token: log the browser out.
async fn end_session(state: &ApiState, caller: &SessionCaller) -> Error {
    match db::api_sessions::delete(&state.db, &caller.session.session_hash).await {
        Ok(()) => Error::Unauthorized,
        Err(error) => error.into(),
    }
}
