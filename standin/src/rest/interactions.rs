//! Interaction callbacks and the interaction webhook (original response
//! and follow-ups). No bot token needed: the interaction token authorises.

use super::{files, messages::render, no_content, sf};
use crate::error::{ApiError, ApiResult};
use crate::ops::{self, interactions as ix};
use crate::state::App;
use axum::extract::{Path, Request, State};
use axum::response::Response;
use axum::Json;

pub async fn callback(
    State(app): State<App>,
    Path((i, token)): Path<(String, String)>,
    req: Request,
) -> ApiResult<Response> {
    let id = sf(&i, ApiError::unknown_interaction)?;
    let (body, _files) = files::message_body(req).await?;
    let mut st = app.state.lock();
    ix::callback(&app, &mut st, id, &token, &body)?;
    Ok(no_content())
}

fn check_app(app: &App, a: &str) -> ApiResult<()> {
    if sf(a, ApiError::unknown_webhook)? == app.config.application_id {
        Ok(())
    } else {
        Err(ApiError::unknown_webhook())
    }
}

/// Follow-ups always answer with the message: for interaction webhooks
/// Discord treats `wait` as always true (twilight sends no `wait`).
pub async fn followup(
    State(app): State<App>,
    Path((a, token)): Path<(String, String)>,
    req: Request,
) -> ApiResult<Json<serde_json::Value>> {
    check_app(&app, &a)?;
    let (body, files) = files::message_body(req).await?;
    let mut st = app.state.lock();
    let id = ix::by_token(&st, &token)?;
    let mid = ix::followup(&app, &mut st, id, &body, files)?;
    Ok(Json(render(&app, &st, mid)))
}

pub async fn get_message(
    State(app): State<App>,
    Path((a, token, m)): Path<(String, String, String)>,
) -> ApiResult<Json<serde_json::Value>> {
    check_app(&app, &a)?;
    let st = app.state.lock();
    let id = ix::by_token(&st, &token)?;
    let mid = ix::webhook_message(&st, id, &m)?;
    Ok(Json(render(&app, &st, mid)))
}

pub async fn edit_message(
    State(app): State<App>,
    Path((a, token, m)): Path<(String, String, String)>,
    req: Request,
) -> ApiResult<Json<serde_json::Value>> {
    check_app(&app, &a)?;
    let (body, _files) = files::message_body(req).await?;
    ops::validate::message(&body)?;
    let mut st = app.state.lock();
    let id = ix::by_token(&st, &token)?;
    let mid = ix::webhook_message(&st, id, &m)?;
    ops::messages::edit(&app, &mut st, mid, &body)?;
    Ok(Json(render(&app, &st, mid)))
}

pub async fn delete_message(
    State(app): State<App>,
    Path((a, token, m)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    check_app(&app, &a)?;
    let mut st = app.state.lock();
    let id = ix::by_token(&st, &token)?;
    let mid = ix::webhook_message(&st, id, &m)?;
    ops::messages::delete(&app, &mut st, mid)?;
    Ok(no_content())
}
