//! Tickets and their per-guild numbers.

use sqlx::{PgConnection, PgExecutor};

use crate::domain::ids::{ChannelId, GuildId, MessageId, UserId};
use crate::domain::ticket::{Ticket, TicketKind, TicketStatus};

/// Takes the guild's next ticket number. Must run in the transaction that
/// inserts the ticket: the counter row stays locked until it commits (serialising
/// only this guild) and a rollback returns the number, so numbers are gapless.
#[tracing::instrument(skip(tx))]
pub async fn next_number(tx: &mut PgConnection, guild: GuildId) -> sqlx::Result<i32> {
    sqlx::query_scalar!(
        r#"INSERT INTO ticket_counters (guild_id, last_number) VALUES ($1, 1)
           ON CONFLICT (guild_id) DO UPDATE SET last_number = ticket_counters.last_number + 1
           RETURNING last_number"#,
        guild.db()
    )
    .fetch_one(&mut *tx)
    .await
}

/// Locks the guild's counter row (if it has one) for the transaction: what
/// an opening holds while it picks a category, so work on the guild's
/// categories can take turns with openings.
#[tracing::instrument(skip(tx))]
pub async fn lock_counter(tx: &mut PgConnection, guild: GuildId) -> sqlx::Result<()> {
    sqlx::query_scalar!("SELECT last_number FROM ticket_counters WHERE guild_id = $1 FOR UPDATE", guild.db())
        .fetch_optional(&mut *tx)
        .await?;
    Ok(())
}

pub struct NewTicket {
    pub guild: GuildId,
    pub number: i32,
    pub kind: TicketKind,
    pub opener: UserId,
    pub channel: ChannelId,
    pub dm_channel: Option<ChannelId>,
    pub opener_name: String,
    /// The modmail category the user picked, if any.
    pub modmail_category: Option<i64>,
    /// A panel ticket's type and intake answers.
    pub ticket_type: Option<i64>,
    pub answers: Option<Vec<(String, String)>>,
}

#[tracing::instrument(skip(tx, new), fields(guild = %new.guild, number = new.number))]
pub async fn insert(tx: &mut PgConnection, new: &NewTicket) -> sqlx::Result<Ticket> {
    let row = sqlx::query!(
        r#"INSERT INTO tickets (guild_id, number, kind, opener_id, channel_id, dm_channel_id, opener_name,
                                  modmail_category_id, ticket_type_id, answers)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           RETURNING ticket_id, opened_at"#,
        new.guild.db(),
        new.number,
        new.kind.as_str(),
        new.opener.db(),
        new.channel.db(),
        new.dm_channel.map(ChannelId::db),
        new.opener_name,
        new.modmail_category,
        new.ticket_type,
        new.answers.as_ref().map(|answers| {
            serde_json::Value::Array(
                answers.iter().map(|(q, a)| serde_json::json!({"question": q, "answer": a})).collect(),
            )
        })
    )
    .fetch_one(&mut *tx)
    .await?;
    Ok(Ticket {
        id: row.ticket_id,
        guild: new.guild,
        number: new.number,
        kind: new.kind,
        opener: new.opener,
        opener_name: new.opener_name.clone(),
        channel: new.channel,
        dm_channel: new.dm_channel,
        status: TicketStatus::Open,
        opened_at: row.opened_at,
        assigned_to: None,
    })
}

struct TicketRow {
    ticket_id: i64,
    guild_id: i64,
    number: i32,
    kind: String,
    opener_id: i64,
    channel_id: i64,
    dm_channel_id: Option<i64>,
    status: String,
    opened_at: chrono::DateTime<chrono::Utc>,
    assigned_to: Option<i64>,
    opener_name: String,
}

impl From<TicketRow> for Ticket {
    fn from(r: TicketRow) -> Self {
        Ticket {
            id: r.ticket_id,
            guild: GuildId::from_db(r.guild_id),
            number: r.number,
            // The CHECK constraint admits only these two values.
            kind: TicketKind::parse(&r.kind).unwrap_or(TicketKind::Modmail),
            opener: UserId::from_db(r.opener_id),
            opener_name: r.opener_name,
            channel: ChannelId::from_db(r.channel_id),
            dm_channel: r.dm_channel_id.map(ChannelId::from_db),
            status: if r.status == "open" { TicketStatus::Open } else { TicketStatus::Closed },
            opened_at: r.opened_at,
            assigned_to: r.assigned_to.map(UserId::from_db),
        }
    }
}

/// The user's open modmail tickets in every guild, oldest first (at most one
/// per guild). Which one their DMs go to is routing's decision.
#[tracing::instrument(skip(db))]
pub async fn open_modmail_of_user(db: impl PgExecutor<'_>, user: UserId) -> sqlx::Result<Vec<Ticket>> {
    let rows = sqlx::query_as!(
        TicketRow,
        r#"SELECT ticket_id, guild_id, number, kind, opener_id, channel_id, dm_channel_id, status, opened_at,
                  assigned_to, opener_name
           FROM tickets
           WHERE opener_id = $1 AND status = 'open' AND kind = 'modmail'
           ORDER BY opened_at, ticket_id"#,
        user.db()
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Ticket::from).collect())
}

#[tracing::instrument(skip(db))]
pub async fn open_modmail_in_guild(
    db: impl PgExecutor<'_>,
    guild: GuildId,
    user: UserId,
) -> sqlx::Result<Option<Ticket>> {
    let row = sqlx::query_as!(
        TicketRow,
        r#"SELECT ticket_id, guild_id, number, kind, opener_id, channel_id, dm_channel_id, status, opened_at,
                  assigned_to, opener_name
           FROM tickets
           WHERE guild_id = $1 AND opener_id = $2 AND status = 'open' AND kind = 'modmail'"#,
        guild.db(),
        user.db()
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(Ticket::from))
}

