//! A gateway cluster: `ticketeer gateway --cluster K --clusters N` runs shards
//! `twilight_gateway::bucket(K, N, total)`, learning the gateway URL and the
//! recommended shard count from `GET /gateway/bot`, as against Discord.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{bail, Context as _};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use twilight_gateway::{ConfigBuilder, Shard};

use super::member_requests::MemberRequester;
use super::queue::RedisIdentifyQueue;
use super::{member_fill, sessions, shard_runner, INTENTS};
use crate::bot::Bot;
use crate::discord::metered::metered;
use crate::jobs::{shard_advice, singleton_lease, timer_worker};

/// The cluster stopped because Discord closed a shard fatally; the process
/// exits with [`FatallyClosed::EXIT_CODE`] so a supervisor does not restart
/// it into the same refusal.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct FatallyClosed(pub String);

impl FatallyClosed {
    /// `EX_CONFIG` from sysexits.h: the configuration (token, shard count,
    /// intents) must change before a restart can work.
    pub const EXIT_CODE: u8 = 78;
}

#[derive(Debug, Clone)]
pub struct ClusterOptions {
    pub cluster: u16,
    pub clusters: u16,
    /// Overrides the count Discord recommends (every cluster must agree).
    pub total_shards: Option<u32>,
    /// Where this cluster serves `/healthz` and `/metrics`.
    pub ops_listen: SocketAddr,
}

/// What a running cluster reports once its shards are started.
#[derive(Debug, Clone)]
pub struct ClusterInfo {
    pub shards: Vec<u32>,
    pub total_shards: u32,
    pub ops_addr: SocketAddr,
}

