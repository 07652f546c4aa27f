//! `/alert`: staff waiting for a ticket user's next message.

use sqlx::PgExecutor;

use crate::domain::ids::UserId;

/// `false` if this staff member was already waiting.
#[tracing::instrument(skip(db))]
pub async fn add(db: impl PgExecutor<'_>, ticket_id: i64, staff: UserId) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "INSERT INTO ticket_alerts (ticket_id, staff_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        ticket_id,
        staff.db()
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// `false` if this staff member was not waiting.
#[tracing::instrument(skip(db))]
pub async fn remove(db: impl PgExecutor<'_>, ticket_id: i64, staff: UserId) -> sqlx::Result<bool> {
    let done = sqlx::query!("DELETE FROM ticket_alerts WHERE ticket_id = $1 AND staff_id = $2", ticket_id, staff.db())
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes every waiting staff member of the ticket (the user just wrote).
#[tracing::instrument(skip(db))]
pub async fn take_all(db: impl PgExecutor<'_>, ticket_id: i64) -> sqlx::Result<Vec<UserId>> {
    let ids = sqlx::query_scalar!("DELETE FROM ticket_alerts WHERE ticket_id = $1 RETURNING staff_id", ticket_id)
        .fetch_all(db)
        .await?;
    Ok(ids.into_iter().map(UserId::from_db).collect())
}
