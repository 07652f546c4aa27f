//! OAuth2 as Discord does it, for dashboards logging users in: the
//! authorization-code grant. `/oauth2/authorize` approves at once for the
//! user signed in to the stand-in's "browser" (`PUT /_standin/oauth2/user`)
//! and redirects with a code; `POST /api/v10/oauth2/token` trades the code
//! (or a refresh token) for a Bearer token; `/users/@me` and
//! `/users/@me/guilds` answer for that token's user (see `users.rs`).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use serde_json::{json, Value};

use crate::state::App;

/// How long a code and an access token stay valid (Discord: minutes, a week).
const CODE_TTL: Duration = Duration::from_secs(600);
const TOKEN_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

fn random_token() -> String {
    let bytes: [u8; 24] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(json!({"error": error, "error_description": description}))).into_response()
}

/// `GET /oauth2/authorize?response_type=code&client_id&redirect_uri&scope&state`.
pub async fn authorize(State(app): State<App>, Query(q): Query<HashMap<String, String>>) -> Response {
    if q.get("response_type").map(String::as_str) != Some("code") {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_response_type", "only response_type=code");
    }
    if q.get("client_id").and_then(|c| c.parse::<u64>().ok()) != Some(app.config.application_id) {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_client", "unknown client_id");
    }
    let Some(redirect_uri) = q.get("redirect_uri").filter(|u| u.starts_with("http://") || u.starts_with("https://"))
    else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "redirect_uri is required");
    };
    let scope = q.get("scope").cloned().unwrap_or_default();
    let mut st = app.state.lock();
    let Some(user) = st.world.oauth.signed_in else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "login_required",
            "nobody is signed in to the stand-in: PUT /_standin/oauth2/user {\"user_id\"} first",
        );
    };
    let code = random_token();
    st.world.oauth.codes.insert(code.clone(), (user, redirect_uri.clone(), scope, Instant::now()));
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    let mut location = format!("{redirect_uri}{sep}code={code}");
    if let Some(state) = q.get("state") {
        location.push_str("&state=");
        location.push_str(&urlencode(state));
    }
    Redirect::to(&location).into_response()
}

fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// `POST /api/v10/oauth2/token` (form): `grant_type=authorization_code` with
/// `code` and `redirect_uri`, or `grant_type=refresh_token`; the client's id
/// and secret in the form or as HTTP Basic.
pub async fn token(State(app): State<App>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    let (id, secret) = basic_auth(&headers).unwrap_or_else(|| {
        (f.get("client_id").cloned().unwrap_or_default(), f.get("client_secret").cloned().unwrap_or_default())
    });
    if id.parse::<u64>().ok() != Some(app.config.application_id) || secret != app.config.client_secret {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "wrong client id or secret");
    }
    let mut st = app.state.lock();
    let oauth = &mut st.world.oauth;
    let (user, scope) = match f.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let code = f.get("code").cloned().unwrap_or_default();
            // A code works once, and only with the redirect_uri it was issued for.
            match oauth.codes.remove(&code) {
                Some((user, uri, scope, at)) if at.elapsed() < CODE_TTL && f.get("redirect_uri") == Some(&uri) => {
                    (user, scope)
                }
                _ => return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "invalid or used code"),
            }
        }
        Some("refresh_token") => match oauth.refresh_tokens.remove(f.get("refresh_token").map_or("", String::as_str)) {
            Some(found) => found,
            None => return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "invalid refresh token"),
        },
        _ => return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "unsupported grant_type"),
    };
    let (access, refresh) = (random_token(), random_token());
    oauth.tokens.insert(access.clone(), (user, scope.clone(), Instant::now() + TOKEN_TTL));
    oauth.refresh_tokens.insert(refresh.clone(), (user, scope.clone()));
    let body: Value = json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": TOKEN_TTL.as_secs(),
        "refresh_token": refresh,
        "scope": scope,
    });
    (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

fn basic_auth(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(value).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// The user (and scopes) of a valid Bearer token.
pub fn bearer_user(app: &App, authorization: Option<&str>) -> Option<(u64, String)> {
    let token = authorization?.strip_prefix("Bearer ")?;
    let st = app.state.lock();
    let (user, scope, expires) = st.world.oauth.tokens.get(token)?;
    (Instant::now() < *expires).then(|| (*user, scope.clone()))
}
