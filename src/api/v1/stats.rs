//! `GET /v1/guilds/{guild_id}/stats`: open tickets, opened and closed per
//! day, median first-response and resolution times, and per staff member.

use axum::extract::State;
use axum::Json;
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::auth::access::{Authorized, ReadTickets};
use crate::api::error_body::{GuildErrors, QueryErrors};
use crate::api::extract::Query;
use crate::api::{ApiState, Error, Result};
use crate::db;

#[derive(Debug, Deserialize, IntoParams)]
pub struct StatsQuery {
    /// The window in days, 1 to 365 (default 30), ending today (UTC).
    days: Option<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Stats {
    pub days: i32,
    /// Open now, whenever opened.
    pub open_tickets: i64,
    /// Of tickets opened in the window: from opening to the first staff reply
    /// or claim.
    pub median_first_response_seconds: Option<f64>,
    /// Of tickets opened in the window and closed: from opening to closing.
    pub median_resolution_seconds: Option<f64>,
    pub per_day: Vec<DayStats>,
    pub per_staff: Vec<StaffStats>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DayStats {
    pub date: NaiveDate,
    pub opened: i64,
    pub closed: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffStats {
    pub user_id: String,
    /// Replies relayed to users.
    pub replies: i64,
    /// Tickets they closed (not their own).
    pub tickets_closed: i64,
    /// Tickets where theirs was the first response.
    pub first_responses: i64,
    pub median_first_response_seconds: Option<f64>,
}

/// The guild's ticket statistics.
#[utoipa::path(get, path = "/v1/guilds/{guild_id}/stats", tag = "tickets",
    operation_id = "get_stats",
    params(("guild_id" = String, Path, description = "The guild's id"), StatsQuery),
    security(("session" = []), ("token" = ["tickets:read"])),
    responses(
        (status = 200, description = "The guild's ticket statistics", body = Stats),
        GuildErrors, QueryErrors,
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn get(
    State(state): State<ApiState>,
    access: Authorized<ReadTickets>,
    Query(query): Query<StatsQuery>,
) -> Result<Json<Stats>> {
    let days = query.days.unwrap_or(30);
    if !(1..=365).contains(&days) {
        return Err(Error::unprocessable([("days", "must be 1 to 365")]));
    }
    let guild = access.guild_db();
    // The window starts at midnight UTC of its first day, like `per_day`.
    let today = Utc::now().date_naive();
    let since = (today - chrono::Duration::days(i64::from(days) - 1)).and_time(chrono::NaiveTime::MIN).and_utc();
    let (summary, per_day, per_staff) = tokio::try_join!(
        db::ticket_reports::summary(&state.db, guild, since),
        db::ticket_reports::per_day(&state.db, guild, days),
        db::ticket_reports::per_staff(&state.db, guild, since),
    )?;
    Ok(Json(Stats {
        days,
        open_tickets: summary.open_now,
        median_first_response_seconds: summary.median_first_response_seconds,
        median_resolution_seconds: summary.median_resolution_seconds,
        per_day: per_day.into_iter().map(|d| DayStats { date: d.day, opened: d.opened, closed: d.closed }).collect(),
        per_staff: per_staff
            .into_iter()
            .map(|s| StaffStats {
                user_id: s.staff_id.to_string(),
                replies: s.replies,
                tickets_closed: s.tickets_closed,
                first_responses: s.tickets_first_responded,
                median_first_response_seconds: s.median_first_response_seconds,
            })
            .collect(),
    }))
}
