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
) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query!(
        r#"INSERT INTO ticket_messages (ticket_id, direction, source_id, author_id, content, staff_copy_message_id, user_copy_message_id)
           VALUES ($1, 'to_staff', $2, $3, $4, $5, $2)
           ON CONFLICT (source_id) DO NOTHING"#,
        ticket_id,
        source.db(),
        author.db(),
        content,
        staff_copy.db()
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

/// Records a staff reply delivered to the user. `false` if this source was
/// already recorded (a replayed command).
#[tracing::instrument(skip(db, content))]
pub async fn record_to_user(
    db: &PgPool,
    ticket_id: i64,
    source: u64,
    author: UserId,
    content: &str,
    user_copy: MessageId,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"INSERT INTO ticket_messages (ticket_id, direction, source_id, author_id, content, user_copy_message_id)
           VALUES ($1, 'to_user', $2, $3, $4, $5)
           ON CONFLICT (source_id) DO NOTHING"#,
        ticket_id,
        source as i64,
        author.db(),
        content,
        user_copy.db()
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
