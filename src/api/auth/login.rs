//! The dashboard login, with Discord OAuth2's authorization-code grant:
//!
//! 1. `GET /v1/auth/login` makes a random `state`, records it in Redis
//!    (`oauth_state.rs`), sets it in a short-lived cookie and redirects to
//!    Discord's consent page with it.
//! 2. `GET /v1/auth/callback?code&state` accepts only the `state` of this
//!    browser's cookie (so nobody can log a victim into their own account)
//!    that the API issued and nobody used yet (so forged callbacks never
//!    reach Discord), trades the code for tokens, reads the user, stores a
//!    session (Discord's tokens encrypted) and sets the session cookie, which
//!    holds only a random id. Then it redirects to the dashboard.
//! 3. `POST /v1/auth/logout` deletes the session and the cookie.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use utoipa::IntoParams;

use super::discord::OAuthError;
use super::{cookies, oauth_state};
use crate::api::ip_limit::{self, PerIp};
use crate::api::{ApiState, Error};
use crate::crypto;
use crate::db;

/// How long a login lasts.
pub const SESSION_DAYS: i64 = 7;

fn callback_url(state: &ApiState) -> String {
    format!("{}/v1/auth/callback", state.auth.public_url)
}

/// Starts a login: redirects to Discord's consent page.
#[utoipa::path(get, path = "/v1/auth/login", tag = "auth",
    responses(
        (status = 303, description = "Redirect to Discord's OAuth2 consent page"),
        (status = 429, description = "Too many logins from this address", body = crate::api::error_body::ErrorBody),
        (status = 503, description = "Logins cannot start now (Redis is unavailable)", body = crate::api::error_body::ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn login(State(state): State<ApiState>, _: PerIp<ip_limit::Login>) -> Result<Response, Error> {
    let csrf = crypto::random_secret(32);
    oauth_state::issue(&state, &csrf).await?;
    let location = state.auth.discord.authorize_url(&callback_url(&state), &csrf);
    let secure = state.auth.cookie_secure;
    let cookie = cookies::set(cookies::oauth_state(secure), &csrf, oauth_state::STATE_TTL.as_secs(), secure);
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&location)).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CallbackQuery {
    /// The authorization code from Discord.
    code: Option<String>,
    /// The `state` the login gave.
    state: Option<String>,
    /// Set by Discord when the user declined.
    error: Option<String>,
}

/// Finishes a login: Discord redirects the browser here.
#[utoipa::path(get, path = "/v1/auth/callback", tag = "auth", params(CallbackQuery),
    responses(
        (status = 303, description = "Logged in: session cookie set, redirect to the dashboard"),
        (status = 400, description = "Missing or mismatched state or code, or the user declined", body = crate::api::error_body::ErrorBody),
        (status = 429, description = "Too many callbacks from this address", body = crate::api::error_body::ErrorBody),
        (status = 503, description = "The state cannot be checked now (Redis is unavailable)", body = crate::api::error_body::ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn callback(
    State(state): State<ApiState>,
    _: PerIp<ip_limit::Callback>,
    headers: HeaderMap,
    query: Result<Query<CallbackQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Error> {
    let Query(query) = query.map_err(|e| Error::BadRequest(e.body_text()))?;
    if let Some(error) = query.error {
        return Err(Error::BadRequest(format!("Discord did not authorise the login ({error}); start again")));
    }
    let secure = state.auth.cookie_secure;
    let expected = cookies::read(&headers, cookies::oauth_state(secure));
    let given = match (&expected, &query.state) {
        (Some(expected), Some(given)) if crypto::secrets_equal(expected, given) => given,
        _ => {
            return Err(Error::BadRequest(
                "the login's state does not match this browser's; start again at /v1/auth/login".into(),
            ))
        }
    };
    // Before anything reaches Discord: a state the API issued, used once.
    if !oauth_state::take(&state, given).await? {
        return Err(Error::BadRequest(
            "the login's state was not issued here, has expired or was used already; start again at /v1/auth/login"
                .into(),
        ));
    }
    let code =
        query.code.filter(|c| !c.is_empty()).ok_or_else(|| Error::BadRequest("the callback has no code".into()))?;

    let discord = &state.auth.discord;
    let tokens = match discord.exchange_code(&code, &callback_url(&state)).await {
        Ok(tokens) => tokens,
        Err(OAuthError::Refused) => {
            return Err(Error::BadRequest("Discord refused the code (used or expired); start again".into()))
        }
        Err(OAuthError::Other(error)) => return Err(Error::Internal(error)),
    };
    let user = match discord.current_user(&tokens.access_token).await {
        Ok(user) => user,
        Err(OAuthError::Refused) => return Err(Error::BadRequest("Discord refused the new token; start again".into())),
        Err(OAuthError::Other(error)) => return Err(Error::Internal(error)),
    };

    let session_id = crypto::random_secret(32);
    let key = &state.auth.secret_key;
    let now = Utc::now();
    db::api_sessions::create(
        &state.db,
        db::api_sessions::NewSession {
            session_hash: &crypto::hash_secret(&session_id),
            user_id: user.id as i64,
            user_name: user.global_name.as_deref().unwrap_or(&user.username),
            access_token: &key.encrypt(tokens.access_token.as_bytes()),
            refresh_token: tokens.refresh_token.as_ref().map(|t| key.encrypt(t.as_bytes())).as_deref(),
            access_expires_at: tokens.access_expires_at(now),
            expires_at: now + chrono::Duration::days(SESSION_DAYS),
        },
    )
    .await?;
    tracing::info!(user = user.id, "dashboard login");

    let session_cookie = cookies::set(cookies::session(secure), &session_id, (SESSION_DAYS * 86_400) as u64, secure);
    let clear_state = cookies::set(cookies::oauth_state(secure), "", 0, secure);
    let mut response = Redirect::to(&state.auth.after_login_url).into_response();
    response.headers_mut().append(header::SET_COOKIE, session_cookie);
    response.headers_mut().append(header::SET_COOKIE, clear_state);
    Ok(response)
}

/// Ends the browser's session.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth",
    responses(
        (status = 204, description = "Logged out (also when there was no session)"),
        (status = 403, description = "A cookie write from another origin", body = crate::api::error_body::ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn logout(State(state): State<ApiState>, headers: HeaderMap) -> Result<Response, Error> {
    let secure = state.auth.cookie_secure;
    if let Some(id) = cookies::read(&headers, cookies::session(secure)) {
        db::api_sessions::delete(&state.db, &crypto::hash_secret(&id)).await?;
    }
    let clear = cookies::set(cookies::session(secure), "", 0, secure);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response())
}
