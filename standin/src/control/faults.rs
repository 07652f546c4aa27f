//! Control API: fault injection — REST responses (429 with proper headers,
//! or 5xx) for the next N matching requests or, a storm, for every request
//! to every route during a time window; what the 429s asked for and which
//! requests came too early; and gateway faults (op 7
//! RECONNECT, op 9 INVALID_SESSION, abrupt socket drops).

use super::{body, CtlError, CtlResult};
use crate::gateway::hub::Fault as GwFault;
use crate::state::{App, Fault};
use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// `{method, route: "POST /guilds/{guild_id}/channels" or "/guilds/…" or "*",
/// status: 403|404|429|500..599, count, retry_after_ms?, scope?: "user"|"shared"|"global",
/// path?: "/channels/42/messages", delay_ms?, for_ms?, statuses?: [429, 500, …]}`.
/// A 403 answers as Discord's Missing Access (50001); a 404 as an unknown
/// resource (on the attachment route: a CDN link that expired). With `path`,
/// only requests to that concrete path match. With `delay_ms`, the answer is
/// held that long; with `delay_ms` and no `status`, it is then the normal
/// answer (a slow Discord, not a failing one).
///
/// A storm: `route: "*"` matches every route, any method (attachment
/// downloads too); `for_ms` makes the fault hold for that long instead of for
/// `count` requests; `statuses` are answered in turn, one per request. Its
/// 429s are like any injected 429: bucket headers, `Retry-After` and a JSON
/// `retry_after` of `retry_after_ms` (a `global` one has no bucket headers).
pub async fn add(State(app): State<App>, b: Bytes) -> CtlResult {
    let b = body(&b)?;
    let route_in = b.get("route").and_then(Value::as_str).ok_or_else(|| CtlError::bad("missing \"route\""))?;
    // Accept "POST /x" in `route` or a separate `method`.
    let (method, route) = match route_in.split_once(' ') {
        Some((m, r)) if !m.starts_with('/') => (m.to_uppercase(), r.to_string()),
        _ => (b.get("method").and_then(Value::as_str).unwrap_or("GET").to_uppercase(), route_in.to_string()),
    };
    let delay_ms = b.get("delay_ms").and_then(Value::as_u64).unwrap_or(0);
    let statuses: Vec<u16> = match b.get("statuses") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .map(|s| s.as_u64().map(|s| s as u16).ok_or_else(|| CtlError::bad("statuses must be numbers")))
            .collect::<CtlResult<_>>()?,
        Some(_) => return Err(CtlError::bad("statuses must be a list")),
    };
    let status = match (statuses.first(), b.get("status").and_then(Value::as_u64)) {
        (Some(first), _) => Some(*first),
        (None, None) if delay_ms > 0 => None,
        (None, status) => Some(status.unwrap_or(500) as u16),
    };
    let valid = |s: u16| matches!(s, 403 | 404 | 429) || (500..=599).contains(&s);
    if status.is_some_and(|s| !valid(s)) || statuses.iter().any(|s| !valid(*s)) {
        return Err(CtlError::bad("status must be 403, 404, 429 or 500-599"));
    }
    let scope = b.get("scope").and_then(Value::as_str).unwrap_or("user").to_string();
    if !matches!(scope.as_str(), "user" | "shared" | "global") {
        return Err(CtlError::bad("scope must be \"user\", \"shared\" or \"global\""));
    }
    let until = b.get("for_ms").and_then(Value::as_u64).map(|ms| Instant::now() + Duration::from_millis(ms));
    let fault = Fault {
        method,
        route,
        path: b.get("path").and_then(Value::as_str).map(str::to_string),
        delay_ms,
        status,
        remaining: b.get("count").and_then(Value::as_u64).unwrap_or(1) as u32,
        retry_after_ms: b.get("retry_after_ms").and_then(Value::as_u64).unwrap_or(1000),
        scope,
        until,
        statuses,
        served: 0,
    };
    app.faults.lock().push(fault);
    Ok(Json(json!({"ok": true})))
}

/// The 429s answered so far (`limited`, of them `limited_global`) and the
/// requests that came before the wait one of them gave had passed:
/// `{limited, limited_global, early, examples: [{bucket, major,
/// request, limited_at, at, retry_after_ms, early_by_ms}]}`.
pub async fn early_retries(State(app): State<App>) -> CtlResult {
    let t = app.throttles.lock();
    Ok(Json(json!({
        "limited": t.limited,
        "limited_global": t.limited_global,
        "early": t.early,
        "examples": t.examples,
    })))
}

pub async fn clear_early_retries(State(app): State<App>) -> CtlResult {
    app.throttles.lock().clear();
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

/// `{shard?, code}`: a close frame with `code` to the shard's live sessions.
pub async fn close_sessions(State(app): State<App>, b: Bytes) -> CtlResult {
    let b = body(&b)?;
    let code = b.get("code").and_then(Value::as_u64).ok_or_else(|| CtlError::bad("missing \"code\""))?;
    let code = u16::try_from(code).ok().filter(|c| (4000..5000).contains(c));
    let code = code.ok_or_else(|| CtlError::bad("code must be a gateway close code, 4000-4999"))?;
    inject(&app, &b, GwFault::Close { code })
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
