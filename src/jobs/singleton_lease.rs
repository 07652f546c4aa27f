//! The singleton lease: of all gateway processes, the one holding it runs
//! the jobs the fleet needs once (the inbox sweeper, the purges, the Redis
//! watch, the membership index prune, the shard count check).
//!
//! Every gateway process contends for one Redis lock (`redis::lock`, key
//! `…:lock:singleton-lease`, TTL `TICKETEER_SINGLETON_LEASE_MS`). The holder
//! renews it every third of the TTL; a clean shutdown stops its jobs and
//! releases it (compare-and-delete), so another process takes it at its next
//! try. A holder that dies (kill -9, a lost node) stops renewing: the lease
//! expires and another process takes it within the TTL plus one try
//! interval. A process restarted in the dead one's slot takes it at once
//! (`Lock::try_acquire` recognises its predecessor's token).
//!
//! A holder that cannot reach Redis keeps its jobs running rather than stop
//! them on a guess: it cannot tell an outage (nobody can take the lease)
//! from a partition (another process may). Every job is safe to run twice —
//! a Redis lock per pass where two passes would only duplicate work, and
//! idempotent statements underneath — so the worst case is shared work; and
//! the Redis watch, which must notice Redis answering again, keeps running
//! exactly when it is needed. Once Redis answers and the lease is someone
//! else's, the jobs stop here.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng as _;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{inbox_sweeper, member_index_prune, redis_watch, retention, shard_advice, transcript_purge};
use crate::bot::Bot;
use crate::redis::lock::Lock;

/// Contends for, holds and renews the lease until `shutdown`, running the
/// singleton jobs while held. `configured_shards` is this cluster's shard
/// count, for the shard count check.
pub async fn run(bot: Arc<Bot>, configured_shards: u32, shutdown: CancellationToken) {
    let ttl = bot.config.singleton_lease;
    // Often enough that a dead holder is replaced soon after its lease
    // expires; each try is one or two Redis commands.
    let try_every = ttl / 10;
    crate::metrics::singleton_lease_held(false);
    loop {
        let lease = match Lock::try_acquire(&bot.redis, bot.keys.singleton_lease(), ttl).await {
            Ok(Some(lease)) => lease,
            Ok(None) => {
                if !pause(&shutdown, jittered(try_every)).await {
                    return;
                }
                continue;
            }
            Err(error) => {
                tracing::debug!(%error, "could not contend for the singleton lease");
                if !pause(&shutdown, jittered(try_every)).await {
                    return;
                }
                continue;
            }
        };
        tracing::info!("holding the singleton lease: this process runs the fleet's once-only jobs");
        crate::metrics::singleton_lease_held(true);
        let jobs_stop = shutdown.child_token();
        let jobs = start_jobs(&bot, configured_shards, &jobs_stop);
        hold(&lease, ttl / 3, &shutdown).await;
        jobs_stop.cancel();
        for job in jobs {
            let _ = job.await;
        }
        crate::metrics::singleton_lease_held(false);
        if shutdown.is_cancelled() {
            match lease.release().await {
                Ok(true) => tracing::info!("released the singleton lease"),
                Ok(false) => tracing::warn!("the singleton lease had expired before it was released"),
                Err(error) => tracing::warn!(%error, "could not release the singleton lease; it expires by itself"),
            }
            return;
        }
        tracing::warn!("lost the singleton lease (not renewed in time); its jobs stopped here");
    }
}

/// Renews the lease every `renew_every` until shutdown or until Redis says
/// it is no longer ours.
async fn hold(lease: &Lock, renew_every: Duration, shutdown: &CancellationToken) {
    let mut unreachable = false;
    loop {
        if !pause(shutdown, renew_every).await {
            return;
        }
        match lease.extend().await {
            Ok(true) => {
                if unreachable {
                    tracing::info!("renewed the singleton lease again after Redis came back");
                }
                unreachable = false;
            }
            Ok(false) => return,
            Err(error) => {
                if !unreachable {
                    tracing::warn!(%error, "cannot renew the singleton lease; keeping its jobs (safe to run twice) until Redis answers");
                }
                unreachable = true;
            }
        }
    }
}

fn start_jobs(bot: &Arc<Bot>, configured_shards: u32, stop: &CancellationToken) -> Vec<JoinHandle<()>> {
    // Nobody waits on these: their Discord requests give way to relays and
    // replies when the REST budget is short.
    use crate::discord::background::in_background;
    vec![
        tokio::spawn(in_background(inbox_sweeper::run(bot.clone(), stop.clone()))),
        tokio::spawn(in_background(transcript_purge::run(bot.clone(), stop.clone()))),
        tokio::spawn(in_background(retention::run(bot.clone(), stop.clone()))),
        tokio::spawn(member_index_prune::run(bot.clone(), stop.clone())),
        // DMs arrive on shard 0 only, but whoever holds the lease watches
        // Redis: recovery reads back from Discord's REST API, not a shard.
        tokio::spawn(redis_watch::run(bot.clone(), stop.clone())),
        tokio::spawn(shard_advice::run(bot.clone(), configured_shards, stop.clone())),
    ]
}

/// Up to a quarter more than `wait`, so processes started together do not
/// contend in lockstep.
fn jittered(wait: Duration) -> Duration {
    let extra = rand::rng().random_range(0..=wait.as_millis() as u64 / 4);
    wait + Duration::from_millis(extra)
}

/// Sleeps unless shutdown comes first; `false` if it did.
async fn pause(shutdown: &CancellationToken, wait: Duration) -> bool {
    tokio::select! {
        () = shutdown.cancelled() => false,
        () = tokio::time::sleep(wait) => true,
    }
}
