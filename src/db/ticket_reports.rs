//! Read models of tickets for the API: the filtered, paginated list, one
//! ticket with its messages and events, and a guild's statistics. Reads only;
//! the ticket core owns every write.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgExecutor;

/// What the list may be narrowed to; `None` means any.
#[derive(Debug, Default, Clone)]
pub struct TicketFilter {
    pub status: Option<String>,
    pub kind: Option<String>,
    pub opener: Option<i64>,
    pub assigned_to: Option<i64>,
    pub opened_after: Option<DateTime<Utc>>,
    pub opened_before: Option<DateTime<Utc>>,
    /// Tickets numbered below this (the cursor).
    pub before_number: Option<i32>,
    /// Only ticket number N.
    pub number: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct TicketSummary {
    pub ticket_id: i64,
    pub number: i32,
    pub kind: String,
    pub status: String,
    pub opener_id: i64,
    pub opener_name: String,
    pub channel_id: i64,
    pub assigned_to: Option<i64>,
    pub ticket_type: Option<String>,
    pub modmail_category: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<i64>,
    pub answers: Option<serde_json::Value>,
    pub has_transcript: bool,
}

/// Newest first, `limit` at most.
#[tracing::instrument(skip(db))]
pub async fn list(
    db: impl PgExecutor<'_>,
    guild_id: i64,
    filter: &TicketFilter,
    limit: i64,
) -> sqlx::Result<Vec<TicketSummary>> {
    sqlx::query_as!(
        TicketSummary,
        r#"SELECT t.ticket_id, t.number, t.kind, t.status, t.opener_id, t.opener_name, t.channel_id, t.assigned_to,
                  tt.name AS "ticket_type?", mc.name AS "modmail_category?", t.opened_at, t.closed_at, t.closed_by,
                  t.answers, EXISTS (SELECT 1 FROM transcripts tr WHERE tr.ticket_id = t.ticket_id) AS "has_transcript!"
           FROM tickets t
           LEFT JOIN ticket_types tt ON tt.type_id = t.ticket_type_id
           LEFT JOIN modmail_categories mc ON mc.category_id = t.modmail_category_id
           WHERE t.guild_id = $1
             AND ($2::TEXT IS NULL OR t.status = $2)
             AND ($3::TEXT IS NULL OR t.kind = $3)
             AND ($4::BIGINT IS NULL OR t.opener_id = $4)
             AND ($5::BIGINT IS NULL OR t.assigned_to = $5)
             AND ($6::TIMESTAMPTZ IS NULL OR t.opened_at >= $6)
             AND ($7::TIMESTAMPTZ IS NULL OR t.opened_at < $7)
             AND ($8::INTEGER IS NULL OR t.number < $8)
             AND ($10::INTEGER IS NULL OR t.number = $10)
           ORDER BY t.number DESC
           LIMIT $9"#,
        guild_id,
        filter.status,
        filter.kind,
        filter.opener,
        filter.assigned_to,
        filter.opened_after,
        filter.opened_before,
        filter.before_number,
        limit,
        filter.number
    )
    .fetch_all(db)
    .await
}

/// Ticket `number` of the guild.
#[tracing::instrument(skip(db))]
pub async fn one(db: impl PgExecutor<'_>, guild_id: i64, number: i32) -> sqlx::Result<Option<TicketSummary>> {
    let filter = TicketFilter { number: Some(number), ..TicketFilter::default() };
    Ok(list(db, guild_id, &filter, 1).await?.pop())
}

#[derive(Debug, Clone)]
pub struct RelayedMessage {
    pub direction: String,
    pub author_id: i64,
    pub author_name: Option<String>,
    pub content: String,
    pub staff_number: Option<i32>,
    pub anonymous: bool,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// The ticket's relayed messages in order, at most `limit`.
#[tracing::instrument(skip(db))]
pub async fn messages(db: impl PgExecutor<'_>, ticket_id: i64, limit: i64) -> sqlx::Result<Vec<RelayedMessage>> {
    sqlx::query_as!(
        RelayedMessage,
        "SELECT direction, author_id, author_name, content, staff_number, anonymous, created_at, edited_at, deleted_at
         FROM ticket_messages WHERE ticket_id = $1 ORDER BY ticket_message_id LIMIT $2",
        ticket_id,
        limit
    )
    .fetch_all(db)
    .await
}

#[derive(Debug, Clone)]
pub struct Event {
    pub kind: String,
    pub actor_id: Option<i64>,
    pub detail: String,
    pub created_at: DateTime<Utc>,
}

/// The ticket's events in order.
#[tracing::instrument(skip(db))]
pub async fn events(db: impl PgExecutor<'_>, ticket_id: i64) -> sqlx::Result<Vec<Event>> {
    sqlx::query_as!(
        Event,
        "SELECT kind, actor_id, detail, created_at FROM ticket_events WHERE ticket_id = $1 ORDER BY event_id",
        ticket_id
    )
    .fetch_all(db)
    .await
}

/// Tickets opened and closed on one day (UTC).
#[derive(Debug, Clone)]
pub struct Day {
    pub day: NaiveDate,
    pub opened: i64,
    pub closed: i64,
}

/// Opened and closed per day over the last `days` days, oldest first, every
/// day present (zeros included).
#[tracing::instrument(skip(db))]
pub async fn per_day(db: impl PgExecutor<'_>, guild_id: i64, days: i32) -> sqlx::Result<Vec<Day>> {
    sqlx::query_as!(
        Day,
        r#"WITH days AS (
               SELECT generate_series((now() AT TIME ZONE 'UTC')::date - ($2::INTEGER - 1), (now() AT TIME ZONE 'UTC')::date, '1 day')::date AS day
           )
           SELECT d.day AS "day!",
                  (SELECT count(*) FROM tickets t WHERE t.guild_id = $1 AND (t.opened_at AT TIME ZONE 'UTC')::date = d.day) AS "opened!",
                  (SELECT count(*) FROM tickets t WHERE t.guild_id = $1 AND (t.closed_at AT TIME ZONE 'UTC')::date = d.day) AS "closed!"
           FROM days d ORDER BY d.day"#,
        guild_id,
        days
    )
    .fetch_all(db)
    .await
}

/// The guild's headline figures over tickets opened since `since`.
#[derive(Debug, Clone)]
pub struct Summary {
    pub open_now: i64,
    pub median_first_response_seconds: Option<f64>,
    pub median_resolution_seconds: Option<f64>,
}

/// First response: a staff reply relayed to the user, or staff taking
/// (claiming) the ticket, whichever came first. Resolution: open to closed.
#[tracing::instrument(skip(db))]
pub async fn summary(db: impl PgExecutor<'_>, guild_id: i64, since: DateTime<Utc>) -> sqlx::Result<Summary> {
    sqlx::query_as!(
        Summary,
        r#"WITH window_tickets AS (
               SELECT t.ticket_id, t.opened_at, t.closed_at,
                      LEAST(
                          (SELECT min(m.created_at) FROM ticket_messages m WHERE m.ticket_id = t.ticket_id AND m.direction = 'to_user'),
                          (SELECT min(e.created_at) FROM ticket_events e WHERE e.ticket_id = t.ticket_id AND e.kind = 'taken')
                      ) AS first_response_at
               FROM tickets t WHERE t.guild_id = $1 AND t.opened_at >= $2
           )
           SELECT (SELECT count(*) FROM tickets WHERE guild_id = $1 AND status = 'open') AS "open_now!",
                  (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM first_response_at - opened_at))
                     FROM window_tickets WHERE first_response_at IS NOT NULL)::FLOAT8 AS median_first_response_seconds,
                  (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM closed_at - opened_at))
                     FROM window_tickets WHERE closed_at IS NOT NULL)::FLOAT8 AS median_resolution_seconds"#,
        guild_id,
        since
    )
    .fetch_one(db)
    .await
}

