//! A guard for the hourly purges: two lease holders overlapping for a moment
//! (a partition, see `singleton_lease`) would both run the same pass. The
//! statements are idempotent, so that only duplicates work; a Redis lock per
//! pass avoids even that. Without Redis the pass runs anyway (it is safe).

use std::future::Future;
use std::time::Duration;

use crate::bot::Bot;
use crate::redis::lock::Lock;

/// Longer than any pass takes; a holder that dies leaves it to expire.
const PASS_LOCK_TTL: Duration = Duration::from_secs(600);

/// Runs `pass` unless another process is running the pass named `job`;
/// `None` if it was skipped for that.
pub async fn run<T>(bot: &Bot, job: &str, pass: impl Future<Output = T>) -> Option<T> {
    match Lock::try_acquire(&bot.redis, bot.keys.purge_lock(job), PASS_LOCK_TTL).await {
        Ok(Some(lock)) => {
            let done = pass.await;
            if let Err(error) = lock.release().await {
                tracing::debug!(%error, job, "could not release a purge lock; it expires by itself");
            }
            Some(done)
        }
        Ok(None) => {
            tracing::debug!(job, "another process is running this purge");
            None
        }
        Err(error) => {
            tracing::warn!(%error, job, "could not take a purge lock; purging anyway (the statements are idempotent)");
            Some(pass.await)
        }
    }
}
