//! The DM inbox: every DM to the bot, stored on arrival and drained per user in
//! message-id order. Inserting is idempotent on Discord's message id.

use sqlx::PgExecutor;

use crate::domain::dm::{Attachment, IncomingDm};
use crate::domain::ids::{ChannelId, MessageId, UserId};

/// Stores a DM; `false` if it was already stored (a replayed event).
#[tracing::instrument(skip(db, dm), fields(message = %dm.message))]
pub async fn insert(db: impl PgExecutor<'_>, dm: &IncomingDm) -> sqlx::Result<bool> {
    let attachments = serde_json::to_value(&dm.attachments).unwrap_or_default();
    let done = sqlx::query!(
        r#"INSERT INTO inbound_dms (message_id, user_id, dm_channel_id, author_name, content, attachments)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (message_id) DO NOTHING"#,
        dm.message.db(),
        dm.user.db(),
        dm.dm_channel.db(),
        dm.author_name,
        dm.content,
        attachments
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The user's unhandled DMs, oldest first.
#[tracing::instrument(skip(db))]
pub async fn pending(db: impl PgExecutor<'_>, user: UserId, limit: i64) -> sqlx::Result<Vec<IncomingDm>> {
    let rows = sqlx::query_as!(
        InboundRow,
        r#"SELECT message_id, user_id, dm_channel_id, author_name, content, attachments
           FROM inbound_dms WHERE user_id = $1 AND state = 'pending'
           ORDER BY message_id LIMIT $2"#,
        user.db(),
        limit
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(IncomingDm::from).collect())
}

/// Those of `messages` that are still pending, oldest first.
#[tracing::instrument(skip(db, messages))]
pub async fn pending_among(db: impl PgExecutor<'_>, messages: &[MessageId]) -> sqlx::Result<Vec<IncomingDm>> {
    let ids: Vec<i64> = messages.iter().map(|m| m.db()).collect();
    let rows = sqlx::query_as!(
        InboundRow,
        r#"SELECT message_id, user_id, dm_channel_id, author_name, content, attachments
           FROM inbound_dms WHERE message_id = ANY($1) AND state = 'pending'
           ORDER BY message_id"#,
        &ids
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(IncomingDm::from).collect())
}

struct InboundRow {
    message_id: i64,
    user_id: i64,
    dm_channel_id: i64,
    author_name: String,
    content: String,
    attachments: serde_json::Value,
}

impl From<InboundRow> for IncomingDm {
    fn from(r: InboundRow) -> Self {
        IncomingDm {
            message: MessageId::from_db(r.message_id),
            user: UserId::from_db(r.user_id),
            dm_channel: ChannelId::from_db(r.dm_channel_id),
            author_name: r.author_name,
            content: r.content,
            attachments: serde_json::from_value::<Vec<Attachment>>(r.attachments).unwrap_or_default(),
        }
    }
}

#[tracing::instrument(skip(db))]
pub async fn has_pending(db: impl PgExecutor<'_>, user: UserId) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM inbound_dms WHERE user_id = $1 AND state = 'pending') AS "exists!""#,
        user.db()
    )
    .fetch_one(db)
    .await
}

/// Marks DMs answered with an explanation instead of a ticket.
#[tracing::instrument(skip(db, messages))]
pub async fn mark_refused(db: impl PgExecutor<'_>, messages: &[MessageId]) -> sqlx::Result<()> {
    let ids: Vec<i64> = messages.iter().map(|m| m.db()).collect();
    sqlx::query!(
        "UPDATE inbound_dms SET state = 'refused', handled_at = now() WHERE message_id = ANY($1) AND state = 'pending'",
        &ids
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A transient failure, as counted: failures so far, and for how long the
/// DM has been failing (since its first counted failure).
#[derive(Debug, Clone, Copy)]
pub struct FailureCount {
    pub attempts: i32,
    pub failing_for: std::time::Duration,
}

/// Counts a transient failure to relay a DM and sets when to try again:
/// `first_wait_seconds` after the first failure, doubling each time, at most
/// `max_wait_seconds`, and never sooner than `least_wait_seconds` (what a 429
/// asked for, kept apart in `rate_limited_until` as the bound no retry may
/// precede).
#[tracing::instrument(skip(db, error))]
pub async fn note_transient_failure(
    db: impl PgExecutor<'_>,
    message: MessageId,
    error: &str,
    first_wait_seconds: f64,
    max_wait_seconds: f64,
    least_wait_seconds: f64,
) -> sqlx::Result<FailureCount> {
    let row = sqlx::query!(
        r#"UPDATE inbound_dms
           SET attempts = attempts + 1, last_error = $2,
               failing_since = COALESCE(failing_since, now()),
               rate_limited_until = now() + make_interval(secs => $5),
               retry_at = now() + make_interval(secs => GREATEST(LEAST($3 * power(2, attempts), $4), $5))
           WHERE message_id = $1
           RETURNING attempts, EXTRACT(EPOCH FROM now() - failing_since)::float8 AS "failing_for!""#,
        message.db(),
        error,
        first_wait_seconds,
        max_wait_seconds,
        least_wait_seconds
    )
    .fetch_one(db)
    .await?;
    Ok(FailureCount {
        attempts: row.attempts,
        failing_for: std::time::Duration::from_secs_f64(row.failing_for.max(0.0)),
    })
}

/// Whether the user's oldest pending DM is within the wait a 429 asked for
/// (`rate_limited_until`): nothing of theirs may be sent before it has passed.
#[tracing::instrument(skip(db))]
pub async fn head_is_rate_limited(db: impl PgExecutor<'_>, user: UserId) -> sqlx::Result<bool> {
    let waits = sqlx::query_scalar!(
        r#"SELECT COALESCE(rate_limited_until > now(), false) AS "waits!" FROM inbound_dms
           WHERE user_id = $1 AND state = 'pending'
           ORDER BY message_id LIMIT 1"#,
        user.db()
    )
    .fetch_optional(db)
    .await?;
    Ok(waits.unwrap_or(false))
}

/// Gives up on a pending DM (a permanent failure, or too many transient
/// ones): kept on record with the reason, no longer blocking later DMs.
#[tracing::instrument(skip(db, error))]
pub async fn mark_failed(db: impl PgExecutor<'_>, message: MessageId, error: &str) -> sqlx::Result<()> {
    sqlx::query!(
        r#"UPDATE inbound_dms SET state = 'failed', handled_at = now(), last_error = $2
           WHERE message_id = $1 AND state = 'pending'"#,
        message.db(),
        error
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The users the inbox sweeper drains now, at most `limit`, and marks as
/// swept (`swept_at`). A user is taken when their oldest pending DM is older
/// than `older_than_seconds` (its drain died with its process, or was told
/// "not now"), unless they are legitimately waiting:
///
/// - a DM waits for its retry (`retry_at` in the future, after a transient
///   failure): nothing is due before then;
/// - an unanswered server menu, open or expired, and no DM since its
///   deadline: the user's pick, or their next message, moves things on;
/// - a category prompt still waiting with its timeout still to run: the
///   pick or the timeout drains.
///
/// Users the sweeper has not tried yet come first, oldest pending DM first;
/// then those it tried longest ago. So a user whose drain keeps ending with
/// DMs pending (another process holds their lock, a database error) is tried
/// again in turn, but never takes the slots of users stranded since.
#[tracing::instrument(skip(db))]
pub async fn users_to_sweep(db: impl PgExecutor<'_>, older_than_seconds: f64, limit: i64) -> sqlx::Result<Vec<UserId>> {
    let rows = sqlx::query_scalar!(
        r#"WITH picked AS (
               SELECT d.user_id,
                      row_number() OVER (ORDER BY max(d.swept_at) NULLS FIRST, min(d.received_at), d.user_id) AS turn
               FROM inbound_dms d
               WHERE d.state = 'pending'
                 AND NOT EXISTS (
                     SELECT 1 FROM dm_guild_choices c
                     WHERE c.user_id = d.user_id AND c.chosen_guild_id IS NULL
                       AND NOT EXISTS (SELECT 1 FROM inbound_dms n
                                       WHERE n.user_id = c.user_id AND n.state = 'pending'
                                         AND n.received_at > c.expires_at))
                 AND NOT EXISTS (
                     SELECT 1 FROM category_prompts p JOIN timers t ON t.timer_id = p.timer_id
                     WHERE p.user_id = d.user_id AND p.state = 'waiting' AND t.state = 'pending')
               GROUP BY d.user_id
               HAVING min(d.received_at) < now() - make_interval(secs => $1)
                  AND bool_and(d.retry_at IS NULL OR d.retry_at <= now())
               ORDER BY turn
               LIMIT $2),
           marked AS (
               UPDATE inbound_dms SET swept_at = now()
               WHERE state = 'pending' AND user_id IN (SELECT user_id FROM picked))
           SELECT user_id AS "user_id!" FROM picked ORDER BY turn"#,
        older_than_seconds,
        limit
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(UserId::from_db).collect())
}

/// One stored DM, whatever its state.
#[tracing::instrument(skip(db))]
pub async fn get(db: impl PgExecutor<'_>, message: MessageId) -> sqlx::Result<Option<IncomingDm>> {
    let row = sqlx::query_as!(
        InboundRow,
        r#"SELECT message_id, user_id, dm_channel_id, author_name, content, attachments
           FROM inbound_dms WHERE message_id = $1"#,
        message.db()
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(IncomingDm::from))
}

/// A DM edited before it was relayed: the relay will carry the new text.
/// `false` if it is no longer pending.
#[tracing::instrument(skip(db, content))]
pub async fn update_pending(db: impl PgExecutor<'_>, message: MessageId, content: &str) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE inbound_dms SET content = $2 WHERE message_id = $1 AND state = 'pending'",
        message.db(),
        content
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The newest DM stored for a user.
#[tracing::instrument(skip(db))]
pub async fn latest_of(db: impl PgExecutor<'_>, user: UserId) -> sqlx::Result<Option<MessageId>> {
    let id = sqlx::query_scalar!("SELECT max(message_id) FROM inbound_dms WHERE user_id = $1", user.db())
        .fetch_one(db)
        .await?;
    Ok(id.map(MessageId::from_db))
}

/// A user's DM channel that recovery reads.
pub struct RecoverableChannel {
    pub user: UserId,
    pub dm_channel: ChannelId,
    /// When the user's open ticket opened, if they have one.
    pub ticket_opened_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// DM channels to recover: those of open modmail tickets (with when the
/// ticket opened) and those of users who DMed since `since`.
#[tracing::instrument(skip(db))]
pub async fn recent_dm_channels(
    db: impl PgExecutor<'_>,
    since: chrono::DateTime<chrono::Utc>,
) -> sqlx::Result<Vec<RecoverableChannel>> {
    let rows = sqlx::query!(
        r#"SELECT opener_id AS "user_id!", dm_channel_id AS "dm_channel_id!", min(opened_at) AS opened_at
           FROM tickets WHERE status = 'open' AND kind = 'modmail' AND dm_channel_id IS NOT NULL
           GROUP BY opener_id, dm_channel_id
           UNION
           SELECT user_id, dm_channel_id, NULL FROM inbound_dms WHERE received_at > $1
           GROUP BY user_id, dm_channel_id"#,
        since
    )
    .fetch_all(db)
    .await?;
    let mut seen = std::collections::HashSet::new();
    Ok(rows
        .into_iter()
        .filter(|r| seen.insert(r.user_id))
        .map(|r| RecoverableChannel {
            user: UserId::from_db(r.user_id),
            dm_channel: ChannelId::from_db(r.dm_channel_id),
            ticket_opened_at: r.opened_at,
        })
        .collect())
}

/// The author deleted a DM still pending: it is withdrawn, never relayed.
/// `false` if it was no longer pending (relayed already, or refused).
#[tracing::instrument(skip(db))]
pub async fn withdraw_if_pending(db: impl PgExecutor<'_>, message: MessageId) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE inbound_dms SET state = 'withdrawn', handled_at = now() WHERE message_id = $1 AND state = 'pending'",
        message.db()
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}
