//! Deletes what is kept only for a while (`db::retention`): refused DMs and
//! finished timers after [`RETENTION_DAYS`]. Cluster 0 runs it hourly; the
//! statements are idempotent, so two runs at once only share the work.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::bot::Bot;

/// How long refused DMs and finished timers are kept.
pub const RETENTION_DAYS: i32 = 30;
const EVERY: Duration = Duration::from_secs(3600);

pub async fn run(bot: Arc<Bot>, shutdown: CancellationToken) {
    loop {
        match crate::db::retention::purge(&bot.db, RETENTION_DAYS).await {
            Ok(purged) if purged == Default::default() => {}
            Ok(purged) => tracing::info!(
                refused_dms = purged.refused_dms,
                finished_timers = purged.finished_timers,
                "deleted records past their retention"
            ),
            Err(e) => tracing::warn!(error = %e, "retention purge failed"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(EVERY) => {}
        }
    }
}
