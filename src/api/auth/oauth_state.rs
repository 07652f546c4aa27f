//! The OAuth2 `state` values the API issued, kept in Redis until their
//! callback uses them (once) or 10 minutes pass.
//!
//! The state cookie already binds a login to its browser (nobody can finish
//! their login in a victim's browser). It does not stop a script, which sets
//! whatever cookie it likes: without a server-side record, any callback with
//! a made-up state and the same value in a cookie would make the API call
//! Discord's token endpoint, so a flood of forged callbacks would spend the
//! application's budget there. With it, a callback whose state the API did
//! not issue (or that was used already) is refused before Discord is called.
//! Only the state's SHA-256 is stored.

use std::time::Duration;

use deadpool_redis::redis::AsyncCommands as _;

use crate::api::{ApiState, Error};
use crate::crypto;

/// How long a browser has to come back from Discord's consent page.
pub const STATE_TTL: Duration = Duration::from_secs(600);

fn key(state: &ApiState, oauth_state: &str) -> String {
    state.auth.keys.api_oauth_state(&hex::encode(crypto::hash_secret(oauth_state)))
}

/// Records a state the login hands out. Without Redis no login can start (a
/// 503): its callback could not be checked.
pub async fn issue(state: &ApiState, oauth_state: &str) -> Result<(), Error> {
    let stored: Result<(), Error> = async {
        let mut conn = state.redis.get().await?;
        let () = conn.set_ex(key(state, oauth_state), 1, STATE_TTL.as_secs()).await?;
        Ok(())
    }
    .await;
    stored.map_err(|error| {
        tracing::warn!(%error, "could not record an OAuth2 state");
        unavailable()
    })
}

/// Whether `oauth_state` was issued and not used yet; uses it up (one `DEL`,
/// so of two callbacks racing with it only one gets `true`).
pub async fn take(state: &ApiState, oauth_state: &str) -> Result<bool, Error> {
    let taken: Result<i64, Error> = async {
        let mut conn = state.redis.get().await?;
        Ok(conn.del(key(state, oauth_state)).await?)
    }
    .await;
    match taken {
        Ok(deleted) => Ok(deleted == 1),
        Err(error) => {
            tracing::warn!(%error, "could not check an OAuth2 state");
            Err(unavailable())
        }
    }
}

fn unavailable() -> Error {
    Error::ServiceUnavailable { reason: "logging in is unavailable for a moment; try again shortly".to_owned() }
}
