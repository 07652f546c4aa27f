//! Timers: scheduled closes, reminders, category-prompt and server-choice
//! timeouts, and menu refreshes. This
//! table is the truth; the Redis index (`crate::redis::timer_index`) only says
//! which ids to look at when.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};

use crate::domain::ids::{GuildId, UserId};
use crate::domain::timer::{Timer, TimerKind};

struct TimerRow {
    timer_id: i64,
    kind: String,
    guild_id: i64,
    ticket_id: Option<i64>,
    number: Option<i32>,
    created_by: Option<i64>,
    payload: Value,
    due_at: DateTime<Utc>,
    attempts: i32,
}

impl From<TimerRow> for Timer {
    fn from(r: TimerRow) -> Self {
        Timer {
            id: r.timer_id,
            kind: TimerKind::parse(&r.kind),
            guild: GuildId::from_db(r.guild_id),
            ticket_id: r.ticket_id,
            number: r.number,
            created_by: r.created_by.map(UserId::from_db),
            payload: r.payload,
            due_at: r.due_at,
            attempts: r.attempts,
        }
    }
}

/// What scheduling a close did.
#[derive(Debug)]
pub enum Scheduled {
    New(i64),
    /// The same command (same `payload.source`) scheduled it before: this is
    /// when it is due.
    Replayed(DateTime<Utc>),
}

