//! Control API: fault injection — REST responses (429 with proper headers,
//! or 5xx) for the next N matching requests, and gateway faults (op 7
//! RECONNECT, op 9 INVALID_SESSION, abrupt socket drops).

use super::{body, CtlError, CtlResult};
use crate::gateway::hub::Fault as GwFault;
use crate::state::{App, Fault};
use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

/// `{method, route: "POST /guilds/{guild_id}/channels" or "/guilds/…",
/// status: 403|404|429|500..599, count, retry_after_ms?, scope?: "user"|"shared",
/// path?: "/channels/42/messages", delay_ms?}`. A 403 answers as Discord's
/// Missing Access (50001); a 404 as an unknown resource (on the attachment
/// route: a CDN link that expired). With `path`, only requests to that
/// concrete path match. With `delay_ms`, the answer is held that long; with
/// `delay_ms` and no `status`, it is then the normal answer (a slow Discord,
/// not a failing one).
pub async fn add(State(app): State<App>, b: Bytes) -> CtlResult {
    let b = body(&b)?;
    let route_in = b.get("route").and_then(Value::as_str).ok_or_else(|| CtlError::bad("missing \"route\""))?;
    // Accept "POST /x" in `route` or a separate `method`.
    let (method, route) = match route_in.split_once(' ') {
        Some((m, r)) if !m.starts_with('/') => (m.to_uppercase(), r.to_string()),
        _ => (b.get("method").and_then(Value::as_str).unwrap_or("GET").to_uppercase(), route_in.to_string()),
    };
    let delay_ms = b.get("delay_ms").and_then(Value::as_u64).unwrap_or(0);
    let status = match b.get("status").and_then(Value::as_u64) {
        None if delay_ms > 0 => None,
        status => Some(status.unwrap_or(500) as u16),
    };
    if status.is_some_and(|s| !matches!(s, 403 | 404 | 429) && !(500..=599).contains(&s)) {
        return Err(CtlError::bad("status must be 403, 404, 429 or 500-599"));
    }
    let scope = b.get("scope").and_then(Value::as_str).unwrap_or("user").to_string();
    if scope != "user" && scope != "shared" {
        return Err(CtlError::bad("scope must be \"user\" or \"shared\""));
    }
    let fault = Fault {
        method,
        route,
        path: b.get("path").and_then(Value::as_str).map(str::to_string),
        delay_ms,
        status,
        remaining: b.get("count").and_then(Value::as_u64).unwrap_or(1) as u32,
        retry_after_ms: b.get("retry_after_ms").and_then(Value::as_u64).unwrap_or(1000),
        scope,
    };
    app.faults.lock().push(fault);
    Ok(Json(json!({"ok": true})))
}

pub async fn clear(State(app): State<App>) -> CtlResult {
    app.faults.lock().clear();
    Ok(Json(json!({"ok": true})))
}

fn shard(b: &Value) -> Option<u32> {
    b.get("shard").and_then(Value::as_u64).map(|s| s as u32)
}

fn inject(app: &App, b: &Value, fault: GwFault) -> CtlResult {
    let n = app.state.lock().hub.fault(shard(b), fault);
    Ok(Json(json!({"sessions": n})))
}

pub async fn reconnect(State(app): State<App>, b: Bytes) -> CtlResult {
    let b = body(&b)?;
    inject(&app, &b, GwFault::Reconnect)
}

pub async fn invalidate(State(app): State<App>, b: Bytes) -> CtlResult {
    let b = body(&b)?;
    let resumable = b.get("resumable").and_then(Value::as_bool).unwrap_or(false);
    inject(&app, &b, GwFault::Invalidate { resumable })
}

/// `{shard?, after_seq?}`: the dispatches the shard's live sessions got
/// after `after_seq` (default 0: all buffered), delivered again.
pub async fn replay(State(app): State<App>, b: Bytes) -> CtlResult {
    let b = body(&b)?;
    let after = b.get("after_seq").and_then(Value::as_u64).unwrap_or(0);
    let n = app.state.lock().hub.replay(shard(&b), after);
    Ok(Json(json!({"replayed": n})))
}

pub async fn drop_sockets(State(app): State<App>, b: Bytes) -> CtlResult {
    let b = body(&b)?;
    inject(&app, &b, GwFault::Drop)
}
