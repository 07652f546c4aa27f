//! Fills the membership index of guilds where modmail was turned on: every
//! cluster looks, every few seconds, for such guilds on its own shards that
//! are not filled yet (`db::member_index::claim_unfilled`) and requests
//! their member lists. Polling PostgreSQL rather than being told makes it
//! work whoever turned modmail on (a slash command on any cluster, the API
//! process) and survive any process dying halfway: a claimed fill that never
//! completed is claimed again after [`STALE_AFTER`].

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::member_requests::MemberRequester;

/// Fills claimed per look: a fleet coming up after the deploy that adds this
/// asks for every modmail guild once, spread out instead of all at once
/// (each request is a gateway send, 120 per minute per shard).
const PER_LOOK: i64 = 10;
/// A fill requested this long ago and still not complete is requested again
/// (longer than a member list of a million members takes to arrive).
const STALE_AFTER: Duration = Duration::from_secs(300);

/// Looks every `every` (`TICKETEER_MEMBER_FILL_POLL_MS`), from start-up on.
pub async fn run(requester: Arc<MemberRequester>, db: sqlx::PgPool, every: Duration, shutdown: CancellationToken) {
    let shards: Vec<i64> = requester.shards().into_iter().map(i64::from).collect();
    let total = i64::from(requester.total());
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let claimed =
            crate::db::member_index::claim_unfilled(&db, &shards, total, PER_LOOK, STALE_AFTER.as_secs_f64()).await;
        match claimed {
            Ok(guilds) => {
                for guild in guilds {
                    tracing::info!(%guild, "filling the membership index of a guild with modmail on");
                    requester.request(guild);
                }
            }
            Err(error) => tracing::warn!(%error, "could not look for membership indexes to fill"),
        }
    }
}
