//! The relay log: every message relayed between a user and staff, with its ids
//! on both sides. `source_id` is unique, so each source is relayed once.

use sqlx::{PgConnection, PgExecutor};

use crate::domain::dm::{Attachment, IncomingDm};
use crate::domain::ids::{ChannelId, MessageId, UserId};

/// Records a user's DM as relayed into the ticket channel, and takes it off the
/// inbox, in the caller's transaction (both, or neither).
#[tracing::instrument(skip(tx, dm), fields(message = %dm.message))]
pub async fn record_to_staff(
    tx: &mut PgConnection,
    ticket_id: i64,
    dm: &IncomingDm,
    staff_copy: MessageId,
    carries_header: bool,
) -> sqlx::Result<()> {
    let source = dm.message;
    sqlx::query!(
        r#"INSERT INTO ticket_messages (ticket_id, direction, source_id, author_id, content, staff_copy_message_id,
                                        user_copy_message_id, carries_header, attachments)
           VALUES ($1, 'to_staff', $2, $3, $4, $5, $2, $6, $7)
           ON CONFLICT (source_id) DO NOTHING"#,
        ticket_id,
        source.db(),
        dm.user.db(),
        dm.content,
        staff_copy.db(),
        carries_header,
        files_json(&dm.attachments)
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
    Ok(())
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
    /// Where the user's copy is (their DM channel) and its id.
    pub user_copy_channel: ChannelId,
    pub user_copy: MessageId,
    /// The copy in the ticket channel, if it could be posted.
    pub staff_copy: Option<MessageId>,
    pub files: &'a [Attachment],
}

/// Records a staff reply delivered to the user. `false` if this source was
/// already recorded (a replayed command).
#[tracing::instrument(skip(db, reply), fields(ticket = reply.ticket_id, number = reply.number))]
pub async fn record_to_user(db: impl PgExecutor<'_>, reply: &StaffReply<'_>) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"INSERT INTO ticket_messages (ticket_id, direction, source_id, author_id, author_name, anonymous, content,
                                        staff_number, user_copy_channel_id, user_copy_message_id,
                                        staff_copy_message_id, attachments)
           VALUES ($1, 'to_user', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
           ON CONFLICT (source_id) DO NOTHING"#,
        reply.ticket_id,
        reply.source as i64,
        reply.author.db(),
        reply.author_name,
        reply.anonymous,
        reply.content,
        reply.number,
        reply.user_copy_channel.db(),
        reply.user_copy.db(),
        reply.staff_copy.map(MessageId::db),
        files_json(reply.files)
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes the ticket's next staff message number. Never reused: a send that
/// fails afterwards leaves a gap rather than a number meaning two messages.
#[tracing::instrument(skip(db))]
pub async fn next_staff_number(db: impl PgExecutor<'_>, ticket_id: i64) -> sqlx::Result<i32> {
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
    /// The channel of the user's copy, when recorded (older rows: the
    /// ticket's DM channel).
    pub user_copy_channel: Option<ChannelId>,
    pub user_copy: Option<MessageId>,
    pub staff_copy: Option<MessageId>,
    pub deleted: bool,
}

#[tracing::instrument(skip(db))]
pub async fn staff_message(db: impl PgExecutor<'_>, ticket_id: i64, number: i32) -> sqlx::Result<Option<StaffMessage>> {
    let row = sqlx::query!(
        r#"SELECT ticket_message_id, staff_number AS "staff_number!", content, author_name, anonymous,
                  user_copy_channel_id, user_copy_message_id, staff_copy_message_id,
                  deleted_at IS NOT NULL AS "deleted!"
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
        user_copy_channel: r.user_copy_channel_id.map(ChannelId::from_db),
        user_copy: r.user_copy_message_id.map(MessageId::from_db),
        staff_copy: r.staff_copy_message_id.map(MessageId::from_db),
        deleted: r.deleted,
    }))
}

/// Files as the relay log keeps them: name and size, never the (private,
/// expiring) link.
fn files_json(files: &[Attachment]) -> serde_json::Value {
    serde_json::Value::Array(
        files.iter().map(|f| serde_json::json!({ "filename": f.filename, "size": f.size })).collect(),
    )
}

/// One message of a ticket's conversation as the user lived it: what they
/// sent (as they last edited it) and what staff sent them (as delivered).
#[derive(Debug, Clone)]
pub struct ConversationMessage {
    pub to_staff: bool,
    pub author: UserId,
    /// The staff member's name as recorded (for replies); empty for the user.
    pub author_name: String,
    pub anonymous: bool,
    pub content: String,
    pub files: Vec<(String, u64)>,
    pub sent_at: chrono::DateTime<chrono::Utc>,
    pub edited_at: Option<chrono::DateTime<chrono::Utc>>,
    pub number: Option<i32>,
}

/// The ticket's relayed messages in order, without those deleted (a reply
/// staff retracted, or a DM the user deleted); at most `limit`.
#[tracing::instrument(skip(db))]
pub async fn conversation(
    db: impl PgExecutor<'_>,
    ticket_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<ConversationMessage>> {
    let rows = sqlx::query!(
        r#"SELECT direction, author_id, author_name, anonymous, content, attachments, created_at, edited_at,
                  staff_number
           FROM ticket_messages
           WHERE ticket_id = $1 AND deleted_at IS NULL
           ORDER BY ticket_message_id
           LIMIT $2"#,
        ticket_id,
        limit
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ConversationMessage {
            to_staff: r.direction == "to_staff",
            author: UserId::from_db(r.author_id),
            author_name: r.author_name.unwrap_or_default(),
            anonymous: r.anonymous,
            content: r.content,
            files: r
                .attachments
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| (f["filename"].as_str().unwrap_or_default().to_owned(), f["size"].as_u64().unwrap_or(0)))
                .collect(),
            sent_at: r.created_at,
            edited_at: r.edited_at,
            number: r.staff_number,
        })
        .collect())
}

/// Records an edit: the new text, and the old one in the history, in the
/// caller's transaction.
#[tracing::instrument(skip(tx, old, new))]
pub async fn record_edit(tx: &mut PgConnection, message: i64, old: &str, new: &str, by: UserId) -> sqlx::Result<()> {
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
    Ok(())
}

/// Marks a message deleted; its text stays on record. `false` if it already was.
#[tracing::instrument(skip(db))]
pub async fn record_delete(db: impl PgExecutor<'_>, message: i64, by: UserId) -> sqlx::Result<bool> {
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
pub async fn exists(db: impl PgExecutor<'_>, source: u64) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM ticket_messages WHERE source_id = $1) AS "exists!""#,
        source as i64
    )
    .fetch_one(db)
    .await
}

/// How many messages a ticket relayed each way.
pub struct Counts {
    pub to_staff: i64,
    pub to_user: i64,
}

#[tracing::instrument(skip(db))]
pub async fn counts(db: impl PgExecutor<'_>, ticket_id: i64) -> sqlx::Result<Counts> {
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
pub async fn user_message(db: impl PgExecutor<'_>, source: MessageId) -> sqlx::Result<Option<UserMessage>> {
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