/// The member's open panel tickets in the guild, oldest first. An opening
/// reads them in its transaction (which holds the guild's counter row lock).
#[tracing::instrument(skip(db))]
pub async fn open_panel_of(db: impl PgExecutor<'_>, guild: GuildId, user: UserId) -> sqlx::Result<Vec<Ticket>> {
    let rows = sqlx::query_as!(
        TicketRow,
        r#"SELECT ticket_id, guild_id, number, kind, opener_id, channel_id, dm_channel_id, status, opened_at,
                  assigned_to, opener_name
           FROM tickets
           WHERE guild_id = $1 AND opener_id = $2 AND status = 'open' AND kind = 'panel'
           ORDER BY ticket_id"#,
        guild.db(),
        user.db()
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Ticket::from).collect())
}

/// The name of a panel ticket's type (if it still exists).
#[tracing::instrument(skip(db))]
pub async fn type_name(db: impl PgExecutor<'_>, ticket_id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        r#"SELECT y.name FROM tickets t JOIN ticket_types y ON y.type_id = t.ticket_type_id WHERE t.ticket_id = $1"#,
        ticket_id
    )
    .fetch_optional(db)
    .await
}

/// The open ticket whose channel this is, if any.
#[tracing::instrument(skip(db))]
pub async fn open_by_channel(db: impl PgExecutor<'_>, channel: ChannelId) -> sqlx::Result<Option<Ticket>> {
    let row = sqlx::query_as!(
        TicketRow,
        r#"SELECT ticket_id, guild_id, number, kind, opener_id, channel_id, dm_channel_id, status, opened_at,
                  assigned_to, opener_name
           FROM tickets WHERE channel_id = $1 AND status = 'open'"#,
        channel.db()
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(Ticket::from))
}

/// Marks the ticket closed, in the caller's transaction, with what must
/// change with it: its pending timers (a scheduled close, reminders) are
/// cancelled and its `closed` event (with `detail`) is written. So a closed
/// ticket never keeps a timer that would fire on it, nor lacks its event,
/// whichever way it closed. Returns `false` (and writes nothing) if it was
/// already closed, which is how a replayed close becomes a no-op.
#[tracing::instrument(skip(tx))]
pub async fn close(
    tx: &mut PgConnection,
    ticket_id: i64,
    closed_by: Option<UserId>,
    detail: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"UPDATE tickets SET status = 'closed', closed_at = now(), closed_by = $2
           WHERE ticket_id = $1 AND status = 'open'"#,
        ticket_id,
        closed_by.map(UserId::db)
    )
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    super::timers::cancel_for_ticket(&mut *tx, ticket_id).await?;
    super::events::record(&mut *tx, ticket_id, "closed", closed_by, detail).await?;
    Ok(true)
}

/// A ticket by its internal id, open or closed.
#[tracing::instrument(skip(db))]
pub async fn by_id(db: impl PgExecutor<'_>, ticket_id: i64) -> sqlx::Result<Option<Ticket>> {
    let row = sqlx::query_as!(
        TicketRow,
        r#"SELECT ticket_id, guild_id, number, kind, opener_id, channel_id, dm_channel_id, status, opened_at,
                  assigned_to, opener_name
           FROM tickets WHERE ticket_id = $1"#,
        ticket_id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(Ticket::from))
}

/// Assigns the ticket to `staff` (or nobody). Returns the previous assignee.
#[tracing::instrument(skip(db))]
pub async fn set_assigned(db: impl PgExecutor<'_>, ticket_id: i64, staff: Option<UserId>) -> sqlx::Result<()> {
    sqlx::query!("UPDATE tickets SET assigned_to = $2 WHERE ticket_id = $1", ticket_id, staff.map(UserId::db))
        .execute(db)
        .await?;
    Ok(())
}

/// A user's tickets in a guild, newest first, for `/logs`.
#[tracing::instrument(skip(db))]
pub async fn history_of(
    db: impl PgExecutor<'_>,
    guild: GuildId,
    user: UserId,
    limit: i64,
) -> sqlx::Result<Vec<Ticket>> {
    let rows = sqlx::query_as!(
        TicketRow,
        r#"SELECT ticket_id, guild_id, number, kind, opener_id, channel_id, dm_channel_id, status, opened_at,
                  assigned_to, opener_name
           FROM tickets WHERE guild_id = $1 AND opener_id = $2
           ORDER BY ticket_id DESC LIMIT $3"#,
        guild.db(),
        user.db(),
        limit
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Ticket::from).collect())
}

/// The pinned status message of a ticket (assignment), if posted.
#[tracing::instrument(skip(db))]
pub async fn status_message(db: impl PgExecutor<'_>, ticket_id: i64) -> sqlx::Result<Option<MessageId>> {
    let id = sqlx::query_scalar!("SELECT status_message_id FROM tickets WHERE ticket_id = $1", ticket_id)
        .fetch_one(db)
        .await?;
    Ok(id.map(MessageId::from_db))
}

#[tracing::instrument(skip(db))]
pub async fn set_status_message(db: impl PgExecutor<'_>, ticket_id: i64, message: MessageId) -> sqlx::Result<()> {
    sqlx::query!("UPDATE tickets SET status_message_id = $2 WHERE ticket_id = $1", ticket_id, message.db())
        .execute(db)
        .await?;
    Ok(())
}

/// Whether any ticket, open or closed, has this channel.
#[tracing::instrument(skip(db))]
pub async fn any_by_channel(db: impl PgExecutor<'_>, channel: ChannelId) -> sqlx::Result<bool> {
    sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM tickets WHERE channel_id = $1) AS "found!""#, channel.db())
        .fetch_one(db)
        .await
}
