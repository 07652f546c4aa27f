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
    let mut purged = Purged::default();
    loop {
        let n = sqlx::query!(
            r#"DELETE FROM inbound_dms WHERE message_id IN
                   (SELECT message_id FROM inbound_dms
                    WHERE state = 'refused' AND ticket_id IS NULL
                      AND received_at < now() - make_interval(days => $1)
                    LIMIT $2)"#,
            days,
            BATCH
        )
        .execute(db)
        .await?
        .rows_affected();
        purged.refused_dms += n;
        if n < BATCH as u64 {
            break;
        }
    }
    loop {
        // Every state but `pending` is final: fired, cancelled, failed.
        let n = sqlx::query!(
            r#"DELETE FROM timers WHERE timer_id IN
                   (SELECT timer_id FROM timers
                    WHERE state <> 'pending' AND finished_at < now() - make_interval(days => $1)
                    LIMIT $2)"#,
            days,
            BATCH
        )
        .execute(db)
        .await?
        .rows_affected();
        purged.finished_timers += n;
        if n < BATCH as u64 {
            break;
        }
    }
    Ok(purged)
}