/// Schedules the ticket's close, replacing a close scheduled before, in the
/// caller's transaction.
#[tracing::instrument(skip(tx, payload))]
pub async fn schedule_close(
    tx: &mut PgConnection,
    guild: GuildId,
    ticket_id: i64,
    by: UserId,
    due_at: DateTime<Utc>,
    payload: Value,
) -> sqlx::Result<Scheduled> {
    let replayed = sqlx::query_scalar!(
        r#"SELECT due_at FROM timers
           WHERE ticket_id = $1 AND kind = 'close' AND payload->'source' = $2::jsonb->'source'"#,
        ticket_id,
        payload
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(due) = replayed {
        return Ok(Scheduled::Replayed(due));
    }
    sqlx::query!(
        r#"UPDATE timers SET state = 'cancelled', finished_at = now()
           WHERE ticket_id = $1 AND kind = 'close' AND state = 'pending'"#,
        ticket_id
    )
    .execute(&mut *tx)
    .await?;
    let id = sqlx::query_scalar!(
        r#"INSERT INTO timers (kind, guild_id, ticket_id, created_by, payload, due_at)
           VALUES ('close', $1, $2, $3, $4, $5) RETURNING timer_id"#,
        guild.db(),
        ticket_id,
        by.db(),
        payload,
        due_at
    )
    .fetch_one(&mut *tx)
    .await?;
    Ok(Scheduled::New(id))
}

/// Schedules a refresh of the guild's ticket menu `delay_ms` from now,
/// unless one is already waiting or retrying (which will show this change
/// too). One being run right now may have read the menu's state before this
/// change: it is marked to run once more when it is done, rather than a
/// second row being added (so at most one unfinished refresh per guild, which
/// a menu channel that keeps failing cannot multiply). Returns the new timer
/// and when it is due, to index.
#[tracing::instrument(skip(db))]
pub async fn schedule_menu_refresh(
    db: impl PgExecutor<'_>,
    guild: GuildId,
    delay_ms: f64,
) -> sqlx::Result<Option<(i64, DateTime<Utc>)>> {
    let row = sqlx::query!(
        r#"INSERT INTO timers (kind, guild_id, due_at)
           VALUES ('menu_refresh', $1, now() + make_interval(secs => $2::FLOAT8 / 1000))
           ON CONFLICT (guild_id) WHERE kind = 'menu_refresh' AND state = 'pending'
           DO UPDATE SET payload = timers.payload || '{"again": true}'
               WHERE timers.claimed_until > now()
           RETURNING timer_id, due_at, (xmax = 0) AS "inserted!""#,
        guild.db(),
        delay_ms
    )
    .fetch_optional(db)
    .await?;
    Ok(row.filter(|r| r.inserted).map(|r| (r.timer_id, r.due_at)))
}

/// Cancels the ticket's scheduled close; returns when it was due, if there was one.
#[tracing::instrument(skip(db))]
pub async fn cancel_close(db: impl PgExecutor<'_>, ticket_id: i64) -> sqlx::Result<Option<DateTime<Utc>>> {
    sqlx::query_scalar!(
        r#"UPDATE timers SET state = 'cancelled', finished_at = now()
           WHERE ticket_id = $1 AND kind = 'close' AND state = 'pending'
           RETURNING due_at"#,
        ticket_id
    )
    .fetch_optional(db)
    .await
}

/// Adds a reminder with the ticket's next reminder number (never reused).
/// Returns (timer id, number, due). The same command delivered twice (same
/// `payload.source`) returns the reminder it added the first time. In the
/// caller's transaction.
#[tracing::instrument(skip(tx, payload))]
pub async fn add_reminder(
    tx: &mut PgConnection,
    guild: GuildId,
    ticket_id: i64,
    by: UserId,
    due_at: DateTime<Utc>,
    payload: Value,
) -> sqlx::Result<(i64, i32, DateTime<Utc>)> {
    let replayed = sqlx::query!(
        r#"SELECT timer_id, number AS "number!", due_at FROM timers
           WHERE ticket_id = $1 AND kind = 'reminder' AND payload->'source' = $2::jsonb->'source'"#,
        ticket_id,
        payload
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(r) = replayed {
        return Ok((r.timer_id, r.number, r.due_at));
    }
    let number = sqlx::query_scalar!(
        "UPDATE tickets SET last_reminder_number = last_reminder_number + 1 WHERE ticket_id = $1
         RETURNING last_reminder_number",
        ticket_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let id = sqlx::query_scalar!(
        r#"INSERT INTO timers (kind, guild_id, ticket_id, number, created_by, payload, due_at)
           VALUES ('reminder', $1, $2, $3, $4, $5, $6) RETURNING timer_id"#,
        guild.db(),
        ticket_id,
        number,
        by.db(),
        payload,
        due_at
    )
    .fetch_one(&mut *tx)
    .await?;
    Ok((id, number, due_at))
}

/// What removing a reminder found.
#[derive(Debug, PartialEq, Eq)]
pub enum Removed {
    Cancelled,
    AlreadyDone,
    Unknown,
}

#[tracing::instrument(skip(tx))]
pub async fn cancel_reminder(tx: &mut PgConnection, ticket_id: i64, number: i32) -> sqlx::Result<Removed> {
    let state = sqlx::query_scalar!(
        "SELECT state FROM timers WHERE ticket_id = $1 AND kind = 'reminder' AND number = $2",
        ticket_id,
        number
    )
    .fetch_optional(&mut *tx)
    .await?;
    match state.as_deref() {
        None => Ok(Removed::Unknown),
        Some("pending") => {
            let done = sqlx::query!(
                r#"UPDATE timers SET state = 'cancelled', finished_at = now()
                   WHERE ticket_id = $1 AND kind = 'reminder' AND number = $2 AND state = 'pending'"#,
                ticket_id,
                number
            )
            .execute(&mut *tx)
            .await?;
            Ok(if done.rows_affected() == 1 { Removed::Cancelled } else { Removed::AlreadyDone })
        }
        Some(_) => Ok(Removed::AlreadyDone),
    }
}

/// Every pending timer, for rebuilding the Redis index.
#[tracing::instrument(skip(db))]
pub async fn pending(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<(i64, DateTime<Utc>)>> {
    let rows = sqlx::query!("SELECT timer_id, due_at FROM timers WHERE state = 'pending'").fetch_all(db).await?;
    Ok(rows.into_iter().map(|r| (r.timer_id, r.due_at)).collect())
}

/// The pending timer of this id, if it is due and no other worker holds it:
/// claimed for `lease_seconds`. At most one worker gets it at a time; if that
/// worker dies, the lease runs out and the next one gets it.
#[tracing::instrument(skip(db))]
pub async fn claim(db: impl PgExecutor<'_>, timer_id: i64, lease_seconds: f64) -> sqlx::Result<Option<Timer>> {
    let row = sqlx::query_as!(
        TimerRow,
        r#"UPDATE timers SET claimed_until = now() + make_interval(secs => $2), attempts = attempts + 1
           WHERE timer_id = $1 AND state = 'pending' AND due_at <= now()
             AND (claimed_until IS NULL OR claimed_until < now())
           RETURNING timer_id, kind, guild_id, ticket_id, number, created_by, payload, due_at, attempts"#,
        timer_id,
        lease_seconds
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(Timer::from))
}

/// Marks a claimed timer as fired. A menu refresh that a change marked while
/// it ran (`payload.again`) is put back to run once more `again_ms` from now
/// instead; returns when, to index.
#[tracing::instrument(skip(db))]
pub async fn finish(db: impl PgExecutor<'_>, timer_id: i64, again_ms: f64) -> sqlx::Result<Option<DateTime<Utc>>> {
    let row = sqlx::query!(
        r#"UPDATE timers SET
               state = CASE WHEN payload ? 'again' THEN 'pending' ELSE 'fired' END,
               finished_at = CASE WHEN payload ? 'again' THEN NULL ELSE now() END,
               due_at = CASE WHEN payload ? 'again'
                        THEN now() + make_interval(secs => $2::FLOAT8 / 1000) ELSE due_at END,
               claimed_until = NULL,
               attempts = CASE WHEN payload ? 'again' THEN 0 ELSE attempts END,
               payload = payload - 'again'
           WHERE timer_id = $1 AND state = 'pending'
           RETURNING state, due_at"#,
        timer_id,
        again_ms
    )
    .fetch_optional(db)
    .await?;
    Ok(row.filter(|r| r.state == "pending").map(|r| r.due_at))
}

/// What became of a timer whose run failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Tried again at this time.
    Retry(DateTime<Utc>),
    /// Given up: the error was permanent or the attempts ran out.
    Failed,
    /// Cancelled or finished meanwhile: nothing to do.
    Gone,
}

/// Records a failed run of a claimed timer: retried after `backoff` (the
/// caller doubles it per attempt), or marked `failed` if `give_up`.
#[tracing::instrument(skip(db, error))]
pub async fn record_failure(
    db: impl PgExecutor<'_>,
    timer_id: i64,
    error: &str,
    give_up: bool,
    backoff: std::time::Duration,
) -> sqlx::Result<AfterFailure> {
    let row = sqlx::query!(
        r#"UPDATE timers SET
               last_error = $2,
               state = CASE WHEN $3 THEN 'failed' ELSE 'pending' END,
               finished_at = CASE WHEN $3 THEN now() END,
               due_at = CASE WHEN $3 THEN due_at ELSE now() + make_interval(secs => $4::FLOAT8 / 1000) END,
               claimed_until = NULL
           WHERE timer_id = $1 AND state = 'pending'
           RETURNING state, due_at"#,
        timer_id,
        error,
        give_up,
        backoff.as_secs_f64() * 1000.0
    )
    .fetch_optional(db)
    .await?;
    Ok(match row {
        None => AfterFailure::Gone,
        Some(r) if r.state == "failed" => AfterFailure::Failed,
        Some(r) => AfterFailure::Retry(r.due_at),
    })
}

/// Keeps holding a timer that is still running (a long transcript): its
/// lease is pushed `lease_seconds` from now. Nothing if it is done.
#[tracing::instrument(skip(db))]
pub async fn extend_lease(db: impl PgExecutor<'_>, timer_id: i64, lease_seconds: f64) -> sqlx::Result<()> {
    sqlx::query!(
        r#"UPDATE timers SET claimed_until = now() + make_interval(secs => $2)
           WHERE timer_id = $1 AND state = 'pending' AND claimed_until IS NOT NULL"#,
        timer_id,
        lease_seconds
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Cancels one pending timer that has nothing left to do (a prompt or a
/// server choice answered before its timeout).
#[tracing::instrument(skip(db))]
pub async fn cancel(db: impl PgExecutor<'_>, timer_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE timers SET state = 'cancelled', finished_at = now() WHERE timer_id = $1 AND state = 'pending'",
        timer_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Cancels every pending timer of a ticket (it closed), except one being
/// fired right now (it is marked fired when it is done).
#[tracing::instrument(skip(db))]
pub async fn cancel_for_ticket(db: impl PgExecutor<'_>, ticket_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        r#"UPDATE timers SET state = 'cancelled', finished_at = now()
           WHERE ticket_id = $1 AND state = 'pending' AND (claimed_until IS NULL OR claimed_until < now())"#,
        ticket_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The ticket's scheduled close and pending reminders, for `/logs`.
#[tracing::instrument(skip(db))]
pub async fn pending_for_ticket(db: impl PgExecutor<'_>, ticket_id: i64) -> sqlx::Result<Vec<Timer>> {
    let rows = sqlx::query_as!(
        TimerRow,
        r#"SELECT timer_id, kind, guild_id, ticket_id, number, created_by, payload, due_at, attempts
           FROM timers WHERE ticket_id = $1 AND state = 'pending' ORDER BY due_at"#,
        ticket_id
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Timer::from).collect())
}

/// When a pending timer should next be looked at: its due time, or the end of
/// the lease of a worker holding it. `None` once it fired or was cancelled.
#[tracing::instrument(skip(db))]
pub async fn next_look(db: impl PgExecutor<'_>, timer_id: i64) -> sqlx::Result<Option<DateTime<Utc>>> {
    sqlx::query_scalar!(
        r#"SELECT GREATEST(due_at, COALESCE(claimed_until, due_at)) AS "at!"
           FROM timers WHERE timer_id = $1 AND state = 'pending'"#,
        timer_id
    )
    .fetch_optional(db)
    .await
}
