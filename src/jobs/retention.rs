//! Deletes what is kept only for a while (`db::retention`): refused DMs and
//! finished timers after [`RETENTION_DAYS`]. The singleton lease holder runs
//! it hourly; a pass runs under a Redis lock (`one_pass_at_a_time`), and the
//! statements are idempotent anyway.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::bot::Bot;

/// How long refused DMs and finished timers are kept.
pub const RETENTION_DAYS: i32 = 30;
const EVERY: Duration = Duration::from_secs(3600);

pub async fn run(bot: Arc<Bot>, shutdown: CancellationToken) {
    loop {
        let pass = crate::db::retention::purge(&bot.db, RETENTION_DAYS);
        match super::one_pass_at_a_time::run(&bot, "retention", pass).await {
            None => {}
            Some(Ok(purged)) if purged == Default::default() => {}
            Some(Ok(purged)) => tracing::info!(
                refused_dms = purged.refused_dms,
                finished_timers = purged.finished_timers,
                "deleted records past their retention"
            ),
            Some(Err(e)) => tracing::warn!(error = %e, "retention purge failed"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(EVERY) => {}
        }
    }
}
