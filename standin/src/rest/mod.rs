//! Discord's REST API v10 under `/api/v10`: the routes, plus the layer
//! every request passes through — authorization, injected faults, rate
//! limits with Discord's headers, and the request log.

pub mod access;
pub mod channels;
pub mod commands;
pub mod files;
pub mod guilds;
pub mod interactions;
pub mod messages;
pub mod oauth;
pub mod reactions;
pub mod users;

use crate::error::{ApiError, ApiResult};
use crate::ratelimit;
use crate::state::{App, Fault, LoggedRequest};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::{json, Value};

pub fn routes(app: App) -> Router<App> {
    Router::new()
        .route("/gateway", get(users::gateway))
        .route("/gateway/bot", get(users::gateway_bot))
        .route("/oauth2/token", post(oauth::token))
        .route("/users/@me", get(users::me))
        .route("/users/@me/guilds", get(users::my_guilds))
        .route("/users/@me/channels", post(users::open_dm))
        .route("/users/{user_id}", get(users::get_user))
        .route("/oauth2/applications/@me", get(users::application))
        .route("/applications/@me", get(users::application))
        .route(
            "/applications/{application_id}/commands",
            get(commands::list_global).put(commands::overwrite_global).post(commands::create_global),
        )
        .route(
            "/applications/{application_id}/guilds/{guild_id}/commands",
            get(commands::list_guild).put(commands::overwrite_guild).post(commands::create_guild),
        )
        .route("/guilds/{guild_id}", get(guilds::get_guild))
        .route("/guilds/{guild_id}/channels", get(guilds::channels).post(guilds::create_channel))
        .route("/guilds/{guild_id}/roles", get(guilds::roles))
        .route("/guilds/{guild_id}/members", get(guilds::members))
        .route("/guilds/{guild_id}/members/{user_id}", get(guilds::member).delete(guilds::kick))
        .route(
            "/channels/{channel_id}",
            get(channels::get_channel).patch(channels::modify).delete(channels::delete_channel),
        )
        .route(
            "/channels/{channel_id}/permissions/{overwrite_id}",
            put(channels::put_overwrite).delete(channels::delete_overwrite),
        )
        .route("/channels/{channel_id}/typing", post(channels::typing))
        .route("/channels/{channel_id}/messages", get(messages::list).post(messages::create))
        .route("/channels/{channel_id}/messages/bulk-delete", post(messages::bulk_delete))
        .route("/channels/{channel_id}/messages/pins", get(reactions::pins))
        .route("/channels/{channel_id}/pins", get(reactions::pins))
        .route("/channels/{channel_id}/messages/pins/{message_id}", put(reactions::pin).delete(reactions::unpin))
        .route("/channels/{channel_id}/pins/{message_id}", put(reactions::pin).delete(reactions::unpin))
        .route(
            "/channels/{channel_id}/messages/{message_id}",
            get(messages::get_message).patch(messages::edit).delete(messages::delete_message),
        )
        .route(
            "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
            put(reactions::react).delete(reactions::unreact),
        )
        .route("/interactions/{interaction_id}/{interaction_token}/callback", post(interactions::callback))
        .route("/webhooks/{application_id}/{interaction_token}", post(interactions::followup))
        .route(
            "/webhooks/{application_id}/{interaction_token}/messages/{message_id}",
            get(interactions::get_message).patch(interactions::edit_message).delete(interactions::delete_message),
        )
        .route_layer(middleware::from_fn_with_state(app, layer))
        .fallback(not_found)
}

/// `404: Not Found` in Discord's shape, for routes that do not exist.
pub async fn not_found() -> Response {
    ApiError::not_found().into_response()
}

