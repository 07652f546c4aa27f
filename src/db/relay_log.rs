//! The relay log: every message relayed between a user and staff, with its ids
//! on both sides. `source_id` is unique, so each source is relayed once.

use sqlx::PgPool;

use crate::tickets::ids::{MessageId, UserId};

/// Records a user's DM as relayed into the ticket channel, and takes it off the
/// inbox, in one transaction.
#[tracing::instrument(skip(db, content))]
pub async fn record_to_staff(
    db: &PgPool,
    ticket_id: i64,
    source: MessageId,
    author: UserId,
    content: &str,
    staff_copy: MessageId,
    carries_header: bool,
) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query!(
        r#"INSERT INTO ticket_messages (ticket_id, direction, source_id, author_id, content, staff_copy_message_id,
                                        user_copy_message_id, carries_header)
           VALUES ($1, 'to_staff', $2, $3, $4, $5, $2, $6)
           ON CONFLICT (source_id) DO NOTHING"#,
        ticket_id,
        source.db(),
        author.db(),
        content,
        staff_copy.db(),
        carries_header
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE inbound_dms SET state = 'relayed', ticket_id = $2, handled_at = now() WHERE message_id = $1",
        source.db(),
        ticket_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// A staff reply delivered to the user, as recorded.
pub struct StaffReply<'a> {
    pub ticket_id: i64,
    pub source: u64,
    pub author: UserId,
    pub author_name: &'a str,
    pub anonymous: bool,
    pub content: &'a str,
    pub number: i32,
    pub user_copy: MessageId,
}

/// Records a staff reply delivered to the user. `false` if this source was
/// already recorded (a replayed command).
#[tracing::instrument(skip(db, reply), fields(ticket = reply.ticket_id, number = reply.number))]
pub async fn record_to_user(db: &PgPool, reply: &StaffReply<'_>) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"INSERT INTO ticket_messages (ticket_id, direction, source_id, author_id, author_name, anonymous, content,
                                        staff_number, user_copy_message_id)
           VALUES ($1, 'to_user', $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (source_id) DO NOTHING"#,
        reply.ticket_id,
        reply.source as i64,
        reply.author.db(),
        reply.author_name,
        reply.anonymous,
        reply.content,
        reply.number,
        reply.user_copy.db()
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes the ticket's next staff message number. Never reused: a send that
/// fails afterwards leaves a gap rather than a number meaning two messages.
#[tracing::instrument(skip(db))]
pub async fn next_staff_number(db: &PgPool, ticket_id: i64) -> sqlx::Result<i32> {
    sqlx::query_scalar!(
        "UPDATE tickets SET last_staff_number = last_staff_number + 1 WHERE ticket_id = $1 RETURNING last_staff_number",
        ticket_id
    )
    .fetch_one(db)
    .await
}

/// A numbered staff message of a ticket.
#[derive(Debug, Clone)]
pub struct StaffMessage {
    pub id: i64,
    pub number: i32,
    pub content: String,
    pub author_name: String,
    pub anonymous: bool,
    pub user_copy: Option<MessageId>,
    pub staff_copy: Option<MessageId>,
    pub deleted: bool,
}

#[tracing::instrument(skip(db))]
pub async fn staff_message(db: &PgPool, ticket_id: i64, number: i32) -> sqlx::Result<Option<StaffMessage>> {
    let row = sqlx::query!(
        r#"SELECT ticket_message_id, staff_number AS "staff_number!", content, author_name, anonymous,
                  user_copy_message_id, staff_copy_message_id, deleted_at IS NOT NULL AS "deleted!"
           FROM ticket_messages WHERE ticket_id = $1 AND staff_number = $2"#,
        ticket_id,
        number
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| StaffMessage {
        id: r.ticket_message_id,
        number: r.staff_number,
        content: r.content,
        author_name: r.author_name.unwrap_or_default(),
        anonymous: r.anonymous,
        user_copy: r.user_copy_message_id.map(MessageId::from_db),
        staff_copy: r.staff_copy_message_id.map(MessageId::from_db),
        deleted: r.deleted,
    }))
}

/// Records an edit: the new text, and the old one in the history.
#[tracing::instrument(skip(db, old, new))]
pub async fn record_edit(db: &PgPool, message: i64, old: &str, new: &str, by: UserId) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query!(
        "UPDATE ticket_messages SET content = $2, edited_at = now() WHERE ticket_message_id = $1",
        message,
        new
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO ticket_message_edits (ticket_message_id, old_content, new_content, edited_by) VALUES ($1, $2, $3, $4)",
        message,
        old,
        new,
        by.db()
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Marks a message deleted; its text stays on record. `false` if it already was.
#[tracing::instrument(skip(db))]
pub async fn record_delete(db: &PgPool, message: i64, by: UserId) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE ticket_messages SET deleted_at = now(), deleted_by = $2 WHERE ticket_message_id = $1 AND deleted_at IS NULL",
        message,
        by.db()
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether this source (a command message or an interaction) was relayed already.
#[tracing::instrument(skip(db))]
pub async fn exists(db: &PgPool, source: u64) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM ticket_messages WHERE source_id = $1) AS "exists!""#,
        source as i64
    )
    .fetch_one(db)
    .await
}

/// Notes the staff-side copy of a reply once the transport has posted it.
#[tracing::instrument(skip(db))]
pub async fn set_staff_copy(db: &PgPool, source: u64, staff_copy: MessageId) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE ticket_messages SET staff_copy_message_id = $2 WHERE source_id = $1",
        source as i64,
        staff_copy.db()
    )
    .execute(db)
    .await?;
    Ok(())
}

/// How many messages a ticket relayed each way.
pub struct Counts {
    pub to_staff: i64,
    pub to_user: i64,
}

#[tracing::instrument(skip(db))]
pub async fn counts(db: &PgPool, ticket_id: i64) -> sqlx::Result<Counts> {
    let row = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE direction = 'to_staff') AS "to_staff!",
                  count(*) FILTER (WHERE direction = 'to_user') AS "to_user!"
           FROM ticket_messages WHERE ticket_id = $1"#,
        ticket_id
    )
    .fetch_one(db)
    .await?;
    Ok(Counts { to_staff: row.to_staff, to_user: row.to_user })
}

/// A user's message as relayed into a ticket.
pub struct UserMessage {
    pub id: i64,
    pub ticket_id: i64,
    pub author: UserId,
    pub content: String,
    pub staff_copy: Option<MessageId>,
    pub deleted: bool,
    pub carries_header: bool,
}

/// The relayed copy of the user's DM `source`, if it was relayed.
#[tracing::instrument(skip(db))]
pub async fn user_message(db: &PgPool, source: MessageId) -> sqlx::Result<Option<UserMessage>> {
    let row = sqlx::query!(
        r#"SELECT ticket_message_id, ticket_id, author_id, content, staff_copy_message_id,
                  deleted_at IS NOT NULL AS "deleted!", carries_header
           FROM ticket_messages WHERE source_id = $1 AND direction = 'to_staff'"#,
        source.db()
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| UserMessage {
        id: r.ticket_message_id,
        ticket_id: r.ticket_id,
        author: UserId::from_db(r.author_id),
        content: r.content,
        staff_copy: r.staff_copy_message_id.map(MessageId::from_db),
        deleted: r.deleted,
        carries_header: r.carries_header,
    }))
}