/// Runs until `shutdown` is cancelled, then closes every shard (saving its
/// session) and waits for in-flight handlers to finish. A shard that Discord
/// closes fatally (4004 authentication, 4010–4014: nothing a retry or a
/// resume can fix) stops the whole cluster the same way, and the cluster
/// returns an error naming it, so the process exits non-zero and its
/// supervisor — not a crash loop — decides what happens next.
pub async fn run(
    bot: Arc<Bot>,
    options: ClusterOptions,
    shutdown: CancellationToken,
    started: Option<tokio::sync::oneshot::Sender<ClusterInfo>>,
) -> anyhow::Result<()> {
    if options.clusters == 0 || options.cluster >= options.clusters {
        bail!("--cluster must be below --clusters (got cluster {} of {})", options.cluster, options.clusters);
    }
    let info = metered("get_gateway_bot", bot.http.gateway().authed())
        .await
        .context("GET /gateway/bot failed")?
        .model()
        .await?;
    let total = options.total_shards.unwrap_or(info.shards).max(1);
    shard_advice::observe(info.shards, total);
    if u32::from(options.clusters) > total {
        bail!("{} clusters need at least as many shards, but there are {total}", options.clusters);
    }
    if options.cluster == 0 {
        register_commands(&bot).await?;
    }

    let health = crate::api::HealthCheck::new();
    let ops_listener = tokio::net::TcpListener::bind(options.ops_listen)
        .await
        .with_context(|| format!("could not listen on {} for /metrics", options.ops_listen))?;
    let ops_addr = ops_listener.local_addr()?;
    let ops_router = crate::api::ops_router(crate::metrics::install(), health.clone());
    // Cancelled by the caller's `shutdown`, or by a shard closed fatally.
    let shutdown = shutdown.child_token();
    let fatal = shard_runner::FatalClose::default();
    let ops_task = tokio::spawn(crate::api::serve(ops_listener, ops_router, shutdown.clone()));

    let limit = &info.session_start_limit;
    let queue = RedisIdentifyQueue::new(
        bot.redis.clone(),
        bot.keys.clone(),
        bot.http.clone(),
        u32::from(limit.max_concurrency),
        bot.config.identify_reserve,
    );
    queue.observe_budget(limit.remaining, std::time::Duration::from_millis(limit.reset_after)).await;
    let token = secrecy::ExposeSecret::expose_secret(&bot.config.discord.token).to_owned();
    let handlers = TaskTracker::new();
    let shard_tasks = TaskTracker::new();
    let shards: Vec<_> = twilight_gateway::bucket(options.cluster, options.clusters, total).collect();
    let readiness = Arc::new(super::readiness::Readiness::new(health.clone(), shards.len()));
    let mut shard_ids = Vec::new();
    let mut members = MemberRequester::new(bot.clone(), total, shutdown.clone());
    let mut built = Vec::new();
    for shard_id in shards {
        let number = shard_id.number();
        let mut config = ConfigBuilder::new(token.clone(), INTENTS).proxy_url(info.url.clone()).queue(queue.clone());
        match sessions::take(&bot.redis, &bot.keys, number, total).await {
            Ok(Some(saved)) => {
                tracing::info!(shard = number, "resuming the saved gateway session");
                config = config.session(saved.session).resume_url(saved.resume_url);
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, shard = number, "could not read a saved session; identifying")
            }
        }
        let shard = Shard::with_config(shard_id, config.build());
        members.add_shard(number, shard.sender());
        built.push(shard);
        shard_ids.push(number);
    }
    // Every shard's sender is known before any event can ask for members.
    let members = Arc::new(members);
    let shared = shard_runner::ClusterShared {
        bot: bot.clone(),
        total,
        handlers: handlers.clone(),
        shutdown: shutdown.clone(),
        fatal: fatal.clone(),
        readiness: readiness.clone(),
        members: members.clone(),
        event_lanes: super::event_lanes::EventLanes::for_cluster(&bot.config),
    };
    for shard in built {
        shard_tasks.spawn(shard_runner::run(shard, shared.clone()));
    }
    shard_tasks.close();
    tracing::info!(cluster = options.cluster, shards = ?shard_ids, total, %ops_addr, "gateway cluster started");

    // Jobs the fleet needs once run wherever the singleton lease is held;
    // every cluster contends for it, so losing any process loses none of them.
    let singletons = tokio::spawn(singleton_lease::run(bot.clone(), total, shutdown.clone()));
    // Guilds of this cluster's shards where modmail was turned on get their
    // membership index filled.
    let member_fill =
        tokio::spawn(member_fill::run(members.clone(), bot.db.clone(), bot.config.member_fill_poll, shutdown.clone()));
    // Every cluster fires timers: claims are atomic, so more workers only
    // means less delay and no single point of failure.
    let timers = tokio::spawn(timer_worker::run(bot.clone(), shutdown.clone()));
    if let Some(started) = started {
        let _ = started.send(ClusterInfo { shards: shard_ids, total_shards: total, ops_addr });
    }

    shutdown.cancelled().await;
    readiness.stopping();
    shard_tasks.wait().await;
    handlers.close();
    if tokio::time::timeout(std::time::Duration::from_secs(20), handlers.wait()).await.is_err() {
        tracing::warn!("some event handlers were still running after 20 s; stopping anyway");
    }
    let _ = singletons.await;
    let _ = member_fill.await;
    let _ = timers.await;
    let _ = ops_task.await;
    if let Some(reason) = fatal.reason() {
        tracing::error!(cluster = options.cluster, %reason, "gateway cluster stopped: a shard was closed fatally");
        return Err(FatallyClosed(reason).into());
    }
    tracing::info!(cluster = options.cluster, "gateway cluster stopped");
    Ok(())
}

/// Registers the slash commands (a global bulk overwrite: idempotent).
async fn register_commands(bot: &Bot) -> anyhow::Result<()> {
    let commands = crate::commands::definitions::all();
    metered("set_global_commands", bot.http.interaction(bot.application_id).set_global_commands(&commands))
        .await
        .context("could not register the slash commands")?;
    Ok(())
}
