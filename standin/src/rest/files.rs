//! Uploads and downloads: reading a message body that is either JSON or
//! multipart/form-data (`payload_json` + `files[n]`), and serving stored
//! attachment bytes at `/attachments/{channel}/{attachment}/{filename}`.

use super::body_json;
use crate::error::{ApiError, ApiResult};
use crate::ops::messages::NewFile;
use crate::state::App;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// Largest body accepted (Discord allows 25 MiB of files per message).
pub const MAX_BODY: usize = 32 * 1024 * 1024;

/// Reads a create/edit-message body and its files.
pub async fn message_body(req: Request) -> ApiResult<(Value, Vec<NewFile>)> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !is_multipart {
        let bytes = axum::body::to_bytes(req.into_body(), MAX_BODY)
            .await
            .map_err(|_| ApiError::new(axum::http::StatusCode::PAYLOAD_TOO_LARGE, 40005, "Request entity too large"))?;
        return Ok((body_json(&bytes)?, Vec::new()));
    }
    let mut mp = Multipart::from_request(req, &()).await.map_err(|_| ApiError::invalid_json())?;
    let mut payload = json!({});
    let mut files: Vec<(usize, NewFile)> = Vec::new();
    while let Ok(Some(field)) = mp.next_field().await {
        let name = field.name().unwrap_or("").to_string();
        let filename = field.file_name().map(str::to_string);
        let content_type = field.content_type().map(str::to_string);
        let Ok(bytes) = field.bytes().await else {
            return Err(ApiError::invalid_json());
        };
        if name == "payload_json" {
            payload = body_json(&bytes)?;
        } else if let Some(n) =
            name.strip_prefix("files[").and_then(|r| r.strip_suffix(']')).and_then(|n| n.parse::<usize>().ok())
        {
            files.push((
                n,
                NewFile {
                    filename: filename.unwrap_or_else(|| format!("file{n}")),
                    description: None,
                    content_type,
                    bytes: bytes.to_vec(),
                },
            ));
        }
    }
    // `attachments: [{id: n, filename, description}]` names files[n].
    if let Some(meta) = payload.get("attachments").and_then(Value::as_array) {
        for m in meta {
            let Some(n) = m.get("id").and_then(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
            else {
                continue;
            };
            if let Some((_, f)) = files.iter_mut().find(|(i, _)| *i as u64 == n) {
                if let Some(name) = m.get("filename").and_then(Value::as_str) {
                    f.filename = name.to_string();
                }
                f.description = m.get("description").and_then(Value::as_str).map(str::to_string);
            }
        }
    }
    files.sort_by_key(|(n, _)| *n);
    Ok((payload, files.into_iter().map(|(_, f)| f).collect()))
}

/// The fault route of attachment downloads (they bypass the API layer: the
/// CDN needs no token and counts toward no rate limit).
pub const DOWNLOAD_ROUTE: &str = "/attachments/{channel_id}/{attachment_id}/{filename}";

/// Serves a stored attachment, unless a fault was injected for downloads.
pub async fn serve(State(app): State<App>, Path((c, a, name)): Path<(String, String, String)>) -> Response {
    let path = format!("/attachments/{c}/{a}/{name}");
    // A 429 on a download binds the next download of the channel's files.
    app.throttles.lock().arrived("GET", DOWNLOAD_ROUTE, &path, false, std::time::Instant::now());
    let response = serve_file(&app, &c, &a, &path);
    app.downloads.lock().push(crate::state::LoggedRequest {
        method: "GET".into(),
        route: format!("GET {DOWNLOAD_ROUTE}"),
        path,
        status: response.status().as_u16(),
        at: crate::ids::timestamp_now(),
    });
    response
}

fn serve_file(app: &App, c: &str, a: &str, path: &str) -> Response {
    if let Some(fault) = super::take_fault(app, "GET", DOWNLOAD_ROUTE, path) {
        return fault;
    }
    let (Some(cid), Some(aid)) = (crate::ids::parse(c), crate::ids::parse(a)) else {
        return ApiError::not_found().into_response();
    };
    let st = app.state.lock();
    match st.world.files.get(&aid).filter(|f| f.channel_id == cid) {
        Some(f) => {
            let ct = f.content_type.clone().unwrap_or_else(|| "application/octet-stream".into());
            ([(header::CONTENT_TYPE, ct)], f.bytes.clone()).into_response()
        }
        None => ApiError::not_found().into_response(),
    }
}