/// Auth, faults, rate limits, headers and logging around every route.
async fn layer(State(app): State<App>, req: Request, next: Next) -> Response {
    let arrived = std::time::Instant::now();
    let method = req.method().as_str().to_string();
    let path = req.uri().path().trim_start_matches("/api/v10").to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().trim_start_matches("/api/v10").to_string())
        .unwrap_or_else(|| path.clone());
    // Interaction callbacks and webhooks are authorised by their token and
    // do not count toward the global limit.
    // The token endpoint checks the client's own credentials.
    let open = route.starts_with("/interactions/") || route.starts_with("/webhooks/") || route == "/oauth2/token";
    let auth = req.headers().get("authorization").and_then(|h| h.to_str().ok()).map(str::to_string);
    let expected = format!("Bot {}", app.config.bot_token);
    // A user's Bearer token (OAuth2) reaches only what it is for: who the user
    // is and their guilds.
    let bearer_ok = matches!(route.as_str(), "/users/@me" | "/users/@me/guilds")
        && oauth::bearer_user(&app, auth.as_deref()).is_some();
    let authorised = open || bearer_ok || auth.as_deref() == Some(expected.as_str());
    if auth.as_deref() == Some(expected.as_str()) || open {
        // Only the bot's own requests: a 429's wait binds the client it was given to.
        app.throttles.lock().arrived(&method, &route, &path, !open, arrived);
    }
    let fault = if authorised { take(&app, &method, &route, &path) } else { None };
    if let Some(delay) = fault.as_ref().map(|f| f.delay_ms).filter(|&ms| ms > 0) {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    let response = if !authorised {
        ApiError::unauthorized().into_response()
    } else if let Some(resp) = fault.and_then(|f| failure(&app, &f, &method, &route, &path)) {
        resp
    } else {
        let token = auth.unwrap_or_default();
        let checked = app.ratelimit.lock().check(
            &token,
            &method,
            &route,
            &path,
            app.config.global_rate_limit,
            app.config.route_limits,
            !open,
        );
        match checked {
            Err(limited) => limited_answer(&app, limited, &method, &route, &path),
            Ok(headers) => {
                let mut resp = next.run(req).await;
                add_headers(&mut resp, &headers);
                resp
            }
        }
    };
    let mut log = app.log.lock();
    log.push(LoggedRequest {
        method: method.clone(),
        route: format!("{method} {route}"),
        path,
        status: response.status().as_u16(),
        at: crate::ids::timestamp_now(),
    });
    // Keep the log bounded for long load tests.
    if log.len() > 200_000 {
        log.drain(..100_000);
    }
    response
}

fn add_headers(resp: &mut Response, headers: &ratelimit::Headers) {
    for (k, v) in headers {
        if let Ok(v) = HeaderValue::from_str(v) {
            resp.headers_mut().insert(HeaderName::from_static(k), v);
        }
    }
}

/// A 429 with Discord's body and headers.
pub fn too_many(l: ratelimit::Limited) -> Response {
    let body = json!({"message": "You are being rate limited.", "retry_after": l.retry_after, "global": l.global});
    let mut resp = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
    add_headers(&mut resp, &l.headers);
    resp
}

/// [`too_many`], remembered: the bucket, the time and the wait it gave, so a
/// request that comes before the wait has passed is seen as early.
pub fn limited_answer(app: &App, l: ratelimit::Limited, method: &str, route: &str, path: &str) -> Response {
    let now = std::time::Instant::now();
    app.throttles.lock().limited(method, route, path, l.retry_after, l.global, now);
    too_many(l)
}

/// Consumes one matching injected failure, if any (slow-answer faults do
/// not apply here: downloads are answered at once).
fn take_fault(app: &App, method: &str, route: &str, path: &str) -> Option<Response> {
    take(app, method, route, path).and_then(|f| failure(app, &f, method, route, path))
}

/// Consumes one injected fault matching the request, if any: one of a
/// counted fault's requests, or the next answer of a storm.
fn take(app: &App, method: &str, route: &str, path: &str) -> Option<Fault> {
    let now = std::time::Instant::now();
    let mut faults = app.faults.lock();
    let f = faults.iter_mut().find(|f| f.matches(method, route, path, now))?;
    if f.until.is_none() {
        f.remaining -= 1;
    }
    if !f.statuses.is_empty() {
        f.status = Some(f.statuses[(f.served % f.statuses.len() as u64) as usize]);
    }
    f.served += 1;
    let f = f.clone();
    faults.retain(|f| !f.spent(now));
    Some(f)
}

/// The answer of a failing fault; `None` for a slow-answer one.
fn failure(app: &App, f: &Fault, method: &str, route: &str, path: &str) -> Option<Response> {
    let code = f.status?;
    if code == 429 {
        let limited = ratelimit::injected_429(method, route, &f.scope, f.retry_after_ms);
        return Some(limited_answer(app, limited, method, route, path));
    }
    match code {
        403 => return Some(ApiError::new(StatusCode::FORBIDDEN, 50001, "Missing Access").into_response()),
        404 => return Some(ApiError::new(StatusCode::NOT_FOUND, 0, "404: Not Found").into_response()),
        _ => {}
    }
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Some((status, Json(json!({"code": 0, "message": format!("{code}: injected fault")}))).into_response())
}

/// Parses a JSON body; an empty body is `{}`.
pub fn body_json(bytes: &[u8]) -> ApiResult<Value> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(bytes).map_err(|_| ApiError::invalid_json())
}

/// Parses a snowflake path segment, or answers with `err`.
pub fn sf(s: &str, err: fn() -> ApiError) -> ApiResult<u64> {
    crate::ids::parse(s).ok_or_else(err)
}

/// 204 No Content.
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}
