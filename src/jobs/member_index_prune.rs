//! Prunes the membership index of guilds it no longer covers: guilds
//! without modmail (rows from before the index was limited to modmail
//! guilds, or written by an older binary during a rolling deploy) and guilds
//! the bot left. Turning modmail off and leaving prune at once; this pass
//! catches what those missed. The singleton lease holder runs it hourly, one
//! walk over the index's guilds in small steps, under a Redis lock
//! (`one_pass_at_a_time`); every step is an idempotent DELETE.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::bot::Bot;

const EVERY: Duration = Duration::from_secs(3600);
/// Distinct guilds looked at, and rows deleted at most, per step: small
/// enough that a step holds its locks briefly.
const GUILDS_PER_STEP: i64 = 500;
const ROWS_PER_STEP: i64 = 10_000;
/// Between steps, so a large backlog does not monopolise PostgreSQL.
const PAUSE: Duration = Duration::from_millis(50);

pub async fn run(bot: Arc<Bot>, shutdown: CancellationToken) {
    loop {
        match super::one_pass_at_a_time::run(&bot, "member-index", prune_all(&bot, &shutdown)).await {
            None | Some(Ok(0)) => {}
            Some(Ok(rows)) => tracing::info!(rows, "pruned the membership index of guilds without modmail"),
            Some(Err(error)) => tracing::warn!(%error, "membership index prune failed"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(EVERY) => {}
        }
    }
}

/// One walk over the index; returns the rows deleted. Public so tests can
/// run a pass instead of waiting for the hour.
pub async fn prune_all(bot: &Bot, shutdown: &CancellationToken) -> sqlx::Result<u64> {
    let mut after = i64::MIN;
    let mut deleted = 0;
    while !shutdown.is_cancelled() {
        let (next, rows) = crate::db::member_index::prune_step(&bot.db, after, GUILDS_PER_STEP, ROWS_PER_STEP).await?;
        deleted += rows;
        crate::metrics::member_index_pruned(rows);
        let Some(next) = next else { break };
        after = next;
        tokio::time::sleep(PAUSE).await;
    }
    Ok(deleted)
}