/// One staff member's work over tickets opened since the window's start
/// (closing one's own ticket is not staff work, so it is not counted).
#[derive(Debug, Clone)]
pub struct StaffFigures {
    pub staff_id: i64,
    pub replies: i64,
    pub tickets_closed: i64,
    pub tickets_first_responded: i64,
    pub median_first_response_seconds: Option<f64>,
}

#[tracing::instrument(skip(db))]
pub async fn per_staff(
    db: impl PgExecutor<'_>,
    guild_id: i64,
    since: DateTime<Utc>,
) -> sqlx::Result<Vec<StaffFigures>> {
    sqlx::query_as!(
        StaffFigures,
        r#"WITH window_tickets AS (
               SELECT ticket_id, opened_at, closed_by, opener_id FROM tickets WHERE guild_id = $1 AND opened_at >= $2
           ),
           responses AS (
               SELECT DISTINCT ON (w.ticket_id) w.ticket_id, r.staff_id, EXTRACT(EPOCH FROM r.at - w.opened_at) AS seconds
               FROM window_tickets w
               JOIN (
                   SELECT ticket_id, author_id AS staff_id, created_at AS at FROM ticket_messages WHERE direction = 'to_user'
                   UNION ALL
                   SELECT ticket_id, actor_id, created_at FROM ticket_events WHERE kind = 'taken' AND actor_id IS NOT NULL
               ) r ON r.ticket_id = w.ticket_id
               ORDER BY w.ticket_id, r.at
           ),
           staff AS (
               SELECT author_id AS staff_id FROM ticket_messages m JOIN window_tickets w USING (ticket_id) WHERE m.direction = 'to_user'
               UNION SELECT closed_by FROM window_tickets WHERE closed_by IS NOT NULL AND closed_by <> opener_id
               UNION SELECT staff_id FROM responses
           )
           SELECT s.staff_id AS "staff_id!",
                  (SELECT count(*) FROM ticket_messages m JOIN window_tickets w USING (ticket_id)
                     WHERE m.direction = 'to_user' AND m.author_id = s.staff_id) AS "replies!",
                  (SELECT count(*) FROM window_tickets w WHERE w.closed_by = s.staff_id AND w.closed_by <> w.opener_id) AS "tickets_closed!",
                  (SELECT count(*) FROM responses r WHERE r.staff_id = s.staff_id) AS "tickets_first_responded!",
                  (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY r.seconds) FROM responses r WHERE r.staff_id = s.staff_id)::FLOAT8
                     AS median_first_response_seconds
           FROM staff s ORDER BY 2 DESC, 1"#,
        guild_id,
        since
    )
    .fetch_all(db)
    .await
}
