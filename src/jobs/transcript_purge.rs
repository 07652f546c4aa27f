//! Deletes transcripts past their retention (`transcripts.expires_at`), in
//! small batches so a large backlog never holds long locks. Cluster 0 runs it
//! hourly; the statement is idempotent, so two runs at once only share work.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::bot::Bot;

const EVERY: Duration = Duration::from_secs(3600);

pub async fn run(bot: Arc<Bot>, shutdown: CancellationToken) {
    loop {
        match bot.tickets.purge_expired_transcripts().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "deleted transcripts past their retention"),
            Err(e) => tracing::warn!(error = %e, "transcript purge failed"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(EVERY) => {}
        }
    }
}
