//! What is kept only for a while: DMs that never reached a ticket (refused:
//! the text of people who are nobody's customers) and timers that finished.
//! Deleted in small batches so a backlog never holds long locks.

use sqlx::{Acquire, Postgres};

/// Rows deleted per statement.
const BATCH: i64 = 1000;

/// What one purge deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub refused_dms: u64,
    pub finished_timers: u64,
}

/// Deletes refused DMs received, and timers finished, more than `days` ago.
/// Each batch is its own statement, committed at once (give a pool or a plain
/// connection, not a transaction): a backlog never holds long locks.
#[tracing::instrument(skip(db))]
pub async fn purge<'c>(db: impl Acquire<'c, Database = Postgres>, days: i32) -> sqlx::Result<Purged> {
    let mut conn = db.acquire().await?;
    let mut purged = Purged::default();
    loop {
        let deleted = sqlx::query!(
            r#"DELETE FROM inbound_dms WHERE message_id IN
                   (SELECT message_id FROM inbound_dms
                    WHERE state = 'refused' AND ticket_id IS NULL
                      AND received_at < now() - make_interval(days => $1)
                    LIMIT $2)"#,
            days,
            BATCH
        )
        .execute(&mut *conn)
        .await?
        .rows_affected();
        purged.refused_dms += deleted;
        if deleted < BATCH as u64 {
            break;
        }
    }
    // Every state but `pending` is final: fired, cancelled, failed.
    loop {
        let deleted = sqlx::query!(
            r#"DELETE FROM timers WHERE timer_id IN
                   (SELECT timer_id FROM timers
                    WHERE state <> 'pending' AND finished_at < now() - make_interval(days => $1)
                    LIMIT $2)"#,
            days,
            BATCH
        )
        .execute(&mut *conn)
        .await?
        .rows_affected();
        purged.finished_timers += deleted;
        if deleted < BATCH as u64 {
            break;
        }
    }
    Ok(purged)
}
