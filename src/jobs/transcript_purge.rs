//! Deletes transcripts past their retention (`transcripts.expires_at`), in
//! small batches so a large backlog never holds long locks. The singleton
//! lease holder runs it hourly; a pass runs under a Redis lock
//! (`one_pass_at_a_time`), and the statement is idempotent anyway.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::bot::Bot;

const EVERY: Duration = Duration::from_secs(3600);

pub async fn run(bot: Arc<Bot>, shutdown: CancellationToken) {
    loop {
        match super::one_pass_at_a_time::run(&bot, "transcripts", bot.tickets.purge_expired_transcripts()).await {
            None | Some(Ok(0)) => {}
            Some(Ok(n)) => tracing::info!(deleted = n, "deleted transcripts past their retention"),
            Some(Err(e)) => tracing::warn!(error = %e, "transcript purge failed"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(EVERY) => {}
        }
    }
}
