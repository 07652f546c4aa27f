//! What is kept only for a while: DMs that never reached a ticket (refused:
//! the text of people who are nobody's customers) and timers that finished.
//! Deleted in small batches so a backlog never holds long locks.

use sqlx::PgPool;

/// Rows deleted per statement.
const BATCH: i64 = 1000;

/// What one purge deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub refused_dms: u64,
    pub finished_timers: u64,
}

/// Deletes refused DMs received, and timers finished, more than `days` ago.
#[tracing::instrument(skip(db))]
pub async fn purge(db: &PgPool, days: i32) -> sqlx::Result<Purged> {
    let refused_dms = in_batches(|| async {
        sqlx::query!(
            r#"DELETE FROM inbound_dms WHERE message_id IN
                   (SELECT message_id FROM inbound_dms
                    WHERE state = 'refused' AND ticket_id IS NULL
                      AND received_at < now() - make_interval(days => $1)
                    LIMIT $2)"#,
            days,
            BATCH
        )
        .execute(db)
        .await
        .map(|done| done.rows_affected())
    })
    .await?;
    // Every state but `pending` is final: fired, cancelled, failed.
    let finished_timers = in_batches(|| async {
        sqlx::query!(
            r#"DELETE FROM timers WHERE timer_id IN
                   (SELECT timer_id FROM timers
                    WHERE state <> 'pending' AND finished_at < now() - make_interval(days => $1)
                    LIMIT $2)"#,
            days,
            BATCH
        )
        .execute(db)
        .await
        .map(|done| done.rows_affected())
    })
    .await?;
    Ok(Purged { refused_dms, finished_timers })
}

/// Runs a batched delete until a batch comes back short; returns the total.
async fn in_batches<F, Fut>(mut delete: F) -> sqlx::Result<u64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = sqlx::Result<u64>>,
{
    let mut total = 0;
    loop {
        let deleted = delete().await?;
        total += deleted;
        if deleted < BATCH as u64 {
            return Ok(total);
        }
    }
}
