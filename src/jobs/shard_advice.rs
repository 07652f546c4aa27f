//! Watches Discord's recommended shard count (`GET /gateway/bot`): a bot
//! that grows past ~1,000 guilds per shard gets a higher recommendation, and
//! past 2,500 per shard Discord refuses the sessions (4011). Every cluster
//! checks at start (`gateway::cluster`); the singleton lease holder checks
//! hourly, so a running fleet notices too. Below the recommendation, a
//! warning and the gauges `ticketeer_shards_recommended` >
//! `ticketeer_shards_configured` (alert `ShardsBelowRecommended`) tell the
//! operator to reshard (`infra/reshard.sh`).

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::bot::Bot;
use crate::discord::metered::metered;

const EVERY: Duration = Duration::from_secs(3600);

pub async fn run(bot: Arc<Bot>, configured: u32, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(EVERY) => {}
        }
        let recommended =
            async { anyhow::Ok(metered("get_gateway_bot", bot.http.gateway().authed()).await?.model().await?) };
        match recommended.await {
            Ok(info) => observe(info.shards, configured),
            Err(error) => tracing::warn!(%error, "could not read the recommended shard count"),
        }
    }
}

/// Records both counts, and warns when the bot runs fewer shards than
/// Discord recommends.
pub fn observe(recommended: u32, configured: u32) {
    crate::metrics::shard_counts(recommended, configured);
    if configured < recommended {
        tracing::warn!(
            recommended,
            configured,
            "Discord recommends more shards than this cluster runs: reshard (infra/reshard.sh) before Discord refuses sessions"
        );
    }
}
