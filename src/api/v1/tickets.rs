//! `GET /v1/guilds/{guild_id}/tickets` (filtered, newest first, a page at a
//! time) and `GET /v1/guilds/{guild_id}/tickets/{number}` (one ticket with
//! its relayed messages and its events).

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::refusals::id_problem;
use super::Page;
use crate::api::auth::access::{Authorized, ReadTickets};
use crate::api::error_body::{GuildErrors, QueryErrors};
use crate::api::extract::{Path, Query};
use crate::api::{ApiState, Error, Result};
use crate::db;
use crate::db::ticket_reports::{TicketFilter, TicketSummary};
use crate::domain::ids::UserId;

/// Messages returned with one ticket at most (the transcript has them all).
pub const MESSAGES_MAX: i64 = 1000;

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Open,
    Closed,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Modmail,
    Panel,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct TicketQuery {
    status: Option<Status>,
    kind: Option<Kind>,
    /// The opener's user id.
    opener: Option<String>,
    /// The user id of the staff member the ticket is assigned to (taken or claimed by).
    assigned_to: Option<String>,
    /// Opened at or after this time (RFC 3339).
    opened_after: Option<DateTime<Utc>>,
    /// Opened before this time (RFC 3339).
    opened_before: Option<DateTime<Utc>>,
    /// The previous page's `next`.
    before: Option<String>,
    /// 1 to 100 (default 50).
    limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Ticket {
    /// The guild's ticket number (#1, #2, …).
    pub number: i32,
    pub kind: Kind,
    pub status: Status,
    pub opener_id: String,
    pub opener_name: String,
    pub channel_id: String,
    pub assigned_to: Option<String>,
    /// The panel ticket type picked from the menu.
    pub ticket_type: Option<String>,
    /// The modmail category picked at the prompt.
    pub modmail_category: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<String>,
    /// A panel ticket's intake answers (question label to answer).
    pub answers: Option<serde_json::Value>,
    /// Whether `/transcript` has the HTML transcript (closed tickets, until retention ends).
    pub has_transcript: bool,
}

impl From<TicketSummary> for Ticket {
    fn from(t: TicketSummary) -> Self {
        Ticket {
            number: t.number,
            kind: if t.kind == "panel" { Kind::Panel } else { Kind::Modmail },
            status: if t.status == "closed" { Status::Closed } else { Status::Open },
            opener_id: t.opener_id.to_string(),
            opener_name: t.opener_name,
            channel_id: t.channel_id.to_string(),
            assigned_to: t.assigned_to.map(|id| id.to_string()),
            ticket_type: t.ticket_type,
            modmail_category: t.modmail_category,
            opened_at: t.opened_at,
            closed_at: t.closed_at,
            closed_by: t.closed_by.map(|id| id.to_string()),
            answers: t.answers,
            has_transcript: t.has_transcript,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Message {
    /// `to_staff` (from the user) or `to_user` (a staff reply).
    pub direction: String,
    pub author_id: String,
    pub author_name: Option<String>,
    pub content: String,
    /// A staff reply's number in the ticket (for `/edit` and `/delete`).
    pub staff_number: Option<i32>,
    pub anonymous: bool,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Event {
    /// e.g. `opened`, `taken`, `moved`, `closed`; `timer_failed` when a scheduled close,
    /// reminder or prompt timeout was given up (`detail` says which, after how
    /// many attempts, and the last error).
    pub kind: String,
    pub actor_id: Option<String>,
    pub detail: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketDetail {
    #[serde(flatten)]
    pub ticket: Ticket,
    pub messages: Vec<Message>,
    /// Whether there were more than the messages shown (see the transcript).
    pub messages_truncated: bool,
    pub events: Vec<Event>,
}

fn user_id(field: &'static str, raw: &Option<String>) -> Result<Option<i64>> {
    match raw.as_deref() {
        None | Some("") => Ok(None),
        Some(text) => text
            .parse::<UserId>()
            .map(|user| Some(user.db()))
            .map_err(|e| Error::unprocessable([(field, id_problem("a user id", e))])),
    }
}

/// The guild's tickets, newest first.
#[utoipa::path(get, path = "/v1/guilds/{guild_id}/tickets", tag = "tickets",
    operation_id = "list_tickets",
    params(("guild_id" = String, Path, description = "The guild's id"), TicketQuery),
    security(("session" = []), ("token" = ["tickets:read"])),
    responses(
        (status = 200, description = "A page of tickets", body = Page<Ticket>),
        GuildErrors, QueryErrors,
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn list(
    State(state): State<ApiState>,
    access: Authorized<ReadTickets>,
    Query(query): Query<TicketQuery>,
) -> Result<Json<Page<Ticket>>> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(Error::unprocessable([("limit", "must be 1 to 100")]));
    }
    let before_number = match query.before.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(raw.parse::<i32>().map_err(|_| Error::unprocessable([("before", "is not a cursor")]))?),
    };
    let filter = TicketFilter {
        status: query.status.map(|s| serde_plain(&s)),
        kind: query.kind.map(|k| serde_plain(&k)),
        opener: user_id("opener", &query.opener)?,
        assigned_to: user_id("assigned_to", &query.assigned_to)?,
        opened_after: query.opened_after,
        opened_before: query.opened_before,
        before_number,
        number: None,
    };
    let rows = db::ticket_reports::list(&state.db, access.guild_db(), &filter, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    let items: Vec<Ticket> = rows.into_iter().take(limit as usize).map(Ticket::from).collect();
    let next = if more { items.last().map(|t| t.number.to_string()) } else { None };
    Ok(Json(Page { items, next }))
}

/// One ticket with its messages and events.
#[utoipa::path(get, path = "/v1/guilds/{guild_id}/tickets/{number}", tag = "tickets",
    operation_id = "get_ticket",
    params(("guild_id" = String, Path, description = "The guild's id"), ("number" = i32, Path, description = "The ticket's number")),
    security(("session" = []), ("token" = ["tickets:read"])),
    responses(
        (status = 200, description = "The ticket", body = TicketDetail),
        GuildErrors,
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn get(
    State(state): State<ApiState>,
    access: Authorized<ReadTickets>,
    Path(ids): Path<(String, i32)>,
) -> Result<Json<TicketDetail>> {
    let ticket = db::ticket_reports::one(&state.db, access.guild_db(), ids.1).await?.ok_or(Error::NotFound)?;
    let (mut messages, events) = tokio::try_join!(
        db::ticket_reports::messages(&state.db, ticket.ticket_id, MESSAGES_MAX + 1),
        db::ticket_reports::events(&state.db, ticket.ticket_id)
    )?;
    let messages_truncated = messages.len() as i64 > MESSAGES_MAX;
    messages.truncate(MESSAGES_MAX as usize);
    Ok(Json(TicketDetail {
        ticket: ticket.into(),
        messages: messages
            .into_iter()
            .map(|m| Message {
                direction: m.direction,
                author_id: m.author_id.to_string(),
                author_name: m.author_name,
                content: m.content,
                staff_number: m.staff_number,
                anonymous: m.anonymous,
                created_at: m.created_at,
                edited_at: m.edited_at,
                deleted_at: m.deleted_at,
            })
            .collect(),
        messages_truncated,
        events: events
            .into_iter()
            .map(|e| Event {
                kind: e.kind,
                actor_id: e.actor_id.map(|id| id.to_string()),
                detail: e.detail,
                created_at: e.created_at,
            })
            .collect(),
    }))
}

/// A unit enum's serde name (`Status::Open` → `open`).
fn serde_plain<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}
