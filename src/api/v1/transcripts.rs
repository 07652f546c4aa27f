//! Transcript pages: for admins (`/v1/guilds/{guild_id}/tickets/{number}/transcript`)
//! and for a ticket's opener through the signed, expiring link in their close
//! DM (`/v1/transcripts/{ticket_id}`). Both serve the stored HTML with a strict
//! Content-Security-Policy: the page runs no script, loads nothing but
//! Discord's images, and cannot be framed.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::auth::access::{Authorized, ReadTickets};
use crate::api::error_body::{ErrorBody, GuildErrors};
use crate::api::extract::{Path, Query};
use crate::api::ip_limit::{self, PerIp};
use crate::api::{ApiState, Error, Result};
use crate::db;

/// The page's policy: inline styles only, Discord's image hosts, nothing else.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; \
     img-src https://cdn.discordapp.com https://media.discordapp.net data:; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'; sandbox";

fn page(html: String) -> Response {
    let mut response = html.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    response
}

/// A closed ticket's transcript page.
#[utoipa::path(get, path = "/v1/guilds/{guild_id}/tickets/{number}/transcript", tag = "tickets",
    operation_id = "get_ticket_transcript",
    params(("guild_id" = String, Path, description = "The guild's id"), ("number" = i32, Path, description = "The ticket's number")),
    security(("session" = []), ("token" = ["tickets:read"])),
    responses(
        (status = 200, description = "The HTML transcript", content_type = "text/html", body = String),
        GuildErrors,
        (status = 404, description = "No such ticket, or no transcript (open, or past retention)", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn for_admins(
    State(state): State<ApiState>,
    access: Authorized<ReadTickets>,
    Path(ids): Path<(String, i32)>,
) -> Result<Response> {
    let ticket = db::ticket_reports::one(&state.db, access.guild_db(), ids.1).await?.ok_or(Error::NotFound)?;
    let html = db::transcripts::html(&state.db, ticket.ticket_id).await?.ok_or(Error::NotFound)?;
    Ok(page(html))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct LinkQuery {
    /// When the link stops working (Unix seconds).
    expires: i64,
    signature: String,
}

/// A transcript through the signed link in the opener's close DM.
#[utoipa::path(get, path = "/v1/transcripts/{ticket_id}", tag = "tickets",
    operation_id = "get_transcript_by_link",
    params(("ticket_id" = i64, Path, description = "The ticket's internal id, from the link"), LinkQuery),
    responses(
        (status = 200, description = "The HTML transcript", content_type = "text/html", body = String),
        (status = 400, description = "A query parameter that does not parse", body = ErrorBody),
        (status = 403, description = "The link is not genuine or has expired", body = ErrorBody),
        (status = 404, description = "The transcript is past retention", body = ErrorBody),
        (status = 429, description = "Too many requests from this address", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn by_link(
    State(state): State<ApiState>,
    _: PerIp<ip_limit::TranscriptLink>,
    Path(ticket_id): Path<i64>,
    Query(link): Query<LinkQuery>,
) -> Result<Response> {
    if !state.auth.transcript_links.verify(ticket_id, link.expires, &link.signature, Utc::now()) {
        return Err(Error::Forbidden("this transcript link is not valid or has expired".into()));
    }
    // The user's own transcript, never the staff channel's.
    let html = db::transcripts::member_html(&state.db, ticket_id).await?.ok_or(Error::NotFound)?;
    Ok(page(html))
}
